/* duration.c - Go time.Duration text ("1h30m", "500ms", "2m3.5s") as Kubernetes uses it in
 * metav1.Duration fields and flags: parsing with Go's rules and messages, and Duration.String(). */
#include <reconcile/values.h>

#include <string.h>

#define LIMIT ((uint64_t)1 << 63)

static const struct { const char *name; uint64_t ns; } UNITS[] = {
    {"ns", 1},       {"us", 1000},         {"\xc2\xb5s", 1000}, /* U+00B5 micro sign */
    {"\xce\xbcs", 1000},                                         /* U+03BC Greek mu */
    {"ms", 1000000}, {"s", 1000000000ULL}, {"m", 60000000000ULL}, {"h", 3600000000000ULL}};

static int invalid(rc_error *err, const char *text)
{
    return rc_error_set(err, RC_EINVAL, "time: invalid duration \"%s\"", text);
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

int rc_duration_parse(const char *text, rc_duration *out, rc_error *err)
{
    if (!text)
        text = "";
    const char *s = text;
    bool neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    if (strcmp(s, "0") == 0) {
        *out = 0;
        return 0;
    }
    if (!*s)
        return invalid(err, text);
    uint64_t total = 0;
    while (*s) {
        if (*s != '.' && !is_digit(*s))
            return invalid(err, text);
        uint64_t whole = 0;
        const char *start = s;
        for (; is_digit(*s); s++) {
            if (whole > (LIMIT - 1) / 10)
                return invalid(err, text);
            whole = whole * 10 + (uint64_t)(*s - '0');
            if (whole > LIMIT)
                return invalid(err, text);
        }
        bool had_whole = s != start;
        /* Fraction digits: kept while they fit, like Go (later digits are below nanosecond weight). */
        uint64_t frac = 0;
        double frac_scale = 1;
        bool had_frac = false, frac_full = false;
        if (*s == '.') {
            for (s++; is_digit(*s); s++) {
                had_frac = true;
                if (frac_full || frac > (LIMIT - 1) / 10) {
                    frac_full = true;
                    continue;
                }
                frac = frac * 10 + (uint64_t)(*s - '0');
                frac_scale *= 10;
            }
        }
        if (!had_whole && !had_frac)
            return invalid(err, text);
        const char *unit = s;
        while (*s && *s != '.' && !is_digit(*s))
            s++;
        size_t ulen = (size_t)(s - unit);
        if (ulen == 0)
            return rc_error_set(err, RC_EINVAL, "time: missing unit in duration \"%s\"", text);
        uint64_t ns = 0;
        for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++)
            if (strlen(UNITS[i].name) == ulen && memcmp(UNITS[i].name, unit, ulen) == 0)
                ns = UNITS[i].ns;
        if (!ns)
            return rc_error_set(err, RC_EINVAL, "time: unknown unit \"%.*s\" in duration \"%s\"", (int)ulen, unit,
                                text);
        if (whole > LIMIT / ns)
            return invalid(err, text);
        whole *= ns;
        if (frac > 0) {
            whole += (uint64_t)((double)frac * ((double)ns / frac_scale));
            if (whole > LIMIT)
                return invalid(err, text);
        }
        total += whole;
        if (total > LIMIT)
            return invalid(err, text);
    }
    if (!neg && total > LIMIT - 1)
        return invalid(err, text);
    *out = neg ? (rc_duration)(0 - total) : (rc_duration)total;
    return 0;
}

/* Writes v's digits ending just before buf[w]; returns the new start. */
static size_t put_int(char *buf, size_t w, uint64_t v)
{
    do {
        buf[--w] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return w;
}

/* Writes the low `prec` digits of *v as a fraction (trailing zeros and a bare '.' omitted) ending before
 * buf[w]; leaves the integer part in *v. */
static size_t put_frac(char *buf, size_t w, uint64_t *v, int prec)
{
    bool printed = false;
    for (int i = 0; i < prec; i++) {
        unsigned digit = (unsigned)(*v % 10);
        printed |= digit != 0;
        if (printed)
            buf[--w] = (char)('0' + digit);
        *v /= 10;
    }
    if (printed)
        buf[--w] = '.';
    return w;
}

size_t rc_duration_format(rc_duration d, char *buf, size_t cap)
{
    char tmp[40];
    size_t w = sizeof tmp;
    uint64_t u = d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
    if (u < 1000000000ULL) {
        int prec = 0;
        const char *unit = "ns";
        if (u == 0) {
            unit = "s";
        } else if (u >= 1000000ULL) {
            prec = 6;
            unit = "ms";
        } else if (u >= 1000ULL) {
            prec = 3;
            unit = "\xc2\xb5s";
        }
        size_t ulen = strlen(unit);
        w -= ulen;
        memcpy(tmp + w, unit, ulen);
        w = put_frac(tmp, w, &u, prec);
        w = put_int(tmp, w, u);
    } else {
        tmp[--w] = 's';
        w = put_frac(tmp, w, &u, 9);
        w = put_int(tmp, w, u % 60);
        u /= 60;
        if (u > 0) {
            tmp[--w] = 'm';
            w = put_int(tmp, w, u % 60);
            u /= 60;
            if (u > 0) {
                tmp[--w] = 'h';
                w = put_int(tmp, w, u);
            }
        }
    }
    if (d < 0)
        tmp[--w] = '-';
    size_t len = sizeof tmp - w;
    if (cap) {
        size_t n = len < cap ? len : cap - 1;
        memcpy(buf, tmp + w, n);
        buf[n] = '\0';
    }
    return len;
}
