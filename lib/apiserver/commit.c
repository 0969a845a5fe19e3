/* commit.c - the only place storage changes: compare-and-swap commits of a prepared object or a removal.
 * A commit succeeds only if the stored object is still the one the change was computed from (pointer
 * identity of frozen objects), so writers compute outside the lock and retry or conflict on a race, as
 * kube-apiserver's GuaranteedUpdate does over etcd. Each commit takes the next global resourceVersion. */
#include "apiserver/internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

rc_object *rci_lookup(rci_req *req, const char *key)
{
    pthread_mutex_lock(&req->srv->lock);
    rci_entry *e = rci_store_get_locked(req->res, key);
    rc_object *o = e ? rc_object_ref(e->obj) : NULL;
    pthread_mutex_unlock(&req->srv->lock);
    return o;
}

/* The namespace a new namespaced object goes into must exist and not be terminating. */
static int check_namespace_locked(rci_req *req, rc_error *err)
{
    if (!req->ri->namespaced || !req->ns[0])
        return 0;
    const rc_resource_info *nri = rc_registry_by_kind(req->srv->registry, "v1", "Namespace");
    rci_resource *nres = nri ? rci_resource_for_locked(req->srv, nri) : NULL;
    rci_entry *e = nres ? rci_store_get_locked(nres, req->ns) : NULL;
    if (!e)
        return rc_error_set(err, RC_ENOTFOUND, "namespaces \"%s\" not found", req->ns);
    if (rc_object_deletion_timestamp(e->obj))
        return rc_error_set(err, RC_EFORBIDDEN,
                            "unable to create new content in namespace %s because it is being terminated",
                            req->ns);
    return 0;
}

static int check_current_locked(rci_req *req, rc_object *cur, rc_object *expected, rc_error *err)
{
    char q[256];
    if (!expected && cur)
        return rc_error_set(err, RC_EEXISTS, "%s \"%s\" already exists", rci_qualified(req->ri, q, sizeof q),
                            req->name);
    if (expected && !cur)
        return rc_error_set(err, RC_ENOTFOUND, "%s \"%s\" not found", rci_qualified(req->ri, q, sizeof q),
                            req->name);
    if (expected && cur != expected)
        return RC_EAGAIN;
    return expected ? 0 : check_namespace_locked(req, err);
}

static void stamp_rv(cJSON *tree, uint64_t rv)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRIu64, rv);
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(tree, "metadata");
    if (!cJSON_IsObject(meta))
        meta = cJSON_AddObjectToObject(tree, "metadata");
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "resourceVersion");
    cJSON_AddStringToObject(meta, "resourceVersion", buf);
}

int rci_commit_write(rci_req *req, const char *key, cJSON *tree, rc_object *expected, rc_object **out,
                     rc_error *err)
{
    rc_apiserver *srv = req->srv;
    pthread_mutex_lock(&srv->lock);
    rci_entry *e = rci_store_get_locked(req->res, key);
    int rc = check_current_locked(req, e ? e->obj : NULL, expected, err);
    rc_object *obj = NULL;
    if (rc == 0) {
        if (!req->dry_run)
            stamp_rv(tree, srv->rv + 1);
        obj = rc_object_from_cjson(tree, err);
        if (!obj)
            rc = err && err->code ? err->code : RC_ENOMEM;
    }
    if (rc == 0 && !req->dry_run) {
        srv->rv++;
        rc = rci_store_apply_locked(req, key, obj, NULL, err);
        if (rc != 0)
            srv->rv--;
        else
            req->result_rv = srv->rv;
    }
    pthread_mutex_unlock(&srv->lock);
    if (rc == 0 && out)
        *out = obj;
    else
        rc_object_unref(obj);
    return rc;
}

static void after_delete(rci_req *req, const rc_object *final)
{
    const rc_resource_info *ri = req->ri;
    if (!strcmp(ri->group, "apiextensions.k8s.io") && !strcmp(ri->kind, "CustomResourceDefinition"))
        rci_crd_removed(req, final);
    if (ri->namespaced && req->ns[0])
        rci_namespace_maybe_finalize(req, req->ns);
}

int rci_commit_delete(rci_req *req, const char *key, rc_object *expected, rc_object **out, rc_error *err)
{
    rc_apiserver *srv = req->srv;
    pthread_mutex_lock(&srv->lock);
    rci_entry *e = rci_store_get_locked(req->res, key);
    int rc = check_current_locked(req, e ? e->obj : NULL, expected, err);
    rc_object *final = NULL;
    if (rc == 0) {
        final = rc_object_copy(e->obj);
        if (!req->dry_run && final) {
            char buf[24];
            snprintf(buf, sizeof buf, "%" PRIu64, srv->rv + 1);
            rc_object_set_resource_version(final, buf);
        }
        if (!final)
            rc = rc_error_set(err, RC_ENOMEM, "out of memory");
        else
            rc_object_freeze(final);
    }
    if (rc == 0 && !req->dry_run) {
        srv->rv++;
        rc = rci_store_apply_locked(req, key, NULL, final, err);
        if (rc != 0)
            srv->rv--;
        else
            req->result_rv = srv->rv;
    }
    pthread_mutex_unlock(&srv->lock);
    if (rc == 0 && !req->dry_run)
        after_delete(req, final);
    if (rc == 0 && out)
        *out = final;
    else
        rc_object_unref(final);
    return rc;
}
