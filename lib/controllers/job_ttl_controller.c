/* job_ttl_controller.c - the TTL-after-finished controller (spec section 5.7): a finished Job with
 * spec.ttlSecondsAfterFinished is deleted (propagation Foreground, UID precondition, after a fresh read)
 * once rci_job_ttl_due says so; until then the key is requeued for the remaining time. */
#include <reconcile/controllers.h>
#include <stdlib.h>

#include "controllers/job.h"

typedef struct ttl_controller {
    int unused;
} ttl_controller;

static int ttl_setup(void *self, rc_builder *b, rc_error *err)
{
    (void)self;
    return rc_builder_for(b, RCI_JOBS, NULL, err);
}

static rc_result ttl_reconcile(void *self, rc_reconcile_ctx *ctx, const char *key)
{
    (void)self;
    rc_error err = {0};
    rc_object *job = NULL;
    if (rc_ctx_get_key(ctx, RCI_JOBS, key, &job, &err) != 0) {
        rc_error_clear(&err);
        return rc_result_done();
    }
    rc_duration left = 0;
    int due = rci_job_ttl_due(job, rc_ctx_now(ctx), &left);
    if (due == 0) { /* re-check on a fresh read before deleting */
        rc_object *fresh = NULL;
        if (rc_client_get(rc_ctx_client(ctx), RCI_JOBS, rc_object_namespace(job), rc_object_name(job), &fresh,
                          &err) == 0)
            due = rci_job_ttl_due(fresh, rc_ctx_now(ctx), &left);
        else
            due = -1;
        rc_object_unref(fresh);
        rc_error_clear(&err);
    }
    rc_result res = rc_result_done();
    if (due == 1) {
        res = rc_result_requeue_after(left);
    } else if (due == 0) {
        rc_delete_options opts = RC_DELETE_OPTIONS_INIT;
        opts.propagation = RC_PROPAGATION_FOREGROUND;
        opts.precondition_uid = rc_object_uid(job);
        int rc = rc_client_delete(rc_ctx_client(ctx), RCI_JOBS, rc_object_namespace(job), rc_object_name(job),
                                  &opts, NULL, &err);
        if (rc != 0 && rc != RC_ENOTFOUND && rc != RC_ECONFLICT)
            res = rc_result_from_error(ctx, &err);
    }
    rc_error_clear(&err);
    rc_object_unref(job);
    return res;
}

static void ttl_destroy(void *self)
{
    free(self);
}

static const rc_controller_ops ttl_ops = {"ttl-after-finished", ttl_setup, ttl_reconcile, ttl_destroy};

int rc_ttl_after_finished_controller_new(const rc_controller_ops **ops, void **self, rc_error *err)
{
    ttl_controller *c = calloc(1, sizeof *c);
    if (!c)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    *ops = &ttl_ops;
    *self = c;
    return 0;
}
