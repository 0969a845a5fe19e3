/* test_informer.c - shared informers: one cache and one watch per source through the factory, handler
 * add/update/delete semantics with relist tombstones, per-handler resync fan-out, late handler replay,
 * per-handler buffers and backlog warnings, typed sync failures, transforms, memory report, watch-list,
 * batched delivery (order across batches, a handler removing itself mid-batch), and the threaded driver
 * with a blocked handler (run under TSan) and clean stop. */
#include <reconcile.h>
#include <reconcile/informer.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "support/fake_listwatch.h"
#include "support/testutil.h"

#define T0 (1000 * RC_SEC)

/* A handler that records "A:key", "U:key:oldrv>newrv", "D:key" or "D!:key" lines. */
typedef struct recorder {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* signalled on every add */
    char log[4096];
    int adds, updates, deletes;
} recorder;

static void rec_init(recorder *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->cond, NULL);
}

/* Blocks until the handler saw n adds (threaded tests). */
static void rec_wait_adds(recorder *r, int n)
{
    pthread_mutex_lock(&r->lock);
    while (r->adds < n)
        pthread_cond_wait(&r->cond, &r->lock);
    pthread_mutex_unlock(&r->lock);
}

static void rec_line(recorder *r, const char *fmt, const char *a, const char *b, const char *c)
{
    pthread_mutex_lock(&r->lock);
    size_t len = strlen(r->log);
    snprintf(r->log + len, sizeof r->log - len, fmt, a, b, c);
    pthread_mutex_unlock(&r->lock);
}

static void on_add(void *ctx, rc_object *obj)
{
    recorder *r = ctx;
    rec_line(r, "A:%s%s%s ", rc_object_key(obj), "", "");
    pthread_mutex_lock(&r->lock);
    r->adds++;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

static void on_update(void *ctx, rc_object *old, rc_object *obj)
{
    recorder *r = ctx;
    __atomic_add_fetch(&r->updates, 1, __ATOMIC_SEQ_CST);
    rec_line(r, "U:%s:%s>%s ", rc_object_key(obj), rc_object_resource_version(old), rc_object_resource_version(obj));
}

static void on_delete(void *ctx, rc_object *obj, bool unknown)
{
    recorder *r = ctx;
    __atomic_add_fetch(&r->deletes, 1, __ATOMIC_SEQ_CST);
    rec_line(r, unknown ? "D!:%s%s%s " : "D:%s%s%s ", rc_object_key(obj), "", "");
}

static const rc_event_handler recording = {on_add, on_update, on_delete};

static int provide(void *ctx, const rc_informer_source *src, rc_list_watch *out, rc_error *err)
{
    if (strcmp(src->resource, "widgets") == 0)
        return rc_error_set(err, RC_ENOTFOUND, "the server could not find the requested resource");
    *out = fake_lw_source(ctx);
    return 0;
}

static const rc_informer_source pods = {"", "v1", "pods", NULL, NULL, NULL};

typedef struct rig {
    fake_lw *lw;
    rc_clock *clock;
    rc_informer_factory *f;
    rc_informer *inf;
} rig;

static void rig_init(rig *g, const rc_informer_options *opts)
{
    g->lw = fake_lw_new();
    g->clock = rc_clock_virtual_new(T0);
    rc_informer_options o;
    rc_informer_options_init(&o);
    if (opts)
        o = *opts;
    o.reflector.backoff_jitter = 0;
    g->f = rc_informer_factory_new(provide, g->lw, g->clock, &o);
    g->inf = rc_informer_factory_get(g->f, &pods, NULL);
    ck_assert_ptr_nonnull(g->inf);
}

static void settle(rig *g)
{
    while (rc_informer_factory_step(g->f, 1000) > 0)
        ;
}

static void rig_free(rig *g)
{
    rc_informer_factory_free(g->f);
    fake_lw_free(g->lw);
    rc_clock_free(g->clock);
}

START_TEST(factory_shares_one_informer_and_watch)
{
    rig g;
    rig_init(&g, NULL);
    ck_assert_ptr_eq(rc_informer_factory_get(g.f, &pods, NULL), g.inf);
    rc_informer_source in_ns = pods;
    in_ns.namespace_ = "a";
    rc_informer *scoped = rc_informer_factory_get(g.f, &in_ns, NULL);
    ck_assert_ptr_nonnull(scoped);
    ck_assert_ptr_ne(scoped, g.inf);
    ck_assert_uint_eq(rc_informer_factory_count(g.f), 2);
    rc_error err = {0};
    rc_informer_source widgets = {"example.com", "v1", "widgets", NULL, NULL, NULL};
    ck_assert_ptr_null(rc_informer_factory_get(g.f, &widgets, &err));
    ck_assert_int_eq(err.code, RC_ENOTFOUND);
    rc_error_clear(&err);
    rc_informer_source bad = {"", NULL, "pods", NULL, NULL, NULL};
    ck_assert_ptr_null(rc_informer_factory_get(g.f, &bad, &err));
    ck_assert_int_eq(err.code, RC_EINVAL);
    rc_error_clear(&err);

    recorder a, b;
    rec_init(&a);
    rec_init(&b);
    rc_informer_add_handler(g.inf, &recording, &a, 0, NULL);
    rc_informer_add_handler(rc_informer_factory_get(g.f, &pods, NULL), &recording, &b, 0, NULL);
    fake_lw_put(g.lw, "a", "p1", "web");
    rc_informer_factory_start(g.f);
    settle(&g);
    ck_assert(rc_informer_has_synced(g.inf));
    ck_assert_int_eq(rc_informer_factory_wait_for_sync(g.f, 0, NULL), 0);
    ck_assert_int_eq(fake_lw_calls(g.lw, FAKE_WATCH), 2); /* one per informer, not per handler */
    ck_assert_str_eq(a.log, "A:a/p1 ");
    ck_assert_str_eq(b.log, "A:a/p1 ");
    rig_free(&g);
}
END_TEST

START_TEST(handlers_see_add_update_delete_and_tombstones)
{
    rig g;
    rig_init(&g, NULL);
    recorder r;
    rec_init(&r);
    rc_informer_add_handler(g.inf, &recording, &r, 0, NULL);
    fake_lw_put(g.lw, "a", "p1", "web");
    fake_lw_put(g.lw, "a", "p2", "web");
    rc_informer_factory_start(g.f);
    settle(&g);
    fake_lw_put(g.lw, "a", "p1", "web");
    fake_lw_remove(g.lw, "a", "p2");
    settle(&g);
    ck_assert_str_eq(r.log, "A:a/p1 A:a/p2 U:a/p1:1>3 D:a/p2 ");
    /* p1 disappears while the watch is down and the history is compacted: a tombstone at relist */
    r.log[0] = '\0';
    fake_lw_end_watches(g.lw);
    fake_lw_remove(g.lw, "a", "p1");
    fake_lw_put(g.lw, "a", "p3", "web");
    fake_lw_compact(g.lw);
    rc_clock_advance(g.clock, RC_MINUTE);
    settle(&g);
    ck_assert_str_eq(r.log, "A:a/p3 D!:a/p1 ");
    rc_store *s = rc_informer_store(g.inf);
    ck_assert_uint_eq(rc_store_len(s), 1);
    char rv[32];
    rc_informer_last_sync_resource_version(g.inf, rv, sizeof rv);
    ck_assert_str_eq(rv, "6");
    rig_free(&g);
}
END_TEST

START_TEST(resync_fans_out_per_handler_period)
{
    rig g;
    rig_init(&g, NULL);
    recorder fast, slow, never;
    rec_init(&fast);
    rec_init(&slow);
    rec_init(&never);
    rc_informer_add_handler(g.inf, &recording, &fast, 10 * RC_SEC, NULL);
    rc_informer_add_handler(g.inf, &recording, &slow, 30 * RC_SEC, NULL);
    rc_informer_add_handler(g.inf, &recording, &never, 0, NULL);
    fake_lw_put(g.lw, "a", "p1", "web");
    rc_informer_factory_start(g.f);
    settle(&g);
    ck_assert_int_eq(rc_informer_factory_next_deadline(g.f), T0 + 10 * RC_SEC);
    for (int i = 1; i <= 3; i++) {
        rc_clock_advance(g.clock, 10 * RC_SEC);
        settle(&g);
        ck_assert_int_eq(fast.updates, i);
    }
    ck_assert_int_eq(slow.updates, 1);
    ck_assert_int_eq(never.updates, 0);
    ck_assert_ptr_nonnull(strstr(fast.log, "U:a/p1:1>1"));
    /* a relist that brings nothing new is a resync: it goes to the handlers of the last resync round
     * (upstream's syncingListeners), never to a handler without a resync period */
    fake_lw_error_watches(g.lw, RC_EGONE);
    settle(&g);
    ck_assert_int_eq(never.updates, 0);
    ck_assert_int_eq(fast.updates, 4);
    rig_free(&g);
}
END_TEST

START_TEST(late_handler_gets_replay)
{
    rig g;
    rig_init(&g, NULL);
    fake_lw_put(g.lw, "a", "p1", "web");
    fake_lw_put(g.lw, "b", "p2", "web");
    rc_informer_factory_start(g.f);
    settle(&g);
    recorder late;
    rec_init(&late);
    rc_handler_registration *reg = rc_informer_add_handler(g.inf, &recording, &late, 0, NULL);
    ck_assert_uint_eq(rc_handler_backlog(reg), 2);
    settle(&g);
    ck_assert_int_eq(late.adds, 2);
    fake_lw_put(g.lw, "a", "p3", "web");
    settle(&g);
    ck_assert_int_eq(late.adds, 3);
    ck_assert_int_eq(rc_informer_remove_handler(g.inf, reg), 0);
    ck_assert_int_eq(rc_informer_remove_handler(g.inf, reg), RC_ENOTFOUND);
    fake_lw_put(g.lw, "a", "p4", "web");
    settle(&g);
    ck_assert_int_eq(late.adds, 3);
    rig_free(&g);
}
END_TEST

static int warnings;
static void count_warnings(void *ctx, const rc_log_record *rec)
{
    (void)ctx;
    if (rec->level == RC_LOG_WARN && strstr(rec->message, "buffered"))
        warnings++;
}

START_TEST(each_handler_has_its_own_buffer)
{
    rc_informer_options o;
    rc_informer_options_init(&o);
    o.backlog_warn = 4;
    rig g;
    rig_init(&g, &o);
    recorder r1, r2;
    rec_init(&r1);
    rec_init(&r2);
    rc_handler_registration *h1 = rc_informer_add_handler(g.inf, &recording, &r1, 0, NULL);
    rc_handler_registration *h2 = rc_informer_add_handler(g.inf, &recording, &r2, 0, NULL);
    for (int i = 0; i < 10; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%d", i);
        fake_lw_put(g.lw, "a", name, "web");
    }
    warnings = 0;
    rc_log_set_sink(count_warnings, NULL, RC_LOG_WARN);
    rc_informer_start(g.inf);
    ck_assert_int_eq(rc_informer_step(g.inf, 0), 10); /* listed, nothing popped or delivered */
    ck_assert_int_eq(rc_informer_pump(g.inf, 100), 10);
    ck_assert_uint_eq(rc_store_len(rc_informer_store(g.inf)), 10); /* the cache does not wait */
    ck_assert_uint_eq(rc_handler_backlog(h1), 10);
    ck_assert_int_eq(warnings, 4); /* at 4 and 8 for each handler */
    ck_assert_int_eq(rc_informer_dispatch(g.inf, 3), 3);
    ck_assert_int_eq(r1.adds + r2.adds, 3);
    ck_assert_uint_eq(rc_handler_backlog(h1) + rc_handler_backlog(h2), 17);
    rc_informer_memory m;
    rc_informer_memory_report(g.inf, &m);
    ck_assert_uint_eq(m.objects, 10);
    ck_assert_uint_gt(m.object_bytes, 10 * 50);
    ck_assert_uint_gt(m.store_bytes, 0);
    ck_assert_uint_eq(m.handler_backlog, 17);
    ck_assert_uint_eq(rc_handler_max_backlog(h2), 10);
    rc_log_set_sink(NULL, NULL, RC_LOG_ERROR);
    rig_free(&g);
}
END_TEST

static int sync_errors;
static void on_sync_error(void *ctx, rc_informer *inf, const rc_error *err)
{
    (void)ctx;
    (void)inf;
    (void)err;
    sync_errors++;
}

START_TEST(sync_failures_are_typed_and_fail_fast)
{
    rc_informer_options o;
    rc_informer_options_init(&o);
    o.on_sync_error = on_sync_error;
    rig g;
    rig_init(&g, &o);
    sync_errors = 0;
    fake_lw_fail_next(g.lw, FAKE_LIST, RC_EFORBIDDEN, 1);
    rc_informer_factory_start(g.f);
    settle(&g);
    rc_error err = {0};
    ck_assert_int_eq(rc_informer_wait_for_sync(g.inf, RC_TIME_NEVER, &err), RC_EFORBIDDEN);
    ck_assert_str_eq(err.reason, "Forbidden");
    rc_error_clear(&err);
    ck_assert_int_eq(sync_errors, 1);
    ck_assert_int_eq(rc_informer_factory_wait_for_sync(g.f, RC_TIME_NEVER, NULL), RC_EFORBIDDEN);
    /* unreachable is not fatal: the wait runs into its timeout and names the cause */
    rc_clock_advance(g.clock, RC_SEC);
    fake_lw_fail_next(g.lw, FAKE_LIST, RC_EIO, 1);
    settle(&g);
    ck_assert_int_eq(rc_informer_sync_error(g.inf, NULL), RC_EIO);
    ck_assert_int_eq(rc_informer_wait_for_sync(g.inf, RC_MSEC, &err), RC_ETIMEOUT);
    ck_assert_ptr_nonnull(strstr(err.message, "injected list failure"));
    rc_error_clear(&err);
    rc_clock_advance(g.clock, 2 * RC_SEC);
    settle(&g);
    ck_assert_int_eq(rc_informer_wait_for_sync(g.inf, 0, NULL), 0);
    ck_assert_int_eq(rc_informer_sync_error(g.inf, NULL), 0);
    rig_free(&g);
}
END_TEST

static rc_object *add_label(void *ctx, rc_object *obj)
{
    (void)ctx;
    rc_object *copy = rc_object_copy(obj);
    rc_object_set_label(copy, "seen", "yes");
    return rc_object_freeze(copy);
}

START_TEST(transform_runs_before_the_cache)
{
    rig g;
    rig_init(&g, NULL);
    fake_lw_put_json(g.lw, "{\"metadata\":{\"namespace\":\"a\",\"name\":\"m\",\"managedFields\":[{\"manager\":\"kubectl\"}]}}");
    rc_informer_factory_start(g.f);
    settle(&g);
    rc_object *m = rc_lister_get(rc_informer_store(g.inf), "a", "m");
    ck_assert_ptr_nonnull(m);
    ck_assert(!rc_node_exists(rc_object_at(m, "metadata.managedFields")));
    rc_object_unref(m);
    rig_free(&g);

    rc_informer_options o;
    rc_informer_options_init(&o);
    o.transform = add_label;
    rig_init(&g, &o);
    fake_lw_put(g.lw, "a", "p", "web");
    rc_informer_factory_start(g.f);
    settle(&g);
    rc_object *p = rc_lister_get(rc_informer_store(g.inf), "a", "p");
    ck_assert_str_eq(rc_object_label(p, "seen"), "yes");
    rc_object_unref(p);
    rig_free(&g);
}
END_TEST

START_TEST(watch_list_through_the_informer)
{
    rc_informer_options o;
    rc_informer_options_init(&o);
    o.reflector.use_watch_list = true;
    rig g;
    rig_init(&g, &o);
    recorder r;
    rec_init(&r);
    rc_informer_add_handler(g.inf, &recording, &r, 0, NULL);
    fake_lw_put(g.lw, "a", "p1", "web");
    rc_informer_factory_start(g.f);
    settle(&g);
    ck_assert(rc_informer_has_synced(g.inf));
    ck_assert_int_eq(fake_lw_calls(g.lw, FAKE_LIST), 0);
    ck_assert_str_eq(r.log, "A:a/p1 ");
    rig_free(&g);
}
END_TEST

/* ---- threaded driver ---- */

typedef struct gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool open;
    int entered;
} gate;

static void blocked_add(void *ctx, rc_object *obj)
{
    (void)obj;
    gate *g = ctx;
    pthread_mutex_lock(&g->lock);
    g->entered++;
    pthread_cond_broadcast(&g->cond);
    while (!g->open)
        pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
}

static void *run_factory(void *arg)
{
    rc_informer_factory_run(arg);
    return NULL;
}

START_TEST(threaded_run_with_a_blocked_handler)
{
    fake_lw *lw = fake_lw_new();
    for (int i = 0; i < 50; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%d", i);
        fake_lw_put(lw, "a", name, "web");
    }
    rc_informer_factory *f = rc_informer_factory_new(provide, lw, rc_clock_real(), NULL);
    rc_informer *inf = rc_informer_factory_get(f, &pods, NULL);
    gate stuck = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0};
    rc_event_handler blocking = {blocked_add, NULL, NULL};
    rc_handler_registration *slow = rc_informer_add_handler(inf, &blocking, &stuck, 0, NULL);
    recorder fast;
    rec_init(&fast);
    rc_informer_add_handler(inf, &recording, &fast, 0, NULL);
    pthread_t t;
    pthread_create(&t, NULL, run_factory, f);
    ck_assert_int_eq(rc_informer_factory_wait_for_sync(f, 30 * RC_SEC, NULL), 0);
    fake_lw_put(lw, "a", "late", "web");
    /* the fast handler gets everything while the slow one is stuck in its first callback */
    rec_wait_adds(&fast, 51);
    pthread_mutex_lock(&stuck.lock); /* the slow handler's thread may not have reached its first call yet */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 30;
    while (!stuck.entered && pthread_cond_timedwait(&stuck.cond, &stuck.lock, &until) == 0)
        continue;
    ck_assert_int_eq(stuck.entered, 1);
    pthread_mutex_unlock(&stuck.lock);
    ck_assert_uint_ge(rc_handler_backlog(slow), 49);
    /* a handler added while running gets its own thread and the replay */
    recorder late;
    rec_init(&late);
    rc_informer_add_handler(inf, &recording, &late, 0, NULL);
    pthread_mutex_lock(&stuck.lock);
    stuck.open = true;
    pthread_cond_broadcast(&stuck.cond);
    pthread_mutex_unlock(&stuck.lock);
    rec_wait_adds(&late, 51);
    rc_informer_factory_stop(f);
    pthread_join(t, NULL);
    rc_informer_factory_free(f);
    fake_lw_free(lw);
}
END_TEST

/* An empty first list syncs the informer though nothing is ever popped (wait_for_sync must not wait out
 * its timeout). */
START_TEST(threaded_run_syncs_on_an_empty_list)
{
    fake_lw *lw = fake_lw_new();
    rc_informer_factory *f = rc_informer_factory_new(provide, lw, rc_clock_real(), NULL);
    rc_informer *inf = rc_informer_factory_get(f, &pods, NULL);
    pthread_t t;
    pthread_create(&t, NULL, run_factory, f);
    rc_error err = {0};
    ck_assert_int_eq(rc_informer_wait_for_sync(inf, 30 * RC_SEC, &err), 0);
    ck_assert(rc_informer_has_synced(inf));
    rc_informer_factory_stop(f);
    pthread_join(t, NULL);
    rc_informer_factory_free(f);
    fake_lw_free(lw);
}
END_TEST

/* Records adds and removes its own registration at the 10th. */
typedef struct quitter {
    recorder rec;
    rc_informer *inf;
    rc_handler_registration *reg;
} quitter;

static void quit_at_ten(void *ctx, rc_object *obj)
{
    quitter *q = ctx;
    on_add(&q->rec, obj);
    if (q->rec.adds == 10)
        ck_assert_int_eq(rc_informer_remove_handler(q->inf, q->reg), 0);
}

START_TEST(batched_delivery_keeps_order_and_honours_removal)
{
    rig g;
    rig_init(&g, NULL);
    recorder all;
    rec_init(&all);
    quitter q;
    rec_init(&q.rec);
    q.inf = g.inf;
    rc_event_handler quitting = {quit_at_ten, NULL, NULL};
    rc_informer_add_handler(g.inf, &recording, &all, 0, NULL);
    q.reg = rc_informer_add_handler(g.inf, &quitting, &q, 0, NULL);
    for (int i = 0; i < 150; i++) { /* more than two delivery batches */
        char name[16];
        snprintf(name, sizeof name, "p%03d", i);
        fake_lw_put(g.lw, "a", name, "web");
    }
    rc_informer_factory_start(g.f);
    settle(&g);
    ck_assert_int_eq(all.adds, 150);
    ck_assert_int_eq(q.rec.adds, 10); /* nothing after it removed itself, though its batch held more */
    ck_assert_uint_eq(rc_handler_backlog(q.reg), 0);
    /* the recording handler saw the list order */
    const char *p = all.log;
    for (int i = 0; i < 150; i++) {
        char want[32];
        snprintf(want, sizeof want, "A:a/p%03d ", i);
        ck_assert_msg(strncmp(p, want, strlen(want)) == 0, "event %d: %.20s", i, p);
        p += strlen(want);
    }
    rig_free(&g);
}
END_TEST

int main(void)
{
    rc_log_set_level(RC_LOG_ERROR);
    Suite *s = suite_create("informer");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, factory_shares_one_informer_and_watch);
    tcase_add_test(tc, handlers_see_add_update_delete_and_tombstones);
    tcase_add_test(tc, resync_fans_out_per_handler_period);
    tcase_add_test(tc, late_handler_gets_replay);
    tcase_add_test(tc, each_handler_has_its_own_buffer);
    tcase_add_test(tc, sync_failures_are_typed_and_fail_fast);
    tcase_add_test(tc, transform_runs_before_the_cache);
    tcase_add_test(tc, batched_delivery_keeps_order_and_honours_removal);
    tcase_add_test(tc, watch_list_through_the_informer);
    tcase_add_test(tc, threaded_run_with_a_blocked_handler);
    suite_add_tcase(s, tc);
    /* waiting out the 30 s sync timeout (the bug this guards against) fails by the 10 s tcase timeout */
    TCase *empty = tcase_create("empty-list-sync");
    tcase_set_timeout(empty, 10);
    tcase_add_test(empty, threaded_run_syncs_on_an_empty_list);
    suite_add_tcase(s, empty);
    return rc_test_run_suite(s);
}
