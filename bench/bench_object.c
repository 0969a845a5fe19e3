/* bench_object.c - rc_object benchmarks: memory of a cached realistic pod against its compact JSON size
 * (P1), and the speed of the hot accessors, parsing and printing against simple C floors. */
#include <reconcile.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* An nginx pod as a ReplicaSet creates it, after scheduling and start (compact JSON). */
static const char POD[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"nginx-7c5ddbdf54-x8f9q\",\"generateName\":\"nginx-7c"
    "5ddbdf54-\",\"namespace\":\"default\",\"uid\":\"5c2f1a3e-8a4b-4b8e-9f3a-2d1c0e7b6a59\",\"resourceVersion\":\"123"
    "456\",\"creationTimestamp\":\"2024-05-01T10:00:00Z\",\"labels\":{\"app\":\"nginx\",\"pod-template-hash\":\"7c5ddbd"
    "f54\"},\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"nginx-7c5ddbdf54\",\"uid\""
    ":\"0e6f5d4c-3b2a-4190-8f7e-6d5c4b3a2910\",\"controller\":true,\"blockOwnerDeletion\":true}]},\"spec\":{\"volu"
    "mes\":[{\"name\":\"kube-api-access-4xk2p\",\"projected\":{\"sources\":[{\"serviceAccountToken\":{\"expirationSec"
    "onds\":3607,\"path\":\"token\"}},{\"configMap\":{\"name\":\"kube-root-ca.crt\",\"items\":[{\"key\":\"ca.crt\",\"path\":"
    "\"ca.crt\"}]}},{\"downwardAPI\":{\"items\":[{\"path\":\"namespace\",\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":"
    "\"metadata.namespace\"}}]}}],\"defaultMode\":420}}],\"containers\":[{\"name\":\"nginx\",\"image\":\"nginx:1.25.3\""
    ",\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}],\"resources\":{\"limits\":{\"cpu\":\"500m\",\"memory\":\"128Mi"
    "\"},\"requests\":{\"cpu\":\"250m\",\"memory\":\"64Mi\"}},\"volumeMounts\":[{\"name\":\"kube-api-access-4xk2p\",\"readO"
    "nly\":true,\"mountPath\":\"/var/run/secrets/kubernetes.io/serviceaccount\"}],\"terminationMessagePath\":\"/d"
    "ev/termination-log\",\"terminationMessagePolicy\":\"File\",\"imagePullPolicy\":\"IfNotPresent\"}],\"restartPol"
    "icy\":\"Always\",\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":\"ClusterFirst\",\"serviceAccountName\":\"de"
    "fault\",\"serviceAccount\":\"default\",\"nodeName\":\"node-1\",\"securityContext\":{},\"schedulerName\":\"default-"
    "scheduler\",\"tolerations\":[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExec"
    "ute\",\"tolerationSeconds\":300},{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":\""
    "NoExecute\",\"tolerationSeconds\":300}],\"priority\":0,\"enableServiceLinks\":true,\"preemptionPolicy\":\"Pree"
    "mptLowerPriority\"},\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Initialized\",\"status\":\"True\",\""
    "lastProbeTime\":null,\"lastTransitionTime\":\"2024-05-01T10:00:00Z\"},{\"type\":\"Ready\",\"status\":\"True\",\"la"
    "stProbeTime\":null,\"lastTransitionTime\":\"2024-05-01T10:00:05Z\"},{\"type\":\"ContainersReady\",\"status\":\"T"
    "rue\",\"lastProbeTime\":null,\"lastTransitionTime\":\"2024-05-01T10:00:05Z\"},{\"type\":\"PodScheduled\",\"statu"
    "s\":\"True\",\"lastProbeTime\":null,\"lastTransitionTime\":\"2024-05-01T10:00:00Z\"}],\"hostIP\":\"10.0.0.11\",\"p"
    "odIP\":\"10.244.1.17\",\"podIPs\":[{\"ip\":\"10.244.1.17\"}],\"startTime\":\"2024-05-01T10:00:00Z\",\"containerSta"
    "tuses\":[{\"name\":\"nginx\",\"state\":{\"running\":{\"startedAt\":\"2024-05-01T10:00:04Z\"}},\"lastState\":{},\"rea"
    "dy\":true,\"restartCount\":0,\"image\":\"docker.io/library/nginx:1.25.3\",\"imageID\":\"docker.io/library/ngin"
    "x@sha256:6db391d1c0cfb30588ba0bf72ea999404f2764febf0f1f196acd5867ac7efa7e\",\"containerID\":\"containerd"
    "://3f1e2d4c5b6a79881726354453627181920a1b2c3d4e5f60718293a4b5c6d7e8\",\"started\":true}],\"qosClass\":\"Bu"
    "rstable\"}}"
;

#define NPODS 20000
#define NAME_OFFSET 69 /* where "x8f9q" of the pod name starts, replaced to make names unique */

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile size_t sink;

static void report(const char *name, const char *metric, double value, const char *unit, double floor)
{
    printf("BENCH %s %s=%.0f %s floor=%.0f ratio=%.3f\n", name, metric, value, unit, floor, value / floor);
}

static rc_object **make_pods(char *text, size_t len)
{
    rc_object **pods = malloc(NPODS * sizeof *pods);
    for (int i = 0; i < NPODS; i++) {
        char id[6];
        snprintf(id, sizeof id, "%05d", i);
        memcpy(text + NAME_OFFSET, id, 5);
        rc_error err = {0};
        pods[i] = rc_object_from_json(text, len, &err);
        if (!pods[i]) {
            fprintf(stderr, "parse failed: %s\n", err.message);
            exit(1);
        }
    }
    return pods;
}

static void bench_memory(rc_object **pods, size_t json_len, size_t heap_bytes)
{
    size_t reported = 0;
    for (int i = 0; i < NPODS; i++)
        reported += rc_object_mem_size(pods[i]);
    double real = (double)heap_bytes / NPODS;
    report("P1_pod_memory", "bytes_per_pod", real, "B", (double)json_len);
    report("P1_pod_mem_size", "bytes_per_pod", (double)reported / NPODS, "B", (double)json_len);
}

static void bench_accessors(rc_object **pods)
{
    const int rounds = 200;
    char **names = malloc(NPODS * sizeof *names);
    for (int i = 0; i < NPODS; i++)
        names[i] = strdup(rc_object_name(pods[i]));
    size_t acc = 0;
    double t0 = now_sec();
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < NPODS; i++)
            acc += strlen(names[i]);
    double floor_ops = (double)rounds * NPODS / (now_sec() - t0);
    t0 = now_sec();
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < NPODS; i++)
            acc += strlen(rc_object_name(pods[i]));
    report("object_name_get", "ops_per_s", (double)rounds * NPODS / (now_sec() - t0), "ops/s", floor_ops);
    t0 = now_sec();
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < NPODS; i++)
            acc += strlen(rc_object_key(pods[i]));
    report("object_key_get", "ops_per_s", (double)rounds * NPODS / (now_sec() - t0), "ops/s", floor_ops);
    t0 = now_sec();
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < NPODS; i++)
            acc += strlen(rc_object_label(pods[i], "app"));
    report("object_label_get", "ops_per_s", (double)rounds * NPODS / (now_sec() - t0), "ops/s", floor_ops);
    t0 = now_sec();
    for (int r = 0; r < rounds / 10; r++)
        for (int i = 0; i < NPODS; i++)
            acc += strlen(rc_object_get_str(pods[i], "status.containerStatuses.0.imageID"));
    report("object_path_get", "ops_per_s", (double)rounds / 10 * NPODS / (now_sec() - t0), "ops/s", floor_ops);
    sink = acc;
    for (int i = 0; i < NPODS; i++)
        free(names[i]);
    free(names);
}

static void bench_codec(rc_object **pods, const char *text, size_t len)
{
    const int n = 20000;
    double t0 = now_sec();
    for (int i = 0; i < n; i++) {
        cJSON *c = cJSON_ParseWithLength(text, len);
        sink += (size_t)cJSON_GetArraySize(c);
        cJSON_Delete(c);
    }
    double cjson_mb = (double)n * (double)len / (now_sec() - t0) / 1e6;
    t0 = now_sec();
    for (int i = 0; i < n; i++) {
        rc_object *o = rc_object_from_json(text, len, NULL);
        sink += rc_object_mem_size(o);
        rc_object_unref(o);
    }
    report("object_parse", "MB_per_s", (double)n * (double)len / (now_sec() - t0) / 1e6, "MB/s", cjson_mb);
    cJSON *tree = cJSON_ParseWithLength(text, len);
    t0 = now_sec();
    for (int i = 0; i < n; i++) {
        char *s = cJSON_PrintUnformatted(tree);
        sink += strlen(s);
        free(s);
    }
    double print_mb = (double)n * (double)len / (now_sec() - t0) / 1e6;
    cJSON_Delete(tree);
    t0 = now_sec();
    for (int i = 0; i < n; i++) {
        size_t l;
        char *s = rc_object_to_json(pods[i % NPODS], &l);
        sink += l;
        free(s);
    }
    report("object_to_json", "MB_per_s", (double)n * (double)len / (now_sec() - t0) / 1e6, "MB/s", print_mb);
    t0 = now_sec();
    for (int i = 0; i < n; i++) {
        rc_object *c = rc_object_copy(pods[i % NPODS]);
        rc_object_set_label(c, "app", "x");
        rc_object_freeze(c);
        sink += rc_object_mem_size(c);
        rc_object_unref(c);
    }
    double copy_ops = n / (now_sec() - t0);
    report("object_copy_edit_freeze", "ops_per_s", copy_ops, "ops/s", cjson_mb * 1e6 / (double)len);
}

int main(void)
{
    size_t len = strlen(POD);
    char *text = strdup(POD);
    rc_object *warm = rc_object_from_json(text, len, NULL); /* seeds the key table outside the measurement */
    rc_object_unref(warm);
    struct mallinfo2 before = mallinfo2();
    rc_object **pods = make_pods(text, len);
    struct mallinfo2 after = mallinfo2();
    bench_memory(pods, len, after.uordblks - before.uordblks - NPODS * sizeof *pods);
    bench_accessors(pods);
    bench_codec(pods, text, len);
    for (int i = 0; i < NPODS; i++)
        rc_object_unref(pods[i]);
    free(pods);
    free(text);
    return 0;
}
