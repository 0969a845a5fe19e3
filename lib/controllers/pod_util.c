/* pod_util.c - timestamps and the pod predicates every workload controller shares (spec section 0.4):
 * active, ready, ready-since and available with minReadySeconds. */
#include "controllers/controller_utils.h"

#include <reconcile/values.h>
#include <string.h>

rc_time rci_node_time(rc_node n)
{
    const char *s = rc_node_str(n);
    rc_time t = 0;
    if (!s || !*s || rc_time_parse(s, &t, NULL) != 0)
        return 0;
    return t;
}

rc_time rci_object_time(const rc_object *o, const char *path) { return rci_node_time(rc_object_at(o, path)); }

cJSON *rci_time_json(rc_time t)
{
    char buf[RC_TIME_STRLEN];
    rc_time_format(t, buf, sizeof buf);
    return cJSON_CreateString(buf);
}

bool rci_pod_is_active(const rc_object *pod)
{
    const char *phase = rc_object_get_str(pod, "status.phase");
    if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed")))
        return false;
    return rc_object_deletion_timestamp(pod) == NULL;
}

/* The pod's Ready condition node, or NONE. */
static rc_node ready_condition(const rc_object *pod)
{
    rc_node conds = rc_object_at(pod, "status.conditions");
    size_t n = rc_node_len(conds);
    for (size_t i = 0; i < n; i++) {
        rc_node c = rc_node_index(conds, i);
        const char *type = rc_node_str(rc_node_get(c, "type"));
        if (type && !strcmp(type, "Ready"))
            return c;
    }
    rc_node none = {0};
    return none;
}

/* A Ready condition (as ready_condition returns it) that says True. */
static bool says_ready(rc_node c)
{
    const char *st = rc_node_str(rc_node_get(c, "status"));
    return st && !strcmp(st, "True");
}

bool rci_pod_is_ready(const rc_object *pod) { return says_ready(ready_condition(pod)); }

bool rci_pod_ready_at(const rc_object *pod, rc_time *since)
{
    rc_node c = ready_condition(pod);
    bool ready = says_ready(c);
    *since = ready ? rci_node_time(rc_node_get(c, "lastTransitionTime")) : 0;
    return ready;
}

bool rci_pod_is_available(const rc_object *pod, int64_t min_ready_seconds, rc_time now)
{
    rc_time since;
    if (!rci_pod_ready_at(pod, &since))
        return false;
    return min_ready_seconds <= 0 || (since != 0 && since + min_ready_seconds * RC_SEC <= now);
}
