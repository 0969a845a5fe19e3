/* readyring.h - the workqueue's ready ring: the oldest ready records of the one priority level in use,
 * moved out of the ready list by the queue lock holder so that getters can take them without the lock
 * while another getter holds it (applying adds, finishing dones). A bounded ring of record pointers with
 * one filler at a time (the lock holder) and any number of takers: a taker claims a slot by advancing
 * `head` with a compare-and-swap, and the filler writes a slot only once `head` has passed it, so a
 * claimed slot cannot have been overwritten. `head` and `tail` only grow (64-bit: no wrap-around, no
 * ABA). The records in it stay READY; the queue (queue.c) says what a record's trip through it means. */
#ifndef RC_WORKQUEUE_READYRING_H
#define RC_WORKQUEUE_READYRING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "workqueue/item.h"

#define RCI_READYRING_SLOTS 8192u

typedef struct rci_readyring {
    _Atomic uint64_t head; /* the next slot to take; advanced by takers */
    char pad_[64 - sizeof(uint64_t)];
    _Atomic uint64_t tail; /* one past the last slot filled; advanced by the filler */
    _Atomic int level;     /* the priority level of the records in it (set while it is empty) */
    _Atomic bool open;     /* lock-free gets may take from it (the queue's lock holder decides) */
    _Atomic size_t low;    /* below this many records, a getter taking one tops it up (the filler decides) */
    /* RCI_READYRING_SLOTS slots (64 KiB), allocated at the first fill (rci_readyring_alloc), so a queue
     * that never uses the ring does not pay for it; written before the first publish, so takers that
     * see a record in the ring see them. */
    _Atomic(rci_wq_item *) *slot;
} rci_readyring;

/* Allocates the slots (the filler, once, before the first rci_readyring_put); false when out of memory. */
static inline bool rci_readyring_alloc(rci_readyring *r)
{
    r->slot = malloc(RCI_READYRING_SLOTS * sizeof *r->slot); /* each slot is written before it is read */
    return r->slot != NULL;
}

static inline void rci_readyring_free(rci_readyring *r) { free(r->slot); }

/* Records in the ring (exact for the filler, a snapshot for anyone else). */
static inline size_t rci_readyring_len(rci_readyring *r)
{
    uint64_t h = atomic_load_explicit(&r->head, memory_order_acquire);
    return (size_t)(atomic_load_explicit(&r->tail, memory_order_acquire) - h);
}

/* The oldest record, left in place, or NULL (a snapshot: another thread may take it meanwhile). */
static inline rci_wq_item *rci_readyring_first(rci_readyring *r)
{
    uint64_t h = atomic_load_explicit(&r->head, memory_order_acquire);
    if (h == atomic_load_explicit(&r->tail, memory_order_acquire))
        return NULL;
    return atomic_load_explicit(&r->slot[h % RCI_READYRING_SLOTS], memory_order_relaxed);
}

/* Takes the oldest record, or NULL when the ring is empty. Any thread. */
static inline rci_wq_item *rci_readyring_take(rci_readyring *r)
{
    uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    for (;;) {
        if (h == atomic_load_explicit(&r->tail, memory_order_acquire))
            return NULL;
        rci_wq_item *it = atomic_load_explicit(&r->slot[h % RCI_READYRING_SLOTS], memory_order_relaxed);
        if (atomic_compare_exchange_weak_explicit(&r->head, &h, h + 1, memory_order_acq_rel, memory_order_relaxed))
            return it;
    }
}

/* Appends it; the filler only (the queue lock holder), with rci_readyring_len below the capacity. Takers
 * see it once rci_readyring_publish has run. */
static inline void rci_readyring_put(rci_readyring *r, size_t i, rci_wq_item *it)
{
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed) + i;
    atomic_store_explicit(&r->slot[t % RCI_READYRING_SLOTS], it, memory_order_relaxed);
}

/* Makes the n records put since the last publish takeable, in the order put. */
static inline void rci_readyring_publish(rci_readyring *r, size_t n)
{
    atomic_store_explicit(&r->tail, atomic_load_explicit(&r->tail, memory_order_relaxed) + n, memory_order_release);
}

#endif
