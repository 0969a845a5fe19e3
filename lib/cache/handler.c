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

static void note_clear(rci_note *n)
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

int rci_handler_push(rc_handler_registration *reg, rci_note_type type, rc_object *old, rc_object *obj,
                     bool final_state_unknown)
{
    pthread_mutex_lock(&reg->lock);
    int rc = 0;
    if (reg->removed || (reg->count == reg->cap && (rc = grow(reg)) != 0)) {
        pthread_mutex_unlock(&reg->lock);
        if (rc)
            rc_log(RC_LOG_ERROR, "informer", reg->informer_name, "handler buffer full: notification lost");
        return rc;
    }
    reg->ring[(reg->head + reg->count) % reg->cap] =
        (rci_note){rc_object_ref(old), rc_object_ref(obj), type, final_state_unknown};
    reg->count++;
    size_t backlog = reg->count;
    bool warn = backlog >= reg->warn_at;
    if (backlog > reg->max_count)
        reg->max_count = backlog;
    if (warn)
        reg->warn_at *= 2;
    pthread_cond_signal(&reg->cond);
    pthread_mutex_unlock(&reg->lock);
    if (warn)
        rc_log(RC_LOG_WARN, "informer", reg->informer_name, "a handler is slow: %zu notifications buffered",
               backlog);
    return 0;
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

bool rci_handler_deliver_one(rc_handler_registration *reg)
{
    pthread_mutex_lock(&reg->lock);
    if (reg->delivering || reg->count == 0) {
        pthread_mutex_unlock(&reg->lock);
        return false;
    }
    rci_note n = reg->ring[reg->head];
    reg->head = (reg->head + 1) % reg->cap;
    reg->count--;
    reg->delivering = true;
    pthread_mutex_unlock(&reg->lock);
    deliver(reg, &n);
    note_clear(&n);
    pthread_mutex_lock(&reg->lock);
    reg->delivering = false;
    if (reg->count)
        pthread_cond_signal(&reg->cond);
    pthread_mutex_unlock(&reg->lock);
    return true;
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
    size_t n = reg->count;
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
