/* trace.c - rc_sim_trace: the simulation's write log as JSON Lines, fed by the API server's trace hook
 * (one call per committed write, in commit order). Each line carries the virtual time since the start,
 * the verb as a user would name it (create, update, patch, delete), the actor, the object's kind,
 * namespace, name and resourceVersion, and the object as stored. Nothing in a line depends on the wall
 * clock or on addresses, so the same run writes the same bytes. */
#include "sim/internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

struct rc_sim_trace {
    rc_apiserver *srv;
    rc_clock *clock;
    rc_time start;
    FILE *out;
    uint64_t lines;
    rci_strbuf line;
};

static const char *verb_of(const rc_trace_record *rec)
{
    if (rec->type == RC_WATCH_ADDED)
        return "create";
    if (rec->type == RC_WATCH_DELETED)
        return "delete";
    return rec->verb && !strcmp(rec->verb, "patch") ? "patch" : "update";
}

static void on_write(void *ctx, const rc_trace_record *rec)
{
    rc_sim_trace *t = ctx;
    rci_strbuf *b = &t->line;
    rci_strbuf_reset(b);
    rc_duration since = rc_clock_now(t->clock) - t->start;
    if (since < 0)
        since = 0;
    rci_strbuf_printf(b, "{\"t\":%lld.%03lld,\"verb\":", (long long)(since / RC_SEC),
                      (long long)(since % RC_SEC / RC_MSEC));
    rci_strbuf_json_string(b, verb_of(rec));
    rci_strbuf_puts(b, ",\"actor\":");
    rci_strbuf_json_string(b, rec->actor ? rec->actor : "");
    rci_strbuf_puts(b, ",\"kind\":");
    rci_strbuf_json_string(b, rec->resource ? rec->resource->kind : "");
    rci_strbuf_puts(b, ",\"namespace\":");
    rci_strbuf_json_string(b, rec->namespace_ ? rec->namespace_ : "");
    rci_strbuf_puts(b, ",\"name\":");
    rci_strbuf_json_string(b, rec->name ? rec->name : "");
    rci_strbuf_printf(b, ",\"resourceVersion\":\"%llu\",\"object\":", (unsigned long long)rec->resource_version);
    size_t len = 0;
    char *json = rec->object ? rc_object_to_json(rec->object, &len) : NULL;
    if (json)
        rci_strbuf_append(b, json, len);
    else
        rci_strbuf_puts(b, "null");
    free(json);
    rci_strbuf_puts(b, "}\n");
    if (!b->failed && fwrite(b->data, 1, b->len, t->out) == b->len)
        t->lines++;
}

rc_sim_trace *rc_sim_trace_new(rc_apiserver *srv, rc_clock *clock, rc_time start, FILE *out, rc_error *err)
{
    if (!srv || !clock || !out) {
        rc_error_set(err, RC_EINVAL, "trace: server, clock and output are required");
        return NULL;
    }
    rc_sim_trace *t = calloc(1, sizeof *t);
    if (!t) {
        rc_error_set(err, RC_ENOMEM, "out of memory");
        return NULL;
    }
    t->srv = srv;
    t->clock = clock;
    t->start = start;
    t->out = out;
    rci_strbuf_init(&t->line);
    rc_apiserver_set_trace(srv, on_write, t);
    return t;
}

uint64_t rc_sim_trace_lines(const rc_sim_trace *t)
{
    return t ? t->lines : 0;
}

void rc_sim_trace_free(rc_sim_trace *t)
{
    if (!t)
        return;
    rc_apiserver_set_trace(t->srv, NULL, NULL);
    rci_strbuf_free(&t->line);
    free(t);
}
