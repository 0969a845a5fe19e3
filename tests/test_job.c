/* test_job.c - the Job controller's sync (rci_job_plan) driven on a virtual clock against a small
 * in-test cluster: a kubelet that runs each pod for a scripted time, pod deletion with finalizers, and
 * the Job's status written back. Shows the notes' `pi` Job with parallelism 2 and completions 4, the
 * pod-failure back-off up to backoffLimit, activeDeadlineSeconds, Indexed mode, work-queue Jobs,
 * suspend/resume, OnFailure restarts and ttlSecondsAfterFinished; then the same `pi` Job end to end
 * through the controller, the embedded API server and the simulated kubelet (rc_testenv + rc_sim). */
#include <reconcile.h>
#include <reconcile/controllers.h>
#include <reconcile/sim.h>
#include <reconcile/testenv.h>
#include <stdio.h>
#include <string.h>

#include "controllers/job.h"
#include "support/testutil.h"

#define MAX_PODS 256
#define T0 ((rc_time)1704067200 * RC_SEC) /* 2024-01-01T00:00:00Z */

typedef struct world {
    rc_object *job;
    rc_object *pods[MAX_PODS];
    size_t npods;
    rc_time now;
    int seq;
    int run_seconds;       /* pods finish this long after creation */
    int fail_first;        /* the first N pods created exit non-zero */
    bool satisfied;
    rc_time created_at[MAX_PODS];
    int ncreated;
    int max_active;
    char events[4096];
} world;

static rc_object *obj_json(const char *json)
{
    rc_error err = {0};
    rc_object *o = rc_object_from_json(json, strlen(json), &err);
    ck_assert_msg(o != NULL, "%s", err.message ? err.message : "?");
    return o;
}

static void world_init(world *w, const char *spec_json)
{
    memset(w, 0, sizeof *w);
    char buf[4096];
    snprintf(buf, sizeof buf,
             "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"pi\",\"namespace\":\"default\","
             "\"uid\":\"job-uid\",\"creationTimestamp\":\"2024-01-01T00:00:00Z\"},\"spec\":{%s%s"
             "\"selector\":{\"matchLabels\":{\"batch.kubernetes.io/controller-uid\":\"job-uid\"}},"
             "\"template\":{\"metadata\":{\"labels\":{\"batch.kubernetes.io/controller-uid\":\"job-uid\","
             "\"batch.kubernetes.io/job-name\":\"pi\",\"controller-uid\":\"job-uid\",\"job-name\":\"pi\"}},"
             "\"spec\":{\"containers\":[{\"name\":\"pi\",\"image\":\"perl:5.34.0\",\"command\":[\"perl\","
             "\"-Mbignum=bpi\",\"-wle\",\"print bpi(2000)\"]}],\"restartPolicy\":\"Never\"}}}}",
             spec_json, *spec_json ? "," : "");
    w->job = obj_json(buf);
    w->now = T0;
    w->run_seconds = 10;
    w->satisfied = true;
}

static void world_free(world *w)
{
    rc_object_unref(w->job);
    for (size_t i = 0; i < w->npods; i++)
        rc_object_unref(w->pods[i]);
}

static void stamp(rc_object *o, const char *path, rc_time t)
{
    char ts[RC_TIME_STRLEN];
    rc_time_format(t, ts, sizeof ts);
    ck_assert_int_eq(rc_object_set_str(o, path, ts), 0);
}

static void replace_pod(world *w, size_t i, rc_object *draft)
{
    rc_object_unref(w->pods[i]);
    w->pods[i] = rc_object_freeze(draft);
    if (rc_object_deletion_timestamp(w->pods[i]) && rc_object_finalizer_count(w->pods[i]) == 0) {
        rc_object_unref(w->pods[i]);
        w->pods[i] = w->pods[--w->npods];
    }
}

/* Terminal state: containers terminated at now with exit code, Ready=False. */
static void terminate(rc_object *pod, rc_time now, int exit_code)
{
    char json[512], ts[RC_TIME_STRLEN];
    rc_time_format(now, ts, sizeof ts);
    rc_object_set_str(pod, "status.phase", exit_code ? "Failed" : "Succeeded");
    snprintf(json, sizeof json, "[{\"name\":\"pi\",\"restartCount\":0,\"state\":{\"terminated\":{\"exitCode\":%d,"
             "\"finishedAt\":\"%s\"}}}]", exit_code, ts);
    rc_object_set_json(pod, "status.containerStatuses", cJSON_Parse(json));
    snprintf(json, sizeof json, "[{\"type\":\"Ready\",\"status\":\"False\",\"lastTransitionTime\":\"%s\"}]", ts);
    rc_object_set_json(pod, "status.conditions", cJSON_Parse(json));
}

/* The kubelet: Pending -> Running+Ready after 1 s -> exit after run_seconds. */
static void kubelet(world *w)
{
    for (size_t i = 0; i < w->npods; i++) {
        rc_object *pod = w->pods[i];
        const char *phase = rc_object_get_str(pod, "status.phase");
        if (rc_object_deletion_timestamp(pod) || !strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))
            continue;
        rc_time created = 0;
        rc_time_parse(rc_object_creation_timestamp(pod), &created, NULL);
        int ordinal = (int)rc_object_get_int(pod, "metadata.annotations.ordinal", 0);
        rc_object *d = rc_object_copy(pod);
        if (w->now >= created + w->run_seconds * RC_SEC) {
            terminate(d, created + w->run_seconds * RC_SEC, ordinal < w->fail_first ? 1 : 0);
        } else if (w->now >= created + RC_SEC && !strcmp(phase, "Pending")) {
            char json[256], ts[RC_TIME_STRLEN];
            rc_time_format(w->now, ts, sizeof ts);
            rc_object_set_str(d, "status.phase", "Running");
            snprintf(json, sizeof json, "[{\"type\":\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"%s\"}]", ts);
            rc_object_set_json(d, "status.conditions", cJSON_Parse(json));
        }
        replace_pod(w, i, d);
    }
}

static size_t find_pod(world *w, const rc_object *o)
{
    for (size_t i = 0; i < w->npods; i++)
        if (!strcmp(rc_object_name(w->pods[i]), rc_object_name(o)))
            return i;
    return (size_t)-1;
}

/* Applies the plan as the API server and kubelet would; returns true when it changed anything. */
static bool apply(world *w, rci_child_plan *p)
{
    for (size_t i = 0; i < p->nevents; i++) {
        strncat(w->events, p->events[i].reason, sizeof w->events - strlen(w->events) - 2);
        strcat(w->events, " ");
    }
    for (size_t i = 0; i < p->nactions; i++) {
        rci_action *a = &p->actions[i];
        ck_assert_str_eq(a->resource, "pods");
        size_t at = a->kind == RCI_ACTION_CREATE ? 0 : find_pod(w, a->obj);
        if (a->kind != RCI_ACTION_CREATE && at == (size_t)-1)
            continue;
        if (a->kind == RCI_ACTION_DELETE) { /* grace period 0: the kubelet kills it at once */
            rc_object *d = rc_object_copy(w->pods[at]);
            const char *phase = rc_object_get_str(d, "status.phase");
            if (strcmp(phase, "Succeeded") && strcmp(phase, "Failed"))
                terminate(d, w->now, 137);
            stamp(d, "metadata.deletionTimestamp", w->now);
            replace_pod(w, at, d);
        } else if (a->kind == RCI_ACTION_UPDATE) {
            replace_pod(w, at, rc_object_copy(a->obj));
        } else {
            ck_assert_uint_lt(w->npods, MAX_PODS);
            rc_object *d = rc_object_copy(a->obj);
            char name[128], uid[32], ord[16];
            snprintf(name, sizeof name, "%s%d", rc_object_generate_name(d), w->seq);
            snprintf(uid, sizeof uid, "pod-uid-%d", w->seq);
            snprintf(ord, sizeof ord, "%d", w->ncreated);
            rc_object_set_name(d, name);
            rc_object_set_str(d, "metadata.uid", uid);
            rc_object_set_annotation(d, "ordinal", ord);
            stamp(d, "metadata.creationTimestamp", w->now);
            rc_object_set_str(d, "status.phase", "Pending");
            w->created_at[w->ncreated++] = w->now;
            w->seq++;
            w->pods[w->npods++] = rc_object_freeze(d);
        }
    }
    if (p->status) {
        rc_object *d = rc_object_copy(w->job);
        rc_object_set_json(d, "status", cJSON_Duplicate(p->status, true));
        rc_object_unref(w->job);
        w->job = rc_object_freeze(d);
    }
    return p->nactions > 0 || p->status != NULL;
}

static void sync(world *w)
{
    for (int round = 0; round < 20; round++) {
        rci_child_plan p;
        rci_plan_init(&p);
        rci_job_input in = {w->job, w->pods, w->npods, w->now, w->satisfied, 0};
        ck_assert_int_eq(rci_job_plan(&in, &p), 0);
        bool changed = apply(w, &p);
        rci_plan_clear(&p);
        if (!changed)
            return;
    }
    ck_abort_msg("job sync did not settle");
}

static int active_pods(world *w)
{
    int n = 0;
    for (size_t i = 0; i < w->npods; i++) {
        const char *phase = rc_object_get_str(w->pods[i], "status.phase");
        n += !rc_object_deletion_timestamp(w->pods[i]) && strcmp(phase, "Succeeded") && strcmp(phase, "Failed");
    }
    return n;
}

/* Runs the world second by second for `seconds`. */
static void run(world *w, int seconds)
{
    for (int s = 0; s <= seconds; s++) {
        kubelet(w);
        sync(w);
        int a = active_pods(w);
        w->max_active = a > w->max_active ? a : w->max_active;
        w->now += RC_SEC;
    }
}

static const char *condition(world *w, const char *type, const char *field)
{
    rc_node conds = rc_object_at(w->job, "status.conditions");
    for (size_t i = 0; i < rc_node_len(conds); i++) {
        rc_node c = rc_node_index(conds, i);
        if (!strcmp(rc_node_str(rc_node_get(c, "type")), type))
            return rc_node_str(rc_node_get(c, field));
    }
    return NULL;
}

START_TEST(pi_parallelism_two_completions_four)
{
    world w;
    world_init(&w, "\"parallelism\":2,\"completions\":4,\"backoffLimit\":4");
    run(&w, 60);
    ck_assert_int_le(w.max_active, 2);
    ck_assert_int_eq(w.max_active, 2);
    ck_assert_int_eq(w.ncreated, 4);
    ck_assert_int_eq(rc_object_get_int(w.job, "status.succeeded", -1), 4);
    ck_assert_int_eq(rc_object_get_int(w.job, "status.failed", 0), 0);
    ck_assert_int_eq(rc_object_get_int(w.job, "status.active", -1), 0);
    ck_assert_str_eq(condition(&w, "Complete", "status"), "True");
    ck_assert_str_eq(rc_object_get_str(w.job, "status.startTime"), "2024-01-01T00:00:00Z");
    ck_assert_str_eq(rc_object_get_str(w.job, "status.completionTime"), "2024-01-01T00:00:20Z");
    ck_assert(!rc_node_exists(rc_object_at(w.job, "status.uncountedTerminatedPods")));
    /* two waves: 0 s and 10 s; every pod released its tracking finalizer and carries the labels */
    ck_assert_int_eq(w.created_at[0], T0);
    ck_assert_int_eq(w.created_at[1], T0);
    ck_assert_int_eq(w.created_at[2], T0 + 10 * RC_SEC);
    ck_assert_int_eq(w.created_at[3], T0 + 10 * RC_SEC);
    for (size_t i = 0; i < w.npods; i++) {
        ck_assert_uint_eq(rc_object_finalizer_count(w.pods[i]), 0);
        ck_assert_str_eq(rc_object_label(w.pods[i], "batch.kubernetes.io/job-name"), "pi");
        ck_assert_str_eq(rc_object_label(w.pods[i], "controller-uid"), "job-uid");
        rc_owner_ref ref;
        ck_assert(rc_object_controller_ref(w.pods[i], &ref));
        ck_assert_str_eq(ref.uid, "job-uid");
        ck_assert_str_eq(rc_object_generate_name(w.pods[i]), "pi-");
    }
    ck_assert_ptr_nonnull(strstr(w.events, "Completed"));
    world_free(&w);
}
END_TEST

START_TEST(failures_back_off_until_backoff_limit)
{
    world w;
    world_init(&w, "\"backoffLimit\":3");
    w.run_seconds = 5;
    w.fail_first = 100;
    run(&w, 200);
    /* failures at 5, 20, 45, 90 s; replacements 10 s, 20 s, 40 s after the last failure */
    ck_assert_int_eq(w.ncreated, 4);
    ck_assert_int_eq(w.created_at[0], T0);
    ck_assert_int_eq(w.created_at[1], T0 + 15 * RC_SEC);
    ck_assert_int_eq(w.created_at[2], T0 + 40 * RC_SEC);
    ck_assert_int_eq(w.created_at[3], T0 + 85 * RC_SEC);
    ck_assert_str_eq(condition(&w, "Failed", "status"), "True");
    ck_assert_str_eq(condition(&w, "Failed", "reason"), "BackoffLimitExceeded");
    ck_assert_str_eq(condition(&w, "Failed", "lastTransitionTime"), "2024-01-01T00:01:30Z");
    ck_assert_int_eq(rc_object_get_int(w.job, "status.failed", -1), 4);
    ck_assert_ptr_nonnull(strstr(w.events, "BackoffLimitExceeded"));
    world_free(&w);

    ck_assert_int_eq(rci_job_backoff_delay(0, RCI_JOB_BACKOFF_MAX), 0);
    ck_assert_int_eq(rci_job_backoff_delay(1, RCI_JOB_BACKOFF_MAX), 10 * RC_SEC);
    ck_assert_int_eq(rci_job_backoff_delay(6, RCI_JOB_BACKOFF_MAX), 320 * RC_SEC);
    ck_assert_int_eq(rci_job_backoff_delay(7, RCI_JOB_BACKOFF_MAX), 600 * RC_SEC);
    ck_assert_int_eq(rci_job_backoff_delay(60, 360 * RC_SEC), 360 * RC_SEC);
}
END_TEST

START_TEST(active_deadline_stops_everything)
{
    world w;
    world_init(&w, "\"parallelism\":3,\"completions\":10,\"activeDeadlineSeconds\":30");
    w.run_seconds = 100;
    run(&w, 28);
    ck_assert_int_eq(active_pods(&w), 3);
    ck_assert_ptr_null(condition(&w, "Failed", "status"));
    /* the deadline is the requeue the plan asks for */
    rci_child_plan p;
    rci_plan_init(&p);
    rci_job_input in = {w.job, w.pods, w.npods, w.now, true, 0};
    ck_assert_int_eq(rci_job_plan(&in, &p), 0);
    ck_assert_int_eq(p.requeue, RC_SEC);
    rci_plan_clear(&p);
    run(&w, 30);
    ck_assert_str_eq(condition(&w, "FailureTarget", "reason"), "DeadlineExceeded");
    ck_assert_int_eq(active_pods(&w), 0);
    ck_assert_int_eq(w.ncreated, 3);
    ck_assert_str_eq(condition(&w, "Failed", "reason"), "DeadlineExceeded");
    ck_assert_str_eq(condition(&w, "Failed", "lastTransitionTime"), "2024-01-01T00:00:30Z");
    ck_assert_int_eq(rc_object_get_int(w.job, "status.active", -1), 0);
    for (size_t i = 0; i < w.npods; i++)
        ck_assert_uint_eq(rc_object_finalizer_count(w.pods[i]), 0);
    world_free(&w);
}
END_TEST

START_TEST(indexed_one_success_per_index)
{
    world w;
    world_init(&w, "\"parallelism\":2,\"completions\":3,\"completionMode\":\"Indexed\"");
    run(&w, 0);
    ck_assert_int_eq(w.ncreated, 2);
    long seen[2] = {rci_job_pod_index(w.pods[0]), rci_job_pod_index(w.pods[1])};
    ck_assert_int_eq(seen[0] + seen[1], 1); /* indexes 0 and 1 */
    rc_object *p0 = w.pods[0];
    char want_host[32];
    snprintf(want_host, sizeof want_host, "pi-%ld", seen[0]);
    ck_assert_str_eq(rc_object_get_str(p0, "spec.hostname"), want_host);
    ck_assert_str_eq(rc_object_get_str(p0, "spec.containers.0.env.0.name"), "JOB_COMPLETION_INDEX");
    ck_assert_str_eq(rc_object_get_str(p0, "spec.containers.0.env.0.valueFrom.fieldRef.fieldPath"),
                     "metadata.annotations['batch.kubernetes.io/job-completion-index']");
    ck_assert_ptr_nonnull(rc_object_label(p0, RCI_JOB_INDEX_KEY));
    /* a duplicate of index 0 appears (e.g. adopted): it is deleted */
    rc_object *dup = rci_job_new_pod(w.job, 0);
    rc_object_set_name(dup, "pi-0-dup");
    rc_object_set_str(dup, "metadata.uid", "dup-uid");
    rc_object_set_str(dup, "status.phase", "Pending");
    stamp(dup, "metadata.creationTimestamp", w.now);
    w.pods[w.npods++] = rc_object_freeze(dup);
    sync(&w);
    ck_assert_int_eq(active_pods(&w), 2);
    run(&w, 40);
    ck_assert_int_eq(rc_object_get_int(w.job, "status.succeeded", -1), 3);
    ck_assert_str_eq(rc_object_get_str(w.job, "status.completedIndexes"), "0-2");
    ck_assert_str_eq(condition(&w, "Complete", "status"), "True");
    world_free(&w);

    bool marks[10] = {0};
    rci_job_parse_indexes("0-2,5,7-8", marks, 10);
    char *text = rci_job_format_indexes(marks, 10);
    ck_assert_str_eq(text, "0-2,5,7-8");
    free(text);
    rci_job_parse_indexes("9-99,x", marks, 10); /* out of range and junk are ignored */
    text = rci_job_format_indexes(marks, 10);
    ck_assert_str_eq(text, "0-2,5,7-9");
    free(text);
}
END_TEST

START_TEST(work_queue_job_without_completions)
{
    world w;
    world_init(&w, "\"parallelism\":3");
    run(&w, 0);
    ck_assert_int_eq(w.ncreated, 3);
    run(&w, 30);
    ck_assert_int_eq(w.ncreated, 3); /* no new pods once any succeeded */
    ck_assert_int_eq(rc_object_get_int(w.job, "status.succeeded", -1), 3);
    ck_assert_str_eq(condition(&w, "Complete", "status"), "True");
    world_free(&w);
}
END_TEST

START_TEST(suspend_and_resume)
{
    world w;
    world_init(&w, "\"parallelism\":2,\"completions\":2,\"suspend\":true");
    run(&w, 5);
    ck_assert_int_eq(w.ncreated, 0);
    ck_assert_str_eq(condition(&w, "Suspended", "reason"), "JobSuspended");
    ck_assert(!rc_node_exists(rc_object_at(w.job, "status.startTime")));
    rc_object *d = rc_object_copy(w.job);
    rc_object_set_bool(d, "spec.suspend", false);
    rc_object_unref(w.job);
    w.job = rc_object_freeze(d);
    run(&w, 0);
    ck_assert_int_eq(w.ncreated, 2);
    ck_assert_str_eq(condition(&w, "Suspended", "status"), "False");
    ck_assert_str_eq(condition(&w, "Suspended", "reason"), "JobResumed");
    ck_assert_str_eq(rc_object_get_str(w.job, "status.startTime"), "2024-01-01T00:00:06Z");
    /* suspending again deletes the running pods */
    d = rc_object_copy(w.job);
    rc_object_set_bool(d, "spec.suspend", true);
    rc_object_unref(w.job);
    w.job = rc_object_freeze(d);
    run(&w, 0);
    ck_assert_int_eq(active_pods(&w), 0);
    world_free(&w);
}
END_TEST

START_TEST(on_failure_restarts_count_toward_the_limit)
{
    world w;
    world_init(&w, "\"backoffLimit\":2");
    rc_object *d = rc_object_copy(w.job);
    rc_object_set_str(d, "spec.template.spec.restartPolicy", "OnFailure");
    rc_object_unref(w.job);
    w.job = rc_object_freeze(d);
    w.run_seconds = 1000;
    run(&w, 2);
    ck_assert_int_eq(active_pods(&w), 1);
    d = rc_object_copy(w.pods[0]);
    rc_object_set_json(d, "status.containerStatuses", cJSON_Parse("[{\"name\":\"pi\",\"restartCount\":2}]"));
    replace_pod(&w, 0, d);
    sync(&w);
    ck_assert_str_eq(condition(&w, "Failed", "reason"), "BackoffLimitExceeded");
    ck_assert_int_eq(active_pods(&w), 0);
    world_free(&w);
}
END_TEST

static rci_child_plan plan_now(world *w)
{
    rci_child_plan p;
    rci_plan_init(&p);
    rci_job_input in = {w->job, w->pods, w->npods, w->now, w->satisfied, 0};
    ck_assert_int_eq(rci_job_plan(&in, &p), 0);
    return p;
}

/* A running pod deleted with a grace period, as `kubectl delete pod` does: bound to a node, still
 * Running, deletionTimestamp at the end of the grace period. */
static void delete_gracefully(world *w, size_t i, int grace_seconds)
{
    rc_object *d = rc_object_copy(w->pods[i]);
    rc_object_set_str(d, "spec.nodeName", "node-1");
    stamp(d, "metadata.deletionTimestamp", w->now + grace_seconds * RC_SEC);
    replace_pod(w, i, d);
}

/* A pod deleted while running may still exit 0 within its grace period: it is neither counted as failed
 * nor replaced until it ends, so no more pods succeed than completions. */
START_TEST(deleted_pod_that_succeeds_is_counted_once)
{
    world w;
    world_init(&w, "\"parallelism\":1,\"completions\":1");
    run(&w, 3);
    ck_assert_int_eq(w.ncreated, 1);
    delete_gracefully(&w, 0, 30);
    sync(&w);
    ck_assert_int_eq(w.ncreated, 1);
    ck_assert_int_eq(rc_object_get_int(w.job, "status.failed", 0), 0);
    ck_assert_int_eq(rc_object_get_int(w.job, "status.terminating", 0), 1);
    rci_child_plan p = plan_now(&w);
    ck_assert_int_eq(p.requeue, 30 * RC_SEC); /* looked at again when the grace period ends */
    rci_plan_clear(&p);
    rc_object *d = rc_object_copy(w.pods[0]);
    terminate(d, w.now, 0);
    replace_pod(&w, 0, d);
    sync(&w);
    ck_assert_int_eq(w.ncreated, 1);
    ck_assert_int_eq(rc_object_get_int(w.job, "status.succeeded", 0), 1);
    ck_assert_int_eq(rc_object_get_int(w.job, "status.failed", 0), 0);
    ck_assert_str_eq(condition(&w, "Complete", "status"), "True");
    world_free(&w);
}
END_TEST

/* A deleted pod that never finishes counts as failed once its grace period is over, and is replaced. */
START_TEST(deleted_pod_past_its_grace_period_is_failed_and_replaced)
{
    world w;
    world_init(&w, "\"parallelism\":1,\"completions\":1,\"backoffLimit\":3");
    w.run_seconds = 1000;
    run(&w, 3);
    delete_gracefully(&w, 0, 5);
    sync(&w);
    ck_assert_int_eq(w.ncreated, 1);
    w.now += 5 * RC_SEC;
    sync(&w);
    ck_assert_int_eq(rc_object_get_int(w.job, "status.failed", 0), 1);
    w.now += 10 * RC_SEC; /* the pod-failure back-off */
    sync(&w);
    ck_assert_int_eq(w.ncreated, 2);
    world_free(&w);
}
END_TEST

/* A finished pod recorded as uncounted failed by a sync whose finalizer removal then failed keeps that
 * outcome when it later reports Succeeded: it is counted once, not in both lists. */
START_TEST(uncounted_pod_is_never_counted_twice)
{
    world w;
    world_init(&w, "\"parallelism\":1,\"completions\":2,\"backoffLimit\":5");
    run(&w, 3);
    const char *uid = rc_object_uid(w.pods[0]);
    char status[512];
    snprintf(status, sizeof status, "{\"startTime\":\"2024-01-01T00:00:00Z\",\"active\":1,"
             "\"uncountedTerminatedPods\":{\"failed\":[\"%s\"]}}", uid);
    rc_object *j = rc_object_copy(w.job);
    rc_object_set_json(j, "status", cJSON_Parse(status));
    rc_object_unref(w.job);
    w.job = rc_object_freeze(j);
    rc_object *d = rc_object_copy(w.pods[0]);
    terminate(d, w.now, 0);
    replace_pod(&w, 0, d);
    rci_child_plan p = plan_now(&w);
    ck_assert_ptr_nonnull(p.status);
    rc_node unc = rc_node_from_cjson(cJSON_GetObjectItemCaseSensitive(p.status, "uncountedTerminatedPods"));
    ck_assert_uint_eq(rc_node_len(rc_node_get(unc, "succeeded")), 0);
    ck_assert_uint_eq(rc_node_len(rc_node_get(unc, "failed")), 1);
    rci_plan_clear(&p);
    sync(&w);
    ck_assert_int_eq(rc_object_get_int(w.job, "status.succeeded", 0) + rc_object_get_int(w.job, "status.failed", 0),
                     1);
    world_free(&w);
}
END_TEST

START_TEST(unsatisfied_expectations_block_creates_not_status)
{
    world w;
    world_init(&w, "\"parallelism\":2,\"completions\":2");
    w.satisfied = false;
    run(&w, 0);
    ck_assert_int_eq(w.ncreated, 0);
    ck_assert_str_eq(rc_object_get_str(w.job, "status.startTime"), "2024-01-01T00:00:00Z");
    world_free(&w);
}
END_TEST

START_TEST(finished_job_only_releases_finalizers)
{
    world w;
    world_init(&w, "\"completions\":1");
    run(&w, 20);
    ck_assert_str_eq(condition(&w, "Complete", "status"), "True");
    rci_child_plan p;
    rci_plan_init(&p);
    rci_job_input in = {w.job, w.pods, w.npods, w.now, true, 0};
    ck_assert_int_eq(rci_job_plan(&in, &p), 0);
    ck_assert_uint_eq(p.nactions, 0);
    ck_assert_ptr_null(p.status);
    rci_plan_clear(&p);
    world_free(&w);
}
END_TEST

START_TEST(ttl_after_finished)
{
    rc_object *job = obj_json("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"j\"},"
                              "\"spec\":{\"ttlSecondsAfterFinished\":100},\"status\":{\"conditions\":[{\"type\":"
                              "\"Complete\",\"status\":\"True\",\"lastTransitionTime\":\"2024-01-01T00:00:00Z\"}]}}");
    rc_duration left = 0;
    ck_assert_int_eq(rci_job_ttl_due(job, T0 + 40 * RC_SEC, &left), 1);
    ck_assert_int_eq(left, 60 * RC_SEC);
    ck_assert_int_eq(rci_job_ttl_due(job, T0 + 100 * RC_SEC, &left), 0);
    rc_object_unref(job);
    job = obj_json("{\"metadata\":{\"name\":\"j\"},\"spec\":{\"ttlSecondsAfterFinished\":0},\"status\":{}}");
    ck_assert_int_eq(rci_job_ttl_due(job, T0, &left), -1); /* not finished */
    rc_object_unref(job);
    job = obj_json("{\"metadata\":{\"name\":\"j\"},\"spec\":{},\"status\":{\"conditions\":[{\"type\":\"Failed\","
                   "\"status\":\"True\",\"lastTransitionTime\":\"2024-01-01T00:00:00Z\"}]}}");
    ck_assert_int_eq(rci_job_ttl_due(job, T0, &left), -1); /* no ttl */
    rc_object_unref(job);
}
END_TEST

START_TEST(pi_end_to_end_on_the_simulated_cluster)
{
    rc_error err = {0};
    rc_testenv *env = NULL;
    rc_testenv_options o = {.seed = 3, .no_rbac = true};
    ck_assert_int_eq(rc_testenv_new(&o, &env, &err), 0);
    rc_sim *sim = NULL;
    ck_assert_int_eq(rc_sim_new(rc_testenv_manager(env), NULL, &sim, &err), 0);
    const rc_controller_ops *ops = NULL;
    void *self = NULL;
    ck_assert_int_eq(rc_job_controller_new(NULL, &ops, &self, &err), 0);
    ck_assert_int_eq(rc_testenv_add_controller(env, ops, self, NULL, &err), 0);
    ck_assert_int_eq(rc_ttl_after_finished_controller_new(&ops, &self, &err), 0);
    ck_assert_int_eq(rc_testenv_add_controller(env, ops, self, NULL, &err), 0);
    ck_assert_int_eq(rc_sim_add_nodes(sim, "node", 2, 0, &err), 0);
    const char *pi = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: pi\n  namespace: default\nspec:\n"
                     "  parallelism: 2\n  completions: 4\n  backoffLimit: 4\n  ttlSecondsAfterFinished: 100\n"
                     "  template:\n    spec:\n      containers:\n      - name: pi\n        image: perl:5.34.0\n"
                     "        command: [\"perl\", \"-Mbignum=bpi\", \"-wle\", \"print bpi(2000)\"]\n"
                     "      restartPolicy: Never\n";
    ck_assert_int_eq(rc_testenv_load_yaml(env, pi, &err), 0);
    long most_active = 0;
    for (int s = 0; s < 60; s++) {
        ck_assert_int_eq(rc_testenv_advance(env, RC_SEC), 0);
        rc_object *job = NULL;
        ck_assert_int_eq(rc_testenv_get(env, "jobs.batch", "default", "pi", &job, &err), 0);
        long a = (long)rc_object_get_int(job, "status.active", 0);
        most_active = a > most_active ? a : most_active;
        rc_object_unref(job);
    }
    ck_assert_int_le(most_active, 2);
    ck_assert(rc_testenv_field_equals(env, "jobs.batch", "default", "pi", "status.succeeded", "4", &err));
    ck_assert(rc_testenv_field_equals(env, "jobs.batch", "default", "pi", "status.conditions.1.type", "\"Complete\"", &err));
    ck_assert_int_eq(rc_testenv_count(env, "pods", "default", "job-name=pi", &err), 4);
    ck_assert_int_eq(rc_testenv_advance(env, 2 * RC_MINUTE), 0); /* ttlSecondsAfterFinished */
    rc_object *gone = NULL; /* deleted in the foreground: gone, or waiting for the garbage collector */
    int rc = rc_testenv_get(env, "jobs.batch", "default", "pi", &gone, &err);
    ck_assert(rc == RC_ENOTFOUND || (rc == 0 && rc_object_deletion_timestamp(gone)));
    rc_object_unref(gone);
    rc_error_clear(&err);
    rc_testenv_free(env);
}
END_TEST

static Suite *job_suite(void)
{
    Suite *s = suite_create("job");
    TCase *tc = tcase_create("job");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, pi_parallelism_two_completions_four);
    tcase_add_test(tc, failures_back_off_until_backoff_limit);
    tcase_add_test(tc, active_deadline_stops_everything);
    tcase_add_test(tc, indexed_one_success_per_index);
    tcase_add_test(tc, work_queue_job_without_completions);
    tcase_add_test(tc, suspend_and_resume);
    tcase_add_test(tc, on_failure_restarts_count_toward_the_limit);
    tcase_add_test(tc, unsatisfied_expectations_block_creates_not_status);
    tcase_add_test(tc, deleted_pod_that_succeeds_is_counted_once);
    tcase_add_test(tc, deleted_pod_past_its_grace_period_is_failed_and_replaced);
    tcase_add_test(tc, uncounted_pod_is_never_counted_twice);
    tcase_add_test(tc, finished_job_only_releases_finalizers);
    tcase_add_test(tc, ttl_after_finished);
    tcase_add_test(tc, pi_end_to_end_on_the_simulated_cluster);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rc_test_run_suite(job_suite());
}
