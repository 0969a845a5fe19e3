/* handler.c - the shared informer's per-handler buffers (see handler.h). A growing ring keeps pushes
 * allocation-free in the steady state; a warning is logged each time the backlog doubles past the
 * threshold, so a stuck handler is visible without flooding the log. */
#include "cache/handler.h"

#include <reconcile/log.h>

#include <stdlib.h>
#include <string.h>

rc_handler_registration *rci_handler_new(const rc_event_handler *h, void *ctx, rc_duration resync_period,
                                         size_t warn_at, const char *informer_name)
{
    rc_handler_registration *reg = calloc(1, sizeof *reg);
    if (!reg)
        return NULL;
    reg->h = *h;
    reg->ctx = ctx;
    reg->resync_period = resync_period;
    reg->warn_at = warn_at;
    reg->informer_name = informer_name;
    pthread_mutex_init(&reg->lock, NULL);
    pthread_cond_init(&reg->cond, NULL);
    return reg;
}

static void note_clear(const rci_note *n)
{
    rc_object_unref(n->old);
    rc_object_unref(n->obj);
}

static void drop_buffer(rc_handler_registration *reg)
{
    for (size_t i = 0; i < reg->count; i++)
        note_clear(&reg->ring[(reg->head + i) % reg->cap]);
    free(reg->ring);
    reg->ring = NULL;
    reg->head = reg->count = reg->cap = 0;
}

void rci_handler_free(rc_handler_registration *reg)
{
    if (!reg)
        return;
    drop_buffer(reg);
    pthread_mutex_destroy(&reg->lock);
    pthread_cond_destroy(&reg->cond);
    free(reg);
}

static int grow(rc_handler_registration *reg)
{
    size_t cap = reg->cap ? reg->cap * 2 : 64;
    rci_note *ring = malloc(cap * sizeof *ring);
    if (!ring)
        return RC_ENOMEM;
    for (size_t i = 0; i < reg->count; i++)
        ring[i] = reg->ring[(reg->head + i) % reg->cap];
    free(reg->ring);
    reg->ring = ring;
    reg->cap = cap;
    reg->head = 0;
    return 0;
}

/* Buffers notes; give: their references pass to the buffer (released when not buffered), else new ones
 * are taken. */
static int buffer_notes(rc_handler_registration *reg, const rci_note *notes, size_t n, bool give)
{
    pthread_mutex_lock(&reg->lock);
    size_t wanted = 0;
    for (size_t i = 0; i < n; i++)
        wanted += !notes[i].resync || reg->syncing;
    int rc = 0;
    while (!reg->removed && reg->count + wanted > reg->cap && (rc = grow(reg)) == 0)
        ;
    if (reg->removed || rc != 0 || wanted == 0) {
        pthread_mutex_unlock(&reg->lock);
        for (size_t i = 0; give && i < n; i++)
            note_clear(&notes[i]);
        if (rc)
            rc_log(RC_LOG_ERROR, "informer", reg->informer_name, "handler buffer full: notifications lost");
        return rc;
    }
    bool syncing = reg->syncing; /* guarded by the informer's lock, which the caller holds */
    for (size_t i = 0; i < n; i++) {
        if (notes[i].resync && !syncing)
            continue;
        rci_note *slot = &reg->ring[(reg->head + reg->count++) % reg->cap];
        *slot = notes[i];
        if (!give) {
            rc_object_ref(slot->old);
            rc_object_ref(slot->obj);
        }
    }
    size_t backlog = reg->count, first_warn = reg->warn_at, warnings = 0;
    if (backlog > reg->max_count)
        reg->max_count = backlog;
    for (; backlog >= reg->warn_at; warnings++)
        reg->warn_at *= 2;
    pthread_cond_signal(&reg->cond);
    pthread_mutex_unlock(&reg->lock);
    for (size_t i = 0; give && !syncing && i < n; i++)
        if (notes[i].resync)
            note_clear(&notes[i]);
    /* one line per threshold crossed, as if the batch had been pushed one notification at a time */
    for (size_t i = 0; i < warnings; i++, first_warn *= 2)
        rc_log(RC_LOG_WARN, "informer", reg->informer_name, "a handler is slow: %zu notifications buffered",
               first_warn);
    return 0;
}

int rci_handler_push_many(rc_handler_registration *reg, const rci_note *notes, size_t n)
{
    return buffer_notes(reg, notes, n, false);
}

int rci_handler_give_many(rc_handler_registration *reg, const rci_note *notes, size_t n)
{
    return buffer_notes(reg, notes, n, true);
}

int rci_handler_push(rc_handler_registration *reg, rci_note_type type, rc_object *old, rc_object *obj,
                     bool final_state_unknown)
{
    rci_note note = {old, obj, type, final_state_unknown, false};
    return rci_handler_push_many(reg, &note, 1);
}

static void deliver(rc_handler_registration *reg, const rci_note *n)
{
    switch (n->type) {
    case RCI_NOTE_ADD:
        if (reg->h.on_add)
            reg->h.on_add(reg->ctx, n->obj);
        break;
    case RCI_NOTE_UPDATE:
        if (reg->h.on_update)
            reg->h.on_update(reg->ctx, n->old, n->obj);
        break;
    case RCI_NOTE_DELETE:
        if (reg->h.on_delete)
            reg->h.on_delete(reg->ctx, n->obj, n->final_state_unknown);
        break;
    }
}

size_t rci_handler_deliver(rc_handler_registration *reg, size_t max)
{
    rci_note batch[RCI_DELIVER_BATCH];
    if (max > RCI_DELIVER_BATCH)
        max = RCI_DELIVER_BATCH;
    pthread_mutex_lock(&reg->lock);
    if (reg->delivering || reg->count == 0) {
        pthread_mutex_unlock(&reg->lock);
        return 0;
    }
    size_t n = 0;
    for (; n < max && reg->count; n++) {
        batch[n] = reg->ring[reg->head];
        reg->head = (reg->head + 1) % reg->cap;
        reg->count--;
    }
    reg->delivering = true;
    atomic_store_explicit(&reg->taken, n, memory_order_relaxed);
    pthread_mutex_unlock(&reg->lock);
    size_t delivered = 0;
    for (size_t i = 0; i < n; i++) {
        /* the dispatcher is the only writer: a plain store keeps the backlog exact without a lock */
        atomic_store_explicit(&reg->taken, n - i - 1, memory_order_relaxed);
        /* a handler removed by one of its own callbacks gets nothing more */
        if (!atomic_load_explicit(&reg->removed, memory_order_relaxed)) {
            deliver(reg, &batch[i]);
            delivered++;
        }
        note_clear(&batch[i]);
    }
    pthread_mutex_lock(&reg->lock);
    reg->delivering = false;
    if (reg->count)
        pthread_cond_signal(&reg->cond);
    pthread_mutex_unlock(&reg->lock);
    return delivered;
}

bool rci_handler_wait(rc_handler_registration *reg)
{
    pthread_mutex_lock(&reg->lock);
    while (reg->count == 0 && !reg->closed && !reg->removed)
        pthread_cond_wait(&reg->cond, &reg->lock);
    bool go = !reg->closed && !reg->removed;
    pthread_mutex_unlock(&reg->lock);
    return go;
}

void rci_handler_close(rc_handler_registration *reg)
{
    pthread_mutex_lock(&reg->lock);
    reg->closed = true;
    pthread_cond_broadcast(&reg->cond);
    pthread_mutex_unlock(&reg->lock);
}

bool rci_handler_remove(rc_handler_registration *reg)
{
    pthread_mutex_lock(&reg->lock);
    bool first = !reg->removed;
    reg->removed = true;
    drop_buffer(reg);
    pthread_cond_broadcast(&reg->cond);
    pthread_mutex_unlock(&reg->lock);
    return first;
}

size_t rci_handler_backlog(rc_handler_registration *reg)
{
    pthread_mutex_lock(&reg->lock);
    size_t n = reg->count + atomic_load_explicit(&reg->taken, memory_order_relaxed);
    pthread_mutex_unlock(&reg->lock);
    return n;
}

size_t rc_handler_backlog(rc_handler_registration *reg) { return reg ? rci_handler_backlog(reg) : 0; }

size_t rc_handler_max_backlog(rc_handler_registration *reg)
{
    if (!reg)
        return 0;
    pthread_mutex_lock(&reg->lock);
    size_t n = reg->max_count;
    pthread_mutex_unlock(&reg->lock);
    return n;
}
