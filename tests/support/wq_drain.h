/* wq_drain.h - for the workqueue suites: rc_workqueue_shut_down_with_drain on a thread of its own, started
 * and waited for, so a test can check what the drain waits for. */
#ifndef RC_TEST_WQ_DRAIN_H
#define RC_TEST_WQ_DRAIN_H

#include <reconcile/workqueue.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

typedef struct rc_test_drainer {
    rc_workqueue *q;
    pthread_t thread;
    atomic_bool finished; /* the drain returned */
} rc_test_drainer;

/* Starts draining q on a new thread and returns once the drain waits for keys in flight. */
void rc_test_drain_start(rc_test_drainer *d, rc_workqueue *q);
/* Waits for the drain to return. */
void rc_test_drain_join(rc_test_drainer *d);

#endif
