/* test_events.c - rc_recorder against the embedded API server: event fields, aggregation of repeats into
 * count and lastTimestamp, distinct events staying distinct, recreation after deletion, bad input. */
#include <reconcile/apiserver.h>
#include <reconcile/events.h>
#include <string.h>

#include "support/testutil.h"

typedef struct fixture {
    rc_clock *clock;
    rc_apiserver *srv;
    rc_client *client;
    rc_object *pod;
} fixture;

static void setup(fixture *f)
{
    f->clock = rc_clock_virtual_new((rc_time)1704067200 * RC_SEC);
    rc_apiserver_options o = {0};
    o.clock = f->clock;
    f->srv = rc_apiserver_new(&o, NULL);
    f->client = rc_apiserver_client(f->srv, NULL);
    const char *json = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"web\",\"namespace\":"
                       "\"default\"}}";
    rc_object *cm = rc_object_from_json(json, strlen(json), NULL);
    ck_assert_int_eq(rc_client_create(f->client, NULL, "default", cm, NULL, &f->pod, NULL), 0);
    rc_object_unref(cm);
}

static void teardown(fixture *f)
{
    rc_object_unref(f->pod);
    rc_client_unref(f->client);
    rc_apiserver_free(f->srv);
    rc_clock_free(f->clock);
}

static size_t list_events(fixture *f, rc_object_list *l)
{
    rc_object_list_init(l);
    ck_assert_int_eq(rc_client_list(f->client, "events", "default", NULL, l, NULL), 0);
    return l->count;
}

START_TEST(repeats_aggregate_into_count)
{
    fixture f;
    setup(&f);
    rc_recorder *r = rc_recorder_new(f.client, f.clock, "test-controller", "node-1");
    rc_error err = {0};
    ck_assert_int_eq(rc_recorder_event(r, f.pod, RC_EVENT_NORMAL, "Synced", &err, "synced %d items", 3), 0);
    rc_clock_advance(f.clock, 5 * RC_SEC);
    ck_assert_int_eq(rc_recorder_event(r, f.pod, RC_EVENT_NORMAL, "Synced", &err, "synced %d items", 3), 0);
    ck_assert_int_eq(rc_recorder_event(r, f.pod, RC_EVENT_WARNING, "Failed", &err, "boom"), 0);
    ck_assert_uint_eq(rc_recorder_series(r), 2);
    rc_object_list l;
    ck_assert_uint_eq(list_events(&f, &l), 2);
    bool seen_synced = false;
    for (size_t i = 0; i < l.count; i++) {
        rc_object *ev = l.items[i];
        ck_assert_str_eq(rc_object_get_str(ev, "involvedObject.kind"), "ConfigMap");
        ck_assert_str_eq(rc_object_get_str(ev, "involvedObject.name"), "web");
        ck_assert_str_eq(rc_object_get_str(ev, "involvedObject.uid"), rc_object_uid(f.pod));
        ck_assert_str_eq(rc_object_get_str(ev, "source.component"), "test-controller");
        ck_assert_str_eq(rc_object_get_str(ev, "source.host"), "node-1");
        if (!strcmp(rc_object_get_str(ev, "reason"), "Synced")) {
            seen_synced = true;
            ck_assert_int_eq(rc_object_get_int(ev, "count", 0), 2);
            ck_assert_str_eq(rc_object_get_str(ev, "type"), "Normal");
            ck_assert_str_eq(rc_object_get_str(ev, "message"), "synced 3 items");
            ck_assert_str_eq(rc_object_get_str(ev, "firstTimestamp"), "2024-01-01T00:00:00Z");
            ck_assert_str_eq(rc_object_get_str(ev, "lastTimestamp"), "2024-01-01T00:00:05Z");
        } else {
            ck_assert_int_eq(rc_object_get_int(ev, "count", 0), 1);
            ck_assert_str_eq(rc_object_get_str(ev, "type"), "Warning");
        }
    }
    ck_assert(seen_synced);
    /* An aggregated Event deleted meanwhile is created again. */
    for (size_t i = 0; i < l.count; i++)
        ck_assert_int_eq(rc_client_delete(f.client, "events", "default", rc_object_name(l.items[i]), NULL, NULL,
                                          NULL),
                         0);
    rc_object_list_clear(&l);
    ck_assert_int_eq(rc_recorder_event(r, f.pod, RC_EVENT_NORMAL, "Synced", &err, "synced 3 items"), 0);
    ck_assert_uint_eq(list_events(&f, &l), 1);
    ck_assert_int_eq(rc_object_get_int(l.items[0], "count", 0), 1);
    rc_object_list_clear(&l);
    rc_recorder_free(r);
    teardown(&f);
}
END_TEST

START_TEST(bad_events_are_refused)
{
    fixture f;
    setup(&f);
    rc_recorder *r = rc_recorder_new(f.client, f.clock, "c", NULL);
    rc_error err = {0};
    ck_assert_int_eq(rc_recorder_event(r, f.pod, "Info", "X", &err, "m"), RC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "Normal or Warning"));
    rc_error_clear(&err);
    ck_assert_int_eq(rc_recorder_event(r, f.pod, RC_EVENT_NORMAL, "", &err, "m"), RC_EINVAL);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_recorder_event(r, NULL, RC_EVENT_NORMAL, "X", &err, "m"), RC_EINVAL);
    rc_error_clear(&err);
    ck_assert_ptr_null(rc_recorder_new(NULL, f.clock, "c", NULL));
    ck_assert_ptr_null(rc_recorder_new(f.client, f.clock, "", NULL));
    rc_object_list l;
    ck_assert_uint_eq(list_events(&f, &l), 0);
    rc_object_list_clear(&l);
    rc_recorder_free(r);
    teardown(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("events");
    TCase *tc = tcase_create("recorder");
    tcase_add_test(tc, repeats_aggregate_into_count);
    tcase_add_test(tc, bad_events_are_refused);
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
