/* job_controller.c - the Job controller's rc_controller_ops (spec section 5): reads the Job and claims
 * its pods through the reconcile context, plans the sync with rci_job_plan and carries the plan out. */
#include <reconcile/controllers.h>
#include <reconcile/expectations.h>
#include <reconcile/selector.h>
#include <stdlib.h>

#include "controllers/job.h"

typedef struct job_controller {
    rc_duration backoff_max;
} job_controller;

static int job_setup(void *self, rc_builder *b, rc_error *err)
{
    (void)self;
    int rc = rc_builder_for(b, RCI_JOBS, NULL, err);
    return rc ? rc : rc_builder_owns(b, "pods", NULL, err);
}

static rc_result job_reconcile(void *selfp, rc_reconcile_ctx *ctx, const char *key)
{
    job_controller *self = selfp;
    rc_object *job = NULL;
    rc_result res;
    if (!rci_plan_get_parent(ctx, RCI_JOBS, key, &job, &res))
        return res;
    rc_error err = {0};
    int rc;
    bool satisfied = rc_expectations_satisfied(rc_ctx_expectations(ctx), key);
    rc_selector *sel = rc_selector_from_node(rc_object_at(job, "spec.selector"), "spec.selector", &err);
    rc_object_list pods;
    rc_object_list_init(&pods);
    rci_child_plan plan;
    rci_plan_init(&plan);
    if (!sel || rc_claim_children(ctx, RCI_JOBS, job, "pods", sel, NULL, NULL, &pods, &err) != 0) {
        rc = err.code ? err.code : RC_EINVAL;
    } else {
        rci_job_input in = {job, pods.items, pods.count, rc_ctx_now(ctx), satisfied, self->backoff_max};
        rc = rci_job_plan(&in, &plan);
        if (rc)
            rc_error_set(&err, rc, "job %s: out of memory while planning", key);
        else
            rc = rci_plan_execute(ctx, RCI_JOBS, job, &plan, key, &err);
    }
    res = rci_plan_result(ctx, &plan, rc, &err);
    rci_plan_clear(&plan);
    rc_object_list_clear(&pods);
    rc_selector_free(sel);
    rc_object_unref(job);
    rc_error_clear(&err);
    return res;
}

static void job_destroy(void *self)
{
    free(self);
}

static const rc_controller_ops job_ops = {"job", job_setup, job_reconcile, job_destroy};

int rc_job_controller_new(const rc_job_options *opts, const rc_controller_ops **ops, void **self, rc_error *err)
{
    if (!ops || !self)
        return rc_error_set(err, RC_EINVAL, "job controller: NULL argument");
    if (opts && opts->backoff_max < 0)
        return rc_error_set(err, RC_EINVAL, "job controller: backoff_max must not be negative");
    job_controller *c = calloc(1, sizeof *c);
    if (!c)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    c->backoff_max = opts && opts->backoff_max ? opts->backoff_max : RCI_JOB_BACKOFF_MAX;
    *ops = &job_ops;
    *self = c;
    return 0;
}
