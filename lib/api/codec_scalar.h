/* codec_scalar.h - internal: YAML 1.1 scalar typing as Kubernetes sees it (go-yaml v2 rules), shared by the
 * YAML reader (what does this plain scalar mean?) and writer (would this string read back as a string?),
 * plus locale-independent number conversion and input-position helpers for the codec's messages. */
#ifndef RC_API_CODEC_SCALAR_H
#define RC_API_CODEC_SCALAR_H

#include <locale.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum rci_scalar_kind {
    RCI_SCALAR_STR = 0,
    RCI_SCALAR_NULL,
    RCI_SCALAR_BOOL,
    RCI_SCALAR_NUM,
    RCI_SCALAR_NONFINITE /* .inf, -.inf, .nan: a YAML float JSON cannot hold */
} rci_scalar_kind;

typedef struct rci_scalar {
    rci_scalar_kind kind;
    bool b;      /* RCI_SCALAR_BOOL */
    bool is_int; /* RCI_SCALAR_NUM written as an integer (decimal, hex, octal or binary) */
    double num;  /* RCI_SCALAR_NUM */
} rci_scalar;

/* Types the plain scalar s (len bytes, NUL-terminated) the way go-yaml v2 resolves an untagged plain
 * scalar. RCI_SCALAR_STR means "keep the text". Never fails (allocation failure types it a string only
 * for strings longer than 128 bytes that contain '_', which are not numbers in practice). */
rci_scalar rci_yaml_resolve_plain(const char *s, size_t len);

/* strtod in the "C" locale (created once), so a program's setlocale() cannot make "1.5" read as 1. */
double rci_strtod(const char *s, char **end);

/* Shortest "%.*g" text (C locale) that reads back as d exactly; buf needs 32 bytes. */
void rci_format_double(char *buf, size_t cap, double d);

/* 1-based line and column (in characters) of byte offset in text. */
void rci_text_position(const char *text, size_t len, size_t offset, int *line, int *col);

/* Length of the valid UTF-8 sequence starting at s (at most n bytes), or 0 when s does not start one
 * (bad lead byte, truncated, overlong, surrogate or above U+10FFFF). *cp receives the code point. */
size_t rci_utf8_decode(const unsigned char *s, size_t n, unsigned *cp);

#endif
