/* test_gc.c - the garbage collector on the deterministic driver: deleting the nginx Deployment removes its
 * ReplicaSets and pods (Background), keeps them ownerless (Orphan), or removes them before the Deployment
 * itself (Foreground); dependents of a custom resource are collected too; orphaning the fluentd DaemonSet
 * on the simulated cluster keeps every pod, whatever order the caches see the writes in. */
#include <reconcile.h>
#include <reconcile/controllers.h>
#include <reconcile/sim.h>
#include <reconcile/testenv.h>
#include <stdio.h>
#include <string.h>

#include "support/fake_kubelet.h"
#include "support/testutil.h"

#define NS "default"
#define NGINX "nginx-deployment"

/* Order of final removals seen by the trace. */
typedef struct removals {
    size_t seq, last_pod, last_rs, deployment;
} removals;

static void trace(void *ctx, const rc_trace_record *rec)
{
    removals *r = ctx;
    r->seq++;
    if (rec->type != RC_WATCH_DELETED)
        return;
    if (!strcmp(rec->resource->plural, "pods"))
        r->last_pod = r->seq;
    else if (!strcmp(rec->resource->plural, "replicasets"))
        r->last_rs = r->seq;
    else if (!strcmp(rec->resource->plural, "deployments"))
        r->deployment = r->seq;
}

static rc_testenv *nginx_env(uint64_t seed)
{
    rc_error err = {0};
    rc_testenv *env = fake_env_new(seed, 5 * RC_SEC, NULL, &err);
    ck_assert_ptr_nonnull(env);
    ck_assert_int_eq(rc_testenv_load_file(env, "examples/manifests/nginx-deployment.yaml", &err), 0);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, 2 * RC_MINUTE), 0);
    ck_assert_int_eq(rc_testenv_count(env, "pods", NS, NULL, NULL), 3);
    return env;
}

static void delete_nginx(rc_testenv *env, rc_propagation p)
{
    rc_delete_options o = RC_DELETE_OPTIONS_INIT;
    o.propagation = p;
    rc_error err = {0};
    ck_assert_int_eq(rc_client_delete(rc_testenv_client(env), "deployments.apps", NS, NGINX, &o, NULL, &err), 0);
}

START_TEST(background_removes_everything)
{
    rc_testenv *env = nginx_env(31);
    delete_nginx(env, RC_PROPAGATION_BACKGROUND);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, 5 * RC_MINUTE), 0);
    ck_assert_int_eq(rc_testenv_count(env, "deployments.apps", NS, NULL, NULL), 0);
    ck_assert_int_eq(rc_testenv_count(env, "replicasets.apps", NS, NULL, NULL), 0);
    ck_assert_int_eq(rc_testenv_count(env, "pods", NS, NULL, NULL), 0);
    rc_testenv_free(env);
}
END_TEST

START_TEST(orphan_keeps_dependents)
{
    rc_testenv *env = nginx_env(32);
    delete_nginx(env, RC_PROPAGATION_ORPHAN);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, 5 * RC_MINUTE), 0);
    ck_assert_int_eq(rc_testenv_count(env, "deployments.apps", NS, NULL, NULL), 0);
    ck_assert_int_eq(rc_testenv_count(env, "pods", NS, NULL, NULL), 3);
    rc_object_list l;
    rc_object_list_init(&l);
    ck_assert_int_eq(rc_client_list(rc_testenv_client(env), "replicasets.apps", NS, NULL, &l, NULL), 0);
    ck_assert_uint_eq(l.count, 1);
    ck_assert_uint_eq(rc_object_owner_count(l.items[0]), 0);
    ck_assert_int_eq(rc_object_get_int(l.items[0], "spec.replicas", 0), 3);
    rc_object_list_clear(&l);
    rc_testenv_free(env);
}
END_TEST

START_TEST(foreground_removes_dependents_first)
{
    rc_testenv *env = nginx_env(33);
    removals r = {0};
    rc_apiserver_set_trace(rc_testenv_apiserver(env), trace, &r);
    delete_nginx(env, RC_PROPAGATION_FOREGROUND);
    rc_object *d = NULL;
    ck_assert_int_eq(rc_testenv_get(env, "deployments.apps", NS, NGINX, &d, NULL), 0);
    ck_assert(rc_object_has_finalizer(d, "foregroundDeletion"));
    rc_object_unref(d);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, 5 * RC_MINUTE), 0);
    rc_apiserver_set_trace(rc_testenv_apiserver(env), NULL, NULL);
    ck_assert_int_eq(rc_testenv_count(env, "deployments.apps", NS, NULL, NULL), 0);
    ck_assert_int_eq(rc_testenv_count(env, "replicasets.apps", NS, NULL, NULL), 0);
    ck_assert_int_eq(rc_testenv_count(env, "pods", NS, NULL, NULL), 0);
    ck_assert_uint_gt(r.deployment, 0);
    ck_assert_uint_lt(r.last_pod, r.last_rs);
    ck_assert_uint_lt(r.last_rs, r.deployment);
    rc_testenv_free(env);
}
END_TEST

START_TEST(custom_resource_dependents_are_collected)
{
    rc_testenv *env = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_testenv_new(&(rc_testenv_options){.seed = 34}, &env, &err), 0);
    ck_assert_msg(rc_testenv_load_file(env, "examples/manifests/network-crd.yaml", &err) == 0, "%s", err.message);
    /* the collector discovers resources when it is created: after the CRD */
    ck_assert_int_eq(rc_controllers_add_all(rc_testenv_manager(env), NULL, &err), 0);
    ck_assert_int_eq(rc_testenv_load_yaml(env,
                                          "apiVersion: samplecrd.k8s.io/v1\nkind: Network\nmetadata:\n  name: net\n"
                                          "  namespace: default\nspec:\n  cidr: 10.0.0.0/8\n",
                                          &err),
                     0);
    rc_object *net = NULL;
    ck_assert_int_eq(rc_testenv_get(env, "networks.samplecrd.k8s.io", NS, "net", &net, &err), 0);
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: net-config\n  namespace: default\n"
             "  ownerReferences:\n  - apiVersion: samplecrd.k8s.io/v1\n    kind: Network\n    name: net\n"
             "    uid: %s\n",
             rc_object_uid(net));
    rc_object_unref(net);
    ck_assert_int_eq(rc_testenv_load_yaml(env, yaml, &err), 0);
    ck_assert_int_eq(rc_testenv_load_yaml(env, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unrelated\n"
                                               "  namespace: default\n", &err), 0);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, RC_MINUTE), 0);
    ck_assert_int_eq(rc_testenv_count(env, "configmaps", NS, NULL, NULL) >= 2, 1);
    ck_assert_int_eq(rc_client_delete(rc_testenv_client(env), "networks.samplecrd.k8s.io", NS, "net", NULL, NULL, &err),
                     0);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, RC_MINUTE), 0);
    rc_object *cm = NULL;
    ck_assert_int_eq(rc_testenv_get(env, "configmaps", NS, "net-config", &cm, NULL), RC_ENOTFOUND);
    ck_assert_int_eq(rc_testenv_get(env, "configmaps", NS, "unrelated", &cm, NULL), 0);
    rc_object_unref(cm);
    rc_testenv_free(env);
}
END_TEST

START_TEST(bad_gc_options_are_rejected)
{
    rc_testenv *env = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_testenv_new(NULL, &env, &err), 0);
    const rc_controller_ops *ops = NULL;
    void *self = NULL;
    const char *const unknown[] = {"widgets", NULL};
    ck_assert_int_eq(rc_gc_controller_new(rc_testenv_client(env), &(rc_gc_options){unknown}, &ops, &self, &err),
                     RC_ENOTFOUND);
    rc_error_clear(&err);
    const char *const empty[] = {NULL};
    ck_assert_int_eq(rc_gc_controller_new(rc_testenv_client(env), &(rc_gc_options){empty}, &ops, &self, &err),
                     RC_EINVAL);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_gc_controller_new(NULL, NULL, &ops, &self, &err), RC_EINVAL);
    rc_error_clear(&err);
    rc_testenv_free(env);
}
END_TEST

/* Seeds 6 and 8 (and 4 with conflicts) let the pod watch lag the DaemonSet's when the collector deleted
 * from a stale cache. */
enum { DS_ORPHAN_SEEDS = 10 };

/* Every fluentd pod is kept, ownerless; the DaemonSet is gone. */
static void assert_ds_orphaned(rc_testenv *env, uint64_t seed)
{
    ck_assert_msg(rc_testenv_count(env, "daemonsets.apps", "kube-system", NULL, NULL) == 0, "seed %llu: ds left",
                  (unsigned long long)seed);
    rc_object_list l;
    rc_object_list_init(&l);
    ck_assert_int_eq(rc_client_list(rc_testenv_client(env), "pods", "kube-system", NULL, &l, NULL), 0);
    ck_assert_msg(l.count == 3, "seed %llu: %zu fluentd pods kept", (unsigned long long)seed, l.count);
    for (size_t i = 0; i < l.count; i++) {
        ck_assert_msg(rc_object_owner_count(l.items[i]) == 0, "seed %llu: %s still owned", (unsigned long long)seed,
                      rc_object_name(l.items[i]));
        ck_assert_ptr_null(rc_object_deletion_timestamp(l.items[i]));
    }
    rc_object_list_clear(&l);
}

/* The fluentd DaemonSet on three simulated nodes with every controller, deleted with Orphan propagation
 * (with a conflict rate on writes while the collector works when `conflicts`). */
static void orphan_daemonset(uint64_t seed, double conflicts)
{
    rc_error err = {0};
    rc_testenv *env = NULL;
    ck_assert_int_eq(rc_testenv_new(&(rc_testenv_options){.seed = seed, .no_rbac = true}, &env, &err), 0);
    rc_sim *sim = NULL;
    ck_assert_int_eq(rc_sim_new(rc_testenv_manager(env), NULL, &sim, &err), 0);
    ck_assert_int_eq(rc_sim_add_nodes(sim, "node", 3, 0, &err), 0);
    ck_assert_int_eq(rc_controllers_add_all(rc_testenv_manager(env), NULL, &err), 0);
    ck_assert_msg(rc_testenv_load_file(env, "examples/manifests/fluentd-daemonset.yaml", &err) == 0, "%s",
                  err.message);
    ck_assert_int_eq(rc_testenv_advance(env, RC_MINUTE), 0);
    ck_assert_int_eq(rc_testenv_count(env, "pods", "kube-system", "name=fluentd-elasticsearch", &err), 3);
    rc_apiserver_fault_conflict_rate(rc_testenv_apiserver(env), conflicts);
    rc_delete_options o = RC_DELETE_OPTIONS_INIT;
    o.propagation = RC_PROPAGATION_ORPHAN;
    ck_assert_int_eq(rc_client_delete(rc_testenv_client(env), "daemonsets.apps", "kube-system",
                                      "fluentd-elasticsearch", &o, NULL, &err),
                     0);
    ck_assert_int_eq(rc_testenv_advance(env, 2 * RC_MINUTE), 0);
    rc_apiserver_fault_clear(rc_testenv_apiserver(env));
    ck_assert_int_eq(rc_testenv_advance(env, RC_MINUTE), 0);
    assert_ds_orphaned(env, seed);
    rc_testenv_free(env);
}

START_TEST(orphaned_daemonset_keeps_every_pod)
{
    for (uint64_t seed = 1; seed <= DS_ORPHAN_SEEDS; seed++)
        orphan_daemonset(seed, 0);
}
END_TEST

START_TEST(orphaned_daemonset_keeps_every_pod_despite_conflicts)
{
    for (uint64_t seed = 1; seed <= DS_ORPHAN_SEEDS; seed++)
        orphan_daemonset(seed, 0.3);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("gc");
    TCase *tc = tcase_create("driver");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, background_removes_everything);
    tcase_add_test(tc, orphan_keeps_dependents);
    tcase_add_test(tc, foreground_removes_dependents_first);
    tcase_add_test(tc, custom_resource_dependents_are_collected);
    tcase_add_test(tc, bad_gc_options_are_rejected);
    tcase_add_test(tc, orphaned_daemonset_keeps_every_pod);
    tcase_add_test(tc, orphaned_daemonset_keeps_every_pod_despite_conflicts);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return rc_test_run_suite(suite()); }
