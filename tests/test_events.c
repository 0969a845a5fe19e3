/* test_events.c - rc_recorder against the embedded API server: event fields, aggregation of repeats into
 * count and lastTimestamp, distinct events staying distinct, recreation after deletion, bad input; and the
 * correlation client-go applies: similar events (same reason, other messages) combined after 10, and the
 * per-object spam filter (burst 25, one more every 5 minutes). */
#include <reconcile/apiserver.h>
#include <reconcile/events.h>
#include <stdio.h>
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

/* The Event with this reason whose message starts with message_prefix, or NULL. */
static rc_object *find_event(rc_object_list *l, const char *reason, const char *message_prefix)
{
    for (size_t i = 0; i < l->count; i++)
        if (!strcmp(rc_object_get_str(l->items[i], "reason"), reason) &&
            !strncmp(rc_object_get_str(l->items[i], "message"), message_prefix, strlen(message_prefix)))
            return l->items[i];
    return NULL;
}

START_TEST(similar_events_are_combined)
{
    fixture f;
    setup(&f);
    rc_recorder *r = rc_recorder_new(f.client, f.clock, "replicaset-controller", NULL);
    rc_error err = {0};
    for (int i = 0; i < 12; i++) {
        ck_assert_int_eq(
            rc_recorder_event(r, f.pod, RC_EVENT_NORMAL, "SuccessfulCreate", &err, "Created pod: p%d", i), 0);
        rc_clock_advance(f.clock, RC_SEC);
    }
    rc_object_list l;
    /* nine on their own, then one combined Event counting the 10th, 11th and 12th */
    ck_assert_uint_eq(list_events(&f, &l), 10);
    ck_assert_ptr_nonnull(find_event(&l, "SuccessfulCreate", "Created pod: p8"));
    ck_assert_ptr_null(find_event(&l, "SuccessfulCreate", "Created pod: p9"));
    rc_object *combined = find_event(&l, "SuccessfulCreate", "(combined from similar events): Created pod: p9");
    ck_assert_ptr_nonnull(combined);
    ck_assert_int_eq(rc_object_get_int(combined, "count", 0), 3);
    rc_object_list_clear(&l);
    /* another reason is not similar */
    ck_assert_int_eq(rc_recorder_event(r, f.pod, RC_EVENT_NORMAL, "SuccessfulDelete", &err, "Deleted pod: p0"), 0);
    ck_assert_uint_eq(list_events(&f, &l), 11);
    rc_object_list_clear(&l);
    /* after 10 quiet minutes the messages count from zero again */
    rc_clock_advance(f.clock, 11 * RC_MINUTE);
    ck_assert_int_eq(rc_recorder_event(r, f.pod, RC_EVENT_NORMAL, "SuccessfulCreate", &err, "Created pod: q"), 0);
    ck_assert_uint_eq(list_events(&f, &l), 12);
    ck_assert_ptr_nonnull(find_event(&l, "SuccessfulCreate", "Created pod: q"));
    rc_object_list_clear(&l);
    rc_recorder_free(r);
    teardown(&f);
}
END_TEST

START_TEST(spam_filter_limits_events_per_object)
{
    fixture f;
    setup(&f);
    rc_recorder *r = rc_recorder_new(f.client, f.clock, "kubelet", "node-1");
    rc_error err = {0};
    /* 30 different reasons at once: the first 25 are written, the rest dropped (still a success) */
    for (int i = 0; i < 30; i++) {
        char reason[32];
        snprintf(reason, sizeof reason, "Reason%d", i);
        ck_assert_int_eq(rc_recorder_event(r, f.pod, RC_EVENT_NORMAL, reason, &err, "m"), 0);
    }
    rc_object_list l;
    ck_assert_uint_eq(list_events(&f, &l), 25);
    ck_assert_ptr_nonnull(find_event(&l, "Reason24", "m"));
    ck_assert_ptr_null(find_event(&l, "Reason25", "m"));
    rc_object_list_clear(&l);
    /* one more token every 5 minutes */
    rc_clock_advance(f.clock, 5 * RC_MINUTE);
    ck_assert_int_eq(rc_recorder_event(r, f.pod, RC_EVENT_NORMAL, "Late", &err, "first"), 0);
    ck_assert_int_eq(rc_recorder_event(r, f.pod, RC_EVENT_NORMAL, "Late", &err, "second"), 0);
    list_events(&f, &l);
    ck_assert_ptr_nonnull(find_event(&l, "Late", "first"));
    ck_assert_ptr_null(find_event(&l, "Late", "second"));
    rc_object_list_clear(&l);
    /* another object has its own bucket */
    const char *json = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"other\"}}";
    rc_object *cm = rc_object_from_json(json, strlen(json), NULL), *other = NULL;
    ck_assert_int_eq(rc_client_create(f.client, NULL, "default", cm, NULL, &other, NULL), 0);
    ck_assert_int_eq(rc_recorder_event(r, other, RC_EVENT_NORMAL, "Late", &err, "second"), 0);
    list_events(&f, &l);
    ck_assert_ptr_nonnull(find_event(&l, "Late", "second"));
    rc_object_list_clear(&l);
    rc_object_unref(cm);
    rc_object_unref(other);
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
    tcase_add_test(tc, similar_events_are_combined);
    tcase_add_test(tc, spam_filter_limits_events_per_object);
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
