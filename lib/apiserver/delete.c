/* delete.c - deletion as kube-apiserver does it: preconditions, DELETE admission, graceful deletion
 * (deletionTimestamp + deletionGracePeriodSeconds; pods wait for their kubelet or the end of the grace
 * period on the clock), finalizers that keep an object until removed, propagation policies that add the
 * orphan / foregroundDeletion finalizers for the garbage collector, deletecollection, and namespace
 * termination (contents deleted, the namespace removed once empty). */
#include "apiserver/internal.h"
#include "api/object_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DELETE_RETRIES 16
#define DEFAULT_POD_GRACE 30

static bool is_kind(const rc_resource_info *ri, const char *kind)
{
    return !ri->group[0] && !strcmp(ri->kind, kind);
}

static int check_preconditions(const rc_delete_options *opts, const rc_object *old, rc_error *err)
{
    const char *uid = rc_object_uid(old), *rv = rc_object_resource_version(old);
    if (opts->precondition_uid && strcmp(opts->precondition_uid, uid ? uid : ""))
        return rc_error_set(err, RC_ECONFLICT, "Precondition failed: UID in precondition: %s, UID in object meta: %s",
                            opts->precondition_uid, uid ? uid : "");
    if (opts->precondition_resource_version && strcmp(opts->precondition_resource_version, rv ? rv : ""))
        return rc_error_set(err, RC_ECONFLICT,
                            "Precondition failed: ResourceVersion in precondition: %s, ResourceVersion in object "
                            "meta: %s",
                            opts->precondition_resource_version, rv ? rv : "");
    return 0;
}

/* Seconds the object may take to go away: only pods are deleted gracefully, and an unscheduled or
 * finished pod goes at once. */
static int64_t grace_period(const rci_req *req, const rc_delete_options *opts, const rc_object *old)
{
    if (!is_kind(req->ri, "Pod"))
        return 0;
    const char *node = rc_object_get_str(old, "spec.nodeName");
    const char *phase = rc_object_get_str(old, "status.phase");
    if (!node || !node[0] || (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))))
        return 0;
    if (opts->grace_period_seconds >= 0)
        return opts->grace_period_seconds;
    return rc_object_get_int(old, "spec.terminationGracePeriodSeconds", DEFAULT_POD_GRACE);
}

static const char *policy_finalizer(rc_propagation p)
{
    return p == RC_PROPAGATION_ORPHAN ? "orphan" : p == RC_PROPAGATION_FOREGROUND ? "foregroundDeletion" : NULL;
}

static void set_number(cJSON *obj, const char *key, double v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    cJSON_AddNumberToObject(obj, key, v);
}

/* The old object marked for deletion: deletionTimestamp, grace period, policy finalizer, generation + 1. */
static cJSON *mark_deleting(rci_req *req, const cJSON *old_tree, int64_t grace, const char *fin, bool already)
{
    cJSON *tree = cJSON_Duplicate(old_tree, 1);
    cJSON *meta = tree ? cJSON_GetObjectItemCaseSensitive(tree, "metadata") : NULL;
    if (!meta) {
        cJSON_Delete(tree);
        return NULL;
    }
    if (!already || grace < rc_node_int(rc_node_from_cjson(cJSON_GetObjectItemCaseSensitive(meta,
                                                           "deletionGracePeriodSeconds")), INT64_MAX)) {
        char ts[32];
        rci_format_time(rc_clock_now(req->srv->clock) + grace * RC_SEC, ts, sizeof ts);
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "deletionTimestamp");
        cJSON_AddStringToObject(meta, "deletionTimestamp", ts);
        set_number(meta, "deletionGracePeriodSeconds", (double)grace);
    }
    if (!already) {
        const cJSON *gen = cJSON_GetObjectItemCaseSensitive(meta, "generation");
        if (cJSON_IsNumber(gen) && gen->valuedouble > 0)
            set_number(meta, "generation", gen->valuedouble + 1);
    }
    if (fin) {
        cJSON *fins = cJSON_GetObjectItemCaseSensitive(meta, "finalizers");
        if (!cJSON_IsArray(fins))
            fins = cJSON_AddArrayToObject(meta, "finalizers");
        bool have = false;
        const cJSON *f;
        cJSON_ArrayForEach(f, fins) have = have || (cJSON_IsString(f) && !strcmp(f->valuestring, fin));
        if (!have)
            cJSON_AddItemToArray(fins, cJSON_CreateString(fin));
    }
    if (is_kind(req->ri, "Namespace")) {
        cJSON *status = cJSON_GetObjectItemCaseSensitive(tree, "status");
        if (!cJSON_IsObject(status))
            status = cJSON_AddObjectToObject(tree, "status");
        cJSON_DeleteItemFromObjectCaseSensitive(status, "phase");
        cJSON_AddStringToObject(status, "phase", "Terminating");
    }
    return tree;
}

static void delete_namespace_contents(rci_req *req, const char *ns);

static int delete_once(rci_req *req, const rc_delete_options *opts, rc_object *old, rc_object **out,
                       rc_error *err)
{
    int rc = check_preconditions(opts, old, err);
    cJSON *old_tree = rc == 0 ? rci_object_to_cjson_readonly(old) : NULL;
    if (rc == 0 && !old_tree)
        rc = rc_error_set(err, RC_ENOMEM, "out of memory");
    if (rc == 0)
        rc = rci_admit_delete(req, old_tree, err);
    if (rc != 0) {
        cJSON_Delete(old_tree);
        return rc;
    }
    char key[600];
    rc_key_format(key, sizeof key, req->ns, req->name);
    int64_t grace = grace_period(req, opts, old);
    const char *fin = policy_finalizer(opts->propagation);
    bool already = rc_object_deletion_timestamp(old) != NULL;
    bool has_fins = rc_object_finalizer_count(old) > 0 || (fin && !rc_object_has_finalizer(old, fin));
    bool is_ns = is_kind(req->ri, "Namespace");
    rc_object *obj = NULL;
    if (!has_fins && grace == 0 && !is_ns) {
        rc = rci_commit_delete(req, key, old, &obj, err);
    } else if (already && !(fin && !rc_object_has_finalizer(old, fin)) &&
               grace >= rc_object_get_int(old, "metadata.deletionGracePeriodSeconds", 0)) {
        obj = rc_object_ref(old); /* nothing to change: still waiting */
    } else {
        cJSON *tree = mark_deleting(req, old_tree, grace, fin, already);
        rc = tree ? rci_commit_write(req, key, tree, old, &obj, err) : rc_error_set(err, RC_ENOMEM, "out of memory");
        cJSON_Delete(tree);
        if (rc == 0 && !req->dry_run && grace > 0) {
            pthread_mutex_lock(&req->srv->lock);
            rci_grace_track_locked(req->srv, req->res, key, rc_clock_now(req->srv->clock) + grace * RC_SEC);
            pthread_mutex_unlock(&req->srv->lock);
        }
    }
    cJSON_Delete(old_tree);
    if (rc == 0 && is_ns && !req->dry_run) {
        delete_namespace_contents(req, req->name);
        rci_namespace_maybe_finalize(req, req->name);
    }
    if (rc == 0 && out)
        *out = obj;
    else
        rc_object_unref(obj);
    return rc;
}

int rci_delete(rci_req *req, const rc_delete_options *opts, rc_object **out, rc_error *err)
{
    static const rc_delete_options defaults = RC_DELETE_OPTIONS_INIT;
    if (!opts)
        opts = &defaults;
    req->dry_run = req->dry_run || opts->dry_run;
    char key[600];
    rc_key_format(key, sizeof key, req->ns, req->name);
    for (int attempt = 0; attempt < MAX_DELETE_RETRIES; attempt++) {
        rc_object *old = rci_lookup(req, key);
        if (!old) {
            char q[256];
            return rc_error_set(err, RC_ENOTFOUND, "%s \"%s\" not found", rci_qualified(req->ri, q, sizeof q),
                                req->name);
        }
        int rc = delete_once(req, opts, old, out, err);
        rc_object_unref(old);
        if (rc != RC_EAGAIN)
            return rc;
    }
    return rci_conflict(req, err);
}

int rci_delete_collection(rci_req *req, const rc_list_options *lo, const rc_delete_options *opts, rc_error *err)
{
    rc_list_options all = {0};
    if (lo) {
        all.label_selector = lo->label_selector;
        all.field_selector = lo->field_selector;
    }
    rc_object_list list;
    rc_object_list_init(&list);
    int rc = rci_list(req, &all, &list, err);
    for (size_t i = 0; rc == 0 && i < list.count; i++) {
        rci_req one = *req;
        one.verb = "delete";
        one.ns = rc_object_namespace(list.items[i]);
        one.name = rc_object_name(list.items[i]);
        rc_error e = {0};
        int r = rci_delete(&one, opts, NULL, &e);
        if (r != 0 && r != RC_ENOTFOUND) {
            rc_error_move(err, &e);
            rc = r;
        }
        rc_error_clear(&e);
    }
    rc_object_list_clear(&list);
    return rc;
}

/* ---- namespaces ---- */

static void delete_namespace_contents(rci_req *req, const char *ns)
{
    rc_apiserver *srv = req->srv;
    size_t nres = 0;
    pthread_mutex_lock(&srv->lock);
    rci_resource **all = malloc((rci_map_count(&srv->resources) + 1) * sizeof *all);
    size_t it = 0;
    const rci_map_entry *e;
    while (all && rci_map_next(&srv->resources, &it, &e))
        if (((rci_resource *)e->value)->ri->namespaced)
            all[nres++] = e->value;
    pthread_mutex_unlock(&srv->lock);
    for (size_t r = 0; r < nres; r++) {
        rci_req sub = {.srv = srv, .user = NULL, .verb = "delete", .ri = all[r]->ri, .res = all[r], .ns = ns,
                       .name = "", .subresource = ""};
        rci_delete_collection(&sub, NULL, NULL, NULL);
    }
    free(all);
}

void rci_namespace_maybe_finalize(rci_req *req, const char *ns)
{
    rc_apiserver *srv = req->srv;
    const rc_resource_info *nri = rc_registry_by_kind(srv->registry, "v1", "Namespace");
    if (!nri)
        return;
    pthread_mutex_lock(&srv->lock);
    rci_resource *nres = rci_resource_for_locked(srv, nri);
    rci_entry *e = nres ? rci_store_get_locked(nres, ns) : NULL;
    rc_object *nsobj = e && rc_object_deletion_timestamp(e->obj) && rc_object_finalizer_count(e->obj) == 0 &&
                               !rci_store_namespace_has_objects_locked(srv, ns)
                           ? rc_object_ref(e->obj)
                           : NULL;
    pthread_mutex_unlock(&srv->lock);
    if (!nsobj)
        return;
    rci_req sub = {.srv = srv, .verb = "delete", .ri = nri, .res = nres, .ns = "", .name = rc_object_name(nsobj),
                   .subresource = ""};
    rci_commit_delete(&sub, rc_object_name(nsobj), nsobj, NULL, NULL);
    rc_object_unref(nsobj);
}

/* ---- grace periods ---- */

void rci_grace_track_locked(rc_apiserver *srv, rci_resource *res, const char *key, rc_time deadline)
{
    if (srv->ngrace == srv->grace_cap) {
        size_t cap = srv->grace_cap ? srv->grace_cap * 2 : 16;
        rci_grace *g = realloc(srv->grace, cap * sizeof *g);
        if (!g)
            return;
        srv->grace = g;
        srv->grace_cap = cap;
    }
    char *k = strdup(key);
    if (k)
        srv->grace[srv->ngrace++] = (rci_grace){.res = res, .key = k, .deadline = deadline};
}

rc_time rci_grace_next_locked(rc_apiserver *srv)
{
    rc_time t = RC_TIME_NEVER;
    for (size_t i = 0; i < srv->ngrace; i++)
        if (srv->grace[i].deadline < t)
            t = srv->grace[i].deadline;
    return t;
}

size_t rci_grace_step(rc_apiserver *srv, rc_time now)
{
    size_t ndue = 0;
    pthread_mutex_lock(&srv->lock);
    rci_grace *due = malloc((srv->ngrace + 1) * sizeof *due);
    for (size_t i = 0; due && i < srv->ngrace;) {
        if (srv->grace[i].deadline <= now) {
            due[ndue++] = srv->grace[i];
            srv->grace[i] = srv->grace[--srv->ngrace];
        } else {
            i++;
        }
    }
    pthread_mutex_unlock(&srv->lock);
    size_t done = 0;
    for (size_t i = 0; i < ndue; i++) {
        const char *name = strchr(due[i].key, '/');
        char ns[256] = "";
        if (name)
            snprintf(ns, sizeof ns, "%.*s", (int)(name - due[i].key), due[i].key);
        rci_req req = {.srv = srv, .verb = "delete", .ri = due[i].res->ri, .res = due[i].res, .ns = ns,
                       .name = name ? name + 1 : due[i].key, .subresource = ""};
        rc_object *obj = rci_lookup(&req, due[i].key);
        if (obj && rc_object_deletion_timestamp(obj) && rc_object_finalizer_count(obj) == 0 &&
            rci_commit_delete(&req, due[i].key, obj, NULL, NULL) == 0)
            done++;
        rc_object_unref(obj);
        free(due[i].key);
    }
    free(due);
    return done;
}
