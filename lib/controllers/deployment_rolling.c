/* deployment_rolling.c - the RollingUpdate strategy (upstream rolling.go, spec section 2.5): scale the
 * new ReplicaSet up within maxSurge, then scale old ones down within maxUnavailable, unhealthy replicas
 * first, oldest ReplicaSet first. */
#include "controllers/deployment.h"

/* reconcileNewReplicaSet; *scaled tells whether the new RS changed size. */
static int reconcile_new(rci_dsync *s, bool *scaled)
{
    *scaled = false;
    rc_object *nrs = rci_dsync_new_rs(s);
    if (!nrs)
        return 0;
    int64_t spec = rci_spec_replicas(nrs);
    if (spec == s->replicas)
        return 0;
    if (spec > s->replicas)
        return rci_dsync_scale(s, (size_t)s->new_idx, s->replicas, scaled);
    return rci_dsync_scale(s, (size_t)s->new_idx,
                           rci_new_rs_replicas(s->replicas, s->max_surge, rci_dsync_pod_bound(s), spec), scaled);
}

/* cleanupUnhealthyReplicas: old RSs (oldest first) lose replicas that are not available. */
static int cleanup_unhealthy(rci_dsync *s, int64_t budget, int64_t *done)
{
    *done = 0;
    for (size_t i = 0; i < s->nrs && *done < budget; i++) {
        if (!rci_dsync_is_old_active(s, i))
            continue;
        int64_t spec = rci_spec_replicas(s->rs[i]), avail = rci_rs_available(s->rs[i]);
        if (spec == avail)
            continue;
        int64_t down = spec - avail < budget - *done ? spec - avail : budget - *done;
        if (down <= 0)
            continue;
        int rc = rci_dsync_scale(s, i, spec - down, NULL);
        if (rc)
            return rc;
        *done += down;
    }
    return 0;
}

/* scaleDownOldReplicaSetsForRollingUpdate: remove (available - minAvailable) old replicas, counting for each
 * ReplicaSet only the available pods its spec keeps (rci_rs_available). */
static int scale_down_surplus(rci_dsync *s, int64_t *done)
{
    *done = 0;
    int64_t available = 0;
    for (size_t i = 0; i < s->nrs; i++)
        available += rci_rs_available(s->rs[i]);
    int64_t min_available = s->replicas - s->max_unavailable;
    if (available <= min_available)
        return 0;
    int64_t want = available - min_available;
    for (size_t i = 0; i < s->nrs && *done < want; i++) {
        if (!rci_dsync_is_old_active(s, i))
            continue;
        int64_t spec = rci_spec_replicas(s->rs[i]);
        int64_t down = spec < want - *done ? spec : want - *done;
        int rc = rci_dsync_scale(s, i, spec - down, NULL);
        if (rc)
            return rc;
        *done += down;
    }
    return 0;
}

/* reconcileOldReplicaSets. */
static int reconcile_old(rci_dsync *s, bool *scaled)
{
    *scaled = false;
    int64_t old_pods = 0, all_pods = 0;
    for (size_t i = 0; i < s->nrs; i++) {
        all_pods += rci_spec_replicas(s->rs[i]);
        if (rci_dsync_is_old_active(s, i))
            old_pods += rci_spec_replicas(s->rs[i]);
    }
    if (old_pods == 0)
        return 0;
    rc_object *nrs = rci_dsync_new_rs(s);
    int64_t new_unavailable = nrs ? rci_spec_replicas(nrs) - rci_rs_available(nrs) : 0;
    int64_t max_scaled_down = all_pods - (s->replicas - s->max_unavailable) - new_unavailable;
    if (max_scaled_down <= 0)
        return 0;
    int64_t cleaned = 0, surplus = 0;
    int rc = cleanup_unhealthy(s, max_scaled_down, &cleaned);
    if (!rc)
        rc = scale_down_surplus(s, &surplus);
    *scaled = cleaned + surplus > 0;
    return rc;
}

int rci_rollout_rolling(rci_dsync *s)
{
    int rc = rci_dsync_get_new_rs(s, true);
    bool scaled = false;
    if (!rc)
        rc = reconcile_new(s, &scaled);
    if (rc || scaled)
        return rc ? rc : rci_dsync_rollout_status(s);
    rc = reconcile_old(s, &scaled);
    if (rc || scaled)
        return rc ? rc : rci_dsync_rollout_status(s);
    if (rci_deployment_complete(s->d, NULL)) {
        rc = rci_dsync_cleanup(s);
        if (rc)
            return rc;
    }
    return rci_dsync_rollout_status(s);
}
