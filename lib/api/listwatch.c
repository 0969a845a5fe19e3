/* listwatch.c - object lists and rc_watch, the event stream between a producer (API server, HTTP client)
 * and a consumer (reflector). A mutex-protected ring of events; blocking waits are optional (the
 * deterministic driver only polls with rc_watch_next). */
#include <reconcile/listwatch.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void rc_object_list_init(rc_object_list *l)
{
    memset(l, 0, sizeof *l);
    l->remaining_item_count = -1;
}

int rc_object_list_append(rc_object_list *l, rc_object *o)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        rc_object **items = realloc(l->items, cap * sizeof *items);
        if (!items)
            return RC_ENOMEM;
        l->items = items;
        l->cap = cap;
    }
    l->items[l->count++] = rc_object_ref(o);
    return 0;
}

void rc_object_list_clear(rc_object_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        rc_object_unref(l->items[i]);
    free(l->items);
    free(l->continue_token);
    rc_object_list_init(l);
}

const char *rc_watch_event_type_name(rc_watch_event_type t)
{
    static const char *const names[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"};
    return (unsigned)t < 5 ? names[t] : "UNKNOWN";
}

void rc_watch_event_clear(rc_watch_event *ev)
{
    rc_object_unref(ev->object);
    rc_error_clear(&ev->error);
    memset(ev, 0, sizeof *ev);
}

struct rc_watch {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    atomic_int refs;
    rc_watch_event *ring;
    size_t cap, head, count;
    bool finished;
    bool stopped;
    void (*on_stop)(void *ctx, rc_watch *w);
    void *on_stop_ctx;
    void (*on_event)(void *ctx);
    void *on_event_ctx;
};

rc_watch *rc_watch_new(void)
{
    rc_watch *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    atomic_init(&w->refs, 1);
    return w;
}

rc_watch *rc_watch_ref(rc_watch *w)
{
    if (w)
        atomic_fetch_add(&w->refs, 1);
    return w;
}

static void drop_queued(rc_watch *w)
{
    for (size_t i = 0; i < w->count; i++)
        rc_watch_event_clear(&w->ring[(w->head + i) % w->cap]);
    w->count = 0;
    w->head = 0;
}

void rc_watch_unref(rc_watch *w)
{
    if (!w || atomic_fetch_sub(&w->refs, 1) != 1)
        return;
    drop_queued(w);
    free(w->ring);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
}

static int push_locked(rc_watch *w, rc_watch_event *ev)
{
    if (w->count == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        rc_watch_event *ring = malloc(cap * sizeof *ring);
        if (!ring)
            return RC_ENOMEM;
        for (size_t i = 0; i < w->count; i++)
            ring[i] = w->ring[(w->head + i) % w->cap];
        free(w->ring);
        w->ring = ring;
        w->cap = cap;
        w->head = 0;
    }
    w->ring[(w->head + w->count) % w->cap] = *ev;
    w->count++;
    return 0;
}

static int push(rc_watch *w, rc_watch_event *ev)
{
    pthread_mutex_lock(&w->lock);
    int rc = (w->stopped || w->finished) ? RC_ECLOSED : push_locked(w, ev);
    void (*notify)(void *) = w->on_event;
    void *ctx = w->on_event_ctx;
    if (rc == 0)
        pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    if (rc == 0 && notify)
        notify(ctx);
    return rc;
}

int rc_watch_send(rc_watch *w, rc_watch_event_type type, rc_object *obj)
{
    rc_watch_event ev = {.type = type, .object = rc_object_ref(obj)};
    int rc = push(w, &ev);
    if (rc != 0)
        rc_object_unref(obj);
    return rc;
}

int rc_watch_send_error(rc_watch *w, const rc_error *err)
{
    rc_watch_event ev = {.type = RC_WATCH_ERROR};
    rc_error_set(&ev.error, err && err->code ? err->code : RC_EINTERNAL, "%s",
                 err && err->message ? err->message : "watch error");
    if (err && err->http_status)
        ev.error.http_status = err->http_status;
    if (err && err->reason[0])
        memcpy(ev.error.reason, err->reason, sizeof ev.error.reason);
    int rc = push(w, &ev);
    if (rc != 0)
        rc_error_clear(&ev.error);
    return rc;
}

void rc_watch_finish(rc_watch *w)
{
    pthread_mutex_lock(&w->lock);
    w->finished = true;
    void (*notify)(void *) = w->on_event;
    void *ctx = w->on_event_ctx;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    if (notify)
        notify(ctx);
}

bool rc_watch_stopped(rc_watch *w)
{
    pthread_mutex_lock(&w->lock);
    bool s = w->stopped;
    pthread_mutex_unlock(&w->lock);
    return s;
}

void rc_watch_on_stop(rc_watch *w, void (*fn)(void *ctx, rc_watch *w), void *ctx)
{
    pthread_mutex_lock(&w->lock);
    w->on_stop = fn;
    w->on_stop_ctx = ctx;
    pthread_mutex_unlock(&w->lock);
}

void rc_watch_on_event(rc_watch *w, void (*fn)(void *ctx), void *ctx)
{
    pthread_mutex_lock(&w->lock);
    w->on_event = fn;
    w->on_event_ctx = ctx;
    pthread_mutex_unlock(&w->lock);
}

int rc_watch_next(rc_watch *w, rc_watch_event *ev)
{
    pthread_mutex_lock(&w->lock);
    int rc;
    if (w->count > 0) {
        *ev = w->ring[w->head];
        w->head = (w->head + 1) % w->cap;
        w->count--;
        rc = 0;
    } else {
        rc = (w->finished || w->stopped) ? RC_ECLOSED : RC_EAGAIN;
    }
    pthread_mutex_unlock(&w->lock);
    return rc;
}

static bool ready_locked(const rc_watch *w) { return w->count > 0 || w->finished || w->stopped; }

bool rc_watch_wait(rc_watch *w, rc_duration timeout)
{
    if (timeout <= 0) {
        pthread_mutex_lock(&w->lock);
        bool ready = ready_locked(w);
        pthread_mutex_unlock(&w->lock);
        return ready;
    }
    struct timespec deadline;
    bool bounded = timeout != RC_TIME_NEVER;
    if (bounded) {
        clock_gettime(CLOCK_REALTIME, &deadline);
        int64_t ns = (int64_t)deadline.tv_nsec + timeout % RC_SEC;
        deadline.tv_sec += (time_t)(timeout / RC_SEC + ns / RC_SEC);
        deadline.tv_nsec = (long)(ns % RC_SEC);
    }
    pthread_mutex_lock(&w->lock);
    while (!ready_locked(w)) {
        if (!bounded)
            pthread_cond_wait(&w->cond, &w->lock);
        else if (pthread_cond_timedwait(&w->cond, &w->lock, &deadline) != 0)
            break;
    }
    bool ready = ready_locked(w);
    pthread_mutex_unlock(&w->lock);
    return ready;
}

size_t rc_watch_pending(rc_watch *w)
{
    pthread_mutex_lock(&w->lock);
    size_t n = w->count;
    pthread_mutex_unlock(&w->lock);
    return n;
}

void rc_watch_stop(rc_watch *w)
{
    pthread_mutex_lock(&w->lock);
    bool first = !w->stopped;
    w->stopped = true;
    drop_queued(w);
    void (*fn)(void *, rc_watch *) = first ? w->on_stop : NULL;
    void *ctx = w->on_stop_ctx;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    if (fn)
        fn(ctx, w);
}
