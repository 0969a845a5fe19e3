/* test_rbac_e2e.c - the concept notes' RBAC example end to end through the embedded API server's HTTP
 * front with token authentication and RBAC on: example-role (get/watch/list pods, get the ConfigMap
 * my-config, in mynamespace) bound to the service account example-sa. Over HTTP with the service
 * account's bearer token, and in process as the same identity, exactly the granted requests succeed;
 * every other verb on every other resource, in its namespace and elsewhere, is 403 Forbidden naming the
 * user and changes nothing (the resourceVersion does not move). A SelfSubjectAccessReview (what
 * `kubectl auth can-i` sends) agrees with every answer, and requests without a token are 401. */
#include <reconcile.h>
#include <reconcile/httpserver.h>
#include <reconcile/kubeconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/testutil.h"

#define SA_USER "system:serviceaccount:mynamespace:example-sa"

static const char tokens_csv[] = "sa-token," SA_USER ",42,\"system:serviceaccounts,system:serviceaccounts:mynamespace\"\n";

/* One resource of the matrix, with a minimal valid object of its kind (named by %s). */
typedef struct kind {
    const char *resource;
    bool namespaced;
    const char *json;
} kind;

static const kind kinds[] = {
    {"pods", true, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\"},\"spec\":{\"containers\":"
                   "[{\"name\":\"c\",\"image\":\"nginx\"}]}}"},
    {"configmaps", true, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"%s\"},\"data\":{\"a\":\"b\"}}"},
    {"secrets", true, "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"%s\"},\"stringData\":{\"p\":\"w\"}}"},
    {"services", true, "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"%s\"},\"spec\":{\"ports\":"
                       "[{\"port\":80}]}}"},
    {"serviceaccounts", true, "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"%s\"}}"},
    {"deployments.apps", true,
     "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"%s\"},\"spec\":{\"selector\":"
     "{\"matchLabels\":{\"app\":\"x\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"x\"}},\"spec\":{"
     "\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}}}"},
    {"roles.rbac.authorization.k8s.io", true,
     "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"Role\",\"metadata\":{\"name\":\"%s\"},\"rules\":[]}"},
    {"rolebindings.rbac.authorization.k8s.io", true,
     "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"RoleBinding\",\"metadata\":{\"name\":\"%s\"},"
     "\"subjects\":[{\"kind\":\"User\",\"name\":\"nobody\"}],\"roleRef\":"
     "{\"kind\":\"ClusterRole\",\"name\":\"cluster-admin\",\"apiGroup\":\"rbac.authorization.k8s.io\"}}"},
    {"namespaces", false, "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}"},
    {"clusterrolebindings.rbac.authorization.k8s.io", false,
     "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRoleBinding\",\"metadata\":{\"name\":\"%s\"},"
     "\"subjects\":[{\"kind\":\"User\",\"name\":\"nobody\"}],\"roleRef\":"
     "{\"kind\":\"ClusterRole\",\"name\":\"cluster-admin\",\"apiGroup\":\"rbac.authorization.k8s.io\"}}"},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

static const char *const verbs[] = {"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"};
#define NVERBS (sizeof verbs / sizeof verbs[0])

static const char *const namespaces[] = {"mynamespace", "default"};

typedef struct env {
    rc_apiserver *srv;
    rc_http_server *http;
    rc_client *admin;  /* in process, unauthenticated: allowed everything */
    rc_client *sa;     /* over HTTP with the service account's token */
    rc_client *sa_in;  /* in process as the service account */
    rc_client *anon;   /* over HTTP without a token */
    char tokens[64];
} env;

static rc_object *make(const kind *k, const char *name)
{
    char json[1024];
    snprintf(json, sizeof json, k->json, name);
    rc_error err = {0};
    rc_object *o = rc_object_from_json(json, strlen(json), &err);
    ck_assert_msg(o != NULL, "%s: %s", k->resource, err.message);
    return o;
}

static void load_fixtures(env *e)
{
    rc_error err = {0};
    rc_object_list objs;
    rc_object_list_init(&objs);
    ck_assert_int_eq(rc_decode_objects_file("examples/manifests/rbac-example.yaml", NULL, &objs, &err), 0);
    for (size_t i = 0; i < objs.count; i++)
        ck_assert_msg(rc_client_create(e->admin, NULL, NULL, objs.items[i], NULL, NULL, &err) == 0, "%s", err.message);
    rc_object_list_clear(&objs);
    /* a "target" of every kind in both namespaces (cluster-scoped ones once) for the named verbs; the
     * binding targets name another user, so they grant the service account nothing */
    for (size_t k = 0; k < NKINDS; k++)
        for (size_t n = 0; n < (kinds[k].namespaced ? 2 : 1); n++) {
            rc_object *o = make(&kinds[k], "target");
            ck_assert_msg(rc_client_create(e->admin, kinds[k].resource, kinds[k].namespaced ? namespaces[n] : NULL, o,
                                           NULL, NULL, &err) == 0,
                          "%s: %s", kinds[k].resource, err.message);
            rc_object_unref(o);
        }
}

static rc_client *http_client(env *e, const char *token)
{
    char url[64];
    rc_kubeconfig kc = {.server = (char *)rc_http_server_url(e->http, url, sizeof url), .token = (char *)token};
    rc_http_client_options ho = {.qps = -1, .max_retries = -1, .registry = rc_apiserver_registry(e->srv)};
    rc_error err = {0};
    rc_client *c = rc_http_client_new(&kc, &ho, &err);
    ck_assert_msg(c != NULL, "%s", err.message);
    return c;
}

static void env_init(env *e)
{
    memset(e, 0, sizeof *e);
    rc_log_set_level(RC_LOG_OFF);
    rc_error err = {0};
    e->srv = rc_apiserver_new(NULL, &err);
    ck_assert_ptr_nonnull(e->srv);
    e->admin = rc_apiserver_client(e->srv, NULL);
    load_fixtures(e);
    snprintf(e->tokens, sizeof e->tokens, "/tmp/rc_rbac_e2e.XXXXXX");
    int fd = mkstemp(e->tokens);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, tokens_csv, sizeof tokens_csv - 1), (ssize_t)(sizeof tokens_csv - 1));
    close(fd);
    rc_http_options ho = {.token_auth_file = e->tokens, .rbac = true, .no_stepping = true};
    e->http = rc_http_server_new(e->srv, &ho, &err);
    ck_assert_msg(e->http != NULL, "%s", err.message);
    ck_assert_msg(rc_http_server_start(e->http, &err) == 0, "%s", err.message);
    e->sa = http_client(e, "sa-token");
    e->anon = http_client(e, NULL);
    rc_user user = {.name = SA_USER,
                    .groups = {"system:serviceaccounts", "system:serviceaccounts:mynamespace", "system:authenticated"}};
    e->sa_in = rc_apiserver_client(e->srv, &user);
}

static void env_free(env *e)
{
    rc_client_unref(e->sa);
    rc_client_unref(e->sa_in);
    rc_client_unref(e->anon);
    rc_http_server_free(e->http);
    rc_client_unref(e->admin);
    rc_apiserver_free(e->srv);
    unlink(e->tokens);
}

/* What example-role grants. */
static bool granted(const char *verb, const char *resource, const char *ns, const char *name)
{
    if (strcmp(ns, "mynamespace"))
        return false;
    if (!strcmp(resource, "pods"))
        return !strcmp(verb, "get") || !strcmp(verb, "list") || !strcmp(verb, "watch");
    return !strcmp(resource, "configmaps") && !strcmp(verb, "get") && name && !strcmp(name, "my-config");
}

/* Runs verb on resource in ns (name for the named verbs) as c; returns 0 or the error code. */
static int attempt(env *e, rc_client *c, const kind *k, const char *verb, const char *ns, const char *name,
                   rc_error *err)
{
    if (!strcmp(verb, "get")) {
        rc_object *o = NULL;
        int rc = rc_client_get(c, k->resource, ns, name, &o, err);
        rc_object_unref(o);
        return rc;
    }
    if (!strcmp(verb, "list") || !strcmp(verb, "watch")) {
        rc_object_list l;
        rc_object_list_init(&l);
        int rc;
        if (!strcmp(verb, "list")) {
            rc = rc_client_list(c, k->resource, ns, NULL, &l, err);
        } else {
            rc_watch *w = NULL;
            rc_list_options lo = {.resource_version = "0"};
            rc = rc_client_watch(c, k->resource, ns, &lo, &w, err);
            if (w) {
                rc_watch_stop(w);
                rc_watch_unref(w);
            }
        }
        rc_object_list_clear(&l);
        return rc;
    }
    if (!strcmp(verb, "create")) {
        rc_object *o = make(k, "intruder");
        int rc = rc_client_create(c, k->resource, ns, o, NULL, NULL, err);
        rc_object_unref(o);
        return rc;
    }
    if (!strcmp(verb, "update")) {
        rc_object *live = NULL;
        ck_assert_int_eq(rc_client_get(e->admin, k->resource, ns, name, &live, NULL), 0);
        rc_object *draft = rc_object_copy(live);
        rc_object_set_label(draft, "touched", "yes");
        int rc = rc_client_update(c, k->resource, ns, draft, NULL, NULL, err);
        rc_object_unref(draft);
        rc_object_unref(live);
        return rc;
    }
    if (!strcmp(verb, "patch")) {
        const char *p = "{\"metadata\":{\"labels\":{\"touched\":\"yes\"}}}";
        return rc_client_patch(c, k->resource, ns, name, RC_PATCH_MERGE, p, strlen(p), NULL, NULL, err);
    }
    if (!strcmp(verb, "delete"))
        return rc_client_delete(c, k->resource, ns, name, NULL, NULL, err);
    return rc_client_delete_collection(c, k->resource, ns, NULL, NULL, err);
}

/* Every verb on every kind in every namespace as client c; granted ones must succeed, the others must be
 * 403 naming the user and leave the resourceVersion where it was. */
static void sweep(env *e, rc_client *c, const char *who)
{
    size_t allowed = 0, denied = 0;
    for (size_t k = 0; k < NKINDS; k++)
        for (size_t n = 0; n < (kinds[k].namespaced ? 2 : 1); n++)
            for (size_t v = 0; v < NVERBS; v++) {
                const char *ns = kinds[k].namespaced ? namespaces[n] : "";
                const char *verb = verbs[v];
                const char *name = !strcmp(verb, "create") || !strcmp(verb, "list") || !strcmp(verb, "watch") ||
                                           !strcmp(verb, "deletecollection")
                                       ? NULL
                                       : "target";
                uint64_t before = rc_apiserver_resource_version(e->srv);
                rc_error err = {0};
                int rc = attempt(e, c, &kinds[k], verb, ns, name, &err);
                bool want = granted(verb, kinds[k].resource, ns, name);
                if (want) {
                    ck_assert_msg(rc == 0, "%s: %s %s in %s: %s", who, verb, kinds[k].resource, ns, err.message);
                    allowed++;
                } else {
                    ck_assert_msg(rc == RC_EFORBIDDEN && err.http_status == 403, "%s: %s %s in \"%s\": %d %s", who,
                                  verb, kinds[k].resource, ns, rc, err.message ? err.message : "");
                    ck_assert_msg(strstr(err.message, SA_USER) && strstr(err.message, verb), "%s: message \"%s\"",
                                  who, err.message);
                    denied++;
                }
                ck_assert_msg(rc_apiserver_resource_version(e->srv) == before, "%s: %s %s in %s changed something",
                              who, verb, kinds[k].resource, ns);
                rc_error_clear(&err);
            }
    ck_assert_uint_eq(allowed, 3);
    ck_assert_uint_eq(denied, (NKINDS - 2) * NVERBS * 2 + 2 * NVERBS - 3);
}

START_TEST(service_account_gets_exactly_its_role_over_http)
{
    env e;
    env_init(&e);
    sweep(&e, e.sa, "http");
    rc_error err = {0};
    rc_object *o = NULL;
    ck_assert_int_eq(rc_client_get(e.sa, "configmaps", "mynamespace", "my-config", &o, &err), 0);
    ck_assert_str_eq(rc_object_get_str(o, "data.greeting"), "hello");
    rc_object_unref(o);
    ck_assert_int_eq(rc_client_get_subresource(e.sa, "pods", "mynamespace", "target", "status", &o, &err),
                     RC_EFORBIDDEN);
    rc_error_clear(&err);
    env_free(&e);
}
END_TEST

START_TEST(service_account_gets_exactly_its_role_in_process)
{
    env e;
    env_init(&e);
    sweep(&e, e.sa_in, "in-process");
    env_free(&e);
}
END_TEST

START_TEST(can_i_agrees)
{
    env e;
    env_init(&e);
    static const char *const names[] = {NULL, "target", "my-config"};
    size_t asked = 0;
    for (size_t k = 0; k < NKINDS; k++)
        for (size_t n = 0; n < (kinds[k].namespaced ? 2 : 1); n++)
            for (size_t v = 0; v < NVERBS; v++)
                for (size_t m = 0; m < 3; m++) {
                    const char *ns = kinds[k].namespaced ? namespaces[n] : "";
                    bool allowed = !granted(verbs[v], kinds[k].resource, ns, names[m]);
                    rc_error err = {0};
                    int rc = rc_client_can_i(e.sa, verbs[v], kinds[k].resource, ns, names[m], &allowed, &err);
                    ck_assert_msg(rc == 0, "can-i %s %s: %s", verbs[v], kinds[k].resource, err.message);
                    ck_assert_msg(allowed == granted(verbs[v], kinds[k].resource, ns, names[m]),
                                  "can-i %s %s in \"%s\" name %s answered %d", verbs[v], kinds[k].resource, ns,
                                  names[m] ? names[m] : "(any)", allowed);
                    asked++;
                }
    bool allowed = true;
    ck_assert_int_eq(rc_client_can_i(e.sa, "get", "pods/status", "mynamespace", NULL, &allowed, NULL), 0);
    ck_assert(!allowed);
    ck_assert_uint_gt(asked, 400);
    env_free(&e);
}
END_TEST

START_TEST(no_token_is_401_and_changes_nothing)
{
    env e;
    env_init(&e);
    uint64_t before = rc_apiserver_resource_version(e.srv);
    for (size_t k = 0; k < NKINDS; k++)
        for (size_t v = 0; v < NVERBS; v++) {
            rc_error err = {0};
            const char *ns = kinds[k].namespaced ? "mynamespace" : "";
            int rc = attempt(&e, e.anon, &kinds[k], verbs[v], ns, "target", &err);
            ck_assert_msg(rc == RC_EUNAUTHORIZED && err.http_status == 401, "anonymous %s %s: %d %s", verbs[v],
                          kinds[k].resource, rc, err.message ? err.message : "");
            rc_error_clear(&err);
        }
    ck_assert_uint_eq(rc_apiserver_resource_version(e.srv), before);
    env_free(&e);
}
END_TEST

START_TEST(listens_on_loopback_by_default)
{
    env e;
    env_init(&e);
    char url[64];
    rc_http_server_url(e.http, url, sizeof url);
    ck_assert_int_eq(strncmp(url, "http://127.0.0.1:", 17), 0);
    env_free(&e);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rbac_e2e");
    TCase *tc = tcase_create("rbac_e2e");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, service_account_gets_exactly_its_role_over_http);
    tcase_add_test(tc, service_account_gets_exactly_its_role_in_process);
    tcase_add_test(tc, can_i_agrees);
    tcase_add_test(tc, no_token_is_401_and_changes_nothing);
    tcase_add_test(tc, listens_on_loopback_by_default);
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
