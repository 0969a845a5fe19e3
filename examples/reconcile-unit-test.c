/* reconcile-unit-test.c - an offline unit test of a small custom controller with Check and rc_testenv:
 * no cluster, no threads, no sleeps. The "greeter" controller gives every ConfigMap labelled greet=yes an
 * owned ConfigMap "<name>-greeting" whose data.greeting says hello to data.name. The test loads fixtures,
 * runs the controller as a service account (so a missing RBAC rule would fail it), asserts on the result,
 * edits the input and checks the controller follows, and prints the least-privilege Role it needs.
 *
 * Build (done by `make examples`):
 *   cc -std=c11 reconcile-unit-test.c $(pkg-config --cflags --libs libreconcile check) */
#include <check.h>
#include <reconcile/testenv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the controller under test ---- */

static int greeter_setup(void *self, rc_builder *b, rc_error *err)
{
    (void)self;
    rc_watch_options opts = {0};
    opts.skip_own_writes = true;
    int rc = rc_builder_for(b, "configmaps", &opts, err);
    return rc ? rc : rc_builder_owns(b, "configmaps", NULL, err);
}

typedef struct greeting {
    const rc_object *source;
    const char *who;
} greeting;

static int fill_greeting(void *arg, rc_object *draft, rc_error *err)
{
    const greeting *g = arg;
    char text[300];
    snprintf(text, sizeof text, "hello %s", g->who);
    rc_object_set_str(draft, "data.greeting", text);
    return rc_is_controlled_by(draft, g->source) ? 0 : rc_set_controller_ref(draft, g->source, err);
}

static rc_result greeter_reconcile(void *self, rc_reconcile_ctx *ctx, const char *key)
{
    (void)self;
    rc_error err = {0};
    rc_object *cm = NULL;
    int rc = rc_ctx_get_key(ctx, "configmaps", key, &cm, &err);
    if (rc == RC_ENOTFOUND) { /* deleted: the garbage collector removes the greeting */
        rc_error_clear(&err);
        return rc_result_done();
    }
    if (rc)
        return rc_result_from_error(ctx, &err);
    const char *greet = rc_object_label(cm, "greet");
    const char *who = rc_object_get_str(cm, "data.name");
    if (greet && !strcmp(greet, "yes") && who) {
        char name[300];
        snprintf(name, sizeof name, "%s-greeting", rc_object_name(cm));
        greeting g = {cm, who};
        rc_op_result op;
        rc = rc_create_or_update(ctx, "configmaps", rc_object_namespace(cm), name, fill_greeting, &g, NULL, &op, &err);
        if (rc == 0 && op != RC_OP_UNCHANGED)
            rc_ctx_event(ctx, cm, RC_EVENT_NORMAL, "Greeted", "greeting %s", op == RC_OP_CREATED ? "created" : "updated");
    }
    rc_object_unref(cm);
    return rc ? rc_result_from_error(ctx, &err) : rc_result_done();
}

static const rc_controller_ops greeter = {"greeter", greeter_setup, greeter_reconcile, NULL};

/* ---- fixtures ---- */

static const char *rbac_yaml =
    "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: greeter\n  namespace: default\n---\n"
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: greeter\nrules:\n"
    "- apiGroups: [\"\"]\n  resources: [configmaps]\n  verbs: [list, watch, create, update]\n"
    "- apiGroups: [\"\"]\n  resources: [events]\n  verbs: [create, patch]\n---\n"
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: greeter\n"
    "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: greeter}\n"
    "subjects:\n- {kind: ServiceAccount, name: greeter, namespace: default}\n";

static const char *input_yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: alice\n  namespace: default\n"
                                "  labels: {greet: \"yes\"}\ndata:\n  name: Alice\n---\n"
                                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: quiet\n  namespace: default\n"
                                "data:\n  name: Bob\n";

static rc_testenv *start_env(void)
{
    rc_testenv *env = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_testenv_new(NULL, &env, &err), 0);
    ck_assert_msg(rc_testenv_load_yaml(env, rbac_yaml, &err) == 0, "%s", err.message);
    ck_assert_msg(rc_testenv_load_yaml(env, input_yaml, &err) == 0, "%s", err.message);
    ck_assert_msg(rc_testenv_add_controller_as(env, "default", "greeter", &greeter, NULL, NULL, &err) == 0, "%s",
                  err.message);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, RC_MINUTE), 0);
    return env;
}

/* ---- the tests ---- */

START_TEST(greets_labelled_configmaps_only)
{
    rc_testenv *env = start_env();
    rc_error err = {0};
    ck_assert_msg(rc_testenv_field_equals(env, "configmaps", "default", "alice-greeting", "data.greeting",
                                          "\"hello Alice\"", &err),
                  "%s", err.message);
    ck_assert(rc_testenv_field_equals(env, "configmaps", "default", "alice-greeting",
                                      "metadata.ownerReferences.0.name", "\"alice\"", NULL));
    ck_assert_int_eq(rc_testenv_count(env, "configmaps", "default", NULL, NULL), 3); /* no greeting for quiet */
    rc_testenv_free(env);
}
END_TEST

START_TEST(follows_edits)
{
    rc_testenv *env = start_env();
    const char *patch = "{\"data\":{\"name\":\"Alicia\"}}";
    ck_assert_int_eq(rc_client_patch(rc_testenv_client(env), "configmaps", "default", "alice", RC_PATCH_MERGE, patch,
                                     strlen(patch), NULL, NULL, NULL),
                     0);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, RC_MINUTE), 0);
    ck_assert(rc_testenv_field_equals(env, "configmaps", "default", "alice-greeting", "data.greeting",
                                      "\"hello Alicia\"", NULL));
    rc_testenv_free(env);
}
END_TEST

START_TEST(needs_only_these_permissions)
{
    rc_testenv *env = start_env();
    char *role = NULL;
    ck_assert_int_eq(rc_testenv_rbac_report(env, "greeter", &role, NULL), 0);
    printf("least-privilege role for greeter:\n%s", role);
    ck_assert_ptr_nonnull(strstr(role, "kind: ClusterRole\n"));
    ck_assert_ptr_nonnull(strstr(role, "  - configmaps\n  verbs:\n  - list\n  - watch\n  - create\n"));
    ck_assert_ptr_nonnull(strstr(role, "  - events\n  verbs:\n  - create\n"));
    free(role);
    rc_testenv_free(env);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("greeter");
    TCase *tc = tcase_create("offline");
    tcase_add_test(tc, greets_labelled_configmaps_only);
    tcase_add_test(tc, follows_edits);
    tcase_add_test(tc, needs_only_these_permissions);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
