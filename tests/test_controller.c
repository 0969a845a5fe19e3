/* test_controller.c - controller helpers and watch options through rc_testenv: the controller ref manager
 * (adopt matching orphans, release non-matching children, leave others' children alone), the finalizer
 * flow, status writes retried on conflict, the generation predicate, skip_own_writes, mapped watches and
 * reads by index. */
#include <reconcile/testenv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testutil.h"

static rc_testenv *new_env(const char *yaml)
{
    rc_testenv *env = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_testenv_new(NULL, &env, &err), 0);
    ck_assert_msg(rc_testenv_load_yaml(env, yaml, &err) == 0, "%s", err.message);
    return env;
}

/* ---- claim ---- */
typedef struct claimer {
    int claimed;
    char names[8][64];
} claimer;

static int claim_setup(void *self, rc_builder *b, rc_error *err)
{
    (void)self;
    int rc = rc_builder_for(b, "configmaps", NULL, err);
    return rc ? rc : rc_builder_owns(b, "secrets", NULL, err);
}

static rc_result claim_reconcile(void *self, rc_reconcile_ctx *ctx, const char *key)
{
    claimer *c = self;
    rc_object *owner = NULL;
    if (rc_ctx_get_key(ctx, "configmaps", key, &owner, NULL) != 0)
        return rc_result_done();
    rc_selector *sel = rc_selector_parse("app=x", NULL);
    rc_object_list claimed;
    rc_object_list_init(&claimed);
    rc_error err = {0};
    int rc = rc_claim_children(ctx, "configmaps", owner, "secrets", sel, NULL, NULL, &claimed, &err);
    c->claimed = (int)claimed.count;
    for (size_t i = 0; i < claimed.count && i < 8; i++)
        snprintf(c->names[i], sizeof c->names[i], "%s", rc_object_name(claimed.items[i]));
    rc_object_list_clear(&claimed);
    rc_selector_free(sel);
    rc_object_unref(owner);
    return rc ? rc_result_from_error(ctx, &err) : rc_result_done();
}

static const rc_controller_ops claim_ops = {"claimer", claim_setup, claim_reconcile, NULL};

static void create_secret(rc_testenv *env, const char *name, const char *app, const char *owner_uid)
{
    char json[600];
    if (owner_uid)
        snprintf(json, sizeof json,
                 "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"%s\",\"labels\":{\"app\":\"%s\"},"
                 "\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":\"o\",\"uid\":\"%s\","
                 "\"controller\":true}]}}",
                 name, app, owner_uid);
    else
        snprintf(json, sizeof json,
                 "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"%s\",\"labels\":{\"app\":\"%s\"}}}",
                 name, app);
    rc_object *o = rc_object_from_json(json, strlen(json), NULL);
    rc_error err = {0};
    ck_assert_msg(rc_client_create(rc_testenv_client(env), NULL, "default", o, NULL, NULL, &err) == 0, "%s",
                  err.message);
    rc_object_unref(o);
}

START_TEST(claim_adopts_releases_and_ignores)
{
    rc_testenv *env = new_env("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: o\n");
    rc_object *owner = NULL;
    ck_assert_int_eq(rc_testenv_get(env, "configmaps", "default", "o", &owner, NULL), 0);
    create_secret(env, "orphan-match", "x", NULL);
    create_secret(env, "orphan-nomatch", "y", NULL);
    create_secret(env, "mine-match", "x", rc_object_uid(owner));
    create_secret(env, "mine-nomatch", "y", rc_object_uid(owner));
    create_secret(env, "others", "x", "another-uid");
    claimer c = {0};
    ck_assert_int_eq(rc_testenv_add_controller(env, &claim_ops, &c, NULL, NULL), 0);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, RC_MINUTE), 0);
    ck_assert_int_eq(c.claimed, 2);
    ck_assert_str_eq(c.names[0], "mine-match");
    ck_assert_str_eq(c.names[1], "orphan-match");
    rc_object *s = NULL;
    ck_assert_int_eq(rc_testenv_get(env, "secrets", "default", "orphan-match", &s, NULL), 0);
    ck_assert(rc_is_controlled_by(s, owner));
    rc_object_unref(s);
    ck_assert_int_eq(rc_testenv_get(env, "secrets", "default", "mine-nomatch", &s, NULL), 0);
    ck_assert_uint_eq(rc_object_owner_count(s), 0); /* released */
    rc_object_unref(s);
    ck_assert_int_eq(rc_testenv_get(env, "secrets", "default", "orphan-nomatch", &s, NULL), 0);
    ck_assert_uint_eq(rc_object_owner_count(s), 0);
    rc_object_unref(s);
    ck_assert(rc_testenv_field_equals(env, "secrets", "default", "others", "metadata.ownerReferences.0.uid",
                                      "\"another-uid\"", NULL));
    rc_object_unref(owner);
    rc_testenv_free(env);
}
END_TEST

/* ---- finalizer ---- */
static int cleanups;

static int cleanup(void *arg, const rc_object *obj, rc_error *err)
{
    (void)arg;
    (void)obj;
    (void)err;
    cleanups++;
    return 0;
}

static int fin_setup(void *self, rc_builder *b, rc_error *err)
{
    (void)self;
    return rc_builder_for(b, "configmaps", NULL, err);
}

static rc_result fin_reconcile(void *self, rc_reconcile_ctx *ctx, const char *key)
{
    (void)self;
    rc_object *cm = NULL;
    if (rc_ctx_get_key(ctx, "configmaps", key, &cm, NULL) != 0)
        return rc_result_done();
    rc_error err = {0};
    int rc = rc_finalize(ctx, "configmaps", cm, "example.com/cleanup", cleanup, NULL, &err);
    rc_object_unref(cm);
    return rc < 0 ? rc_result_from_error(ctx, &err) : rc_result_done();
}

static const rc_controller_ops fin_ops = {"finalizer", fin_setup, fin_reconcile, NULL};

START_TEST(finalizer_runs_cleanup_once_on_delete)
{
    cleanups = 0;
    rc_testenv *env = new_env("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: f\n");
    ck_assert_int_eq(rc_testenv_add_controller(env, &fin_ops, NULL, NULL, NULL), 0);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, RC_MINUTE), 0);
    ck_assert(rc_testenv_field_equals(env, "configmaps", "default", "f", "metadata.finalizers",
                                      "[\"example.com/cleanup\"]", NULL));
    ck_assert_int_eq(cleanups, 0);
    ck_assert_int_eq(rc_client_delete(rc_testenv_client(env), "configmaps", "default", "f", NULL, NULL, NULL), 0);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, RC_MINUTE), 0);
    ck_assert_int_eq(cleanups, 1);
    ck_assert_int_eq(rc_testenv_count(env, "configmaps", "default", NULL, NULL), 0);
    rc_testenv_free(env);
}
END_TEST

/* ---- status, predicates, mapped watches, index ---- */
typedef struct rsctl {
    int reconciles;
    int status_writes;
    int by_index;
} rsctl;

static void map_by_label(void *ctx, const rc_object *obj, rc_keys *out)
{
    (void)ctx;
    const char *rs = rc_object_label(obj, "rs");
    char key[300];
    if (rs) {
        snprintf(key, sizeof key, "%s/%s", rc_object_namespace(obj), rs);
        rc_keys_add(out, key);
    }
}

static void index_by_rs(void *ctx, const rc_object *obj, rc_index_values *out)
{
    (void)ctx;
    const char *rs = rc_object_label(obj, "rs");
    if (rs)
        rc_index_values_add(out, rs);
}

static int rs_setup(void *self, rc_builder *b, rc_error *err)
{
    (void)self;
    rc_watch_options spec_only = {0};
    spec_only.predicates = RC_PRED_GENERATION_CHANGED;
    spec_only.skip_own_writes = true;
    int rc = rc_builder_for(b, "replicasets.apps", &spec_only, err);
    if (rc == 0)
        rc = rc_builder_watches(b, "configmaps", map_by_label, NULL, NULL, err);
    return rc ? rc : rc_builder_index(b, "configmaps", "by-rs", index_by_rs, NULL, err);
}

static int set_observed(void *arg, rc_object *d, rc_error *err)
{
    (void)arg;
    (void)err;
    return rc_object_set_int(d, "status.observedGeneration", rc_object_generation(d));
}

static rc_result rs_reconcile(void *self, rc_reconcile_ctx *ctx, const char *key)
{
    rsctl *r = self;
    r->reconciles++;
    rc_object *rs = NULL;
    rc_error err = {0};
    if (rc_ctx_get_key(ctx, "replicasets.apps", key, &rs, &err) != 0) {
        rc_error_clear(&err);
        return rc_result_done();
    }
    rc_object_list l;
    rc_object_list_init(&l);
    ck_assert_int_eq(rc_ctx_by_index(ctx, "configmaps", "by-rs", rc_object_name(rs), &l, NULL), 0);
    r->by_index = (int)l.count;
    rc_object_list_clear(&l);
    ck_assert_int_eq(rc_ctx_list(ctx, "pods", NULL, NULL, &l, &err), RC_EINVAL); /* not declared */
    rc_error_clear(&err);
    rc_object *out = NULL;
    int rc = rc_update_status(ctx, "replicasets.apps", rs, set_observed, NULL, &out, &err);
    if (rc == 0 && rc_object_get_int(out, "status.observedGeneration", 0) == rc_object_generation(rs))
        r->status_writes++;
    rc_object_unref(out);
    rc_object_unref(rs);
    return rc ? rc_result_from_error(ctx, &err) : rc_result_done();
}

static const rc_controller_ops rs_ops = {"rs", rs_setup, rs_reconcile, NULL};

static const char *rs_yaml = "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: web\nspec:\n  replicas: 1\n"
                             "  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n"
                             "      labels: {app: web}\n    spec:\n      containers:\n      - name: c\n"
                             "        image: nginx\n";

START_TEST(status_predicates_maps_and_index)
{
    rc_testenv *env = new_env(rs_yaml);
    rsctl r = {0};
    ck_assert_int_eq(rc_testenv_add_controller(env, &rs_ops, &r, NULL, NULL), 0);
    /* The first status write conflicts: it is retried with a fresh read. */
    rc_fault_rule conflict = {"update", "replicasets/status", NULL, NULL, 1, 1, RC_ECONFLICT};
    ck_assert_int_eq(rc_apiserver_fault_fail(rc_testenv_apiserver(env), &conflict, NULL), 0);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, RC_MINUTE), 0);
    ck_assert_int_eq(r.reconciles, 1); /* its own status write did not trigger another reconcile */
    ck_assert_int_eq(r.status_writes, 1);
    ck_assert(rc_testenv_field_equals(env, "replicasets.apps", "default", "web", "status.observedGeneration", "1",
                                      NULL));
    rc_client *admin = rc_testenv_client(env);
    const char *annotate = "{\"metadata\":{\"annotations\":{\"a\":\"b\"}}}";
    ck_assert_int_eq(rc_client_patch(admin, "replicasets.apps", "default", "web", RC_PATCH_MERGE, annotate,
                                     strlen(annotate), NULL, NULL, NULL),
                     0);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, RC_MINUTE), 0);
    ck_assert_int_eq(r.reconciles, 1); /* generation unchanged: filtered */
    const char *scale = "{\"spec\":{\"replicas\":3}}";
    ck_assert_int_eq(rc_client_patch(admin, "replicasets.apps", "default", "web", RC_PATCH_MERGE, scale,
                                     strlen(scale), NULL, NULL, NULL),
                     0);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, RC_MINUTE), 0);
    ck_assert_int_eq(r.reconciles, 2);
    ck_assert(rc_testenv_field_equals(env, "replicasets.apps", "default", "web", "status.observedGeneration", "2",
                                      NULL));
    ck_assert_int_eq(rc_testenv_load_yaml(env, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n"
                                               "  labels: {rs: web}\n",
                                          NULL),
                     0);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, RC_MINUTE), 0);
    ck_assert_int_eq(r.reconciles, 3); /* mapped from the ConfigMap's label */
    ck_assert_int_eq(r.by_index, 1);
    rc_testenv_free(env);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("controller");
    TCase *tc = tcase_create("helpers");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, claim_adopts_releases_and_ignores);
    tcase_add_test(tc, finalizer_runs_cleanup_once_on_delete);
    tcase_add_test(tc, status_predicates_maps_and_index);
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
