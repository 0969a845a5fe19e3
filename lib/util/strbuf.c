/* strbuf.c - growable string buffer; the building block for encoders, Prometheus text and messages. */
#include "util/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rci_strbuf_init(rci_strbuf *b) { memset(b, 0, sizeof *b); }

void rci_strbuf_free(rci_strbuf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

void rci_strbuf_reset(rci_strbuf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

bool rci_strbuf_reserve(rci_strbuf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) {
        b->failed = true;
        return false;
    }
    b->data = d;
    b->cap = cap;
    return true;
}

void rci_strbuf_append(rci_strbuf *b, const char *s, size_t n)
{
    if (!rci_strbuf_reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void rci_strbuf_puts(rci_strbuf *b, const char *s) { rci_strbuf_append(b, s, strlen(s)); }
void rci_strbuf_putc(rci_strbuf *b, char c) { rci_strbuf_append(b, &c, 1); }

void rci_strbuf_printf(rci_strbuf *b, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n >= 0 && rci_strbuf_reserve(b, (size_t)n)) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

void rci_strbuf_json_string(rci_strbuf *b, const char *s)
{
    rci_strbuf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': rci_strbuf_append(b, "\\\"", 2); break;
        case '\\': rci_strbuf_append(b, "\\\\", 2); break;
        case '\n': rci_strbuf_append(b, "\\n", 2); break;
        case '\r': rci_strbuf_append(b, "\\r", 2); break;
        case '\t': rci_strbuf_append(b, "\\t", 2); break;
        default:
            if (*p < 0x20)
                rci_strbuf_printf(b, "\\u%04x", *p);
            else
                rci_strbuf_putc(b, (char)*p);
        }
    }
    rci_strbuf_putc(b, '"');
}

char *rci_strbuf_take(rci_strbuf *b)
{
    if (b->failed) {
        rci_strbuf_free(b);
        return NULL;
    }
    if (!b->data && !rci_strbuf_reserve(b, 0))
        return NULL;
    if (b->len == 0)
        b->data[0] = '\0';
    char *d = b->data;
    memset(b, 0, sizeof *b);
    return d;
}

char *rci_vasprintf(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

char *rci_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = rci_vasprintf(fmt, ap);
    va_end(ap);
    return s;
}
