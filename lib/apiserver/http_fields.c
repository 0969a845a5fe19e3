/* http_fields.c - the query and headers of a request served without a connection (rci_http_req.conn
 * NULL): tests and the fuzz harness hand rci_http_serve a parsed request whose query parameters and
 * headers are a plain array, looked up the way libmicrohttpd looks them up for a socket (query keys
 * exactly, header names case-insensitively, first value wins). */
#include "apiserver/http_internal.h"

#include <string.h>
#include <strings.h>

static bool matches(const rci_http_field *f, bool header, const char *key)
{
    if (f->header != header || !f->key)
        return false;
    return header ? !strcasecmp(f->key, key) : !strcmp(f->key, key);
}

size_t rci_http_fields(const rci_http_req *r, bool header, const char *key, const char **out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nfields && n < cap; i++)
        if (matches(&r->fields[i], header, key) && (r->fields[i].value || !header))
            out[n++] = r->fields[i].value;
    return n;
}

const char *rci_http_field_value(const rci_http_req *r, bool header, const char *key)
{
    const char *v = NULL;
    return rci_http_fields(r, header, key, &v, 1) ? v : NULL;
}
