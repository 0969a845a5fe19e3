/* test_values.c - quantities (parse, canonical text, compare, arithmetic, scaled values), int-or-percent
 * resolution and Deployment fenceposts, RFC 3339 times and Go durations. */
#include <reconcile.h>
#include <reconcile/values.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "support/testutil.h"

/* ---- quantities ---- */

typedef struct qty_case {
    const char *in;
    const char *canonical;
} qty_case;

static const qty_case QTY_CASES[] = {
    {"0", "0"},
    {"-0", "0"},
    {"0Ki", "0"},
    {"0.000m", "0"},
    {"100m", "100m"},
    {"1500m", "1500m"},
    {"1.5", "1500m"},
    {"1", "1"},
    {"+5", "5"},
    {"-1", "-1"},
    {"007", "7"},
    {"2e3", "2e3"},
    {"1E3", "1e3"},
    {"1e-3", "1e-3"},
    {"0.5e-2", "5e-3"},
    {"1.2e3", "1200"},
    {"1.3E+6", "1300e3"},
    {"1e21", "1e21"},
    {"1000E", "1e21"},
    {"1E", "1E"},
    {"12E", "12E"},
    {"1.01E", "1010P"},
    {"50k", "50k"},
    {"1000M", "1G"},
    {"4.5G", "4500M"},
    {"100.035k", "100035"},
    {"10.035M", "10035k"},
    {"123456789", "123456789"},
    {"1.G", "1G"},
    {".001", "1m"},
    {"1Ki", "1Ki"},
    {"8Ki", "8Ki"},
    {"1025Ki", "1025Ki"},
    {"200Mi", "200Mi"},
    {"1024Mi", "1Gi"},
    {"1Gi", "1Gi"},
    {"0.5Gi", "512Mi"},
    {"1.5Mi", "1536Ki"},
    {"-1.5Gi", "-1536Mi"},
    {"0.5Ki", "512"},
    {"1.5Ki", "1536"},
    {".001Ki", "1024m"},
    {".000001Ki", "1024u"},
    {".000000001Ki", "1024n"},
    {".000000000001Ki", "2n"},
    {"100.035Ki", "102435840m"},
    {"3Ei", "3Ei"},
    {"9Ei", "9223372036854775807"},
    {"9223372036854775807Ki", "9223372036854775807"},
    {"3.001n", "4n"},
    {"1.1E-9", "2e-9"},
    {"0.0000000001", "1n"},
    {"0.00000000050", "1n"},
    {"0.00000012345", "124n"},
    {"-0.00000012345", "-124n"},
    {"9223372036854775807", "9223372036854775807"},
    {"1e-1000000", "1e-9"},
    {"0.0000000000001", "1n"},
};

START_TEST(quantity_canonical_table)
{
    const qty_case *c = &QTY_CASES[_i];
    rc_error err = {0};
    rc_quantity q;
    char buf[RC_QUANTITY_STRLEN];
    ck_assert_msg(rc_quantity_parse(c->in, &q, &err) == 0, "%s: %s", c->in, err.message ? err.message : "");
    size_t n = rc_quantity_to_string(q, buf, sizeof buf);
    ck_assert_str_eq(buf, c->canonical);
    ck_assert_uint_eq(n, strlen(c->canonical));
    /* The canonical text denotes the same value and prints the same. */
    rc_quantity again;
    ck_assert_int_eq(rc_quantity_parse(buf, &again, NULL), 0);
    ck_assert_int_eq(rc_quantity_cmp(q, again), 0);
    char buf2[RC_QUANTITY_STRLEN];
    rc_quantity_to_string(again, buf2, sizeof buf2);
    ck_assert_str_eq(buf2, c->canonical);
}
END_TEST

static const char *const QTY_INVALID[] = {
    "", " 1", "1 ", "abc", "aoeu", "1.1.M", "1+1.0M", "0.1mi", "0.1am", ".5i", "1i", "-3.01i", "-3.01e-",
    "1K", "1ki", "+", "-", ".", "-.", "1e", "1e+", "1e1000001", "12345678901234567890123", "1Gb", "1Gi ",
    "1..0", "0x10", "1,5",
};

START_TEST(quantity_invalid_table)
{
    rc_error err = {0};
    rc_quantity q = rc_quantity_make(42, 0, RC_QUANTITY_DECIMAL_SI);
    ck_assert_msg(rc_quantity_parse(QTY_INVALID[_i], &q, &err) == RC_EINVAL, "\"%s\" parsed", QTY_INVALID[_i]);
    ck_assert_ptr_nonnull(strstr(err.message, "quantity \""));
    ck_assert_int_eq(q.mantissa, 42); /* untouched on failure */
    rc_error_clear(&err);
    ck_assert_int_eq(rc_quantity_parse(NULL, &q, NULL), RC_EINVAL);
}
END_TEST

static rc_quantity qp(const char *s)
{
    rc_quantity q;
    ck_assert_msg(rc_quantity_parse(s, &q, NULL) == 0, "%s", s);
    return q;
}

static const char *qs(rc_quantity q, char *buf)
{
    rc_quantity_to_string(q, buf, RC_QUANTITY_STRLEN);
    return buf;
}

START_TEST(quantity_compare)
{
    static const struct { const char *a, *b; int want; } cases[] = {
        {"0", "0", 0},         {"100m", "50m", 1},   {"50m", "100m", -1},   {"10000T", "100Gi", 1},
        {"1", "1000m", 0},     {"1Ki", "1024", 0},   {"-1", "1n", -1},      {"-2", "-1", -1},
        {"1E", "999P", 1},     {"1e-9", "1n", 0},    {"0", "-1n", 1},       {"9223372036854775807", "1e19", -1},
        {"1e21", "1e20", 1},   {"-1e21", "-1e20", -1}, {"1.5Gi", "1536Mi", 0}, {"999m", "1", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_msg(rc_quantity_cmp(qp(cases[i].a), qp(cases[i].b)) == cases[i].want, "%s vs %s", cases[i].a,
                      cases[i].b);
        ck_assert_int_eq(rc_quantity_cmp(qp(cases[i].b), qp(cases[i].a)), -cases[i].want);
    }
    ck_assert_int_eq(rc_quantity_sign(qp("-5m")), -1);
    ck_assert(rc_quantity_is_zero(qp("0Gi")));
    ck_assert(!rc_quantity_is_zero(qp("1n")));
}
END_TEST

START_TEST(quantity_arithmetic)
{
    char buf[RC_QUANTITY_STRLEN];
    rc_error err = {0};
    rc_quantity r;
    ck_assert_int_eq(rc_quantity_add(qp("100m"), qp("1.5"), &r, &err), 0);
    ck_assert_str_eq(qs(r, buf), "1600m");
    ck_assert_int_eq(rc_quantity_add(qp("1Gi"), qp("512Mi"), &r, &err), 0);
    ck_assert_str_eq(qs(r, buf), "1536Mi");
    ck_assert_int_eq(rc_quantity_sub(qp("1"), qp("1"), &r, &err), 0);
    ck_assert_str_eq(qs(r, buf), "0");
    ck_assert_int_eq(rc_quantity_add(qp("0"), qp("1Gi"), &r, &err), 0);
    ck_assert_str_eq(qs(r, buf), "1Gi");
    ck_assert_int_eq(rc_quantity_sub(qp("1Gi"), qp("0"), &r, &err), 0);
    ck_assert_str_eq(qs(r, buf), "1Gi");
    ck_assert_int_eq(rc_quantity_sub(qp("0"), qp("100m"), &r, &err), 0);
    ck_assert_str_eq(qs(r, buf), "-100m");
    ck_assert_int_eq(rc_quantity_sub(qp("2Gi"), qp("3Gi"), &r, &err), 0);
    ck_assert_str_eq(qs(r, buf), "-1Gi");
    ck_assert_str_eq(qs(rc_quantity_neg(qp("9.01")), buf), "-9010m");
    /* Overflow leaves *out alone and reports it. */
    rc_quantity keep = qp("7");
    ck_assert_int_eq(rc_quantity_add(qp("1E"), qp("1n"), &keep, &err), RC_EINVAL);
    ck_assert_str_eq(err.message, "quantity overflow");
    ck_assert_str_eq(qs(keep, buf), "7");
    rc_error_clear(&err);
    ck_assert_int_eq(rc_quantity_add(qp("9223372036854775807"), qp("1"), &keep, NULL), RC_EINVAL);
    ck_assert_int_eq(rc_quantity_sub(qp("-9223372036854775807"), qp("1"), &keep, NULL), RC_EINVAL);
}
END_TEST

START_TEST(quantity_scaled_values)
{
    ck_assert_int_eq(rc_quantity_milli_value(qp("100m")), 100);
    ck_assert_int_eq(rc_quantity_milli_value(qp("1.5")), 1500);
    ck_assert_int_eq(rc_quantity_milli_value(qp("1n")), 1);
    ck_assert_int_eq(rc_quantity_milli_value(qp("-1n")), -1);
    ck_assert_int_eq(rc_quantity_milli_value(qp("1Gi")), 1073741824000LL);
    ck_assert_int_eq(rc_quantity_milli_value(qp("9Ei")), INT64_MAX);
    ck_assert_int_eq(rc_quantity_milli_value(qp("-9Ei")), -INT64_MAX);
    ck_assert_int_eq(rc_quantity_value(qp("1.5")), 2);
    ck_assert_int_eq(rc_quantity_value(qp("-1.5")), -2);
    ck_assert_int_eq(rc_quantity_value(qp("100m")), 1);
    ck_assert_int_eq(rc_quantity_value(qp("0.5Gi")), 536870912);
    ck_assert_int_eq(rc_quantity_value(qp("200Mi")), 209715200);
    ck_assert_int_eq(rc_quantity_value(qp("1e21")), INT64_MAX);
    ck_assert_int_eq(rc_quantity_value(qp("0")), 0);
    ck_assert_int_eq(rc_quantity_scaled_value(qp("1.5G"), 6), 1500);
    ck_assert_int_eq(rc_quantity_scaled_value(qp("1"), 30), 1);

    char buf[RC_QUANTITY_STRLEN];
    ck_assert_str_eq(qs(rc_quantity_make(1500, -3, RC_QUANTITY_DECIMAL_SI), buf), "1500m");
    ck_assert_str_eq(qs(rc_quantity_make(1000, -3, RC_QUANTITY_DECIMAL_SI), buf), "1");
    ck_assert_str_eq(qs(rc_quantity_make(1024, 0, RC_QUANTITY_BINARY_SI), buf), "1Ki");
    ck_assert_str_eq(qs(rc_quantity_make(1024, -3, RC_QUANTITY_BINARY_SI), buf), "1024m");
    ck_assert_str_eq(qs(rc_quantity_make(1000000, 0, RC_QUANTITY_DECIMAL_EXPONENT), buf), "1e6");
    ck_assert_str_eq(qs(rc_quantity_make(15, -12, RC_QUANTITY_DECIMAL_SI), buf), "1n");
    ck_assert_str_eq(qs(rc_quantity_make(INT64_MIN, 0, RC_QUANTITY_DECIMAL_SI), buf), "-9223372036854775807");
    ck_assert_str_eq(qs((rc_quantity){1000, 0, (rc_quantity_format)99}, buf), "1e3");
    /* snprintf-like truncation. */
    char small[4];
    ck_assert_uint_eq(rc_quantity_to_string(qp("1536Mi"), small, sizeof small), 6);
    ck_assert_str_eq(small, "153");
}
END_TEST

START_TEST(quantity_from_nodes)
{
    char buf[RC_QUANTITY_STRLEN];
    rc_error err = {0};
    rc_quantity q;
    cJSON *j = cJSON_Parse("[\"250m\", 2, 0.5, 1e-5, true, \"x\", 123456789012]");
    ck_assert_int_eq(rc_quantity_from_node(rc_node_from_cjson(cJSON_GetArrayItem(j, 0)), NULL, &q, &err), 0);
    ck_assert_str_eq(qs(q, buf), "250m");
    ck_assert_int_eq(rc_quantity_from_node(rc_node_from_cjson(cJSON_GetArrayItem(j, 1)), NULL, &q, &err), 0);
    ck_assert_str_eq(qs(q, buf), "2");
    ck_assert_int_eq(rc_quantity_from_node(rc_node_from_cjson(cJSON_GetArrayItem(j, 2)), NULL, &q, &err), 0);
    ck_assert_str_eq(qs(q, buf), "500m");
    ck_assert_int_eq(rc_quantity_from_node(rc_node_from_cjson(cJSON_GetArrayItem(j, 3)), NULL, &q, &err), 0);
    ck_assert_str_eq(qs(q, buf), "10e-6");
    ck_assert_int_eq(rc_quantity_from_node(rc_node_from_cjson(cJSON_GetArrayItem(j, 6)), NULL, &q, &err), 0);
    ck_assert_str_eq(qs(q, buf), "123456789012");
    ck_assert_int_eq(rc_quantity_from_node(rc_node_from_cjson(cJSON_GetArrayItem(j, 4)),
                                           "spec.containers[0].resources.limits.cpu", &q, &err),
                     RC_EINVAL);
    ck_assert_str_eq(err.causes[0].field, "spec.containers[0].resources.limits.cpu");
    ck_assert_ptr_nonnull(strstr(err.message, "must be a string or a number"));
    rc_error_clear(&err);
    ck_assert_int_eq(rc_quantity_from_node(rc_node_from_cjson(cJSON_GetArrayItem(j, 5)), "limits.memory", &q, &err),
                     RC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "limits.memory: Invalid value: quantity \"x\""));
    rc_error_clear(&err);
    ck_assert_int_eq(rc_quantity_from_node((rc_node){0}, NULL, &q, NULL), RC_EINVAL);
    cJSON_Delete(j);
}
END_TEST

/* ---- int-or-percent ---- */

static int scaled(const char *json, int64_t total, bool up, int64_t *out, rc_error *err)
{
    cJSON *j = cJSON_Parse(json);
    ck_assert_ptr_nonnull(j);
    int rc = rc_intorstr_scaled(rc_node_from_cjson(j), total, up, out, err);
    cJSON_Delete(j);
    return rc;
}

START_TEST(intorstr_scaling)
{
    static const struct { const char *json; int64_t total; bool up; int64_t want; } ok[] = {
        {"\"25%\"", 10, true, 3},   {"\"25%\"", 10, false, 2},  {"\"0%\"", 10, true, 0},
        {"\"100%\"", 10, false, 10}, {"\"100%\"", 10, true, 10}, {"\"50%\"", 3, true, 2},
        {"\"50%\"", 3, false, 1},   {"5", 10, true, 5},         {"0", 10, false, 0},
        {"-1", 10, true, -1},       {"\"-10%\"", 15, false, -2}, {"\"-10%\"", 15, true, -1},
        {"\"+10%\"", 10, true, 1},  {"\"200%\"", 3, false, 6},  {"\"33%\"", 0, true, 0},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t out = 12345;
        ck_assert_msg(scaled(ok[i].json, ok[i].total, ok[i].up, &out, NULL) == 0, "%s", ok[i].json);
        ck_assert_msg(out == ok[i].want, "%s of %lld: %lld", ok[i].json, (long long)ok[i].total, (long long)out);
    }
    static const struct { const char *json; const char *msg; } bad[] = {
        {"\"abc\"", "string is not a percentage"},
        {"\"25\"", "string is not a percentage"},
        {"\"2.5%\"", "must be an integer percentage"},
        {"\"%\"", "must be an integer percentage"},
        {"\"25%%\"", "must be an integer percentage"},
        {"\" 25%\"", "must be an integer percentage"},
        {"\"abc%\"", "must be an integer percentage"},
        {"1.5", "is not an integer"},
        {"true", "must be an integer or a percentage"},
        {"null", "must be an integer or a percentage"},
        {"\"99999999999999999%\"", "overflows"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rc_error err = {0};
        int64_t out = 12345;
        ck_assert_int_eq(scaled(bad[i].json, 1000, true, &out, &err), RC_EINVAL);
        ck_assert_msg(strstr(err.message, bad[i].msg) != NULL, "%s: %s", bad[i].json, err.message);
        ck_assert_int_eq(out, 12345);
        rc_error_clear(&err);
    }
    int64_t out;
    ck_assert_int_eq(rc_intorstr_scaled((rc_node){0}, 10, true, &out, NULL), RC_EINVAL);
}
END_TEST

static int fenceposts(const char *surge, const char *unavail, int64_t replicas, int64_t *s, int64_t *u,
                      rc_error *err)
{
    cJSON *js = surge ? cJSON_Parse(surge) : NULL, *ju = unavail ? cJSON_Parse(unavail) : NULL;
    int rc = rc_deployment_fenceposts(js ? rc_node_from_cjson(js) : (rc_node){0},
                                      ju ? rc_node_from_cjson(ju) : (rc_node){0}, replicas, s, u, err);
    cJSON_Delete(js);
    cJSON_Delete(ju);
    return rc;
}

START_TEST(deployment_fenceposts)
{
    int64_t s = -1, u = -1;
    ck_assert_int_eq(fenceposts("\"25%\"", "\"25%\"", 10, &s, &u, NULL), 0);
    ck_assert_int_eq(s, 3);
    ck_assert_int_eq(u, 2);
    ck_assert_int_eq(fenceposts("\"0%\"", "\"0%\"", 10, &s, &u, NULL), 0);
    ck_assert_int_eq(s, 0);
    ck_assert_int_eq(u, 1);
    ck_assert_int_eq(fenceposts("0", "\"25%\"", 3, &s, &u, NULL), 0);
    ck_assert_int_eq(s, 0);
    ck_assert_int_eq(u, 1);
    ck_assert_int_eq(fenceposts(NULL, NULL, 5, &s, &u, NULL), 0);
    ck_assert_int_eq(s, 0);
    ck_assert_int_eq(u, 1);
    ck_assert_int_eq(fenceposts("\"100%\"", "0", 4, &s, &u, NULL), 0);
    ck_assert_int_eq(s, 4);
    ck_assert_int_eq(u, 0);
    ck_assert_int_eq(fenceposts("2", "\"100%\"", 4, &s, &u, NULL), 0);
    ck_assert_int_eq(s, 2);
    ck_assert_int_eq(u, 4);

    rc_error err = {0};
    s = u = 99;
    ck_assert_int_eq(fenceposts("\"abc\"", "1", 4, &s, &u, &err), RC_EINVAL);
    ck_assert_str_eq(err.causes[0].field, "spec.strategy.rollingUpdate.maxSurge");
    ck_assert_int_eq(s, 99);
    rc_error_clear(&err);
    ck_assert_int_eq(fenceposts("1", "-1", 4, &s, &u, &err), RC_EINVAL);
    ck_assert_str_eq(err.causes[0].field, "spec.strategy.rollingUpdate.maxUnavailable");
    ck_assert_ptr_nonnull(strstr(err.message, "must be greater than or equal to 0"));
    ck_assert_int_eq(u, 99);
    rc_error_clear(&err);
}
END_TEST

/* ---- times ---- */

#define T_2006 (1136214245LL * RC_SEC) /* 2006-01-02T15:04:05Z */

START_TEST(time_parse_and_format)
{
    static const struct { const char *in; rc_time want; } ok[] = {
        {"2006-01-02T15:04:05Z", T_2006},
        {"1970-01-01T00:00:00Z", 0},
        {"2006-01-02T15:04:05.123456789Z", T_2006 + 123456789},
        {"2006-01-02T15:04:05.5Z", T_2006 + 500000000},
        {"2006-01-02T15:04:05.1234567891234Z", T_2006 + 123456789},
        {"2006-01-02T17:04:05+02:00", T_2006},
        {"2006-01-02T10:04:05-05:00", T_2006},
        {"2006-01-03T00:34:05+09:30", T_2006},
        {"2024-02-29T00:00:00Z", 1709164800LL * RC_SEC},
        {"2000-02-29T12:00:00Z", 951825600LL * RC_SEC},
        {"1969-12-31T23:59:59.5Z", -500000000LL},
        {"1900-01-01T00:00:00Z", -2208988800LL * RC_SEC},
        {"2262-04-11T23:47:16Z", 9223372036LL * RC_SEC},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        rc_time t = 1;
        rc_error err = {0};
        ck_assert_msg(rc_time_parse(ok[i].in, &t, &err) == 0, "%s: %s", ok[i].in, err.message);
        ck_assert_msg(t == ok[i].want, "%s: %lld", ok[i].in, (long long)t);
    }
    char buf[RC_TIME_STRLEN];
    ck_assert_uint_eq(rc_time_format(T_2006 + 999999999, buf, sizeof buf), 20);
    ck_assert_str_eq(buf, "2006-01-02T15:04:05Z");
    rc_time_format_micro(T_2006 + 123456789, buf, sizeof buf);
    ck_assert_str_eq(buf, "2006-01-02T15:04:05.123456Z");
    rc_time_format(-500000000LL, buf, sizeof buf);
    ck_assert_str_eq(buf, "1969-12-31T23:59:59Z");
    rc_time_format_micro(-500000000LL, buf, sizeof buf);
    ck_assert_str_eq(buf, "1969-12-31T23:59:59.500000Z");
    rc_time_format(0, buf, sizeof buf);
    ck_assert_str_eq(buf, "1970-01-01T00:00:00Z");
    rc_time_format(1709164800LL * RC_SEC, buf, sizeof buf);
    ck_assert_str_eq(buf, "2024-02-29T00:00:00Z");
    rc_time_format(-2208988800LL * RC_SEC, buf, sizeof buf);
    ck_assert_str_eq(buf, "1900-01-01T00:00:00Z");
    /* Round trip over a spread of instants. */
    for (int64_t t = -3000000000LL * RC_SEC; t < 9000000000LL * RC_SEC; t += 7777777LL * RC_SEC + 123000) {
        rc_time back;
        rc_time_format_micro(t, buf, sizeof buf);
        ck_assert_int_eq(rc_time_parse(buf, &back, NULL), 0);
        ck_assert_int_eq(back, t - ((t % 1000 + 1000) % 1000));
    }
}
END_TEST

/* The formatter keeps snprintf's contract: full length returned, output cut at cap - 1 with a NUL; and
 * the extremes of rc_time (years 1677 and 2262) come out as snprintf would print them. */
START_TEST(time_format_edges)
{
    char buf[RC_TIME_STRLEN];
    ck_assert_uint_eq(rc_time_format(T_2006, NULL, 0), 20);
    memset(buf, 'x', sizeof buf);
    ck_assert_uint_eq(rc_time_format(T_2006, buf, 5), 20);
    ck_assert_str_eq(buf, "2006");
    ck_assert_uint_eq(rc_time_format_micro(T_2006 + 42000, buf, 1), 27);
    ck_assert_str_eq(buf, "");
    ck_assert_uint_eq(rc_time_format_micro(T_2006 + 42000, buf, 21), 27);
    ck_assert_str_eq(buf, "2006-01-02T15:04:05.");
    ck_assert_uint_eq(rc_time_format_micro(INT64_MAX, buf, sizeof buf), 27);
    ck_assert_str_eq(buf, "2262-04-11T23:47:16.854775Z");
    ck_assert_uint_eq(rc_time_format(INT64_MIN, buf, sizeof buf), 20);
    ck_assert_str_eq(buf, "1677-09-21T00:12:43Z");
    for (int64_t t = -9000000000LL * RC_SEC; t < 9000000000LL * RC_SEC; t += 86399LL * 977 * RC_SEC + 987654321) {
        char want[64];
        int64_t secs = t / RC_SEC - (t % RC_SEC < 0), ns = t - secs * RC_SEC;
        time_t tt = (time_t)secs;
        struct tm tm;
        ck_assert_ptr_nonnull(gmtime_r(&tt, &tm));
        snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)(ns / 1000));
        rc_time_format_micro(t, buf, sizeof buf);
        ck_assert_str_eq(buf, want);
    }
}
END_TEST

START_TEST(time_parse_rejects)
{
    static const struct { const char *in; const char *msg; } bad[] = {
        {"", "at position 0: expected a date"},
        {"2006-01-02", "at position 10: expected 'T'"},
        {"2006-01-02 15:04:05Z", "expected 'T'"},
        {"2006-1-02T15:04:05Z", "expected a date"},
        {"2006-13-02T15:04:05Z", "month out of range"},
        {"2006-00-02T15:04:05Z", "month out of range"},
        {"2023-02-29T00:00:00Z", "day out of range"},
        {"2006-04-31T00:00:00Z", "day out of range"},
        {"2006-01-02T24:00:00Z", "time of day out of range"},
        {"2006-01-02T23:60:00Z", "time of day out of range"},
        {"2006-01-02T23:59:60Z", "time of day out of range"},
        {"2006-01-02T15:04Z", "expected a time"},
        {"2006-01-02T15:04:05", "at position 19: expected 'Z' or a zone offset"},
        {"2006-01-02T15:04:05.Z", "expected digits after '.'"},
        {"2006-01-02T15:04:05+0200", "bad zone offset"},
        {"2006-01-02T15:04:05+24:00", "bad zone offset"},
        {"2006-01-02T15:04:05z", "expected 'Z'"},
        {"2006-01-02T15:04:05Zjunk", "at position 20: extra text"},
        {"3000-01-01T00:00:00Z", "outside the range"},
        {"1600-01-01T00:00:00Z", "outside the range"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rc_error err = {0};
        rc_time t = 77;
        ck_assert_msg(rc_time_parse(bad[i].in, &t, &err) == RC_EINVAL, "%s accepted", bad[i].in);
        ck_assert_msg(strstr(err.message, bad[i].msg) != NULL, "%s: %s", bad[i].in, err.message);
        ck_assert_int_eq(t, 77);
        rc_error_clear(&err);
    }
    rc_time t;
    ck_assert_int_eq(rc_time_parse(NULL, &t, NULL), RC_EINVAL);
}
END_TEST

/* ---- durations ---- */

START_TEST(duration_parse)
{
    static const struct { const char *in; rc_duration want; } ok[] = {
        {"0", 0},
        {"-0", 0},
        {"0s", 0},
        {"1h30m", 90 * RC_MINUTE},
        {"10s", 10 * RC_SEC},
        {"500ms", 500 * RC_MSEC},
        {"2m3.5s", 123500 * RC_MSEC},
        {"-1.5h", -90 * RC_MINUTE},
        {"+5s", 5 * RC_SEC},
        {"1.5us", 1500},
        {"1\xc2\xb5s", 1000},
        {"1\xce\xbcs", 1000},
        {"100ns", 100},
        {"1h1m1s1ms1us1ns", RC_HOUR + RC_MINUTE + RC_SEC + RC_MSEC + RC_USEC + 1},
        {".5s", 500 * RC_MSEC},
        {"1.s", RC_SEC},
        {"0.000000001s", 1},
        {"1.0000000019s", RC_SEC + 1},
        {"2562047h47m16.854775807s", INT64_MAX},
        {"-2562047h47m16.854775808s", INT64_MIN},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        rc_duration d = 1;
        rc_error err = {0};
        ck_assert_msg(rc_duration_parse(ok[i].in, &d, &err) == 0, "%s: %s", ok[i].in, err.message);
        ck_assert_msg(d == ok[i].want, "%s: %lld", ok[i].in, (long long)d);
    }
    static const struct { const char *in; const char *msg; } bad[] = {
        {"", "time: invalid duration \"\""},
        {"-", "time: invalid duration"},
        {"1", "time: missing unit in duration \"1\""},
        {"1x", "time: unknown unit \"x\" in duration \"1x\""},
        {"1sec", "unknown unit \"sec\""},
        {"s", "time: invalid duration"},
        {".s", "time: invalid duration"},
        {"1.2.3s", "missing unit"},
        {" 1s", "time: invalid duration"},
        {"1s ", "unknown unit \"s \""},
        {"9999999999999999999h", "time: invalid duration"},
        {"3000000h", "time: invalid duration"},
        {"2562047h47m16.854775808s", "time: invalid duration"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rc_error err = {0};
        rc_duration d = 77;
        ck_assert_msg(rc_duration_parse(bad[i].in, &d, &err) == RC_EINVAL, "%s accepted", bad[i].in);
        ck_assert_msg(strstr(err.message, bad[i].msg) != NULL, "%s: %s", bad[i].in, err.message);
        ck_assert_int_eq(d, 77);
        rc_error_clear(&err);
    }
}
END_TEST

START_TEST(duration_format)
{
    static const struct { rc_duration d; const char *want; } cases[] = {
        {0, "0s"},
        {1, "1ns"},
        {100, "100ns"},
        {1500, "1.5\xc2\xb5s"},
        {RC_USEC, "1\xc2\xb5s"},
        {500 * RC_MSEC, "500ms"},
        {1500 * RC_USEC, "1.5ms"},
        {10 * RC_SEC, "10s"},
        {123500 * RC_MSEC, "2m3.5s"},
        {90 * RC_MINUTE, "1h30m0s"},
        {-90 * RC_MINUTE, "-1h30m0s"},
        {RC_SEC + 1, "1.000000001s"},
        {RC_HOUR, "1h0m0s"},
        {INT64_MAX, "2562047h47m16.854775807s"},
        {INT64_MIN, "-2562047h47m16.854775808s"},
    };
    char buf[RC_TIME_STRLEN];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = rc_duration_format(cases[i].d, buf, sizeof buf);
        ck_assert_str_eq(buf, cases[i].want);
        ck_assert_uint_eq(n, strlen(cases[i].want));
        rc_duration back;
        ck_assert_int_eq(rc_duration_parse(buf, &back, NULL), 0);
        ck_assert_int_eq(back, cases[i].d);
    }
    char small[3];
    ck_assert_uint_eq(rc_duration_format(10 * RC_SEC, small, sizeof small), 3);
    ck_assert_str_eq(small, "10");
}
END_TEST

static Suite *values_suite(void)
{
    Suite *s = suite_create("values");
    TCase *tc = tcase_create("quantity");
    tcase_add_loop_test(tc, quantity_canonical_table, 0, (int)(sizeof QTY_CASES / sizeof QTY_CASES[0]));
    tcase_add_loop_test(tc, quantity_invalid_table, 0, (int)(sizeof QTY_INVALID / sizeof QTY_INVALID[0]));
    tcase_add_test(tc, quantity_compare);
    tcase_add_test(tc, quantity_arithmetic);
    tcase_add_test(tc, quantity_scaled_values);
    tcase_add_test(tc, quantity_from_nodes);
    suite_add_tcase(s, tc);
    tc = tcase_create("intorstr");
    tcase_add_test(tc, intorstr_scaling);
    tcase_add_test(tc, deployment_fenceposts);
    suite_add_tcase(s, tc);
    tc = tcase_create("time");
    tcase_add_test(tc, time_parse_and_format);
    tcase_add_test(tc, time_format_edges);
    tcase_add_test(tc, time_parse_rejects);
    tcase_add_test(tc, duration_parse);
    tcase_add_test(tc, duration_format);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return rc_test_run_suite(values_suite()); }
