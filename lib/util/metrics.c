/* metrics.c - the metrics registry behind rc_metrics: families of counters, gauges and histograms, each
 * with labelled series, and the Prometheus text exposition. Values are doubles stored as bits in atomics
 * so updates never take a lock; the registry lock guards only the family and series lists. */
#include <reconcile/metrics.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/map.h"
#include "util/strbuf.h"

struct rc_metric_series {
    rc_metric *family;
    char *key;     /* label values joined by '\x1f', the lookup key */
    char **values; /* one per label name */
    _Atomic uint64_t bits;     /* counter/gauge value or histogram sum, as double bits */
    _Atomic uint64_t count;    /* histogram observations */
    _Atomic uint64_t *buckets; /* histogram: per-bucket (non-cumulative) counts, nbuckets + 1 for +Inf */
};

struct rc_metric {
    rc_metrics *registry;
    rc_metric_type type;
    char *name;
    char *help;
    char **labels;
    size_t nlabels;
    double *bounds;
    size_t nbounds;
    rc_metric_series **series; /* creation order */
    size_t nseries, capseries;
    rci_map by_key;
};

struct rc_metrics {
    pthread_mutex_t mu;
    rc_metric **families; /* registration order */
    size_t nfamilies, capfamilies;
    rci_map by_name;
};

static const double default_bounds[] = {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};

static uint64_t to_bits(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static double from_bits(uint64_t b)
{
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

static void atomic_add_double(_Atomic uint64_t *bits, double delta)
{
    uint64_t cur = atomic_load_explicit(bits, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(bits, &cur, to_bits(from_bits(cur) + delta),
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
}

static bool valid_name(const char *s, bool colon_ok)
{
    if (!s || !*s)
        return false;
    for (const char *p = s; *p; p++) {
        char c = *p;
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_ok && c == ':');
        if (!alpha && !(p > s && c >= '0' && c <= '9'))
            return false;
    }
    return true;
}

static int validate_desc(const rc_metric_desc *d, rc_error *err)
{
    if (!d || !valid_name(d->name, true))
        return rc_error_set(err, RC_EINVAL, "metric name \"%s\" is not a valid Prometheus name",
                            d && d->name ? d->name : "(null)");
    if (d->type != RC_METRIC_COUNTER && d->type != RC_METRIC_GAUGE && d->type != RC_METRIC_HISTOGRAM)
        return rc_error_set(err, RC_EINVAL, "metric %s: unknown type %d", d->name, (int)d->type);
    if (d->nlabels && !d->labels)
        return rc_error_set(err, RC_EINVAL, "metric %s: labels is NULL but nlabels is %zu", d->name, d->nlabels);
    for (size_t i = 0; i < d->nlabels; i++) {
        const char *l = d->labels[i];
        if (!valid_name(l, false) || strncmp(l, "__", 2) == 0 ||
            (d->type == RC_METRIC_HISTOGRAM && strcmp(l, "le") == 0))
            return rc_error_set(err, RC_EINVAL, "metric %s: label %zu name \"%s\" is not allowed", d->name, i,
                                l ? l : "(null)");
        for (size_t j = 0; j < i; j++)
            if (strcmp(d->labels[j], l) == 0)
                return rc_error_set(err, RC_EINVAL, "metric %s: label \"%s\" repeated", d->name, l);
    }
    if (d->type == RC_METRIC_HISTOGRAM && d->buckets) {
        if (!d->nbuckets)
            return rc_error_set(err, RC_EINVAL, "metric %s: buckets given but nbuckets is 0", d->name);
        for (size_t i = 0; i < d->nbuckets; i++)
            if (!isfinite(d->buckets[i]) || (i && d->buckets[i] <= d->buckets[i - 1]))
                return rc_error_set(err, RC_EINVAL, "metric %s: bucket %zu must be finite and above the previous",
                                    d->name, i);
    }
    return 0;
}

static void free_strv(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static char **dup_strv(const char *const *v, size_t n)
{
    char **out = calloc(n ? n : 1, sizeof *out);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!(out[i] = strdup(v[i]))) {
            free_strv(out, n);
            return NULL;
        }
    return out;
}

static void free_series(rc_metric_series *s, size_t nlabels)
{
    free(s->key);
    free_strv(s->values, nlabels);
    free(s->buckets);
    free(s);
}

static void free_family(rc_metric *f)
{
    for (size_t i = 0; i < f->nseries; i++)
        free_series(f->series[i], f->nlabels);
    free(f->series);
    rci_map_free(&f->by_key);
    free(f->name);
    free(f->help);
    free_strv(f->labels, f->nlabels);
    free(f->bounds);
    free(f);
}

rc_metrics *rc_metrics_new(void)
{
    rc_metrics *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    pthread_mutex_init(&m->mu, NULL);
    rci_map_init(&m->by_name);
    return m;
}

void rc_metrics_free(rc_metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nfamilies; i++)
        free_family(m->families[i]);
    free(m->families);
    rci_map_free(&m->by_name);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

static bool same_definition(const rc_metric *f, const rc_metric_desc *d, const double *bounds, size_t nbounds)
{
    if (f->type != d->type || f->nlabels != d->nlabels || f->nbounds != nbounds)
        return false;
    for (size_t i = 0; i < d->nlabels; i++)
        if (strcmp(f->labels[i], d->labels[i]) != 0)
            return false;
    return nbounds == 0 || memcmp(f->bounds, bounds, nbounds * sizeof *bounds) == 0;
}

static rc_metric *new_family(const rc_metric_desc *d, const double *bounds, size_t nbounds)
{
    rc_metric *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->type = d->type;
    f->nlabels = d->nlabels;
    f->nbounds = nbounds;
    rci_map_init(&f->by_key);
    f->name = strdup(d->name);
    f->help = strdup(d->help ? d->help : "");
    f->labels = dup_strv(d->labels, d->nlabels);
    f->bounds = malloc((nbounds ? nbounds : 1) * sizeof *bounds);
    if (!f->name || !f->help || !f->labels || !f->bounds) {
        free_family(f);
        return NULL;
    }
    if (nbounds)
        memcpy(f->bounds, bounds, nbounds * sizeof *bounds);
    return f;
}

static bool grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap * 2 : 8;
    void *p = realloc(*arr, n * elem);
    if (!p)
        return false;
    *arr = p;
    *cap = n;
    return true;
}

int rc_metrics_register(rc_metrics *m, const rc_metric_desc *d, rc_metric **out, rc_error *err)
{
    if (!m || !out)
        return rc_error_set(err, RC_EINVAL, "rc_metrics_register: registry and out are required");
    int rc = validate_desc(d, err);
    if (rc)
        return rc;
    const double *bounds = NULL;
    size_t nbounds = 0;
    if (d->type == RC_METRIC_HISTOGRAM) {
        bounds = d->buckets ? d->buckets : default_bounds;
        nbounds = d->buckets ? d->nbuckets : sizeof default_bounds / sizeof default_bounds[0];
    }
    pthread_mutex_lock(&m->mu);
    rc_metric *f = rci_map_get(&m->by_name, d->name);
    if (f) {
        rc = same_definition(f, d, bounds, nbounds)
                 ? 0
                 : rc_error_set(err, RC_EEXISTS, "metric %s is already registered with another definition",
                                d->name);
    } else if (!grow((void **)&m->families, &m->capfamilies, m->nfamilies + 1, sizeof *m->families) ||
               !(f = new_family(d, bounds, nbounds))) {
        rc = rc_error_set(err, RC_ENOMEM, "metric %s: out of memory", d->name);
    } else if (rci_map_put(&m->by_name, f->name, f, NULL) != 0) {
        free_family(f);
        f = NULL;
        rc = rc_error_set(err, RC_ENOMEM, "metric %s: out of memory", d->name);
    } else {
        f->registry = m;
        m->families[m->nfamilies++] = f;
    }
    pthread_mutex_unlock(&m->mu);
    if (rc == 0)
        *out = f;
    return rc;
}

static char *join_values(const char *const *values, size_t n)
{
    rci_strbuf b;
    rci_strbuf_init(&b);
    for (size_t i = 0; i < n; i++) {
        if (i)
            rci_strbuf_putc(&b, '\x1f');
        rci_strbuf_puts(&b, values[i]);
    }
    rci_strbuf_append(&b, "", 0); /* an empty key still needs a buffer */
    return rci_strbuf_take(&b);
}

static rc_metric_series *new_series(rc_metric *f, const char *const *values, char *key)
{
    rc_metric_series *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->family = f;
    s->key = key;
    s->values = dup_strv(values, f->nlabels);
    if (f->type == RC_METRIC_HISTOGRAM)
        s->buckets = calloc(f->nbounds + 1, sizeof *s->buckets);
    if (!s->values || (f->type == RC_METRIC_HISTOGRAM && !s->buckets)) {
        free_series(s, f->nlabels);
        return NULL;
    }
    return s;
}

int rc_metric_with(rc_metric *f, const char *const *values, rc_metric_series **out, rc_error *err)
{
    if (!f || !out || (f->nlabels && !values))
        return rc_error_set(err, RC_EINVAL, "rc_metric_with: family, values and out are required");
    for (size_t i = 0; i < f->nlabels; i++)
        if (!values[i])
            return rc_error_set(err, RC_EINVAL, "metric %s: value of label \"%s\" is NULL", f->name, f->labels[i]);
    char *key = join_values(values, f->nlabels);
    if (!key)
        return rc_error_set(err, RC_ENOMEM, "metric %s: out of memory", f->name);
    rc_metrics *m = f->registry;
    int rc = 0;
    pthread_mutex_lock(&m->mu);
    rc_metric_series *s = rci_map_get(&f->by_key, key);
    if (s) {
        free(key);
    } else if (!grow((void **)&f->series, &f->capseries, f->nseries + 1, sizeof *f->series) ||
               !(s = new_series(f, values, key))) {
        free(key);
        rc = rc_error_set(err, RC_ENOMEM, "metric %s: out of memory", f->name);
    } else if (rci_map_put(&f->by_key, s->key, s, NULL) != 0) {
        free_series(s, f->nlabels);
        s = NULL;
        rc = rc_error_set(err, RC_ENOMEM, "metric %s: out of memory", f->name);
    } else {
        f->series[f->nseries++] = s;
    }
    pthread_mutex_unlock(&m->mu);
    if (rc == 0)
        *out = s;
    return rc;
}

void rc_metric_add(rc_metric_series *s, double delta)
{
    if (!s || s->family->type == RC_METRIC_HISTOGRAM || isnan(delta) ||
        (s->family->type == RC_METRIC_COUNTER && delta < 0))
        return;
    atomic_add_double(&s->bits, delta);
}

void rc_metric_inc(rc_metric_series *s) { rc_metric_add(s, 1.0); }

void rc_metric_set(rc_metric_series *s, double value)
{
    if (s && s->family->type == RC_METRIC_GAUGE)
        atomic_store_explicit(&s->bits, to_bits(value), memory_order_relaxed);
}

void rc_metric_observe(rc_metric_series *s, double value)
{
    if (!s || s->family->type != RC_METRIC_HISTOGRAM || isnan(value))
        return;
    const rc_metric *f = s->family;
    size_t lo = 0, hi = f->nbounds; /* first bound >= value, or nbounds for +Inf */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (f->bounds[mid] < value)
            lo = mid + 1;
        else
            hi = mid;
    }
    atomic_fetch_add_explicit(&s->buckets[lo], 1, memory_order_relaxed);
    atomic_add_double(&s->bits, value);
    atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
}

double rc_metric_value(const rc_metric_series *s)
{
    return s ? from_bits(atomic_load_explicit(&s->bits, memory_order_relaxed)) : 0;
}

uint64_t rc_metric_count(const rc_metric_series *s)
{
    return s ? atomic_load_explicit(&s->count, memory_order_relaxed) : 0;
}

/* Shortest decimal that reads back as v, laid out like Go's strconv.FormatFloat(v, 'g', -1, 64), which
 * Prometheus clients print: exponent form below 1e-4 and from 1e6 on. */
static void put_number(rci_strbuf *b, double v)
{
    if (isnan(v)) {
        rci_strbuf_puts(b, "NaN");
        return;
    }
    if (isinf(v)) {
        rci_strbuf_puts(b, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    char tmp[40];
    int digits = 1;
    for (; digits < 17; digits++) {
        snprintf(tmp, sizeof tmp, "%.*e", digits - 1, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    snprintf(tmp, sizeof tmp, "%.*e", digits - 1, v);
    int exp10 = atoi(strchr(tmp, 'e') + 1);
    if (exp10 >= -4 && exp10 < 6)
        snprintf(tmp, sizeof tmp, "%.*f", digits - 1 - exp10 > 0 ? digits - 1 - exp10 : 0, v);
    rci_strbuf_puts(b, tmp);
}

static void put_escaped(rci_strbuf *b, const char *s, bool quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            rci_strbuf_puts(b, "\\\\");
        else if (*s == '\n')
            rci_strbuf_puts(b, "\\n");
        else if (quote && *s == '"')
            rci_strbuf_puts(b, "\\\"");
        else
            rci_strbuf_putc(b, *s);
    }
}

/* name{l1="v1",...,extra="x"} - the label set of one sample line; extra (le) may be NULL. */
static void put_sample_name(rci_strbuf *b, const rc_metric *f, const rc_metric_series *s, const char *suffix,
                            const char *extra_value)
{
    rci_strbuf_puts(b, f->name);
    rci_strbuf_puts(b, suffix);
    if (!f->nlabels && !extra_value)
        return;
    rci_strbuf_putc(b, '{');
    for (size_t i = 0; i < f->nlabels; i++) {
        rci_strbuf_printf(b, "%s%s=\"", i ? "," : "", f->labels[i]);
        put_escaped(b, s->values[i], true);
        rci_strbuf_putc(b, '"');
    }
    if (extra_value)
        rci_strbuf_printf(b, "%sle=\"%s\"", f->nlabels ? "," : "", extra_value);
    rci_strbuf_putc(b, '}');
}

static void render_histogram(rci_strbuf *b, const rc_metric *f, const rc_metric_series *s)
{
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= f->nbounds; i++) {
        cumulative += atomic_load_explicit(&s->buckets[i], memory_order_relaxed);
        rci_strbuf le;
        rci_strbuf_init(&le);
        put_number(&le, i < f->nbounds ? f->bounds[i] : INFINITY);
        put_sample_name(b, f, s, "_bucket", le.data ? le.data : "");
        rci_strbuf_free(&le);
        rci_strbuf_printf(b, " %llu\n", (unsigned long long)cumulative);
    }
    put_sample_name(b, f, s, "_sum", NULL);
    rci_strbuf_putc(b, ' ');
    put_number(b, rc_metric_value(s));
    rci_strbuf_putc(b, '\n');
    put_sample_name(b, f, s, "_count", NULL);
    rci_strbuf_printf(b, " %llu\n", (unsigned long long)cumulative);
}

static void render_family(rci_strbuf *b, const rc_metric *f)
{
    static const char *const type_names[] = {"counter", "gauge", "histogram"};
    rci_strbuf_printf(b, "# HELP %s ", f->name);
    put_escaped(b, f->help, false);
    rci_strbuf_printf(b, "\n# TYPE %s %s\n", f->name, type_names[f->type]);
    for (size_t i = 0; i < f->nseries; i++) {
        const rc_metric_series *s = f->series[i];
        if (f->type == RC_METRIC_HISTOGRAM) {
            render_histogram(b, f, s);
            continue;
        }
        put_sample_name(b, f, s, "", NULL);
        rci_strbuf_putc(b, ' ');
        put_number(b, rc_metric_value(s));
        rci_strbuf_putc(b, '\n');
    }
}

int rc_metrics_render(rc_metrics *m, char **out, size_t *len, rc_error *err)
{
    if (!m || !out)
        return rc_error_set(err, RC_EINVAL, "rc_metrics_render: registry and out are required");
    rci_strbuf b;
    rci_strbuf_init(&b);
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->nfamilies; i++)
        render_family(&b, m->families[i]);
    pthread_mutex_unlock(&m->mu);
    rci_strbuf_append(&b, "", 0); /* an empty registry renders as "" */
    if (b.failed) {
        rci_strbuf_free(&b);
        return rc_error_set(err, RC_ENOMEM, "rc_metrics_render: out of memory");
    }
    size_t n = b.len;
    *out = rci_strbuf_take(&b);
    if (len)
        *len = n;
    return 0;
}
