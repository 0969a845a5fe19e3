/* delta_fifo.h - rc_delta_fifo: the queue between a reflector and an informer (client-go's DeltaFIFO).
 *
 * Every key with pending changes has one entry holding the list of its deltas (Added, Updated, Deleted,
 * Replaced, Sync) in arrival order; keys pop in first-in order and a pop hands the whole list of one key
 * to a process callback. Two consecutive Deleted deltas collapse into one. A relist (replace) compares
 * the new list with the pending keys and the known-objects store: every key that disappeared gets a
 * Deleted delta flagged final_state_unknown that carries the last known object, so no deletion is lost.
 * Items of a replace are queued as Replaced deltas (upstream's EmitDeltaTypeReplaced behaviour; the
 * informer treats a Replaced delta whose resourceVersion did not change as a resync).
 *
 * Thread-safe. Producers never wait for a process callback; poppers are serialised among themselves and
 * with replace/resync, so a key is never processed twice at once and a relist never misses a key that is
 * being processed. Nothing blocks except rc_delta_fifo_pop. */
#ifndef RECONCILE_DELTA_FIFO_H
#define RECONCILE_DELTA_FIFO_H

#include "clock.h"
#include "common.h"
#include "object.h"
#include "store.h"

typedef enum rc_delta_type {
    RC_DELTA_ADDED,
    RC_DELTA_UPDATED,
    RC_DELTA_DELETED,
    RC_DELTA_REPLACED, /* an item of a relist */
    RC_DELTA_SYNC      /* a periodic resync of a known object */
} rc_delta_type;

typedef struct rc_delta {
    rc_delta_type type;
    /* Deleted only: the deletion was inferred during a relist (the watch event was missed), so `object`
     * is the last state the cache knew, not the final one (client-go's DeletedFinalStateUnknown). */
    bool final_state_unknown;
    rc_object *object; /* owned by the FIFO; borrowed by a process callback for the call */
} rc_delta;

typedef struct rc_delta_fifo rc_delta_fifo;

/* Processes all deltas of one key (oldest first). Return 0 when done; RC_EAGAIN to requeue them (they go
 * back in front of any deltas that arrived meanwhile); any other error drops them and is returned by the
 * pop. Must not call pop, replace or resync of the same FIFO. */
typedef int (*rc_delta_process_fn)(void *ctx, const char *key, const rc_delta *deltas, size_t n);

/* A new FIFO. known_objects (borrowed; may be NULL) is the store the popped deltas are applied to: replace
 * uses it to find deletions and resync to queue Sync deltas. NULL only on allocation failure. */
RC_API rc_delta_fifo *rc_delta_fifo_new(rc_store *known_objects);
/* Releases pending deltas and the FIFO. NULL-safe; not concurrently with other calls. */
RC_API void rc_delta_fifo_free(rc_delta_fifo *f);

/* Queue an Added / Updated / Deleted delta for obj (a new reference is taken). Delete ignores an object
 * that is neither pending, nor known, nor being processed. RC_EINVAL for a NULL or nameless object,
 * RC_ECLOSED after close, RC_ENOMEM. */
RC_API int rc_delta_fifo_add(rc_delta_fifo *f, rc_object *obj);
RC_API int rc_delta_fifo_update(rc_delta_fifo *f, rc_object *obj);
RC_API int rc_delta_fifo_delete(rc_delta_fifo *f, rc_object *obj);
/* A relist: queues a Replaced delta for each of objs[0..n) and a final-state-unknown Deleted delta for
 * every pending or known key missing from objs. resource_version (may be NULL) is the list's version,
 * logged at debug level. The first replace defines has_synced. RC_EINVAL for a NULL or nameless item
 * (nothing queued), RC_ECLOSED, RC_ENOMEM (the FIFO may hold part of the relist; relist again). */
RC_API int rc_delta_fifo_replace(rc_delta_fifo *f, rc_object *const *objs, size_t n,
                                 const char *resource_version);
/* Queues a Sync delta for every known object whose key has nothing pending. RC_ECLOSED, RC_ENOMEM. */
RC_API int rc_delta_fifo_resync(rc_delta_fifo *f);

/* Pops the oldest key and calls fn with its deltas. 0 when one key was processed; RC_EAGAIN when the
 * queue is empty (try_pop) or the timeout (real nanoseconds; RC_TIME_NEVER = unbounded) passed (pop);
 * RC_ECLOSED when closed and drained; otherwise the error fn returned. */
RC_API int rc_delta_fifo_try_pop(rc_delta_fifo *f, rc_delta_process_fn fn, void *ctx);
RC_API int rc_delta_fifo_pop(rc_delta_fifo *f, rc_delta_process_fn fn, void *ctx, rc_duration timeout);

/* True once the first replace happened (or anything was queued first) and every key it queued was popped. */
RC_API bool rc_delta_fifo_has_synced(rc_delta_fifo *f);
/* Number of keys with pending deltas. */
RC_API size_t rc_delta_fifo_len(rc_delta_fifo *f);
/* Closes the FIFO: queuing fails with RC_ECLOSED, poppers drain what is left and blocked ones wake. */
RC_API void rc_delta_fifo_close(rc_delta_fifo *f);
RC_API bool rc_delta_fifo_is_closed(rc_delta_fifo *f);
/* "Added", "Updated", "Deleted", "Replaced", "Sync". */
RC_API const char *rc_delta_type_name(rc_delta_type t);

#endif
