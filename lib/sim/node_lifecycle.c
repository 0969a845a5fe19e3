/* node_lifecycle.c - the node lifecycle controller of the simulated cluster (upstream's node lifecycle
 * controller, taint manager and pod GC in one): it keeps the not-ready / unreachable taints (NoSchedule
 * and NoExecute) in line with each node's Ready condition, evicts the pods of a NoExecute-tainted node
 * that do not tolerate the taint - at once, or after their tolerationSeconds counted from the taint's
 * timeAdded - and force-deletes the pods of a node that no longer exists. */
#include "sim/internal.h"

#include <reconcile/values.h>

#include <stdlib.h>
#include <string.h>

typedef struct lifecycle {
    rc_sim *sim;
} lifecycle;

static const char *wanted_taint(const rc_object *node)
{
    const char *ready = rci_sim_condition_status(rc_object_at(node, "status.conditions"), "Ready");
    if (!ready || !strcmp(ready, "Unknown"))
        return RCI_SIM_TAINT_UNREACHABLE;
    return strcmp(ready, "True") ? RCI_SIM_TAINT_NOT_READY : NULL;
}

static bool has_taint(const rc_object *node, const char *key, const char *effect)
{
    rc_node taints = rc_object_at(node, "spec.taints");
    for (size_t i = 0; i < rc_node_len(taints); i++) {
        rc_node t = rc_node_index(taints, i);
        const char *k = rc_node_str(rc_node_get(t, "key")), *e = rc_node_str(rc_node_get(t, "effect"));
        if (k && e && !strcmp(k, key) && !strcmp(e, effect))
            return true;
    }
    return false;
}

static bool is_condition_taint(const cJSON *t)
{
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(t, "key");
    return cJSON_IsString(k) &&
           (!strcmp(k->valuestring, RCI_SIM_TAINT_NOT_READY) || !strcmp(k->valuestring, RCI_SIM_TAINT_UNREACHABLE));
}

static bool taints_in_line(const rc_object *node, const char *want)
{
    rc_node taints = rc_object_at(node, "spec.taints");
    size_t have = 0;
    for (size_t i = 0; i < rc_node_len(taints); i++) {
        const char *k = rc_node_str(rc_node_get(rc_node_index(taints, i), "key"));
        if (k && (!strcmp(k, RCI_SIM_TAINT_NOT_READY) || !strcmp(k, RCI_SIM_TAINT_UNREACHABLE)))
            have++;
    }
    if (!want)
        return have == 0;
    return have == 2 && has_taint(node, want, "NoSchedule") && has_taint(node, want, "NoExecute");
}

/* Replaces the condition taints of node with the two taints for want (or none). */
static int update_taints(rc_reconcile_ctx *ctx, const rc_object *node, const char *want, rc_object **out,
                         rc_error *err)
{
    rc_object *draft = rc_object_copy(node);
    if (!draft)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    cJSON *root = rc_object_json_mut(draft);
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(root, "spec");
    if (!cJSON_IsObject(spec))
        spec = cJSON_AddObjectToObject(root, "spec");
    cJSON *taints = cJSON_GetObjectItemCaseSensitive(spec, "taints");
    if (!cJSON_IsArray(taints)) {
        cJSON_DeleteItemFromObjectCaseSensitive(spec, "taints");
        taints = cJSON_AddArrayToObject(spec, "taints");
    }
    for (cJSON *t = taints->child, *next; t; t = next) {
        next = t->next;
        if (is_condition_taint(t))
            cJSON_Delete(cJSON_DetachItemViaPointer(taints, t));
    }
    char ts[RC_TIME_STRLEN];
    rc_time_format(rc_ctx_now(ctx), ts, sizeof ts);
    static const char *const effects[] = {"NoSchedule", "NoExecute"};
    for (size_t i = 0; want && i < 2; i++) {
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "key", want);
        cJSON_AddStringToObject(t, "effect", effects[i]);
        cJSON_AddStringToObject(t, "timeAdded", ts);
        cJSON_AddItemToArray(taints, t);
    }
    if (!cJSON_GetArraySize(taints))
        cJSON_DeleteItemFromObjectCaseSensitive(spec, "taints");
    int rc = rc_client_update(rc_ctx_client(ctx), "nodes", NULL, draft, NULL, out, err);
    rc_object_unref(draft);
    return rc;
}

/* When the pod must leave node: now for an untolerated NoExecute taint, timeAdded + tolerationSeconds for
 * a bounded toleration, RC_TIME_NEVER when every NoExecute taint is tolerated forever. */
static rc_time eviction_time(const rc_object *node, const rc_object *pod, rc_time now)
{
    rc_time when = RC_TIME_NEVER;
    rc_node taints = rc_object_at(node, "spec.taints");
    for (size_t i = 0; i < rc_node_len(taints); i++) {
        rc_node t = rc_node_index(taints, i);
        const char *effect = rc_node_str(rc_node_get(t, "effect"));
        if (!effect || strcmp(effect, "NoExecute"))
            continue;
        rc_node tol = rci_sim_pod_toleration_for(pod, t);
        if (!rc_node_exists(tol))
            return now;
        rc_node secs = rc_node_get(tol, "tolerationSeconds");
        if (!rc_node_exists(secs))
            continue;
        int64_t s = rc_node_int(secs, 0);
        rc_time at = rci_sim_node_time(rc_node_get(t, "timeAdded"), now) + (s > 0 ? s : 0) * RC_SEC;
        if (at < when)
            when = at;
    }
    return when;
}

static int delete_pod(rc_reconcile_ctx *ctx, const rc_object *pod, bool force, rc_error *err)
{
    rc_delete_options opts = RC_DELETE_OPTIONS_INIT;
    if (force)
        opts.grace_period_seconds = 0;
    opts.precondition_uid = rc_object_uid(pod);
    int rc = rc_client_delete(rc_ctx_client(ctx), "pods", rc_object_namespace(pod), rc_object_name(pod), &opts,
                              NULL, err);
    if (rc == RC_ENOTFOUND || rc == RC_ECONFLICT) {
        rc_error_clear(err);
        return 0;
    }
    return rc;
}

static rc_result reconcile(void *self, rc_reconcile_ctx *ctx, const char *key)
{
    (void)self;
    rc_object_list pods;
    rc_object_list_init(&pods);
    rc_object *node = NULL;
    rc_error err = {0};
    int rc = rc_ctx_by_index(ctx, "pods", RCI_SIM_NODE_INDEX, key, &pods, &err);
    if (rc == 0)
        rc = rc_ctx_get_key(ctx, "nodes", key, &node, &err);
    rc_result res = rc_result_done();
    if (rc == RC_ENOTFOUND) { /* pod GC: the pods of a deleted node go at once */
        rc_error_clear(&err);
        for (size_t i = 0; i < pods.count; i++) {
            if (delete_pod(ctx, pods.items[i], true, &err) != 0) {
                res = rc_result_from_error(ctx, &err);
                break;
            }
        }
        goto out;
    }
    const char *want = rc == 0 ? wanted_taint(node) : NULL;
    if (rc == 0 && !taints_in_line(node, want)) {
        rc_object *updated = NULL;
        rc = update_taints(ctx, node, want, &updated, &err);
        if (rc == 0) {
            rc_object_unref(node);
            node = updated;
        }
    }
    if (rc != 0) {
        res = rc_result_from_error(ctx, &err);
        goto out;
    }
    rc_time now = rc_ctx_now(ctx), next = RC_TIME_NEVER;
    for (size_t i = 0; i < pods.count; i++) {
        rc_object *pod = pods.items[i];
        if (rc_object_deletion_timestamp(pod) || rci_sim_pod_is_terminal(pod))
            continue;
        rc_time at = eviction_time(node, pod, now);
        if (at > now) {
            if (at < next)
                next = at;
            continue;
        }
        rc_ctx_event(ctx, pod, "Normal", "TaintManagerEviction", "Marking for deletion Pod %s", rc_object_key(pod));
        if (delete_pod(ctx, pod, false, &err) != 0) {
            res = rc_result_from_error(ctx, &err);
            goto out;
        }
    }
    if (next != RC_TIME_NEVER)
        res = rc_result_requeue_after(next - now);
out:
    rc_object_unref(node);
    rc_object_list_clear(&pods);
    return res;
}

/* Map function: a pod landing on (or changing on) a node re-checks that node's taints for it. */
static void pod_node(void *ctx, const rc_object *pod, rc_keys *out)
{
    (void)ctx;
    const char *node = rc_object_get_str(pod, "spec.nodeName");
    if (node && node[0])
        rc_keys_add(out, node);
}

static bool pod_created_bound(void *ctx, rc_change_type type, const rc_object *old, const rc_object *obj)
{
    (void)ctx;
    const char *node = rc_object_get_str(obj, "spec.nodeName");
    if (!node || !node[0] || type == RC_CHANGE_DELETE)
        return false;
    const char *before = old ? rc_object_get_str(old, "spec.nodeName") : NULL;
    return !before || strcmp(before, node);
}

static int setup(void *self, rc_builder *b, rc_error *err)
{
    rc_watch_options bound = {.filter = pod_created_bound};
    int rc = rc_builder_for(b, "nodes", NULL, err);
    if (rc == 0)
        rc = rc_builder_watches(b, "pods", pod_node, self, &bound, err);
    if (rc == 0)
        rc = rc_builder_index(b, "pods", RCI_SIM_NODE_INDEX, rci_sim_index_node_name, NULL, err);
    return rc;
}

static void destroy(void *self)
{
    lifecycle *l = self;
    rci_sim_unref(l->sim);
    free(l);
}

static const rc_controller_ops lifecycle_ops = {"node-lifecycle", setup, reconcile, destroy};

int rci_sim_add_node_lifecycle(rc_sim *sim, rc_error *err)
{
    lifecycle *l = calloc(1, sizeof *l);
    if (!l)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    l->sim = sim;
    rci_sim_ref(sim);
    return rci_sim_add_controller(sim, &lifecycle_ops, l,
                                  rci_sim_client_as(sim, RC_SIM_SA_USER(RC_SIM_SA_NODE_CONTROLLER), NULL), err);
}
