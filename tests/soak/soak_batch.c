/* soak_batch.c - Jobs and a CronJob under faults. The Job runs 6 completions two at a time while pods are
 * deleted under it (crashes); a second Job's pods always fail and it must end Failed. On every pod write
 * a Job never has more active pods than its parallelism, and never more pods succeeded than completions.
 * The CronJob runs every 30 minutes over a virtual day with concurrencyPolicy Forbid: never two of its
 * Jobs' pods active at once, and at the end the history limits hold and the last schedule is recent. */
#include "soak/soak.h"

#include <stdio.h>
#include <string.h>

static const char jobs[] =
    "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: pi\n  namespace: default\nspec:\n  completions: 6\n"
    "  parallelism: 2\n  backoffLimit: 50\n  template:\n    metadata:\n      annotations:\n"
    "        sim.reconcile.io/run-seconds: \"10\"\n    spec:\n      restartPolicy: Never\n      containers:\n"
    "      - name: pi\n        image: perl\n---\n"
    "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: bad\n  namespace: default\nspec:\n  backoffLimit: 2\n"
    "  template:\n    metadata:\n      annotations:\n        sim.reconcile.io/run-seconds: \"5\"\n"
    "        sim.reconcile.io/exit-code: \"1\"\n    spec:\n      restartPolicy: Never\n      containers:\n"
    "      - name: bad\n        image: busybox\n";

static const char cron[] =
    "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: hello\n  namespace: default\nspec:\n"
    "  schedule: \"*/30 * * * *\"\n  concurrencyPolicy: Forbid\n  successfulJobsHistoryLimit: 3\n"
    "  failedJobsHistoryLimit: 1\n  jobTemplate:\n    spec:\n      template:\n        metadata:\n"
    "          annotations:\n            sim.reconcile.io/run-seconds: \"60\"\n        spec:\n"
    "          restartPolicy: OnFailure\n          containers:\n          - name: hello\n            image: busybox\n";

static void check_job(soak_env *env, const soak_pod *changed)
{
    if (strcmp(changed->owner_kind, "Job") || strcmp(changed->owner_name, "pi"))
        return;
    long active = soak_active(env, "Job", "pi");
    if (active > 2)
        soak_fail(env, "job pi has %ld active pods, parallelism is 2", active);
    size_t n, succeeded = 0;
    const soak_pod *pods = soak_pods(env, &n);
    for (size_t i = 0; i < n; i++)
        succeeded += pods[i].succeeded && !strcmp(pods[i].owner_name, "pi");
    if (succeeded > 6)
        soak_fail(env, "job pi has %zu succeeded pods, completions is 6", succeeded);
}

static bool has_condition(rc_object *o, const char *type)
{
    rc_node cs = rc_object_at(o, "status.conditions");
    for (size_t i = 0; i < rc_node_len(cs); i++) {
        rc_node c = rc_node_index(cs, i);
        const char *t = rc_node_str(rc_node_get(c, "type")), *s = rc_node_str(rc_node_get(c, "status"));
        if (t && s && !strcmp(t, type) && !strcmp(s, "True"))
            return true;
    }
    return false;
}

static void expect_job(soak_env *env, const char *name, const char *condition, int64_t succeeded)
{
    rc_object *j = NULL;
    if (rc_client_get(soak_client(env), "jobs.batch", "default", name, &j, NULL) != 0) {
        soak_fail(env, "job %s is gone", name);
        return;
    }
    int64_t got = rc_object_get_int(j, "status.succeeded", 0), active = rc_object_get_int(j, "status.active", 0);
    if (!has_condition(j, condition) || (succeeded >= 0 && got != succeeded) || active) {
        soak_fail(env, "job %s: not %s (succeeded %lld active %lld)", name, condition, (long long)got,
                  (long long)active);
        soak_dump_pods(env, NULL);
    }
    rc_object_unref(j);
}

int soak_job(uint64_t seed)
{
    soak_env *env = soak_env_new(seed, "job", 3, SOAK_JOB);
    soak_set_check(env, check_job);
    soak_create(env, jobs);
    soak_run(env, 3 * RC_MINUTE, true);
    soak_settle(env, 15 * RC_MINUTE);
    expect_job(env, "pi", "Complete", 6);
    expect_job(env, "bad", "Failed", -1);
    return soak_env_free(env);
}

static void check_cron(soak_env *env, const soak_pod *changed)
{
    if (strcmp(changed->owner_kind, "Job") || strncmp(changed->owner_name, "hello-", 6))
        return;
    long active = soak_active(env, "Job", "hello-*");
    if (active > 1)
        soak_fail(env, "%ld pods of hello's jobs active at once under concurrencyPolicy Forbid", active);
}

int soak_cronjob(uint64_t seed)
{
    soak_env *env = soak_env_new(seed, "cronjob", 2, SOAK_CRONJOB);
    soak_set_check(env, check_cron);
    soak_set_slice(env, 5 * RC_MINUTE);
    soak_create(env, cron);
    soak_run(env, 24 * RC_HOUR, true);
    soak_settle(env, 20 * RC_MINUTE);
    long jobs = soak_count(env, "jobs.batch", "default", NULL);
    if (jobs < 1 || jobs > 3 + 1 + 1)
        soak_fail(env, "%ld jobs after a day, want 1..5 (history limits 3 + 1, one running)", jobs);
    rc_object *cj = NULL;
    if (rc_client_get(soak_client(env), "cronjobs.batch", "default", "hello", &cj, NULL) == 0) {
        rc_time last = 0;
        const char *ts = rc_object_get_str(cj, "status.lastScheduleTime");
        if (!ts || rc_time_parse(ts, &last, NULL) != 0 || soak_now(env) - last > 31 * RC_MINUTE)
            soak_fail(env, "lastScheduleTime %s is not within 30 minutes of the end", ts ? ts : "(none)");
        rc_object_unref(cj);
    } else {
        soak_fail(env, "the cronjob is gone");
    }
    return soak_env_free(env);
}
