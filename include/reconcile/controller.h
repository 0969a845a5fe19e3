/* controller.h - what a controller author writes against: the rc_controller_ops vtable, the builder its
 * setup uses to declare what to watch, the reconcile context (client, cache reads, clock, events,
 * expectations, logging), reconcile results, and helpers (controller references, adoption/orphaning,
 * finalizers, create-or-update, status writes with conflict retry).
 *
 * The model is controller-runtime's Reconciler + Builder:
 *
 *     static int setup(void *self, rc_builder *b, rc_error *err) {
 *         int rc = rc_builder_for(b, "replicasets.apps", NULL, err);
 *         return rc ? rc : rc_builder_owns(b, "pods", NULL, err);
 *     }
 *     static rc_result reconcile(void *self, rc_reconcile_ctx *ctx, const char *key) { ... }
 *     static const rc_controller_ops ops = {"replicaset", setup, reconcile, NULL};
 *     rc_manager_add_controller(mgr, &ops, self, NULL, &err);
 *
 * Keys are cache keys: "namespace/name", or "name" for cluster-scoped objects. A key is never reconciled by
 * two workers at once. Objects handed out are frozen rc_objects: copy (rc_object_copy) before editing.
 *
 * Read-your-own-writes: writes through rc_ctx_client() are remembered per controller, so this controller's
 * later cache reads (get, list, by index) return the written version - or a newer one - even before the
 * watch delivers it, and objects it deleted disappear from its reads at once. A controller therefore never
 * re-creates a child it just created because its cache was stale. */
#ifndef RECONCILE_CONTROLLER_H
#define RECONCILE_CONTROLLER_H

#include "client.h"
#include "clock.h"
#include "common.h"
#include "events.h"
#include "expectations.h"
#include "listwatch.h"
#include "log.h"
#include "object.h"
#include "selector.h"
#include "store.h"

struct rc_recorder;
struct rc_expectations;

typedef struct rc_builder rc_builder;             /* setup's view: declare watches (valid during setup) */
typedef struct rc_reconcile_ctx rc_reconcile_ctx; /* reconcile's view (valid during one reconcile call) */
typedef struct rc_keys rc_keys;                   /* output of a map function */

/* ---- results ---- */
typedef enum rc_result_kind {
    RC_RESULT_DONE = 0,         /* success: the key's rate-limit history is forgotten */
    RC_RESULT_REQUEUE,          /* reconcile again after the rate limiter's delay */
    RC_RESULT_REQUEUE_AFTER,    /* success; reconcile again after `after` (forgets rate-limit history) */
    RC_RESULT_ERROR             /* failure: logged, counted, requeued with the rate limiter's delay */
} rc_result_kind;

typedef struct rc_result {
    rc_result_kind kind;
    rc_duration after; /* RC_RESULT_REQUEUE_AFTER only */
    int code;          /* RC_RESULT_ERROR: the RC_E* code */
} rc_result;

static inline rc_result rc_result_done(void)
{
    rc_result r = {RC_RESULT_DONE, 0, 0};
    return r;
}
static inline rc_result rc_result_requeue(void)
{
    rc_result r = {RC_RESULT_REQUEUE, 0, 0};
    return r;
}
static inline rc_result rc_result_requeue_after(rc_duration after)
{
    rc_result r = {RC_RESULT_REQUEUE_AFTER, after, 0};
    return r;
}
/* A failure with a formatted message, logged by the manager at RC_LOG_ERROR with the controller and key
 * and counted in reconcile_total{result="error"}. code should be a negative RC_E* (0 becomes
 * RC_EINTERNAL). */
RC_API rc_result rc_result_error(rc_reconcile_ctx *ctx, int code, const char *fmt, ...) RC_PRINTF(3, 4);
/* The same from an rc_error (its content is taken; err is left cleared). */
RC_API rc_result rc_result_from_error(rc_reconcile_ctx *ctx, rc_error *err);

/* ---- the vtable ---- */
typedef struct rc_controller_ops {
    /* Unique within a manager; names the workqueue, metrics and log lines. */
    const char *name;
    /* Declares what the controller watches (rc_builder_for is required). Called once by
     * rc_manager_add_controller. Return 0 or an RC_E* error (the controller is then not added). */
    int (*setup)(void *self, rc_builder *b, rc_error *err);
    /* Brings the object named by key to its desired state. Called from worker threads (threaded driver)
     * or the driver's thread, never twice at once for one key, possibly concurrently for different keys
     * when workers > 1. */
    rc_result (*reconcile)(void *self, rc_reconcile_ctx *ctx, const char *key);
    /* Optional: releases self when the manager is freed (or when adding the controller fails). */
    void (*destroy)(void *self);
} rc_controller_ops;

/* ---- setup: what to watch ---- */
typedef enum rc_change_type {
    RC_CHANGE_CREATE = 0, /* an object appeared in the cache (also on the initial list) */
    RC_CHANGE_UPDATE,
    RC_CHANGE_DELETE
} rc_change_type;

/* Built-in predicates for rc_watch_options.predicates. They filter updates only (creates and deletes
 * pass); when several are set, an update passes if any of them holds (predicate.Or). */
#define RC_PRED_GENERATION_CHANGED 0x1u  /* metadata.generation changed (spec edits, not status) */
#define RC_PRED_LABELS_CHANGED 0x2u      /* metadata.labels changed */
#define RC_PRED_ANNOTATIONS_CHANGED 0x4u /* metadata.annotations changed */

/* A custom predicate: return true to let the event through. old is NULL except for updates; for deletes
 * obj is the last known state. Called on the informer's thread: keep it fast, do not block. */
typedef bool (*rc_predicate_fn)(void *ctx, rc_change_type type, const rc_object *old, const rc_object *obj);

/* Options of one watch; NULL = no filtering. */
typedef struct rc_watch_options {
    unsigned predicates;    /* RC_PRED_* bits, 0 = none */
    rc_predicate_fn filter; /* ANDed with the built-in predicates; NULL = none */
    void *filter_ctx;
    /* Skip updates whose new object is exactly a version this controller wrote itself (it already knows
     * that state). Deletes and other writers' changes always pass. */
    bool skip_own_writes;
} rc_watch_options;

/* The index the manager adds to the cache of every resource a controller owns (rc_builder_owns). An object
 * with a controller ownerReference is indexed under that reference's uid; one without, under
 * RC_INDEX_ORPHAN_PREFIX followed by its namespace ("orphan:default"). rc_claim_children reads through it,
 * so a sync looks at the owner's children and its namespace's orphans, not at every object there; it is
 * also available to rc_ctx_by_index. */
#define RC_INDEX_CONTROLLER "controller-uid"
#define RC_INDEX_ORPHAN_PREFIX "orphan:"

/* A map function adds the keys (of the controller's primary resource) to reconcile for a change of obj. */
typedef void (*rc_map_fn)(void *ctx, const rc_object *obj, rc_keys *out);
/* Adds a key (copied). RC_EINVAL for NULL, RC_ENOMEM. */
RC_API int rc_keys_add(rc_keys *out, const char *key);

/* The primary resource ("replicasets.apps", "pods", a CRD's plural.group ...): each change enqueues the
 * object's own key. Exactly one per controller; RC_EEXISTS on a second call, RC_ENOTFOUND for an unknown
 * resource (message names it). opts may be NULL. */
RC_API int rc_builder_for(rc_builder *b, const char *resource, const rc_watch_options *opts, rc_error *err);
/* A child resource: a change of a child enqueues the key of its controller owner - the ownerReference with
 * controller=true whose kind and API group are the primary resource's. Children without one are ignored.
 * Creates and deletes (including an update that sets deletionTimestamp) of a child also lower the owner's
 * expectations (see rc_expectations(3)) automatically. The child resource's cache gets the
 * RC_INDEX_CONTROLLER index. */
RC_API int rc_builder_owns(rc_builder *b, const char *resource, const rc_watch_options *opts, rc_error *err);
/* Any resource: each change is passed to fn, whose keys are enqueued. fn and ctx are borrowed and must
 * outlive the manager. */
RC_API int rc_builder_watches(rc_builder *b, const char *resource, rc_map_fn fn, void *ctx,
                              const rc_watch_options *opts, rc_error *err);
/* A resource the controller only reads through the cache (no enqueueing). Its cache must sync before
 * the controller's workers start, like every watched resource's. */
RC_API int rc_builder_reads(rc_builder *b, const char *resource, rc_error *err);
/* Adds an index to the shared cache of resource (which the controller must also watch or read), for
 * rc_ctx_by_index. An index with the same name and function already present is fine (shared informers);
 * the same name with another function is RC_EEXISTS. fn and ctx must outlive the manager. */
RC_API int rc_builder_index(rc_builder *b, const char *resource, const char *index, rc_index_fn fn, void *ctx,
                            rc_error *err);

/* ---- the reconcile context ----
 * Every function below is for use inside reconcile, on the ctx it was given. */

/* The controller's client (borrowed): every write through it feeds read-your-own-writes and the RBAC
 * usage report. It acts as the controller's identity (rc_controller_options.client) or the manager's. */
RC_API rc_client *rc_ctx_client(rc_reconcile_ctx *ctx);
/* The key being reconciled (borrowed) and the controller's name. */
RC_API const char *rc_ctx_key(rc_reconcile_ctx *ctx);
RC_API const char *rc_ctx_controller_name(rc_reconcile_ctx *ctx);
/* The manager's clock time. */
RC_API rc_time rc_ctx_now(rc_reconcile_ctx *ctx);
RC_API rc_clock *rc_ctx_clock(rc_reconcile_ctx *ctx);
/* The manager's event recorder and this controller's expectations (borrowed). */
RC_API struct rc_recorder *rc_ctx_recorder(rc_reconcile_ctx *ctx);
RC_API struct rc_expectations *rc_ctx_expectations(rc_reconcile_ctx *ctx);

/* Cache reads, over the manager's shared informers, with this controller's own writes overlaid.
 * resource must be one the controller declared (for/owns/watches/reads): RC_EINVAL otherwise.
 * get: 0 and *out a new reference, or RC_ENOTFOUND. ns NULL/"" for cluster-scoped objects. */
RC_API int rc_ctx_get(rc_reconcile_ctx *ctx, const char *resource, const char *ns, const char *name,
                      rc_object **out, rc_error *err);
/* The same by cache key ("ns/name"). */
RC_API int rc_ctx_get_key(rc_reconcile_ctx *ctx, const char *resource, const char *key, rc_object **out,
                          rc_error *err);
/* Appends new references to the objects in ns (NULL = all namespaces) matching sel (NULL = all) to out
 * (initialised by the caller), in key order. */
RC_API int rc_ctx_list(rc_reconcile_ctx *ctx, const char *resource, const char *ns, const rc_selector *sel,
                       rc_object_list *out, rc_error *err);
/* Appends the objects whose index (declared with rc_builder_index, or RC_INDEX_NAMESPACE) has value. */
RC_API int rc_ctx_by_index(rc_reconcile_ctx *ctx, const char *resource, const char *index, const char *value,
                           rc_object_list *out, rc_error *err);

/* Logs through rc_log with component = the controller's name and key = the key being reconciled. */
RC_API void rc_ctx_log(rc_reconcile_ctx *ctx, rc_log_level level, const char *fmt, ...) RC_PRINTF(3, 4);
/* Records an event about obj through the manager's recorder (type "Normal" or "Warning"). Failures to
 * write the event are logged, not returned (as upstream). */
RC_API void rc_ctx_event(rc_reconcile_ctx *ctx, const rc_object *obj, const char *type, const char *reason,
                         const char *fmt, ...) RC_PRINTF(5, 6);

/* ---- helpers ---- */

/* Sets the controller ownerReference of the draft child to owner (apiVersion, kind, name, uid,
 * controller=true, blockOwnerDeletion=true). RC_EEXISTS when child already has a controller reference to
 * another uid (message names it), RC_EINVAL for a frozen child or an owner without uid. */
RC_API int rc_set_controller_ref(rc_object *child, const rc_object *owner, rc_error *err);
/* True when obj's controller reference points to owner's uid. */
RC_API bool rc_is_controlled_by(const rc_object *obj, const rc_object *owner);

/* Extra claim condition (e.g. StatefulSet's name check); NULL = none. */
typedef bool (*rc_claim_filter)(void *ctx, const rc_object *owner, const rc_object *child);

/* The controller ref manager (upstream ClaimObject; see the spec's section 0.1). Reads the child_resource
 * objects of owner's namespace that it may claim from the cache - those controlled by owner and the
 * orphans, through the RC_INDEX_CONTROLLER index when the cache has it (every other object is ignored
 * anyway), else every object of the namespace - and classifies each: owned by another uid -> ignored;
 * owned by owner and matching sel (and filter) -> claimed; owned but no longer matching -> released (its
 * ownerReference patched away) unless owner is being deleted; orphan matching sel -> adopted (a controller
 * ownerReference patched in) if neither owner nor child is being deleted and a fresh read of owner from the
 * API still shows the same uid without deletionTimestamp. Claimed and adopted children are appended to
 * claimed (new references), in key order. A child that vanished meanwhile is skipped; other API errors are
 * returned (children already processed stay claimed). */
RC_API int rc_claim_children(rc_reconcile_ctx *ctx, const char *owner_resource, const rc_object *owner,
                             const char *child_resource, const rc_selector *sel, rc_claim_filter filter,
                             void *filter_ctx, rc_object_list *claimed, rc_error *err);

/* Finalizer helpers. ensure: adds finalizer `name` with an update when obj lacks it; *out (optional) gets
 * the object as stored. remove: the reverse. Both do nothing (returning 0, *out = a new reference to obj)
 * when no change is needed; conflicts are returned (requeue and try again). */
RC_API int rc_ensure_finalizer(rc_reconcile_ctx *ctx, const char *resource, const rc_object *obj,
                               const char *name, rc_object **out, rc_error *err);
RC_API int rc_remove_finalizer(rc_reconcile_ctx *ctx, const char *resource, const rc_object *obj,
                               const char *name, rc_object **out, rc_error *err);
/* The usual finalizer flow in one call. If obj is not being deleted: ensures the finalizer and returns 0.
 * If it is being deleted and carries the finalizer: runs cleanup; when cleanup returns 0 removes the
 * finalizer and returns 1; a cleanup error is returned as is (retry later). Being deleted without the
 * finalizer: returns 1 (nothing to do). Reconcile should stop when the result is 1. */
RC_API int rc_finalize(rc_reconcile_ctx *ctx, const char *resource, const rc_object *obj, const char *name,
                       int (*cleanup)(void *arg, const rc_object *obj, rc_error *err), void *arg,
                       rc_error *err);

typedef enum rc_op_result {
    RC_OP_UNCHANGED = 0,
    RC_OP_CREATED,
    RC_OP_UPDATED
} rc_op_result;

/* controllerutil.CreateOrUpdate: reads ns/name of resource from the cache (the controller must declare
 * it); when absent, makes a draft with apiVersion, kind, name and namespace set, calls mutate and creates
 * it; when present, calls mutate on a copy and updates only if the content changed. mutate returns 0 or
 * an error (nothing written). *out (optional) gets the resulting object, *op (optional) what happened. */
RC_API int rc_create_or_update(rc_reconcile_ctx *ctx, const char *resource, const char *ns, const char *name,
                               int (*mutate)(void *arg, rc_object *draft, rc_error *err), void *arg,
                               rc_object **out, rc_op_result *op, rc_error *err);

/* Writes the status subresource: calls mutate on a copy of obj and updates its status; on 409 Conflict
 * re-reads the object from the API and applies mutate again, up to 5 attempts (upstream
 * retry.DefaultRetry). Skips the write when mutate changes nothing. *out (optional) gets the result. */
RC_API int rc_update_status(rc_reconcile_ctx *ctx, const char *resource, const rc_object *obj,
                            int (*mutate)(void *arg, rc_object *draft, rc_error *err), void *arg,
                            rc_object **out, rc_error *err);

#endif
