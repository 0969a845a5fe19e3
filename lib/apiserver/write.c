/* write.c - the create and update request flow: metadata the server owns (uid, timestamps, generation,
 * resourceVersion, generateName), the status-subresource rule, then defaulting -> mutating admission ->
 * CRD schema -> validation -> validating admission (all outside the lock), then a compare-and-swap commit
 * that retries unconditional updates on a race and answers Conflict for stale resourceVersions. */
#include "apiserver/internal.h"
#include "api/object_internal.h"
#include "apiserver/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/hooks.h"
#include "apiserver/tree_equal.h"
#include "apiserver/limits.h"

#define MAX_UPDATE_RETRIES 16
#define MAX_GENERATE_NAME_RETRIES 8

int rci_conflict(const rci_req *req, rc_error *err)
{
    char q[256];
    return rc_error_set(err, RC_ECONFLICT,
                        "Operation cannot be fulfilled on %s \"%s\": the object has been modified; please apply "
                        "your changes to the latest version and try again",
                        rci_qualified(req->ri, q, sizeof q), req->name);
}

static cJSON *metadata_of(cJSON *tree)
{
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(tree, "metadata");
    if (!cJSON_IsObject(meta)) {
        cJSON_DeleteItemFromObjectCaseSensitive(tree, "metadata");
        meta = cJSON_AddObjectToObject(tree, "metadata");
    }
    return meta;
}

static const char *str_member(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void set_str(cJSON *obj, const char *key, const char *value)
{
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    if (value)
        cJSON_AddStringToObject(obj, key, value);
}

/* Replaces obj[key] with a copy of from[key] (or removes it when from has none). */
static void copy_member(cJSON *obj, const cJSON *from, const char *key)
{
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(from, key);
    if (v)
        cJSON_AddItemToObject(obj, key, cJSON_Duplicate(v, 1));
}

static bool is_kind(const rc_resource_info *ri, const char *group, const char *kind)
{
    return !strcmp(ri->group, group) && !strcmp(ri->kind, kind);
}

/* An update of a CustomResourceDefinition itself (not its status) that will be stored. */
static bool is_crd_spec_write(const rci_req *req)
{
    return is_kind(req->ri, "apiextensions.k8s.io", "CustomResourceDefinition") && !req->subresource[0] &&
           !req->dry_run;
}

/* apiVersion/kind must name the request's resource; absent ones are filled in. */
static int check_type(rci_req *req, cJSON *tree, rc_error *err)
{
    char want[128];
    rc_resource_api_version(req->ri, want, sizeof want);
    const char *av = str_member(tree, "apiVersion"), *kind = str_member(tree, "kind");
    if ((av && strcmp(av, want)) || (kind && strcmp(kind, req->ri->kind)))
        return rc_error_set(err, RC_EBADREQUEST,
                            "the API version in the data (%s) and kind (%s) do not match the resource %s, %s",
                            av ? av : "", kind ? kind : "", want, req->ri->kind);
    if (!av)
        cJSON_AddStringToObject(tree, "apiVersion", want);
    if (!kind)
        cJSON_AddStringToObject(tree, "kind", req->ri->kind);
    return 0;
}

/* True when a and b agree on every top-level member except metadata (and status when skip_status). */
static bool spec_equal(const cJSON *a, const cJSON *b, bool skip_status)
{
    size_t na = 0, nb = 0;
    for (const cJSON *x = a->child; x; x = x->next) {
        if (!strcmp(x->string, "metadata") || (skip_status && !strcmp(x->string, "status")))
            continue;
        na++;
        const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
        if (!y || !rci_tree_equal(x, y))
            return false;
    }
    for (const cJSON *y = b->child; y; y = y->next)
        if (strcmp(y->string, "metadata") && !(skip_status && !strcmp(y->string, "status")))
            nb++;
    return na == nb;
}

static int run_mutating(rci_req *req, rc_admission_op op, cJSON *tree, const cJSON *old, rc_error *err)
{
    rc_admission_request ar = {.operation = op, .resource = req->ri, .subresource = req->subresource,
                               .namespace_ = req->ns, .name = req->name, .object = tree, .old_object = old,
                               .user = req->user, .dry_run = req->dry_run, .client = req->srv->system};
    for (size_t i = 0; i < req->srv->nplugins; i++) {
        const rc_admission_plugin *p = &req->srv->plugins[i];
        int rc = p->mutate ? p->mutate(p->ctx, &ar, err) : 0;
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int run_validating(rci_req *req, rc_admission_op op, cJSON *tree, const cJSON *old, rc_error *err)
{
    rc_admission_request ar = {.operation = op, .resource = req->ri, .subresource = req->subresource,
                               .namespace_ = req->ns, .name = req->name, .object = tree, .old_object = old,
                               .user = req->user, .dry_run = req->dry_run, .client = req->srv->system};
    for (size_t i = 0; i < req->srv->nplugins; i++) {
        const rc_admission_plugin *p = &req->srv->plugins[i];
        int rc = p->validate ? p->validate(p->ctx, &ar, err) : 0;
        if (rc != 0)
            return rc;
    }
    return 0;
}

int rci_admit_delete(rci_req *req, const cJSON *old_tree, rc_error *err)
{
    int rc = run_mutating(req, RC_ADMIT_DELETE, NULL, old_tree, err);
    return rc ? rc : run_validating(req, RC_ADMIT_DELETE, NULL, old_tree, err);
}

/* defaulting, mutating admission, CRD schema, validation, validating admission */
static int admit_and_validate(rci_req *req, rc_admission_op op, cJSON *tree, const cJSON *old, rc_error *err)
{
    int limits = rci_limits_check(tree, err);
    if (limits != 0)
        return limits;
    if (req->strict_fields && strcmp(req->subresource, "scale") != 0) {
        int strict = rci_apiserver_unknown_fields(req->ri, tree, err);
        if (strict != 0)
            return strict;
    }
    rci_apiserver_default(req->ri, tree);
    int rc = run_mutating(req, op, tree, old, err);
    if (rc != 0)
        return rc;
    if (req->srv->nplugins)
        rci_apiserver_default(req->ri, tree); /* what plugins added is defaulted too */
    rc = rci_crd_check_object(req, tree, err);
    if (rc == 0)
        rc = rci_apiserver_validate(req->ri, tree, old, err);
    return rc ? rc : run_validating(req, op, tree, old, err);
}

/* ---- create ---- */

static int resolve_namespace(rci_req *req, cJSON *meta, char *ns_buf, size_t cap, rc_error *err)
{
    const char *obj_ns = str_member(meta, "namespace");
    if (!req->ri->namespaced) {
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "namespace");
        req->ns = "";
        return 0;
    }
    if (obj_ns && obj_ns[0] && req->ns[0] && strcmp(obj_ns, req->ns))
        return rc_error_set(err, RC_EBADREQUEST,
                            "the namespace of the provided object does not match the namespace sent on the "
                            "request");
    const char *ns = req->ns[0] ? req->ns : obj_ns ? obj_ns : "";
    if (!ns[0])
        return rc_error_set(err, RC_EBADREQUEST, "a namespace is required for %s", req->ri->plural);
    if (ns != ns_buf)
        snprintf(ns_buf, cap, "%s", ns);
    req->ns = ns_buf;
    set_str(meta, "namespace", ns_buf);
    return 0;
}

static void stamp_create_metadata(rci_req *req, cJSON *meta)
{
    char uid[37], ts[32];
    pthread_mutex_lock(&req->srv->lock);
    rci_uuid_locked(req->srv, uid);
    pthread_mutex_unlock(&req->srv->lock);
    rci_format_time(rc_clock_now(req->srv->clock), ts, sizeof ts);
    set_str(meta, "uid", uid);
    set_str(meta, "creationTimestamp", ts);
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "deletionTimestamp");
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "deletionGracePeriodSeconds");
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "selfLink");
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "generation");
    cJSON_AddNumberToObject(meta, "generation", 1);
}

/* Picks metadata.name from generateName (a 5-character random suffix). */
static void generate_name(rci_req *req, cJSON *meta, char *name_buf, size_t cap)
{
    const char *prefix = str_member(meta, "generateName");
    char suffix[6];
    pthread_mutex_lock(&req->srv->lock);
    rci_random_suffix_locked(req->srv, suffix, 5);
    pthread_mutex_unlock(&req->srv->lock);
    snprintf(name_buf, cap, "%s%s", prefix, suffix);
    set_str(meta, "name", name_buf);
}

int rci_create(rci_req *req, const cJSON *input, rc_object **out, rc_error *err)
{
    if (!cJSON_IsObject(input))
        return rc_error_set(err, RC_EBADREQUEST, "the body of the request must be a JSON object");
    cJSON *tree = cJSON_Duplicate(input, 1);
    if (!tree)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    return rci_create_owned(req, tree, out, err);
}

int rci_create_owned(rci_req *req, cJSON *tree, rc_object **out, rc_error *err)
{
    if (!cJSON_IsObject(tree)) {
        cJSON_Delete(tree);
        return rc_error_set(err, RC_EBADREQUEST, "the body of the request must be a JSON object");
    }
    cJSON *meta = metadata_of(tree);
    char *name_buf = req->name_buf;
    size_t name_cap = sizeof req->name_buf;
    const char *rv = str_member(meta, "resourceVersion");
    int rc = check_type(req, tree, err);
    if (rc == 0 && rv && rv[0])
        rc = rc_error_set(err, RC_EBADREQUEST, "resourceVersion should not be set on objects to be created");
    if (rc == 0)
        rc = resolve_namespace(req, meta, req->ns_buf, sizeof req->ns_buf, err);
    const char *name = str_member(meta, "name");
    bool generated = (!name || !name[0]) && str_member(meta, "generateName") && str_member(meta, "generateName")[0];
    if (rc == 0 && generated)
        generate_name(req, meta, name_buf, name_cap);
    else if (rc == 0 && name)
        snprintf(name_buf, name_cap, "%s", name);
    else
        name_buf[0] = '\0';
    req->name = name_buf;
    if (rc == 0) {
        stamp_create_metadata(req, meta);
        rc = rci_prepare_create_kind(req, tree, err);
    }
    if (rc == 0)
        rc = admit_and_validate(req, RC_ADMIT_CREATE, tree, NULL, err);
    if (rc == 0)
        rc = rci_after_validate_kind(req, tree, err);
    if (rc == 0)
        rci_managed_record(req, tree, NULL);
    if (rc != 0) {
        cJSON_Delete(tree);
        return rc;
    }
    char key[600];
    rc_object *obj = NULL;
    for (int attempt = 0;; attempt++) {
        rc_key_format(key, sizeof key, req->ns, req->name);
        rc = rci_commit_write(req, key, tree, NULL, &obj, err);
        if (rc != RC_EEXISTS || !generated || attempt == MAX_GENERATE_NAME_RETRIES)
            break;
        rc_error_clear(err);
        generate_name(req, metadata_of(tree), name_buf, name_cap);
    }
    cJSON_Delete(tree);
    if (rc != 0) {
        rci_create_failed_kind(req);
        return rc;
    }
    if (!req->dry_run)
        rci_after_create_kind(req, obj);
    if (out)
        *out = obj;
    else
        rc_object_unref(obj);
    return 0;
}

/* ---- update ---- */

/* Server-owned metadata comes from the stored object; the main resource ignores status changes for kinds
 * with a status subresource; generation moves when anything but metadata/status changed. */
static int prepare_update(rci_req *req, cJSON *tree, const cJSON *old, rc_error *err)
{
    int rc = check_type(req, tree, err);
    if (rc != 0)
        return rc;
    cJSON *meta = metadata_of(tree);
    const cJSON *old_meta = cJSON_GetObjectItemCaseSensitive(old, "metadata");
    const char *name = str_member(meta, "name");
    if (name && name[0] && strcmp(name, req->name))
        return rc_error_set(err, RC_EBADREQUEST,
                            "the name of the object (%s) does not match the name on the URL (%s)", name,
                            req->name);
    static const char *const owned[] = {"name", "namespace", "uid", "creationTimestamp", "deletionTimestamp",
                                        "deletionGracePeriodSeconds", "resourceVersion", "generation"};
    for (size_t i = 0; i < sizeof owned / sizeof *owned; i++)
        copy_member(meta, old_meta, owned[i]);
    if (cJSON_GetObjectItemCaseSensitive(old_meta, "deletionTimestamp")) {
        const cJSON *fins = cJSON_GetObjectItemCaseSensitive(meta, "finalizers");
        const cJSON *old_fins = cJSON_GetObjectItemCaseSensitive(old_meta, "finalizers");
        const cJSON *f;
        cJSON_ArrayForEach(f, fins)
        {
            bool known = false;
            const cJSON *g;
            cJSON_ArrayForEach(g, old_fins) known = known || rci_tree_equal(f, g);
            if (!known) {
                rc_error_set(err, RC_EINVAL, "%s \"%s\" is invalid: metadata.finalizers: Forbidden: no new "
                             "finalizers can be added if the object is being deleted", req->ri->kind, req->name);
                rc_error_add_cause(err, "metadata.finalizers", "FieldValueForbidden",
                                   "no new finalizers can be added if the object is being deleted");
                return RC_EINVAL;
            }
        }
    }
    if (!req->subresource[0] && req->ri->has_status)
        copy_member(tree, old, "status");
    /* rci_status_tree kept every member but status and metadata: nothing spec_equal looks at changed */
    bool status_write = !strcmp(req->subresource, "status") && req->ri->has_status;
    if (!status_write && !spec_equal(tree, old, req->ri->has_status)) {
        const cJSON *gen = cJSON_GetObjectItemCaseSensitive(old_meta, "generation");
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "generation");
        cJSON_AddNumberToObject(meta, "generation", (cJSON_IsNumber(gen) ? gen->valuedouble : 0) + 1);
    }
    return 0;
}

/* The status subresource as upstream's status strategies: spec (everything but metadata and status) stays;
 * a custom resource keeps all its metadata too; a built-in kind takes metadata changes except those its
 * strategy resets (Deployment and StatefulSet labels, Pod ownerReferences). */
cJSON *rci_status_tree(rci_req *req, const cJSON *old_tree, const cJSON *incoming)
{
    if (rci_crd_is_custom(req->srv, req->ri)) {
        cJSON *tree = cJSON_Duplicate(old_tree, 1);
        if (tree)
            copy_member(tree, incoming, "status");
        return tree;
    }
    /* the stored members but status and metadata, then the incoming status and metadata (the order the
     * members had when this copied the whole stored object and replaced those two) - without copying the
     * stored status and metadata only to drop them. Unless a plugin of the caller's could change them,
     * nothing does (defaulting leaves a defaulted object as it is; the built-in plugins change whole-object
     * pod creates only), so the tree shares them with old_tree, which outlives it: the write neither copies
     * them nor compares them node by node (rci_tree_equal). */
    bool share = req->srv->nplugins == req->srv->nbuiltin_plugins;
    cJSON *tree = cJSON_CreateObject();
    bool ok = tree != NULL;
    for (const cJSON *m = old_tree ? old_tree->child : NULL; ok && m; m = m->next) {
        if (!m->string || !strcmp(m->string, "status") || !strcmp(m->string, "metadata"))
            continue;
        cJSON *dup = !share                ? cJSON_Duplicate(m, 1)
                     : cJSON_IsObject(m) ? cJSON_CreateObjectReference(m->child)
                     : cJSON_IsArray(m)  ? cJSON_CreateArrayReference(m->child)
                                         : cJSON_Duplicate(m, 1);
        ok = dup && cJSON_AddItemToObject(tree, m->string, dup);
        if (!ok)
            cJSON_Delete(dup);
    }
    static const char *const taken[] = {"status", "metadata"};
    for (size_t i = 0; ok && i < 2; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(incoming, taken[i]);
        cJSON *dup = v ? cJSON_Duplicate(v, 1) : NULL;
        ok = !v || (dup && cJSON_AddItemToObject(tree, taken[i], dup));
        if (!ok)
            cJSON_Delete(dup);
    }
    if (!ok) {
        cJSON_Delete(tree);
        return NULL;
    }
    cJSON *meta = metadata_of(tree);
    const cJSON *old_meta = cJSON_GetObjectItemCaseSensitive(old_tree, "metadata");
    if (is_kind(req->ri, "apps", "Deployment") || is_kind(req->ri, "apps", "StatefulSet"))
        copy_member(meta, old_meta, "labels");
    else if (is_kind(req->ri, "", "Pod"))
        copy_member(meta, old_meta, "ownerReferences");
    return tree;
}

/* An object being deleted whose last finalizer went away is removed when its grace period is 0 or over;
 * a pod still in its grace period is left for its kubelet or the grace-period timer. */
static bool delete_after_update(rci_req *req, const rc_object *obj)
{
    const char *ts = rc_object_deletion_timestamp(obj);
    if (!ts || rc_object_finalizer_count(obj) > 0)
        return false;
    if (rc_object_get_int(obj, "metadata.deletionGracePeriodSeconds", 0) == 0)
        return true;
    rc_time t;
    return rci_parse_time(ts, &t) && t <= rc_clock_now(req->srv->clock);
}

/* The whole objects are equal; the member the write is most likely to have changed is compared first. */
static bool trees_equal(const rci_req *req, const cJSON *tree, const cJSON *old_tree)
{
    const char *likely = !strcmp(req->subresource, "status") ? "status" : "spec";
    const cJSON *now = cJSON_GetObjectItemCaseSensitive(tree, likely);
    const cJSON *was = cJSON_GetObjectItemCaseSensitive(old_tree, likely);
    if ((now || was) && !rci_tree_equal(now, was))
        return false;
    return rci_tree_equal(tree, old_tree);
}

static int update_once(rci_req *req, rci_change_fn fn, void *ctx, rc_object *old, rc_object **out, rc_error *err)
{
    cJSON *old_tree = rci_object_to_cjson_readonly(old); /* only read and copied from */
    cJSON *tree = NULL;
    bool conditional = false;
    int rc = old_tree ? fn(ctx, req, old, old_tree, &tree, &conditional, err)
                      : rc_error_set(err, RC_ENOMEM, "out of memory");
    if (rc == 0 && rci_fault_conflict(req))
        rc = rci_conflict(req, err);
    if (rc == 0)
        rc = prepare_update(req, tree, old_tree, err);
    if (rc == 0)
        rc = admit_and_validate(req, RC_ADMIT_UPDATE, tree, old_tree, err);
    if (rc == 0 && is_crd_spec_write(req))
        rc = rci_crd_reregister(req, tree, old_tree, err);
    bool unchanged = rc == 0 && trees_equal(req, tree, old_tree);
    if (rc == 0 && !unchanged)
        rci_managed_record(req, tree, old_tree);
    if (unchanged) {
        if (out)
            *out = rc_object_ref(old);
    } else if (rc == 0) {
        char key[600];
        rc_key_format(key, sizeof key, req->ns, req->name);
        rc_object *obj = NULL;
        rc = rci_commit_write(req, key, tree, old, &obj, err);
        if (rc != 0)
            rci_crd_reregister_failed(req);
        if (rc == RC_EAGAIN && conditional)
            rc = rci_conflict(req, err);
        if (rc == 0 && !req->dry_run && delete_after_update(req, obj)) {
            rc_object *final = NULL;
            if (rci_commit_delete(req, key, obj, &final, NULL) == 0) {
                rc_object_unref(obj);
                obj = final;
            }
        }
        if (rc == 0 && out)
            *out = obj;
        else
            rc_object_unref(obj);
    }
    cJSON_Delete(tree);
    cJSON_Delete(old_tree);
    return rc;
}

int rci_update_with(rci_req *req, rci_change_fn fn, void *ctx, rc_object **out, rc_error *err)
{
    char key[600];
    rc_key_format(key, sizeof key, req->ns, req->name);
    for (int attempt = 0; attempt < MAX_UPDATE_RETRIES; attempt++) {
        rc_object *old = rci_lookup(req, key);
        if (!old) {
            char q[256];
            return rc_error_set(err, RC_ENOTFOUND, "%s \"%s\" not found", rci_qualified(req->ri, q, sizeof q),
                                req->name);
        }
        int rc = update_once(req, fn, ctx, old, out, err);
        rc_object_unref(old);
        if (rc != RC_EAGAIN)
            return rc;
    }
    return rci_conflict(req, err);
}

static int change_by_replace(void *ctx, rci_req *req, const rc_object *old, const cJSON *old_tree, cJSON **tree,
                             bool *conditional, rc_error *err)
{
    const cJSON *input = ctx;
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(input, "metadata");
    const char *rv = str_member(meta, "resourceVersion");
    if (rv && rv[0] && strcmp(rv, rc_object_resource_version(old)))
        return rci_conflict(req, err);
    *conditional = rv && rv[0];
    *tree = !strcmp(req->subresource, "status") ? rci_status_tree(req, old_tree, input) : cJSON_Duplicate(input, 1);
    return *tree ? 0 : rc_error_set(err, RC_ENOMEM, "out of memory");
}

int rci_update(rci_req *req, const cJSON *input, rc_object **out, rc_error *err)
{
    if (!cJSON_IsObject(input))
        return rc_error_set(err, RC_EBADREQUEST, "the body of the request must be a JSON object");
    if (!strcmp(req->subresource, "status") && !req->ri->has_status) {
        char q[256];
        return rc_error_set(err, RC_ENOTFOUND, "%s \"%s\" has no status subresource",
                            rci_qualified(req->ri, q, sizeof q), req->name);
    }
    return rci_update_with(req, change_by_replace, (void *)input, out, err);
}
