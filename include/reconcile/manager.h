/* manager.h - rc_manager: runs controllers. It owns one shared informer per resource for all its
 * controllers, a workqueue per controller (default rate limiter), the event recorder, the metrics
 * registry, optional leader election and extra "runnables" (simulated kubelet, scheduler timers...).
 *
 * Two drivers run the same manager:
 *  - threaded (rc_manager_start / rc_manager_run): reflector, informer and N worker threads per controller
 *    on a real or scaled clock; rc_manager_stop (or a signal, rc_manager_stop_on_signals) shuts down,
 *    draining the reconciles in flight.
 *  - deterministic (rc_manager_step / rc_manager_run_until_stable): everything on the caller's thread with
 *    a virtual clock. The runnable units - API server watch delivery, reflector steps, informer dispatch,
 *    one workqueue key of one controller, a due runnable - are picked in an order drawn from the seed; when
 *    none is runnable the clock jumps to the earliest deadline. The same inputs and seed give the same
 *    action trace, byte for byte.
 * A manager is driven by one of the two, never both. Workers of a controller start only after every cache
 * it declared has synced; success forgets the key's rate-limit history, errors requeue it rate-limited.
 *
 * Thread-safety: configuration calls (add_controller, add_runnable) before start/step; rc_manager_stop,
 * rc_manager_wake and the read accessors from any thread. */
#ifndef RECONCILE_MANAGER_H
#define RECONCILE_MANAGER_H

#include "client.h"
#include "clock.h"
#include "common.h"
#include "controller.h"
#include "leader.h"
#include "metrics.h"
#include "store.h"
#include "workqueue.h"

struct rc_apiserver;
struct rc_recorder;

typedef struct rc_manager rc_manager;

typedef struct rc_manager_options {
    rc_client *client;     /* required; the manager takes its own reference. Informers list/watch with it. */
    rc_clock *clock;       /* borrowed, must outlive the manager; NULL = the real clock */
    uint64_t seed;         /* deterministic driver's pick order, reflector jitter */
    /* Optional embedded server (borrowed): the deterministic driver pumps its watch events and runs its
     * timers (rc_apiserver_step) as runnable units. */
    struct rc_apiserver *apiserver;
    rc_metrics *metrics;   /* borrowed; NULL = the manager makes its own (rc_manager_metrics) */
    rc_duration resync_period; /* informers' resync; 0 = none */
    const char *namespace_;    /* restrict every informer to one namespace; NULL = all */
    const char *event_source;  /* events' source.component; NULL = "libreconcile" */
    /* Leader election (copied); NULL = none. Controllers with need_leader_election run only while this
     * manager leads; runnables always run. */
    const rc_leader_options *leader;
    /* Deterministic driver: units run at one clock instant before run_until_stable gives up with
     * RC_EAGAIN (a livelock guard). 0 = 1000000. */
    size_t max_steps_per_instant;
} rc_manager_options;

/* Per controller options; NULL or zeroed = defaults. */
typedef struct rc_controller_options {
    int workers;                   /* concurrent reconciles (threaded driver); 0 = 1 */
    rc_rate_limiter *rate_limiter; /* owned by the manager from the call on (also on failure); NULL = default */
    /* Writes as this identity instead of the manager's client (e.g. a service account client, so missing
     * RBAC permissions fail); the manager takes its own reference. NULL = the manager's client. */
    rc_client *client;
    bool need_leader_election;     /* run only while leading (when leader election is configured) */
    /* Expectations time out after this long (upstream 5 min); 0 = default. */
    rc_duration expectations_timeout;
} rc_controller_options;

/* A runnable: extra work the drivers run next to the controllers (the simulator's kubelet and scheduler,
 * periodic jobs). */
typedef struct rc_runnable_ops {
    const char *name;
    /* Does what is due at `now` without blocking; returns true if it did any work. */
    bool (*step)(void *self, rc_time now);
    /* When step next has work: <= now when work is pending, RC_TIME_NEVER when idle until woken. */
    rc_time (*next_deadline)(void *self);
    void (*destroy)(void *self); /* optional, called by rc_manager_free */
} rc_runnable_ops;

/* A new manager (*out, caller owns it: rc_manager_free). RC_EINVAL without a client, RC_ENOMEM. */
RC_API int rc_manager_new(const rc_manager_options *opts, rc_manager **out, rc_error *err);
/* Stops the manager if running (draining), destroys controllers and runnables, releases everything. */
RC_API void rc_manager_free(rc_manager *m);

/* Adds a controller: calls ops->setup, creates (or shares) the informers it declared and its workqueue.
 * ops and self are kept; ops->destroy(self) runs at rc_manager_free, or at once when this fails.
 * RC_EEXISTS for a duplicate name, RC_EINVAL (no name/reconcile, setup without rc_builder_for, already
 * started), or setup's error. */
RC_API int rc_manager_add_controller(rc_manager *m, const rc_controller_ops *ops, void *self,
                                     const rc_controller_options *opts, rc_error *err);
/* A controller whose reconcile writes its result through `out` instead of returning it by value (for
 * callers that cannot return a structure from a callback, e.g. language bindings). Same members and
 * lifetime rules as rc_controller_ops otherwise. */
typedef struct rc_controller_into_ops {
    const char *name;
    int (*setup)(void *self, rc_builder *b, rc_error *err);
    /* *out starts as rc_result_done(); return 0 with *out set, or a negative RC_E* code (a reconcile error
     * with that code, as rc_result_error without a message). */
    int (*reconcile_into)(void *self, rc_reconcile_ctx *ctx, const char *key, rc_result *out);
    void (*destroy)(void *self);
} rc_controller_into_ops;

/* rc_manager_add_controller for rc_controller_into_ops: same behaviour, errors and ownership (ops and self
 * kept; ops->destroy(self) at rc_manager_free or at once when this fails, also on RC_ENOMEM). */
RC_API int rc_manager_add_controller_into(rc_manager *m, const rc_controller_into_ops *ops, void *self,
                                          const rc_controller_options *opts, rc_error *err);
/* Adds a runnable (ops and self kept; ops->destroy(self) at free or when this fails). */
RC_API int rc_manager_add_runnable(rc_manager *m, const rc_runnable_ops *ops, void *self, rc_error *err);
/* Tells the drivers a runnable may have new work (e.g. from an informer handler); any thread. */
RC_API void rc_manager_wake(rc_manager *m);

/* ---- accessors (borrowed; valid while the manager lives) ---- */
RC_API rc_client *rc_manager_client(rc_manager *m);
RC_API rc_clock *rc_manager_clock(rc_manager *m);
RC_API rc_metrics *rc_manager_metrics(rc_manager *m);
RC_API struct rc_recorder *rc_manager_recorder(rc_manager *m);
/* The shared cache of resource, creating its informer on first use (before start). NULL + err for an
 * unknown resource. */
RC_API rc_store *rc_manager_cache(rc_manager *m, const char *resource, rc_error *err);
/* Watches resource for a runnable: fn is called (driver thread, informer order) for each change. */
RC_API int rc_manager_on_change(rc_manager *m, const char *resource,
                                void (*fn)(void *ctx, rc_change_type type, const rc_object *old,
                                           const rc_object *obj),
                                void *ctx, rc_error *err);
/* True once every informer has synced its first list. */
RC_API bool rc_manager_synced(rc_manager *m);
/* True while this manager holds the lease (always true without leader election). */
RC_API bool rc_manager_is_leader(rc_manager *m);
/* The Prometheus text exposition of every metric (workqueues, reconcile_total{controller,result},
 * reconcile_time_seconds, rest_client_requests_total{verb,code}, informer_synced{resource}, leader).
 * *out is malloc'd (caller frees). RC_ENOMEM. */
RC_API int rc_manager_metrics_text(rc_manager *m, char **out, rc_error *err);

/* ---- deterministic driver (virtual clock; one thread) ---- */
/* Runs one unit that is runnable now; when none is, advances the clock to the earliest deadline first.
 * Returns 1 when a unit ran, 0 when nothing is scheduled at all (idle forever), or a negative error. */
RC_API int rc_manager_step(rc_manager *m);
/* Runs units until no key is queued, no watch event is pending and no deadline is due before limit
 * (absolute time on the manager's clock; the clock is left at the last instant work ran, never beyond
 * limit). Returns 0 when stable, RC_EAGAIN when max_steps_per_instant was exceeded at one instant. */
RC_API int rc_manager_run_until_stable(rc_manager *m, rc_time limit);
/* run_until_stable(t), then moves the clock to t and runs what is due then (stable again). */
RC_API int rc_manager_run_until(rc_manager *m, rc_time t);
/* For several managers sharing one virtual clock (leader election tests, a simulator): run_due runs every
 * unit runnable at the current instant without moving the clock (returns the number run, or RC_EAGAIN on a
 * livelock); next_deadline is the earliest time this manager has work (<= now: runnable now). */
RC_API int rc_manager_run_due(rc_manager *m);
RC_API rc_time rc_manager_next_deadline(rc_manager *m);
/* Like rc_manager_next_deadline, but counting only real work: queued and delayed workqueue keys, pending
 * watch events and informer deltas, informer re-list/re-watch waits, runnables' deadlines. Housekeeping
 * that recurs forever is ignored: the embedded API server's timers (watch bookmarks and timeouts; also its
 * pod grace-period backstop, which a kubelet normally pre-empts), leader-election renewals, and informer
 * waits when the manager has a resync_period (a resync cannot be told apart from a re-list wait).
 * RC_TIME_NEVER when nothing but housekeeping is scheduled: the system has settled. */
RC_API rc_time rc_manager_next_work_deadline(rc_manager *m);

/* ---- threaded driver ---- */
/* Starts the threads and returns. RC_EINVAL when already started or stepped. */
RC_API int rc_manager_start(rc_manager *m, rc_error *err);
/* Blocks until every cache has synced or `timeout` real nanoseconds pass; true when synced. */
RC_API bool rc_manager_wait_for_sync(rc_manager *m, rc_duration timeout);
/* Asks every thread to stop (async-signal-safe, any thread). */
RC_API void rc_manager_stop(rc_manager *m);
/* Blocks until the threads have stopped (after rc_manager_stop), draining reconciles in flight and
 * releasing the lease. Returns 0. */
RC_API int rc_manager_wait(rc_manager *m);
/* start, then wait: returns after rc_manager_stop or a handled signal. */
RC_API int rc_manager_run(rc_manager *m, rc_error *err);
/* Makes SIGINT and SIGTERM call rc_manager_stop(m) (one manager per process). */
RC_API int rc_manager_stop_on_signals(rc_manager *m, rc_error *err);

#endif
