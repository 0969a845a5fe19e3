/* http_watch.c - watch responses of rc_http_server: drains an rc_watch from the API server into a chunked
 * HTTP body, one {"type":...,"object":...} JSON line per event (objects as one-row Tables when the client
 * asked for Tables; ERROR events carry a Status, e.g. 410 Expired). The stream never ends on the server's
 * own initiative except for timeoutSeconds (the API server finishes the rc_watch), server stop, or the
 * client leaving, which is noticed by polling the socket while no event is ready. */
#include "apiserver/http_internal.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>

#define IDLE_POLL (200 * RC_MSEC)

struct rci_http_watch {
    rci_http_server *hs;
    rc_watch *w;                /* NULL for an error-only stream */
    const rc_resource_info *ri; /* NULL for an error-only stream */
    bool table;
    char *include_object;
    rci_strbuf out; /* encoded bytes not yet handed to the transport, from `off` */
    size_t off;
    bool ended;     /* nothing more after `out` */
    atomic_bool cancelled;
};

static rci_http_watch *alloc_stream(rci_http_server *hs)
{
    rci_http_watch *s = calloc(1, sizeof *s);
    if (s) {
        s->hs = hs;
        rci_strbuf_init(&s->out);
        atomic_init(&s->cancelled, false);
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
    rci_strbuf_printf(b, "{\"type\":\"%s\",\"object\":", rc_watch_event_type_name(ev->type));
    if (s->table && ev->type != RC_WATCH_BOOKMARK) {
        rci_http_table(b, s->ri, &ev->object, 1, rc_object_resource_version(ev->object), NULL, s->include_object,
                       rci_http_now(s->hs));
    } else {
        size_t len = 0;
        char *text = rc_object_to_json(ev->object, &len);
        if (text)
            rci_strbuf_append(b, text, len);
        else
            b->failed = true;
        free(text);
    }
    rci_strbuf_puts(b, "}\n");
}

rci_http_watch *rci_http_watch_new(rci_http_server *hs, rc_watch *w, const rc_resource_info *ri, bool table,
                                   const char *include_object)
{
    rci_http_watch *s = alloc_stream(hs);
    char *inc = include_object ? strdup(include_object) : NULL;
    if (!s || (include_object && !inc)) {
        free(s);
        free(inc);
        rc_watch_stop(w);
        rc_watch_unref(w);
        return NULL;
    }
    s->w = w;
    s->ri = ri;
    s->table = table;
    s->include_object = inc;
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

static bool client_gone(int fd)
{
    if (fd < 0)
        return false;
    struct pollfd p = {.fd = fd, .events = POLLRDHUP};
    return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

long rci_http_watch_read(rci_http_watch *s, int fd, char *buf, size_t max)
{
    for (;;) {
        if (s->out.failed)
            return -1;
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
        if (s->ended || !s->w || atomic_load(&s->cancelled) || rci_http_stopping(s->hs))
            return 0;
        rc_watch_event ev = {0};
        int rc = rc_watch_next(s->w, &ev);
        if (rc == 0) {
            encode_event(s, &ev);
            rc_watch_event_clear(&ev);
        } else if (rc == RC_ECLOSED) {
            return 0;
        } else {
            rc_watch_wait(s->w, IDLE_POLL);
            if (rc_watch_pending(s->w) == 0 && client_gone(fd))
                return -1;
        }
    }
}

void rci_http_watch_cancel(rci_http_watch *s)
{
    atomic_store(&s->cancelled, true);
    if (s->w)
        rc_watch_stop(s->w);
}

void rci_http_watch_free(rci_http_watch *s)
{
    if (!s)
        return;
    if (s->w) {
        rc_watch_stop(s->w);
        rc_watch_unref(s->w);
    }
    rci_strbuf_free(&s->out);
    free(s->include_object);
    free(s);
}
