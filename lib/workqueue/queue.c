/* queue.c - rc_workqueue: de-duplicating, delaying, rate-limited, prioritised queue of string keys.
 *
 * One lock guards everything but the intake. Each distinct key is interned once as an rci_wq_item found
 * through a tombstone-free key table; the record carries its state flags, so an add of a waiting key is a
 * lock plus one lookup. Ready records sit in one FIFO list per priority level (a bit mask finds the
 * highest non-empty level); delayed records in a 4-ary heap by (ready time, insertion order); records
 * handed out in a small pointer set so done() (and a retry passing it) finds them by the key pointer get
 * returned. A done() of the key the same thread was handed out last, not added again meanwhile, takes no
 * lock: it claims the record (DONE_PENDING) and pushes it on a lock-free stack (donestack.h) that the
 * next holder of the queue lock finishes, so a worker takes the lock once per item, not twice. Records
 * that become idle stay interned a while, and evicted ones are reused (records.c; the state all parts
 * share is in queue_internal.h). An add that the lock-free lookaside cannot settle (any add now or
 * later) is appended to the intake (intake.h) under the intake's own lock, and holders of the queue lock
 * apply the pending intake in order (catch_up) before anything that could see the difference; only a
 * get with keys ready ahead of every pending add may leave a short intake for later. So a producer takes
 * the queue lock only to wake a sleeping getter when none spins, to count a retry in the metrics, or to
 * apply a batch while the lock is free; the getters take many adds per handover of the lock, and apply
 * them with the key-table slots prefetched a few adds ahead.
 * The oldest ready keys of the one level in use also sit in a ready ring (readyring.h) that getters take
 * from without the lock, while the lock holder applies adds and finishes dones: a getter takes the lock
 * only when the ring runs low (to catch up and top it up, if the lock is free) or is closed (keys ready
 * at another level, or a delayed key that could go ahead of it) or empty. Keys in the ring stay READY,
 * so adds of them are de-duplicated; a key taken from it is in flight but not in the in-flight set, and
 * the lock holders count it instead (`ring_taken_back`, `ring_finished`). Queues with metrics do not use it.
 * A getter that finds nothing spins briefly (one at a time, outside the lock) before it sleeps, so a
 * steady stream of adds reaches it without a futex wake-up; sleeping getters are woken after the lock is
 * released, and only for keys no spinner will take. Blocking is confined to get and
 * shut_down_with_drain; everything else is a non-blocking step. */
#include <reconcile/workqueue.h>

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "workqueue/queue.h"
#include "workqueue/queue_internal.h"

#define DEFAULT_AGING_EVERY 16
#define DEFAULT_IDLE_KEYS 4096
/* Polls a spinning getter makes before it sleeps (a few tens of microseconds). */
#define SPIN_POLLS 2048
/* Pending intake bytes at which a producer applies the batch itself if the queue lock is free and no
 * key is in flight (about 20 short keys: small enough that a get after a burst of adds does not pay for
 * a long batch, W4). With keys in flight the getters are about and take the batch when they next catch
 * up: a producer applying it would fight them for the lock and pull the queue's lines to its core (W1),
 * so it does that only past INTAKE_MAX, about 16 k short keys left waiting (getters busy elsewhere for a
 * long time), and even then only if the lock is free. A busy lock is a getter applying adds, which takes
 * this batch next: waiting for it stalled the producer for as long as that getter's batch took (W1: ~5 ms,
 * ~25 times a run, more than half the producer's time). */
#define INTAKE_BATCH 1024
#define INTAKE_MAX (1u << 20)
/* Capacity above which an applied intake buffer is freed rather than kept for the next batch, so a
 * burst does not leave two INTAKE_MAX buffers behind for the queue's life. */
#define INTAKE_KEPT (64u << 10)
/* Pending intake bytes a get with keys ready ahead of them may leave for later: half the producer's
 * batch, so busy getters apply the adds in short batches and the producer seldom has to. */
#define GET_LEAVES (INTAKE_BATCH / 2)
/* Adds ahead of the one being applied whose key-table slots are being loaded. */
#define PREFETCH_AHEAD 8
/* Adds applied between top-ups of the ready ring while a long batch is applied (delayed keys that came
 * due meanwhile are made ready first), so getters taking from the ring without the lock do not run dry,
 * and due keys do not wait behind the whole batch (W3b: its producer's 100 k delayed adds). */
#define RING_TOPUP_EVERY 32
/* Records one top-up moves at most. Getters top the ring up when it is below half full; a quarter of it
 * per top-up leaves it well above that, so the next top-up comes many gets later (topping up by a few
 * at a time made nearly every get take the lock), and no single call pays for the whole ring. A get
 * that found the ring empty starts it with a few (it is the one waiting for its key). */
#define RING_FILL_START 32
#define RING_FILL_MAX (RCI_READYRING_SLOTS / 4)

static int level_of(int priority) { return priority - RC_WORKQUEUE_PRIORITY_MIN; }

static double seconds(rc_duration d) { return (double)d / 1e9; }

/* Keys waiting to be handed out: in the ready lists and in the ready ring. */
static size_t ready_count(rc_workqueue *q) { return q->nready + rci_readyring_len(&q->ring); }

/* Keys in flight: in the in-flight set, and taken from the ready ring without the lock and not finished
 * (the ring's head counts every take; lock holders count the ones that were theirs). */
static size_t inflight_count(rc_workqueue *q)
{
    uint64_t lock_free = atomic_load_explicit(&q->ring.head, memory_order_acquire) - q->ring_taken_back;
    return q->inflight.count + (size_t)(lock_free - q->ring_finished);
}

/* Stored only when it changes, so the done stack's line is not written for every key finished. */
static void publish_inflight(rc_workqueue *q)
{
    bool busy = inflight_count(q) != 0;
    if (atomic_load_explicit(&q->busy, memory_order_relaxed) != busy)
        atomic_store_explicit(&q->busy, busy, memory_order_relaxed);
}

static void announce_change(rc_workqueue *q)
{
    atomic_store_explicit(&q->changes, atomic_load_explicit(&q->changes, memory_order_relaxed) + 1,
                          memory_order_release);
}

/* Whether a blocked getter is not yet on its way (signalled or about to be). */
static bool getter_unsignalled(const rc_workqueue *q) { return q->waiters > q->signalled + q->to_signal; }

/* Stored only when it changes, so producers reading it keep their copy of the line. */
static void update_hungry(rc_workqueue *q)
{
    bool h = getter_unsignalled(q);
    if (atomic_load_explicit(&q->hungry, memory_order_relaxed) != h)
        atomic_store(&q->hungry, h);
}

/* Asks for one more blocked getter to be woken, unless every blocked getter is already on its way. */
static void wake_getter(rc_workqueue *q)
{
    announce_change(q);
    if (getter_unsignalled(q)) {
        q->to_signal++;
        update_hungry(q);
    }
}

/* A key became ready: a sleeping getter is needed only for keys beyond those a spinner will take. */
static void wake_for_ready(rc_workqueue *q)
{
    if (getter_unsignalled(q) && ready_count(q) > q->spinners)
        wake_getter(q); /* announces the change too */
    else
        announce_change(q);
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Called with the lock held and nothing to hand out: releases the lock, polls until something changes,
 * an add for now reaches the intake, the earliest delayed key (in the heap or the intake) is due, the
 * intake grows long or the spin budget is spent, and takes the lock again. A delayed add that is not due
 * yet does not end the spin by itself: taking the lock for each would only pull the producer's intake
 * over to this core. A long intake does: an idle getter applies it, so the producer need not. True when
 * that was the reason (the caller applies it and may spin again). */
static bool spin_unlocked(rc_workqueue *q)
{
    unsigned seen = atomic_load_explicit(&q->changes, memory_order_relaxed);
    rci_wq_item *next = rci_delayheap_top(&q->delayed);
    rc_time deadline = next ? next->ready_at : RC_TIME_NEVER;
    atomic_store(&q->spinners, q->spinners + 1);
    pthread_mutex_unlock(&q->mu);
    bool long_intake = false;
    for (int i = 1; i <= SPIN_POLLS && atomic_load_explicit(&q->changes, memory_order_acquire) == seen; i++) {
        rc_time pending = rci_intake_earliest(&q->intake);
        rc_time due = pending < deadline ? pending : deadline;
        if (due == 0 || (i % 16 == 0 && due != RC_TIME_NEVER && rc_clock_now(q->clock) >= due))
            break;
        if ((long_intake = rci_intake_long(&q->intake)))
            break;
        cpu_relax();
    }
    pthread_mutex_lock(&q->mu);
    atomic_store(&q->spinners, q->spinners - 1); /* before the caller looks at the intake again */
    return long_intake;
}

/* Releases the lock, then sends the signals wake_getter asked for: a woken getter does not run into the
 * lock its waker still holds. A getter checks for keys under the lock before it waits, so none is lost. */
static void unlock_and_wake(rc_workqueue *q)
{
    unsigned n = q->to_signal;
    q->signalled += n;
    q->to_signal = 0;
    update_hungry(q);
    pthread_mutex_unlock(&q->mu);
    while (n--)
        pthread_cond_signal(&q->ready_cond);
}

static void list_prepend(item_list *l, item_list *front)
{
    if (!front->head)
        return;
    front->tail->next = l->head;
    if (l->head)
        l->head->prev = front->tail;
    else
        l->tail = front->tail;
    l->head = front->head;
    l->len += front->len;
}

/* Opens the ready ring to lock-free gets while its keys go first: no key is ready at another level
 * (the ring holds its level's oldest keys, but a higher level goes ahead and a lower one may age past
 * them) and no delayed key could become ready above them. Stored only when it changes. */
static void ring_gate(rc_workqueue *q)
{
    int priority = atomic_load_explicit(&q->ring.level, memory_order_relaxed);
    bool open = !(q->level_mask & ~(1u << level_of(priority))) && q->delayed_top <= priority;
    if (atomic_load_explicit(&q->ring.open, memory_order_relaxed) != open)
        atomic_store_explicit(&q->ring.open, open, memory_order_release);
}

/* Returns every record of the ready ring to the front of its ready list, oldest first, with `first`
 * (taken from the ring by this thread) ahead of them: before a key in the ring moves to another
 * priority, or when a lock-free get finds a waiting add that could go ahead of its key. */
static void ring_take_back(rc_workqueue *q, rci_wq_item *first)
{
    item_list back = {0};
    if (first)
        list_append(&back, first);
    for (rci_wq_item *it; (it = rci_readyring_take(&q->ring));)
        list_append(&back, it);
    if (!back.head)
        return;
    for (rci_wq_item *it = back.head; it; it = it->next)
        it->in_ring = false;
    q->ring_taken_back += back.len;
    int lvl = level_of(rci_wq_priority(back.head));
    list_prepend(&q->levels[lvl], &back);
    q->level_mask |= 1u << lvl;
    q->nready += back.len;
    ring_gate(q);
}

/* Getters catch up when the ring falls to half of what the last fill or push left in it (at most half
 * the ring): with few keys ready a fill leaves few, and catching up at every get would take the lock and
 * the producers' intake from them for every key. */
static void ring_mark_low(rc_workqueue *q, size_t left)
{
    size_t low = left / 2 < RCI_READYRING_SLOTS / 2 ? left / 2 : RCI_READYRING_SLOTS / 2;
    if (atomic_load_explicit(&q->ring.low, memory_order_relaxed) != low)
        atomic_store_explicit(&q->ring.low, low, memory_order_relaxed);
}

/* Whether the ring, holding len records, takes records of level lvl: only on a queue without metrics
 * (their hooks run under the lock), when the ring is empty or of that level, and when no delayed key
 * could become ready above it. If so (and the ring is empty) the ring is now of that level. */
static bool ring_accepts(rc_workqueue *q, int lvl, size_t len)
{
    int priority = lvl + RC_WORKQUEUE_PRIORITY_MIN;
    if (!q->delayed.live)
        q->delayed_top = INT_MIN;
    if (q->mops || (len && atomic_load_explicit(&q->ring.level, memory_order_relaxed) != priority) ||
        q->delayed_top > priority || (!q->ring.slot && !rci_readyring_alloc(&q->ring)))
        return false;
    if (atomic_load_explicit(&q->ring.level, memory_order_relaxed) != priority)
        atomic_store_explicit(&q->ring.level, priority, memory_order_relaxed);
    return true;
}

/* Moves up to max records (len in the ring now) from the head of ready list lvl into the ring; returns
 * how many, not yet published. */
static size_t ring_move(rc_workqueue *q, int lvl, size_t len, size_t max)
{
    item_list *l = &q->levels[lvl];
    size_t n = 0;
    for (rci_wq_item *it; len + n < RCI_READYRING_SLOTS && n < max && (it = l->head); n++) {
        list_unlink(l, it);
        it->in_ring = true;
        rci_readyring_put(&q->ring, n, it);
    }
    q->nready -= n;
    if (!l->head)
        q->level_mask &= ~(1u << lvl);
    ring_gate(q);
    return n;
}

/* Tops the ready ring up from the head of its level's ready list when it is below half full, while no
 * other level has ready keys and the ring accepts them. The ring's lines, which every lock-free get
 * reads, are written only when something changes. */
static void ring_fill(rc_workqueue *q, size_t max)
{
    size_t len = q->mops ? RCI_READYRING_SLOTS : rci_readyring_len(&q->ring), n = 0;
    if (len >= RCI_READYRING_SLOTS / 2)
        return;
    int lvl = q->level_mask ? __builtin_ctz(q->level_mask) : -1;
    if (lvl >= 0 && q->level_mask == 1u << lvl && ring_accepts(q, lvl, len))
        n = ring_move(q, lvl, len, max);
    ring_mark_low(q, len + n);
    if (n)
        rci_readyring_publish(&q->ring, n);
}

/* The levels with ready keys, as a bit mask: the lists' and the ring's. */
static uint32_t ready_mask(rc_workqueue *q)
{
    uint32_t mask = q->level_mask;
    if (rci_readyring_len(&q->ring))
        mask |= 1u << level_of(atomic_load_explicit(&q->ring.level, memory_order_relaxed));
    return mask;
}

/* The oldest ready record of level lvl, or NULL: the ring's first for the ring's level (a lock-free
 * get may take it meanwhile; the next one is then as good), else the list's head. */
static rci_wq_item *front_of(rc_workqueue *q, int lvl)
{
    rci_wq_item *it = NULL;
    if (level_of(atomic_load_explicit(&q->ring.level, memory_order_relaxed)) == lvl)
        it = rci_readyring_first(&q->ring);
    return it ? it : q->levels[lvl].head;
}

/* Puts it, just made ready at level lvl while no key waits in the ready lists, straight into the ring if
 * the ring takes it: it is the newest key of its level either way, and it is in this core's cache now
 * (a top-up would load it again later, W3b). */
static bool ring_push(rc_workqueue *q, rci_wq_item *it, int lvl)
{
    size_t len = rci_readyring_len(&q->ring);
    if (len >= RCI_READYRING_SLOTS || !ring_accepts(q, lvl, len))
        return false;
    it->in_ring = true;
    rci_readyring_put(&q->ring, 0, it);
    ring_gate(q);
    ring_mark_low(q, len + 1);
    rci_readyring_publish(&q->ring, 1);
    return true;
}

static void ready_push(rc_workqueue *q, rci_wq_item *it)
{
    int lvl = level_of(rci_wq_priority(it));
    rci_wq_set_flags(it, rci_wq_flags(it) | RCI_WQ_READY);
    it->seq = q->next_seq++;
    if (!q->level_mask && !q->mops && ring_push(q, it, lvl)) {
        wake_for_ready(q);
        return;
    }
    list_append(&q->levels[lvl], it);
    if (!(q->level_mask & (1u << lvl))) {
        q->level_mask |= 1u << lvl;
        ring_gate(q);
    }
    q->nready++;
    wake_for_ready(q);
}

static void ready_unlink(rc_workqueue *q, rci_wq_item *it)
{
    int lvl = level_of(rci_wq_priority(it));
    list_unlink(&q->levels[lvl], it);
    if (!q->levels[lvl].head) {
        q->level_mask &= ~(1u << lvl);
        ring_gate(q);
    }
    rci_wq_set_flags(it, rci_wq_flags(it) & ~(unsigned)RCI_WQ_READY);
    q->nready--;
}

/* A ready key added again at a higher priority moves up (behind the keys already at that level). */
static void raise_priority(rc_workqueue *q, rci_wq_item *it, int priority)
{
    if (priority <= rci_wq_priority(it))
        return;
    if ((rci_wq_flags(it) & RCI_WQ_READY) && it->in_ring) {
        ring_take_back(q, NULL);
        if (it->in_ring) /* a lock-free get is taking it: this add came first, and it is being served */
            return;
    }
    if (rci_wq_flags(it) & RCI_WQ_READY) {
        ready_unlink(q, it);
        rci_wq_set_state(it, rci_wq_flags(it), priority);
        ready_push(q, it);
    } else {
        rci_wq_set_state(it, rci_wq_flags(it), priority);
    }
}

/* Metrics of a key becoming dirty at time `when` (taken only when metrics are on). */
static void count_add(rc_workqueue *q, rci_wq_item *it, rc_time when)
{
    if (!q->mops)
        return;
    it->added_at = when;
    q->mops->add(q->qm);
    q->mops->depth(q->qm, 1);
}

static void unschedule(rc_workqueue *q, rci_wq_item *it)
{
    if (rci_wq_flags(it) & RCI_WQ_DELAYED) {
        rci_delayheap_remove(&q->delayed, it);
        rci_wq_set_flags(it, rci_wq_flags(it) & ~(unsigned)RCI_WQ_DELAYED);
    }
}

/* Finishes the done() of it, whose DONE_PENDING is set (by the lock holder's own claim, or by a
 * lock-free done that pushed it on the done stack): it leaves the in-flight set, and is ready again if
 * it was added while processing. */
static void finish_done(rc_workqueue *q, rci_wq_item *it)
{
    unsigned flags = rci_wq_flags(it);
    if (flags & RCI_WQ_RING_TAKEN)
        q->ring_finished++;
    else
        rci_procset_take(&q->inflight, it->key);
    it->in_ring = false;
    publish_inflight(q);
    if (q->mops)
        q->mops->work_duration(q->qm, seconds(rc_clock_now(q->clock) - it->started_at));
    rci_wq_set_flags(it, flags & ~(unsigned)(RCI_WQ_PROCESSING | RCI_WQ_DIRTY | RCI_WQ_DONE_PENDING |
                                             RCI_WQ_RING_TAKEN));
    if (flags & RCI_WQ_DIRTY)
        ready_push(q, it);
    rci_wq_park_if_unused(q, it);
    if (!inflight_count(q) && q->drain_waiters)
        pthread_cond_broadcast(&q->drain_cond);
}

/* Finishes every done() made without the lock so far, in the order they were made. */
static void apply_dones(rc_workqueue *q)
{
    rci_wq_item *it = rci_donestack_take(&q->dones);
    while (it) {
        rci_wq_item *next = it->done_next;
        finish_done(q, it);
        it = next;
    }
}

/* Makes it ready now (or dirty while processing), merging with whatever state it is in; `when` is the
 * add's time for the metrics. */
static void add_now(rc_workqueue *q, rci_wq_item *it, int priority, rc_time when)
{
    if (rci_wq_flags(it) & (RCI_WQ_READY | RCI_WQ_DIRTY)) {
        raise_priority(q, it, priority);
        return;
    }
    unschedule(q, it);
    count_add(q, it, when);
    unsigned flags = rci_wq_flags(it);
    if (flags & RCI_WQ_PROCESSING) {
        /* A lock-free done may have claimed it already: then it is (or is about to be) on the done stack,
         * and finishing it now makes it ready. If the done has not pushed it yet, that done sees DIRTY
         * after its push and takes the lock to finish it (see rc_workqueue_done). */
        if (rci_wq_set_state(it, flags | RCI_WQ_DIRTY, priority) & RCI_WQ_DONE_PENDING)
            apply_dones(q);
    } else {
        rci_wq_set_state(it, flags, priority);
        ready_push(q, it);
    }
}

/* A delayed key may become ready at `priority`: the ring closes to lock-free gets if it goes first. */
static void note_delayed_priority(rc_workqueue *q, int priority)
{
    if (priority <= q->delayed_top)
        return;
    q->delayed_top = priority;
    ring_gate(q);
}

/* Schedules it for ready_at unless it is ready sooner already. False on allocation failure. */
static bool add_delayed(rc_workqueue *q, rci_wq_item *it, int priority, rc_time ready_at)
{
    if (rci_wq_flags(it) & (RCI_WQ_READY | RCI_WQ_DIRTY)) {
        raise_priority(q, it, priority);
        return true;
    }
    bool delayed = rci_wq_flags(it) & RCI_WQ_DELAYED;
    if (delayed && ready_at >= it->ready_at) {
        if (priority > it->delay_priority)
            it->delay_priority = (int8_t)priority;
        note_delayed_priority(q, it->delay_priority);
        return true;
    }
    if (!rci_delayheap_schedule(&q->delayed, it, ready_at, q->next_seq++))
        return false;
    if (!delayed || priority > it->delay_priority)
        it->delay_priority = (int8_t)priority;
    note_delayed_priority(q, it->delay_priority);
    rci_wq_set_flags(it, rci_wq_flags(it) | RCI_WQ_DELAYED);
    if (rci_delayheap_top(&q->delayed) == it)
        wake_getter(q);
    return true;
}

/* Moves every delayed key that is due to the ready lists, earliest (then first-added) first. */
static void promote_due(rc_workqueue *q)
{
    if (!q->delayed.live)
        return;
    rc_time now = rc_clock_now(q->clock);
    rci_wq_item *it;
    while ((it = rci_delayheap_due(&q->delayed, now)))
        add_now(q, it, it->delay_priority, now);
}

/* An add's time for the metrics, taken only when they are on. */
static rc_time metrics_now(rc_workqueue *q) { return q->mops ? rc_clock_now(q->clock) : 0; }

/* Applies one add; false when out of memory (nothing changed that a retry would repeat wrongly). */
static bool apply_add(rc_workqueue *q, const rci_intake_entry *e)
{
    uint64_t last_generation = q->generation;
    rci_wq_item *it = rci_wq_record_for_add(q, e);
    if (!it)
        return false;
    /* Only a recurring key (its record interned before this add) earns a lookaside slot: publishing
     * each new key would take the producer's cached copy of a set away on every unique add, for no
     * dedup to come. */
    if (q->generation == last_generation)
        rci_lookaside_publish(q->lookaside, it);
    bool ok = true;
    if (!(e->flags & RCI_INTAKE_DELAYED))
        add_now(q, it, e->priority, e->added_at);
    else
        ok = add_delayed(q, it, e->priority, e->ready_at);
    if (ok && q->mops && (e->flags & RCI_INTAKE_RETRY))
        q->mops->retry(q->qm);
    rci_wq_park_if_unused(q, it);
    return ok;
}

/* Applies the pending intake in order. Adds that cannot be applied for lack of memory stay in the
 * batch, first in line for the next holder of the lock. */
static void apply_intake(rc_workqueue *q)
{
    if (!rci_intake_unapplied(&q->batch) && !rci_intake_take(&q->intake, &q->batch))
        return;
    rci_intake_batch ahead = q->batch; /* a cursor PREFETCH_AHEAD adds in front */
    rci_intake_entry *e;
    unsigned applied = 0;
    for (int i = 0; i < PREFETCH_AHEAD && (e = rci_intake_peek(&ahead)); i++) {
        rci_itemtab_prefetch(&q->keys, e->hash);
        rci_intake_advance(&ahead);
    }
    while ((e = rci_intake_peek(&q->batch))) {
        rci_intake_entry *f = rci_intake_peek(&ahead);
        if (f) {
            rci_itemtab_prefetch(&q->keys, f->hash);
            rci_intake_advance(&ahead);
        }
        if (!apply_add(q, e))
            return;
        rci_intake_advance(&q->batch);
        if (++applied % RING_TOPUP_EVERY == 0) {
            promote_due(q);
            ring_fill(q, RING_FILL_MAX);
        }
    }
    if (q->batch.cap > INTAKE_KEPT) { /* a burst's buffer is not kept for the queue's life */
        free(q->batch.buf);
        q->batch = (rci_intake_batch){0};
    }
}

/* Brings the queue up to date with every add and lock-free done made so far (the lock is held). */
static void catch_up(rc_workqueue *q)
{
    apply_intake(q);
    apply_dones(q);
}

/* Takes the queue lock and catches up. */
static void lock_queue(rc_workqueue *q)
{
    pthread_mutex_lock(&q->mu);
    catch_up(q);
}

/* An add through the intake. The producer takes the queue lock only when a getter sleeps with none
 * spinning, when a retry must be counted now (the metrics hooks run under the queue lock), or when the
 * batch is long: then it applies the batch itself if the lock is free (a busy lock means a getter that
 * applies it soon) and no key is in flight (keys in flight mean getters that come back for it), or past
 * INTAKE_MAX if the lock is free. Against a getter going to sleep this is Dekker's pattern: the push
 * publishes the pending bytes before `hungry` and `spinners` are read, the getter publishes `hungry` (or
 * its end of spinning) before it reads the pending bytes, all sequentially consistent, so one of the two
 * sees the other. */
static int add_through_intake(rc_workqueue *q, const rci_intake_entry *add, const char *key)
{
    size_t pending;
    int rc = rci_intake_push(&q->intake, add, key, &pending);
    if (rc)
        return rc;
    bool wake = atomic_load(&q->hungry) && !atomic_load(&q->spinners) &&
                (!(add->flags & RCI_INTAKE_DELAYED) || add->ready_at < atomic_load(&q->wake_at));
    if (wake || (q->mops && (add->flags & RCI_INTAKE_RETRY))) {
        lock_queue(q);
        unlock_and_wake(q);
    } else if (pending >= INTAKE_BATCH &&
               (pending >= INTAKE_MAX || !atomic_load_explicit(&q->busy, memory_order_relaxed)) &&
               pthread_mutex_trylock(&q->mu) == 0) {
        catch_up(q);
        unlock_and_wake(q);
    }
    return 0;
}

int rc_workqueue_add_opts(rc_workqueue *q, const char *key, const rc_workqueue_add_options *opts)
{
    if (!q || !key || !opts)
        return RC_EINVAL;
    if (opts->priority < RC_WORKQUEUE_PRIORITY_MIN || opts->priority > RC_WORKQUEUE_PRIORITY_MAX)
        return RC_EINVAL;
    rc_duration delay = opts->after;
    rc_time now = delay > 0 || opts->rate_limited ? rc_clock_now(q->clock) : 0;
    if (opts->rate_limited) {
        rc_duration d = rc_rate_limiter_when(q->limiter, key, now);
        delay = delay > 0 && delay < d ? delay : d;
    }
    size_t n = strlen(key) + 1;
    uint64_t hash = rci_wq_hash(key, n);
    /* An add of a key already waiting (or dirty) at this priority or above changes nothing. */
    if (delay <= 0 && !atomic_load_explicit(&q->closed, memory_order_relaxed) &&
        rci_lookaside_dedup(q->lookaside, key, n, hash, opts->priority))
        return 0;
    if (n > UINT32_MAX)
        return RC_ENOMEM;
    rci_intake_entry add = {.origin = key,
                            .hash = hash,
                            .added_at = metrics_now(q),
                            .priority = (int16_t)opts->priority,
                            .n = (uint32_t)n};
    if (opts->after > 0 || opts->rate_limited)
        add.flags |= RCI_INTAKE_RETRY;
    if (delay > 0) {
        add.flags |= RCI_INTAKE_DELAYED;
        add.ready_at = now > RC_TIME_NEVER - delay ? RC_TIME_NEVER : now + delay;
    }
    return add_through_intake(q, &add, key);
}

int rc_workqueue_add(rc_workqueue *q, const char *key)
{
    return rc_workqueue_add_opts(q, key, &(rc_workqueue_add_options){.priority = RC_WORKQUEUE_PRIORITY_NORMAL});
}

int rc_workqueue_add_priority(rc_workqueue *q, const char *key, int priority)
{
    return rc_workqueue_add_opts(q, key, &(rc_workqueue_add_options){.priority = priority});
}

int rc_workqueue_add_after(rc_workqueue *q, const char *key, rc_duration delay)
{
    return rc_workqueue_add_opts(q, key, &(rc_workqueue_add_options){.after = delay});
}

int rc_workqueue_add_rate_limited(rc_workqueue *q, const char *key)
{
    return rc_workqueue_add_opts(q, key, &(rc_workqueue_add_options){.rate_limited = true});
}

/* The record the calling thread was last handed out, so its done() can skip the lock: the queue's id
 * (never reused, unlike its address), the record and the record's generation at the time. */
static _Thread_local struct last_get {
    uint64_t queue;
    rci_wq_item *it;
    uint64_t gen;
} last_get;

/* The level to hand out from, or -1 if lock-free gets just took the last key: the highest level, unless
 * `aging_every` gets in a row have passed over an older key, in which case the level of the oldest
 * ready key. */
static int pick_level(rc_workqueue *q)
{
    uint32_t mask = ready_mask(q);
    if (!mask)
        return -1;
    int top = 31 - __builtin_clz(mask), oldest_level = -1;
    rci_wq_item *it = front_of(q, top), *oldest = NULL;
    if (!it)
        return -1;
    for (uint32_t lower = mask & ((1u << top) - 1); lower; lower &= lower - 1) {
        rci_wq_item *head = front_of(q, __builtin_ctz(lower));
        if (head && (!oldest || head->seq < oldest->seq)) {
            oldest = head;
            oldest_level = __builtin_ctz(lower);
        }
    }
    if (!oldest || oldest->seq > it->seq) {
        q->skipped = 0;
        return top;
    }
    if (q->skipped >= q->aging_every) {
        q->skipped = 0;
        return oldest_level;
    }
    q->skipped++;
    return top;
}

/* Takes the oldest ready record of level lvl out of the ring (still READY) or the list, or NULL. */
static rci_wq_item *take_front(rc_workqueue *q, int lvl)
{
    if (level_of(atomic_load_explicit(&q->ring.level, memory_order_relaxed)) == lvl) {
        rci_wq_item *it = rci_readyring_take(&q->ring);
        if (it) { /* still READY: take clears it as it marks the record PROCESSING */
            q->ring_taken_back++;
            it->in_ring = false;
            return it;
        }
    }
    rci_wq_item *it = q->levels[lvl].head;
    if (!it)
        return NULL;
    ready_unlink(q, it);
    rci_wq_item *after = q->levels[lvl].head;
    if (after && after->next) { /* the record two gets from now: both of its lines */
        __builtin_prefetch(after->next);
        __builtin_prefetch(after->next->key);
    }
    return it;
}

/* Whether take may hand out a ready key before catching up: when the pending adds are few and none is
 * above the one level keys are ready at, applying them could not change which key goes first (each
 * would queue behind the ready keys), so they are left for a later get, instead of pulling the intake
 * to this core for every get. The lock-free dones wait with them, so a retry added before its key's
 * done still finds the key in flight. */
static bool can_wait(rc_workqueue *q)
{
    uint32_t mask = ready_mask(q);
    if (!mask || (mask & (mask - 1)) || rci_intake_unapplied(&q->batch))
        return false;
    int level = RC_WORKQUEUE_PRIORITY_MIN + __builtin_ctz(mask);
    int top = rci_intake_top_priority(&q->intake); /* the summary, not `pending`: see intake.h */
    return top != INT_MIN && top <= level && !rci_intake_long(&q->intake);
}

/* Hands out the next ready key, if any: 0, RC_EAGAIN or RC_ENOMEM. */
static int take(rc_workqueue *q, const char **key)
{
    if (!can_wait(q))
        catch_up(q);
    promote_due(q);
    if (!ready_count(q))
        return RC_EAGAIN;
    if (!rci_procset_reserve(&q->inflight))
        return RC_ENOMEM;
    rci_wq_item *it;
    for (;;) { /* lock-free gets may take the ring's keys meanwhile */
        int lvl = pick_level(q);
        if (lvl >= 0 && (it = take_front(q, lvl)))
            break;
        if (!ready_count(q))
            return RC_EAGAIN;
    }
    rci_wq_set_flags(it, (rci_wq_flags(it) & ~(unsigned)RCI_WQ_READY) | RCI_WQ_PROCESSING);
    rci_procset_insert(&q->inflight, it);
    publish_inflight(q);
    if (q->level_mask)
        ring_fill(q, RING_FILL_START);
    last_get = (struct last_get){q->id, it, rci_wq_state(it) >> RCI_WQ_GEN_SHIFT};
    if (q->mops) {
        it->started_at = rc_clock_now(q->clock);
        q->mops->depth(q->qm, -1);
        q->mops->queue_latency(q->qm, seconds(it->started_at - it->added_at));
    }
    *key = it->key;
    return 0;
}

int rc_workqueue_try_get(rc_workqueue *q, const char **key)
{
    if (!q || !key)
        return RC_EINVAL;
    pthread_mutex_lock(&q->mu);
    int rc = take(q, key);
    if (rc == RC_EAGAIN && q->shutting_down)
        rc = RC_ECLOSED;
    unlock_and_wake(q);
    return rc;
}

/* A get without the lock: hands out `it`, just taken from the ready ring, unless a waiting add could go
 * ahead of it (false: then it is back at the front of the ready list and the lock is held). When the
 * ring runs low and the lock is free, catches up and tops the ring up before returning, while other
 * getters keep taking from it. */
static bool get_from_ring(rc_workqueue *q, rci_wq_item *it, const char **key)
{
    if (rci_intake_top_priority(&q->intake) > rci_wq_priority(it)) {
        pthread_mutex_lock(&q->mu);
        ring_take_back(q, it);
        return false;
    }
    uint64_t s = rci_wq_take_from_ring(it);
    last_get = (struct last_get){q->id, it, s >> RCI_WQ_GEN_SHIFT};
    *key = it->key;
    if ((rci_readyring_len(&q->ring) < atomic_load_explicit(&q->ring.low, memory_order_relaxed) ||
         rci_intake_long(&q->intake)) &&
        pthread_mutex_trylock(&q->mu) == 0) {
        catch_up(q);
        promote_due(q);
        ring_fill(q, RING_FILL_MAX);
        publish_inflight(q);
        unlock_and_wake(q);
    }
    return true;
}

int rc_workqueue_get(rc_workqueue *q, const char **key)
{
    if (!q || !key)
        return RC_EINVAL;
    rci_wq_item *ringed = NULL;
    if (atomic_load_explicit(&q->ring.open, memory_order_acquire))
        ringed = rci_readyring_take(&q->ring);
    if (!ringed)
        pthread_mutex_lock(&q->mu);
    else if (get_from_ring(q, ringed, key))
        return 0;
    int rc;
    bool spun = false;
    while ((rc = take(q, key)) == RC_EAGAIN && !q->shutting_down) {
        /* A spin ended by a long intake may be followed by another once take has applied it (unless
         * memory ran out applying it). */
        if (!spun && !q->spinners && !rci_intake_unapplied(&q->batch)) {
            spun = !spin_unlocked(q);
            continue;
        }
        rci_wq_item *next = rci_delayheap_top(&q->delayed);
        struct timespec ts;
        bool timed = rc_clock_abs_timeout(q->clock, next ? next->ready_at : RC_TIME_NEVER, &ts);
        rc_time self_wake = timed ? next->ready_at : RC_TIME_NEVER;
        rc_time low = atomic_load_explicit(&q->wake_at, memory_order_relaxed);
        atomic_store(&q->wake_at, q->waiters && low < self_wake ? low : self_wake);
        q->waiters++;
        update_hungry(q);
        if (rci_intake_pending(&q->intake) && !rci_intake_unapplied(&q->batch)) { /* an add raced `hungry`: take it */
            q->waiters--;
            atomic_store(&q->wake_at, RC_TIME_NEVER);
            update_hungry(q);
            continue;
        }
        if (timed)
            pthread_cond_timedwait(&q->ready_cond, &q->mu, &ts);
        else
            pthread_cond_wait(&q->ready_cond, &q->mu);
        atomic_store(&q->wake_at, RC_TIME_NEVER);
        q->waiters--;
        if (q->signalled)
            q->signalled--;
        update_hungry(q);
    }
    if (rc == RC_EAGAIN)
        rc = RC_ECLOSED;
    if (rc == 0 && ready_count(q) > q->spinners)
        wake_getter(q);
    unlock_and_wake(q);
    return rc;
}

/* done() without the lock, for the key this thread was handed out last, while it was not added again
 * (not DIRTY) and is still in flight, on a queue without metrics (their hooks run under the lock): claim
 * it and push it on the done stack for the next lock holder.
 * Against a lock holder marking it DIRTY meanwhile (add_now), both sides do a sequentially consistent
 * write (claim and push here, DIRTY there) before reading the other's (the record's state here, the
 * stack there), so one of them finishes it; the same holds for a drain starting (`draining` there),
 * whose waiter needs the done finished to wake. After a plain shut-down the getters still emptying the
 * queue finish it at their next get, so a done need not take the lock then. False when the locked path
 * must decide. */
static bool done_without_lock(rc_workqueue *q, const char *key)
{
    struct last_get g = last_get;
    if (g.queue != q->id || key != g.it->key || q->mops)
        return false;
    last_get.queue = 0;
    if (!rci_wq_claim_done(g.it, g.gen, true))
        return false;
    rci_donestack_push(&q->dones, g.it);
    if ((atomic_load(&g.it->state) & RCI_WQ_DIRTY) || atomic_load(&q->draining)) {
        lock_queue(q);
        unlock_and_wake(q);
    }
    return true;
}

int rc_workqueue_done(rc_workqueue *q, const char *key)
{
    if (!q || !key)
        return RC_EINVAL;
    if (done_without_lock(q, key))
        return 0;
    lock_queue(q); /* an add made while processing marks the key dirty first */
    rci_wq_item *it = rci_procset_find(&q->inflight, key);
    if (!it) { /* a copy of the key, or a key taken from the ready ring (not in the in-flight set) */
        it = rci_itemtab_find_key(&q->keys, rci_wq_hash(key, strlen(key) + 1), key);
        unsigned flags = it ? rci_wq_flags(it) : 0;
        if (!(flags & RCI_WQ_RING_TAKEN))
            it = (flags & RCI_WQ_PROCESSING) ? rci_procset_find(&q->inflight, it->key) : NULL;
    }
    /* A lock-free done of the same key that claimed it first wins; this one then finds nothing. */
    if (!it || !rci_wq_claim_done(it, rci_wq_state(it) >> RCI_WQ_GEN_SHIFT, false)) {
        unlock_and_wake(q);
        return RC_ENOTFOUND;
    }
    finish_done(q, it);
    unlock_and_wake(q);
    return 0;
}

void rc_workqueue_forget(rc_workqueue *q, const char *key)
{
    if (q)
        rc_rate_limiter_forget(q->limiter, key);
}

int rc_workqueue_num_requeues(rc_workqueue *q, const char *key)
{
    return q ? rc_rate_limiter_num_requeues(q->limiter, key) : 0;
}

size_t rc_workqueue_len(rc_workqueue *q)
{
    if (!q)
        return 0;
    lock_queue(q);
    promote_due(q);
    size_t n = ready_count(q);
    unlock_and_wake(q);
    return n;
}

rc_time rc_workqueue_next_deadline(rc_workqueue *q)
{
    if (!q)
        return RC_TIME_NEVER;
    lock_queue(q);
    rci_wq_item *next = rci_delayheap_top(&q->delayed);
    rc_time t = next ? next->ready_at : RC_TIME_NEVER;
    unlock_and_wake(q);
    return t;
}

void rc_workqueue_notify(rc_workqueue *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->mu);
    announce_change(q);
    pthread_cond_broadcast(&q->ready_cond);
    pthread_mutex_unlock(&q->mu);
}

void rc_workqueue_shut_down(rc_workqueue *q)
{
    if (!q)
        return;
    rci_intake_close(&q->intake); /* adds from now on fail; those before are applied here */
    lock_queue(q);
    q->shutting_down = true;
    atomic_store_explicit(&q->closed, true, memory_order_release);
    rci_wq_item *it;
    while ((it = rci_delayheap_top(&q->delayed))) {
        unschedule(q, it);
        rci_wq_park_if_unused(q, it);
    }
    announce_change(q);
    pthread_cond_broadcast(&q->ready_cond);
    unlock_and_wake(q);
}

void rc_workqueue_shut_down_with_drain(rc_workqueue *q)
{
    if (!q)
        return;
    rc_workqueue_shut_down(q);
    atomic_fetch_add(&q->draining, 1); /* sequentially consistent: see done_without_lock */
    lock_queue(q);
    while (inflight_count(q)) {
        q->drain_waiters++;
        pthread_cond_wait(&q->drain_cond, &q->mu);
        q->drain_waiters--;
        apply_dones(q);
    }
    atomic_fetch_sub(&q->draining, 1);
    unlock_and_wake(q);
}

bool rc_workqueue_shutting_down(rc_workqueue *q)
{
    if (!q)
        return true;
    pthread_mutex_lock(&q->mu);
    bool down = q->shutting_down;
    pthread_mutex_unlock(&q->mu);
    return down;
}

unsigned rci_workqueue_blocked_getters(rc_workqueue *q)
{
    pthread_mutex_lock(&q->mu);
    unsigned n = q->waiters;
    pthread_mutex_unlock(&q->mu);
    return n;
}

unsigned rci_workqueue_blocked_drainers(rc_workqueue *q)
{
    pthread_mutex_lock(&q->mu);
    unsigned n = q->drain_waiters;
    pthread_mutex_unlock(&q->mu);
    return n;
}

void rc_workqueue_update_metrics(rc_workqueue *q)
{
    if (!q || !q->mops)
        return;
    lock_queue(q);
    rc_time now = rc_clock_now(q->clock);
    rc_duration total = 0, longest = 0;
    rci_wq_item *it;
    for (size_t i = 0; (it = rci_procset_next(&q->inflight, &i));) {
        rc_duration d = now - it->started_at;
        total += d;
        if (d > longest)
            longest = d;
    }
    q->mops->unfinished(q->qm, seconds(total), seconds(longest));
    unlock_and_wake(q);
}

int rc_workqueue_new(const rc_workqueue_options *opts, rc_workqueue **out, rc_error *err)
{
    rc_workqueue_options o = opts ? *opts : (rc_workqueue_options){0};
    if (!out) {
        rc_rate_limiter_free(o.rate_limiter);
        return rc_error_set(err, RC_EINVAL, "rc_workqueue_new: out is NULL");
    }
    const rc_workqueue_metrics_ops *mops = o.metrics ? o.metrics->ops : NULL;
    if (mops && (!mops->queue_new || !mops->queue_free || !mops->depth || !mops->add || !mops->queue_latency ||
                 !mops->work_duration || !mops->retry || !mops->unfinished)) {
        rc_rate_limiter_free(o.rate_limiter);
        return rc_error_set(err, RC_EINVAL, "rc_workqueue_new: metrics.ops must set every hook");
    }
    static _Atomic uint64_t last_id;
    rc_workqueue *q = calloc(1, sizeof *q);
    if (q) {
        q->id = atomic_fetch_add_explicit(&last_id, 1, memory_order_relaxed) + 1;
        q->name = strdup(o.name ? o.name : "");
        q->lookaside = rci_lookaside_new();
    }
    int rc = q && q->name && q->lookaside ? 0 : RC_ENOMEM;
    if (rc == 0 && !o.rate_limiter)
        rc = rc_rate_limiter_default_new(&o.rate_limiter, err);
    if (rc) {
        rc_rate_limiter_free(o.rate_limiter);
        if (q) {
            free(q->name);
            rci_lookaside_free(q->lookaside);
        }
        free(q);
        return rc == RC_ENOMEM ? rc_error_set(err, rc, "rc_workqueue_new: out of memory") : rc;
    }
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&q->mu, &attr);
    pthread_mutexattr_destroy(&attr);
    pthread_cond_init(&q->ready_cond, NULL);
    pthread_cond_init(&q->drain_cond, NULL);
    q->clock = o.clock ? o.clock : rc_clock_real();
    q->limiter = o.rate_limiter;
    q->aging_every = o.aging_every ? o.aging_every : DEFAULT_AGING_EVERY;
    q->idle_max = o.idle_keys ? o.idle_keys : DEFAULT_IDLE_KEYS;
    rci_itemtab_init(&q->keys, offsetof(rci_wq_item, key));
    rci_delayheap_init(&q->delayed);
    rci_procset_init(&q->inflight);
    rci_intake_init(&q->intake, GET_LEAVES);
    atomic_init(&q->wake_at, RC_TIME_NEVER);
    q->delayed_top = INT_MIN;
    if (mops) {
        q->mops = mops;
        q->mctx = o.metrics->ctx;
        q->qm = mops->queue_new(q->mctx, q->name);
    }
    *out = q;
    return 0;
}

void rc_workqueue_free(rc_workqueue *q)
{
    if (!q)
        return;
    rci_wq_records_free(q);
    rci_lookaside_free(q->lookaside);
    rci_delayheap_free(&q->delayed);
    rci_procset_free(&q->inflight);
    rci_intake_free(&q->intake);
    rci_readyring_free(&q->ring);
    free(q->batch.buf);
    if (q->mops)
        q->mops->queue_free(q->mctx, q->qm);
    rc_rate_limiter_free(q->limiter);
    pthread_cond_destroy(&q->ready_cond);
    pthread_cond_destroy(&q->drain_cond);
    pthread_mutex_destroy(&q->mu);
    free(q->name);
    free(q);
}
