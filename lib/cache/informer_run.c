/* informer_run.c - the shared informer's threaded driver: rc_informer_run starts a reflector thread, a
 * pump thread and one delivery thread per handler (also for handlers added while running), then waits
 * for rc_informer_stop and joins them. The only place in the cache layer that creates threads. */
#include "cache/informer_internal.h"

#include <reconcile/log.h>

#define PUMP_BATCH 64

static void *reflector_main(void *arg)
{
    rc_informer *inf = arg;
    rc_reflector_run(inf->reflector);
    return NULL;
}

static void *pump_main(void *arg)
{
    rc_informer *inf = arg;
    while (!rc_delta_fifo_is_closed(inf->fifo) || rc_delta_fifo_len(inf->fifo) > 0)
        rci_informer_pump(inf, PUMP_BATCH, RC_TIME_NEVER);
    return NULL;
}

static void *handler_main(void *arg)
{
    rc_handler_registration *reg = arg;
    while (rci_handler_wait(reg))
        rci_handler_deliver(reg, RCI_DELIVER_BATCH);
    return NULL;
}

/* Starts delivery threads for handlers that have none. Caller holds lock. */
static void start_handler_threads(rc_informer *inf)
{
    for (size_t i = 0; i < inf->nhandlers; i++) {
        rc_handler_registration *h = inf->handlers[i];
        if (h->has_thread || h->removed)
            continue;
        if (pthread_create(&h->thread, NULL, handler_main, h) == 0)
            h->has_thread = true;
        else
            rc_log(RC_LOG_ERROR, "informer", inf->name, "cannot start a handler thread");
    }
}

int rc_informer_run(rc_informer *inf)
{
    if (!inf)
        return RC_EINVAL;
    int rc = rc_informer_start(inf);
    if (rc != 0)
        return rc == RC_ECLOSED ? 0 : rc;
    pthread_t reflector, pump;
    bool have_reflector = pthread_create(&reflector, NULL, reflector_main, inf) == 0;
    bool have_pump = have_reflector && pthread_create(&pump, NULL, pump_main, inf) == 0;
    if (!have_pump) {
        rc_log(RC_LOG_ERROR, "informer", inf->name, "cannot start informer threads");
        rc_informer_stop(inf);
    }
    pthread_mutex_lock(&inf->lock);
    while (!inf->stopped) {
        start_handler_threads(inf);
        pthread_cond_wait(&inf->cond, &inf->lock);
    }
    pthread_mutex_unlock(&inf->lock);
    if (have_reflector)
        pthread_join(reflector, NULL);
    if (have_pump)
        pthread_join(pump, NULL);
    /* Join without the lock: a callback finishing its work may still add or remove handlers. */
    for (;;) {
        pthread_t t;
        bool found = false;
        pthread_mutex_lock(&inf->lock);
        for (size_t i = 0; i < inf->nhandlers && !found; i++) {
            rc_handler_registration *h = inf->handlers[i];
            if (h->has_thread) {
                t = h->thread;
                h->has_thread = false;
                found = true;
            }
        }
        pthread_mutex_unlock(&inf->lock);
        if (!found)
            break;
        pthread_join(t, NULL);
    }
    return have_pump ? 0 : RC_ENOMEM;
}

void rc_informer_stop(rc_informer *inf)
{
    if (!inf)
        return;
    pthread_mutex_lock(&inf->lock);
    inf->stopped = true;
    for (size_t i = 0; i < inf->nhandlers; i++)
        rci_handler_close(inf->handlers[i]);
    rc_reflector *r = inf->reflector;
    pthread_cond_broadcast(&inf->cond);
    pthread_mutex_unlock(&inf->lock);
    rc_reflector_stop(r);
    rc_delta_fifo_close(inf->fifo);
}
