/* delayheap.h - the delaying part of the workqueue: a 4-ary min-heap of key records ordered by
 * (ready_at, seq), so equal ready times come out in insertion order. Each entry holds a copy of its
 * record's (ready_at, seq), and sifting never touches a record: records do not know their place in the
 * array (keeping it current meant a write to a cold record at every level). Instead, removing a record
 * other than the top, or scheduling it again earlier, leaves its old entry behind as stale (the record
 * is out of the heap, or its seq has moved on); stale entries are dropped when they reach the top, and
 * all at once when they outnumber the live ones. Not thread-safe: the queue lock guards it. */
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
    size_t len, cap; /* entries, stale ones included */
    size_t live;     /* records in the heap */
} rci_delayheap;

void rci_delayheap_init(rci_delayheap *h);
void rci_delayheap_free(rci_delayheap *h); /* frees the array, not the records */
/* Sets it->ready_at and it->seq and schedules it for them; seq must be new (never given to any record
 * before). An entry it already had goes stale. False on allocation failure (nothing changed). */
bool rci_delayheap_schedule(rci_delayheap *h, rci_wq_item *it, rc_time ready_at, uint64_t seq);
/* The earliest record in the heap, or NULL; drops the stale entries in front of it. */
rci_wq_item *rci_delayheap_top(rci_delayheap *h);
/* The earliest record in the heap if it is due at `now`, else NULL. Reads no record (the entries hold
 * the due times) until an entry is due, so a getter polling a heap that is not due misses no cache. */
rci_wq_item *rci_delayheap_due(rci_delayheap *h, rc_time now);
/* Takes it (which is in the heap) out. */
void rci_delayheap_remove(rci_delayheap *h, rci_wq_item *it);

#endif
