/* pod_rank.c - the order in which a ReplicaSet deletes pods on scale-down (upstream
 * ActivePodsWithRanks.Less with PodDeletionCost and LogarithmicScaleDown, spec section 1.3). Each pod's
 * sort fields are computed once, then the pods are sorted with a pure comparator. */
#include "controllers/controller_utils.h"

#include <stdlib.h>
#include <string.h>

typedef struct rank_key {
    rci_ranked_pod item;
    bool unassigned;
    int phase;          /* Pending 0 < Unknown 1 < Running 2 */
    bool ready;
    int64_t cost;       /* pod-deletion-cost, default 0 */
    rc_time ready_time; /* 0 = zero time */
    int ready_bucket;   /* floor(log2(now - ready_time)), -1 when not positive */
    int64_t restarts;
    rc_time created;
    int created_bucket;
    const char *uid;
} rank_key;

static int phase_ordinal(const char *phase)
{
    if (phase && !strcmp(phase, "Unknown"))
        return 1;
    if (phase && !strcmp(phase, "Running"))
        return 2;
    return 0;
}

static int log_bucket(rc_time t, rc_time now)
{
    if (t == 0 || now <= t)
        return -1;
    uint64_t d = (uint64_t)(now - t);
    int b = 0;
    while (d >>= 1)
        b++;
    return b;
}

static int64_t max_restarts(const rc_object *pod)
{
    rc_node st = rc_object_at(pod, "status.containerStatuses");
    int64_t best = 0;
    for (size_t i = 0; i < rc_node_len(st); i++) {
        int64_t r = rc_node_int(rc_node_get(rc_node_index(st, i), "restartCount"), 0);
        if (r > best)
            best = r;
    }
    return best;
}

static void fill_key(rank_key *k, const rci_ranked_pod *p, rc_time now)
{
    const rc_object *pod = p->pod;
    const char *node = rc_object_get_str(pod, "spec.nodeName");
    k->item = *p;
    k->unassigned = !node || !*node;
    k->phase = phase_ordinal(rc_object_get_str(pod, "status.phase"));
    k->ready = rci_pod_ready_at(pod, &k->ready_time);
    int64_t cost = 0;
    k->cost = rci_annotation_int(pod, RCI_ANN_DELETION_COST, &cost) && cost >= INT32_MIN && cost <= INT32_MAX
                  ? cost : 0;
    k->ready_bucket = log_bucket(k->ready_time, now);
    k->restarts = max_restarts(pod);
    k->created = rci_object_time(pod, "metadata.creationTimestamp");
    k->created_bucket = log_bucket(k->created, now);
    k->uid = rc_object_uid(pod) ? rc_object_uid(pod) : "";
}

/* "t1 after t2, a zero time counting as the latest" as a comparator result (negative = delete a first). */
static int after_or_zero(rc_time t1, rc_time t2)
{
    if (t1 == 0 || t2 == 0)
        return t1 == 0 ? -1 : 1;
    return t1 > t2 ? -1 : 1;
}

/* Newer (shorter-lived) first with logarithmic buckets and a UID tie-break (rules 6 and 8). */
static int cmp_age(rc_time t1, int b1, rc_time t2, int b2, const char *u1, const char *u2)
{
    if (t1 == t2)
        return 0;
    if (t1 == 0 || t2 == 0)
        return after_or_zero(t1, t2);
    if (b1 != b2)
        return b1 < b2 ? -1 : 1;
    int c = strcmp(u1, u2);
    return c < 0 ? -1 : c > 0 ? 1 : 0;
}

static int cmp_keys(const void *pa, const void *pb)
{
    const rank_key *a = pa, *b = pb;
    if (a->unassigned != b->unassigned)
        return a->unassigned ? -1 : 1;
    if (a->phase != b->phase)
        return a->phase < b->phase ? -1 : 1;
    if (a->ready != b->ready)
        return a->ready ? 1 : -1;
    if (a->cost != b->cost)
        return a->cost < b->cost ? -1 : 1;
    if (a->item.rank != b->item.rank)
        return a->item.rank > b->item.rank ? -1 : 1;
    if (a->ready && b->ready) {
        int c = cmp_age(a->ready_time, a->ready_bucket, b->ready_time, b->ready_bucket, a->uid, b->uid);
        if (c)
            return c;
    }
    if (a->restarts != b->restarts)
        return a->restarts > b->restarts ? -1 : 1;
    int c = cmp_age(a->created, a->created_bucket, b->created, b->created_bucket, a->uid, b->uid);
    if (c)
        return c;
    return strcmp(a->uid, b->uid);
}

void rci_rank_pods_for_deletion(rci_ranked_pod *pods, size_t n, rc_time now)
{
    if (n < 2)
        return;
    rank_key *keys = malloc(n * sizeof *keys);
    if (!keys)
        return; /* unsorted is still a valid (if less careful) choice of victims */
    for (size_t i = 0; i < n; i++)
        fill_key(&keys[i], &pods[i], now);
    qsort(keys, n, sizeof *keys, cmp_keys);
    for (size_t i = 0; i < n; i++)
        pods[i] = keys[i].item;
    free(keys);
}
