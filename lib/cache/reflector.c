/* reflector.c - rc_reflector as a small state machine driven by rc_reflector_step: LIST -> WATCH_OPEN ->
 * WATCHING (or INITIAL_EVENTS for watch-list), with backoff deadlines between failed attempts. Only the
 * stepping thread changes the phase; `lock` guards what other threads read (version, error, the current
 * watch, stop). rc_reflector_run is the blocking loop around step for the threaded driver. */
#include <reconcile/log.h>
#include <reconcile/reflector.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/backoff.h"
#include "cache/store_internal.h"

#define MIN_HEALTHY_WATCH RC_SEC
#define MAX_TRANSITIONS_PER_STEP 16

typedef enum phase { PH_LIST, PH_WATCH_OPEN, PH_WATCHING, PH_INITIAL_EVENTS } phase;

struct rc_reflector {
    pthread_mutex_t step_lock; /* one step at a time */
    pthread_mutex_t lock;      /* guards the fields marked (L) */
    pthread_cond_t cond;       /* run() sleeps on it between deadlines */
    rc_list_watch lw;
    rc_delta_fifo *fifo;
    rc_clock *clock;
    rc_reflector_options opts; /* strings point to the copies below */
    char *name, *label_selector, *field_selector;
    rci_backoff backoff;
    rc_rand rand;
    phase phase;
    rc_time wait_until;
    rc_time next_resync;
    rc_time watch_started;
    rc_time initial_deadline;
    size_t watch_events;
    int gone_in_a_row;
    bool rv_unavailable;     /* relist from the latest state after a 410 */
    rc_object_list initial;  /* watch-list: initial events until the end bookmark */
    rc_watch *watch;         /* (L) the open stream */
    bool listed;             /* (L) */
    bool watch_list_failed;  /* (L) */
    bool stopped;            /* (L) */
    char rv[64];             /* (L) */
    rc_error last_error;     /* (L) */
    void (*wake)(void *ctx); /* (L) */
    void *wake_ctx;
};

void rc_reflector_options_init(rc_reflector_options *o)
{
    memset(o, 0, sizeof *o);
    o->watch_list_timeout = 10 * RC_SEC;
    o->backoff_initial = 800 * RC_MSEC;
    o->backoff_cap = 30 * RC_SEC;
    o->backoff_reset = 2 * RC_MINUTE;
    o->backoff_jitter = 1.0;
    o->seed = 1;
}

static bool dup_opt(char **dst, const char *src)
{
    *dst = src ? strdup(src) : NULL;
    return !src || *dst;
}

rc_reflector *rc_reflector_new(rc_list_watch lw, rc_delta_fifo *fifo, rc_clock *clock,
                               const rc_reflector_options *opts)
{
    if (!lw.ops || !lw.ops->list || !lw.ops->watch || !fifo || !clock)
        return NULL;
    rc_reflector *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    pthread_mutex_init(&r->step_lock, NULL);
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->cond, NULL);
    rc_object_list_init(&r->initial);
    if (opts)
        r->opts = *opts;
    else
        rc_reflector_options_init(&r->opts);
    if (!dup_opt(&r->name, r->opts.name ? r->opts.name : "reflector") ||
        !dup_opt(&r->label_selector, r->opts.label_selector) ||
        !dup_opt(&r->field_selector, r->opts.field_selector)) {
        rc_reflector_free(r);
        return NULL;
    }
    r->opts.name = r->name;
    r->opts.label_selector = r->label_selector;
    r->opts.field_selector = r->field_selector;
    r->lw = lw;
    r->fifo = fifo;
    r->clock = clock;
    rci_backoff_init(&r->backoff, r->opts.backoff_initial, r->opts.backoff_cap, r->opts.backoff_reset,
                     r->opts.backoff_jitter, r->opts.seed);
    rc_rand_seed(&r->rand, r->opts.seed ^ 0x5eed);
    r->phase = PH_LIST;
    r->wait_until = INT64_MIN;
    return r;
}

static void end_watch(rc_reflector *r)
{
    pthread_mutex_lock(&r->lock);
    rc_watch *w = r->watch;
    r->watch = NULL;
    pthread_mutex_unlock(&r->lock);
    if (w) {
        rc_watch_stop(w);
        rc_watch_unref(w);
    }
}

void rc_reflector_free(rc_reflector *r)
{
    if (!r)
        return;
    end_watch(r);
    rc_object_list_clear(&r->initial);
    rc_error_clear(&r->last_error);
    pthread_mutex_destroy(&r->step_lock);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->cond);
    free(r->name);
    free(r->label_selector);
    free(r->field_selector);
    free(r);
}

static bool is_stopped(rc_reflector *r)
{
    pthread_mutex_lock(&r->lock);
    bool s = r->stopped;
    pthread_mutex_unlock(&r->lock);
    return s;
}

static void set_rv(rc_reflector *r, const char *rv)
{
    if (!rv || !*rv)
        return;
    pthread_mutex_lock(&r->lock);
    snprintf(r->rv, sizeof r->rv, "%s", rv);
    pthread_mutex_unlock(&r->lock);
}

static void set_healthy(rc_reflector *r)
{
    pthread_mutex_lock(&r->lock);
    rc_error_clear(&r->last_error);
    pthread_mutex_unlock(&r->lock);
}

static void error_copy(rc_error *dst, const rc_error *src)
{
    rc_error_set(dst, src->code ? src->code : RC_EINTERNAL, "%s", src->message ? src->message : "unknown error");
    if (src->http_status)
        dst->http_status = src->http_status;
    if (src->reason[0])
        memcpy(dst->reason, src->reason, sizeof dst->reason);
}

/* Records a failure and schedules the retry in `next` after a backoff (or at once when !backoff). */
static void fail(rc_reflector *r, rc_time now, const char *what, const rc_error *err, phase next, bool backoff)
{
    rc_duration delay = backoff ? rci_backoff_next(&r->backoff, now) : 0;
    pthread_mutex_lock(&r->lock);
    error_copy(&r->last_error, err);
    pthread_mutex_unlock(&r->lock);
    rc_log(RC_LOG_WARN, "reflector", r->name, "%s failed (%s): %s; %s in %lld ms", what,
           rc_error_reason(err->code), err->message ? err->message : "",
           next == PH_LIST ? "relisting" : "retrying", (long long)(delay / RC_MSEC));
    if (r->opts.on_error)
        r->opts.on_error(r->opts.on_error_ctx, err);
    r->wait_until = now + delay;
    r->phase = next;
}

static bool retriable(int code)
{
    return code == RC_EIO || code == RC_EUNAVAILABLE || code == RC_ETOOMANY || code == RC_ETIMEOUT;
}

/* After a failed or broken watch: 410 relists from the latest state (backing off only when it repeats
 * without progress), transient failures re-watch after a backoff, the rest relist after a backoff. */
static void watch_failed(rc_reflector *r, rc_time now, const char *what, const rc_error *err)
{
    if (err->code == RC_EGONE) {
        r->rv_unavailable = true;
        fail(r, now, what, err, PH_LIST, ++r->gone_in_a_row > 1);
    } else {
        fail(r, now, what, err, retriable(err->code) ? PH_WATCH_OPEN : PH_LIST, true);
    }
}

static rc_list_options base_options(const rc_reflector *r)
{
    return (rc_list_options){.label_selector = r->label_selector, .field_selector = r->field_selector};
}

static const char *relist_version(rc_reflector *r)
{
    if (r->rv_unavailable)
        return "";
    return r->rv[0] ? r->rv : "0";
}

/* Lists every page into *all. */
static int list_all(rc_reflector *r, rc_object_list *all, rc_error *err)
{
    rc_list_options o = base_options(r);
    o.resource_version = relist_version(r);
    o.limit = r->opts.page_size;
    char *cont = NULL;
    int rc = 0;
    do {
        rc_object_list page;
        rc_object_list_init(&page);
        o.continue_token = cont;
        rc = r->lw.ops->list(r->lw.ctx, &o, &page, err);
        free(cont);
        cont = NULL;
        if (rc == 0 && !rci_object_list_reserve(all, page.count))
            rc = rc_error_set(err, RC_ENOMEM, "out of memory collecting %zu listed items", page.count);
        if (rc == 0) {
            if (page.count)
                memcpy(all->items + all->count, page.items, page.count * sizeof *page.items);
            all->count += page.count;
            page.count = 0;
            memcpy(all->resource_version, page.resource_version, sizeof all->resource_version);
            cont = page.continue_token;
            page.continue_token = NULL;
            o.resource_version = NULL; /* the continue token carries the version */
        }
        rc_object_list_clear(&page);
    } while (rc == 0 && cont);
    return rc;
}

static void mark_listed(rc_reflector *r, rc_time now, const char *rv)
{
    set_rv(r, rv);
    pthread_mutex_lock(&r->lock);
    r->listed = true;
    pthread_mutex_unlock(&r->lock);
    set_healthy(r);
    r->rv_unavailable = false;
    if (r->opts.resync_period > 0)
        r->next_resync = now + r->opts.resync_period;
}

static bool watch_list_enabled(rc_reflector *r)
{
    pthread_mutex_lock(&r->lock);
    bool on = r->opts.use_watch_list && !r->watch_list_failed;
    pthread_mutex_unlock(&r->lock);
    return on;
}

/* Returns true when the installed stream is live (false: stopped meanwhile). */
static bool install_watch(rc_reflector *r, rc_watch *w, rc_time now)
{
    pthread_mutex_lock(&r->lock);
    bool live = !r->stopped;
    if (live) {
        r->watch = w;
        if (r->wake)
            rc_watch_on_event(w, r->wake, r->wake_ctx);
    }
    pthread_mutex_unlock(&r->lock);
    if (!live) {
        rc_watch_stop(w);
        rc_watch_unref(w);
    }
    r->watch_started = now;
    r->watch_events = 0;
    return live;
}

static int64_t watch_timeout(rc_reflector *r)
{
    if (r->opts.watch_timeout_seconds > 0)
        return r->opts.watch_timeout_seconds;
    return 300 + (int64_t)rc_rand_below(&r->rand, 300);
}

static bool open_initial_events(rc_reflector *r, rc_time now)
{
    rc_list_options o = base_options(r);
    o.resource_version = r->rv_unavailable ? "" : r->rv;
    o.resource_version_match = "NotOlderThan";
    o.send_initial_events = true;
    o.allow_bookmarks = true;
    o.timeout_seconds = watch_timeout(r);
    rc_watch *w = NULL;
    rc_error err = {0};
    int rc = r->lw.ops->watch(r->lw.ctx, &o, &w, &err);
    if (rc != 0) {
        rc_log(RC_LOG_WARN, "reflector", r->name, "watch-list not available (%s); falling back to list",
               err.message ? err.message : rc_strerror(rc));
        rc_error_clear(&err);
        pthread_mutex_lock(&r->lock);
        r->watch_list_failed = true;
        pthread_mutex_unlock(&r->lock);
        return true;
    }
    if (install_watch(r, w, now)) {
        r->phase = PH_INITIAL_EVENTS;
        r->initial_deadline = now + r->opts.watch_list_timeout;
    }
    return true;
}

static bool step_list(rc_reflector *r, rc_time now, int *handled)
{
    if (watch_list_enabled(r))
        return open_initial_events(r, now);
    rc_object_list all;
    rc_object_list_init(&all);
    rc_error err = {0};
    int rc = list_all(r, &all, &err);
    if (rc == 0) {
        rc = rc_delta_fifo_replace(r->fifo, all.items, all.count, all.resource_version);
        if (rc != 0)
            rc_error_set(&err, rc, "replacing the FIFO with %zu listed items failed", all.count);
    }
    if (rc == 0) {
        mark_listed(r, now, all.resource_version);
        *handled += (int)all.count;
        r->phase = PH_WATCH_OPEN;
    } else if (rc == RC_ECLOSED) {
        rc_reflector_stop(r);
    } else {
        if (rc == RC_EGONE)
            r->rv_unavailable = true;
        fail(r, now, "list", &err, PH_LIST, true);
    }
    rc_error_clear(&err);
    rc_object_list_clear(&all);
    return rc == 0;
}

static bool step_watch_open(rc_reflector *r, rc_time now)
{
    rc_list_options o = base_options(r);
    char rv[sizeof r->rv];
    rc_reflector_last_sync_resource_version(r, rv, sizeof rv);
    o.resource_version = rv;
    o.allow_bookmarks = true;
    o.timeout_seconds = watch_timeout(r);
    rc_watch *w = NULL;
    rc_error err = {0};
    int rc = r->lw.ops->watch(r->lw.ctx, &o, &w, &err);
    if (rc == 0 && install_watch(r, w, now))
        r->phase = PH_WATCHING;
    else if (rc != 0)
        watch_failed(r, now, "watch", &err);
    rc_error_clear(&err);
    return rc == 0;
}

/* Applies one watch event to the FIFO. */
static int apply_event(rc_reflector *r, const rc_watch_event *ev)
{
    switch (ev->type) {
    case RC_WATCH_ADDED:
        return rc_delta_fifo_add(r->fifo, ev->object);
    case RC_WATCH_MODIFIED:
        return rc_delta_fifo_update(r->fifo, ev->object);
    case RC_WATCH_DELETED:
        return rc_delta_fifo_delete(r->fifo, ev->object);
    default:
        return 0; /* a bookmark only moves the version */
    }
}

/* The stream ended without an ERROR event: re-watch from the last version, unless it was suspiciously
 * short and empty (then back off first, as upstream does). */
static void stream_ended(rc_reflector *r, rc_time now)
{
    end_watch(r);
    if (r->watch_events == 0 && now - r->watch_started < MIN_HEALTHY_WATCH) {
        rc_error err = {0};
        rc_error_set(&err, RC_EIO, "very short watch: the stream ended at once without events");
        fail(r, now, "watch", &err, PH_WATCH_OPEN, true);
        rc_error_clear(&err);
    } else {
        r->phase = PH_WATCH_OPEN;
    }
}

static bool step_drain(rc_reflector *r, rc_time now, int *handled)
{
    for (;;) {
        rc_watch_event ev;
        int rc = rc_watch_next(r->watch, &ev);
        if (rc == RC_EAGAIN)
            return false;
        if (rc != 0) {
            stream_ended(r, now);
            return true;
        }
        if (ev.type == RC_WATCH_ERROR) {
            end_watch(r);
            if (now - r->watch_started >= MIN_HEALTHY_WATCH)
                r->gone_in_a_row = 0;
            watch_failed(r, now, "watch stream", &ev.error);
            rc_watch_event_clear(&ev);
            return true;
        }
        rc = apply_event(r, &ev);
        if (rc == 0)
            set_rv(r, rc_object_resource_version(ev.object));
        rc_watch_event_clear(&ev);
        if (rc == RC_ECLOSED) {
            rc_reflector_stop(r);
            return false;
        }
        if (rc != 0)
            rc_log(RC_LOG_ERROR, "reflector", r->name, "queuing a watch event failed: %s", rc_strerror(rc));
        r->watch_events++;
        r->gone_in_a_row = 0;
        (*handled)++;
    }
}

static void give_up_watch_list(rc_reflector *r, const char *why)
{
    rc_log(RC_LOG_WARN, "reflector", r->name, "watch-list: %s; falling back to list", why);
    end_watch(r);
    rc_object_list_clear(&r->initial);
    pthread_mutex_lock(&r->lock);
    r->watch_list_failed = true;
    pthread_mutex_unlock(&r->lock);
    r->phase = PH_LIST;
}

static bool is_initial_events_end(const rc_watch_event *ev)
{
    const char *v = rc_object_annotation(ev->object, RC_INITIAL_EVENTS_END_ANNOTATION);
    return v && strcmp(v, "true") == 0;
}

/* The initial state is complete: replace the FIFO with it and go on watching the same stream. */
static bool finish_initial_events(rc_reflector *r, rc_time now, const char *rv, int *handled)
{
    int rc = rc_delta_fifo_replace(r->fifo, r->initial.items, r->initial.count, rv);
    if (rc != 0) {
        give_up_watch_list(r, "replacing the FIFO failed");
        return true;
    }
    mark_listed(r, now, rv);
    *handled += (int)r->initial.count;
    rc_object_list_clear(&r->initial);
    r->phase = PH_WATCHING;
    return true;
}

static bool step_initial(rc_reflector *r, rc_time now, int *handled)
{
    for (;;) {
        rc_watch_event ev;
        int rc = rc_watch_next(r->watch, &ev);
        if (rc == RC_EAGAIN) {
            if (now < r->initial_deadline)
                return false;
            give_up_watch_list(r, "timed out waiting for the initial-events-end bookmark");
            return true;
        }
        if (rc != 0) {
            give_up_watch_list(r, "stream ended before the initial-events-end bookmark");
            return true;
        }
        bool done = false, bad = false;
        if (ev.type == RC_WATCH_ADDED)
            bad = rc_object_list_append(&r->initial, ev.object) != 0;
        else if (ev.type == RC_WATCH_BOOKMARK)
            done = is_initial_events_end(&ev);
        else
            bad = true;
        if (done) {
            const char *bookmark_rv = rc_object_resource_version(ev.object);
            char rv[sizeof r->rv];
            snprintf(rv, sizeof rv, "%s", bookmark_rv ? bookmark_rv : "");
            rc_watch_event_clear(&ev);
            return finish_initial_events(r, now, rv, handled);
        }
        rc_watch_event_clear(&ev);
        if (bad) {
            give_up_watch_list(r, "unexpected event before the initial-events-end bookmark");
            return true;
        }
    }
}

static void maybe_resync(rc_reflector *r, rc_time now)
{
    if (r->opts.resync_period <= 0 || !rc_reflector_has_listed(r) || now < r->next_resync)
        return;
    r->next_resync = now + r->opts.resync_period;
    if (r->opts.should_resync && !r->opts.should_resync(r->opts.should_resync_ctx))
        return;
    int rc = rc_delta_fifo_resync(r->fifo);
    if (rc != 0 && rc != RC_ECLOSED)
        rc_log(RC_LOG_ERROR, "reflector", r->name, "resync failed: %s", rc_strerror(rc));
}

int rc_reflector_step(rc_reflector *r)
{
    if (!r)
        return RC_EINVAL;
    pthread_mutex_lock(&r->step_lock);
    int handled = 0;
    for (int i = 0; i < MAX_TRANSITIONS_PER_STEP && !is_stopped(r); i++) {
        rc_time now = rc_clock_now(r->clock);
        if (now < r->wait_until)
            break;
        bool again = false;
        switch (r->phase) {
        case PH_LIST:
            again = step_list(r, now, &handled);
            break;
        case PH_WATCH_OPEN:
            again = step_watch_open(r, now);
            break;
        case PH_WATCHING:
            again = step_drain(r, now, &handled);
            break;
        case PH_INITIAL_EVENTS:
            again = step_initial(r, now, &handled);
            break;
        }
        if (!again)
            break;
    }
    if (!is_stopped(r))
        maybe_resync(r, rc_clock_now(r->clock));
    bool stopped = is_stopped(r);
    pthread_mutex_unlock(&r->step_lock);
    return stopped ? RC_ECLOSED : handled;
}

static rc_time min_time(rc_time a, rc_time b) { return a < b ? a : b; }

rc_time rc_reflector_next_deadline(rc_reflector *r)
{
    if (!r)
        return RC_TIME_NEVER;
    pthread_mutex_lock(&r->step_lock);
    rc_time now = rc_clock_now(r->clock), t = RC_TIME_NEVER;
    pthread_mutex_lock(&r->lock);
    bool stopped = r->stopped, listed = r->listed;
    rc_watch *w = rc_watch_ref(r->watch);
    pthread_mutex_unlock(&r->lock);
    if (!stopped) {
        if (r->phase == PH_WATCHING || r->phase == PH_INITIAL_EVENTS) {
            if (w && rc_watch_wait(w, 0))
                t = now;
            if (r->phase == PH_INITIAL_EVENTS)
                t = min_time(t, r->initial_deadline);
        } else {
            t = r->wait_until < now ? now : r->wait_until;
        }
        if (r->opts.resync_period > 0 && listed)
            t = min_time(t, r->next_resync);
    }
    pthread_mutex_unlock(&r->step_lock);
    rc_watch_unref(w);
    return t;
}

void rc_reflector_set_wakeup(rc_reflector *r, void (*fn)(void *ctx), void *ctx)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->wake = fn;
    r->wake_ctx = ctx;
    if (r->watch)
        rc_watch_on_event(r->watch, fn, ctx);
    pthread_mutex_unlock(&r->lock);
}

int rc_reflector_run(rc_reflector *r)
{
    if (!r)
        return RC_EINVAL;
    while (rc_reflector_step(r) != RC_ECLOSED) {
        rc_time deadline = rc_reflector_next_deadline(r);
        if (deadline <= rc_clock_now(r->clock))
            continue;
        pthread_mutex_lock(&r->lock);
        rc_watch *w = rc_watch_ref(r->watch);
        if (!w && !r->stopped) {
            struct timespec ts;
            if (rc_clock_abs_timeout(r->clock, deadline, &ts))
                pthread_cond_timedwait(&r->cond, &r->lock, &ts);
            else
                pthread_cond_wait(&r->cond, &r->lock);
        }
        pthread_mutex_unlock(&r->lock);
        if (w) {
            rc_watch_wait(w, rc_clock_real_delay(r->clock, deadline));
            rc_watch_unref(w);
        }
    }
    return 0;
}

void rc_reflector_stop(rc_reflector *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->stopped = true;
    rc_watch *w = rc_watch_ref(r->watch);
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
    if (w) {
        rc_watch_stop(w);
        rc_watch_unref(w);
    }
}

void rc_reflector_last_sync_resource_version(rc_reflector *r, char *buf, size_t cap)
{
    if (!buf || !cap)
        return;
    if (!r) {
        buf[0] = '\0';
        return;
    }
    pthread_mutex_lock(&r->lock);
    snprintf(buf, cap, "%s", r->rv);
    pthread_mutex_unlock(&r->lock);
}

int rc_reflector_last_error(rc_reflector *r, rc_error *err)
{
    if (!r)
        return RC_EINVAL;
    pthread_mutex_lock(&r->lock);
    int code = r->last_error.code;
    if (err && code)
        error_copy(err, &r->last_error);
    pthread_mutex_unlock(&r->lock);
    return code;
}

bool rc_reflector_has_listed(rc_reflector *r)
{
    if (!r)
        return false;
    pthread_mutex_lock(&r->lock);
    bool listed = r->listed;
    pthread_mutex_unlock(&r->lock);
    return listed;
}

bool rc_reflector_watch_list_fell_back(rc_reflector *r)
{
    if (!r)
        return false;
    pthread_mutex_lock(&r->lock);
    bool failed = r->watch_list_failed;
    pthread_mutex_unlock(&r->lock);
    return failed;
}
