/* codec_json.c - rc_decode_json: strict JSON (RFC 8259) to cJSON documents with line:column errors.
 * A small recursive-descent parser of its own rather than cJSON_Parse, because the codec needs positions,
 * duplicate-key and UTF-8 checks, the same limits as the YAML reader, and no global state (cJSON's parser
 * records its error in a process-wide variable, a data race when threads decode at once). */
#include "api/codec_internal.h"
#include "api/codec_scalar.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/map.h"
#include "util/strbuf.h"

#define INDEX_AT 8 /* objects with this many members get a hash index for duplicate checks */

typedef struct jparser {
    const char *s;
    size_t len, pos;
    const char *filename;
    rc_error *err;
    rci_codec_limits lim;
    size_t depth, nodes;
    rci_strbuf str; /* the string being unescaped */
} jparser;

static int fail_at(jparser *p, size_t pos, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail_at(jparser *p, size_t pos, int code, const char *fmt, ...)
{
    int line, col;
    rci_text_position(p->s, p->len, pos, &line, &col);
    va_list ap;
    va_start(ap, fmt);
    rci_codec_vfail(p->err, code, p->filename, line, col, fmt, ap);
    va_end(ap);
    return code;
}

static int nomem(jparser *p)
{
    return rc_error_set(p->err, RC_ENOMEM, "%s: out of memory while decoding", rci_codec_name(p->filename));
}

static void skip_ws(jparser *p)
{
    while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) && p->s[p->pos])
        p->pos++;
}

static int unexpected(jparser *p, const char *expected)
{
    if (p->pos >= p->len)
        return fail_at(p, p->pos, RC_EBADREQUEST, "unexpected end of input, expected %s", expected);
    unsigned char c = (unsigned char)p->s[p->pos];
    if (c >= 0x20 && c < 0x7F)
        return fail_at(p, p->pos, RC_EBADREQUEST, "unexpected character '%c', expected %s", c, expected);
    return fail_at(p, p->pos, RC_EBADREQUEST, "unexpected byte 0x%02X, expected %s", c, expected);
}

static int count_node(jparser *p)
{
    if (++p->nodes <= p->lim.max_nodes)
        return 0;
    return fail_at(p, p->pos, RC_ETOOLARGE, "more than %zu values", p->lim.max_nodes);
}

static int parse_value(jparser *p, cJSON **out);

static int hex4(jparser *p, size_t at, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < 4; i++) {
        char c = at + i < p->len ? p->s[at + i] : '\0';
        unsigned d = (c >= '0' && c <= '9') ? (unsigned)(c - '0')
                     : (c >= 'a' && c <= 'f') ? (unsigned)(c - 'a' + 10)
                     : (c >= 'A' && c <= 'F') ? (unsigned)(c - 'A' + 10) : 16u;
        if (d > 15)
            return fail_at(p, at + i, RC_EBADREQUEST, "invalid \\u escape: expected 4 hex digits");
        v = v * 16 + d;
    }
    *out = v;
    return 0;
}

static void put_utf8(rci_strbuf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    }
    rci_strbuf_append(b, u, n);
}

/* A \u escape at p->pos (just after the backslash and 'u'); surrogate pairs are joined, lone
 * surrogates become U+FFFD as Go's encoding/json does. */
static int unicode_escape(jparser *p)
{
    unsigned cp, lo;
    if (hex4(p, p->pos, &cp))
        return RC_EBADREQUEST;
    p->pos += 4;
    if (cp >= 0xD800 && cp <= 0xDBFF && p->pos + 6 <= p->len && p->s[p->pos] == '\\' &&
        p->s[p->pos + 1] == 'u' && hex4(p, p->pos + 2, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        p->pos += 6;
    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
        cp = 0xFFFD;
    }
    if (cp == 0)
        return fail_at(p, p->pos - 6, RC_EBADREQUEST, "strings cannot contain NUL characters");
    put_utf8(&p->str, cp);
    return 0;
}

/* Parses the string at p->pos (its opening quote) into p->str (NUL-terminated). */
static int parse_string(jparser *p)
{
    rci_strbuf_reset(&p->str);
    rci_strbuf_append(&p->str, "", 0);
    size_t start = ++p->pos;
    while (p->pos < p->len) {
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"') {
            p->pos++;
            return p->str.failed ? nomem(p) : 0;
        }
        if (c < 0x20)
            return fail_at(p, p->pos, RC_EBADREQUEST, "control character 0x%02X in string (escape it)", c);
        if (c >= 0x80) {
            unsigned cp;
            size_t n = rci_utf8_decode((const unsigned char *)p->s + p->pos, p->len - p->pos, &cp);
            if (!n)
                return fail_at(p, p->pos, RC_EBADREQUEST, "invalid UTF-8 byte 0x%02X in string", c);
            rci_strbuf_append(&p->str, p->s + p->pos, n);
            p->pos += n;
            continue;
        }
        if (c != '\\') {
            size_t run = p->pos;
            while (run < p->len && p->s[run] != '"' && p->s[run] != '\\' && (unsigned char)p->s[run] >= 0x20 &&
                   (unsigned char)p->s[run] < 0x80)
                run++;
            rci_strbuf_append(&p->str, p->s + p->pos, run - p->pos);
            p->pos = run;
            continue;
        }
        char e = p->pos + 1 < p->len ? p->s[p->pos + 1] : '\0';
        p->pos += 2;
        switch (e) {
        case '"': case '\\': case '/': rci_strbuf_putc(&p->str, e); break;
        case 'b': rci_strbuf_putc(&p->str, '\b'); break;
        case 'f': rci_strbuf_putc(&p->str, '\f'); break;
        case 'n': rci_strbuf_putc(&p->str, '\n'); break;
        case 'r': rci_strbuf_putc(&p->str, '\r'); break;
        case 't': rci_strbuf_putc(&p->str, '\t'); break;
        case 'u':
            if (unicode_escape(p))
                return RC_EBADREQUEST;
            break;
        default: return fail_at(p, p->pos - 2, RC_EBADREQUEST, "invalid escape sequence in string");
        }
    }
    return fail_at(p, start - 1, RC_EBADREQUEST, "unterminated string");
}

static int parse_number(jparser *p, cJSON **out)
{
    size_t i = p->pos;
    const char *s = p->s;
    if (i < p->len && s[i] == '-')
        i++;
    if (i < p->len && s[i] == '0') {
        i++;
    } else if (i < p->len && s[i] >= '1' && s[i] <= '9') {
        while (i < p->len && s[i] >= '0' && s[i] <= '9')
            i++;
    } else {
        return fail_at(p, i, RC_EBADREQUEST, "invalid number");
    }
    if (i < p->len && s[i] == '.') {
        size_t d = ++i;
        while (i < p->len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return fail_at(p, i, RC_EBADREQUEST, "invalid number: expected digits after '.'");
    }
    if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < p->len && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = i;
        while (i < p->len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return fail_at(p, i, RC_EBADREQUEST, "invalid number: expected digits in the exponent");
    }
    rci_strbuf_reset(&p->str);
    rci_strbuf_append(&p->str, s + p->pos, i - p->pos);
    if (p->str.failed)
        return nomem(p);
    errno = 0;
    double d = rci_strtod(p->str.data, NULL);
    if (errno == ERANGE && isinf(d))
        return fail_at(p, p->pos, RC_EBADREQUEST, "number %s is out of range", p->str.data);
    p->pos = i;
    *out = cJSON_CreateNumber(d);
    return *out ? 0 : nomem(p);
}

static int enter(jparser *p)
{
    if (++p->depth <= p->lim.max_depth)
        return 0;
    return fail_at(p, p->pos, RC_ETOOLARGE, "nesting deeper than %zu levels", p->lim.max_depth);
}

static bool member_exists(const cJSON *obj, const rci_map *index, const char *key)
{
    if (index->cap)
        return rci_map_get(index, key) != NULL;
    for (const cJSON *c = obj->child; c; c = c->next)
        if (strcmp(c->string, key) == 0)
            return true;
    return false;
}

static int object_members(jparser *p, cJSON *obj, rci_map *index)
{
    size_t n = 0;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == '}') {
        p->pos++;
        return 0;
    }
    for (;;) {
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != '"')
            return unexpected(p, "a string key");
        size_t key_pos = p->pos;
        int rc = parse_string(p);
        if (rc)
            return rc;
        if (member_exists(obj, index, p->str.data))
            return fail_at(p, key_pos, RC_EBADREQUEST, "duplicate key \"%s\"", p->str.data);
        char *key = strdup(p->str.data);
        if (!key)
            return nomem(p);
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != ':') {
            free(key);
            return unexpected(p, "':' after an object key");
        }
        p->pos++;
        cJSON *v = NULL;
        rc = parse_value(p, &v);
        bool added = !rc && cJSON_AddItemToObject(obj, key, v);
        free(key);
        if (rc)
            return rc;
        if (!added) {
            cJSON_Delete(v);
            return nomem(p);
        }
        if (++n >= INDEX_AT) {
            for (const cJSON *c = n == INDEX_AT ? obj->child : v; c; c = c->next)
                if (rci_map_put(index, c->string, (void *)(uintptr_t)1, NULL))
                    return nomem(p);
        }
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == '}') {
            p->pos++;
            return 0;
        }
        return unexpected(p, "',' or '}' after an object member");
    }
}

static int parse_object(jparser *p, cJSON **out)
{
    if (enter(p))
        return RC_ETOOLARGE;
    p->pos++;
    cJSON *obj = cJSON_CreateObject();
    if (!obj)
        return nomem(p);
    rci_map index;
    rci_map_init(&index);
    int rc = object_members(p, obj, &index);
    rci_map_free(&index);
    p->depth--;
    if (rc) {
        cJSON_Delete(obj);
        return rc;
    }
    *out = obj;
    return 0;
}

static int parse_array(jparser *p, cJSON **out)
{
    if (enter(p))
        return RC_ETOOLARGE;
    p->pos++;
    cJSON *arr = cJSON_CreateArray();
    if (!arr)
        return nomem(p);
    int rc = 0;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ']') {
        p->pos++;
    } else {
        for (;;) {
            cJSON *v = NULL;
            if ((rc = parse_value(p, &v)))
                break;
            cJSON_AddItemToArray(arr, v);
            skip_ws(p);
            if (p->pos < p->len && p->s[p->pos] == ',') {
                p->pos++;
                continue;
            }
            if (p->pos < p->len && p->s[p->pos] == ']') {
                p->pos++;
                break;
            }
            rc = unexpected(p, "',' or ']' after an array element");
            break;
        }
    }
    p->depth--;
    if (rc) {
        cJSON_Delete(arr);
        return rc;
    }
    *out = arr;
    return 0;
}

static int parse_literal(jparser *p, const char *word, cJSON *(*make)(void), cJSON **out)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
        return fail_at(p, p->pos, RC_EBADREQUEST, "invalid literal, expected %s", word);
    p->pos += n;
    *out = make();
    return *out ? 0 : nomem(p);
}

static int parse_value(jparser *p, cJSON **out)
{
    skip_ws(p);
    if (count_node(p))
        return RC_ETOOLARGE;
    char c = p->pos < p->len ? p->s[p->pos] : '\0';
    switch (c) {
    case '{': return parse_object(p, out);
    case '[': return parse_array(p, out);
    case 't': return parse_literal(p, "true", cJSON_CreateTrue, out);
    case 'f': return parse_literal(p, "false", cJSON_CreateFalse, out);
    case 'n': return parse_literal(p, "null", cJSON_CreateNull, out);
    case '"': {
        int rc = parse_string(p);
        if (rc)
            return rc;
        *out = cJSON_CreateString(p->str.data);
        return *out ? 0 : nomem(p);
    }
    default:
        if (c == '-' || (c >= '0' && c <= '9'))
            return parse_number(p, out);
        return unexpected(p, "a JSON value");
    }
}

int rc_decode_json(const char *text, size_t len, const char *filename, const rc_decode_options *opts,
                   rc_doc_list *out, rc_error *err)
{
    if ((!text && len) || !out)
        return rc_error_set(err, RC_EINVAL, "rc_decode_json: text and out are required");
    jparser p = {.s = text ? text : "", .len = len, .filename = filename, .err = err};
    p.lim = rci_codec_limits_of(opts);
    int rc = rci_codec_check_size(len, &p.lim, filename, err);
    if (rc)
        return rc;
    rci_strbuf_init(&p.str);
    rc_doc_list docs = {0};
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        p.pos = 3;
    int line = 1;
    size_t counted = 0; /* newlines before `counted` are in line */
    for (skip_ws(&p); !rc && p.pos < p.len; skip_ws(&p)) {
        for (; counted < p.pos; counted++)
            line += p.s[counted] == '\n';
        cJSON *doc = NULL;
        rc = parse_value(&p, &doc);
        if (!rc && cJSON_IsNull(doc))
            cJSON_Delete(doc);
        else if (!rc && rci_doc_list_push(&docs, doc, line))
            rc = nomem(&p);
    }
    if (!rc && rci_doc_list_move(out, &docs))
        rc = nomem(&p);
    rc_doc_list_clear(&docs);
    rci_strbuf_free(&p.str);
    return rc;
}
