/* deployment_recreate.c - the Recreate strategy (upstream recreate.go, spec section 2.7): every old
 * ReplicaSet goes to zero and every old pod is gone or terminal before the new ReplicaSet is created and
 * scaled to spec.replicas. */
#include "controllers/deployment.h"

#include <string.h>

/* oldPodsRunning: old RSs still report replicas, or a pod of an old RS is not terminal. */
static int old_pods_running(rci_dsync *s, bool *running)
{
    *running = false;
    for (size_t i = 0; i < s->nrs; i++)
        if ((long)i != s->new_idx && rci_status_int(s->rs[i], "replicas") > 0) {
            *running = true;
            return 0;
        }
    rc_object_list pods;
    rc_object_list_init(&pods);
    int rc = rc_ctx_list(s->ctx, "pods", rc_object_namespace(s->d), NULL, &pods, s->err);
    rc_object *nrs = rci_dsync_new_rs(s);
    for (size_t p = 0; !rc && p < pods.count && !*running; p++) {
        rc_owner_ref ref;
        if (!rc_object_controller_ref(pods.items[p], &ref) || !ref.uid)
            continue;
        if (nrs && !strcmp(ref.uid, rc_object_uid(nrs)))
            continue;
        const char *phase = rc_object_get_str(pods.items[p], "status.phase");
        if (phase && (!strcmp(phase, "Failed") || !strcmp(phase, "Succeeded")))
            continue;
        for (size_t i = 0; i < s->nrs; i++)
            if ((long)i != s->new_idx && !strcmp(ref.uid, rc_object_uid(s->rs[i])))
                *running = true;
    }
    rc_object_list_clear(&pods);
    return rc;
}

int rci_rollout_recreate(rci_dsync *s)
{
    bool scaled_any = false;
    for (size_t i = 0; i < s->nrs; i++) {
        if (!rci_dsync_is_old_active(s, i))
            continue;
        bool scaled = false;
        int rc = rci_dsync_scale(s, i, 0, &scaled);
        if (rc)
            return rc;
        scaled_any |= scaled;
    }
    if (scaled_any)
        return rci_dsync_rollout_status(s);
    bool running;
    int rc = old_pods_running(s, &running);
    if (rc || running)
        return rc ? rc : rci_dsync_rollout_status(s);
    if (s->new_idx < 0 && (rc = rci_dsync_get_new_rs(s, true)) != 0)
        return rc;
    if (s->new_idx >= 0 && rci_spec_replicas(rci_dsync_new_rs(s)) != s->replicas &&
        (rc = rci_dsync_scale(s, (size_t)s->new_idx, s->replicas, NULL)) != 0)
        return rc;
    if (rci_deployment_complete(s->d, NULL) && (rc = rci_dsync_cleanup(s)) != 0)
        return rc;
    return rci_dsync_rollout_status(s);
}
