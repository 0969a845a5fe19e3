/* queue.h - internal observers of rc_workqueue for tests and drivers: how many threads are blocked in
 * get or in shut_down_with_drain, so a test can act exactly when a thread is waiting (no sleeps). */
#ifndef RC_WORKQUEUE_QUEUE_H
#define RC_WORKQUEUE_QUEUE_H

#include <reconcile/workqueue.h>

unsigned rci_workqueue_blocked_getters(rc_workqueue *q);
unsigned rci_workqueue_blocked_drainers(rc_workqueue *q);

#endif
