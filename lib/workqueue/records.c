/* records.c - the workqueue's key records: each distinct key is interned once (key table) and keeps its
 * record while it has state; a record left without state joins a bounded idle list (least recently used
 * first) so a recurring key is found without an insert, and one evicted from it joins a free list, so
 * unique keys reuse warm memory instead of calling malloc under the lock. Records are freed only with the
 * queue (the lookaside may still point at them). Called with the queue lock held; see queue_internal.h. */
#include <stdlib.h>
#include <string.h>

#include "workqueue/queue_internal.h"

/* Key bytes every recycled record can hold: a record with a short key is 128 bytes in all. */
#define MIN_KEY_CAP (128 - offsetof(rci_wq_item, key))
/* Most idle records forgotten at once when the idle list overflows: their key-table slots (usually far
 * from any cache: with unique keys the table is large) are all loaded before the first is removed. */
#define EVICT_BATCH 32

/* Records are never freed while the queue lives (the lookaside may still point at them): a forgotten
 * record joins the free list for the next new key. */
static void forget_record(rc_workqueue *q, rci_wq_item *it)
{
    rci_itemtab_remove(&q->keys, it->hash, it);
    rci_wq_set_flags(it, 0);
    it->next = q->free_items;
    q->free_items = it;
}

/* Forgets the least recently used idle records: one in 16 of the bound (at least one, at most
 * EVICT_BATCH), so the list stays within idle_max and a burst of unique keys pays for its key-table
 * misses in parallel rather than one after another. */
static void evict(rc_workqueue *q)
{
    size_t want = q->idle_max / 16 + 1;
    rci_wq_item *batch[EVICT_BATCH];
    size_t n = 0;
    for (rci_wq_item *it = q->idle.head; it && n < want && n < EVICT_BATCH; it = it->next) {
        rci_itemtab_prefetch(&q->keys, it->hash);
        batch[n++] = it;
    }
    for (size_t i = 0; i < n; i++) {
        if (batch[i] == q->scout)
            q->scout = NULL;
        list_unlink(&q->idle, batch[i]);
        forget_record(q, batch[i]);
    }
    if (!q->scout)
        q->scouted = 0;
    else
        q->scouted = q->scouted > n ? q->scouted - (unsigned)n : 1;
}

/* Loads the next idle record in line for eviction, one per park, up to two batches ahead of the head:
 * the list links records in park order, far apart in memory, so an evicting walk from one cold record to
 * the next would wait for each in turn; this way the batch is in the cache by the time it is evicted. */
static void scout_ahead(rc_workqueue *q)
{
    rci_wq_item *next = q->scout ? q->scout->next : q->idle.head;
    if (!next || q->scouted >= 2 * EVICT_BATCH)
        return;
    __builtin_prefetch(next);
    q->scout = next;
    q->scouted++;
}

/* Takes it off the idle list, keeping the scout on the list. */
static void unpark(rc_workqueue *q, rci_wq_item *it)
{
    if (it == q->scout) {
        q->scout = it->prev;
        q->scouted = !it->prev ? 0 : q->scouted > 1 ? q->scouted - 1 : 1;
    }
    list_unlink(&q->idle, it);
}

void rci_wq_park(rc_workqueue *q, rci_wq_item *it)
{
    rci_wq_set_flags(it, RCI_WQ_IDLE);
    list_append(&q->idle, it);
    if (q->idle.len > q->idle_max)
        evict(q);
    scout_ahead(q);
}

/* A record able to hold n key bytes: a recycled one when it fits, else a new allocation. */
static rci_wq_item *new_record(rc_workqueue *q, size_t n)
{
    rci_wq_item *it = q->free_items;
    if (it && it->key_cap >= n) {
        q->free_items = it->next;
        return it;
    }
    size_t cap = ((n > MIN_KEY_CAP ? n : MIN_KEY_CAP) + 7) & ~(size_t)7;
    if (cap > UINT32_MAX)
        return NULL;
    it = malloc(offsetof(rci_wq_item, key) + cap);
    if (it) {
        it->key_cap = (uint32_t)cap;
        atomic_init(&it->state, 0);
    }
    return it;
}

rci_wq_item *rci_wq_intern(rc_workqueue *q, const char *key, uint64_t hash, size_t n)
{
    rci_wq_item *it = rci_itemtab_find_key(&q->keys, hash, key);
    if (it) {
        if (rci_wq_flags(it) & RCI_WQ_IDLE) {
            unpark(q, it);
            rci_wq_set_flags(it, 0);
        }
        return it;
    }
    if (!rci_itemtab_reserve(&q->keys) || !(it = new_record(q, n)))
        return NULL;
    it->prev = it->next = NULL;
    it->ready_at = it->added_at = it->started_at = 0;
    it->seq = 0;
    it->hash = hash;
    it->in_heap = false;
    it->in_ring = false;
    it->delay_priority = 0;
    rci_wq_item_assign(it, key, n, ++q->generation);
    rci_itemtab_insert(&q->keys, hash, it);
    return it;
}

/* The record an add is for. A retry usually passes the key pointer get handed out: while that record is
 * in flight the small in-flight set finds it, sparing a key-table lookup that misses the cache. */
rci_wq_item *rci_wq_record_for_add(rc_workqueue *q, const rci_intake_entry *e)
{
    if (e->flags & RCI_INTAKE_RETRY) {
        rci_wq_item *it = rci_procset_find(&q->inflight, e->origin);
        if (it && it->hash == e->hash && strcmp(it->key, e->key) == 0)
            return it;
    }
    return rci_wq_intern(q, e->key, e->hash, e->n);
}

void rci_wq_records_free(rc_workqueue *q)
{
    rci_wq_item *it;
    for (size_t i = 0; (it = rci_itemtab_next(&q->keys, &i));)
        free(it);
    rci_itemtab_free(&q->keys);
    while ((it = q->free_items)) {
        q->free_items = it->next;
        free(it);
    }
}
