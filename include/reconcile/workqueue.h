/* workqueue.h - the client-go util/workqueue equivalent: a thread-safe queue of string keys with
 * de-duplication, per-key exclusivity, delays, rate-limited requeues, priorities with aging and metrics.
 * Sans-I/O: time comes from an rc_clock; only rc_workqueue_get and rc_workqueue_shut_down_with_drain
 * block (on a condition variable), everything else returns at once. See rc_workqueue(3). */
#ifndef RECONCILE_WORKQUEUE_H
#define RECONCILE_WORKQUEUE_H

#include "clock.h"
#include "common.h"
#include "metrics.h"

/* ---- Rate limiters ------------------------------------------------------------------------------ */

typedef struct rc_rate_limiter rc_rate_limiter;

/* A rate limiter is a vtable; embed rc_rate_limiter as the first member of your own type. Every
 * operation must be thread-safe (the built-in limiters lock internally). */
typedef struct rc_rate_limiter_ops {
    /* How long key should wait before its next attempt, at time now; records the attempt. */
    rc_duration (*when)(rc_rate_limiter *rl, const char *key, rc_time now);
    /* Stops tracking key: its back-off starts over. */
    void (*forget)(rc_rate_limiter *rl, const char *key);
    /* Attempts recorded for key since the last forget. */
    int (*num_requeues)(rc_rate_limiter *rl, const char *key);
    /* Frees the limiter (and anything it owns). */
    void (*destroy)(rc_rate_limiter *rl);
} rc_rate_limiter_ops;

struct rc_rate_limiter {
    const rc_rate_limiter_ops *ops;
};

/* Constructors store a new limiter the caller owns (rc_rate_limiter_free) in *out and return 0, or
 * RC_EINVAL (bad argument, message names it) / RC_ENOMEM, leaving *out untouched. */

/* Per-key exponential back-off: base * 2^failures, capped at max (upstream defaults 5 ms and 1000 s). */
RC_API int rc_rate_limiter_exponential_new(rc_duration base, rc_duration max, rc_rate_limiter **out,
                                           rc_error *err);
/* Overall token bucket: qps tokens per second, burst tokens at most (upstream default 10 and 100). The
 * first burst attempts wait 0; then one every 1/qps. Keys are not tracked (num_requeues is 0). */
RC_API int rc_rate_limiter_bucket_new(double qps, int burst, rc_rate_limiter **out, rc_error *err);
/* Per-key: the first max_fast attempts wait fast, the later ones slow. */
RC_API int rc_rate_limiter_fast_slow_new(rc_duration fast, rc_duration slow, int max_fast,
                                         rc_rate_limiter **out, rc_error *err);
/* The largest delay of n limiters (each is consulted every time). Takes ownership of the n limiters,
 * also on failure; n >= 1. */
RC_API int rc_rate_limiter_max_of_new(rc_rate_limiter *const *limiters, size_t n, rc_rate_limiter **out,
                                      rc_error *err);
/* The default controller limiter: max-of(exponential 5 ms..1000 s, bucket 10 qps burst 100). */
RC_API int rc_rate_limiter_default_new(rc_rate_limiter **out, rc_error *err);

/* Calls through the vtable; NULL rl: 0 delay, 0 requeues, no-op. */
RC_API rc_duration rc_rate_limiter_when(rc_rate_limiter *rl, const char *key, rc_time now);
RC_API void rc_rate_limiter_forget(rc_rate_limiter *rl, const char *key);
RC_API int rc_rate_limiter_num_requeues(rc_rate_limiter *rl, const char *key);
RC_API void rc_rate_limiter_free(rc_rate_limiter *rl);

/* ---- Metrics ------------------------------------------------------------------------------------ */

/* A metrics provider: queue_new is called once per queue (with its name) and returns per-queue state
 * passed to the other hooks; queue_free releases it. The hooks are called with the queue lock held and
 * must be fast and must not call back into the queue. Durations are in seconds. */
typedef struct rc_workqueue_metrics_ops {
    void *(*queue_new)(void *ctx, const char *queue_name);
    void (*queue_free)(void *ctx, void *qm);
    void (*depth)(void *qm, int delta);             /* keys waiting to be handed out (+1 add, -1 get) */
    void (*add)(void *qm);                          /* a key was added (not a de-duplicated add) */
    void (*queue_latency)(void *qm, double seconds); /* from add until get */
    void (*work_duration)(void *qm, double seconds); /* from get until done */
    void (*retry)(void *qm);                         /* add_after / add_rate_limited */
    /* From rc_workqueue_update_metrics: total and longest time of keys handed out and not done. */
    void (*unfinished)(void *qm, double unfinished_seconds, double longest_seconds);
} rc_workqueue_metrics_ops;

typedef struct rc_workqueue_metrics_provider {
    const rc_workqueue_metrics_ops *ops;
    void *ctx;
} rc_workqueue_metrics_provider;

/* Fills *out with the default provider, which records into registry (borrowed; it must outlive every
 * queue using the provider) as workqueue_depth, workqueue_adds_total, workqueue_queue_duration_seconds,
 * workqueue_work_duration_seconds, workqueue_unfinished_work_seconds,
 * workqueue_longest_running_processor_seconds and workqueue_retries_total, labelled name="<queue>".
 * Registers the families (RC_EEXISTS if the registry holds different ones with these names, RC_ENOMEM). */
RC_API int rc_workqueue_metrics_default(rc_metrics *registry, rc_workqueue_metrics_provider *out, rc_error *err);

/* ---- The queue ---------------------------------------------------------------------------------- */

typedef struct rc_workqueue rc_workqueue;

/* Priorities: higher is handed out first. Live changes use NORMAL; list and resync keys use LOW. */
#define RC_WORKQUEUE_PRIORITY_MIN (-8)
#define RC_WORKQUEUE_PRIORITY_LOW (-1)
#define RC_WORKQUEUE_PRIORITY_NORMAL 0
#define RC_WORKQUEUE_PRIORITY_HIGH 1
#define RC_WORKQUEUE_PRIORITY_MAX 7

typedef struct rc_workqueue_options {
    const char *name;       /* for metrics and logs; copied; NULL = "" */
    rc_clock *clock;        /* borrowed; NULL = rc_clock_real() */
    rc_rate_limiter *rate_limiter; /* owned by the queue from rc_workqueue_new on; NULL = default */
    const rc_workqueue_metrics_provider *metrics; /* copied; NULL = no metrics */
    /* Aging: after this many consecutive gets served a higher priority while an older key waited, the
     * oldest waiting key is handed out next. 0 = 16. */
    unsigned aging_every;
    /* Idle keys (not waiting, not in flight) kept interned so re-adding them allocates nothing. 0 = 4096. */
    size_t idle_keys;
} rc_workqueue_options;

/* Full add options for rc_workqueue_add_opts. */
typedef struct rc_workqueue_add_options {
    rc_duration after;  /* wait this long first; <= 0 = ready now */
    int priority;       /* RC_WORKQUEUE_PRIORITY_MIN..MAX */
    bool rate_limited;  /* wait the rate limiter's when(key) (the earlier of it and `after` if both) */
} rc_workqueue_add_options;

/* Creates a queue (*out, caller owns: rc_workqueue_free). opts may be NULL. The rate limiter is owned by
 * the queue even when this fails. RC_EINVAL / RC_ENOMEM. */
RC_API int rc_workqueue_new(const rc_workqueue_options *opts, rc_workqueue **out, rc_error *err);
/* Frees the queue, its limiter and its keys. No thread may be using it. */
RC_API void rc_workqueue_free(rc_workqueue *q);

/* Adds key (copied) at NORMAL priority. A key already waiting is not added twice (a waiting key keeps its
 * place, or moves up if added with a higher priority); a key being processed is marked dirty and
 * becomes ready again only after rc_workqueue_done. An add of a key waiting for a delay makes it ready
 * now. Returns 0, RC_ECLOSED after shut-down, RC_EINVAL for NULL, RC_ENOMEM. */
RC_API int rc_workqueue_add(rc_workqueue *q, const char *key);
/* Adds key at a priority (RC_WORKQUEUE_PRIORITY_MIN..MAX, else RC_EINVAL). */
RC_API int rc_workqueue_add_priority(rc_workqueue *q, const char *key, int priority);
/* Adds key once delay has passed on the queue's clock (delay <= 0: at once). A key waiting with an
 * earlier ready time keeps it; an already ready key stays ready. */
RC_API int rc_workqueue_add_after(rc_workqueue *q, const char *key, rc_duration delay);
/* Adds key after the rate limiter's when(key). */
RC_API int rc_workqueue_add_rate_limited(rc_workqueue *q, const char *key);
/* The general form of the four above. */
RC_API int rc_workqueue_add_opts(rc_workqueue *q, const char *key, const rc_workqueue_add_options *opts);

/* Hands out the next key: highest priority first, first-in order within a priority, with aging. *key is
 * borrowed from the queue and valid until rc_workqueue_done(q, *key); no other caller gets the same key
 * before that. get blocks until a key is ready (waking at the next delay deadline on a real or scaled
 * clock; with a virtual clock until an add, rc_workqueue_notify or shut-down); try_get never blocks.
 * Returns 0, RC_EAGAIN (try_get: nothing ready), RC_ECLOSED (shut down and nothing left to hand out). */
RC_API int rc_workqueue_get(rc_workqueue *q, const char **key);
RC_API int rc_workqueue_try_get(rc_workqueue *q, const char **key);
/* Marks key (the pointer from get, or an equal string) processed; if it was added meanwhile it becomes
 * ready again. Returns 0 or RC_ENOTFOUND when key is not being processed. */
RC_API int rc_workqueue_done(rc_workqueue *q, const char *key);

/* Rate limiter bookkeeping for key (upstream Forget / NumRequeues). */
RC_API void rc_workqueue_forget(rc_workqueue *q, const char *key);
RC_API int rc_workqueue_num_requeues(rc_workqueue *q, const char *key);

/* Keys ready to be handed out (delayed keys that are due count; keys in flight do not). */
RC_API size_t rc_workqueue_len(rc_workqueue *q);
/* The earliest ready time of keys still waiting for a delay, RC_TIME_NEVER if none. */
RC_API rc_time rc_workqueue_next_deadline(rc_workqueue *q);
/* Wakes blocked getters so they look at the clock again (after advancing a virtual clock). */
RC_API void rc_workqueue_notify(rc_workqueue *q);

/* Refuses new adds, drops keys waiting for a delay and wakes every getter; keys already ready are still
 * handed out, then get returns RC_ECLOSED. */
RC_API void rc_workqueue_shut_down(rc_workqueue *q);
/* Shuts down, then blocks until every key handed out is done. Never call it from a worker that holds a
 * key. */
RC_API void rc_workqueue_shut_down_with_drain(rc_workqueue *q);
RC_API bool rc_workqueue_shutting_down(rc_workqueue *q);

/* Reports unfinished work and the longest running key to the metrics provider; a driver calls it
 * periodically (upstream every 500 ms). No-op without metrics. */
RC_API void rc_workqueue_update_metrics(rc_workqueue *q);

#endif
