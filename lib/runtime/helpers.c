/* helpers.c - the small recipes every controller repeats (controller-runtime's controllerutil): ensure or
 * remove a finalizer, run cleanup on deletion, create-or-update from the cache, and write status with a
 * retry on conflict. All writes go through the reconcile context's client (read-your-own-writes). */
#include "runtime/runtime.h"

#include <string.h>

#define STATUS_ATTEMPTS 5

static int write_finalizer(rc_reconcile_ctx *ctx, const char *resource, const rc_object *obj, const char *name,
                           bool add, rc_object **out, rc_error *err)
{
    if (!ctx || !resource || !obj || !name || !name[0])
        return rc_error_set(err, RC_EINVAL, "finalizer: resource, object and finalizer name are required");
    if (rc_object_has_finalizer(obj, name) == add) {
        if (out)
            *out = rc_object_ref((rc_object *)obj);
        return 0;
    }
    rc_object *d = rc_object_copy(obj);
    if (!d)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    int rc = add ? rc_object_add_finalizer(d, name) : rc_object_remove_finalizer(d, name);
    if (rc == 0)
        rc = rc_client_update(rc_ctx_client(ctx), resource, rc_object_namespace(obj), d, NULL, out, err);
    else
        rc_error_set(err, rc, "finalizer %s: %s", name, rc_strerror(rc));
    rc_object_unref(d);
    return rc;
}

int rc_ensure_finalizer(rc_reconcile_ctx *ctx, const char *resource, const rc_object *obj, const char *name,
                        rc_object **out, rc_error *err)
{
    return write_finalizer(ctx, resource, obj, name, true, out, err);
}

int rc_remove_finalizer(rc_reconcile_ctx *ctx, const char *resource, const rc_object *obj, const char *name,
                        rc_object **out, rc_error *err)
{
    return write_finalizer(ctx, resource, obj, name, false, out, err);
}

int rc_finalize(rc_reconcile_ctx *ctx, const char *resource, const rc_object *obj, const char *name,
                int (*cleanup)(void *arg, const rc_object *obj, rc_error *err), void *arg, rc_error *err)
{
    if (!cleanup)
        return rc_error_set(err, RC_EINVAL, "finalize: a cleanup function is required");
    if (!obj || !rc_object_deletion_timestamp(obj))
        return rc_ensure_finalizer(ctx, resource, obj, name, NULL, err);
    if (!name || !rc_object_has_finalizer(obj, name))
        return 1;
    int rc = cleanup(arg, obj, err);
    if (rc == 0)
        rc = rc_remove_finalizer(ctx, resource, obj, name, NULL, err);
    return rc ? rc : 1;
}

static rc_object *new_named_draft(rc_reconcile_ctx *ctx, const char *resource, const char *ns, const char *name,
                                  rc_error *err)
{
    const rc_resource_info *ri = rc_client_resolve(rc_ctx_client(ctx), resource, NULL, err);
    if (!ri)
        return NULL;
    char av[128];
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "apiVersion", rc_resource_api_version(ri, av, sizeof av));
    cJSON_AddStringToObject(root, "kind", ri->kind);
    cJSON *meta = cJSON_AddObjectToObject(root, "metadata");
    cJSON_AddStringToObject(meta, "name", name);
    if (ri->namespaced && ns && ns[0])
        cJSON_AddStringToObject(meta, "namespace", ns);
    rc_object *d = rc_object_new_draft(root);
    if (!d) {
        cJSON_Delete(root);
        rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    return d;
}

int rc_create_or_update(rc_reconcile_ctx *ctx, const char *resource, const char *ns, const char *name,
                        int (*mutate)(void *arg, rc_object *draft, rc_error *err), void *arg, rc_object **out,
                        rc_op_result *op, rc_error *err)
{
    if (op)
        *op = RC_OP_UNCHANGED;
    if (!ctx || !mutate || !name || !name[0])
        return rc_error_set(err, RC_EINVAL, "create_or_update: a name and a mutate function are required");
    rc_object *cur = NULL;
    int rc = rc_ctx_get(ctx, resource, ns, name, &cur, err);
    if (rc && rc != RC_ENOTFOUND)
        return rc;
    rc_error_clear(err);
    rc_object *d = cur ? rc_object_copy(cur) : new_named_draft(ctx, resource, ns, name, err);
    if (!d) {
        rc_object_unref(cur);
        return err && err->code ? err->code : RC_ENOMEM;
    }
    rc = mutate(arg, d, err);
    if (rc == 0 && (strcmp(rc_object_name(d) ? rc_object_name(d) : "", name) ||
                    (cur && strcmp(rc_object_namespace(d), rc_object_namespace(cur)))))
        rc = rc_error_set(err, RC_EINVAL, "create_or_update: mutate must not change the name or namespace");
    if (rc == 0 && !cur) {
        rc = rc_client_create(rc_ctx_client(ctx), resource, ns, d, NULL, out, err);
        if (rc == 0 && op)
            *op = RC_OP_CREATED;
    } else if (rc == 0 && rc_object_equal(d, cur)) {
        if (out)
            *out = rc_object_ref(cur);
    } else if (rc == 0) {
        rc = rc_client_update(rc_ctx_client(ctx), resource, ns, d, NULL, out, err);
        if (rc == 0 && op)
            *op = RC_OP_UPDATED;
    }
    rc_object_unref(d);
    rc_object_unref(cur);
    return rc;
}

int rc_update_status(rc_reconcile_ctx *ctx, const char *resource, const rc_object *obj,
                     int (*mutate)(void *arg, rc_object *draft, rc_error *err), void *arg, rc_object **out,
                     rc_error *err)
{
    if (!ctx || !obj || !mutate)
        return rc_error_set(err, RC_EINVAL, "update_status: an object and a mutate function are required");
    rc_client *c = rc_ctx_client(ctx);
    rc_object *cur = rc_object_ref((rc_object *)obj);
    int rc = RC_ECONFLICT;
    for (int attempt = 0; attempt < STATUS_ATTEMPTS && rc == RC_ECONFLICT; attempt++) {
        if (attempt > 0) {
            rc_error_clear(err);
            rc_object *fresh = NULL;
            rc = rc_client_get(c, resource, rc_object_namespace(obj), rc_object_name(obj), &fresh, err);
            if (rc)
                break;
            rc_object_unref(cur);
            cur = fresh;
        }
        rc_object *d = rc_object_copy(cur);
        rc = d ? mutate(arg, d, err) : rc_error_set(err, RC_ENOMEM, "out of memory");
        if (rc == 0 && rc_object_equal(d, cur)) {
            if (out)
                *out = rc_object_ref(cur);
        } else if (rc == 0) {
            rc = rc_client_update_status_owned(c, resource, rc_object_namespace(cur), d, NULL, out, err);
            d = NULL;
        }
        rc_object_unref(d);
    }
    rc_object_unref(cur);
    return rc;
}
