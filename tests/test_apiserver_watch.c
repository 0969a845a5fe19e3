/* test_apiserver_watch.c - watch semantics of the embedded API server and its fault injection: pumped
 * delivery, resumption from a resourceVersion, 410 Expired beyond the history window, selector
 * transitions, initial state and watch-list bookmarks, periodic bookmarks and timeouts on the virtual
 * clock, and every fault kind (fail Nth, conflict rate, dropped streams, expired history, latency). */
#include <reconcile.h>
#include <reconcile/apiserver.h>
#include <reconcile/client.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testutil.h"

#define T0 ((rc_time)1700000000 * RC_SEC)

static rc_clock *clk;
static rc_apiserver *srv;
static rc_client *cl;

static void start(size_t history)
{
    clk = rc_clock_virtual_new(T0);
    rc_apiserver_options o = {.clock = clk, .seed = 3, .watch_history = history};
    srv = rc_apiserver_new(&o, NULL);
    ck_assert_ptr_nonnull(srv);
    cl = rc_apiserver_client(srv, NULL);
}

static void setup(void)
{
    start(0);
}

static void teardown(void)
{
    rc_client_unref(cl);
    rc_apiserver_free(srv);
    rc_clock_free(clk);
}

static void put_cm(const char *name, const char *tier)
{
    char buf[256];
    snprintf(buf, sizeof buf, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"%s\","
             "\"namespace\":\"default\",\"labels\":{\"tier\":\"%s\"}}}", name, tier);
    rc_object *in = rc_object_from_json(buf, strlen(buf), NULL), *cur = NULL;
    rc_error err = {0};
    if (rc_client_get(cl, "configmaps", "default", name, &cur, NULL) == 0) {
        rc_object *e = rc_object_copy(cur);
        rc_object_set_label(e, "tier", tier);
        ck_assert_int_eq(rc_client_update(cl, NULL, NULL, e, NULL, NULL, &err), 0);
        rc_object_unref(e);
        rc_object_unref(cur);
    } else {
        ck_assert_int_eq(rc_client_create(cl, NULL, NULL, in, NULL, NULL, &err), 0);
    }
    rc_object_unref(in);
}

/* Next event: asserts its type and (if name) the object's name. */
static void expect(rc_watch *w, rc_watch_event_type type, const char *name)
{
    rc_watch_event ev = {0};
    int rc = rc_watch_next(w, &ev);
    ck_assert_msg(rc == 0, "no event (rc %d), wanted %s %s", rc, rc_watch_event_type_name(type), name ? name : "");
    ck_assert_msg(ev.type == type, "got %s, wanted %s", rc_watch_event_type_name(ev.type),
                  rc_watch_event_type_name(type));
    if (name)
        ck_assert_str_eq(rc_object_name(ev.object), name);
    rc_watch_event_clear(&ev);
}

static void expect_none(rc_watch *w)
{
    rc_watch_event ev = {0};
    ck_assert_int_eq(rc_watch_next(w, &ev), RC_EAGAIN);
}

static rc_watch *watch(const rc_list_options *o)
{
    rc_watch *w = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_client_watch(cl, "configmaps", "default", o, &w, &err), 0);
    return w;
}

static void done(rc_watch *w)
{
    rc_watch_stop(w);
    rc_watch_unref(w);
}

static char *current_rv(void)
{
    static char buf[32];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)rc_apiserver_resource_version(srv));
    return buf;
}

START_TEST(events_wait_for_pump)
{
    rc_list_options o = {.resource_version = current_rv()};
    rc_watch *w = watch(&o);
    put_cm("a", "x");
    put_cm("a", "y");
    ck_assert_uint_eq(rc_apiserver_pending(srv), 2);
    expect_none(w);
    ck_assert_uint_eq(rc_apiserver_pump(srv), 2);
    expect(w, RC_WATCH_ADDED, "a");
    expect(w, RC_WATCH_MODIFIED, "a");
    ck_assert_int_eq(rc_client_delete(cl, "configmaps", "default", "a", NULL, NULL, NULL), 0);
    rc_apiserver_pump(srv);
    expect(w, RC_WATCH_DELETED, "a");
    expect_none(w);
    done(w);
    ck_assert_uint_eq(rc_apiserver_pending(srv), 0);
}
END_TEST

START_TEST(resume_from_version_and_initial_state)
{
    put_cm("a", "x");
    char rv[32];
    snprintf(rv, sizeof rv, "%s", current_rv());
    put_cm("b", "x");
    put_cm("a", "y");
    rc_list_options o = {.resource_version = rv};
    rc_watch *w = watch(&o); /* replays what happened after rv, without pumping */
    expect(w, RC_WATCH_ADDED, "b");
    expect(w, RC_WATCH_MODIFIED, "a");
    expect_none(w);
    rc_apiserver_pump(srv); /* already delivered: not sent twice */
    expect_none(w);
    done(w);
    o = (rc_list_options){.resource_version = "0"};
    w = watch(&o); /* "0": current state as ADDED */
    expect(w, RC_WATCH_ADDED, "a");
    expect(w, RC_WATCH_ADDED, "b");
    expect_none(w);
    done(w);
    rc_error err = {0};
    o = (rc_list_options){.resource_version = "x1"};
    ck_assert_int_eq(rc_client_watch(cl, "configmaps", "default", &o, &w, &err), RC_EBADREQUEST);
    rc_error_clear(&err);
}
END_TEST

START_TEST(too_old_version_is_gone)
{
    teardown();
    start(4);
    put_cm("a", "x");
    char rv[32];
    snprintf(rv, sizeof rv, "%s", current_rv());
    for (int i = 0; i < 6; i++)
        put_cm("a", i % 2 ? "x" : "y");
    rc_list_options o = {.resource_version = rv};
    rc_watch *w = watch(&o);
    rc_watch_event ev = {0};
    ck_assert_int_eq(rc_watch_next(w, &ev), 0);
    ck_assert_int_eq(ev.type, RC_WATCH_ERROR);
    ck_assert_int_eq(ev.error.code, RC_EGONE);
    ck_assert_int_eq(ev.error.http_status, 410);
    ck_assert_str_eq(ev.error.reason, "Expired");
    rc_watch_event_clear(&ev);
    ck_assert_int_eq(rc_watch_next(w, &ev), RC_ECLOSED);
    done(w);
}
END_TEST

START_TEST(selector_transitions)
{
    put_cm("a", "front");
    rc_list_options o = {.label_selector = "tier=front", .resource_version = current_rv()};
    rc_watch *w = watch(&o);
    put_cm("a", "back");  /* stops matching: DELETED */
    put_cm("a", "front"); /* starts matching: ADDED */
    put_cm("b", "back");  /* never matches: nothing */
    put_cm("a", "front"); /* no change: no write, nothing */
    rc_apiserver_pump(srv);
    rc_watch_event ev = {0};
    ck_assert_int_eq(rc_watch_next(w, &ev), 0);
    ck_assert_int_eq(ev.type, RC_WATCH_DELETED);
    ck_assert_str_eq(rc_object_label(ev.object, "tier"), "front"); /* the last matching state */
    rc_watch_event_clear(&ev);
    expect(w, RC_WATCH_ADDED, "a");
    expect_none(w);
    done(w);
    /* field selectors: supported fields only */
    o = (rc_list_options){.field_selector = "metadata.name=b"};
    w = watch(&o);
    expect(w, RC_WATCH_ADDED, "b");
    expect_none(w);
    done(w);
    rc_error err = {0};
    o = (rc_list_options){.field_selector = "data.x=1"};
    ck_assert_int_eq(rc_client_watch(cl, "configmaps", "default", &o, &w, &err), RC_EBADREQUEST);
    rc_error_clear(&err);
}
END_TEST

START_TEST(watch_list_and_bookmarks)
{
    put_cm("a", "x");
    put_cm("b", "x");
    rc_list_options o = {.send_initial_events = true, .allow_bookmarks = true,
                         .resource_version_match = "NotOlderThan", .timeout_seconds = 300};
    rc_watch *w = watch(&o);
    expect(w, RC_WATCH_ADDED, "a");
    expect(w, RC_WATCH_ADDED, "b");
    rc_watch_event ev = {0};
    ck_assert_int_eq(rc_watch_next(w, &ev), 0);
    ck_assert_int_eq(ev.type, RC_WATCH_BOOKMARK);
    ck_assert_str_eq(rc_object_annotation(ev.object, "k8s.io/initial-events-end"), "true");
    ck_assert_str_eq(rc_object_resource_version(ev.object), current_rv());
    rc_watch_event_clear(&ev);
    /* undelivered changes make step due now; once pumped, the periodic bookmark after 60 s is next */
    ck_assert_int_eq(rc_apiserver_next_deadline(srv), T0);
    rc_apiserver_pump(srv);
    ck_assert_int_eq(rc_apiserver_next_deadline(srv), T0 + 60 * RC_SEC);
    rc_clock_set(clk, T0 + 60 * RC_SEC);
    rc_apiserver_step(srv);
    expect(w, RC_WATCH_BOOKMARK, NULL);
    rc_clock_set(clk, T0 + 300 * RC_SEC);
    rc_apiserver_step(srv);
    ck_assert_int_eq(rc_watch_next(w, &ev), RC_ECLOSED);
    done(w);
    /* option checks */
    rc_error err = {0};
    o = (rc_list_options){.send_initial_events = true, .resource_version_match = "NotOlderThan"};
    ck_assert_int_eq(rc_client_watch(cl, "configmaps", "default", &o, &w, &err), RC_EINVAL);
    o = (rc_list_options){.send_initial_events = true, .allow_bookmarks = true};
    ck_assert_int_eq(rc_client_watch(cl, "configmaps", "default", &o, &w, &err), RC_EINVAL);
    rc_error_clear(&err);
}
END_TEST

START_TEST(consumer_stop_unregisters)
{
    rc_watch *w = watch(NULL);
    rc_watch_stop(w);
    put_cm("a", "x");
    ck_assert_uint_eq(rc_apiserver_pump(srv), 0);
    rc_watch_unref(w);
}
END_TEST

START_TEST(fault_fail_nth)
{
    rc_fault_rule r = {.verb = "create", .resource = "configmaps", .nth = 2, .code = RC_EUNAVAILABLE};
    ck_assert_int_eq(rc_apiserver_fault_fail(srv, &r, NULL), 0);
    put_cm("a", "x");
    const char *cm = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"b\",\"namespace\":"
                     "\"default\"}}";
    rc_object *in = rc_object_from_json(cm, strlen(cm), NULL);
    rc_error err = {0};
    ck_assert_int_eq(rc_client_create(cl, NULL, NULL, in, NULL, NULL, &err), RC_EUNAVAILABLE);
    ck_assert_int_eq(err.http_status, 503);
    ck_assert_int_eq(rc_client_create(cl, NULL, NULL, in, NULL, NULL, &err), 0);
    rc_object_unref(in);
    rc_fault_rule bad = {.nth = 0, .code = RC_EUNAVAILABLE};
    ck_assert_int_eq(rc_apiserver_fault_fail(srv, &bad, &err), RC_EINVAL);
    rc_error_clear(&err);
}
END_TEST

START_TEST(fault_conflict_rate_and_latency)
{
    put_cm("a", "x");
    rc_apiserver_fault_conflict_rate(srv, 1.0);
    rc_object *cur = NULL;
    ck_assert_int_eq(rc_client_get(cl, "configmaps", "default", "a", &cur, NULL), 0);
    rc_object *e = rc_object_copy(cur);
    rc_object_set_label(e, "tier", "y");
    rc_error err = {0};
    ck_assert_int_eq(rc_client_update(cl, NULL, NULL, e, NULL, NULL, &err), RC_ECONFLICT);
    rc_apiserver_fault_clear(srv);
    rc_apiserver_fault_latency(srv, 2 * RC_SEC);
    ck_assert_int_eq(rc_client_update(cl, NULL, NULL, e, NULL, NULL, &err), 0);
    ck_assert_int_eq(rc_clock_now(clk), T0 + 2 * RC_SEC);
    rc_object_unref(e);
    rc_object_unref(cur);
    rc_error_clear(&err);
}
END_TEST

START_TEST(fault_drop_watch_and_expire)
{
    rc_apiserver_fault_drop_watch_every(srv, 2);
    rc_list_options o = {.resource_version = current_rv()};
    rc_watch *w = watch(&o);
    put_cm("a", "x");
    put_cm("b", "x");
    put_cm("c", "x");
    rc_apiserver_pump(srv);
    expect(w, RC_WATCH_ADDED, "a");
    expect(w, RC_WATCH_ADDED, "b");
    rc_watch_event ev = {0};
    ck_assert_int_eq(rc_watch_next(w, &ev), RC_ECLOSED);
    done(w);
    rc_apiserver_fault_drop_watch_every(srv, 0);
    char rv[32];
    snprintf(rv, sizeof rv, "%s", current_rv());
    put_cm("d", "x");
    ck_assert_int_eq(rc_apiserver_fault_expire_history(srv, "cm"), 0);
    ck_assert_int_eq(rc_apiserver_fault_expire_history(srv, "nonsense"), RC_ENOTFOUND);
    o.resource_version = rv;
    w = watch(&o);
    ck_assert_int_eq(rc_watch_next(w, &ev), 0);
    ck_assert_int_eq(ev.type, RC_WATCH_ERROR);
    ck_assert_int_eq(ev.error.code, RC_EGONE);
    rc_watch_event_clear(&ev);
    done(w);
}
END_TEST

START_TEST(auto_pump_and_trace)
{
    teardown();
    clk = rc_clock_virtual_new(T0);
    rc_apiserver_options o = {.clock = clk, .auto_pump = true};
    srv = rc_apiserver_new(&o, NULL);
    cl = rc_apiserver_client(srv, NULL);
    rc_watch *w = watch(NULL);
    put_cm("a", "x");
    ck_assert_uint_eq(rc_apiserver_pending(srv), 0);
    expect(w, RC_WATCH_ADDED, "a");
    done(w);
}
END_TEST

static void *writer(void *arg)
{
    const char *prefix = arg;
    for (int i = 0; i < 50; i++) {
        char name[32];
        snprintf(name, sizeof name, "%s-%d", prefix, i % 5);
        put_cm(name, i % 2 ? "x" : "y");
        rc_apiserver_pump(srv);
    }
    return NULL;
}

START_TEST(concurrent_writers_and_watchers)
{
    rc_watch *w = watch(NULL);
    pthread_t a, b;
    pthread_create(&a, NULL, writer, "a");
    pthread_create(&b, NULL, writer, "b");
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    rc_apiserver_pump(srv);
    /* every change arrives once, in resourceVersion order */
    rc_watch_event ev = {0};
    uint64_t last = 0;
    size_t n = 0;
    while (rc_watch_next(w, &ev) == 0) {
        uint64_t rv = strtoull(rc_object_resource_version(ev.object), NULL, 10);
        ck_assert_uint_gt(rv, last);
        last = rv;
        n++;
        rc_watch_event_clear(&ev);
    }
    ck_assert_uint_eq(n, 100);
    done(w);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("apiserver_watch");
    TCase *tc = tcase_create("watch");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, events_wait_for_pump);
    tcase_add_test(tc, resume_from_version_and_initial_state);
    tcase_add_test(tc, too_old_version_is_gone);
    tcase_add_test(tc, selector_transitions);
    tcase_add_test(tc, watch_list_and_bookmarks);
    tcase_add_test(tc, consumer_stop_unregisters);
    tcase_add_test(tc, fault_fail_nth);
    tcase_add_test(tc, fault_conflict_rate_and_latency);
    tcase_add_test(tc, fault_drop_watch_and_expire);
    tcase_add_test(tc, auto_pump_and_trace);
    tcase_add_test(tc, concurrent_writers_and_watchers);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rc_test_run_suite(suite());
}
