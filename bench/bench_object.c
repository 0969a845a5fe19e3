/* bench_object.c - rc_object benchmarks: memory of a cached realistic pod against its compact JSON size
 * (P1), and the speed of the hot accessors, parsing and printing against simple C floors. */
#include <reconcile.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tests/support/nginx_pod.h" /* POD: the realistic nginx pod of the object tests */

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
