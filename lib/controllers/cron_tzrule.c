/* cron_tzrule.c - POSIX TZ rules ("CET-1CEST,M3.5.0,M10.5.0/3"), the footer of TZif files that
 * gives daylight-saving transitions after the last one the file lists. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "controllers/cron_internal.h"

static const char *parse_name(const char *s)
{
    if (*s == '<') {
        const char *e = strchr(s, '>');
        return e && e - s >= 4 ? e + 1 : NULL;
    }
    const char *p = s;
    while (isalpha((unsigned char)*p))
        p++;
    return p - s >= 3 ? p : NULL;
}

static const char *parse_num(const char *s, int max, int *out)
{
    if (!isdigit((unsigned char)*s))
        return NULL;
    int v = 0;
    while (isdigit((unsigned char)*s)) {
        v = v * 10 + (*s++ - '0');
        if (v > max)
            return NULL;
    }
    *out = v;
    return s;
}

/* [+-]hh[:mm[:ss]] in seconds; max_hours bounds hh. */
static const char *parse_hms(const char *s, int max_hours, int32_t *out)
{
    int sign = 1, h = 0, m = 0, sec = 0;
    if (*s == '+' || *s == '-')
        sign = *s++ == '-' ? -1 : 1;
    if (!(s = parse_num(s, max_hours, &h)))
        return NULL;
    if (*s == ':' && !(s = parse_num(s + 1, 59, &m)))
        return NULL;
    if (*s == ':' && !(s = parse_num(s + 1, 59, &sec)))
        return NULL;
    *out = sign * (h * 3600 + m * 60 + sec);
    return s;
}

static const char *parse_date(const char *s, rci_tz_rule_date *d)
{
    memset(d, 0, sizeof *d);
    d->time = 2 * 3600;
    if (*s == 'J') {
        d->kind = 'J';
        if (!(s = parse_num(s + 1, 365, &d->n)) || d->n < 1)
            return NULL;
    } else if (*s == 'M') {
        d->kind = 'M';
        if (!(s = parse_num(s + 1, 12, &d->month)) || d->month < 1 || *s != '.' ||
            !(s = parse_num(s + 1, 5, &d->week)) || d->week < 1 || *s != '.' ||
            !(s = parse_num(s + 1, 6, &d->weekday)))
            return NULL;
    } else {
        d->kind = 'D';
        if (!(s = parse_num(s, 365, &d->n)))
            return NULL;
    }
    if (*s == '/')
        s = parse_hms(s + 1, 167, &d->time);
    return s;
}

bool rci_tz_rule_parse(const char *s, rci_tz_rule *out)
{
    rci_tz_rule r;
    memset(&r, 0, sizeof r);
    int32_t west;
    if (!(s = parse_name(s)) || !(s = parse_hms(s, 24, &west)))
        return false;
    r.std_off = -west;
    r.dst_off = r.std_off;
    if (*s == '\0') {
        *out = r;
        return true;
    }
    if (!(s = parse_name(s)))
        return false;
    r.has_dst = true;
    r.dst_off = r.std_off + 3600;
    if (*s && *s != ',') {
        if (!(s = parse_hms(s, 24, &west)))
            return false;
        r.dst_off = -west;
    }
    if (*s == '\0') { /* no rule: the US default, as Go does */
        r.start = (rci_tz_rule_date){'M', 0, 3, 2, 0, 2 * 3600};
        r.end = (rci_tz_rule_date){'M', 0, 11, 1, 0, 2 * 3600};
    } else if (*s != ',' || !(s = parse_date(s + 1, &r.start)) || *s != ',' || !(s = parse_date(s + 1, &r.end)) ||
               *s != '\0') {
        return false;
    }
    *out = r;
    return true;
}

/* Local midnight (as seconds since the epoch in local time) of the rule date in year y. */
static int64_t rule_day_seconds(const rci_tz_rule_date *d, int64_t y)
{
    int64_t jan1 = rci_days_from_civil(y, 1, 1), day;
    bool leap = rci_days_in_month(y, 2) == 29;
    if (d->kind == 'J') {
        day = jan1 + d->n - 1 + (leap && d->n >= 60);
    } else if (d->kind == 'D') {
        day = jan1 + d->n;
    } else {
        int64_t first = rci_days_from_civil(y, d->month, 1);
        int wd = rci_weekday_from_days(first);
        int mday = 1 + (d->weekday - wd + 7) % 7 + (d->week - 1) * 7;
        int dim = rci_days_in_month(y, d->month);
        while (mday > dim)
            mday -= 7;
        day = first + mday - 1;
    }
    return day * 86400;
}

void rci_tz_rule_lookup(const rci_tz_rule *r, int64_t t, rci_tz_period *out)
{
    out->start = INT64_MIN;
    out->end = INT64_MAX;
    out->off = r->std_off;
    if (!r->has_dst)
        return;
    int64_t days = rci_floor_div(t + r->std_off, 86400), y;
    int m, d;
    rci_civil_from_days(days, &y, &m, &d);
    /* Transitions of the previous, current and next year, in time order (each year: start and end). */
    struct {
        int64_t at;
        int32_t off;
    } tr[6];
    size_t n = 0;
    for (int64_t yy = y - 1; yy <= y + 1; yy++) {
        int64_t s = rule_day_seconds(&r->start, yy) + r->start.time - r->std_off;
        int64_t e = rule_day_seconds(&r->end, yy) + r->end.time - r->dst_off;
        if (s <= e) {
            tr[n].at = s, tr[n++].off = r->dst_off;
            tr[n].at = e, tr[n++].off = r->std_off;
        } else {
            tr[n].at = e, tr[n++].off = r->std_off;
            tr[n].at = s, tr[n++].off = r->dst_off;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (tr[i].at <= t) {
            out->off = tr[i].off;
            out->start = tr[i].at;
            out->end = i + 1 < n ? tr[i + 1].at : INT64_MAX;
        }
    }
    if (out->start == INT64_MIN) { /* before the first listed transition: the last state of year y-2 */
        out->off = tr[0].off == r->dst_off ? r->std_off : r->dst_off;
        out->end = tr[0].at;
    }
}
