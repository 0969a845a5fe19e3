/* test_driver.c - both drivers. Deterministic: runnables with timers on the virtual clock, step() and
 * run_until semantics, the livelock guard, a burst of child events collapsing into one reconcile of the
 * owner, the next work deadline ignoring housekeeping, claiming children through the controller index
 * (with the controller's own writes overlaid). Threaded: a real-clock manager with several workers per
 * controller reconciles everything, never two workers on one key, and stops cleanly (also on a signal);
 * waits are condition waits with timeouts, never sleeps. */
#include <reconcile/apiserver.h>
#include <reconcile/controller.h>
#include <reconcile/manager.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
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

/* ---- deterministic: an owner controller (configmaps own secrets) ---- */
typedef struct owner {
    int reconciles;        /* of default/parent */
    size_t claimed;        /* by the last reconcile */
    size_t indexed;        /* secrets in the controller index under parent's uid, after create_child */
    bool create_child;     /* create secret "made" owned by parent, then read the index */
    rc_duration requeue;   /* requeue after this once (0 = never) */
} owner;

static int owner_setup(void *self, rc_builder *b, rc_error *err)
{
    (void)self;
    int rc = rc_builder_for(b, "configmaps", NULL, err);
    return rc ? rc : rc_builder_owns(b, "secrets", NULL, err);
}

static rc_object *secret_json(const char *name, const char *ns, const char *app, const rc_object *ctrl)
{
    char json[600];
    snprintf(json, sizeof json,
             "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\","
             "\"labels\":{\"app\":\"%s\"}}}",
             name, ns, app);
    rc_object *parsed = rc_object_from_json(json, strlen(json), NULL), *o = rc_object_copy(parsed);
    rc_object_unref(parsed);
    ck_assert_ptr_nonnull(o);
    if (ctrl)
        ck_assert_int_eq(rc_set_controller_ref(o, ctrl, NULL), 0);
    return o;
}

static rc_result owner_reconcile(void *self, rc_reconcile_ctx *ctx, const char *key)
{
    owner *o = self;
    if (strcmp(key, "default/parent"))
        return rc_result_done();
    o->reconciles++;
    rc_object *cm = NULL;
    if (rc_ctx_get_key(ctx, "configmaps", key, &cm, NULL) != 0)
        return rc_result_done();
    rc_selector *sel = rc_selector_parse("app=x", NULL);
    ck_assert_ptr_nonnull(sel);
    rc_object_list l;
    rc_object_list_init(&l);
    ck_assert_int_eq(rc_claim_children(ctx, "configmaps", cm, "secrets", sel, NULL, NULL, &l, NULL), 0);
    o->claimed = l.count;
    for (size_t i = 1; i < l.count; i++) /* in key order */
        ck_assert_int_lt(strcmp(rc_object_key(l.items[i - 1]), rc_object_key(l.items[i])), 0);
    rc_object_list_clear(&l);
    if (o->create_child) {
        o->create_child = false;
        rc_object *made = secret_json("made", "default", "x", cm);
        ck_assert_int_eq(rc_client_create(rc_ctx_client(ctx), "secrets", "default", made, NULL, NULL, NULL), 0);
        rc_object_unref(made);
        ck_assert_int_eq(rc_ctx_by_index(ctx, "secrets", RC_INDEX_CONTROLLER, rc_object_uid(cm), &l, NULL), 0);
        o->indexed = l.count;
        rc_object_list_clear(&l);
    }
    rc_selector_free(sel);
    rc_object_unref(cm);
    rc_duration after = o->requeue;
    o->requeue = 0;
    return after ? rc_result_requeue_after(after) : rc_result_done();
}

static const rc_controller_ops owner_ops = {"owner", owner_setup, owner_reconcile, NULL};

/* A manager on the virtual clock with the API server as a unit, running the owner controller, and the
 * parent ConfigMap (*parent: the stored object). */
static rc_manager *owner_manager(rc_clock *clock, rc_apiserver **srv, rc_client **c, owner *o, rc_object **parent)
{
    rc_apiserver_options so = {.clock = clock, .seed = 5};
    *srv = rc_apiserver_new(&so, NULL);
    *c = rc_apiserver_client(*srv, NULL);
    const char *json = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"parent\"}}";
    rc_object *cm = rc_object_from_json(json, strlen(json), NULL);
    ck_assert_int_eq(rc_client_create(*c, "configmaps", "default", cm, NULL, parent, NULL), 0);
    rc_object_unref(cm);
    rc_manager_options mo = {.client = *c, .clock = clock, .seed = 9, .apiserver = *srv};
    rc_manager *m = NULL;
    ck_assert_int_eq(rc_manager_new(&mo, &m, NULL), 0);
    ck_assert_int_eq(rc_manager_add_controller(m, &owner_ops, o, NULL, NULL), 0);
    return m;
}

static void create_secret(rc_client *c, const char *name, const char *ns, const char *app, const rc_object *ctrl)
{
    rc_object *s = secret_json(name, ns, app, ctrl);
    rc_error err = {0};
    ck_assert_msg(rc_client_create(c, "secrets", ns, s, NULL, NULL, &err) == 0, "%s", err.message);
    rc_object_unref(s);
}

START_TEST(a_burst_of_child_events_is_one_reconcile)
{
    rc_clock *clock = rc_clock_virtual_new(0);
    rc_apiserver *srv;
    rc_client *c;
    rc_object *parent = NULL;
    owner o = {0};
    rc_manager *m = owner_manager(clock, &srv, &c, &o, &parent);
    ck_assert_int_eq(rc_manager_run_until_stable(m, RC_MINUTE), 0);
    ck_assert_int_eq(o.reconciles, 1);
    for (int i = 0; i < 200; i++) {
        char name[32];
        snprintf(name, sizeof name, "child-%03d", i);
        create_secret(c, name, "default", "x", parent);
    }
    ck_assert_int_eq(rc_manager_run_until_stable(m, RC_MINUTE), 0);
    ck_assert_int_eq(o.reconciles, 2); /* 200 events, deduplicated in the queue */
    ck_assert_uint_eq(o.claimed, 200);
    rc_object_unref(parent);
    rc_manager_free(m);
    rc_client_unref(c);
    rc_apiserver_free(srv);
    rc_clock_free(clock);
}
END_TEST

START_TEST(claim_reads_the_controller_index)
{
    rc_clock *clock = rc_clock_virtual_new(0);
    rc_apiserver *srv;
    rc_client *c;
    rc_object *parent = NULL;
    owner o = {.create_child = true};
    rc_manager *m = owner_manager(clock, &srv, &c, &o, &parent);
    rc_object *stranger = NULL;
    const char *json = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"stranger\"}}";
    rc_object *cm = rc_object_from_json(json, strlen(json), NULL);
    ck_assert_int_eq(rc_client_create(c, "configmaps", "default", cm, NULL, &stranger, NULL), 0);
    rc_object_unref(cm);
    create_secret(c, "owned-1", "default", "x", parent);
    create_secret(c, "owned-2", "default", "x", parent);
    create_secret(c, "orphan", "default", "x", NULL);     /* adopted */
    create_secret(c, "unmatched", "default", "y", NULL);  /* orphan, selector does not match */
    create_secret(c, "theirs", "default", "x", stranger); /* another controller's */
    create_secret(c, "elsewhere", "kube-system", "x", NULL);
    ck_assert_int_eq(rc_manager_run_until_stable(m, RC_MINUTE), 0);
    /* First reconcile: owned-1, owned-2 and orphan (adopted) are claimed, then "made" is created; the index
     * read right after shows the adoption and the new child although no watch event delivered them yet. */
    ck_assert_uint_eq(o.indexed, 4);
    ck_assert_uint_eq(o.claimed, 4);
    ck_assert_int_ge(o.reconciles, 2);
    rc_object *orphan = NULL;
    ck_assert_int_eq(rc_client_get(c, "secrets", "default", "orphan", &orphan, NULL), 0);
    ck_assert(rc_is_controlled_by(orphan, parent));
    rc_object_unref(orphan);
    rc_store *secrets = rc_manager_cache(m, "secrets", NULL);
    char **keys = NULL;
    size_t n = 0;
    ck_assert_int_eq(rc_store_index_keys(secrets, RC_INDEX_CONTROLLER, RC_INDEX_ORPHAN_PREFIX "default", &keys, &n,
                                         NULL), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(keys[0], "default/unmatched");
    free(keys);
    rc_object_unref(stranger);
    rc_object_unref(parent);
    rc_manager_free(m);
    rc_client_unref(c);
    rc_apiserver_free(srv);
    rc_clock_free(clock);
}
END_TEST

START_TEST(next_work_deadline_ignores_housekeeping)
{
    rc_clock *clock = rc_clock_virtual_new(0);
    rc_apiserver *srv;
    rc_client *c;
    rc_object *parent = NULL;
    owner o = {.requeue = 30 * RC_SEC};
    rc_manager *m = owner_manager(clock, &srv, &c, &o, &parent);
    ck_assert_int_eq(rc_manager_next_work_deadline(m), 0); /* the initial lists are work */
    ck_assert_int_eq(rc_manager_run_until_stable(m, 10 * RC_SEC), 0);
    ck_assert_int_eq(o.reconciles, 1);
    ck_assert_int_eq(rc_manager_next_work_deadline(m), 30 * RC_SEC); /* the requeue */
    ck_assert_int_eq(rc_manager_run_until(m, 30 * RC_SEC), 0);
    ck_assert_int_eq(o.reconciles, 2);
    /* Only the watches' bookmarks and timeouts are left: the manager has settled. */
    ck_assert_int_ne(rc_manager_next_deadline(m), RC_TIME_NEVER);
    ck_assert_int_eq(rc_manager_next_work_deadline(m), RC_TIME_NEVER);
    create_secret(c, "late", "default", "x", parent);
    ck_assert_int_eq(rc_manager_next_work_deadline(m), 30 * RC_SEC); /* a pending watch event */
    ck_assert_int_eq(rc_manager_next_work_deadline(NULL), RC_TIME_NEVER);
    rc_object_unref(parent);
    rc_manager_free(m);
    rc_client_unref(c);
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
    tcase_add_test(det, a_burst_of_child_events_is_one_reconcile);
    tcase_add_test(det, claim_reads_the_controller_index);
    tcase_add_test(det, next_work_deadline_ignores_housekeeping);
    suite_add_tcase(s, det);
    TCase *thr = tcase_create("threaded");
    tcase_set_timeout(thr, 60);
    tcase_add_test(thr, threaded_manager_reconciles_and_stops);
    tcase_add_test(thr, a_signal_stops_the_manager);
    suite_add_tcase(s, thr);
    return rc_test_run_suite(s);
}
