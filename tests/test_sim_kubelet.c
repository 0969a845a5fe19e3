/* test_sim_kubelet.c - the simulated kubelet's state machine, driven as a pure function through each
 * transition: admission (startTime, IPs, ContainerCreating), image pull, Running and readiness after
 * initialDelaySeconds, never-ready pods, failing pulls, batch pods succeeding or failing, restarts with
 * CrashLoopBackOff (10 s doubling to 5 min), graceful deletion with preStop and the grace period, and the
 * order of a plan's events. */
#include <reconcile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/internal.h"
#include "support/testutil.h"

#define T0 ((rc_time)1704067200 * RC_SEC)

static const rci_sim_kubelet_config cfg = {RC_SEC, 10 * RC_SEC};

static rc_object *pod(const char *annotations, const char *extra_spec, const char *container_extra)
{
    char buf[4096];
    snprintf(buf, sizeof buf,
             "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"default\","
             "\"uid\":\"u1\",\"annotations\":{%s}},\"spec\":{\"nodeName\":\"n1\"%s,\"containers\":[{\"name\":\"c\","
             "\"image\":\"nginx\"%s}]},\"status\":{\"phase\":\"Pending\"}}",
             annotations, extra_spec, container_extra);
    rc_error err = {0};
    rc_object *o = rc_object_from_json(buf, strlen(buf), &err);
    ck_assert_msg(o != NULL, "%s", err.message ? err.message : "");
    return o;
}

/* Runs the kubelet at now; applies the status it writes to *p; returns the plan's action and next time. */
static rci_sim_kubelet_action step(rc_object **p, rc_time now, rc_time *next)
{
    rci_sim_kubelet_plan plan;
    ck_assert_int_eq(rci_sim_kubelet_plan_pod(*p, &cfg, now, "10.244.0.2", "172.18.0.2", &plan, NULL), 0);
    rci_sim_kubelet_action a = plan.action;
    *next = plan.next;
    if (plan.status) {
        rc_object *d = rc_object_copy(*p);
        ck_assert_int_eq(rc_object_set_json(d, "status", plan.status), 0);
        plan.status = NULL;
        rc_object_unref(*p);
        *p = rc_object_freeze(d);
    }
    rci_sim_kubelet_plan_clear(&plan);
    return a;
}

static const char *str(const rc_object *p, const char *path)
{
    const char *s = rc_object_get_str(p, path);
    return s ? s : "(none)";
}

static const char *cond(const rc_object *p, const char *type)
{
    const char *s = rci_sim_condition_status(rc_object_at(p, "status.conditions"), type);
    return s ? s : "(none)";
}

START_TEST(admit_pull_run_ready)
{
    rc_object *p = pod("", "", ",\"readinessProbe\":{\"initialDelaySeconds\":5}");
    rc_time next;
    ck_assert_int_eq(step(&p, T0, &next), RCI_SIM_KUBELET_STATUS);
    ck_assert_str_eq(str(p, "status.phase"), "Pending");
    ck_assert_str_eq(str(p, "status.startTime"), "2024-01-01T00:00:00Z");
    ck_assert_str_eq(str(p, "status.podIP"), "10.244.0.2");
    ck_assert_str_eq(str(p, "status.hostIP"), "172.18.0.2");
    ck_assert_str_eq(str(p, "status.containerStatuses.0.state.waiting.reason"), "ContainerCreating");
    ck_assert_str_eq(cond(p, "Ready"), "False");
    ck_assert_int_eq(next, T0 + RC_SEC); /* the image pull */
    ck_assert_int_eq(step(&p, T0 + RC_SEC / 2, &next), RCI_SIM_KUBELET_NONE); /* nothing due yet */
    ck_assert_int_eq(step(&p, T0 + RC_SEC, &next), RCI_SIM_KUBELET_STATUS);
    ck_assert_str_eq(str(p, "status.phase"), "Running");
    ck_assert_str_eq(str(p, "status.containerStatuses.0.state.running.startedAt"), "2024-01-01T00:00:01Z");
    ck_assert(rc_object_get_bool(p, "status.containerStatuses.0.started", false));
    ck_assert(!rc_object_get_bool(p, "status.containerStatuses.0.ready", true));
    ck_assert_int_eq(next, T0 + 6 * RC_SEC); /* initialDelaySeconds after start */
    ck_assert_int_eq(step(&p, T0 + 6 * RC_SEC, &next), RCI_SIM_KUBELET_STATUS);
    ck_assert_str_eq(cond(p, "Ready"), "True");
    ck_assert_str_eq(cond(p, "ContainersReady"), "True");
    ck_assert(rc_object_get_bool(p, "status.containerStatuses.0.ready", false));
    ck_assert_int_eq(next, RC_TIME_NEVER); /* Always pods run until deleted */
    ck_assert_int_eq(step(&p, T0 + 100 * RC_SEC, &next), RCI_SIM_KUBELET_NONE);
    rc_object_unref(p);
}
END_TEST

START_TEST(ready_transition_time_only_on_flip)
{
    rc_object *p = pod("\"sim.reconcile.io/pull-seconds\":\"0\"", "", "");
    rc_time next;
    step(&p, T0, &next);
    ck_assert_str_eq(cond(p, "Ready"), "True"); /* no probe, instant pull: ready at once */
    rc_node c = rci_sim_condition(rc_object_at(p, "status.conditions"), "Ready");
    ck_assert_str_eq(rc_node_str(rc_node_get(c, "lastTransitionTime")), "2024-01-01T00:00:00Z");
    step(&p, T0 + 50 * RC_SEC, &next);
    c = rci_sim_condition(rc_object_at(p, "status.conditions"), "Ready");
    ck_assert_str_eq(rc_node_str(rc_node_get(c, "lastTransitionTime")), "2024-01-01T00:00:00Z");
    rc_object_unref(p);
}
END_TEST

START_TEST(never_ready_and_failing_pull)
{
    rc_object *p = pod("\"sim.reconcile.io/ready\":\"false\"", "", "");
    rc_time next;
    step(&p, T0, &next);
    step(&p, T0 + RC_SEC, &next);
    ck_assert_str_eq(str(p, "status.phase"), "Running");
    ck_assert_str_eq(cond(p, "Ready"), "False");
    ck_assert_int_eq(next, RC_TIME_NEVER);
    rc_object_unref(p);
    p = pod("\"sim.reconcile.io/image-pull\":\"fail\",\"sim.reconcile.io/pull-seconds\":\"3\"", "", "");
    step(&p, T0, &next);
    ck_assert_int_eq(next, T0 + 3 * RC_SEC);
    step(&p, T0 + 3 * RC_SEC, &next);
    ck_assert_str_eq(str(p, "status.phase"), "Pending");
    ck_assert_str_eq(str(p, "status.containerStatuses.0.state.waiting.reason"), "ImagePullBackOff");
    ck_assert_str_eq(str(p, "status.containerStatuses.0.state.waiting.message"), "Back-off pulling image \"nginx\"");
    ck_assert_int_eq(next, RC_TIME_NEVER);
    rc_object_unref(p);
}
END_TEST

START_TEST(batch_pods_finish)
{
    rc_object *p = pod("", ",\"restartPolicy\":\"Never\"", "");
    rc_time next;
    step(&p, T0, &next);
    step(&p, T0 + RC_SEC, &next);
    ck_assert_int_eq(next, T0 + 11 * RC_SEC); /* default run time 10 s */
    step(&p, next, &next);
    ck_assert_str_eq(str(p, "status.phase"), "Succeeded");
    ck_assert_str_eq(str(p, "status.containerStatuses.0.state.terminated.reason"), "Completed");
    ck_assert_int_eq(rc_object_get_int(p, "status.containerStatuses.0.state.terminated.exitCode", -1), 0);
    ck_assert_str_eq(cond(p, "Ready"), "False");
    ck_assert_int_eq(next, RC_TIME_NEVER);
    ck_assert_int_eq(step(&p, T0 + 99 * RC_SEC, &next), RCI_SIM_KUBELET_NONE); /* terminal is never left */
    rc_object_unref(p);
    p = pod("\"sim.reconcile.io/run-seconds\":\"4\",\"sim.reconcile.io/exit-code\":\"3\"",
            ",\"restartPolicy\":\"Never\"", "");
    step(&p, T0, &next);
    step(&p, T0 + RC_SEC, &next);
    step(&p, T0 + 5 * RC_SEC, &next);
    ck_assert_str_eq(str(p, "status.phase"), "Failed");
    ck_assert_int_eq(rc_object_get_int(p, "status.containerStatuses.0.state.terminated.exitCode", -1), 3);
    ck_assert_str_eq(str(p, "status.containerStatuses.0.state.terminated.reason"), "Error");
    rc_object_unref(p);
}
END_TEST

START_TEST(crash_loop_backoff)
{
    ck_assert_int_eq(rci_sim_kubelet_backoff(0), 10 * RC_SEC);
    ck_assert_int_eq(rci_sim_kubelet_backoff(1), 20 * RC_SEC);
    ck_assert_int_eq(rci_sim_kubelet_backoff(4), 160 * RC_SEC);
    ck_assert_int_eq(rci_sim_kubelet_backoff(5), 300 * RC_SEC);
    ck_assert_int_eq(rci_sim_kubelet_backoff(50), 300 * RC_SEC);
    rc_object *p = pod("\"sim.reconcile.io/crash-after-seconds\":\"2\",\"sim.reconcile.io/pull-seconds\":\"0\"", "", "");
    rc_time next;
    step(&p, T0, &next); /* running at T0 */
    ck_assert_int_eq(next, T0 + 2 * RC_SEC);
    step(&p, next, &next); /* crashes at +2, restart after 10 s */
    ck_assert_str_eq(str(p, "status.containerStatuses.0.state.waiting.reason"), "CrashLoopBackOff");
    ck_assert_int_eq(rc_object_get_int(p, "status.containerStatuses.0.lastState.terminated.exitCode", -1), 1);
    ck_assert_int_eq(rc_object_get_int(p, "status.containerStatuses.0.restartCount", -1), 1);
    ck_assert_str_eq(str(p, "status.phase"), "Running");
    ck_assert_int_eq(next, T0 + 12 * RC_SEC);
    step(&p, next, &next); /* restarted at +12, crashes at +14, then waits 20 s */
    ck_assert_str_eq(str(p, "status.containerStatuses.0.state.running.startedAt"), "2024-01-01T00:00:12Z");
    ck_assert_int_eq(next, T0 + 14 * RC_SEC);
    step(&p, next, &next);
    ck_assert_int_eq(rc_object_get_int(p, "status.containerStatuses.0.restartCount", -1), 2);
    ck_assert_int_eq(next, T0 + 34 * RC_SEC);
    rc_object_unref(p);
    /* OnFailure restarts only non-zero exits */
    p = pod("\"sim.reconcile.io/run-seconds\":\"1\",\"sim.reconcile.io/pull-seconds\":\"0\"",
            ",\"restartPolicy\":\"OnFailure\"", "");
    step(&p, T0, &next);
    step(&p, next, &next);
    ck_assert_str_eq(str(p, "status.phase"), "Succeeded");
    rc_object_unref(p);
}
END_TEST

static rc_object *deleting(rc_object *p, rc_time at, int grace)
{
    rc_object *d = rc_object_copy(p);
    char ts[RC_TIME_STRLEN];
    rc_time_format(at + grace * RC_SEC, ts, sizeof ts);
    rc_object_set_str(d, "metadata.deletionTimestamp", ts);
    rc_object_set_int(d, "metadata.deletionGracePeriodSeconds", grace);
    rc_object_unref(p);
    return rc_object_freeze(d);
}

START_TEST(graceful_deletion)
{
    rc_object *p = pod("\"sim.reconcile.io/pull-seconds\":\"0\"", "", ",\"lifecycle\":{\"preStop\":{\"sleep\":"
                                                                       "{\"seconds\":5}}}");
    rc_time next;
    step(&p, T0, &next);
    p = deleting(p, T0 + 10 * RC_SEC, 30);
    ck_assert_int_eq(step(&p, T0 + 10 * RC_SEC, &next), RCI_SIM_KUBELET_NONE);
    ck_assert_int_eq(next, T0 + 15 * RC_SEC); /* preStop runs 5 s, then the container exits on TERM */
    ck_assert_int_eq(step(&p, next, &next), RCI_SIM_KUBELET_STATUS_DELETE);
    /* stopped by TERM: exit code 143, so the pod ends Failed (a deleted batch pod is not a success) */
    ck_assert_str_eq(str(p, "status.phase"), "Failed");
    ck_assert_int_eq(rc_object_get_int(p, "status.containerStatuses.0.state.terminated.exitCode", -1), 143);
    rc_object_unref(p);
    /* a container slower than the grace period is killed at its end */
    p = pod("\"sim.reconcile.io/pull-seconds\":\"0\",\"sim.reconcile.io/terminate-seconds\":\"60\"", "", "");
    step(&p, T0, &next);
    p = deleting(p, T0, 30);
    step(&p, T0, &next);
    ck_assert_int_eq(next, T0 + 30 * RC_SEC);
    ck_assert_int_eq(step(&p, T0 + 30 * RC_SEC, &next), RCI_SIM_KUBELET_STATUS_DELETE);
    ck_assert_str_eq(str(p, "status.phase"), "Failed");
    ck_assert_int_eq(rc_object_get_int(p, "status.containerStatuses.0.state.terminated.exitCode", -1), 137);
    /* a terminal pod being deleted is simply removed */
    ck_assert_int_eq(step(&p, T0 + 31 * RC_SEC, &next), RCI_SIM_KUBELET_STATUS_DELETE);
    rc_object_unref(p);
}
END_TEST

START_TEST(bad_annotations_fall_back_to_defaults)
{
    rc_object *p = pod("\"sim.reconcile.io/pull-seconds\":\"soon\",\"sim.reconcile.io/run-seconds\":\"-4\"", "", "");
    rc_time next;
    step(&p, T0, &next);
    ck_assert_int_eq(next, T0 + RC_SEC);
    step(&p, next, &next);
    ck_assert_int_eq(next, RC_TIME_NEVER); /* an Always pod with a bad run time runs on */
    rc_object_unref(p);
}
END_TEST

/* A plan's events are kept in order: the first RCI_SIM_KUBELET_INLINE_EVENTS in the plan itself, the rest
 * after them once it grows (three containers starting at once give nine). */
START_TEST(events_in_order_past_the_inline_ones)
{
    static const char json[] =
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"default\","
        "\"uid\":\"u1\"},\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"a\",\"image\":\"ia\"},"
        "{\"name\":\"b\",\"image\":\"ib\"},{\"name\":\"c\",\"image\":\"ic\"}]},\"status\":{\"phase\":\"Pending\"}}";
    rc_object *p = rc_object_from_json(json, strlen(json), NULL);
    ck_assert_ptr_nonnull(p);
    rci_sim_kubelet_plan plan;
    ck_assert_int_eq(rci_sim_kubelet_plan_pod(p, &cfg, T0, "10.244.0.2", "172.18.0.2", &plan, NULL), 0);
    ck_assert_uint_eq(plan.nevents, 3);
    ck_assert_ptr_eq(plan.events, plan.inline_events);
    ck_assert_str_eq(plan.events[2].reason, "Pulling");
    ck_assert_str_eq(plan.events[2].message, "Pulling image \"ic\"");
    rc_object *d = rc_object_copy(p);
    ck_assert_int_eq(rc_object_set_json(d, "status", plan.status), 0);
    plan.status = NULL;
    rci_sim_kubelet_plan_clear(&plan);
    rc_object_unref(p);
    p = rc_object_freeze(d);
    ck_assert_int_eq(rci_sim_kubelet_plan_pod(p, &cfg, T0 + RC_SEC, "10.244.0.2", "172.18.0.2", &plan, NULL), 0);
    ck_assert_uint_eq(plan.nevents, 9);
    ck_assert_ptr_ne(plan.events, plan.inline_events);
    static const char *const reasons[] = {"Pulled", "Created", "Started"};
    static const char *const names[] = {"a", "b", "c"};
    for (size_t i = 0; i < 9; i++) {
        char want[64];
        ck_assert_str_eq(plan.events[i].reason, reasons[i % 3]);
        if (i % 3 == 2) {
            snprintf(want, sizeof want, "Started container %s", names[i / 3]);
            ck_assert_str_eq(plan.events[i].message, want);
        }
    }
    rci_sim_kubelet_plan_clear(&plan);
    ck_assert_ptr_null(plan.events);
    ck_assert_uint_eq(plan.nevents, 0);
    rc_object_unref(p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sim_kubelet");
    TCase *tc = tcase_create("transitions");
    tcase_add_test(tc, admit_pull_run_ready);
    tcase_add_test(tc, ready_transition_time_only_on_flip);
    tcase_add_test(tc, never_ready_and_failing_pull);
    tcase_add_test(tc, batch_pods_finish);
    tcase_add_test(tc, crash_loop_backoff);
    tcase_add_test(tc, graceful_deletion);
    tcase_add_test(tc, bad_annotations_fall_back_to_defaults);
    tcase_add_test(tc, events_in_order_past_the_inline_ones);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rc_test_run_suite(suite());
}
