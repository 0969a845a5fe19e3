/* bench_store.c - S1: the informer's cache with the namespace index over N (default 1,000,000) minimal
 * pods in 100 namespaces: add, get by key on 1 and 2 threads, by-index reads, store bytes per object.
 * Each figure is the median of 3 runs next to a plain-C floor measured in the same run: a mutex-protected
 * open-addressing hash set that copies keys into an arena (perf-anchors.md). RC_BENCH_N overrides N. */
#include <reconcile.h>
#include <reconcile/store.h>

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUNS 3
#define NAMESPACES 100
#define SWEEPS 3 /* each get measurement reads every key this many times */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t heap_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v)
{
    qsort(v, RUNS, sizeof *v, cmp_double);
    return v[RUNS / 2];
}

static void report(const char *name, const char *metric, double value, const char *unit, double floor)
{
    printf("BENCH %s %s=%.0f %s floor=%.0f ratio=%.3f\n", name, metric, value, unit, floor, value / floor);
}

/* ---- the floor: one mutex around a linear-probing set of arena-copied keys ---- */
typedef struct floor_set {
    pthread_mutex_t lock;
    const char **slots;
    uint64_t *hashes;
    size_t mask;
    char *arena;
    size_t arena_len;
} floor_set;

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h | 1;
}

static void floor_init(floor_set *f, size_t n)
{
    size_t cap = 16;
    while (cap < n * 2)
        cap *= 2;
    pthread_mutex_init(&f->lock, NULL);
    f->slots = calloc(cap, sizeof *f->slots);
    f->hashes = calloc(cap, sizeof *f->hashes);
    f->mask = cap - 1;
    f->arena = malloc(n * 24);
    f->arena_len = 0;
}

static void floor_free(floor_set *f)
{
    free(f->slots);
    free(f->hashes);
    free(f->arena);
    pthread_mutex_destroy(&f->lock);
}

static void floor_insert(floor_set *f, const char *key)
{
    uint64_t h = fnv(key);
    pthread_mutex_lock(&f->lock);
    size_t j = h & f->mask;
    while (f->slots[j] && !(f->hashes[j] == h && strcmp(f->slots[j], key) == 0))
        j = (j + 1) & f->mask;
    if (!f->slots[j]) {
        size_t len = strlen(key) + 1;
        char *copy = memcpy(f->arena + f->arena_len, key, len);
        f->arena_len += len;
        f->slots[j] = copy;
        f->hashes[j] = h;
    }
    pthread_mutex_unlock(&f->lock);
}

static bool floor_get(floor_set *f, const char *key)
{
    uint64_t h = fnv(key);
    pthread_mutex_lock(&f->lock);
    size_t j = h & f->mask;
    while (f->slots[j] && !(f->hashes[j] == h && strcmp(f->slots[j], key) == 0))
        j = (j + 1) & f->mask;
    bool found = f->slots[j] != NULL;
    pthread_mutex_unlock(&f->lock);
    return found;
}

/* ---- workload ---- */
static size_t n;
static rc_object **objs;
static const char **keys;

typedef struct slice {
    rc_store *store;
    floor_set *floor;
    size_t from, to;
    size_t found;
} slice;

static void *get_slice(void *arg)
{
    slice *s = arg;
    for (int sweep = 0; sweep < SWEEPS; sweep++)
        for (size_t i = s->from; i < s->to; i++) {
            rc_object *o = rc_store_get(s->store, keys[i]);
            s->found += o != NULL;
            rc_object_unref(o);
        }
    return NULL;
}

static void *floor_get_slice(void *arg)
{
    slice *s = arg;
    for (int sweep = 0; sweep < SWEEPS; sweep++)
        for (size_t i = s->from; i < s->to; i++)
            s->found += floor_get(s->floor, keys[i]);
    return NULL;
}

static double timed_gets(void *(*fn)(void *), rc_store *store, floor_set *floor, int threads)
{
    slice sl[2];
    pthread_t t[2];
    double t0 = now_s();
    for (int k = 0; k < threads; k++) {
        sl[k] = (slice){store, floor, n * (size_t)k / (size_t)threads, n * (size_t)(k + 1) / (size_t)threads, 0};
        pthread_create(&t[k], NULL, fn, &sl[k]);
    }
    size_t found = 0;
    for (int k = 0; k < threads; k++) {
        pthread_join(t[k], NULL);
        found += sl[k].found;
    }
    double dt = now_s() - t0;
    if (found != n * SWEEPS)
        fprintf(stderr, "bench_store: found %zu of %zu\n", found, n * SWEEPS);
    return (double)(n * SWEEPS) / dt;
}

static void make_objects(void)
{
    objs = malloc(n * sizeof *objs);
    keys = malloc(n * sizeof *keys);
    char json[256];
    for (size_t i = 0; i < n; i++) {
        int len = snprintf(json, sizeof json,
                           "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"ns-%zu\","
                           "\"name\":\"name-%zu\",\"resourceVersion\":\"1\"},\"spec\":{\"x\":1}}",
                           i % NAMESPACES, i);
        objs[i] = rc_object_from_json(json, (size_t)len, NULL);
        keys[i] = rc_object_key(objs[i]);
    }
}

int main(void)
{
    const char *env = getenv("RC_BENCH_N");
    n = env ? strtoul(env, NULL, 10) : 1000000;
    if (n < NAMESPACES)
        n = NAMESPACES;
    make_objects();
    double add[RUNS], fadd[RUNS], get1[RUNS], fget1[RUNS], get2[RUNS], fget2[RUNS], byidx[RUNS], fbyidx[RUNS];
    double bytes = 0, fbytes = 0, overhead = 0;
    for (int r = 0; r < RUNS; r++) {
        size_t h0 = heap_bytes();
        rc_store *s = rc_store_new();
        double t0 = now_s();
        for (size_t i = 0; i < n; i++)
            rc_store_add(s, objs[i]);
        add[r] = (double)n / (now_s() - t0);
        bytes = (double)(heap_bytes() - h0) / (double)n;
        overhead = (double)rc_store_overhead_bytes(s) / (double)n;

        floor_set f;
        h0 = heap_bytes();
        t0 = now_s();
        floor_init(&f, n);
        for (size_t i = 0; i < n; i++)
            floor_insert(&f, keys[i]);
        fadd[r] = (double)n / (now_s() - t0);
        fbytes = (double)(heap_bytes() - h0) / (double)n;

        get1[r] = timed_gets(get_slice, s, NULL, 1);
        fget1[r] = timed_gets(floor_get_slice, NULL, &f, 1);
        get2[r] = timed_gets(get_slice, s, NULL, 2);
        fget2[r] = timed_gets(floor_get_slice, NULL, &f, 2);

        /* by-index: every namespace, as references released afterwards */
        size_t seen = 0;
        t0 = now_s();
        for (int ns = 0; ns < NAMESPACES; ns++) {
            char value[16];
            snprintf(value, sizeof value, "ns-%d", ns);
            rc_object_list l;
            rc_object_list_init(&l);
            rc_store_by_index(s, RC_INDEX_NAMESPACE, value, &l, NULL);
            seen += l.count;
            rc_object_list_clear(&l);
        }
        byidx[r] = (double)seen / (now_s() - t0);
        /* floor: copy the namespace's keys out from under a mutex and touch each one */
        size_t per = n / NAMESPACES;
        const char **out = malloc(per * sizeof *out);
        size_t touched = 0;
        t0 = now_s();
        for (int ns = 0; ns < NAMESPACES; ns++) {
            pthread_mutex_lock(&f.lock);
            for (size_t i = 0; i < per; i++)
                out[i] = keys[(size_t)ns + i * NAMESPACES];
            pthread_mutex_unlock(&f.lock);
            for (size_t i = 0; i < per; i++)
                touched += (unsigned char)out[i][0] != 0;
        }
        fbyidx[r] = (double)touched / (now_s() - t0);
        free(out);
        floor_free(&f);
        rc_store_free(s);
    }
    report("S1_store_add", "ops_per_s", median(add), "ops/s", median(fadd));
    report("S1_store_get_1t", "ops_per_s", median(get1), "ops/s", median(fget1));
    report("S1_store_get_2t", "ops_per_s", median(get2), "ops/s", median(fget2));
    report("S1_store_by_index", "objects_per_s", median(byidx), "objects/s", median(fbyidx));
    printf("BENCH S1_store_bytes_per_object bytes=%.1f B floor=%.1f ratio=%.3f\n", bytes, fbytes, bytes / fbytes);
    printf("# n=%zu store_overhead_counted=%.1f B/object (target <= 64)\n", n, overhead);
    for (size_t i = 0; i < n; i++)
        rc_object_unref(objs[i]);
    free(objs);
    free(keys);
    return 0;
}
