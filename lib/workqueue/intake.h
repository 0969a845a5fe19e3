/* intake.h - the workqueue's intake: adds that the lock-free lookaside could not settle are appended
 * here under a small lock of their own, so a producer does not fight the getters for the queue
 * lock (nor drag the queue's cache lines to its core). Whoever holds the queue lock takes the whole
 * pending batch in one step and applies the adds in order, so first-add FIFO order and every add's
 * effect are kept; only the moment the queue sees an add moves to the next queue operation. */
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

typedef struct rci_intake {
    pthread_mutex_t mu;
    char *buf; /* the buffer being filled */
    size_t len, cap;
    bool closed;
    _Atomic size_t pending; /* bytes in buf, readable without mu */
} rci_intake;

void rci_intake_init(rci_intake *in);
void rci_intake_free(rci_intake *in);
/* Appends the add `add` (every field but the key set, n counting the NUL) of key; 0, RC_ECLOSED after
 * rci_intake_close or RC_ENOMEM. *pending gets the bytes now waiting, so the producer can apply a long
 * batch itself. */
int rci_intake_push(rci_intake *in, const rci_intake_entry *add, const char *key, size_t *pending);
/* Later pushes fail with RC_ECLOSED. */
void rci_intake_close(rci_intake *in);
/* Bytes waiting (a sequentially consistent load: see the wake-up protocol in queue.c). */
static inline size_t rci_intake_pending(rci_intake *in) { return atomic_load(&in->pending); }
/* True while b holds adds not yet applied. */
static inline bool rci_intake_unapplied(const rci_intake_batch *b) { return b->off < b->len; }
/* Moves everything pending into b (fully applied: its buffer goes back to the intake); false when
 * nothing was pending. */
bool rci_intake_take(rci_intake *in, rci_intake_batch *b);
/* The next entry of b not yet applied, or NULL; rci_intake_advance steps past it. */
rci_intake_entry *rci_intake_peek(const rci_intake_batch *b);
void rci_intake_advance(rci_intake_batch *b);

#endif
