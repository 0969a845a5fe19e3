/* wq_drain.c - a drain on a thread of its own for the workqueue suites; see wq_drain.h. */
#include "support/wq_drain.h"

#include <sched.h>

#include "workqueue/queue.h"

static void *drain(void *arg)
{
    rc_test_drainer *d = arg;
    rc_workqueue_shut_down_with_drain(d->q);
    atomic_store(&d->finished, true);
    return NULL;
}

void rc_test_drain_start(rc_test_drainer *d, rc_workqueue *q)
{
    d->q = q;
    atomic_init(&d->finished, false);
    pthread_create(&d->thread, NULL, drain, d);
    while (rci_workqueue_blocked_drainers(q) < 1)
        sched_yield();
}

void rc_test_drain_join(rc_test_drainer *d) { pthread_join(d->thread, NULL); }
