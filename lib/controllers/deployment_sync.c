/* deployment_sync.c - one Deployment sync (upstream syncDeployment, spec section 2.2): claim the
 * ReplicaSets, then in order - empty selector, deletion, paused conditions, paused or scaling event
 * (proportional scaling, section 2.6), rollout by strategy. Also the ReplicaSet scale write every path
 * uses. */
#include "controllers/deployment.h"

#include <stdlib.h>
#include <string.h>

void rci_dsync_set_deployment(rci_dsync *s, rc_object *d)
{
    rc_object_unref(s->d);
    s->d = d;
}

bool rci_dsync_is_old_active(const rci_dsync *s, size_t i)
{
    return (long)i != s->new_idx && rci_spec_replicas(s->rs[i]) > 0;
}

int64_t rci_dsync_pod_bound(const rci_dsync *s)
{
    int64_t total = 0;
    for (size_t i = 0; i < s->nrs; i++) {
        int64_t spec = rci_spec_replicas(s->rs[i]), actual = rci_status_int(s->rs[i], "replicas");
        total += spec > actual ? spec : actual;
    }
    return total;
}

int64_t rci_rs_available(const rc_object *rs)
{
    int64_t spec = rci_spec_replicas(rs), avail = rci_status_int(rs, "availableReplicas");
    return avail < spec ? avail : spec;
}

static int cmp_rs_ptr(const void *a, const void *b)
{
    return rci_cmp_creation(*(rc_object *const *)a, *(rc_object *const *)b);
}

/* Takes the claimed ReplicaSets into s->rs, oldest first. */
static void adopt_list(rci_dsync *s, rc_object_list *l)
{
    s->rs = l->items;
    s->nrs = l->count;
    s->cap = l->cap;
    l->items = NULL;
    l->count = l->cap = 0;
    if (s->nrs > 1)
        qsort(s->rs, s->nrs, sizeof *s->rs, cmp_rs_ptr);
}

int rci_dsync_scale(rci_dsync *s, size_t i, int64_t size, bool *scaled)
{
    rc_object *rs = s->rs[i];
    int64_t cur = rci_spec_replicas(rs), desired = -1, max = -1;
    bool ann_ok = rci_annotation_int(rs, RCI_ANN_DESIRED_REPLICAS, &desired) && desired == s->replicas &&
                  rci_annotation_int(rs, RCI_ANN_MAX_REPLICAS, &max) && max == s->replicas + s->max_surge;
    if (scaled)
        *scaled = false;
    if (cur == size && ann_ok)
        return 0;
    rc_object *copy = rc_object_copy(rs);
    char buf[32];
    int rc = copy ? rc_object_set_int(copy, "spec.replicas", size) : RC_ENOMEM;
    snprintf(buf, sizeof buf, "%lld", (long long)s->replicas);
    if (!rc)
        rc = rc_object_set_annotation(copy, RCI_ANN_DESIRED_REPLICAS, buf);
    snprintf(buf, sizeof buf, "%lld", (long long)(s->replicas + s->max_surge));
    if (!rc)
        rc = rc_object_set_annotation(copy, RCI_ANN_MAX_REPLICAS, buf);
    rc_object *out = NULL;
    if (!rc)
        rc = rc_client_update(s->client, RCI_REPLICASETS, NULL, copy, NULL, &out, s->err);
    else
        rc_error_set(s->err, rc, "replicaset %s: cannot build update", rc_object_name(rs));
    rc_object_unref(copy);
    if (rc)
        return rc;
    s->rs[i] = out;
    rc_object_unref(rs);
    if (cur != size) {
        if (scaled)
            *scaled = true;
        rc_ctx_event(s->ctx, s->d, "Normal", "ScalingReplicaSet", "Scaled %s replica set %s from %lld to %lld",
                     size > cur ? "up" : "down", rc_object_name(out), (long long)cur, (long long)size);
    }
    return 0;
}

int rci_dsync_scale_all(rci_dsync *s)
{
    /* FindActiveOrLatest: the only active RS, or the newest when none is active. */
    size_t active = 0, only = 0;
    for (size_t i = 0; i < s->nrs; i++)
        if (rci_spec_replicas(s->rs[i]) > 0) {
            active++;
            only = i;
        }
    if (s->nrs == 0)
        return 0;
    if (active <= 1) {
        if (active == 0)
            only = s->new_idx >= 0 ? (size_t)s->new_idx : s->nrs - 1;
        if (rci_spec_replicas(s->rs[only]) == s->replicas)
            return 0;
        return rci_dsync_scale(s, only, s->replicas, NULL);
    }
    rc_object *nrs = rci_dsync_new_rs(s);
    int64_t desired = -1;
    if (nrs && rci_annotation_int(nrs, RCI_ANN_DESIRED_REPLICAS, &desired) && desired == s->replicas &&
        rci_spec_replicas(nrs) == s->replicas && rci_status_int(nrs, "availableReplicas") == s->replicas) {
        for (size_t i = 0; i < s->nrs; i++)
            if (rci_dsync_is_old_active(s, i)) {
                int rc = rci_dsync_scale(s, i, 0, NULL);
                if (rc)
                    return rc;
            }
        return 0;
    }
    if (!s->rolling)
        return 0;
    rci_rs_share *sh = calloc(active, sizeof *sh);
    if (!sh)
        return rc_error_set(s->err, RC_ENOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < s->nrs; i++) {
        if (rci_spec_replicas(s->rs[i]) <= 0)
            continue;
        int64_t max = -1;
        sh[k].spec = rci_spec_replicas(s->rs[i]);
        sh[k].annotated_max = rci_annotation_int(s->rs[i], RCI_ANN_MAX_REPLICAS, &max) ? max : -1;
        sh[k].created = rci_object_time(s->rs[i], "metadata.creationTimestamp");
        sh[k].name = rc_object_name(s->rs[i]);
        sh[k++].index = i;
    }
    rci_proportional_scale(sh, active, s->replicas, s->max_surge, rci_status_int(s->d, "replicas"));
    int rc = 0;
    for (k = 0; k < active && !rc; k++)
        rc = rci_dsync_scale(s, sh[k].index, sh[k].new_size, NULL);
    free(sh);
    return rc;
}

/* upstream sync(): scale, prune history when paused, status. */
static int sync_scale(rci_dsync *s)
{
    int rc = rci_dsync_get_new_rs(s, false);
    if (!rc)
        rc = rci_dsync_scale_all(s);
    if (!rc && rc_object_get_bool(s->d, "spec.paused", false))
        rc = rci_dsync_cleanup(s);
    return rc ? rc : rci_dsync_status(s);
}

/* isScalingEvent: an active RS whose desired-replicas annotation is not spec.replicas. */
static bool is_scaling_event(rci_dsync *s)
{
    for (size_t i = 0; i < s->nrs; i++) {
        int64_t desired;
        if (rci_spec_replicas(s->rs[i]) > 0 && rci_annotation_int(s->rs[i], RCI_ANN_DESIRED_REPLICAS, &desired) &&
            desired != s->replicas)
            return true;
    }
    return false;
}

static void set_observed_generation(void *arg, cJSON *status)
{
    const rc_object *d = arg;
    rci_json_set(status, "observedGeneration", cJSON_CreateNumber((double)rc_object_generation(d)));
}

/* Resolves strategy and fenceposts (MaxSurge / MaxUnavailable). */
static int resolve_strategy(rci_dsync *s)
{
    const char *type = rc_object_get_str(s->d, "spec.strategy.type");
    s->rolling = !type || strcmp(type, "Recreate") != 0;
    s->replicas = rci_spec_replicas(s->d);
    s->max_surge = s->max_unavailable = 0;
    if (!s->rolling)
        return 0;
    int64_t surge, unavail;
    rc_node ru = rc_object_at(s->d, "spec.strategy.rollingUpdate");
    int rc = rc_deployment_fenceposts(rc_node_get(ru, "maxSurge"), rc_node_get(ru, "maxUnavailable"), s->replicas,
                                      &surge, &unavail, s->err);
    if (rc)
        return rc;
    s->max_surge = surge;
    s->max_unavailable = s->replicas == 0 ? 0 : unavail > s->replicas ? s->replicas : unavail;
    return 0;
}

static int run(rci_dsync *s)
{
    rc_selector *sel = rc_selector_from_node(rc_object_at(s->d, "spec.selector"), "spec.selector", s->err);
    if (!sel)
        return s->err && s->err->code ? s->err->code : RC_EINVAL;
    if (rc_selector_is_empty(sel)) {
        rc_selector_free(sel);
        rc_ctx_event(s->ctx, s->d, "Warning", "SelectingAll",
                     "This deployment is selecting all pods. A non-empty selector is required.");
        if (rci_status_int(s->d, "observedGeneration") >= rc_object_generation(s->d))
            return 0;
        return rci_dsync_write_status(s, set_observed_generation, s->d);
    }
    rc_object_list claimed;
    rc_object_list_init(&claimed);
    int rc = rc_claim_children(s->ctx, RCI_DEPLOYMENTS, s->d, RCI_REPLICASETS, sel, NULL, NULL, &claimed, s->err);
    rc_selector_free(sel);
    adopt_list(s, &claimed);
    if (!rc)
        rc = resolve_strategy(s);
    if (rc)
        return rc;
    if (rc_object_deletion_timestamp(s->d)) {
        rc = rci_dsync_get_new_rs(s, false);
        return rc ? rc : rci_dsync_status(s);
    }
    rc = rci_dsync_paused_conditions(s);
    if (rc)
        return rc;
    if (rc_object_get_bool(s->d, "spec.paused", false))
        return sync_scale(s);
    rc = rci_dsync_get_new_rs(s, false);
    if (rc)
        return rc;
    if (is_scaling_event(s))
        return sync_scale(s);
    return s->rolling ? rci_rollout_rolling(s) : rci_rollout_recreate(s);
}

rc_result rci_deployment_reconcile(void *self, rc_reconcile_ctx *ctx, const char *key)
{
    (void)self;
    rc_error err = {0};
    rc_object *d = NULL;
    int rc = rc_ctx_get_key(ctx, RCI_DEPLOYMENTS, key, &d, &err);
    if (rc == RC_ENOTFOUND) {
        rc_error_clear(&err);
        return rc_result_done();
    }
    if (rc)
        return rc_result_from_error(ctx, &err);
    rci_dsync s = {.ctx = ctx, .client = rc_ctx_client(ctx), .d = d, .new_idx = -1, .now = rc_ctx_now(ctx),
                   .requeue = rc_result_done(), .err = &err};
    rc = run(&s);
    for (size_t i = 0; i < s.nrs; i++)
        rc_object_unref(s.rs[i]);
    free(s.rs);
    rc_object_unref(s.d);
    if (rc) {
        if (!err.code)
            rc_error_set(&err, rc, "deployment %s: sync failed", key);
        return rc_result_from_error(ctx, &err);
    }
    return s.requeue;
}
