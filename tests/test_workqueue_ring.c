/* test_workqueue_ring.c - the workqueue's ready ring (lib/workqueue/readyring.h): gets that take the
 * oldest ready keys without the queue lock hand them out in the same order, with the same de-duplication,
 * length and priority rules as the locked path: a key ready at a higher level, an add waiting at a
 * higher priority, a delayed key that becomes ready above the ring, and a key in the ring raised to a
 * higher priority all go first; keys taken from the ring are done by pointer or by copy, marked dirty,
 * waited for by a drain; getters catch up once the ring falls to half of what the last fill left in it;
 * a queue with metrics never uses the ring. Single-threaded unless said; the many-thread tests in
 * test_workqueue.c run through the ring as well. */
#include <reconcile/workqueue.h>

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "support/testutil.h"
#include "support/wq_drain.h"
#include "workqueue/queue.h"
#include "workqueue/queue_internal.h"

#define T0 ((rc_time)1000 * RC_SEC)
#define NKEYS 1000

static rc_workqueue *new_queue(rc_clock *clock)
{
    rc_workqueue *q = NULL;
    ck_assert_int_eq(rc_workqueue_new(&(rc_workqueue_options){.name = "ring", .clock = clock}, &q, NULL), 0);
    return q;
}

static void add_keys(rc_workqueue *q, const char *prefix, int n, int priority)
{
    char name[32];
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%s%d", prefix, i);
        ck_assert_int_eq(rc_workqueue_add_priority(q, name, priority), 0);
    }
}

/* Gets the next key (blocking get: keys are ready), checks it is `want`, and marks it done. */
static void expect_get(rc_workqueue *q, const char *want)
{
    const char *k = NULL;
    ck_assert_int_eq(rc_workqueue_get(q, &k), 0);
    ck_assert_str_eq(k, want);
    ck_assert_int_eq(rc_workqueue_done(q, k), 0);
}

static void expect_run(rc_workqueue *q, const char *prefix, int from, int to)
{
    char name[32];
    for (int i = from; i < to; i++) {
        snprintf(name, sizeof name, "%s%d", prefix, i);
        expect_get(q, name);
    }
}

static size_t ring_len(rc_workqueue *q) { return rci_readyring_len(&q->ring); }

START_TEST(ring_keeps_fifo_order_dedup_and_length)
{
    rc_workqueue *q = new_queue(NULL);
    add_keys(q, "k", NKEYS, RC_WORKQUEUE_PRIORITY_NORMAL);
    expect_get(q, "k0");
    ck_assert_uint_gt(ring_len(q), 0); /* the next keys now wait in the ring */
    ck_assert_uint_eq(rc_workqueue_len(q), NKEYS - 1);
    ck_assert_int_eq(rc_workqueue_add(q, "k1"), 0); /* in the ring: nothing changes */
    ck_assert_int_eq(rc_workqueue_add(q, "k999"), 0);
    ck_assert_uint_eq(rc_workqueue_len(q), NKEYS - 1);
    uint64_t head = atomic_load(&q->ring.head);
    expect_run(q, "k", 1, NKEYS);
    ck_assert_uint_gt(atomic_load(&q->ring.head) - head, NKEYS / 2); /* most came out of the ring */
    const char *k;
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), RC_EAGAIN);
    ck_assert_uint_eq(rc_workqueue_len(q), 0);
    rc_workqueue_free(q);
}
END_TEST

/* A key ready at a higher level goes ahead of the ring, whether its add is still waiting in the intake
 * or already applied (the ring is closed to lock-free gets); the ring's keys follow in order. */
START_TEST(higher_level_goes_ahead_of_the_ring)
{
    rc_workqueue *q = new_queue(NULL);
    add_keys(q, "low", 100, RC_WORKQUEUE_PRIORITY_LOW);
    expect_get(q, "low0");
    ck_assert_uint_gt(ring_len(q), 0);
    ck_assert_int_eq(rc_workqueue_add_priority(q, "urgent", RC_WORKQUEUE_PRIORITY_HIGH), 0);
    expect_get(q, "urgent"); /* waiting in the intake */
    ck_assert_int_eq(rc_workqueue_add_priority(q, "live", RC_WORKQUEUE_PRIORITY_NORMAL), 0);
    ck_assert_uint_eq(rc_workqueue_len(q), 100); /* applies the add */
    ck_assert(!atomic_load(&q->ring.open));
    expect_get(q, "live");
    expect_run(q, "low", 1, 100);
    rc_workqueue_free(q);
}
END_TEST

/* A key in the ring added again at a higher priority moves up, and comes out once. */
START_TEST(raising_a_key_in_the_ring_moves_it_up)
{
    rc_workqueue *q = new_queue(NULL);
    add_keys(q, "k", 100, RC_WORKQUEUE_PRIORITY_LOW);
    expect_get(q, "k0");
    ck_assert_int_eq(rc_workqueue_add_priority(q, "k50", RC_WORKQUEUE_PRIORITY_HIGH), 0);
    ck_assert_uint_eq(rc_workqueue_len(q), 99); /* applied under the lock: k50 leaves the ring */
    expect_get(q, "k50");
    expect_run(q, "k", 1, 50);
    expect_run(q, "k", 51, 100);
    const char *k;
    ck_assert_int_eq(rc_workqueue_try_get(q, &k), RC_EAGAIN);
    rc_workqueue_free(q);
}
END_TEST

/* A delayed key that becomes ready above the ring's level closes the ring until it is out; one at the
 * ring's level queues behind the ring's keys. */
START_TEST(delayed_key_above_the_ring_goes_first)
{
    rc_clock *c = rc_clock_virtual_new(T0);
    rc_workqueue *q = new_queue(c);
    add_keys(q, "k", 100, RC_WORKQUEUE_PRIORITY_NORMAL);
    expect_get(q, "k0");
    rc_workqueue_add_options high = {.priority = RC_WORKQUEUE_PRIORITY_HIGH, .after = RC_SEC};
    ck_assert_int_eq(rc_workqueue_add_opts(q, "soon", &high), 0);
    ck_assert_int_eq(rc_workqueue_add_after(q, "later", RC_SEC), 0);
    ck_assert_uint_eq(rc_workqueue_len(q), 99); /* applied under the lock, the ring still full */
    ck_assert_uint_gt(ring_len(q), 0);
    expect_get(q, "k1");
    rc_clock_advance(c, RC_SEC);
    expect_get(q, "soon");
    expect_run(q, "k", 2, 100);
    expect_get(q, "later");
    rc_workqueue_free(q);
    rc_clock_free(c);
}
END_TEST

/* A key taken from the ring is in flight like any other: done by a copy of its key (once), dirty when
 * added meanwhile, and ready again at done. */
START_TEST(ring_key_in_flight_is_done_by_copy_and_can_be_dirty)
{
    rc_workqueue *q = new_queue(NULL);
    add_keys(q, "k", 10, RC_WORKQUEUE_PRIORITY_NORMAL);
    expect_get(q, "k0");
    const char *a, *b;
    uint64_t head = atomic_load(&q->ring.head);
    ck_assert_int_eq(rc_workqueue_get(q, &a), 0);
    ck_assert_int_eq(rc_workqueue_get(q, &b), 0);
    ck_assert_uint_eq(atomic_load(&q->ring.head) - head, 2);
    ck_assert_str_eq(a, "k1");
    ck_assert_str_eq(b, "k2");
    ck_assert_int_eq(rc_workqueue_add(q, "k1"), 0); /* in flight: dirty */
    ck_assert_uint_eq(rc_workqueue_len(q), 7);
    char copy[] = "k1";
    ck_assert_int_eq(rc_workqueue_done(q, copy), 0);
    ck_assert_int_eq(rc_workqueue_done(q, copy), RC_ENOTFOUND);
    ck_assert_uint_eq(rc_workqueue_len(q), 8); /* k1 is back, behind k9 */
    ck_assert_int_eq(rc_workqueue_done(q, b), 0);
    expect_run(q, "k", 3, 10);
    expect_get(q, "k1");
    rc_workqueue_free(q);
}
END_TEST

/* With few keys ready a fill leaves few in the ring, and getters taking from it catch up (apply the
 * intake, top the ring up) only once it falls to half of that, not at every get. */
START_TEST(getters_catch_up_when_the_ring_falls_to_half_its_fill)
{
    rc_workqueue *q = new_queue(NULL);
    add_keys(q, "k", 11, RC_WORKQUEUE_PRIORITY_NORMAL);
    expect_get(q, "k0"); /* starts the ring with the other 10 */
    ck_assert_uint_eq(ring_len(q), 10);
    ck_assert_uint_eq(atomic_load(&q->ring.low), 5);
    ck_assert_int_eq(rc_workqueue_add(q, "new"), 0);
    size_t pending = rci_intake_pending(&q->intake);
    ck_assert_uint_gt(pending, 0);
    expect_run(q, "k", 1, 6); /* 9, 8, 7, 6, 5 left: no catch-up yet */
    ck_assert_uint_eq(rci_intake_pending(&q->intake), pending);
    expect_get(q, "k6"); /* 4 left: this get catches up and tops the ring up with "new" */
    ck_assert_uint_eq(rci_intake_pending(&q->intake), 0);
    ck_assert_uint_eq(ring_len(q), 5); /* k7..k10 and new */
    ck_assert_uint_eq(atomic_load(&q->ring.low), 2);
    expect_run(q, "k", 7, 11);
    expect_get(q, "new");
    rc_workqueue_free(q);
}
END_TEST

/* Two threads: a drain waits for a key a lock-free get took from the ring. */
START_TEST(drain_waits_for_a_key_taken_from_the_ring)
{
    rc_workqueue *q = new_queue(NULL);
    add_keys(q, "k", 3, RC_WORKQUEUE_PRIORITY_NORMAL);
    expect_get(q, "k0");
    uint64_t head = atomic_load(&q->ring.head);
    const char *k;
    ck_assert_int_eq(rc_workqueue_get(q, &k), 0);
    ck_assert_uint_eq(atomic_load(&q->ring.head) - head, 1);
    rc_test_drainer d;
    rc_test_drain_start(&d, q);
    ck_assert(!atomic_load(&d.finished));
    ck_assert_int_eq(rc_workqueue_done(q, k), 0);
    rc_test_drain_join(&d);
    ck_assert(atomic_load(&d.finished));
    expect_get(q, "k2"); /* a shut-down queue still hands out what it holds */
    ck_assert_int_eq(rc_workqueue_get(q, &k), RC_ECLOSED);
    rc_workqueue_free(q);
}
END_TEST

/* The metrics hooks run under the queue lock, so a queue with metrics hands every key out under it. */
START_TEST(queue_with_metrics_never_uses_the_ring)
{
    rc_metrics *reg = rc_metrics_new();
    rc_workqueue_metrics_provider m;
    ck_assert_int_eq(rc_workqueue_metrics_default(reg, &m, NULL), 0);
    rc_workqueue *q = NULL;
    ck_assert_int_eq(rc_workqueue_new(&(rc_workqueue_options){.metrics = &m}, &q, NULL), 0);
    add_keys(q, "k", 100, RC_WORKQUEUE_PRIORITY_NORMAL);
    expect_run(q, "k", 0, 100);
    ck_assert_uint_eq(atomic_load(&q->ring.tail), 0);
    rc_workqueue_free(q);
    rc_metrics_free(reg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("workqueue_ring");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, ring_keeps_fifo_order_dedup_and_length);
    tcase_add_test(tc, higher_level_goes_ahead_of_the_ring);
    tcase_add_test(tc, raising_a_key_in_the_ring_moves_it_up);
    tcase_add_test(tc, delayed_key_above_the_ring_goes_first);
    tcase_add_test(tc, ring_key_in_flight_is_done_by_copy_and_can_be_dirty);
    tcase_add_test(tc, getters_catch_up_when_the_ring_falls_to_half_its_fill);
    tcase_add_test(tc, drain_waits_for_a_key_taken_from_the_ring);
    tcase_add_test(tc, queue_with_metrics_never_uses_the_ring);
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
