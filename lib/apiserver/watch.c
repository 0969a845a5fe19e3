/* watch.c - watch streams: starting one (initial state as ADDED events for resourceVersion ""/"0" or
 * sendInitialEvents, replay from the history ring otherwise, 410 Expired when the version is older than the
 * window, 504 "Too large resource version" at once when it is newer than the newest), fanning committed changes out to watchers (one shared frozen object per event, never copied per
 * watcher), selector transitions (an object that stops matching arrives as DELETED, one that starts
 * matching as ADDED), BOOKMARK events, timeouts and the drop-every-N fault. All *_locked under srv->lock. */
#include "apiserver/internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INITIAL_EVENTS_END "k8s.io/initial-events-end"

static bool matches(const rci_watcher *w, const rc_object *o)
{
    return (!w->labels || rc_selector_matches_object(w->labels, o)) &&
           (!w->fields || rc_field_selector_matches(w->fields, o));
}

/* prev as it is reported when it stops matching: stamped with the event's resourceVersion */
static rc_object *stamped(const rc_object *prev, uint64_t rv)
{
    rc_object *o = rc_object_copy(prev);
    if (!o)
        return NULL;
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRIu64, rv);
    rc_object_set_resource_version(o, buf);
    return rc_object_freeze(o);
}

static void end_watcher(rc_apiserver *srv, rci_watcher *w)
{
    w->done = true;
    srv->sweep_needed = true;
}

/* Sends ev to w if w has not seen it and it passes w's filters; returns 1 when an event was sent. */
static size_t deliver(rc_apiserver *srv, rci_watcher *w, const rci_event *ev, rc_object **prev_at_rv)
{
    if (w->done || ev->rv <= w->last_rv)
        return 0;
    w->last_rv = ev->rv;
    if (w->ns && strcmp(rc_object_namespace(ev->obj), w->ns))
        return 0;
    rc_watch_event_type type = ev->type;
    rc_object *obj = ev->obj;
    if (w->labels || w->fields) {
        bool now = matches(w, ev->obj);
        if (ev->type == RC_WATCH_MODIFIED) {
            bool before = matches(w, ev->prev);
            if (!now && !before)
                return 0;
            if (now && !before) {
                type = RC_WATCH_ADDED;
            } else if (!now) {
                if (!*prev_at_rv)
                    *prev_at_rv = stamped(ev->prev, ev->rv);
                type = RC_WATCH_DELETED;
                obj = *prev_at_rv ? *prev_at_rv : ev->obj;
            }
        } else if (!now) {
            return 0;
        }
    }
    if (rc_watch_send(w->w, type, obj) != 0) {
        end_watcher(srv, w);
        return 0;
    }
    w->sent++;
    if (srv->drop_every && w->sent >= srv->drop_every)
        end_watcher(srv, w);
    return 1;
}

static void free_watcher(rci_watcher *w)
{
    rc_selector_free(w->labels);
    rc_field_selector_free(w->fields);
    free(w->ns);
    rc_watch_unref(w->w);
    free(w);
}

/* Detaches and finishes a watcher the server ends (the consumer drains, then re-watches). */
static void finish_watcher(rci_watcher *w)
{
    rc_watch_on_stop(w->w, NULL, NULL);
    rc_watch_finish(w->w);
    free_watcher(w);
}

static void sweep_locked(rc_apiserver *srv)
{
    if (!srv->sweep_needed)
        return;
    srv->sweep_needed = false;
    size_t it = 0;
    const rci_map_entry *e;
    while (rci_map_next(&srv->resources, &it, &e)) {
        rci_resource *res = e->value;
        size_t keep = 0;
        for (size_t i = 0; i < res->nwatchers; i++) {
            if (res->watchers[i]->done)
                finish_watcher(res->watchers[i]);
            else
                res->watchers[keep++] = res->watchers[i];
        }
        res->nwatchers = keep;
    }
}

void rci_pending_clear(rci_pending *p)
{
    rc_object_unref(p->ev.obj);
    rc_object_unref(p->ev.prev);
    rc_object_unref(p->prev_at_rv);
}

size_t rci_watch_dispatch_locked(rc_apiserver *srv)
{
    size_t sent = 0;
    for (size_t i = 0; i < srv->npending; i++) {
        rci_pending *p = &srv->pending[i];
        rci_resource *res = p->res;
        for (size_t j = 0; j < res->nwatchers; j++)
            sent += deliver(srv, res->watchers[j], &p->ev, &p->prev_at_rv);
        rci_pending_clear(p);
    }
    srv->npending = 0;
    sweep_locked(srv);
    return sent;
}

static rc_object *bookmark(const rc_resource_info *ri, uint64_t rv, bool initial_end)
{
    char av[128], rvs[24];
    snprintf(rvs, sizeof rvs, "%" PRIu64, rv);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "apiVersion", rc_resource_api_version(ri, av, sizeof av));
    cJSON_AddStringToObject(root, "kind", ri->kind);
    cJSON *meta = cJSON_AddObjectToObject(root, "metadata");
    cJSON_AddStringToObject(meta, "resourceVersion", rvs);
    if (initial_end)
        cJSON_AddStringToObject(cJSON_AddObjectToObject(meta, "annotations"), INITIAL_EVENTS_END, "true");
    rc_object *o = rc_object_from_cjson(root, NULL);
    cJSON_Delete(root);
    return o;
}

size_t rci_watch_step_locked(rc_apiserver *srv, rc_time now)
{
    size_t n = 0;
    size_t it = 0;
    const rci_map_entry *e;
    while (rci_map_next(&srv->resources, &it, &e)) {
        rci_resource *res = e->value;
        rc_object *bm = NULL;
        for (size_t i = 0; i < res->nwatchers; i++) {
            rci_watcher *w = res->watchers[i];
            if (w->deadline <= now) {
                end_watcher(srv, w);
                n++;
            } else if (w->next_bookmark <= now) {
                if (!bm)
                    bm = bookmark(res->ri, srv->rv, false);
                if (bm && rc_watch_send(w->w, RC_WATCH_BOOKMARK, bm) != 0)
                    end_watcher(srv, w);
                w->next_bookmark = now + srv->opts.bookmark_interval;
                n++;
            }
        }
        rc_object_unref(bm);
    }
    sweep_locked(srv);
    return n;
}

rc_time rci_watch_next_locked(rc_apiserver *srv)
{
    rc_time t = RC_TIME_NEVER;
    size_t it = 0;
    const rci_map_entry *e;
    while (rci_map_next(&srv->resources, &it, &e)) {
        rci_resource *res = e->value;
        for (size_t i = 0; i < res->nwatchers; i++) {
            rci_watcher *w = res->watchers[i];
            if (w->deadline < t)
                t = w->deadline;
            if (w->next_bookmark < t)
                t = w->next_bookmark;
        }
    }
    return t;
}

void rci_watch_close_all_locked(rc_apiserver *srv, rci_resource *only)
{
    size_t it = 0;
    const rci_map_entry *e;
    while (rci_map_next(&srv->resources, &it, &e)) {
        rci_resource *res = e->value;
        if (only && res != only)
            continue;
        for (size_t i = 0; i < res->nwatchers; i++)
            finish_watcher(res->watchers[i]);
        res->nwatchers = 0;
    }
}

/* The consumer stopped its stream: forget the watcher (if the server has not ended it already). */
static void on_consumer_stop(void *ctx, rc_watch *stream)
{
    rc_apiserver *srv = ctx;
    pthread_mutex_lock(&srv->lock);
    size_t it = 0;
    const rci_map_entry *e;
    while (rci_map_next(&srv->resources, &it, &e)) {
        rci_resource *res = e->value;
        for (size_t i = 0; i < res->nwatchers; i++) {
            if (res->watchers[i]->w == stream) {
                free_watcher(res->watchers[i]);
                res->watchers[i] = res->watchers[--res->nwatchers];
                pthread_mutex_unlock(&srv->lock);
                return;
            }
        }
    }
    pthread_mutex_unlock(&srv->lock);
}

/* ---- starting a watch ---- */

static int check_options(const rc_list_options *o, bool *initial, uint64_t *from, rc_error *err)
{
    const char *rv = o->resource_version;
    if (o->send_initial_events) {
        if (!o->allow_bookmarks)
            return rc_error_set(err, RC_EINVAL, "allowWatchBookmarks: Forbidden: sendInitialEvents requires "
                                                "setting allowWatchBookmarks to true");
        if (!o->resource_version_match || strcmp(o->resource_version_match, "NotOlderThan"))
            return rc_error_set(err, RC_EINVAL, "resourceVersionMatch: Forbidden: sendInitialEvents requires "
                                                "setting resourceVersionMatch to NotOlderThan");
    } else if (o->resource_version_match && o->resource_version_match[0]) {
        return rc_error_set(err, RC_EINVAL, "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden "
                                            "for watch unless sendInitialEvents is provided");
    }
    *initial = o->send_initial_events || !rv || !rv[0] || !strcmp(rv, "0");
    *from = 0;
    if (rv && rv[0]) {
        char *end;
        unsigned long long v = strtoull(rv, &end, 10);
        if (*end || rv[0] == '-')
            return rc_error_set(err, RC_EBADREQUEST, "invalid resource version \"%s\"", rv);
        *from = v;
    }
    return 0;
}

static rci_watcher *new_watcher(rci_req *req, const rc_list_options *o, rc_error *err)
{
    rci_watcher *w = calloc(1, sizeof *w);
    if (!w) {
        rc_error_set(err, RC_ENOMEM, "out of memory");
        return NULL;
    }
    w->deadline = RC_TIME_NEVER;
    w->next_bookmark = RC_TIME_NEVER;
    if (o->label_selector && o->label_selector[0] && !(w->labels = rc_selector_parse(o->label_selector, err)))
        goto fail;
    if (o->field_selector && o->field_selector[0] &&
        !(w->fields = rci_field_selector_parse(req->ri, o->field_selector, err)))
        goto fail;
    if (req->ns[0] && !(w->ns = strdup(req->ns)))
        goto fail;
    if (!(w->w = rc_watch_new()))
        goto fail;
    rc_time now = rc_clock_now(req->srv->clock);
    if (o->timeout_seconds > 0)
        w->deadline = now + o->timeout_seconds * RC_SEC;
    w->bookmarks = o->allow_bookmarks;
    if (w->bookmarks)
        w->next_bookmark = now + req->srv->opts.bookmark_interval;
    return w;
fail:
    if (err && !err->code)
        rc_error_set(err, RC_ENOMEM, "out of memory");
    w->w = NULL;
    free_watcher(w);
    return NULL;
}

static void send_initial_state_locked(rci_req *req, rci_watcher *w)
{
    size_t n;
    rci_entry **sorted = rci_store_sorted_locked(req->res, &n);
    size_t i = 0;
    char prefix[300] = "";
    size_t plen = 0;
    if (w->ns) {
        snprintf(prefix, sizeof prefix, "%s/", w->ns);
        plen = strlen(prefix);
        i = rci_store_lower_bound(sorted, n, prefix);
    }
    for (; i < n && (!plen || !strncmp(sorted[i]->key, prefix, plen)); i++)
        if (matches(w, sorted[i]->obj) && rc_watch_send(w->w, RC_WATCH_ADDED, sorted[i]->obj) == 0)
            w->sent++;
}

typedef struct replay_ctx {
    rc_apiserver *srv;
    rci_watcher *w;
} replay_ctx;

static void replay_one(void *ctx, const rci_event *ev)
{
    replay_ctx *r = ctx;
    rc_object *prev_at_rv = NULL;
    deliver(r->srv, r->w, ev, &prev_at_rv);
    rc_object_unref(prev_at_rv);
}

static int register_locked(rci_resource *res, rci_watcher *w)
{
    if (res->nwatchers == res->watchers_cap) {
        size_t cap = res->watchers_cap ? res->watchers_cap * 2 : 8;
        rci_watcher **ws = realloc(res->watchers, cap * sizeof *ws);
        if (!ws)
            return RC_ENOMEM;
        res->watchers = ws;
        res->watchers_cap = cap;
    }
    res->watchers[res->nwatchers++] = w;
    return 0;
}

int rci_watch(rci_req *req, const rc_list_options *opts, rc_watch **out, rc_error *err)
{
    static const rc_list_options none;
    const rc_list_options *o = opts ? opts : &none;
    bool initial = false;
    uint64_t from = 0;
    int rc = check_options(o, &initial, &from, err);
    if (rc != 0)
        return rc;
    rci_watcher *w = new_watcher(req, o, err);
    if (!w)
        return err && err->code ? err->code : RC_ENOMEM;
    rc_apiserver *srv = req->srv;
    pthread_mutex_lock(&srv->lock);
    w->res = req->res;
    if (!initial && from > srv->rv) {
        /* upstream's watch cache waits up to 3 s for the version, then answers this; we answer at once */
        rc = rc_error_set(err, RC_ETIMEOUT, "Too large resource version: %" PRIu64 ", current: %" PRIu64, from,
                          srv->rv);
        pthread_mutex_unlock(&srv->lock);
        free_watcher(w);
        return rc;
    }
    if (!initial && from < req->res->compacted_rv) {
        rc_error gone = {0};
        rc_error_set(&gone, RC_EGONE, "too old resource version: %" PRIu64 " (%" PRIu64 ")", from,
                     req->res->compacted_rv + 1);
        rc_watch_send_error(w->w, &gone);
        rc_error_clear(&gone);
        rc_watch_finish(w->w);
        *out = rc_watch_ref(w->w);
        free_watcher(w);
        pthread_mutex_unlock(&srv->lock);
        return 0;
    }
    if (initial) {
        send_initial_state_locked(req, w);
        w->last_rv = srv->rv;
        if (o->send_initial_events) {
            rc_object *bm = bookmark(req->ri, srv->rv, true);
            if (bm)
                rc_watch_send(w->w, RC_WATCH_BOOKMARK, bm);
            rc_object_unref(bm);
        }
    } else {
        w->last_rv = from;
        replay_ctx r = {srv, w};
        rci_store_history_since_locked(req->res, from, replay_one, &r);
    }
    if (srv->drop_every && w->sent >= srv->drop_every)
        w->done = true;
    rc = w->done ? 0 : register_locked(req->res, w);
    if (rc == 0) {
        *out = rc_watch_ref(w->w);
        if (w->done)
            finish_watcher(w);
        else
            rc_watch_on_stop(w->w, on_consumer_stop, srv);
    } else {
        free_watcher(w);
        rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    pthread_mutex_unlock(&srv->lock);
    return rc;
}
