/* test_workqueue.c - rc_workqueue: de-duplication, exclusivity, delays on the virtual clock (many keys
 * with ties and moves), rate-limited requeues (retries by get's pointer or a copy), priorities and aging,
 * shut-down and drain, metrics, the lock-free add path and record reuse, the intake of plain adds (long
 * batches keep order and priority, pending adds a get may leave for later, what the intake tells a
 * spinning getter), the lock-free done (finished by the next lock holder, unknown and repeated dones,
 * dones from other threads, drains waiting for one, adds racing one), wake-ups of blocked getters (also
 * through a long intake of delayed adds), and many-thread tests: exclusivity (with and without record
 * reuse) and unique keys handed out once each. */
#include <reconcile/workqueue.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testutil.h"
#include "support/wq_drain.h"
#include "workqueue/delayheap.h"
#include "workqueue/intake.h"
#include "workqueue/queue.h"
#include "workqueue/queue_internal.h"

#define T0 ((rc_time)1000 * RC_SEC)

static rc_workqueue *new_queue(rc_clock *clock, unsigned aging_every)
{
    rc_workqueue *q = NULL;
    rc_workqueue_options o = {.name = "test", .clock = clock, .aging_every = aging_every};
    ck_assert_int_eq(rc_workqueue_new(&o, &q, NULL), 0);
    return q;
}

/* Takes the next key with try_get, checks it is `want`, and marks it done. */
static void expect_next(rc_workqueue *q, const char *want)
{
    const char *k = NULL;
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), 0);
    ck_assert_str_eq(k, want);
    ck_assert_int_eq(rc_workqueue_done(q, k), 0);
}

START_TEST(dedup_and_fifo)
{
    rc_workqueue *q = new_queue(NULL, 0);
    const char *in[] = {"ns/a", "ns/b", "ns/a", "ns/c", "ns/b"};
    for (size_t i = 0; i < 5; i++)
        ck_assert_int_eq(rc_workqueue_add(q, in[i]), 0);
    ck_assert_uint_eq(rc_workqueue_len(q), 3);
    expect_next(q, "ns/a");
    expect_next(q, "ns/b");
    expect_next(q, "ns/c");
    const char *k;
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), RC_EAGAIN);
    ck_assert_uint_eq(rc_workqueue_len(q), 0);
    rc_workqueue_free(q);
}
END_TEST

START_TEST(key_in_flight_is_exclusive_and_dirty)
{
    rc_workqueue *q = new_queue(NULL, 0);
    const char *k1, *k2;
    rc_workqueue_add(q, "a");
    ck_assert_int_eq(rc_workqueue_try_get(q, &k1), 0);
    ck_assert_int_eq(rc_workqueue_add(q, "a"), 0);
    ck_assert_int_eq(rc_workqueue_add(q, "a"), 0);
    ck_assert_uint_eq(rc_workqueue_len(q), 0); /* dirty, not ready while in flight */
    ck_assert_int_eq(rc_workqueue_try_get(q, &k2), RC_EAGAIN);
    ck_assert_int_eq(rc_workqueue_done(q, k1), 0);
    ck_assert_uint_eq(rc_workqueue_len(q), 1);
    ck_assert_int_eq(rc_workqueue_try_get(q, &k2), 0);
    ck_assert_str_eq(k2, "a");
    char copy[] = "a"; /* done accepts an equal string as well as the pointer get returned */
    ck_assert_int_eq(rc_workqueue_done(q, copy), 0);
    ck_assert_int_eq(rc_workqueue_done(q, "a"), RC_ENOTFOUND);
    ck_assert_int_eq(rc_workqueue_done(q, "never-added"), RC_ENOTFOUND);
    ck_assert_int_eq(rc_workqueue_try_get(q, &k2), RC_EAGAIN);
    rc_workqueue_free(q);
}
END_TEST

START_TEST(bad_input_is_rejected)
{
    rc_workqueue *q = new_queue(NULL, 0);
    const char *k;
    rc_error err = {0};
    ck_assert_int_eq(rc_workqueue_add(q, NULL), RC_EINVAL);
    ck_assert_int_eq(rc_workqueue_add(NULL, "a"), RC_EINVAL);
    ck_assert_int_eq(rc_workqueue_add_priority(q, "a", RC_WORKQUEUE_PRIORITY_MAX + 1), RC_EINVAL);
    ck_assert_int_eq(rc_workqueue_add_priority(q, "a", RC_WORKQUEUE_PRIORITY_MIN - 1), RC_EINVAL);
    ck_assert_int_eq(rc_workqueue_add_opts(q, "a", NULL), RC_EINVAL);
    ck_assert_int_eq(rc_workqueue_try_get(q, NULL), RC_EINVAL);
    ck_assert_int_eq(rc_workqueue_get(NULL, &k), RC_EINVAL);
    ck_assert_int_eq(rc_workqueue_done(q, NULL), RC_EINVAL);
    ck_assert_uint_eq(rc_workqueue_len(q), 0);
    ck_assert_int_eq(rc_workqueue_new(NULL, NULL, &err), RC_EINVAL);
    ck_assert_ptr_nonnull(err.message);
    rc_error_clear(&err);
    static const rc_workqueue_metrics_ops incomplete = {0};
    rc_workqueue_metrics_provider p = {&incomplete, NULL};
    rc_workqueue *q2 = NULL;
    ck_assert_int_eq(rc_workqueue_new(&(rc_workqueue_options){.metrics = &p}, &q2, &err), RC_EINVAL);
    ck_assert_ptr_null(q2);
    rc_error_clear(&err);
    rc_workqueue_free(q);
    rc_workqueue_free(NULL);
}
END_TEST

START_TEST(delays_order_by_ready_time_then_insertion)
{
    rc_clock *c = rc_clock_virtual_new(T0);
    rc_workqueue *q = new_queue(c, 0);
    const char *k;
    ck_assert_int_eq(rc_workqueue_next_deadline(q), RC_TIME_NEVER);
    rc_workqueue_add_after(q, "c", 30 * RC_MSEC);
    rc_workqueue_add_after(q, "a", 10 * RC_MSEC);
    rc_workqueue_add_after(q, "b", 10 * RC_MSEC);
    rc_workqueue_add_after(q, "d", 20 * RC_MSEC);
    rc_workqueue_add_after(q, "now", 0);
    rc_workqueue_add_after(q, "past", -5 * RC_MSEC);
    ck_assert_uint_eq(rc_workqueue_len(q), 2);
    expect_next(q, "now");
    expect_next(q, "past");
    ck_assert_int_eq(rc_workqueue_next_deadline(q), T0 + 10 * RC_MSEC);
    rc_clock_advance(c, 10 * RC_MSEC - 1);
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), RC_EAGAIN);
    rc_clock_advance(c, 1);
    ck_assert_uint_eq(rc_workqueue_len(q), 2);
    expect_next(q, "a");
    expect_next(q, "b");
    ck_assert_int_eq(rc_workqueue_next_deadline(q), T0 + 20 * RC_MSEC);
    rc_clock_set(c, T0 + 35 * RC_MSEC); /* both due: earlier ready time first */
    expect_next(q, "d");
    expect_next(q, "c");
    ck_assert_int_eq(rc_workqueue_next_deadline(q), RC_TIME_NEVER);
    rc_workqueue_free(q);
    rc_clock_free(c);
}
END_TEST

START_TEST(delay_merge_rules)
{
    rc_clock *c = rc_clock_virtual_new(T0);
    rc_workqueue *q = new_queue(c, 0);
    const char *k;
    /* the earlier ready time wins */
    rc_workqueue_add_after(q, "x", 50 * RC_MSEC);
    rc_workqueue_add_after(q, "x", 100 * RC_MSEC);
    ck_assert_int_eq(rc_workqueue_next_deadline(q), T0 + 50 * RC_MSEC);
    rc_workqueue_add_after(q, "x", 20 * RC_MSEC);
    ck_assert_int_eq(rc_workqueue_next_deadline(q), T0 + 20 * RC_MSEC);
    /* an add makes a delayed key ready now */
    rc_workqueue_add(q, "x");
    ck_assert_int_eq(rc_workqueue_next_deadline(q), RC_TIME_NEVER);
    ck_assert_uint_eq(rc_workqueue_len(q), 1);
    /* a ready key stays ready (and single) when added with a delay */
    rc_workqueue_add_after(q, "x", 5 * RC_MSEC);
    ck_assert_int_eq(rc_workqueue_next_deadline(q), RC_TIME_NEVER);
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), 0);
    /* a delayed add of a key in flight becomes dirty when due, ready after done */
    rc_workqueue_add_after(q, "x", 5 * RC_MSEC);
    rc_clock_advance(c, 5 * RC_MSEC);
    const char *k2;
    ck_assert_int_eq(rc_workqueue_try_get(q, &k2), RC_EAGAIN);
    ck_assert_int_eq(rc_workqueue_done(q, k), 0);
    expect_next(q, "x");
    ck_assert_int_eq(rc_workqueue_try_get(q, &k2), RC_EAGAIN);
    rc_workqueue_free(q);
    rc_clock_free(c);
}
END_TEST

START_TEST(rate_limited_requeue_backs_off_until_forget)
{
    rc_clock *c = rc_clock_virtual_new(T0);
    rc_rate_limiter *rl = NULL;
    ck_assert_int_eq(rc_rate_limiter_exponential_new(5 * RC_MSEC, RC_SEC, &rl, NULL), 0);
    rc_workqueue *q = NULL;
    ck_assert_int_eq(rc_workqueue_new(&(rc_workqueue_options){.clock = c, .rate_limiter = rl}, &q, NULL), 0);
    rc_duration want[] = {5 * RC_MSEC, 10 * RC_MSEC, 20 * RC_MSEC};
    for (int i = 0; i < 3; i++) {
        rc_time start = rc_clock_now(c);
        ck_assert_int_eq(rc_workqueue_add_rate_limited(q, "k"), 0);
        ck_assert_int_eq(rc_workqueue_num_requeues(q, "k"), i + 1);
        ck_assert_int_eq(rc_workqueue_next_deadline(q), start + want[i]);
        rc_clock_set(c, start + want[i]);
        expect_next(q, "k");
    }
    rc_workqueue_forget(q, "k");
    ck_assert_int_eq(rc_workqueue_num_requeues(q, "k"), 0);
    rc_workqueue_add_rate_limited(q, "k");
    ck_assert_int_eq(rc_workqueue_next_deadline(q), rc_clock_now(c) + 5 * RC_MSEC);
    /* both a delay and the limiter: the earlier wins */
    rc_workqueue_add_opts(q, "j", &(rc_workqueue_add_options){.after = 2 * RC_MSEC, .rate_limited = true});
    ck_assert_int_eq(rc_workqueue_next_deadline(q), rc_clock_now(c) + 2 * RC_MSEC);
    rc_workqueue_free(q);
    rc_clock_free(c);
}
END_TEST

/* A retry passes the key pointer get handed out (found among the keys in flight) or a copy of the key
 * (found by its bytes); either way the key is retried once, after done, when its delay is due. */
START_TEST(retry_of_a_key_in_flight_by_pointer_or_copy)
{
    rc_clock *c = rc_clock_virtual_new(T0);
    rc_rate_limiter *rl = NULL;
    ck_assert_int_eq(rc_rate_limiter_exponential_new(RC_MSEC, RC_SEC, &rl, NULL), 0);
    rc_workqueue *q = NULL;
    ck_assert_int_eq(rc_workqueue_new(&(rc_workqueue_options){.clock = c, .rate_limiter = rl}, &q, NULL), 0);
    rc_workqueue_add(q, "a");
    rc_workqueue_add(q, "b");
    const char *ka, *kb, *k;
    ck_assert_int_eq(rc_workqueue_try_get(q, &ka), 0);
    ck_assert_int_eq(rc_workqueue_try_get(q, &kb), 0);
    char copy[] = "b";
    ck_assert_int_eq(rc_workqueue_add_rate_limited(q, ka), 0);   /* the pointer get returned */
    ck_assert_int_eq(rc_workqueue_add_rate_limited(q, copy), 0); /* the same key elsewhere */
    ck_assert_int_eq(rc_workqueue_add_after(q, "a", 5 * RC_MSEC), 0); /* merges: the earlier time wins */
    ck_assert_int_eq(rc_workqueue_next_deadline(q), T0 + RC_MSEC);
    rc_clock_advance(c, RC_MSEC);
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), RC_EAGAIN); /* both due, both still in flight */
    ck_assert_int_eq(rc_workqueue_done(q, kb), 0);
    ck_assert_int_eq(rc_workqueue_done(q, ka), 0);
    expect_next(q, "b"); /* ready again in the order the dones made them ready */
    expect_next(q, "a");
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), RC_EAGAIN);
    ck_assert_int_eq(rc_workqueue_next_deadline(q), RC_TIME_NEVER);
    rc_workqueue_free(q);
    rc_clock_free(c);
}
END_TEST

/* Many delayed keys with pseudo-random due times, some moved earlier: they come out by due time, ties in
 * the order they were (re)scheduled. */
START_TEST(many_delays_come_out_in_order)
{
    enum { N = 2000 };
    rc_clock *c = rc_clock_virtual_new(T0);
    rc_workqueue *q = new_queue(c, 0);
    static rc_duration due[N];
    static int order[N]; /* when each key was last (re)scheduled */
    int scheduled = 0;
    char key[16];
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < N; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        due[i] = (rc_duration)(x % 200 + 1) * RC_MSEC; /* many ties */
        order[i] = scheduled++;
        snprintf(key, sizeof key, "k%d", i);
        ck_assert_int_eq(rc_workqueue_add_after(q, key, due[i]), 0);
    }
    for (int i = 0; i < N; i += 7) { /* moved earlier: rescheduled, so last among its new ties */
        if (due[i] <= 50 * RC_MSEC)
            continue;
        due[i] -= 50 * RC_MSEC;
        order[i] = scheduled++;
        snprintf(key, sizeof key, "k%d", i);
        ck_assert_int_eq(rc_workqueue_add_after(q, key, due[i]), 0);
    }
    rc_clock_advance(c, 201 * RC_MSEC);
    ck_assert_uint_eq(rc_workqueue_len(q), N);
    rc_duration last = 0;
    int last_order = -1;
    const char *k;
    for (int n = 0; n < N; n++) {
        ck_assert_int_eq(rc_workqueue_try_get(q, &k), 0);
        int i = atoi(k + 1);
        ck_assert(due[i] > last || (due[i] == last && order[i] > last_order));
        last = due[i];
        last_order = order[i];
        ck_assert_int_eq(rc_workqueue_done(q, k), 0);
    }
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), RC_EAGAIN);
    rc_workqueue_free(q);
    rc_clock_free(c);
}
END_TEST

START_TEST(priority_orders_and_raises)
{
    rc_workqueue *q = new_queue(NULL, 100);
    rc_workqueue_add_priority(q, "low1", RC_WORKQUEUE_PRIORITY_LOW);
    rc_workqueue_add_priority(q, "low2", RC_WORKQUEUE_PRIORITY_LOW);
    rc_workqueue_add_priority(q, "low3", RC_WORKQUEUE_PRIORITY_LOW);
    rc_workqueue_add(q, "normal");
    rc_workqueue_add_priority(q, "high", RC_WORKQUEUE_PRIORITY_HIGH);
    rc_workqueue_add(q, "low2");                                        /* raised to normal */
    rc_workqueue_add_priority(q, "normal", RC_WORKQUEUE_PRIORITY_LOW); /* never lowered */
    ck_assert_uint_eq(rc_workqueue_len(q), 5);
    expect_next(q, "high");
    expect_next(q, "normal");
    expect_next(q, "low2");
    expect_next(q, "low1");
    expect_next(q, "low3");
    rc_workqueue_free(q);
}
END_TEST

START_TEST(aging_serves_oldest_after_every_n_skips)
{
    rc_workqueue *q = new_queue(NULL, 2);
    rc_workqueue_add_priority(q, "L1", RC_WORKQUEUE_PRIORITY_LOW);
    rc_workqueue_add_priority(q, "L2", RC_WORKQUEUE_PRIORITY_LOW);
    char name[16];
    for (int i = 1; i <= 6; i++) {
        snprintf(name, sizeof name, "H%d", i);
        rc_workqueue_add(q, name);
    }
    const char *want[] = {"H1", "H2", "L1", "H3", "H4", "L2", "H5", "H6"};
    for (int i = 0; i < 8; i++)
        expect_next(q, want[i]);
    rc_workqueue_free(q);
}
END_TEST

START_TEST(low_priority_is_never_starved)
{
    rc_workqueue *q = new_queue(NULL, 0); /* default: 16 */
    rc_workqueue_add_priority(q, "resync", RC_WORKQUEUE_PRIORITY_LOW);
    char name[32];
    int served_at = -1, next = 0;
    for (int round = 0; round < 1000 && served_at < 0; round++) {
        for (int j = 0; j < 2; j++) { /* high-priority keys arrive faster than they are served */
            snprintf(name, sizeof name, "live-%d", next++);
            rc_workqueue_add_priority(q, name, RC_WORKQUEUE_PRIORITY_HIGH);
        }
        const char *k;
        ck_assert_int_eq(rc_workqueue_try_get(q, &k), 0);
        if (strcmp(k, "resync") == 0)
            served_at = round;
        rc_workqueue_done(q, k);
    }
    ck_assert_int_eq(served_at, 16);
    rc_workqueue_free(q);
}
END_TEST

START_TEST(shut_down_refuses_adds_and_drops_delayed)
{
    rc_clock *c = rc_clock_virtual_new(T0);
    rc_workqueue *q = new_queue(c, 0);
    const char *k;
    rc_workqueue_add(q, "a");
    rc_workqueue_add(q, "b");
    rc_workqueue_add_after(q, "later", RC_SEC);
    ck_assert(!rc_workqueue_shutting_down(q));
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), 0);
    rc_workqueue_add(q, "a"); /* dirty before shut-down: processed again */
    rc_workqueue_shut_down(q);
    ck_assert(rc_workqueue_shutting_down(q));
    ck_assert_int_eq(rc_workqueue_add(q, "c"), RC_ECLOSED);
    ck_assert_int_eq(rc_workqueue_add_after(q, "c", RC_SEC), RC_ECLOSED);
    ck_assert_int_eq(rc_workqueue_next_deadline(q), RC_TIME_NEVER);
    expect_next(q, "b");
    ck_assert_int_eq(rc_workqueue_done(q, k), 0);
    expect_next(q, "a");
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), RC_ECLOSED);
    ck_assert_int_eq(rc_workqueue_get(q, &k), RC_ECLOSED);
    rc_workqueue_free(q);
    rc_clock_free(c);
}
END_TEST

static void *blocking_get(void *arg)
{
    const char *k;
    return (void *)(intptr_t)rc_workqueue_get(arg, &k);
}

static void wait_for_getters(rc_workqueue *q, unsigned n)
{
    while (rci_workqueue_blocked_getters(q) < n)
        sched_yield();
}

START_TEST(shut_down_wakes_blocked_getters)
{
    rc_clock *c = rc_clock_virtual_new(T0);
    rc_workqueue *q = new_queue(c, 0);
    rc_workqueue_add_after(q, "far", RC_HOUR); /* virtual clock: getters wait without a timeout */
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, blocking_get, q);
    wait_for_getters(q, 2);
    rc_workqueue_shut_down(q);
    for (int i = 0; i < 2; i++) {
        void *rc;
        pthread_join(t[i], &rc);
        ck_assert_int_eq((int)(intptr_t)rc, RC_ECLOSED);
    }
    rc_workqueue_free(q);
    rc_clock_free(c);
}
END_TEST

typedef struct getter {
    rc_workqueue *q;
    const char *key;
    int rc;
} getter;

static void *get_into(void *arg)
{
    getter *g = arg;
    g->rc = rc_workqueue_get(g->q, &g->key);
    return NULL;
}

START_TEST(blocked_getter_wakes_on_add_and_on_deadline)
{
    rc_workqueue *q = new_queue(NULL, 0); /* real clock */
    getter g = {.q = q};
    pthread_t t;
    pthread_create(&t, NULL, get_into, &g);
    wait_for_getters(q, 1);
    rc_workqueue_add(q, "woken");
    pthread_join(t, NULL);
    ck_assert_int_eq(g.rc, 0);
    ck_assert_str_eq(g.key, "woken");
    rc_workqueue_done(q, g.key);
    /* a delay on the real clock: get sleeps until it is due */
    rc_time start = rc_clock_now(rc_clock_real());
    rc_workqueue_add_after(q, "due", 2 * RC_MSEC);
    const char *k;
    ck_assert_int_eq(rc_workqueue_get(q, &k), 0);
    ck_assert_str_eq(k, "due");
    ck_assert_int_ge(rc_clock_now(rc_clock_real()) - start, 2 * RC_MSEC);
    rc_workqueue_free(q);
}
END_TEST

/* A getter asleep until a far deadline (real clock) must be woken by a delayed add due sooner, which goes
 * through the intake like any add. */
START_TEST(sleeping_getter_wakes_for_an_earlier_deadline)
{
    rc_workqueue *q = new_queue(NULL, 0); /* real clock */
    rc_workqueue_add_after(q, "far", RC_HOUR);
    getter g = {.q = q};
    pthread_t t;
    pthread_create(&t, NULL, get_into, &g);
    wait_for_getters(q, 1);
    rc_time start = rc_clock_now(rc_clock_real());
    ck_assert_int_eq(rc_workqueue_add_after(q, "soon", 2 * RC_MSEC), 0);
    pthread_join(t, NULL);
    ck_assert_int_eq(g.rc, 0);
    ck_assert_str_eq(g.key, "soon");
    ck_assert_int_ge(rc_clock_now(rc_clock_real()) - start, 2 * RC_MSEC);
    rc_workqueue_free(q);
}
END_TEST

/* Wake-ups are sent after the lock is released and counted: two blocked getters and two adds must
 * hand one key to each. */
START_TEST(each_blocked_getter_gets_a_key)
{
    rc_clock *c = rc_clock_virtual_new(T0);
    rc_workqueue *q = new_queue(c, 0);
    getter g[2] = {{.q = q}, {.q = q}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, get_into, &g[i]);
    wait_for_getters(q, 2);
    rc_workqueue_add(q, "one");
    rc_workqueue_add(q, "two");
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(g[i].rc, 0);
    }
    ck_assert_str_ne(g[0].key, g[1].key);
    rc_workqueue_free(q);
    rc_clock_free(c);
}
END_TEST

START_TEST(notify_rechecks_virtual_clock)
{
    rc_clock *c = rc_clock_virtual_new(T0);
    rc_workqueue *q = new_queue(c, 0);
    rc_workqueue_add_after(q, "k", RC_SEC);
    getter g = {.q = q};
    pthread_t t;
    pthread_create(&t, NULL, get_into, &g);
    wait_for_getters(q, 1);
    rc_clock_advance(c, RC_SEC);
    rc_workqueue_notify(q);
    pthread_join(t, NULL);
    ck_assert_int_eq(g.rc, 0);
    ck_assert_str_eq(g.key, "k");
    rc_workqueue_free(q);
    rc_clock_free(c);
}
END_TEST

START_TEST(drain_waits_for_every_key_handed_out)
{
    rc_workqueue *q = new_queue(NULL, 0);
    const char *a, *b, *k;
    rc_workqueue_add(q, "a");
    rc_workqueue_add(q, "b");
    ck_assert_int_eq(rc_workqueue_try_get(q, &a), 0);
    ck_assert_int_eq(rc_workqueue_try_get(q, &b), 0);
    rc_test_drainer d;
    rc_test_drain_start(&d, q);
    ck_assert(rc_workqueue_shutting_down(q));
    ck_assert_int_eq(rc_workqueue_add(q, "c"), RC_ECLOSED);
    ck_assert_int_eq(rc_workqueue_done(q, a), 0);
    ck_assert_uint_eq(rci_workqueue_blocked_drainers(q), 1);
    ck_assert(!atomic_load(&d.finished));
    ck_assert_int_eq(rc_workqueue_done(q, b), 0);
    rc_test_drain_join(&d);
    ck_assert(atomic_load(&d.finished));
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), RC_ECLOSED);
    rc_workqueue_shut_down_with_drain(q); /* nothing in flight: returns at once */
    rc_workqueue_free(q);
}
END_TEST

/* Records leave the delay heap from the middle (added for now) and move earlier (rescheduled): their old
 * entries go stale and must never bring a key out twice, out of order, or at an old time. */
START_TEST(delayed_keys_leave_and_move_without_coming_out_twice)
{
    enum { N = 300 };
    rc_clock *c = rc_clock_virtual_new(T0);
    rc_workqueue *q = new_queue(c, 0);
    char key[16];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "k%d", i);
        ck_assert_int_eq(rc_workqueue_add_after(q, key, (rc_duration)(i + 10) * RC_MSEC), 0);
    }
    for (int i = 1; i < N; i += 2) { /* odd keys: ready now, out of the heap */
        snprintf(key, sizeof key, "k%d", i);
        ck_assert_int_eq(rc_workqueue_add(q, key), 0);
    }
    for (int i = 1; i < N; i += 2) {
        snprintf(key, sizeof key, "k%d", i);
        expect_next(q, key);
    }
    ck_assert_int_eq(rc_workqueue_next_deadline(q), T0 + 10 * RC_MSEC);
    for (int i = 0; i < N; i += 4) { /* every other even key: moved earlier, twice (to odd times: no ties) */
        snprintf(key, sizeof key, "k%d", i);
        ck_assert_int_eq(rc_workqueue_add_after(q, key, (rc_duration)(i + 5) * RC_MSEC), 0);
        ck_assert_int_eq(rc_workqueue_add_after(q, key, (rc_duration)(i + 3) * RC_MSEC), 0);
    }
    snprintf(key, sizeof key, "k%d", 1); /* out of the heap, then in again later */
    ck_assert_int_eq(rc_workqueue_add_after(q, key, (rc_duration)(N + 100) * RC_MSEC), 0);
    const char *k;
    rc_duration last = 0;
    for (int n = 0; n < N / 2; n++) {
        rc_time next = rc_workqueue_next_deadline(q);
        ck_assert(next > T0 + last);
        rc_clock_set(c, next);
        ck_assert_int_eq(rc_workqueue_try_get(q, &k), 0);
        int i = atoi(k + 1);
        ck_assert_int_eq(i % 2, 0);
        ck_assert_int_eq(next - T0, (rc_duration)(i + (i % 4 ? 10 : 3)) * RC_MSEC);
        last = next - T0;
        ck_assert_int_eq(rc_workqueue_done(q, k), 0);
    }
    ck_assert_int_eq(rc_workqueue_next_deadline(q), T0 + (N + 100) * RC_MSEC);
    rc_clock_advance(c, (N + 100) * RC_MSEC);
    expect_next(q, "k1");
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), RC_EAGAIN);
    ck_assert_int_eq(rc_workqueue_next_deadline(q), RC_TIME_NEVER);
    rc_workqueue_free(q);
    rc_clock_free(c);
}
END_TEST

/* The heap on its own: stale entries are skipped at the top (by top and by due) and swept once they
 * outnumber live ones. */
START_TEST(delay_heap_skips_and_sweeps_stale_entries)
{
    enum { N = 1000 };
    rci_wq_item *it = calloc(N, sizeof *it);
    ck_assert_ptr_nonnull(it);
    rci_delayheap h;
    rci_delayheap_init(&h);
    uint64_t seq = 1;
    for (int i = 0; i < N; i++)
        ck_assert(rci_delayheap_schedule(&h, &it[i], (rc_time)(N - i + 10), seq++));
    for (int round = 0; round < 5; round++) /* each move earlier leaves a stale entry */
        for (int i = 0; i < N; i += 2)
            ck_assert(rci_delayheap_schedule(&h, &it[i], it[i].ready_at - 1, seq++));
    ck_assert_uint_eq(h.live, N);
    ck_assert_uint_le(h.len, 2 * h.live + 64);
    for (int i = 1; i < N; i += 2)
        rci_delayheap_remove(&h, &it[i]);
    ck_assert_uint_eq(h.live, N / 2);
    ck_assert_uint_le(h.len, 2 * h.live + 64);
    rc_time last = 0;
    for (int n = 0; n < N / 2; n++) {
        rci_wq_item *top = rci_delayheap_top(&h);
        ck_assert_ptr_nonnull(top);
        ck_assert_int_eq((top - it) % 2, 0);
        ck_assert_int_eq(top->ready_at, (rc_time)(N - (top - it) + 5));
        ck_assert_int_ge(top->ready_at, last);
        ck_assert_ptr_null(rci_delayheap_due(&h, top->ready_at - 1));
        ck_assert_ptr_eq(rci_delayheap_due(&h, top->ready_at), top);
        last = top->ready_at;
        rci_delayheap_remove(&h, top);
    }
    ck_assert_ptr_null(rci_delayheap_top(&h));
    ck_assert_ptr_null(rci_delayheap_due(&h, RC_TIME_NEVER));
    ck_assert_uint_eq(h.len, 0);
    rci_delayheap_free(&h);
    free(it);
}
END_TEST

/* Idle records are prefetched ahead of eviction by a scout that must stay on the idle list, within its
 * count of the head, however keys leave the list (re-added, evicted). */
START_TEST(idle_scout_stays_on_the_idle_list)
{
    rc_workqueue *q = NULL;
    ck_assert_int_eq(rc_workqueue_new(&(rc_workqueue_options){.idle_keys = 100}, &q, NULL), 0);
    char name[16];
    uint64_t x = 88172645463325252ULL;
    for (int n = 0; n < 20000; n++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        snprintf(name, sizeof name, "k%d", (int)(x % 400)); /* revisits idle keys anywhere in the list */
        ck_assert_int_eq(rc_workqueue_add(q, name), 0);
        expect_next(q, name);
        pthread_mutex_lock(&q->mu);
        ck_assert_uint_le(q->idle.len, 100);
        if (q->scout) {
            unsigned pos = 1;
            rci_wq_item *it = q->idle.head;
            for (; it && it != q->scout; it = it->next)
                pos++;
            ck_assert_ptr_eq(it, q->scout);
            ck_assert_uint_le(pos, q->scouted);
        }
        pthread_mutex_unlock(&q->mu);
    }
    rc_workqueue_free(q);
}
END_TEST

/* Two waiting keys whose hashes share a lookaside set (the top 12 bits) are both settled without the
 * intake: the cache keeps two records per set, so such keys do not evict each other on every add. A key
 * earns its place once it recurs: the first add of a key is not published, so its second add still goes
 * through the intake. */
START_TEST(keys_sharing_a_lookaside_set_both_dedup_lock_free)
{
    char a[16], b[16];
    snprintf(a, sizeof a, "k0");
    uint64_t set = rci_wq_hash(a, strlen(a) + 1) >> 52;
    int i = 1;
    for (;; i++) {
        snprintf(b, sizeof b, "k%d", i);
        if (rci_wq_hash(b, strlen(b) + 1) >> 52 == set)
            break;
    }
    rc_workqueue *q = new_queue(NULL, 0);
    ck_assert_int_eq(rc_workqueue_add(q, a), 0);
    ck_assert_int_eq(rc_workqueue_add(q, b), 0);
    ck_assert_uint_eq(rc_workqueue_len(q), 2); /* applies both adds */
    ck_assert_int_eq(rc_workqueue_add(q, a), 0);
    ck_assert_int_eq(rc_workqueue_add(q, b), 0);
    ck_assert_uint_gt(rci_intake_pending(&q->intake), 0); /* new keys were not published */
    ck_assert_uint_eq(rc_workqueue_len(q), 2);             /* the recurring adds publish both */
    for (int round = 0; round < 3; round++) {
        ck_assert_int_eq(rc_workqueue_add(q, a), 0);
        ck_assert_int_eq(rc_workqueue_add(q, b), 0);
        ck_assert_uint_eq(rci_intake_pending(&q->intake), 0);
    }
    expect_next(q, a);
    expect_next(q, b);
    rc_workqueue_free(q);
}
END_TEST

START_TEST(idle_keys_are_recycled)
{
    rc_workqueue *q = NULL;
    ck_assert_int_eq(rc_workqueue_new(&(rc_workqueue_options){.idle_keys = 2}, &q, NULL), 0);
    char name[16];
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 10; i++) {
            snprintf(name, sizeof name, "k%d", i);
            rc_workqueue_add(q, name);
            expect_next(q, name);
        }
    rc_workqueue_add(q, "k9");
    rc_workqueue_add(q, "k0");
    expect_next(q, "k9");
    expect_next(q, "k0");
    rc_workqueue_free(q);
}
END_TEST

/* Adds of a waiting or dirty key take the lock-free path; they must change nothing, while an add at a
 * higher priority still moves the key up. */
START_TEST(repeated_adds_keep_state_and_priority)
{
    rc_workqueue *q = new_queue(NULL, 0);
    const char *k;
    rc_workqueue_add(q, "b");
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(rc_workqueue_add(q, "a"), 0);
    ck_assert_uint_eq(rc_workqueue_len(q), 2);
    ck_assert_int_eq(rc_workqueue_add_priority(q, "a", RC_WORKQUEUE_PRIORITY_LOW), 0); /* no move down */
    ck_assert_int_eq(rc_workqueue_add_priority(q, "a", RC_WORKQUEUE_PRIORITY_HIGH), 0);
    ck_assert_int_eq(rc_workqueue_add(q, "a"), 0);
    expect_next(q, "a");
    expect_next(q, "b");
    /* in flight: the first add marks it dirty, the next ones find it dirty; one more round at done */
    rc_workqueue_add(q, "a");
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), 0);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(rc_workqueue_add(q, "a"), 0);
    ck_assert_uint_eq(rc_workqueue_len(q), 0);
    ck_assert_int_eq(rc_workqueue_done(q, k), 0);
    ck_assert_uint_eq(rc_workqueue_len(q), 1);
    expect_next(q, "a");
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), RC_EAGAIN);
    /* after shut-down even an add of a waiting key is refused */
    rc_workqueue_add(q, "c");
    rc_workqueue_shut_down(q);
    ck_assert_int_eq(rc_workqueue_add(q, "c"), RC_ECLOSED);
    rc_workqueue_free(q);
}
END_TEST

/* A delayed key that came due does not wait behind a whole long batch of adds: the queue makes it ready
 * between parts of the batch, so it comes out after the first few of the batch's keys, not after all. */
START_TEST(due_key_does_not_wait_behind_a_long_batch)
{
    enum { N = 200 };
    rc_clock *c = rc_clock_virtual_new(T0);
    rc_workqueue *q = new_queue(c, 0);
    ck_assert_int_eq(rc_workqueue_add_after(q, "due", RC_MSEC), 0);
    const char *k;
    rc_workqueue_add(q, "busy"); /* a key in flight: the adds below wait in the intake */
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), 0);
    ck_assert_str_eq(k, "busy");
    char name[16];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "k%03d", i);
        ck_assert_int_eq(rc_workqueue_add(q, name), 0);
    }
    rc_clock_advance(c, RC_MSEC); /* "due" comes due while the batch waits */
    ck_assert_int_eq(rc_workqueue_done(q, k), 0);
    int due_at = -1;
    for (int i = 0; i <= N; i++) {
        ck_assert_int_eq(rc_workqueue_try_get(q, &k), 0);
        if (strcmp(k, "due") == 0)
            due_at = i;
        ck_assert_int_eq(rc_workqueue_done(q, k), 0);
    }
    ck_assert_int_ge(due_at, 0);
    ck_assert_int_lt(due_at, N / 2);
    rc_workqueue_free(q);
    rc_clock_free(c);
}
END_TEST

/* Plain adds wait in the intake until the queue applies them, in batches the producer applies itself
 * once they grow long: many keys added (each twice) with nobody getting keep first-add order, and one
 * added at a higher priority in the middle still goes first. */
START_TEST(long_intake_batches_keep_order_and_priority)
{
    enum { N = 20000 };
    rc_workqueue *q = new_queue(NULL, 0);
    char name[16];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "k%05d", i);
        ck_assert_int_eq(rc_workqueue_add(q, name), 0);
        if (i == N / 2)
            ck_assert_int_eq(rc_workqueue_add_priority(q, "urgent", RC_WORKQUEUE_PRIORITY_HIGH), 0);
        if (i > 0) {
            snprintf(name, sizeof name, "k%05d", i - 1);
            ck_assert_int_eq(rc_workqueue_add(q, name), 0);
        }
    }
    ck_assert_uint_eq(rc_workqueue_len(q), N + 1);
    expect_next(q, "urgent");
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "k%05d", i);
        expect_next(q, name);
    }
    const char *k;
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), RC_EAGAIN);
    rc_workqueue_free(q);
}
END_TEST

/* While a key is in flight the producer leaves even a long intake to the getters, who come back for it
 * (applying it itself would fight them for the queue lock); with nothing in flight it applies a long
 * batch itself, so a later get does not pay for it. Either way every add is applied, in order, and the
 * buffer of a burst is freed once applied. */
START_TEST(producer_leaves_long_intake_to_busy_getters)
{
    enum { N = 100, ENTRY_MIN = 48 }; /* an intake entry of a short key takes at least 48 bytes */
    rc_workqueue *q = new_queue(NULL, 0);
    const char *k;
    char name[16];
    rc_workqueue_add(q, "busy");
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), 0);
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "a%03d", i);
        ck_assert_int_eq(rc_workqueue_add(q, name), 0);
    }
    ck_assert_uint_ge(rci_intake_pending(&q->intake), N * ENTRY_MIN);
    ck_assert_int_eq(rc_workqueue_done(q, k), 0);
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "a%03d", i);
        expect_next(q, name);
    }
    ck_assert_uint_eq(rc_workqueue_len(q), 0); /* finishes the last done: nothing in flight */
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "b%03d", i);
        ck_assert_int_eq(rc_workqueue_add(q, name), 0);
    }
    ck_assert_uint_lt(rci_intake_pending(&q->intake), N * ENTRY_MIN / 2);
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "b%03d", i);
        expect_next(q, name);
    }
    /* a burst of ~10 k adds while a key is in flight: applied in order, and its large buffers are not kept */
    rc_workqueue_add(q, "busy");
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), 0);
    enum { BURST = 10000 };
    for (int i = 0; i < BURST; i++) {
        snprintf(name, sizeof name, "c%05d", i);
        ck_assert_int_eq(rc_workqueue_add(q, name), 0);
    }
    ck_assert_uint_ge(rci_intake_pending(&q->intake), BURST * ENTRY_MIN);
    ck_assert_int_eq(rc_workqueue_done(q, k), 0);
    ck_assert_uint_eq(rc_workqueue_len(q), BURST);
    ck_assert_uint_le(q->batch.cap, 64u << 10);
    ck_assert_uint_le(q->intake.cap, 64u << 10);
    for (int i = 0; i < BURST; i++) {
        snprintf(name, sizeof name, "c%05d", i);
        expect_next(q, name);
    }
    rc_workqueue_free(q);
}
END_TEST

typedef struct burst {
    rc_workqueue *q;
    int n;
} burst;

static void *add_burst(void *arg)
{
    burst *b = arg;
    char name[16];
    for (int i = 0; i < b->n; i++) {
        snprintf(name, sizeof name, "d%05d", i);
        ck_assert_int_eq(rc_workqueue_add(b->q, name), 0);
    }
    return NULL;
}

/* Past a mebibyte of waiting adds, with a key in flight, a producer applies them itself only if the
 * queue lock is free: while a getter holds it (applying adds, which takes the batch next), adds go on
 * without waiting for it. Two threads: this one holds the lock while the producer adds. */
START_TEST(producer_past_the_intake_bound_does_not_wait_for_the_lock)
{
    enum { N = 30000 }; /* ~1.4 MB of intake entries */
    rc_workqueue *q = new_queue(NULL, 0);
    const char *k;
    rc_workqueue_add(q, "busy");
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), 0);
    burst b = {.q = q, .n = N};
    pthread_t t;
    pthread_mutex_lock(&q->mu);
    pthread_create(&t, NULL, add_burst, &b);
    pthread_join(t, NULL); /* waiting for the lock held here would never return */
    ck_assert_uint_gt(rci_intake_pending(&q->intake), 1u << 20);
    pthread_mutex_unlock(&q->mu);
    ck_assert_int_eq(rc_workqueue_add(q, "last"), 0); /* past the bound, lock free: applied here */
    ck_assert_uint_eq(rci_intake_pending(&q->intake), 0);
    ck_assert_uint_eq(rc_workqueue_len(q), N + 1);
    ck_assert_int_eq(rc_workqueue_done(q, k), 0);
    expect_next(q, "d00000");
    rc_workqueue_free(q);
}
END_TEST

/* A get may hand out a ready key while a few adds wait in the intake, but only when applying them could
 * not change the answer: an add at a higher priority than the ready keys, or any add when nothing is
 * ready, is applied first; waiting adds keep their place and len counts them. */
START_TEST(get_leaves_pending_adds_only_when_they_cannot_go_first)
{
    rc_workqueue *q = new_queue(NULL, 0);
    const char *k;
    rc_workqueue_add_priority(q, "low1", RC_WORKQUEUE_PRIORITY_LOW);
    rc_workqueue_add_priority(q, "low2", RC_WORKQUEUE_PRIORITY_LOW);
    expect_next(q, "low1"); /* applies both; low2 stays ready */
    rc_workqueue_add_priority(q, "live", RC_WORKQUEUE_PRIORITY_NORMAL);
    expect_next(q, "live");
    rc_workqueue_add_priority(q, "low3", RC_WORKQUEUE_PRIORITY_LOW); /* may wait: behind low2 anyway */
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), 0);
    ck_assert_str_eq(k, "low2");
    rc_workqueue_add_priority(q, "low2", RC_WORKQUEUE_PRIORITY_LOW); /* in flight: dirty once applied */
    ck_assert_uint_eq(rc_workqueue_len(q), 1);
    ck_assert_int_eq(rc_workqueue_done(q, k), 0);
    expect_next(q, "low3");
    expect_next(q, "low2");
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), RC_EAGAIN);
    rc_workqueue_free(q);
}
END_TEST

/* What a getter reads without the lock: the soonest pending add (0 for one due now), the highest pending
 * priority and whether the intake is long, all reset when the batch is taken. */
START_TEST(intake_reports_earliest_due_and_top_priority)
{
    rci_intake in;
    rci_intake_init(&in, 3 * (sizeof(rci_intake_entry) + 8));
    rci_intake_batch b = {0};
    size_t pending;
    ck_assert_int_eq(rci_intake_earliest(&in), RC_TIME_NEVER);
    rci_intake_entry later = {.n = 2, .priority = -5, .flags = RCI_INTAKE_DELAYED, .ready_at = 500};
    ck_assert_int_eq(rci_intake_push(&in, &later, "a", &pending), 0);
    ck_assert_int_eq(rci_intake_earliest(&in), 500);
    ck_assert_int_eq(rci_intake_top_priority(&in), -5);
    ck_assert(!rci_intake_long(&in));
    rci_intake_entry sooner = {.n = 2, .priority = -7, .flags = RCI_INTAKE_DELAYED, .ready_at = 200};
    ck_assert_int_eq(rci_intake_push(&in, &sooner, "b", &pending), 0);
    ck_assert_int_eq(rci_intake_earliest(&in), 200);
    ck_assert_int_eq(rci_intake_top_priority(&in), -5);
    rci_intake_entry now = {.n = 2, .priority = 3};
    ck_assert_int_eq(rci_intake_push(&in, &now, "c", &pending), 0);
    ck_assert_int_eq(rci_intake_earliest(&in), 0);
    ck_assert_int_eq(rci_intake_top_priority(&in), 3);
    ck_assert(rci_intake_long(&in)); /* three entries of a one-word key */
    ck_assert(rci_intake_take(&in, &b));
    ck_assert_uint_eq(rci_intake_pending(&in), 0);
    ck_assert_int_eq(rci_intake_earliest(&in), RC_TIME_NEVER);
    ck_assert_int_lt(rci_intake_top_priority(&in), RC_WORKQUEUE_PRIORITY_MIN);
    ck_assert(!rci_intake_long(&in));
    static const char *const order[] = {"a", "b", "c"};
    int seen = 0;
    for (rci_intake_entry *e; (e = rci_intake_peek(&b)); rci_intake_advance(&b))
        ck_assert_str_eq(e->key, order[seen++]);
    ck_assert_int_eq(seen, 3);
    free(b.buf);
    rci_intake_free(&in);
}
END_TEST

/* done() of the key the thread was handed out last takes no lock; the next lock holder finishes it. Every
 * observer sees it finished, a second done of it or a done of an unknown key is refused at once, and a
 * done of another key, of a copy of the key or from another thread takes the locked path. */
static void *done_from_thread(void *arg)
{
    const char **key = arg;
    return (void *)(intptr_t)rc_workqueue_done((rc_workqueue *)(void *)key[0], key[1]);
}

START_TEST(lockless_done_is_finished_by_the_next_lock_holder)
{
    rc_workqueue *q = new_queue(NULL, 0);
    const char *a, *b, *k;
    rc_workqueue_add(q, "a");
    rc_workqueue_add(q, "b");
    ck_assert_int_eq(rc_workqueue_try_get(q, &a), 0);
    ck_assert_int_eq(rc_workqueue_done(q, a), 0);
    ck_assert_int_eq(rc_workqueue_done(q, a), RC_ENOTFOUND);
    ck_assert_int_eq(rc_workqueue_done(q, "nobody"), RC_ENOTFOUND);
    ck_assert_int_eq(rc_workqueue_add(q, "a"), 0); /* idle again, so ready again */
    ck_assert_uint_eq(rc_workqueue_len(q), 2);
    /* two keys out: the first one's done is no longer the thread's last get */
    ck_assert_int_eq(rc_workqueue_try_get(q, &b), 0);
    ck_assert_str_eq(b, "b");
    ck_assert_int_eq(rc_workqueue_try_get(q, &a), 0);
    ck_assert_str_eq(a, "a");
    ck_assert_int_eq(rc_workqueue_done(q, b), 0);
    ck_assert_int_eq(rc_workqueue_done(q, "a"), 0); /* a copy of the key */
    ck_assert_int_eq(rc_workqueue_done(q, a), RC_ENOTFOUND);
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), RC_EAGAIN);
    /* a done from a thread that did not get the key */
    rc_workqueue_add(q, "c");
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), 0);
    const char *arg[2] = {(const char *)(void *)q, k};
    pthread_t t;
    void *rc;
    pthread_create(&t, NULL, done_from_thread, arg);
    pthread_join(t, &rc);
    ck_assert_int_eq((int)(intptr_t)rc, 0);
    ck_assert_int_eq(rc_workqueue_done(q, k), RC_ENOTFOUND);
    /* a key added again while in flight is ready again at its done */
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), RC_EAGAIN);
    rc_workqueue_add(q, "d");
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), 0);
    rc_workqueue_add(q, "d");
    ck_assert_int_eq(rc_workqueue_done(q, k), 0);
    expect_next(q, "d");
    /* a lock-free done nobody has finished yet still counts for a drain */
    rc_workqueue_add(q, "e");
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), 0);
    ck_assert_int_eq(rc_workqueue_done(q, k), 0);
    rc_workqueue_shut_down_with_drain(q);
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), RC_ECLOSED);
    rc_workqueue_free(q);
}
END_TEST

/* A drain blocked on a key in flight returns when a lock-free done of that key is made. */
START_TEST(drain_wakes_on_a_lockless_done)
{
    rc_workqueue *q = new_queue(NULL, 0);
    const char *a;
    rc_workqueue_add(q, "a");
    ck_assert_int_eq(rc_workqueue_try_get(q, &a), 0);
    rc_test_drainer d;
    rc_test_drain_start(&d, q);
    ck_assert(!atomic_load(&d.finished));
    ck_assert_int_eq(rc_workqueue_done(q, a), 0);
    rc_test_drain_join(&d);
    ck_assert(atomic_load(&d.finished));
    rc_workqueue_free(q);
}
END_TEST

/* A key added again by another thread right as its worker calls done (before, during or after the
 * lock-free done) is handed out again every time: an add lost to the race would leave the worker
 * blocked in get (and the test timing out). */
enum { PINGPONG_ROUNDS = 5000 };

typedef struct pingpong {
    rc_workqueue *q;
    atomic_int handed; /* gets that returned a key */
    atomic_int failed_dones;
} pingpong;

static void *pingpong_worker(void *arg)
{
    pingpong *p = arg;
    const char *k;
    while (rc_workqueue_get(p->q, &k) == 0) {
        atomic_fetch_add(&p->handed, 1);
        if (rc_workqueue_done(p->q, k) != 0)
            atomic_fetch_add(&p->failed_dones, 1);
    }
    return NULL;
}

START_TEST(add_racing_a_lockless_done_is_not_lost)
{
    pingpong p = {.q = new_queue(NULL, 0)};
    pthread_t t;
    rc_workqueue_add(p.q, "k");
    pthread_create(&t, NULL, pingpong_worker, &p);
    for (int i = 1; i <= PINGPONG_ROUNDS; i++) {
        while (atomic_load(&p.handed) < i)
            sched_yield();
        ck_assert_int_eq(rc_workqueue_add(p.q, "k"), 0);
    }
    while (atomic_load(&p.handed) < PINGPONG_ROUNDS + 1)
        sched_yield();
    rc_workqueue_shut_down_with_drain(p.q);
    pthread_join(t, NULL);
    ck_assert_int_eq(atomic_load(&p.handed), PINGPONG_ROUNDS + 1);
    ck_assert_int_eq(atomic_load(&p.failed_dones), 0);
    rc_workqueue_free(p.q);
}
END_TEST

/* A getter waiting while many delayed adds stream in (it may apply the long intake itself and wait on)
 * still sleeps until the first of them is due, and then gets it. */
START_TEST(waiting_getter_keeps_waiting_through_a_long_delayed_intake)
{
    enum { N = 3000 };
    rc_clock *c = rc_clock_virtual_new(T0);
    rc_workqueue *q = new_queue(c, 0);
    getter g = {.q = q};
    pthread_t t;
    pthread_create(&t, NULL, get_into, &g);
    char name[16];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "k%05d", i);
        ck_assert_int_eq(rc_workqueue_add_after(q, name, RC_SEC + (rc_duration)(i % 7) * RC_MSEC), 0);
    }
    wait_for_getters(q, 1);
    ck_assert_int_eq(rc_workqueue_next_deadline(q), T0 + RC_SEC);
    rc_clock_advance(c, RC_SEC);
    rc_workqueue_notify(q);
    pthread_join(t, NULL);
    ck_assert_int_eq(g.rc, 0);
    ck_assert_str_eq(g.key, "k00000");
    ck_assert_int_eq(rc_workqueue_done(q, g.key), 0);
    ck_assert_uint_eq(rc_workqueue_len(q), (N + 6) / 7 - 1);
    rc_workqueue_free(q);
    rc_clock_free(c);
}
END_TEST

/* A record evicted from the idle list is reused for another key while the lock-free cache still maps
 * the old key to it: an add of the old key must not be mistaken for the new one. */
START_TEST(recycled_record_is_not_mistaken_for_its_old_key)
{
    rc_workqueue *q = NULL;
    ck_assert_int_eq(rc_workqueue_new(&(rc_workqueue_options){.idle_keys = 1}, &q, NULL), 0);
    rc_workqueue_add(q, "old/key");
    expect_next(q, "old/key");
    rc_workqueue_add(q, "other");
    expect_next(q, "other"); /* evicts old/key's record to the free list */
    rc_workqueue_add(q, "a-much-longer-new/key-reusing-the-record");
    ck_assert_int_eq(rc_workqueue_add(q, "old/key"), 0);
    ck_assert_uint_eq(rc_workqueue_len(q), 2);
    expect_next(q, "a-much-longer-new/key-reusing-the-record");
    expect_next(q, "old/key");
    /* keys longer than a small record get their own size */
    char longkey[300];
    memset(longkey, 'x', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    rc_workqueue_add(q, longkey);
    rc_workqueue_add(q, longkey);
    ck_assert_uint_eq(rc_workqueue_len(q), 1);
    expect_next(q, longkey);
    rc_workqueue_free(q);
}
END_TEST

static const char *find_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p += n)
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return p;
    return NULL;
}

START_TEST(metrics_are_recorded_and_rendered)
{
    rc_metrics *reg = rc_metrics_new();
    rc_workqueue_metrics_provider p;
    ck_assert_int_eq(rc_workqueue_metrics_default(reg, &p, NULL), 0);
    rc_clock *c = rc_clock_virtual_new(T0);
    rc_workqueue *q = NULL;
    ck_assert_int_eq(rc_workqueue_new(&(rc_workqueue_options){.name = "pods", .clock = c, .metrics = &p}, &q, NULL),
                     0);
    const char *k;
    rc_workqueue_add(q, "a");
    rc_workqueue_add(q, "a");
    rc_workqueue_add(q, "b");
    rc_clock_advance(c, 2 * RC_MSEC);
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), 0);
    rc_clock_advance(c, 3 * RC_MSEC);
    rc_workqueue_update_metrics(q);
    rc_workqueue_add_after(q, "later", RC_SEC);
    char *text = NULL;
    ck_assert_int_eq(rc_metrics_render(reg, &text, NULL, NULL), 0);
    ck_assert_ptr_nonnull(find_line(text, "workqueue_depth{name=\"pods\"} 1"));
    ck_assert_ptr_nonnull(find_line(text, "workqueue_adds_total{name=\"pods\"} 2"));
    ck_assert_ptr_nonnull(find_line(text, "workqueue_retries_total{name=\"pods\"} 1"));
    ck_assert_ptr_nonnull(find_line(text, "workqueue_unfinished_work_seconds{name=\"pods\"} 0.003"));
    ck_assert_ptr_nonnull(find_line(text, "workqueue_longest_running_processor_seconds{name=\"pods\"} 0.003"));
    ck_assert_ptr_nonnull(find_line(text, "workqueue_queue_duration_seconds_bucket{name=\"pods\",le=\"0.001\"} 0"));
    ck_assert_ptr_nonnull(find_line(text, "workqueue_queue_duration_seconds_bucket{name=\"pods\",le=\"0.01\"} 1"));
    ck_assert_ptr_nonnull(find_line(text, "workqueue_queue_duration_seconds_sum{name=\"pods\"} 0.002"));
    ck_assert_ptr_nonnull(find_line(text, "workqueue_work_duration_seconds_count{name=\"pods\"} 0"));
    free(text);
    ck_assert_int_eq(rc_workqueue_done(q, k), 0);
    ck_assert_int_eq(rc_metrics_render(reg, &text, NULL, NULL), 0);
    ck_assert_ptr_nonnull(find_line(text, "workqueue_work_duration_seconds_count{name=\"pods\"} 1"));
    ck_assert_ptr_nonnull(find_line(text, "workqueue_work_duration_seconds_sum{name=\"pods\"} 0.003"));
    free(text);
    rc_workqueue_free(q);
    rc_clock_free(c);
    rc_metrics_free(reg);
}
END_TEST

/* ---- many producers and workers hammering few keys ---- */

#define NKEYS 8
#define NPRODUCERS 3
#define NWORKERS 4
#define ADDS_PER_PRODUCER 20000

typedef struct hammer {
    rc_workqueue *q;
    char keys[NKEYS][16];
    atomic_int holders[NKEYS];    /* workers holding each key right now */
    atomic_long adds[NKEYS];      /* adds issued per key (counted before each add) */
    atomic_long last_seen[NKEYS]; /* the add count a worker observed when it last got the key */
    atomic_int violations;
    atomic_long processed;
    atomic_int next_producer;
} hammer;

static int key_index(const char *k) { return k[1] - '0'; }

static void *producer(void *arg)
{
    hammer *h = arg;
    rc_rand r;
    rc_rand_seed(&r, (uint64_t)atomic_fetch_add(&h->next_producer, 1) + 7);
    for (int i = 0; i < ADDS_PER_PRODUCER; i++) {
        int k = (int)rc_rand_below(&r, NKEYS);
        atomic_fetch_add(&h->adds[k], 1);
        rc_workqueue_add(h->q, h->keys[k]);
    }
    return NULL;
}

static void *worker(void *arg)
{
    hammer *h = arg;
    const char *k;
    while (rc_workqueue_get(h->q, &k) == 0) {
        int i = key_index(k);
        if (atomic_fetch_add(&h->holders[i], 1) != 0)
            atomic_fetch_add(&h->violations, 1);
        long seen = atomic_load(&h->adds[i]);
        long prev = atomic_load(&h->last_seen[i]);
        while (seen > prev && !atomic_compare_exchange_weak(&h->last_seen[i], &prev, seen))
            ;
        atomic_fetch_add(&h->processed, 1);
        atomic_fetch_sub(&h->holders[i], 1);
        rc_workqueue_done(h->q, k);
    }
    return NULL;
}

/* Runs the hammer on a queue keeping idle_keys idle records (0: the default). */
static void run_hammer(size_t idle_keys)
{
    static hammer h;
    memset(&h, 0, sizeof h);
    ck_assert_int_eq(rc_workqueue_new(&(rc_workqueue_options){.idle_keys = idle_keys}, &h.q, NULL), 0);
    for (int i = 0; i < NKEYS; i++)
        snprintf(h.keys[i], sizeof h.keys[i], "k%d", i);
    pthread_t p[NPRODUCERS], w[NWORKERS];
    for (int i = 0; i < NWORKERS; i++)
        pthread_create(&w[i], NULL, worker, &h);
    for (int i = 0; i < NPRODUCERS; i++)
        pthread_create(&p[i], NULL, producer, &h);
    for (int i = 0; i < NPRODUCERS; i++)
        pthread_join(p[i], NULL);
    rc_workqueue_shut_down(h.q);
    for (int i = 0; i < NWORKERS; i++)
        pthread_join(w[i], NULL);
    ck_assert_int_eq(atomic_load(&h.violations), 0);
    long total = 0;
    for (int i = 0; i < NKEYS; i++) {
        total += atomic_load(&h.adds[i]);
        /* the processing after each key's last add saw that add */
        ck_assert_int_eq(atomic_load(&h.last_seen[i]), atomic_load(&h.adds[i]));
    }
    ck_assert_int_eq(total, (long)NPRODUCERS * ADDS_PER_PRODUCER);
    ck_assert_int_gt(atomic_load(&h.processed), 0);
    ck_assert_int_le(atomic_load(&h.processed), total);
    rc_workqueue_free(h.q);
}

START_TEST(concurrent_exclusivity_and_no_lost_adds)
{
    run_hammer(0);
}
END_TEST

/* The same while records are evicted and reused for other keys all the time, racing the lock-free
 * adds that read them. */
START_TEST(concurrent_adds_race_record_reuse)
{
    run_hammer(1);
}
END_TEST

/* ---- one producer of unique keys, two workers (the W1 shape), records recycled all the time ---- */

#define NUNIQUE 30000

typedef struct unique_run {
    rc_workqueue *q;
    atomic_int handed[NUNIQUE];
} unique_run;

static void *unique_worker(void *arg)
{
    unique_run *u = arg;
    const char *k;
    while (rc_workqueue_get(u->q, &k) == 0) {
        atomic_fetch_add(&u->handed[atoi(k + 1)], 1);
        rc_workqueue_done(u->q, k);
    }
    return NULL;
}

START_TEST(concurrent_unique_keys_each_handed_out_once)
{
    static unique_run u;
    memset(&u, 0, sizeof u);
    ck_assert_int_eq(rc_workqueue_new(&(rc_workqueue_options){.idle_keys = 16}, &u.q, NULL), 0);
    pthread_t w[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&w[i], NULL, unique_worker, &u);
    char name[16];
    for (int i = 0; i < NUNIQUE; i++) {
        snprintf(name, sizeof name, "u%d", i);
        ck_assert_int_eq(rc_workqueue_add(u.q, name), 0);
    }
    rc_workqueue_shut_down(u.q);
    for (int i = 0; i < 2; i++)
        pthread_join(w[i], NULL);
    for (int i = 0; i < NUNIQUE; i++)
        ck_assert_int_eq(atomic_load(&u.handed[i]), 1);
    rc_workqueue_free(u.q);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("workqueue");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, dedup_and_fifo);
    tcase_add_test(tc, key_in_flight_is_exclusive_and_dirty);
    tcase_add_test(tc, bad_input_is_rejected);
    tcase_add_test(tc, delays_order_by_ready_time_then_insertion);
    tcase_add_test(tc, delay_merge_rules);
    tcase_add_test(tc, rate_limited_requeue_backs_off_until_forget);
    tcase_add_test(tc, retry_of_a_key_in_flight_by_pointer_or_copy);
    tcase_add_test(tc, many_delays_come_out_in_order);
    tcase_add_test(tc, priority_orders_and_raises);
    tcase_add_test(tc, aging_serves_oldest_after_every_n_skips);
    tcase_add_test(tc, low_priority_is_never_starved);
    tcase_add_test(tc, shut_down_refuses_adds_and_drops_delayed);
    tcase_add_test(tc, shut_down_wakes_blocked_getters);
    tcase_add_test(tc, blocked_getter_wakes_on_add_and_on_deadline);
    tcase_add_test(tc, notify_rechecks_virtual_clock);
    tcase_add_test(tc, drain_waits_for_every_key_handed_out);
    tcase_add_test(tc, idle_keys_are_recycled);
    tcase_add_test(tc, keys_sharing_a_lookaside_set_both_dedup_lock_free);
    tcase_add_test(tc, idle_scout_stays_on_the_idle_list);
    tcase_add_test(tc, delayed_keys_leave_and_move_without_coming_out_twice);
    tcase_add_test(tc, delay_heap_skips_and_sweeps_stale_entries);
    tcase_add_test(tc, metrics_are_recorded_and_rendered);
    tcase_add_test(tc, concurrent_exclusivity_and_no_lost_adds);
    tcase_add_test(tc, concurrent_adds_race_record_reuse);
    tcase_add_test(tc, concurrent_unique_keys_each_handed_out_once);
    tcase_add_test(tc, long_intake_batches_keep_order_and_priority);
    tcase_add_test(tc, due_key_does_not_wait_behind_a_long_batch);
    tcase_add_test(tc, producer_leaves_long_intake_to_busy_getters);
    tcase_add_test(tc, producer_past_the_intake_bound_does_not_wait_for_the_lock);
    tcase_add_test(tc, repeated_adds_keep_state_and_priority);
    tcase_add_test(tc, recycled_record_is_not_mistaken_for_its_old_key);
    tcase_add_test(tc, each_blocked_getter_gets_a_key);
    tcase_add_test(tc, sleeping_getter_wakes_for_an_earlier_deadline);
    tcase_add_test(tc, get_leaves_pending_adds_only_when_they_cannot_go_first);
    tcase_add_test(tc, intake_reports_earliest_due_and_top_priority);
    tcase_add_test(tc, lockless_done_is_finished_by_the_next_lock_holder);
    tcase_add_test(tc, drain_wakes_on_a_lockless_done);
    tcase_add_test(tc, add_racing_a_lockless_done_is_not_lost);
    tcase_add_test(tc, waiting_getter_keeps_waiting_through_a_long_delayed_intake);
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
