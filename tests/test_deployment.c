/* test_deployment.c - the Deployment controller: its pure arithmetic (hash, new-RS size, proportional
 * scaling, revision history, rollout status, scale-down ranking) and, on the deterministic driver with a
 * fake kubelet, the concept notes' nginx Deployment through create, scale, image change, pause/resume,
 * undo to revision 1 and history; proportional scaling mid-rollout; ProgressDeadlineExceeded. */
#include <reconcile.h>
#include <reconcile/controllers.h>
#include <reconcile/testenv.h>
#include <stdio.h>
#include <string.h>

#include "controllers/deployment.h"
#include "support/fake_kubelet.h"
#include "support/testutil.h"

#define NS "default"
#define NGINX "nginx-deployment"

static rc_object *obj_json(const char *json)
{
    rc_object *o = rc_object_from_json(json, strlen(json), NULL);
    ck_assert_ptr_nonnull(o);
    return o;
}

/* ---- pure parts ---- */

START_TEST(hash_is_stable_and_safe_encoded)
{
    rc_object *a = obj_json("{\"t\":{\"metadata\":{\"labels\":{\"app\":\"x\"}},\"spec\":{\"containers\":[{\"name\":\"c\","
                            "\"image\":\"nginx:1\"}]}}}");
    rc_object *b = obj_json("{\"t\":{\"spec\":{\"containers\":[{\"image\":\"nginx:1\",\"name\":\"c\"}]},\"metadata\":"
                            "{\"labels\":{\"app\":\"x\"}}}}");
    rc_object *c = obj_json("{\"t\":{\"metadata\":{\"labels\":{\"app\":\"x\"}},\"spec\":{\"containers\":[{\"name\":\"c\","
                            "\"image\":\"nginx:2\"}]}}}");
    char ha[16], hb[16], hc[16], h1[16];
    int64_t one = 1;
    ck_assert_int_eq(rc_pod_template_hash(rc_object_at(a, "t"), NULL, ha), 0);
    ck_assert_int_eq(rc_pod_template_hash(rc_object_at(b, "t"), NULL, hb), 0);
    ck_assert_int_eq(rc_pod_template_hash(rc_object_at(c, "t"), NULL, hc), 0);
    ck_assert_int_eq(rc_pod_template_hash(rc_object_at(a, "t"), &one, h1), 0);
    ck_assert_str_eq(ha, hb); /* key order does not matter */
    ck_assert_str_ne(ha, hc);
    ck_assert_str_ne(ha, h1);
    ck_assert_uint_ge(strlen(ha), 1);
    ck_assert_uint_le(strlen(ha), 10);
    ck_assert_uint_eq(strspn(ha, "456789bcdf"), strlen(ha));
    ck_assert(rci_templates_equal_ignore_hash(rc_object_at(a, "t"), rc_object_at(b, "t")));
    ck_assert(!rci_templates_equal_ignore_hash(rc_object_at(a, "t"), rc_object_at(c, "t")));
    rc_object_unref(a);
    rc_object_unref(b);
    rc_object_unref(c);
}
END_TEST

START_TEST(new_rs_size_respects_surge)
{
    ck_assert_int_eq(rci_new_rs_replicas(10, 3, 10, 0), 3);
    ck_assert_int_eq(rci_new_rs_replicas(10, 3, 13, 3), 3);
    ck_assert_int_eq(rci_new_rs_replicas(10, 3, 11, 3), 5);
    ck_assert_int_eq(rci_new_rs_replicas(10, 3, 12, 9), 10);
    ck_assert_int_eq(rci_new_rs_replicas(3, 0, 3, 0), 0);
}
END_TEST

/* The spec's worked example: R 10 -> 15, surge 3, max-replicas 13, old 8 + new 5 -> 11 + 7. */
START_TEST(proportional_scaling_worked_example)
{
    rci_rs_share s[2] = {{8, 13, 100, "web-old", 0, 0}, {5, 13, 200, "web-new", 1, 0}};
    rci_proportional_scale(s, 2, 15, 3, 13);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(s[i].new_size, s[i].index == 0 ? 11 : 7);
    rci_rs_share d[2] = {{8, 13, 100, "web-old", 0, 0}, {5, 13, 200, "web-new", 1, 0}};
    rci_proportional_scale(d, 2, 5, 3, 13); /* down: allowed 8, toAdd -5 */
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(d[i].new_size, d[i].index == 0 ? 5 : 3);
    rci_rs_share z[2] = {{8, 13, 100, "a", 0, 0}, {5, 13, 200, "b", 1, 0}};
    rci_proportional_scale(z, 2, 0, 0, 13); /* to zero */
    ck_assert_int_eq(z[0].new_size + z[1].new_size, 0);
}
END_TEST

START_TEST(revision_history_is_capped)
{
    char *h = rci_revision_history_append("", "1", 2000);
    ck_assert_str_eq(h, "1");
    free(h);
    h = rci_revision_history_append("1,2", "3", 2000);
    ck_assert_str_eq(h, "1,2,3");
    free(h);
    h = rci_revision_history_append("1,2,3", "4", 5);
    ck_assert_str_eq(h, "2,3,4");
    free(h);
    ck_assert(rci_skip_copy_annotation(RCI_ANN_REVISION));
    ck_assert(!rci_skip_copy_annotation(RCI_ANN_CHANGE_CAUSE));
}
END_TEST

START_TEST(rollout_status_messages)
{
    char *msg = NULL;
    bool done = true;
    rc_object *d = obj_json("{\"metadata\":{\"name\":\"web\",\"generation\":2},\"spec\":{\"replicas\":3},"
                            "\"status\":{\"observedGeneration\":2,\"replicas\":4,\"updatedReplicas\":1}}");
    ck_assert_int_eq(rc_deployment_rollout_status(d, &msg, &done), 0);
    ck_assert_str_eq(msg, "Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been "
                          "updated...\n");
    ck_assert(!done);
    free(msg);
    rc_object_unref(d);
    d = obj_json("{\"metadata\":{\"name\":\"web\",\"generation\":2},\"spec\":{\"replicas\":3},\"status\":{"
                 "\"observedGeneration\":2,\"replicas\":4,\"updatedReplicas\":3}}");
    rc_deployment_rollout_status(d, &msg, &done);
    ck_assert_str_eq(msg, "Waiting for deployment \"web\" rollout to finish: 1 old replicas are pending termination...\n");
    free(msg);
    rc_object_unref(d);
    d = obj_json("{\"metadata\":{\"name\":\"web\",\"generation\":3},\"spec\":{\"replicas\":3},\"status\":{"
                 "\"observedGeneration\":2}}");
    rc_deployment_rollout_status(d, &msg, &done);
    ck_assert_str_eq(msg, "Waiting for deployment spec update to be observed...\n");
    free(msg);
    rc_object_unref(d);
    d = obj_json("{\"metadata\":{\"name\":\"web\",\"generation\":2},\"spec\":{\"replicas\":3},\"status\":{"
                 "\"observedGeneration\":2,\"replicas\":3,\"updatedReplicas\":3,\"availableReplicas\":3}}");
    rc_deployment_rollout_status(d, &msg, &done);
    ck_assert_str_eq(msg, "deployment \"web\" successfully rolled out\n");
    ck_assert(done);
    free(msg);
    rc_object_unref(d);
    d = obj_json("{\"metadata\":{\"name\":\"web\"},\"status\":{\"conditions\":[{\"type\":\"Progressing\","
                 "\"status\":\"False\",\"reason\":\"ProgressDeadlineExceeded\"}]}}");
    ck_assert_int_eq(rc_deployment_rollout_status(d, &msg, &done), RC_ETIMEOUT);
    ck_assert_str_eq(msg, "deployment \"web\" exceeded its progress deadline");
    free(msg);
    rc_object_unref(d);
    ck_assert_int_eq(rc_deployment_rollout_status(NULL, &msg, &done), RC_EINVAL);
}
END_TEST

START_TEST(scale_down_ranking_order)
{
    const char *pods[] = {
        /* 0 ready a long time */
        "{\"metadata\":{\"name\":\"old-ready\",\"uid\":\"u0\",\"creationTimestamp\":\"2024-01-01T00:00:00Z\"},"
        "\"spec\":{\"nodeName\":\"n\"},\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\","
        "\"status\":\"True\",\"lastTransitionTime\":\"2024-01-01T00:00:10Z\"}]}}",
        /* 1 unassigned */
        "{\"metadata\":{\"name\":\"unassigned\",\"uid\":\"u1\"},\"status\":{\"phase\":\"Pending\"}}",
        /* 2 ready recently */
        "{\"metadata\":{\"name\":\"new-ready\",\"uid\":\"u2\",\"creationTimestamp\":\"2024-01-01T00:00:00Z\"},"
        "\"spec\":{\"nodeName\":\"n\"},\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\","
        "\"status\":\"True\",\"lastTransitionTime\":\"2024-01-01T09:59:00Z\"}]}}",
        /* 3 pending on a node */
        "{\"metadata\":{\"name\":\"pending\",\"uid\":\"u3\"},\"spec\":{\"nodeName\":\"n\"},\"status\":{\"phase\":"
        "\"Pending\"}}",
        /* 4 running not ready */
        "{\"metadata\":{\"name\":\"notready\",\"uid\":\"u4\"},\"spec\":{\"nodeName\":\"n\"},\"status\":{\"phase\":"
        "\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}]}}",
        /* 5 ready a long time but cheap to delete */
        "{\"metadata\":{\"name\":\"cheap\",\"uid\":\"u5\",\"annotations\":{\"controller.kubernetes.io/pod-deletion-cost\":"
        "\"-5\"}},\"spec\":{\"nodeName\":\"n\"},\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":"
        "\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"2024-01-01T00:00:10Z\"}]}}",
    };
    const char *want[] = {"unassigned", "pending", "notready", "cheap", "new-ready", "old-ready"};
    rci_ranked_pod r[6];
    for (int i = 0; i < 6; i++)
        r[i] = (rci_ranked_pod){obj_json(pods[i]), 0};
    rc_time now;
    rc_time_parse("2024-01-01T10:00:00Z", &now, NULL);
    rci_rank_pods_for_deletion(r, 6, now);
    for (int i = 0; i < 6; i++)
        ck_assert_str_eq(rc_object_name(r[i].pod), want[i]);
    /* a higher rank (more siblings on the node) goes first among equals */
    r[4].rank = 3;
    rci_rank_pods_for_deletion(r, 6, now);
    ck_assert_str_eq(rc_object_name(r[3].pod), "cheap");
    for (int i = 0; i < 6; i++)
        rc_object_unref(r[i].pod);
}
END_TEST

/* ---- on the deterministic driver ---- */

static void run(rc_testenv *env) { ck_assert_int_eq(rc_testenv_run_until_stable(env, 2 * RC_MINUTE), 0); }

static rc_object *get(rc_testenv *env, const char *resource, const char *name)
{
    rc_object *o = NULL;
    rc_error err = {0};
    ck_assert_msg(rc_testenv_get(env, resource, NS, name, &o, &err) == 0, "%s", err.message ? err.message : "");
    return o;
}

/* kubectl get deploy: DESIRED CURRENT UP-TO-DATE AVAILABLE. */
static void assert_counts(rc_testenv *env, const char *name, int desired, int current, int updated, int available)
{
    rc_object *d = get(env, "deployments.apps", name);
    ck_assert_int_eq(rci_spec_replicas(d), desired);
    ck_assert_int_eq(rci_status_int(d, "replicas"), current);
    ck_assert_int_eq(rci_status_int(d, "updatedReplicas"), updated);
    ck_assert_int_eq(rci_status_int(d, "availableReplicas"), available);
    ck_assert_int_eq(rci_status_int(d, "observedGeneration"), rc_object_generation(d));
    rc_object_unref(d);
}

static void patch(rc_testenv *env, const char *name, rc_patch_type type, const char *json)
{
    rc_error err = {0};
    int rc = rc_client_patch(rc_testenv_client(env), "deployments.apps", NS, name, type, json, strlen(json), NULL,
                             NULL, &err);
    ck_assert_msg(rc == 0, "patch %s: %s", json, err.message ? err.message : "");
}

static long count(rc_testenv *env, const char *resource, const char *sel)
{
    rc_error err = {0};
    long n = rc_testenv_count(env, resource, NS, sel, &err);
    ck_assert_int_ge(n, 0);
    return n;
}

static void set_image(rc_testenv *env, const char *image)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"metadata\":{\"annotations\":{\"kubernetes.io/change-cause\":\"kubectl set image deployment/%s "
             "nginx=%s\"}},\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":\"%s\"}]}}}}",
             NGINX, image, image);
    patch(env, NGINX, RC_PATCH_STRATEGIC, json);
}

static const char *progressing_reason(rc_object *d)
{
    rc_node conds = rc_object_at(d, "status.conditions");
    for (size_t i = 0; i < rc_node_len(conds); i++)
        if (!strcmp(rc_node_str(rc_node_get(rc_node_index(conds, i), "type")), "Progressing"))
            return rc_node_str(rc_node_get(rc_node_index(conds, i), "reason"));
    return "";
}

static void assert_rolled_out(rc_testenv *env, const char *name)
{
    rc_object *d = get(env, "deployments.apps", name);
    char *msg = NULL;
    bool done = false;
    ck_assert_int_eq(rc_deployment_rollout_status(d, &msg, &done), 0);
    ck_assert_msg(done, "%s", msg);
    free(msg);
    rc_object_unref(d);
}

START_TEST(nginx_deployment_lifecycle)
{
    rc_error err = {0};
    rc_testenv *env = fake_env_new(7, 5 * RC_SEC, NULL, &err);
    ck_assert_msg(env != NULL, "%s", err.message ? err.message : "");
    ck_assert_int_eq(rc_testenv_load_file(env, "examples/manifests/nginx-deployment.yaml", &err), 0);
    run(env);
    assert_counts(env, NGINX, 3, 3, 3, 3);
    assert_rolled_out(env, NGINX);
    ck_assert_int_eq(count(env, "replicasets.apps", NULL), 1);
    rc_object *d = get(env, "deployments.apps", NGINX);
    char hash[16], rsname[64];
    rc_pod_template_hash(rc_object_at(d, "spec.template"), NULL, hash);
    snprintf(rsname, sizeof rsname, "%s-%s", NGINX, hash);
    ck_assert_str_eq(rc_object_annotation(d, RCI_ANN_REVISION), "1");
    ck_assert_str_eq(progressing_reason(d), "NewReplicaSetAvailable");
    rc_object_unref(d);
    rc_object *rs = get(env, "replicasets.apps", rsname);
    ck_assert_str_eq(rc_object_annotation(rs, RCI_ANN_REVISION), "1");
    ck_assert_str_eq(rc_object_annotation(rs, RCI_ANN_DESIRED_REPLICAS), "3");
    ck_assert_str_eq(rc_object_annotation(rs, RCI_ANN_MAX_REPLICAS), "4");
    ck_assert_str_eq(rc_object_get_str(rs, "spec.selector.matchLabels.pod-template-hash"), hash);
    rc_object_unref(rs);
    char sel[64];
    snprintf(sel, sizeof sel, "pod-template-hash=%s", hash);
    ck_assert_int_eq(count(env, "pods", sel), 3);

    /* kubectl scale --replicas=5 */
    patch(env, NGINX, RC_PATCH_MERGE, "{\"spec\":{\"replicas\":5}}");
    run(env);
    assert_counts(env, NGINX, 5, 5, 5, 5);
    ck_assert_int_eq(count(env, "replicasets.apps", NULL), 1);

    /* kubectl set image -> revision 2 */
    set_image(env, "nginx:1.9.1");
    run(env);
    assert_counts(env, NGINX, 5, 5, 5, 5);
    assert_rolled_out(env, NGINX);
    ck_assert_int_eq(count(env, "replicasets.apps", NULL), 2);
    rs = get(env, "replicasets.apps", rsname);
    ck_assert_int_eq(rci_spec_replicas(rs), 0);
    rc_object_unref(rs);
    d = get(env, "deployments.apps", NGINX);
    ck_assert_str_eq(rc_object_annotation(d, RCI_ANN_REVISION), "2");
    rc_object_unref(d);

    /* kubectl rollout pause; set image; scale -> no rollout, scaling applied */
    patch(env, NGINX, RC_PATCH_MERGE, "{\"spec\":{\"paused\":true}}");
    set_image(env, "nginx:1.10.0");
    run(env);
    ck_assert_int_eq(count(env, "replicasets.apps", NULL), 2);
    d = get(env, "deployments.apps", NGINX);
    ck_assert_str_eq(progressing_reason(d), "DeploymentPaused");
    rc_object_unref(d);
    patch(env, NGINX, RC_PATCH_MERGE, "{\"spec\":{\"replicas\":3}}");
    run(env);
    assert_counts(env, NGINX, 3, 3, 0, 3);
    ck_assert_int_eq(count(env, "replicasets.apps", NULL), 2);
    int64_t rev = 0;
    ck_assert_int_eq(rc_deployment_rollback(rc_testenv_client(env), NS, NGINX, 1, &rev, &err), RC_EINVAL);
    rc_error_clear(&err);

    /* kubectl rollout resume -> revision 3 */
    patch(env, NGINX, RC_PATCH_MERGE, "{\"spec\":{\"paused\":false}}");
    run(env);
    assert_counts(env, NGINX, 3, 3, 3, 3);
    ck_assert_int_eq(count(env, "replicasets.apps", NULL), 3);

    /* kubectl rollout undo --to-revision=1 -> the first RS comes back as revision 4 */
    ck_assert_int_eq(rc_deployment_rollback(rc_testenv_client(env), NS, NGINX, 1, &rev, &err), 0);
    ck_assert_int_eq(rev, 1);
    run(env);
    assert_counts(env, NGINX, 3, 3, 3, 3);
    assert_rolled_out(env, NGINX);
    ck_assert_int_eq(count(env, "replicasets.apps", NULL), 3);
    ck_assert(rc_testenv_field_equals(env, "deployments.apps", NS, NGINX, "spec.template.spec.containers.0.image",
                                      "\"nginx:1.7.9\"", &err));
    rs = get(env, "replicasets.apps", rsname);
    ck_assert_int_eq(rci_spec_replicas(rs), 3);
    ck_assert_str_eq(rc_object_annotation(rs, RCI_ANN_REVISION), "4");
    ck_assert_str_eq(rc_object_annotation(rs, RCI_ANN_REVISION_HISTORY), "1");
    rc_object_unref(rs);
    ck_assert_int_eq(count(env, "pods", sel), 3);
    ck_assert_int_eq(rc_deployment_rollback(rc_testenv_client(env), NS, NGINX, 4, NULL, &err), RC_EEXISTS);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_deployment_rollback(rc_testenv_client(env), NS, NGINX, 9, NULL, &err), RC_ENOTFOUND);
    rc_error_clear(&err);

    /* kubectl rollout history */
    rc_deployment_revision *h = NULL;
    size_t n = 0;
    ck_assert_int_eq(rc_deployment_history(rc_testenv_client(env), NS, NGINX, &h, &n, &err), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(h[0].revision, 2);
    ck_assert_str_eq(h[0].change_cause, "kubectl set image deployment/nginx-deployment nginx=nginx:1.9.1");
    ck_assert_int_eq(h[1].revision, 3);
    ck_assert_str_eq(h[1].change_cause, "kubectl set image deployment/nginx-deployment nginx=nginx:1.10.0");
    ck_assert_int_eq(h[2].revision, 4);
    ck_assert_str_eq(h[2].replicaset, rsname);
    rc_deployment_history_free(h, n);
    rc_testenv_free(env);
}
END_TEST

static void create_deployment(rc_testenv *env, const char *name, int replicas, const char *surge, const char *unavail,
                              const char *image, int deadline)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\n  namespace: default\nspec:\n"
             "  replicas: %d\n  progressDeadlineSeconds: %d\n  selector:\n    matchLabels:\n      app: %s\n"
             "  strategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxSurge: %s\n      maxUnavailable: %s\n"
             "  template:\n    metadata:\n      labels:\n        app: %s\n    spec:\n      containers:\n"
             "      - name: nginx\n        image: %s\n",
             name, replicas, deadline, name, surge, unavail, name, image);
    rc_error err = {0};
    ck_assert_msg(rc_testenv_load_yaml(env, yaml, &err) == 0, "%s", err.message ? err.message : "");
}

/* Sum of spec.replicas of the deployment's RS other than the one running image / of the new one. */
static void rs_split(rc_testenv *env, const char *app, const char *new_image, int64_t *old_spec, int64_t *new_spec)
{
    rc_object_list l;
    rc_object_list_init(&l);
    char sel[128];
    snprintf(sel, sizeof sel, "app=%s", app);
    ck_assert_int_eq(rc_client_list(rc_testenv_client(env), "replicasets.apps", NS,
                                    &(rc_list_options){.label_selector = sel}, &l, NULL), 0);
    *old_spec = *new_spec = 0;
    for (size_t i = 0; i < l.count; i++) {
        const char *img = rc_object_get_str(l.items[i], "spec.template.spec.containers.0.image");
        *(strcmp(img, new_image) ? old_spec : new_spec) += rci_spec_replicas(l.items[i]);
    }
    rc_object_list_clear(&l);
}

START_TEST(proportional_scaling_mid_rollout)
{
    rc_error err = {0};
    fake_kubelet *k = NULL;
    rc_testenv *env = fake_env_new(3, 2 * RC_SEC, &k, &err);
    ck_assert_ptr_nonnull(env);
    k->broken_image = "nginx:broken";
    create_deployment(env, "web", 10, "3", "2", "nginx:1", 600);
    run(env);
    assert_counts(env, "web", 10, 10, 10, 10);
    patch(env, "web", RC_PATCH_STRATEGIC,
          "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":\"nginx:broken\"}]}}}}");
    run(env);
    int64_t old_spec, new_spec;
    rs_split(env, "web", "nginx:broken", &old_spec, &new_spec);
    ck_assert_int_eq(old_spec, 8);
    ck_assert_int_eq(new_spec, 5);
    patch(env, "web", RC_PATCH_MERGE, "{\"spec\":{\"replicas\":15}}");
    run(env);
    rs_split(env, "web", "nginx:broken", &old_spec, &new_spec);
    ck_assert_int_eq(old_spec, 11);
    ck_assert_int_eq(new_spec, 7);
    rc_testenv_free(env);
}
END_TEST

/* A ReplicaSet (old, or new) as YAML for the stale-status test: image, spec.replicas and the annotations the
 * Deployment writes when it scales (desired 10, max 13), so the sync is a rollout step, not a scaling event. */
static void load_rs(rc_testenv *env, const char *name, const char *image, int spec, int status_replicas,
                    int available)
{
    char yaml[1536], status[256];
    rc_error err = {0};
    snprintf(yaml, sizeof yaml,
             "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: %s\n  namespace: default\n  labels:\n"
             "    app: web\n    pod-template-hash: %s\n  annotations:\n"
             "    deployment.kubernetes.io/desired-replicas: \"10\"\n    deployment.kubernetes.io/max-replicas: \"13\"\n"
             "    deployment.kubernetes.io/revision: \"%d\"\nspec:\n  replicas: %d\n  selector:\n    matchLabels:\n"
             "      app: web\n      pod-template-hash: %s\n  template:\n    metadata:\n      labels:\n        app: web\n"
             "        pod-template-hash: %s\n"
             "    spec:\n      containers:\n      - name: nginx\n        image: %s\n",
             name, name, strcmp(image, "nginx:1") ? 2 : 1, spec, name, name, image);
    ck_assert_msg(rc_testenv_load_yaml(env, yaml, &err) == 0, "%s", err.message ? err.message : "");
    rc_object *rs = get(env, "replicasets.apps", name), *copy = rc_object_copy(rs);
    snprintf(status, sizeof status, "{\"replicas\":%d,\"readyReplicas\":%d,\"availableReplicas\":%d}",
             status_replicas, available, available);
    ck_assert_int_eq(rc_object_set_json(copy, "status", cJSON_Parse(status)), 0);
    ck_assert_int_eq(rc_client_update_status(rc_testenv_client(env), "replicasets.apps", NS, copy, NULL, NULL, &err), 0);
    rc_object_unref(copy);
    rc_object_unref(rs);
}

/* The old ReplicaSet was just scaled 8 -> 5 but its status still counts 8 available pods (it has not deleted
 * them yet). Counting those 8 would let the Deployment scale it down to 0 (13 - 8 = 5 more), and the pods
 * would drop to 5 available; only the 5 its spec keeps count, so it goes to 3 (5 + 3 = 8 = 10 - 2). */
START_TEST(stale_old_status_does_not_scale_down_twice)
{
    rc_error err = {0};
    rc_testenv *env = NULL;
    ck_assert_int_eq(rc_testenv_new(&(rc_testenv_options){.seed = 4}, &env, &err), 0);
    const rc_controller_ops *ops = NULL;
    void *self = NULL;
    ck_assert_int_eq(rc_deployment_controller_new(NULL, &ops, &self, &err), 0);
    ck_assert_int_eq(rc_testenv_add_controller(env, ops, self, NULL, &err), 0);
    load_rs(env, "web-old", "nginx:1", 5, 8, 8);
    load_rs(env, "web-new", "nginx:2", 5, 5, 5);
    create_deployment(env, "web", 10, "3", "2", "nginx:2", 600);
    run(env);
    int64_t old_spec, new_spec;
    rs_split(env, "web", "nginx:2", &old_spec, &new_spec);
    ck_assert_int_eq(old_spec, 3);
    ck_assert_int_eq(new_spec, 5);
    rc_testenv_free(env);
}
END_TEST

START_TEST(progress_deadline_exceeded)
{
    rc_error err = {0};
    fake_kubelet *k = NULL;
    rc_testenv *env = fake_env_new(5, RC_SEC, &k, &err);
    ck_assert_ptr_nonnull(env);
    k->broken_image = "nginx:broken";
    create_deployment(env, "stuck", 3, "1", "0", "nginx:broken", 30);
    ck_assert_int_eq(rc_testenv_run_until_stable(env, 10 * RC_SEC), 0);
    rc_object *d = get(env, "deployments.apps", "stuck");
    ck_assert_str_ne(progressing_reason(d), "ProgressDeadlineExceeded");
    rc_object_unref(d);
    run(env);
    d = get(env, "deployments.apps", "stuck");
    ck_assert_str_eq(progressing_reason(d), "ProgressDeadlineExceeded");
    char *msg = NULL;
    bool done = true;
    ck_assert_int_eq(rc_deployment_rollout_status(d, &msg, &done), RC_ETIMEOUT);
    ck_assert(!done);
    free(msg);
    ck_assert(rc_testenv_field_equals(env, "deployments.apps", NS, "stuck", "status.replicas", "3", &err));
    rc_object_unref(d);
    rc_testenv_free(env);
}
END_TEST

START_TEST(recreate_replaces_all_at_once)
{
    rc_error err = {0};
    rc_testenv *env = fake_env_new(9, RC_SEC, NULL, &err);
    ck_assert_ptr_nonnull(env);
    ck_assert_int_eq(rc_testenv_load_yaml(env,
                                          "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: rec\n  namespace: "
                                          "default\nspec:\n  replicas: 3\n  selector:\n    matchLabels:\n      app: rec\n"
                                          "  strategy:\n    type: Recreate\n  template:\n    metadata:\n      labels:\n"
                                          "        app: rec\n    spec:\n      containers:\n      - name: nginx\n"
                                          "        image: nginx:1\n",
                                          &err),
                     0);
    run(env);
    assert_counts(env, "rec", 3, 3, 3, 3);
    patch(env, "rec", RC_PATCH_STRATEGIC,
          "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":\"nginx:2\"}]}}}}");
    run(env);
    assert_counts(env, "rec", 3, 3, 3, 3);
    int64_t old_spec, new_spec;
    rs_split(env, "rec", "nginx:2", &old_spec, &new_spec);
    ck_assert_int_eq(old_spec, 0);
    ck_assert_int_eq(new_spec, 3);
    rc_testenv_free(env);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("deployment");
    TCase *pure = tcase_create("pure");
    tcase_add_test(pure, hash_is_stable_and_safe_encoded);
    tcase_add_test(pure, new_rs_size_respects_surge);
    tcase_add_test(pure, proportional_scaling_worked_example);
    tcase_add_test(pure, revision_history_is_capped);
    tcase_add_test(pure, rollout_status_messages);
    tcase_add_test(pure, scale_down_ranking_order);
    suite_add_tcase(s, pure);
    TCase *sim = tcase_create("driver");
    tcase_set_timeout(sim, 60);
    tcase_add_test(sim, nginx_deployment_lifecycle);
    tcase_add_test(sim, proportional_scaling_mid_rollout);
    tcase_add_test(sim, stale_old_status_does_not_scale_down_twice);
    tcase_add_test(sim, progress_deadline_exceeded);
    tcase_add_test(sim, recreate_replaces_all_at_once);
    suite_add_tcase(s, sim);
    return s;
}

int main(void) { return rc_test_run_suite(suite()); }
