/* ratelimit.c - the built-in rate limiters of the workqueue (upstream util/workqueue's
 * default_rate_limiters.go): per-key exponential back-off, an overall token bucket, fast-slow and
 * max-of, plus the default controller limiter. Time is passed in (`now`), so they run on any clock. */
#include <reconcile/workqueue.h>

#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include "workqueue/keycount.h"

rc_duration rc_rate_limiter_when(rc_rate_limiter *rl, const char *key, rc_time now)
{
    return rl && key ? rl->ops->when(rl, key, now) : 0;
}

void rc_rate_limiter_forget(rc_rate_limiter *rl, const char *key)
{
    if (rl && key)
        rl->ops->forget(rl, key);
}

int rc_rate_limiter_num_requeues(rc_rate_limiter *rl, const char *key)
{
    return rl && key ? rl->ops->num_requeues(rl, key) : 0;
}

void rc_rate_limiter_free(rc_rate_limiter *rl)
{
    if (rl)
        rl->ops->destroy(rl);
}

/* ---- per-key back-off: exponential and fast-slow share the attempt counters ---- */

typedef struct backoff_limiter {
    rc_rate_limiter base;
    rci_keycount attempts;
    rc_duration first, second; /* exponential: base and max; fast-slow: fast and slow */
    int max_fast;
} backoff_limiter;

static rc_duration exponential_when(rc_rate_limiter *rl, const char *key, rc_time now)
{
    (void)now;
    backoff_limiter *b = (backoff_limiter *)rl;
    int exp = rci_keycount_next(&b->attempts, key);
    if (exp >= 63 || b->first > (b->second >> exp)) /* base * 2^exp > max */
        return b->second;
    return b->first << exp;
}

static rc_duration fast_slow_when(rc_rate_limiter *rl, const char *key, rc_time now)
{
    (void)now;
    backoff_limiter *b = (backoff_limiter *)rl;
    int before = rci_keycount_next(&b->attempts, key);
    return before < b->max_fast ? b->first : b->second;
}

static void backoff_forget(rc_rate_limiter *rl, const char *key)
{
    rci_keycount_forget(&((backoff_limiter *)rl)->attempts, key);
}

static int backoff_num_requeues(rc_rate_limiter *rl, const char *key)
{
    return rci_keycount_get(&((backoff_limiter *)rl)->attempts, key);
}

static void backoff_destroy(rc_rate_limiter *rl)
{
    rci_keycount_free(&((backoff_limiter *)rl)->attempts);
    free(rl);
}

static const rc_rate_limiter_ops exponential_ops = {exponential_when, backoff_forget, backoff_num_requeues,
                                                    backoff_destroy};
static const rc_rate_limiter_ops fast_slow_ops = {fast_slow_when, backoff_forget, backoff_num_requeues,
                                                  backoff_destroy};

static int new_backoff(const rc_rate_limiter_ops *ops, rc_duration first, rc_duration second, int max_fast,
                       rc_rate_limiter **out, rc_error *err)
{
    backoff_limiter *b = calloc(1, sizeof *b);
    if (!b)
        return rc_error_set(err, RC_ENOMEM, "rate limiter: out of memory");
    b->base.ops = ops;
    b->first = first;
    b->second = second;
    b->max_fast = max_fast;
    rci_keycount_init(&b->attempts);
    *out = &b->base;
    return 0;
}

int rc_rate_limiter_exponential_new(rc_duration base, rc_duration max, rc_rate_limiter **out, rc_error *err)
{
    if (!out)
        return rc_error_set(err, RC_EINVAL, "exponential rate limiter: out is NULL");
    if (base <= 0 || max < base)
        return rc_error_set(err, RC_EINVAL, "exponential rate limiter: need 0 < base <= max (base %lld, max %lld)",
                            (long long)base, (long long)max);
    return new_backoff(&exponential_ops, base, max, 0, out, err);
}

int rc_rate_limiter_fast_slow_new(rc_duration fast, rc_duration slow, int max_fast, rc_rate_limiter **out,
                                  rc_error *err)
{
    if (!out)
        return rc_error_set(err, RC_EINVAL, "fast-slow rate limiter: out is NULL");
    if (fast < 0 || slow < 0 || max_fast < 0)
        return rc_error_set(err, RC_EINVAL, "fast-slow rate limiter: fast, slow and max_fast must be >= 0");
    return new_backoff(&fast_slow_ops, fast, slow, max_fast, out, err);
}

/* ---- token bucket ---- */

/* Tokens at time t are min(burst, (t - empty_at) / interval): taking one moves empty_at by interval and the
 * caller waits until empty_at when it lies in the future. Integer nanoseconds keep sequences exact. */
typedef struct bucket_limiter {
    rc_rate_limiter base;
    pthread_mutex_t mu;
    rc_duration interval;
    int64_t burst;
    bool started;
    rc_time empty_at;
} bucket_limiter;

static rc_duration bucket_when(rc_rate_limiter *rl, const char *key, rc_time now)
{
    (void)key;
    bucket_limiter *b = (bucket_limiter *)rl;
    rc_duration full = b->burst * b->interval;
    pthread_mutex_lock(&b->mu);
    if (!b->started || now - b->empty_at > full)
        b->empty_at = now - full;
    b->started = true;
    b->empty_at += b->interval;
    rc_duration wait = b->empty_at > now ? b->empty_at - now : 0;
    pthread_mutex_unlock(&b->mu);
    return wait;
}

static void bucket_forget(rc_rate_limiter *rl, const char *key)
{
    (void)rl;
    (void)key;
}

static int bucket_num_requeues(rc_rate_limiter *rl, const char *key)
{
    (void)rl;
    (void)key;
    return 0;
}

static void bucket_destroy(rc_rate_limiter *rl)
{
    pthread_mutex_destroy(&((bucket_limiter *)rl)->mu);
    free(rl);
}

static const rc_rate_limiter_ops bucket_ops = {bucket_when, bucket_forget, bucket_num_requeues, bucket_destroy};

int rc_rate_limiter_bucket_new(double qps, int burst, rc_rate_limiter **out, rc_error *err)
{
    if (!out)
        return rc_error_set(err, RC_EINVAL, "bucket rate limiter: out is NULL");
    if (!(qps > 0) || !isfinite(qps) || burst < 1 || (double)burst * (1e9 / qps) > 1e18)
        return rc_error_set(err, RC_EINVAL,
                            "bucket rate limiter: need qps > 0, burst >= 1 and burst/qps below 1e9 s "
                            "(qps %g, burst %d)",
                            qps, burst);
    bucket_limiter *b = calloc(1, sizeof *b);
    if (!b)
        return rc_error_set(err, RC_ENOMEM, "bucket rate limiter: out of memory");
    b->base.ops = &bucket_ops;
    pthread_mutex_init(&b->mu, NULL);
    b->interval = (rc_duration)llround(1e9 / qps);
    b->burst = burst;
    *out = &b->base;
    return 0;
}

/* ---- max-of ---- */

typedef struct max_of_limiter {
    rc_rate_limiter base;
    size_t n;
    rc_rate_limiter *children[];
} max_of_limiter;

static rc_duration max_of_when(rc_rate_limiter *rl, const char *key, rc_time now)
{
    max_of_limiter *m = (max_of_limiter *)rl;
    rc_duration longest = 0;
    for (size_t i = 0; i < m->n; i++) {
        rc_duration d = m->children[i]->ops->when(m->children[i], key, now);
        if (d > longest)
            longest = d;
    }
    return longest;
}

static void max_of_forget(rc_rate_limiter *rl, const char *key)
{
    max_of_limiter *m = (max_of_limiter *)rl;
    for (size_t i = 0; i < m->n; i++)
        m->children[i]->ops->forget(m->children[i], key);
}

static int max_of_num_requeues(rc_rate_limiter *rl, const char *key)
{
    max_of_limiter *m = (max_of_limiter *)rl;
    int most = 0;
    for (size_t i = 0; i < m->n; i++) {
        int r = m->children[i]->ops->num_requeues(m->children[i], key);
        if (r > most)
            most = r;
    }
    return most;
}

static void max_of_destroy(rc_rate_limiter *rl)
{
    max_of_limiter *m = (max_of_limiter *)rl;
    for (size_t i = 0; i < m->n; i++)
        rc_rate_limiter_free(m->children[i]);
    free(m);
}

static const rc_rate_limiter_ops max_of_ops = {max_of_when, max_of_forget, max_of_num_requeues, max_of_destroy};

static void free_all(rc_rate_limiter *const *limiters, size_t n)
{
    for (size_t i = 0; limiters && i < n; i++)
        rc_rate_limiter_free(limiters[i]);
}

int rc_rate_limiter_max_of_new(rc_rate_limiter *const *limiters, size_t n, rc_rate_limiter **out, rc_error *err)
{
    int rc = 0;
    if (!out || !limiters || n == 0)
        rc = rc_error_set(err, RC_EINVAL, "max-of rate limiter: need out and at least one limiter");
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (!limiters[i])
            rc = rc_error_set(err, RC_EINVAL, "max-of rate limiter: limiter %zu is NULL", i);
    max_of_limiter *m = rc ? NULL : malloc(sizeof *m + n * sizeof m->children[0]);
    if (rc == 0 && !m)
        rc = rc_error_set(err, RC_ENOMEM, "max-of rate limiter: out of memory");
    if (rc) {
        free_all(limiters, n);
        return rc;
    }
    m->base.ops = &max_of_ops;
    m->n = n;
    for (size_t i = 0; i < n; i++)
        m->children[i] = limiters[i];
    *out = &m->base;
    return 0;
}

int rc_rate_limiter_default_new(rc_rate_limiter **out, rc_error *err)
{
    if (!out)
        return rc_error_set(err, RC_EINVAL, "default rate limiter: out is NULL");
    rc_rate_limiter *parts[2] = {NULL, NULL};
    int rc = rc_rate_limiter_exponential_new(5 * RC_MSEC, 1000 * RC_SEC, &parts[0], err);
    if (rc == 0)
        rc = rc_rate_limiter_bucket_new(10, 100, &parts[1], err);
    if (rc) {
        rc_rate_limiter_free(parts[0]);
        return rc;
    }
    return rc_rate_limiter_max_of_new(parts, 2, out, err);
}
