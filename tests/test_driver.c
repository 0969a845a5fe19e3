/* test_driver.c - both drivers. Deterministic: runnables with timers on the virtual clock, step() and
 * run_until semantics, the livelock guard. Threaded: a real-clock manager with several workers per
 * controller reconciles everything, never two workers on one key, and stops cleanly (also on a signal);
 * waits are condition waits with timeouts, never sleeps. */
#include <reconcile/apiserver.h>
#include <reconcile/controller.h>
#include <reconcile/manager.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "support/testutil.h"

/* ---- deterministic: a periodic runnable ---- */
typedef struct ticker {
    rc_clock *clock;
    rc_time next;
    rc_duration period;
    int fired;
    bool busy; /* always has work: a livelock */
    int destroyed;
} ticker;

static bool tick_step(void *self, rc_time now)
{
    ticker *t = self;
    if (t->busy)
        return true;
    if (now < t->next)
        return false;
    t->fired++;
    t->next = now + t->period;
    return true;
}

static rc_time tick_deadline(void *self)
{
    ticker *t = self;
    return t->busy ? rc_clock_now(t->clock) : t->next;
}

static void tick_destroy(void *self)
{
    ((ticker *)self)->destroyed++;
}

static const rc_runnable_ops ticker_ops = {"ticker", tick_step, tick_deadline, tick_destroy};

static rc_manager *bare_manager(rc_clock *clock, rc_apiserver **srv, rc_client **c, size_t max_steps)
{
    rc_apiserver_options so = {0};
    so.clock = clock;
    *srv = rc_apiserver_new(&so, NULL);
    *c = rc_apiserver_client(*srv, NULL);
    rc_manager_options mo = {0};
    mo.client = *c;
    mo.clock = clock;
    mo.max_steps_per_instant = max_steps;
    rc_manager *m = NULL;
    ck_assert_int_eq(rc_manager_new(&mo, &m, NULL), 0);
    return m;
}

START_TEST(timers_fire_on_the_virtual_clock)
{
    rc_clock *clock = rc_clock_virtual_new(0);
    rc_apiserver *srv;
    rc_client *c;
    rc_manager *m = bare_manager(clock, &srv, &c, 0);
    ticker t = {clock, 10 * RC_SEC, 10 * RC_SEC, 0, false, 0};
    ck_assert_int_eq(rc_manager_add_runnable(m, &ticker_ops, &t, NULL), 0);
    ck_assert_int_eq(rc_manager_run_until_stable(m, 35 * RC_SEC), 0);
    ck_assert_int_eq(t.fired, 3);
    ck_assert_int_eq(rc_clock_now(clock), 30 * RC_SEC); /* left at the last instant work ran */
    ck_assert_int_eq(rc_manager_run_until(m, 60 * RC_SEC), 0);
    ck_assert_int_eq(t.fired, 6);
    ck_assert_int_eq(rc_clock_now(clock), 60 * RC_SEC);
    ck_assert_int_eq(rc_manager_step(m), 1); /* jumps to 70 s and fires */
    ck_assert_int_eq(t.fired, 7);
    ck_assert_int_eq(rc_clock_now(clock), 70 * RC_SEC);
    ck_assert_int_eq(rc_manager_next_deadline(m), 80 * RC_SEC);
    rc_error err = {0};
    ck_assert_int_eq(rc_manager_add_runnable(m, &ticker_ops, &t, &err), RC_EINVAL); /* already running */
    ck_assert_int_eq(t.destroyed, 1);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_manager_start(m, &err), RC_EINVAL); /* stepped managers cannot go threaded */
    rc_error_clear(&err);
    rc_manager_free(m);
    ck_assert_int_eq(t.destroyed, 2);
    rc_client_unref(c);
    rc_apiserver_free(srv);
    rc_clock_free(clock);
}
END_TEST

START_TEST(idle_and_livelock)
{
    rc_clock *clock = rc_clock_virtual_new(0);
    rc_apiserver *srv;
    rc_client *c;
    rc_manager *m = bare_manager(clock, &srv, &c, 100);
    ck_assert_int_eq(rc_manager_run_until_stable(m, RC_HOUR), 0);
    ck_assert_int_eq(rc_manager_step(m), 0); /* nothing scheduled at all */
    ticker t = {clock, 0, 0, 0, true, 0};
    rc_manager_free(m);
    rc_client_unref(c);
    rc_apiserver_free(srv);
    m = bare_manager(clock, &srv, &c, 100);
    rc_client_unref(c);
    ck_assert_int_eq(rc_manager_add_runnable(m, &ticker_ops, &t, NULL), 0);
    ck_assert_int_eq(rc_manager_run_until_stable(m, RC_HOUR), RC_EAGAIN);
    rc_manager_free(m);
    rc_apiserver_free(srv);
    rc_clock_free(clock);
}
END_TEST

/* ---- threaded ---- */
typedef struct shared {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int done;
    int in_flight_a; /* reconciles of default/cm-0 running now */
    int overlap;
} shared;

static int cm_setup(void *self, rc_builder *b, rc_error *err)
{
    (void)self;
    return rc_builder_for(b, "configmaps", NULL, err);
}

static rc_result cm_reconcile(void *self, rc_reconcile_ctx *ctx, const char *key)
{
    shared *s = self;
    bool first = !strcmp(key, "default/cm-0");
    pthread_mutex_lock(&s->mu);
    if (first && s->in_flight_a++)
        s->overlap++;
    pthread_mutex_unlock(&s->mu);
    rc_object *cm = NULL;
    int rc = rc_ctx_get_key(ctx, "configmaps", key, &cm, NULL);
    if (rc == 0 && !rc_object_label(cm, "seen")) {
        rc_object *d = rc_object_copy(cm);
        rc_object_set_label(d, "seen", "yes");
        rc = rc_client_update(rc_ctx_client(ctx), "configmaps", "default", d, NULL, NULL, NULL);
        rc_object_unref(d);
        if (rc == 0) {
            pthread_mutex_lock(&s->mu);
            s->done++;
            pthread_cond_broadcast(&s->cond);
            pthread_mutex_unlock(&s->mu);
        }
    }
    rc_object_unref(cm);
    pthread_mutex_lock(&s->mu);
    if (first)
        s->in_flight_a--;
    pthread_mutex_unlock(&s->mu);
    return rc == 0 || rc == RC_ENOTFOUND ? rc_result_done() : rc_result_requeue();
}

static const rc_controller_ops cm_ops = {"labeler", cm_setup, cm_reconcile, NULL};

static bool wait_done(shared *s, int want)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 20;
    pthread_mutex_lock(&s->mu);
    int rc = 0;
    while (s->done < want && rc == 0)
        rc = pthread_cond_timedwait(&s->cond, &s->mu, &ts);
    bool ok = s->done >= want;
    pthread_mutex_unlock(&s->mu);
    return ok;
}

static void create_cms(rc_client *c, int from, int to)
{
    for (int i = from; i < to; i++) {
        char json[200];
        snprintf(json, sizeof json,
                 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm-%d\"},\"data\":{\"i\":\"%d\"}}",
                 i, i);
        rc_object *o = rc_object_from_json(json, strlen(json), NULL);
        ck_assert_int_eq(rc_client_create(c, NULL, "default", o, NULL, NULL, NULL), 0);
        rc_object_unref(o);
    }
}

START_TEST(threaded_manager_reconciles_and_stops)
{
    rc_apiserver_options so = {0};
    so.auto_pump = true;
    rc_apiserver *srv = rc_apiserver_new(&so, NULL);
    rc_client *c = rc_apiserver_client(srv, NULL);
    create_cms(c, 0, 10);
    shared s = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};
    rc_manager_options mo = {0};
    mo.client = c;
    mo.apiserver = srv;
    rc_manager *m = NULL;
    ck_assert_int_eq(rc_manager_new(&mo, &m, NULL), 0);
    rc_controller_options co = {0};
    co.workers = 3;
    ck_assert_int_eq(rc_manager_add_controller(m, &cm_ops, &s, &co, NULL), 0);
    ck_assert_int_eq(rc_manager_start(m, NULL), 0);
    ck_assert(rc_manager_wait_for_sync(m, 10 * RC_SEC));
    ck_assert(rc_manager_synced(m));
    create_cms(c, 10, 20);
    ck_assert(wait_done(&s, 20));
    /* Touching cm-0 repeatedly queues it again and again; workers never run it twice at once. */
    for (int i = 0; i < 20; i++) {
        char patch[64];
        int n = snprintf(patch, sizeof patch, "{\"data\":{\"n\":\"%d\"}}", i);
        ck_assert_int_eq(rc_client_patch(c, "configmaps", "default", "cm-0", RC_PATCH_MERGE, patch, (size_t)n, NULL,
                                         NULL, NULL),
                         0);
    }
    rc_manager_stop(m);
    ck_assert_int_eq(rc_manager_wait(m), 0);
    ck_assert_int_eq(s.overlap, 0);
    rc_manager_free(m);
    rc_client_unref(c);
    rc_apiserver_free(srv);
}
END_TEST

START_TEST(a_signal_stops_the_manager)
{
    rc_apiserver_options so = {0};
    so.auto_pump = true;
    rc_apiserver *srv = rc_apiserver_new(&so, NULL);
    rc_client *c = rc_apiserver_client(srv, NULL);
    rc_manager_options mo = {0};
    mo.client = c;
    rc_manager *m = NULL;
    ck_assert_int_eq(rc_manager_new(&mo, &m, NULL), 0);
    shared s = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};
    ck_assert_int_eq(rc_manager_add_controller(m, &cm_ops, &s, NULL, NULL), 0);
    ck_assert_int_eq(rc_manager_stop_on_signals(m, NULL), 0);
    ck_assert_int_eq(rc_manager_start(m, NULL), 0);
    create_cms(c, 0, 1);
    ck_assert(wait_done(&s, 1));
    raise(SIGTERM);
    ck_assert_int_eq(rc_manager_wait(m), 0);
    rc_manager_free(m);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    rc_client_unref(c);
    rc_apiserver_free(srv);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("driver");
    TCase *det = tcase_create("deterministic");
    tcase_add_test(det, timers_fire_on_the_virtual_clock);
    tcase_add_test(det, idle_and_livelock);
    suite_add_tcase(s, det);
    TCase *thr = tcase_create("threaded");
    tcase_set_timeout(thr, 60);
    tcase_add_test(thr, threaded_manager_reconciles_and_stops);
    tcase_add_test(thr, a_signal_stops_the_manager);
    suite_add_tcase(s, thr);
    return rc_test_run_suite(s);
}
