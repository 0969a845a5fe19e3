/* nodes.c - the simulator's nodes as API objects: creating them (capacity = allocatable, labels, zone,
 * pod CIDR, addresses, Ready), removing them, and the operator's levers (Ready/NotReady, cordon, taints).
 * Each lever is one write through the manager's client; the controllers react to it like on a real
 * cluster (node_lifecycle.c taints and evicts, the scheduler and kubelets follow). */
#include "sim/internal.h"

#include <reconcile/values.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_AUTO_CIDR_NODES (12u * 256u) /* 10.244.0.0 ... 10.255.255.0 */
#define WRITE_RETRIES 5

static cJSON *resources(const rc_sim_node_spec *spec)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "cpu", spec->cpu ? spec->cpu : "8");
    cJSON_AddStringToObject(r, "ephemeral-storage", "100Gi");
    cJSON_AddStringToObject(r, "memory", spec->memory ? spec->memory : "32Gi");
    cJSON_AddStringToObject(r, "pods", spec->pods ? spec->pods : "110");
    return r;
}

static void add_condition(cJSON *conds, const char *type, const char *status, const char *reason,
                          const char *message, const char *ts)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "type", type);
    cJSON_AddStringToObject(c, "status", status);
    cJSON_AddStringToObject(c, "reason", reason);
    cJSON_AddStringToObject(c, "message", message);
    cJSON_AddStringToObject(c, "lastHeartbeatTime", ts);
    cJSON_AddStringToObject(c, "lastTransitionTime", ts);
    cJSON_AddItemToArray(conds, c);
}

static void add_address(cJSON *addrs, const char *type, const char *address)
{
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "type", type);
    cJSON_AddStringToObject(a, "address", address);
    cJSON_AddItemToArray(addrs, a);
}

static cJSON *node_json(const rc_sim_node_spec *spec, size_t index, const char *cidr, rc_time now)
{
    char ts[RC_TIME_STRLEN], ip[32];
    rc_time_format(now, ts, sizeof ts);
    snprintf(ip, sizeof ip, "172.18.%u.%u", (unsigned)(index / 250 % 256), (unsigned)(2 + index % 250));
    cJSON *n = cJSON_CreateObject();
    cJSON_AddStringToObject(n, "apiVersion", "v1");
    cJSON_AddStringToObject(n, "kind", "Node");
    cJSON *meta = cJSON_AddObjectToObject(n, "metadata");
    cJSON_AddStringToObject(meta, "name", spec->name);
    cJSON *labels = cJSON_AddObjectToObject(meta, "labels");
    cJSON_AddStringToObject(labels, "kubernetes.io/arch", "amd64");
    cJSON_AddStringToObject(labels, "kubernetes.io/hostname", spec->name);
    cJSON_AddStringToObject(labels, "kubernetes.io/os", "linux");
    if (spec->zone)
        cJSON_AddStringToObject(labels, "topology.kubernetes.io/zone", spec->zone);
    for (const char *const *l = spec->labels; l && l[0] && l[1]; l += 2) {
        cJSON_DeleteItemFromObjectCaseSensitive(labels, l[0]);
        cJSON_AddStringToObject(labels, l[0], l[1]);
    }
    cJSON *sp = cJSON_AddObjectToObject(n, "spec");
    cJSON_AddStringToObject(sp, "podCIDR", cidr);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(sp, "podCIDRs"), cJSON_CreateString(cidr));
    cJSON *st = cJSON_AddObjectToObject(n, "status");
    cJSON_AddItemToObject(st, "capacity", resources(spec));
    cJSON_AddItemToObject(st, "allocatable", resources(spec));
    cJSON *conds = cJSON_AddArrayToObject(st, "conditions");
    add_condition(conds, "MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available", ts);
    add_condition(conds, "DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", ts);
    add_condition(conds, "PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available", ts);
    add_condition(conds, "Ready", "True", "KubeletReady", "kubelet is posting ready status", ts);
    cJSON *addrs = cJSON_AddArrayToObject(st, "addresses");
    add_address(addrs, "InternalIP", ip);
    add_address(addrs, "Hostname", spec->name);
    cJSON *info = cJSON_AddObjectToObject(st, "nodeInfo");
    cJSON_AddStringToObject(info, "architecture", "amd64");
    cJSON_AddStringToObject(info, "containerRuntimeVersion", "sim://1.0");
    cJSON_AddStringToObject(info, "kubeletVersion", "v1.29.0-rcsim");
    cJSON_AddStringToObject(info, "operatingSystem", "linux");
    return n;
}

int rc_sim_add_node(rc_sim *sim, const rc_sim_node_spec *spec, rc_error *err)
{
    if (!sim || !spec || !spec->name || !spec->name[0])
        return rc_error_set(err, RC_EINVAL, "node spec: name: Required value");
    pthread_mutex_lock(&sim->lock);
    size_t index = sim->nodes_added++;
    pthread_mutex_unlock(&sim->lock);
    char cidr[32];
    if (spec->pod_cidr)
        snprintf(cidr, sizeof cidr, "%s", spec->pod_cidr);
    else if (index < MAX_AUTO_CIDR_NODES)
        snprintf(cidr, sizeof cidr, "10.%zu.%zu.0/24", 244 + index / 256, index % 256);
    else
        return rc_error_set(err, RC_EINVAL, "node %s: no automatic pod CIDR left after %u nodes; set pod_cidr",
                            spec->name, MAX_AUTO_CIDR_NODES);
    cJSON *json = node_json(spec, index, cidr, rc_clock_now(rc_manager_clock(sim->mgr)));
    rc_object *node = json ? rc_object_new_draft(json) : NULL;
    if (!node) {
        cJSON_Delete(json);
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    int rc = rc_client_create(sim->client, "nodes", NULL, node, NULL, NULL, err);
    rc_object_unref(node);
    return rc;
}

int rc_sim_add_nodes(rc_sim *sim, const char *prefix, size_t n, size_t zones, rc_error *err)
{
    for (size_t i = 0; i < n; i++) {
        char name[128], zone[32];
        snprintf(name, sizeof name, "%s-%zu", prefix ? prefix : "node", i + 1);
        size_t z = zones ? i % zones : 0;
        if (z < 26)
            snprintf(zone, sizeof zone, "zone-%c", (char)('a' + z));
        else
            snprintf(zone, sizeof zone, "zone-%zu", z);
        rc_sim_node_spec spec = {.name = name, .zone = zones ? zone : NULL};
        int rc = rc_sim_add_node(sim, &spec, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int rc_sim_remove_node(rc_sim *sim, const char *name, rc_error *err)
{
    if (!sim || !name)
        return rc_error_set(err, RC_EINVAL, "node name: Required value");
    return rc_client_delete(sim->client, "nodes", NULL, name, NULL, NULL, err);
}

/* Read-modify-write of a node with conflict retries; mutate edits the draft (false: nothing to do). */
static int modify_node(rc_sim *sim, const char *name, bool status, bool (*mutate)(void *arg, cJSON *node),
                       void *arg, rc_error *err)
{
    if (!sim || !name)
        return rc_error_set(err, RC_EINVAL, "node name: Required value");
    int rc = 0;
    for (int attempt = 0; attempt < WRITE_RETRIES; attempt++) {
        rc_object *cur = NULL;
        rc = rc_client_get(sim->client, "nodes", NULL, name, &cur, err);
        if (rc != 0)
            return rc;
        rc_object *draft = rc_object_copy(cur);
        rc_object_unref(cur);
        if (!draft)
            return rc_error_set(err, RC_ENOMEM, "out of memory");
        if (!mutate(arg, rc_object_json_mut(draft))) {
            rc_object_unref(draft);
            return 0;
        }
        rc = status ? rc_client_update_status(sim->client, "nodes", NULL, draft, NULL, NULL, err)
                    : rc_client_update(sim->client, "nodes", NULL, draft, NULL, NULL, err);
        rc_object_unref(draft);
        if (rc != RC_ECONFLICT)
            return rc;
        rc_error_clear(err);
    }
    return rc_error_set(err, RC_ECONFLICT, "node %s: too many conflicting writes", name);
}

static cJSON *member(cJSON *parent, const char *key, bool array)
{
    cJSON *m = cJSON_GetObjectItemCaseSensitive(parent, key);
    if (array ? cJSON_IsArray(m) : cJSON_IsObject(m))
        return m;
    cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
    return array ? cJSON_AddArrayToObject(parent, key) : cJSON_AddObjectToObject(parent, key);
}

typedef struct ready_arg {
    bool ready;
    rc_time now;
} ready_arg;

static bool set_ready(void *arg, cJSON *node)
{
    const ready_arg *r = arg;
    cJSON *conds = member(member(node, "status", false), "conditions", true);
    return rci_sim_condition_set(conds, "Ready", r->ready ? "True" : "False",
                             r->ready ? "KubeletReady" : "KubeletNotReady",
                             r->ready ? "kubelet is posting ready status" : "kubelet stopped posting node status",
                             r->now);
}

int rc_sim_set_node_ready(rc_sim *sim, const char *name, bool ready, rc_error *err)
{
    ready_arg r = {ready, sim ? rc_clock_now(rc_manager_clock(sim->mgr)) : 0};
    return modify_node(sim, name, true, set_ready, &r, err);
}

typedef struct taint_arg {
    const char *key, *value, *effect;
    bool add;
    rc_time now;
} taint_arg;

static bool taint_is(const cJSON *t, const char *key, const char *effect)
{
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(t, "key"), *e = cJSON_GetObjectItemCaseSensitive(t, "effect");
    return cJSON_IsString(k) && !strcmp(k->valuestring, key) &&
           (!effect || (cJSON_IsString(e) && !strcmp(e->valuestring, effect)));
}

static bool edit_taint(void *arg, cJSON *node)
{
    const taint_arg *a = arg;
    cJSON *spec = member(node, "spec", false);
    cJSON *taints = member(spec, "taints", true);
    bool changed = false;
    for (cJSON *t = taints->child, *next; t; t = next) {
        next = t->next;
        if (taint_is(t, a->key, a->effect)) {
            cJSON_Delete(cJSON_DetachItemViaPointer(taints, t));
            changed = true;
        }
    }
    if (a->add) {
        char ts[RC_TIME_STRLEN];
        rc_time_format(a->now, ts, sizeof ts);
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "key", a->key);
        if (a->value)
            cJSON_AddStringToObject(t, "value", a->value);
        cJSON_AddStringToObject(t, "effect", a->effect);
        cJSON_AddStringToObject(t, "timeAdded", ts);
        cJSON_AddItemToArray(taints, t);
        changed = true;
    }
    if (!cJSON_GetArraySize(taints))
        cJSON_DeleteItemFromObjectCaseSensitive(spec, "taints");
    return changed;
}

static bool valid_effect(const char *e)
{
    return e && (!strcmp(e, "NoSchedule") || !strcmp(e, "PreferNoSchedule") || !strcmp(e, "NoExecute"));
}

int rc_sim_taint(rc_sim *sim, const char *name, const char *key, const char *value, const char *effect,
                 rc_error *err)
{
    if (!key || !key[0])
        return rc_error_set(err, RC_EINVAL, "taint key: Required value");
    if (!valid_effect(effect))
        return rc_error_set(err, RC_EINVAL, "taint effect: Unsupported value: \"%s\": supported values: "
                            "\"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"", effect ? effect : "");
    taint_arg a = {key, value, effect, true, sim ? rc_clock_now(rc_manager_clock(sim->mgr)) : 0};
    return modify_node(sim, name, false, edit_taint, &a, err);
}

int rc_sim_untaint(rc_sim *sim, const char *name, const char *key, const char *effect, rc_error *err)
{
    if (!key || !key[0])
        return rc_error_set(err, RC_EINVAL, "taint key: Required value");
    taint_arg a = {key, NULL, effect, false, 0};
    return modify_node(sim, name, false, edit_taint, &a, err);
}

typedef struct cordon_arg {
    bool on;
    rc_time now;
} cordon_arg;

static bool set_cordon(void *arg, cJSON *node)
{
    const cordon_arg *c = arg;
    cJSON *spec = member(node, "spec", false);
    const cJSON *cur = cJSON_GetObjectItemCaseSensitive(spec, "unschedulable");
    bool changed = cJSON_IsTrue(cur) != c->on;
    cJSON_DeleteItemFromObjectCaseSensitive(spec, "unschedulable");
    if (c->on)
        cJSON_AddBoolToObject(spec, "unschedulable", true);
    taint_arg t = {RCI_SIM_TAINT_UNSCHEDULABLE, NULL, "NoSchedule", c->on, c->now};
    const cJSON *taints = cJSON_GetObjectItemCaseSensitive(spec, "taints");
    bool has = false;
    for (const cJSON *x = cJSON_IsArray(taints) ? taints->child : NULL; x; x = x->next)
        has |= taint_is(x, t.key, t.effect);
    if (has != c->on)
        changed |= edit_taint(&t, node);
    return changed;
}

int rc_sim_cordon(rc_sim *sim, const char *name, bool unschedulable, rc_error *err)
{
    cordon_arg c = {unschedulable, sim ? rc_clock_now(rc_manager_clock(sim->mgr)) : 0};
    return modify_node(sim, name, false, set_cordon, &c, err);
}
