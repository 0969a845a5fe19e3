/* informer.h - rc_informer: a shared informer (client-go's SharedIndexInformer) and the factory that
 * shares one informer per (resource, namespace, selectors) among all controllers.
 *
 * An informer owns a reflector, a delta FIFO and a store (its cache). Popping the FIFO ("pump") applies
 * each delta to the store and queues a notification for every handler; each handler has its own
 * unbounded buffer, so a slow handler never holds up the cache or the other handlers. Handlers see:
 *   on_add(obj)                          - a new object (and, for a handler added late, every cached one)
 *   on_update(old, obj)                  - a change, or a resync (old == obj's state)
 *   on_delete(obj, final_state_unknown)  - always an object of the watched type; the flag says the
 *                                          deletion was inferred at a relist and obj is the last state
 *                                          the cache knew.
 * Objects handed to handlers are borrowed for the call (rc_object_ref to keep one) and immutable.
 *
 * Each handler has its own resync period: the informer resyncs at the smallest one and a handler gets
 * Sync-updates only when its own period is due. A relist item whose resourceVersion did not change counts
 * as a resync too (upstream's Replaced handling). Before objects enter the cache a transform runs, at
 * queue time on the reflector's thread (as upstream); the default drops metadata.managedFields.
 *
 * Sans-I/O: rc_informer_step (reflector step + pump + dispatch) and rc_informer_next_deadline serve the
 * deterministic driver; rc_informer_run (threads: reflector, pump, one per handler) and rc_informer_stop
 * serve the threaded one. Everything is thread-safe. */
#ifndef RECONCILE_INFORMER_H
#define RECONCILE_INFORMER_H

#include "clock.h"
#include "common.h"
#include "listwatch.h"
#include "reflector.h"
#include "store.h"

typedef struct rc_informer rc_informer;
typedef struct rc_handler_registration rc_handler_registration;

/* Any callback may be NULL. They run on the dispatching thread, one notification at a time per handler,
 * in order. They may read the informer's store and may add or remove handlers. */
typedef struct rc_event_handler {
    void (*on_add)(void *ctx, rc_object *obj);
    void (*on_update)(void *ctx, rc_object *old, rc_object *obj);
    void (*on_delete)(void *ctx, rc_object *obj, bool final_state_unknown);
} rc_event_handler;

/* Returns the object to cache for obj: a new reference (rc_object_ref(obj) to keep it as it is), or NULL
 * on failure (obj is then cached unchanged and the failure logged). */
typedef rc_object *(*rc_transform_fn)(void *ctx, rc_object *obj);

typedef struct rc_informer_options {
    rc_reflector_options reflector; /* name, selectors, paging, watch-list, backoff (see reflector.h);
                                       its resync_period and should_resync are managed by the informer */
    rc_duration resync_period;      /* handlers added with resync period 0 use this; 0 = no resync */
    rc_transform_fn transform;      /* NULL: the default transform (drop metadata.managedFields) */
    void *transform_ctx;
    bool keep_managed_fields;       /* with transform NULL: cache objects exactly as received */
    size_t backlog_warn;            /* log a warning when a handler's backlog reaches this, then at each
                                       doubling; 0 = 1000 */
    /* Optional: told at once of every list/watch failure (typed: RC_EFORBIDDEN, RC_ENOTFOUND, RC_EIO...). */
    void (*on_sync_error)(void *ctx, rc_informer *inf, const rc_error *err);
    void *on_sync_error_ctx;
} rc_informer_options;

/* Fills o with the defaults (see rc_reflector_options_init). */
RC_API void rc_informer_options_init(rc_informer_options *o);

/* A new informer over lw, which it owns from now on (lw.ops->destroy(lw.ctx) is called at free, also
 * when this fails). clock is borrowed. opts may be NULL; its strings are copied. NULL on bad arguments or
 * allocation failure. */
RC_API rc_informer *rc_informer_new(rc_list_watch lw, rc_clock *clock, const rc_informer_options *opts);
/* Stops the informer (joining nothing: call after rc_informer_run returned) and releases everything:
 * handlers, buffered notifications, the cache, the FIFO, the source. NULL-safe. */
RC_API void rc_informer_free(rc_informer *inf);

/* Registers a handler with its own buffer. resync_period 0 = the informer's; at least 1 s; after start
 * it cannot be shorter than the informer's resync check period (it is raised to it). A handler added
 * after start first receives on_add for every cached object. The registration belongs to the informer
 * (valid until rc_informer_free). NULL + err on bad arguments or allocation failure. */
RC_API rc_handler_registration *rc_informer_add_handler(rc_informer *inf, const rc_event_handler *h, void *ctx,
                                                        rc_duration resync_period, rc_error *err);
/* The handler receives nothing more; its buffer is dropped. RC_ENOTFOUND if already removed. */
RC_API int rc_informer_remove_handler(rc_informer *inf, rc_handler_registration *reg);
/* Notifications buffered for the handler (its backlog) and the largest backlog it has had. */
RC_API size_t rc_handler_backlog(rc_handler_registration *reg);
RC_API size_t rc_handler_max_backlog(rc_handler_registration *reg);

/* The informer's cache (borrowed; valid until free): read it with rc_store_get, rc_lister_*, indexes. */
RC_API rc_store *rc_informer_store(rc_informer *inf);

/* Deterministic driver. start: allow the reflector to run (handlers added afterwards get replays).
 * step: a reflector step, then pump and dispatch up to `max` each; returns the work done or RC_ECLOSED
 * after stop. pump: pops up to max FIFO keys into the cache and the handler buffers; dispatch: delivers
 * up to max buffered notifications, round robin over handlers. Both return the count. next_deadline: when
 * step has work next (now while anything is queued). */
RC_API int rc_informer_start(rc_informer *inf);
RC_API int rc_informer_step(rc_informer *inf, size_t max);
RC_API int rc_informer_pump(rc_informer *inf, size_t max);
RC_API int rc_informer_dispatch(rc_informer *inf, size_t max);
RC_API rc_time rc_informer_next_deadline(rc_informer *inf);

/* Threaded driver: starts if needed and blocks, running the reflector, the pump and one thread per
 * handler (including handlers added while running) until rc_informer_stop; returns 0. */
RC_API int rc_informer_run(rc_informer *inf);
/* Stops the reflector and the FIFO, wakes every thread of run. Idempotent; any thread. */
RC_API void rc_informer_stop(rc_informer *inf);

/* True once the first list was applied to the cache. */
RC_API bool rc_informer_has_synced(rc_informer *inf);
/* Blocks up to timeout real nanoseconds (RC_TIME_NEVER: unbounded) for has_synced. Returns 0 once
 * synced; fails fast with the typed error (RC_EFORBIDDEN, RC_ENOTFOUND, RC_EUNAUTHORIZED, filled into
 * err) when the source refuses the list; RC_ETIMEOUT (err names the last failure, if any); RC_ECLOSED
 * after stop. */
RC_API int rc_informer_wait_for_sync(rc_informer *inf, rc_duration timeout, rc_error *err);
/* The current list/watch failure (0 when healthy), copied into err when not NULL. */
RC_API int rc_informer_sync_error(rc_informer *inf, rc_error *err);
/* resourceVersion of the last list or event applied, copied into buf. */
RC_API void rc_informer_last_sync_resource_version(rc_informer *inf, char *buf, size_t cap);

typedef struct rc_informer_memory {
    size_t objects;         /* cached objects */
    size_t object_bytes;    /* bytes those objects hold (rc_object_mem_size) */
    size_t store_bytes;     /* the cache's own tables and indexes */
    size_t pending_keys;    /* keys waiting in the FIFO */
    size_t handler_backlog; /* notifications buffered over all handlers */
} rc_informer_memory;
/* Fills *out (a consistent-enough snapshot: each figure is read under its own lock). */
RC_API void rc_informer_memory_report(rc_informer *inf, rc_informer_memory *out);

/* ---- shared informer factory ---- */
typedef struct rc_informer_source {
    const char *group;    /* "" for core */
    const char *version;  /* "v1" */
    const char *resource; /* plural, "pods" */
    const char *namespace_; /* NULL or "" = all namespaces */
    const char *label_selector; /* NULL = everything */
    const char *field_selector;
} rc_informer_source;

/* Makes the list-watch for a source (the embedded API server, the HTTP client, a test fake). On success
 * *out is owned by the informer that asked. */
typedef int (*rc_list_watch_provider)(void *ctx, const rc_informer_source *src, rc_list_watch *out,
                                      rc_error *err);

typedef struct rc_informer_factory rc_informer_factory;

/* clock borrowed; defaults (may be NULL) copied and used for every informer (selectors come from the
 * source). NULL on bad arguments or allocation failure. */
RC_API rc_informer_factory *rc_informer_factory_new(rc_list_watch_provider provider, void *provider_ctx,
                                                    rc_clock *clock, const rc_informer_options *defaults);
/* Stops and frees every informer. Call after rc_informer_factory_run returned. NULL-safe. */
RC_API void rc_informer_factory_free(rc_informer_factory *f);
/* The informer shared by everyone asking for the same source (borrowed; owned by the factory), created on
 * first request; started at once when the factory was started. NULL + err (from the provider) on failure. */
RC_API rc_informer *rc_informer_factory_get(rc_informer_factory *f, const rc_informer_source *src, rc_error *err);
/* Deterministic driver: start every informer (and later ones), step them all, the earliest deadline. */
RC_API int rc_informer_factory_start(rc_informer_factory *f);
RC_API int rc_informer_factory_step(rc_informer_factory *f, size_t max);
RC_API rc_time rc_informer_factory_next_deadline(rc_informer_factory *f);
/* Threaded driver: blocks running every informer (also those created meanwhile) until stop; returns 0. */
RC_API int rc_informer_factory_run(rc_informer_factory *f);
RC_API void rc_informer_factory_stop(rc_informer_factory *f);
/* Waits (real time) until every informer synced; fails fast like rc_informer_wait_for_sync. */
RC_API int rc_informer_factory_wait_for_sync(rc_informer_factory *f, rc_duration timeout, rc_error *err);
/* Number of informers created. */
RC_API size_t rc_informer_factory_count(rc_informer_factory *f);

#endif
