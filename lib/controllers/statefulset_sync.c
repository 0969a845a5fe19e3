/* statefulset_sync.c - one StatefulSet sync pass (spec section 3.4, upstream updateStatefulSet): pods go
 * into slots by ordinal (missing slots get a not-yet-created pod at the right revision) or into the
 * condemned list; each slot is processed in ordinal order (recreate failed pods, create claims then the
 * pod, enforce identity and claim ownership). OrderedReady stops at the first slot that is not created,
 * terminating, or not Running+Ready+Available, and removes condemned pods highest ordinal first, one per
 * pass, only when every in-range pod is healthy; Parallel processes every slot and condemned pod in
 * slow-start batches. Then the rolling update (unless OnDelete), the status write and history pruning.
 *
 * Identity is never doubled: a pod name is unique in the API server, so a replacement is created only
 * after the old pod is gone (a create answered with AlreadyExists means the old one is still
 * terminating: the slot waits for its deletion event). */
#include <stdlib.h>
#include <string.h>

#include "controllers/controller_utils.h"
#include "controllers/statefulset.h"
#include "util/strbuf.h"

/* The revision a new pod at ordinal gets (upstream newVersionedStatefulSetPod). */
static const rc_object *slot_revision(const rci_sts_pass *p, int64_t ordinal)
{
    const rci_sts *s = p->s;
    if (s->on_delete)
        return p->rev.update;
    int64_t bound = s->has_rolling ? s->partition : rc_object_get_int(s->obj, "status.currentReplicas", 0);
    return ordinal < s->start + bound ? p->rev.current : p->rev.update;
}

static rc_object *placeholder(const rci_sts_pass *p, int64_t ordinal, rc_error *err)
{
    const rc_object *rev = slot_revision(p, ordinal);
    return rci_sts_new_pod(p->s, rci_sts_revision_template(rev), ordinal, rc_object_name(rev), err);
}

static void event(const rci_sts_pass *p, const char *type, const char *reason, char *msg)
{
    p->io->event(p->io->ctx, p->s->obj, type, reason, msg ? msg : reason);
    free(msg);
}

/* Creates the claims and the pod of slot i. *blocked when the pod cannot be created yet. */
static int create_slot(rci_sts_pass *p, int64_t i, bool *blocked, rc_error *err)
{
    const rci_sts *s = p->s;
    int64_t ord = s->start + i;
    bool stale = false;
    int rc = rci_sts_claims_stale(p->io, s, ord, &stale, err);
    if (rc || stale) {
        *blocked = true;
        return rc;
    }
    rc = rci_sts_create_claims(p->io, s, ord, err);
    if (rc)
        return rc;
    char *name = rci_sts_pod_name(s->name, ord); /* the draft's strings go when create freezes it */
    if (!name)
        return rc_error_set(err, RC_ENOMEM, "out of memory creating a pod of %s", s->name);
    rc = rc_client_create(p->io->client, "pods", s->ns, p->slots[i], NULL, NULL, err);
    if (rc == RC_EEXISTS) { /* the previous incarnation still terminates: wait for it to be gone */
        rc_error_clear(err);
        *blocked = true;
        rc = 0;
    } else if (rc == 0) {
        event(p, "Normal", "SuccessfulCreate",
              rci_asprintf("create Pod %s in StatefulSet %s successful", name, s->name));
    } else {
        event(p, "Warning", "FailedCreate", rci_asprintf("create Pod %s in StatefulSet %s failed error: %s", name,
                                                         s->name, err && err->message ? err->message : ""));
    }
    free(name);
    return rc;
}

/* upstream processReplica: *blocked tells an OrderedReady pass to stop. */
static int process_replica(rci_sts_pass *p, int64_t i, bool *blocked, rc_error *err)
{
    const rci_sts *s = p->s;
    bool monotonic = !s->parallel;
    rc_time now = p->io->now;
    const char *phase = rc_object_get_str(p->slots[i], "status.phase");
    *blocked = false;
    if (phase && (!strcmp(phase, "Failed") || !strcmp(phase, "Succeeded")) &&
        !rci_sts_pod_terminating(p->slots[i])) {
        bool failed = !strcmp(phase, "Failed");
        event(p, failed ? "Warning" : "Normal", failed ? "RecreatingFailedPod" : "RecreatingTerminatedPod",
              rci_asprintf("StatefulSet %s/%s is recreating %s Pod %s", s->ns, s->name,
                           failed ? "failed" : "terminated", rc_object_name(p->slots[i])));
        int rc = rci_sts_delete_pod(p, p->slots[i], err);
        if (rc)
            return rc;
        rc_object *fresh = placeholder(p, s->start + i, err);
        if (!fresh)
            return err && err->code ? err->code : RC_ENOMEM;
        rc_object_unref(p->slots[i]);
        p->slots[i] = fresh;
    }
    rc_object *pod = p->slots[i];
    if (!rci_sts_pod_created(pod)) {
        int rc = create_slot(p, i, blocked, err);
        *blocked = *blocked || monotonic;
        return rc;
    }
    if (phase && !strcmp(phase, "Pending")) {
        int rc = rci_sts_create_claims(p->io, s, s->start + i, err);
        if (rc)
            return rc;
    }
    if (monotonic && (rci_sts_pod_terminating(pod) || !rci_sts_pod_available(s, pod, now))) {
        *blocked = true;
        return 0;
    }
    if (!rci_sts_identity_matches(s, pod)) {
        rc_object *fixed = rci_sts_fix_identity(s, pod);
        int rc = fixed ? rc_client_update(p->io->client, "pods", s->ns, fixed, NULL, NULL, err)
                       : rc_error_set(err, RC_ENOMEM, "out of memory fixing pod %s", rc_object_name(pod));
        rc_object_unref(fixed);
        if (rc)
            return rc == RC_ECONFLICT || rc == RC_ENOTFOUND ? 0 : rc; /* a newer event follows */
    }
    return rci_sts_fix_claim_owners(p->io, s, pod, false, err);
}

/* upstream processCondemned. */
static int process_condemned(rci_sts_pass *p, size_t i, bool *blocked, rc_error *err)
{
    bool monotonic = !p->s->parallel;
    const rc_object *pod = p->condemned[i];
    *blocked = false;
    if (rci_sts_pod_terminating(pod)) {
        *blocked = monotonic;
        return 0;
    }
    if (monotonic && pod != p->first_unhealthy && !rci_sts_pod_available(p->s, pod, p->io->now)) {
        *blocked = true;
        return 0;
    }
    *blocked = monotonic;
    return rci_sts_delete_pod(p, pod, err);
}

static int replica_fn(void *ctx, size_t i, rc_error *err)
{
    bool blocked;
    return process_replica(ctx, (int64_t)i, &blocked, err);
}

static int condemned_fn(void *ctx, size_t i, rc_error *err)
{
    bool blocked;
    return process_condemned(ctx, i, &blocked, err);
}

/* Runs fn over n items: in order, stopping when blocked (OrderedReady), or in slow-start batches
 * (Parallel). *stop when the pass must end here. */
static int run_all(rci_sts_pass *p, size_t n, int (*step)(rci_sts_pass *, size_t, bool *, rc_error *),
                   int (*batch_fn)(void *, size_t, rc_error *), bool *stop, rc_error *err)
{
    *stop = false;
    if (p->s->parallel) {
        size_t ok = rci_slow_start(n, 1, batch_fn, p, err);
        *stop = ok < n;
        return *stop ? (err && err->code ? err->code : RC_EINTERNAL) : 0;
    }
    for (size_t i = 0; i < n; i++) {
        int rc = step(p, i, stop, err);
        if (rc || *stop) {
            *stop = true;
            return rc;
        }
    }
    return 0;
}

static int replica_step(rci_sts_pass *p, size_t i, bool *blocked, rc_error *err)
{
    return process_replica(p, (int64_t)i, blocked, err);
}

static int claims_of_condemned(rci_sts_pass *p, rc_error *err)
{
    for (size_t i = 0; i < p->ncondemned; i++) {
        int rc = rci_sts_fix_claim_owners(p->io, p->s, p->condemned[i], true, err);
        if (rc)
            return rc;
    }
    return 0;
}

static int cmp_ordinal_desc(const void *a, const void *b, void *set_name)
{
    int64_t oa = rci_sts_ordinal(set_name, rc_object_name(*(rc_object *const *)a));
    int64_t ob = rci_sts_ordinal(set_name, rc_object_name(*(rc_object *const *)b));
    return oa == ob ? 0 : (oa > ob ? -1 : 1);
}

/* Fills slots and condemned from pods; placeholders for the missing slots. */
static int partition_pods(rci_sts_pass *p, const rc_object_list *pods, rc_error *err)
{
    const rci_sts *s = p->s;
    p->slots = calloc(s->replicas ? (size_t)s->replicas : 1, sizeof *p->slots);
    p->condemned = calloc(pods->count ? pods->count : 1, sizeof *p->condemned);
    if (!p->slots || !p->condemned)
        return rc_error_set(err, RC_ENOMEM, "out of memory syncing statefulset %s", s->name);
    for (size_t i = 0; i < pods->count; i++) {
        int64_t ord = rci_sts_ordinal(s->name, rc_object_name(pods->items[i]));
        if (ord < 0)
            continue;
        if (ord >= s->start && ord < s->start + s->replicas && !p->slots[ord - s->start])
            p->slots[ord - s->start] = rc_object_ref(pods->items[i]);
        else
            p->condemned[p->ncondemned++] = rc_object_ref(pods->items[i]);
    }
    qsort_r(p->condemned, p->ncondemned, sizeof *p->condemned, cmp_ordinal_desc, (void *)s->name);
    for (int64_t i = 0; i < s->replicas; i++)
        if (!p->slots[i] && !(p->slots[i] = placeholder(p, s->start + i, err)))
            return err && err->code ? err->code : RC_ENOMEM;
    for (int64_t i = 0; i < s->replicas && !p->first_unhealthy; i++)
        if (!rci_sts_pod_healthy(s, p->slots[i], p->io->now))
            p->first_unhealthy = p->slots[i];
    for (size_t i = p->ncondemned; i > 0 && !p->first_unhealthy; i--)
        if (!rci_sts_pod_healthy(s, p->condemned[i - 1], p->io->now))
            p->first_unhealthy = p->condemned[i - 1];
    return 0;
}

static void pass_release(rci_sts_pass *p)
{
    for (int64_t i = 0; p->slots && i < p->s->replicas; i++)
        rc_object_unref(p->slots[i]);
    for (size_t i = 0; i < p->ncondemned; i++)
        rc_object_unref(p->condemned[i]);
    free(p->slots);
    free(p->condemned);
    rci_sts_revisions_release(&p->rev);
}

/* Scaling, claim ownership, condemned pods, the status counts and the rolling update; stops early as the
 * policy says. */
static int manage(rci_sts_pass *p, rc_error *err)
{
    bool stop;
    int rc = run_all(p, (size_t)p->s->replicas, replica_step, replica_fn, &stop, err);
    if (rc == 0 && !stop)
        rc = claims_of_condemned(p, err);
    if (rc == 0 && !stop)
        rc = run_all(p, p->ncondemned, process_condemned, condemned_fn, &stop, err);
    rci_sts_count_status(p);
    if (rc || stop || p->s->on_delete)
        return rc;
    return rci_sts_rolling_update(p, err);
}

int rci_sts_sync(const rci_sts_io *io, const rc_object *set, const rc_object_list *pods, rc_object_list *revs,
                 rci_sts_result *res, rc_error *err)
{
    rci_sts s;
    memset(res, 0, sizeof *res);
    int rc = rci_sts_parse(set, &s, err);
    if (rc) {
        rci_sts_release(&s);
        return rc;
    }
    if (io->ignore_max_unavailable)
        s.has_max_unavailable = false;
    rci_sts_pass p = {.io = io, .s = &s};
    rc = rci_sts_get_revisions(io, &s, revs, &p.rev, err);
    if (rc == 0)
        rc = partition_pods(&p, pods, err);
    if (rc == 0) {
        rci_sts_count_status(&p);
        if (!rc_object_deletion_timestamp(set)) {
            rc = manage(&p, err);
            if (rc == 0 && p.status.current < 0)
                p.status.current = 0;
        }
        rc_error serr = {0};
        int src = rci_sts_write_status(io, set, &p.status, !s.on_delete, &serr);
        if (rc == 0 && src != 0) {
            rc = src;
            rc_error_move(err, &serr);
        }
        rc_error_clear(&serr);
        if (rc == 0)
            rc = rci_sts_truncate_history(io, &s, revs, &p.rev, pods, err);
        if (s.min_ready > 0 && p.status.available != s.replicas)
            res->requeue_after = s.min_ready * RC_SEC;
    }
    pass_release(&p);
    rci_sts_release(&s);
    return rc;
}
