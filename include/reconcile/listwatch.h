/* listwatch.h - the list-watch contract between sources of objects (the embedded API server, the HTTP
 * client, test fakes) and consumers (reflectors, kubectl-style tools): list options, object lists, and
 * rc_watch, a thread-safe event stream a producer writes and a consumer drains without blocking. */
#ifndef RECONCILE_LISTWATCH_H
#define RECONCILE_LISTWATCH_H

#include "clock.h"
#include "common.h"
#include "object.h"

/* Options for list and watch, as in metav1.ListOptions. All strings borrowed; NULL = unset. */
typedef struct rc_list_options {
    const char *label_selector;
    const char *field_selector;
    const char *resource_version;       /* list: "" / NULL = most recent, "0" = any; watch: start after */
    const char *resource_version_match; /* "NotOlderThan", "Exact" or NULL */
    int64_t limit;                      /* list page size; 0 = no limit */
    const char *continue_token;
    bool allow_bookmarks;               /* watch */
    bool send_initial_events;           /* watch-list */
    int64_t timeout_seconds;            /* watch: end the stream after this long; 0 = no timeout */
} rc_list_options;

/* A list result. Items are references owned by the list. */
typedef struct rc_object_list {
    rc_object **items;
    size_t count;
    size_t cap;
    char resource_version[32];
    char *continue_token;          /* owned; NULL when this is the last page */
    int64_t remaining_item_count;  /* -1 when unknown */
} rc_object_list;

RC_API void rc_object_list_init(rc_object_list *l);
/* Appends a new reference to o. RC_ENOMEM on failure. */
RC_API int rc_object_list_append(rc_object_list *l, rc_object *o);
/* Drops every reference and frees the arrays; leaves l initialised and empty. */
RC_API void rc_object_list_clear(rc_object_list *l);

typedef enum rc_watch_event_type {
    RC_WATCH_ADDED,
    RC_WATCH_MODIFIED,
    RC_WATCH_DELETED,
    RC_WATCH_BOOKMARK, /* object carries only metadata.resourceVersion (and annotations) */
    RC_WATCH_ERROR     /* error holds the Status; the stream ends after it */
} rc_watch_event_type;

typedef struct rc_watch_event {
    rc_watch_event_type type;
    rc_object *object; /* owned reference (NULL for ERROR) */
    rc_error error;    /* for ERROR */
} rc_watch_event;

RC_API const char *rc_watch_event_type_name(rc_watch_event_type t); /* "ADDED", ... */
/* Releases what ev holds. */
RC_API void rc_watch_event_clear(rc_watch_event *ev);

typedef struct rc_watch rc_watch;

/* A new, empty stream with one reference (the producer's); a producer hands the consumer its own
 * reference with rc_watch_ref. */
RC_API rc_watch *rc_watch_new(void);
RC_API rc_watch *rc_watch_ref(rc_watch *w);
RC_API void rc_watch_unref(rc_watch *w);

/* Producer side. send takes its own reference to obj. Both return RC_ECLOSED after the consumer stopped
 * or the stream finished, in which case nothing is queued. */
RC_API int rc_watch_send(rc_watch *w, rc_watch_event_type type, rc_object *obj);
RC_API int rc_watch_send_error(rc_watch *w, const rc_error *err);
/* No more events will come; the consumer drains what is queued, then reads RC_ECLOSED. */
RC_API void rc_watch_finish(rc_watch *w);
/* True once the consumer called rc_watch_stop. */
RC_API bool rc_watch_stopped(rc_watch *w);
/* Called once, without locks held, when the consumer stops (the producer unregisters the stream). */
RC_API void rc_watch_on_stop(rc_watch *w, void (*fn)(void *ctx, rc_watch *w), void *ctx);
/* Called, without locks held, after each event is queued (drivers use it to wake or mark work). */
RC_API void rc_watch_on_event(rc_watch *w, void (*fn)(void *ctx), void *ctx);

/* Consumer side. next: 0 and *ev filled (caller clears it), RC_EAGAIN when nothing is queued yet,
 * RC_ECLOSED when finished and drained. */
RC_API int rc_watch_next(rc_watch *w, rc_watch_event *ev);
/* Blocks up to `timeout` real nanoseconds (RC_TIME_NEVER: unbounded) until next would not return
 * RC_EAGAIN; returns true when it would not. */
RC_API bool rc_watch_wait(rc_watch *w, rc_duration timeout);
RC_API size_t rc_watch_pending(rc_watch *w);
/* The consumer is done: queued events are dropped, the producer is told (on_stop), senders get
 * RC_ECLOSED. Wakes a blocked rc_watch_wait. */
RC_API void rc_watch_stop(rc_watch *w);

/* A source of objects of one resource: the reflector's input. */
typedef struct rc_list_watch_ops {
    int (*list)(void *ctx, const rc_list_options *opts, rc_object_list *out, rc_error *err);
    /* On success *out is a stream reference owned by the caller (stop then unref it). */
    int (*watch)(void *ctx, const rc_list_options *opts, rc_watch **out, rc_error *err);
    void (*destroy)(void *ctx); /* optional: releases ctx */
} rc_list_watch_ops;

typedef struct rc_list_watch {
    const rc_list_watch_ops *ops;
    void *ctx;
} rc_list_watch;

#endif
