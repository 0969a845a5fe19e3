/* statefulset.c - the StatefulSet controller as an rc_controller_ops (spec section 3): it watches
 * StatefulSets, owns Pods and ControllerRevisions, reads PersistentVolumeClaims; each reconcile claims the
 * set's pods (only names "<set>-<ordinal>", upstream isMemberOf) and revisions with the ref manager, then
 * runs one sync pass (statefulset_sync.c) with the reconcile context as its window on the world. */
#include <reconcile/controllers.h>
#include <reconcile/events.h>

#include <stdlib.h>

#include "controllers/history.h"
#include "controllers/statefulset.h"

typedef struct sts_controller {
    rc_statefulset_options opts;
} sts_controller;

static int setup(void *self, rc_builder *b, rc_error *err)
{
    (void)self;
    int rc = rc_builder_for(b, RCI_STATEFULSETS, NULL, err);
    if (rc == 0)
        rc = rc_builder_owns(b, "pods", NULL, err);
    if (rc == 0)
        rc = rc_builder_owns(b, RCI_CONTROLLER_REVISIONS, NULL, err);
    if (rc == 0)
        rc = rc_builder_reads(b, RCI_PVCS, err);
    return rc;
}

static bool is_member(void *ctx, const rc_object *set, const rc_object *pod)
{
    (void)ctx;
    return rci_sts_ordinal(rc_object_name(set), rc_object_name(pod)) >= 0;
}

static int get_claim(void *ctx, const char *ns, const char *name, rc_object **out, rc_error *err)
{
    return rc_ctx_get(ctx, RCI_PVCS, ns, name, out, err);
}

static void record(void *ctx, const rc_object *obj, const char *type, const char *reason, const char *message)
{
    rc_ctx_event(ctx, obj, type, reason, "%s", message);
}

/* Claims the set's pods and revisions and runs a pass. */
static int sync_set(sts_controller *c, rc_reconcile_ctx *ctx, const rc_object *set, rci_sts_result *res,
                    rc_error *err)
{
    rc_selector *sel = rc_selector_from_node(rc_object_at(set, "spec.selector"), "spec.selector", err);
    if (!sel)
        return err && err->code ? err->code : RC_EINVAL;
    rc_object_list pods, revs;
    rc_object_list_init(&pods);
    rc_object_list_init(&revs);
    int rc = rc_claim_children(ctx, RCI_STATEFULSETS, set, "pods", sel, is_member, NULL, &pods, err);
    if (rc == 0)
        rc = rc_claim_children(ctx, RCI_STATEFULSETS, set, RCI_CONTROLLER_REVISIONS, sel, NULL, NULL, &revs, err);
    if (rc == 0) {
        rci_sts_io io = {.client = rc_ctx_client(ctx),
                         .now = rc_ctx_now(ctx),
                         .ignore_max_unavailable = c->opts.ignore_max_unavailable,
                         .get_claim = get_claim,
                         .event = record,
                         .ctx = ctx};
        rc = rci_sts_sync(&io, set, &pods, &revs, res, err);
    }
    rc_object_list_clear(&pods);
    rc_object_list_clear(&revs);
    rc_selector_free(sel);
    return rc;
}

static rc_result reconcile(void *self, rc_reconcile_ctx *ctx, const char *key)
{
    rc_error err = {0};
    rc_object *set = NULL;
    int rc = rc_ctx_get_key(ctx, RCI_STATEFULSETS, key, &set, &err);
    if (rc == RC_ENOTFOUND) {
        rc_error_clear(&err);
        return rc_result_done();
    }
    rci_sts_result res = {0};
    if (rc == 0)
        rc = sync_set(self, ctx, set, &res, &err);
    rc_object_unref(set);
    if (rc)
        return rc_result_from_error(ctx, &err);
    return res.requeue_after > 0 ? rc_result_requeue_after(res.requeue_after) : rc_result_done();
}

static void destroy(void *self) { free(self); }

static const rc_controller_ops statefulset_ops = {"statefulset", setup, reconcile, destroy};

int rc_statefulset_controller_new(const rc_statefulset_options *opts, const rc_controller_ops **ops, void **self,
                                  rc_error *err)
{
    if (!ops || !self)
        return rc_error_set(err, RC_EINVAL, "rc_statefulset_controller_new: ops and self are required");
    sts_controller *c = calloc(1, sizeof *c);
    if (!c)
        return rc_error_set(err, RC_ENOMEM, "out of memory creating the statefulset controller");
    if (opts)
        c->opts = *opts;
    *ops = &statefulset_ops;
    *self = c;
    return 0;
}
