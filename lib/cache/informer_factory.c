/* informer_factory.c - the shared informer factory: one informer per (group/version/resource, namespace,
 * label selector, field selector), created on first request through the caller's list-watch provider and
 * shared by every later request, so two controllers watching Pods share one cache and one watch. */
#include <reconcile/informer.h>
#include <reconcile/log.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

typedef struct entry {
    char *key;
    rc_informer *inf;
    pthread_t thread;
    bool has_thread;
} entry;

struct rc_informer_factory {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* run: new informers and stop */
    rc_list_watch_provider provider;
    void *provider_ctx;
    rc_clock *clock;
    rc_informer_options defaults;
    entry *entries;
    size_t n, cap;
    bool started, stopped;
};

rc_informer_factory *rc_informer_factory_new(rc_list_watch_provider provider, void *provider_ctx,
                                             rc_clock *clock, const rc_informer_options *defaults)
{
    if (!provider || !clock)
        return NULL;
    rc_informer_factory *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->cond, NULL);
    f->provider = provider;
    f->provider_ctx = provider_ctx;
    f->clock = clock;
    if (defaults)
        f->defaults = *defaults;
    else
        rc_informer_options_init(&f->defaults);
    return f;
}

static const char *or_empty(const char *s) { return s ? s : ""; }

static char *source_key(const rc_informer_source *src)
{
    return rci_asprintf("%s/%s/%s\n%s\n%s\n%s", or_empty(src->group), src->version, src->resource,
                        or_empty(src->namespace_), or_empty(src->label_selector), or_empty(src->field_selector));
}

/* Creates the informer for src. Caller holds lock. */
static rc_informer *create(rc_informer_factory *f, const rc_informer_source *src, rc_error *err)
{
    rc_list_watch lw = {0};
    int rc = f->provider(f->provider_ctx, src, &lw, err);
    if (rc != 0)
        return NULL;
    char *name = rci_asprintf("%s%s%s/%s%s%s", or_empty(src->group), src->group && *src->group ? "/" : "",
                              src->version, src->resource, src->namespace_ && *src->namespace_ ? " in " : "",
                              or_empty(src->namespace_));
    rc_informer_options opts = f->defaults;
    opts.reflector.name = name;
    opts.reflector.label_selector = src->label_selector;
    opts.reflector.field_selector = src->field_selector;
    rc_informer *inf = name ? rc_informer_new(lw, f->clock, &opts) : NULL;
    if (!name && lw.ops && lw.ops->destroy)
        lw.ops->destroy(lw.ctx);
    free(name);
    if (!inf)
        rc_error_set(err, RC_ENOMEM, "out of memory creating the informer for %s", src->resource);
    return inf;
}

rc_informer *rc_informer_factory_get(rc_informer_factory *f, const rc_informer_source *src, rc_error *err)
{
    if (!f || !src || !src->version || !*src->version || !src->resource || !*src->resource) {
        rc_error_set(err, RC_EINVAL, "informer source needs a version and a resource");
        return NULL;
    }
    char *key = source_key(src);
    if (!key) {
        rc_error_set(err, RC_ENOMEM, "out of memory");
        return NULL;
    }
    pthread_mutex_lock(&f->lock);
    rc_informer *inf = NULL;
    for (size_t i = 0; i < f->n && !inf; i++)
        if (strcmp(f->entries[i].key, key) == 0)
            inf = f->entries[i].inf;
    if (!inf && f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        entry *es = realloc(f->entries, cap * sizeof *es);
        if (es) {
            f->entries = es;
            f->cap = cap;
        }
    }
    if (!inf && f->n < f->cap && (inf = create(f, src, err)) != NULL) {
        f->entries[f->n++] = (entry){.key = key, .inf = inf};
        key = NULL;
        if (f->started)
            rc_informer_start(inf);
        pthread_cond_broadcast(&f->cond);
    } else if (!inf && f->n == f->cap) {
        rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    pthread_mutex_unlock(&f->lock);
    free(key);
    return inf;
}

size_t rc_informer_factory_count(rc_informer_factory *f)
{
    if (!f)
        return 0;
    pthread_mutex_lock(&f->lock);
    size_t n = f->n;
    pthread_mutex_unlock(&f->lock);
    return n;
}

/* The i-th informer or NULL past the end (informers are never removed before free). */
static rc_informer *informer_at(rc_informer_factory *f, size_t i)
{
    pthread_mutex_lock(&f->lock);
    rc_informer *inf = i < f->n ? f->entries[i].inf : NULL;
    pthread_mutex_unlock(&f->lock);
    return inf;
}

int rc_informer_factory_start(rc_informer_factory *f)
{
    if (!f)
        return RC_EINVAL;
    pthread_mutex_lock(&f->lock);
    f->started = true;
    int rc = 0;
    for (size_t i = 0; i < f->n; i++) {
        int r = rc_informer_start(f->entries[i].inf);
        if (r != 0 && rc == 0)
            rc = r;
    }
    pthread_mutex_unlock(&f->lock);
    return rc;
}

int rc_informer_factory_step(rc_informer_factory *f, size_t max)
{
    if (!f)
        return RC_EINVAL;
    int work = 0;
    rc_informer *inf;
    for (size_t i = 0; (inf = informer_at(f, i)) != NULL; i++) {
        int n = rc_informer_step(inf, max);
        if (n > 0)
            work += n;
    }
    return work;
}

rc_time rc_informer_factory_next_deadline(rc_informer_factory *f)
{
    rc_time t = RC_TIME_NEVER;
    rc_informer *inf;
    for (size_t i = 0; f && (inf = informer_at(f, i)) != NULL; i++) {
        rc_time d = rc_informer_next_deadline(inf);
        if (d < t)
            t = d;
    }
    return t;
}

static void *informer_main(void *arg)
{
    rc_informer_run(arg);
    return NULL;
}

int rc_informer_factory_run(rc_informer_factory *f)
{
    if (!f)
        return RC_EINVAL;
    rc_informer_factory_start(f);
    pthread_mutex_lock(&f->lock);
    while (!f->stopped) {
        for (size_t i = 0; i < f->n; i++) {
            entry *e = &f->entries[i];
            if (!e->has_thread && pthread_create(&e->thread, NULL, informer_main, e->inf) == 0)
                e->has_thread = true;
        }
        pthread_cond_wait(&f->cond, &f->lock);
    }
    pthread_mutex_unlock(&f->lock);
    for (size_t i = 0;; i++) {
        pthread_mutex_lock(&f->lock);
        bool more = i < f->n;
        entry e = more ? f->entries[i] : (entry){0};
        if (more)
            f->entries[i].has_thread = false;
        pthread_mutex_unlock(&f->lock);
        if (!more)
            break;
        if (e.has_thread)
            pthread_join(e.thread, NULL);
    }
    return 0;
}

void rc_informer_factory_stop(rc_informer_factory *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->lock);
    f->stopped = true;
    for (size_t i = 0; i < f->n; i++)
        rc_informer_stop(f->entries[i].inf);
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->lock);
}

int rc_informer_factory_wait_for_sync(rc_informer_factory *f, rc_duration timeout, rc_error *err)
{
    if (!f)
        return RC_EINVAL;
    rc_clock *real = rc_clock_real();
    rc_time deadline = timeout == RC_TIME_NEVER ? RC_TIME_NEVER : rc_clock_now(real) + timeout;
    rc_informer *inf;
    for (size_t i = 0; (inf = informer_at(f, i)) != NULL; i++) {
        rc_duration left = deadline == RC_TIME_NEVER ? RC_TIME_NEVER : deadline - rc_clock_now(real);
        int rc = rc_informer_wait_for_sync(inf, left < 0 ? 0 : left, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

void rc_informer_factory_free(rc_informer_factory *f)
{
    if (!f)
        return;
    rc_informer_factory_stop(f);
    for (size_t i = 0; i < f->n; i++) {
        rc_informer_free(f->entries[i].inf);
        free(f->entries[i].key);
    }
    free(f->entries);
    pthread_mutex_destroy(&f->lock);
    pthread_cond_destroy(&f->cond);
    free(f);
}
