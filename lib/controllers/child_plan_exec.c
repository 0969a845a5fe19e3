/* child_plan_exec.c - carries out an rci_child_plan through the reconcile context: events, deletes,
 * the status write, updates, then slow-start creates, keeping the controller's expectations honest for
 * every pod create/delete that fails or is never attempted (spec sections 0.2, 0.3). */
#include <reconcile/events.h>
#include <reconcile/expectations.h>
#include <string.h>

#include "controllers/child_plan.h"
#include "controllers/controller_utils.h"

typedef struct exec_state {
    rc_reconcile_ctx *ctx;
    rci_child_plan *p;
    size_t *creates;  /* indexes of the create actions */
    size_t attempted; /* creates called so far (slow start goes in order) */
} exec_state;

static bool is_pods(const rci_action *a)
{
    return strcmp(a->resource, "pods") == 0;
}

static int create_one(void *arg, size_t i, rc_error *err)
{
    exec_state *st = arg;
    rci_action *a = &st->p->actions[st->creates[i]];
    st->attempted++;
    int rc = rc_client_create(rc_ctx_client(st->ctx), a->resource, NULL, a->obj, NULL, NULL, err);
    if (rc == RC_EEXISTS && !is_pods(a))
        rc = 0; /* a non-pod child (revision, job) that already exists is the caller's to reconcile */
    if (rc && is_pods(a))
        rc_expectations_creation_observed(rc_ctx_expectations(st->ctx), rc_ctx_key(st->ctx));
    return rc;
}

static int replace_status(void *arg, rc_object *draft, rc_error *err)
{
    (void)err;
    cJSON *copy = cJSON_Duplicate(arg, true);
    return copy ? rc_object_set_json(draft, "status", copy) : RC_ENOMEM;
}

int rci_plan_write_status(rc_reconcile_ctx *ctx, const char *resource, const rc_object *parent,
                          const cJSON *status, rc_error *err)
{
    return rc_update_status(ctx, resource, parent, replace_status, (void *)status, NULL, err);
}

bool rci_plan_get_parent(rc_reconcile_ctx *ctx, const char *resource, const char *key, rc_object **out,
                         rc_result *res)
{
    rc_error err = {0};
    int rc = rc_ctx_get_key(ctx, resource, key, out, &err);
    if (rc == 0)
        return true;
    if (rc == RC_ENOTFOUND) {
        rc_expectations_delete(rc_ctx_expectations(ctx), key);
        rc_error_clear(&err);
        *res = rc_result_done();
    } else {
        *res = rc_result_from_error(ctx, &err);
    }
    return false;
}

int rci_plan_execute(rc_reconcile_ctx *ctx, const char *parent_resource, const rc_object *parent,
                     rci_child_plan *p, const char *exp_key, rc_error *err)
{
    if (p->oom)
        return rc_error_set(err, RC_ENOMEM, "out of memory while planning");
    rc_client *c = rc_ctx_client(ctx);
    rc_expectations *exp = rc_ctx_expectations(ctx);
    size_t pod_creates = rci_plan_count(p, RCI_ACTION_CREATE, "pods");
    size_t pod_deletes = rci_plan_count(p, RCI_ACTION_DELETE, "pods");
    if (exp && (pod_creates || pod_deletes))
        rc_expectations_set(exp, exp_key, (int)pod_creates, (int)pod_deletes);
    for (size_t i = 0; i < p->nevents; i++)
        rc_ctx_event(ctx, parent, p->events[i].type, p->events[i].reason, "%s", p->events[i].message);

    int rc = 0;
    size_t deletes_left = pod_deletes;
    for (size_t i = 0; i < p->nactions && rc == 0; i++) {
        rci_action *a = &p->actions[i];
        if (a->kind != RCI_ACTION_DELETE)
            continue;
        rc_delete_options opts = RC_DELETE_OPTIONS_INIT;
        opts.propagation = a->propagation;
        rc = rc_client_delete(c, a->resource, rc_object_namespace(a->obj), rc_object_name(a->obj), &opts, NULL,
                              err);
        if (rc == RC_ENOTFOUND) {
            rc_error_clear(err);
            rc = 0;
        }
        if (is_pods(a)) {
            deletes_left--;
            if (rc && exp) /* this one and the ones never attempted */
                rc_expectations_lower(exp, exp_key, 0, (int)deletes_left + 1);
        }
    }
    if (rc == 0 && p->status)
        rc = rci_plan_write_status(ctx, parent_resource, parent, p->status, err);
    for (size_t i = 0; i < p->nactions && rc == 0; i++) {
        rci_action *a = &p->actions[i];
        if (a->kind == RCI_ACTION_UPDATE)
            rc = rc_client_update(c, a->resource, NULL, a->obj, NULL, NULL, err);
        if (rc == RC_ENOTFOUND) {
            rc_error_clear(err);
            rc = 0;
        }
    }
    size_t ncreates = 0;
    for (size_t i = 0; i < p->nactions; i++)
        ncreates += p->actions[i].kind == RCI_ACTION_CREATE;
    if (rc != 0 || ncreates == 0) {
        if (rc && exp && pod_creates)
            rc_expectations_lower(exp, exp_key, (int)pod_creates, 0);
        return rc;
    }
    size_t idx[ncreates];
    for (size_t i = 0, n = 0; i < p->nactions; i++)
        if (p->actions[i].kind == RCI_ACTION_CREATE)
            idx[n++] = i;
    exec_state st = {ctx, p, idx, 0};
    rc_error first = {0};
    if (rci_slow_start(ncreates, 1, create_one, &st, &first) < ncreates) {
        size_t skipped_pods = 0; /* never attempted: no event will lower them */
        for (size_t i = st.attempted; i < ncreates; i++)
            skipped_pods += is_pods(&p->actions[idx[i]]);
        if (exp && skipped_pods)
            rc_expectations_lower(exp, exp_key, (int)skipped_pods, 0);
        rc = first.code ? first.code : RC_EINTERNAL;
        if (err)
            rc_error_move(err, &first);
    }
    rc_error_clear(&first);
    return rc;
}

rc_result rci_plan_result(rc_reconcile_ctx *ctx, const rci_child_plan *p, int rc, rc_error *err)
{
    if (rc)
        return rc_result_from_error(ctx, err);
    return p->requeue > 0 ? rc_result_requeue_after(p->requeue) : rc_result_done();
}
