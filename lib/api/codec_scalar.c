/* codec_scalar.c - YAML 1.1 plain-scalar typing following go-yaml v2 (what kubectl uses through
 * sigs.k8s.io/yaml), C-locale number conversion, UTF-8 decoding and byte-offset-to-position mapping for
 * the codec (codec_yaml_read.c, codec_yaml_write.c, codec_json.c). */
#include "api/codec_scalar.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* The "C" locale, or (locale_t)0 in the unlikely case it could not be created. */
static locale_t c_locale_get(void)
{
    pthread_once(&c_locale_once, c_locale_init);
    return c_locale;
}

double rci_strtod(const char *s, char **end)
{
    locale_t c = c_locale_get();
    return c ? strtod_l(s, end, c) : strtod(s, end);
}

/* The words go-yaml v2 maps to booleans and null (its resolve table). */
static const struct {
    const char *word;
    rci_scalar_kind kind;
    bool b;
} keywords[] = {
    {"y", RCI_SCALAR_BOOL, true},      {"Y", RCI_SCALAR_BOOL, true},     {"yes", RCI_SCALAR_BOOL, true},
    {"Yes", RCI_SCALAR_BOOL, true},    {"YES", RCI_SCALAR_BOOL, true},   {"true", RCI_SCALAR_BOOL, true},
    {"True", RCI_SCALAR_BOOL, true},   {"TRUE", RCI_SCALAR_BOOL, true},  {"on", RCI_SCALAR_BOOL, true},
    {"On", RCI_SCALAR_BOOL, true},     {"ON", RCI_SCALAR_BOOL, true},    {"n", RCI_SCALAR_BOOL, false},
    {"N", RCI_SCALAR_BOOL, false},     {"no", RCI_SCALAR_BOOL, false},   {"No", RCI_SCALAR_BOOL, false},
    {"NO", RCI_SCALAR_BOOL, false},    {"false", RCI_SCALAR_BOOL, false}, {"False", RCI_SCALAR_BOOL, false},
    {"FALSE", RCI_SCALAR_BOOL, false}, {"off", RCI_SCALAR_BOOL, false},  {"Off", RCI_SCALAR_BOOL, false},
    {"OFF", RCI_SCALAR_BOOL, false},   {"~", RCI_SCALAR_NULL, false},    {"null", RCI_SCALAR_NULL, false},
    {"Null", RCI_SCALAR_NULL, false},  {"NULL", RCI_SCALAR_NULL, false}, {".nan", RCI_SCALAR_NONFINITE, false},
    {".NaN", RCI_SCALAR_NONFINITE, false}, {".NAN", RCI_SCALAR_NONFINITE, false},
    {".inf", RCI_SCALAR_NONFINITE, false}, {".Inf", RCI_SCALAR_NONFINITE, false},
    {".INF", RCI_SCALAR_NONFINITE, false}, {"+.inf", RCI_SCALAR_NONFINITE, false},
    {"+.Inf", RCI_SCALAR_NONFINITE, false}, {"+.INF", RCI_SCALAR_NONFINITE, false},
    {"-.inf", RCI_SCALAR_NONFINITE, false}, {"-.Inf", RCI_SCALAR_NONFINITE, false},
    {"-.INF", RCI_SCALAR_NONFINITE, false},
};

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return 99;
}

/* Go's strconv.ParseInt(s, 0, 64) / ParseUint: optional sign, 0x/0o/0b prefix or leading-0 octal. */
static bool parse_int(const char *s, size_t n, double *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    unsigned base = 10;
    if (i + 1 < n && s[i] == '0') {
        char p = s[i + 1];
        if (p == 'x' || p == 'X')
            base = 16, i += 2;
        else if (p == 'o' || p == 'O')
            base = 8, i += 2;
        else if (p == 'b' || p == 'B')
            base = 2, i += 2;
        else
            base = 8, i += 1;
    }
    if (i >= n)
        return false;
    uint64_t v = 0;
    for (; i < n; i++) {
        unsigned d = (unsigned)digit_value(s[i]);
        if (d >= base || v > (UINT64_MAX - d) / base)
            return false;
        v = v * base + d;
    }
    if (neg && v > (uint64_t)INT64_MAX + 1)
        return false;
    *out = neg ? -(double)v : (double)v;
    return true;
}

/* go-yaml's float pattern: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool looks_float(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    if (i < n && s[i] == '.') {
        size_t start = ++i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == start)
            return false;
    } else {
        size_t start = i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == start)
            return false;
        if (i < n && s[i] == '.')
            for (i++; i < n && is_digit(s[i]); i++)
                ;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t start = i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == start)
            return false;
    }
    return i == n;
}

/* strtod in the C locale; false when the value overflows (Go's ParseFloat fails then too). */
static bool parse_float(const char *s, double *out)
{
    errno = 0;
    double d = rci_strtod(s, NULL);
    if (errno == ERANGE && isinf(d))
        return false;
    *out = d;
    return true;
}

static rci_scalar resolve_number(const char *s, size_t n, bool strip_underscores)
{
    rci_scalar r = {.kind = RCI_SCALAR_STR};
    char small[128], *buf = NULL;
    const char *p = s;
    if (strip_underscores && memchr(s, '_', n)) {
        buf = n < sizeof small ? small : malloc(n + 1);
        if (!buf)
            return r;
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (s[i] != '_')
                buf[m++] = s[i];
        buf[m] = '\0';
        p = buf;
        n = m;
    }
    if (parse_int(p, n, &r.num)) {
        r.kind = RCI_SCALAR_NUM;
        r.is_int = true;
    } else if (looks_float(p, n) && parse_float(p, &r.num)) {
        r.kind = RCI_SCALAR_NUM;
    }
    if (buf && buf != small)
        free(buf);
    return r;
}

rci_scalar rci_yaml_resolve_plain(const char *s, size_t len)
{
    rci_scalar r = {.kind = RCI_SCALAR_STR};
    if (len == 0) {
        r.kind = RCI_SCALAR_NULL;
        return r;
    }
    char c = s[0];
    if (len <= 5 && strchr("yYnNtTfFoO~.+-", c)) {
        for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++) {
            if (keywords[i].word[0] == c && strcmp(keywords[i].word, s) == 0) {
                r.kind = keywords[i].kind;
                r.b = keywords[i].b;
                return r;
            }
        }
    }
    if (c == '.')
        return resolve_number(s, len, false);
    if (is_digit(c) || c == '+' || c == '-')
        return resolve_number(s, len, true);
    return r;
}

void rci_format_double(char *buf, size_t cap, double d)
{
    locale_t c = c_locale_get(), old = c ? uselocale(c) : (locale_t)0;
    if (d == trunc(d) && fabs(d) < 1e15) {
        snprintf(buf, cap, "%.0f", d);
    } else {
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(buf, cap, "%.*g", prec, d);
            if (rci_strtod(buf, NULL) == d)
                break;
        }
    }
    if (c)
        uselocale(old);
    if (strcmp(buf, "-0") == 0)
        snprintf(buf, cap, "0");
}

void rci_text_position(const char *text, size_t len, size_t offset, int *line, int *col)
{
    int l = 1, c = 1;
    if (offset > len)
        offset = len;
    for (size_t i = 0; i < offset; i++) {
        unsigned char b = (unsigned char)text[i];
        if (b == '\n') {
            l++;
            c = 1;
        } else if ((b & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

size_t rci_utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
    if (n == 0)
        return 0;
    unsigned b = s[0];
    size_t len;
    unsigned v, min;
    if (b < 0x80) {
        *cp = b;
        return 1;
    } else if ((b & 0xE0) == 0xC0) {
        len = 2, v = b & 0x1F, min = 0x80;
    } else if ((b & 0xF0) == 0xE0) {
        len = 3, v = b & 0x0F, min = 0x800;
    } else if ((b & 0xF8) == 0xF0) {
        len = 4, v = b & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}
