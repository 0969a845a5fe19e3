/* test_replicaset.c - the ReplicaSet controller on the deterministic driver: slow-start batches when
 * creates are refused (and the ReplicaFailure condition), adoption of orphans and release of pods that
 * stop matching, availability with minReadySeconds, and the pod-deletion-cost ranking on scale-down. */
#include <reconcile.h>
#include <reconcile/controllers.h>
#include <reconcile/testenv.h>
#include <stdio.h>
#include <string.h>

#include "controllers/controller_utils.h"
#include "support/fake_kubelet.h"
#include "support/testutil.h"

#define NS "default"

static void load_rs(rc_testenv *env, const char *name, int replicas, int min_ready)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: %s\n  namespace: default\nspec:\n"
             "  replicas: %d\n  minReadySeconds: %d\n  selector:\n    matchLabels:\n      app: %s\n  template:\n"
             "    metadata:\n      labels:\n        app: %s\n    spec:\n      containers:\n      - name: c\n"
             "        image: img:1\n",
             name, replicas, min_ready, name, name);
    rc_error err = {0};
    ck_assert_msg(rc_testenv_load_yaml(env, yaml, &err) == 0, "%s", err.message ? err.message : "");
}

static rc_object *get(rc_testenv *env, const char *resource, const char *name)
{
    rc_object *o = NULL;
    ck_assert_int_eq(rc_testenv_get(env, resource, NS, name, &o, NULL), 0);
    return o;
}

static bool has_condition(rc_object *o, const char *type, const char *reason)
{
    rc_node conds = rc_object_at(o, "status.conditions");
    for (size_t i = 0; i < rc_node_len(conds); i++) {
        rc_node c = rc_node_index(conds, i);
        if (!strcmp(rc_node_str(rc_node_get(c, "type")), type) && !strcmp(rc_node_str(rc_node_get(c, "reason")), reason))
            return true;
    }
    return false;
}

START_TEST(slow_start_stops_at_first_failing_batch)
{
    rc_testenv *env = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_testenv_new(&(rc_testenv_options){.seed = 4}, &env, &err), 0);
    ck_assert_int_eq(rc_controllers_add_all(rc_testenv_manager(env), NULL, &err), 0);
    rc_apiserver *srv = rc_testenv_apiserver(env);
    rc_fault_rule quota = {.verb = "create", .resource = "pods", .nth = 4, .times = 1000, .code = RC_EFORBIDDEN};
    ck_assert_int_eq(rc_apiserver_fault_fail(srv, &quota, &err), 0);
    load_rs(env, "quota", 10, 0);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, 2 * RC_SEC), 0);
    rc_action *acts = NULL;
    size_t n = rc_apiserver_actions(srv, &acts), creates = 0, ok = 0;
    int codes[16];
    for (size_t i = 0; i < n; i++)
        if (!strcmp(acts[i].verb, "create") && !strcmp(acts[i].resource, "pods")) {
            if (creates < 16)
                codes[creates] = acts[i].code;
            creates++;
            ok += acts[i].code == 0;
        }
    rc_actions_free(acts, n);
    ck_assert_uint_ge(creates, 8);
    ck_assert_uint_eq(ok, 3); /* 1 + 2 succeed, the batch of 4 fails whole, then one call per retry */
    for (int i = 0; i < 7; i++)
        ck_assert_int_eq(codes[i], i < 3 ? 0 : RC_EFORBIDDEN);
    rc_object *rs = get(env, "replicasets.apps", "quota");
    ck_assert(has_condition(rs, "ReplicaFailure", "FailedCreate"));
    ck_assert_int_eq(rci_status_int(rs, "replicas"), 3);
    rc_object_unref(rs);
    rc_apiserver_fault_clear(srv);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, 5 * RC_MINUTE), 0);
    rs = get(env, "replicasets.apps", "quota");
    ck_assert_int_eq(rci_status_int(rs, "replicas"), 10);
    ck_assert(!has_condition(rs, "ReplicaFailure", "FailedCreate"));
    rc_object_unref(rs);
    ck_assert_int_eq(rc_testenv_count(env, "pods", NS, "app=quota", NULL), 10);
    rc_testenv_free(env);
}
END_TEST

START_TEST(adopts_orphans_and_releases_strays)
{
    rc_error err = {0};
    rc_testenv *env = fake_env_new(6, RC_SEC, NULL, &err);
    ck_assert_ptr_nonnull(env);
    ck_assert_int_eq(rc_testenv_load_yaml(env,
                                          "apiVersion: v1\nkind: Pod\nmetadata:\n  name: stray\n  namespace: default\n"
                                          "  labels:\n    app: web\nspec:\n  containers:\n  - name: c\n    image: img:1\n",
                                          &err),
                     0);
    load_rs(env, "web", 3, 0);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, RC_MINUTE), 0);
    ck_assert_int_eq(rc_testenv_count(env, "pods", NS, "app=web", NULL), 3);
    rc_object *rs = get(env, "replicasets.apps", "web"), *stray = get(env, "pods", "stray");
    ck_assert(rc_is_controlled_by(stray, rs));
    rc_object_unref(stray);
    /* relabel the adopted pod: it is released and replaced */
    const char *p = "{\"metadata\":{\"labels\":{\"app\":\"elsewhere\"}}}";
    ck_assert_int_eq(rc_client_patch(rc_testenv_client(env), "pods", NS, "stray", RC_PATCH_MERGE, p, strlen(p), NULL,
                                     NULL, &err), 0);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, RC_MINUTE), 0);
    stray = get(env, "pods", "stray");
    ck_assert_uint_eq(rc_object_owner_count(stray), 0);
    ck_assert_int_eq(rc_testenv_count(env, "pods", NS, "app=web", NULL), 3);
    rc_object_unref(stray);
    rc_object_unref(rs);
    rc_testenv_free(env);
}
END_TEST

START_TEST(min_ready_seconds_delays_availability)
{
    rc_error err = {0};
    rc_testenv *env = fake_env_new(8, RC_SEC, NULL, &err);
    ck_assert_ptr_nonnull(env);
    load_rs(env, "slow", 3, 10);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, 5 * RC_SEC), 0);
    rc_object *rs = get(env, "replicasets.apps", "slow");
    ck_assert_int_eq(rci_status_int(rs, "readyReplicas"), 3);
    ck_assert_int_eq(rci_status_int(rs, "availableReplicas"), 0);
    ck_assert_int_eq(rci_status_int(rs, "fullyLabeledReplicas"), 3);
    ck_assert_int_eq(rci_status_int(rs, "observedGeneration"), 1);
    rc_object_unref(rs);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, RC_MINUTE), 0);
    rs = get(env, "replicasets.apps", "slow");
    ck_assert_int_eq(rci_status_int(rs, "availableReplicas"), 3);
    rc_object_unref(rs);
    rc_testenv_free(env);
}
END_TEST

START_TEST(scale_down_honours_deletion_cost)
{
    rc_error err = {0};
    rc_testenv *env = fake_env_new(12, RC_SEC, NULL, &err);
    ck_assert_ptr_nonnull(env);
    load_rs(env, "cost", 3, 0);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, RC_MINUTE), 0);
    rc_object_list l;
    rc_object_list_init(&l);
    ck_assert_int_eq(rc_client_list(rc_testenv_client(env), "pods", NS, &(rc_list_options){.label_selector = "app=cost"},
                                    &l, &err), 0);
    ck_assert_uint_eq(l.count, 3);
    char victim[128];
    snprintf(victim, sizeof victim, "%s", rc_object_name(l.items[1]));
    rc_object_list_clear(&l);
    const char *ann = "{\"metadata\":{\"annotations\":{\"controller.kubernetes.io/pod-deletion-cost\":\"-100\"}}}";
    ck_assert_int_eq(rc_client_patch(rc_testenv_client(env), "pods", NS, victim, RC_PATCH_MERGE, ann, strlen(ann), NULL,
                                     NULL, &err), 0);
    const char *scale = "{\"spec\":{\"replicas\":2}}";
    ck_assert_int_eq(rc_client_patch(rc_testenv_client(env), "replicasets.apps", NS, "cost", RC_PATCH_MERGE, scale,
                                     strlen(scale), NULL, NULL, &err), 0);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, 2 * RC_MINUTE), 0);
    rc_object *gone = NULL;
    ck_assert_int_eq(rc_testenv_get(env, "pods", NS, victim, &gone, NULL), RC_ENOTFOUND);
    ck_assert_int_eq(rc_testenv_count(env, "pods", NS, "app=cost", NULL), 2);
    rc_testenv_free(env);
}
END_TEST

START_TEST(bad_options_are_rejected)
{
    const rc_controller_ops *ops = NULL;
    void *self = NULL;
    rc_error err = {0};
    rc_replicaset_options bad = {.burst_replicas = -1};
    ck_assert_int_eq(rc_replicaset_controller_new(&bad, &ops, &self, &err), RC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "burst_replicas"));
    rc_error_clear(&err);
    ck_assert_int_eq(rc_replicaset_controller_new(NULL, NULL, &self, &err), RC_EINVAL);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_controllers_add_all(NULL, NULL, &err), RC_EINVAL);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_replicaset_controller_new(NULL, &ops, &self, &err), 0);
    ck_assert_str_eq(ops->name, "replicaset");
    ops->destroy(self);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("replicaset");
    TCase *tc = tcase_create("driver");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, slow_start_stops_at_first_failing_batch);
    tcase_add_test(tc, adopts_orphans_and_releases_strays);
    tcase_add_test(tc, min_ready_seconds_delays_availability);
    tcase_add_test(tc, scale_down_honours_deletion_cost);
    tcase_add_test(tc, bad_options_are_rejected);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return rc_test_run_suite(suite()); }
