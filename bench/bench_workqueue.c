/* bench_workqueue.c - workqueue throughput W1, W2, W3a, W3b as defined in
 * shared/research/perf-anchors.md (real clock, keys generated before timing, median of 3 runs), against
 * the C floor: a plain mutex+condvar ring (capacity 1024, 1 producer -> 2 consumers, one item per lock).
 * W4 measures the priority effect: how long a live key added behind 100 k low-priority resync keys waits
 * to be handed out, with priority versus without (floor). Prints BENCH lines for tools/run-bench.sh.
 * Arguments (optional) name the workloads to run, e.g. `bench_workqueue W1 W2`; the floor always runs.
 * RC_BENCH_WQ_WORKERS changes the number of workers, for diagnosis only (the figures use 2). */
#include <reconcile/workqueue.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUNS 3
#define N_W1 1000000
#define N_W2_KEYS 1000
#define N_W3 100000
#define RING_CAP 1024

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char **make_keys(size_t n)
{
    char **keys = malloc(n * sizeof *keys);
    char *arena = malloc(n * 24);
    if (!keys || !arena) {
        fprintf(stderr, "bench_workqueue: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        keys[i] = arena + i * 24;
        snprintf(keys[i], 24, "ns/name-%zu", i);
    }
    return keys;
}

static void free_keys(char **keys)
{
    free(keys[0]);
    free(keys);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median3(double v[RUNS])
{
    qsort(v, RUNS, sizeof v[0], cmp_double);
    return v[RUNS / 2];
}

static void report(const char *name, const char *metric, double value, const char *unit, double floor)
{
    printf("BENCH %s %s=%.0f %s floor=%.0f ratio=%.3f\n", name, metric, value, unit, floor, value / floor);
    fflush(stdout);
}

/* ---- the floor: a mutex + condvar ring ---- */

typedef struct ring {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    const char *slot[RING_CAP];
    size_t head, len;
    bool closed;
    long consumed;
} ring;

static void *ring_consumer(void *arg)
{
    ring *r = arg;
    long n = 0;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        while (!r->len && !r->closed)
            pthread_cond_wait(&r->not_empty, &r->mu);
        if (!r->len) {
            r->consumed += n;
            pthread_mutex_unlock(&r->mu);
            return NULL;
        }
        r->head = (r->head + 1) % RING_CAP;
        r->len--;
        pthread_cond_signal(&r->not_full);
        pthread_mutex_unlock(&r->mu);
        n++;
    }
}

static double ring_run(char **keys, size_t n)
{
    ring r = {.head = 0};
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.not_empty, NULL);
    pthread_cond_init(&r.not_full, NULL);
    double t0 = now_s();
    pthread_t c[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&c[i], NULL, ring_consumer, &r);
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_lock(&r.mu);
        while (r.len == RING_CAP)
            pthread_cond_wait(&r.not_full, &r.mu);
        r.slot[(r.head + r.len++) % RING_CAP] = keys[i];
        pthread_cond_signal(&r.not_empty);
        pthread_mutex_unlock(&r.mu);
    }
    pthread_mutex_lock(&r.mu);
    r.closed = true;
    pthread_cond_broadcast(&r.not_empty);
    pthread_mutex_unlock(&r.mu);
    for (int i = 0; i < 2; i++)
        pthread_join(c[i], NULL);
    double t = now_s() - t0;
    pthread_mutex_destroy(&r.mu);
    pthread_cond_destroy(&r.not_empty);
    pthread_cond_destroy(&r.not_full);
    return (double)r.consumed / t;
}

/* ---- the workloads ---- */

typedef enum { PLAIN, RETRY_3, COUNT_TO_N } work_kind;

typedef struct run {
    rc_workqueue *q;
    work_kind kind;
    long target;             /* COUNT_TO_N / RETRY_3: keys to finish before shutting down */
    atomic_long processed;   /* gets */
    atomic_long finished;    /* keys completed (RETRY_3: forgotten; COUNT_TO_N: processed) */
} run;

static void *worker(void *arg)
{
    run *r = arg;
    const char *k;
    long gets = 0;
    while (rc_workqueue_get(r->q, &k) == 0) {
        gets++;
        bool finished_one = r->kind == COUNT_TO_N;
        if (r->kind == RETRY_3) {
            if (rc_workqueue_num_requeues(r->q, k) < 3) {
                rc_workqueue_add_rate_limited(r->q, k);
            } else {
                rc_workqueue_forget(r->q, k);
                finished_one = true;
            }
        }
        rc_workqueue_done(r->q, k);
        if (finished_one && atomic_fetch_add(&r->finished, 1) + 1 == r->target)
            rc_workqueue_shut_down(r->q);
    }
    atomic_fetch_add(&r->processed, gets);
    return NULL;
}

static rc_workqueue *new_queue(rc_rate_limiter *rl)
{
    rc_workqueue *q = NULL;
    if (rc_workqueue_new(&(rc_workqueue_options){.name = "bench", .rate_limiter = rl}, &q, NULL) != 0) {
        fprintf(stderr, "bench_workqueue: cannot create queue\n");
        exit(1);
    }
    return q;
}

/* Workers per workload: 2, as the definitions say; RC_BENCH_WQ_WORKERS=1..4 is for diagnosis only (how
 * far one worker gets without a second one contending for the queue lock). */
#define MAX_WORKERS 4
static int workers(void)
{
    const char *v = getenv("RC_BENCH_WQ_WORKERS");
    int n = v ? atoi(v) : 2;
    return n >= 1 && n <= MAX_WORKERS ? n : 2;
}

typedef struct timing {
    double wall, producer;
    long processed;
} timing;

/* Runs 2 workers while the calling thread adds keys[i % nkeys] for i < nadds (with delays when given). */
static timing run_queue(rc_workqueue *q, work_kind kind, long target, char **keys, size_t nkeys, size_t nadds,
                        const rc_duration *delays)
{
    run r = {.q = q, .kind = kind, .target = target};
    double t0 = now_s();
    pthread_t w[MAX_WORKERS];
    int nworkers = workers();
    for (int i = 0; i < nworkers; i++)
        pthread_create(&w[i], NULL, worker, &r);
    for (size_t i = 0; i < nadds; i++) {
        if (delays)
            rc_workqueue_add_after(q, keys[i % nkeys], delays[i]);
        else
            rc_workqueue_add(q, keys[i % nkeys]);
    }
    double t1 = now_s();
    if (kind == PLAIN)
        rc_workqueue_shut_down(q);
    for (int i = 0; i < nworkers; i++)
        pthread_join(w[i], NULL);
    timing t = {now_s() - t0, t1 - t0, atomic_load(&r.processed)};
    rc_workqueue_free(q);
    return t;
}

static double w1(char **keys)
{
    timing t = run_queue(new_queue(NULL), PLAIN, 0, keys, N_W1, N_W1, NULL);
    return (double)t.processed / t.wall;
}

static double w2(char **keys, long *processed)
{
    timing t = run_queue(new_queue(NULL), PLAIN, 0, keys, N_W2_KEYS, N_W1, NULL);
    *processed = t.processed;
    return (double)N_W1 / t.producer;
}

static double w3a(char **keys)
{
    rc_rate_limiter *rl = NULL;
    rc_rate_limiter_exponential_new(RC_MSEC, 10 * RC_MSEC, &rl, NULL);
    timing t = run_queue(new_queue(rl), RETRY_3, N_W3, keys, N_W3, N_W3, NULL);
    return (double)t.processed / t.wall;
}

static double w3b(char **keys, const rc_duration *delays)
{
    timing t = run_queue(new_queue(NULL), COUNT_TO_N, N_W3, keys, N_W3, N_W3, delays);
    return (double)t.processed / t.wall;
}

/* Seconds from adding a live key behind 100 k resync keys until a single worker is handed it. */
static double priority_latency(char **keys, int live_priority)
{
    rc_workqueue *q = new_queue(NULL);
    for (size_t i = 0; i < N_W3; i++)
        rc_workqueue_add_priority(q, keys[i], RC_WORKQUEUE_PRIORITY_LOW);
    const char *k;
    double t0 = now_s();
    rc_workqueue_add_priority(q, "live/key", live_priority);
    do {
        rc_workqueue_try_get(q, &k);
        rc_workqueue_done(q, k);
    } while (strcmp(k, "live/key") != 0);
    double t = now_s() - t0;
    rc_workqueue_free(q);
    return t;
}

/* True when the workload is selected: no arguments select every one. */
static bool wanted(int argc, char **argv, const char *name)
{
    if (argc < 2)
        return true;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return true;
    return false;
}

int main(int argc, char **argv)
{
    char **keys = make_keys(N_W1);
    rc_duration *delays = malloc(N_W3 * sizeof *delays);
    rc_rand rnd;
    rc_rand_seed(&rnd, 42);
    for (size_t i = 0; i < N_W3; i++)
        delays[i] = (rc_duration)rc_rand_below(&rnd, 10001) * RC_USEC; /* 0..10 ms in 1 us steps */

    double ring_v[RUNS], v1[RUNS], v2[RUNS], v3a[RUNS], v3b[RUNS], pr[RUNS], nopr[RUNS];
    long processed[RUNS];
    bool do1 = wanted(argc, argv, "W1"), do2 = wanted(argc, argv, "W2"), do3a = wanted(argc, argv, "W3a"),
         do3b = wanted(argc, argv, "W3b"), do4 = wanted(argc, argv, "W4");
    for (int i = 0; i < RUNS; i++) { /* rounds: every workload once per round */
        ring_v[i] = ring_run(keys, N_W1);
        if (do1)
            v1[i] = w1(keys);
        if (do2)
            v2[i] = w2(keys, &processed[i]);
        if (do3a)
            v3a[i] = w3a(keys);
        if (do3b)
            v3b[i] = w3b(keys, delays);
        if (do4) {
            pr[i] = priority_latency(keys, RC_WORKQUEUE_PRIORITY_NORMAL) * 1e6;
            nopr[i] = priority_latency(keys, RC_WORKQUEUE_PRIORITY_LOW) * 1e6;
        }
    }
    double floor = median3(ring_v);
    if (do1)
        report("W1_workqueue", "items_per_s", median3(v1), "items/s", floor);
    if (do2) {
        report("W2_workqueue", "adds_per_s", median3(v2), "adds/s", floor);
        printf("# W2 items processed per run: %ld %ld %ld (dedup ratio of the first %.1f)\n", processed[0],
               processed[1], processed[2], (double)N_W1 / (double)processed[0]);
    }
    if (do3a)
        report("W3a_workqueue", "gets_per_s", median3(v3a), "gets/s", floor);
    if (do3b)
        report("W3b_workqueue", "items_per_s", median3(v3b), "items/s", floor);
    if (do4) {
        double p = median3(pr), np = median3(nopr);
        printf("BENCH W4_priority_latency latency_us=%.1f us floor=%.1f ratio=%.6f\n", p, np, p / np);
    }
    free(delays);
    free_keys(keys);
    return 0;
}
