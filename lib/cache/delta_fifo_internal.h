/* delta_fifo_internal.h - the batched pop of rc_delta_fifo, used by the shared informer: up to
 * RCI_FIFO_BATCH keys leave the queue under one lock acquisition and are handed to one callback, which
 * sees each key's cached hash so the cache need not hash the key again. Keys in a batch are distinct and
 * in queue order; the batch is processed under the pop lock, exactly like a single pop. */
#ifndef RC_CACHE_DELTA_FIFO_INTERNAL_H
#define RC_CACHE_DELTA_FIFO_INTERNAL_H

#include <reconcile/delta_fifo.h>

#define RCI_FIFO_BATCH 64

/* One popped key; the callback sets `result` (0 = done, RC_EAGAIN = requeue in front of newer deltas,
 * anything else = drop). */
typedef struct rci_popped {
    const char *key;
    uint64_t hash; /* rci_key_hash(key) */
    const rc_delta *deltas;
    size_t n;
    int result;
} rci_popped;

typedef void (*rci_pop_batch_fn)(void *ctx, rci_popped *batch, size_t n);

/* Pops up to max keys (at most RCI_FIFO_BATCH) and calls fn once with them. When wait > 0 it blocks up to
 * wait real nanoseconds (RC_TIME_NEVER = unbounded) for the first key. Returns the number of keys popped,
 * RC_EAGAIN when none arrived in time, RC_ECLOSED when closed and drained. */
int rci_delta_fifo_pop_batch(rc_delta_fifo *f, size_t max, rc_duration wait, rci_pop_batch_fn fn, void *ctx);

/* Returns the object to queue for obj as a new reference (never NULL: rc_object_ref(obj) to keep it). */
typedef rc_object *(*rci_transform_fn)(void *ctx, rc_object *obj);
/* Sets the transform applied to every Added, Updated and Replaced object as it is queued, on the
 * producer's thread (Deleted and Sync deltas carry objects that already went through it). Call before the
 * FIFO is used. */
void rci_delta_fifo_set_transform(rc_delta_fifo *f, rci_transform_fn fn, void *ctx);

#endif
