/* fifo_intake.c - the delta FIFO's double-buffered intake of pending deltas; see fifo_intake.h. */
#include "cache/fifo_intake.h"

#include <stdlib.h>
#include <string.h>

#define MIN_CAP 256

void rci_fifo_intake_init(rci_fifo_intake *in)
{
    pthread_mutex_init(&in->mu, NULL);
    in->e = NULL;
    in->n = in->cap = 0;
    in->closed = false;
    atomic_init(&in->pending, 0);
}

static void release(rci_fifo_entry *e, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        rc_object_unref(e[i].obj);
}

void rci_fifo_intake_free(rci_fifo_intake *in)
{
    release(in->e, 0, in->n);
    free(in->e);
    pthread_mutex_destroy(&in->mu);
}

int rci_fifo_intake_push(rci_fifo_intake *in, rci_fifo_entry e, size_t *pending)
{
    pthread_mutex_lock(&in->mu);
    int rc = in->closed ? RC_ECLOSED : 0;
    if (rc == 0 && in->n == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : MIN_CAP;
        rci_fifo_entry *grown = realloc(in->e, cap * sizeof *grown);
        if (grown) {
            in->e = grown;
            in->cap = cap;
        } else {
            rc = RC_ENOMEM;
        }
    }
    if (rc == 0) {
        in->e[in->n++] = e;
        atomic_store(&in->pending, in->n);
    }
    *pending = in->n;
    pthread_mutex_unlock(&in->mu);
    return rc;
}

void rci_fifo_intake_close(rci_fifo_intake *in)
{
    pthread_mutex_lock(&in->mu);
    in->closed = true;
    pthread_mutex_unlock(&in->mu);
}

bool rci_fifo_intake_take(rci_fifo_intake *in, rci_fifo_run *run)
{
    if (!rci_fifo_intake_pending(in))
        return false;
    pthread_mutex_lock(&in->mu);
    bool any = in->n > 0;
    if (any) {
        rci_fifo_run applied = *run;
        *run = (rci_fifo_run){in->e, 0, in->n, in->cap};
        in->e = applied.e;
        in->cap = applied.cap;
        in->n = 0;
        atomic_store(&in->pending, 0);
    }
    pthread_mutex_unlock(&in->mu);
    return any;
}

void rci_fifo_run_free(rci_fifo_run *run)
{
    release(run->e, run->off, run->n);
    free(run->e);
    memset(run, 0, sizeof *run);
}
