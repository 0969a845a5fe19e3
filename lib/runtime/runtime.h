/* runtime.h - internal structures of the controller runtime shared by the files of lib/runtime: the manager, its
 * shared sources (one informer per resource), controllers with their watches, the wrapping client that
 * gives each controller read-your-own-writes and usage recording, and the per-reconcile context. */
#ifndef RC_RUNTIME_RUNTIME_H
#define RC_RUNTIME_RUNTIME_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>

#include <reconcile/apiserver.h>
#include <reconcile/controller.h>
#include <reconcile/events.h>
#include <reconcile/expectations.h>
#include <reconcile/informer.h>
#include <reconcile/leader.h>
#include <reconcile/manager.h>
#include <reconcile/metrics.h>
#include <reconcile/workqueue.h>

#include "util/map.h"

/* ---- the wrapping client: overlay (read-your-own-writes), usage (RBAC report), request metrics ---- */

/* One API request kind a client made: verb on group/resource[/subresource] in a namespace ("" = all or
 * cluster-scoped). */
typedef struct rci_usage {
    char verb[24];
    char *group;
    char *resource; /* "pods" or "pods/status" */
    char *namespace_;
    bool namespaced; /* the resource is namespaced */
} rci_usage;

typedef struct rci_cclient rci_cclient;

/* A client forwarding to inner (referenced) that counts requests in `requests` (may be NULL), records
 * usage, and - when overlay is true - remembers written objects of tracked resources. *state (borrowed,
 * valid while the client lives) gives access to the recorded data. NULL on allocation failure. */
rc_client *rci_cclient_new(rc_client *inner, rc_metric *requests, bool overlay, rci_cclient **state);
/* Overlay only resources with this id ("plural" or "plural.group"); called during setup. */
int rci_cclient_track(rci_cclient *cc, const char *id);
/* Records a usage entry by hand (the informer list/watch a controller depends on). */
int rci_cclient_note(rci_cclient *cc, const char *verb, const rc_resource_info *ri, const char *ns);
/* Copies the usage entries (caller frees with rci_usage_free). */
size_t rci_cclient_usage(rci_cclient *cc, rci_usage **out);
void rci_usage_free(rci_usage *u, size_t n);

/* Overlay reads: `cached` is a reference the call takes over (may be NULL); returns the object the
 * controller should see (a reference) or NULL when it must look absent. */
rc_object *rci_overlay_resolve(rci_cclient *cc, const char *id, const char *key, rc_object *cached);
/* What a cache read asked for, to place written objects in its result: namespace ns (NULL = any), matching
 * sel (NULL = all), and - when index is set - reporting `value` for that index function. */
typedef struct rci_ov_scope {
    const char *ns;
    const rc_selector *sel;
    rc_index_fn index;
    void *index_ctx;
    const char *value;
    bool add_new; /* written objects the cache lacks are added when in scope (false: never) */
} rci_ov_scope;
/* Sorts out->items[from..] by key (ctx.c). */
void rci_sort_by_key(rc_object_list *out, size_t from);
/* Applies the overlay of resource id to a cache read result (items from `from` on): newer versions replace
 * older ones (dropped when no longer in scope), deleted objects go, and written objects the cache lacks are
 * added per scope. */
int rci_overlay_merge_list(rci_cclient *cc, const char *id, rc_object_list *out, size_t from,
                           const rci_ov_scope *scope);
/* An informer event for obj of resource id reached the controller: prunes overlay entries the cache has
 * caught up with. Returns true when obj is exactly a version this controller wrote. */
bool rci_overlay_observe(rci_cclient *cc, const char *id, const rc_object *obj, bool deleted);
/* Number of overlay entries (tests). */
size_t rci_overlay_len(rci_cclient *cc);

/* The resource id used for sources and overlay keys: "plural" for core, "plural.group" otherwise. */
void rci_resource_id(const rc_resource_info *ri, char *buf, size_t cap);
/* resourceVersion as a number; 0 when absent or not numeric. */
uint64_t rci_rv(const rc_object *o);

/* ---- sources and controllers ---- */

typedef struct rci_source {
    char id[160];
    const rc_resource_info *ri;
    rc_informer *inf;
} rci_source;

typedef enum rci_watch_kind {
    RCI_WATCH_FOR,
    RCI_WATCH_OWNS,
    RCI_WATCH_MAP,
    RCI_WATCH_READ,
    RCI_WATCH_CALLBACK /* rc_manager_on_change */
} rci_watch_kind;

struct rci_controller;

typedef struct rci_watch {
    rci_watch_kind kind;
    struct rci_controller *ctrl; /* NULL for CALLBACK */
    rci_source *src;
    rc_watch_options opts;
    rc_map_fn map;
    void *map_ctx;
    void (*change)(void *ctx, rc_change_type type, const rc_object *old, const rc_object *obj);
    void *change_ctx;
    rc_manager *m;
    rc_handler_registration *reg;
} rci_watch;

typedef struct rci_controller {
    rc_manager *m;
    const rc_controller_ops *ops;
    void *self;
    char *name;
    int workers;
    bool need_leader;
    rc_workqueue *queue;
    rc_expectations *exp;
    rc_client *client; /* the wrapping client handed to reconcile */
    rci_cclient *cc;
    rc_recorder *recorder;
    rci_source *primary;
    rci_source **reads; /* every source declared (for sync and reads) */
    size_t nreads;
    rc_metric_series *m_success, *m_error, *m_requeue, *m_requeue_after, *m_errors, *m_time;
    pthread_t *threads;
    size_t nthreads;
} rci_controller;

/* An index added through rc_builder_index (remembered to accept the same one again). */
typedef struct rci_index {
    rci_source *src;
    char *name;
    rc_index_fn fn;
    void *ctx;
} rci_index;

struct rc_builder {
    rc_manager *m;
    rci_controller *c;
};

struct rc_keys {
    char **keys;
    size_t n, cap;
    bool failed;
};

struct rc_reconcile_ctx {
    rci_controller *c;
    const char *key;
    rc_error err; /* the failure of rc_result_error */
};

typedef struct rci_runnable {
    const rc_runnable_ops *ops;
    void *self;
} rci_runnable;

typedef enum rci_mode {
    RCI_MODE_IDLE = 0,
    RCI_MODE_STEPPED,
    RCI_MODE_THREADED
} rci_mode;

struct rc_manager {
    rc_client *base;   /* the user's client (referenced) */
    rc_client *client; /* wrapping client (request metrics) over base */
    rci_cclient *cc;
    rc_clock *clock;
    rc_apiserver *apiserver;
    rc_metrics *metrics;
    bool own_metrics;
    char *namespace_;
    rc_informer_factory *factory;
    rci_source **sources;
    size_t nsources;
    rci_watch **watches;
    size_t nwatches;
    rci_controller **ctrls;
    size_t nctrls;
    rci_runnable *runnables;
    size_t nrunnables;
    rci_index *indexes;
    size_t nindexes;
    rc_recorder *recorder;
    rc_leader *leader;
    char lease_name[128];
    char *event_source;
    rc_rand rand;
    size_t max_steps;
    rc_duration resync_period; /* informers' resync (0 = none) */
    rci_mode mode;
    /* deterministic driver: units that did nothing at the current instant, and a scratch list */
    unsigned char *stalled;
    size_t *units;
    size_t units_cap;
    rc_workqueue_metrics_provider wq_metrics;
    rc_metric *f_reconcile, *f_errors, *f_time, *f_requests, *f_synced, *f_leader;
    /* threaded driver */
    pthread_mutex_t mu;
    pthread_cond_t cond;
    atomic_bool stopping;
    sem_t stop_sem;
    bool threads_started;
    pthread_t factory_thread, timer_thread;
    uint64_t wake_seq;
};

/* manager.c */
rci_source *rci_manager_source(rc_manager *m, const char *resource, rc_error *err);
rci_source *rci_controller_find_read(rci_controller *c, const char *resource, rc_error *err);
int rci_manager_add_watch(rc_manager *m, rci_watch *w, rc_error *err);
bool rci_controller_synced(rci_controller *c);
bool rci_controller_may_run(rci_controller *c);
rci_controller *rci_manager_controller(rc_manager *m, const char *name);
/* The function of index `name` added to src's cache through the manager (*ctx its context), or NULL. */
rc_index_fn rci_manager_index_fn(rc_manager *m, const rci_source *src, const char *name, void **ctx);

/* ownerref.c: the RC_INDEX_CONTROLLER index function (ctx unused). */
void rci_controller_index(void *ctx, const rc_object *obj, rc_index_values *out);

/* builder.c: the informer handler of every watch */
extern const rc_event_handler rci_watch_handler;

/* worker.c: reconciles one key taken from the controller's queue and settles it. */
void rci_process_key(rci_controller *c, const char *key);

/* rtmetrics.c */
int rci_metrics_register(rc_manager *m, rc_error *err);
int rci_metrics_controller(rc_manager *m, rci_controller *c, rc_error *err);
void rci_metrics_request(rc_metric *requests, const char *verb, int code);

/* driver_thread.c */
void rci_threads_stop_and_join(rc_manager *m);

#endif
