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

static void print_string(rci_strbuf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    if (!rci_strbuf_reserve(b, len + 2))
        return;
    rci_strbuf_putc(b, '"');
    size_t run = 0; /* start of the pending unescaped run */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 32 && c != '"' && c != '\\')
            continue;
        rci_strbuf_append(b, s + run, i - run);
        run = i + 1;
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
    rci_strbuf_putc(b, '"');
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
    rci_strbuf_putc(b, obj ? '{' : '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            rci_strbuf_putc(b, ',');
        if (obj) {
            const char *key;
            size_t klen;
            m = rci_packed_member(m, &key, &klen);
            print_string(b, key, klen);
            rci_strbuf_putc(b, ':');
        }
        rci_print_packed(b, m);
        m = rci_packed_skip(m);
    }
    rci_strbuf_putc(b, obj ? '}' : ']');
}

void rci_print_cjson(rci_strbuf *b, const cJSON *v)
{
    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        bool obj = cJSON_IsObject(v);
        rci_strbuf_putc(b, obj ? '{' : '[');
        for (const cJSON *c = v->child; c; c = c->next) {
            if (c != v->child)
                rci_strbuf_putc(b, ',');
            if (obj) {
                const char *k = c->string ? c->string : "";
                print_string(b, k, strlen(k));
                rci_strbuf_putc(b, ':');
            }
            rci_print_cjson(b, c);
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
