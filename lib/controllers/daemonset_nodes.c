/* daemonset_nodes.c - which nodes should run a DaemonSet's pod (upstream NodeShouldRunDaemonPod,
 * spec sections 4.2 and 4.3): spec.nodeName, the nodeSelector and required node affinity (terms ORed,
 * expressions ANDed, matchFields on metadata.name), then NoSchedule/NoExecute taints against the pod's
 * tolerations plus those every daemon pod gets. */
#include <stdlib.h>
#include <string.h>

#include "controllers/daemonset.h"

static bool str_eq(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

/* The tolerations AddOrUpdateDaemonPodTolerations adds (spec 4.3). */
const char *const rci_ds_auto_tolerations[RCI_DS_AUTO_TOLERATIONS][2] = {
    {"node.kubernetes.io/not-ready", "NoExecute"},        {"node.kubernetes.io/unreachable", "NoExecute"},
    {"node.kubernetes.io/disk-pressure", "NoSchedule"},   {"node.kubernetes.io/memory-pressure", "NoSchedule"},
    {"node.kubernetes.io/pid-pressure", "NoSchedule"},    {"node.kubernetes.io/unschedulable", "NoSchedule"},
    {"node.kubernetes.io/network-unavailable", "NoSchedule"}, /* hostNetwork pods only */
};

static bool toleration_matches(rc_node tol, rc_node taint)
{
    const char *key = rc_node_str(rc_node_get(tol, "key")), *op = rc_node_str(rc_node_get(tol, "operator"));
    const char *effect = rc_node_str(rc_node_get(tol, "effect"));
    const char *tkey = rc_node_str(rc_node_get(taint, "key")), *teffect = rc_node_str(rc_node_get(taint, "effect"));
    if (effect && *effect && !str_eq(effect, teffect))
        return false;
    bool exists = str_eq(op, "Exists");
    if (key && *key ? !str_eq(key, tkey) : !exists)
        return false;
    if (exists)
        return true;
    const char *v = rc_node_str(rc_node_get(tol, "value")), *tv = rc_node_str(rc_node_get(taint, "value"));
    return !strcmp(v ? v : "", tv ? tv : "");
}

bool rci_tolerates(rc_node tolerations, bool daemon, bool host_network, rc_node taint)
{
    for (size_t i = 0; i < rc_node_len(tolerations); i++)
        if (toleration_matches(rc_node_index(tolerations, i), taint))
            return true;
    if (!daemon)
        return false;
    const char *key = rc_node_str(rc_node_get(taint, "key")), *effect = rc_node_str(rc_node_get(taint, "effect"));
    size_t n = RCI_DS_AUTO_TOLERATIONS - (host_network ? 0 : 1);
    for (size_t i = 0; i < n; i++)
        if (str_eq(key, rci_ds_auto_tolerations[i][0]) && str_eq(effect, rci_ds_auto_tolerations[i][1]))
            return true;
    return false;
}

static bool in_values(rc_node values, const char *v)
{
    for (size_t i = 0; i < rc_node_len(values); i++)
        if (str_eq(rc_node_str(rc_node_index(values, i)), v))
            return true;
    return false;
}

/* One NodeSelectorRequirement against a value (NULL = the label is absent). */
static bool requirement_matches(rc_node req, const char *v)
{
    const char *op = rc_node_str(rc_node_get(req, "operator"));
    rc_node values = rc_node_get(req, "values");
    if (str_eq(op, "In"))
        return v && in_values(values, v);
    if (str_eq(op, "NotIn"))
        return !v || !in_values(values, v);
    if (str_eq(op, "Exists"))
        return v != NULL;
    if (str_eq(op, "DoesNotExist"))
        return v == NULL;
    if ((str_eq(op, "Gt") || str_eq(op, "Lt")) && v && rc_node_len(values) == 1) {
        char *end;
        long long have = strtoll(v, &end, 10);
        const char *w = rc_node_str(rc_node_index(values, 0));
        char *wend;
        long long want = w ? strtoll(w, &wend, 10) : 0;
        if (*end || !w || *wend)
            return false;
        return str_eq(op, "Gt") ? have > want : have < want;
    }
    return false;
}

static bool term_matches(rc_node term, const rc_object *node)
{
    rc_node exprs = rc_node_get(term, "matchExpressions"), fields = rc_node_get(term, "matchFields");
    if (rc_node_len(exprs) == 0 && rc_node_len(fields) == 0)
        return false; /* an empty term matches nothing */
    for (size_t i = 0; i < rc_node_len(exprs); i++) {
        rc_node req = rc_node_index(exprs, i);
        if (!requirement_matches(req, rc_object_label(node, rc_node_str(rc_node_get(req, "key")))))
            return false;
    }
    for (size_t i = 0; i < rc_node_len(fields); i++) {
        rc_node req = rc_node_index(fields, i);
        if (!str_eq(rc_node_str(rc_node_get(req, "key")), "metadata.name") ||
            !requirement_matches(req, rc_object_name(node)))
            return false;
    }
    return true;
}

bool rci_node_matches_affinity(rc_node node_selector, rc_node required_terms, const rc_object *node)
{
    for (size_t i = 0; i < rc_node_len(node_selector); i++) {
        const char *want = rc_node_str(rc_node_value_at(node_selector, i));
        if (!str_eq(rc_object_label(node, rc_node_key_at(node_selector, i)), want))
            return false;
    }
    if (!rc_node_exists(required_terms))
        return true;
    for (size_t i = 0; i < rc_node_len(required_terms); i++)
        if (term_matches(rc_node_index(required_terms, i), node))
            return true;
    return false;
}

void rci_ds_should_run(const rc_object *ds, const rc_object *node, bool *should_run, bool *should_continue)
{
    *should_run = *should_continue = false;
    const char *pinned = rc_object_get_str(ds, "spec.template.spec.nodeName");
    if (pinned && *pinned && strcmp(pinned, rc_object_name(node)))
        return;
    rc_node pod_spec = rc_object_at(ds, "spec.template.spec");
    rc_node terms = rc_node_at(pod_spec, "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
                                         "nodeSelectorTerms");
    if (!rci_node_matches_affinity(rc_node_get(pod_spec, "nodeSelector"), terms, node))
        return;
    rc_node tolerations = rc_node_get(pod_spec, "tolerations"), taints = rc_object_at(node, "spec.taints");
    bool host_network = rc_node_bool(rc_node_get(pod_spec, "hostNetwork"), false);
    bool untolerated_noexec = false, untolerated = false;
    for (size_t i = 0; i < rc_node_len(taints); i++) {
        rc_node taint = rc_node_index(taints, i);
        const char *effect = rc_node_str(rc_node_get(taint, "effect"));
        if (!str_eq(effect, "NoSchedule") && !str_eq(effect, "NoExecute"))
            continue;
        if (rci_tolerates(tolerations, true, host_network, taint))
            continue;
        untolerated = true;
        untolerated_noexec |= str_eq(effect, "NoExecute");
    }
    *should_run = !untolerated;
    *should_continue = !untolerated_noexec;
}
