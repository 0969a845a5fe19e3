/* test_expectations.c - rc_expectations: counts, observation, the UID-tracking variant (a child seen
 * terminating and then gone counts once), expiry after the timeout on a virtual clock, bad input. */
#include <reconcile/expectations.h>

#include "support/testutil.h"

START_TEST(counts_are_lowered_by_observations)
{
    rc_clock *clock = rc_clock_virtual_new(0);
    rc_expectations *e = rc_expectations_new(clock, 0);
    ck_assert(rc_expectations_satisfied(e, "ns/rs"));
    ck_assert_int_eq(rc_expectations_expect_creations(e, "ns/rs", 2), 0);
    ck_assert(!rc_expectations_satisfied(e, "ns/rs"));
    rc_expectations_creation_observed(e, "ns/rs");
    ck_assert(!rc_expectations_satisfied(e, "ns/rs"));
    rc_expectations_creation_observed(e, "ns/rs");
    ck_assert(rc_expectations_satisfied(e, "ns/rs"));
    int adds = 9, dels = 9;
    ck_assert(rc_expectations_get(e, "ns/rs", &adds, &dels));
    ck_assert_int_eq(adds, 0);
    ck_assert_int_eq(dels, 0);
    ck_assert_int_eq(rc_expectations_set(e, "ns/rs", 1, 1), 0);
    rc_expectations_lower(e, "ns/rs", 1, 0);
    ck_assert(!rc_expectations_satisfied(e, "ns/rs"));
    rc_expectations_deletion_observed(e, "ns/rs");
    ck_assert(rc_expectations_satisfied(e, "ns/rs"));
    rc_expectations_raise(e, "ns/rs", 0, 1);
    ck_assert(!rc_expectations_satisfied(e, "ns/rs"));
    rc_expectations_delete(e, "ns/rs");
    ck_assert(rc_expectations_satisfied(e, "ns/rs"));
    ck_assert(!rc_expectations_get(e, "ns/rs", &adds, &dels));
    /* Observations without a record change nothing. */
    rc_expectations_creation_observed(e, "ns/other");
    ck_assert(!rc_expectations_get(e, "ns/other", NULL, NULL));
    rc_expectations_free(e);
    rc_clock_free(clock);
}
END_TEST

START_TEST(tracked_deletions_count_once)
{
    rc_clock *clock = rc_clock_virtual_new(0);
    rc_expectations *e = rc_expectations_new(clock, 0);
    const char *pods[] = {"ns/p1", "ns/p2"};
    ck_assert_int_eq(rc_expectations_expect_deletions_of(e, "ns/rs", pods, 2), 0);
    rc_expectations_deletion_observed_of(e, "ns/rs", "ns/p1"); /* terminating */
    rc_expectations_deletion_observed_of(e, "ns/rs", "ns/p1"); /* gone: not counted again */
    rc_expectations_deletion_observed_of(e, "ns/rs", "ns/zz"); /* untracked */
    ck_assert(!rc_expectations_satisfied(e, "ns/rs"));
    rc_expectations_deletion_observed_of(e, "ns/rs", "ns/p2");
    ck_assert(rc_expectations_satisfied(e, "ns/rs"));
    rc_expectations_free(e);
    rc_clock_free(clock);
}
END_TEST

START_TEST(records_expire_after_the_timeout)
{
    rc_clock *clock = rc_clock_virtual_new(0);
    rc_expectations *e = rc_expectations_new(clock, 0);
    ck_assert_int_eq(rc_expectations_expect_creations(e, "ns/rs", 5), 0);
    rc_clock_advance(clock, RC_EXPECTATIONS_TIMEOUT);
    ck_assert(!rc_expectations_satisfied(e, "ns/rs"));
    rc_clock_advance(clock, RC_SEC);
    ck_assert(rc_expectations_satisfied(e, "ns/rs"));
    rc_expectations_free(e);
    rc_clock_free(clock);
}
END_TEST

START_TEST(bad_input_is_refused)
{
    rc_expectations *e = rc_expectations_new(NULL, RC_SEC);
    ck_assert_int_eq(rc_expectations_set(e, "k", -1, 0), RC_EINVAL);
    ck_assert_int_eq(rc_expectations_set(e, NULL, 1, 0), RC_EINVAL);
    const char *bad[] = {"a", NULL};
    ck_assert_int_eq(rc_expectations_expect_deletions_of(e, "k", bad, 2), RC_EINVAL);
    ck_assert(!rc_expectations_get(e, "k", NULL, NULL));
    ck_assert(rc_expectations_satisfied(NULL, "k"));
    rc_expectations_free(e);
    rc_expectations_free(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("expectations");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, counts_are_lowered_by_observations);
    tcase_add_test(tc, tracked_deletions_count_once);
    tcase_add_test(tc, records_expire_after_the_timeout);
    tcase_add_test(tc, bad_input_is_refused);
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
