/* gc_owners.c - the garbage collector's decisions (upstream attemptToDeleteItem, classifyReferences,
 * processDeletingDependentsItem, orphanDependents; spec sections 7.2 and 7.3). An owner the cache does
 * not show is confirmed with a live read before a dependent is touched, and every delete carries the
 * dependent's uid and resourceVersion as preconditions, so a stale cache never deletes the wrong object
 * nor one whose ownerReferences changed meanwhile (an orphaned pod whose watch lags its owner's). */
#include "controllers/gc.h"

#include <stdlib.h>
#include <string.h>

typedef enum owner_state { OWNER_SOLID, OWNER_DANGLING, OWNER_WAITING } owner_state;

static owner_state state_of(const rc_object *owner, const char *uid)
{
    if (!owner || strcmp(rc_object_uid(owner) ? rc_object_uid(owner) : "", uid))
        return OWNER_DANGLING;
    if (rc_object_deletion_timestamp(owner) && rc_object_has_finalizer(owner, RCI_FINALIZER_FOREGROUND))
        return OWNER_WAITING;
    return OWNER_SOLID;
}

/* Classifies one ownerReference of a dependent in namespace ns. Unknown kinds count as solid. */
static int classify(rci_gc *gc, rc_reconcile_ctx *ctx, const rc_owner_ref *ref, const char *ns, owner_state *out,
                    rc_error *err)
{
    const rci_gc_resource *r = rci_gc_find(gc, ref->api_version, ref->kind);
    *out = OWNER_SOLID;
    if (!r || !ref->name || !ref->uid)
        return 0;
    const char *owner_ns = r->ri->namespaced ? ns : "";
    rc_object *owner = NULL;
    int rc = rc_ctx_get(ctx, r->id, owner_ns, ref->name, &owner, err);
    if (rc && rc != RC_ENOTFOUND)
        return rc;
    rc_error_clear(err);
    if (state_of(owner, ref->uid) == OWNER_DANGLING) {
        rc_object_unref(owner);
        owner = NULL;
        rc = rc_client_get(gc->client, r->id, owner_ns, ref->name, &owner, err);
        if (rc && rc != RC_ENOTFOUND)
            return rc;
        rc_error_clear(err);
    }
    *out = state_of(owner, ref->uid);
    rc_object_unref(owner);
    return 0;
}

/* Removes the ownerReferences to uids from obj (an update with its resourceVersion). */
static int remove_owner_refs(rci_gc *gc, const rc_object *obj, char **uids, size_t n, rc_error *err)
{
    const rci_gc_resource *r = rci_gc_find(gc, rc_object_api_version(obj), rc_object_kind(obj));
    rc_object *copy = r ? rc_object_copy(obj) : NULL;
    if (!copy)
        return r ? rc_error_set(err, RC_ENOMEM, "out of memory") : 0;
    for (size_t i = 0; i < n; i++)
        rc_object_remove_owner(copy, uids[i]);
    int rc = rc_client_update(gc->client, r->id, rc_object_namespace(obj), copy, NULL, NULL, err);
    rc_object_unref(copy);
    if (rc == RC_ENOTFOUND) {
        rc_error_clear(err);
        rc = 0;
    }
    return rc;
}

static int delete_with(rci_gc *gc, const rc_object *obj, rc_propagation policy, rc_error *err)
{
    const rci_gc_resource *r = rci_gc_find(gc, rc_object_api_version(obj), rc_object_kind(obj));
    if (!r)
        return 0;
    rc_delete_options opts = RC_DELETE_OPTIONS_INIT;
    opts.propagation = policy;
    opts.precondition_uid = rc_object_uid(obj);
    opts.precondition_resource_version = rc_object_resource_version(obj);
    int rc = rc_client_delete(gc->client, r->id, rc_object_namespace(obj), rc_object_name(obj), &opts, NULL, err);
    if (rc == RC_ENOTFOUND || rc == RC_ECONFLICT) {
        /* gone already, replaced by a new object with the same name, or changed since the cache saw it
         * (its ownerReferences may be gone): that change's event brings the object back to the queue */
        rc_error_clear(err);
        rc = 0;
    }
    return rc;
}

static bool has_dependents(rci_gc *gc, rc_reconcile_ctx *ctx, const rc_object *obj)
{
    rc_object_list deps;
    rc_object_list_init(&deps);
    rc_error err = {0};
    bool any = rci_gc_dependents(gc, ctx, rc_object_uid(obj), &deps, &err) == 0 && deps.count > 0;
    rc_error_clear(&err);
    rc_object_list_clear(&deps);
    return any;
}

int rci_gc_attempt_delete(rci_gc *gc, rc_reconcile_ctx *ctx, const rc_object *obj, rc_error *err)
{
    if (rc_object_deletion_timestamp(obj) && !rc_object_has_finalizer(obj, RCI_FINALIZER_FOREGROUND))
        return 0;
    size_t n = rc_object_owner_count(obj), solid = 0, waiting = 0, nstale = 0;
    if (n == 0)
        return 0;
    char **stale = calloc(n, sizeof *stale);
    if (!stale)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    int rc = 0;
    rc_owner_ref ref;
    for (size_t i = 0; !rc && rc_object_owner(obj, i, &ref); i++) {
        owner_state st;
        rc = classify(gc, ctx, &ref, rc_object_namespace(obj), &st, err);
        if (rc)
            break;
        if (st == OWNER_SOLID)
            solid++;
        else
            stale[nstale++] = (char *)ref.uid;
        waiting += st == OWNER_WAITING;
    }
    if (!rc && solid > 0 && nstale > 0)
        rc = remove_owner_refs(gc, obj, stale, nstale, err);
    else if (!rc && solid == 0 && !rc_object_deletion_timestamp(obj)) {
        rc_propagation policy = RC_PROPAGATION_BACKGROUND;
        if (waiting > 0 && has_dependents(gc, ctx, obj))
            policy = RC_PROPAGATION_FOREGROUND;
        else if (rc_object_has_finalizer(obj, RCI_FINALIZER_ORPHAN))
            policy = RC_PROPAGATION_ORPHAN;
        else if (rc_object_has_finalizer(obj, RCI_FINALIZER_FOREGROUND))
            policy = RC_PROPAGATION_FOREGROUND;
        rc = delete_with(gc, obj, policy, err);
    }
    free(stale);
    return rc;
}

static bool blocks_owner(const rc_object *dep, const char *owner_uid)
{
    rc_owner_ref ref;
    for (size_t i = 0; rc_object_owner(dep, i, &ref); i++)
        if (ref.uid && !strcmp(ref.uid, owner_uid))
            return ref.block_owner_deletion;
    return false;
}

int rci_gc_foreground(rci_gc *gc, rc_reconcile_ctx *ctx, const rci_gc_resource *r, const rc_object *obj,
                      rc_error *err)
{
    rc_object_list deps;
    rc_object_list_init(&deps);
    int rc = rci_gc_dependents(gc, ctx, rc_object_uid(obj), &deps, err);
    size_t blocking = 0;
    for (size_t i = 0; !rc && i < deps.count; i++) {
        const rc_object *dep = deps.items[i];
        if (!rc_object_deletion_timestamp(dep))
            rc = rci_gc_attempt_delete(gc, ctx, dep, err);
        blocking += blocks_owner(dep, rc_object_uid(obj));
    }
    rc_object_list_clear(&deps);
    if (!rc && blocking == 0)
        rc = rc_remove_finalizer(ctx, r->id, obj, RCI_FINALIZER_FOREGROUND, NULL, err);
    return rc == RC_ENOTFOUND ? (rc_error_clear(err), 0) : rc;
}

int rci_gc_orphan(rci_gc *gc, rc_reconcile_ctx *ctx, const rci_gc_resource *r, const rc_object *obj, rc_error *err)
{
    rc_object_list deps;
    rc_object_list_init(&deps);
    int rc = rci_gc_dependents(gc, ctx, rc_object_uid(obj), &deps, err);
    char *uid = (char *)rc_object_uid(obj);
    for (size_t i = 0; !rc && i < deps.count; i++)
        rc = remove_owner_refs(gc, deps.items[i], &uid, 1, err);
    rc_object_list_clear(&deps);
    if (!rc)
        rc = rc_remove_finalizer(ctx, r->id, obj, RCI_FINALIZER_ORPHAN, NULL, err);
    return rc == RC_ENOTFOUND ? (rc_error_clear(err), 0) : rc;
}
