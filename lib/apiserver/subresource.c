/* subresource.c - the scale subresource (autoscaling/v1 Scale over spec.replicas / status.replicas /
 * spec.selector, or a CRD's specReplicasPath / statusReplicasPath / labelSelectorPath) for kinds that have it, and pods/binding (what a scheduler posts to assign a node). Both
 * are updates of the parent object through the common update flow. */
#include "apiserver/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int no_scale(const rci_req *req, rc_error *err)
{
    char q[256];
    return rc_error_set(err, RC_ENOTFOUND, "%s \"%s\" has no scale subresource",
                        rci_qualified(req->ri, q, sizeof q), req->name);
}

static void copy_meta_str(cJSON *to, const cJSON *from, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(from, key);
    if (cJSON_IsString(v))
        cJSON_AddStringToObject(to, key, v->valuestring);
}

/* Where the Scale of req's resource lives: the CRD's paths, else spec.replicas/status.replicas with the
 * selector taken from spec.selector (selector_is_label_selector). */
static void paths_for(const rci_req *req, rci_scale_paths *p, bool *selector_is_label_selector)
{
    *selector_is_label_selector = !rci_crd_scale_paths(req->srv, req->ri, p);
    if (*selector_is_label_selector)
        *p = (rci_scale_paths){"spec.replicas", "status.replicas", "spec.selector"};
}

static cJSON *scale_of(const rci_req *req, const cJSON *obj)
{
    rci_scale_paths paths;
    bool label_selector;
    paths_for(req, &paths, &label_selector);
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "apiVersion", "autoscaling/v1");
    cJSON_AddStringToObject(s, "kind", "Scale");
    cJSON *meta = cJSON_AddObjectToObject(s, "metadata");
    const cJSON *om = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    static const char *const keys[] = {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        copy_meta_str(meta, om, keys[i]);
    rc_node root = rc_node_from_cjson(obj);
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(s, "spec"), "replicas",
                            (double)rc_node_int(rc_node_at(root, paths.spec_replicas), 0));
    cJSON *status = cJSON_AddObjectToObject(s, "status");
    cJSON_AddNumberToObject(status, "replicas", (double)rc_node_int(rc_node_at(root, paths.status_replicas), 0));
    rc_node sel = paths.label_selector[0] ? rc_node_at(root, paths.label_selector) : (rc_node){0};
    if (!label_selector && rc_node_str(sel)) {
        cJSON_AddStringToObject(status, "selector", rc_node_str(sel));
    } else if (label_selector && rc_node_exists(sel)) {
        rc_selector *ls = rc_selector_from_node(sel, "spec.selector", NULL);
        char *text = ls ? rc_selector_to_string(ls) : NULL;
        if (text)
            cJSON_AddStringToObject(status, "selector", text);
        free(text);
        rc_selector_free(ls);
    }
    return s;
}

static int scale_out(const rci_req *req, const rc_object *obj, rc_object **out, rc_error *err)
{
    if (!out)
        return 0;
    cJSON *tree = rc_object_to_cjson(obj);
    cJSON *s = tree ? scale_of(req, tree) : NULL;
    *out = s ? rc_object_from_cjson(s, err) : NULL;
    cJSON_Delete(s);
    cJSON_Delete(tree);
    return *out ? 0 : rc_error_set(err, RC_ENOMEM, "out of memory");
}

int rci_get_scale(rci_req *req, rc_object **out, rc_error *err)
{
    if (!req->ri->has_scale)
        return no_scale(req, err);
    char key[600];
    rc_key_format(key, sizeof key, req->ns, req->name);
    rc_object *obj = rci_lookup(req, key);
    if (!obj) {
        char q[256];
        return rc_error_set(err, RC_ENOTFOUND, "%s \"%s\" not found", rci_qualified(req->ri, q, sizeof q),
                            req->name);
    }
    int rc = scale_out(req, obj, out, err);
    rc_object_unref(obj);
    return rc;
}

typedef struct scale_change {
    const cJSON *scale;       /* a Scale to apply, or */
    rc_patch_type patch_type; /* a patch of the current Scale */
    const cJSON *patch;
} scale_change;

/* Sets the number at a dotted path of tree, creating (or replacing non-object) parents. */
static bool set_number_at(cJSON *tree, const char *path, double value)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    cJSON *at = tree;
    char *save = NULL;
    char *part = strtok_r(buf, ".", &save);
    while (part) {
        char *next = strtok_r(NULL, ".", &save);
        if (!next) {
            cJSON_DeleteItemFromObjectCaseSensitive(at, part);
            return cJSON_AddNumberToObject(at, part, value) != NULL;
        }
        cJSON *child = cJSON_GetObjectItemCaseSensitive(at, part);
        if (!cJSON_IsObject(child)) {
            cJSON_DeleteItemFromObjectCaseSensitive(at, part);
            child = cJSON_AddObjectToObject(at, part);
        }
        if (!child)
            return false;
        at = child;
        part = next;
    }
    return false;
}

static int change_replicas(void *ctx, rci_req *req, const rc_object *old, const cJSON *old_tree, cJSON **tree,
                           bool *conditional, rc_error *err)
{
    scale_change *sc = ctx;
    cJSON *patched = NULL;
    const cJSON *scale = sc->scale;
    if (!scale) {
        cJSON *cur = scale_of(req, old_tree);
        int type = sc->patch_type == RC_PATCH_STRATEGIC ? RC_PATCH_MERGE : (int)sc->patch_type;
        patched = rc_patch_apply(type, cur, sc->patch, "autoscaling/v1", "Scale", err);
        cJSON_Delete(cur);
        if (!patched)
            return err && err->code ? err->code : RC_EBADREQUEST;
        scale = patched;
    }
    rc_node s = rc_node_from_cjson(scale);
    const char *rv = rc_node_str(rc_node_at(s, "metadata.resourceVersion"));
    rc_node replicas = rc_node_at(s, "spec.replicas");
    int rc = 0;
    if (rv && rv[0] && strcmp(rv, rc_object_resource_version(old)))
        rc = rci_conflict(req, err);
    else if (rc_node_kind(replicas) != RC_NODE_NUMBER || rc_node_int(replicas, -1) < 0) {
        rc_error_set(err, RC_EINVAL, "Scale.autoscaling \"%s\" is invalid: spec.replicas: Invalid value: %lld: must "
                     "be greater than or equal to 0", req->name, (long long)rc_node_int(replicas, -1));
        rc_error_add_cause(err, "spec.replicas", "FieldValueInvalid", "must be greater than or equal to 0");
        rc = RC_EINVAL;
    }
    if (rc == 0) {
        rci_scale_paths paths;
        bool label_selector;
        paths_for(req, &paths, &label_selector);
        *conditional = rv && rv[0] && !patched;
        *tree = cJSON_Duplicate(old_tree, 1);
        if (!*tree || !set_number_at(*tree, paths.spec_replicas, (double)rc_node_int(replicas, 0)))
            rc = rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    cJSON_Delete(patched);
    return rc;
}

static int scale_update(rci_req *req, scale_change *sc, rc_object **out, rc_error *err)
{
    if (!req->ri->has_scale)
        return no_scale(req, err);
    rc_object *obj = NULL;
    int rc = rci_update_with(req, change_replicas, sc, &obj, err);
    if (rc == 0)
        rc = scale_out(req, obj, out, err);
    rc_object_unref(obj);
    return rc;
}

int rci_update_scale(rci_req *req, const cJSON *scale, rc_object **out, rc_error *err)
{
    if (!cJSON_IsObject(scale))
        return rc_error_set(err, RC_EBADREQUEST, "the body of the request must be a Scale object");
    scale_change sc = {.scale = scale};
    return scale_update(req, &sc, out, err);
}

int rci_patch_scale(rci_req *req, rc_patch_type type, const cJSON *patch, rc_object **out, rc_error *err)
{
    scale_change sc = {.patch_type = type, .patch = patch};
    return scale_update(req, &sc, out, err);
}

/* ---- pods/binding ---- */

static int change_bind(void *ctx, rci_req *req, const rc_object *old, const cJSON *old_tree, cJSON **tree,
                       bool *conditional, rc_error *err)
{
    const char *node = ctx;
    const char *cur = rc_object_get_str(old, "spec.nodeName");
    if (cur && cur[0])
        return rc_error_set(err, RC_ECONFLICT, "Operation cannot be fulfilled on pods/binding \"%s\": pod %s is "
                            "already assigned to node \"%s\"", req->name, req->name, cur);
    *conditional = false;
    *tree = cJSON_Duplicate(old_tree, 1);
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(*tree, "spec");
    if (!cJSON_IsObject(spec))
        spec = cJSON_AddObjectToObject(*tree, "spec");
    cJSON_DeleteItemFromObjectCaseSensitive(spec, "nodeName");
    cJSON_AddStringToObject(spec, "nodeName", node);
    cJSON *status = cJSON_GetObjectItemCaseSensitive(*tree, "status");
    if (!cJSON_IsObject(status))
        status = cJSON_AddObjectToObject(*tree, "status");
    cJSON *conds = cJSON_GetObjectItemCaseSensitive(status, "conditions");
    if (!cJSON_IsArray(conds))
        conds = cJSON_AddArrayToObject(status, "conditions");
    cJSON *c;
    cJSON_ArrayForEach(c, conds)
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(c, "type");
        if (cJSON_IsString(type) && !strcmp(type->valuestring, "PodScheduled"))
            break;
    }
    if (!c) {
        c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "type", "PodScheduled");
        cJSON_AddItemToArray(conds, c);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(c, "status");
    cJSON_AddStringToObject(c, "status", "True");
    return 0;
}

int rci_create_binding(rci_req *req, const cJSON *binding, rc_object **out, rc_error *err)
{
    if (req->ri->group[0] || strcmp(req->ri->kind, "Pod"))
        return rc_error_set(err, RC_ENOTFOUND, "%s has no binding subresource", req->ri->plural);
    rc_node target = rc_node_at(rc_node_from_cjson(binding), "target.name");
    const char *node = rc_node_str(target);
    if (!node || !node[0]) {
        rc_error_set(err, RC_EINVAL, "Binding \"%s\" is invalid: target.name: Required value", req->name);
        rc_error_add_cause(err, "target.name", "FieldValueRequired", "Required value");
        return RC_EINVAL;
    }
    return rci_update_with(req, change_bind, (void *)node, out, err);
}
