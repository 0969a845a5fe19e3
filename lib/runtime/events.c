/* events.c - rc_recorder: writes core/v1 Events and aggregates repeats. The first occurrence creates an
 * Event (count 1); the same event again - same involved object, type, reason, message and source - patches
 * that Event's count and lastTimestamp instead. The aggregation cache holds at most 4096 series (cleared
 * when full, like a simple LRU); an Event deleted meanwhile is created again. Before that, as client-go's
 * EventCorrelator, event_correlate.c folds many similar events (differing only in message) into one
 * combined series and drops what goes beyond the per-object spam filter's bucket. */
#include <reconcile/events.h>
#include <reconcile/values.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/event_correlate.h"
#include "util/map.h"
#include "util/strbuf.h"

#define MAX_SERIES 4096

typedef struct series {
    char *id;        /* aggregation key, owned (the map's key) */
    char name[320];  /* Event name */
    char ns[256];
    int64_t count;
} series;

struct rc_recorder {
    rc_client *client;
    rc_clock *clock;
    char *component;
    char *host;
    pthread_mutex_t mu;
    rci_map series_map;
    rci_event_correlator corr;
    uint64_t seq;
};

rc_recorder *rc_recorder_new(rc_client *client, rc_clock *clock, const char *component, const char *host)
{
    if (!client || !component || !component[0])
        return NULL;
    rc_recorder *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->component = strdup(component);
    r->host = strdup(host ? host : "");
    if (!r->component || !r->host) {
        free(r->component);
        free(r->host);
        free(r);
        return NULL;
    }
    r->client = rc_client_ref(client);
    r->clock = clock ? clock : rc_clock_real();
    pthread_mutex_init(&r->mu, NULL);
    rci_map_init(&r->series_map);
    rci_event_correlator_init(&r->corr);
    return r;
}

static void clear_series(rc_recorder *r)
{
    const rci_map_entry *me;
    for (size_t it = 0; rci_map_next(&r->series_map, &it, &me);) {
        series *s = me->value;
        free(s->id);
        free(s);
    }
    rci_map_free(&r->series_map);
    rci_map_init(&r->series_map);
}

void rc_recorder_free(rc_recorder *r)
{
    if (!r)
        return;
    clear_series(r);
    rci_event_correlator_free(&r->corr);
    pthread_mutex_destroy(&r->mu);
    rc_client_unref(r->client);
    free(r->component);
    free(r->host);
    free(r);
}

size_t rc_recorder_series(rc_recorder *r)
{
    pthread_mutex_lock(&r->mu);
    size_t n = rci_map_count(&r->series_map);
    pthread_mutex_unlock(&r->mu);
    return n;
}

static void add_str(cJSON *o, const char *k, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, k, v);
}

static rc_object *build_event(rc_recorder *r, const rc_object *obj, const series *s, const char *type,
                              const char *reason, const char *message, const char *ts)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "apiVersion", "v1");
    cJSON_AddStringToObject(root, "kind", "Event");
    cJSON *meta = cJSON_AddObjectToObject(root, "metadata");
    cJSON_AddStringToObject(meta, "name", s->name);
    cJSON_AddStringToObject(meta, "namespace", s->ns);
    cJSON *inv = cJSON_AddObjectToObject(root, "involvedObject");
    add_str(inv, "apiVersion", rc_object_api_version(obj));
    add_str(inv, "kind", rc_object_kind(obj));
    if (rc_object_namespace(obj)[0])
        add_str(inv, "namespace", rc_object_namespace(obj));
    add_str(inv, "name", rc_object_name(obj));
    add_str(inv, "uid", rc_object_uid(obj));
    add_str(inv, "resourceVersion", rc_object_resource_version(obj));
    cJSON_AddStringToObject(root, "reason", reason);
    cJSON_AddStringToObject(root, "message", message);
    cJSON *src = cJSON_AddObjectToObject(root, "source");
    cJSON_AddStringToObject(src, "component", r->component);
    if (r->host[0])
        cJSON_AddStringToObject(src, "host", r->host);
    cJSON_AddStringToObject(root, "firstTimestamp", ts);
    cJSON_AddStringToObject(root, "lastTimestamp", ts);
    cJSON_AddNumberToObject(root, "count", 1);
    cJSON_AddStringToObject(root, "type", type);
    cJSON_AddStringToObject(root, "reportingComponent", r->component);
    cJSON_AddStringToObject(root, "reportingInstance", r->host);
    rc_object *o = rc_object_new_draft(root);
    if (!o)
        cJSON_Delete(root);
    return o;
}

/* The parts (NULL read as ""), each followed by a unit separator, as one new string. */
static char *join_key(const char *const *parts, size_t n)
{
    rci_strbuf b;
    rci_strbuf_init(&b);
    for (size_t i = 0; i < n; i++) {
        rci_strbuf_puts(&b, parts[i] ? parts[i] : "");
        rci_strbuf_putc(&b, '\x1f');
    }
    return rci_strbuf_take(&b);
}

/* The aggregate key: everything that identifies an event but its message (upstream's aggregateKey). */
static char *aggregate_key(rc_recorder *r, const rc_object *obj, const char *type, const char *reason)
{
    const char *parts[] = {rc_object_uid(obj), rc_object_kind(obj), rc_object_namespace(obj), rc_object_name(obj),
                           type,               reason,              r->component,             r->host};
    return join_key(parts, sizeof parts / sizeof *parts);
}

/* The spam filter's key: the source and the involved object (upstream's getSpamKey). */
static char *spam_key(rc_recorder *r, const rc_object *obj)
{
    const char *parts[] = {r->component,        r->host,             rc_object_kind(obj), rc_object_namespace(obj),
                           rc_object_name(obj), rc_object_uid(obj), rc_object_api_version(obj)};
    return join_key(parts, sizeof parts / sizeof *parts);
}

/* The series an event counts in: its aggregate key and message, or for a combined event the aggregate key
 * alone (marked so that no message can make the two alike). */
static char *series_id(const char *aggregate, const char *message, bool combined)
{
    rci_strbuf b;
    rci_strbuf_init(&b);
    rci_strbuf_puts(&b, aggregate);
    if (combined) {
        rci_strbuf_putc(&b, '\x1d');
    } else {
        rci_strbuf_puts(&b, message);
        rci_strbuf_putc(&b, '\x1f');
    }
    return rci_strbuf_take(&b);
}

static int create_event(rc_recorder *r, const rc_object *obj, series *s, const char *type, const char *reason,
                        const char *message, const char *ts, rc_error *err)
{
    rc_object *ev = build_event(r, obj, s, type, reason, message, ts);
    if (!ev)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    return rc_client_create_owned(r->client, "events", s->ns, ev, NULL, NULL, err);
}

/* Raises the count of an existing Event; NotFound when it was deleted meanwhile. */
static int bump_event(rc_recorder *r, series *s, const char *ts, rc_error *err)
{
    char patch[256];
    int n = snprintf(patch, sizeof patch, "{\"count\":%lld,\"lastTimestamp\":\"%s\"}", (long long)s->count, ts);
    return rc_client_patch(r->client, "events", s->ns, s->name, RC_PATCH_MERGE, patch, (size_t)n, NULL, NULL, err);
}

/* A new series for id (taken) and its first Event; the series is forgotten again when the write fails. */
static int record_new(rc_recorder *r, const rc_object *obj, char *id, const char *type, const char *reason,
                      const char *message, rc_time now, const char *ts, rc_error *err)
{
    if (rci_map_count(&r->series_map) >= MAX_SERIES)
        clear_series(r);
    series *s = calloc(1, sizeof *s);
    if (!s || rci_map_put(&r->series_map, id, s, NULL) != 0) {
        free(s);
        free(id);
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    s->id = id;
    s->count = 1;
    snprintf(s->ns, sizeof s->ns, "%s", rc_object_namespace(obj)[0] ? rc_object_namespace(obj) : "default");
    /* Another recorder may have named an Event for this object at the same instant: take the next
     * name (deterministically) rather than lose this one. */
    int rc = 0;
    for (int attempt = 0; attempt < 8; attempt++) {
        snprintf(s->name, sizeof s->name, "%s.%016llx", rc_object_name(obj),
                 (unsigned long long)((uint64_t)now + r->seq++));
        rc = create_event(r, obj, s, type, reason, message, ts, err);
        if (rc != RC_EEXISTS)
            break;
        rc_error_clear(err);
    }
    if (rc) { /* not written: forget the series so the next occurrence creates it */
        rci_map_remove(&r->series_map, id);
        free(s->id);
        free(s);
    }
    return rc;
}

/* Correlates (similar events, spam filter) and writes one event; the lock is held. */
static int record_locked(rc_recorder *r, const rc_object *obj, const char *type, const char *reason,
                         const char *message, rc_time now, const char *ts, rc_error *err)
{
    char *agg = aggregate_key(r, obj, type, reason);
    char *spam = spam_key(r, obj);
    char combined[sizeof EVENT_COMBINED_PREFIX + 1024];
    bool is_combined = agg && rci_event_similar(&r->corr, agg, message, now);
    if (is_combined)
        snprintf(combined, sizeof combined, EVENT_COMBINED_PREFIX "%s", message);
    char *id = agg ? series_id(agg, message, is_combined) : NULL;
    free(agg);
    if (!id || !spam) {
        free(id);
        free(spam);
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    series *s = rci_map_get(&r->series_map, id);
    bool allowed = rci_event_spam_allows(&r->corr, spam, now);
    free(spam);
    if (!s && !allowed) {
        free(id);
        return 0; /* dropped by the spam filter, as upstream's recorder drops it */
    }
    if (!s)
        return record_new(r, obj, id, type, reason, is_combined ? combined : message, now, ts, err);
    free(id);
    s->count++;
    if (!allowed)
        return 0; /* counted; the next write that passes carries the count */
    int rc = bump_event(r, s, ts, err);
    if (rc == RC_ENOTFOUND) {
        rc_error_clear(err);
        s->count = 1;
        rc = create_event(r, obj, s, type, reason, is_combined ? combined : message, ts, err);
    }
    return rc;
}

static int record(rc_recorder *r, const rc_object *obj, const char *type, const char *reason, const char *message,
                  rc_error *err)
{
    char ts[RC_TIME_STRLEN];
    rc_time now = rc_clock_now(r->clock);
    rc_time_format(now, ts, sizeof ts);
    pthread_mutex_lock(&r->mu);
    int rc = record_locked(r, obj, type, reason, message, now, ts, err);
    pthread_mutex_unlock(&r->mu);
    return rc;
}

int rc_recorder_event(rc_recorder *r, const rc_object *obj, const char *type, const char *reason, rc_error *err,
                      const char *fmt, ...)
{
    if (!r || !obj || !rc_object_name(obj))
        return rc_error_set(err, RC_EINVAL, "event: a recorder and a named object are required");
    if (!type || (strcmp(type, RC_EVENT_NORMAL) && strcmp(type, RC_EVENT_WARNING)))
        return rc_error_set(err, RC_EINVAL, "event: type must be Normal or Warning, not \"%s\"", type ? type : "");
    if (!reason || !reason[0])
        return rc_error_set(err, RC_EINVAL, "event: reason is required");
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    if (fmt)
        vsnprintf(message, sizeof message, fmt, ap);
    else
        message[0] = '\0';
    va_end(ap);
    return record(r, obj, type, reason, message, err);
}
