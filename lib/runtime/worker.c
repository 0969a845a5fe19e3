/* worker.c - one unit of controller work, shared by both drivers: reconcile a key taken from the
 * controller's queue, then settle it as controller-runtime does (done -> forget, requeue -> rate limited,
 * requeue-after -> delayed add, error -> logged, counted, rate limited) and mark it done. */
#include "runtime/runtime.h"

#include <time.h>

static double monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void rci_process_key(rci_controller *c, const char *key)
{
    rc_reconcile_ctx ctx = {c, key, {0}};
    double start = monotonic_seconds();
    rc_result r = c->ops->reconcile(c->self, &ctx, key);
    rc_metric_observe(c->m_time, monotonic_seconds() - start);
    switch (r.kind) {
    case RC_RESULT_DONE:
        rc_workqueue_forget(c->queue, key);
        rc_metric_inc(c->m_success);
        break;
    case RC_RESULT_REQUEUE:
        rc_workqueue_add_rate_limited(c->queue, key);
        rc_metric_inc(c->m_requeue);
        break;
    case RC_RESULT_REQUEUE_AFTER:
        rc_workqueue_forget(c->queue, key);
        rc_workqueue_add_after(c->queue, key, r.after);
        rc_metric_inc(c->m_requeue_after);
        break;
    default: {
        int code = ctx.err.code ? ctx.err.code : (r.code ? r.code : RC_EINTERNAL);
        rc_log(RC_LOG_ERROR, c->name, key, "reconcile failed: %s",
               ctx.err.message ? ctx.err.message : rc_strerror(code));
        rc_metric_inc(c->m_error);
        rc_metric_inc(c->m_errors);
        rc_workqueue_add_rate_limited(c->queue, key);
        break;
    }
    }
    rc_error_clear(&ctx.err);
    rc_workqueue_done(c->queue, key);
}
