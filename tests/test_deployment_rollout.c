/* test_deployment_rollout.c - rolling-update invariants checked on every committed write of a rollout
 * (through the API server's trace hook) for a matrix of (replicas, maxSurge, maxUnavailable): active pods
 * never exceed replicas + surge, ready pods never drop below replicas - unavailable once the deployment
 * was available, the rollout completes and old ReplicaSets end at 0. Also: the same scenario converges
 * to the same end state under injected conflicts and dropped watches. Every combination runs under several
 * seeds (SEEDS). */
#include <reconcile.h>
#include <reconcile/controllers.h>
#include <reconcile/testenv.h>
#include <stdio.h>
#include <string.h>

#include "controllers/controller_utils.h"
#include "support/fake_kubelet.h"
#include "support/testutil.h"

#define MAX_PODS 256
/* Each combination runs under this many driver seeds: the order in which informers, controllers and the
 * kubelet interleave changes with the seed, so one lucky ordering cannot hide a race. */
#define SEEDS 8

/* The pods of the trace: uid -> active/ready. */
typedef struct model {
    char uid[MAX_PODS][40];
    bool active[MAX_PODS], ready[MAX_PODS];
    size_t n;
    int64_t max_total, min_ready;
    bool available_once;
    int violations;
    char first[256];
    size_t writes;
} model;

static void trace(void *ctx, const rc_trace_record *rec)
{
    model *m = ctx;
    if (strcmp(rec->resource->plural, "pods") || rec->resource->group[0])
        return;
    const char *uid = rc_object_uid(rec->object);
    size_t i = 0;
    while (i < m->n && strcmp(m->uid[i], uid))
        i++;
    if (i == m->n) {
        if (m->n == MAX_PODS)
            return;
        snprintf(m->uid[m->n++], sizeof m->uid[0], "%s", uid);
    }
    bool gone = rec->type == RC_WATCH_DELETED;
    m->active[i] = !gone && rci_pod_is_active(rec->object);
    m->ready[i] = m->active[i] && rci_pod_is_ready(rec->object);
    int64_t active = 0, ready = 0;
    for (size_t j = 0; j < m->n; j++) {
        active += m->active[j];
        ready += m->ready[j];
    }
    m->writes++;
    const char *why = NULL;
    if (active > m->max_total)
        why = "active pods above replicas + maxSurge";
    else if (m->available_once && ready < m->min_ready)
        why = "ready pods below replicas - maxUnavailable";
    if (why && m->violations++ == 0)
        snprintf(m->first, sizeof m->first, "%s: active %lld ready %lld at write %zu", why, (long long)active,
                 (long long)ready, m->writes);
}

typedef struct combo {
    int replicas;
    const char *surge, *unavail;
    int64_t want_surge, want_unavail; /* resolved: surge rounds up, unavailable down, both 0 -> 1 */
} combo;

static const combo matrix[] = {
    {3, "1", "0", 1, 0},     {3, "0", "1", 0, 1},     {5, "25%", "25%", 2, 1}, {10, "50%", "0", 5, 0},
    {4, "0", "50%", 0, 2},   {1, "1", "0", 1, 0},     {10, "3", "2", 3, 2},    {2, "0%", "1", 0, 1},
    {6, "10%", "10%", 1, 0}, {7, "100%", "100%", 7, 7},
};

/* An IntOrString as YAML: percentages quoted, integers plain. */
static const char *intorstr(char *buf, size_t cap, const char *v)
{
    snprintf(buf, cap, strchr(v, '%') ? "\"%s\"" : "%s", v);
    return buf;
}

static void load(rc_testenv *env, const combo *c, const char *image)
{
    char yaml[2048], surge[16], unavail[16];
    snprintf(yaml, sizeof yaml,
             "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\nspec:\n"
             "  replicas: %d\n  selector:\n    matchLabels:\n      app: web\n  strategy:\n    rollingUpdate:\n"
             "      maxSurge: %s\n      maxUnavailable: %s\n  template:\n    metadata:\n      labels:\n"
             "        app: web\n    spec:\n      containers:\n      - name: c\n        image: %s\n",
             c->replicas, intorstr(surge, sizeof surge, c->surge), intorstr(unavail, sizeof unavail, c->unavail),
             image);
    rc_error err = {0};
    ck_assert_msg(rc_testenv_load_yaml(env, yaml, &err) == 0, "%s", err.message ? err.message : "");
}

START_TEST(rollout_invariants_matrix)
{
    const combo *c = &matrix[_i / SEEDS];
    uint64_t seed = 11 + (uint64_t)_i;
    model *m = calloc(1, sizeof *m);
    m->max_total = c->replicas + c->want_surge;
    m->min_ready = c->replicas - c->want_unavail;
    rc_error err = {0};
    rc_testenv *env = fake_env_new(seed, 3 * RC_SEC, NULL, &err);
    ck_assert_ptr_nonnull(env);
    rc_apiserver_set_trace(rc_testenv_apiserver(env), trace, m);
    load(env, c, "img:1");
    ck_assert_int_eq(rc_testenv_run_until_stable(env, 5 * RC_MINUTE), 0);
    m->available_once = true; /* from here on, availability must hold */
    const char *p = "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"img:2\"}]}}}}";
    ck_assert_int_eq(rc_client_patch(rc_testenv_client(env), "deployments.apps", "default", "web", RC_PATCH_STRATEGIC,
                                     p, strlen(p), NULL, NULL, &err), 0);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, 5 * RC_MINUTE), 0);
    ck_assert_msg(m->violations == 0, "replicas %d surge %s unavailable %s seed %llu: %s", c->replicas, c->surge,
                  c->unavail, (unsigned long long)seed, m->first);
    rc_object *d = NULL;
    ck_assert_int_eq(rc_testenv_get(env, "deployments.apps", "default", "web", &d, &err), 0);
    ck_assert_int_eq(rci_status_int(d, "updatedReplicas"), c->replicas);
    ck_assert_int_eq(rci_status_int(d, "availableReplicas"), c->replicas);
    ck_assert_int_eq(rci_status_int(d, "replicas"), c->replicas);
    rc_object_unref(d);
    rc_object_list l;
    rc_object_list_init(&l);
    ck_assert_int_eq(rc_client_list(rc_testenv_client(env), "replicasets.apps", "default", NULL, &l, &err), 0);
    ck_assert_uint_eq(l.count, 2);
    for (size_t i = 0; i < l.count; i++) {
        bool is_new = !strcmp(rc_object_get_str(l.items[i], "spec.template.spec.containers.0.image"), "img:2");
        ck_assert_int_eq(rci_spec_replicas(l.items[i]), is_new ? c->replicas : 0);
    }
    rc_object_list_clear(&l);
    rc_apiserver_set_trace(rc_testenv_apiserver(env), NULL, NULL);
    rc_testenv_free(env);
    free(m);
}
END_TEST

START_TEST(both_zero_is_rejected)
{
    rc_error err = {0};
    rc_testenv *env = fake_env_new(1, RC_SEC, NULL, &err);
    ck_assert_ptr_nonnull(env);
    int rc = rc_testenv_load_yaml(env,
                                  "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: z\n  namespace: default\n"
                                  "spec:\n  selector:\n    matchLabels:\n      app: z\n  strategy:\n    rollingUpdate:\n"
                                  "      maxSurge: 0\n      maxUnavailable: 0\n  template:\n    metadata:\n      labels:\n"
                                  "        app: z\n    spec:\n      containers:\n      - name: c\n        image: i\n",
                                  &err);
    ck_assert_int_eq(rc, RC_EINVAL);
    rc_error_clear(&err);
    rc_testenv_free(env);
}
END_TEST

/* End state of the nginx flow (create, scale, image change), as one comparable line. */
static void nginx_flow(uint64_t seed, bool faults, char *out, size_t cap)
{
    rc_error err = {0};
    rc_testenv *env = fake_env_new(seed, 5 * RC_SEC, NULL, &err);
    ck_assert_ptr_nonnull(env);
    rc_apiserver *srv = rc_testenv_apiserver(env);
    if (faults) {
        rc_apiserver_fault_conflict_rate(srv, 0.2);
        rc_apiserver_fault_drop_watch_every(srv, 7);
    }
    ck_assert_int_eq(rc_testenv_load_file(env, "examples/manifests/nginx-deployment.yaml", &err), 0);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, 10 * RC_MINUTE), 0);
    const char *scale = "{\"spec\":{\"replicas\":4}}";
    const char *image = "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":\"nginx:1.9.1\"}]}}}}";
    rc_client *c = rc_testenv_client(env);
    ck_assert_int_eq(rc_client_patch(c, "deployments.apps", "default", "nginx-deployment", RC_PATCH_MERGE, scale,
                                     strlen(scale), NULL, NULL, &err), 0);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, 10 * RC_MINUTE), 0);
    ck_assert_int_eq(rc_client_patch(c, "deployments.apps", "default", "nginx-deployment", RC_PATCH_STRATEGIC, image,
                                     strlen(image), NULL, NULL, &err), 0);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, 10 * RC_MINUTE), 0);
    rc_apiserver_fault_clear(srv);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, 10 * RC_MINUTE), 0);
    rc_object *d = NULL;
    ck_assert_int_eq(rc_testenv_get(env, "deployments.apps", "default", "nginx-deployment", &d, &err), 0);
    rc_object_list l;
    rc_object_list_init(&l);
    ck_assert_int_eq(rc_client_list(c, "replicasets.apps", "default", NULL, &l, &err), 0);
    int len = snprintf(out, cap, "rev=%s replicas=%lld updated=%lld available=%lld pods=%ld rs=",
                       rc_object_annotation(d, "deployment.kubernetes.io/revision"),
                       (long long)rci_status_int(d, "replicas"), (long long)rci_status_int(d, "updatedReplicas"),
                       (long long)rci_status_int(d, "availableReplicas"), rc_testenv_count(env, "pods", "default", NULL, &err));
    for (size_t i = 0; i < l.count; i++)
        len += snprintf(out + len, cap - (size_t)len, "%s:%lld:%s ", rc_object_name(l.items[i]),
                        (long long)rci_spec_replicas(l.items[i]), rc_object_annotation(l.items[i], "deployment.kubernetes.io/revision"));
    rc_object_list_clear(&l);
    rc_object_unref(d);
    rc_testenv_free(env);
}

START_TEST(converges_under_conflicts_and_dropped_watches)
{
    char clean[1024], faulty[1024];
    nginx_flow(21, false, clean, sizeof clean);
    nginx_flow(21, true, faulty, sizeof faulty);
    ck_assert_str_eq(clean, faulty);
    ck_assert_ptr_nonnull(strstr(clean, "rev=2 replicas=4 updated=4 available=4 pods=4"));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("deployment_rollout");
    TCase *tc = tcase_create("invariants");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, rollout_invariants_matrix, 0, (int)(SEEDS * sizeof matrix / sizeof matrix[0]));
    tcase_add_test(tc, both_zero_is_rejected);
    tcase_add_test(tc, converges_under_conflicts_and_dropped_watches);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return rc_test_run_suite(suite()); }
