/* deployment_progress.c - Deployment status (upstream calculateStatus, syncDeploymentStatus,
 * syncRolloutStatus, checkPausedConditions, requeueStuckDeployment; spec sections 2.9 and 2.10): the
 * replica counts kubectl rollout status reads, the Available, Progressing and ReplicaFailure conditions,
 * and the requeue that notices a progress deadline passing. */
#include "controllers/deployment.h"

#include <string.h>

static int64_t st_int(const cJSON *status, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(status, key);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static const char *cond_str(const cJSON *c, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

bool rci_deployment_complete(const rc_object *d, const cJSON *status)
{
    cJSON *own = status ? NULL : rc_node_to_cjson(rc_object_at(d, "status"));
    const cJSON *st = status ? status : own;
    int64_t r = rci_spec_replicas(d);
    bool done = st_int(st, "updatedReplicas") == r && st_int(st, "replicas") == r &&
                st_int(st, "availableReplicas") == r && st_int(st, "observedGeneration") >= rc_object_generation(d);
    cJSON_Delete(own);
    return done;
}

/* Adds a count, omitted when zero as upstream's omitempty fields are. */
static void put_count(cJSON *st, const char *key, int64_t v)
{
    if (v != 0)
        cJSON_AddNumberToObject(st, key, (double)v);
}

/* calculateStatus: a new status object (caller frees), NULL on allocation failure. */
static cJSON *calculate_status(rci_dsync *s)
{
    int64_t replicas = 0, ready = 0, available = 0, spec_total = 0;
    for (size_t i = 0; i < s->nrs; i++) {
        replicas += rci_status_int(s->rs[i], "replicas");
        ready += rci_status_int(s->rs[i], "readyReplicas");
        available += rci_status_int(s->rs[i], "availableReplicas");
        spec_total += rci_spec_replicas(s->rs[i]);
    }
    rc_object *nrs = rci_dsync_new_rs(s);
    cJSON *old = rc_node_to_cjson(rc_object_at(s->d, "status"));
    cJSON *st = cJSON_CreateObject();
    if (!st) {
        cJSON_Delete(old);
        return NULL;
    }
    put_count(st, "observedGeneration", rc_object_generation(s->d));
    put_count(st, "replicas", replicas);
    put_count(st, "updatedReplicas", nrs ? rci_status_int(nrs, "replicas") : 0);
    put_count(st, "readyReplicas", ready);
    put_count(st, "availableReplicas", available);
    put_count(st, "unavailableReplicas", spec_total - available > 0 ? spec_total - available : 0);
    cJSON *conds = cJSON_GetObjectItemCaseSensitive(old, "conditions");
    if (cJSON_IsArray(conds) && cJSON_GetArraySize(conds) > 0)
        cJSON_AddItemToObject(st, "conditions", cJSON_Duplicate(conds, true));
    cJSON *cc = cJSON_GetObjectItemCaseSensitive(old, "collisionCount");
    if (cc)
        cJSON_AddItemToObject(st, "collisionCount", cJSON_Duplicate(cc, true));
    cJSON_Delete(old);
    if (available >= s->replicas - s->max_unavailable)
        rci_condition_set(st, "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.",
                          s->now, true);
    else
        rci_condition_set(st, "Available", "False", "MinimumReplicasUnavailable",
                          "Deployment does not have minimum availability.", s->now, true);
    return st;
}

typedef struct wrap {
    void (*fn)(void *arg, cJSON *status);
    void *arg;
} wrap;

static int wrap_mutate(void *arg, rc_object *draft, rc_error *err)
{
    wrap *w = arg;
    cJSON *root = rc_object_json_mut(draft);
    cJSON *st = cJSON_GetObjectItemCaseSensitive(root, "status");
    if (!cJSON_IsObject(st)) {
        cJSON_DeleteItemFromObjectCaseSensitive(root, "status");
        st = cJSON_AddObjectToObject(root, "status");
    }
    if (!st)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    w->fn(w->arg, st);
    return 0;
}

int rci_dsync_write_status(rci_dsync *s, void (*mutate)(void *arg, cJSON *status), void *arg)
{
    wrap w = {mutate, arg};
    rc_object *out = NULL;
    int rc = rc_update_status(s->ctx, RCI_DEPLOYMENTS, s->d, wrap_mutate, &w, &out, s->err);
    if (!rc && out)
        rci_dsync_set_deployment(s, out);
    else
        rc_object_unref(out);
    return rc;
}

/* Writes want when it differs from the stored status; *same (optional) tells it did not. */
static int write_if_changed(rci_dsync *s, cJSON *want, bool *same)
{
    rc_object *out = NULL;
    int rc = rci_write_status(s->ctx, RCI_DEPLOYMENTS, s->d, want, &out, s->err);
    if (same)
        *same = !rc && !out;
    if (out)
        rci_dsync_set_deployment(s, out);
    return rc;
}

int rci_dsync_status(rci_dsync *s)
{
    cJSON *st = calculate_status(s);
    if (!st)
        return rc_error_set(s->err, RC_ENOMEM, "out of memory");
    int rc = write_if_changed(s, st, NULL);
    cJSON_Delete(st);
    return rc;
}

/* DeploymentProgressing: compared with the stored status. */
static bool progressing(const rc_object *d, const cJSON *st)
{
    int64_t old_upd = rci_status_int(d, "updatedReplicas"), old_old = rci_status_int(d, "replicas") - old_upd;
    int64_t new_upd = st_int(st, "updatedReplicas"), new_old = st_int(st, "replicas") - new_upd;
    return new_upd > old_upd || new_old < old_old || st_int(st, "readyReplicas") > rci_status_int(d, "readyReplicas") ||
           st_int(st, "availableReplicas") > rci_status_int(d, "availableReplicas");
}

static bool timed_out(const rc_object *d, const cJSON *st, rc_time now)
{
    const cJSON *c = rci_condition_get(st, "Progressing");
    if (!c || !strcmp(cond_str(c, "reason"), "NewReplicaSetAvailable"))
        return false;
    if (!strcmp(cond_str(c, "reason"), "ProgressDeadlineExceeded"))
        return true;
    rc_time from = rci_node_time(rc_node_from_cjson(cJSON_GetObjectItemCaseSensitive(c, "lastUpdateTime")));
    return from + rc_object_get_int(d, "spec.progressDeadlineSeconds", 0) * RC_SEC < now;
}

/* Progressing by the first matching case of syncRolloutStatus. */
static void update_progressing(rci_dsync *s, cJSON *st)
{
    cJSON *cur = rc_node_to_cjson(rc_object_at(s->d, "status"));
    const cJSON *cond = rci_condition_get(cur, "Progressing");
    bool complete_already = st_int(st, "replicas") == st_int(st, "updatedReplicas") && cond &&
                            !strcmp(cond_str(cond, "reason"), "NewReplicaSetAvailable");
    rc_object *nrs = rci_dsync_new_rs(s);
    char msg[400];
    const char *name = nrs ? rc_object_name(nrs) : "";
    if (complete_already) {
        cJSON_Delete(cur);
        return;
    }
    if (rci_deployment_complete(s->d, st)) {
        snprintf(msg, sizeof msg, "ReplicaSet \"%s\" has successfully progressed.", name);
        rci_condition_set(st, "Progressing", "True", "NewReplicaSetAvailable", msg, s->now, true);
    } else if (progressing(s->d, st)) {
        snprintf(msg, sizeof msg, "ReplicaSet \"%s\" is progressing.", name);
        bool was_true = cond && !strcmp(cond_str(cond, "status"), "True");
        cJSON *ltt = was_true ? cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(cond, "lastTransitionTime"), true) : NULL;
        rci_condition_remove(st, "Progressing");
        rci_condition_set(st, "Progressing", "True", "ReplicaSetUpdated", msg, s->now, true);
        if (ltt)
            rci_json_set(rci_condition_get(st, "Progressing"), "lastTransitionTime", ltt);
    } else if (timed_out(s->d, st, s->now)) {
        snprintf(msg, sizeof msg, "ReplicaSet \"%s\" has timed out progressing.", name);
        rci_condition_set(st, "Progressing", "False", "ProgressDeadlineExceeded", msg, s->now, true);
    }
    cJSON_Delete(cur);
}

/* getReplicaFailures: the new RS's ReplicaFailure, else any RS's. */
static void update_replica_failure(rci_dsync *s, cJSON *st)
{
    rc_object *nrs = rci_dsync_new_rs(s);
    for (size_t pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < s->nrs; i++) {
            if ((pass == 0) != (s->rs[i] == nrs))
                continue;
            cJSON *rst = rc_node_to_cjson(rc_object_at(s->rs[i], "status"));
            const cJSON *c = rci_condition_get(rst, "ReplicaFailure");
            if (c) {
                rc_time t = rci_node_time(rc_node_from_cjson(cJSON_GetObjectItemCaseSensitive(c, "lastTransitionTime")));
                rci_condition_set(st, "ReplicaFailure", cond_str(c, "status"), cond_str(c, "reason"),
                                  cond_str(c, "message"), t, true);
                cJSON_Delete(rst);
                return;
            }
            cJSON_Delete(rst);
        }
    rci_condition_remove(st, "ReplicaFailure");
}

/* requeueStuckDeployment, when nothing changed. */
static void requeue_stuck(rci_dsync *s, const cJSON *st)
{
    cJSON *cur = rc_node_to_cjson(rc_object_at(s->d, "status"));
    const cJSON *c = rci_condition_get(cur, "Progressing");
    if (c && rci_deployment_has_progress_deadline(s->d) && !rci_deployment_complete(s->d, st) &&
        strcmp(cond_str(c, "reason"), "ProgressDeadlineExceeded") != 0) {
        rc_time from = rci_node_time(rc_node_from_cjson(cJSON_GetObjectItemCaseSensitive(c, "lastUpdateTime")));
        rc_duration after = from + rc_object_get_int(s->d, "spec.progressDeadlineSeconds", 0) * RC_SEC - s->now;
        s->requeue = after < RC_SEC ? rc_result_requeue() : rc_result_requeue_after(after + RC_SEC);
    }
    cJSON_Delete(cur);
}

int rci_dsync_rollout_status(rci_dsync *s)
{
    cJSON *st = calculate_status(s);
    if (!st)
        return rc_error_set(s->err, RC_ENOMEM, "out of memory");
    if (rci_deployment_has_progress_deadline(s->d))
        update_progressing(s, st);
    else
        rci_condition_remove(st, "Progressing");
    update_replica_failure(s, st);
    bool same = false;
    int rc = write_if_changed(s, st, &same);
    if (!rc && same)
        requeue_stuck(s, st);
    cJSON_Delete(st);
    return rc;
}

typedef struct paused_arg {
    const char *reason, *message;
    rc_time now;
} paused_arg;

static void set_paused(void *arg, cJSON *status)
{
    paused_arg *a = arg;
    rci_condition_set(status, "Progressing", "Unknown", a->reason, a->message, a->now, true);
}

int rci_dsync_paused_conditions(rci_dsync *s)
{
    if (!rci_deployment_has_progress_deadline(s->d))
        return 0;
    cJSON *cur = rc_node_to_cjson(rc_object_at(s->d, "status"));
    const cJSON *c = rci_condition_get(cur, "Progressing");
    const char *reason = c ? cond_str(c, "reason") : "";
    bool timed = !strcmp(reason, "ProgressDeadlineExceeded"), paused_cond = !strcmp(reason, "DeploymentPaused");
    cJSON_Delete(cur);
    if (timed)
        return 0;
    bool paused = rc_object_get_bool(s->d, "spec.paused", false);
    paused_arg a = {NULL, NULL, s->now};
    if (paused && !paused_cond)
        a = (paused_arg){"DeploymentPaused", "Deployment is paused", s->now};
    else if (!paused && paused_cond)
        a = (paused_arg){"DeploymentResumed", "Deployment is resumed", s->now};
    return a.reason ? rci_dsync_write_status(s, set_paused, &a) : 0;
}
