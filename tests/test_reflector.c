/* test_reflector.c - rc_reflector against the fake list-watch on a virtual clock: list then watch, paging,
 * re-watch after a clean end, relist on 410, bookmarks, the exact backoff sequence and its reset, jitter
 * bounds, typed errors, watch retries, watch-list with its fallbacks, periodic resync, and stop/run. */
#include <reconcile.h>
#include <reconcile/reflector.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "support/fake_listwatch.h"
#include "support/testutil.h"

#define T0 (1000 * RC_SEC)

typedef struct rig {
    fake_lw *lw;
    rc_clock *clock;
    rc_store *store;
    rc_delta_fifo *fifo;
    rc_reflector *r;
    rc_reflector_options opts;
} rig;

static void rig_init(rig *g)
{
    g->lw = fake_lw_new();
    g->clock = rc_clock_virtual_new(T0);
    g->store = rc_store_new();
    g->fifo = rc_delta_fifo_new(g->store);
    rc_reflector_options_init(&g->opts);
    g->opts.backoff_jitter = 0;
    g->opts.name = "pods";
}

static void rig_start(rig *g)
{
    g->r = rc_reflector_new(fake_lw_source(g->lw), g->fifo, g->clock, &g->opts);
    ck_assert_ptr_nonnull(g->r);
}

static void rig_free(rig *g)
{
    rc_reflector_free(g->r);
    rc_delta_fifo_free(g->fifo);
    rc_store_free(g->store);
    fake_lw_free(g->lw);
    rc_clock_free(g->clock);
}

static int apply(void *ctx, const char *key, const rc_delta *d, size_t n)
{
    rc_store *s = ctx;
    const rc_delta *last = &d[n - 1];
    if (last->type == RC_DELTA_DELETED)
        rc_store_delete_key(s, key);
    else
        rc_store_add(s, last->object);
    return 0;
}

/* Pops everything into the store; returns the number of keys popped. */
static int drain(rig *g)
{
    int n = 0;
    while (rc_delta_fifo_try_pop(g->fifo, apply, g->store) == 0)
        n++;
    return n;
}

static const char *rv(rig *g)
{
    static char buf[64];
    rc_reflector_last_sync_resource_version(g->r, buf, sizeof buf);
    return buf;
}

START_TEST(lists_then_watches_from_the_list_version)
{
    rig g;
    rig_init(&g);
    fake_lw_put(g.lw, "a", "p1", "web");
    fake_lw_put(g.lw, "a", "p2", "web");
    rig_start(&g);
    ck_assert_str_eq(rv(&g), "");
    ck_assert_int_eq(rc_reflector_step(g.r), 2);
    ck_assert_int_eq(fake_lw_calls(g.lw, FAKE_LIST), 1);
    ck_assert_str_eq(fake_lw_last_version(g.lw, FAKE_LIST), "0");
    ck_assert_int_eq(fake_lw_calls(g.lw, FAKE_WATCH), 1);
    ck_assert_str_eq(fake_lw_last_version(g.lw, FAKE_WATCH), "2");
    ck_assert(rc_reflector_has_listed(g.r));
    ck_assert_int_eq(drain(&g), 2);
    ck_assert(rc_delta_fifo_has_synced(g.fifo));
    ck_assert_int_eq(rc_reflector_next_deadline(g.r), RC_TIME_NEVER); /* idle on the watch */
    fake_lw_put(g.lw, "a", "p3", "web");
    fake_lw_remove(g.lw, "a", "p1");
    ck_assert_int_eq(rc_reflector_next_deadline(g.r), T0);
    ck_assert_int_eq(rc_reflector_step(g.r), 2);
    ck_assert_str_eq(rv(&g), "4");
    ck_assert_int_eq(drain(&g), 2);
    ck_assert_uint_eq(rc_store_len(g.store), 2);
    ck_assert_ptr_null(rc_store_get(g.store, "a/p1"));
    ck_assert_int_eq(rc_reflector_last_error(g.r, NULL), 0);
    rig_free(&g);
}
END_TEST

START_TEST(lists_in_pages)
{
    rig g;
    rig_init(&g);
    for (int i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%d", i);
        fake_lw_put(g.lw, "a", name, "web");
    }
    g.opts.page_size = 2;
    rig_start(&g);
    ck_assert_int_eq(rc_reflector_step(g.r), 5);
    ck_assert_int_eq(fake_lw_calls(g.lw, FAKE_LIST), 3);
    ck_assert_int_eq(fake_lw_last_limit(g.lw), 2);
    ck_assert_int_eq(drain(&g), 5);
    rig_free(&g);
}
END_TEST

START_TEST(clean_end_rewatches_from_last_version)
{
    rig g;
    rig_init(&g);
    fake_lw_put(g.lw, "a", "p1", "web");
    rig_start(&g);
    rc_reflector_step(g.r);
    fake_lw_put(g.lw, "a", "p1", "web");
    rc_reflector_step(g.r);
    rc_clock_advance(g.clock, 5 * RC_MINUTE);
    fake_lw_end_watches(g.lw);
    ck_assert_int_eq(rc_reflector_next_deadline(g.r), rc_clock_now(g.clock));
    rc_reflector_step(g.r);
    ck_assert_int_eq(fake_lw_calls(g.lw, FAKE_LIST), 1);
    ck_assert_int_eq(fake_lw_calls(g.lw, FAKE_WATCH), 2);
    ck_assert_str_eq(fake_lw_last_version(g.lw, FAKE_WATCH), "2");
    /* a stream that ends at once without events backs off before the next watch */
    fake_lw_end_watches(g.lw);
    rc_reflector_step(g.r);
    ck_assert_int_eq(fake_lw_calls(g.lw, FAKE_WATCH), 2);
    ck_assert_int_eq(rc_reflector_next_deadline(g.r), rc_clock_now(g.clock) + 800 * RC_MSEC);
    rig_free(&g);
}
END_TEST

START_TEST(gone_relists_from_latest)
{
    rig g;
    rig_init(&g);
    fake_lw_put(g.lw, "a", "p1", "web");
    fake_lw_put(g.lw, "a", "p2", "web");
    rig_start(&g);
    rc_reflector_step(g.r);
    drain(&g);
    /* the watch breaks, p2 is deleted while we are away, and the history is compacted */
    fake_lw_end_watches(g.lw);
    fake_lw_remove(g.lw, "a", "p2");
    fake_lw_compact(g.lw);
    rc_clock_advance(g.clock, 10 * RC_SEC);
    ck_assert_int_ge(rc_reflector_step(g.r), 1);
    ck_assert_int_eq(fake_lw_calls(g.lw, FAKE_WATCH), 3); /* 410, then the watch after the relist */
    ck_assert_int_eq(fake_lw_calls(g.lw, FAKE_LIST), 2);
    ck_assert_str_eq(fake_lw_last_version(g.lw, FAKE_LIST), ""); /* from the latest state */
    ck_assert_str_eq(fake_lw_last_version(g.lw, FAKE_WATCH), "3");
    ck_assert_int_eq(drain(&g), 2);
    ck_assert_ptr_null(rc_store_get(g.store, "a/p2")); /* the missed deletion arrived as a tombstone */
    ck_assert_int_eq(rc_reflector_last_error(g.r, NULL), 0);
    /* a 410 ERROR event in a stream that ran for a while relists at once too */
    rc_clock_advance(g.clock, RC_MINUTE);
    fake_lw_error_watches(g.lw, RC_EGONE);
    rc_reflector_step(g.r);
    ck_assert_int_eq(fake_lw_calls(g.lw, FAKE_LIST), 3);
    rig_free(&g);
}
END_TEST

START_TEST(bookmark_only_advances_version)
{
    rig g;
    rig_init(&g);
    fake_lw_put(g.lw, "a", "p1", "web");
    rig_start(&g);
    rc_reflector_step(g.r);
    drain(&g);
    fake_lw_remove_silently(g.lw, "a", "p1"); /* version 2 exists but is not ours to see */
    fake_lw_bookmark(g.lw);
    rc_reflector_step(g.r);
    ck_assert_str_eq(rv(&g), "2");
    ck_assert_uint_eq(rc_delta_fifo_len(g.fifo), 0);
    fake_lw_end_watches(g.lw);
    rc_clock_advance(g.clock, RC_MINUTE);
    rc_reflector_step(g.r);
    ck_assert_str_eq(fake_lw_last_version(g.lw, FAKE_WATCH), "2");
    rig_free(&g);
}
END_TEST

static int errors_seen;
static int last_error_code;
static void on_error(void *ctx, const rc_error *err)
{
    (void)ctx;
    errors_seen++;
    last_error_code = err->code;
}

START_TEST(backoff_sequence_and_reset)
{
    rig g;
    rig_init(&g);
    g.opts.on_error = on_error;
    errors_seen = 0;
    fake_lw_fail_next(g.lw, FAKE_LIST, RC_EFORBIDDEN, 9);
    rig_start(&g);
    const rc_duration expect[] = {800, 1600, 3200, 6400, 12800, 25600, 30000, 30000, 30000};
    for (int i = 0; i < 9; i++) {
        ck_assert_int_eq(rc_reflector_step(g.r), 0);
        ck_assert_int_eq(fake_lw_calls(g.lw, FAKE_LIST), i + 1);
        rc_time due = rc_reflector_next_deadline(g.r);
        ck_assert_int_eq(due - rc_clock_now(g.clock), expect[i] * RC_MSEC);
        rc_clock_advance(g.clock, expect[i] * RC_MSEC - 1);
        rc_reflector_step(g.r); /* not yet due: nothing happens */
        ck_assert_int_eq(fake_lw_calls(g.lw, FAKE_LIST), i + 1);
        rc_clock_advance(g.clock, 1);
    }
    rc_error err = {0};
    ck_assert_int_eq(rc_reflector_last_error(g.r, &err), RC_EFORBIDDEN);
    ck_assert_str_eq(err.reason, "Forbidden");
    rc_error_clear(&err);
    ck_assert_int_eq(errors_seen, 9);
    ck_assert_int_eq(last_error_code, RC_EFORBIDDEN);
    rc_reflector_step(g.r);
    ck_assert(rc_reflector_has_listed(g.r));
    ck_assert_int_eq(rc_reflector_last_error(g.r, NULL), 0);
    /* two healthy minutes later a failure starts again from 800 ms */
    rc_clock_advance(g.clock, 2 * RC_MINUTE);
    fake_lw_error_watches(g.lw, RC_EINTERNAL);
    rc_reflector_step(g.r);
    ck_assert_int_eq(rc_reflector_next_deadline(g.r) - rc_clock_now(g.clock), 800 * RC_MSEC);
    rig_free(&g);
}
END_TEST

START_TEST(jitter_stays_within_bounds)
{
    rig g;
    rig_init(&g);
    g.opts.backoff_jitter = 1.0;
    g.opts.seed = 42;
    fake_lw_fail_next(g.lw, FAKE_LIST, RC_EIO, 20);
    rig_start(&g);
    rc_duration base = 800 * RC_MSEC;
    for (int i = 0; i < 20; i++) {
        rc_reflector_step(g.r);
        rc_duration d = rc_reflector_next_deadline(g.r) - rc_clock_now(g.clock);
        ck_assert_int_ge(d, base);
        ck_assert_int_lt(d, 2 * base);
        rc_clock_advance(g.clock, d);
        base = base * 2 > 30 * RC_SEC ? 30 * RC_SEC : base * 2;
    }
    rig_free(&g);
}
END_TEST

START_TEST(transient_watch_failure_retries_watch)
{
    rig g;
    rig_init(&g);
    fake_lw_put(g.lw, "a", "p1", "web");
    fake_lw_fail_next(g.lw, FAKE_WATCH, RC_EUNAVAILABLE, 1);
    rig_start(&g);
    rc_reflector_step(g.r);
    ck_assert_int_eq(rc_reflector_last_error(g.r, NULL), RC_EUNAVAILABLE);
    rc_clock_advance(g.clock, 800 * RC_MSEC);
    rc_reflector_step(g.r);
    ck_assert_int_eq(fake_lw_calls(g.lw, FAKE_LIST), 1);
    ck_assert_int_eq(fake_lw_calls(g.lw, FAKE_WATCH), 2);
    ck_assert_str_eq(fake_lw_last_version(g.lw, FAKE_WATCH), "1");
    /* a non-transient watch failure relists after the backoff */
    fake_lw_fail_next(g.lw, FAKE_WATCH, RC_EFORBIDDEN, 1);
    fake_lw_end_watches(g.lw);
    rc_clock_advance(g.clock, 10 * RC_SEC);
    rc_reflector_step(g.r);
    ck_assert_int_eq(fake_lw_calls(g.lw, FAKE_LIST), 1);
    rc_clock_advance(g.clock, 1600 * RC_MSEC);
    rc_reflector_step(g.r);
    ck_assert_int_eq(fake_lw_calls(g.lw, FAKE_LIST), 2);
    rig_free(&g);
}
END_TEST

START_TEST(watch_list_streams_initial_state)
{
    rig g;
    rig_init(&g);
    fake_lw_put(g.lw, "a", "p1", "web");
    fake_lw_put(g.lw, "a", "p2", "web");
    g.opts.use_watch_list = true;
    rig_start(&g);
    ck_assert_int_eq(rc_reflector_step(g.r), 2);
    ck_assert_int_eq(fake_lw_calls(g.lw, FAKE_LIST), 0);
    ck_assert(rc_reflector_has_listed(g.r));
    ck_assert_str_eq(rv(&g), "2");
    ck_assert_int_eq(drain(&g), 2);
    ck_assert(rc_delta_fifo_has_synced(g.fifo));
    fake_lw_put(g.lw, "a", "p3", "web"); /* the same stream goes on */
    ck_assert_int_eq(rc_reflector_step(g.r), 1);
    ck_assert(!rc_reflector_watch_list_fell_back(g.r));
    rig_free(&g);
}
END_TEST

START_TEST(watch_list_falls_back_to_list)
{
    rig g;
    rig_init(&g);
    fake_lw_put(g.lw, "a", "p1", "web");
    fake_lw_set_watch_list(g.lw, FAKE_WATCH_LIST_REJECTED);
    g.opts.use_watch_list = true;
    rig_start(&g);
    ck_assert_int_eq(rc_reflector_step(g.r), 1);
    ck_assert(rc_reflector_watch_list_fell_back(g.r));
    ck_assert_int_eq(fake_lw_calls(g.lw, FAKE_LIST), 1);
    rig_free(&g);

    rig_init(&g);
    fake_lw_put(g.lw, "a", "p1", "web");
    fake_lw_set_watch_list(g.lw, FAKE_WATCH_LIST_IGNORED);
    g.opts.use_watch_list = true;
    g.opts.watch_list_timeout = 5 * RC_SEC;
    rig_start(&g);
    ck_assert_int_eq(rc_reflector_step(g.r), 0);
    ck_assert_int_eq(rc_reflector_next_deadline(g.r), T0 + 5 * RC_SEC);
    rc_clock_advance(g.clock, 5 * RC_SEC);
    ck_assert_int_eq(rc_reflector_step(g.r), 1);
    ck_assert(rc_reflector_watch_list_fell_back(g.r));
    ck_assert_int_eq(fake_lw_calls(g.lw, FAKE_LIST), 1);
    ck_assert_uint_eq(fake_lw_open_watches(g.lw), 1); /* the abandoned stream was stopped */
    rig_free(&g);
}
END_TEST

static bool allow_resync;
static bool gate(void *ctx)
{
    (void)ctx;
    return allow_resync;
}

START_TEST(periodic_resync_on_the_clock)
{
    rig g;
    rig_init(&g);
    fake_lw_put(g.lw, "a", "p1", "web");
    g.opts.resync_period = 30 * RC_SEC;
    g.opts.should_resync = gate;
    allow_resync = true;
    rig_start(&g);
    rc_reflector_step(g.r);
    drain(&g);
    ck_assert_int_eq(rc_reflector_next_deadline(g.r), T0 + 30 * RC_SEC);
    rc_clock_advance(g.clock, 30 * RC_SEC);
    rc_reflector_step(g.r);
    ck_assert_uint_eq(rc_delta_fifo_len(g.fifo), 1);
    drain(&g);
    allow_resync = false;
    rc_clock_advance(g.clock, 30 * RC_SEC);
    rc_reflector_step(g.r);
    ck_assert_uint_eq(rc_delta_fifo_len(g.fifo), 0);
    ck_assert_int_eq(rc_reflector_next_deadline(g.r), T0 + 90 * RC_SEC);
    rig_free(&g);
}
END_TEST

static void *run_thread(void *arg)
{
    return (void *)(intptr_t)rc_reflector_run(arg);
}

START_TEST(run_blocks_until_stop)
{
    fake_lw *lw = fake_lw_new();
    fake_lw_put(lw, "a", "p1", "web");
    rc_delta_fifo *fifo = rc_delta_fifo_new(NULL);
    rc_reflector *r = rc_reflector_new(fake_lw_source(lw), fifo, rc_clock_real(), NULL);
    pthread_t t;
    pthread_create(&t, NULL, run_thread, r);
    rc_store *s = rc_store_new();
    ck_assert_int_eq(rc_delta_fifo_pop(fifo, apply, s, RC_TIME_NEVER), 0); /* listed */
    fake_lw_put(lw, "a", "p2", "web");
    ck_assert_int_eq(rc_delta_fifo_pop(fifo, apply, s, RC_TIME_NEVER), 0); /* watched */
    ck_assert_uint_eq(rc_store_len(s), 2);
    rc_reflector_stop(r);
    void *rc;
    pthread_join(t, &rc);
    ck_assert_int_eq((int)(intptr_t)rc, 0);
    ck_assert_int_eq(rc_reflector_step(r), RC_ECLOSED);
    rc_reflector_free(r);
    rc_delta_fifo_free(fifo);
    rc_store_free(s);
    fake_lw_free(lw);
    ck_assert_ptr_null(rc_reflector_new((rc_list_watch){0}, NULL, NULL, NULL));
}
END_TEST

int main(void)
{
    rc_log_set_level(RC_LOG_ERROR);
    Suite *s = suite_create("reflector");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, lists_then_watches_from_the_list_version);
    tcase_add_test(tc, lists_in_pages);
    tcase_add_test(tc, clean_end_rewatches_from_last_version);
    tcase_add_test(tc, gone_relists_from_latest);
    tcase_add_test(tc, bookmark_only_advances_version);
    tcase_add_test(tc, backoff_sequence_and_reset);
    tcase_add_test(tc, jitter_stays_within_bounds);
    tcase_add_test(tc, transient_watch_failure_retries_watch);
    tcase_add_test(tc, watch_list_streams_initial_state);
    tcase_add_test(tc, watch_list_falls_back_to_list);
    tcase_add_test(tc, periodic_resync_on_the_clock);
    tcase_add_test(tc, run_blocks_until_stop);
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
