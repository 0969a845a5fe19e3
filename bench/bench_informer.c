/* bench_informer.c - F1: the informer pipeline producer -> delta FIFO -> cache (namespace index) ->
 * handler buffer -> handler, for N (default 1,000,000) minimal pods, each added then updated: 2N events.
 * The producer thread queues into the informer's FIFO; the main thread pumps and dispatches. Reports
 * events per second (median of 3 runs) against a plain-C floor measured in the same run (a mutex +
 * condvar ring of capacity 1024 from one producer to one consumer), and heap allocations per event
 * (counted by wrapping malloc). RC_BENCH_N overrides N. */
#include <reconcile.h>
#include <reconcile/informer.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache/informer_internal.h"

#define RUNS 3
#define RING 1024

/* ---- allocation counting: this program's malloc family forwards to glibc's and counts ---- */
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
static atomic_size_t allocations;

void *malloc(size_t n)
{
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return __libc_realloc(p, n);
}

void free(void *p) { __libc_free(p); }

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static size_t n;
static rc_object **added, **updated;

/* ---- the informer pipeline ---- */
static int never_list(void *ctx, const rc_list_options *o, rc_object_list *out, rc_error *err)
{
    (void)ctx, (void)o, (void)out;
    return rc_error_set(err, RC_EUNAVAILABLE, "not used by the benchmark");
}

static int never_watch(void *ctx, const rc_list_options *o, rc_watch **out, rc_error *err)
{
    (void)ctx, (void)o, (void)out;
    return rc_error_set(err, RC_EUNAVAILABLE, "not used by the benchmark");
}

static const rc_list_watch_ops unused_source = {never_list, never_watch, NULL};
static size_t handled;

static void count_add(void *ctx, rc_object *obj)
{
    (void)ctx, (void)obj;
    handled++;
}

static void count_update(void *ctx, rc_object *old, rc_object *obj)
{
    (void)ctx, (void)old, (void)obj;
    handled++;
}

static void *produce(void *arg)
{
    rc_delta_fifo *fifo = arg;
    for (size_t i = 0; i < n; i++)
        rc_delta_fifo_add(fifo, added[i]);
    for (size_t i = 0; i < n; i++)
        rc_delta_fifo_update(fifo, updated[i]);
    rc_delta_fifo_close(fifo);
    return NULL;
}

static double pipeline_run(double *allocs_per_event)
{
    rc_informer *inf = rc_informer_new((rc_list_watch){&unused_source, NULL}, rc_clock_real(), NULL);
    rc_event_handler h = {count_add, count_update, NULL};
    rc_informer_add_handler(inf, &h, NULL, 0, NULL);
    handled = 0;
    size_t a0 = atomic_load(&allocations);
    double t0 = now_s();
    pthread_t producer;
    pthread_create(&producer, NULL, produce, inf->fifo);
    for (;;) {
        int popped = rci_informer_pump(inf, 256, RC_TIME_NEVER);
        rc_informer_dispatch(inf, (size_t)-1);
        if (popped == 0 && rc_delta_fifo_is_closed(inf->fifo) && rc_delta_fifo_len(inf->fifo) == 0)
            break;
    }
    double dt = now_s() - t0;
    pthread_join(producer, NULL);
    *allocs_per_event = (double)(atomic_load(&allocations) - a0) / (double)(2 * n);
    if (handled != 2 * n)
        fprintf(stderr, "bench_informer: handled %zu of %zu events\n", handled, 2 * n);
    rc_informer_free(inf);
    return (double)(2 * n) / dt;
}

/* ---- the floor: a bounded ring under one mutex with two condition variables ---- */
typedef struct ring {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    void *items[RING];
    size_t head, count;
    bool closed;
} ring;

static void *ring_produce(void *arg)
{
    ring *r = arg;
    for (size_t i = 0; i < 2 * n; i++) {
        pthread_mutex_lock(&r->lock);
        while (r->count == RING)
            pthread_cond_wait(&r->not_full, &r->lock);
        r->items[(r->head + r->count++) % RING] = i < n ? added[i] : updated[i - n];
        pthread_cond_signal(&r->not_empty);
        pthread_mutex_unlock(&r->lock);
    }
    pthread_mutex_lock(&r->lock);
    r->closed = true;
    pthread_cond_signal(&r->not_empty);
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

static double floor_run(void)
{
    ring r = {.lock = PTHREAD_MUTEX_INITIALIZER, .not_empty = PTHREAD_COND_INITIALIZER,
              .not_full = PTHREAD_COND_INITIALIZER};
    size_t got = 0;
    double t0 = now_s();
    pthread_t producer;
    pthread_create(&producer, NULL, ring_produce, &r);
    for (;;) {
        pthread_mutex_lock(&r.lock);
        while (r.count == 0 && !r.closed)
            pthread_cond_wait(&r.not_empty, &r.lock);
        if (r.count == 0) {
            pthread_mutex_unlock(&r.lock);
            break;
        }
        r.head = (r.head + 1) % RING;
        r.count--;
        got++;
        pthread_cond_signal(&r.not_full);
        pthread_mutex_unlock(&r.lock);
    }
    double dt = now_s() - t0;
    pthread_join(producer, NULL);
    return (double)got / dt;
}

static rc_object *pod(size_t i, const char *rv)
{
    char json[256];
    int len = snprintf(json, sizeof json,
                       "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"ns-%zu\","
                       "\"name\":\"name-%zu\",\"resourceVersion\":\"%s\"},\"spec\":{\"x\":1}}",
                       i % 100, i, rv);
    return rc_object_from_json(json, (size_t)len, NULL);
}

int main(void)
{
    const char *env = getenv("RC_BENCH_N");
    n = env ? strtoul(env, NULL, 10) : 1000000;
    added = malloc(n * sizeof *added);
    updated = malloc(n * sizeof *updated);
    for (size_t i = 0; i < n; i++) {
        added[i] = pod(i, "1");
        updated[i] = pod(i, "2");
    }
    double eps[RUNS], floor[RUNS], allocs = 0;
    for (int r = 0; r < RUNS; r++) {
        eps[r] = pipeline_run(&allocs);
        floor[r] = floor_run();
    }
    qsort(eps, RUNS, sizeof *eps, cmp_double);
    qsort(floor, RUNS, sizeof *floor, cmp_double);
    printf("BENCH F1_informer_pipeline events_per_s=%.0f events/s floor=%.0f ratio=%.3f\n", eps[RUNS / 2],
           floor[RUNS / 2], eps[RUNS / 2] / floor[RUNS / 2]);
    printf("BENCH F1_informer_allocs_per_event allocs=%.3f allocs floor=1 ratio=%.3f\n", allocs, allocs);
    for (size_t i = 0; i < n; i++) {
        rc_object_unref(added[i]);
        rc_object_unref(updated[i]);
    }
    free(added);
    free(updated);
    return 0;
}
