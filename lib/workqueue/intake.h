/* intake.h - the workqueue's intake: adds that the lock-free lookaside could not settle are appended
 * here under a small lock of their own, so a producer does not fight the getters for the queue
 * lock (nor drag the queue's cache lines to its core). Whoever holds the queue lock takes the whole
 * pending batch in one step and applies the adds in order, so first-add FIFO order and every add's
 * effect are kept; only the moment the queue sees an add moves later, to the next queue operation whose
 * answer it could change. The soonest due time and highest priority of the pending adds are readable
 * without the lock, so a getter can tell whether they could matter to it yet. */
#ifndef RC_WORKQUEUE_INTAKE_H
#define RC_WORKQUEUE_INTAKE_H

#include <reconcile/clock.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    RCI_INTAKE_DELAYED = 1u << 0, /* ready at ready_at, not now */
    RCI_INTAKE_RETRY = 1u << 1    /* an add_after or add_rate_limited: counted as a retry */
};

/* One pending add: the key (n bytes counting its NUL, zero-padded to a multiple of 8) and its hash,
 * priority, add time (0 unless the queue keeps metrics), due time and RCI_INTAKE_* flags; origin is the
 * address the caller passed the key at (compared with in-flight records' keys, never dereferenced). */
typedef struct rci_intake_entry {
    const void *origin;
    uint64_t hash;
    rc_time added_at;
    rc_time ready_at;
    int16_t priority;
    uint16_t flags;
    uint32_t n;
    _Alignas(8) char key[];
} rci_intake_entry;

/* A taken batch: entries in buf[off, len) still to apply; owned by the queue lock holder. Its buffer
 * stays with it once applied and is swapped for the filled one at the next take, so the two buffers
 * trade places with one pass through the intake lock. */
typedef struct rci_intake_batch {
    char *buf;
    size_t len, cap, off;
} rci_intake_batch;

/* The atomics are written under mu and readable without it. `pending` changes with every push; the
 * summary after it only when a push changes it (a few times per batch), on a line of its own, so
 * getters can consult it on every get without pulling the producer's line over. */
typedef struct rci_intake {
    pthread_mutex_t mu;
    char *buf; /* the buffer being filled */
    size_t len, cap;
    size_t long_at; /* pending bytes from which the intake counts as long */
    bool closed;
    _Atomic size_t pending; /* bytes in buf */
    char pad_[64];
    _Atomic rc_time earliest; /* the soonest a pending add is due (0: an add for now), RC_TIME_NEVER if none */
    _Atomic int top_priority; /* the highest priority among the pending adds, INT_MIN if none is pending */
    _Atomic bool is_long;     /* pending >= long_at */
} rci_intake;

/* An empty intake that reports itself long (rci_intake_long) from long_at pending bytes on. */
void rci_intake_init(rci_intake *in, size_t long_at);
void rci_intake_free(rci_intake *in);
/* Appends the add `add` (every field but the key set, n counting the NUL) of key; 0, RC_ECLOSED after
 * rci_intake_close or RC_ENOMEM. *pending gets the bytes now waiting, so the producer can apply a long
 * batch itself. */
int rci_intake_push(rci_intake *in, const rci_intake_entry *add, const char *key, size_t *pending);
/* Later pushes fail with RC_ECLOSED. */
void rci_intake_close(rci_intake *in);
/* Bytes waiting (a sequentially consistent load: see the wake-up protocol in queue.c). */
static inline size_t rci_intake_pending(rci_intake *in) { return atomic_load(&in->pending); }
/* The summary: each covers at least every push that happened before the call. When the soonest pending
 * add is due (0 for an add of a key for now, RC_TIME_NEVER when none is pending); the highest priority
 * among the pending adds (INT_MIN when none is pending); whether long_at bytes or more are pending. */
static inline rc_time rci_intake_earliest(rci_intake *in)
{
    return atomic_load_explicit(&in->earliest, memory_order_acquire);
}
static inline int rci_intake_top_priority(rci_intake *in)
{
    return atomic_load_explicit(&in->top_priority, memory_order_acquire);
}
static inline bool rci_intake_long(rci_intake *in) { return atomic_load_explicit(&in->is_long, memory_order_acquire); }
/* True while b holds adds not yet applied. */
static inline bool rci_intake_unapplied(const rci_intake_batch *b) { return b->off < b->len; }
/* Moves everything pending into b (fully applied: its buffer goes back to the intake); false when
 * nothing was pending. */
bool rci_intake_take(rci_intake *in, rci_intake_batch *b);
/* The next entry of b not yet applied, or NULL; rci_intake_advance steps past it. */
rci_intake_entry *rci_intake_peek(const rci_intake_batch *b);
void rci_intake_advance(rci_intake_batch *b);

#endif
