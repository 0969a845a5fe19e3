/* fake_listwatch.c - the in-memory list-watch source of the test suites (see fake_listwatch.h). Objects
 * and history are small arrays searched linearly: tests hold a few hundred objects at most. */
#include "support/fake_listwatch.h"

#include <reconcile/reflector.h>
#include <reconcile/selector.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct history_event {
    rc_watch_event_type type;
    rc_object *obj;
    uint64_t rv;
} history_event;

typedef struct watcher {
    rc_watch *w;
    rc_selector *sel;
    bool bookmarks;
} watcher;

struct fake_lw {
    pthread_mutex_t lock;
    rc_object **objs;
    size_t nobjs, objs_cap;
    history_event *hist;
    size_t nhist, hist_cap;
    uint64_t rv, compacted;
    watcher *watchers;
    size_t nwatchers, watchers_cap;
    int fail_code[2], fail_times[2], calls[2];
    char last_version[2][32];
    int64_t last_limit;
    fake_lw_watch_list wl_mode;
};

#define GROW(arr, n, cap)                                                                                  \
    do {                                                                                                   \
        if ((n) == (cap)) {                                                                                \
            (cap) = (cap) ? (cap) * 2 : 16;                                                                \
            (arr) = realloc((arr), (cap) * sizeof *(arr));                                                 \
        }                                                                                                  \
    } while (0)

fake_lw *fake_lw_new(void)
{
    fake_lw *f = calloc(1, sizeof *f);
    pthread_mutex_init(&f->lock, NULL);
    return f;
}

static void drop_watcher(fake_lw *f, size_t i)
{
    rc_watch_finish(f->watchers[i].w);
    rc_watch_unref(f->watchers[i].w);
    rc_selector_free(f->watchers[i].sel);
    f->watchers[i] = f->watchers[--f->nwatchers];
}

void fake_lw_free(fake_lw *f)
{
    while (f->nwatchers)
        drop_watcher(f, 0);
    for (size_t i = 0; i < f->nobjs; i++)
        rc_object_unref(f->objs[i]);
    for (size_t i = 0; i < f->nhist; i++)
        rc_object_unref(f->hist[i].obj);
    free(f->objs);
    free(f->hist);
    free(f->watchers);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

static ssize_t find(fake_lw *f, const char *key)
{
    for (size_t i = 0; i < f->nobjs; i++)
        if (strcmp(rc_object_key(f->objs[i]), key) == 0)
            return (ssize_t)i;
    return -1;
}

static bool selected(const rc_selector *sel, const rc_object *o)
{
    return !sel || rc_selector_matches_object(sel, o);
}

/* Sends to every live watcher; drops the ones whose consumer stopped. Caller holds lock. */
static void broadcast(fake_lw *f, rc_watch_event_type type, rc_object *o)
{
    for (size_t i = 0; i < f->nwatchers;) {
        watcher *w = &f->watchers[i];
        bool wants = type == RC_WATCH_BOOKMARK ? w->bookmarks : selected(w->sel, o);
        if (wants && rc_watch_send(w->w, type, o) == RC_ECLOSED) {
            drop_watcher(f, i);
            continue;
        }
        i++;
    }
}

static void record(fake_lw *f, rc_watch_event_type type, rc_object *o, bool tell)
{
    GROW(f->hist, f->nhist, f->hist_cap);
    f->hist[f->nhist++] = (history_event){type, rc_object_ref(o), f->rv};
    if (tell)
        broadcast(f, type, o);
}

/* Stores o (a draft; frozen here) at the next version. Caller holds lock. */
static uint64_t store_locked(fake_lw *f, rc_object *draft)
{
    char rv[32];
    snprintf(rv, sizeof rv, "%" PRIu64, ++f->rv);
    rc_object_set_resource_version(draft, rv);
    rc_object *o = rc_object_freeze(draft);
    ssize_t i = find(f, rc_object_key(o));
    rc_watch_event_type type = i < 0 ? RC_WATCH_ADDED : RC_WATCH_MODIFIED;
    if (i < 0) {
        GROW(f->objs, f->nobjs, f->objs_cap);
        f->objs[f->nobjs++] = o;
    } else {
        rc_object_unref(f->objs[i]);
        f->objs[i] = o;
    }
    record(f, type, o, true);
    return f->rv;
}

uint64_t fake_lw_put_json(fake_lw *f, const char *json)
{
    rc_object *parsed = rc_object_from_json(json, strlen(json), NULL);
    if (!parsed)
        return 0;
    rc_object *draft = rc_object_copy(parsed);
    rc_object_unref(parsed);
    pthread_mutex_lock(&f->lock);
    uint64_t rv = store_locked(f, draft);
    pthread_mutex_unlock(&f->lock);
    return rv;
}

uint64_t fake_lw_put(fake_lw *f, const char *ns, const char *name, const char *app)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"%s\",\"name\":\"%s\","
             "\"labels\":{\"app\":\"%s\"}},\"spec\":{\"generation\":%" PRIu64 "}}",
             ns, name, app ? app : "none", fake_lw_version(f) + 1);
    return fake_lw_put_json(f, json);
}

static uint64_t remove_obj(fake_lw *f, const char *ns, const char *name, bool tell)
{
    char key[256];
    rc_key_format(key, sizeof key, ns, name);
    pthread_mutex_lock(&f->lock);
    ssize_t i = find(f, key);
    uint64_t rv = 0;
    if (i >= 0) {
        rc_object *draft = rc_object_copy(f->objs[i]);
        char rvs[32];
        snprintf(rvs, sizeof rvs, "%" PRIu64, rv = ++f->rv);
        rc_object_set_resource_version(draft, rvs);
        rc_object *gone = rc_object_freeze(draft);
        rc_object_unref(f->objs[i]);
        f->objs[i] = f->objs[--f->nobjs];
        record(f, RC_WATCH_DELETED, gone, tell);
        rc_object_unref(gone);
    }
    pthread_mutex_unlock(&f->lock);
    return rv;
}

uint64_t fake_lw_remove(fake_lw *f, const char *ns, const char *name) { return remove_obj(f, ns, name, true); }

uint64_t fake_lw_remove_silently(fake_lw *f, const char *ns, const char *name)
{
    return remove_obj(f, ns, name, false);
}

uint64_t fake_lw_version(fake_lw *f)
{
    pthread_mutex_lock(&f->lock);
    uint64_t rv = f->rv;
    pthread_mutex_unlock(&f->lock);
    return rv;
}

void fake_lw_compact(fake_lw *f)
{
    pthread_mutex_lock(&f->lock);
    for (size_t i = 0; i < f->nhist; i++)
        rc_object_unref(f->hist[i].obj);
    f->nhist = 0;
    f->compacted = f->rv;
    pthread_mutex_unlock(&f->lock);
}

static rc_object *bookmark(uint64_t rv, bool initial_end)
{
    char json[256];
    snprintf(json, sizeof json,
             "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"%" PRIu64 "\"%s}}", rv,
             initial_end ? ",\"annotations\":{\"" RC_INITIAL_EVENTS_END_ANNOTATION "\":\"true\"}" : "");
    return rc_object_from_json(json, strlen(json), NULL);
}

void fake_lw_bookmark(fake_lw *f)
{
    pthread_mutex_lock(&f->lock);
    rc_object *b = bookmark(f->rv, false);
    broadcast(f, RC_WATCH_BOOKMARK, b);
    rc_object_unref(b);
    pthread_mutex_unlock(&f->lock);
}

void fake_lw_end_watches(fake_lw *f)
{
    pthread_mutex_lock(&f->lock);
    while (f->nwatchers)
        drop_watcher(f, 0);
    pthread_mutex_unlock(&f->lock);
}

void fake_lw_error_watches(fake_lw *f, int code)
{
    pthread_mutex_lock(&f->lock);
    rc_error err = {0};
    rc_error_set(&err, code, "injected watch error");
    for (size_t i = 0; i < f->nwatchers; i++)
        rc_watch_send_error(f->watchers[i].w, &err);
    rc_error_clear(&err);
    while (f->nwatchers)
        drop_watcher(f, 0);
    pthread_mutex_unlock(&f->lock);
}

void fake_lw_fail_next(fake_lw *f, fake_lw_op op, int code, int times)
{
    pthread_mutex_lock(&f->lock);
    f->fail_code[op] = code;
    f->fail_times[op] = times;
    pthread_mutex_unlock(&f->lock);
}

void fake_lw_set_watch_list(fake_lw *f, fake_lw_watch_list mode)
{
    pthread_mutex_lock(&f->lock);
    f->wl_mode = mode;
    pthread_mutex_unlock(&f->lock);
}

int fake_lw_calls(fake_lw *f, fake_lw_op op)
{
    pthread_mutex_lock(&f->lock);
    int n = f->calls[op];
    pthread_mutex_unlock(&f->lock);
    return n;
}

const char *fake_lw_last_version(fake_lw *f, fake_lw_op op) { return f->last_version[op]; }
int64_t fake_lw_last_limit(fake_lw *f) { return f->last_limit; }

size_t fake_lw_open_watches(fake_lw *f)
{
    pthread_mutex_lock(&f->lock);
    size_t n = 0;
    for (size_t i = 0; i < f->nwatchers; i++)
        n += !rc_watch_stopped(f->watchers[i].w);
    pthread_mutex_unlock(&f->lock);
    return n;
}

/* Counts the call and applies a scripted failure. Caller holds lock. */
static int begin_call(fake_lw *f, fake_lw_op op, const rc_list_options *o, rc_error *err)
{
    f->calls[op]++;
    snprintf(f->last_version[op], sizeof f->last_version[op], "%s",
             o->resource_version ? o->resource_version : "");
    if (f->fail_times[op] > 0) {
        f->fail_times[op]--;
        return rc_error_set(err, f->fail_code[op], "injected %s failure", op == FAKE_LIST ? "list" : "watch");
    }
    return 0;
}

static int parse_selector(const rc_list_options *o, rc_selector **sel, rc_error *err)
{
    *sel = NULL;
    if (!o->label_selector || !*o->label_selector)
        return 0;
    *sel = rc_selector_parse(o->label_selector, err);
    return *sel ? 0 : RC_EBADREQUEST;
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(rc_object_key(*(rc_object *const *)a), rc_object_key(*(rc_object *const *)b));
}

static int fake_list(void *ctx, const rc_list_options *o, rc_object_list *out, rc_error *err)
{
    fake_lw *f = ctx;
    rc_selector *sel;
    pthread_mutex_lock(&f->lock);
    f->last_limit = o->limit;
    int rc = begin_call(f, FAKE_LIST, o, err);
    if (rc == 0)
        rc = parse_selector(o, &sel, err);
    if (rc != 0) {
        pthread_mutex_unlock(&f->lock);
        return rc;
    }
    if (f->nobjs)
        qsort(f->objs, f->nobjs, sizeof *f->objs, cmp_key);
    size_t start = o->continue_token ? strtoul(o->continue_token, NULL, 10) : 0, i = start;
    for (; i < f->nobjs && (o->limit <= 0 || out->count < (size_t)o->limit); i++)
        if (selected(sel, f->objs[i]))
            rc_object_list_append(out, f->objs[i]);
    if (i < f->nobjs && o->limit > 0) {
        char tok[32];
        snprintf(tok, sizeof tok, "%zu", i);
        out->continue_token = strdup(tok);
    }
    snprintf(out->resource_version, sizeof out->resource_version, "%" PRIu64, f->rv);
    pthread_mutex_unlock(&f->lock);
    rc_selector_free(sel);
    return 0;
}

static void send_initial_state(fake_lw *f, rc_watch *w, const rc_selector *sel)
{
    for (size_t i = 0; i < f->nobjs; i++)
        if (selected(sel, f->objs[i]))
            rc_watch_send(w, RC_WATCH_ADDED, f->objs[i]);
    rc_object *end = bookmark(f->rv, true);
    rc_watch_send(w, RC_WATCH_BOOKMARK, end);
    rc_object_unref(end);
}

static int fake_watch(void *ctx, const rc_list_options *o, rc_watch **out, rc_error *err)
{
    fake_lw *f = ctx;
    rc_selector *sel;
    pthread_mutex_lock(&f->lock);
    int rc = begin_call(f, FAKE_WATCH, o, err);
    if (rc == 0 && o->send_initial_events && f->wl_mode == FAKE_WATCH_LIST_REJECTED)
        rc = rc_error_set(err, RC_EBADREQUEST, "sendInitialEvents is not supported");
    if (rc == 0)
        rc = parse_selector(o, &sel, err);
    if (rc != 0) {
        pthread_mutex_unlock(&f->lock);
        return rc;
    }
    rc_watch *w = rc_watch_new();
    uint64_t from = o->resource_version && *o->resource_version ? strtoull(o->resource_version, NULL, 10) : f->rv;
    if (o->send_initial_events && f->wl_mode == FAKE_WATCH_LIST_SUPPORTED) {
        send_initial_state(f, w, sel);
    } else if (from < f->compacted) {
        rc_error gone = {0};
        rc_error_set(&gone, RC_EGONE, "too old resource version: %" PRIu64 " (%" PRIu64 ")", from, f->compacted);
        rc_watch_send_error(w, &gone);
        rc_error_clear(&gone);
        rc_watch_finish(w);
    } else {
        for (size_t i = 0; i < f->nhist; i++)
            if (f->hist[i].rv > from && selected(sel, f->hist[i].obj))
                rc_watch_send(w, f->hist[i].type, f->hist[i].obj);
    }
    GROW(f->watchers, f->nwatchers, f->watchers_cap);
    f->watchers[f->nwatchers++] = (watcher){rc_watch_ref(w), sel, o->allow_bookmarks};
    pthread_mutex_unlock(&f->lock);
    *out = w;
    return 0;
}

static const rc_list_watch_ops fake_ops = {fake_list, fake_watch, NULL};

rc_list_watch fake_lw_source(fake_lw *f) { return (rc_list_watch){&fake_ops, f}; }
