/* test_metrics.c - the metrics registry: registration rules, counters, gauges and histograms with labels,
 * the exact Prometheus text exposition, rejected input and concurrent updates. */
#include <reconcile/metrics.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testutil.h"

static const char *const verb_code[] = {"verb", "code"};

START_TEST(renders_prometheus_text)
{
    rc_metrics *m = rc_metrics_new();
    rc_metric *requests, *inflight, *latency;
    rc_metric_desc d1 = {RC_METRIC_COUNTER, "api_requests_total", "API requests.", verb_code, 2, NULL, 0};
    rc_metric_desc d2 = {RC_METRIC_GAUGE, "inflight", "In flight\\now\nhere", NULL, 0, NULL, 0};
    const double bounds[] = {0.1, 1, 2.5};
    rc_metric_desc d3 = {RC_METRIC_HISTOGRAM, "latency_seconds", NULL, NULL, 0, bounds, 3};
    ck_assert_int_eq(rc_metrics_register(m, &d1, &requests, NULL), 0);
    ck_assert_int_eq(rc_metrics_register(m, &d2, &inflight, NULL), 0);
    ck_assert_int_eq(rc_metrics_register(m, &d3, &latency, NULL), 0);
    rc_metric_series *get200, *weird, *g, *h;
    ck_assert_int_eq(rc_metric_with(requests, (const char *const[]){"GET", "200"}, &get200, NULL), 0);
    ck_assert_int_eq(rc_metric_with(requests, (const char *const[]){"a\"b\\c\nd", ""}, &weird, NULL), 0);
    ck_assert_int_eq(rc_metric_with(inflight, NULL, &g, NULL), 0);
    ck_assert_int_eq(rc_metric_with(latency, NULL, &h, NULL), 0);
    rc_metric_series *again;
    ck_assert_int_eq(rc_metric_with(requests, (const char *const[]){"GET", "200"}, &again, NULL), 0);
    ck_assert_ptr_eq(again, get200);
    rc_metric_inc(get200);
    rc_metric_add(get200, 2.5);
    rc_metric_add(get200, -1); /* counters never go down */
    rc_metric_inc(weird);
    rc_metric_set(g, 3);
    rc_metric_add(g, -1.5);
    rc_metric_observe(h, 0.1); /* le is inclusive */
    rc_metric_observe(h, 0.5);
    rc_metric_observe(h, 7);
    rc_metric_set(get200, 100); /* wrong type: ignored */
    rc_metric_observe(get200, 1);
    rc_metric_add(h, 1);
    ck_assert(rc_metric_value(get200) == 3.5);
    ck_assert(rc_metric_value(h) == 7.6);
    ck_assert_uint_eq(rc_metric_count(h), 3);
    char *text;
    size_t len;
    ck_assert_int_eq(rc_metrics_render(m, &text, &len, NULL), 0);
    const char *want = "# HELP api_requests_total API requests.\n"
                       "# TYPE api_requests_total counter\n"
                       "api_requests_total{verb=\"GET\",code=\"200\"} 3.5\n"
                       "api_requests_total{verb=\"a\\\"b\\\\c\\nd\",code=\"\"} 1\n"
                       "# HELP inflight In flight\\\\now\\nhere\n"
                       "# TYPE inflight gauge\n"
                       "inflight 1.5\n"
                       "# HELP latency_seconds \n"
                       "# TYPE latency_seconds histogram\n"
                       "latency_seconds_bucket{le=\"0.1\"} 1\n"
                       "latency_seconds_bucket{le=\"1\"} 2\n"
                       "latency_seconds_bucket{le=\"2.5\"} 2\n"
                       "latency_seconds_bucket{le=\"+Inf\"} 3\n"
                       "latency_seconds_sum 7.6\n"
                       "latency_seconds_count 3\n";
    ck_assert_str_eq(text, want);
    ck_assert_uint_eq(len, strlen(want));
    free(text);
    rc_metrics_free(m);
}
END_TEST

START_TEST(registration_is_idempotent_and_checked)
{
    rc_metrics *m = rc_metrics_new();
    rc_metric *a, *b;
    rc_error err = {0};
    rc_metric_desc d = {RC_METRIC_COUNTER, "x_total", "x", verb_code, 2, NULL, 0};
    ck_assert_int_eq(rc_metrics_register(m, &d, &a, NULL), 0);
    ck_assert_int_eq(rc_metrics_register(m, &d, &b, NULL), 0);
    ck_assert_ptr_eq(a, b);
    d.type = RC_METRIC_GAUGE;
    ck_assert_int_eq(rc_metrics_register(m, &d, &b, &err), RC_EEXISTS);
    rc_error_clear(&err);
    d = (rc_metric_desc){RC_METRIC_COUNTER, "x_total", "x", verb_code, 1, NULL, 0};
    ck_assert_int_eq(rc_metrics_register(m, &d, &b, NULL), RC_EEXISTS);

    const char *const bad_labels[][1] = {{"9lives"}, {"__reserved"}, {"has-dash"}, {""}};
    for (int i = 0; i < 4; i++) {
        rc_metric_desc bl = {RC_METRIC_GAUGE, "ok", "", bad_labels[i], 1, NULL, 0};
        ck_assert_int_eq(rc_metrics_register(m, &bl, &b, &err), RC_EINVAL);
        ck_assert_ptr_nonnull(strstr(err.message, "label"));
        rc_error_clear(&err);
    }
    const char *const le[] = {"le"};
    rc_metric_desc hl = {RC_METRIC_HISTOGRAM, "h", "", le, 1, NULL, 0};
    ck_assert_int_eq(rc_metrics_register(m, &hl, &b, NULL), RC_EINVAL);
    const char *const twice[] = {"a", "a"};
    rc_metric_desc dup = {RC_METRIC_GAUGE, "g", "", twice, 2, NULL, 0};
    ck_assert_int_eq(rc_metrics_register(m, &dup, &b, NULL), RC_EINVAL);
    const char *bad_names[] = {"", "1abc", "a-b", "a b", NULL};
    for (int i = 0; i < 5; i++) {
        rc_metric_desc bn = {RC_METRIC_GAUGE, bad_names[i], "", NULL, 0, NULL, 0};
        ck_assert_int_eq(rc_metrics_register(m, &bn, &b, NULL), RC_EINVAL);
    }
    const double unordered[] = {1, 1};
    rc_metric_desc hb = {RC_METRIC_HISTOGRAM, "h", "", NULL, 0, unordered, 2};
    ck_assert_int_eq(rc_metrics_register(m, &hb, &b, NULL), RC_EINVAL);
    const double inf[] = {1, INFINITY};
    hb.buckets = inf;
    ck_assert_int_eq(rc_metrics_register(m, &hb, &b, NULL), RC_EINVAL);
    rc_metric_desc ok = {RC_METRIC_GAUGE, "ns:sub_ok", "", NULL, 0, NULL, 0};
    ck_assert_int_eq(rc_metrics_register(m, &ok, &b, NULL), 0);
    rc_metric_series *s;
    ck_assert_int_eq(rc_metric_with(a, (const char *const[]){"GET", NULL}, &s, &err), RC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "code"));
    rc_error_clear(&err);
    ck_assert_int_eq(rc_metric_with(a, NULL, &s, NULL), RC_EINVAL);
    char *text;
    ck_assert_int_eq(rc_metrics_render(m, &text, NULL, NULL), 0); /* families without series: headers only */
    ck_assert_str_eq(text, "# HELP x_total x\n# TYPE x_total counter\n# HELP ns:sub_ok \n# TYPE ns:sub_ok gauge\n");
    free(text);
    rc_metrics_free(m);
    m = rc_metrics_new();
    ck_assert_int_eq(rc_metrics_render(m, &text, NULL, NULL), 0);
    ck_assert_str_eq(text, "");
    free(text);
    rc_metrics_free(m);
    rc_metrics_free(NULL);
}
END_TEST

START_TEST(default_buckets_and_numbers)
{
    rc_metrics *m = rc_metrics_new();
    rc_metric *f;
    rc_metric_desc d = {RC_METRIC_HISTOGRAM, "d", "", NULL, 0, NULL, 0};
    ck_assert_int_eq(rc_metrics_register(m, &d, &f, NULL), 0);
    rc_metric_series *s;
    ck_assert_int_eq(rc_metric_with(f, NULL, &s, NULL), 0);
    rc_metric_observe(s, 0.003);
    rc_metric_observe(s, NAN); /* ignored */
    rc_metric_observe(s, 1e-9);
    char *text;
    ck_assert_int_eq(rc_metrics_render(m, &text, NULL, NULL), 0);
    ck_assert_ptr_nonnull(strstr(text, "d_bucket{le=\"0.005\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(text, "d_bucket{le=\"10\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(text, "d_sum 0.003000001\n"));
    ck_assert_ptr_nonnull(strstr(text, "d_count 2\n"));
    free(text);
    const char *const v[] = {"v"};
    rc_metric_desc dg = {RC_METRIC_GAUGE, "g", "", v, 1, NULL, 0};
    ck_assert_int_eq(rc_metrics_register(m, &dg, &f, NULL), 0);
    const double values[] = {0, -1.5, 1234.5, 999999, 1e6, 1.5e-5, 0.0001, 1.0 / 3, -INFINITY, NAN};
    const char *want[] = {"0", "-1.5", "1234.5", "999999", "1e+06", "1.5e-05", "0.0001", "0.3333333333333333",
                          "-Inf", "NaN"};
    for (int i = 0; i < 10; i++) {
        char label[4] = {(char)('a' + i), 0};
        ck_assert_int_eq(rc_metric_with(f, (const char *const[]){label}, &s, NULL), 0);
        rc_metric_set(s, values[i]);
    }
    ck_assert_int_eq(rc_metrics_render(m, &text, NULL, NULL), 0);
    for (int i = 0; i < 10; i++) {
        char line[64];
        snprintf(line, sizeof line, "g{v=\"%c\"} %s\n", 'a' + i, want[i]);
        ck_assert_msg(strstr(text, line), "missing %s", line);
    }
    free(text);
    rc_metrics_free(m);
}
END_TEST

static void *hammer(void *arg)
{
    rc_metric_series **s = arg;
    for (int i = 0; i < 100000; i++) {
        rc_metric_inc(s[0]);
        rc_metric_observe(s[1], 0.5);
    }
    return NULL;
}

START_TEST(concurrent_updates_are_not_lost)
{
    rc_metrics *m = rc_metrics_new();
    rc_metric *c, *h;
    rc_metric_desc dc = {RC_METRIC_COUNTER, "c_total", "", NULL, 0, NULL, 0};
    rc_metric_desc dh = {RC_METRIC_HISTOGRAM, "h", "", NULL, 0, NULL, 0};
    ck_assert_int_eq(rc_metrics_register(m, &dc, &c, NULL), 0);
    ck_assert_int_eq(rc_metrics_register(m, &dh, &h, NULL), 0);
    rc_metric_series *s[2];
    ck_assert_int_eq(rc_metric_with(c, NULL, &s[0], NULL), 0);
    ck_assert_int_eq(rc_metric_with(h, NULL, &s[1], NULL), 0);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, hammer, s);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    ck_assert(rc_metric_value(s[0]) == 200000);
    ck_assert_uint_eq(rc_metric_count(s[1]), 200000);
    ck_assert(rc_metric_value(s[1]) == 100000);
    rc_metrics_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, renders_prometheus_text);
    tcase_add_test(tc, registration_is_idempotent_and_checked);
    tcase_add_test(tc, default_buckets_and_numbers);
    tcase_add_test(tc, concurrent_updates_are_not_lost);
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
