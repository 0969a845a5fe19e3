/* object_set.c - setters for draft objects: metadata helpers (labels, annotations, finalizers, owner
 * references) and generic dotted-path setters that create missing intermediate objects. Each setter
 * validates and allocates everything before it links anything in, so a failure leaves the draft as it
 * was. Empty label/annotation maps and finalizer/owner lists are removed, as Kubernetes omits them. */
#include "api/object_internal.h"

#include <stdlib.h>
#include <string.h>

static cJSON *draft_root(rc_object *o) { return o && !o->frozen ? o->u.d.root : NULL; }

static cJSON *member(const cJSON *obj, const char *key, size_t len)
{
    if (!cJSON_IsObject(obj))
        return NULL;
    for (cJSON *m = obj->child; m; m = m->next)
        if (m->string && strncmp(m->string, key, len) == 0 && m->string[len] == '\0')
            return m;
    return NULL;
}

/* Replaces (or adds) obj[key] with value, which is consumed. */
static int put(cJSON *obj, const char *key, cJSON *value)
{
    if (!value)
        return RC_ENOMEM;
    cJSON *old = member(obj, key, strlen(key));
    if (old)
        return cJSON_ReplaceItemInObjectCaseSensitive(obj, key, value) ? 0 : (cJSON_Delete(value), RC_ENOMEM);
    return cJSON_AddItemToObject(obj, key, value) ? 0 : (cJSON_Delete(value), RC_ENOMEM);
}

/* The metadata object of a draft, created when create is set (NULL if absent or not an object). */
static cJSON *meta(cJSON *root, bool create)
{
    cJSON *m = member(root, "metadata", 8);
    if (!m && create && put(root, "metadata", cJSON_CreateObject()) == 0)
        m = member(root, "metadata", 8);
    return cJSON_IsObject(m) ? m : NULL;
}

static int set_meta_str(rc_object *o, const char *key, const char *value, bool null_removes)
{
    cJSON *root = draft_root(o);
    if (!root || (!value && !null_removes))
        return RC_EINVAL;
    if (!value) {
        cJSON_Delete(cJSON_DetachItemViaPointer(meta(root, false), member(meta(root, false), key, strlen(key))));
        return 0;
    }
    cJSON *m = member(root, "metadata", 8);
    if (m && !cJSON_IsObject(m))
        return RC_EINVAL;
    cJSON *s = cJSON_CreateString(value);
    if (!s)
        return RC_ENOMEM;
    if (!(m = meta(root, true))) {
        cJSON_Delete(s);
        return RC_ENOMEM;
    }
    return put(m, key, s);
}

int rc_object_set_name(rc_object *o, const char *name) { return set_meta_str(o, "name", name, false); }
int rc_object_set_namespace(rc_object *o, const char *ns) { return set_meta_str(o, "namespace", ns, true); }

int rc_object_set_resource_version(rc_object *o, const char *rv)
{
    return set_meta_str(o, "resourceVersion", rv, true);
}

/* Sets or removes key in the metadata map field (labels or annotations). */
static int set_map_entry(rc_object *o, const char *field, const char *key, const char *value)
{
    cJSON *root = draft_root(o);
    if (!root || !key || !*key)
        return RC_EINVAL;
    cJSON *m = meta(root, false), *map = member(m, field, strlen(field));
    if ((member(root, "metadata", 8) && !m) || (map && !cJSON_IsObject(map)))
        return RC_EINVAL;
    if (!value) {
        cJSON_Delete(cJSON_DetachItemViaPointer(map, member(map, key, strlen(key))));
        if (map && !map->child)
            cJSON_Delete(cJSON_DetachItemViaPointer(m, map));
        return 0;
    }
    cJSON *s = cJSON_CreateString(value);
    if (!s)
        return RC_ENOMEM;
    if (!map) {
        cJSON *fresh = cJSON_CreateObject();
        if (!fresh || put(fresh, key, s) != 0) {
            cJSON_Delete(fresh);
            return RC_ENOMEM;
        }
        if (!(m = meta(root, true))) {
            cJSON_Delete(fresh);
            return RC_ENOMEM;
        }
        return put(m, field, fresh);
    }
    return put(map, key, s);
}

int rc_object_set_label(rc_object *o, const char *key, const char *value)
{
    return set_map_entry(o, "labels", key, value);
}

int rc_object_set_annotation(rc_object *o, const char *key, const char *value)
{
    return set_map_entry(o, "annotations", key, value);
}

/* The metadata array field, created when create is set; *bad when it exists with another type. */
static cJSON *meta_array(cJSON *root, const char *field, bool create, bool *bad)
{
    cJSON *m = meta(root, false), *a = member(m, field, strlen(field));
    *bad = (member(root, "metadata", 8) && !m) || (a && !cJSON_IsArray(a));
    if (*bad || a || !create)
        return a;
    cJSON *fresh = cJSON_CreateArray();
    if (!fresh || !(m = meta(root, true)) || put(m, field, fresh) != 0) {
        if (!m)
            cJSON_Delete(fresh);
        return NULL;
    }
    return fresh;
}

static void drop_if_empty(cJSON *root, cJSON *array)
{
    if (array && !array->child)
        cJSON_Delete(cJSON_DetachItemViaPointer(meta(root, false), array));
}

int rc_object_add_finalizer(rc_object *o, const char *name)
{
    cJSON *root = draft_root(o);
    if (!root || !name || !*name)
        return RC_EINVAL;
    if (rc_object_has_finalizer(o, name))
        return 0;
    bool bad;
    cJSON *s = cJSON_CreateString(name);
    cJSON *a = s ? meta_array(root, "finalizers", true, &bad) : NULL;
    if (!a || !cJSON_AddItemToArray(a, s)) {
        cJSON_Delete(s);
        return s && bad ? RC_EINVAL : RC_ENOMEM;
    }
    return 0;
}

int rc_object_remove_finalizer(rc_object *o, const char *name)
{
    cJSON *root = draft_root(o);
    if (!root || !name)
        return RC_EINVAL;
    bool bad;
    cJSON *a = meta_array(root, "finalizers", false, &bad);
    if (bad)
        return RC_EINVAL;
    for (cJSON *e = a ? a->child : NULL, *next; e; e = next) {
        next = e->next;
        if (cJSON_IsString(e) && strcmp(e->valuestring, name) == 0)
            cJSON_Delete(cJSON_DetachItemViaPointer(a, e));
    }
    drop_if_empty(root, a);
    return 0;
}

static cJSON *owner_json(const rc_owner_ref *ref)
{
    cJSON *e = cJSON_CreateObject();
    if (!e || !cJSON_AddStringToObject(e, "apiVersion", ref->api_version) ||
        !cJSON_AddStringToObject(e, "kind", ref->kind) || !cJSON_AddStringToObject(e, "name", ref->name) ||
        !cJSON_AddStringToObject(e, "uid", ref->uid) ||
        (ref->controller && !cJSON_AddTrueToObject(e, "controller")) ||
        (ref->block_owner_deletion && !cJSON_AddTrueToObject(e, "blockOwnerDeletion"))) {
        cJSON_Delete(e);
        return NULL;
    }
    return e;
}

static cJSON *owner_by_uid(cJSON *a, const char *uid)
{
    for (cJSON *e = a ? a->child : NULL; e; e = e->next) {
        cJSON *u = member(e, "uid", 3);
        if (cJSON_IsString(u) && strcmp(u->valuestring, uid) == 0)
            return e;
    }
    return NULL;
}

int rc_object_add_owner(rc_object *o, const rc_owner_ref *ref)
{
    cJSON *root = draft_root(o);
    if (!root || !ref || !ref->api_version || !ref->kind || !ref->name || !ref->uid || !*ref->uid)
        return RC_EINVAL;
    bool bad;
    meta_array(root, "ownerReferences", false, &bad);
    if (bad)
        return RC_EINVAL;
    cJSON *e = owner_json(ref);
    cJSON *a = e ? meta_array(root, "ownerReferences", true, &bad) : NULL;
    if (!a) {
        cJSON_Delete(e);
        return RC_ENOMEM;
    }
    cJSON *old = owner_by_uid(a, ref->uid);
    if (old)
        return cJSON_ReplaceItemViaPointer(a, old, e) ? 0 : (cJSON_Delete(e), RC_ENOMEM);
    return cJSON_AddItemToArray(a, e) ? 0 : (cJSON_Delete(e), RC_ENOMEM);
}

int rc_object_remove_owner(rc_object *o, const char *uid)
{
    cJSON *root = draft_root(o);
    if (!root || !uid)
        return RC_EINVAL;
    bool bad;
    cJSON *a = meta_array(root, "ownerReferences", false, &bad);
    if (bad)
        return RC_EINVAL;
    cJSON *e;
    while ((e = owner_by_uid(a, uid)))
        cJSON_Delete(cJSON_DetachItemViaPointer(a, e));
    drop_if_empty(root, a);
    return 0;
}

/* ---- generic path setters ---- */

static bool path_valid(const char *path)
{
    const char *seg;
    size_t len;
    bool bad = false;
    if (!*path)
        return false;
    while (rci_path_next(&path, &seg, &len, &bad))
        ;
    return !bad;
}

/* Walks path to the parent of its last segment. Returns the deepest existing container and leaves
 * *rest at the first segment not present (the last segment when the whole parent path exists). */
static int walk(cJSON *root, const char *path, cJSON **parent, const char **rest)
{
    if (!path_valid(path))
        return RC_EINVAL;
    cJSON *cur = root;
    const char *p = path, *seg;
    size_t len;
    bool bad = false;
    for (;;) {
        const char *here = p;
        if (!rci_path_next(&p, &seg, &len, &bad))
            return RC_EINVAL; /* empty path or empty segment */
        if (!*p) { /* seg is the last segment */
            *parent = cur;
            *rest = here;
            return 0;
        }
        cJSON *next;
        if (cJSON_IsArray(cur)) {
            long i = rci_path_index(seg, len);
            next = i < 0 ? NULL : cJSON_GetArrayItem(cur, (int)i);
            if (!next)
                return RC_EINVAL; /* arrays are not extended by intermediate segments */
        } else {
            next = member(cur, seg, len);
        }
        if (!next) {
            *parent = cur;
            *rest = here;
            return 0;
        }
        if (!cJSON_IsObject(next) && !cJSON_IsArray(next))
            return RC_EINVAL;
        cur = next;
    }
}

/* Wraps value in objects for each segment of rest but the first: "b.c" + v -> {"c": v} for key b. */
static cJSON *wrap(const char *rest, cJSON *value, const char **first, size_t *first_len)
{
    const char *p = rest, *seg;
    size_t len;
    bool bad = false;
    rci_path_next(&p, first, first_len, &bad);
    if (!*p)
        return value;
    cJSON *outer = cJSON_CreateObject(), *cur = outer;
    while (cur && rci_path_next(&p, &seg, &len, &bad)) {
        char *key = strndup(seg, len);
        cJSON *child = *p ? cJSON_CreateObject() : value;
        bool ok = key && child && cJSON_AddItemToObject(cur, key, child);
        free(key);
        if (!ok) {
            if (child != value)
                cJSON_Delete(child);
            cur = NULL;
            break;
        }
        cur = child;
    }
    if (!cur) { /* detach value so the caller still owns it */
        cJSON *v = outer;
        while (v && v->child && v->child != value)
            v = v->child;
        if (v && v->child == value)
            cJSON_DetachItemViaPointer(v, value);
        cJSON_Delete(outer);
        return NULL;
    }
    return outer;
}

int rc_object_set_json(rc_object *o, const char *path, cJSON *value)
{
    cJSON *root = draft_root(o), *parent;
    const char *rest;
    if (!value)
        return RC_EINVAL;
    if (!root || !path || walk(root, path, &parent, &rest) != 0) {
        cJSON_Delete(value);
        return RC_EINVAL;
    }
    const char *seg;
    size_t len;
    bool nested = strchr(rest, '.') != NULL;
    if (cJSON_IsArray(parent)) {
        rci_path_next(&rest, &seg, &len, &(bool){false});
        long i = rci_path_index(seg, len);
        int n = cJSON_GetArraySize(parent);
        if (nested || i < 0 || i > n) {
            cJSON_Delete(value);
            return RC_EINVAL;
        }
        if (i == n)
            return cJSON_AddItemToArray(parent, value) ? 0 : (cJSON_Delete(value), RC_ENOMEM);
        return cJSON_ReplaceItemInArray(parent, (int)i, value) ? 0 : (cJSON_Delete(value), RC_ENOMEM);
    }
    cJSON *v = wrap(rest, value, &seg, &len);
    if (!v) {
        cJSON_Delete(value);
        return RC_ENOMEM;
    }
    char *key = strndup(seg, len);
    int rc = key ? put(parent, key, v) : RC_ENOMEM;
    if (!key)
        cJSON_Delete(v); /* value is inside v */
    free(key);
    return rc;
}

int rc_object_set_str(rc_object *o, const char *path, const char *value)
{
    if (!value || !draft_root(o))
        return RC_EINVAL;
    cJSON *v = cJSON_CreateString(value);
    return v ? rc_object_set_json(o, path, v) : RC_ENOMEM;
}

int rc_object_set_int(rc_object *o, const char *path, int64_t value)
{
    if (!draft_root(o))
        return RC_EINVAL;
    cJSON *v = cJSON_CreateNumber((double)value);
    return v ? rc_object_set_json(o, path, v) : RC_ENOMEM;
}

int rc_object_set_bool(rc_object *o, const char *path, bool value)
{
    if (!draft_root(o))
        return RC_EINVAL;
    cJSON *v = cJSON_CreateBool(value);
    return v ? rc_object_set_json(o, path, v) : RC_ENOMEM;
}

int rc_object_remove(rc_object *o, const char *path)
{
    cJSON *root = draft_root(o), *parent;
    const char *rest;
    if (!root || !path)
        return RC_EINVAL;
    if (!path_valid(path))
        return RC_EINVAL;
    if (walk(root, path, &parent, &rest) != 0 || strchr(rest, '.'))
        return 0; /* an intermediate is missing: nothing to remove */
    const char *seg;
    size_t len;
    rci_path_next(&rest, &seg, &len, &(bool){false});
    if (cJSON_IsArray(parent)) {
        long i = rci_path_index(seg, len);
        if (i >= 0)
            cJSON_DeleteItemFromArray(parent, (int)i);
        return 0;
    }
    cJSON_Delete(cJSON_DetachItemViaPointer(parent, member(parent, seg, len)));
    return 0;
}
