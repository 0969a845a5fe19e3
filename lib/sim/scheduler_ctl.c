/* scheduler_ctl.c - the simulated kube-scheduler as a controller: it keeps a table of nodes (allocatable
 * and the requests of the pods bound to each, kept current from node and pod changes) and, for each
 * pending pod without spec.nodeName, filters every node, scores the survivors (least allocated; ties go
 * to the first node by name) and posts a Binding. A Binding that fails for any reason but the pod being
 * gone (an injected 500/429, a conflict) drops the assumption and retries the pod with the rate limiter's
 * back-off, as upstream's scheduling queue does. When nothing fits it sets PodScheduled=False reason
 * Unschedulable with upstream's message, and retries the pod when nodes change or bound pods go away. */
#include "sim/internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/map.h"
#include "util/strbuf.h"

typedef struct accounted {
    char *key;
    char *node;
    rci_sim_pod_req req;
    bool assumed; /* bound by us, not yet seen bound in the cache */
} accounted;

typedef struct scheduler {
    rc_sim *sim;
    rc_store *node_cache; /* the manager's (borrowed) */
    rc_recorder *recorder; /* source default-scheduler; NULL when events are off */
    uint64_t pass;        /* refresh pass counter */
    bool nodes_changed;   /* the node cache changed since the last refresh */
    pthread_mutex_t lock;
    rci_sim_sched_node *nodes; /* sorted by name */
    size_t nnodes, cap;
    rci_map pods;          /* pod key -> accounted: pods counted on a node */
    rci_map unschedulable; /* pod key (owned) -> itself: pods waiting for the cluster to change */
} scheduler;

/* ---- the node table ---- */

static size_t node_pos(const scheduler *s, const char *name, bool *found)
{
    size_t lo = 0, hi = s->nnodes;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(s->nodes[mid].name, name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static rci_sim_sched_node *node_get(scheduler *s, const char *name)
{
    bool found;
    size_t i = node_pos(s, name, &found);
    return found ? &s->nodes[i] : NULL;
}

/* The node's entry, added or refreshed; NULL when memory runs out. */
static rci_sim_sched_node *node_upsert(scheduler *s, rc_object *node)
{
    bool found;
    size_t i = node_pos(s, rc_object_name(node), &found);
    if (found && s->nodes[i].node == node)
        return &s->nodes[i];
    if (!found) {
        if (s->nnodes == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 16;
            rci_sim_sched_node *n = realloc(s->nodes, cap * sizeof *n);
            if (!n)
                return NULL;
            s->nodes = n;
            s->cap = cap;
        }
        memmove(&s->nodes[i + 1], &s->nodes[i], (s->nnodes - i) * sizeof *s->nodes);
        memset(&s->nodes[i], 0, sizeof s->nodes[i]);
        s->nnodes++;
    }
    rci_sim_sched_node_set(&s->nodes[i], node);
    return &s->nodes[i];
}

static bool refresh_node(void *ctx, rc_object *node)
{
    scheduler *s = ctx;
    rci_sim_sched_node *n = node_upsert(s, node);
    if (n)
        n->mark = s->pass;
    return true;
}

/* Brings the table in line with the node cache when a node changed since the last call (then a pointer
 * compare per unchanged node). Called with the lock held. */
static void refresh_nodes(scheduler *s)
{
    if (!s->nodes_changed)
        return;
    s->nodes_changed = false;
    s->pass++;
    rc_store_foreach(s->node_cache, refresh_node, s);
    size_t kept = 0;
    for (size_t i = 0; i < s->nnodes; i++) {
        if (s->nodes[i].mark == s->pass)
            s->nodes[kept++] = s->nodes[i];
        else
            rc_object_unref(s->nodes[i].node);
    }
    s->nnodes = kept;
}

/* ---- accounting of bound pods ---- */

static void charge(scheduler *s, const char *node, const rci_sim_pod_req *r, int sign)
{
    rci_sim_sched_node *n = node_get(s, node);
    if (!n)
        return;
    n->req_mcpu += sign * r->mcpu;
    n->req_mem += sign * r->mem;
    n->score_mcpu += sign * r->score_mcpu;
    n->score_mem += sign * r->score_mem;
    n->req_pods += sign;
}

static void uncount(scheduler *s, const char *key)
{
    accounted *a = rci_map_remove(&s->pods, key);
    if (!a)
        return;
    charge(s, a->node, &a->req, -1);
    free(a->key);
    free(a->node);
    free(a);
}

/* Counts pod on node (replacing what was counted for it); assumed: we just bound it. */
static void count(scheduler *s, const char *key, const char *node, const rci_sim_pod_req *req, bool assumed)
{
    accounted *a = rci_map_get(&s->pods, key);
    if (a && !strcmp(a->node, node)) {
        a->assumed &= assumed;
        return;
    }
    uncount(s, key);
    a = calloc(1, sizeof *a);
    if (!a || !(a->key = strdup(key)) || !(a->node = strdup(node)) || rci_map_put(&s->pods, a->key, a, NULL)) {
        if (a) {
            free(a->key);
            free(a->node);
        }
        free(a);
        return;
    }
    a->req = *req;
    a->assumed = assumed;
    charge(s, node, req, 1);
}

/* Drops the assumption made for key when its Binding failed; a binding the cache already confirmed (the
 * pod was bound meanwhile) stays counted. */
static void forget_assumed(scheduler *s, const char *key)
{
    accounted *a = rci_map_get(&s->pods, key);
    if (a && a->assumed)
        uncount(s, key);
}

static void mark_unschedulable(scheduler *s, const char *key, bool on)
{
    char *k = rci_map_get(&s->unschedulable, key);
    if (on && !k && (k = strdup(key)) && rci_map_put(&s->unschedulable, k, k, NULL))
        free(k);
    if (!on && k) {
        rci_map_remove(&s->unschedulable, key);
        free(k);
    }
}

static void on_pod(void *ctx, rc_change_type type, const rc_object *old, const rc_object *obj)
{
    (void)old;
    scheduler *s = ctx;
    const char *node = rc_object_get_str(obj, "spec.nodeName");
    const char *key = rc_object_key(obj);
    pthread_mutex_lock(&s->lock);
    if (type == RC_CHANGE_DELETE || rci_sim_pod_is_terminal(obj)) {
        uncount(s, key);
        mark_unschedulable(s, key, false);
    } else if (node && node[0]) {
        rci_sim_pod_req req;
        rci_sim_pod_requests(obj, &req);
        count(s, key, node, &req, false);
        mark_unschedulable(s, key, false);
    } else {
        accounted *a = rci_map_get(&s->pods, key);
        if (a && !a->assumed) /* an unbound version older than our binding leaves the assumption alone */
            uncount(s, key);
    }
    pthread_mutex_unlock(&s->lock);
}

static void on_node(void *ctx, rc_change_type type, const rc_object *old, const rc_object *obj)
{
    (void)type;
    (void)old;
    (void)obj;
    scheduler *s = ctx;
    pthread_mutex_lock(&s->lock);
    s->nodes_changed = true;
    pthread_mutex_unlock(&s->lock);
}

/* Map function: every pod waiting for the cluster to change. */
static void retry_unschedulable(void *ctx, const rc_object *obj, rc_keys *out)
{
    (void)obj;
    scheduler *s = ctx;
    pthread_mutex_lock(&s->lock);
    const rci_map_entry *e;
    for (size_t i = 0; rci_map_next(&s->unschedulable, &i, &e);)
        rc_keys_add(out, e->key);
    pthread_mutex_unlock(&s->lock);
}

/* Pod changes that free room: a bound pod deleted or finished. */
static bool frees_room(void *ctx, rc_change_type type, const rc_object *old, const rc_object *obj)
{
    (void)ctx;
    const char *node = rc_object_get_str(obj, "spec.nodeName");
    if (!node || !node[0])
        return false;
    return type == RC_CHANGE_DELETE || (old && !rci_sim_pod_is_terminal(old) && rci_sim_pod_is_terminal(obj));
}

static bool wants_scheduling(const scheduler *s, const rc_object *pod)
{
    const char *node = rc_object_get_str(pod, "spec.nodeName");
    const char *name = rc_object_get_str(pod, "spec.schedulerName");
    return (!node || !node[0]) && !rc_object_deletion_timestamp(pod) && !rci_sim_pod_is_terminal(pod) &&
           (!name || !name[0] || !strcmp(name, s->sim->scheduler_name));
}

static bool pending_filter(void *ctx, rc_change_type type, const rc_object *old, const rc_object *obj)
{
    (void)type;
    (void)old;
    return wants_scheduling(ctx, obj);
}

/* Claims referenced by the pod that are missing or not Bound: the pod cannot be scheduled yet. */
static bool claims_bound(rc_reconcile_ctx *ctx, const rc_object *pod, char *why, size_t cap)
{
    rc_node vols = rc_object_at(pod, "spec.volumes");
    for (size_t i = 0; i < rc_node_len(vols); i++) {
        const char *claim = rc_node_str(rc_node_at(rc_node_index(vols, i), "persistentVolumeClaim.claimName"));
        if (!claim)
            continue;
        rc_object *pvc = NULL;
        if (rc_ctx_get(ctx, "persistentvolumeclaims", rc_object_namespace(pod), claim, &pvc, NULL) != 0) {
            snprintf(why, cap, "persistentvolumeclaim \"%s\" not found", claim);
            return false;
        }
        const char *phase = rc_object_get_str(pvc, "status.phase");
        bool bound = phase && !strcmp(phase, "Bound");
        rc_object_unref(pvc);
        if (!bound) {
            snprintf(why, cap, "pod has unbound immediate PersistentVolumeClaims");
            return false;
        }
    }
    return true;
}

/* Picks the best node; NULL with *msg (malloc'd) when none fits. Called with the lock held. */
static const char *pick_node(scheduler *s, const rc_object *pod, const rci_sim_pod_req *req, char **msg)
{
    size_t counts[RCI_SIM_FIT_NREASONS] = {0};
    const rci_sim_sched_node *best = NULL;
    int64_t best_score = -1;
    for (size_t i = 0; i < s->nnodes; i++) {
        const rci_sim_sched_node *n = &s->nodes[i];
        rci_sim_fit f = rci_sim_sched_filter(n, pod, req);
        if (f != RCI_SIM_FIT_OK) {
            counts[f]++;
            continue;
        }
        int64_t score = rci_sim_sched_score(n, req);
        if (score > best_score) {
            best = n;
            best_score = score;
        }
    }
    if (!best)
        *msg = rci_sim_sched_message(s->nnodes, counts);
    return best ? best->name : NULL;
}

typedef struct unsched_arg {
    const char *message;
    rc_time now;
} unsched_arg;

static int set_unschedulable(void *arg, rc_object *draft, rc_error *err)
{
    const unsched_arg *u = arg;
    cJSON *root = rc_object_json_mut(draft);
    cJSON *status = cJSON_GetObjectItemCaseSensitive(root, "status");
    if (!cJSON_IsObject(status)) {
        cJSON_DeleteItemFromObjectCaseSensitive(root, "status");
        status = cJSON_AddObjectToObject(root, "status");
    }
    cJSON *conds = cJSON_GetObjectItemCaseSensitive(status, "conditions");
    if (!cJSON_IsArray(conds)) {
        cJSON_DeleteItemFromObjectCaseSensitive(status, "conditions");
        conds = cJSON_AddArrayToObject(status, "conditions");
    }
    if (!conds)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    rci_sim_condition_set(conds, "PodScheduled", "False", "Unschedulable", u->message, u->now);
    if (!cJSON_GetObjectItemCaseSensitive(status, "phase"))
        cJSON_AddStringToObject(status, "phase", "Pending");
    return 0;
}

/* Posts the Binding of pod to node. Done when bound or when the pod is gone; otherwise (an injected or
 * transient failure, or a conflict when the pod changed or was bound meanwhile) the pod is retried with
 * back-off: the retry reads it again and stops if it is bound by then. */
static rc_result post_binding(scheduler *s, rc_reconcile_ctx *ctx, const rc_object *pod, const char *node)
{
    cJSON *b = cJSON_CreateObject();
    cJSON *meta = cJSON_AddObjectToObject(b, "metadata");
    cJSON *target = cJSON_AddObjectToObject(b, "target");
    cJSON_AddStringToObject(b, "apiVersion", "v1");
    cJSON_AddStringToObject(b, "kind", "Binding");
    cJSON_AddStringToObject(meta, "name", rc_object_name(pod));
    cJSON_AddStringToObject(meta, "namespace", rc_object_namespace(pod));
    cJSON_AddStringToObject(target, "apiVersion", "v1");
    cJSON_AddStringToObject(target, "kind", "Node");
    cJSON_AddStringToObject(target, "name", node);
    rc_object *obj = rc_object_new_draft(b);
    if (!obj) {
        cJSON_Delete(b);
        return rc_result_error(ctx, RC_ENOMEM, "out of memory");
    }
    rc_write_options wo = {.subresource = "binding"};
    rc_error err = {0};
    int rc = rc_client_create_owned(rc_ctx_client(ctx), "pods", rc_object_namespace(pod), obj, &wo, NULL, &err);
    if (rc == RC_ENOTFOUND) {
        rc_error_clear(&err);
        return rc_result_done();
    }
    if (rc == RC_ECONFLICT) {
        rc_error_clear(&err);
        return rc_result_requeue();
    }
    if (rc != 0)
        return rc_result_from_error(ctx, &err);
    if (s->recorder)
        rc_recorder_event(s->recorder, pod, RC_EVENT_NORMAL, "Scheduled", NULL, "Successfully assigned %s to %s",
                          rc_object_key(pod), node);
    return rc_result_done();
}

static rc_result reconcile(void *self, rc_reconcile_ctx *ctx, const char *key)
{
    scheduler *s = self;
    rc_object *pod = NULL;
    rc_error err = {0};
    int rc = rc_ctx_get_key(ctx, "pods", key, &pod, &err);
    if (rc == RC_ENOTFOUND) {
        rc_error_clear(&err);
        return rc_result_done();
    }
    if (rc != 0)
        return rc_result_from_error(ctx, &err);
    rc_result res = rc_result_done();
    if (!wants_scheduling(s, pod))
        goto out;
    rci_sim_pod_req req;
    rci_sim_pod_requests(pod, &req);
    char why[256];
    char *msg = NULL;
    const char *node = NULL;
    char *chosen = NULL;
    if (!claims_bound(ctx, pod, why, sizeof why)) {
        pthread_mutex_lock(&s->lock);
        refresh_nodes(s);
        msg = rci_asprintf("0/%zu nodes are available: %s.", s->nnodes, why);
        pthread_mutex_unlock(&s->lock);
    } else {
        pthread_mutex_lock(&s->lock);
        refresh_nodes(s);
        node = pick_node(s, pod, &req, &msg);
        if (node) {
            chosen = strdup(node);
            count(s, key, node, &req, true); /* assume it, as upstream's scheduler cache does */
        }
        pthread_mutex_unlock(&s->lock);
    }
    if (chosen) {
        res = post_binding(s, ctx, pod, chosen);
        if (res.kind != RC_RESULT_DONE) {
            pthread_mutex_lock(&s->lock);
            forget_assumed(s, key);
            pthread_mutex_unlock(&s->lock);
        }
    } else if (msg) {
        pthread_mutex_lock(&s->lock);
        mark_unschedulable(s, key, true);
        pthread_mutex_unlock(&s->lock);
        rc_node cond = rci_sim_condition(rc_object_at(pod, "status.conditions"), "PodScheduled");
        const char *cur = rc_node_str(rc_node_get(cond, "status"));
        const char *cur_msg = rc_node_str(rc_node_get(cond, "message"));
        if (!cur || strcmp(cur, "False") || !cur_msg || strcmp(cur_msg, msg)) {
            unsched_arg u = {msg, rc_ctx_now(ctx)};
            if (rc_update_status(ctx, "pods", pod, set_unschedulable, &u, NULL, &err) != 0 &&
                err.code != RC_ENOTFOUND)
                res = rc_result_from_error(ctx, &err);
            else if (s->recorder)
                rc_recorder_event(s->recorder, pod, RC_EVENT_WARNING, "FailedScheduling", NULL, "%s", msg);
            rc_error_clear(&err);
        }
    }
    free(chosen);
    free(msg);
out:
    rc_object_unref(pod);
    return res;
}

static int setup(void *self, rc_builder *b, rc_error *err)
{
    scheduler *s = self;
    rc_watch_options pending = {.filter = pending_filter, .filter_ctx = s};
    rc_watch_options freeing = {.filter = frees_room};
    int rc = rc_builder_for(b, "pods", &pending, err);
    if (rc == 0)
        rc = rc_builder_watches(b, "nodes", retry_unschedulable, s, NULL, err);
    if (rc == 0)
        rc = rc_builder_watches(b, "persistentvolumeclaims", retry_unschedulable, s, NULL, err);
    if (rc == 0)
        rc = rc_builder_watches(b, "pods", retry_unschedulable, s, &freeing, err);
    return rc;
}

static void destroy(void *self)
{
    scheduler *s = self;
    for (size_t i = 0; i < s->nnodes; i++)
        rc_object_unref(s->nodes[i].node);
    free(s->nodes);
    const rci_map_entry *e;
    for (size_t i = 0; rci_map_next(&s->pods, &i, &e);) {
        accounted *a = e->value;
        free(a->key);
        free(a->node);
        free(a);
    }
    rci_map_free(&s->pods);
    for (size_t i = 0; rci_map_next(&s->unschedulable, &i, &e);)
        free(e->value);
    rci_map_free(&s->unschedulable);
    pthread_mutex_destroy(&s->lock);
    rc_recorder_free(s->recorder);
    rci_sim_unref(s->sim);
    free(s);
}

static const rc_controller_ops scheduler_ops = {"scheduler", setup, reconcile, destroy};

int rci_sim_add_scheduler(rc_sim *sim, rc_error *err)
{
    scheduler *s = calloc(1, sizeof *s);
    if (!s)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    s->sim = sim;
    rci_sim_ref(sim);
    pthread_mutex_init(&s->lock, NULL);
    s->nodes_changed = true;
    rci_map_init(&s->pods);
    rci_map_init(&s->unschedulable);
    s->node_cache = rc_manager_cache(sim->mgr, "nodes", err);
    if (!s->node_cache) {
        destroy(s);
        return err && err->code ? err->code : RC_EINTERNAL;
    }
    rc_client *as = rci_sim_client_as(sim, RC_SIM_USER_SCHEDULER, NULL);
    if (as && sim->events && !(s->recorder = rc_recorder_new(as, rc_manager_clock(sim->mgr), sim->scheduler_name, NULL))) {
        rc_client_unref(as);
        as = NULL;
    }
    /* The manager owns s from here (destroying it if adding fails), so the change hook comes after. */
    int rc = rci_sim_add_controller(sim, &scheduler_ops, s, as, err);
    if (rc == 0)
        rc = rc_manager_on_change(sim->mgr, "pods", on_pod, s, err);
    if (rc == 0)
        rc = rc_manager_on_change(sim->mgr, "nodes", on_node, s, err);
    return rc;
}
