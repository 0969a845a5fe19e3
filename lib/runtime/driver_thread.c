/* driver_thread.c - the threaded driver: one thread runs the shared informers (which start their own
 * reflector, pump and handler threads), N worker threads per controller block on its workqueue once its
 * caches synced (and, when required, while this manager leads), and a timer thread steps runnables, the
 * leader elector, the embedded API server's timers and the workqueue metrics. rc_manager_stop is
 * async-signal-safe (an atomic flag and a semaphore); rc_manager_wait does the shutdown: queues are shut
 * down and drained by their workers, then the informers and the timer thread stop and the lease is
 * released. */
#include "runtime/runtime.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#define POLL_NS (20 * RC_MSEC)         /* re-check of sync / leadership while waiting */
#define APISERVER_POLL_NS (10 * RC_MSEC) /* watch delivery of a server that is not auto-pumped */
#define METRICS_PERIOD (500 * RC_MSEC)

/* Waits on the manager's condition for at most `ns` real nanoseconds. Caller holds m->mu. */
static void timed_wait_locked(rc_manager *m, rc_duration ns)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long total = (long long)ts.tv_nsec + ns;
    ts.tv_sec += (time_t)(total / 1000000000LL);
    ts.tv_nsec = (long)(total % 1000000000LL);
    pthread_cond_timedwait(&m->cond, &m->mu, &ts);
}

static void *factory_main(void *arg)
{
    rc_manager *m = arg;
    rc_informer_factory_run(m->factory);
    return NULL;
}

static void *worker_main(void *arg)
{
    rci_controller *c = arg;
    rc_manager *m = c->m;
    for (;;) {
        if (!rci_controller_may_run(c) && !atomic_load(&m->stopping)) {
            pthread_mutex_lock(&m->mu);
            timed_wait_locked(m, POLL_NS);
            pthread_mutex_unlock(&m->mu);
            continue;
        }
        const char *key = NULL;
        int rc = rc_workqueue_get(c->queue, &key);
        if (rc == RC_ECLOSED)
            break;
        if (rc == 0)
            rci_process_key(c, key);
    }
    return NULL;
}

static rc_time timer_round(rc_manager *m, bool *did)
{
    rc_time now = rc_clock_now(m->clock);
    rc_time next = RC_TIME_NEVER;
    if (m->leader) {
        if (rc_leader_next_deadline(m->leader) <= now)
            *did = rc_leader_step(m->leader) > 0 || *did;
        rc_time d = rc_leader_next_deadline(m->leader);
        next = d < next ? d : next;
    }
    for (size_t i = 0; i < m->nrunnables; i++) {
        rci_runnable *r = &m->runnables[i];
        if (r->ops->next_deadline(r->self) <= now)
            *did = r->ops->step(r->self, now) || *did;
        rc_time d = r->ops->next_deadline(r->self);
        next = d > now && d < next ? d : next;
    }
    if (m->apiserver) {
        if (rc_apiserver_pending(m->apiserver) || rc_apiserver_next_deadline(m->apiserver) <= now)
            *did = rc_apiserver_step(m->apiserver) > 0 || *did;
        rc_time d = rc_apiserver_next_deadline(m->apiserver);
        next = d < next ? d : next;
    }
    return next;
}

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * RC_SEC + ts.tv_nsec;
}

static void *timer_main(void *arg)
{
    rc_manager *m = arg;
    int64_t last_metrics = 0;
    while (!atomic_load(&m->stopping)) {
        pthread_mutex_lock(&m->mu);
        uint64_t seq = m->wake_seq;
        pthread_mutex_unlock(&m->mu);
        bool did = false;
        rc_time next = timer_round(m, &did);
        int64_t mono = monotonic_ns();
        if (mono - last_metrics >= METRICS_PERIOD) {
            for (size_t i = 0; i < m->nctrls; i++)
                rc_workqueue_update_metrics(m->ctrls[i]->queue);
            last_metrics = mono;
        }
        if (did)
            continue;
        rc_duration wait = rc_clock_real_delay(m->clock, next);
        if (wait > METRICS_PERIOD)
            wait = METRICS_PERIOD;
        if (m->apiserver && wait > APISERVER_POLL_NS)
            wait = APISERVER_POLL_NS;
        pthread_mutex_lock(&m->mu);
        if (m->wake_seq == seq && !atomic_load(&m->stopping) && wait > 0)
            timed_wait_locked(m, wait);
        pthread_mutex_unlock(&m->mu);
    }
    return NULL;
}

static rc_manager *_Atomic signal_manager;

void rci_threads_stop_and_join(rc_manager *m)
{
    if (!m->threads_started)
        return;
    atomic_store(&m->stopping, true);
    pthread_mutex_lock(&m->mu);
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->mu);
    for (size_t i = 0; i < m->nctrls; i++)
        rc_workqueue_shut_down(m->ctrls[i]->queue);
    for (size_t i = 0; i < m->nctrls; i++)
        for (size_t t = 0; t < m->ctrls[i]->nthreads; t++)
            pthread_join(m->ctrls[i]->threads[t], NULL);
    rc_informer_factory_stop(m->factory);
    pthread_join(m->factory_thread, NULL);
    pthread_join(m->timer_thread, NULL);
    if (m->leader)
        rc_leader_release(m->leader, NULL);
    rc_manager *self = m;
    atomic_compare_exchange_strong(&signal_manager, &self, NULL);
    m->threads_started = false;
}

int rc_manager_start(rc_manager *m, rc_error *err)
{
    if (!m || m->mode != RCI_MODE_IDLE)
        return rc_error_set(err, RC_EINVAL, "start: the manager is already running or was stepped");
    m->mode = RCI_MODE_THREADED;
    for (size_t i = 0; i < m->nctrls; i++) {
        rci_controller *c = m->ctrls[i];
        if (!(c->threads = calloc((size_t)c->workers, sizeof *c->threads)))
            return rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    if (pthread_create(&m->factory_thread, NULL, factory_main, m) != 0)
        return rc_error_set(err, RC_ENOMEM, "start: cannot create the informer thread");
    if (pthread_create(&m->timer_thread, NULL, timer_main, m) != 0) {
        rc_informer_factory_stop(m->factory);
        pthread_join(m->factory_thread, NULL);
        return rc_error_set(err, RC_ENOMEM, "start: cannot create the timer thread");
    }
    m->threads_started = true;
    for (size_t i = 0; i < m->nctrls; i++) {
        rci_controller *c = m->ctrls[i];
        for (int t = 0; t < c->workers; t++) {
            if (pthread_create(&c->threads[t], NULL, worker_main, c) != 0) {
                rc_manager_stop(m);
                rci_threads_stop_and_join(m);
                return rc_error_set(err, RC_ENOMEM, "start: cannot create worker threads");
            }
            c->nthreads++;
        }
    }
    return 0;
}

bool rc_manager_wait_for_sync(rc_manager *m, rc_duration timeout)
{
    return rc_informer_factory_wait_for_sync(m->factory, timeout, NULL) == 0;
}

void rc_manager_stop(rc_manager *m)
{
    if (!m)
        return;
    atomic_store(&m->stopping, true);
    sem_post(&m->stop_sem);
}

int rc_manager_wait(rc_manager *m)
{
    if (!m || !m->threads_started)
        return 0;
    while (sem_wait(&m->stop_sem) != 0 && errno == EINTR)
        ;
    rci_threads_stop_and_join(m);
    return 0;
}

int rc_manager_run(rc_manager *m, rc_error *err)
{
    int rc = rc_manager_start(m, err);
    return rc ? rc : rc_manager_wait(m);
}

static void on_signal(int sig)
{
    (void)sig;
    rc_manager_stop(atomic_load(&signal_manager));
}

int rc_manager_stop_on_signals(rc_manager *m, rc_error *err)
{
    if (!m)
        return rc_error_set(err, RC_EINVAL, "stop_on_signals: a manager is required");
    atomic_store(&signal_manager, m);
    struct sigaction sa;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sa.sa_handler = on_signal;
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
        return rc_error_set(err, RC_EINVAL, "stop_on_signals: sigaction failed");
    return 0;
}
