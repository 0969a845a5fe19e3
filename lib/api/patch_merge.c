/* patch_merge.c - JSON merge patch (RFC 7386) and the JSON equality the other patch files share.
 * The merge builds a new tree in one pass over target and patch, so the inputs stay untouched; members of
 * large objects are found through a hash index instead of cJSON's linear search. */
#include "api/patch_internal.h"
#include "api/json_depth.h"

#include <string.h>

#include "util/map.h"

/* Objects with more members than this are indexed by key before lookups. */
#define INDEX_THRESHOLD 8

/* Member lookup in one object, by hash map for large objects. */
typedef struct member_index {
    const cJSON *obj;
    rci_map map;
    bool hashed;
} member_index;

static bool index_init(member_index *ix, const cJSON *obj)
{
    ix->obj = obj;
    ix->hashed = false;
    rci_map_init(&ix->map);
    if (!obj || cJSON_GetArraySize(obj) <= INDEX_THRESHOLD)
        return true;
    if (!rci_map_reserve(&ix->map, (size_t)cJSON_GetArraySize(obj)))
        return false;
    /* Walk backwards so that with duplicate keys the first one wins, as cJSON's own lookup does. */
    for (const cJSON *c = obj->child ? obj->child->prev : NULL; c; c = c == obj->child ? NULL : c->prev)
        if (c->string && rci_map_put(&ix->map, c->string, (void *)c, NULL) != 0) {
            rci_map_free(&ix->map);
            return false;
        }
    ix->hashed = true;
    return true;
}

static const cJSON *index_get(const member_index *ix, const char *key)
{
    if (!ix->obj)
        return NULL;
    if (ix->hashed)
        return rci_map_get(&ix->map, key);
    return cJSON_GetObjectItemCaseSensitive(ix->obj, key);
}

static void index_free(member_index *ix) { rci_map_free(&ix->map); }

bool rci_json_equal(const cJSON *a, const cJSON *b)
{
    if (!a || !b)
        return a == b;
    return cJSON_Compare(a, b, 1) != 0;
}

static bool add_member(cJSON *obj, const char *key, cJSON *value)
{
    if (!value)
        return false;
    if (!cJSON_AddItemToObject(obj, key, value)) {
        cJSON_Delete(value);
        return false;
    }
    return true;
}

cJSON *rci_merge_patch_value(const cJSON *target, const cJSON *patch)
{
    if (!cJSON_IsObject(patch))
        return cJSON_Duplicate(patch, 1);
    const cJSON *tobj = cJSON_IsObject(target) ? target : NULL;
    cJSON *out = cJSON_CreateObject();
    member_index pix, tix;
    bool ok = out != NULL && index_init(&pix, patch);
    if (!ok) {
        cJSON_Delete(out);
        return NULL;
    }
    ok = index_init(&tix, tobj);
    for (const cJSON *t = tobj ? tobj->child : NULL; ok && t; t = t->next) {
        const cJSON *p = index_get(&pix, t->string);
        if (p && cJSON_IsNull(p))
            continue;
        ok = add_member(out, t->string, p ? rci_merge_patch_value(t, p) : cJSON_Duplicate(t, 1));
    }
    for (const cJSON *p = patch->child; ok && p; p = p->next) {
        if (cJSON_IsNull(p) || index_get(&tix, p->string))
            continue;
        ok = add_member(out, p->string, rci_merge_patch_value(NULL, p));
    }
    index_free(&pix);
    index_free(&tix);
    if (!ok) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}

cJSON *rc_patch_merge(const cJSON *doc, const cJSON *patch, rc_error *err)
{
    if (!patch) {
        rc_error_set(err, RC_EBADREQUEST, "merge patch: no patch document");
        return NULL;
    }
    if (rci_cjson_check_depth(doc, "merge patch: the document", err) ||
        rci_cjson_check_depth(patch, "merge patch: the patch", err))
        return NULL;
    cJSON *out = rci_merge_patch_value(doc, patch);
    if (!out)
        rc_error_set(err, RC_ENOMEM, "merge patch: out of memory");
    return out;
}
