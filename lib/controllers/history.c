/* history.c - ControllerRevision helpers (upstream pkg/controller/history): FNV-1 revision hash over the
 * canonical data plus the decimal collision count, revision names, ordering, equality, creation with
 * collision retries and re-numbering for rollbacks. Used by the StatefulSet controller; generic enough for
 * any controller that snapshots pod templates into ControllerRevisions. */
#include "controllers/history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controllers/controller_utils.h"
#include "util/strbuf.h"

/* Collision retries before giving up (a real clash needs 2^32 bad luck; this only bounds a loop). */
#define MAX_COLLISIONS 100

static uint32_t fnv1(uint32_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h *= 16777619u;
        h ^= (unsigned char)p[i];
    }
    return h;
}

int rci_history_hash(const cJSON *data, const int64_t *collision_count, char out[RCI_HISTORY_HASH_LEN])
{
    static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    char *text = data ? rci_canonical_json(data) : strdup("null");
    if (!text)
        return RC_ENOMEM;
    uint32_t h = fnv1(2166136261u, text, strlen(text));
    free(text);
    if (collision_count) {
        char num[24];
        int len = snprintf(num, sizeof num, "%lld", (long long)*collision_count);
        h = fnv1(h, num, (size_t)len);
    }
    char digits[16];
    int len = snprintf(digits, sizeof digits, "%u", (unsigned)h);
    for (int i = 0; i < len; i++)
        out[i] = alphabet[(unsigned char)digits[i] % 27];
    out[len] = '\0';
    return 0;
}

char *rci_history_name(const char *parent, const char *hash)
{
    int plen = (int)strlen(parent);
    return rci_asprintf("%.*s-%s", plen > 223 ? 223 : plen, parent, hash);
}

int64_t rci_history_number(const rc_object *rev) { return rc_object_get_int(rev, "revision", 0); }

static int cmp_revision(const void *a, const void *b)
{
    const rc_object *ra = *(rc_object *const *)a, *rb = *(rc_object *const *)b;
    int64_t na = rci_history_number(ra), nb = rci_history_number(rb);
    if (na != nb)
        return na < nb ? -1 : 1;
    return rci_cmp_creation(ra, rb);
}

void rci_history_sort(rc_object **revs, size_t n)
{
    if (n > 1)
        qsort(revs, n, sizeof *revs, cmp_revision);
}

bool rci_history_equal(const rc_object *rev, const cJSON *data)
{
    cJSON *have = rc_node_to_cjson(rc_object_at(rev, "data"));
    bool eq = have && data && cJSON_Compare(have, data, true);
    cJSON_Delete(have);
    return eq;
}

/* Names the draft after the hash of its data for collision_count and sets the hash label. */
static int stamp_name(rc_object *rev, const char *parent, int64_t collision_count, rc_error *err)
{
    cJSON *data = cJSON_GetObjectItemCaseSensitive(rc_object_json_mut(rev), "data");
    char hash[RCI_HISTORY_HASH_LEN];
    if (rci_history_hash(data, &collision_count, hash) != 0)
        return rc_error_set(err, RC_ENOMEM, "out of memory hashing a controller revision");
    char *name = rci_history_name(parent, hash);
    int rc = name ? rc_object_set_name(rev, name) : RC_ENOMEM;
    if (rc == 0)
        rc = rc_object_set_label(rev, RCI_LABEL_REVISION_HASH, hash);
    free(name);
    return rc ? rc_error_set(err, rc, "cannot name controller revision of %s", parent) : 0;
}

rc_object *rci_history_new(const rc_object *parent, const char *parent_api_version, const char *parent_kind,
                           rc_node labels, const cJSON *data, int64_t number, int64_t collision_count,
                           rc_error *err)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *meta = root ? cJSON_AddObjectToObject(root, "metadata") : NULL;
    cJSON *lab = rc_node_exists(labels) ? rc_node_to_cjson(labels) : cJSON_CreateObject();
    cJSON *copy = data ? cJSON_Duplicate(data, true) : cJSON_CreateNull();
    rc_object *rev = NULL;
    if (meta && lab && copy && cJSON_AddStringToObject(root, "apiVersion", "apps/v1") &&
        cJSON_AddStringToObject(root, "kind", "ControllerRevision") &&
        cJSON_AddStringToObject(meta, "namespace", rc_object_namespace(parent)) &&
        cJSON_AddNumberToObject(root, "revision", (double)number)) {
        cJSON_AddItemToObject(meta, "labels", lab);
        cJSON_AddItemToObject(root, "data", copy);
        lab = copy = NULL;
        rev = rc_object_new_draft(root);
        root = NULL;
    }
    cJSON_Delete(root);
    cJSON_Delete(lab);
    cJSON_Delete(copy);
    if (!rev) {
        rc_error_set(err, RC_ENOMEM, "out of memory building a controller revision");
        return NULL;
    }
    rc_owner_ref ref = {parent_api_version, parent_kind, rc_object_name(parent), rc_object_uid(parent),
                        true, true};
    int rc = rc_object_add_owner(rev, &ref);
    if (rc == 0)
        rc = stamp_name(rev, rc_object_name(parent), collision_count, err);
    else
        rc_error_set(err, rc, "cannot set the owner of a controller revision of %s", rc_object_name(parent));
    if (rc) {
        rc_object_unref(rev);
        return NULL;
    }
    return rev;
}

int rci_history_create(rc_client *c, rc_object *rev, int64_t *collision_count, rc_object **out, rc_error *err)
{
    rc_owner_ref owner;
    char *parent = rc_object_controller_ref(rev, &owner) ? strdup(owner.name) : NULL;
    cJSON *data = rc_node_to_cjson(rc_object_at(rev, "data"));
    int rc = parent && data ? 0 : rc_error_set(err, RC_ENOMEM, "out of memory creating a controller revision");
    for (int attempt = 0; rc == 0; attempt++) {
        if (attempt == MAX_COLLISIONS) {
            rc = rc_error_set(err, RC_EEXISTS, "controller revision of %s: too many hash collisions", parent);
            break;
        }
        rc_object *draft = rc_object_copy(rev);
        if (!draft) {
            rc = rc_error_set(err, RC_ENOMEM, "out of memory creating a controller revision");
            break;
        }
        rc = rc_client_create(c, RCI_CONTROLLER_REVISIONS, NULL, draft, NULL, out, err);
        if (rc != RC_EEXISTS) {
            rc_object_unref(draft);
            break;
        }
        rc_error_clear(err);
        rc_object *existing = NULL;
        rc = rc_client_get(c, RCI_CONTROLLER_REVISIONS, rc_object_namespace(draft), rc_object_name(draft),
                           &existing, err);
        rc_object_unref(draft);
        if (rc == 0 && rci_history_equal(existing, data)) {
            *out = existing;
            break;
        }
        rc_object_unref(existing);
        if (rc)
            break;
        ++*collision_count;
        rc = stamp_name(rev, parent, *collision_count, err);
    }
    cJSON_Delete(data);
    free(parent);
    rc_object_unref(rev);
    return rc;
}

int rci_history_renumber(rc_client *c, const rc_object *rev, int64_t number, rc_object **out, rc_error *err)
{
    rc_object *draft = rc_object_copy(rev);
    if (!draft)
        return rc_error_set(err, RC_ENOMEM, "out of memory renumbering a controller revision");
    int rc = rc_object_set_int(draft, "revision", number);
    if (rc == 0)
        rc = rc_client_update(c, RCI_CONTROLLER_REVISIONS, NULL, draft, NULL, out, err);
    else
        rc_error_set(err, rc, "cannot renumber controller revision %s", rc_object_name(rev));
    rc_object_unref(draft);
    return rc;
}
