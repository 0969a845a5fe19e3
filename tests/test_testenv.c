/* test_testenv.c - the offline test environment: fixtures, assertions, the action log, fault injection,
 * a controller run as a service account (missing RBAC permissions fail; granted ones work) and the
 * least-privilege RBAC report. */
#include <reconcile/testenv.h>
#include <stdlib.h>
#include <string.h>

#include "support/testutil.h"

/* Labels every ConfigMap in its namespace with a Secret-free "done" annotation via status-less update. */
static int setup(void *self, rc_builder *b, rc_error *err)
{
    (void)self;
    return rc_builder_for(b, "configmaps", NULL, err);
}

static int annotate(void *arg, rc_object *d, rc_error *err)
{
    (void)arg;
    (void)err;
    return rc_object_set_annotation(d, "example.com/done", "true");
}

static rc_result reconcile(void *self, rc_reconcile_ctx *ctx, const char *key)
{
    int *count = self;
    (*count)++;
    rc_object *cm = NULL;
    rc_error err = {0};
    int rc = rc_ctx_get_key(ctx, "configmaps", key, &cm, &err);
    if (rc == RC_ENOTFOUND) {
        rc_error_clear(&err);
        return rc_result_done();
    }
    rc_op_result op;
    if (rc == 0)
        rc = rc_create_or_update(ctx, "configmaps", rc_object_namespace(cm), rc_object_name(cm), annotate, NULL,
                                 NULL, &op, &err);
    rc_object_unref(cm);
    return rc ? rc_result_from_error(ctx, &err) : rc_result_done();
}

static const rc_controller_ops ops = {"annotator", setup, reconcile, NULL};

static const char *fixtures = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\ndata:\n  a: b\n";

static const char *rbac = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: annotator\n---\n"
                          "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: annotator\n"
                          "rules:\n- apiGroups: [\"\"]\n  resources: [configmaps]\n  verbs: [list, watch]\n---\n"
                          "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n"
                          "  name: annotator\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n"
                          "  name: annotator\nsubjects:\n- kind: ServiceAccount\n  name: annotator\n"
                          "  namespace: default\n";

static const char *update_grant = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: writer\n"
                                  "  namespace: default\nrules:\n- apiGroups: [\"\"]\n  resources: [configmaps]\n"
                                  "  verbs: [update]\n---\n"
                                  "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n"
                                  "  name: writer\n  namespace: default\nroleRef:\n"
                                  "  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: writer\nsubjects:\n"
                                  "- kind: ServiceAccount\n  name: annotator\n  namespace: default\n";

START_TEST(admin_controller_and_assertions)
{
    rc_testenv *env = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_testenv_new(NULL, &env, &err), 0);
    ck_assert_msg(rc_testenv_load_yaml(env, fixtures, &err) == 0, "%s", err.message);
    int count = 0;
    ck_assert_int_eq(rc_testenv_add_controller(env, &ops, &count, NULL, &err), 0);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, RC_MINUTE), 0);
    ck_assert_msg(rc_testenv_field_equals(env, "configmaps", "default", "one", "metadata.annotations",
                                          "{\"example.com/done\":\"true\"}", &err),
                  "%s", err.message);
    ck_assert(!rc_testenv_field_equals(env, "configmaps", "default", "one", "data.zz", "1", &err));
    ck_assert_int_eq(err.code, RC_ENOTFOUND);
    rc_error_clear(&err);
    ck_assert(!rc_testenv_field_equals(env, "configmaps", "default", "nope", "data", "1", &err));
    rc_error_clear(&err);
    ck_assert(!rc_testenv_field_equals(env, "configmaps", "default", "one", "data", "{bad", &err));
    ck_assert_int_eq(err.code, RC_EBADREQUEST);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_testenv_count(env, "configmaps", "default", NULL, &err), 1);
    ck_assert_int_lt(rc_testenv_count(env, "configmaps", "default", "a in (", &err), 0);
    rc_error_clear(&err);
    char *log = rc_testenv_actions_text(env);
    ck_assert_ptr_nonnull(strstr(log, "update configmaps default/one - 0\n"));
    free(log);
    /* Bad fixtures fail whole with the document named. */
    ck_assert_int_ne(rc_testenv_load_yaml(env, "apiVersion: v1\nkind: Nope\nmetadata:\n  name: x\n", &err), 0);
    ck_assert_ptr_nonnull(strstr(err.message, "document 1"));
    rc_error_clear(&err);
    ck_assert_int_ne(rc_testenv_load_yaml(env, "a: [", &err), 0);
    rc_error_clear(&err);
    rc_testenv_free(env);
}
END_TEST

START_TEST(faults_are_retried)
{
    rc_testenv *env = NULL;
    ck_assert_int_eq(rc_testenv_new(NULL, &env, NULL), 0);
    ck_assert_int_eq(rc_testenv_load_yaml(env, fixtures, NULL), 0);
    int count = 0;
    ck_assert_int_eq(rc_testenv_add_controller(env, &ops, &count, NULL, NULL), 0);
    rc_fault_rule rule = {"update", "configmaps", NULL, NULL, 1, 2, RC_EUNAVAILABLE};
    ck_assert_int_eq(rc_apiserver_fault_fail(rc_testenv_apiserver(env), &rule, NULL), 0);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, RC_MINUTE), 0);
    ck_assert(rc_testenv_field_equals(env, "configmaps", "default", "one", "metadata.annotations",
                                      "{\"example.com/done\":\"true\"}", NULL));
    ck_assert_int_ge(count, 3); /* two failures, then success */
    rc_testenv_free(env);
}
END_TEST

START_TEST(service_account_permissions_and_rbac_report)
{
    rc_testenv *env = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_testenv_new(NULL, &env, &err), 0);
    ck_assert_int_eq(rc_testenv_load_yaml(env, fixtures, &err), 0);
    int count = 0;
    ck_assert_int_eq(rc_testenv_add_controller_as(env, "default", "annotator", &ops, &count, NULL, &err), 0);
    /* No RBAC yet: the informer's list is forbidden, the run fails. */
    ck_assert_int_eq(rc_testenv_run_until_stable(env, RC_MINUTE), RC_EFORBIDDEN);
    ck_assert_msg(rc_testenv_load_yaml(env, rbac, &err) == 0, "%s", err.message);
    /* list/watch granted but not update: reconcile fails with 403 and is retried. */
    ck_assert_int_eq(rc_testenv_run_until_stable(env, RC_MINUTE), 0);
    ck_assert_int_ge(count, 2);
    char *log = rc_testenv_actions_text(env);
    ck_assert_ptr_nonnull(strstr(log, "update configmaps default/one system:serviceaccount:default:annotator -7\n"));
    free(log);
    ck_assert_msg(rc_testenv_load_yaml(env, update_grant, &err) == 0, "%s", err.message);
    ck_assert_int_eq(rc_testenv_advance(env, 20 * RC_MINUTE), 0);
    ck_assert(rc_testenv_field_equals(env, "configmaps", "default", "one", "metadata.annotations",
                                      "{\"example.com/done\":\"true\"}", NULL));
    char *yaml = NULL;
    ck_assert_int_eq(rc_testenv_rbac_report(env, "annotator", &yaml, &err), 0);
    ck_assert_str_eq(yaml, "apiVersion: rbac.authorization.k8s.io/v1\n"
                           "kind: ClusterRole\n"
                           "metadata:\n"
                           "  name: annotator-role\n"
                           "rules:\n"
                           "- apiGroups:\n"
                           "  - \"\"\n"
                           "  resources:\n"
                           "  - configmaps\n"
                           "  verbs:\n"
                           "  - list\n"
                           "  - watch\n"
                           "  - update\n");
    free(yaml);
    ck_assert_int_eq(rc_testenv_rbac_report(env, "nope", &yaml, &err), RC_ENOTFOUND);
    rc_error_clear(&err);
    rc_testenv_free(env);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("testenv");
    TCase *tc = tcase_create("env");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, admin_controller_and_assertions);
    tcase_add_test(tc, faults_are_retried);
    tcase_add_test(tc, service_account_permissions_and_rbac_report);
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
