/* delta_fifo.c - rc_delta_fifo: per-key delta lists in queue items (two deltas in-line, items recycled
 * through a free list, keys borrowed from the queued objects) kept in queue order in a ring of pointers
 * (so a pop can start loading a whole batch of items at once instead of chasing a list), a hash map from
 * key to item, and the relist/resync logic against the known-objects store. Lock order: pop_lock, then
 * lock, then the intake's lock and the store's locks; process callbacks run with only pop_lock held, so
 * producers never wait for them. Added and Updated deltas go through the intake (fifo_intake.h): every
 * holder of `lock` first applies what is pending there, in order, with the key-map slots loaded a few
 * deltas ahead, so a producer takes `lock` only to wake a sleeping popper or to apply a long run itself
 * while the lock is free. Pops take up to RCI_FIFO_BATCH keys per lock acquisition; the popped ("in
 * flight") keys stay visible to delete, so a deletion racing with the processing of its key's add is
 * never dropped. `lock` is an adaptive mutex: its critical sections are short, so a short spin beats
 * sleeping in the kernel when the producer and the popper meet. */
#include <reconcile/delta_fifo.h>
#include <reconcile/log.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache/delta_fifo_internal.h"
#include "cache/fifo_intake.h"
#include "cache/keyhash.h"
#include "util/map.h"

#define INLINE_DELTAS 2
#define FREE_LIST_MAX 1024
/* Pending intake deltas at which a producer applies them itself if the lock is free, and at which it
 * waits for the lock to do so (bounding the intake). */
#define INTAKE_BATCH 256
#define INTAKE_MAX 16384
/* Intake deltas ahead of the one being applied whose key-map slot, and then item, are being loaded. */
#define PREFETCH_SLOT 16
#define PREFETCH_ITEM 8

typedef struct item {
    struct item *next; /* free list */
    const char *key;   /* borrowed from deltas[0].object */
    uint64_t hash;
    size_t n, cap;
    rc_delta *heap; /* NULL while the deltas fit in-line */
    rc_delta inline_d[INLINE_DELTAS];
} item;

struct rc_delta_fifo {
    rci_fifo_intake intake; /* on cache lines of its own: the producers' */
    /* poppers asleep on cond: changed under lock, read by producers without it */
    _Alignas(64) atomic_size_t waiters;
    _Alignas(64) pthread_mutex_t pop_lock; /* held while a key is processed, and by replace/resync */
    pthread_mutex_t lock;                  /* guards everything below */
    pthread_cond_t cond;
    rci_fifo_run run; /* taken from the intake, applied before anything else under lock */
    bool wake;        /* a new key was queued while poppers sleep: wake them as the lock is released */
    rci_map items;    /* key -> item */
    item **ring; /* the queue: ring_len items from ring_head; ring_cap is a power of two (or 0) */
    size_t ring_head, ring_len, ring_cap;
    item *free_items;
    size_t nfree;
    item **inflight; /* the batch being processed (popper's stack), ninflight items */
    size_t ninflight;
    rc_store *known;
    rci_transform_fn transform; /* applied to Added, Updated and Replaced objects before they are queued */
    void *transform_ctx;
    bool populated;
    bool closed;
    size_t initial_population;
};

static rc_delta *deltas_of(item *it) { return it->heap ? it->heap : it->inline_d; }

const char *rc_delta_type_name(rc_delta_type t)
{
    static const char *const names[] = {"Added", "Updated", "Deleted", "Replaced", "Sync"};
    return (unsigned)t < 5 ? names[t] : "Unknown";
}

rc_delta_fifo *rc_delta_fifo_new(rc_store *known_objects)
{
    void *mem;
    if (posix_memalign(&mem, 64, sizeof(rc_delta_fifo)) != 0)
        return NULL;
    rc_delta_fifo *f = memset(mem, 0, sizeof(rc_delta_fifo));
    rci_fifo_intake_init(&f->intake);
    atomic_init(&f->waiters, 0);
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&f->pop_lock, NULL);
    pthread_mutex_init(&f->lock, &a);
    pthread_mutexattr_destroy(&a);
    pthread_cond_init(&f->cond, NULL);
    rci_map_init(&f->items);
    f->known = known_objects;
    return f;
}

void rci_delta_fifo_set_transform(rc_delta_fifo *f, rci_transform_fn fn, void *ctx)
{
    f->transform = fn;
    f->transform_ctx = ctx;
}

static void item_release_deltas(item *it)
{
    rc_delta *d = deltas_of(it);
    for (size_t i = 0; i < it->n; i++)
        rc_object_unref(d[i].object);
    free(it->heap);
    it->heap = NULL;
    it->n = 0;
    it->cap = INLINE_DELTAS;
}

void rc_delta_fifo_free(rc_delta_fifo *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->ring_len; i++) {
        item *it = f->ring[(f->ring_head + i) & (f->ring_cap - 1)];
        item_release_deltas(it);
        free(it);
    }
    free(f->ring);
    for (item *it = f->free_items, *next; it; it = next) {
        next = it->next;
        free(it);
    }
    rci_map_free(&f->items);
    rci_fifo_run_free(&f->run);
    rci_fifo_intake_free(&f->intake);
    pthread_mutex_destroy(&f->pop_lock);
    pthread_mutex_destroy(&f->lock);
    pthread_cond_destroy(&f->cond);
    free(f);
}

/* Caller holds lock. */
static item *item_alloc(rc_delta_fifo *f)
{
    item *it = f->free_items;
    if (it) {
        f->free_items = it->next;
        f->nfree--;
    } else if (!(it = malloc(sizeof *it))) {
        return NULL;
    }
    it->next = NULL;
    it->heap = NULL;
    it->n = 0;
    it->cap = INLINE_DELTAS;
    return it;
}

static void item_recycle(rc_delta_fifo *f, item *it)
{
    if (f->nfree >= FREE_LIST_MAX) {
        free(it);
        return;
    }
    it->next = f->free_items;
    f->free_items = it;
    f->nfree++;
}

static int item_reserve(item *it, size_t extra)
{
    if (it->n + extra <= it->cap)
        return 0;
    size_t cap = it->cap * 2;
    while (cap < it->n + extra)
        cap *= 2;
    rc_delta *d = malloc(cap * sizeof *d);
    if (!d)
        return RC_ENOMEM;
    memcpy(d, deltas_of(it), it->n * sizeof *d);
    free(it->heap);
    it->heap = d;
    it->cap = cap;
    return 0;
}

/* Appends d (whose reference passes to the item). Two consecutive Deleted deltas collapse into one: the
 * newer wins unless it is a relist tombstone, which knows less than the deletion already queued. Room
 * must have been reserved. */
static void item_push(item *it, rc_delta d)
{
    rc_delta *ds = deltas_of(it);
    if (it->n > 0 && ds[it->n - 1].type == RC_DELTA_DELETED && d.type == RC_DELTA_DELETED) {
        if (d.final_state_unknown) {
            rc_object_unref(d.object);
        } else {
            rc_object_unref(ds[it->n - 1].object);
            ds[it->n - 1] = d;
        }
        return;
    }
    ds[it->n++] = d;
}

/* The map and the item borrow the key from the first delta's object; re-point them after it changed.
 * Replacing an existing entry never allocates. Caller holds lock. */
static void rekey(rc_delta_fifo *f, item *it)
{
    const char *key = rc_object_key(deltas_of(it)[0].object);
    if (key != it->key) {
        it->key = key;
        rci_map_put_h(&f->items, key, it->hash, it, NULL);
    }
}

/* The i-th queued item (i < ring_len). */
static item *queued_at(const rc_delta_fifo *f, size_t i)
{
    return f->ring[(f->ring_head + i) & (f->ring_cap - 1)];
}

/* Makes room in the ring for one more item (doubling it; it never shrinks). Caller holds lock. */
static bool ring_reserve(rc_delta_fifo *f)
{
    if (f->ring_len < f->ring_cap)
        return true;
    size_t cap = f->ring_cap ? f->ring_cap * 2 : 64;
    item **ring = malloc(cap * sizeof *ring);
    if (!ring)
        return false;
    for (size_t i = 0; i < f->ring_len; i++)
        ring[i] = queued_at(f, i);
    free(f->ring);
    f->ring = ring;
    f->ring_cap = cap;
    f->ring_head = 0;
    return true;
}

/* Appends it to the queue; room must have been reserved. Caller holds lock. */
static void enqueue_tail(rc_delta_fifo *f, item *it)
{
    f->ring[(f->ring_head + f->ring_len++) & (f->ring_cap - 1)] = it;
}

/* Queues one delta for obj, whose key hashes (rci_key_hash) to h; on success the caller's reference
 * passes to the FIFO. Caller holds lock. */
static int queue_owned(rc_delta_fifo *f, rc_delta_type type, rc_object *obj, uint64_t h,
                       bool final_state_unknown)
{
    const char *key = rc_object_key(obj);
    item *it = rci_map_get_h(&f->items, key, h);
    rc_delta d = {type, final_state_unknown, obj};
    if (it) {
        if (item_reserve(it, 1) != 0)
            return RC_ENOMEM;
        item_push(it, d);
        rekey(f, it);
        return 0;
    }
    if (!ring_reserve(f) || !(it = item_alloc(f)))
        return RC_ENOMEM;
    it->key = key;
    it->hash = h;
    if (rci_map_put_h(&f->items, key, h, it, NULL) != 0) {
        item_recycle(f, it);
        return RC_ENOMEM;
    }
    item_push(it, d);
    enqueue_tail(f, it);
    f->wake |= atomic_load_explicit(&f->waiters, memory_order_relaxed) > 0;
    return 0;
}

/* queue_owned for an object the caller keeps its reference to. Caller holds lock. */
static int queue_borrowed(rc_delta_fifo *f, rc_delta_type type, rc_object *obj, bool final_state_unknown)
{
    int rc = queue_owned(f, type, rc_object_ref(obj), rci_key_hash(rc_object_key(obj)), final_state_unknown);
    if (rc != 0)
        rc_object_unref(obj);
    return rc;
}

/* Loads the key-map slot a hash probes first. Caller holds lock. */
static void prefetch_slot(const rc_delta_fifo *f, uint64_t h)
{
    if (f->items.cap)
        __builtin_prefetch(&f->items.slots[h & (f->items.cap - 1)], 1);
}

/* Loads the item a hash's first slot names, when the slot is the key's (its line was prefetched). */
static void prefetch_item(const rc_delta_fifo *f, uint64_t h)
{
    if (!f->items.cap)
        return;
    const rci_map_entry *e = &f->items.slots[h & (f->items.cap - 1)];
    if (e->hash == h)
        __builtin_prefetch(e->value, 1);
}

/* Applies the intake's pending deltas in order. A delta that cannot be applied for lack of memory stays
 * first in line for the next holder of the lock. Caller holds lock. */
static void apply_intake(rc_delta_fifo *f)
{
    rci_fifo_run *r = &f->run;
    if (r->off == r->n && !rci_fifo_intake_take(&f->intake, r))
        return;
    for (size_t i = r->off; i < r->n && i < r->off + PREFETCH_SLOT; i++)
        prefetch_slot(f, r->e[i].hash);
    for (; r->off < r->n; r->off++) {
        if (r->off + PREFETCH_SLOT < r->n)
            prefetch_slot(f, r->e[r->off + PREFETCH_SLOT].hash);
        if (r->off + PREFETCH_ITEM < r->n)
            prefetch_item(f, r->e[r->off + PREFETCH_ITEM].hash);
        const rci_fifo_entry *e = &r->e[r->off];
        if (queue_owned(f, e->type, e->obj, e->hash, false) != 0) {
            rc_log(RC_LOG_ERROR, "delta_fifo", rc_object_key(e->obj), "out of memory queuing; will retry");
            return;
        }
        f->populated = true;
    }
}

/* Takes lock and brings the FIFO up to date with every delta queued so far. */
static void lock_fifo(rc_delta_fifo *f)
{
    pthread_mutex_lock(&f->lock);
    apply_intake(f);
}

/* Releases lock, then wakes the sleeping poppers if a key was queued for them: a woken popper does not
 * run into the lock its waker still holds. Poppers check for keys under the lock before they sleep. */
static void unlock_fifo(rc_delta_fifo *f)
{
    bool wake = f->wake;
    f->wake = false;
    pthread_mutex_unlock(&f->lock);
    if (wake)
        pthread_cond_broadcast(&f->cond);
}

static bool has_name(const rc_object *obj)
{
    const char *name = obj ? rc_object_name(obj) : NULL;
    return name && *name;
}

/* True when key is pending or being processed. Caller holds lock. */
static bool in_queue_or_flight(rc_delta_fifo *f, const char *key)
{
    uint64_t h = rci_key_hash(key);
    if (rci_map_get_h(&f->items, key, h))
        return true;
    for (size_t i = 0; i < f->ninflight; i++)
        if (f->inflight[i]->hash == h && strcmp(f->inflight[i]->key, key) == 0)
            return true;
    return false;
}

static bool is_known(rc_delta_fifo *f, const char *key)
{
    rc_object *known = f->known ? rc_store_get(f->known, key) : NULL;
    rc_object_unref(known);
    return known != NULL;
}

/* After a push to the intake: the producer takes the lock only when a popper sleeps (to apply the intake
 * and wake it) or the intake is long: then it applies it itself if the lock is free (a busy lock means a
 * popper that applies it soon), and waits for the lock past INTAKE_MAX. Against a popper going to sleep
 * this is Dekker's pattern: the push stores the pending count before `waiters` is read here, the popper
 * increments `waiters` before it reads the pending count (both sequentially consistent), so one of the
 * two sees the other. */
static void publish(rc_delta_fifo *f, size_t pending)
{
    if (atomic_load(&f->waiters) || pending >= INTAKE_MAX)
        pthread_mutex_lock(&f->lock);
    else if (pending < INTAKE_BATCH || pthread_mutex_trylock(&f->lock) != 0)
        return;
    apply_intake(f);
    unlock_fifo(f);
}

/* Added and Updated deltas go through the intake, hashed before any lock is taken. */
static int queue_one(rc_delta_fifo *f, rc_delta_type type, rc_object *obj)
{
    if (!f || !has_name(obj))
        return RC_EINVAL;
    rc_object_freeze(obj);
    /* the transform runs on the producer's thread, outside the lock (upstream runs it when queuing too) */
    rc_object *queued = f->transform ? f->transform(f->transform_ctx, obj) : rc_object_ref(obj);
    size_t pending;
    rci_fifo_entry e = {queued, rci_key_hash(rc_object_key(queued)), type};
    int rc = rci_fifo_intake_push(&f->intake, e, &pending);
    if (rc != 0) {
        rc_object_unref(queued);
        return rc;
    }
    publish(f, pending);
    return 0;
}

int rc_delta_fifo_add(rc_delta_fifo *f, rc_object *obj) { return queue_one(f, RC_DELTA_ADDED, obj); }
int rc_delta_fifo_update(rc_delta_fifo *f, rc_object *obj) { return queue_one(f, RC_DELTA_UPDATED, obj); }

int rc_delta_fifo_delete(rc_delta_fifo *f, rc_object *obj)
{
    if (!f || !has_name(obj))
        return RC_EINVAL;
    rc_object_freeze(obj);
    const char *key = rc_object_key(obj);
    lock_fifo(f);
    int rc = f->closed ? RC_ECLOSED : 0;
    /* deleting what is neither pending, in flight nor known is a no-op */
    bool pointless = rc == 0 && !in_queue_or_flight(f, key) && !is_known(f, key);
    if (rc == 0 && !pointless && (rc = queue_borrowed(f, RC_DELTA_DELETED, obj, false)) == 0)
        f->populated = true;
    unlock_fifo(f);
    return rc;
}

typedef struct known_scan {
    rc_delta_fifo *f;
    const rci_map *listed; /* keys of the relist, or NULL for a resync */
    size_t queued;
    int rc;
} known_scan;

/* Relist: a known key missing from the list (and not pending) is a missed deletion. Resync: a known key
 * with nothing pending gets a Sync delta. */
static bool scan_known(void *ctx, rc_object *obj)
{
    known_scan *k = ctx;
    const char *key = rc_object_key(obj);
    uint64_t h = rci_key_hash(key);
    if (rci_map_get_h(&k->f->items, key, h) || (k->listed && rci_map_get_h(k->listed, key, h)))
        return true;
    k->rc = k->listed ? queue_borrowed(k->f, RC_DELTA_DELETED, obj, true)
                      : queue_borrowed(k->f, RC_DELTA_SYNC, obj, false);
    k->queued += k->rc == 0;
    return k->rc == 0;
}

/* Pending keys missing from the relist get a final-state-unknown Deleted delta with their newest object. */
static int tombstone_pending(rc_delta_fifo *f, const rci_map *listed, size_t *queued)
{
    for (size_t i = 0; i < f->ring_len; i++) {
        item *it = queued_at(f, i);
        if (rci_map_get_h(listed, it->key, it->hash))
            continue;
        if (item_reserve(it, 1) != 0)
            return RC_ENOMEM;
        rc_delta newest = deltas_of(it)[it->n - 1];
        rc_object_ref(newest.object);
        item_push(it, (rc_delta){RC_DELTA_DELETED, true, newest.object});
        rekey(f, it);
        (*queued)++;
    }
    return 0;
}

/* Drops the transformed copies of a relist (NULL-safe). */
static void release_items(rc_object **items, size_t n)
{
    for (size_t i = 0; items && i < n; i++)
        rc_object_unref(items[i]);
    free(items);
}

int rc_delta_fifo_replace(rc_delta_fifo *f, rc_object *const *objs, size_t n, const char *resource_version)
{
    if (!f || (n && !objs))
        return RC_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (!has_name(objs[i]))
            return RC_EINVAL;
        rc_object_freeze(objs[i]);
    }
    rc_object **items = NULL;
    if (n && f->transform) {
        if (!(items = malloc(n * sizeof *items)))
            return RC_ENOMEM;
        for (size_t i = 0; i < n; i++)
            items[i] = f->transform(f->transform_ctx, objs[i]);
        objs = items;
    }
    rci_map listed;
    rci_map_init(&listed);
    if (!rci_map_reserve(&listed, n)) {
        release_items(items, n);
        return RC_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        rci_map_put_h(&listed, rc_object_key(objs[i]), rci_key_hash(rc_object_key(objs[i])), objs[i], NULL);
    pthread_mutex_lock(&f->pop_lock);
    lock_fifo(f);
    size_t deletions = 0;
    int rc = f->closed ? RC_ECLOSED : tombstone_pending(f, &listed, &deletions);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = queue_borrowed(f, RC_DELTA_REPLACED, objs[i], false);
    if (rc == 0 && f->known) {
        known_scan k = {f, &listed, 0, 0};
        rc_store_foreach(f->known, scan_known, &k);
        rc = k.rc;
        deletions += k.queued;
    }
    if (rc == 0 && !f->populated) {
        f->populated = true;
        f->initial_population = rci_map_count(&f->items);
    }
    unlock_fifo(f);
    pthread_mutex_unlock(&f->pop_lock);
    rci_map_free(&listed);
    release_items(items, n);
    rc_log(RC_LOG_DEBUG, "delta_fifo", NULL, "replace: %zu items at resourceVersion %s, %zu deletions (rc %d)",
           n, resource_version ? resource_version : "", deletions, rc);
    return rc;
}

int rc_delta_fifo_resync(rc_delta_fifo *f)
{
    if (!f)
        return RC_EINVAL;
    pthread_mutex_lock(&f->pop_lock);
    lock_fifo(f);
    int rc = f->closed ? RC_ECLOSED : 0;
    if (rc == 0 && f->known) {
        known_scan k = {f, NULL, 0, 0};
        rc_store_foreach(f->known, scan_known, &k);
        rc = k.rc;
    }
    unlock_fifo(f);
    pthread_mutex_unlock(&f->pop_lock);
    return rc;
}

/* Puts a popped item back in front of the deltas its key received meanwhile. Caller holds lock. */
static void requeue_locked(rc_delta_fifo *f, item *popped)
{
    item *newer = rci_map_get_h(&f->items, popped->key, popped->hash);
    if (!newer) {
        if (ring_reserve(f) && rci_map_put_h(&f->items, popped->key, popped->hash, popped, NULL) == 0) {
            enqueue_tail(f, popped);
            return;
        }
    } else if (item_reserve(popped, newer->n) == 0) {
        rc_delta *nd = deltas_of(newer);
        for (size_t i = 0; i < newer->n; i++)
            item_push(popped, nd[i]);
        newer->n = 0;
        item_release_deltas(newer);
        /* newer keeps its queue position and takes over the merged list */
        newer->heap = popped->heap;
        newer->n = popped->n;
        newer->cap = popped->cap;
        if (!popped->heap)
            memcpy(newer->inline_d, popped->inline_d, sizeof newer->inline_d);
        rekey(f, newer);
        popped->heap = NULL;
        popped->n = 0;
        item_recycle(f, popped);
        return;
    }
    rc_log(RC_LOG_ERROR, "delta_fifo", popped->key, "out of memory requeuing; older deltas dropped");
    item_release_deltas(popped);
    item_recycle(f, popped);
}

/* Takes the first item off the queue. Caller holds lock; the queue is not empty. */
static item *dequeue_locked(rc_delta_fifo *f)
{
    item *it = f->ring[f->ring_head];
    f->ring_head = (f->ring_head + 1) & (f->ring_cap - 1);
    f->ring_len--;
    rci_map_remove_h(&f->items, it->key, it->hash);
    return it;
}

/* Puts processed items back: requeued ones in front of newer deltas, the others (whose deltas the caller
 * already released) on the free list. Caller holds lock. */
static void finish_batch_locked(rc_delta_fifo *f, item **items, const rci_popped *batch, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        /* counted after processing, so has_synced implies the initial items were applied */
        if (f->initial_population > 0)
            f->initial_population--;
        if (batch[i].result == RC_EAGAIN)
            requeue_locked(f, items[i]);
        else
            item_recycle(f, items[i]);
    }
    f->inflight = NULL;
    f->ninflight = 0;
}

/* One attempt: takes up to max items, processes them with only pop_lock held, and returns the count,
 * RC_EAGAIN (empty) or RC_ECLOSED (closed and drained). */
static int pop_batch_once(rc_delta_fifo *f, size_t max, rci_pop_batch_fn fn, void *ctx)
{
    item *items[RCI_FIFO_BATCH];
    rci_popped batch[RCI_FIFO_BATCH];
    pthread_mutex_lock(&f->pop_lock);
    lock_fifo(f);
    /* With a long queue the items, their keys and the key map are far bigger than the cache: load the
     * whole batch's items at once, then their keys and map slots, so the misses overlap instead of
     * costing one memory latency after the other. */
    size_t take = f->ring_len < max ? f->ring_len : max, n = 0;
    for (size_t i = 0; i < take; i++)
        __builtin_prefetch(queued_at(f, i), 1);
    for (size_t i = 0; i < take; i++) {
        const item *it = queued_at(f, i);
        __builtin_prefetch(it->key);
        if (f->items.cap)
            __builtin_prefetch(&f->items.slots[it->hash & (f->items.cap - 1)], 1);
    }
    while (n < take)
        items[n++] = dequeue_locked(f);
    int rc = n ? (int)n : f->closed ? RC_ECLOSED : RC_EAGAIN;
    f->inflight = items;
    f->ninflight = n;
    unlock_fifo(f);
    for (size_t i = 0; i < n; i++)
        batch[i] = (rci_popped){items[i]->key, items[i]->hash, deltas_of(items[i]), items[i]->n, 0};
    if (n)
        fn(ctx, batch, n);
    /* Dropping references may free objects: do it before taking the lock producers wait for. */
    for (size_t i = 0; i < n; i++)
        if (batch[i].result != RC_EAGAIN)
            item_release_deltas(items[i]);
    pthread_mutex_lock(&f->lock);
    finish_batch_locked(f, items, batch, n);
    pthread_mutex_unlock(&f->lock);
    pthread_mutex_unlock(&f->pop_lock);
    return rc;
}

static void deadline_after(rc_duration timeout, struct timespec *ts)
{
    clock_gettime(CLOCK_REALTIME, ts);
    int64_t ns = (int64_t)ts->tv_nsec + timeout % RC_SEC;
    ts->tv_sec += (time_t)(timeout / RC_SEC + ns / RC_SEC);
    ts->tv_nsec = (long)(ns % RC_SEC);
}

/* Waits without pop_lock until something is queued or the FIFO closed (true), or the deadline (NULL =
 * none) passed (false), so replace and resync are never held up by an idle popper. */
static bool wait_ready(rc_delta_fifo *f, const struct timespec *deadline)
{
    lock_fifo(f);
    bool timed_out = false;
    while (!f->ring_len && !f->closed && !timed_out) {
        atomic_fetch_add(&f->waiters, 1);
        /* a push that missed `waiters` is seen here (see publish) */
        if (rci_fifo_intake_pending(&f->intake) == 0) {
            if (!deadline)
                pthread_cond_wait(&f->cond, &f->lock);
            else
                timed_out = pthread_cond_timedwait(&f->cond, &f->lock, deadline) != 0;
        }
        atomic_fetch_sub(&f->waiters, 1);
        apply_intake(f);
    }
    bool ready = f->ring_len || f->closed;
    unlock_fifo(f);
    return ready;
}

int rci_delta_fifo_pop_batch(rc_delta_fifo *f, size_t max, rc_duration wait, rci_pop_batch_fn fn, void *ctx)
{
    if (!f || !fn)
        return RC_EINVAL;
    if (max > RCI_FIFO_BATCH)
        max = RCI_FIFO_BATCH;
    if (max == 0)
        return RC_EAGAIN;
    struct timespec deadline;
    if (wait > 0 && wait != RC_TIME_NEVER)
        deadline_after(wait, &deadline);
    for (;;) {
        if (wait > 0 && !wait_ready(f, wait == RC_TIME_NEVER ? NULL : &deadline))
            return RC_EAGAIN;
        int rc = pop_batch_once(f, max, fn, ctx);
        /* another popper may have taken what woke us: wait again */
        if (rc != RC_EAGAIN || wait <= 0)
            return rc;
    }
}

/* A single pop is a batch of one whose callback adapts rc_delta_process_fn. */
typedef struct single_pop {
    rc_delta_process_fn fn;
    void *ctx;
    int rc;
} single_pop;

static void process_single(void *ctx, rci_popped *batch, size_t n)
{
    single_pop *sp = ctx;
    for (size_t i = 0; i < n; i++) {
        batch[i].result = sp->fn(sp->ctx, batch[i].key, batch[i].deltas, batch[i].n);
        sp->rc = batch[i].result == RC_EAGAIN ? 0 : batch[i].result;
    }
}

static int pop_single(rc_delta_fifo *f, rc_delta_process_fn fn, void *ctx, rc_duration wait)
{
    if (!f || !fn)
        return RC_EINVAL;
    single_pop sp = {fn, ctx, 0};
    int rc = rci_delta_fifo_pop_batch(f, 1, wait, process_single, &sp);
    return rc < 0 ? rc : sp.rc;
}

int rc_delta_fifo_try_pop(rc_delta_fifo *f, rc_delta_process_fn fn, void *ctx) { return pop_single(f, fn, ctx, 0); }

int rc_delta_fifo_pop(rc_delta_fifo *f, rc_delta_process_fn fn, void *ctx, rc_duration timeout)
{
    /* a zero timeout still is a pop: it must not block, like try_pop */
    return pop_single(f, fn, ctx, timeout < 0 ? 0 : timeout);
}

bool rc_delta_fifo_has_synced(rc_delta_fifo *f)
{
    if (!f)
        return false;
    lock_fifo(f);
    bool synced = f->populated && f->initial_population == 0;
    unlock_fifo(f);
    return synced;
}

size_t rc_delta_fifo_len(rc_delta_fifo *f)
{
    if (!f)
        return 0;
    lock_fifo(f);
    size_t n = rci_map_count(&f->items);
    unlock_fifo(f);
    return n;
}

void rc_delta_fifo_close(rc_delta_fifo *f)
{
    if (!f)
        return;
    lock_fifo(f);
    rci_fifo_intake_close(&f->intake); /* deltas pushed before this are applied by the next lock holder */
    f->closed = true;
    pthread_cond_broadcast(&f->cond);
    unlock_fifo(f);
}

bool rc_delta_fifo_is_closed(rc_delta_fifo *f)
{
    if (!f)
        return false;
    pthread_mutex_lock(&f->lock);
    bool closed = f->closed;
    pthread_mutex_unlock(&f->lock);
    return closed;
}
