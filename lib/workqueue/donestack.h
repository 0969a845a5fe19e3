/* donestack.h - the workqueue's lock-free done stack: a done() that claimed its in-flight record
 * (rci_wq_claim_done) pushes it here instead of taking the queue lock, and whoever holds the queue lock
 * next takes the whole stack in one exchange and finishes the records in the order they were pushed.
 * Many pushers, one taker at a time (the lock holder); taking everything at once has no ABA problem. */
#ifndef RC_WORKQUEUE_DONESTACK_H
#define RC_WORKQUEUE_DONESTACK_H

#include <stdatomic.h>
#include <stddef.h>

#include "workqueue/item.h"

typedef struct rci_donestack {
    _Atomic(rci_wq_item *) head;
} rci_donestack;

/* Pushes it (a sequentially consistent read-modify-write: see the done protocol in queue.c). */
static inline void rci_donestack_push(rci_donestack *d, rci_wq_item *it)
{
    rci_wq_item *head = atomic_load_explicit(&d->head, memory_order_relaxed);
    do
        it->done_next = head;
    while (!atomic_compare_exchange_weak(&d->head, &head, it));
}

/* Takes every pushed record, first pushed first (linked by done_next), or NULL when there is none. */
static inline rci_wq_item *rci_donestack_take(rci_donestack *d)
{
    if (!atomic_load(&d->head))
        return NULL;
    rci_wq_item *it = atomic_exchange(&d->head, NULL), *fifo = NULL;
    while (it) {
        rci_wq_item *next = it->done_next;
        it->done_next = fifo;
        fifo = it;
        it = next;
    }
    return fifo;
}

#endif
