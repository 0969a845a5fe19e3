/* http_watch.c - watch responses of rc_http_server: drains an rc_watch from the API server into a chunked
 * HTTP body, one {"type":...,"object":...} JSON line per event (objects as one-row Tables when the client
 * asked for Tables; ERROR events carry a Status, e.g. 410 Expired). Each read hands libmicrohttpd every
 * line that is ready (objects' JSON comes from the server's shared cache, so an event fanned out to many
 * watchers is encoded once) and never blocks: with nothing ready the connection is suspended, and the
 * stream's event callback resumes it. The stream never ends on the server's own initiative except for
 * timeoutSeconds (the API server finishes the rc_watch), server stop, or the client leaving, which is
 * noticed when the server pokes idle streams. */
#include "apiserver/http_internal.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>

struct rci_http_watch {
    rci_http_server *hs;
    rc_watch *w;                /* NULL for an error-only stream */
    const rc_resource_info *ri; /* NULL for an error-only stream */
    bool table;
    char *include_object;
    rci_strbuf out; /* encoded bytes not yet handed to the transport, from `off` */
    size_t off;
    bool ended; /* nothing more after `out` */
    pthread_mutex_t lock; /* conn, queued, poked; changes of suspended and cancelled */
    void *conn;           /* struct MHD_Connection *, NULL until attached */
    int fd;
    atomic_bool suspended; /* read without the lock by the event callback */
    bool queued;           /* waiting in the server's ready list (which holds a reference) */
    bool poked;            /* check the client at the next idle moment */
    atomic_bool cancelled;
    atomic_int refs; /* the owner's, and one per ready-list entry */
};

static rci_http_watch *alloc_stream(rci_http_server *hs)
{
    rci_http_watch *s = calloc(1, sizeof *s);
    if (s) {
        s->hs = hs;
        s->fd = -1;
        rci_strbuf_init(&s->out);
        pthread_mutex_init(&s->lock, NULL);
        atomic_init(&s->suspended, false);
        atomic_init(&s->cancelled, false);
        atomic_init(&s->refs, 1);
    }
    return s;
}

static void encode_error(rci_strbuf *b, const rc_error *err)
{
    rci_strbuf_puts(b, "{\"type\":\"ERROR\",\"object\":");
    rci_http_status_json(b, err, NULL, NULL);
    rci_strbuf_puts(b, "}\n");
}

static void encode_event(rci_http_watch *s, rc_watch_event *ev)
{
    rci_strbuf *b = &s->out;
    if (ev->type == RC_WATCH_ERROR) {
        encode_error(b, &ev->error);
        s->ended = true;
        return;
    }
    rci_strbuf_puts(b, "{\"type\":\"");
    rci_strbuf_puts(b, rc_watch_event_type_name(ev->type));
    rci_strbuf_puts(b, "\",\"object\":");
    if (s->table && ev->type != RC_WATCH_BOOKMARK)
        rci_http_table(b, s->ri, &ev->object, 1, rc_object_resource_version(ev->object), NULL, s->include_object,
                       rci_http_now(s->hs));
    else
        rci_http_json_cache_append(rci_http_server_json_cache(s->hs), b, ev->object);
    rci_strbuf_puts(b, "}\n");
}

static void resume_locked(rci_http_watch *s)
{
    if (atomic_load(&s->suspended)) {
        atomic_store(&s->suspended, false);
        if (s->conn)
            rci_http_conn_suspend(s->conn, false);
    }
}

/* The rc_watch's event callback, on the producer's thread (for every watcher of every event, so the common
 * case, a stream that is not suspended, takes no lock). A suspended stream is queued for the server's tick
 * thread to resume, so that the producer does not pay a resume per watcher and per event, and events that
 * come meanwhile go out together. No wake-up is lost: the event was queued under the rc_watch's lock, and
 * idle marks the stream suspended before it looks at the queue under that same lock, so either idle sees
 * the event or this call sees the mark. */
static void on_event(void *ctx)
{
    rci_http_watch *s = ctx;
    if (!atomic_load(&s->suspended))
        return;
    pthread_mutex_lock(&s->lock);
    bool queue = atomic_load(&s->suspended) && !s->queued;
    if (queue) {
        s->queued = true;
        atomic_fetch_add(&s->refs, 1);
    }
    pthread_mutex_unlock(&s->lock);
    if (queue)
        rci_http_queue_wake(s->hs, s);
}

static void unref(rci_http_watch *s)
{
    if (atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void rci_http_watch_resume(rci_http_watch *s)
{
    pthread_mutex_lock(&s->lock);
    s->queued = false;
    resume_locked(s);
    pthread_mutex_unlock(&s->lock);
    unref(s);
}

rci_http_watch *rci_http_watch_new(rci_http_server *hs, rc_watch *w, const rc_resource_info *ri, bool table,
                                   const char *include_object)
{
    rci_http_watch *s = alloc_stream(hs);
    char *inc = include_object ? strdup(include_object) : NULL;
    if (!s || (include_object && !inc)) {
        rci_http_watch_free(s);
        free(inc);
        rc_watch_stop(w);
        rc_watch_unref(w);
        return NULL;
    }
    s->w = w;
    s->ri = ri;
    s->table = table;
    s->include_object = inc;
    rc_watch_on_event(w, on_event, s);
    return s;
}

rci_http_watch *rci_http_watch_error(rci_http_server *hs, const rc_error *err)
{
    rci_http_watch *s = alloc_stream(hs);
    if (s) {
        encode_error(&s->out, err);
        s->ended = true;
    }
    return s;
}

void rci_http_watch_attach(rci_http_watch *s, void *conn, int fd)
{
    pthread_mutex_lock(&s->lock);
    s->conn = conn;
    s->fd = fd;
    pthread_mutex_unlock(&s->lock);
}

static bool client_gone(int fd)
{
    if (fd < 0)
        return false;
    struct pollfd p = {.fd = fd, .events = POLLRDHUP};
    return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

static bool cancelled(rci_http_watch *s) { return atomic_load(&s->cancelled) || rci_http_stopping(s->hs); }

/* Encodes ready events into s->out until it holds at least want bytes or nothing more is ready. What is
 * left of a line the transport took in part moves to the front first, so s->out stays about want bytes. */
static void fill(rci_http_watch *s, size_t want)
{
    if (s->off) {
        s->out.len -= s->off;
        memmove(s->out.data, s->out.data + s->off, s->out.len);
        s->out.data[s->out.len] = '\0';
        s->off = 0;
    }
    while (!s->ended && !s->out.failed && s->out.len - s->off < want) {
        if (!s->w || cancelled(s)) {
            s->ended = true;
            return;
        }
        rc_watch_event ev = {0};
        int rc = rc_watch_next(s->w, &ev);
        if (rc == RC_EAGAIN)
            return;
        if (rc == 0)
            encode_event(s, &ev);
        else
            s->ended = true;
        rc_watch_event_clear(&ev);
    }
}

enum { IDLE_SUSPENDED, IDLE_READY, IDLE_GONE };

/* With nothing ready: suspends the connection unless an event, the end or a cancel came meanwhile (checked
 * under the lock the event callback takes, so no wake-up is lost), or the client left (checked after a
 * poke only: a poll per event would cost more than the event). A stream without a connection (served
 * without sockets) counts as suspended. */
static int idle(rci_http_watch *s)
{
    pthread_mutex_lock(&s->lock);
    int r = IDLE_SUSPENDED;
    bool check = s->poked;
    s->poked = false;
    atomic_store(&s->suspended, true); /* before the last look at the queue (see on_event) */
    if (atomic_load(&s->cancelled) || rc_watch_wait(s->w, 0))
        r = IDLE_READY;
    else if (check && client_gone(s->fd))
        r = IDLE_GONE;
    if (r == IDLE_SUSPENDED && s->conn && !rci_http_conn_suspend(s->conn, true))
        r = IDLE_READY; /* a resume was pending: look again */
    if (r != IDLE_SUSPENDED || !s->conn)
        atomic_store(&s->suspended, false);
    pthread_mutex_unlock(&s->lock);
    return r;
}

long rci_http_watch_read(rci_http_watch *s, char *buf, size_t max)
{
    for (;;) {
        fill(s, max);
        if (s->out.failed)
            return RCI_HTTP_WATCH_FAILED;
        size_t avail = s->out.len - s->off;
        if (avail) {
            size_t n = avail < max ? avail : max;
            memcpy(buf, s->out.data + s->off, n);
            s->off += n;
            if (s->off == s->out.len) {
                s->off = 0;
                rci_strbuf_reset(&s->out);
            }
            return (long)n;
        }
        if (s->ended)
            return RCI_HTTP_WATCH_END;
        int r = idle(s);
        if (r != IDLE_READY)
            return r == IDLE_GONE ? RCI_HTTP_WATCH_FAILED : 0;
    }
}

void rci_http_watch_poke(rci_http_watch *s)
{
    pthread_mutex_lock(&s->lock);
    s->poked = true;
    resume_locked(s);
    pthread_mutex_unlock(&s->lock);
}

void rci_http_watch_cancel(rci_http_watch *s)
{
    pthread_mutex_lock(&s->lock);
    atomic_store(&s->cancelled, true);
    pthread_mutex_unlock(&s->lock);
    if (s->w)
        rc_watch_stop(s->w);
    pthread_mutex_lock(&s->lock);
    resume_locked(s);
    pthread_mutex_unlock(&s->lock);
}

bool rci_http_watch_attached(rci_http_watch *s)
{
    pthread_mutex_lock(&s->lock);
    bool attached = s->conn != NULL;
    pthread_mutex_unlock(&s->lock);
    return attached;
}

void rci_http_watch_free(rci_http_watch *s)
{
    if (!s)
        return;
    if (s->w) {
        rc_watch_on_event(s->w, NULL, NULL);
        rc_watch_stop(s->w);
        /* A producer that read the callback before it was cleared may still be calling it. The API server
         * sends and notifies only under its lock, so taking that lock once waits for such a call. */
        (void)rc_apiserver_resource_version(rci_http_apiserver(s->hs));
        rc_watch_unref(s->w);
    }
    rci_http_track_watch(s->hs, s, false);
    pthread_mutex_lock(&s->lock); /* the connection is gone: a late resume from the ready list is a no-op */
    s->conn = NULL;
    atomic_store(&s->suspended, false);
    pthread_mutex_unlock(&s->lock);
    rci_strbuf_free(&s->out);
    free(s->include_object);
    unref(s); /* the ready list may still hold a reference */
}
