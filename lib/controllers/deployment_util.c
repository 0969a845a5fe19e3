/* deployment_util.c - the Deployment controller's pure arithmetic (upstream deployment/util): the size
 * of the new ReplicaSet in a rolling update, proportional scaling of active ReplicaSets when replicas
 * change mid-rollout, revision numbers and the revision-history annotation. No I/O. */
#include "controllers/deployment.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

int64_t rci_new_rs_replicas(int64_t replicas, int64_t surge, int64_t total_spec, int64_t new_spec)
{
    int64_t max_total = replicas + surge;
    if (total_spec >= max_total)
        return new_spec;
    int64_t up = max_total - total_spec;
    if (up > replicas - new_spec)
        up = replicas - new_spec;
    return new_spec + up;
}

static int cmp_age(const rci_rs_share *a, const rci_rs_share *b)
{
    if (a->created != b->created)
        return a->created < b->created ? -1 : 1;
    return strcmp(a->name ? a->name : "", b->name ? b->name : "");
}

/* ReplicaSetsBySizeNewer: larger first, ties newer first. */
static int cmp_size_newer(const void *pa, const void *pb)
{
    const rci_rs_share *a = pa, *b = pb;
    if (a->spec != b->spec)
        return a->spec > b->spec ? -1 : 1;
    return -cmp_age(a, b);
}

/* ReplicaSetsBySizeOlder: larger first, ties older first. */
static int cmp_size_older(const void *pa, const void *pb)
{
    const rci_rs_share *a = pa, *b = pb;
    if (a->spec != b->spec)
        return a->spec > b->spec ? -1 : 1;
    return cmp_age(a, b);
}

/* getReplicaSetFraction: round(spec * (R + surge) / annotatedMax) - spec. */
static int64_t fraction(const rci_rs_share *rs, int64_t replicas, int64_t surge, int64_t status_replicas)
{
    if (replicas == 0)
        return -rs->spec;
    int64_t target = replicas + surge;
    int64_t annotated = rs->annotated_max >= 0 ? rs->annotated_max : status_replicas;
    if (annotated <= 0)
        return 0;
    return (int64_t)llround((double)(rs->spec * target) / (double)annotated) - rs->spec;
}

void rci_proportional_scale(rci_rs_share *rs, size_t n, int64_t replicas, int64_t surge, int64_t status_replicas)
{
    int64_t allowed = replicas > 0 ? replicas + surge : 0, total = 0;
    for (size_t i = 0; i < n; i++)
        total += rs[i].spec;
    int64_t to_add = allowed - total, added = 0;
    if (to_add > 0)
        qsort(rs, n, sizeof *rs, cmp_size_newer);
    else if (to_add < 0)
        qsort(rs, n, sizeof *rs, cmp_size_older);
    for (size_t i = 0; i < n; i++) {
        int64_t p = 0;
        if (rs[i].spec != 0 && to_add != 0 && to_add != added) {
            int64_t f = fraction(&rs[i], replicas, surge, status_replicas), left = to_add - added;
            p = to_add > 0 ? (f < left ? f : left) : (f > left ? f : left);
        }
        rs[i].new_size = rs[i].spec + p;
        added += p;
    }
    if (n && to_add != 0) {
        rs[0].new_size += to_add - added;
        if (rs[0].new_size < 0)
            rs[0].new_size = 0;
    }
}

int64_t rci_revision(const rc_object *o)
{
    if (!rc_object_annotation(o, RCI_ANN_REVISION))
        return 0;
    int64_t v;
    return rci_annotation_int(o, RCI_ANN_REVISION, &v) ? v : -1;
}

char *rci_revision_history_append(const char *history, const char *old_revision, size_t cap)
{
    if (!history || !*history)
        return strdup(old_revision);
    size_t total = strlen(history) + strlen(old_revision) + 1;
    const char *start = history;
    while (total > cap && *start) {
        const char *comma = strchr(start, ',');
        size_t len = comma ? (size_t)(comma - start) : strlen(start);
        total -= len + 1;
        start = comma ? comma + 1 : start + len;
    }
    if (total > cap)
        return NULL;
    return *start ? rci_asprintf("%s,%s", start, old_revision) : strdup(old_revision);
}

bool rci_skip_copy_annotation(const char *key)
{
    static const char *const skip[] = {"kubectl.kubernetes.io/last-applied-configuration", RCI_ANN_REVISION,
                                       RCI_ANN_REVISION_HISTORY, RCI_ANN_DESIRED_REPLICAS,
                                       RCI_ANN_MAX_REPLICAS, RCI_ANN_ROLLBACK_TO};
    for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
        if (!strcmp(key, skip[i]))
            return true;
    return false;
}

bool rci_deployment_has_progress_deadline(const rc_object *d)
{
    rc_node n = rc_object_at(d, "spec.progressDeadlineSeconds");
    return rc_node_kind(n) == RC_NODE_NUMBER && rc_node_int(n, 0) != INT32_MAX;
}
