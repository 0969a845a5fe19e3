/* rtmetrics.c - the manager's metrics: the families it registers (reconcile counts and durations per
 * controller, API requests by verb and code, informer sync state, leadership), the workqueue provider,
 * and rc_manager_metrics_text, which refreshes the gauges and renders the Prometheus text. */
#include "runtime/runtime.h"

#include <stdio.h>

static int family(rc_manager *m, rc_metric_type type, const char *name, const char *help,
                  const char *const *labels, size_t nlabels, rc_metric **out, rc_error *err)
{
    rc_metric_desc d = {type, name, help, labels, nlabels, NULL, 0};
    return rc_metrics_register(m->metrics, &d, out, err);
}

int rci_metrics_register(rc_manager *m, rc_error *err)
{
    static const char *const ctrl_result[] = {"controller", "result"};
    static const char *const ctrl[] = {"controller"};
    static const char *const verb_code[] = {"verb", "code"};
    static const char *const resource[] = {"resource"};
    static const char *const name[] = {"name"};
    int rc = family(m, RC_METRIC_COUNTER, "controller_runtime_reconcile_total",
                    "Total number of reconciliations per controller and result", ctrl_result, 2, &m->f_reconcile,
                    err);
    if (rc == 0)
        rc = family(m, RC_METRIC_COUNTER, "controller_runtime_reconcile_errors_total",
                    "Total number of reconciliation errors per controller", ctrl, 1, &m->f_errors, err);
    if (rc == 0)
        rc = family(m, RC_METRIC_HISTOGRAM, "controller_runtime_reconcile_time_seconds",
                    "Length of time per reconciliation per controller", ctrl, 1, &m->f_time, err);
    if (rc == 0)
        rc = family(m, RC_METRIC_COUNTER, "rest_client_requests_total",
                    "Number of API requests, partitioned by verb and status code", verb_code, 2, &m->f_requests, err);
    if (rc == 0)
        rc = family(m, RC_METRIC_GAUGE, "informer_synced", "1 when the informer of a resource has synced",
                    resource, 1, &m->f_synced, err);
    if (rc == 0)
        rc = family(m, RC_METRIC_GAUGE, "leader_election_master_status",
                    "1 when this manager leads the named lease", name, 1, &m->f_leader, err);
    if (rc == 0)
        rc = rc_workqueue_metrics_default(m->metrics, &m->wq_metrics, err);
    return rc;
}

int rci_metrics_controller(rc_manager *m, rci_controller *c, rc_error *err)
{
    const char *v[2] = {c->name, "success"};
    int rc = rc_metric_with(m->f_reconcile, v, &c->m_success, err);
    v[1] = "error";
    if (rc == 0)
        rc = rc_metric_with(m->f_reconcile, v, &c->m_error, err);
    v[1] = "requeue";
    if (rc == 0)
        rc = rc_metric_with(m->f_reconcile, v, &c->m_requeue, err);
    v[1] = "requeue_after";
    if (rc == 0)
        rc = rc_metric_with(m->f_reconcile, v, &c->m_requeue_after, err);
    if (rc == 0)
        rc = rc_metric_with(m->f_errors, v, &c->m_errors, err);
    if (rc == 0)
        rc = rc_metric_with(m->f_time, v, &c->m_time, err);
    return rc;
}

void rci_metrics_request(rc_metric *requests, const char *verb, int code)
{
    if (!requests)
        return;
    char status[16];
    snprintf(status, sizeof status, "%d", code == 0 ? 200 : rc_error_http_status(code));
    const char *v[2] = {verb, status};
    rc_metric_series *s = NULL;
    if (rc_metric_with(requests, v, &s, NULL) == 0)
        rc_metric_inc(s);
}

int rc_manager_metrics_text(rc_manager *m, char **out, rc_error *err)
{
    if (!m || !out)
        return rc_error_set(err, RC_EINVAL, "metrics_text: a manager and an output pointer are required");
    for (size_t i = 0; i < m->nsources; i++) {
        const char *v[1] = {m->sources[i]->id};
        rc_metric_series *s = NULL;
        if (rc_metric_with(m->f_synced, v, &s, NULL) == 0)
            rc_metric_set(s, rc_informer_has_synced(m->sources[i]->inf) ? 1 : 0);
    }
    if (m->leader) {
        const char *v[1] = {m->lease_name};
        rc_metric_series *s = NULL;
        if (rc_metric_with(m->f_leader, v, &s, NULL) == 0)
            rc_metric_set(s, rc_leader_is_leader(m->leader) ? 1 : 0);
    }
    for (size_t i = 0; i < m->nctrls; i++)
        rc_workqueue_update_metrics(m->ctrls[i]->queue);
    return rc_metrics_render(m->metrics, out, NULL, err);
}
