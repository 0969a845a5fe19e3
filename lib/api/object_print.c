/* object_print.c - compact JSON text from packed values and cJSON trees, byte-compatible with
 * cJSON_PrintUnformatted except that integers print exactly (int64) and strings may hold NUL bytes. */
#include "api/object_internal.h"
#include "util/strbuf.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether any of the 8 bytes in v needs escaping: below 0x20, '"' or '\\' (exact: the "hasless" and
 * "haszero" word tricks), so that runs of plain text are scanned a word at a time. */
static bool needs_escape8(uint64_t v)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t q = v ^ (ones * '"'), bs = v ^ (ones * '\\');
    return (((v - ones * 0x20) & ~v) | ((q - ones) & ~q) | ((bs - ones) & ~bs)) & highs;
}

/* putc without a call when there is room (the encoders' punctuation); keeps the buffer NUL-terminated. */
static inline void put1(rci_strbuf *b, char c)
{
    if (!b->failed && b->len + 2 <= b->cap) {
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
    } else {
        rci_strbuf_putc(b, c);
    }
}

/* The length of the leading part of s that needs no escaping. */
static size_t plain_prefix(const char *s, size_t len)
{
    size_t i = 0;
    for (uint64_t word; len - i >= 8 && (memcpy(&word, s + i, 8), !needs_escape8(word));)
        i += 8;
    while (i < len && (unsigned char)s[i] >= 32 && s[i] != '"' && s[i] != '\\')
        i++;
    return i;
}

static void print_string(rci_strbuf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    if (!rci_strbuf_reserve(b, len + 2))
        return;
    size_t i = plain_prefix(s, len);
    if (i == len) { /* the common case: copied whole, room reserved above */
        char *d = b->data + b->len;
        d[0] = '"';
        memcpy(d + 1, s, len);
        d[len + 1] = '"';
        d[len + 2] = '\0';
        b->len += len + 2;
        return;
    }
    put1(b, '"');
    size_t run = 0; /* start of the pending unescaped run */
    while (i < len) {
        unsigned char c = (unsigned char)s[i++];
        if (c >= 32 && c != '"' && c != '\\')
            continue;
        rci_strbuf_append(b, s + run, i - 1 - run);
        run = i;
        char esc[7] = {'\\', 0};
        size_t n = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        rci_strbuf_append(b, esc, n);
    }
    rci_strbuf_append(b, s + run, len - run);
    put1(b, '"');
}

static void print_int(rci_strbuf *b, int64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%" PRId64, v);
    rci_strbuf_append(b, tmp, (size_t)n);
}

/* cJSON's rule: 15 significant digits unless that does not read back as the same double. */
static void print_double(rci_strbuf *b, double d)
{
    if (isnan(d) || isinf(d)) {
        rci_strbuf_append(b, "null", 4);
        return;
    }
    if (d == floor(d) && fabs(d) <= 9007199254740992.0) {
        print_int(b, (int64_t)d);
        return;
    }
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%1.15g", d);
    double back = strtod(tmp, NULL);
    if (fabs(back - d) > fmax(fabs(back), fabs(d)) * DBL_EPSILON)
        n = snprintf(tmp, sizeof tmp, "%1.17g", d);
    rci_strbuf_append(b, tmp, (size_t)n);
}

void rci_print_packed(rci_strbuf *b, const uint8_t *p)
{
    switch (*p & 7) {
    case RCI_T_NULL: rci_strbuf_append(b, "null", 4); return;
    case RCI_T_FALSE: rci_strbuf_append(b, "false", 5); return;
    case RCI_T_TRUE: rci_strbuf_append(b, "true", 4); return;
    case RCI_T_INT: print_int(b, rci_packed_int(p)); return;
    case RCI_T_DOUBLE: print_double(b, rci_packed_double(p)); return;
    case RCI_T_STRING: {
        size_t len;
        const char *s = rci_packed_str(p, &len);
        print_string(b, s, len);
        return;
    }
    default:
        break;
    }
    bool obj = (*p & 7) == RCI_T_OBJECT;
    size_t n;
    const uint8_t *m = rci_packed_body(p, &n);
    put1(b, obj ? '{' : '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            put1(b, ',');
        if (obj) {
            const char *key;
            size_t klen;
            m = rci_packed_member(m, &key, &klen);
            print_string(b, key, klen);
            put1(b, ':');
        }
        rci_print_packed(b, m);
        m = rci_packed_skip(m);
    }
    put1(b, obj ? '}' : ']');
}

void rci_print_cjson(rci_strbuf *b, const cJSON *v, unsigned depth)
{
    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        if (depth >= RC_OBJECT_MAX_DEPTH) {
            b->failed = true;
            return;
        }
        bool obj = cJSON_IsObject(v);
        rci_strbuf_putc(b, obj ? '{' : '[');
        for (const cJSON *c = v->child; c && !b->failed; c = c->next) {
            if (c != v->child)
                rci_strbuf_putc(b, ',');
            if (obj) {
                const char *k = c->string ? c->string : "";
                print_string(b, k, strlen(k));
                rci_strbuf_putc(b, ':');
            }
            rci_print_cjson(b, c, depth + 1);
        }
        rci_strbuf_putc(b, obj ? '}' : ']');
    } else if (cJSON_IsString(v)) {
        print_string(b, v->valuestring, strlen(v->valuestring));
    } else if (cJSON_IsNumber(v)) {
        print_double(b, v->valuedouble);
    } else if (cJSON_IsTrue(v)) {
        rci_strbuf_append(b, "true", 4);
    } else if (cJSON_IsFalse(v)) {
        rci_strbuf_append(b, "false", 5);
    } else {
        rci_strbuf_append(b, "null", 4);
    }
}
