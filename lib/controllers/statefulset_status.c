/* statefulset_status.c - StatefulSet status (spec section 3.5): counts over the pass's pods (replicas =
 * pods that exist, ready = Running and Ready, available = also minReadySeconds, current/updated = live pods
 * at the current/update revision), rollout completion (currentRevision := updateRevision once every pod
 * is updated and ready), and the status write, done only when something differs (conflicts retried on a
 * fresh read, as upstream retry.RetryOnConflict). */
#include <string.h>

#include "controllers/statefulset.h"

/* Attempts of the status write on 409 Conflict (upstream retry.DefaultRetry). */
#define STATUS_ATTEMPTS 5

static void count_pod(rci_sts_pass *p, const rc_object *pod)
{
    rci_sts_status *st = &p->status;
    if (!rci_sts_pod_created(pod))
        return;
    st->replicas++;
    if (rci_sts_pod_running_ready(pod))
        st->ready++;
    if (rci_sts_pod_available(p->s, pod, p->io->now))
        st->available++;
    if (rci_sts_pod_terminating(pod))
        return;
    const char *rev = rci_sts_pod_revision(pod);
    if (!strcmp(rev, st->current_revision))
        st->current++;
    if (!strcmp(rev, st->update_revision))
        st->updated++;
}

void rci_sts_count_status(rci_sts_pass *p)
{
    rci_sts_status *st = &p->status;
    st->observed_generation = rc_object_generation(p->s->obj);
    st->current_revision = rc_object_name(p->rev.current);
    st->update_revision = rc_object_name(p->rev.update);
    st->collision_count = p->rev.collision_count;
    st->replicas = st->ready = st->available = st->current = st->updated = 0;
    for (int64_t i = 0; i < p->s->replicas; i++)
        count_pod(p, p->slots[i]);
    for (size_t i = 0; i < p->ncondemned; i++)
        count_pod(p, p->condemned[i]);
}

static bool str_eq(const char *a, const char *b) { return !strcmp(a ? a : "", b ? b : ""); }

/* True when set's recorded status equals st. */
static bool status_same(const rc_object *set, const rci_sts_status *st)
{
    rc_node s = rc_object_at(set, "status");
    return rc_node_int(rc_node_get(s, "observedGeneration"), -1) == st->observed_generation &&
           rc_node_int(rc_node_get(s, "replicas"), 0) == st->replicas &&
           rc_node_int(rc_node_get(s, "readyReplicas"), 0) == st->ready &&
           rc_node_int(rc_node_get(s, "availableReplicas"), 0) == st->available &&
           rc_node_int(rc_node_get(s, "currentReplicas"), 0) == st->current &&
           rc_node_int(rc_node_get(s, "updatedReplicas"), 0) == st->updated &&
           rc_node_int(rc_node_get(s, "collisionCount"), -1) == st->collision_count &&
           str_eq(rc_node_str(rc_node_get(s, "currentRevision")), st->current_revision) &&
           str_eq(rc_node_str(rc_node_get(s, "updateRevision")), st->update_revision);
}

/* A draft of set carrying st. */
static rc_object *with_status(const rc_object *set, const rci_sts_status *st)
{
    rc_object *d = rc_object_copy(set);
    int rc = d ? 0 : RC_ENOMEM;
    const struct {
        const char *path;
        int64_t v;
    } nums[] = {{"status.observedGeneration", st->observed_generation}, {"status.replicas", st->replicas},
                {"status.readyReplicas", st->ready},        {"status.availableReplicas", st->available},
                {"status.currentReplicas", st->current},     {"status.updatedReplicas", st->updated},
                {"status.collisionCount", st->collision_count}};
    for (size_t i = 0; rc == 0 && i < sizeof nums / sizeof nums[0]; i++)
        rc = rc_object_set_int(d, nums[i].path, nums[i].v);
    if (rc == 0)
        rc = rc_object_set_str(d, "status.currentRevision", st->current_revision);
    if (rc == 0)
        rc = rc_object_set_str(d, "status.updateRevision", st->update_revision);
    if (rc) {
        rc_object_unref(d);
        return NULL;
    }
    return d;
}

int rci_sts_write_status(const rci_sts_io *io, const rc_object *set, rci_sts_status *st, bool rolling,
                         rc_error *err)
{
    if (rolling && st->updated == st->ready && st->ready == st->replicas &&
        st->replicas == rc_object_get_int(set, "spec.replicas", 1)) {
        st->current = st->updated;
        st->current_revision = st->update_revision;
    }
    if (status_same(set, st))
        return 0;
    rc_object *base = rc_object_ref((rc_object *)set);
    int rc = 0;
    for (int attempt = 0; attempt < STATUS_ATTEMPTS; attempt++) {
        rc_object *draft = with_status(base, st);
        rc = draft ? rc_client_update_status(io->client, RCI_STATEFULSETS, rc_object_namespace(set), draft, NULL,
                                             NULL, err)
                   : rc_error_set(err, RC_ENOMEM, "out of memory writing the status of %s", rc_object_name(set));
        rc_object_unref(draft);
        if (rc != RC_ECONFLICT)
            break;
        rc_error_clear(err);
        rc_object_unref(base);
        base = NULL;
        rc = rc_client_get(io->client, RCI_STATEFULSETS, rc_object_namespace(set), rc_object_name(set), &base, err);
        if (rc)
            break;
        rc = RC_ECONFLICT;
    }
    if (rc == RC_ECONFLICT && err && !err->code)
        rc_error_set(err, rc, "status of statefulset %s: too many conflicts", rc_object_name(set));
    rc_object_unref(base);
    return rc;
}
