/* test_authz_cache.c - the API server remembers RBAC answers that allowed a request (authz_cache.c), and a
 * remembered answer never outlives the policy: after a Role, ClusterRole, RoleBinding or ClusterRoleBinding
 * is created, changed or deleted, the same request is answered by the new policy. An answer given by a rule
 * with resourceNames holds for that name only; a denial is never remembered. */
#include <reconcile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testutil.h"

#define ROLE "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"Role\",\"metadata\":{\"name\":\"r\"}," \
             "\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"configmaps\"],\"verbs\":[%s]%s}]}"
#define BINDING "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"%s\",\"metadata\":{\"name\":\"b\"}," \
                "\"subjects\":[{\"kind\":\"User\",\"name\":\"alice\"}],\"roleRef\":{\"apiGroup\":" \
                "\"rbac.authorization.k8s.io\",\"kind\":\"%s\",\"name\":\"%s\"}}"
#define CLUSTER_ROLE "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRole\",\"metadata\":" \
                     "{\"name\":\"cr\"},\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"configmaps\"]," \
                     "\"verbs\":[%s]}]}"

typedef struct env {
    rc_apiserver *srv;
    rc_client *admin; /* unauthenticated in process: allowed everything */
    rc_client *alice;
    rc_user user;
} env;

static rc_object *obj(const char *json)
{
    rc_error err = {0};
    rc_object *o = rc_object_from_json(json, strlen(json), &err);
    ck_assert_msg(o != NULL, "%s", err.message);
    return o;
}

/* create or update (kind given by the JSON) as admin */
static void put(env *e, const char *resource, const char *ns, const char *json, bool update)
{
    rc_error err = {0};
    rc_object *o = obj(json);
    int rc = update ? rc_client_update(e->admin, resource, ns, o, NULL, NULL, &err)
                    : rc_client_create(e->admin, resource, ns, o, NULL, NULL, &err);
    ck_assert_msg(rc == 0, "%s: %s", resource, err.message);
    rc_object_unref(o);
}

static void del(env *e, const char *resource, const char *ns, const char *name)
{
    rc_error err = {0};
    ck_assert_msg(rc_client_delete(e->admin, resource, ns, name, NULL, NULL, &err) == 0, "%s", err.message);
}

/* alice's get of ConfigMap name in "default": 0 or the error code */
static int alice_get(env *e, const char *name)
{
    rc_error err = {0};
    rc_object *o = NULL;
    int rc = rc_client_get(e->alice, "configmaps", "default", name, &o, &err);
    rc_object_unref(o);
    if (rc == RC_EFORBIDDEN)
        ck_assert_ptr_nonnull(strstr(err.message, "User \"alice\" cannot get resource \"configmaps\""));
    rc_error_clear(&err);
    return rc;
}

static void env_init(env *e)
{
    memset(e, 0, sizeof *e);
    rc_log_set_level(RC_LOG_OFF);
    rc_error err = {0};
    e->srv = rc_apiserver_new(NULL, &err);
    ck_assert_ptr_nonnull(e->srv);
    e->admin = rc_apiserver_client(e->srv, NULL);
    e->user.name = "alice";
    e->user.groups[0] = "system:authenticated";
    e->alice = rc_apiserver_client(e->srv, &e->user);
    put(e, "configmaps", "default",
        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"one\"},\"data\":{\"a\":\"b\"}}", false);
    put(e, "configmaps", "default",
        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"two\"},\"data\":{\"a\":\"b\"}}", false);
}

static void env_free(env *e)
{
    rc_client_unref(e->alice);
    rc_client_unref(e->admin);
    rc_apiserver_free(e->srv);
}

START_TEST(role_and_binding_changes_are_seen_at_once)
{
    env e;
    env_init(&e);
    char json[1024];
    ck_assert_int_eq(alice_get(&e, "one"), RC_EFORBIDDEN);
    snprintf(json, sizeof json, ROLE, "\"get\"", "");
    put(&e, "roles.rbac.authorization.k8s.io", "default", json, false);
    ck_assert_int_eq(alice_get(&e, "one"), RC_EFORBIDDEN); /* a denial is not remembered */
    snprintf(json, sizeof json, BINDING, "RoleBinding", "Role", "r");
    put(&e, "rolebindings.rbac.authorization.k8s.io", "default", json, false);
    for (int i = 0; i < 3; i++) { /* remembered after the first */
        ck_assert_int_eq(alice_get(&e, "one"), 0);
        ck_assert_int_eq(alice_get(&e, "two"), 0);
    }
    /* the Role loses the verb: the remembered answer goes with it */
    snprintf(json, sizeof json, ROLE, "\"list\"", "");
    put(&e, "roles.rbac.authorization.k8s.io", "default", json, true);
    ck_assert_int_eq(alice_get(&e, "one"), RC_EFORBIDDEN);
    snprintf(json, sizeof json, ROLE, "\"get\"", "");
    put(&e, "roles.rbac.authorization.k8s.io", "default", json, true);
    ck_assert_int_eq(alice_get(&e, "one"), 0);
    /* the binding goes */
    del(&e, "rolebindings.rbac.authorization.k8s.io", "default", "b");
    ck_assert_int_eq(alice_get(&e, "one"), RC_EFORBIDDEN);
    /* a ClusterRoleBinding to a ClusterRole, then the ClusterRole goes */
    snprintf(json, sizeof json, CLUSTER_ROLE, "\"get\"");
    put(&e, "clusterroles.rbac.authorization.k8s.io", NULL, json, false);
    snprintf(json, sizeof json, BINDING, "ClusterRoleBinding", "ClusterRole", "cr");
    put(&e, "clusterrolebindings.rbac.authorization.k8s.io", NULL, json, false);
    ck_assert_int_eq(alice_get(&e, "one"), 0);
    ck_assert_int_eq(alice_get(&e, "one"), 0);
    del(&e, "clusterroles.rbac.authorization.k8s.io", NULL, "cr");
    ck_assert_int_eq(alice_get(&e, "one"), RC_EFORBIDDEN);
    snprintf(json, sizeof json, CLUSTER_ROLE, "\"get\"");
    put(&e, "clusterroles.rbac.authorization.k8s.io", NULL, json, false);
    ck_assert_int_eq(alice_get(&e, "two"), 0);
    del(&e, "clusterrolebindings.rbac.authorization.k8s.io", NULL, "b");
    ck_assert_int_eq(alice_get(&e, "two"), RC_EFORBIDDEN);
    env_free(&e);
}
END_TEST

START_TEST(resource_names_answers_hold_for_their_name_only)
{
    env e;
    env_init(&e);
    char json[1024];
    snprintf(json, sizeof json, ROLE, "\"get\"", ",\"resourceNames\":[\"one\"]");
    put(&e, "roles.rbac.authorization.k8s.io", "default", json, false);
    snprintf(json, sizeof json, BINDING, "RoleBinding", "Role", "r");
    put(&e, "rolebindings.rbac.authorization.k8s.io", "default", json, false);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(alice_get(&e, "one"), 0);
        ck_assert_int_eq(alice_get(&e, "two"), RC_EFORBIDDEN);
    }
    /* widened to every name: "two" is allowed too */
    snprintf(json, sizeof json, ROLE, "\"get\"", "");
    put(&e, "roles.rbac.authorization.k8s.io", "default", json, true);
    ck_assert_int_eq(alice_get(&e, "two"), 0);
    /* narrowed again: "two" is refused although "any name" was remembered */
    snprintf(json, sizeof json, ROLE, "\"get\"", ",\"resourceNames\":[\"one\"]");
    put(&e, "roles.rbac.authorization.k8s.io", "default", json, true);
    ck_assert_int_eq(alice_get(&e, "two"), RC_EFORBIDDEN);
    ck_assert_int_eq(alice_get(&e, "one"), 0);
    env_free(&e);
}
END_TEST

START_TEST(answers_are_per_user_and_group)
{
    env e;
    env_init(&e);
    char json[1024];
    snprintf(json, sizeof json, ROLE, "\"get\"", "");
    put(&e, "roles.rbac.authorization.k8s.io", "default", json, false);
    put(&e, "rolebindings.rbac.authorization.k8s.io", "default",
        "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"RoleBinding\",\"metadata\":{\"name\":\"g\"},"
        "\"subjects\":[{\"kind\":\"Group\",\"name\":\"readers\"}],\"roleRef\":{\"apiGroup\":"
        "\"rbac.authorization.k8s.io\",\"kind\":\"Role\",\"name\":\"r\"}}",
        false);
    rc_user reader = {.name = "alice", .groups = {"readers"}};
    rc_client *c = rc_apiserver_client(e.srv, &reader);
    rc_error err = {0};
    rc_object *o = NULL;
    ck_assert_int_eq(rc_client_get(c, "configmaps", "default", "one", &o, &err), 0);
    rc_object_unref(o);
    o = NULL;
    ck_assert_int_eq(rc_client_get(c, "configmaps", "default", "one", &o, &err), 0);
    rc_object_unref(o);
    /* same name, without the group: not allowed by what was remembered for the group member */
    ck_assert_int_eq(alice_get(&e, "one"), RC_EFORBIDDEN);
    /* another namespace: the RoleBinding does not reach it */
    o = NULL;
    ck_assert_int_eq(rc_client_get(c, "configmaps", "kube-system", "one", &o, &err), RC_EFORBIDDEN);
    rc_error_clear(&err);
    rc_client_unref(c);
    env_free(&e);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("authz_cache");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, role_and_binding_changes_are_seen_at_once);
    tcase_add_test(tc, resource_names_answers_hold_for_their_name_only);
    tcase_add_test(tc, answers_are_per_user_and_group);
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
