/* statefulset_update.c - pod deletion and the RollingUpdate step that runs after scaling (spec section
 * 3.4 steps 10 and 11): pods whose revision is not the update revision are deleted from the highest
 * ordinal down to the partition; without maxUnavailable one at a time, each waiting for the previous to be
 * healthy; with maxUnavailable as many as keep the unavailable count within it. The deleted pods come back
 * at the update revision through the normal scaling path of the next pass. */
#include <stdlib.h>
#include <string.h>

#include "controllers/statefulset.h"
#include "util/strbuf.h"

int rci_sts_delete_pod(rci_sts_pass *p, const rc_object *pod, rc_error *err)
{
    const rci_sts_io *io = p->io;
    const rci_sts *s = p->s;
    int rc = rc_client_delete(io->client, "pods", s->ns, rc_object_name(pod), NULL, NULL, err);
    if (rc == RC_ENOTFOUND) { /* already gone: what we wanted */
        rc_error_clear(err);
        return 0;
    }
    char *msg = rc == 0 ? rci_asprintf("delete Pod %s in StatefulSet %s successful", rc_object_name(pod), s->name)
                        : rci_asprintf("delete Pod %s in StatefulSet %s failed error: %s", rc_object_name(pod),
                                       s->name, err && err->message ? err->message : "");
    io->event(io->ctx, s->obj, rc == 0 ? "Normal" : "Warning", rc == 0 ? "SuccessfulDelete" : "FailedDelete",
              msg ? msg : rc_object_name(pod));
    free(msg);
    return rc;
}

static bool outdated(const rci_sts_pass *p, const rc_object *pod)
{
    return strcmp(rci_sts_pod_revision(pod), rc_object_name(p->rev.update)) != 0 && !rci_sts_pod_terminating(pod);
}

/* maxUnavailable given: delete up to maxUnavailable - unavailable outdated pods, highest ordinal first. */
static int update_with_budget(rci_sts_pass *p, int64_t min, rc_error *err)
{
    int64_t n = p->s->replicas, unavailable = 0;
    for (int64_t i = 0; i < n; i++)
        if (!rci_sts_pod_healthy(p->s, p->slots[i], p->io->now))
            unavailable++;
    int64_t budget = p->s->max_unavailable - unavailable;
    for (int64_t i = n - 1; i >= min && budget > 0; i--) {
        if (!outdated(p, p->slots[i]))
            continue;
        int rc = rci_sts_delete_pod(p, p->slots[i], err);
        if (rc)
            return rc;
        p->status.current--;
        budget--;
    }
    return 0;
}

int rci_sts_rolling_update(rci_sts_pass *p, rc_error *err)
{
    int64_t min = p->s->has_rolling ? p->s->partition : 0;
    if (min < 0)
        min = 0;
    if (p->s->has_max_unavailable)
        return update_with_budget(p, min, err);
    for (int64_t i = p->s->replicas - 1; i >= min; i--) {
        const rc_object *pod = p->slots[i];
        if (outdated(p, pod)) {
            int rc = rci_sts_delete_pod(p, pod, err);
            if (rc == 0)
                p->status.current--;
            return rc;
        }
        if (!rci_sts_pod_healthy(p->s, pod, p->io->now))
            return 0;
    }
    return 0;
}
