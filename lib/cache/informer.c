/* informer.c - the shared informer: applies popped deltas to the cache and fans notifications out to
 * per-handler buffers, manages handler resync periods and late-handler replay, and offers the
 * deterministic driver's start/step/pump/dispatch. The threaded driver is in informer_run.c. Deltas are
 * popped in batches and applied under one informer lock per batch; their notifications reach each
 * handler's buffer as one batch too. */
#include "cache/informer_internal.h"

#include <reconcile/log.h>

#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "api/object_internal.h"
#include "cache/delta_fifo_internal.h"
#include "cache/store_internal.h"
#include "util/map.h"

#define MIN_RESYNC RC_SEC
#define DEFAULT_BACKLOG_WARN 1000

void rc_informer_options_init(rc_informer_options *o)
{
    memset(o, 0, sizeof *o);
    rc_reflector_options_init(&o->reflector);
}

static void destroy_source(rc_list_watch lw)
{
    if (lw.ops && lw.ops->destroy)
        lw.ops->destroy(lw.ctx);
}

static bool copy_str(char **dst, const char *src)
{
    *dst = src ? strdup(src) : NULL;
    return !src || *dst;
}

/* metadata.managedFields by interned key ids: no path parsing and no key hashing on every delta (this
 * check ran at ~900 instructions per event through rc_object_at). */
static bool has_managed_fields(const rc_object *obj)
{
    static const char key[] = "managedFields";
    static _Atomic uint32_t cached_id = RCI_INTERN_NONE;
    uint32_t id = atomic_load_explicit(&cached_id, memory_order_relaxed);
    if (id == RCI_INTERN_NONE) {
        id = rci_intern_find(key, sizeof key - 1); /* seeded at start-up: the id is fixed */
        atomic_store_explicit(&cached_id, id, memory_order_relaxed);
    }
    rc_node meta = rci_node_get_id(rc_object_root(obj), RCI_K_METADATA);
    return rc_node_exists(id == RCI_INTERN_NONE ? rc_node_get(meta, key) : rci_node_get_id(meta, id));
}

/* The FIFO's transform hook: runs on the producer (reflector) thread as objects are queued. */
static rc_object *transform(void *ctx, rc_object *obj)
{
    rc_informer *inf = ctx;
    rc_object *out = NULL;
    if (inf->opts.transform) {
        out = inf->opts.transform(inf->opts.transform_ctx, obj);
        if (!out)
            rc_log(RC_LOG_ERROR, "informer", rc_object_key(obj), "transform failed; caching the object as is");
    } else if (!inf->opts.keep_managed_fields && has_managed_fields(obj)) {
        rc_object *copy = rc_object_copy(obj);
        if (copy && rc_object_remove(copy, "metadata.managedFields") == 0)
            out = rc_object_freeze(copy);
        else
            rc_object_unref(copy);
    }
    return out ? rc_object_freeze(out) : rc_object_ref(obj); /* queued objects are frozen */
}

rc_informer *rc_informer_new(rc_list_watch lw, rc_clock *clock, const rc_informer_options *opts)
{
    rc_informer *inf = lw.ops && clock ? calloc(1, sizeof *inf) : NULL;
    if (!inf) {
        destroy_source(lw);
        return NULL;
    }
    pthread_mutex_init(&inf->lock, NULL);
    pthread_cond_init(&inf->cond, NULL);
    inf->lw = lw;
    inf->clock = clock;
    if (opts)
        inf->opts = *opts;
    else
        rc_informer_options_init(&inf->opts);
    rc_reflector_options *ro = &inf->opts.reflector;
    if (!inf->opts.backlog_warn)
        inf->opts.backlog_warn = DEFAULT_BACKLOG_WARN;
    if (!copy_str(&inf->name, ro->name ? ro->name : "informer") || !copy_str(&inf->label_selector, ro->label_selector) ||
        !copy_str(&inf->field_selector, ro->field_selector) || !(inf->store = rc_store_new()) ||
        !(inf->fifo = rc_delta_fifo_new(inf->store))) {
        rc_informer_free(inf);
        return NULL;
    }
    rci_delta_fifo_set_transform(inf->fifo, transform, inf);
    ro->name = inf->name;
    ro->label_selector = inf->label_selector;
    ro->field_selector = inf->field_selector;
    return inf;
}

void rc_informer_free(rc_informer *inf)
{
    if (!inf)
        return;
    rc_informer_stop(inf);
    rc_reflector_free(inf->reflector);
    for (size_t i = 0; i < inf->nhandlers; i++)
        rci_handler_free(inf->handlers[i]);
    free(inf->handlers);
    rc_delta_fifo_free(inf->fifo);
    rc_store_free(inf->store);
    destroy_source(inf->lw);
    free(inf->name);
    free(inf->label_selector);
    free(inf->field_selector);
    pthread_mutex_destroy(&inf->lock);
    pthread_cond_destroy(&inf->cond);
    free(inf);
}

rc_store *rc_informer_store(rc_informer *inf) { return inf ? inf->store : NULL; }

/* ---- applying deltas ---- */

/* Notifications of one popped batch, handed to every handler at once when the batch is applied (or the
 * buffer fills). Entries own their references. */
#define NOTE_BUF 128

typedef struct note_buf {
    rci_note notes[NOTE_BUF];
    size_t n;
} note_buf;

/* Gives the buffered notifications to every handler (syncs only to those whose resync is due); the last
 * handler takes over the buffer's references. Caller holds lock. */
static void flush_notes(rc_informer *inf, note_buf *b)
{
    size_t nh = inf->nhandlers;
    for (size_t i = 0; i + 1 < nh && b->n; i++)
        rci_handler_push_many(inf->handlers[i], b->notes, b->n);
    if (nh > 0 && b->n) {
        rci_handler_give_many(inf->handlers[nh - 1], b->notes, b->n);
    } else {
        for (size_t i = 0; i < b->n; i++) {
            rc_object_unref(b->notes[i].old);
            rc_object_unref(b->notes[i].obj);
        }
    }
    b->n = 0;
}

/* Buffers one notification; old and obj are references passed to the buffer. Caller holds lock. */
static void add_note(rc_informer *inf, note_buf *b, rci_note note)
{
    if (b->n == NOTE_BUF)
        flush_notes(inf, b);
    b->notes[b->n++] = note;
}

static bool same_version(const rc_object *a, const rc_object *b)
{
    const char *ra = rc_object_resource_version(a), *rb = rc_object_resource_version(b);
    return ra && rb && strcmp(ra, rb) == 0;
}

/* Applies one delta to the cache and buffers its notification. Caller holds lock. */
static int apply_delta(rc_informer *inf, note_buf *b, const rci_popped *p, const rc_delta *d)
{
    if (d->type == RC_DELTA_DELETED) {
        rc_store_delete_key(inf->store, p->key);
        add_note(inf, b, (rci_note){NULL, rc_object_ref(d->object), RCI_NOTE_DELETE, d->final_state_unknown, false});
        return 0;
    }
    rc_object *obj = rc_object_ref(d->object); /* the FIFO ran the transform when it queued the object */
    rc_object *old = NULL;
    int rc = rci_store_put(inf->store, obj, p->hash, &old);
    if (rc != 0) {
        rc_object_unref(obj);
    } else if (old) {
        bool is_sync = d->type == RC_DELTA_SYNC || (d->type == RC_DELTA_REPLACED && same_version(old, obj));
        add_note(inf, b, (rci_note){old, obj, RCI_NOTE_UPDATE, false, is_sync});
    } else {
        add_note(inf, b, (rci_note){NULL, obj, RCI_NOTE_ADD, false, false});
    }
    return rc;
}

/* The FIFO's batch callback: applies every key's deltas in order under one informer lock. A key whose
 * delta cannot be applied (out of memory) is requeued whole; re-applying its earlier deltas is harmless
 * because an add of the same object replaces it. */
static void apply_batch(void *ctx, rci_popped *batch, size_t n)
{
    rc_informer *inf = ctx;
    note_buf b;
    b.n = 0;
    /* a cache of many objects is far bigger than the CPU cache: overlap the misses on the keys' slots */
    for (size_t i = 0; i < n; i++)
        rci_store_prefetch(inf->store, batch[i].deltas[batch[i].n - 1].object, batch[i].hash);
    for (size_t i = 0; i < n; i++)
        rci_store_prefetch_index(inf->store, batch[i].deltas[batch[i].n - 1].object, batch[i].hash);
    pthread_mutex_lock(&inf->lock);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < batch[i].n && batch[i].result == 0; j++) {
            if (apply_delta(inf, &b, &batch[i], &batch[i].deltas[j]) != 0) {
                rc_log(RC_LOG_ERROR, "informer", batch[i].key, "out of memory applying a delta; will retry");
                batch[i].result = RC_EAGAIN;
            }
        }
    }
    flush_notes(inf, &b);
    pthread_mutex_unlock(&inf->lock);
}

static void note_synced(rc_informer *inf)
{
    if (!rc_delta_fifo_has_synced(inf->fifo))
        return;
    pthread_mutex_lock(&inf->lock);
    if (!inf->synced) {
        inf->synced = true;
        pthread_cond_broadcast(&inf->cond);
    }
    pthread_mutex_unlock(&inf->lock);
}

int rci_informer_pump(rc_informer *inf, size_t max, rc_duration wait)
{
    int popped = 0;
    while ((size_t)popped < max) {
        int rc = rci_delta_fifo_pop_batch(inf->fifo, max - (size_t)popped, popped == 0 ? wait : 0, apply_batch, inf);
        if (rc <= 0)
            break;
        popped += rc;
    }
    if (popped)
        note_synced(inf);
    return popped;
}

int rc_informer_pump(rc_informer *inf, size_t max) { return inf ? rci_informer_pump(inf, max, 0) : RC_EINVAL; }

int rc_informer_dispatch(rc_informer *inf, size_t max)
{
    if (!inf)
        return RC_EINVAL;
    size_t delivered = 0;
    for (bool progress = true; progress && delivered < max;) {
        progress = false;
        for (size_t i = 0; delivered < max; i++) {
            pthread_mutex_lock(&inf->lock);
            rc_handler_registration *h = i < inf->nhandlers ? inf->handlers[i] : NULL;
            pthread_mutex_unlock(&inf->lock);
            if (!h)
                break;
            size_t got = rci_handler_deliver(h, max - delivered);
            delivered += got;
            progress |= got > 0;
        }
    }
    return delivered > INT_MAX ? INT_MAX : (int)delivered;
}

/* ---- handlers and resync ---- */

/* The reflector asks when its resync period elapsed: marks the handlers whose own period is due. */
static bool should_resync(void *ctx)
{
    rc_informer *inf = ctx;
    pthread_mutex_lock(&inf->lock);
    rc_time now = rc_clock_now(inf->clock);
    bool any = false;
    for (size_t i = 0; i < inf->nhandlers; i++) {
        rc_handler_registration *h = inf->handlers[i];
        h->syncing = h->resync_period > 0 && now >= h->next_resync;
        if (h->syncing) {
            h->next_resync = now + h->resync_period;
            any = true;
        }
    }
    pthread_mutex_unlock(&inf->lock);
    return any;
}

static void on_reflector_error(void *ctx, const rc_error *err)
{
    rc_informer *inf = ctx;
    pthread_mutex_lock(&inf->lock);
    inf->error_events++;
    pthread_cond_broadcast(&inf->cond);
    pthread_mutex_unlock(&inf->lock);
    if (inf->opts.on_sync_error)
        inf->opts.on_sync_error(inf->opts.on_sync_error_ctx, inf, err);
}

static rc_duration handler_period(rc_informer *inf, rc_duration requested)
{
    rc_duration p = requested > 0 ? requested : inf->opts.resync_period;
    if (p <= 0)
        return 0;
    if (p < MIN_RESYNC)
        p = MIN_RESYNC;
    if (inf->started && inf->resync_check > 0 && p < inf->resync_check) {
        rc_log(RC_LOG_WARN, "informer", inf->name, "resync period raised to the informer's check period");
        p = inf->resync_check;
    }
    return p;
}

static bool replay_add(void *ctx, rc_object *obj)
{
    rci_handler_push(ctx, RCI_NOTE_ADD, NULL, obj, false);
    return true;
}

rc_handler_registration *rc_informer_add_handler(rc_informer *inf, const rc_event_handler *h, void *ctx,
                                                 rc_duration resync_period, rc_error *err)
{
    if (!inf || !h) {
        rc_error_set(err, RC_EINVAL, "add_handler: informer and handler are required");
        return NULL;
    }
    pthread_mutex_lock(&inf->lock);
    rc_duration period = handler_period(inf, resync_period);
    rc_handler_registration *reg = rci_handler_new(h, ctx, period, inf->opts.backlog_warn, inf->name);
    if (reg && inf->nhandlers == inf->handlers_cap) {
        size_t cap = inf->handlers_cap ? inf->handlers_cap * 2 : 4;
        rc_handler_registration **hs = realloc(inf->handlers, cap * sizeof *hs);
        if (hs) {
            inf->handlers = hs;
            inf->handlers_cap = cap;
        } else {
            rci_handler_free(reg);
            reg = NULL;
        }
    }
    if (reg) {
        if (inf->started) {
            reg->next_resync = rc_clock_now(inf->clock) + period;
            rc_store_foreach(inf->store, replay_add, reg);
        }
        inf->handlers[inf->nhandlers++] = reg;
        pthread_cond_broadcast(&inf->cond);
    }
    pthread_mutex_unlock(&inf->lock);
    if (!reg)
        rc_error_set(err, RC_ENOMEM, "add_handler: out of memory");
    return reg;
}

int rc_informer_remove_handler(rc_informer *inf, rc_handler_registration *reg)
{
    if (!inf || !reg)
        return RC_EINVAL;
    pthread_mutex_lock(&inf->lock);
    bool first = rci_handler_remove(reg);
    pthread_mutex_unlock(&inf->lock);
    return first ? 0 : RC_ENOTFOUND;
}

/* ---- lifecycle and the deterministic driver ---- */

int rc_informer_start(rc_informer *inf)
{
    if (!inf)
        return RC_EINVAL;
    pthread_mutex_lock(&inf->lock);
    int rc = inf->stopped ? RC_ECLOSED : 0;
    if (rc == 0 && !inf->started) {
        rc_duration check = inf->opts.resync_period > 0 ? handler_period(inf, inf->opts.resync_period) : 0;
        rc_time now = rc_clock_now(inf->clock);
        for (size_t i = 0; i < inf->nhandlers; i++) {
            rc_handler_registration *h = inf->handlers[i];
            if (h->resync_period > 0 && (check == 0 || h->resync_period < check))
                check = h->resync_period;
            h->next_resync = now + h->resync_period;
        }
        rc_reflector_options ro = inf->opts.reflector;
        ro.resync_period = check;
        ro.should_resync = should_resync;
        ro.should_resync_ctx = inf;
        ro.on_error = on_reflector_error;
        ro.on_error_ctx = inf;
        inf->reflector = rc_reflector_new(inf->lw, inf->fifo, inf->clock, &ro);
        inf->resync_check = check;
        inf->started = inf->reflector != NULL;
        rc = inf->started ? 0 : RC_ENOMEM;
    }
    pthread_mutex_unlock(&inf->lock);
    return rc;
}

static bool is_stopped(rc_informer *inf)
{
    pthread_mutex_lock(&inf->lock);
    bool s = inf->stopped;
    pthread_mutex_unlock(&inf->lock);
    return s;
}

int rc_informer_step(rc_informer *inf, size_t max)
{
    if (!inf || !inf->reflector)
        return RC_EINVAL;
    if (is_stopped(inf))
        return RC_ECLOSED;
    int n = rc_reflector_step(inf->reflector);
    if (n < 0)
        return n;
    n += rc_informer_pump(inf, max);
    return n + rc_informer_dispatch(inf, max);
}

static size_t total_backlog(rc_informer *inf)
{
    pthread_mutex_lock(&inf->lock);
    size_t n = 0;
    for (size_t i = 0; i < inf->nhandlers; i++)
        n += rci_handler_backlog(inf->handlers[i]);
    pthread_mutex_unlock(&inf->lock);
    return n;
}

rc_time rc_informer_next_deadline(rc_informer *inf)
{
    if (!inf || !inf->reflector || is_stopped(inf))
        return RC_TIME_NEVER;
    if (rc_delta_fifo_len(inf->fifo) > 0 || total_backlog(inf) > 0)
        return rc_clock_now(inf->clock);
    return rc_reflector_next_deadline(inf->reflector);
}

bool rc_informer_has_synced(rc_informer *inf) { return inf && rc_delta_fifo_has_synced(inf->fifo); }

int rc_informer_sync_error(rc_informer *inf, rc_error *err)
{
    if (!inf)
        return RC_EINVAL;
    pthread_mutex_lock(&inf->lock);
    rc_reflector *r = inf->reflector;
    pthread_mutex_unlock(&inf->lock);
    return r ? rc_reflector_last_error(r, err) : 0;
}

static bool fatal_sync_error(int code)
{
    return code == RC_EFORBIDDEN || code == RC_ENOTFOUND || code == RC_EUNAUTHORIZED;
}

#define SYNC_POLL (20 * RC_MSEC)

int rc_informer_wait_for_sync(rc_informer *inf, rc_duration timeout, rc_error *err)
{
    if (!inf)
        return RC_EINVAL;
    struct timespec deadline;
    bool bounded = timeout != RC_TIME_NEVER &&
                   rc_clock_abs_timeout(rc_clock_real(), rc_clock_now(rc_clock_real()) + timeout, &deadline);
    for (;;) {
        pthread_mutex_lock(&inf->lock);
        unsigned long errors_seen = inf->error_events;
        pthread_mutex_unlock(&inf->lock);
        if (rc_informer_has_synced(inf))
            return 0;
        int code = rc_informer_sync_error(inf, NULL);
        if (fatal_sync_error(code)) {
            rc_informer_sync_error(inf, err);
            return code;
        }
        /* Wait for a wake-up, but re-check at least every SYNC_POLL (as upstream's WaitForCacheSync polls):
         * an empty first list makes the FIFO synced without any pop that would signal us. */
        struct timespec slice;
        rc_clock_abs_timeout(rc_clock_real(), rc_clock_now(rc_clock_real()) + SYNC_POLL, &slice);
        bool last_slice = bounded && (deadline.tv_sec < slice.tv_sec ||
                                      (deadline.tv_sec == slice.tv_sec && deadline.tv_nsec <= slice.tv_nsec));
        pthread_mutex_lock(&inf->lock);
        bool stopped = inf->stopped, timed_out = false;
        if (!stopped && !inf->synced && inf->error_events == errors_seen)
            timed_out = pthread_cond_timedwait(&inf->cond, &inf->lock, last_slice ? &deadline : &slice) != 0 &&
                        last_slice;
        pthread_mutex_unlock(&inf->lock);
        if (stopped)
            return rc_error_set(err, RC_ECLOSED, "informer %s stopped before it synced", inf->name);
        if (timed_out && !rc_informer_has_synced(inf)) {
            rc_error last = {0};
            rc_informer_sync_error(inf, &last);
            rc_error_set(err, RC_ETIMEOUT, "informer %s did not sync in time%s%s", inf->name,
                         last.message ? "; last error: " : "", last.message ? last.message : "");
            rc_error_clear(&last);
            return RC_ETIMEOUT;
        }
    }
}

void rc_informer_last_sync_resource_version(rc_informer *inf, char *buf, size_t cap)
{
    if (buf && cap)
        buf[0] = '\0';
    if (inf && inf->reflector)
        rc_reflector_last_sync_resource_version(inf->reflector, buf, cap);
}

static bool add_size(void *ctx, rc_object *obj)
{
    *(size_t *)ctx += rc_object_mem_size(obj);
    return true;
}

void rc_informer_memory_report(rc_informer *inf, rc_informer_memory *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!inf)
        return;
    out->objects = rc_store_foreach(inf->store, add_size, &out->object_bytes);
    out->store_bytes = rc_store_overhead_bytes(inf->store);
    out->pending_keys = rc_delta_fifo_len(inf->fifo);
    out->handler_backlog = total_backlog(inf);
}
