/* http_reply.c - building replies for rc_http_server: JSON bodies from text, cJSON trees or objects, and
 * v1 Status objects for every error (code, reason, message, details with the resource and field causes),
 * which is how kubectl and client-go recognise NotFound, AlreadyExists, Conflict, Invalid and the rest. */
#include "apiserver/http_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rci_http_reply_clear(rci_http_reply *r)
{
    free(r->body);
    free(r->warning);
    if (r->stream)
        rci_http_watch_free(r->stream);
    memset(r, 0, sizeof *r);
}

void rci_http_reply_json(rci_http_reply *r, int status, char *body, size_t len)
{
    free(r->body);
    r->body = body;
    r->len = len;
    r->status = status;
    r->content_type = NULL;
    if (!body) {
        static const char oom[] = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
                                  "\"message\":\"out of memory\",\"reason\":\"InternalError\",\"code\":500}";
        r->body = strdup(oom);
        r->len = r->body ? sizeof oom - 1 : 0;
        r->status = 500;
    }
}

void rci_http_reply_cjson(rci_http_reply *r, int status, const cJSON *tree)
{
    char *text = tree ? cJSON_PrintUnformatted(tree) : NULL;
    rci_http_reply_json(r, status, text, text ? strlen(text) : 0);
}

void rci_http_reply_object(rci_http_reply *r, int status, const rc_object *obj)
{
    size_t len = 0;
    char *text = rc_object_to_json(obj, &len);
    rci_http_reply_json(r, status, text, len);
}

static int http_status_of(const rc_error *err)
{
    if (err->http_status >= 400)
        return err->http_status;
    int s = rc_error_http_status(err->code ? err->code : RC_EINTERNAL);
    return s >= 400 ? s : 500;
}

void rci_http_status_json(rci_strbuf *b, const rc_error *err, const rc_resource_info *ri, const char *name)
{
    int code = err->code ? err->code : RC_EINTERNAL;
    const char *reason = err->reason[0] ? err->reason : rc_error_reason(code);
    rci_strbuf_puts(b, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":");
    rci_strbuf_json_string(b, err->message ? err->message : rc_strerror(code));
    rci_strbuf_puts(b, ",\"reason\":");
    rci_strbuf_json_string(b, reason ? reason : "InternalError");
    bool details = (ri && name && name[0]) || err->ncauses || err->retry_after_seconds;
    if (details) {
        rci_strbuf_puts(b, ",\"details\":{");
        const char *sep = "";
        if (ri && name && name[0]) {
            rci_strbuf_puts(b, "\"name\":");
            rci_strbuf_json_string(b, name);
            rci_strbuf_puts(b, ",\"group\":");
            rci_strbuf_json_string(b, ri->group);
            rci_strbuf_puts(b, ",\"kind\":");
            rci_strbuf_json_string(b, ri->plural);
            sep = ",";
        }
        if (err->ncauses) {
            rci_strbuf_printf(b, "%s\"causes\":[", sep);
            for (size_t i = 0; i < err->ncauses; i++) {
                const rc_error_cause *c = &err->causes[i];
                rci_strbuf_puts(b, i ? ",{" : "{");
                rci_strbuf_puts(b, "\"reason\":");
                rci_strbuf_json_string(b, c->reason ? c->reason : "");
                rci_strbuf_puts(b, ",\"message\":");
                rci_strbuf_json_string(b, c->message ? c->message : "");
                rci_strbuf_puts(b, ",\"field\":");
                rci_strbuf_json_string(b, c->field ? c->field : "");
                rci_strbuf_putc(b, '}');
            }
            rci_strbuf_putc(b, ']');
            sep = ",";
        }
        if (err->retry_after_seconds)
            rci_strbuf_printf(b, "%s\"retryAfterSeconds\":%d", sep, err->retry_after_seconds);
        rci_strbuf_putc(b, '}');
    }
    rci_strbuf_printf(b, ",\"code\":%d}", http_status_of(err));
}

void rci_http_reply_error(rci_http_reply *r, const rc_error *err, const rc_resource_info *ri, const char *name)
{
    rci_strbuf b;
    rci_strbuf_init(&b);
    rci_http_status_json(&b, err, ri, name);
    size_t len = b.len;
    rci_http_reply_json(r, http_status_of(err), rci_strbuf_take(&b), len);
}

void rci_http_reply_code(rci_http_reply *r, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = rci_vasprintf(fmt, ap);
    va_end(ap);
    rc_error err = {0};
    rc_error_set(&err, code, "%s", msg ? msg : "out of memory");
    free(msg);
    rci_http_reply_error(r, &err, NULL, NULL);
    rc_error_clear(&err);
}

void rci_http_reply_success(rci_http_reply *r, const rc_resource_info *ri, const char *name, const char *uid)
{
    rci_strbuf b;
    rci_strbuf_init(&b);
    rci_strbuf_puts(&b, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Success\"");
    if (ri) {
        rci_strbuf_puts(&b, ",\"details\":{");
        if (name) {
            rci_strbuf_puts(&b, "\"name\":");
            rci_strbuf_json_string(&b, name);
            rci_strbuf_putc(&b, ',');
        }
        rci_strbuf_puts(&b, "\"group\":");
        rci_strbuf_json_string(&b, ri->group);
        rci_strbuf_puts(&b, ",\"kind\":");
        rci_strbuf_json_string(&b, ri->plural);
        if (uid) {
            rci_strbuf_puts(&b, ",\"uid\":");
            rci_strbuf_json_string(&b, uid);
        }
        rci_strbuf_putc(&b, '}');
    }
    rci_strbuf_puts(&b, "}");
    size_t len = b.len;
    rci_http_reply_json(r, 200, rci_strbuf_take(&b), len);
}
