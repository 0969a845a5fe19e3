/* test_rbac.c - the RBAC authorizer over an in-memory role source: the concept notes' example-role bound to
 * example-sa allows exactly what it grants; subjects (User, Group, ServiceAccount with and without
 * namespace); RoleBinding to a ClusterRole scoped to its namespace; subresources, "*", resourceNames,
 * non-resource URLs; the bootstrap ClusterRoles; system:masters; upstream's Forbidden messages; source
 * errors and bad arguments. */
#include <reconcile.h>
#include <reconcile/rbac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/rbac.h"
#include "support/testutil.h"

/* ---- an in-memory source ---- */

typedef struct fake_source {
    cJSON *objects; /* array of RBAC objects of every kind */
    int fail;       /* when non-zero, list/get return it */
    int lists, gets;
} fake_source;

static const char *kind_of(const char *resource)
{
    if (!strcmp(resource, "roles")) return "Role";
    if (!strcmp(resource, "rolebindings")) return "RoleBinding";
    if (!strcmp(resource, "clusterroles")) return "ClusterRole";
    return "ClusterRoleBinding";
}

static bool in_scope(const cJSON *o, const char *resource, const char *ns)
{
    const cJSON *meta = cJSON_GetObjectItem(o, "metadata");
    const cJSON *ons = cJSON_GetObjectItem(meta, "namespace");
    return !strcmp(cJSON_GetObjectItem(o, "kind")->valuestring, kind_of(resource)) &&
           !strcmp(cJSON_IsString(ons) ? ons->valuestring : "", ns ? ns : "");
}

static int fake_list(void *ctx, const char *resource, const char *ns, void (*each)(void *, const cJSON *), void *arg)
{
    fake_source *f = ctx;
    f->lists++;
    if (f->fail)
        return f->fail;
    for (const cJSON *o = f->objects->child; o; o = o->next)
        if (in_scope(o, resource, ns))
            each(arg, o);
    return 0;
}

static int fake_get(void *ctx, const char *resource, const char *ns, const char *name,
                    void (*each)(void *, const cJSON *), void *arg)
{
    fake_source *f = ctx;
    f->gets++;
    if (f->fail)
        return f->fail;
    for (const cJSON *o = f->objects->child; o; o = o->next)
        if (in_scope(o, resource, ns) &&
            !strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "metadata"), "name")->valuestring, name))
            each(arg, o);
    return 0;
}

static fake_source fake;
static rc_rbac_source src_list = {fake_list, NULL, &fake};
static rc_rbac_source src_get = {fake_list, fake_get, &fake};

static void add(const char *text)
{
    char *s = strdup(text);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    cJSON *o = cJSON_Parse(s);
    free(s);
    ck_assert_ptr_nonnull(o);
    cJSON_AddItemToArray(fake.objects, o);
}

#define RBACV "'apiVersion':'rbac.authorization.k8s.io/v1'"

static const rc_user sa = {"system:serviceaccount:mynamespace:example-sa",
                           {"system:serviceaccounts", "system:serviceaccounts:mynamespace", "system:authenticated"}};
static const rc_user alice = {"alice", {"dev", "system:authenticated"}};
static const rc_user admin = {"root", {"system:masters"}};

static int authz(const rc_rbac_source *src, const rc_user *u, const char *verb, const char *group,
                 const char *resource, const char *sub, const char *ns, const char *name, rc_error *err)
{
    rc_authz_attrs a = {u, verb, group, resource, sub, ns, name, NULL};
    return rc_rbac_authorize(src, &a, err);
}

static void setup(void)
{
    memset(&fake, 0, sizeof fake);
    fake.objects = cJSON_CreateArray();
    /* the notes' example-role and a binding to example-sa (namespace from the binding) */
    add("{" RBACV ",'kind':'Role','metadata':{'namespace':'mynamespace','name':'example-role'},'rules':["
        "{'apiGroups':[''],'resources':['pods'],'verbs':['get','watch','list']},"
        "{'apiGroups':[''],'resources':['configmaps'],'resourceNames':['my-config'],'verbs':['get']}]}");
    add("{" RBACV ",'kind':'RoleBinding','metadata':{'name':'example-rolebinding','namespace':'mynamespace'},"
        "'subjects':[{'kind':'ServiceAccount','name':'example-sa'}],"
        "'roleRef':{'kind':'Role','name':'example-role','apiGroup':'rbac.authorization.k8s.io'}}");
}

static void teardown(void) { cJSON_Delete(fake.objects); }

START_TEST(example_role_allows_exactly_its_rules)
{
    const rc_rbac_source *srcs[] = {&src_list, &src_get};
    for (size_t i = 0; i < 2; i++) {
        const rc_rbac_source *s = srcs[i];
        static const char *const allowed_verbs[] = {"get", "watch", "list"};
        for (size_t v = 0; v < 3; v++)
            ck_assert_int_eq(authz(s, &sa, allowed_verbs[v], "", "pods", "", "mynamespace", "", NULL), 0);
        ck_assert_int_eq(authz(s, &sa, "get", "", "pods", "", "mynamespace", "web-0", NULL), 0);
        ck_assert_int_eq(authz(s, &sa, "get", "", "configmaps", "", "mynamespace", "my-config", NULL), 0);
        /* everything else is denied */
        static const char *const denied_verbs[] = {"create", "update", "patch", "delete", "deletecollection"};
        for (size_t v = 0; v < 5; v++)
            ck_assert_int_eq(authz(s, &sa, denied_verbs[v], "", "pods", "", "mynamespace", "", NULL), RC_EFORBIDDEN);
        ck_assert_int_eq(authz(s, &sa, "get", "", "configmaps", "", "mynamespace", "other", NULL), RC_EFORBIDDEN);
        ck_assert_int_eq(authz(s, &sa, "list", "", "configmaps", "", "mynamespace", "", NULL), RC_EFORBIDDEN);
        ck_assert_int_eq(authz(s, &sa, "update", "", "configmaps", "", "mynamespace", "my-config", NULL),
                         RC_EFORBIDDEN);
        ck_assert_int_eq(authz(s, &sa, "get", "", "pods", "status", "mynamespace", "web-0", NULL), RC_EFORBIDDEN);
        ck_assert_int_eq(authz(s, &sa, "get", "", "pods", "", "default", "web-0", NULL), RC_EFORBIDDEN);
        ck_assert_int_eq(authz(s, &sa, "list", "", "pods", "", "", "", NULL), RC_EFORBIDDEN);
        ck_assert_int_eq(authz(s, &sa, "get", "", "secrets", "", "mynamespace", "x", NULL), RC_EFORBIDDEN);
        ck_assert_int_eq(authz(s, &sa, "get", "apps", "pods", "", "mynamespace", "", NULL), RC_EFORBIDDEN);
        /* another service account of the same name elsewhere, and users, get nothing */
        rc_user other = {"system:serviceaccount:default:example-sa", {"system:serviceaccounts"}};
        ck_assert_int_eq(authz(s, &other, "get", "", "pods", "", "mynamespace", "", NULL), RC_EFORBIDDEN);
        ck_assert_int_eq(authz(s, &alice, "get", "", "pods", "", "mynamespace", "", NULL), RC_EFORBIDDEN);
        ck_assert_int_eq(authz(s, NULL, "get", "", "pods", "", "mynamespace", "", NULL), RC_EFORBIDDEN);
    }
    ck_assert_int_gt(fake.gets, 0);
}
END_TEST

START_TEST(forbidden_messages_follow_upstream)
{
    rc_error err = {0};
    ck_assert_int_eq(authz(&src_list, &sa, "list", "", "pods", "", "default", "", &err), RC_EFORBIDDEN);
    ck_assert_int_eq(err.http_status, 403);
    ck_assert_str_eq(err.reason, "Forbidden");
    ck_assert_str_eq(err.message, "pods is forbidden: User \"system:serviceaccount:mynamespace:example-sa\" cannot "
                                  "list resource \"pods\" in API group \"\" in the namespace \"default\"");
    authz(&src_list, &sa, "get", "", "configmaps", "", "mynamespace", "other", &err);
    ck_assert_str_eq(err.message, "configmaps \"other\" is forbidden: User \"system:serviceaccount:mynamespace:"
                                  "example-sa\" cannot get resource \"configmaps\" in API group \"\" in the namespace "
                                  "\"mynamespace\"");
    authz(&src_list, &alice, "list", "", "nodes", "", "", "", &err);
    ck_assert_str_eq(err.message, "nodes is forbidden: User \"alice\" cannot list resource \"nodes\" in API group \"\" "
                                  "at the cluster scope");
    authz(&src_list, &alice, "update", "apps", "deployments", "scale", "prod", "web", &err);
    ck_assert_str_eq(err.message, "deployments.apps \"web\" is forbidden: User \"alice\" cannot update resource "
                                  "\"deployments/scale\" in API group \"apps\" in the namespace \"prod\"");
    rc_authz_attrs path = {&alice, "get", NULL, NULL, NULL, NULL, NULL, "/healthz"};
    ck_assert_int_eq(rc_rbac_authorize(&src_list, &path, &err), RC_EFORBIDDEN);
    ck_assert_str_eq(err.message, "forbidden: User \"alice\" cannot get path \"/healthz\"");
    rc_error_clear(&err);
}
END_TEST

START_TEST(subjects_users_groups_and_namespaced_cluster_roles)
{
    add("{" RBACV ",'kind':'ClusterRole','metadata':{'name':'pod-reader'},'rules':[{'apiGroups':[''],"
        "'resources':['pods','pods/log'],'verbs':['get','list']}]}");
    /* RoleBinding to a ClusterRole grants it only in the binding's namespace */
    add("{" RBACV ",'kind':'RoleBinding','metadata':{'name':'b1','namespace':'team'},'subjects':[{'kind':'User',"
        "'name':'alice','apiGroup':'rbac.authorization.k8s.io'}],'roleRef':{'kind':'ClusterRole','name':'pod-reader',"
        "'apiGroup':'rbac.authorization.k8s.io'}}");
    ck_assert_int_eq(authz(&src_list, &alice, "get", "", "pods", "", "team", "x", NULL), 0);
    ck_assert_int_eq(authz(&src_list, &alice, "get", "", "pods", "log", "team", "x", NULL), 0);
    ck_assert_int_eq(authz(&src_list, &alice, "get", "", "pods", "", "other", "x", NULL), RC_EFORBIDDEN);
    ck_assert_int_eq(authz(&src_list, &alice, "list", "", "pods", "", "", "", NULL), RC_EFORBIDDEN);
    /* a Group subject in a ClusterRoleBinding grants everywhere */
    add("{" RBACV ",'kind':'ClusterRoleBinding','metadata':{'name':'devs'},'subjects':[{'kind':'Group','name':'dev'}],"
        "'roleRef':{'kind':'ClusterRole','name':'pod-reader','apiGroup':'rbac.authorization.k8s.io'}}");
    ck_assert_int_eq(authz(&src_list, &alice, "list", "", "pods", "", "", "", NULL), 0);
    ck_assert_int_eq(authz(&src_get, &alice, "list", "", "pods", "", "other", "", NULL), 0);
    /* a ClusterRoleBinding naming a ServiceAccount needs its namespace */
    add("{" RBACV ",'kind':'ClusterRoleBinding','metadata':{'name':'sa-nons'},'subjects':[{'kind':'ServiceAccount',"
        "'name':'builder'}],'roleRef':{'kind':'ClusterRole','name':'pod-reader','apiGroup':'rbac.authorization.k8s.io'}}");
    rc_user builder = {"system:serviceaccount:ci:builder", {"system:serviceaccounts"}};
    ck_assert_int_eq(authz(&src_list, &builder, "get", "", "pods", "", "ci", "x", NULL), RC_EFORBIDDEN);
    add("{" RBACV ",'kind':'ClusterRoleBinding','metadata':{'name':'sa-ns'},'subjects':[{'kind':'ServiceAccount',"
        "'name':'builder','namespace':'ci'}],'roleRef':{'kind':'ClusterRole','name':'pod-reader',"
        "'apiGroup':'rbac.authorization.k8s.io'}}");
    ck_assert_int_eq(authz(&src_list, &builder, "get", "", "pods", "", "ci", "x", NULL), 0);
    /* a binding to a missing role grants nothing */
    add("{" RBACV ",'kind':'RoleBinding','metadata':{'name':'dangling','namespace':'team'},'subjects':[{'kind':'User',"
        "'name':'bob'}],'roleRef':{'kind':'Role','name':'missing','apiGroup':'rbac.authorization.k8s.io'}}");
    rc_user bob = {"bob", {NULL}};
    ck_assert_int_eq(authz(&src_get, &bob, "get", "", "pods", "", "team", "x", NULL), RC_EFORBIDDEN);
}
END_TEST

START_TEST(rule_matching)
{
    char text[] = "{\"apiGroups\":[\"apps\"],\"resources\":[\"*/scale\",\"deployments/status\"],\"verbs\":[\"*\"]}";
    cJSON *rule = cJSON_Parse(text);
    rc_authz_attrs a = {&alice, "update", "apps", "deployments", "scale", "ns", "web", NULL};
    ck_assert(rc_rbac_rule_allows(rule, &a));
    a.resource = "statefulsets";
    ck_assert(rc_rbac_rule_allows(rule, &a));
    a.subresource = "status";
    ck_assert(!rc_rbac_rule_allows(rule, &a));
    a.resource = "deployments";
    ck_assert(rc_rbac_rule_allows(rule, &a));
    a.subresource = "";
    ck_assert(!rc_rbac_rule_allows(rule, &a)); /* the resource itself is not its subresource */
    a.api_group = "";
    a.subresource = "scale";
    ck_assert(!rc_rbac_rule_allows(rule, &a));
    cJSON_Delete(rule);
    rule = cJSON_Parse("{\"nonResourceURLs\":[\"/apis/*\",\"/healthz\"],\"verbs\":[\"get\"]}");
    rc_authz_attrs p = {&alice, "get", NULL, NULL, NULL, NULL, NULL, "/apis/apps/v1"};
    ck_assert(rc_rbac_rule_allows(rule, &p));
    p.non_resource_path = "/healthz";
    ck_assert(rc_rbac_rule_allows(rule, &p));
    p.non_resource_path = "/healthz/ready";
    ck_assert(!rc_rbac_rule_allows(rule, &p));
    p.verb = "post";
    p.non_resource_path = "/apis";
    ck_assert(!rc_rbac_rule_allows(rule, &p));
    cJSON_Delete(rule);
    rule = cJSON_Parse("{\"apiGroups\":[\"*\"],\"resources\":[\"*\"],\"verbs\":[\"*\"]}");
    rc_authz_attrs any = {&alice, "escalate", "rbac.authorization.k8s.io", "roles", "", "", "", NULL};
    ck_assert(rc_rbac_rule_allows(rule, &any));
    any.subresource = "status";
    ck_assert(rc_rbac_rule_allows(rule, &any));
    ck_assert(!rc_rbac_rule_allows(NULL, &any));
    ck_assert(!rc_rbac_rule_allows(rule, NULL));
    cJSON_Delete(rule);
}
END_TEST

START_TEST(bootstrap_policy_roles)
{
    cJSON *boot = rci_rbac_bootstrap_objects();
    ck_assert_ptr_nonnull(boot);
    ck_assert_int_eq(cJSON_GetArraySize(boot), 9);
    for (cJSON *o = boot->child; o; o = o->next)
        cJSON_AddItemToArray(fake.objects, cJSON_Duplicate(o, true));
    cJSON_Delete(boot);
    /* everyone authenticated may discover and ask "can I" */
    rc_authz_attrs path = {&alice, "get", NULL, NULL, NULL, NULL, NULL, "/apis/apps/v1"};
    ck_assert_int_eq(rc_rbac_authorize(&src_list, &path, NULL), 0);
    ck_assert_int_eq(authz(&src_list, &alice, "create", "authorization.k8s.io", "selfsubjectaccessreviews", "", "", "",
                           NULL), 0);
    /* view / edit / admin through RoleBindings in "team" */
    static const char *const roles[] = {"view", "edit", "admin"};
    static const char *const users[] = {"viewer", "editor", "owner"};
    for (size_t i = 0; i < 3; i++) {
        char buf[512];
        snprintf(buf, sizeof buf, "{" RBACV ",'kind':'RoleBinding','metadata':{'name':'%s','namespace':'team'},"
                                  "'subjects':[{'kind':'User','name':'%s'}],'roleRef':{'kind':'ClusterRole','name':'%s',"
                                  "'apiGroup':'rbac.authorization.k8s.io'}}", roles[i], users[i], roles[i]);
        add(buf);
    }
    rc_user viewer = {"viewer", {NULL}}, editor = {"editor", {NULL}}, owner = {"owner", {NULL}};
    ck_assert_int_eq(authz(&src_get, &viewer, "list", "apps", "deployments", "", "team", "", NULL), 0);
    ck_assert_int_eq(authz(&src_get, &viewer, "get", "", "pods", "log", "team", "p", NULL), 0);
    ck_assert_int_eq(authz(&src_get, &viewer, "get", "", "secrets", "", "team", "s", NULL), RC_EFORBIDDEN);
    ck_assert_int_eq(authz(&src_get, &viewer, "create", "apps", "deployments", "", "team", "", NULL), RC_EFORBIDDEN);
    ck_assert_int_eq(authz(&src_get, &editor, "create", "apps", "deployments", "", "team", "", NULL), 0);
    ck_assert_int_eq(authz(&src_get, &editor, "update", "apps", "deployments", "scale", "team", "web", NULL), 0);
    ck_assert_int_eq(authz(&src_get, &editor, "get", "", "secrets", "", "team", "s", NULL), 0);
    ck_assert_int_eq(authz(&src_get, &editor, "create", "rbac.authorization.k8s.io", "roles", "", "team", "", NULL),
                     RC_EFORBIDDEN);
    ck_assert_int_eq(authz(&src_get, &owner, "create", "rbac.authorization.k8s.io", "rolebindings", "", "team", "",
                           NULL), 0);
    ck_assert_int_eq(authz(&src_get, &owner, "create", "apps", "deployments", "", "other", "", NULL), RC_EFORBIDDEN);
    ck_assert_int_eq(authz(&src_get, &owner, "list", "", "nodes", "", "", "", NULL), RC_EFORBIDDEN);
    /* cluster-admin through system:masters' binding, and the explicit bypass */
    rc_user root2 = {"root2", {"system:masters"}};
    ck_assert_int_eq(authz(&src_get, &root2, "delete", "", "nodes", "", "", "n1", NULL), 0);
    rc_authz_attrs any_path = {&root2, "post", NULL, NULL, NULL, NULL, NULL, "/anything"};
    ck_assert_int_eq(rc_rbac_authorize(&src_get, &any_path, NULL), 0);
}
END_TEST

START_TEST(masters_source_errors_and_bad_arguments)
{
    ck_assert_int_eq(authz(&src_list, &admin, "delete", "", "namespaces", "", "", "kube-system", NULL), 0);
    rc_error err = {0};
    fake.fail = RC_EUNAVAILABLE;
    ck_assert_int_eq(authz(&src_list, &sa, "get", "", "pods", "", "mynamespace", "", &err), RC_EUNAVAILABLE);
    ck_assert_ptr_nonnull(strstr(err.message, "RBAC"));
    ck_assert_int_eq(authz(&src_list, &admin, "get", "", "pods", "", "", "", NULL), 0); /* no lookup needed */
    fake.fail = 0;
    ck_assert_int_eq(rc_rbac_authorize(NULL, NULL, &err), RC_EINVAL);
    ck_assert_int_eq(authz(&src_list, &sa, NULL, "", "pods", "", "", "", &err), RC_EINVAL);
    ck_assert_int_eq(authz(&src_list, &sa, "", "", "pods", "", "", "", &err), RC_EINVAL);
    rc_rbac_source empty = {NULL, NULL, NULL};
    ck_assert_int_eq(authz(&empty, &sa, "get", "", "pods", "", "", "", &err), RC_EINVAL);
    rc_error_clear(&err);
    /* malformed policy objects are skipped, not crashed on */
    add("{'kind':'RoleBinding','metadata':{'name':'junk','namespace':'mynamespace'},'subjects':'x','roleRef':7}");
    add("{'kind':'ClusterRoleBinding','metadata':{'name':'junk2'},'subjects':[{'kind':7}],'roleRef':{'kind':'ClusterRole'}}");
    add("{'kind':'Role','metadata':{'name':'example-role','namespace':'mynamespace'},'rules':{'verbs':'*'}}");
    ck_assert_int_eq(authz(&src_list, &sa, "get", "", "pods", "", "mynamespace", "", NULL), 0);
    ck_assert_int_eq(authz(&src_list, &sa, "create", "", "pods", "", "mynamespace", "", NULL), RC_EFORBIDDEN);
    cJSON *subject = cJSON_Parse("{\"kind\":\"ServiceAccount\",\"name\":\"example-sa\"}");
    ck_assert(rc_rbac_subject_matches(subject, "mynamespace", &sa));
    ck_assert(!rc_rbac_subject_matches(subject, "", &sa));
    ck_assert(!rc_rbac_subject_matches(subject, "mynamespace", NULL));
    rc_user prefix = {"system:serviceaccount:mynamespace:example-sa2", {NULL}};
    ck_assert(!rc_rbac_subject_matches(subject, "mynamespace", &prefix));
    cJSON_Delete(subject);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rbac");
    TCase *tc = tcase_create("rbac");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, example_role_allows_exactly_its_rules);
    tcase_add_test(tc, forbidden_messages_follow_upstream);
    tcase_add_test(tc, subjects_users_groups_and_namespaced_cluster_roles);
    tcase_add_test(tc, rule_matching);
    tcase_add_test(tc, bootstrap_policy_roles);
    tcase_add_test(tc, masters_source_errors_and_bad_arguments);
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
