/* metrics.h - a small metrics registry: counters, gauges and histograms with labels, rendered in the
 * Prometheus text exposition format (version 0.0.4). Workqueues, the controller runtime and the API
 * server record into it; a driver or an HTTP handler renders it. Thread-safe: registration and rendering
 * take the registry lock, updates to a series are lock-free atomics. */
#ifndef RECONCILE_METRICS_H
#define RECONCILE_METRICS_H

#include "common.h"

typedef struct rc_metrics rc_metrics;             /* a registry of metric families */
typedef struct rc_metric rc_metric;               /* one family: name, help, type, label names */
typedef struct rc_metric_series rc_metric_series; /* one label-value combination of a family */

typedef enum rc_metric_type {
    RC_METRIC_COUNTER = 0,
    RC_METRIC_GAUGE = 1,
    RC_METRIC_HISTOGRAM = 2
} rc_metric_type;

/* Describes a family for rc_metrics_register. Strings and arrays are copied. */
typedef struct rc_metric_desc {
    rc_metric_type type;
    const char *name;          /* [a-zA-Z_:][a-zA-Z0-9_:]* */
    const char *help;          /* may be NULL */
    const char *const *labels; /* label names, [a-zA-Z_][a-zA-Z0-9_]*, not "__*" (nor "le" for histograms) */
    size_t nlabels;
    const double *buckets;     /* histograms: strictly increasing finite upper bounds; NULL = default */
    size_t nbuckets;           /* default: .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10 */
} rc_metric_desc;

/* A new empty registry; NULL on allocation failure. Caller owns it: rc_metrics_free(), which also frees
 * every family and series (pointers to them become invalid). */
RC_API rc_metrics *rc_metrics_new(void);
RC_API void rc_metrics_free(rc_metrics *m);

/* Registers a family and stores a borrowed pointer to it (valid until rc_metrics_free) in *out.
 * Registering the same name again with the same type, labels and buckets returns the existing family;
 * a different definition fails with RC_EEXISTS. Invalid names fail with RC_EINVAL; RC_ENOMEM. */
RC_API int rc_metrics_register(rc_metrics *m, const rc_metric_desc *desc, rc_metric **out, rc_error *err);

/* Finds or creates the series with these label values (one per label name, in order; copied) and
 * stores a borrowed pointer, valid until rc_metrics_free, in *out. Cache it: updates through it are
 * lock-free. RC_EINVAL for a NULL value, RC_ENOMEM. */
RC_API int rc_metric_with(rc_metric *family, const char *const *values, rc_metric_series **out, rc_error *err);

/* Updates. Counters: add (negative or NaN deltas are ignored) and inc. Gauges: add, inc, set.
 * Histograms: observe. A call that does not fit the series' type is ignored. */
RC_API void rc_metric_add(rc_metric_series *s, double delta);
RC_API void rc_metric_inc(rc_metric_series *s);
RC_API void rc_metric_set(rc_metric_series *s, double value);
RC_API void rc_metric_observe(rc_metric_series *s, double value);

/* Reads: counter or gauge value, or a histogram's sum; a histogram's observation count (0 for others). */
RC_API double rc_metric_value(const rc_metric_series *s);
RC_API uint64_t rc_metric_count(const rc_metric_series *s);

/* Renders every family (registration order) and series (creation order) as Prometheus text into a new
 * NUL-terminated malloc'd string the caller frees; *len (optional) gets its length. RC_ENOMEM. */
RC_API int rc_metrics_render(rc_metrics *m, char **out, size_t *len, rc_error *err);

#endif
