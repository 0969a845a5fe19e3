/* test_cron.c - the cron schedule parser, next-activation search and IANA zone reader behind CronJob:
 * exact start times over a virtual day, daylight-saving changes in a spec.timeZone, precise parse errors
 * and a fuzz run that must never crash. */
#include <reconcile.h>
#include <reconcile/cron.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/testutil.h"

static rc_time at(const char *rfc3339)
{
    rc_time t = 0;
    ck_assert_int_eq(rc_time_parse(rfc3339, &t, NULL), 0);
    return t;
}

static rc_cron_schedule *parse_ok(const char *spec)
{
    rc_cron_schedule *s = NULL;
    rc_error err = {0};
    int rc = rc_cron_parse(spec, &s, &err);
    ck_assert_msg(rc == 0, "%s: %s", spec, err.message ? err.message : "?");
    return s;
}

/* Collects every activation in [from, to) as zone-formatted text joined by spaces. */
static char *activations(const rc_cron_schedule *s, const rc_timezone *tz, rc_time from, rc_time to, int *count)
{
    static char buf[1 << 16];
    size_t len = 0;
    *count = 0;
    buf[0] = '\0';
    for (rc_time t = rc_cron_next(s, tz, from - 1); t < to; t = rc_cron_next(s, tz, t)) {
        char one[64];
        rc_timezone_format(tz, t, one, sizeof one);
        if (len + strlen(one) + 2 < sizeof buf)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", len ? " " : "", one);
        (*count)++;
    }
    return buf;
}

START_TEST(every_minute_over_a_day)
{
    rc_cron_schedule *s = parse_ok("*/1 * * * *");
    rc_time day = at("2024-01-01T00:00:00Z"), t = day - RC_SEC;
    for (int i = 0; i < 1440; i++) {
        t = rc_cron_next(s, NULL, t);
        ck_assert_int_eq(t, day + i * RC_MINUTE);
    }
    ck_assert_int_eq(rc_cron_next(s, NULL, day + 30 * RC_SEC + 5), day + RC_MINUTE); /* ns are rounded up */
    ck_assert_int_eq(rc_cron_next(s, NULL, day), day + RC_MINUTE);                   /* strictly after */
    rc_cron_free(s);
}
END_TEST

START_TEST(every_two_hours_over_a_day)
{
    rc_cron_schedule *s = parse_ok("0 */2 * * *");
    int n;
    char *got = activations(s, NULL, at("2024-01-01T00:00:00Z"), at("2024-01-02T00:00:00Z"), &n);
    ck_assert_int_eq(n, 12);
    ck_assert_str_eq(got, "2024-01-01T00:00:00Z 2024-01-01T02:00:00Z 2024-01-01T04:00:00Z 2024-01-01T06:00:00Z "
                          "2024-01-01T08:00:00Z 2024-01-01T10:00:00Z 2024-01-01T12:00:00Z 2024-01-01T14:00:00Z "
                          "2024-01-01T16:00:00Z 2024-01-01T18:00:00Z 2024-01-01T20:00:00Z 2024-01-01T22:00:00Z");
    rc_cron_free(s);
}
END_TEST

START_TEST(weekdays_at_half_past_eight)
{
    rc_cron_schedule *s = parse_ok("30 8 * * MON-FRI");
    int n;
    /* 2024-01-01 is a Monday; a full week has five runs and none on the weekend. */
    char *got = activations(s, NULL, at("2024-01-01T00:00:00Z"), at("2024-01-08T00:00:00Z"), &n);
    ck_assert_int_eq(n, 5);
    ck_assert_str_eq(got, "2024-01-01T08:30:00Z 2024-01-02T08:30:00Z 2024-01-03T08:30:00Z 2024-01-04T08:30:00Z "
                          "2024-01-05T08:30:00Z");
    /* Over one virtual day (Monday) exactly one run. */
    activations(s, NULL, at("2024-01-01T00:00:00Z"), at("2024-01-02T00:00:00Z"), &n);
    ck_assert_int_eq(n, 1);
    rc_cron_free(s);
}
END_TEST

START_TEST(time_zone_across_daylight_saving)
{
    rc_timezone *ny = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_timezone_load("America/New_York", &ny, &err), 0);
    ck_assert_str_eq(rc_timezone_name(ny), "America/New_York");
    rc_cron_schedule *s = parse_ok("30 8 * * *");
    int n;
    /* Spring forward on 2024-03-10: the wall time stays 08:30, the UTC instant moves an hour earlier. */
    char *got = activations(s, ny, at("2024-03-09T00:00:00Z"), at("2024-03-12T00:00:00Z"), &n);
    ck_assert_str_eq(got, "2024-03-09T08:30:00-05:00 2024-03-10T08:30:00-04:00 2024-03-11T08:30:00-04:00");
    ck_assert_int_eq(rc_cron_next(s, ny, at("2024-03-09T12:00:00Z")), at("2024-03-09T13:30:00Z"));
    ck_assert_int_eq(rc_cron_next(s, ny, at("2024-03-10T00:00:00Z")), at("2024-03-10T12:30:00Z"));
    rc_cron_free(s);

    /* 02:30 does not exist on 2024-03-10 in New York: that day is skipped (as robfig/cron does). */
    s = parse_ok("30 2 * * *");
    got = activations(s, ny, at("2024-03-09T00:00:00Z"), at("2024-03-12T00:00:00Z"), &n);
    ck_assert_str_eq(got, "2024-03-09T02:30:00-05:00 2024-03-11T02:30:00-04:00");
    rc_cron_free(s);

    /* 01:30 happens twice on 2024-11-03 (fall back): it fires in both offsets. */
    s = parse_ok("30 1 * * *");
    got = activations(s, ny, at("2024-11-02T12:00:00Z"), at("2024-11-04T12:00:00Z"), &n);
    ck_assert_str_eq(got, "2024-11-03T01:30:00-04:00 2024-11-03T01:30:00-05:00 2024-11-04T01:30:00-05:00");
    rc_cron_free(s);

    /* Hourly through the spring-forward night: 24 - 1 runs on a 23-hour day. */
    s = parse_ok("0 * * * *");
    activations(s, ny, at("2024-03-10T05:00:00Z"), at("2024-03-11T04:00:00Z"), &n);
    ck_assert_int_eq(n, 23);
    rc_cron_free(s);

    /* Beyond the transitions listed in the file, the footer rule applies (EDT in July 2060). */
    ck_assert_int_eq(rc_timezone_offset(ny, at("2060-07-01T12:00:00Z")), -4 * 3600);
    ck_assert_int_eq(rc_timezone_offset(ny, at("2060-01-01T12:00:00Z")), -5 * 3600);
    rc_timezone_free(ny);

    rc_timezone *berlin = NULL;
    ck_assert_int_eq(rc_timezone_load("Europe/Berlin", &berlin, &err), 0);
    s = parse_ok("0 3 * * SUN");
    got = activations(s, berlin, at("2024-03-24T00:00:00Z"), at("2024-04-01T00:00:00Z"), &n);
    ck_assert_str_eq(got, "2024-03-24T03:00:00+01:00 2024-03-31T03:00:00+02:00");
    rc_cron_free(s);
    rc_timezone_free(berlin);
}
END_TEST

START_TEST(southern_hemisphere_rule)
{
    /* Southern hemisphere: daylight time spans the new year. */
    rc_timezone *syd = NULL;
    ck_assert_int_eq(rc_timezone_load("Australia/Sydney", &syd, NULL), 0);
    ck_assert_int_eq(rc_timezone_offset(syd, at("2070-01-15T00:00:00Z")), 11 * 3600);
    ck_assert_int_eq(rc_timezone_offset(syd, at("2070-07-15T00:00:00Z")), 10 * 3600);
    rc_timezone_free(syd);
}
END_TEST

START_TEST(names_lists_steps_and_macros)
{
    struct {
        const char *spec, *after, *next;
    } cases[] = {
        {"@yearly", "2024-05-05T00:00:00Z", "2025-01-01T00:00:00Z"},
        {"@annually", "2024-05-05T00:00:00Z", "2025-01-01T00:00:00Z"},
        {"@monthly", "2024-05-05T00:00:00Z", "2024-06-01T00:00:00Z"},
        {"@weekly", "2024-01-01T00:00:00Z", "2024-01-07T00:00:00Z"},
        {"@daily", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"},
        {"@midnight", "2024-01-01T10:00:00Z", "2024-01-02T00:00:00Z"},
        {"@hourly", "2024-01-01T10:00:00Z", "2024-01-01T11:00:00Z"},
        {"@every 90s", "2024-01-01T10:00:00Z", "2024-01-01T10:01:30Z"},
        {"0 0 1 jan,Jul *", "2024-02-01T00:00:00Z", "2024-07-01T00:00:00Z"},
        {"0 12 * FEB-MAR/1 *", "2024-01-01T00:00:00Z", "2024-02-01T12:00:00Z"},
        {"15,45 * * * *", "2024-01-01T10:20:00Z", "2024-01-01T10:45:00Z"},
        {"5/20 * * * *", "2024-01-01T10:26:00Z", "2024-01-01T10:45:00Z"},
        {"0 0 13 * 5", "2024-01-01T00:00:00Z", "2024-01-05T00:00:00Z"},  /* Friday 5th: OR of the two */
        {"0 0 13 * 5", "2024-01-12T00:00:00Z", "2024-01-13T00:00:00Z"},  /* the 13th, a Saturday */
        {"0 0 */2 * 1", "2024-01-01T00:00:00Z", "2024-01-03T00:00:00Z"}, /* step makes dom restricted */
        {"0 0 * * ?", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"},
        {"0 0 29 2 *", "2024-03-01T00:00:00Z", "2028-02-29T00:00:00Z"},
        {"  0   9 * * sat ", "2024-01-01T00:00:00Z", "2024-01-06T09:00:00Z"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rc_cron_schedule *s = parse_ok(cases[i].spec);
        char got[64];
        rc_time_format(rc_cron_next(s, NULL, at(cases[i].after)), got, sizeof got);
        ck_assert_msg(strcmp(got, cases[i].next) == 0, "%s after %s: %s, want %s", cases[i].spec, cases[i].after,
                      got, cases[i].next);
        rc_cron_free(s);
    }
    rc_cron_schedule *never = parse_ok("0 0 30 2 *");
    ck_assert_int_eq(rc_cron_next(never, NULL, at("2024-01-01T00:00:00Z")), RC_TIME_NEVER);
    rc_cron_free(never);
}
END_TEST

START_TEST(errors_name_field_and_value)
{
    struct {
        const char *spec, *field, *message;
    } cases[] = {
        {"60 * * * *", "minute", "invalid schedule \"60 * * * *\": minute field \"60\": value 60 is above the maximum 59"},
        {"* 24 * * *", "hour", "invalid schedule \"* 24 * * *\": hour field \"24\": value 24 is above the maximum 23"},
        {"* * 0 * *", "day-of-month", "invalid schedule \"* * 0 * *\": day-of-month field \"0\": value 0 is below the minimum 1"},
        {"* * * 13 *", "month", "invalid schedule \"* * * 13 *\": month field \"13\": value 13 is above the maximum 12"},
        {"* * * * MON-FOO", "day-of-week",
         "invalid schedule \"* * * * MON-FOO\": day-of-week field \"MON-FOO\": \"FOO\" is not a number or name"},
        {"*/0 * * * *", "minute", "invalid schedule \"*/0 * * * *\": minute field \"*/0\": step \"0\" must be a positive number"},
        {"5-1 * * * *", "minute", "invalid schedule \"5-1 * * * *\": minute field \"5-1\": range start 5 is beyond its end 1"},
        {"1-2-3 * * * *", "minute", "invalid schedule \"1-2-3 * * * *\": minute field \"1-2-3\": too many hyphens"},
        {"*/2/3 * * * *", "minute", "invalid schedule \"*/2/3 * * * *\": minute field \"*/2/3\": too many slashes"},
        {"1,,2 * * * *", "minute", "invalid schedule \"1,,2 * * * *\": minute field \"1,,2\": empty list element"},
        {"x * * * *", "minute", "invalid schedule \"x * * * *\": minute field \"x\": \"x\" is not a number"},
        {"* * * *", "spec",
         "invalid schedule \"* * * *\": expected exactly 5 fields (minute hour day-of-month month day-of-week), found 4"},
        {"0 0 * * * *", "spec",
         "invalid schedule \"0 0 * * * *\": expected exactly 5 fields (minute hour day-of-month month day-of-week), "
         "found more than 5"},
        {"", "spec", "invalid schedule \"\": empty schedule"},
        {"TZ=Europe/Berlin 0 3 * * *", "timezone",
         "invalid schedule \"TZ=Europe/Berlin 0 3 * * *\": TZ= and CRON_TZ= are not supported in the schedule; set "
         "spec.timeZone instead"},
        {"CRON_TZ=UTC 0 3 * * *", "timezone",
         "invalid schedule \"CRON_TZ=UTC 0 3 * * *\": TZ= and CRON_TZ= are not supported in the schedule; set "
         "spec.timeZone instead"},
        {"@every 0s", "descriptor", "invalid schedule \"@every 0s\": @every needs a positive duration, got \"0s\""},
        {"* * * * 7", "day-of-week", "invalid schedule \"* * * * 7\": day-of-week field \"7\": value 7 is above the maximum 6"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rc_cron_schedule *s = (rc_cron_schedule *)0x1;
        rc_error err = {0};
        ck_assert_int_eq(rc_cron_parse(cases[i].spec, &s, &err), RC_EINVAL);
        ck_assert_ptr_eq(s, (rc_cron_schedule *)0x1); /* untouched on failure */
        ck_assert_str_eq(err.message, cases[i].message);
        ck_assert_uint_eq(err.ncauses, 1);
        ck_assert_str_eq(err.causes[0].field, cases[i].field);
        rc_error_clear(&err);
    }
    rc_error err = {0};
    rc_cron_schedule *s = NULL;
    ck_assert_int_eq(rc_cron_parse("@fortnightly", &s, &err), RC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "unrecognized descriptor \"@fortnightly\""));
    rc_error_clear(&err);
    ck_assert_int_eq(rc_cron_parse("@every soon", &s, &err), RC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "@every needs a positive duration, got \"soon\""));
    rc_error_clear(&err);
    ck_assert_int_eq(rc_cron_parse(NULL, &s, NULL), RC_EINVAL);
}
END_TEST

START_TEST(zone_errors)
{
    rc_timezone *tz = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_timezone_load("Mars/Olympus_Mons", &tz, &err), RC_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.message, "unknown time zone \"Mars/Olympus_Mons\""));
    rc_error_clear(&err);
    ck_assert_int_eq(rc_timezone_load("../../etc/passwd", &tz, &err), RC_EINVAL);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_timezone_load("/etc/localtime", &tz, &err), RC_EINVAL);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_timezone_load("Europe", &tz, &err), RC_ENOTFOUND); /* a directory, not a zone */
    rc_error_clear(&err);
    char dir[] = "/tmp/rc_tzdir_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/Bad", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("TZif2 but not really a zone file", f);
    fclose(f);
    setenv("TZDIR", dir, 1);
    ck_assert_int_eq(rc_timezone_load("Bad", &tz, &err), RC_EBADREQUEST);
    ck_assert_ptr_nonnull(strstr(err.message, "time zone \"Bad\": corrupt"));
    rc_error_clear(&err);
    unsetenv("TZDIR");
    remove(path);
    rmdir(dir);
    ck_assert_ptr_null(tz);
    ck_assert_int_eq(rc_timezone_load("UTC", &tz, &err), 0);
    ck_assert_ptr_eq(tz, rc_timezone_utc());
    rc_timezone_free(tz);
    ck_assert_int_eq(rc_timezone_offset(NULL, 0), 0);
}
END_TEST

START_TEST(fuzzed_schedules_never_crash)
{
    static const char alphabet[] = "0123456789*?/-, @MONJANFRIeveryhs\tTZ=";
    static const char *const tokens[] = {"*", "?", "5", "0-10", "*/3", "MON", "jan", "1,2", "7-3", "60", "x", "/",
                                         "-", ",", "", "@daily", "@every", "1m", "sun-sat/2", "3/", "/4", "\t"};
    rc_rand r;
    rc_rand_seed(&r, 7);
    int parsed = 0;
    for (int i = 0; i < 200000; i++) {
        char spec[64];
        size_t n = 0;
        if (i % 2) { /* raw bytes */
            n = rc_rand_below(&r, 32);
            for (size_t j = 0; j < n; j++)
                spec[j] = alphabet[rc_rand_below(&r, sizeof alphabet - 1)];
        } else { /* plausible fields */
            for (uint64_t k = 0, fields = 3 + rc_rand_below(&r, 4); k < fields; k++) {
                const char *tok = tokens[rc_rand_below(&r, sizeof tokens / sizeof tokens[0])];
                if (n + strlen(tok) + 2 >= sizeof spec)
                    break;
                n += (size_t)snprintf(spec + n, sizeof spec - n, "%s%s", k ? " " : "", tok);
            }
        }
        spec[n] = '\0';
        rc_cron_schedule *s = NULL;
        rc_error err = {0};
        if (rc_cron_parse(spec, &s, &err) == 0) {
            rc_time after = at("2024-01-01T00:00:00Z"), next = rc_cron_next(s, NULL, after);
            ck_assert(next > after);
            rc_cron_free(s);
            parsed++;
        } else {
            ck_assert_ptr_nonnull(err.message);
            ck_assert_uint_eq(err.ncauses, 1);
        }
        rc_error_clear(&err);
    }
    ck_assert_int_gt(parsed, 0);
}
END_TEST

/* Regression (found by fuzz_cron): an @every too long for rc_time must not overflow. */
START_TEST(every_beyond_the_time_range_is_never)
{
    rc_cron_schedule *s = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_cron_parse("@every 25h2s950505h2s", &s, &err), 0);
    ck_assert_int_eq(rc_cron_next(s, rc_timezone_utc(), 6000000000LL * RC_SEC), RC_TIME_NEVER);
    rc_cron_free(s);
}
END_TEST

static Suite *cron_suite(void)
{
    Suite *s = suite_create("cron");
    TCase *tc = tcase_create("cron");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, every_minute_over_a_day);
    tcase_add_test(tc, every_two_hours_over_a_day);
    tcase_add_test(tc, weekdays_at_half_past_eight);
    tcase_add_test(tc, time_zone_across_daylight_saving);
    tcase_add_test(tc, southern_hemisphere_rule);
    tcase_add_test(tc, names_lists_steps_and_macros);
    tcase_add_test(tc, errors_name_field_and_value);
    tcase_add_test(tc, zone_errors);
    tcase_add_test(tc, fuzzed_schedules_never_crash);
    tcase_add_test(tc, every_beyond_the_time_range_is_never);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rc_test_run_suite(cron_suite());
}
