/* object_parse.c - JSON text straight into the packed form (no cJSON tree in between).
 *
 * A strict RFC 8259 recursive-descent parser feeding an rci_packer: strings without escapes are copied
 * once, into the packed buffer; integers without fraction or exponent that fit int64 are kept exact.
 * Errors name the byte offset. Nesting deeper than MAX_DEPTH is rejected rather than risking the stack. */
#include "api/object_internal.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 512
#define MAX_NUMBER_LEN 400

typedef struct parser {
    const char *s;
    size_t len, pos;
    rci_packer *w;
    char *scratch; /* unescaped string bytes */
    size_t scratch_cap;
    rc_error *err;
    bool failed;
} parser;

static bool fail(parser *p, const char *what)
{
    if (!p->failed)
        rc_error_set(p->err, RC_EBADREQUEST, "invalid JSON at offset %zu: %s", p->pos, what);
    p->failed = true;
    return false;
}

static void skip_ws(parser *p)
{
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->pos++;
    }
}

static bool literal(parser *p, const char *word, size_t n)
{
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
        return fail(p, "unexpected character");
    p->pos += n;
    return true;
}

static int hex4(const char *s)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static bool scratch_put(parser *p, size_t at, const char *bytes, size_t n)
{
    if (at + n > p->scratch_cap) {
        size_t cap = p->scratch_cap ? p->scratch_cap : 64;
        while (cap < at + n)
            cap *= 2;
        char *s = realloc(p->scratch, cap);
        if (!s) {
            rc_error_set(p->err, RC_ENOMEM, "out of memory parsing JSON");
            p->failed = true;
            return false;
        }
        p->scratch = s;
        p->scratch_cap = cap;
    }
    if (n)
        memcpy(p->scratch + at, bytes, n);
    return true;
}

static size_t utf8_encode(char out[4], unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Decodes the \u escape at p->pos (after the backslash and 'u'), with a following low surrogate. */
static bool unicode_escape(parser *p, unsigned *cp)
{
    if (p->len - p->pos < 4 || (*cp = (unsigned)hex4(p->s + p->pos)) > 0xffff)
        return fail(p, "bad \\u escape");
    p->pos += 4;
    if (*cp >= 0xdc00 && *cp <= 0xdfff)
        return fail(p, "unpaired low surrogate");
    if (*cp < 0xd800 || *cp > 0xdbff)
        return true;
    int lo;
    if (p->len - p->pos < 6 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u' ||
        (lo = hex4(p->s + p->pos + 2)) < 0xdc00 || lo > 0xdfff)
        return fail(p, "unpaired high surrogate");
    p->pos += 6;
    *cp = 0x10000 + ((*cp - 0xd800) << 10) + ((unsigned)lo - 0xdc00);
    return true;
}

/* Parses the string at p->pos (at the opening quote) into out and n (input or scratch bytes). */
/* Bytes a string scan must stop at: '"', '\\' and control characters. */
static const bool stop_byte[256] = {
    [0] = 1, [1] = 1, [2] = 1, [3] = 1, [4] = 1, [5] = 1, [6] = 1, [7] = 1, [8] = 1, [9] = 1, [10] = 1,
    [11] = 1, [12] = 1, [13] = 1, [14] = 1, [15] = 1, [16] = 1, [17] = 1, [18] = 1, [19] = 1, [20] = 1,
    [21] = 1, [22] = 1, [23] = 1, [24] = 1, [25] = 1, [26] = 1, [27] = 1, [28] = 1, [29] = 1, [30] = 1,
    [31] = 1, ['"'] = 1, ['\\'] = 1};

static bool string_token(parser *p, const char **out, size_t *n)
{
    size_t start = ++p->pos, w = 0;
    bool escaped = false;
    while (p->pos < p->len) {
        if (!escaped) {
            const unsigned char *s = (const unsigned char *)p->s;
            size_t i = p->pos, end = p->len;
            while (i < end && !stop_byte[s[i]])
                i++;
            p->pos = i;
            if (i == end)
                break;
        }
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"') {
            if (!escaped) {
                *out = p->s + start;
                *n = p->pos - start;
            } else {
                *out = p->scratch;
                *n = w;
            }
            p->pos++;
            return true;
        }
        if (c < 0x20)
            return fail(p, "control character in string");
        if (c != '\\') {
            if (escaped && !scratch_put(p, w++, (const char *)&c, 1))
                return false;
            p->pos++;
            continue;
        }
        if (!escaped) {
            escaped = true;
            w = p->pos - start;
            if (!scratch_put(p, 0, p->s + start, w))
                return false;
        }
        if (++p->pos >= p->len)
            break;
        char e = p->s[p->pos++], buf[4];
        size_t k = 1;
        switch (e) {
        case '"': case '\\': case '/': buf[0] = e; break;
        case 'b': buf[0] = '\b'; break;
        case 'f': buf[0] = '\f'; break;
        case 'n': buf[0] = '\n'; break;
        case 'r': buf[0] = '\r'; break;
        case 't': buf[0] = '\t'; break;
        case 'u': {
            unsigned cp = 0;
            if (!unicode_escape(p, &cp))
                return false;
            k = utf8_encode(buf, cp);
            break;
        }
        default:
            p->pos--;
            return fail(p, "bad escape in string");
        }
        if (!scratch_put(p, w, buf, k))
            return false;
        w += k;
    }
    return fail(p, "unterminated string");
}

static bool digits(parser *p)
{
    size_t start = p->pos;
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
        p->pos++;
    return p->pos > start || fail(p, "expected a digit");
}

static bool number(parser *p)
{
    size_t start = p->pos;
    bool neg = p->s[p->pos] == '-', integral = true;
    if (neg)
        p->pos++;
    if (p->pos < p->len && p->s[p->pos] == '0')
        p->pos++;
    else if (!digits(p))
        return false;
    if (p->pos < p->len && p->s[p->pos] == '.') {
        integral = false;
        p->pos++;
        if (!digits(p))
            return false;
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        integral = false;
        p->pos++;
        if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
            p->pos++;
        if (!digits(p))
            return false;
    }
    size_t n = p->pos - start;
    if (integral) {
        uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        bool fits = true;
        for (size_t i = start + neg; i < p->pos && fits; i++) {
            unsigned d = (unsigned)(p->s[i] - '0');
            fits = v <= (limit - d) / 10;
            v = v * 10 + d;
        }
        if (fits) {
            rci_packer_int(p->w, neg ? (int64_t)(0 - v) : (int64_t)v);
            return true;
        }
    }
    if (n > MAX_NUMBER_LEN) {
        p->pos = start;
        return fail(p, "number too long");
    }
    char tmp[MAX_NUMBER_LEN + 1];
    memcpy(tmp, p->s + start, n);
    tmp[n] = '\0';
    rci_packer_number(p->w, strtod(tmp, NULL));
    return true;
}

static bool value(parser *p, unsigned depth);

static bool container(parser *p, unsigned depth, bool object)
{
    if (depth >= MAX_DEPTH)
        return fail(p, "nesting too deep");
    char close = object ? '}' : ']';
    p->pos++;
    rci_packer_open(p->w, object);
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        rci_packer_close(p->w);
        return true;
    }
    for (;;) {
        skip_ws(p);
        if (object) {
            const char *key;
            size_t klen;
            if (p->pos >= p->len || p->s[p->pos] != '"')
                return fail(p, "expected a string key");
            if (!string_token(p, &key, &klen))
                return false;
            rci_packer_key(p->w, key, klen);
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':')
                return fail(p, "expected ':'");
            p->pos++;
        }
        if (!value(p, depth + 1))
            return false;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == close) {
            p->pos++;
            rci_packer_close(p->w);
            return true;
        }
        return fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static bool value(parser *p, unsigned depth)
{
    skip_ws(p);
    if (p->pos >= p->len)
        return fail(p, "unexpected end of input");
    switch (p->s[p->pos]) {
    case '{':
        return container(p, depth, true);
    case '[':
        return container(p, depth, false);
    case '"': {
        const char *s;
        size_t n;
        if (!string_token(p, &s, &n))
            return false;
        rci_packer_string(p->w, s, n);
        return true;
    }
    case 't':
        rci_packer_bool(p->w, true);
        return literal(p, "true", 4);
    case 'f':
        rci_packer_bool(p->w, false);
        return literal(p, "false", 5);
    case 'n':
        rci_packer_null(p->w);
        return literal(p, "null", 4);
    default:
        if (p->s[p->pos] == '-' || (p->s[p->pos] >= '0' && p->s[p->pos] <= '9'))
            return number(p);
        return fail(p, "unexpected character");
    }
}

bool rci_parse_json(rci_packer *w, const char *json, size_t len, rc_error *err)
{
    parser p = {.s = json, .len = len, .w = w, .err = err};
    bool ok = value(&p, 0);
    if (ok) {
        skip_ws(&p);
        if (p.pos != p.len)
            ok = fail(&p, "trailing characters after the value");
    }
    free(p.scratch);
    if (ok && w->failed) {
        rc_error_set(err, RC_ENOMEM, "out of memory parsing JSON");
        ok = false;
    }
    return ok;
}
