/* strbuf.h - internal growable string buffer and printf-to-heap helpers used across the library. */
#ifndef RC_UTIL_STRBUF_H
#define RC_UTIL_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct rci_strbuf {
    char *data; /* NUL-terminated when len > 0 or after any append; owned */
    size_t len;
    size_t cap;
    bool failed; /* an allocation failed; further appends are ignored */
} rci_strbuf;

void rci_strbuf_init(rci_strbuf *b);
void rci_strbuf_free(rci_strbuf *b);
void rci_strbuf_reset(rci_strbuf *b);
bool rci_strbuf_reserve(rci_strbuf *b, size_t extra);
void rci_strbuf_append(rci_strbuf *b, const char *s, size_t n);
void rci_strbuf_puts(rci_strbuf *b, const char *s);
void rci_strbuf_putc(rci_strbuf *b, char c);
void rci_strbuf_printf(rci_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal (quotes and escapes). */
void rci_strbuf_json_string(rci_strbuf *b, const char *s);
/* Hands the buffer to the caller (malloc'd, never NULL unless failed) and resets b. */
char *rci_strbuf_take(rci_strbuf *b);

/* printf into a new malloc'd string; NULL on allocation failure. */
char *rci_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *rci_vasprintf(const char *fmt, va_list ap);

#endif
