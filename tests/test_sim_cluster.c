/* test_sim_cluster.c - the simulated cluster end to end on the deterministic driver: scheduling and the
 * kubelet bringing pods to Running with IPs from the node's CIDR, Unschedulable pods retried when a node
 * fits, cordon, NotReady nodes tainted and their pods evicted after tolerationSeconds, pods of removed
 * nodes collected, Endpoints and DNS answers (headless Services and pod hostnames), volume binding and
 * provisioning, the trace's determinism (two runs, identical bytes), the components' own identities with
 * RBAC on, kubelet and scheduler Events, readiness failing after a while, and Endpoints following a pod's
 * label change. */
#include <reconcile.h>
#include <reconcile/manager.h>
#include <reconcile/sim.h>
#include <stdlib.h>
#include <string.h>

#include "support/testutil.h"

#define T0 ((rc_time)1704067200 * RC_SEC)

typedef struct env {
    rc_clock *clock;
    rc_apiserver *srv;
    rc_client *client;
    rc_manager *mgr;
    rc_sim *sim;
    rc_sim_trace *trace;
} env;

static void env_init_with(env *e, uint64_t seed, size_t nodes, FILE *trace, bool identities)
{
    rc_error err = {0};
    memset(e, 0, sizeof *e);
    rc_log_set_level(getenv("SIM_TEST_LOG") ? RC_LOG_INFO : RC_LOG_OFF);
    e->clock = rc_clock_virtual_new(T0);
    rc_apiserver_options so = {.clock = e->clock, .seed = seed};
    e->srv = rc_apiserver_new(&so, &err);
    ck_assert_ptr_nonnull(e->srv);
    e->client = rc_apiserver_client(e->srv, NULL);
    rc_manager_options mo = {.client = e->client, .clock = e->clock, .seed = seed, .apiserver = e->srv};
    ck_assert_int_eq(rc_manager_new(&mo, &e->mgr, &err), 0);
    rc_sim_options opts = {.apiserver = identities ? e->srv : NULL};
    ck_assert_msg(rc_sim_new(e->mgr, &opts, &e->sim, &err) == 0, "%s", err.message);
    if (trace)
        ck_assert_ptr_nonnull(e->trace = rc_sim_trace_new(e->srv, e->clock, T0, trace, &err));
    ck_assert_msg(rc_sim_add_nodes(e->sim, "node", nodes, 3, &err) == 0, "%s", err.message);
}

static void env_init(env *e, uint64_t seed, size_t nodes, FILE *trace)
{
    env_init_with(e, seed, nodes, trace, false);
}

static void env_free(env *e)
{
    rc_sim_trace_free(e->trace);
    rc_manager_free(e->mgr);
    rc_client_unref(e->client);
    rc_apiserver_free(e->srv);
    rc_clock_free(e->clock);
}

/* Runs everything due up to T0 + seconds. */
static void run_to(env *e, double seconds)
{
    ck_assert_int_eq(rc_manager_run_until(e->mgr, T0 + (rc_time)(seconds * 1e9)), 0);
}

static void create(env *e, const char *resource, const char *json)
{
    rc_error err = {0};
    rc_object *o = rc_object_from_json(json, strlen(json), &err);
    ck_assert_msg(o != NULL, "fixture: %s", err.message);
    int rc = rc_client_create(e->client, resource, NULL, o, NULL, NULL, &err);
    ck_assert_msg(rc == 0, "create %s: %s", resource, err.message);
    rc_object_unref(o);
}

static rc_object *get(env *e, const char *resource, const char *ns, const char *name)
{
    rc_object *o = NULL;
    rc_client_get(e->client, resource, ns, name, &o, NULL);
    return o;
}

static const char *field(rc_object *o, const char *path)
{
    const char *s = o ? rc_object_get_str(o, path) : NULL;
    return s ? s : "(none)";
}

static const char *cond(rc_object *o, const char *type, const char *what)
{
    rc_node cs = rc_object_at(o, "status.conditions");
    for (size_t i = 0; i < rc_node_len(cs); i++) {
        const char *t = rc_node_str(rc_node_get(rc_node_index(cs, i), "type"));
        if (t && !strcmp(t, type))
            return rc_node_str(rc_node_get(rc_node_index(cs, i), what));
    }
    return "(none)";
}

#define POD(name, extra_meta, extra_spec)                                                                    \
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" name "\",\"namespace\":\"default\"" \
    extra_meta "},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]" extra_spec "}}"

START_TEST(pods_are_scheduled_and_run)
{
    env e;
    env_init(&e, 1, 2, NULL);
    create(&e, "pods", POD("a", "", ""));
    create(&e, "pods", POD("b", "", ""));
    run_to(&e, 5);
    rc_object *a = get(&e, "pods", "default", "a"), *b = get(&e, "pods", "default", "b");
    ck_assert_str_eq(field(a, "status.phase"), "Running");
    ck_assert_str_eq(cond(a, "Ready", "status"), "True");
    ck_assert_str_eq(cond(a, "PodScheduled", "status"), "True");
    /* least allocated spreads the two pods */
    ck_assert_str_ne(field(a, "spec.nodeName"), field(b, "spec.nodeName"));
    const char *node = field(a, "spec.nodeName");
    rc_object *n = get(&e, "nodes", NULL, node);
    const char *cidr = field(n, "spec.podCIDR");
    ck_assert_int_eq(strncmp(field(a, "status.podIP"), cidr, strlen(cidr) - 4), 0);
    ck_assert_str_eq(field(a, "status.startTime"), "2024-01-01T00:00:00Z");
    rc_object_unref(n);
    rc_object_unref(a);
    rc_object_unref(b);
    env_free(&e);
}
END_TEST

/* A Binding that fails (a conflict, then a 500) is not the end of the pod: the scheduler forgets its
 * assumption and retries with back-off until the pod is bound and running. */
START_TEST(failed_binding_is_retried_with_back_off)
{
    env e;
    env_init(&e, 1, 2, NULL);
    rc_fault_rule conflict = {.verb = "create", .resource = "pods/binding", .nth = 1, .times = 1,
                              .code = RC_ECONFLICT};
    rc_fault_rule internal = {.verb = "create", .resource = "pods/binding", .nth = 2, .times = 1,
                              .code = RC_EINTERNAL};
    ck_assert_int_eq(rc_apiserver_fault_fail(e.srv, &conflict, NULL), 0);
    ck_assert_int_eq(rc_apiserver_fault_fail(e.srv, &internal, NULL), 0);
    create(&e, "pods", POD("a", "", ""));
    run_to(&e, 30);
    rc_object *a = get(&e, "pods", "default", "a");
    ck_assert_str_ne(field(a, "spec.nodeName"), "(none)");
    ck_assert_str_eq(field(a, "status.phase"), "Running");
    rc_object_unref(a);
    env_free(&e);
}
END_TEST

START_TEST(unschedulable_pod_is_retried_when_a_node_fits)
{
    env e;
    env_init(&e, 2, 2, NULL);
    create(&e, "pods", POD("db", "", ",\"nodeSelector\":{\"disktype\":\"ssd\"}"));
    run_to(&e, 5);
    rc_object *p = get(&e, "pods", "default", "db");
    ck_assert_str_eq(field(p, "status.phase"), "Pending");
    ck_assert_str_eq(cond(p, "PodScheduled", "status"), "False");
    ck_assert_str_eq(cond(p, "PodScheduled", "reason"), "Unschedulable");
    ck_assert_str_eq(cond(p, "PodScheduled", "message"),
                     "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.");
    rc_object_unref(p);
    const char *labels[] = {"disktype", "ssd", NULL};
    rc_sim_node_spec spec = {.name = "fast", .labels = labels};
    rc_error err = {0};
    ck_assert_int_eq(rc_sim_add_node(e.sim, &spec, &err), 0);
    run_to(&e, 10);
    p = get(&e, "pods", "default", "db");
    ck_assert_str_eq(field(p, "spec.nodeName"), "fast");
    ck_assert_str_eq(field(p, "status.phase"), "Running");
    rc_object_unref(p);
    env_free(&e);
}
END_TEST

START_TEST(cordoned_node_takes_no_pods)
{
    env e;
    env_init(&e, 3, 1, NULL);
    rc_error err = {0};
    ck_assert_int_eq(rc_sim_cordon(e.sim, "node-1", true, &err), 0);
    create(&e, "pods", POD("x", "", ""));
    run_to(&e, 5);
    rc_object *p = get(&e, "pods", "default", "x");
    ck_assert_str_eq(cond(p, "PodScheduled", "message"), "0/1 nodes are available: 1 node(s) were unschedulable.");
    rc_object_unref(p);
    ck_assert_int_eq(rc_sim_cordon(e.sim, "node-1", false, &err), 0);
    run_to(&e, 10);
    p = get(&e, "pods", "default", "x");
    ck_assert_str_eq(field(p, "spec.nodeName"), "node-1");
    rc_object_unref(p);
    ck_assert_int_eq(rc_sim_taint(e.sim, "node-1", "k", "v", "Sideways", &err), RC_EINVAL);
    ck_assert_int_eq(rc_sim_cordon(e.sim, "nope", true, &err), RC_ENOTFOUND);
    rc_error_clear(&err);
    env_free(&e);
}
END_TEST

START_TEST(not_ready_node_evicts_after_toleration_seconds)
{
    env e;
    env_init(&e, 4, 1, NULL);
    create(&e, "pods", POD("short", "", ",\"tolerations\":[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":"
                                        "\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":60}]"));
    create(&e, "pods", POD("default-300", "", ""));
    create(&e, "pods", POD("forever", "", ",\"tolerations\":[{\"operator\":\"Exists\"}]"));
    run_to(&e, 10);
    rc_error err = {0};
    ck_assert_int_eq(rc_sim_set_node_ready(e.sim, "node-1", false, &err), 0);
    run_to(&e, 11);
    rc_object *n = get(&e, "nodes", NULL, "node-1");
    ck_assert_str_eq(field(n, "spec.taints.0.key"), "node.kubernetes.io/not-ready");
    ck_assert_str_eq(field(n, "spec.taints.0.effect"), "NoSchedule");
    ck_assert_str_eq(field(n, "spec.taints.1.effect"), "NoExecute");
    rc_object_unref(n);
    run_to(&e, 69);
    rc_object *p = get(&e, "pods", "default", "short");
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_null(rc_object_deletion_timestamp(p));
    rc_object_unref(p);
    run_to(&e, 72);
    p = get(&e, "pods", "default", "short");
    ck_assert_msg(!p || rc_object_deletion_timestamp(p), "evicted 60 s after the taint");
    rc_object_unref(p);
    p = get(&e, "pods", "default", "default-300");
    ck_assert_ptr_null(rc_object_deletion_timestamp(p)); /* DefaultTolerationSeconds: 300 s */
    rc_object_unref(p);
    run_to(&e, 400);
    ck_assert_ptr_null(get(&e, "pods", "default", "short")); /* gone after its grace period */
    p = get(&e, "pods", "default", "default-300");
    ck_assert_msg(!p || rc_object_deletion_timestamp(p), "evicted after 300 s");
    rc_object_unref(p);
    p = get(&e, "pods", "default", "forever");
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_null(rc_object_deletion_timestamp(p));
    rc_object_unref(p);
    /* Ready again: the taints go */
    ck_assert_int_eq(rc_sim_set_node_ready(e.sim, "node-1", true, &err), 0);
    run_to(&e, 401);
    n = get(&e, "nodes", NULL, "node-1");
    ck_assert(!rc_node_exists(rc_object_at(n, "spec.taints")));
    rc_object_unref(n);
    env_free(&e);
}
END_TEST

START_TEST(removed_node_loses_its_pods)
{
    env e;
    env_init(&e, 5, 1, NULL);
    create(&e, "pods", POD("orphan", "", ""));
    run_to(&e, 5);
    rc_error err = {0};
    ck_assert_int_eq(rc_sim_remove_node(e.sim, "node-1", &err), 0);
    run_to(&e, 6);
    ck_assert_ptr_null(get(&e, "pods", "default", "orphan"));
    ck_assert_int_eq(rc_sim_remove_node(e.sim, "node-1", &err), RC_ENOTFOUND);
    rc_error_clear(&err);
    env_free(&e);
}
END_TEST

#define WEB(name, extra)                                                                                     \
    POD(name, ",\"labels\":{\"app\":\"web\"}" extra, ",\"hostname\":\"" name "\",\"subdomain\":\"nginx\"")

START_TEST(endpoints_and_dns)
{
    env e;
    env_init(&e, 6, 2, NULL);
    create(&e, "services", "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"nginx\","
                           "\"namespace\":\"default\"},\"spec\":{\"clusterIP\":\"None\",\"selector\":{\"app\":"
                           "\"web\"},\"ports\":[{\"name\":\"web\",\"port\":80}]}}");
    create(&e, "services", "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"front\","
                           "\"namespace\":\"default\"},\"spec\":{\"selector\":{\"app\":\"web\"},\"ports\":"
                           "[{\"port\":8080,\"targetPort\":80}]}}");
    create(&e, "pods", WEB("web-0", ""));
    create(&e, "pods", WEB("web-1", ""));
    create(&e, "pods", WEB("web-2", ",\"annotations\":{\"sim.reconcile.io/ready\":\"false\"}"));
    run_to(&e, 10);
    rc_object *ep = get(&e, "endpoints", "default", "nginx");
    ck_assert_ptr_nonnull(ep);
    ck_assert_uint_eq(rc_node_len(rc_object_at(ep, "subsets.0.addresses")), 2);
    ck_assert_uint_eq(rc_node_len(rc_object_at(ep, "subsets.0.notReadyAddresses")), 1);
    ck_assert_str_eq(field(ep, "subsets.0.notReadyAddresses.0.hostname"), "web-2");
    ck_assert_int_eq(rc_object_get_int(ep, "subsets.0.ports.0.port", 0), 80);
    rc_object_unref(ep);
    ep = get(&e, "endpoints", "default", "front");
    ck_assert_int_eq(rc_object_get_int(ep, "subsets.0.ports.0.port", 0), 80); /* the targetPort */
    ck_assert(!rc_node_exists(rc_object_at(ep, "subsets.0.addresses.0.hostname")));
    rc_object_unref(ep);

    char **ips = NULL;
    size_t n = 0;
    rc_error err = {0};
    rc_object *w0 = get(&e, "pods", "default", "web-0");
    ck_assert_int_eq(rc_sim_dns_lookup(e.sim, "web-0.nginx.default.svc.cluster.local", &ips, &n, &err), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(ips[0], field(w0, "status.podIP"));
    rc_sim_dns_free(ips);
    rc_object_unref(w0);
    ck_assert_int_eq(rc_sim_dns_lookup(e.sim, "nginx.default.svc.cluster.local.", &ips, &n, &err), 0);
    ck_assert_uint_eq(n, 2); /* the ready pods of the headless Service */
    rc_sim_dns_free(ips);
    rc_object *front = get(&e, "services", "default", "front");
    ck_assert_int_eq(rc_sim_dns_lookup(e.sim, "front.default.svc", &ips, &n, &err), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(ips[0], field(front, "spec.clusterIP"));
    rc_sim_dns_free(ips);
    rc_object_unref(front);
    ck_assert_int_eq(rc_sim_dns_lookup(e.sim, "web-2.nginx.default.svc.cluster.local", &ips, &n, &err),
                     RC_ENOTFOUND); /* not ready: not published */
    ck_assert_int_eq(rc_sim_dns_lookup(e.sim, "nope.default.svc.cluster.local", &ips, &n, &err), RC_ENOTFOUND);
    ck_assert_int_eq(rc_sim_dns_lookup(e.sim, "a.b.nginx.default.svc.cluster.local", &ips, &n, &err),
                     RC_ENOTFOUND);
    ck_assert_int_eq(rc_sim_dns_lookup(e.sim, "example.com", &ips, &n, &err), RC_EINVAL);
    ck_assert_int_eq(rc_sim_dns_lookup(e.sim, NULL, &ips, &n, &err), RC_EINVAL);
    rc_error_clear(&err);

    /* the Service goes: so do its Endpoints */
    ck_assert_int_eq(rc_client_delete(e.client, "services", "default", "front", NULL, NULL, &err), 0);
    run_to(&e, 11);
    ck_assert_ptr_null(get(&e, "endpoints", "default", "front"));
    env_free(&e);
}
END_TEST

START_TEST(claims_bind_and_provision)
{
    env e;
    env_init(&e, 7, 1, NULL);
    create(&e, "persistentvolumes", "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolume\",\"metadata\":{\"name\":"
                                    "\"pv-big\"},\"spec\":{\"storageClassName\":\"manual\",\"capacity\":{\"storage\":"
                                    "\"10Gi\"},\"accessModes\":[\"ReadWriteOnce\"],\"hostPath\":{\"path\":\"/a\"}}}");
    create(&e, "persistentvolumes", "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolume\",\"metadata\":{\"name\":"
                                    "\"pv-small\"},\"spec\":{\"storageClassName\":\"manual\",\"capacity\":{\"storage\":"
                                    "\"5Gi\"},\"accessModes\":[\"ReadWriteOnce\"],\"hostPath\":{\"path\":\"/b\"}}}");
    create(&e, "persistentvolumeclaims", "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":"
                                         "{\"name\":\"data\",\"namespace\":\"default\"},\"spec\":{\"storageClassName\":"
                                         "\"manual\",\"accessModes\":[\"ReadWriteOnce\"],\"resources\":{\"requests\":"
                                         "{\"storage\":\"3Gi\"}}}}");
    create(&e, "pods", POD("user", "", ",\"volumes\":[{\"name\":\"d\",\"persistentVolumeClaim\":{\"claimName\":"
                                       "\"data\"}}]"));
    run_to(&e, 10);
    rc_object *pvc = get(&e, "persistentvolumeclaims", "default", "data");
    ck_assert_str_eq(field(pvc, "status.phase"), "Bound");
    ck_assert_str_eq(field(pvc, "spec.volumeName"), "pv-small"); /* the smallest that fits */
    rc_object_unref(pvc);
    rc_object *pv = get(&e, "persistentvolumes", NULL, "pv-small");
    ck_assert_str_eq(field(pv, "status.phase"), "Bound");
    ck_assert_str_eq(field(pv, "spec.claimRef.name"), "data");
    rc_object_unref(pv);
    rc_object *p = get(&e, "pods", "default", "user");
    ck_assert_str_eq(field(p, "status.phase"), "Running");
    rc_object_unref(p);
    /* a claim without a class while no class is the default: nothing fits and nothing is provisioned */
    static const char claim[] = "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":"
                                "{\"name\":\"%s\",\"namespace\":\"default\"},\"spec\":{\"accessModes\":"
                                "[\"ReadWriteOnce\"],\"resources\":{\"requests\":{\"storage\":\"1Gi\"}}}}";
    static const char class[] = "{\"apiVersion\":\"storage.k8s.io/v1\",\"kind\":\"StorageClass\",\"metadata\":"
                                "{\"name\":\"%s\",\"annotations\":{\"storageclass.kubernetes.io/is-default-"
                                "class\":\"true\"}},\"provisioner\":\"rancher.io/local-path\"}";
    char doc[512];
    snprintf(doc, sizeof doc, claim, "early");
    create(&e, "persistentvolumeclaims", doc);
    run_to(&e, 12);
    pvc = get(&e, "persistentvolumeclaims", "default", "early");
    ck_assert_str_eq(field(pvc, "status.phase"), "Pending");
    ck_assert_ptr_null(rc_object_get_str(pvc, "spec.storageClassName"));
    rc_object_unref(pvc);
    /* once a default class exists the early claim is given it (upstream's retroactive default) and bound,
     * and a claim created now is given it by the DefaultStorageClass admission plugin */
    snprintf(doc, sizeof doc, class, "standard");
    create(&e, "storageclasses", doc);
    snprintf(doc, sizeof doc, claim, "auto");
    create(&e, "persistentvolumeclaims", doc);
    run_to(&e, 20);
    static const char *const claims[] = {"early", "auto"};
    for (size_t i = 0; i < 2; i++) {
        pvc = get(&e, "persistentvolumeclaims", "default", claims[i]);
        ck_assert_str_eq(field(pvc, "status.phase"), "Bound");
        ck_assert_int_eq(strncmp(field(pvc, "spec.volumeName"), "pvc-", 4), 0);
        pv = get(&e, "persistentvolumes", NULL, field(pvc, "spec.volumeName"));
        ck_assert_str_eq(field(pv, "spec.storageClassName"), "standard");
        rc_object_unref(pv);
        rc_object_unref(pvc);
    }
    for (size_t i = 0; i < 2; i++) {
        pvc = get(&e, "persistentvolumeclaims", "default", claims[i]);
        ck_assert_str_eq(field(pvc, "spec.storageClassName"), "standard");
        rc_object_unref(pvc);
    }
    env_free(&e);
}
END_TEST

static char *traced_run(uint64_t seed, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    env e;
    env_init(&e, seed, 3, f);
    create(&e, "pods", POD("t1", "", ""));
    create(&e, "pods", POD("t2", ",\"annotations\":{\"sim.reconcile.io/crash-after-seconds\":\"3\"}", ""));
    run_to(&e, 60);
    rc_error err = {0};
    ck_assert_int_eq(rc_client_delete(e.client, "pods", "default", "t1", NULL, NULL, &err), 0);
    run_to(&e, 120);
    env_free(&e);
    fclose(f);
    return buf;
}

START_TEST(trace_is_deterministic)
{
    size_t n1 = 0, n2 = 0;
    char *a = traced_run(42, &n1), *b = traced_run(42, &n2);
    ck_assert_uint_gt(n1, 0);
    ck_assert_uint_eq(n1, n2);
    ck_assert(memcmp(a, b, n1) == 0);
    /* every line is a JSON object with the documented members; the pod's removal is a delete line */
    size_t lines = 0, deletes = 0;
    for (char *line = a, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
        *nl = '\0';
        cJSON *j = cJSON_Parse(line);
        ck_assert_ptr_nonnull(j);
        static const char *const keys[] = {"t", "verb", "actor", "kind", "namespace", "name", "resourceVersion",
                                           "object"};
        for (size_t k = 0; k < 8; k++)
            ck_assert_msg(cJSON_HasObjectItem(j, keys[k]), "line %zu lacks %s", lines, keys[k]);
        const char *verb = cJSON_GetObjectItem(j, "verb")->valuestring;
        if (!strcmp(verb, "delete") && !strcmp(cJSON_GetObjectItem(j, "name")->valuestring, "t1"))
            deletes++;
        cJSON_Delete(j);
        lines++;
    }
    ck_assert_uint_eq(deletes, 1);
    free(a);
    free(b);
}
END_TEST

START_TEST(bad_arguments)
{
    rc_error err = {0};
    rc_sim *sim = NULL;
    ck_assert_int_eq(rc_sim_new(NULL, NULL, &sim, &err), RC_EINVAL);
    ck_assert_int_eq(rc_sim_add_node(NULL, NULL, &err), RC_EINVAL);
    ck_assert_ptr_null(rc_sim_trace_new(NULL, NULL, 0, NULL, &err));
    rc_error_clear(&err);
    env e;
    env_init(&e, 8, 0, NULL);
    rc_sim_node_spec spec = {.name = ""};
    ck_assert_int_eq(rc_sim_add_node(e.sim, &spec, &err), RC_EINVAL);
    spec.name = "Bad_Name";
    ck_assert_int_eq(rc_sim_add_node(e.sim, &spec, &err), RC_EINVAL); /* the API server's validation */
    rc_error_clear(&err);
    env_free(&e);
}
END_TEST

/* The actor of the last successful write of verb on resource ns/name in the action log ("" when none). */
static char *actor_of(env *e, const char *verb, const char *resource, const char *name)
{
    rc_action *a = NULL;
    size_t n = rc_apiserver_actions(e->srv, &a);
    char *who = NULL;
    for (size_t i = 0; i < n; i++)
        if (a[i].code == 0 && !strcmp(a[i].verb, verb) && !strcmp(a[i].resource, resource) &&
            (!name || !strcmp(a[i].name, name))) {
            free(who);
            who = strdup(a[i].actor);
        }
    rc_actions_free(a, n);
    return who ? who : strdup("");
}

static size_t forbidden_writes(env *e)
{
    rc_action *a = NULL;
    size_t n = rc_apiserver_actions(e->srv, &a), bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += a[i].code == RC_EFORBIDDEN;
    rc_actions_free(a, n);
    return bad;
}

START_TEST(components_write_as_their_own_identities)
{
    env e;
    env_init_with(&e, 11, 2, NULL, true);
    rc_apiserver_set_rbac(e.srv, true);
    create(&e, "services", "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"web\","
                           "\"namespace\":\"default\"},\"spec\":{\"selector\":{\"app\":\"web\"},\"ports\":"
                           "[{\"port\":80}]}}");
    create(&e, "pods", POD("a", ",\"labels\":{\"app\":\"web\"}", ""));
    run_to(&e, 5);
    rc_object *a = get(&e, "pods", "default", "a");
    ck_assert_str_eq(cond(a, "Ready", "status"), "True");
    char node_user[128];
    snprintf(node_user, sizeof node_user, "system:node:%s", field(a, "spec.nodeName"));
    char *who = actor_of(&e, "create", "pods/binding", "a");
    ck_assert_str_eq(who, "system:kube-scheduler");
    free(who);
    who = actor_of(&e, "update", "pods/status", "a");
    ck_assert_str_eq(who, node_user);
    free(who);
    who = actor_of(&e, "create", "endpoints", "web");
    ck_assert_str_eq(who, "system:serviceaccount:kube-system:endpoint-controller");
    free(who);
    /* the kubelet's events are written as the node, with source kubelet/<node> */
    who = actor_of(&e, "create", "events", NULL);
    ck_assert_str_eq(who, node_user);
    free(who);
    ck_assert_uint_eq(forbidden_writes(&e), 0);
    /* the node lifecycle controller taints and evicts as its service account */
    rc_error err = {0};
    ck_assert_int_eq(rc_sim_set_node_ready(e.sim, field(a, "spec.nodeName"), false, &err), 0);
    run_to(&e, 400);
    who = actor_of(&e, "update", "nodes", field(a, "spec.nodeName"));
    ck_assert_str_eq(who, "system:serviceaccount:kube-system:node-controller");
    free(who);
    ck_assert_uint_eq(forbidden_writes(&e), 0);
    rc_object_unref(a);
    rc_object *role = get(&e, "clusterroles.rbac.authorization.k8s.io", NULL, "system:kube-scheduler");
    ck_assert_ptr_nonnull(role);
    rc_object_unref(role);
    env_free(&e);
}
END_TEST

/* The reasons of the events about pod `name`, in creation order, joined by spaces. */
static void event_reasons(env *e, const char *name, char *buf, size_t cap)
{
    rc_object_list l;
    rc_object_list_init(&l);
    rc_error err = {0};
    buf[0] = '\0';
    ck_assert_int_eq(rc_client_list(e->client, "events", "default", NULL, &l, &err), 0);
    for (uint64_t rv = 0;;) { /* creation order = resourceVersion order of the first write */
        const rc_object *next = NULL;
        uint64_t best = UINT64_MAX;
        for (size_t i = 0; i < l.count; i++) {
            const char *on = rc_object_get_str(l.items[i], "involvedObject.name");
            const char *rvs = rc_object_get_str(l.items[i], "metadata.resourceVersion");
            uint64_t v = rvs ? strtoull(rvs, NULL, 10) : 0;
            if (on && !strcmp(on, name) && v > rv && v < best) {
                best = v;
                next = l.items[i];
            }
        }
        if (!next)
            break;
        rv = best;
        const char *reason = rc_object_get_str(next, "reason");
        if (strlen(buf) + strlen(reason) + 2 < cap) {
            if (buf[0])
                strcat(buf, " ");
            strcat(buf, reason);
        }
    }
    rc_object_list_clear(&l);
}

START_TEST(kubelet_and_scheduler_record_events)
{
    env e;
    env_init(&e, 12, 1, NULL);
    create(&e, "pods", POD("ok", "", ""));
    create(&e, "pods", POD("crash", ",\"annotations\":{\"sim.reconcile.io/crash-after-seconds\":\"3\"}", ""));
    create(&e, "pods", POD("nopull", ",\"annotations\":{\"sim.reconcile.io/image-pull\":\"fail\"}", ""));
    create(&e, "pods", POD("never", ",\"annotations\":{\"sim.reconcile.io/ready\":\"false\"}", ""));
    run_to(&e, 10);
    /* Scheduled and Pulling are recorded at the same instant by two recorders; the runtime's recorder names
     * Events "<pod>.<hex of now + its own sequence>", so the second can collide with the first and be lost
     * (reported to the runtime's owner): the sequences below are checked after Pulling. */
    char r[512];
    event_reasons(&e, "ok", r, sizeof r);
    ck_assert_str_eq(strstr(r, "Pulled"), "Pulled Created Started");
    ck_assert_int_eq(strncmp(r, "Scheduled ", 10), 0);
    event_reasons(&e, "crash", r, sizeof r);
    ck_assert_str_eq(strstr(r, "Pulled"), "Pulled Created Started BackOff");
    event_reasons(&e, "nopull", r, sizeof r);
    ck_assert_str_eq(strstr(r, "Failed"), "Failed Failed BackOff Failed");
    event_reasons(&e, "never", r, sizeof r);
    ck_assert_str_eq(strstr(r, "Pulled"), "Pulled Created Started Unhealthy");
    /* the restart after the back-off: the image is already present */
    run_to(&e, 20);
    rc_object_list l;
    rc_object_list_init(&l);
    rc_error err = {0};
    ck_assert_int_eq(rc_client_list(e.client, "events", "default", NULL, &l, &err), 0);
    bool present = false;
    for (size_t i = 0; i < l.count; i++) {
        const char *on = rc_object_get_str(l.items[i], "involvedObject.name");
        const char *reason = rc_object_get_str(l.items[i], "reason");
        if (strcmp(on, "crash"))
            continue;
        present |= !strcmp(rc_object_get_str(l.items[i], "message"),
                           "Container image \"nginx\" already present on machine");
        if (!strcmp(reason, "Started")) /* the same event again: aggregated */
            ck_assert_int_eq(rc_object_get_int(l.items[i], "count", 0), 2);
    }
    ck_assert(present);
    rc_object_list_clear(&l);
    ck_assert_int_eq(rc_client_delete(e.client, "pods", "default", "ok", NULL, NULL, &err), 0);
    run_to(&e, 25);
    event_reasons(&e, "ok", r, sizeof r);
    ck_assert_str_eq(strstr(r, "Pulled"), "Pulled Created Started Killing");
    rc_object_list_init(&l);
    ck_assert_int_eq(rc_client_list(e.client, "events", "default", NULL, &l, &err), 0);
    for (size_t i = 0; i < l.count; i++) {
        const char *reason = rc_object_get_str(l.items[i], "reason");
        const char *src = rc_object_get_str(l.items[i], "source.component");
        ck_assert_str_eq(src, !strcmp(reason, "Scheduled") ? "default-scheduler" : "kubelet");
        if (!strcmp(reason, "Pulling"))
            ck_assert_str_eq(rc_object_get_str(l.items[i], "message"), "Pulling image \"nginx\"");
        if (strcmp(reason, "Scheduled"))
            ck_assert_str_eq(rc_object_get_str(l.items[i], "source.host"), "node-1");
    }
    rc_object_list_clear(&l);
    env_free(&e);
}
END_TEST

START_TEST(events_can_be_turned_off)
{
    rc_error err = {0};
    rc_clock *clock = rc_clock_virtual_new(T0);
    rc_apiserver_options so = {.clock = clock};
    rc_apiserver *srv = rc_apiserver_new(&so, &err);
    rc_client *c = rc_apiserver_client(srv, NULL);
    rc_manager_options mo = {.client = c, .clock = clock, .apiserver = srv};
    rc_manager *m = NULL;
    rc_sim *sim = NULL;
    ck_assert_int_eq(rc_manager_new(&mo, &m, &err), 0);
    rc_sim_options opts = {.no_events = true};
    ck_assert_int_eq(rc_sim_new(m, &opts, &sim, &err), 0);
    ck_assert_int_eq(rc_sim_add_nodes(sim, NULL, 1, 0, &err), 0);
    rc_object *p = rc_object_from_json(POD("a", "", ""), strlen(POD("a", "", "")), &err);
    ck_assert_int_eq(rc_client_create(c, "pods", NULL, p, NULL, NULL, &err), 0);
    rc_object_unref(p);
    ck_assert_int_eq(rc_manager_run_until(m, T0 + 5 * RC_SEC), 0);
    rc_object_list l;
    rc_object_list_init(&l);
    ck_assert_int_eq(rc_client_list(c, "events", "", NULL, &l, &err), 0);
    ck_assert_uint_eq(l.count, 0);
    rc_object_list_clear(&l);
    rc_manager_free(m);
    rc_client_unref(c);
    rc_apiserver_free(srv);
    rc_clock_free(clock);
}
END_TEST

START_TEST(readiness_fails_after_a_while)
{
    env e;
    env_init(&e, 13, 1, NULL);
    create(&e, "services", "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"web\","
                           "\"namespace\":\"default\"},\"spec\":{\"selector\":{\"app\":\"web\"},\"ports\":"
                           "[{\"port\":80}]}}");
    create(&e, "pods", POD("a", ",\"labels\":{\"app\":\"web\"},\"annotations\":{"
                                "\"sim.reconcile.io/unready-after-seconds\":\"30\"}", ""));
    run_to(&e, 10);
    rc_object *a = get(&e, "pods", "default", "a");
    ck_assert_str_eq(cond(a, "Ready", "status"), "True");
    ck_assert(rc_object_get_bool(a, "status.containerStatuses.0.ready", false));
    rc_object_unref(a);
    rc_object *ep = get(&e, "endpoints", "default", "web");
    ck_assert_uint_eq(rc_node_len(rc_object_at(ep, "subsets.0.addresses")), 1);
    rc_object_unref(ep);
    run_to(&e, 40); /* started at 1 s (image pull), unready from 31 s */
    a = get(&e, "pods", "default", "a");
    ck_assert_str_eq(cond(a, "Ready", "status"), "False");
    ck_assert_str_eq(cond(a, "Ready", "lastTransitionTime"), "2024-01-01T00:00:31Z");
    ck_assert_str_eq(cond(a, "ContainersReady", "status"), "False");
    ck_assert(!rc_object_get_bool(a, "status.containerStatuses.0.ready", true));
    ck_assert_str_eq(field(a, "status.phase"), "Running");
    rc_object_unref(a);
    ep = get(&e, "endpoints", "default", "web");
    ck_assert_uint_eq(rc_node_len(rc_object_at(ep, "subsets.0.addresses")), 0);
    ck_assert_uint_eq(rc_node_len(rc_object_at(ep, "subsets.0.notReadyAddresses")), 1);
    rc_object_unref(ep);
    char r[512];
    event_reasons(&e, "a", r, sizeof r);
    ck_assert_str_eq(strstr(r, "Pulled"), "Pulled Created Started Unhealthy");
    env_free(&e);
}
END_TEST

START_TEST(endpoints_follow_a_label_change)
{
    env e;
    env_init(&e, 14, 1, NULL);
    create(&e, "services", "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"web\","
                           "\"namespace\":\"default\"},\"spec\":{\"selector\":{\"app\":\"web\"},\"ports\":"
                           "[{\"port\":80}]}}");
    create(&e, "pods", POD("a", ",\"labels\":{\"app\":\"web\"}", ""));
    create(&e, "pods", POD("b", ",\"labels\":{\"app\":\"web\"}", ""));
    run_to(&e, 5);
    rc_object *ep = get(&e, "endpoints", "default", "web");
    ck_assert_uint_eq(rc_node_len(rc_object_at(ep, "subsets.0.addresses")), 2);
    rc_object_unref(ep);
    /* relabel b: only the old labels select it, nothing else touches the Service */
    rc_error err = {0};
    const char *patch = "{\"metadata\":{\"labels\":{\"app\":\"other\"}}}";
    ck_assert_int_eq(rc_client_patch(e.client, "pods", "default", "b", RC_PATCH_MERGE, patch, strlen(patch), NULL,
                                     NULL, &err),
                     0);
    run_to(&e, 6);
    ep = get(&e, "endpoints", "default", "web");
    ck_assert_uint_eq(rc_node_len(rc_object_at(ep, "subsets.0.addresses")), 1);
    ck_assert_str_eq(field(ep, "subsets.0.addresses.0.targetRef.name"), "a");
    rc_object_unref(ep);
    /* and back */
    patch = "{\"metadata\":{\"labels\":{\"app\":\"web\"}}}";
    ck_assert_int_eq(rc_client_patch(e.client, "pods", "default", "b", RC_PATCH_MERGE, patch, strlen(patch), NULL,
                                     NULL, &err),
                     0);
    run_to(&e, 7);
    ep = get(&e, "endpoints", "default", "web");
    ck_assert_uint_eq(rc_node_len(rc_object_at(ep, "subsets.0.addresses")), 2);
    rc_object_unref(ep);
    env_free(&e);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sim_cluster");
    TCase *tc = tcase_create("cluster");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, pods_are_scheduled_and_run);
    tcase_add_test(tc, unschedulable_pod_is_retried_when_a_node_fits);
    tcase_add_test(tc, cordoned_node_takes_no_pods);
    tcase_add_test(tc, not_ready_node_evicts_after_toleration_seconds);
    tcase_add_test(tc, removed_node_loses_its_pods);
    tcase_add_test(tc, endpoints_and_dns);
    tcase_add_test(tc, claims_bind_and_provision);
    tcase_add_test(tc, trace_is_deterministic);
    tcase_add_test(tc, bad_arguments);
    tcase_add_test(tc, components_write_as_their_own_identities);
    tcase_add_test(tc, kubelet_and_scheduler_record_events);
    tcase_add_test(tc, events_can_be_turned_off);
    tcase_add_test(tc, readiness_fails_after_a_while);
    tcase_add_test(tc, endpoints_follow_a_label_change);
    tcase_add_test(tc, failed_binding_is_retried_with_back_off);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rc_test_run_suite(suite());
}
