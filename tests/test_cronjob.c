/* test_cronjob.c - the CronJob controller's sync (rci_cronjob_decide) driven event by event on a
 * virtual clock: the test wakes the controller when it asked to be requeued or when a Job it created
 * finishes (scripted run time), plays the API server (creates, deletes, status) and checks exact start
 * times over a virtual day, a spec.timeZone across a daylight-saving change, Forbid and Replace, history
 * limits, more than 100 missed starts, startingDeadlineSeconds and the stop conditions; then a CronJob
 * end to end with the Job controller on the simulated cluster (rc_testenv + rc_sim). */
#include <reconcile.h>
#include <reconcile/controllers.h>
#include <reconcile/cron.h>
#include <reconcile/sim.h>
#include <reconcile/testenv.h>
#include <stdio.h>
#include <string.h>

#include "controllers/cronjob.h"
#include "support/testutil.h"

#define MAX_JOBS 64
#define MAX_STARTS 2048

typedef struct world {
    rc_object *cj;
    rc_object *jobs[MAX_JOBS];
    rc_time finish_at[MAX_JOBS]; /* when each job finishes */
    size_t njobs;
    rc_time now, wake;
    const rc_timezone *tz;
    const char *tz_error;
    rc_duration run;        /* how long each Job runs */
    bool fail;              /* Jobs fail instead of completing */
    int seq;
    rc_time started[MAX_STARTS]; /* creation instants */
    char names[MAX_STARTS][64];
    char scheduled[MAX_STARTS][48];
    int nstarted;
    int max_active;
    char events[1 << 15];
} world;

static rc_time at(const char *text)
{
    rc_time t = 0;
    ck_assert_int_eq(rc_time_parse(text, &t, NULL), 0);
    return t;
}

static void world_init(world *w, const char *created, const char *spec_json)
{
    memset(w, 0, sizeof *w);
    char buf[2048];
    snprintf(buf, sizeof buf,
             "{\"apiVersion\":\"batch/v1\",\"kind\":\"CronJob\",\"metadata\":{\"name\":\"hello\",\"namespace\":"
             "\"default\",\"uid\":\"cj-uid\",\"creationTimestamp\":\"%s\"},\"spec\":{%s,\"jobTemplate\":{\"metadata\":"
             "{\"labels\":{\"app\":\"hello\"}},\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"hello\","
             "\"image\":\"busybox\"}],\"restartPolicy\":\"OnFailure\"}}}}}}",
             created, spec_json);
    rc_error err = {0};
    w->cj = rc_object_from_json(buf, strlen(buf), &err);
    ck_assert_msg(w->cj != NULL, "%s", err.message ? err.message : "?");
    w->now = at(created);
    w->run = 30 * RC_SEC;
}

static void world_free(world *w)
{
    rc_object_unref(w->cj);
    for (size_t i = 0; i < w->njobs; i++)
        rc_object_unref(w->jobs[i]);
}

static void set_status(world *w, const cJSON *status)
{
    rc_object *d = rc_object_copy(w->cj);
    rc_object_set_json(d, "status", cJSON_Duplicate(status, true));
    rc_object_unref(w->cj);
    w->cj = rc_object_freeze(d);
}

static void remove_job(world *w, const char *name)
{
    for (size_t i = 0; i < w->njobs; i++)
        if (!strcmp(rc_object_name(w->jobs[i]), name)) {
            rc_object_unref(w->jobs[i]);
            w->jobs[i] = w->jobs[w->njobs - 1];
            w->finish_at[i] = w->finish_at[w->njobs - 1];
            w->njobs--;
            return;
        }
}

static int active_jobs(const world *w)
{
    int n = 0;
    for (size_t i = 0; i < w->njobs; i++)
        n += !rc_node_exists(rc_object_at(w->jobs[i], "status.conditions"));
    return n;
}

/* Finishes the jobs whose time has come. */
static void run_jobs(world *w)
{
    for (size_t i = 0; i < w->njobs; i++) {
        if (w->finish_at[i] > w->now || rc_node_exists(rc_object_at(w->jobs[i], "status.conditions")))
            continue;
        char ts[RC_TIME_STRLEN], json[256];
        rc_time_format(w->finish_at[i], ts, sizeof ts);
        rc_object *d = rc_object_copy(w->jobs[i]);
        snprintf(json, sizeof json, "[{\"type\":\"%s\",\"status\":\"True\",\"lastTransitionTime\":\"%s\"}]",
                 w->fail ? "Failed" : "Complete", ts);
        rc_object_set_json(d, "status.conditions", cJSON_Parse(json));
        if (!w->fail)
            rc_object_set_str(d, "status.completionTime", ts);
        rc_object_unref(w->jobs[i]);
        w->jobs[i] = rc_object_freeze(d);
    }
}

/* One sync, applied as the controller's adapter does (deletes, create + record, status). */
static void sync(world *w)
{
    rci_cronjob_plan plan = {0};
    rci_plan_init(&plan.base);
    rci_cronjob_input in = {w->cj, w->jobs, w->njobs, w->now, w->tz, w->tz_error};
    ck_assert_int_eq(rci_cronjob_decide(&in, &plan), 0);
    for (size_t i = 0; i < plan.base.nevents; i++) {
        size_t len = strlen(w->events);
        if (len + strlen(plan.base.events[i].reason) + 2 < sizeof w->events)
            snprintf(w->events + len, sizeof w->events - len, "%s ", plan.base.events[i].reason);
    }
    for (size_t i = 0; i < plan.base.nactions; i++) {
        ck_assert_int_eq(plan.base.actions[i].kind, RCI_ACTION_DELETE);
        ck_assert_int_eq(plan.base.actions[i].propagation, RC_PROPAGATION_BACKGROUND);
        remove_job(w, rc_object_name(plan.base.actions[i].obj));
    }
    if (plan.create) {
        ck_assert_uint_lt(w->njobs, MAX_JOBS);
        ck_assert_int_lt(w->nstarted, MAX_STARTS);
        rc_object *d = rc_object_copy(plan.create);
        char uid[32], ts[RC_TIME_STRLEN];
        snprintf(uid, sizeof uid, "job-uid-%d", w->seq++);
        rc_time_format(w->now, ts, sizeof ts);
        rc_object_set_str(d, "metadata.uid", uid);
        rc_object_set_str(d, "status.startTime", ts);
        rc_object *job = rc_object_freeze(d);
        w->finish_at[w->njobs] = w->now + w->run;
        w->jobs[w->njobs++] = job;
        w->started[w->nstarted] = w->now;
        snprintf(w->names[w->nstarted], sizeof w->names[0], "%s", rc_object_name(job));
        snprintf(w->scheduled[w->nstarted], sizeof w->scheduled[0], "%s",
                 rc_object_annotation(job, RCI_CRONJOB_SCHEDULED_ANN));
        w->nstarted++;
        ck_assert_int_eq(rci_cronjob_record_active(plan.base.status, job), 0);
    }
    if (plan.base.status)
        set_status(w, plan.base.status);
    w->wake = plan.base.requeue > 0 ? w->now + plan.base.requeue : RC_TIME_NEVER;
    rci_cronjob_plan_clear(&plan);
    int a = active_jobs(w);
    w->max_active = a > w->max_active ? a : w->max_active;
}

/* Runs until `end`: wakes at the requested requeue or at the next Job completion (a Job event). */
static void run_until(world *w, rc_time end)
{
    sync(w);
    for (;;) {
        rc_time next = w->wake;
        for (size_t i = 0; i < w->njobs; i++)
            if (!rc_node_exists(rc_object_at(w->jobs[i], "status.conditions")) && w->finish_at[i] < next)
                next = w->finish_at[i];
        if (next > end)
            break;
        w->now = next > w->now ? next : w->now;
        run_jobs(w);
        sync(w);
    }
    w->now = end;
}

START_TEST(every_minute_over_a_virtual_day)
{
    world w;
    world_init(&w, "2024-01-01T00:00:00Z", "\"schedule\":\"*/1 * * * *\"");
    rc_time day = at("2024-01-01T00:00:00Z");
    run_until(&w, day + 24 * RC_HOUR + RC_SEC);
    ck_assert_int_eq(w.nstarted, 1440);
    for (int i = 0; i < w.nstarted; i++) {
        rc_time sched = day + (i + 1) * RC_MINUTE;
        ck_assert_int_eq(w.started[i], sched + RCI_CRONJOB_REQUEUE_PAD); /* woken 100 ms after the tick */
        char want[64];
        snprintf(want, sizeof want, "hello-%lld", (long long)(sched / RC_MINUTE));
        ck_assert_str_eq(w.names[i], want);
    }
    ck_assert_str_eq(w.scheduled[0], "2024-01-01T00:01:00Z");
    ck_assert_str_eq(w.names[0], "hello-28401121");
    ck_assert_int_le(w.max_active, 1); /* each job runs 30 s */
    ck_assert_str_eq(rc_object_get_str(w.cj, "status.lastScheduleTime"), "2024-01-02T00:00:00Z");
    /* successfulJobsHistoryLimit defaults to 3 */
    ck_assert_uint_le(w.njobs, 4);
    ck_assert_ptr_null(strstr(w.events, "TooManyMissedTimes"));
    world_free(&w);
}
END_TEST

START_TEST(every_two_hours_over_a_virtual_day)
{
    world w;
    world_init(&w, "2024-01-01T00:00:00Z", "\"schedule\":\"0 */2 * * *\"");
    run_until(&w, at("2024-01-02T00:00:00Z") + RC_SEC);
    ck_assert_int_eq(w.nstarted, 12);
    for (int i = 0; i < 12; i++)
        ck_assert_int_eq(w.started[i], at("2024-01-01T02:00:00Z") + i * 2 * RC_HOUR + RCI_CRONJOB_REQUEUE_PAD);
    world_free(&w);
}
END_TEST

START_TEST(weekdays_at_half_past_eight)
{
    world w;
    world_init(&w, "2024-01-01T00:00:00Z", "\"schedule\":\"30 8 * * MON-FRI\"");
    run_until(&w, at("2024-01-08T00:00:00Z"));
    ck_assert_int_eq(w.nstarted, 5);
    const char *want[5] = {"2024-01-01T08:30:00Z", "2024-01-02T08:30:00Z", "2024-01-03T08:30:00Z",
                           "2024-01-04T08:30:00Z", "2024-01-05T08:30:00Z"};
    for (int i = 0; i < 5; i++)
        ck_assert_str_eq(w.scheduled[i], want[i]);
    world_free(&w);
}
END_TEST

START_TEST(time_zone_across_daylight_saving)
{
    world w;
    world_init(&w, "2024-03-08T14:00:00Z", "\"schedule\":\"30 8 * * *\",\"timeZone\":\"America/New_York\"");
    rc_timezone *ny = NULL;
    ck_assert_int_eq(rc_timezone_load("America/New_York", &ny, NULL), 0);
    w.tz = ny;
    run_until(&w, at("2024-03-12T00:00:00Z"));
    ck_assert_int_eq(w.nstarted, 3);
    ck_assert_str_eq(w.scheduled[0], "2024-03-09T08:30:00-05:00");
    ck_assert_str_eq(w.scheduled[1], "2024-03-10T08:30:00-04:00");
    ck_assert_str_eq(w.scheduled[2], "2024-03-11T08:30:00-04:00");
    ck_assert_int_eq(w.started[0], at("2024-03-09T13:30:00Z") + RCI_CRONJOB_REQUEUE_PAD);
    ck_assert_int_eq(w.started[1], at("2024-03-10T12:30:00Z") + RCI_CRONJOB_REQUEUE_PAD);
    world_free(&w);
    rc_timezone_free(ny);
}
END_TEST

START_TEST(forbid_skips_while_a_job_runs)
{
    world w;
    world_init(&w, "2024-01-01T00:00:00Z", "\"schedule\":\"*/1 * * * *\",\"concurrencyPolicy\":\"Forbid\"");
    w.run = 90 * RC_SEC;
    run_until(&w, at("2024-01-01T00:06:00Z"));
    /* 00:01 starts; 00:02 is skipped (still running); when it finishes at 00:02:30 the blocked 00:02 run
     * starts at once; 00:03 is skipped; the 00:04 run starts when that one finishes at 00:04:00.1 ... */
    ck_assert_int_le(w.max_active, 1);
    ck_assert_ptr_nonnull(strstr(w.events, "JobAlreadyActive"));
    ck_assert_str_eq(w.scheduled[0], "2024-01-01T00:01:00Z");
    ck_assert_str_eq(w.scheduled[1], "2024-01-01T00:02:00Z");
    ck_assert_int_eq(w.started[1], at("2024-01-01T00:02:30Z") + RCI_CRONJOB_REQUEUE_PAD);
    ck_assert_str_eq(w.scheduled[2], "2024-01-01T00:04:00Z");
    world_free(&w);
}
END_TEST

START_TEST(replace_replaces_the_running_job)
{
    world w;
    world_init(&w, "2024-01-01T00:00:00Z", "\"schedule\":\"*/1 * * * *\",\"concurrencyPolicy\":\"Replace\"");
    w.run = 90 * RC_SEC;
    run_until(&w, at("2024-01-01T00:05:30Z"));
    ck_assert_int_eq(w.nstarted, 5); /* one per minute */
    ck_assert_int_le(w.max_active, 1);
    ck_assert_ptr_nonnull(strstr(w.events, "SuccessfulDelete"));
    ck_assert_uint_eq(w.njobs, 1); /* every earlier run was deleted while running */
    ck_assert_str_eq(rc_object_name(w.jobs[0]), w.names[4]);
    ck_assert_int_eq(rc_node_len(rc_object_at(w.cj, "status.active")), 1);
    world_free(&w);

    world_init(&w, "2024-01-01T00:00:00Z", "\"schedule\":\"*/1 * * * *\"");
    w.run = 150 * RC_SEC; /* Allow: runs overlap */
    run_until(&w, at("2024-01-01T00:05:30Z"));
    ck_assert_int_eq(w.max_active, 3);
    world_free(&w);
}
END_TEST

START_TEST(history_limits_hold)
{
    world w;
    world_init(&w, "2024-01-01T00:00:00Z",
               "\"schedule\":\"*/1 * * * *\",\"successfulJobsHistoryLimit\":2,\"failedJobsHistoryLimit\":1");
    run_until(&w, at("2024-01-01T00:20:00Z"));
    ck_assert_uint_eq(w.njobs, 2);
    ck_assert_str_eq(rc_object_get_str(w.cj, "status.lastSuccessfulTime"), "2024-01-01T00:19:30Z");
    w.fail = true;
    run_until(&w, at("2024-01-01T00:40:00Z"));
    int failed = 0, complete = 0;
    for (size_t i = 0; i < w.njobs; i++) {
        const char *type = rc_object_get_str(w.jobs[i], "status.conditions.0.type");
        failed += type && !strcmp(type, "Failed");
        complete += type && !strcmp(type, "Complete");
    }
    ck_assert_int_eq(failed, 1);
    ck_assert_int_eq(complete, 2);
    world_free(&w);
}
END_TEST

START_TEST(too_many_missed_starts_still_run_the_latest)
{
    world w;
    world_init(&w, "2024-01-01T00:00:00Z", "\"schedule\":\"*/1 * * * *\"");
    w.now = at("2024-01-01T03:00:20Z"); /* the controller was down for three hours */
    sync(&w);
    ck_assert_ptr_nonnull(strstr(w.events, "TooManyMissedTimes"));
    ck_assert_int_eq(w.nstarted, 1);
    ck_assert_str_eq(w.scheduled[0], "2024-01-01T03:00:00Z");
    ck_assert_str_eq(rc_object_get_str(w.cj, "status.lastScheduleTime"), "2024-01-01T03:00:00Z");
    ck_assert_int_eq(w.wake, at("2024-01-01T03:01:00Z") + RCI_CRONJOB_REQUEUE_PAD);
    world_free(&w);

    /* 100 missed is not "too many"; weekday schedules land on a real activation after the estimate */
    world_init(&w, "2024-01-01T00:00:00Z", "\"schedule\":\"30 8 * * MON-FRI\"");
    w.now = at("2024-01-14T12:00:00Z"); /* a Sunday: the latest run is Friday the 12th */
    sync(&w);
    ck_assert_ptr_null(strstr(w.events, "TooManyMissedTimes"));
    ck_assert_str_eq(w.scheduled[0], "2024-01-12T08:30:00Z");
    world_free(&w);
}
END_TEST

START_TEST(starting_deadline_seconds)
{
    world w;
    world_init(&w, "2024-01-01T00:00:00Z", "\"schedule\":\"*/5 * * * *\",\"startingDeadlineSeconds\":20");
    w.now = at("2024-01-01T12:05:30Z"); /* 12:05 was 30 s ago: too late, and every earlier run too */
    sync(&w);
    ck_assert_int_eq(w.nstarted, 0);
    /* As upstream: the window [now - 20 s, now] holds no activation, so nothing is due at all (the
     * MissSchedule event of the too-late check cannot fire once earliest is clamped to the window). */
    ck_assert_ptr_null(strstr(w.events, "MissSchedule"));
    ck_assert_ptr_null(strstr(w.events, "TooManyMissedTimes")); /* only the last 20 s are considered */
    ck_assert(!rc_node_exists(rc_object_at(w.cj, "status.lastScheduleTime")));
    ck_assert_int_eq(w.wake, at("2024-01-01T12:10:00Z") + RCI_CRONJOB_REQUEUE_PAD);
    world_free(&w);

    world_init(&w, "2024-01-01T00:00:00Z", "\"schedule\":\"*/5 * * * *\",\"startingDeadlineSeconds\":60");
    w.now = at("2024-01-01T12:05:30Z");
    sync(&w);
    ck_assert_int_eq(w.nstarted, 1);
    ck_assert_str_eq(w.scheduled[0], "2024-01-01T12:05:00Z");
    world_free(&w);
}
END_TEST

START_TEST(suspend_bad_schedule_and_bad_zone_stop)
{
    world w;
    world_init(&w, "2024-01-01T00:00:00Z", "\"schedule\":\"*/1 * * * *\",\"suspend\":true");
    run_until(&w, at("2024-01-01T01:00:00Z"));
    ck_assert_int_eq(w.nstarted, 0);
    world_free(&w);

    world_init(&w, "2024-01-01T00:00:00Z", "\"schedule\":\"61 * * * *\"");
    run_until(&w, at("2024-01-01T01:00:00Z"));
    ck_assert_int_eq(w.nstarted, 0);
    ck_assert_ptr_nonnull(strstr(w.events, "UnparseableSchedule"));
    ck_assert_int_eq(w.wake, RC_TIME_NEVER); /* no requeue until the spec changes */
    world_free(&w);

    world_init(&w, "2024-01-01T00:00:00Z", "\"schedule\":\"TZ=UTC */1 * * * *\"");
    sync(&w);
    ck_assert_ptr_nonnull(strstr(w.events, "UnsupportedSchedule"));
    world_free(&w);

    world_init(&w, "2024-01-01T00:00:00Z", "\"schedule\":\"*/1 * * * *\",\"timeZone\":\"Mars/Base\"");
    w.tz_error = "unknown time zone \"Mars/Base\"";
    w.now += 10 * RC_MINUTE;
    sync(&w);
    ck_assert_int_eq(w.nstarted, 0);
    ck_assert_ptr_nonnull(strstr(w.events, "UnknownTimeZone"));
    world_free(&w);
}
END_TEST

START_TEST(active_list_is_reconciled)
{
    world w;
    world_init(&w, "2024-01-01T00:00:00Z", "\"schedule\":\"0 0 1 1 *\"");
    /* status lists a job that is gone; a running job it does not list is unexpected */
    cJSON *st = cJSON_Parse("{\"active\":[{\"kind\":\"Job\",\"name\":\"hello-gone\",\"namespace\":\"default\","
                            "\"uid\":\"gone-uid\"}]}");
    set_status(&w, st);
    cJSON_Delete(st);
    rc_object *stray = NULL;
    const char *json = "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"hello-x\","
                       "\"namespace\":\"default\",\"uid\":\"x-uid\",\"ownerReferences\":[{\"apiVersion\":\"batch/v1\","
                       "\"kind\":\"CronJob\",\"name\":\"hello\",\"uid\":\"cj-uid\",\"controller\":true}]}}";
    stray = rc_object_from_json(json, strlen(json), NULL);
    w.jobs[w.njobs] = stray;
    w.finish_at[w.njobs++] = RC_TIME_NEVER;
    sync(&w);
    ck_assert_ptr_nonnull(strstr(w.events, "MissingJob"));
    ck_assert_ptr_nonnull(strstr(w.events, "UnexpectedJob"));
    ck_assert(!rc_node_exists(rc_object_at(w.cj, "status.active")) ||
              rc_node_len(rc_object_at(w.cj, "status.active")) == 0);
    world_free(&w);
}
END_TEST

START_TEST(cronjob_end_to_end_on_the_simulated_cluster)
{
    rc_error err = {0};
    rc_testenv *env = NULL;
    rc_testenv_options o = {.seed = 9, .no_rbac = true};
    ck_assert_int_eq(rc_testenv_new(&o, &env, &err), 0);
    rc_sim *sim = NULL;
    ck_assert_int_eq(rc_sim_new(rc_testenv_manager(env), NULL, &sim, &err), 0);
    const rc_controller_ops *ops = NULL;
    void *self = NULL;
    rc_cronjob_options copts = {.default_time_zone = "Mars/Base"};
    ck_assert_int_eq(rc_cronjob_controller_new(&copts, &ops, &self, &err), RC_ENOTFOUND);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_cronjob_controller_new(NULL, &ops, &self, &err), 0);
    ck_assert_int_eq(rc_testenv_add_controller(env, ops, self, NULL, &err), 0);
    ck_assert_int_eq(rc_job_controller_new(NULL, &ops, &self, &err), 0);
    ck_assert_int_eq(rc_testenv_add_controller(env, ops, self, NULL, &err), 0);
    ck_assert_int_eq(rc_sim_add_nodes(sim, "node", 1, 0, &err), 0);
    const char *yaml = "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: hello\n  namespace: default\nspec:\n"
                       "  schedule: \"*/1 * * * *\"\n  timeZone: Europe/Berlin\n  concurrencyPolicy: Forbid\n"
                       "  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n"
                       "          - name: hello\n            image: busybox\n          restartPolicy: OnFailure\n";
    ck_assert_int_eq(rc_testenv_load_yaml(env, yaml, &err), 0);
    ck_assert_int_eq(rc_testenv_advance(env, 10 * RC_MINUTE + 30 * RC_SEC), 0);
    /* ten runs (00:01 ... 00:10), each done in ~11 s: the newest three successful Jobs are kept */
    ck_assert(rc_testenv_field_equals(env, "cronjobs.batch", "default", "hello", "status.lastScheduleTime",
                                      "\"2024-01-01T00:10:00Z\"", &err));
    ck_assert_int_eq(rc_testenv_count(env, "jobs.batch", "default", NULL, &err), 3);
    rc_object *job = NULL;
    ck_assert_int_eq(rc_testenv_get(env, "jobs.batch", "default", "hello-28401130", &job, &err), 0);
    ck_assert_str_eq(rc_object_annotation(job, RCI_CRONJOB_SCHEDULED_ANN), "2024-01-01T01:10:00+01:00");
    rc_object_unref(job);
    rc_testenv_free(env);
}
END_TEST

static Suite *cronjob_suite(void)
{
    Suite *s = suite_create("cronjob");
    TCase *tc = tcase_create("cronjob");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, every_minute_over_a_virtual_day);
    tcase_add_test(tc, every_two_hours_over_a_virtual_day);
    tcase_add_test(tc, weekdays_at_half_past_eight);
    tcase_add_test(tc, time_zone_across_daylight_saving);
    tcase_add_test(tc, forbid_skips_while_a_job_runs);
    tcase_add_test(tc, replace_replaces_the_running_job);
    tcase_add_test(tc, history_limits_hold);
    tcase_add_test(tc, too_many_missed_starts_still_run_the_latest);
    tcase_add_test(tc, starting_deadline_seconds);
    tcase_add_test(tc, suspend_bad_schedule_and_bad_zone_stop);
    tcase_add_test(tc, active_list_is_reconciled);
    tcase_add_test(tc, cronjob_end_to_end_on_the_simulated_cluster);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rc_test_run_suite(cronjob_suite());
}
