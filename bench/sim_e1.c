/* sim_e1.c - E1, the simulated cluster at scale: N nodes (default 100; RC_BENCH_SIM_NODES) and a
 * Deployment of 10 pods per node (RC_BENCH_SIM_PODS overrides) created, run until every pod is Ready,
 * then rolled to a new image and run until stable, on the deterministic driver with every reference
 * controller and the simulator (scheduler, kubelets, node lifecycle, Endpoints, volume binder) - the
 * path `rcsim run --nodes 1000` takes with a 10,000-replica Deployment. Prints the wall time of each
 * phase, the peak heap, and as the floor the time the API server alone needs for the pod writes such a
 * rollout makes at the least (create, bind, two status updates per pod), measured in the same run. */
#include <reconcile.h>
#include <reconcile/apiserver.h>
#include <reconcile/controllers.h>
#include <reconcile/manager.h>
#include <reconcile/sim.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define T0 ((rc_time)1704067200 * RC_SEC)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t env_size(const char *name, size_t def)
{
    const char *v = getenv(name);
    long long x = v ? atoll(v) : 0;
    return x > 0 ? (size_t)x : def;
}

static void die(const char *what, const rc_error *err)
{
    fprintf(stderr, "sim_e1: %s: %s\n", what, err->message);
    exit(1);
}

static rc_object *parse(const char *json, rc_error *err)
{
    rc_object *o = rc_object_from_json(json, strlen(json), err);
    if (!o)
        die("fixture", err);
    return o;
}

static void apply_deployment(rc_client *c, size_t replicas, const char *image, bool update)
{
    char json[1024];
    snprintf(json, sizeof json,
             "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\","
             "\"namespace\":\"default\"},\"spec\":{\"replicas\":%zu,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
             "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"web\","
             "\"image\":\"%s\",\"resources\":{\"requests\":{\"cpu\":\"100m\",\"memory\":\"64Mi\"}}}]}}}}",
             replicas, image);
    rc_error err = {0};
    rc_object *o = parse(json, &err);
    int rc;
    if (update) {
        rc_object *cur = NULL;
        if (rc_client_get(c, "deployments", "default", "web", &cur, &err) != 0)
            die("get deployment", &err);
        rc_object_set_json(o, "metadata.resourceVersion",
                           cJSON_CreateString(rc_object_get_str(cur, "metadata.resourceVersion")));
        rc_object_unref(cur);
        rc = rc_client_update(c, "deployments", "default", o, NULL, NULL, &err);
    } else {
        rc = rc_client_create(c, "deployments", "default", o, NULL, NULL, &err);
    }
    rc_object_unref(o);
    if (rc != 0)
        die("deployment", &err);
}

static size_t ready_pods(rc_client *c)
{
    rc_object_list l;
    rc_object_list_init(&l);
    rc_error err = {0};
    size_t n = 0;
    if (rc_client_list(c, "pods", "default", NULL, &l, &err) == 0)
        for (size_t i = 0; i < l.count; i++) {
            rc_node conds = rc_object_at(l.items[i], "status.conditions");
            for (size_t j = 0; j < rc_node_len(conds); j++) {
                const char *t = rc_node_str(rc_node_get(rc_node_index(conds, j), "type"));
                const char *s = rc_node_str(rc_node_get(rc_node_index(conds, j), "status"));
                n += t && s && !strcmp(t, "Ready") && !strcmp(s, "True") && !rc_object_deletion_timestamp(l.items[i]);
            }
        }
    rc_object_list_clear(&l);
    return n;
}

/* The floor: the API server alone taking the minimal writes of pods pods (create, binding, 2 statuses). */
static double floor_seconds(size_t pods)
{
    rc_error err = {0};
    rc_clock *clock = rc_clock_virtual_new(T0);
    rc_apiserver_options so = {.clock = clock, .seed = 1, .auto_pump = true};
    rc_apiserver *srv = rc_apiserver_new(&so, &err);
    if (!srv)
        die("server", &err);
    rc_client *c = rc_apiserver_client(srv, NULL);
    rc_object *node = parse("{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n\"}}", &err);
    rc_client_create(c, "nodes", NULL, node, NULL, NULL, &err);
    rc_object_unref(node);
    double t0 = now_s();
    for (size_t i = 0; i < pods; i++) {
        char json[512], name[32];
        snprintf(name, sizeof name, "p-%zu", i);
        snprintf(json, sizeof json,
                 "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\","
                 "\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"a\"}]}}",
                 name);
        rc_object *p = parse(json, &err), *stored = NULL;
        if (rc_client_create(c, "pods", "default", p, NULL, &stored, &err) != 0)
            die("floor create", &err);
        rc_object_unref(p);
        snprintf(json, sizeof json,
                 "{\"apiVersion\":\"v1\",\"kind\":\"Binding\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\"},"
                 "\"target\":{\"kind\":\"Node\",\"name\":\"n\"}}",
                 name);
        rc_object *b = parse(json, &err);
        rc_write_options wo = {.subresource = "binding"};
        if (rc_client_create(c, "pods", "default", b, &wo, NULL, &err) != 0)
            die("floor bind", &err);
        rc_object_unref(b);
        for (int phase = 0; phase < 2; phase++) {
            rc_object *cur = NULL;
            rc_client_get(c, "pods", "default", name, &cur, &err);
            rc_object *d = rc_object_copy(cur);
            rc_object_set_json(d, "status.phase", cJSON_CreateString(phase ? "Running" : "Pending"));
            if (rc_client_update_status(c, "pods", "default", d, NULL, NULL, &err) != 0)
                die("floor status", &err);
            rc_object_unref(d);
            rc_object_unref(cur);
        }
        rc_object_unref(stored);
    }
    double dt = now_s() - t0;
    rc_client_unref(c);
    rc_apiserver_free(srv);
    rc_clock_free(clock);
    return dt;
}

int main(void)
{
    size_t nodes = env_size("RC_BENCH_SIM_NODES", 100);
    size_t pods = env_size("RC_BENCH_SIM_PODS", nodes * 10);
    rc_log_set_level(RC_LOG_OFF);
    rc_error err = {0};
    rc_clock *clock = rc_clock_virtual_new(T0);
    rc_apiserver_options so = {.clock = clock, .seed = 1};
    rc_apiserver *srv = rc_apiserver_new(&so, &err);
    if (!srv)
        die("server", &err);
    rc_client *client = rc_apiserver_client(srv, NULL);
    rc_manager_options mo = {.client = client, .clock = clock, .seed = 1, .apiserver = srv};
    rc_manager *mgr = NULL;
    rc_sim *sim = NULL;
    rc_sim_options opts = {.apiserver = srv};
    if (rc_manager_new(&mo, &mgr, &err) || rc_controllers_add_all(mgr, NULL, &err) ||
        rc_sim_new(mgr, &opts, &sim, &err) || rc_sim_add_nodes(sim, "node", nodes, 3, &err))
        die("setup", &err);
    double t0 = now_s();
    if (rc_manager_run_until_stable(mgr, T0 + 3600 * RC_SEC) != 0)
        die("nodes", &err);
    double t_nodes = now_s();
    apply_deployment(client, pods, "nginx:1.25", false);
    if (rc_manager_run_until_stable(mgr, rc_clock_now(clock) + 3600 * RC_SEC) != 0)
        fprintf(stderr, "sim_e1: create did not settle\n");
    double t_create = now_s();
    size_t ready1 = ready_pods(client);
    apply_deployment(client, pods, "nginx:1.26", true);
    if (rc_manager_run_until_stable(mgr, rc_clock_now(clock) + 4 * 3600 * RC_SEC) != 0)
        fprintf(stderr, "sim_e1: rollout did not settle\n");
    double t_roll = now_s();
    size_t ready2 = ready_pods(client);
    struct mallinfo2 mi = mallinfo2();
    fprintf(stderr, "sim_e1: %zu nodes %zu pods: nodes %.2fs, create %.2fs (%zu ready), rollout %.2fs (%zu ready), "
                    "virtual %.0fs, heap %.0f MB\n",
            nodes, pods, t_nodes - t0, t_create - t_nodes, ready1, t_roll - t_create, ready2,
            (double)(rc_clock_now(clock) - T0) / RC_SEC, (double)(mi.uordblks + mi.hblkhd) / 1048576.0);
    double fl = floor_seconds(pods * 2);
    double total = t_roll - t_nodes;
    printf("BENCH sim_e1_create_rollout wall=%.3f s floor=%.3f ratio=%.3f\n", total, fl, total / fl);
    printf("BENCH sim_e1_pods_per_second rate=%.0f pods/s floor=%.0f ratio=%.3f\n", 2.0 * (double)pods / total,
           2.0 * (double)pods / fl, fl / total);
    rc_manager_free(mgr);
    rc_client_unref(client);
    rc_apiserver_free(srv);
    rc_clock_free(clock);
    return ready1 == pods && ready2 == pods ? 0 : 1;
}
