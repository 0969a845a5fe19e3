/* job_plan.c - one sync of the Job controller as a pure function (spec section 5.2): counts pods that
 * finished through the finalizer/uncountedTerminatedPods protocol, applies the failure checks
 * (backoffLimit, OnFailure restarts, activeDeadlineSeconds), suspend/resume, manageJob (parallelism,
 * completions, Indexed completion mode, pod-failure back-off) and completion, and plans the status.
 * A pod being deleted within its grace period may still exit 0 (its kubelet stops it and reports the
 * phase), so it is neither counted nor replaced until it ends or its grace period is over: replacing it
 * at once would let more pods succeed than completions. */
#include <reconcile/events.h>
#include <stdlib.h>
#include <string.h>

#include "controllers/controller_utils.h"
#include "controllers/job.h"

/* Everything one sync knows about the Job and its pods. */
typedef struct job_sync {
    const rci_job_input *in;
    rci_child_plan *plan;
    cJSON *status;          /* working copy of the new status */
    int64_t parallelism, completions, backoff_limit;
    bool has_completions, indexed, suspended, replace_on_failed_only;
    rc_object **active;     /* borrowed pods */
    size_t nactive;
    int64_t terminating, ready;
    int64_t stopping;       /* being deleted within their grace period: they may still succeed */
    int64_t succeeded, failed; /* totals: counted + uncounted */
    bool *completed;        /* Indexed: completed indexes [0, completions) */
    int64_t ncompleted;
    size_t deleted, created;
} job_sync;

static bool str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static bool condition_true(const cJSON *status, const char *type)
{
    const cJSON *c = rci_condition_get(status, type);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(c, "status");
    return cJSON_IsString(st) && !strcmp(st->valuestring, "True");
}

static bool uid_in(const cJSON *arr, const char *uid)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) if (cJSON_IsString(e) && str_eq(e->valuestring, uid)) return true;
    return false;
}

static const rc_object *pod_by_uid(const job_sync *s, const char *uid)
{
    for (size_t i = 0; i < s->in->npods; i++)
        if (str_eq(rc_object_uid(s->in->pods[i]), uid))
            return s->in->pods[i];
    return NULL;
}

static int64_t status_int(const cJSON *status, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(status, key);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static void set_int(job_sync *s, const char *key, int64_t v)
{
    if (!rci_json_set(s->status, key, cJSON_CreateNumber((double)v)))
        s->plan->oom = true;
}

static void plan_remove_finalizer(job_sync *s, const rc_object *pod)
{
    rc_object *copy = rc_object_copy(pod);
    if (copy && rc_object_remove_finalizer(copy, RCI_JOB_TRACKING_FINALIZER) != 0) {
        rc_object_unref(copy);
        copy = NULL;
    }
    rci_plan_add(s->plan, RCI_ACTION_UPDATE, "pods", copy, RC_PROPAGATION_DEFAULT);
}

/* When a deleted, still running pod is due to be stopped; 0 when it is not being deleted. A pod never
 * bound to a node has no kubelet to stop it: it is due at once. */
static rc_time stop_deadline(const rc_object *pod)
{
    if (!rc_object_deletion_timestamp(pod))
        return 0;
    const char *node = rc_object_get_str(pod, "spec.nodeName");
    rc_time t = rci_object_time(pod, "metadata.deletionTimestamp");
    return node && node[0] && t ? t : 1;
}

/* A deleted pod that has not reached a terminal phase and whose grace period is still running. */
static bool stopping(const job_sync *s, const rc_object *pod)
{
    const char *phase = rc_object_get_str(pod, "status.phase");
    return !str_eq(phase, "Succeeded") && !str_eq(phase, "Failed") && stop_deadline(pod) > s->in->now;
}

/* The finished/failed classification of a pod still holding the tracking finalizer (spec 5.2 step 3):
 * a deleted pod counts as failed once its grace period is over without it finishing. */
static int finished_kind(const job_sync *s, const rc_object *pod)
{
    const char *phase = rc_object_get_str(pod, "status.phase");
    if (str_eq(phase, "Succeeded"))
        return 1;
    if (str_eq(phase, "Failed"))
        return -1;
    if (rc_object_deletion_timestamp(pod) && !s->replace_on_failed_only && !stopping(s, pod))
        return -1;
    return 0;
}

/* Moves uncounted pods whose finalizer is gone into the counters, records newly finished pods as
 * uncounted and plans their finalizer removal; fills the totals. */
static void track_finished(job_sync *s)
{
    cJSON *unc = cJSON_GetObjectItemCaseSensitive(s->status, "uncountedTerminatedPods");
    if (!cJSON_IsObject(unc)) {
        cJSON_DeleteItemFromObjectCaseSensitive(s->status, "uncountedTerminatedPods");
        unc = cJSON_AddObjectToObject(s->status, "uncountedTerminatedPods");
    }
    const char *keys[2] = {"succeeded", "failed"};
    cJSON *lists[2];
    for (int k = 0; k < 2 && unc; k++) {
        lists[k] = cJSON_GetObjectItemCaseSensitive(unc, keys[k]);
        if (!cJSON_IsArray(lists[k])) {
            cJSON_DeleteItemFromObjectCaseSensitive(unc, keys[k]);
            lists[k] = cJSON_AddArrayToObject(unc, keys[k]);
        }
        if (!lists[k]) {
            s->plan->oom = true;
            return;
        }
        int64_t counted = status_int(s->status, keys[k]);
        for (int i = cJSON_GetArraySize(lists[k]) - 1; i >= 0; i--) {
            cJSON *e = cJSON_GetArrayItem(lists[k], i);
            const rc_object *pod = cJSON_IsString(e) ? pod_by_uid(s, e->valuestring) : NULL;
            if (pod && rc_object_has_finalizer(pod, RCI_JOB_TRACKING_FINALIZER))
                continue;
            cJSON_DeleteItemFromArray(lists[k], i);
            counted++;
        }
        set_int(s, keys[k], counted);
    }
    if (!unc) {
        s->plan->oom = true;
        return;
    }
    for (size_t i = 0; i < s->in->npods; i++) {
        const rc_object *pod = s->in->pods[i];
        if (!rc_object_has_finalizer(pod, RCI_JOB_TRACKING_FINALIZER))
            continue;
        int kind = finished_kind(s, pod);
        if (kind == 0)
            continue;
        const char *uid = rc_object_uid(pod);
        /* recorded by an earlier sync whose finalizer removal failed: it keeps that outcome, counted once */
        if (!uid_in(lists[0], uid) && !uid_in(lists[1], uid))
            cJSON_AddItemToArray(lists[kind > 0 ? 0 : 1], cJSON_CreateString(uid));
        plan_remove_finalizer(s, pod);
    }
    s->succeeded = status_int(s->status, "succeeded") + cJSON_GetArraySize(lists[0]);
    s->failed = status_int(s->status, "failed") + cJSON_GetArraySize(lists[1]);
    if (cJSON_GetArraySize(lists[0]) == 0 && cJSON_GetArraySize(lists[1]) == 0)
        cJSON_DeleteItemFromObjectCaseSensitive(s->status, "uncountedTerminatedPods");
}

static void classify_pods(job_sync *s)
{
    for (size_t i = 0; i < s->in->npods; i++) {
        rc_object *pod = s->in->pods[i];
        if (rci_pod_is_active(pod)) {
            s->active[s->nactive++] = pod;
            s->ready += rci_pod_is_ready(pod);
        } else if (stopping(s, pod)) {
            s->stopping++;
            s->terminating++;
            rci_plan_requeue(s->plan, stop_deadline(pod) - s->in->now);
        } else if (rc_object_deletion_timestamp(pod) && finished_kind(s, pod) <= 0 &&
                   !str_eq(rc_object_get_str(pod, "status.phase"), "Failed")) {
            s->terminating++;
        }
        long idx = s->indexed ? rci_job_pod_index(pod) : -1;
        if (idx >= 0 && idx < s->completions && str_eq(rc_object_get_str(pod, "status.phase"), "Succeeded"))
            s->completed[idx] = true;
    }
    if (s->indexed) {
        const cJSON *ci = cJSON_GetObjectItemCaseSensitive(s->status, "completedIndexes");
        rci_job_parse_indexes(cJSON_IsString(ci) ? ci->valuestring : "", s->completed, (size_t)s->completions);
        for (int64_t i = 0; i < s->completions; i++)
            s->ncompleted += s->completed[i];
        s->succeeded = s->ncompleted;
    }
}

/* Consecutive failures since the last success and when the last one finished (spec 5.4). */
static rc_duration backoff_remaining(const job_sync *s)
{
    rc_time last_success = 0, last_failure = 0;
    for (size_t i = 0; i < s->in->npods; i++)
        if (str_eq(rc_object_get_str(s->in->pods[i], "status.phase"), "Succeeded")) {
            rc_time t = rci_job_pod_finish_time(s->in->pods[i]);
            last_success = t > last_success ? t : last_success;
        }
    int64_t failures = 0;
    for (size_t i = 0; i < s->in->npods; i++) {
        const rc_object *pod = s->in->pods[i];
        if (!str_eq(rc_object_get_str(pod, "status.phase"), "Failed"))
            continue;
        rc_time t = rci_job_pod_finish_time(pod);
        if (t > last_success) {
            failures++;
            last_failure = t > last_failure ? t : last_failure;
        }
    }
    rc_duration max = s->in->backoff_max > 0 ? s->in->backoff_max : RCI_JOB_BACKOFF_MAX;
    rc_duration left = last_failure + rci_job_backoff_delay(failures, max) - s->in->now;
    return failures > 0 && left > 0 ? left : 0;
}

static void plan_delete(job_sync *s, rc_object *pod)
{
    rci_plan_add(s->plan, RCI_ACTION_DELETE, "pods", rc_object_ref(pod), RC_PROPAGATION_DEFAULT);
    s->deleted++;
}

/* Deletes n of the given pods, the least valuable first (controller.ActivePods order). */
static void delete_ranked(job_sync *s, rc_object **pods, size_t npods, size_t n)
{
    if (npods == 0 || n == 0)
        return;
    rci_ranked_pod *ranked = calloc(npods, sizeof *ranked);
    if (!ranked) {
        s->plan->oom = true;
        return;
    }
    for (size_t i = 0; i < npods; i++)
        ranked[i].pod = pods[i];
    rci_rank_pods_for_deletion(ranked, npods, s->in->now);
    for (size_t i = 0; i < n && i < npods; i++)
        plan_delete(s, ranked[i].pod);
    free(ranked);
}

static void create_pods(job_sync *s, size_t n)
{
    if (n > RCI_JOB_MAX_PER_SYNC)
        n = RCI_JOB_MAX_PER_SYNC;
    rc_duration wait = backoff_remaining(s);
    if (n > 0 && wait > 0) {
        rci_plan_requeue(s->plan, wait);
        return;
    }
    bool *busy = NULL;
    if (s->indexed) { /* lowest indexes neither completed nor active */
        busy = calloc((size_t)s->completions, sizeof *busy);
        if (!busy) {
            s->plan->oom = true;
            return;
        }
        for (size_t i = 0; i < s->nactive; i++) {
            long idx = rci_job_pod_index(s->active[i]);
            if (idx >= 0 && idx < s->completions)
                busy[idx] = true;
        }
    }
    for (int64_t idx = 0; n > 0 && (!s->indexed || idx < s->completions); idx++) {
        if (s->indexed && (busy[idx] || s->completed[idx]))
            continue;
        rci_plan_add(s->plan, RCI_ACTION_CREATE, "pods", rci_job_new_pod(s->in->job, s->indexed ? idx : -1),
                     RC_PROPAGATION_DEFAULT);
        s->created++;
        n--;
    }
    free(busy);
}

/* Indexed: active pods with an invalid, completed or duplicated index go first (spec 5.3). */
static size_t delete_bad_indexes(job_sync *s, rc_object **keep)
{
    size_t nkeep = 0;
    bool *seen = calloc((size_t)s->completions + 1, sizeof *seen);
    if (!seen) {
        s->plan->oom = true;
        return 0;
    }
    for (size_t i = 0; i < s->nactive; i++) {
        long idx = rci_job_pod_index(s->active[i]);
        if (idx < 0 || idx >= s->completions || seen[idx] || s->completed[idx]) {
            plan_delete(s, s->active[i]);
        } else {
            seen[idx] = true;
            keep[nkeep++] = s->active[i];
        }
    }
    free(seen);
    return nkeep;
}

static void manage_job(job_sync *s)
{
    if (s->suspended) {
        delete_ranked(s, s->active, s->nactive, s->nactive);
        return;
    }
    rc_object **pods = s->active;
    size_t nactive = s->nactive;
    rc_object **keep = NULL;
    if (s->indexed) {
        keep = calloc(s->nactive + 1, sizeof *keep);
        if (!keep) {
            s->plan->oom = true;
            return;
        }
        nactive = delete_bad_indexes(s, keep);
        pods = keep;
    }
    int64_t want;
    if (s->indexed) {
        want = s->completions - s->ncompleted;
        want = want < s->parallelism ? want : s->parallelism;
    } else if (!s->has_completions) {
        want = s->succeeded > 0 ? (int64_t)nactive : s->parallelism;
        want = want < s->parallelism ? want : s->parallelism;
    } else {
        want = s->completions - s->succeeded;
        want = want < 0 ? 0 : want < s->parallelism ? want : s->parallelism;
    }
    int64_t occupied = (int64_t)nactive + (s->replace_on_failed_only ? s->terminating : s->stopping);
    if (occupied > want) {
        int64_t n = occupied - want;
        delete_ranked(s, pods, nactive, (size_t)(n < RCI_JOB_MAX_PER_SYNC ? n : RCI_JOB_MAX_PER_SYNC));
    } else if (occupied < want && s->deleted == 0) { /* a sync deletes or creates, never both */
        create_pods(s, (size_t)(want - occupied));
    }
    free(keep);
}

static int64_t restart_count(const job_sync *s)
{
    int64_t total = 0;
    for (size_t i = 0; i < s->nactive; i++) {
        const char *lists[2] = {"status.containerStatuses", "status.initContainerStatuses"};
        for (int l = 0; l < 2; l++) {
            rc_node st = rc_object_at(s->active[i], lists[l]);
            for (size_t j = 0; j < rc_node_len(st); j++)
                total += rc_node_int(rc_node_get(rc_node_index(st, j), "restartCount"), 0);
        }
    }
    return total;
}

/* The failure check of spec 5.2 step 5: the reason, or NULL; message filled. */
static const char *failure_reason(job_sync *s, const char **message)
{
    if (s->failed > s->backoff_limit) {
        *message = "Job has reached the specified backoff limit";
        return "BackoffLimitExceeded";
    }
    const char *rp = rc_object_get_str(s->in->job, "spec.template.spec.restartPolicy");
    if (str_eq(rp, "OnFailure")) {
        int64_t restarts = restart_count(s);
        if (s->backoff_limit == 0 ? restarts > 0 : restarts >= s->backoff_limit) {
            *message = "Job has reached the specified backoff limit";
            return "BackoffLimitExceeded";
        }
    }
    int64_t ads = rc_object_get_int(s->in->job, "spec.activeDeadlineSeconds", -1);
    rc_time start = rci_node_time(rc_node_from_cjson(cJSON_GetObjectItemCaseSensitive(s->status, "startTime")));
    if (ads >= 0 && start && !s->suspended) {
        rc_duration left = start + ads * RC_SEC - s->in->now;
        if (left <= 0) {
            *message = "Job was active longer than specified deadline";
            return "DeadlineExceeded";
        }
        rci_plan_requeue(s->plan, left);
    }
    return NULL;
}

static void set_condition(job_sync *s, const char *type, const char *st, const char *reason, const char *msg)
{
    if (!rci_condition_set(s->status, type, st, reason, msg, s->in->now, false))
        return;
    cJSON *c = rci_condition_get(s->status, type); /* Job conditions also carry lastProbeTime */
    if (!c || !cJSON_AddItemToObject(c, "lastProbeTime", rci_time_json(s->in->now)))
        s->plan->oom = true;
}

static void suspend_conditions(job_sync *s)
{
    bool was = condition_true(s->status, "Suspended");
    if (s->suspended && !was) {
        set_condition(s, "Suspended", "True", "JobSuspended", "Job suspended");
        rci_plan_event(s->plan, RC_EVENT_NORMAL, "Suspended", "Job suspended");
    } else if (!s->suspended && was) {
        set_condition(s, "Suspended", "False", "JobResumed", "Job resumed");
        rci_json_set(s->status, "startTime", rci_time_json(s->in->now));
        rci_plan_event(s->plan, RC_EVENT_NORMAL, "Resumed", "Job resumed");
    }
}

static bool job_complete(const job_sync *s, int64_t active_after)
{
    if (active_after > 0)
        return false;
    if (s->indexed)
        return s->ncompleted >= s->completions;
    return s->has_completions ? s->succeeded >= s->completions : s->succeeded > 0;
}

static void write_counts(job_sync *s, int64_t active)
{
    set_int(s, "active", active);
    set_int(s, "ready", s->ready);
    set_int(s, "terminating", s->terminating);
    if (s->indexed) {
        char *text = rci_job_format_indexes(s->completed, (size_t)s->completions);
        if (!text || !rci_json_set(s->status, "completedIndexes", cJSON_CreateString(text)))
            s->plan->oom = true;
        free(text);
    }
}

/* True while finished pods still wait to be counted: terminal conditions must wait for them. */
static bool counting_pending(const job_sync *s)
{
    const cJSON *unc = cJSON_GetObjectItemCaseSensitive(s->status, "uncountedTerminatedPods");
    return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(unc, "succeeded")) > 0 ||
           cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(unc, "failed")) > 0 ||
           rci_plan_count(s->plan, RCI_ACTION_UPDATE, "pods") > 0;
}

/* A failure decided by an earlier sync (FailureTarget) stands even if its cause is gone. */
static const char *earlier_failure(const job_sync *s, const char **message)
{
    const cJSON *c = rci_condition_get(s->status, "FailureTarget");
    const cJSON *reason = cJSON_GetObjectItemCaseSensitive(c, "reason");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(c, "message");
    if (!condition_true(s->status, "FailureTarget") || !cJSON_IsString(reason))
        return NULL;
    *message = cJSON_IsString(msg) ? msg->valuestring : "";
    return reason->valuestring;
}

/* Failing (spec 5.2 step 6): every active pod is deleted; FailureTarget marks the decision and Failed
 * follows once no pod is running and every finished pod is counted. */
static int64_t fail_job(job_sync *s, const char *reason, const char *message)
{
    delete_ranked(s, s->active, s->nactive, s->nactive);
    bool first = !condition_true(s->status, "FailureTarget");
    char *r = strdup(reason), *m = strdup(message);
    if (!r || !m) {
        s->plan->oom = true;
    } else {
        set_condition(s, "FailureTarget", "True", r, m);
        if (first) /* then reason is one of failure_reason's static strings */
            rci_plan_event(s->plan, RC_EVENT_WARNING, reason, "%s", m);
        if (s->nactive == 0 && s->terminating == 0 && !counting_pending(s))
            set_condition(s, "Failed", "True", r, m);
    }
    free(r);
    free(m);
    return 0;
}

static int64_t run_job(job_sync *s)
{
    if (s->in->satisfied && !rc_object_deletion_timestamp(s->in->job))
        manage_job(s);
    int64_t active_after = (int64_t)s->nactive + (int64_t)s->created - (int64_t)s->deleted;
    suspend_conditions(s);
    if (job_complete(s, active_after)) {
        const char *msg = "Reached expected number of succeeded pods";
        set_condition(s, "SuccessCriteriaMet", "True", "CompletionsReached", msg);
        if (!counting_pending(s)) {
            set_condition(s, "Complete", "True", "CompletionsReached", msg);
            rci_json_set(s->status, "completionTime", rci_time_json(s->in->now));
            rci_plan_event(s->plan, RC_EVENT_NORMAL, "Completed", "Job completed");
        }
    }
    return active_after;
}

static void sync_job(job_sync *s, const cJSON *old_status)
{
    track_finished(s);
    classify_pods(s);
    if (!cJSON_GetObjectItemCaseSensitive(s->status, "startTime") && !s->suspended)
        rci_json_set(s->status, "startTime", rci_time_json(s->in->now));
    const char *message = NULL, *reason = earlier_failure(s, &message);
    if (!reason)
        reason = failure_reason(s, &message);
    int64_t active_after = reason ? fail_job(s, reason, message) : run_job(s);
    write_counts(s, active_after);
    if (cJSON_Compare(s->status, old_status, true)) {
        cJSON_Delete(s->status);
    } else {
        rci_plan_set_status(s->plan, s->status);
    }
    s->status = NULL;
}

int rci_job_plan(const rci_job_input *in, rci_child_plan *plan)
{
    const rc_object *job = in->job;
    cJSON *old = rc_node_to_cjson(rc_object_at(job, "status"));
    if (!old)
        old = cJSON_CreateObject();
    job_sync s = {.in = in, .plan = plan, .status = cJSON_Duplicate(old, true)};
    s.parallelism = rc_object_get_int(job, "spec.parallelism", 1);
    s.has_completions = rc_node_kind(rc_object_at(job, "spec.completions")) == RC_NODE_NUMBER;
    s.completions = s.has_completions ? rc_object_get_int(job, "spec.completions", 1) : 0;
    s.backoff_limit = rc_object_get_int(job, "spec.backoffLimit", 6);
    s.indexed = str_eq(rc_object_get_str(job, "spec.completionMode"), "Indexed") && s.has_completions;
    s.suspended = rc_object_get_bool(job, "spec.suspend", false);
    s.replace_on_failed_only = str_eq(rc_object_get_str(job, "spec.podReplacementPolicy"), "Failed");
    s.active = calloc(in->npods + 1, sizeof *s.active);
    s.completed = calloc((size_t)(s.completions > 0 ? s.completions : 0) + 1, sizeof *s.completed);
    if (!old || !s.status || !s.active || !s.completed || s.completions > 10000000) {
        plan->oom = true;
    } else if (condition_true(old, "Complete") || condition_true(old, "Failed")) {
        for (size_t i = 0; i < in->npods; i++) /* finished: only release the pods' finalizers */
            if (rc_object_has_finalizer(in->pods[i], RCI_JOB_TRACKING_FINALIZER))
                plan_remove_finalizer(&s, in->pods[i]);
    } else {
        sync_job(&s, old);
    }
    cJSON_Delete(s.status);
    cJSON_Delete(old);
    free(s.active);
    free(s.completed);
    return plan->oom ? RC_ENOMEM : 0;
}
