/* driver_step.c - the deterministic driver: everything on the caller's thread over a virtual clock.
 * Units are numbered API-server pump, API-server timers, one per informer, one per controller, one per
 * runnable, the leader elector. A unit does everything its component has ready: the pump delivers every
 * queued watch event, an informer moves every queued delta into its cache and handlers, a controller
 * reconciles every key queued when the unit starts. Bursts of events thus batch up in the workqueues,
 * whose deduplication turns thousands of child changes into one reconcile of their owner, while the seeded
 * order of units still lets a controller act on a cache that has not seen another's writes yet. At each
 * instant a unit is drawn from the seeded generator among those runnable; a unit that turns out to have
 * nothing to do is set aside until some unit does work or the clock moves. When nothing is runnable the
 * clock jumps to the earliest deadline. */
#include "runtime/runtime.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { UNIT_API_PUMP = 0, UNIT_API_STEP = 1, UNIT_FIXED = 2 };

static size_t unit_count(const rc_manager *m)
{
    return UNIT_FIXED + m->nsources + m->nctrls + m->nrunnables + 1;
}

/* Sizes the scratch arrays for the current number of units (sources may be added while running). */
static int ensure_units(rc_manager *m)
{
    size_t n = unit_count(m);
    if (n > m->units_cap) {
        unsigned char *st = realloc(m->stalled, n);
        if (st)
            m->stalled = st;
        size_t *u = st ? realloc(m->units, n * sizeof *u) : NULL;
        if (!u)
            return RC_ENOMEM;
        m->units = u;
        memset(m->stalled + m->units_cap, 0, n - m->units_cap);
        m->units_cap = n;
    }
    return 0;
}

static int begin(rc_manager *m)
{
    if (m->mode == RCI_MODE_THREADED)
        return RC_EINVAL;
    if (m->mode == RCI_MODE_IDLE) {
        m->mode = RCI_MODE_STEPPED;
        rc_informer_factory_start(m->factory);
    }
    return ensure_units(m);
}

static void unstall(rc_manager *m)
{
    memset(m->stalled, 0, m->units_cap);
}

/* The deadline of unit u (<= now: runnable now). */
static rc_time unit_deadline(rc_manager *m, size_t u, rc_time now)
{
    if (u == UNIT_API_PUMP)
        return m->apiserver && rc_apiserver_pending(m->apiserver) ? now : RC_TIME_NEVER;
    if (u == UNIT_API_STEP)
        return m->apiserver ? rc_apiserver_next_deadline(m->apiserver) : RC_TIME_NEVER;
    u -= UNIT_FIXED;
    if (u < m->nsources)
        return rc_informer_next_deadline(m->sources[u]->inf);
    u -= m->nsources;
    if (u < m->nctrls) {
        rci_controller *c = m->ctrls[u];
        if (!rci_controller_may_run(c))
            return RC_TIME_NEVER;
        return rc_workqueue_len(c->queue) ? now : rc_workqueue_next_deadline(c->queue);
    }
    u -= m->nctrls;
    if (u < m->nrunnables)
        return m->runnables[u].ops->next_deadline(m->runnables[u].self);
    return m->leader ? rc_leader_next_deadline(m->leader) : RC_TIME_NEVER;
}

/* Reconciles the keys queued when the unit starts (keys added meanwhile wait for the next unit), so that
 * the events of one burst - thousands of pod changes - collapse into one reconcile per key. */
static bool run_queued_keys(rci_controller *c)
{
    size_t n = rc_workqueue_len(c->queue), done = 0;
    const char *key = NULL;
    while (done < n && rc_workqueue_try_get(c->queue, &key) == 0) {
        rci_process_key(c, key);
        done++;
    }
    return done > 0;
}

/* Runs unit u; returns true when it did any work. */
static bool unit_run(rc_manager *m, size_t u, rc_time now)
{
    if (u == UNIT_API_PUMP)
        return rc_apiserver_pump(m->apiserver) > 0;
    if (u == UNIT_API_STEP)
        return rc_apiserver_step(m->apiserver) > 0;
    u -= UNIT_FIXED;
    if (u < m->nsources)
        return rc_informer_step(m->sources[u]->inf, SIZE_MAX) > 0;
    u -= m->nsources;
    if (u < m->nctrls)
        return run_queued_keys(m->ctrls[u]);
    u -= m->nctrls;
    if (u < m->nrunnables)
        return m->runnables[u].ops->step(m->runnables[u].self, now);
    return rc_leader_step(m->leader) > 0;
}

static size_t collect(rc_manager *m, rc_time now)
{
    size_t n = 0, total = unit_count(m);
    for (size_t u = 0; u < total; u++)
        if (!m->stalled[u] && unit_deadline(m, u, now) <= now)
            m->units[n++] = u;
    return n;
}

/* Earliest deadline strictly after now, or now when a unit is runnable. */
static rc_time earliest(rc_manager *m, rc_time now)
{
    rc_time best = RC_TIME_NEVER;
    size_t total = unit_count(m);
    for (size_t u = 0; u < total; u++) {
        rc_time d = unit_deadline(m, u, now);
        if (d <= now && !m->stalled[u])
            return now;
        if (d > now && d < best)
            best = d;
    }
    return best;
}

/* Picks and runs one runnable unit at now; false when none is runnable. */
static bool run_one(rc_manager *m, rc_time now)
{
    if (ensure_units(m) != 0)
        return false;
    size_t n = collect(m, now);
    if (n == 0)
        return false;
    size_t u = m->units[rc_rand_below(&m->rand, n)];
    if (unit_run(m, u, now))
        unstall(m);
    else
        m->stalled[u] = 1;
    return true;
}

static int jump_to(rc_manager *m, rc_time t)
{
    if (rc_clock_set(m->clock, t) != 0)
        return RC_EINVAL; /* not a virtual clock */
    unstall(m);
    return 0;
}

int rc_manager_run_due(rc_manager *m)
{
    int rc = m ? begin(m) : RC_EINVAL;
    if (rc)
        return rc;
    rc_time now = rc_clock_now(m->clock);
    size_t ran = 0;
    while (run_one(m, now)) {
        if (++ran > m->max_steps) {
            rc_log(RC_LOG_ERROR, "manager", NULL, "more than %zu units at one instant: livelock?", m->max_steps);
            return RC_EAGAIN;
        }
    }
    return ran > (size_t)INT32_MAX ? INT32_MAX : (int)ran;
}

rc_time rc_manager_next_deadline(rc_manager *m)
{
    if (!m || begin(m) != 0)
        return RC_TIME_NEVER;
    return earliest(m, rc_clock_now(m->clock));
}

/* The deadline of unit u counting only real work: API-server timers (watch bookmarks and timeouts, the
 * grace-period backstop) and leader election are housekeeping; informer waits count unless the manager
 * resyncs, since a resync and a re-list backoff look alike from outside the informer. */
static rc_time unit_work_deadline(rc_manager *m, size_t u, rc_time now)
{
    if (u == UNIT_API_STEP)
        return RC_TIME_NEVER;
    rc_time d = unit_deadline(m, u, now);
    size_t rel = u - UNIT_FIXED;
    if (u >= UNIT_FIXED && rel < m->nsources && d > now && m->resync_period > 0)
        return RC_TIME_NEVER;
    if (u + 1 == unit_count(m))
        return RC_TIME_NEVER; /* the leader elector */
    return d;
}

rc_time rc_manager_next_work_deadline(rc_manager *m)
{
    if (!m || begin(m) != 0)
        return RC_TIME_NEVER;
    rc_time now = rc_clock_now(m->clock), best = RC_TIME_NEVER;
    size_t total = unit_count(m);
    for (size_t u = 0; u < total; u++) {
        rc_time d = unit_work_deadline(m, u, now);
        if (d <= now && !m->stalled[u])
            return now;
        if (d > now && d < best)
            best = d;
    }
    return best;
}

int rc_manager_step(rc_manager *m)
{
    int rc = m ? begin(m) : RC_EINVAL;
    if (rc)
        return rc;
    rc_time now = rc_clock_now(m->clock);
    if (run_one(m, now))
        return 1;
    rc_time t = earliest(m, now);
    if (t == RC_TIME_NEVER)
        return 0;
    if ((rc = jump_to(m, t)) != 0)
        return rc;
    run_one(m, t);
    return 1;
}

int rc_manager_run_until_stable(rc_manager *m, rc_time limit)
{
    for (;;) {
        int rc = rc_manager_run_due(m);
        if (rc < 0)
            return rc;
        rc_time now = rc_clock_now(m->clock);
        rc_time t = earliest(m, now);
        if (t == RC_TIME_NEVER || t >= limit)
            return 0;
        if (t > now && (rc = jump_to(m, t)) != 0)
            return rc;
    }
}

int rc_manager_run_until(rc_manager *m, rc_time t)
{
    int rc = rc_manager_run_until_stable(m, t);
    if (rc)
        return rc;
    if (rc_clock_now(m->clock) < t && (rc = jump_to(m, t)) != 0)
        return rc;
    rc = rc_manager_run_due(m);
    return rc < 0 ? rc : 0;
}
