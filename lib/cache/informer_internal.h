/* informer_internal.h - the shared informer's state, shared by informer.c (cache, handlers, steps) and
 * informer_run.c (the threaded driver). Lock order: the FIFO's pop lock and the reflector's step lock
 * come before `lock`, which comes before the store's locks and the handler buffers' locks. */
#ifndef RC_CACHE_INFORMER_INTERNAL_H
#define RC_CACHE_INFORMER_INTERNAL_H

#include <pthread.h>
#include <reconcile/delta_fifo.h>
#include <reconcile/informer.h>

#include "cache/handler.h"

struct rc_informer {
    pthread_mutex_t lock; /* handlers, resync bookkeeping, delivery to buffers, lifecycle */
    pthread_cond_t cond;  /* run: new handlers and stop; wait_for_sync: sync, errors, stop */
    rc_list_watch lw;
    rc_clock *clock;
    rc_informer_options opts; /* reflector strings point to the copies below */
    char *name, *label_selector, *field_selector;
    rc_store *store;
    rc_delta_fifo *fifo;
    rc_reflector *reflector; /* created by start */
    rc_handler_registration **handlers; /* removed ones stay until free */
    size_t nhandlers, handlers_cap;
    rc_duration resync_check; /* the reflector's resync period */
    unsigned long error_events; /* list/watch failures seen, to wake wait_for_sync */
    bool started, stopped, synced;
};

/* Pops up to max keys (blocking up to `wait` real ns for the first when wait > 0). */
int rci_informer_pump(rc_informer *inf, size_t max, rc_duration wait);

#endif
