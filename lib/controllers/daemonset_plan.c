/* daemonset_plan.c - one sync of the DaemonSet controller as a pure function (spec sections 4.4-4.8):
 * groups the owned pods by target node, decides per node which pods to create or delete (manage), then,
 * when manage had nothing to do, takes the next RollingUpdate step within maxUnavailable / maxSurge,
 * and computes the status. OnDelete only recreates pods that someone deleted. */
#include <reconcile/events.h>
#include <reconcile/values.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "controllers/controller_utils.h"
#include "controllers/daemonset.h"
#include "util/map.h"

typedef struct ds_group {
    const char *name;     /* node name (borrowed) */
    const rc_object *node; /* NULL when no such node exists */
    bool should_run, should_continue;
    rc_object **pods;      /* live pods targeting the node, oldest first */
    size_t npods;
} ds_group;

typedef struct ds_sync {
    const rci_ds_input *in;
    rci_child_plan *plan;
    ds_group *groups;
    size_t ngroups;
    rc_object **pod_slots; /* storage for every group's pods */
    size_t creates, deletes, burst;
    bool surge;            /* RollingUpdate with maxSurge > 0 */
    int64_t max_surge, max_unavailable, desired;
} ds_sync;

static bool phase_is(const rc_object *pod, const char *phase)
{
    const char *p = rc_object_get_str(pod, "status.phase");
    return p && !strcmp(p, phase);
}

static int cmp_pods(const void *a, const void *b)
{
    return rci_ds_cmp_oldest(*(rc_object *const *)a, *(rc_object *const *)b);
}

static int cmp_groups(const void *a, const void *b)
{
    return strcmp(((const ds_group *)a)->name, ((const ds_group *)b)->name);
}

/* One group per node (sorted by name), then groups for target nodes that do not exist (in pod order);
 * each group's live pods sorted oldest first. Linear in pods and nodes apart from the sorts. */
static bool build_groups(ds_sync *s)
{
    const rci_ds_input *in = s->in;
    s->groups = calloc(in->nnodes + in->npods + 1, sizeof *s->groups);
    s->pod_slots = calloc(in->npods + 1, sizeof *s->pod_slots);
    size_t *group_of_pod = calloc(in->npods + 1, sizeof *group_of_pod);
    rci_map index;
    rci_map_init(&index);
    bool ok = s->groups && s->pod_slots && group_of_pod && rci_map_reserve(&index, in->nnodes + in->npods);
    for (size_t i = 0; ok && i < in->nnodes; i++) {
        ds_group *g = &s->groups[s->ngroups++];
        g->name = rc_object_name(in->nodes[i]);
        g->node = in->nodes[i];
        rci_ds_should_run(in->ds, g->node, &g->should_run, &g->should_continue);
    }
    if (ok)
        qsort(s->groups, s->ngroups, sizeof *s->groups, cmp_groups);
    for (size_t g = 0; ok && g < s->ngroups; g++)
        ok = rci_map_put(&index, s->groups[g].name, &s->groups[g], NULL) == 0;
    for (size_t i = 0; ok && i < in->npods; i++) {
        const rc_object *pod = in->pods[i];
        const char *target = rci_ds_pod_node(pod);
        bool terminal = phase_is(pod, "Succeeded") || phase_is(pod, "Failed");
        group_of_pod[i] = SIZE_MAX;
        if (!target || (terminal && rc_object_deletion_timestamp(pod)))
            continue;
        ds_group *g = rci_map_get(&index, target);
        if (!g) {
            g = &s->groups[s->ngroups++];
            g->name = target;
            ok = rci_map_put(&index, target, g, NULL) == 0;
        }
        group_of_pod[i] = (size_t)(g - s->groups);
        g->npods++;
    }
    size_t used = 0;
    for (size_t g = 0; ok && g < s->ngroups; g++) {
        s->groups[g].pods = s->pod_slots + used;
        used += s->groups[g].npods;
        s->groups[g].npods = 0;
    }
    for (size_t i = 0; ok && i < in->npods; i++)
        if (group_of_pod[i] != SIZE_MAX) {
            ds_group *g = &s->groups[group_of_pod[i]];
            g->pods[g->npods++] = in->pods[i];
        }
    for (size_t g = 0; ok && g < s->ngroups; g++)
        qsort(s->groups[g].pods, s->groups[g].npods, sizeof *s->groups[g].pods, cmp_pods);
    rci_map_free(&index);
    free(group_of_pod);
    return ok;
}

static void plan_create(ds_sync *s, const char *node)
{
    if (s->creates >= s->burst)
        return;
    rci_plan_add(s->plan, RCI_ACTION_CREATE, "pods", rci_ds_new_pod(s->in->ds, node, s->in->hash),
                 RC_PROPAGATION_DEFAULT);
    s->creates++;
}

static void plan_delete(ds_sync *s, rc_object *pod)
{
    if (s->deletes >= s->burst || rc_object_deletion_timestamp(pod))
        return;
    for (size_t i = 0; i < s->plan->nactions; i++)
        if (s->plan->actions[i].obj == pod)
            return; /* already planned */
    rci_plan_add(s->plan, RCI_ACTION_DELETE, "pods", rc_object_ref(pod), RC_PROPAGATION_DEFAULT);
    s->deletes++;
}

/* Surge mode: keep the oldest current and the oldest old pod, then retire the old one when it is not
 * ready or the new one is available (spec 4.4). */
static void manage_surge(ds_sync *s, rc_object **running, size_t n)
{
    rc_object *newest = NULL, *oldest_old = NULL;
    for (size_t i = 0; i < n; i++) {
        bool is_new = rci_ds_pod_is_new(s->in->ds, running[i], s->in->hash);
        rc_object **slot = is_new ? &newest : &oldest_old;
        if (*slot)
            plan_delete(s, running[i]);
        else
            *slot = running[i];
    }
    int64_t mrs = rc_object_get_int(s->in->ds, "spec.minReadySeconds", 0);
    if (newest && oldest_old &&
        (!rci_pod_is_ready(oldest_old) || rci_pod_is_available(newest, mrs, s->in->now)))
        plan_delete(s, oldest_old);
}

static void manage_node(ds_sync *s, ds_group *g)
{
    if (!g->node) { /* the node is gone: pods still waiting for it go too */
        for (size_t i = 0; i < g->npods; i++)
            if (!rc_object_get_str(g->pods[i], "spec.nodeName"))
                plan_delete(s, g->pods[i]);
        return;
    }
    if (g->should_run && g->npods == 0) {
        plan_create(s, g->name);
        return;
    }
    if (!g->should_continue) {
        for (size_t i = 0; i < g->npods; i++)
            plan_delete(s, g->pods[i]);
        return;
    }
    rc_object *running[g->npods + 1];
    size_t n = 0;
    for (size_t i = 0; i < g->npods; i++) {
        rc_object *pod = g->pods[i];
        if (rc_object_deletion_timestamp(pod))
            continue;
        if (phase_is(pod, "Failed") || phase_is(pod, "Succeeded")) {
            bool failed = phase_is(pod, "Failed");
            rci_plan_event(s->plan, RC_EVENT_WARNING, failed ? "FailedDaemonPod" : "SucceededDaemonPod",
                           "Found %s daemon pod %s/%s on node %s, will try to kill it", failed ? "failed" : "succeeded",
                           rc_object_namespace(pod), rc_object_name(pod), g->name);
            plan_delete(s, pod);
            continue;
        }
        running[n++] = pod;
    }
    if (!s->surge) {
        for (size_t i = 1; i < n; i++) /* keep the oldest */
            plan_delete(s, running[i]);
        return;
    }
    if (n == 0 && g->should_run)
        plan_create(s, g->name);
    else
        manage_surge(s, running, n);
}

/* The node's new and old pod; false when it has more than one of either. */
static bool updated_pods(const ds_sync *s, const ds_group *g, rc_object **new_pod, rc_object **old_pod)
{
    *new_pod = *old_pod = NULL;
    for (size_t i = 0; i < g->npods; i++) {
        rc_object *pod = g->pods[i];
        if (rc_object_deletion_timestamp(pod))
            continue;
        rc_object **slot = rci_ds_pod_is_new(s->in->ds, pod, s->in->hash) ? new_pod : old_pod;
        if (*slot)
            return false;
        *slot = pod;
    }
    return true;
}

/* RollingUpdate (spec 4.7). */
static void rolling_update(ds_sync *s)
{
    int64_t mrs = rc_object_get_int(s->in->ds, "spec.minReadySeconds", 0), unavailable = 0, in_use = 0;
    size_t ngroups = s->ngroups, nreplace = 0, ncandidates = 0;
    ds_group *replace[ngroups + 1], *candidates[ngroups + 1];
    rc_object *victims[ngroups + 1], *olds[ngroups + 1];
    for (size_t i = 0; i < ngroups; i++) {
        ds_group *g = &s->groups[i];
        if (!g->node || (!g->should_run && g->npods == 0))
            continue;
        rc_object *np, *op;
        if (!updated_pods(s, g, &np, &op)) {
            unavailable++;
            in_use++;
            continue;
        }
        bool new_available = np && rci_pod_is_available(np, mrs, s->in->now);
        bool old_available = op && rci_pod_is_available(op, mrs, s->in->now);
        if (!s->surge) {
            if ((!op && !np) || (op && np))
                unavailable++;
            else if (np)
                unavailable += !new_available;
            else if (!old_available)
                victims[nreplace++] = op; /* always replaced */
            else
                olds[ncandidates++] = op;
        } else if (op && !np) {
            if (old_available)
                candidates[ncandidates++] = g; /* may surge onto it */
            else
                replace[nreplace++] = g; /* gets its new pod at once */
        } else if (op && np) {
            if (new_available)
                plan_delete(s, op);
            else
                in_use++;
        }
    }
    if (!s->surge) {
        for (size_t i = 0; i < nreplace; i++)
            plan_delete(s, victims[i]);
        int64_t budget = s->max_unavailable - unavailable;
        for (size_t i = 0; budget > 0 && i < ncandidates; i++, budget--)
            plan_delete(s, olds[i]);
        return;
    }
    for (size_t i = 0; i < nreplace; i++)
        plan_create(s, replace[i]->name);
    int64_t budget = s->max_surge - in_use;
    for (size_t i = 0; budget > 0 && i < ncandidates; i++, budget--)
        plan_create(s, candidates[i]->name);
}

static void set_int(cJSON *status, const char *key, int64_t v, bool *oom)
{
    if (!rci_json_set(status, key, cJSON_CreateNumber((double)v)))
        *oom = true;
}

/* updateDaemonSetStatus (spec 4.8). */
static void plan_status(ds_sync *s)
{
    int64_t desired = 0, current = 0, mis = 0, ready = 0, available = 0, updated = 0;
    int64_t mrs = rc_object_get_int(s->in->ds, "spec.minReadySeconds", 0);
    for (size_t i = 0; i < s->ngroups; i++) {
        const ds_group *g = &s->groups[i];
        if (!g->node)
            continue;
        bool scheduled = g->npods > 0;
        desired += g->should_run;
        current += g->should_run && scheduled;
        mis += !g->should_run && scheduled;
        if (g->should_run && scheduled) {
            const rc_object *oldest = g->pods[0];
            ready += rci_pod_is_ready(oldest);
            available += rci_pod_is_available(oldest, mrs, s->in->now);
            updated += rci_ds_pod_is_new(s->in->ds, oldest, s->in->hash);
        }
    }
    cJSON *old = rc_node_to_cjson(rc_object_at(s->in->ds, "status"));
    cJSON *st = old ? cJSON_Duplicate(old, true) : cJSON_CreateObject();
    bool oom = !st;
    if (st) {
        set_int(st, "desiredNumberScheduled", desired, &oom);
        set_int(st, "currentNumberScheduled", current, &oom);
        set_int(st, "numberMisscheduled", mis, &oom);
        set_int(st, "numberReady", ready, &oom);
        set_int(st, "numberAvailable", available, &oom);
        set_int(st, "updatedNumberScheduled", updated, &oom);
        set_int(st, "numberUnavailable", desired - available, &oom);
        if (s->in->satisfied)
            set_int(st, "observedGeneration", rc_object_generation(s->in->ds), &oom);
    }
    if (oom || !old || !cJSON_Compare(st, old, true))
        rci_plan_set_status(s->plan, oom ? NULL : st);
    else
        cJSON_Delete(st);
    cJSON_Delete(old);
    if (mrs > 0 && ready != available)
        rci_plan_requeue(s->plan, mrs * RC_SEC);
}

/* maxUnavailable / maxSurge of a RollingUpdate DaemonSet, both rounded up (spec 0.5, 4.7). */
static void update_budget(ds_sync *s)
{
    for (size_t i = 0; i < s->ngroups; i++)
        s->desired += s->groups[i].node && s->groups[i].should_run;
    rc_node ru = rc_object_at(s->in->ds, "spec.updateStrategy.rollingUpdate");
    rc_node mu = rc_node_get(ru, "maxUnavailable"), ms = rc_node_get(ru, "maxSurge");
    s->max_unavailable = 1;
    s->max_surge = 0;
    if (rc_node_exists(mu) && rc_intorstr_scaled(mu, s->desired, true, &s->max_unavailable, NULL) != 0)
        s->max_unavailable = 1;
    if (rc_node_exists(ms) && rc_intorstr_scaled(ms, s->desired, true, &s->max_surge, NULL) != 0)
        s->max_surge = 0;
    if (s->desired > 0 && s->max_unavailable <= 0 && s->max_surge <= 0)
        s->max_unavailable = 1;
    s->surge = s->max_surge > 0;
}

int rci_ds_plan(const rci_ds_input *in, rci_child_plan *plan)
{
    ds_sync s = {.in = in, .plan = plan, .burst = in->burst > 0 ? (size_t)in->burst : RCI_DS_BURST};
    if (!build_groups(&s)) {
        plan->oom = true;
    } else {
        const char *strategy = rc_object_get_str(in->ds, "spec.updateStrategy.type");
        bool rolling = !strategy || !strcmp(strategy, "RollingUpdate");
        if (rolling)
            update_budget(&s);
        bool deleting = rc_object_deletion_timestamp(in->ds) != NULL;
        if (in->satisfied && !deleting) {
            for (size_t i = 0; i < s.ngroups; i++)
                manage_node(&s, &s.groups[i]);
            if (rolling && plan->nactions == 0)
                rolling_update(&s);
        }
        if (!deleting)
            plan_status(&s);
    }
    free(s.groups);
    free(s.pod_slots);
    return plan->oom ? RC_ENOMEM : 0;
}
