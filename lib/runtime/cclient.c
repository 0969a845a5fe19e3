/* cclient.c - the client a controller writes through: an rc_client backend that forwards every request to
 * the real client and, on the way, counts it (rest_client_requests_total{verb,code}), records which verbs
 * on which resources were used (the RBAC report), and hands successful writes of tracked resources to the
 * overlay (read-your-own-writes, overlay.c). */
#include "runtime/cclient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rci_resource_id(const rc_resource_info *ri, char *buf, size_t cap)
{
    if (ri->group[0])
        snprintf(buf, cap, "%s.%s", ri->plural, ri->group);
    else
        snprintf(buf, cap, "%s", ri->plural);
}

static int note_sub(rci_cclient *cc, const char *verb, const rc_resource_info *ri, const char *sub, const char *ns)
{
    char res[160];
    snprintf(res, sizeof res, "%s%s%s", ri->plural, sub && sub[0] ? "/" : "", sub ? sub : "");
    const char *nsv = ri->namespaced ? (ns ? ns : "") : "";
    int rc = 0;
    pthread_mutex_lock(&cc->mu);
    for (size_t i = 0; i < cc->nusage; i++) {
        rci_usage *u = &cc->usage[i];
        if (!strcmp(u->verb, verb) && !strcmp(u->group, ri->group) && !strcmp(u->resource, res) &&
            !strcmp(u->namespace_, nsv))
            goto out;
    }
    if (cc->nusage == cc->capusage) {
        size_t cap = cc->capusage ? cc->capusage * 2 : 16;
        rci_usage *n = realloc(cc->usage, cap * sizeof *n);
        if (!n) {
            rc = RC_ENOMEM;
            goto out;
        }
        cc->usage = n;
        cc->capusage = cap;
    }
    rci_usage *u = &cc->usage[cc->nusage];
    memset(u, 0, sizeof *u);
    snprintf(u->verb, sizeof u->verb, "%s", verb);
    u->group = strdup(ri->group);
    u->resource = strdup(res);
    u->namespace_ = strdup(nsv);
    u->namespaced = ri->namespaced;
    if (!u->group || !u->resource || !u->namespace_) {
        free(u->group);
        free(u->resource);
        free(u->namespace_);
        rc = RC_ENOMEM;
        goto out;
    }
    cc->nusage++;
out:
    pthread_mutex_unlock(&cc->mu);
    return rc;
}

int rci_cclient_note(rci_cclient *cc, const char *verb, const rc_resource_info *ri, const char *ns)
{
    return note_sub(cc, verb, ri, "", ns);
}

size_t rci_cclient_usage(rci_cclient *cc, rci_usage **out)
{
    *out = NULL;
    pthread_mutex_lock(&cc->mu);
    size_t n = cc->nusage;
    rci_usage *copy = n ? calloc(n, sizeof *copy) : NULL;
    for (size_t i = 0; copy && i < n; i++) {
        copy[i] = cc->usage[i];
        copy[i].group = strdup(cc->usage[i].group);
        copy[i].resource = strdup(cc->usage[i].resource);
        copy[i].namespace_ = strdup(cc->usage[i].namespace_);
        if (!copy[i].group || !copy[i].resource || !copy[i].namespace_) {
            rci_usage_free(copy, i + 1);
            copy = NULL;
        }
    }
    pthread_mutex_unlock(&cc->mu);
    *out = copy;
    return copy ? n : 0;
}

void rci_usage_free(rci_usage *u, size_t n)
{
    for (size_t i = 0; u && i < n; i++) {
        free(u[i].group);
        free(u[i].resource);
        free(u[i].namespace_);
    }
    free(u);
}

int rci_cclient_track(rci_cclient *cc, const char *id)
{
    pthread_mutex_lock(&cc->mu);
    int rc = 0;
    bool found = false;
    for (size_t i = 0; i < cc->ntracked && !found; i++)
        found = !strcmp(cc->tracked[i], id);
    if (!found) {
        char **n = realloc(cc->tracked, (cc->ntracked + 1) * sizeof *n);
        char *copy = strdup(id);
        if (n)
            cc->tracked = n;
        if (!n || !copy) {
            free(copy);
            rc = RC_ENOMEM;
        } else {
            cc->tracked[cc->ntracked++] = copy;
        }
    }
    pthread_mutex_unlock(&cc->mu);
    return rc;
}

static bool tracked(rci_cclient *cc, const char *id)
{
    if (!cc->overlay)
        return false;
    pthread_mutex_lock(&cc->mu);
    bool found = false;
    for (size_t i = 0; i < cc->ntracked && !found; i++)
        found = !strcmp(cc->tracked[i], id);
    pthread_mutex_unlock(&cc->mu);
    return found;
}

/* Bookkeeping common to every request: metrics and usage. */
static int account(rci_cclient *cc, const char *verb, const rc_resource_info *ri, const char *sub, const char *ns,
                   int rc)
{
    rci_metrics_request(cc->requests, verb, rc);
    note_sub(cc, verb, ri, sub, ns);
    return rc;
}

/* After a successful write of the object itself or its status, the overlay learns the result. */
static void remember(rci_cclient *cc, const rc_resource_info *ri, const char *sub, const rc_object *obj,
                     bool removed)
{
    if (!obj || (sub && sub[0] && strcmp(sub, "status")))
        return;
    char id[160];
    rci_resource_id(ri, id, sizeof id);
    if (tracked(cc, id))
        rci_overlay_record(cc, id, obj, removed);
}

/* Hands the result to the caller (or drops it). */
static void give(rc_object *got, rc_object **out)
{
    if (out)
        *out = got;
    else
        rc_object_unref(got);
}

static int cc_get(void *ctx, const rc_resource_info *ri, const char *ns, const char *name, const char *sub,
                  rc_object **out, rc_error *err)
{
    rci_cclient *cc = ctx;
    char id[160];
    rci_resource_id(ri, id, sizeof id);
    int rc = rc_client_get_subresource(cc->inner, id, ns, name, sub, out, err);
    return account(cc, "get", ri, sub, ns, rc);
}

static int cc_list(void *ctx, const rc_resource_info *ri, const char *ns, const rc_list_options *opts,
                   rc_object_list *out, rc_error *err)
{
    rci_cclient *cc = ctx;
    char id[160];
    rci_resource_id(ri, id, sizeof id);
    int rc = rc_client_list(cc->inner, id, ns, opts, out, err);
    return account(cc, "list", ri, "", ns, rc);
}

typedef int (*object_write_fn)(rc_client *c, const char *resource, const char *ns, rc_object *obj,
                               const rc_write_options *opts, rc_object **out, rc_error *err);

/* create and update: write through the inner client, remember the result for read-your-own-writes.
 * acct_ns is the namespace the request is counted under; NULL = ns, or obj's after the call. */
static int cc_write(const char *verb, object_write_fn write, void *ctx, const rc_resource_info *ri, const char *ns,
                    rc_object *obj, const char *acct_ns, const rc_write_options *opts, rc_object **out,
                    rc_error *err)
{
    rci_cclient *cc = ctx;
    char id[160];
    rci_resource_id(ri, id, sizeof id);
    const char *sub = opts ? opts->subresource : NULL;
    rc_object *got = NULL;
    int rc = write(cc->inner, id, ns, obj, opts, &got, err);
    if (!rc && !(opts && opts->dry_run))
        remember(cc, ri, sub, got, false);
    give(got, out);
    return account(cc, verb, ri, sub, acct_ns ? acct_ns : ns && ns[0] ? ns : rc_object_namespace(obj), rc);
}

static int cc_create(void *ctx, const rc_resource_info *ri, const char *ns, rc_object *obj,
                     const rc_write_options *opts, rc_object **out, rc_error *err)
{
    return cc_write("create", rc_client_create, ctx, ri, ns, obj, NULL, opts, out, err);
}

/* create_owned and update_status_owned: obj is released by the inner call, so the namespace the request is
 * counted under is copied first (one too long for the copy goes the borrowing way). */
static int cc_write_owned(const char *verb, object_write_fn write, object_write_fn borrowing, void *ctx,
                          const rc_resource_info *ri, const char *ns, rc_object *obj, const rc_write_options *opts,
                          rc_object **out, rc_error *err)
{
    const char *acct = ns && ns[0] ? ns : rc_object_namespace(obj);
    size_t n = acct ? strlen(acct) : 0;
    char acct_ns[256];
    if (n >= sizeof acct_ns) {
        int rc = cc_write(verb, borrowing, ctx, ri, ns, obj, NULL, opts, out, err);
        rc_object_unref(obj);
        return rc;
    }
    memcpy(acct_ns, acct ? acct : "", n + 1);
    return cc_write(verb, write, ctx, ri, ns, obj, acct_ns, opts, out, err);
}

static int cc_create_owned(void *ctx, const rc_resource_info *ri, const char *ns, rc_object *obj,
                           const rc_write_options *opts, rc_object **out, rc_error *err)
{
    return cc_write_owned("create", rc_client_create_owned, rc_client_create, ctx, ri, ns, obj, opts, out, err);
}

static int cc_update_status_owned(void *ctx, const rc_resource_info *ri, const char *ns, rc_object *obj,
                                  const rc_write_options *opts, rc_object **out, rc_error *err)
{
    return cc_write_owned("update", rc_client_update_status_owned, rc_client_update, ctx, ri, ns, obj, opts, out,
                          err);
}

static int cc_update(void *ctx, const rc_resource_info *ri, const char *ns, rc_object *obj,
                     const rc_write_options *opts, rc_object **out, rc_error *err)
{
    return cc_write("update", rc_client_update, ctx, ri, ns, obj, NULL, opts, out, err);
}

static int cc_patch(void *ctx, const rc_resource_info *ri, const char *ns, const char *name, rc_patch_type type,
                    const char *data, size_t len, const rc_write_options *opts, rc_object **out, rc_error *err)
{
    rci_cclient *cc = ctx;
    char id[160];
    rci_resource_id(ri, id, sizeof id);
    const char *sub = opts ? opts->subresource : NULL;
    rc_object *got = NULL;
    int rc = rc_client_patch(cc->inner, id, ns, name, type, data, len, opts, &got, err);
    if (!rc && !(opts && opts->dry_run))
        remember(cc, ri, sub, got, false);
    give(got, out);
    return account(cc, "patch", ri, sub, ns, rc);
}

static int cc_delete(void *ctx, const rc_resource_info *ri, const char *ns, const char *name,
                     const rc_delete_options *opts, rc_object **out, rc_error *err)
{
    rci_cclient *cc = ctx;
    char id[160];
    rci_resource_id(ri, id, sizeof id);
    rc_object *got = NULL;
    int rc = rc_client_delete(cc->inner, id, ns, name, opts, &got, err);
    if (!rc && got && !(opts && opts->dry_run)) {
        /* Still present (finalizers, grace period) it carries a deletionTimestamp; else it is gone. */
        remember(cc, ri, "", got, !rc_object_deletion_timestamp(got));
    }
    give(got, out);
    return account(cc, "delete", ri, "", ns, rc);
}

static int cc_delete_collection(void *ctx, const rc_resource_info *ri, const char *ns,
                                const rc_list_options *list_opts, const rc_delete_options *opts, rc_error *err)
{
    rci_cclient *cc = ctx;
    char id[160];
    rci_resource_id(ri, id, sizeof id);
    int rc = rc_client_delete_collection(cc->inner, id, ns, list_opts, opts, err);
    return account(cc, "deletecollection", ri, "", ns, rc);
}

static int cc_watch(void *ctx, const rc_resource_info *ri, const char *ns, const rc_list_options *opts,
                    rc_watch **out, rc_error *err)
{
    rci_cclient *cc = ctx;
    char id[160];
    rci_resource_id(ri, id, sizeof id);
    int rc = rc_client_watch(cc->inner, id, ns, opts, out, err);
    return account(cc, "watch", ri, "", ns, rc);
}

static rc_registry *cc_registry(void *ctx)
{
    rci_cclient *cc = ctx;
    return rc_client_registry(cc->inner);
}

static void cc_destroy(void *ctx)
{
    rci_cclient *cc = ctx;
    rci_overlay_free_entries(cc);
    for (size_t i = 0; i < cc->ntracked; i++)
        free(cc->tracked[i]);
    free(cc->tracked);
    rci_usage_free(cc->usage, cc->nusage);
    pthread_mutex_destroy(&cc->mu);
    rc_client_unref(cc->inner);
    free(cc);
}

static const rc_client_ops cclient_ops = {
    .get = cc_get,
    .list = cc_list,
    .create = cc_create,
    .update = cc_update,
    .patch = cc_patch,
    .delete_ = cc_delete,
    .delete_collection = cc_delete_collection,
    .watch = cc_watch,
    .registry = cc_registry,
    .destroy = cc_destroy,
    .create_owned = cc_create_owned,
    .update_status_owned = cc_update_status_owned,
};

rc_client *rci_cclient_new(rc_client *inner, rc_metric *requests, bool overlay, rci_cclient **state)
{
    rci_cclient *cc = calloc(1, sizeof *cc);
    if (!cc)
        return NULL;
    cc->inner = rc_client_ref(inner);
    cc->requests = requests;
    cc->overlay = overlay;
    pthread_mutex_init(&cc->mu, NULL);
    rci_map_init(&cc->entries);
    rc_client *c = rc_client_new(&cclient_ops, cc);
    if (c && state)
        *state = cc;
    return c;
}
