/* delayheap.h - the delaying part of the workqueue: a 4-ary min-heap of key records ordered by
 * (ready_at, seq), so equal ready times come out in insertion order. Each entry holds a copy of its
 * record's (ready_at, seq), so sifting compares within the array instead of loading every child's
 * record (a cache miss each in a big heap). Records know their index, so a record can be moved earlier
 * or removed in O(log n). Not thread-safe: the queue lock guards it. */
#ifndef RC_WORKQUEUE_DELAYHEAP_H
#define RC_WORKQUEUE_DELAYHEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workqueue/item.h"

typedef struct rci_delayheap_entry {
    rc_time ready_at;
    uint64_t seq;
    rci_wq_item *it;
} rci_delayheap_entry;

typedef struct rci_delayheap {
    rci_delayheap_entry *v;
    size_t len, cap;
} rci_delayheap;

void rci_delayheap_init(rci_delayheap *h);
void rci_delayheap_free(rci_delayheap *h); /* frees the array, not the records */
/* Inserts it (ready_at and seq set by the caller); false on allocation failure (nothing changed). */
bool rci_delayheap_push(rci_delayheap *h, rci_wq_item *it);
/* The earliest record or NULL. */
static inline rci_wq_item *rci_delayheap_top(const rci_delayheap *h) { return h->len ? h->v[0].it : NULL; }
void rci_delayheap_remove(rci_delayheap *h, rci_wq_item *it);
/* Restores order after it->ready_at / seq were lowered. */
void rci_delayheap_moved_earlier(rci_delayheap *h, rci_wq_item *it);

#endif
