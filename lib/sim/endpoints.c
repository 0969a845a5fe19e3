/* endpoints.c - the Endpoints controller: for every Service with a selector it keeps an Endpoints object
 * of the same name listing the IPs of the pods the selector matches - ready ones under addresses, the
 * others under notReadyAddresses (or all under addresses with publishNotReadyAddresses) - with the
 * hostname of pods whose spec.subdomain names the Service (the records DNS serves for StatefulSet pods),
 * and the Service ports with named target ports resolved per pod. */
#include "sim/internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct endpoints_ctl {
    rc_sim *sim;
    rc_store *services; /* the manager's cache (borrowed) */
} endpoints_ctl;

/* The Service's spec.selector (a map) matches the pod's labels; an empty or absent selector matches
 * nothing here (such Services have hand-written Endpoints). */
static bool selects(const rc_object *svc, const rc_object *pod)
{
    rc_node sel = rc_object_at(svc, "spec.selector");
    if (!rc_node_len(sel))
        return false;
    for (size_t i = 0; i < rc_node_len(sel); i++) {
        const char *want = rc_node_str(rc_node_value_at(sel, i));
        const char *have = rc_object_label(pod, rc_node_key_at(sel, i));
        if (!want || !have || strcmp(want, have))
            return false;
    }
    return true;
}

/* The container port a Service port's targetPort names in pod (a number as is, a name looked up). */
static int64_t target_port(rc_node port, const rc_object *pod)
{
    rc_node target = rc_node_get(port, "targetPort");
    if (rc_node_kind(target) == RC_NODE_NUMBER)
        return rc_node_int(target, 0);
    const char *name = rc_node_str(target);
    if (!name)
        return rc_node_int(rc_node_get(port, "port"), 0);
    rc_node cs = rc_object_at(pod, "spec.containers");
    for (size_t i = 0; i < rc_node_len(cs); i++) {
        rc_node ports = rc_node_get(rc_node_index(cs, i), "ports");
        for (size_t j = 0; j < rc_node_len(ports); j++) {
            const char *n = rc_node_str(rc_node_get(rc_node_index(ports, j), "name"));
            if (n && !strcmp(n, name))
                return rc_node_int(rc_node_get(rc_node_index(ports, j), "containerPort"), 0);
        }
    }
    return -1;
}

static cJSON *ports_for(const rc_object *svc, const rc_object *pod)
{
    cJSON *out = cJSON_CreateArray();
    rc_node ports = rc_object_at(svc, "spec.ports");
    for (size_t i = 0; out && i < rc_node_len(ports); i++) {
        rc_node p = rc_node_index(ports, i);
        int64_t tp = target_port(p, pod);
        if (tp <= 0)
            continue;
        cJSON *e = cJSON_CreateObject();
        const char *name = rc_node_str(rc_node_get(p, "name"));
        const char *proto = rc_node_str(rc_node_get(p, "protocol"));
        if (name && name[0])
            cJSON_AddStringToObject(e, "name", name);
        cJSON_AddNumberToObject(e, "port", (double)tp);
        cJSON_AddStringToObject(e, "protocol", proto ? proto : "TCP");
        cJSON_AddItemToArray(out, e);
    }
    return out;
}

static cJSON *address_for(const rc_object *svc, const rc_object *pod, const char *ip)
{
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "ip", ip);
    const char *host = rc_object_get_str(pod, "spec.hostname");
    const char *sub = rc_object_get_str(pod, "spec.subdomain");
    if (host && host[0] && sub && !strcmp(sub, rc_object_name(svc)))
        cJSON_AddStringToObject(a, "hostname", host);
    const char *node = rc_object_get_str(pod, "spec.nodeName");
    if (node && node[0])
        cJSON_AddStringToObject(a, "nodeName", node);
    cJSON *ref = cJSON_AddObjectToObject(a, "targetRef");
    cJSON_AddStringToObject(ref, "kind", "Pod");
    cJSON_AddStringToObject(ref, "namespace", rc_object_namespace(pod));
    cJSON_AddStringToObject(ref, "name", rc_object_name(pod));
    if (rc_object_uid(pod))
        cJSON_AddStringToObject(ref, "uid", rc_object_uid(pod));
    return a;
}

/* The subset whose ports equal ports (taking ports), created when missing. */
static cJSON *subset_for(cJSON *subsets, cJSON *ports)
{
    cJSON *s;
    cJSON_ArrayForEach(s, subsets)
    {
        if (cJSON_Compare(cJSON_GetObjectItemCaseSensitive(s, "ports"), ports, true)) {
            cJSON_Delete(ports);
            return s;
        }
    }
    s = cJSON_CreateObject();
    cJSON_AddItemToArray(subsets, s);
    cJSON_AddItemToObject(s, "ports", ports);
    return s;
}

static uint32_t ip_value(const cJSON *addr)
{
    const cJSON *ip = cJSON_GetObjectItemCaseSensitive(addr, "ip");
    struct in_addr a;
    return cJSON_IsString(ip) && inet_pton(AF_INET, ip->valuestring, &a) == 1 ? ntohl(a.s_addr) : 0;
}

static int cmp_addr(const void *a, const void *b)
{
    uint32_t x = ip_value(*(cJSON *const *)a), y = ip_value(*(cJSON *const *)b);
    return x < y ? -1 : x > y;
}

/* Sorts an array of addresses by IP (rebuilding the array's links). */
static void sort_addresses(cJSON *arr)
{
    size_t n = (size_t)cJSON_GetArraySize(arr);
    if (n < 2)
        return;
    cJSON **v = malloc(n * sizeof *v);
    if (!v)
        return;
    size_t i = 0;
    while (arr->child)
        v[i++] = cJSON_DetachItemViaPointer(arr, arr->child);
    qsort(v, n, sizeof *v, cmp_addr);
    for (i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, v[i]);
    free(v);
}

cJSON *rci_sim_endpoints_build(const rc_object *svc, rc_object *const *pods, size_t npods)
{
    cJSON *ep = cJSON_CreateObject();
    if (!ep)
        return NULL;
    cJSON_AddStringToObject(ep, "apiVersion", "v1");
    cJSON_AddStringToObject(ep, "kind", "Endpoints");
    cJSON *meta = cJSON_AddObjectToObject(ep, "metadata");
    cJSON_AddStringToObject(meta, "name", rc_object_name(svc));
    cJSON_AddStringToObject(meta, "namespace", rc_object_namespace(svc));
    cJSON *subsets = cJSON_CreateArray();
    bool publish_all = rc_object_get_bool(svc, "spec.publishNotReadyAddresses", false);
    for (size_t i = 0; i < npods; i++) {
        const rc_object *pod = pods[i];
        const char *ip = rc_object_get_str(pod, "status.podIP");
        if (!ip || !ip[0] || rc_object_deletion_timestamp(pod) || rci_sim_pod_is_terminal(pod) || !selects(svc, pod))
            continue;
        const char *ready = rci_sim_condition_status(rc_object_at(pod, "status.conditions"), "Ready");
        bool is_ready = publish_all || (ready && !strcmp(ready, "True"));
        cJSON *s = subset_for(subsets, ports_for(svc, pod));
        const char *member = is_ready ? "addresses" : "notReadyAddresses";
        cJSON *arr = cJSON_GetObjectItemCaseSensitive(s, member);
        if (!arr)
            arr = cJSON_AddArrayToObject(s, member);
        cJSON_AddItemToArray(arr, address_for(svc, pod, ip));
    }
    cJSON *s;
    cJSON_ArrayForEach(s, subsets)
    {
        sort_addresses(cJSON_GetObjectItemCaseSensitive(s, "addresses"));
        sort_addresses(cJSON_GetObjectItemCaseSensitive(s, "notReadyAddresses"));
        /* ports last, as upstream prints them */
        cJSON *ports = cJSON_DetachItemFromObjectCaseSensitive(s, "ports");
        if (cJSON_GetArraySize(ports))
            cJSON_AddItemToObject(s, "ports", ports);
        else
            cJSON_Delete(ports);
    }
    if (cJSON_GetArraySize(subsets))
        cJSON_AddItemToObject(ep, "subsets", subsets);
    else
        cJSON_Delete(subsets);
    return ep;
}

/* ---- the controller ---- */

typedef struct pod_match {
    const rc_object *pod;
    rc_keys *out;
} pod_match;

static bool add_if_selects(void *ctx, rc_object *svc)
{
    pod_match *m = ctx;
    if (selects(svc, m->pod))
        rc_keys_add(m->out, rc_object_key(svc));
    return true;
}

/* Map function: the Services in the pod's namespace whose selector matches it. */
static void services_of_pod(void *ctx, const rc_object *pod, rc_keys *out)
{
    endpoints_ctl *e = ctx;
    pod_match m = {pod, out};
    rc_store_index_foreach(e->services, RC_INDEX_NAMESPACE, rc_object_namespace(pod), add_if_selects, &m);
}

static int mutate(void *arg, rc_object *draft, rc_error *err)
{
    const cJSON *want = arg;
    const cJSON *subsets = cJSON_GetObjectItemCaseSensitive(want, "subsets");
    if (!subsets)
        return rc_object_remove(draft, "subsets");
    cJSON *copy = cJSON_Duplicate(subsets, true);
    if (!copy)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    return rc_object_set_json(draft, "subsets", copy);
}

static rc_result reconcile(void *self, rc_reconcile_ctx *ctx, const char *key)
{
    (void)self;
    rc_object *svc = NULL;
    rc_error err = {0};
    const char *ns, *name;
    size_t ns_len;
    if (rc_key_split(key, &ns, &ns_len, &name) != 0)
        return rc_result_done();
    char nsbuf[256];
    snprintf(nsbuf, sizeof nsbuf, "%.*s", (int)ns_len, ns);
    int rc = rc_ctx_get_key(ctx, "services", key, &svc, &err);
    if (rc == RC_ENOTFOUND) {
        rc_error_clear(&err);
        rc = rc_client_delete(rc_ctx_client(ctx), "endpoints", nsbuf, name, NULL, NULL, &err);
        if (rc == RC_ENOTFOUND)
            rc_error_clear(&err);
        return rc == 0 || rc == RC_ENOTFOUND ? rc_result_done() : rc_result_from_error(ctx, &err);
    }
    if (rc != 0)
        return rc_result_from_error(ctx, &err);
    rc_result res = rc_result_done();
    if (!rc_node_len(rc_object_at(svc, "spec.selector"))) {
        rc_object_unref(svc);
        return res;
    }
    rc_object_list pods;
    rc_object_list_init(&pods);
    rc = rc_ctx_list(ctx, "pods", nsbuf, NULL, &pods, &err);
    cJSON *want = rc == 0 ? rci_sim_endpoints_build(svc, pods.items, pods.count) : NULL;
    if (rc == 0 && !want)
        rc = rc_error_set(&err, RC_ENOMEM, "out of memory");
    if (rc == 0)
        rc = rc_create_or_update(ctx, "endpoints", nsbuf, name, mutate, want, NULL, NULL, &err);
    if (rc != 0)
        res = rc_result_from_error(ctx, &err);
    cJSON_Delete(want);
    rc_object_list_clear(&pods);
    rc_object_unref(svc);
    return res;
}

static int setup(void *self, rc_builder *b, rc_error *err)
{
    int rc = rc_builder_for(b, "services", NULL, err);
    if (rc == 0)
        rc = rc_builder_watches(b, "pods", services_of_pod, self, NULL, err);
    if (rc == 0)
        rc = rc_builder_reads(b, "endpoints", err);
    return rc;
}

static void destroy(void *self)
{
    endpoints_ctl *e = self;
    rci_sim_unref(e->sim);
    free(e);
}

static const rc_controller_ops endpoints_ops = {"endpoints", setup, reconcile, destroy};

int rci_sim_add_endpoints(rc_sim *sim, rc_error *err)
{
    endpoints_ctl *e = calloc(1, sizeof *e);
    if (!e)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    e->sim = sim;
    rci_sim_ref(sim);
    e->services = rc_manager_cache(sim->mgr, "services", err);
    if (!e->services) {
        destroy(e);
        return err ? err->code : RC_EINTERNAL;
    }
    return rci_sim_add_controller(sim, &endpoints_ops, e,
                                  rci_sim_client_as(sim, RC_SIM_SA_USER(RC_SIM_SA_ENDPOINT_CONTROLLER), NULL), err);
}
