/* test_listwatch.c - rc_watch streams (ordering, finish, stop, callbacks, blocking wait across threads)
 * and rc_object_list. */
#include <pthread.h>
#include <stdio.h>
#include <reconcile.h>
#include <string.h>

#include "support/testutil.h"

static rc_object *make_pod(const char *name)
{
    char json[256];
    snprintf(json, sizeof json, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\"}}", name);
    rc_object *o = rc_object_from_json(json, strlen(json), NULL);
    ck_assert_ptr_nonnull(o);
    return o;
}

START_TEST(events_arrive_in_order_then_closed)
{
    rc_watch *w = rc_watch_new();
    rc_object *a = make_pod("a"), *b = make_pod("b");
    ck_assert_int_eq(rc_watch_send(w, RC_WATCH_ADDED, a), 0);
    ck_assert_int_eq(rc_watch_send(w, RC_WATCH_MODIFIED, b), 0);
    rc_error e = {0};
    rc_error_set(&e, RC_EGONE, "too old resource version: 1 (5)");
    ck_assert_int_eq(rc_watch_send_error(w, &e), 0);
    rc_error_clear(&e);
    rc_watch_finish(w);
    ck_assert_int_eq(rc_watch_send(w, RC_WATCH_DELETED, a), RC_ECLOSED);
    ck_assert_uint_eq(rc_watch_pending(w), 3);
    ck_assert(rc_watch_wait(w, 0)); /* a zero timeout answers at once */
    rc_watch_event ev = {0};
    ck_assert_int_eq(rc_watch_next(w, &ev), 0);
    ck_assert_int_eq(ev.type, RC_WATCH_ADDED);
    ck_assert_str_eq(rc_object_name(ev.object), "a");
    rc_watch_event_clear(&ev);
    ck_assert_int_eq(rc_watch_next(w, &ev), 0);
    ck_assert_str_eq(rc_watch_event_type_name(ev.type), "MODIFIED");
    rc_watch_event_clear(&ev);
    ck_assert_int_eq(rc_watch_next(w, &ev), 0);
    ck_assert_int_eq(ev.type, RC_WATCH_ERROR);
    ck_assert_int_eq(ev.error.code, RC_EGONE);
    ck_assert_int_eq(ev.error.http_status, 410);
    ck_assert_str_eq(ev.error.message, "too old resource version: 1 (5)");
    rc_watch_event_clear(&ev);
    ck_assert_int_eq(rc_watch_next(w, &ev), RC_ECLOSED);
    rc_object_unref(a);
    rc_object_unref(b);
    rc_watch_unref(w);
}
END_TEST

static int stop_calls, event_calls;
static void on_stop(void *ctx, rc_watch *w) { (void)w; *(int *)ctx += 1; }
static void on_event(void *ctx) { *(int *)ctx += 1; }

START_TEST(stop_drops_queue_and_tells_producer)
{
    rc_watch *w = rc_watch_new();
    rc_watch *consumer = rc_watch_ref(w);
    stop_calls = event_calls = 0;
    rc_watch_on_stop(w, on_stop, &stop_calls);
    rc_watch_on_event(w, on_event, &event_calls);
    rc_object *a = make_pod("a");
    ck_assert_int_eq(rc_watch_send(w, RC_WATCH_ADDED, a), 0);
    ck_assert_int_eq(event_calls, 1);
    rc_watch_event ev = {0};
    ck_assert_int_eq(rc_watch_next(w, &ev), 0);
    rc_watch_event_clear(&ev);
    rc_watch_send(w, RC_WATCH_ADDED, a);
    rc_watch_stop(consumer);
    rc_watch_stop(consumer);
    ck_assert_int_eq(stop_calls, 1);
    ck_assert(rc_watch_stopped(w));
    ck_assert_uint_eq(rc_watch_pending(w), 0);
    ck_assert_int_eq(rc_watch_send(w, RC_WATCH_ADDED, a), RC_ECLOSED);
    rc_watch_unref(consumer);
    rc_watch_unref(w);
    rc_object_unref(a);
}
END_TEST

START_TEST(next_on_empty_open_stream_is_eagain)
{
    rc_watch *w = rc_watch_new();
    rc_watch_event ev;
    ck_assert_int_eq(rc_watch_next(w, &ev), RC_EAGAIN);
    ck_assert(!rc_watch_wait(w, 0));
    rc_watch_unref(w);
}
END_TEST

static void *producer(void *arg)
{
    rc_watch *w = arg;
    rc_object *o = make_pod("threaded");
    for (int i = 0; i < 1000; i++)
        rc_watch_send(w, RC_WATCH_MODIFIED, o);
    rc_object_unref(o);
    rc_watch_finish(w);
    return NULL;
}

START_TEST(blocking_wait_sees_every_event_from_another_thread)
{
    rc_watch *w = rc_watch_new();
    pthread_t t;
    pthread_create(&t, NULL, producer, rc_watch_ref(w));
    int got = 0;
    for (;;) {
        ck_assert(rc_watch_wait(w, RC_TIME_NEVER));
        rc_watch_event ev;
        int rc = rc_watch_next(w, &ev);
        if (rc == RC_ECLOSED)
            break;
        ck_assert_int_eq(rc, 0);
        got++;
        rc_watch_event_clear(&ev);
    }
    pthread_join(t, NULL);
    rc_watch_unref(w); /* producer's reference */
    rc_watch_unref(w);
    ck_assert_int_eq(got, 1000);
}
END_TEST

START_TEST(object_list_holds_references)
{
    rc_object_list l;
    rc_object_list_init(&l);
    ck_assert_int_eq(l.remaining_item_count, -1);
    rc_object *a = make_pod("a");
    for (int i = 0; i < 40; i++)
        ck_assert_int_eq(rc_object_list_append(&l, a), 0);
    rc_object_unref(a);
    ck_assert_uint_eq(l.count, 40);
    ck_assert_str_eq(rc_object_name(l.items[39]), "a");
    l.continue_token = strdup("token");
    rc_object_list_clear(&l);
    ck_assert_uint_eq(l.count, 0);
    ck_assert_ptr_null(l.continue_token);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("listwatch");
    TCase *tc = tcase_create("watch");
    tcase_add_test(tc, events_arrive_in_order_then_closed);
    tcase_add_test(tc, stop_drops_queue_and_tells_producer);
    tcase_add_test(tc, next_on_empty_open_stream_is_eagain);
    tcase_add_test(tc, blocking_wait_sees_every_event_from_another_thread);
    tcase_add_test(tc, object_list_holds_references);
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
