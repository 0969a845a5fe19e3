/* test_ratelimit.c - the built-in rate limiters: exact delay sequences on a virtual timeline for
 * exponential back-off (and its per-key counts under churn and from several threads at once), the token
 * bucket, fast-slow, max-of and the default controller limiter, a user-defined limiter through the
 * vtable, and rejected arguments. */
#include <reconcile/workqueue.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "support/testutil.h"

#define T0 ((rc_time)5000 * RC_SEC)

START_TEST(exponential_doubles_until_cap)
{
    rc_rate_limiter *rl = NULL;
    ck_assert_int_eq(rc_rate_limiter_exponential_new(5 * RC_MSEC, 1000 * RC_SEC, &rl, NULL), 0);
    rc_duration want = 5 * RC_MSEC;
    for (int i = 0; i < 18; i++, want *= 2) /* 5 ms .. 655.36 s */
        ck_assert_int_eq(rc_rate_limiter_when(rl, "a", T0), want);
    for (int i = 0; i < 100; i++) /* 1310.72 s and beyond are capped, with no overflow */
        ck_assert_int_eq(rc_rate_limiter_when(rl, "a", T0), 1000 * RC_SEC);
    ck_assert_int_eq(rc_rate_limiter_num_requeues(rl, "a"), 118);
    ck_assert_int_eq(rc_rate_limiter_when(rl, "b", T0), 5 * RC_MSEC); /* per key */
    rc_rate_limiter_forget(rl, "a");
    ck_assert_int_eq(rc_rate_limiter_num_requeues(rl, "a"), 0);
    ck_assert_int_eq(rc_rate_limiter_when(rl, "a", T0), 5 * RC_MSEC);
    ck_assert_int_eq(rc_rate_limiter_when(rl, "a", T0), 10 * RC_MSEC);
    rc_rate_limiter_free(rl);
}
END_TEST

/* Many keys counted, half of them forgotten (the counter table grows and closes holes as it goes): every
 * key keeps its own count, and forgotten keys count from zero again. */
START_TEST(back_off_counts_survive_churn)
{
    enum { N = 5000 };
    rc_rate_limiter *rl = NULL;
    ck_assert_int_eq(rc_rate_limiter_exponential_new(RC_MSEC, RC_SEC, &rl, NULL), 0);
    char key[32];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "ns/key-%d", i);
        for (int j = 0; j <= i % 3; j++)
            rc_rate_limiter_when(rl, key, T0);
    }
    for (int i = 0; i < N; i += 2) {
        snprintf(key, sizeof key, "ns/key-%d", i);
        rc_rate_limiter_forget(rl, key);
        rc_rate_limiter_forget(rl, key); /* forgetting an unknown key is a no-op */
    }
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "ns/key-%d", i);
        ck_assert_int_eq(rc_rate_limiter_num_requeues(rl, key), i % 2 ? i % 3 + 1 : 0);
    }
    snprintf(key, sizeof key, "ns/key-%d", 2);
    ck_assert_int_eq(rc_rate_limiter_when(rl, key, T0), RC_MSEC);
    ck_assert_int_eq(rc_rate_limiter_num_requeues(rl, key), 1);
    rc_rate_limiter_free(rl);
}
END_TEST

/* Threads counting retries of the same keys at once (the counters are split into locked shards): no
 * count is lost, and forgetting from one thread is seen by the others. */
enum { SHARED_KEYS = 256, SHARED_ROUNDS = 20, SHARED_THREADS = 4 };

static void *count_shared_keys(void *arg)
{
    char key[32];
    for (int r = 0; r < SHARED_ROUNDS; r++)
        for (int i = 0; i < SHARED_KEYS; i++) {
            snprintf(key, sizeof key, "ns/shared-%d", i);
            rc_rate_limiter_when(arg, key, T0);
        }
    return NULL;
}

START_TEST(back_off_counts_from_many_threads)
{
    rc_rate_limiter *rl = NULL;
    ck_assert_int_eq(rc_rate_limiter_exponential_new(RC_MSEC, RC_SEC, &rl, NULL), 0);
    pthread_t t[SHARED_THREADS];
    for (int i = 0; i < SHARED_THREADS; i++)
        pthread_create(&t[i], NULL, count_shared_keys, rl);
    for (int i = 0; i < SHARED_THREADS; i++)
        pthread_join(t[i], NULL);
    char key[32];
    for (int i = 0; i < SHARED_KEYS; i++) {
        snprintf(key, sizeof key, "ns/shared-%d", i);
        ck_assert_int_eq(rc_rate_limiter_num_requeues(rl, key), SHARED_ROUNDS * SHARED_THREADS);
        rc_rate_limiter_forget(rl, key);
        ck_assert_int_eq(rc_rate_limiter_num_requeues(rl, key), 0);
    }
    rc_rate_limiter_free(rl);
}
END_TEST

START_TEST(bucket_allows_burst_then_qps)
{
    rc_rate_limiter *rl = NULL;
    ck_assert_int_eq(rc_rate_limiter_bucket_new(10, 100, &rl, NULL), 0);
    char key[32];
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "k%d", i);
        ck_assert_int_eq(rc_rate_limiter_when(rl, key, T0), 0);
    }
    ck_assert_int_eq(rc_rate_limiter_when(rl, "k100", T0), 100 * RC_MSEC);
    ck_assert_int_eq(rc_rate_limiter_when(rl, "k101", T0), 200 * RC_MSEC);
    ck_assert_int_eq(rc_rate_limiter_num_requeues(rl, "k101"), 0);
    /* one second later 8 tokens have come back (2 were owed) */
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(rc_rate_limiter_when(rl, "x", T0 + RC_SEC), 0);
    ck_assert_int_eq(rc_rate_limiter_when(rl, "x", T0 + RC_SEC), 100 * RC_MSEC);
    /* after a long pause the bucket is full again, never fuller */
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(rc_rate_limiter_when(rl, "y", T0 + RC_HOUR), 0);
    ck_assert_int_eq(rc_rate_limiter_when(rl, "y", T0 + RC_HOUR), 100 * RC_MSEC);
    rc_rate_limiter_forget(rl, "y"); /* no-op */
    rc_rate_limiter_free(rl);
}
END_TEST

START_TEST(fast_then_slow)
{
    rc_rate_limiter *rl = NULL;
    ck_assert_int_eq(rc_rate_limiter_fast_slow_new(RC_MSEC, RC_SEC, 3, &rl, NULL), 0);
    rc_duration want[] = {RC_MSEC, RC_MSEC, RC_MSEC, RC_SEC, RC_SEC};
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(rc_rate_limiter_when(rl, "a", T0), want[i]);
    ck_assert_int_eq(rc_rate_limiter_num_requeues(rl, "a"), 5);
    rc_rate_limiter_forget(rl, "a");
    ck_assert_int_eq(rc_rate_limiter_when(rl, "a", T0), RC_MSEC);
    rc_rate_limiter_free(rl);
}
END_TEST

START_TEST(max_of_takes_the_longest)
{
    rc_rate_limiter *parts[2], *rl = NULL;
    ck_assert_int_eq(rc_rate_limiter_exponential_new(RC_MSEC, RC_SEC, &parts[0], NULL), 0);
    ck_assert_int_eq(rc_rate_limiter_bucket_new(1, 2, &parts[1], NULL), 0);
    ck_assert_int_eq(rc_rate_limiter_max_of_new(parts, 2, &rl, NULL), 0);
    ck_assert_int_eq(rc_rate_limiter_when(rl, "a", T0), RC_MSEC);     /* exp 1 ms, bucket 0 */
    ck_assert_int_eq(rc_rate_limiter_when(rl, "a", T0), 2 * RC_MSEC); /* exp 2 ms, bucket 0 */
    ck_assert_int_eq(rc_rate_limiter_when(rl, "a", T0), RC_SEC);      /* exp 4 ms, bucket 1 s */
    ck_assert_int_eq(rc_rate_limiter_num_requeues(rl, "a"), 3);
    rc_rate_limiter_forget(rl, "a");
    ck_assert_int_eq(rc_rate_limiter_num_requeues(rl, "a"), 0);
    rc_rate_limiter_free(rl);
}
END_TEST

START_TEST(default_is_exponential_and_bucket)
{
    rc_rate_limiter *rl = NULL;
    ck_assert_int_eq(rc_rate_limiter_default_new(&rl, NULL), 0);
    ck_assert_int_eq(rc_rate_limiter_when(rl, "a", T0), 5 * RC_MSEC);
    ck_assert_int_eq(rc_rate_limiter_when(rl, "a", T0), 10 * RC_MSEC);
    ck_assert_int_eq(rc_rate_limiter_when(rl, "a", T0), 20 * RC_MSEC);
    char key[32];
    for (int i = 0; i < 97; i++) { /* 100 tokens: 3 used above */
        snprintf(key, sizeof key, "k%d", i);
        ck_assert_int_eq(rc_rate_limiter_when(rl, key, T0), 5 * RC_MSEC);
    }
    ck_assert_int_eq(rc_rate_limiter_when(rl, "fresh", T0), 100 * RC_MSEC); /* the bucket wins */
    ck_assert_int_eq(rc_rate_limiter_num_requeues(rl, "a"), 3);
    rc_rate_limiter_free(rl);
}
END_TEST

/* A user limiter: a fixed delay, counting attempts globally. */
typedef struct fixed_limiter {
    rc_rate_limiter base;
    int attempts;
} fixed_limiter;

static rc_duration fixed_when(rc_rate_limiter *rl, const char *key, rc_time now)
{
    (void)key;
    (void)now;
    ((fixed_limiter *)rl)->attempts++;
    return 7 * RC_MSEC;
}
static void fixed_forget(rc_rate_limiter *rl, const char *key)
{
    (void)key;
    ((fixed_limiter *)rl)->attempts = 0;
}
static int fixed_num_requeues(rc_rate_limiter *rl, const char *key)
{
    (void)key;
    return ((fixed_limiter *)rl)->attempts;
}
static void fixed_destroy(rc_rate_limiter *rl) { free(rl); }
static const rc_rate_limiter_ops fixed_ops = {fixed_when, fixed_forget, fixed_num_requeues, fixed_destroy};

START_TEST(queue_uses_a_custom_limiter)
{
    fixed_limiter *fl = calloc(1, sizeof *fl);
    fl->base.ops = &fixed_ops;
    rc_clock *c = rc_clock_virtual_new(T0);
    rc_workqueue *q = NULL;
    ck_assert_int_eq(rc_workqueue_new(&(rc_workqueue_options){.clock = c, .rate_limiter = &fl->base}, &q, NULL), 0);
    rc_workqueue_add_rate_limited(q, "k");
    ck_assert_int_eq(rc_workqueue_next_deadline(q), T0 + 7 * RC_MSEC);
    ck_assert_int_eq(rc_workqueue_num_requeues(q, "k"), 1);
    rc_workqueue_forget(q, "k");
    ck_assert_int_eq(rc_workqueue_num_requeues(q, "k"), 0);
    rc_workqueue_free(q); /* frees the limiter */
    rc_clock_free(c);
}
END_TEST

START_TEST(bad_arguments_are_rejected)
{
    rc_rate_limiter *rl = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_rate_limiter_exponential_new(0, RC_SEC, &rl, &err), RC_EINVAL);
    ck_assert_ptr_nonnull(err.message);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_rate_limiter_exponential_new(RC_SEC, RC_MSEC, &rl, NULL), RC_EINVAL);
    ck_assert_int_eq(rc_rate_limiter_exponential_new(RC_MSEC, RC_SEC, NULL, NULL), RC_EINVAL);
    ck_assert_int_eq(rc_rate_limiter_bucket_new(0, 10, &rl, NULL), RC_EINVAL);
    ck_assert_int_eq(rc_rate_limiter_bucket_new(0.0 / 0.0, 10, &rl, NULL), RC_EINVAL);
    ck_assert_int_eq(rc_rate_limiter_bucket_new(10, 0, &rl, NULL), RC_EINVAL);
    ck_assert_int_eq(rc_rate_limiter_bucket_new(1e-12, 1000, &rl, NULL), RC_EINVAL);
    ck_assert_int_eq(rc_rate_limiter_fast_slow_new(-1, RC_SEC, 3, &rl, NULL), RC_EINVAL);
    ck_assert_int_eq(rc_rate_limiter_fast_slow_new(RC_MSEC, RC_SEC, -3, &rl, NULL), RC_EINVAL);
    ck_assert_ptr_null(rl);
    ck_assert_int_eq(rc_rate_limiter_max_of_new(NULL, 0, &rl, NULL), RC_EINVAL);
    rc_rate_limiter *parts[2] = {NULL, NULL};
    ck_assert_int_eq(rc_rate_limiter_exponential_new(RC_MSEC, RC_SEC, &parts[0], NULL), 0);
    ck_assert_int_eq(rc_rate_limiter_max_of_new(parts, 2, &rl, &err), RC_EINVAL); /* frees parts[0] */
    rc_error_clear(&err);
    ck_assert_ptr_null(rl);
    /* NULL limiter: no delay, no bookkeeping */
    ck_assert_int_eq(rc_rate_limiter_when(NULL, "a", T0), 0);
    ck_assert_int_eq(rc_rate_limiter_num_requeues(NULL, "a"), 0);
    rc_rate_limiter_forget(NULL, "a");
    rc_rate_limiter_free(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ratelimit");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, exponential_doubles_until_cap);
    tcase_add_test(tc, back_off_counts_survive_churn);
    tcase_add_test(tc, back_off_counts_from_many_threads);
    tcase_add_test(tc, bucket_allows_burst_then_qps);
    tcase_add_test(tc, fast_then_slow);
    tcase_add_test(tc, max_of_takes_the_longest);
    tcase_add_test(tc, default_is_exponential_and_bucket);
    tcase_add_test(tc, queue_uses_a_custom_limiter);
    tcase_add_test(tc, bad_arguments_are_rejected);
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
