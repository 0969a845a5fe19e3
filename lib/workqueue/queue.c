/* queue.c - rc_workqueue: de-duplicating, delaying, rate-limited, prioritised queue of string keys.
 *
 * One lock guards everything. Each distinct key is interned once as an rci_wq_item found through a hash
 * map; the record carries its state flags, so an add of a waiting key is a lock plus one lookup. Ready
 * records sit in one FIFO list per priority level (a bit mask finds the highest non-empty level);
 * delayed records in a 4-ary heap by (ready time, insertion order); records handed out in a small
 * pointer set so done() finds them by the key pointer get returned. Records that become idle stay
 * interned (LRU list, bounded) so recurring keys never allocate. Blocking is confined to get and
 * shut_down_with_drain; everything else is a non-blocking step. */
#include <reconcile/workqueue.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/map.h"
#include "workqueue/delayheap.h"
#include "workqueue/item.h"
#include "workqueue/procset.h"
#include "workqueue/queue.h"

#define NLEVELS (RC_WORKQUEUE_PRIORITY_MAX - RC_WORKQUEUE_PRIORITY_MIN + 1)
#define DEFAULT_AGING_EVERY 16
#define DEFAULT_IDLE_KEYS 4096

typedef struct item_list {
    rci_wq_item *head, *tail;
    size_t len;
} item_list;

struct rc_workqueue {
    pthread_mutex_t mu;
    pthread_cond_t ready_cond; /* getters wait here */
    pthread_cond_t drain_cond; /* shut_down_with_drain waits here */
    rc_clock *clock;
    rc_rate_limiter *limiter;
    const rc_workqueue_metrics_ops *mops; /* NULL: metrics off, no timestamps taken */
    void *mctx, *qm;
    char *name;
    rci_map keys;               /* key -> rci_wq_item, every interned record */
    /* Copies of keys.slots / keys.cap, published after every change, so an add can prefetch its slot
     * before taking the lock (the slot is usually a cache miss with many keys). */
    _Atomic(rci_map_entry *) slots_hint;
    _Atomic size_t cap_hint;
    item_list levels[NLEVELS];  /* ready records per priority, first-in first */
    uint32_t level_mask;        /* bit i set when levels[i] is not empty */
    size_t nready;
    rci_delayheap delayed;
    rci_procset inflight;
    item_list idle;             /* least recently used first */
    size_t idle_max;
    uint64_t next_seq;
    unsigned aging_every, skipped;
    unsigned waiters, drain_waiters;
    bool shutting_down;
};

static void list_append(item_list *l, rci_wq_item *it)
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

static void list_unlink(item_list *l, rci_wq_item *it)
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

static int level_of(int priority) { return priority - RC_WORKQUEUE_PRIORITY_MIN; }

static double seconds(rc_duration d) { return (double)d / 1e9; }

static void wake_getter(rc_workqueue *q)
{
    if (q->waiters)
        pthread_cond_signal(&q->ready_cond);
}

static void ready_push(rc_workqueue *q, rci_wq_item *it)
{
    int lvl = level_of(it->priority);
    it->flags |= RCI_WQ_READY;
    it->seq = q->next_seq++;
    list_append(&q->levels[lvl], it);
    q->level_mask |= 1u << lvl;
    q->nready++;
    wake_getter(q);
}

static void ready_unlink(rc_workqueue *q, rci_wq_item *it)
{
    int lvl = level_of(it->priority);
    list_unlink(&q->levels[lvl], it);
    if (!q->levels[lvl].head)
        q->level_mask &= ~(1u << lvl);
    it->flags &= (uint16_t)~RCI_WQ_READY;
    q->nready--;
}

/* A ready key added again at a higher priority moves up (behind the keys already at that level). */
static void raise_priority(rc_workqueue *q, rci_wq_item *it, int priority)
{
    if (priority <= it->priority)
        return;
    if (it->flags & RCI_WQ_READY) {
        ready_unlink(q, it);
        it->priority = (int8_t)priority;
        ready_push(q, it);
    } else {
        it->priority = (int8_t)priority;
    }
}

static void count_add(rc_workqueue *q, rci_wq_item *it)
{
    if (!q->mops)
        return;
    it->added_at = rc_clock_now(q->clock);
    q->mops->add(q->qm);
    q->mops->depth(q->qm, 1);
}

static void unschedule(rc_workqueue *q, rci_wq_item *it)
{
    if (it->flags & RCI_WQ_DELAYED) {
        rci_delayheap_remove(&q->delayed, it);
        it->flags &= (uint16_t)~RCI_WQ_DELAYED;
    }
}

/* Makes it ready now (or dirty while processing), merging with whatever state it is in. */
static void add_now(rc_workqueue *q, rci_wq_item *it, int priority)
{
    if (it->flags & (RCI_WQ_READY | RCI_WQ_DIRTY)) {
        raise_priority(q, it, priority);
        return;
    }
    unschedule(q, it);
    it->priority = (int8_t)priority;
    count_add(q, it);
    if (it->flags & RCI_WQ_PROCESSING)
        it->flags |= RCI_WQ_DIRTY;
    else
        ready_push(q, it);
}

/* Schedules it for ready_at unless it is ready sooner already. False on allocation failure. */
static bool add_delayed(rc_workqueue *q, rci_wq_item *it, int priority, rc_time ready_at)
{
    if (it->flags & (RCI_WQ_READY | RCI_WQ_DIRTY)) {
        raise_priority(q, it, priority);
        return true;
    }
    if (it->flags & RCI_WQ_DELAYED) {
        if (priority > it->delay_priority)
            it->delay_priority = (int8_t)priority;
        if (ready_at < it->ready_at) {
            it->ready_at = ready_at;
            it->seq = q->next_seq++;
            rci_delayheap_moved_earlier(&q->delayed, it);
            if (it->heap_index == 0)
                wake_getter(q);
        }
        return true;
    }
    it->ready_at = ready_at;
    it->seq = q->next_seq++;
    it->delay_priority = (int8_t)priority;
    if (!rci_delayheap_push(&q->delayed, it))
        return false;
    it->flags |= RCI_WQ_DELAYED;
    if (it->heap_index == 0)
        wake_getter(q);
    return true;
}

/* Moves every delayed key that is due to the ready lists, earliest (then first-added) first. */
static void promote_due(rc_workqueue *q)
{
    if (!q->delayed.len)
        return;
    rc_time now = rc_clock_now(q->clock);
    rci_wq_item *it;
    while ((it = rci_delayheap_top(&q->delayed)) && it->ready_at <= now)
        add_now(q, it, it->delay_priority);
}

static void forget_record(rc_workqueue *q, rci_wq_item *it)
{
    rci_map_remove_h(&q->keys, it->key, it->hash);
    free(it);
}

/* A record with no state left joins the idle list; the least recently used idle record beyond the
 * bound is dropped. */
static void park_if_unused(rc_workqueue *q, rci_wq_item *it)
{
    if (it->flags)
        return;
    it->flags = RCI_WQ_IDLE;
    list_append(&q->idle, it);
    if (q->idle.len > q->idle_max) {
        rci_wq_item *old = q->idle.head;
        list_unlink(&q->idle, old);
        forget_record(q, old);
    }
}

static rci_wq_item *intern(rc_workqueue *q, const char *key, uint64_t hash)
{
    rci_wq_item *it = rci_map_get_h(&q->keys, key, hash);
    if (it) {
        if (it->flags & RCI_WQ_IDLE) {
            list_unlink(&q->idle, it);
            it->flags = 0;
        }
        return it;
    }
    size_t n = strlen(key) + 1;
    it = malloc(sizeof *it + n);
    if (!it)
        return NULL;
    memset(it, 0, sizeof *it);
    it->hash = hash;
    it->heap_index = RCI_WQ_NOT_IN_HEAP;
    memcpy(it->key, key, n);
    if (rci_map_put_h(&q->keys, it->key, hash, it, NULL) != 0) {
        free(it);
        return NULL;
    }
    atomic_store_explicit(&q->slots_hint, q->keys.slots, memory_order_relaxed);
    atomic_store_explicit(&q->cap_hint, q->keys.cap, memory_order_relaxed);
    return it;
}

/* A prefetch never faults, so a stale table address is harmless. */
static void prefetch_slot(rc_workqueue *q, uint64_t hash)
{
    rci_map_entry *slots = atomic_load_explicit(&q->slots_hint, memory_order_relaxed);
    size_t cap = atomic_load_explicit(&q->cap_hint, memory_order_relaxed);
    if (slots && cap)
        __builtin_prefetch(&slots[hash & (cap - 1)]);
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
    uint64_t hash = rci_hash_str(key);
    prefetch_slot(q, hash);
    int rc = 0;
    pthread_mutex_lock(&q->mu);
    rci_wq_item *it = q->shutting_down ? NULL : intern(q, key, hash);
    if (!it) {
        rc = q->shutting_down ? RC_ECLOSED : RC_ENOMEM;
    } else {
        if (q->mops && (opts->after > 0 || opts->rate_limited))
            q->mops->retry(q->qm);
        if (delay <= 0)
            add_now(q, it, opts->priority);
        else if (!add_delayed(q, it, opts->priority, now > RC_TIME_NEVER - delay ? RC_TIME_NEVER : now + delay))
            rc = RC_ENOMEM;
        park_if_unused(q, it);
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
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

/* The ready record to hand out: the head of the highest level, unless `aging_every` gets in a row have
 * passed over an older key, in which case the oldest ready key goes first. */
static rci_wq_item *pick(rc_workqueue *q)
{
    int top = 31 - __builtin_clz(q->level_mask);
    rci_wq_item *it = q->levels[top].head;
    rci_wq_item *oldest = NULL;
    for (uint32_t lower = q->level_mask & ((1u << top) - 1); lower; lower &= lower - 1) {
        rci_wq_item *head = q->levels[__builtin_ctz(lower)].head;
        if (!oldest || head->seq < oldest->seq)
            oldest = head;
    }
    if (!oldest || oldest->seq > it->seq) {
        q->skipped = 0;
        return it;
    }
    if (q->skipped >= q->aging_every) {
        q->skipped = 0;
        return oldest;
    }
    q->skipped++;
    return it;
}

/* Hands out the next ready key, if any: 0, RC_EAGAIN or RC_ENOMEM. */
static int take(rc_workqueue *q, const char **key)
{
    promote_due(q);
    if (!q->nready)
        return RC_EAGAIN;
    if (!rci_procset_reserve(&q->inflight))
        return RC_ENOMEM;
    rci_wq_item *it = pick(q);
    ready_unlink(q, it);
    it->flags |= RCI_WQ_PROCESSING;
    rci_procset_insert(&q->inflight, it);
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
    pthread_mutex_unlock(&q->mu);
    return rc;
}

int rc_workqueue_get(rc_workqueue *q, const char **key)
{
    if (!q || !key)
        return RC_EINVAL;
    pthread_mutex_lock(&q->mu);
    int rc;
    while ((rc = take(q, key)) == RC_EAGAIN && !q->shutting_down) {
        rci_wq_item *next = rci_delayheap_top(&q->delayed);
        struct timespec ts;
        q->waiters++;
        if (rc_clock_abs_timeout(q->clock, next ? next->ready_at : RC_TIME_NEVER, &ts))
            pthread_cond_timedwait(&q->ready_cond, &q->mu, &ts);
        else
            pthread_cond_wait(&q->ready_cond, &q->mu);
        q->waiters--;
    }
    if (rc == RC_EAGAIN)
        rc = RC_ECLOSED;
    if (rc == 0 && q->nready)
        wake_getter(q);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

int rc_workqueue_done(rc_workqueue *q, const char *key)
{
    if (!q || !key)
        return RC_EINVAL;
    pthread_mutex_lock(&q->mu);
    rci_wq_item *it = rci_procset_take(&q->inflight, key);
    if (!it) {
        it = rci_map_get(&q->keys, key);
        it = it && (it->flags & RCI_WQ_PROCESSING) ? rci_procset_take(&q->inflight, it->key) : NULL;
    }
    if (!it) {
        pthread_mutex_unlock(&q->mu);
        return RC_ENOTFOUND;
    }
    it->flags &= (uint16_t)~RCI_WQ_PROCESSING;
    if (q->mops)
        q->mops->work_duration(q->qm, seconds(rc_clock_now(q->clock) - it->started_at));
    if (it->flags & RCI_WQ_DIRTY) {
        it->flags &= (uint16_t)~RCI_WQ_DIRTY;
        ready_push(q, it);
    }
    park_if_unused(q, it);
    if (!q->inflight.count && q->drain_waiters)
        pthread_cond_broadcast(&q->drain_cond);
    pthread_mutex_unlock(&q->mu);
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
    pthread_mutex_lock(&q->mu);
    promote_due(q);
    size_t n = q->nready;
    pthread_mutex_unlock(&q->mu);
    return n;
}

rc_time rc_workqueue_next_deadline(rc_workqueue *q)
{
    if (!q)
        return RC_TIME_NEVER;
    pthread_mutex_lock(&q->mu);
    rci_wq_item *next = rci_delayheap_top(&q->delayed);
    rc_time t = next ? next->ready_at : RC_TIME_NEVER;
    pthread_mutex_unlock(&q->mu);
    return t;
}

void rc_workqueue_notify(rc_workqueue *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->mu);
    pthread_cond_broadcast(&q->ready_cond);
    pthread_mutex_unlock(&q->mu);
}

void rc_workqueue_shut_down(rc_workqueue *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->mu);
    q->shutting_down = true;
    rci_wq_item *it;
    while ((it = rci_delayheap_top(&q->delayed))) {
        unschedule(q, it);
        park_if_unused(q, it);
    }
    pthread_cond_broadcast(&q->ready_cond);
    pthread_mutex_unlock(&q->mu);
}

void rc_workqueue_shut_down_with_drain(rc_workqueue *q)
{
    if (!q)
        return;
    rc_workqueue_shut_down(q);
    pthread_mutex_lock(&q->mu);
    while (q->inflight.count) {
        q->drain_waiters++;
        pthread_cond_wait(&q->drain_cond, &q->mu);
        q->drain_waiters--;
    }
    pthread_mutex_unlock(&q->mu);
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
    pthread_mutex_lock(&q->mu);
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
    pthread_mutex_unlock(&q->mu);
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
    rc_workqueue *q = calloc(1, sizeof *q);
    if (q)
        q->name = strdup(o.name ? o.name : "");
    int rc = q && q->name ? 0 : RC_ENOMEM;
    if (rc == 0 && !o.rate_limiter)
        rc = rc_rate_limiter_default_new(&o.rate_limiter, err);
    if (rc) {
        rc_rate_limiter_free(o.rate_limiter);
        if (q)
            free(q->name);
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
    rci_map_init(&q->keys);
    rci_delayheap_init(&q->delayed);
    rci_procset_init(&q->inflight);
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
    size_t i = 0;
    const rci_map_entry *e;
    while (rci_map_next(&q->keys, &i, &e))
        free(e->value);
    rci_map_free(&q->keys);
    rci_delayheap_free(&q->delayed);
    rci_procset_free(&q->inflight);
    if (q->mops)
        q->mops->queue_free(q->mctx, q->qm);
    rc_rate_limiter_free(q->limiter);
    pthread_cond_destroy(&q->ready_cond);
    pthread_cond_destroy(&q->drain_cond);
    pthread_mutex_destroy(&q->mu);
    free(q->name);
    free(q);
}
