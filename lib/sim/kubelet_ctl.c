/* kubelet_ctl.c - the simulated kubelets as one controller over bound pods: for each pod it runs the
 * state machine of kubelet.c, writes the status it gives, deletes the pod once terminated when it is
 * being deleted, and asks to be called again when the next transition is due. Pod IPs come from the node's
 * spec.podCIDR (host-local style: sequential, next-fit, released when the pod goes). A node whose Ready
 * condition is not True has a stopped kubelet: its pods are left as they are until it comes back. Writes go
 * out as the pod's node (system:node:<node>, see identity.c) and the plan's events are recorded with the
 * node's recorder (source kubelet, host the node) after the status write succeeds. */
#include "sim/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/map.h"

/* Addresses of one node's pod CIDR. */
typedef struct ipam {
    char *node;
    uint32_t base, size, next;
    uint8_t *used; /* bitmap of size bits */
} ipam;

typedef struct lease {
    char *uid;
    ipam *pool;
    uint32_t offset;
} lease;

typedef struct kubelet {
    rc_sim *sim;
    rc_store *pods; /* the manager's pod cache (borrowed) */
    rc_client *as;  /* the routing client of the node identities (reference) */
    rci_sim_kubelets *nodes; /* lives with `as` */
    pthread_mutex_t lock;
    rci_map pools;  /* node name -> ipam */
    rci_map leases; /* pod uid -> lease */
} kubelet;

static bool parse_cidr(const char *cidr, uint32_t *base, uint32_t *size)
{
    unsigned a, b, c, d, p;
    char tail;
    if (!cidr || sscanf(cidr, "%u.%u.%u.%u/%u%c", &a, &b, &c, &d, &p, &tail) != 5 || a > 255 || b > 255 ||
        c > 255 || d > 255 || p < 16 || p > 30)
        return false;
    *size = 1u << (32 - p);
    *base = ((a << 24) | (b << 16) | (c << 8) | d) & ~(*size - 1);
    return true;
}

static ipam *pool_for(kubelet *k, const rc_object *node)
{
    const char *name = rc_object_name(node);
    ipam *p = rci_map_get(&k->pools, name);
    if (p)
        return p;
    uint32_t base, size;
    if (!parse_cidr(rc_object_get_str(node, "spec.podCIDR"), &base, &size))
        return NULL;
    p = calloc(1, sizeof *p);
    if (!p || !(p->node = strdup(name)) || !(p->used = calloc(size / 8, 1)) ||
        rci_map_put(&k->pools, p->node, p, NULL)) {
        if (p) {
            free(p->node);
            free(p->used);
        }
        free(p);
        return NULL;
    }
    p->base = base;
    p->size = size;
    p->next = 2; /* .0 is the network, .1 the node's bridge */
    return p;
}

/* Leases the next free address of the node's CIDR to uid; false when the CIDR is full. */
static bool lease_ip(kubelet *k, const rc_object *node, const char *uid, char *buf, size_t cap)
{
    ipam *p = pool_for(k, node);
    if (!p || !uid)
        return false;
    lease *l = rci_map_get(&k->leases, uid);
    if (!l) {
        uint32_t usable = p->size - 3, off = 0;
        for (uint32_t i = 0; i < usable; i++) {
            uint32_t o = 2 + (p->next - 2 + i) % usable;
            if (!(p->used[o / 8] & (1u << (o % 8)))) {
                off = o;
                break;
            }
        }
        if (!off || !(l = calloc(1, sizeof *l)) || !(l->uid = strdup(uid)) ||
            rci_map_put(&k->leases, l->uid, l, NULL)) {
            if (l)
                free(l->uid);
            free(l);
            return false;
        }
        l->pool = p;
        l->offset = off;
        p->used[off / 8] |= (uint8_t)(1u << (off % 8));
        p->next = off + 1 < p->size - 1 ? off + 1 : 2;
    }
    uint32_t a = l->pool->base + l->offset;
    snprintf(buf, cap, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
    return true;
}

static void release_ip(kubelet *k, const char *uid)
{
    lease *l = uid ? rci_map_remove(&k->leases, uid) : NULL;
    if (!l)
        return;
    l->pool->used[l->offset / 8] &= (uint8_t) ~(1u << (l->offset % 8));
    free(l->uid);
    free(l);
}

static void on_pod(void *ctx, rc_change_type type, const rc_object *old, const rc_object *obj)
{
    (void)old;
    kubelet *k = ctx;
    if (type != RC_CHANGE_DELETE)
        return;
    pthread_mutex_lock(&k->lock);
    release_ip(k, rc_object_uid(obj));
    pthread_mutex_unlock(&k->lock);
}

static const char *internal_ip(const rc_object *node)
{
    rc_node addrs = rc_object_at(node, "status.addresses");
    for (size_t i = 0; i < rc_node_len(addrs); i++) {
        rc_node a = rc_node_index(addrs, i);
        const char *t = rc_node_str(rc_node_get(a, "type"));
        if (t && !strcmp(t, "InternalIP"))
            return rc_node_str(rc_node_get(a, "address"));
    }
    return NULL;
}

static bool node_ready(const rc_object *node)
{
    const char *s = rci_sim_condition_status(rc_object_at(node, "status.conditions"), "Ready");
    return s && !strcmp(s, "True");
}

static bool is_bound(void *ctx, rc_change_type type, const rc_object *old, const rc_object *obj)
{
    (void)ctx;
    (void)type;
    (void)old;
    const char *node = rc_object_get_str(obj, "spec.nodeName");
    return node && node[0];
}

/* Map function for nodes: a node whose readiness changed resumes (or stops) its pods. */
static void node_pods(void *ctx, const rc_object *node, rc_keys *out)
{
    kubelet *k = ctx;
    char **keys = NULL;
    size_t n = 0;
    if (rc_store_index_keys(k->pods, RCI_SIM_NODE_INDEX, rc_object_name(node), &keys, &n, NULL) != 0)
        return;
    for (size_t i = 0; i < n; i++)
        rc_keys_add(out, keys[i]);
    free(keys);
}

static bool readiness_changed(void *ctx, rc_change_type type, const rc_object *old, const rc_object *obj)
{
    (void)ctx;
    return type == RC_CHANGE_UPDATE && old && node_ready(old) != node_ready(obj);
}

/* The draft of a status write for pod: its metadata and the status taken (a status write takes nothing
 * else from its body, so the spec is not copied). NULL when memory runs out. */
static rc_object *status_draft(const rc_object *pod, cJSON *status)
{
    rc_node meta = rc_object_at(pod, "metadata");
    cJSON *tree = cJSON_CreateObject(), *m = rc_node_exists(meta) ? rc_node_to_cjson(meta) : NULL;
    bool ok = tree && (!rc_node_exists(meta) || (m && cJSON_AddItemToObject(tree, "metadata", m)));
    if (!ok)
        cJSON_Delete(m);
    ok = ok && (!status || cJSON_AddItemToObject(tree, "status", status));
    if (!ok)
        cJSON_Delete(status);
    rc_object *d = ok ? rc_object_new_draft(tree) : NULL;
    if (!d)
        cJSON_Delete(tree);
    return d;
}

static int write_status(rc_reconcile_ctx *ctx, const rc_object *pod, rci_sim_kubelet_plan *plan, rc_error *err)
{
    rc_object *draft = status_draft(pod, plan->status);
    plan->status = NULL;
    if (!draft)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    return rc_client_update_status_owned(rc_ctx_client(ctx), "pods", rc_object_namespace(pod), draft, NULL, NULL,
                                         err);
}

static int remove_pod(rc_reconcile_ctx *ctx, const rc_object *pod, rc_error *err)
{
    rc_delete_options opts = RC_DELETE_OPTIONS_INIT;
    opts.grace_period_seconds = 0;
    opts.precondition_uid = rc_object_uid(pod);
    int rc = rc_client_delete(rc_ctx_client(ctx), "pods", rc_object_namespace(pod), rc_object_name(pod), &opts,
                              NULL, err);
    if (rc == RC_ENOTFOUND || rc == RC_ECONFLICT) { /* already gone, or a new pod with that name */
        rc_error_clear(err);
        return 0;
    }
    return rc;
}

static void record_events(kubelet *k, const char *node, const rc_object *pod, const rci_sim_kubelet_plan *plan)
{
    rc_recorder *r = plan->nevents ? rci_sim_kubelets_recorder(k->nodes, node) : NULL;
    for (size_t i = 0; r && i < plan->nevents; i++)
        rc_recorder_event(r, pod, plan->events[i].type, plan->events[i].reason, NULL, "%s", plan->events[i].message);
}

static rc_result reconcile(void *self, rc_reconcile_ctx *ctx, const char *key)
{
    kubelet *k = self;
    rc_object *pod = NULL, *node = NULL;
    rc_error err = {0};
    int rc = rc_ctx_get_key(ctx, "pods", key, &pod, &err);
    if (rc == RC_ENOTFOUND) {
        rc_error_clear(&err);
        return rc_result_done();
    }
    if (rc != 0)
        return rc_result_from_error(ctx, &err);
    rc_result res = rc_result_done();
    const char *node_name = rc_object_get_str(pod, "spec.nodeName");
    if (!node_name || !node_name[0] || rc_ctx_get(ctx, "nodes", NULL, node_name, &node, NULL) != 0 ||
        !node_ready(node))
        goto out;
    rci_sim_kubelets_enter(node_name);
    char ip[20] = "";
    bool admitted = rc_node_exists(rc_object_at(pod, "status.startTime"));
    if (!admitted && !rci_sim_pod_is_terminal(pod)) {
        pthread_mutex_lock(&k->lock);
        bool ok = lease_ip(k, node, rc_object_uid(pod), ip, sizeof ip);
        pthread_mutex_unlock(&k->lock);
        if (!ok)
            rc_ctx_log(ctx, RC_LOG_WARN, "no free address in the pod CIDR of node %s", node_name);
    }
    rci_sim_kubelet_config cfg = {k->sim->image_pull, k->sim->batch_run};
    rc_time now = rc_ctx_now(ctx);
    rci_sim_kubelet_plan plan;
    rc = rci_sim_kubelet_plan_pod(pod, &cfg, now, ip[0] ? ip : NULL, internal_ip(node), &plan, &err);
    if (rc == 0 && plan.status)
        rc = write_status(ctx, pod, &plan, &err);
    if (rc == 0 && k->sim->events)
        record_events(k, node_name, pod, &plan);
    if (rc == 0 && plan.action == RCI_SIM_KUBELET_STATUS_DELETE)
        rc = remove_pod(ctx, pod, &err);
    rci_sim_kubelet_plan_clear(&plan);
    if (rc == RC_ENOTFOUND) {
        rc_error_clear(&err);
    } else if (rc != 0) {
        res = rc_result_from_error(ctx, &err);
    } else if (plan.next != RC_TIME_NEVER) {
        res = rc_result_requeue_after(plan.next > now ? plan.next - now : 0);
    }
out:
    rci_sim_kubelets_enter(NULL);
    rc_object_unref(node);
    rc_object_unref(pod);
    return res;
}

static int setup(void *self, rc_builder *b, rc_error *err)
{
    kubelet *k = self;
    rc_watch_options bound = {.filter = is_bound, .skip_own_writes = true};
    rc_watch_options readiness = {.filter = readiness_changed};
    int rc = rc_builder_for(b, "pods", &bound, err);
    if (rc == 0)
        rc = rc_builder_index(b, "pods", RCI_SIM_NODE_INDEX, rci_sim_index_node_name, NULL, err);
    if (rc == 0)
        rc = rc_builder_watches(b, "nodes", node_pods, k, &readiness, err);
    return rc;
}

static void destroy(void *self)
{
    kubelet *k = self;
    const rci_map_entry *e;
    for (size_t i = 0; rci_map_next(&k->leases, &i, &e);) {
        lease *l = e->value;
        free(l->uid);
        free(l);
    }
    for (size_t i = 0; rci_map_next(&k->pools, &i, &e);) {
        ipam *p = e->value;
        free(p->node);
        free(p->used);
        free(p);
    }
    rci_map_free(&k->leases);
    rci_map_free(&k->pools);
    pthread_mutex_destroy(&k->lock);
    rc_client_unref(k->as);
    rci_sim_unref(k->sim);
    free(k);
}

static const rc_controller_ops kubelet_ops = {"kubelet", setup, reconcile, destroy};

int rci_sim_add_kubelet(rc_sim *sim, rc_error *err)
{
    kubelet *k = calloc(1, sizeof *k);
    if (!k)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    k->sim = sim;
    rci_sim_ref(sim);
    pthread_mutex_init(&k->lock, NULL);
    rci_map_init(&k->pools);
    rci_map_init(&k->leases);
    k->pods = rc_manager_cache(sim->mgr, "pods", err);
    if (!k->pods) {
        destroy(k);
        return err ? err->code : RC_EINTERNAL;
    }
    if (!(k->as = rci_sim_kubelets_new(sim, &k->nodes))) {
        destroy(k);
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    rc_controller_options o = {.client = k->as};
    int rc = rc_manager_add_controller(sim->mgr, &kubelet_ops, k, &o, err);
    if (rc == 0)
        rc = rc_manager_on_change(sim->mgr, "pods", on_pod, k, err);
    return rc;
}
