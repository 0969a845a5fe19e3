/* replicaset.c - the ReplicaSet controller (upstream replica_set.go, spec section 1): claim pods by
 * selector and controller reference, create missing pods in slow-start batches or delete surplus ones in
 * ranking order, guarded by expectations, and keep status (replicas, fullyLabeledReplicas, readyReplicas,
 * availableReplicas, observedGeneration, ReplicaFailure) current. */
#include <reconcile/controllers.h>
#include <reconcile/expectations.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controllers/controller_utils.h"
#include "util/map.h"

#define RS_RESOURCE "replicasets.apps"
#define RS_DEFAULT_BURST 500

typedef struct rs_ctrl {
    int burst;
} rs_ctrl;

/* One sync: the ReplicaSet, its active claimed pods and what manage did. */
typedef struct rs_sync {
    rc_reconcile_ctx *ctx;
    const char *key;
    rc_object *rs;
    rc_object_list claimed;
    rc_object **active;
    size_t nactive;
    int burst;
    rc_object *pod_draft; /* template pod for creations */
} rs_sync;

/* The pod a creation sends: the template's metadata and spec, generateName "<rs>-", controller ref. */
static rc_object *pod_from_template(const rc_object *rs, rc_error *err)
{
    cJSON *root = cJSON_CreateObject(), *meta = cJSON_AddObjectToObject(root, "metadata");
    rc_node tmeta = rc_object_at(rs, "spec.template.metadata");
    char gen[300];
    snprintf(gen, sizeof gen, "%s-", rc_object_name(rs));
    cJSON_AddStringToObject(root, "apiVersion", "v1");
    cJSON_AddStringToObject(root, "kind", "Pod");
    cJSON_AddStringToObject(meta, "generateName", gen);
    cJSON_AddStringToObject(meta, "namespace", rc_object_namespace(rs));
    static const char *const copied[] = {"labels", "annotations", "finalizers"};
    for (size_t i = 0; i < 3; i++)
        if (rc_node_exists(rc_node_get(tmeta, copied[i])))
            cJSON_AddItemToObject(meta, copied[i], rc_node_to_cjson(rc_node_get(tmeta, copied[i])));
    cJSON *spec = rc_node_to_cjson(rc_object_at(rs, "spec.template.spec"));
    cJSON_AddItemToObject(root, "spec", spec ? spec : cJSON_CreateObject());
    rc_object *pod = rc_object_new_draft(root);
    if (!pod) {
        cJSON_Delete(root);
        rc_error_set(err, RC_ENOMEM, "out of memory");
        return NULL;
    }
    if (rc_set_controller_ref(pod, rs, err)) {
        rc_object_unref(pod);
        return NULL;
    }
    return pod;
}

static int create_one(void *arg, size_t i, rc_error *err)
{
    (void)i;
    rs_sync *s = arg;
    rc_object *pod = rc_object_copy(s->pod_draft);
    if (!pod)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    rc_object *out = NULL;
    int rc = rc_client_create_owned(rc_ctx_client(s->ctx), "pods", NULL, pod, NULL, &out, err);
    if (rc == 0)
        rc_ctx_event(s->ctx, s->rs, "Normal", "SuccessfulCreate", "Created pod: %s", rc_object_name(out));
    else
        rc_ctx_event(s->ctx, s->rs, "Warning", "FailedCreate", "Error creating: %s",
                     err && err->message ? err->message : rc_strerror(rc));
    rc_object_unref(out);
    return rc;
}

static int create_pods(rs_sync *s, size_t n, rc_error *err)
{
    rc_expectations *exp = rc_ctx_expectations(s->ctx);
    rc_expectations_expect_creations(exp, s->key, (int)n);
    s->pod_draft = pod_from_template(s->rs, err);
    size_t ok = s->pod_draft ? rci_slow_start(n, 1, create_one, s, err) : 0;
    rc_object_unref(s->pod_draft);
    s->pod_draft = NULL;
    for (size_t i = ok; i < n; i++)
        rc_expectations_creation_observed(exp, s->key);
    return ok == n ? 0 : err && err->code ? err->code : RC_ENOMEM;
}

/* Adds the active, bound pods of ReplicaSet rs (from the controller index) to the per-node counts. */
static int count_pods_per_node(rs_sync *s, const rc_object *rs, rc_object_list *keep, rci_map *per_node,
                               rc_error *err)
{
    size_t from = keep->count;
    int rc = rc_ctx_by_index(s->ctx, "pods", RC_INDEX_CONTROLLER, rc_object_uid(rs), keep, err);
    for (size_t p = from; !rc && p < keep->count; p++) {
        const char *node = rc_object_get_str(keep->items[p], "spec.nodeName");
        if (!node || !*node || !rci_pod_is_active(keep->items[p]))
            continue;
        uintptr_t n = (uintptr_t)rci_map_get(per_node, node);
        if (rci_map_put(per_node, node, (void *)(n + 1), NULL))
            rc = rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    return rc;
}

/* Ranks: active pods of every ReplicaSet sharing this one's controller, counted per node. */
static int rank_pods(rs_sync *s, rci_ranked_pod *ranked, rc_error *err)
{
    rc_owner_ref owner;
    for (size_t i = 0; i < s->nactive; i++)
        ranked[i] = (rci_ranked_pod){s->active[i], 0};
    if (!rc_object_controller_ref(s->rs, &owner) || !owner.uid)
        return 0;
    rc_object_list sets, pods; /* pods keeps the node names of per_node alive */
    rc_object_list_init(&sets);
    rc_object_list_init(&pods);
    rci_map per_node;
    rci_map_init(&per_node);
    int rc = rc_ctx_list(s->ctx, RS_RESOURCE, rc_object_namespace(s->rs), NULL, &sets, err);
    for (size_t r = 0; !rc && r < sets.count; r++) {
        rc_owner_ref sr;
        if (rc_object_controller_ref(sets.items[r], &sr) && sr.uid && !strcmp(sr.uid, owner.uid))
            rc = count_pods_per_node(s, sets.items[r], &pods, &per_node, err);
    }
    for (size_t i = 0; !rc && i < s->nactive; i++) {
        const char *node = rc_object_get_str(s->active[i], "spec.nodeName");
        if (node && *node)
            ranked[i].rank = (int)(uintptr_t)rci_map_get(&per_node, node);
    }
    rci_map_free(&per_node);
    rc_object_list_clear(&sets);
    rc_object_list_clear(&pods);
    return rc;
}

static int delete_pods(rs_sync *s, size_t n, rc_error *err)
{
    rci_ranked_pod *ranked = calloc(s->nactive, sizeof *ranked);
    char **keys = calloc(n, sizeof *keys);
    int rc = ranked && keys ? 0 : rc_error_set(err, RC_ENOMEM, "out of memory");
    if (!rc && n < s->nactive && !(rc = rank_pods(s, ranked, err)))
        rci_rank_pods_for_deletion(ranked, s->nactive, rc_ctx_now(s->ctx));
    else if (!rc)
        for (size_t i = 0; i < s->nactive; i++)
            ranked[i] = (rci_ranked_pod){s->active[i], 0};
    for (size_t i = 0; !rc && i < n; i++)
        if (!(keys[i] = strdup(rc_object_key(ranked[i].pod))))
            rc = rc_error_set(err, RC_ENOMEM, "out of memory");
    rc_expectations *exp = rc_ctx_expectations(s->ctx);
    if (!rc)
        rc_expectations_expect_deletions_of(exp, s->key, (const char *const *)keys, n);
    for (size_t i = 0; !rc && i < n; i++) {
        rc_error e = {0};
        const rc_object *pod = ranked[i].pod;
        int drc = rc_client_delete(rc_ctx_client(s->ctx), "pods", rc_object_namespace(pod), rc_object_name(pod),
                                   NULL, NULL, &e);
        if (drc == 0) {
            rc_ctx_event(s->ctx, s->rs, "Normal", "SuccessfulDelete", "Deleted pod: %s", rc_object_name(pod));
        } else {
            rc_expectations_deletion_observed_of(exp, s->key, keys[i]);
            if (drc != RC_ENOTFOUND) {
                rc_ctx_event(s->ctx, s->rs, "Warning", "FailedDelete", "Error deleting: %s",
                             e.message ? e.message : rc_strerror(drc));
                if (!err || !err->code)
                    rc_error_move(err, &e);
                rc = drc;
            }
        }
        rc_error_clear(&e);
    }
    for (size_t i = 0; keys && i < n; i++)
        free(keys[i]);
    free(keys);
    free(ranked);
    return rc;
}

/* manageReplicas. */
static int manage(rs_sync *s, rc_error *err)
{
    int64_t diff = (int64_t)s->nactive - rci_spec_replicas(s->rs);
    if (diff < 0)
        return create_pods(s, (size_t)(-diff < s->burst ? -diff : s->burst), err);
    if (diff > 0)
        return delete_pods(s, (size_t)(diff < s->burst ? diff : s->burst), err);
    return 0;
}

/* True when pod carries every label of the template's labels node. */
static bool fully_labeled(const rc_object *pod, rc_node labels)
{
    for (size_t i = 0; i < rc_node_len(labels); i++) {
        const char *v = rc_node_str(rc_node_value_at(labels, i)), *have = rc_object_label(pod, rc_node_key_at(labels, i));
        if (!v || !have || strcmp(v, have))
            return false;
    }
    return true;
}

/* calculateStatus; *ready / *available receive the counts. A pod's Ready condition is read once: available
 * is ready plus, with minReadySeconds, ready long enough. */
static cJSON *calculate_status(rs_sync *s, int manage_rc, const char *manage_msg, int64_t *ready, int64_t *available)
{
    int64_t labeled = 0, min_ready = rc_object_get_int(s->rs, "spec.minReadySeconds", 0);
    rc_time now = rc_ctx_now(s->ctx);
    rc_node labels = rc_object_at(s->rs, "spec.template.metadata.labels");
    *ready = *available = 0;
    for (size_t i = 0; i < s->nactive; i++) {
        bool is_ready = rci_pod_is_ready(s->active[i]);
        labeled += fully_labeled(s->active[i], labels);
        *ready += is_ready;
        *available += is_ready && (min_ready <= 0 || rci_pod_is_available(s->active[i], min_ready, now));
    }
    cJSON *old = rc_node_to_cjson(rc_object_at(s->rs, "status"));
    cJSON *st = cJSON_CreateObject();
    cJSON_AddNumberToObject(st, "replicas", (double)s->nactive);
    if (labeled)
        cJSON_AddNumberToObject(st, "fullyLabeledReplicas", (double)labeled);
    if (*ready)
        cJSON_AddNumberToObject(st, "readyReplicas", (double)*ready);
    if (*available)
        cJSON_AddNumberToObject(st, "availableReplicas", (double)*available);
    if (rc_object_generation(s->rs))
        cJSON_AddNumberToObject(st, "observedGeneration", (double)rc_object_generation(s->rs));
    cJSON *conds = cJSON_GetObjectItemCaseSensitive(old, "conditions");
    if (cJSON_IsArray(conds) && cJSON_GetArraySize(conds))
        cJSON_AddItemToObject(st, "conditions", cJSON_Duplicate(conds, true));
    cJSON_Delete(old);
    if (manage_rc && !rci_condition_get(st, "ReplicaFailure")) {
        int64_t diff = (int64_t)s->nactive - rci_spec_replicas(s->rs);
        rci_condition_set(st, "ReplicaFailure", "True", diff < 0 ? "FailedCreate" : diff > 0 ? "FailedDelete" : "",
                          manage_msg, now, false);
    } else if (!manage_rc) {
        rci_condition_remove(st, "ReplicaFailure");
    }
    return st;
}

static int collect_active(rs_sync *s, rc_error *err)
{
    s->active = calloc(s->claimed.count ? s->claimed.count : 1, sizeof *s->active);
    if (!s->active)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->claimed.count; i++)
        if (rci_pod_is_active(s->claimed.items[i]))
            s->active[s->nactive++] = s->claimed.items[i];
    return 0;
}

static rc_result sync_rs(rs_sync *s, rc_error *err)
{
    rc_expectations *exp = rc_ctx_expectations(s->ctx);
    bool satisfied = rc_expectations_satisfied(exp, s->key);
    rc_selector *sel = rc_selector_from_node(rc_object_at(s->rs, "spec.selector"), "spec.selector", err);
    if (!sel)
        return rc_result_from_error(s->ctx, err);
    int rc = rc_claim_children(s->ctx, RS_RESOURCE, s->rs, "pods", sel, NULL, NULL, &s->claimed, err);
    rc_selector_free(sel);
    if (!rc)
        rc = collect_active(s, err);
    if (rc)
        return rc_result_from_error(s->ctx, err);
    rc_error merr = {0};
    int mrc = satisfied && !rc_object_deletion_timestamp(s->rs) ? manage(s, &merr) : 0;
    int64_t ready, available;
    cJSON *st = calculate_status(s, mrc, merr.message ? merr.message : rc_strerror(mrc), &ready, &available);
    rc_object *out = NULL;
    rc = st ? rci_write_status(s->ctx, RS_RESOURCE, s->rs, st, &out, err) : rc_error_set(err, RC_ENOMEM, "out of memory");
    cJSON_Delete(st);
    rc_object_unref(out);
    if (mrc) {
        rc_error_clear(err);
        rc_error_move(err, &merr);
        return rc_result_from_error(s->ctx, err);
    }
    rc_error_clear(&merr);
    if (rc)
        return rc_result_from_error(s->ctx, err);
    int64_t spec = rci_spec_replicas(s->rs), min_ready = rc_object_get_int(s->rs, "spec.minReadySeconds", 0);
    if (min_ready > 0 && ready == spec && available != spec)
        return rc_result_requeue_after(min_ready * RC_SEC);
    return rc_result_done();
}

static rc_result reconcile(void *self, rc_reconcile_ctx *ctx, const char *key)
{
    rs_ctrl *c = self;
    rc_error err = {0};
    rs_sync s = {.ctx = ctx, .key = key, .burst = c->burst};
    rc_object_list_init(&s.claimed);
    int rc = rc_ctx_get_key(ctx, RS_RESOURCE, key, &s.rs, &err);
    if (rc == RC_ENOTFOUND) {
        rc_error_clear(&err);
        rc_expectations_delete(rc_ctx_expectations(ctx), key);
        return rc_result_done();
    }
    rc_result res = rc ? rc_result_from_error(ctx, &err) : sync_rs(&s, &err);
    rc_error_clear(&err);
    free(s.active);
    rc_object_list_clear(&s.claimed);
    rc_object_unref(s.rs);
    return res;
}

static int setup(void *self, rc_builder *b, rc_error *err)
{
    (void)self;
    int rc = rc_builder_for(b, RS_RESOURCE, NULL, err);
    return rc ? rc : rc_builder_owns(b, "pods", NULL, err);
}

static void destroy(void *self) { free(self); }

static const rc_controller_ops replicaset_ops = {"replicaset", setup, reconcile, destroy};

int rc_replicaset_controller_new(const rc_replicaset_options *opts, const rc_controller_ops **ops, void **self,
                                 rc_error *err)
{
    if (!ops || !self)
        return rc_error_set(err, RC_EINVAL, "replicaset controller: ops and self are required");
    if (opts && opts->burst_replicas < 0)
        return rc_error_set(err, RC_EINVAL, "replicaset controller: burst_replicas must be >= 0");
    rs_ctrl *c = calloc(1, sizeof *c);
    if (!c)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    c->burst = opts && opts->burst_replicas ? opts->burst_replicas : RS_DEFAULT_BURST;
    *ops = &replicaset_ops;
    *self = c;
    return 0;
}
