/* wqmetrics.c - the default workqueue metrics provider: records each queue's depth, adds, latencies,
 * unfinished work and retries into an rc_metrics registry under the upstream workqueue_* names, labelled
 * name="<queue>". Each queue caches its series, so a hook is one atomic update. */
#include <reconcile/workqueue.h>

#include <stdlib.h>

enum { DEPTH, ADDS, QUEUE_DURATION, WORK_DURATION, UNFINISHED, LONGEST, RETRIES, NFAMILIES };

typedef struct queue_series {
    rc_metric_series *s[NFAMILIES];
} queue_series;

/* Upstream's ExponentialBuckets(10e-9, 10, 10): 10 ns .. 10 s. */
static const double duration_buckets[] = {1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10};
static const char *const name_label[] = {"name"};

static const rc_metric_desc families[NFAMILIES] = {
    [DEPTH] = {RC_METRIC_GAUGE, "workqueue_depth", "Current depth of workqueue", name_label, 1, NULL, 0},
    [ADDS] = {RC_METRIC_COUNTER, "workqueue_adds_total", "Total number of adds handled by workqueue", name_label,
              1, NULL, 0},
    [QUEUE_DURATION] = {RC_METRIC_HISTOGRAM, "workqueue_queue_duration_seconds",
                        "How long in seconds an item stays in workqueue before being requested.", name_label, 1,
                        duration_buckets, sizeof duration_buckets / sizeof duration_buckets[0]},
    [WORK_DURATION] = {RC_METRIC_HISTOGRAM, "workqueue_work_duration_seconds",
                       "How long in seconds processing an item from workqueue takes.", name_label, 1,
                       duration_buckets, sizeof duration_buckets / sizeof duration_buckets[0]},
    [UNFINISHED] = {RC_METRIC_GAUGE, "workqueue_unfinished_work_seconds",
                    "How many seconds of work has been done that is in progress and hasn't been observed by "
                    "work_duration. Large values indicate stuck threads.",
                    name_label, 1, NULL, 0},
    [LONGEST] = {RC_METRIC_GAUGE, "workqueue_longest_running_processor_seconds",
                 "How many seconds has the longest running processor for workqueue been running.", name_label, 1,
                 NULL, 0},
    [RETRIES] = {RC_METRIC_COUNTER, "workqueue_retries_total", "Total number of retries handled by workqueue",
                 name_label, 1, NULL, 0},
};

static int register_all(rc_metrics *registry, rc_metric **out, rc_error *err)
{
    for (int i = 0; i < NFAMILIES; i++) {
        int rc = rc_metrics_register(registry, &families[i], &out[i], err);
        if (rc)
            return rc;
    }
    return 0;
}

static void *queue_new(void *ctx, const char *queue_name)
{
    rc_metric *fam[NFAMILIES];
    queue_series *qs = calloc(1, sizeof *qs);
    if (!qs || register_all(ctx, fam, NULL) != 0) {
        free(qs);
        return NULL;
    }
    for (int i = 0; i < NFAMILIES; i++)
        if (rc_metric_with(fam[i], &queue_name, &qs->s[i], NULL) != 0) {
            free(qs);
            return NULL;
        }
    return qs;
}

static void queue_free(void *ctx, void *qm)
{
    (void)ctx;
    free(qm);
}

/* A NULL qm (queue_new ran out of memory) turns every hook into a no-op. */
static rc_metric_series *series(void *qm, int which) { return qm ? ((queue_series *)qm)->s[which] : NULL; }

static void on_depth(void *qm, int delta) { rc_metric_add(series(qm, DEPTH), delta); }
static void on_add(void *qm) { rc_metric_inc(series(qm, ADDS)); }
static void on_queue_latency(void *qm, double s) { rc_metric_observe(series(qm, QUEUE_DURATION), s); }
static void on_work_duration(void *qm, double s) { rc_metric_observe(series(qm, WORK_DURATION), s); }
static void on_retry(void *qm) { rc_metric_inc(series(qm, RETRIES)); }

static void on_unfinished(void *qm, double unfinished, double longest)
{
    rc_metric_set(series(qm, UNFINISHED), unfinished);
    rc_metric_set(series(qm, LONGEST), longest);
}

static const rc_workqueue_metrics_ops default_ops = {queue_new,        queue_free, on_depth,      on_add,
                                                     on_queue_latency, on_work_duration, on_retry, on_unfinished};

int rc_workqueue_metrics_default(rc_metrics *registry, rc_workqueue_metrics_provider *out, rc_error *err)
{
    if (!registry || !out)
        return rc_error_set(err, RC_EINVAL, "rc_workqueue_metrics_default: registry and out are required");
    rc_metric *fam[NFAMILIES];
    int rc = register_all(registry, fam, err);
    if (rc)
        return rc;
    *out = (rc_workqueue_metrics_provider){&default_ops, registry};
    return 0;
}
