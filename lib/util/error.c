/* error.c - rc_error: error codes, their Kubernetes Status reasons and HTTP codes, and the error value
 * every fallible call fills in. */
#include <reconcile/common.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

static const struct {
    int code;
    int http;
    const char *reason;
    const char *text;
} error_table[] = {
    {RC_OK, 200, "", "success"},
    {RC_EINVAL, 422, "Invalid", "invalid object or argument"},
    {RC_EBADREQUEST, 400, "BadRequest", "bad request"},
    {RC_ENOTFOUND, 404, "NotFound", "not found"},
    {RC_EEXISTS, 409, "AlreadyExists", "already exists"},
    {RC_ECONFLICT, 409, "Conflict", "conflict"},
    {RC_EGONE, 410, "Expired", "resource version expired"},
    {RC_EFORBIDDEN, 403, "Forbidden", "forbidden"},
    {RC_EUNAUTHORIZED, 401, "Unauthorized", "unauthorized"},
    {RC_ETOOLARGE, 413, "RequestEntityTooLarge", "request entity too large"},
    {RC_EUNSUPPORTED, 415, "UnsupportedMediaType", "unsupported media type"},
    {RC_ENOTALLOWED, 405, "MethodNotAllowed", "method not allowed"},
    {RC_ETOOMANY, 429, "TooManyRequests", "too many requests"},
    {RC_EINTERNAL, 500, "InternalError", "internal error"},
    {RC_EUNAVAILABLE, 503, "ServiceUnavailable", "service unavailable"},
    {RC_ETIMEOUT, 504, "Timeout", "timeout"},
    {RC_ENOMEM, 500, "InternalError", "out of memory"},
    {RC_ECLOSED, 503, "ServiceUnavailable", "shut down"},
    {RC_EAGAIN, 503, "ServiceUnavailable", "nothing available now"},
    {RC_EIO, 503, "ServiceUnavailable", "I/O error"},
};

static size_t entry_for(int code)
{
    for (size_t i = 0; i < sizeof error_table / sizeof error_table[0]; i++)
        if (error_table[i].code == code)
            return i;
    return 13; /* RC_EINTERNAL */
}

const char *rc_error_reason(int code) { return error_table[entry_for(code)].reason; }
const char *rc_strerror(int code) { return error_table[entry_for(code)].text; }
int rc_error_http_status(int code) { return error_table[entry_for(code)].http; }
const char *rc_version(void) { return RC_VERSION_STRING; }

int rc_error_from_http(int http_status, const char *reason)
{
    if (reason && *reason) {
        if (strcmp(reason, "Gone") == 0)
            return RC_EGONE;
        for (size_t i = 1; i < sizeof error_table / sizeof error_table[0]; i++)
            if (strcmp(error_table[i].reason, reason) == 0 && error_table[i].http == http_status)
                return error_table[i].code;
    }
    switch (http_status) {
    case 400: return RC_EBADREQUEST;
    case 401: return RC_EUNAUTHORIZED;
    case 403: return RC_EFORBIDDEN;
    case 404: return RC_ENOTFOUND;
    case 405: return RC_ENOTALLOWED;
    case 409: return RC_ECONFLICT;
    case 410: return RC_EGONE;
    case 413: return RC_ETOOLARGE;
    case 415: return RC_EUNSUPPORTED;
    case 422: return RC_EINVAL;
    case 429: return RC_ETOOMANY;
    case 503: return RC_EUNAVAILABLE;
    case 504: return RC_ETIMEOUT;
    default: return http_status >= 200 && http_status < 300 ? RC_OK : RC_EINTERNAL;
    }
}

void rc_error_clear(rc_error *err)
{
    if (!err)
        return;
    free(err->message);
    for (size_t i = 0; i < err->ncauses; i++) {
        free(err->causes[i].field);
        free(err->causes[i].reason);
        free(err->causes[i].message);
    }
    free(err->causes);
    memset(err, 0, sizeof *err);
}

void rc_error_move(rc_error *dst, rc_error *src)
{
    if (dst == src)
        return;
    if (!dst) { /* nowhere to move it: release it */
        rc_error_clear(src);
        return;
    }
    rc_error_clear(dst);
    if (!src)
        return;
    *dst = *src;
    memset(src, 0, sizeof *src);
}

int rc_error_set(rc_error *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    rc_error_clear(err);
    err->code = code;
    err->http_status = rc_error_http_status(code);
    snprintf(err->reason, sizeof err->reason, "%s", rc_error_reason(code));
    va_list ap;
    va_start(ap, fmt);
    err->message = rci_vasprintf(fmt, ap);
    va_end(ap);
    return code;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

int rc_error_add_cause(rc_error *err, const char *field, const char *reason, const char *fmt, ...)
{
    if (!err)
        return RC_EINVAL;
    rc_error_cause *grown = realloc(err->causes, (err->ncauses + 1) * sizeof *grown);
    if (!grown)
        return err->code;
    err->causes = grown;
    rc_error_cause *c = &grown[err->ncauses++];
    va_list ap;
    va_start(ap, fmt);
    c->message = rci_vasprintf(fmt, ap);
    va_end(ap);
    c->field = dup_or_null(field);
    c->reason = dup_or_null(reason);
    return err->code;
}
