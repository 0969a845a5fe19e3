/* test_manager.c - the manager end to end on the deterministic driver (through rc_testenv): a toy
 * controller that gives every ConfigMap one owned Secret; owner-reference mapping, expectations lowered by
 * informer events, read-your-own-writes, result handling and metrics, determinism of the action trace,
 * bad registrations, and controllers registered through rc_controller_into_ops (result written through
 * a pointer). */
#include <reconcile/controller.h>
#include <reconcile/expectations.h>
#include <reconcile/manager.h>
#include <reconcile/testenv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testutil.h"

typedef struct toy {
    int reconciles;
    int creates;
    int saw_own_write; /* list right after create showed the new Secret */
    int destroyed;
    bool use_expectations;
    int requeues_left; /* requeue at once this many times per key (stress the stale-cache path) */
    int fail_first;    /* return an error for the first n reconciles */
} toy;

static int toy_setup(void *self, rc_builder *b, rc_error *err)
{
    (void)self;
    int rc = rc_builder_for(b, "configmaps", NULL, err);
    return rc ? rc : rc_builder_owns(b, "secrets", NULL, err);
}

static rc_object *make_secret(const rc_object *cm)
{
    char name[300];
    snprintf(name, sizeof name, "%s-copy", rc_object_name(cm));
    cJSON *root = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"type\":\"Opaque\",\"metadata\":{}}");
    rc_object *s = rc_object_new_draft(root);
    rc_object_set_name(s, name);
    rc_object_set_namespace(s, rc_object_namespace(cm));
    rc_object_set_label(s, "owner", rc_object_name(cm));
    ck_assert_int_eq(rc_set_controller_ref(s, cm, NULL), 0);
    return s;
}

static rc_result toy_reconcile(void *self, rc_reconcile_ctx *ctx, const char *key)
{
    toy *t = self;
    t->reconciles++;
    if (t->fail_first > 0) {
        t->fail_first--;
        return rc_result_error(ctx, RC_EUNAVAILABLE, "backend for %s is down", key);
    }
    rc_error err = {0};
    rc_object *cm = NULL;
    if (rc_ctx_get_key(ctx, "configmaps", key, &cm, &err) == RC_ENOTFOUND) {
        rc_expectations_delete(rc_ctx_expectations(ctx), key);
        rc_error_clear(&err);
        return rc_result_done();
    }
    if (t->use_expectations && !rc_expectations_satisfied(rc_ctx_expectations(ctx), key)) {
        rc_object_unref(cm);
        return rc_result_done();
    }
    char sel_text[300];
    snprintf(sel_text, sizeof sel_text, "owner=%s", rc_object_name(cm));
    rc_selector *sel = rc_selector_parse(sel_text, NULL);
    rc_object_list children;
    rc_object_list_init(&children);
    ck_assert_int_eq(rc_ctx_list(ctx, "secrets", rc_object_namespace(cm), sel, &children, &err), 0);
    rc_result res = rc_result_done();
    if (children.count == 0) {
        rc_object *s = make_secret(cm);
        if (t->use_expectations)
            rc_expectations_expect_creations(rc_ctx_expectations(ctx), key, 1);
        int rc = rc_client_create(rc_ctx_client(ctx), "secrets", rc_object_namespace(cm), s, NULL, NULL, &err);
        rc_object_unref(s);
        if (rc) {
            if (t->use_expectations)
                rc_expectations_creation_observed(rc_ctx_expectations(ctx), key);
            res = rc_result_from_error(ctx, &err);
        } else {
            t->creates++;
            rc_object_list again;
            rc_object_list_init(&again);
            rc_ctx_list(ctx, "secrets", rc_object_namespace(cm), sel, &again, NULL);
            t->saw_own_write += again.count == 1;
            rc_object_list_clear(&again);
            rc_ctx_event(ctx, cm, RC_EVENT_NORMAL, "Copied", "created secret for %s", key);
        }
    }
    if (res.kind == RC_RESULT_DONE && t->requeues_left > 0) {
        t->requeues_left--;
        res = rc_result_requeue_after(0);
    }
    rc_object_list_clear(&children);
    rc_selector_free(sel);
    rc_object_unref(cm);
    rc_error_clear(&err);
    return res;
}

static void toy_destroy(void *self)
{
    ((toy *)self)->destroyed++;
}

static const rc_controller_ops toy_ops = {"toy", toy_setup, toy_reconcile, toy_destroy};

static const char *fixtures = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: default\n"
                              "data:\n  k: v\n---\n"
                              "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  namespace: default\n";

static rc_testenv *env_with(toy *t, uint64_t seed)
{
    rc_testenv_options o = {0};
    o.seed = seed;
    rc_testenv *env = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_testenv_new(&o, &env, &err), 0);
    ck_assert_msg(rc_testenv_load_yaml(env, fixtures, &err) == 0, "%s", err.message);
    ck_assert_msg(rc_testenv_add_controller(env, &toy_ops, t, NULL, &err) == 0, "%s", err.message);
    return env;
}

START_TEST(owned_children_are_created_once)
{
    toy t = {0};
    t.use_expectations = true;
    rc_testenv *env = env_with(&t, 7);
    rc_error err = {0};
    ck_assert_int_eq(rc_testenv_run_until_stable(env, RC_MINUTE), 0);
    ck_assert_int_eq(rc_testenv_count(env, "secrets", "default", "owner", &err), 2);
    ck_assert_int_eq(t.creates, 2);
    ck_assert_msg(rc_testenv_field_equals(env, "secrets", "default", "a-copy", "metadata.ownerReferences.0.name",
                                          "\"a\"", &err),
                  "%s", err.message);
    ck_assert(!rc_testenv_field_equals(env, "secrets", "default", "a-copy", "metadata.labels.owner", "\"b\"", &err));
    ck_assert_ptr_nonnull(strstr(err.message, "want \"b\""));
    rc_error_clear(&err);
    /* Deleting a child: the owner is enqueued through the controller reference and recreates it. */
    ck_assert_int_eq(rc_client_delete(rc_testenv_client(env), "secrets", "default", "a-copy", NULL, NULL, &err), 0);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, RC_MINUTE), 0);
    ck_assert_int_eq(t.creates, 3);
    ck_assert_int_eq(rc_testenv_count(env, "secrets", "default", "owner=a", &err), 1);
    /* The repeated "Copied" event about a aggregated into the first one. */
    rc_object_list events;
    rc_object_list_init(&events);
    ck_assert_int_eq(rc_client_list(rc_testenv_client(env), "events", "default", NULL, &events, &err), 0);
    ck_assert_uint_eq(events.count, 2);
    int64_t total = 0;
    for (size_t i = 0; i < events.count; i++) {
        total += rc_object_get_int(events.items[i], "count", 0);
        ck_assert_str_eq(rc_object_get_str(events.items[i], "reason"), "Copied");
        ck_assert_str_eq(rc_object_get_str(events.items[i], "source.component"), "libreconcile");
    }
    ck_assert_int_eq(total, 3);
    rc_object_list_clear(&events);
    rc_testenv_free(env);
    ck_assert_int_eq(t.destroyed, 1);
}
END_TEST

START_TEST(read_your_own_writes_prevents_double_create)
{
    for (uint64_t seed = 1; seed <= 20; seed++) {
        toy t = {0};
        t.requeues_left = 6; /* reconcile again at once, typically before the watch delivers the Secret */
        rc_testenv *env = env_with(&t, seed);
        rc_error err = {0};
        ck_assert_int_eq(rc_testenv_run_until_stable(env, RC_MINUTE), 0);
        ck_assert_int_eq(t.creates, 2);
        ck_assert_int_eq(t.saw_own_write, 2);
        ck_assert_int_eq(rc_testenv_count(env, "secrets", "default", "owner", &err), 2);
        char *trace = rc_testenv_actions_text(env);
        ck_assert_ptr_null(strstr(trace, " -4\n")); /* no AlreadyExists: no second create was tried */
        free(trace);
        rc_testenv_free(env);
    }
}
END_TEST

START_TEST(same_seed_same_trace)
{
    char *trace[2];
    for (int i = 0; i < 2; i++) {
        toy t = {0};
        t.requeues_left = 3;
        rc_testenv *env = env_with(&t, 42);
        ck_assert_int_eq(rc_testenv_run_until_stable(env, 10 * RC_MINUTE), 0);
        trace[i] = rc_testenv_actions_text(env);
        rc_testenv_free(env);
    }
    ck_assert_str_eq(trace[0], trace[1]);
    ck_assert_ptr_nonnull(strstr(trace[0], "create secrets default/a-copy"));
    free(trace[0]);
    free(trace[1]);
}
END_TEST

START_TEST(errors_are_requeued_rate_limited_and_counted)
{
    toy t = {0};
    t.fail_first = 3;
    rc_testenv *env = env_with(&t, 3);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, RC_MINUTE), 0);
    ck_assert_int_eq(t.creates, 2);
    char *text = NULL;
    ck_assert_int_eq(rc_manager_metrics_text(rc_testenv_manager(env), &text, NULL), 0);
    ck_assert_ptr_nonnull(strstr(text, "controller_runtime_reconcile_total{controller=\"toy\",result=\"error\"} 3"));
    ck_assert_ptr_nonnull(strstr(text, "controller_runtime_reconcile_errors_total{controller=\"toy\"} 3"));
    ck_assert_ptr_nonnull(strstr(text, "rest_client_requests_total{verb=\"create\",code=\"200\"}"));
    ck_assert_ptr_nonnull(strstr(text, "informer_synced{resource=\"secrets\"} 1"));
    ck_assert_ptr_nonnull(strstr(text, "workqueue_adds_total{name=\"toy\"}"));
    free(text);
    rc_testenv_free(env);
}
END_TEST

static int setup_without_for(void *self, rc_builder *b, rc_error *err)
{
    (void)self;
    return rc_builder_owns(b, "pods", NULL, err);
}

static int setup_unknown(void *self, rc_builder *b, rc_error *err)
{
    (void)self;
    return rc_builder_for(b, "widgets", NULL, err);
}

START_TEST(bad_registrations_are_refused_whole)
{
    toy t = {0};
    rc_testenv *env = env_with(&t, 1);
    rc_manager *m = rc_testenv_manager(env);
    rc_error err = {0};
    toy other = {0};
    ck_assert_int_eq(rc_manager_add_controller(m, &toy_ops, &other, NULL, &err), RC_EEXISTS);
    ck_assert_int_eq(other.destroyed, 1);
    rc_error_clear(&err);
    static const rc_controller_ops no_for = {"nofor", setup_without_for, toy_reconcile, toy_destroy};
    ck_assert_int_eq(rc_manager_add_controller(m, &no_for, &other, NULL, &err), RC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "rc_builder_for"));
    ck_assert_int_eq(other.destroyed, 2);
    rc_error_clear(&err);
    static const rc_controller_ops unknown = {"unknown", setup_unknown, toy_reconcile, toy_destroy};
    ck_assert_int_eq(rc_manager_add_controller(m, &unknown, &other, NULL, &err), RC_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.message, "widgets"));
    rc_error_clear(&err);
    static const rc_controller_ops nameless = {NULL, toy_setup, toy_reconcile, toy_destroy};
    ck_assert_int_eq(rc_manager_add_controller(m, &nameless, &other, NULL, &err), RC_EINVAL);
    ck_assert_int_eq(other.destroyed, 4);
    rc_error_clear(&err);
    /* The good controller still works. */
    ck_assert_int_eq(rc_testenv_run_until_stable(env, RC_MINUTE), 0);
    ck_assert_int_eq(t.creates, 2);
    ck_assert_int_eq(rc_manager_add_controller(m, &no_for, &other, NULL, &err), RC_EINVAL);
    rc_error_clear(&err);
    rc_testenv_free(env);
}
END_TEST

/* The toy through rc_controller_into_ops: its result written through the pointer; fail_first reconciles
 * fail by returning the error code instead. */
static int toy_reconcile_into(void *self, rc_reconcile_ctx *ctx, const char *key, rc_result *out)
{
    toy *t = self;
    if (t->fail_first > 0) {
        t->reconciles++;
        t->fail_first--;
        return RC_EUNAVAILABLE;
    }
    *out = toy_reconcile(self, ctx, key);
    return 0;
}

static const rc_controller_into_ops toy_into_ops = {"toy-into", toy_setup, toy_reconcile_into, toy_destroy};

START_TEST(into_controllers_write_their_result_through_a_pointer)
{
    rc_testenv *env = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_testenv_new(NULL, &env, &err), 0);
    ck_assert_msg(rc_testenv_load_yaml(env, fixtures, &err) == 0, "%s", err.message);
    toy t = {0};
    t.fail_first = 2;
    t.requeues_left = 1;
    ck_assert_msg(rc_manager_add_controller_into(rc_testenv_manager(env), &toy_into_ops, &t, NULL, &err) == 0,
                  "%s", err.message);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, RC_MINUTE), 0);
    ck_assert_int_eq(t.creates, 2);
    char *text = NULL;
    ck_assert_int_eq(rc_manager_metrics_text(rc_testenv_manager(env), &text, NULL), 0);
    ck_assert_ptr_nonnull(strstr(text, "controller_runtime_reconcile_total{controller=\"toy-into\",result=\"error\"} 2"));
    ck_assert_ptr_nonnull(
        strstr(text, "controller_runtime_reconcile_total{controller=\"toy-into\",result=\"requeue_after\"} 1"));
    free(text);
    rc_testenv_free(env);
    ck_assert_int_eq(t.destroyed, 1);
}
END_TEST

START_TEST(bad_into_registrations_are_refused_and_destroyed)
{
    rc_testenv *env = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_testenv_new(NULL, &env, &err), 0);
    toy t = {0}, other = {0};
    ck_assert_int_eq(rc_testenv_add_controller_into(env, &toy_into_ops, &t, NULL, &err), 0);
    ck_assert_int_eq(rc_testenv_add_controller_into(env, &toy_into_ops, &other, NULL, &err), RC_EEXISTS);
    ck_assert_int_eq(other.destroyed, 1);
    rc_error_clear(&err);
    static const rc_controller_into_ops no_reconcile = {"noreconcile", toy_setup, NULL, toy_destroy};
    ck_assert_int_eq(rc_manager_add_controller_into(rc_testenv_manager(env), &no_reconcile, &other, NULL, &err),
                     RC_EINVAL);
    ck_assert_int_eq(other.destroyed, 2);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_manager_add_controller_into(rc_testenv_manager(env), NULL, &other, NULL, &err), RC_EINVAL);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_testenv_add_controller_as_into(env, "", "sa", &toy_into_ops, &other, NULL, &err), RC_EINVAL);
    ck_assert_int_eq(other.destroyed, 3);
    rc_error_clear(&err);
    static const rc_controller_into_ops as_sa = {"as-sa", toy_setup, toy_reconcile_into, toy_destroy};
    ck_assert_msg(rc_testenv_add_controller_as_into(env, "default", "copier", &as_sa, &other, NULL, &err) == 0, "%s",
                  err.message);
    rc_testenv_free(env);
    ck_assert_int_eq(t.destroyed, 1);
    ck_assert_int_eq(other.destroyed, 4);
}
END_TEST

static Suite *manager_suite(void)
{
    Suite *s = suite_create("manager");
    TCase *tc = tcase_create("deterministic");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, owned_children_are_created_once);
    tcase_add_test(tc, read_your_own_writes_prevents_double_create);
    tcase_add_test(tc, same_seed_same_trace);
    tcase_add_test(tc, errors_are_requeued_rate_limited_and_counted);
    tcase_add_test(tc, bad_registrations_are_refused_whole);
    tcase_add_test(tc, into_controllers_write_their_result_through_a_pointer);
    tcase_add_test(tc, bad_into_registrations_are_refused_and_destroyed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rc_test_run_suite(manager_suite());
}
