/* podutil.c - small pod and node helpers the simulator's controllers share: resource requests,
 * tolerations against taints, scripted-behaviour annotations, times and status conditions. */
#include "sim/internal.h"

#include <reconcile/values.h>

#include <stdlib.h>
#include <string.h>

#define DEFAULT_SCORE_MCPU 100
#define DEFAULT_SCORE_MEM (200 * 1024 * 1024)

static void container_requests(rc_node c, int64_t *mcpu, int64_t *mem, int64_t *smcpu, int64_t *smem)
{
    rc_node req = rc_node_at(c, "resources.requests");
    rc_quantity q;
    rc_node cpu = rc_node_get(req, "cpu"), memory = rc_node_get(req, "memory");
    *mcpu = rc_node_exists(cpu) && rc_quantity_from_node(cpu, NULL, &q, NULL) == 0 ? rc_quantity_milli_value(q) : 0;
    *mem = rc_node_exists(memory) && rc_quantity_from_node(memory, NULL, &q, NULL) == 0 ? rc_quantity_value(q) : 0;
    *smcpu = rc_node_exists(cpu) ? *mcpu : DEFAULT_SCORE_MCPU;
    *smem = rc_node_exists(memory) ? *mem : DEFAULT_SCORE_MEM;
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

void rci_sim_pod_requests(const rc_object *pod, rci_sim_pod_req *out)
{
    memset(out, 0, sizeof *out);
    rc_node cs = rc_object_at(pod, "spec.containers");
    for (size_t i = 0; i < rc_node_len(cs); i++) {
        int64_t a, b, c, d;
        container_requests(rc_node_index(cs, i), &a, &b, &c, &d);
        out->mcpu += a;
        out->mem += b;
        out->score_mcpu += c;
        out->score_mem += d;
    }
    out->selects_nodes =
        rc_node_len(rc_object_at(pod, "spec.nodeSelector")) > 0 ||
        rc_node_exists(rc_object_at(pod, "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"));
    rc_node init = rc_object_at(pod, "spec.initContainers");
    for (size_t i = 0; i < rc_node_len(init); i++) {
        int64_t a, b, c, d;
        container_requests(rc_node_index(init, i), &a, &b, &c, &d);
        out->mcpu = max64(out->mcpu, a);
        out->mem = max64(out->mem, b);
    }
}

bool rci_sim_pod_is_terminal(const rc_object *pod)
{
    const char *phase = rc_object_get_str(pod, "status.phase");
    return phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"));
}

void rci_sim_index_node_name(void *ctx, const rc_object *obj, rc_index_values *out)
{
    (void)ctx;
    const char *node = rc_object_get_str(obj, "spec.nodeName");
    if (node && node[0])
        rc_index_values_add(out, node);
}

static const char *str_or_empty(rc_node n, const char *key)
{
    const char *s = rc_node_str(rc_node_get(n, key));
    return s ? s : "";
}

bool rci_sim_toleration_matches(rc_node t, const char *key, const char *value, const char *effect)
{
    const char *teffect = str_or_empty(t, "effect");
    if (teffect[0] && strcmp(teffect, effect))
        return false;
    const char *tkey = str_or_empty(t, "key");
    const char *op = str_or_empty(t, "operator");
    if (!tkey[0])
        return !strcmp(op, "Exists"); /* an empty key with Exists tolerates everything */
    if (strcmp(tkey, key))
        return false;
    if (!strcmp(op, "Exists"))
        return true;
    return !strcmp(str_or_empty(t, "value"), value ? value : ""); /* "" or "Equal" */
}

rc_node rci_sim_pod_toleration_for(const rc_object *pod, rc_node taint)
{
    const char *key = str_or_empty(taint, "key"), *value = str_or_empty(taint, "value");
    const char *effect = str_or_empty(taint, "effect");
    rc_node tols = rc_object_at(pod, "spec.tolerations");
    for (size_t i = 0; i < rc_node_len(tols); i++) {
        rc_node t = rc_node_index(tols, i);
        if (rci_sim_toleration_matches(t, key, value, effect))
            return t;
    }
    rc_node none = {0};
    return none;
}

int64_t rci_sim_annotation_seconds(const rc_object *o, const char *key, int64_t def)
{
    const char *v = rc_object_annotation(o, key);
    if (!v || !v[0])
        return def;
    char *end;
    long long x = strtoll(v, &end, 10);
    return *end || x < 0 || x > 100000000 ? def : (int64_t)x;
}

rc_time rci_sim_node_time(rc_node n, rc_time def)
{
    const char *s = rc_node_str(n);
    rc_time t;
    return s && rc_time_parse(s, &t, NULL) == 0 ? t : def;
}

rc_node rci_sim_condition(rc_node conds, const char *type)
{
    for (size_t i = 0; i < rc_node_len(conds); i++) {
        rc_node c = rc_node_index(conds, i);
        const char *t = rc_node_str(rc_node_get(c, "type"));
        if (t && !strcmp(t, type))
            return c;
    }
    rc_node none = {0};
    return none;
}

const char *rci_sim_condition_status(rc_node conds, const char *type)
{
    return rc_node_str(rc_node_get(rci_sim_condition(conds, type), "status"));
}

static bool set_str(cJSON *obj, const char *key, const char *value)
{
    cJSON *cur = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!value) {
        if (!cur)
            return false;
        cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
        return true;
    }
    if (cJSON_IsString(cur) && !strcmp(cur->valuestring, value))
        return false;
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    cJSON_AddStringToObject(obj, key, value);
    return true;
}

bool rci_sim_condition_set(cJSON *conds, const char *type, const char *status, const char *reason,
                       const char *message, rc_time now)
{
    cJSON *c;
    cJSON_ArrayForEach(c, conds)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "type");
        if (cJSON_IsString(t) && !strcmp(t->valuestring, type))
            break;
    }
    bool changed = false;
    if (!c) {
        c = cJSON_CreateObject();
        if (!c)
            return false;
        cJSON_AddStringToObject(c, "type", type);
        cJSON_AddItemToArray(conds, c);
        changed = true;
    }
    const cJSON *old = cJSON_GetObjectItemCaseSensitive(c, "status");
    if (changed || !cJSON_IsString(old) || strcmp(old->valuestring, status)) {
        char ts[RC_TIME_STRLEN];
        rc_time_format(now, ts, sizeof ts);
        set_str(c, "lastTransitionTime", ts);
        if (!cJSON_GetObjectItemCaseSensitive(c, "lastProbeTime"))
            cJSON_AddNullToObject(c, "lastProbeTime");
        changed = true;
    }
    changed |= set_str(c, "status", status);
    changed |= set_str(c, "reason", reason);
    changed |= set_str(c, "message", message);
    return changed;
}
