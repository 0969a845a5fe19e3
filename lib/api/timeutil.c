/* timeutil.c - RFC 3339 timestamps for metav1.Time (seconds, "Z") and metav1.MicroTime (microseconds):
 * parsing with fractions and offsets into UTC rc_time nanoseconds, and formatting. Calendar arithmetic
 * is done here (proleptic Gregorian, days from civil dates) so results never depend on TZ or locale. */
#include <reconcile/values.h>

#include <string.h>

#define NSEC_PER_SEC 1000000000LL

/* Days since 1970-01-01 of y-m-d. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m)
{
    static const int DAYS[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : DAYS[m - 1];
}

/* Writes v as exactly n decimal digits (v < 10^n) at p; returns the end. */
static char *put_digits(char *p, int64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + n;
}

/* snprintf's contract: the full length is returned, at most cap - 1 bytes plus a NUL are written. The
 * digits are placed by hand (this runs for every timestamp the server stamps); int64 nanoseconds span
 * the years 1677-2262, so the year always has four digits and no sign. */
static size_t format_time(rc_time t, int frac_digits, char *buf, size_t cap)
{
    int64_t secs = t / NSEC_PER_SEC, ns = t % NSEC_PER_SEC;
    if (ns < 0) {
        ns += NSEC_PER_SEC;
        secs--;
    }
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    char text[32];
    char *p = put_digits(text, y, 4);
    *p++ = '-';
    p = put_digits(p, m, 2);
    *p++ = '-';
    p = put_digits(p, d, 2);
    *p++ = 'T';
    p = put_digits(p, rem / 3600, 2);
    *p++ = ':';
    p = put_digits(p, rem / 60 % 60, 2);
    *p++ = ':';
    p = put_digits(p, rem % 60, 2);
    if (frac_digits) {
        *p++ = '.';
        p = put_digits(p, ns / 1000, 6);
    }
    *p++ = 'Z';
    size_t n = (size_t)(p - text);
    if (cap) {
        size_t k = n < cap ? n : cap - 1;
        memcpy(buf, text, k);
        buf[k] = '\0';
    }
    return n;
}

size_t rc_time_format(rc_time t, char *buf, size_t cap) { return format_time(t, 0, buf, cap); }

size_t rc_time_format_micro(rc_time t, char *buf, size_t cap) { return format_time(t, 6, buf, cap); }

/* Reads exactly n digits at s[*pos]; false if any is not a digit. */
static bool read_num(const char *s, size_t *pos, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = s[*pos + (size_t)i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *pos += (size_t)n;
    *out = v;
    return true;
}

static bool expect(const char *s, size_t *pos, char c)
{
    if (s[*pos] != c)
        return false;
    (*pos)++;
    return true;
}

static int time_error(rc_error *err, const char *text, size_t pos, const char *what)
{
    return rc_error_set(err, RC_EINVAL, "invalid RFC 3339 time \"%s\" at position %zu: %s", text, pos, what);
}

int rc_time_parse(const char *text, rc_time *out, rc_error *err)
{
    if (!text)
        text = "";
    size_t pos = 0;
    int year, mon, day, hour, min, sec;
    if (!read_num(text, &pos, 4, &year) || !expect(text, &pos, '-') || !read_num(text, &pos, 2, &mon) ||
        !expect(text, &pos, '-') || !read_num(text, &pos, 2, &day))
        return time_error(err, text, pos, "expected a date YYYY-MM-DD");
    if (mon < 1 || mon > 12)
        return time_error(err, text, 5, "month out of range");
    if (day < 1 || day > days_in_month(year, mon))
        return time_error(err, text, 8, "day out of range");
    if (!expect(text, &pos, 'T'))
        return time_error(err, text, pos, "expected 'T'");
    size_t tpos = pos;
    if (!read_num(text, &pos, 2, &hour) || !expect(text, &pos, ':') || !read_num(text, &pos, 2, &min) ||
        !expect(text, &pos, ':') || !read_num(text, &pos, 2, &sec))
        return time_error(err, text, pos, "expected a time hh:mm:ss");
    if (hour > 23 || min > 59 || sec > 59)
        return time_error(err, text, tpos, "time of day out of range");
    int64_t ns = 0;
    if (text[pos] == '.') {
        pos++;
        int digits = 0;
        for (; text[pos] >= '0' && text[pos] <= '9'; pos++, digits++)
            if (digits < 9)
                ns = ns * 10 + (text[pos] - '0');
        if (digits == 0)
            return time_error(err, text, pos, "expected digits after '.'");
        for (; digits < 9; digits++)
            ns *= 10;
    }
    int64_t offset = 0;
    if (text[pos] == '+' || text[pos] == '-') {
        int sign = text[pos] == '-' ? -1 : 1, oh, om;
        size_t opos = pos++;
        if (!read_num(text, &pos, 2, &oh) || !expect(text, &pos, ':') || !read_num(text, &pos, 2, &om) ||
            oh > 23 || om > 59)
            return time_error(err, text, opos, "bad zone offset, expected +hh:mm or -hh:mm");
        offset = sign * (oh * 3600LL + om * 60LL);
    } else if (!expect(text, &pos, 'Z')) {
        return time_error(err, text, pos, "expected 'Z' or a zone offset");
    }
    if (text[pos])
        return time_error(err, text, pos, "extra text after the time");
    int64_t secs = days_from_civil(year, mon, day) * 86400 + hour * 3600LL + min * 60LL + sec - offset;
    /* rc_time covers 1677-09-21 to 2262-04-11. */
    if (secs > INT64_MAX / NSEC_PER_SEC || secs < INT64_MIN / NSEC_PER_SEC ||
        (secs == INT64_MAX / NSEC_PER_SEC && ns > INT64_MAX % NSEC_PER_SEC))
        return time_error(err, text, 0, "outside the range of rc_time (years 1678-2261)");
    *out = secs * NSEC_PER_SEC + ns;
    return 0;
}
