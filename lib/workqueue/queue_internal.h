/* queue_internal.h - the state of an rc_workqueue, shared by queue.c (adds, gets, done, delays,
 * wake-ups, life cycle) and records.c (interning keys as records, the idle list and record reuse). Every
 * field is guarded by the queue lock unless its comment (or its group's) says otherwise. */
#ifndef RC_WORKQUEUE_QUEUE_INTERNAL_H
#define RC_WORKQUEUE_QUEUE_INTERNAL_H

#include <reconcile/workqueue.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workqueue/delayheap.h"
#include "workqueue/donestack.h"
#include "workqueue/intake.h"
#include "workqueue/item.h"
#include "workqueue/itemtab.h"
#include "workqueue/lookaside.h"
#include "workqueue/procset.h"
#include "workqueue/readyring.h"

#define NLEVELS (RC_WORKQUEUE_PRIORITY_MAX - RC_WORKQUEUE_PRIORITY_MIN + 1)

typedef struct item_list {
    rci_wq_item *head, *tail;
    size_t len;
} item_list;

/* Grouped by who touches what: fields set once (read by producers and lock-free dones on every call),
 * the lock and what it guards (moved between the getters' cores on every handover), the few words
 * producers read to decide on a wake-up, the done stack, the intake and the ready ring, each group on
 * lines of its own (the padding keeps groups apart whatever the allocation's alignment). */
struct rc_workqueue {
    /* Set by rc_workqueue_new and read-only afterwards, but for `closed`, set once at shut-down. */
    rc_clock *clock;
    rc_rate_limiter *limiter;
    const rc_workqueue_metrics_ops *mops; /* NULL: metrics off, no timestamps taken */
    void *mctx, *qm;
    char *name;
    uint64_t id; /* unique among every queue of the process, so a thread's last get names its queue */
    rci_lookaside *lookaside;   /* lock-free dedup of adds of waiting keys */
    size_t idle_max;
    unsigned aging_every;
    _Atomic bool closed;        /* shutting_down, readable without the lock */
    _Atomic unsigned draining;  /* callers in shut_down_with_drain: lock-free dones must wake them */
    char pad0_[64];
    pthread_mutex_t mu;
    rci_itemtab keys;           /* key -> rci_wq_item, every interned record */
    item_list levels[NLEVELS];  /* ready records per priority, first-in first */
    uint32_t level_mask;        /* bit i set when levels[i] is not empty */
    size_t nready;              /* in the ready lists; the ready ring holds more */
    rci_delayheap delayed;
    rci_procset inflight;
    item_list idle;             /* least recently used first */
    rci_wq_item *scout;         /* the idle record eviction has been prefetched up to (NULL: none yet) */
    unsigned scouted;           /* idle records from the head up to the scout (a hint: may run high) */
    rci_wq_item *free_items;    /* forgotten records (linked by next), reused for new keys */
    uint64_t generation;        /* of the last record given a key */
    uint64_t next_seq;
    unsigned skipped;
    unsigned waiters, drain_waiters;
    unsigned signalled; /* getters signalled and not yet back from their wait */
    unsigned to_signal; /* getters to signal once the lock is released */
    /* Bumped (under the lock) whenever a spinning getter should look again: a key became ready, the
     * earliest deadline moved, notify or shut-down. */
    _Atomic unsigned changes;
    bool shutting_down;
    /* Ready-ring accounting: records the lock holders took back from the ring (handed out under the
     * lock or returned to the ready list), and records taken from it without the lock since finished.
     * The ring's head less both is what lock-free gets have in flight. */
    uint64_t ring_taken_back, ring_finished;
    /* The highest priority a delayed record may become ready at (a bound, reset when the heap empties):
     * the ring is filled only with keys that no due delayed key would go ahead of. */
    int delayed_top;
    rci_intake_batch batch; /* taken from the intake; adds not yet applied when out of memory stopped it */
    pthread_cond_t ready_cond; /* getters wait here */
    pthread_cond_t drain_cond; /* shut_down_with_drain waits here */
    /* Read by every producer, so kept apart from the lines getters write all the time. */
    char pad1_[64];
    /* Getters polling `changes` and the intake outside the lock (at most one); written under the lock. */
    _Atomic unsigned spinners;
    /* waiters > signalled + to_signal, kept under the lock: a producer that sees it (and no spinner)
     * applies the intake itself so the sleeper is woken. */
    _Atomic bool hungry;
    /* No sleeping getter wakes by itself before this (it may wake sooner): a delayed add due at or
     * after it needs no wake-up. Lowered as getters sleep, reset to RC_TIME_NEVER as any one wakes. */
    _Atomic rc_time wake_at;
    char pad2_[64];
    rci_donestack dones; /* records done() claimed without the lock, for the next lock holder */
    /* Whether keys were in flight at the last locked get or done, for producers deciding whether
     * getters are about */
    _Atomic bool busy;
    char pad3_[64];
    rci_intake intake;
    char pad4_[64];
    rci_readyring ring; /* the oldest ready records, takeable without the lock (readyring.h) */
};

static inline void list_append(item_list *l, rci_wq_item *it)
{
    it->next = NULL;
    it->prev = l->tail;
    if (l->tail)
        l->tail->next = it;
    else
        l->head = it;
    l->tail = it;
    l->len++;
}

static inline void list_unlink(item_list *l, rci_wq_item *it)
{
    if (it->prev)
        it->prev->next = it->next;
    else
        l->head = it->next;
    if (it->next)
        it->next->prev = it->prev;
    else
        l->tail = it->prev;
    it->prev = it->next = NULL;
    l->len--;
}

/* The record of key (string hash `hash`, n bytes with its NUL), taken off the idle list if it was
 * there, or a new (or recycled) record holding it with no state; NULL when out of memory. */
rci_wq_item *rci_wq_intern(rc_workqueue *q, const char *key, uint64_t hash, size_t n);
/* The record the pending add e is for, as rci_wq_intern. */
rci_wq_item *rci_wq_record_for_add(rc_workqueue *q, const rci_intake_entry *e);
/* Puts it (with no state left) on the idle list; the least recently used idle record beyond the bound
 * is forgotten. */
void rci_wq_park(rc_workqueue *q, rci_wq_item *it);
static inline void rci_wq_park_if_unused(rc_workqueue *q, rci_wq_item *it)
{
    if (!rci_wq_flags(it))
        rci_wq_park(q, it);
}
/* Frees every record and the key table (rc_workqueue_free). */
void rci_wq_records_free(rc_workqueue *q);

#endif
