/* deployment_history.c - revisionHistoryLimit pruning (upstream cleanupDeployment, spec section 2.11):
 * the oldest old ReplicaSets beyond the limit are deleted, lowest revision first, never one that still has
 * replicas or whose status lags its generation. */
#include "controllers/deployment.h"

#include <stdlib.h>

/* ReplicaSetsByRevision: ascending revision, creation order for ties and unparsable ones. */
static int cmp_revision(const void *pa, const void *pb)
{
    const rc_object *a = *(rc_object *const *)pa, *b = *(rc_object *const *)pb;
    int64_t ra = rci_revision(a), rb = rci_revision(b);
    if (ra < 0 || rb < 0 || ra == rb)
        return rci_cmp_creation(a, b);
    return ra < rb ? -1 : 1;
}

int rci_dsync_cleanup(rci_dsync *s)
{
    rc_node limit_node = rc_object_at(s->d, "spec.revisionHistoryLimit");
    if (rc_node_kind(limit_node) != RC_NODE_NUMBER || rc_node_int(limit_node, 0) == INT32_MAX)
        return 0;
    int64_t limit = rc_node_int(limit_node, 0);
    rc_object **cand = malloc((s->nrs ? s->nrs : 1) * sizeof *cand);
    if (!cand)
        return rc_error_set(s->err, RC_ENOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < s->nrs; i++)
        if ((long)i != s->new_idx && !rc_object_deletion_timestamp(s->rs[i]))
            cand[n++] = s->rs[i];
    int rc = 0;
    if ((int64_t)n > limit) {
        qsort(cand, n, sizeof *cand, cmp_revision);
        for (size_t i = 0; i < (size_t)((int64_t)n - limit) && !rc; i++) {
            const rc_object *rs = cand[i];
            if (rci_status_int(rs, "replicas") != 0 || rci_spec_replicas(rs) != 0 ||
                rc_object_generation(rs) > rci_status_int(rs, "observedGeneration"))
                continue;
            rc = rc_client_delete(s->client, RCI_REPLICASETS, rc_object_namespace(rs), rc_object_name(rs), NULL, NULL,
                                  s->err);
            if (rc == RC_ENOTFOUND) {
                rc_error_clear(s->err);
                rc = 0;
            }
        }
    }
    free(cand);
    return rc;
}
