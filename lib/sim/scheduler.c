/* scheduler.c - the scheduler's pure part: a node's view (allocatable and requested resources), the
 * filter predicates (nodeSelector and required node affinity with matchExpressions and matchFields,
 * unschedulable, taints/tolerations, resource fit), least-allocated scoring and the "0/N nodes are
 * available" message. scheduler_ctl.c runs them as a controller. */
#include "sim/internal.h"

#include <reconcile/values.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

static const char *const fit_reasons[RCI_SIM_FIT_NREASONS] = {
    [RCI_SIM_FIT_OK] = "",
    [RCI_SIM_FIT_SELECTOR] = "node(s) didn't match Pod's node affinity/selector",
    [RCI_SIM_FIT_UNSCHEDULABLE] = "node(s) were unschedulable",
    [RCI_SIM_FIT_TAINT] = "node(s) had untolerated taint(s)",
    [RCI_SIM_FIT_CPU] = "Insufficient cpu",
    [RCI_SIM_FIT_MEMORY] = "Insufficient memory",
    [RCI_SIM_FIT_PODS] = "Too many pods",
};

const char *rci_sim_fit_reason(rci_sim_fit f)
{
    return f >= 0 && f < RCI_SIM_FIT_NREASONS ? fit_reasons[f] : "";
}

static int64_t quantity_at(const rc_object *o, const char *path, bool milli)
{
    rc_node n = rc_object_at(o, path);
    rc_quantity q;
    if (!rc_node_exists(n) || rc_quantity_from_node(n, NULL, &q, NULL) != 0)
        return 0;
    return milli ? rc_quantity_milli_value(q) : rc_quantity_value(q);
}

void rci_sim_sched_node_set(rci_sim_sched_node *n, rc_object *node)
{
    rc_object_ref(node);
    rc_object_unref(n->node);
    n->node = node;
    n->name = rc_object_name(node);
    bool has_alloc = rc_node_exists(rc_object_at(node, "status.allocatable"));
    const char *base = has_alloc ? "status.allocatable" : "status.capacity";
    char path[64];
    snprintf(path, sizeof path, "%s.cpu", base);
    n->alloc_mcpu = quantity_at(node, path, true);
    snprintf(path, sizeof path, "%s.memory", base);
    n->alloc_mem = quantity_at(node, path, false);
    snprintf(path, sizeof path, "%s.pods", base);
    n->alloc_pods = quantity_at(node, path, false);
    n->unschedulable = rc_object_get_bool(node, "spec.unschedulable", false);
    n->tainted = false;
    rc_node taints = rc_object_at(node, "spec.taints");
    for (size_t i = 0; i < rc_node_len(taints); i++) {
        const char *effect = rc_node_str(rc_node_get(rc_node_index(taints, i), "effect"));
        n->tainted |= effect && strcmp(effect, "PreferNoSchedule") != 0;
    }
}

/* ---- node affinity ---- */

static bool value_in(rc_node values, const char *v)
{
    for (size_t i = 0; v && i < rc_node_len(values); i++) {
        const char *s = rc_node_str(rc_node_index(values, i));
        if (s && !strcmp(s, v))
            return true;
    }
    return false;
}

static bool parse_int(const char *s, long long *out)
{
    if (!s || !s[0])
        return false;
    char *end;
    *out = strtoll(s, &end, 10);
    return !*end;
}

/* One NodeSelectorRequirement against the value (NULL = absent label). */
static bool requirement_matches(rc_node req, const char *value)
{
    const char *op = rc_node_str(rc_node_get(req, "operator"));
    rc_node values = rc_node_get(req, "values");
    if (!op)
        return false;
    if (!strcmp(op, "In"))
        return value_in(values, value);
    if (!strcmp(op, "NotIn"))
        return !value_in(values, value);
    if (!strcmp(op, "Exists"))
        return value != NULL;
    if (!strcmp(op, "DoesNotExist"))
        return value == NULL;
    if (!strcmp(op, "Gt") || !strcmp(op, "Lt")) {
        long long have, want;
        if (rc_node_len(values) != 1 || !parse_int(value, &have) ||
            !parse_int(rc_node_str(rc_node_index(values, 0)), &want))
            return false;
        return op[0] == 'G' ? have > want : have < want;
    }
    return false;
}

static bool term_matches(const rc_object *node, rc_node term)
{
    rc_node exprs = rc_node_get(term, "matchExpressions"), fields = rc_node_get(term, "matchFields");
    if (!rc_node_len(exprs) && !rc_node_len(fields))
        return false; /* an empty term matches no node */
    for (size_t i = 0; i < rc_node_len(exprs); i++) {
        rc_node r = rc_node_index(exprs, i);
        const char *key = rc_node_str(rc_node_get(r, "key"));
        if (!key || !requirement_matches(r, rc_object_label(node, key)))
            return false;
    }
    for (size_t i = 0; i < rc_node_len(fields); i++) {
        rc_node r = rc_node_index(fields, i);
        const char *key = rc_node_str(rc_node_get(r, "key"));
        if (!key || strcmp(key, "metadata.name") || !requirement_matches(r, rc_object_name(node)))
            return false;
    }
    return true;
}

bool rci_sim_sched_node_matches(const rc_object *node, const rc_object *pod)
{
    rc_node sel = rc_object_at(pod, "spec.nodeSelector");
    for (size_t i = 0; i < rc_node_len(sel); i++) {
        const char *want = rc_node_str(rc_node_value_at(sel, i));
        const char *have = rc_object_label(node, rc_node_key_at(sel, i));
        if (!have || !want || strcmp(have, want))
            return false;
    }
    rc_node req = rc_object_at(pod, "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution");
    if (!rc_node_exists(req))
        return true;
    rc_node terms = rc_node_get(req, "nodeSelectorTerms");
    for (size_t i = 0; i < rc_node_len(terms); i++)
        if (term_matches(node, rc_node_index(terms, i)))
            return true;
    return false;
}

/* ---- the other predicates ---- */

static bool tolerates_unschedulable(const rc_object *pod)
{
    rc_node tols = rc_object_at(pod, "spec.tolerations");
    for (size_t i = 0; i < rc_node_len(tols); i++)
        if (rci_sim_toleration_matches(rc_node_index(tols, i), RCI_SIM_TAINT_UNSCHEDULABLE, "", "NoSchedule"))
            return true;
    return false;
}

static bool taints_tolerated(const rc_object *node, const rc_object *pod)
{
    rc_node taints = rc_object_at(node, "spec.taints");
    for (size_t i = 0; i < rc_node_len(taints); i++) {
        rc_node t = rc_node_index(taints, i);
        const char *effect = rc_node_str(rc_node_get(t, "effect"));
        if (!effect || !strcmp(effect, "PreferNoSchedule"))
            continue;
        if (!rc_node_exists(rci_sim_pod_toleration_for(pod, t)))
            return false;
    }
    return true;
}

rci_sim_fit rci_sim_sched_filter(const rci_sim_sched_node *n, const rc_object *pod, const rci_sim_pod_req *req)
{
    if (req->selects_nodes && !rci_sim_sched_node_matches(n->node, pod))
        return RCI_SIM_FIT_SELECTOR;
    if (n->unschedulable && !tolerates_unschedulable(pod))
        return RCI_SIM_FIT_UNSCHEDULABLE;
    if (n->tainted && !taints_tolerated(n->node, pod))
        return RCI_SIM_FIT_TAINT;
    if (n->req_pods + 1 > n->alloc_pods)
        return RCI_SIM_FIT_PODS;
    if (req->mcpu > 0 && req->mcpu > n->alloc_mcpu - n->req_mcpu)
        return RCI_SIM_FIT_CPU;
    if (req->mem > 0 && req->mem > n->alloc_mem - n->req_mem)
        return RCI_SIM_FIT_MEMORY;
    return RCI_SIM_FIT_OK;
}

static int64_t least_allocated(int64_t requested, int64_t capacity)
{
    if (capacity <= 0 || requested > capacity)
        return 0;
    return (capacity - requested) * 100 / capacity;
}

int64_t rci_sim_sched_score(const rci_sim_sched_node *n, const rci_sim_pod_req *req)
{
    return (least_allocated(n->score_mcpu + req->score_mcpu, n->alloc_mcpu) +
            least_allocated(n->score_mem + req->score_mem, n->alloc_mem)) /
           2;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *rci_sim_sched_message(size_t nnodes, const size_t counts[RCI_SIM_FIT_NREASONS])
{
    char *parts[RCI_SIM_FIT_NREASONS];
    size_t np = 0;
    for (int f = 1; f < RCI_SIM_FIT_NREASONS; f++)
        if (counts[f] && (parts[np] = rci_asprintf("%zu %s", counts[f], fit_reasons[f])))
            np++;
    qsort(parts, np, sizeof *parts, cmp_str); /* upstream sorts the reasons as strings */
    rci_strbuf b;
    rci_strbuf_init(&b);
    rci_strbuf_printf(&b, "0/%zu nodes are available", nnodes);
    for (size_t i = 0; i < np; i++) {
        rci_strbuf_puts(&b, i ? ", " : ": ");
        rci_strbuf_puts(&b, parts[i]);
        free(parts[i]);
    }
    rci_strbuf_putc(&b, '.');
    return rci_strbuf_take(&b);
}
