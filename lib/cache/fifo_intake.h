/* fifo_intake.h - the delta FIFO's intake: Added and Updated deltas are appended here under a small
 * lock of their own, with their key's hash computed by the producer outside every lock, so a producer
 * neither fights the popper for the FIFO lock nor probes the FIFO's key map (a cache miss on a long
 * queue) while holding it. Whoever holds the FIFO lock takes the whole pending run in one step and
 * applies it in order (delta_fifo.c), so every operation under that lock sees every delta queued before
 * it; only the moment the key map sees a delta moves. Two buffers trade places at each take and keep
 * their capacity, so a steady stream allocates nothing. */
#ifndef RC_CACHE_FIFO_INTAKE_H
#define RC_CACHE_FIFO_INTAKE_H

#include <reconcile/delta_fifo.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

/* One pending delta; the object reference belongs to the entry. */
typedef struct rci_fifo_entry {
    rc_object *obj;
    uint64_t hash; /* rci_key_hash of the object's key */
    rc_delta_type type;
} rci_fifo_entry;

/* A taken run: entries [off, n) still to apply; owned by the FIFO lock holder. */
typedef struct rci_fifo_run {
    rci_fifo_entry *e;
    size_t off, n, cap;
} rci_fifo_run;

typedef struct rci_fifo_intake {
    _Alignas(64) pthread_mutex_t mu; /* the producers' line: the consumer touches it once per take */
    rci_fifo_entry *e;
    size_t n, cap;
    bool closed;
    atomic_size_t pending; /* n, readable without mu (sequentially consistent: see delta_fifo.c) */
} rci_fifo_intake;

void rci_fifo_intake_init(rci_fifo_intake *in);
/* Drops the pending entries' references and the buffer. */
void rci_fifo_intake_free(rci_fifo_intake *in);
/* Appends e (its reference passes to the intake on success): 0, RC_ECLOSED after rci_fifo_intake_close,
 * RC_ENOMEM. *pending receives the number of entries now waiting. */
int rci_fifo_intake_push(rci_fifo_intake *in, rci_fifo_entry e, size_t *pending);
/* Later pushes fail with RC_ECLOSED. */
void rci_fifo_intake_close(rci_fifo_intake *in);
static inline size_t rci_fifo_intake_pending(rci_fifo_intake *in) { return atomic_load(&in->pending); }
/* Moves everything pending into run, which must be fully applied (its buffer goes back to the intake);
 * false when nothing was pending. */
bool rci_fifo_intake_take(rci_fifo_intake *in, rci_fifo_run *run);
/* Drops the references of run's unapplied entries and its buffer. */
void rci_fifo_run_free(rci_fifo_run *run);

#endif
