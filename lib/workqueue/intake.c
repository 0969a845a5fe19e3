/* intake.c - double-buffered append log of pending adds; see intake.h. */
#include "workqueue/intake.h"

#include <reconcile/common.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define MIN_CAP 4096

static size_t entry_size(size_t n) { return offsetof(rci_intake_entry, key) + ((n + 7) & ~(size_t)7); }

void rci_intake_init(rci_intake *in, size_t long_at)
{
    *in = (rci_intake){.long_at = long_at};
    pthread_mutex_init(&in->mu, NULL);
    atomic_init(&in->earliest, RC_TIME_NEVER);
    atomic_init(&in->top_priority, INT_MIN);
    atomic_init(&in->is_long, false);
    atomic_init(&in->pending, 0);
}

void rci_intake_free(rci_intake *in)
{
    free(in->buf);
    pthread_mutex_destroy(&in->mu);
}

static bool reserve(rci_intake *in, size_t size)
{
    if (in->len + size <= in->cap)
        return true;
    size_t cap = in->cap ? in->cap : MIN_CAP;
    while (cap < in->len + size)
        cap *= 2;
    char *buf = realloc(in->buf, cap);
    if (!buf)
        return false;
    in->buf = buf;
    in->cap = cap;
    return true;
}

int rci_intake_push(rci_intake *in, const rci_intake_entry *add, const char *key, size_t *pending)
{
    size_t n = add->n, size = entry_size(n);
    pthread_mutex_lock(&in->mu);
    int rc = in->closed ? RC_ECLOSED : !reserve(in, size) ? RC_ENOMEM : 0;
    if (rc == 0) {
        rci_intake_entry *e = (rci_intake_entry *)(void *)(in->buf + in->len);
        *e = *add;
        memcpy(e->key, key, n);
        memset(e->key + n, 0, size - offsetof(rci_intake_entry, key) - n);
        in->len += size;
        /* the summary is stored only when it changes, so its line stays shared with the getters */
        rc_time due = (add->flags & RCI_INTAKE_DELAYED) ? add->ready_at : 0;
        if (due < atomic_load_explicit(&in->earliest, memory_order_relaxed))
            atomic_store_explicit(&in->earliest, due, memory_order_release);
        if (add->priority > atomic_load_explicit(&in->top_priority, memory_order_relaxed))
            atomic_store_explicit(&in->top_priority, add->priority, memory_order_release);
        if (in->len >= in->long_at && !atomic_load_explicit(&in->is_long, memory_order_relaxed))
            atomic_store_explicit(&in->is_long, true, memory_order_release);
        atomic_store(&in->pending, in->len);
    }
    *pending = in->len;
    pthread_mutex_unlock(&in->mu);
    return rc;
}

void rci_intake_close(rci_intake *in)
{
    pthread_mutex_lock(&in->mu);
    in->closed = true;
    pthread_mutex_unlock(&in->mu);
}

bool rci_intake_take(rci_intake *in, rci_intake_batch *b)
{
    if (!rci_intake_pending(in))
        return false;
    pthread_mutex_lock(&in->mu);
    if (!in->len) {
        pthread_mutex_unlock(&in->mu);
        return false;
    }
    rci_intake_batch applied = *b;
    *b = (rci_intake_batch){in->buf, in->len, in->cap, 0};
    in->buf = applied.buf;
    in->cap = applied.cap;
    in->len = 0;
    atomic_store_explicit(&in->earliest, RC_TIME_NEVER, memory_order_relaxed);
    atomic_store_explicit(&in->top_priority, INT_MIN, memory_order_relaxed);
    atomic_store_explicit(&in->is_long, false, memory_order_relaxed);
    atomic_store(&in->pending, 0);
    pthread_mutex_unlock(&in->mu);
    return true;
}

rci_intake_entry *rci_intake_peek(const rci_intake_batch *b)
{
    return b->off < b->len ? (rci_intake_entry *)(void *)(b->buf + b->off) : NULL;
}

void rci_intake_advance(rci_intake_batch *b) { b->off += entry_size(rci_intake_peek(b)->n); }
