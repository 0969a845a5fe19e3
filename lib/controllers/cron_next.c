/* cron_next.c - the next activation of a cron schedule in a time zone, following robfig/cron v3's
 * SpecSchedule.Next step by step (wall-clock fields in the zone, absolute additions for hours, minutes
 * and seconds, Go's time.Date rules for normalising dates that fall into a daylight-saving gap), so
 * CronJob runs at the same instants as upstream's. */
#include "controllers/cron_internal.h"

/* Wall-clock fields of an instant in a zone. */
typedef struct wall {
    int64_t year;
    int month, day, hour, minute, second, weekday;
} wall;

static wall to_wall(const rc_timezone *tz, int64_t t)
{
    rci_tz_period p;
    rci_tz_lookup(tz, t, &p);
    int64_t local = t + p.off, days = rci_floor_div(local, 86400), rem = local - days * 86400;
    wall w;
    rci_civil_from_days(days, &w.year, &w.month, &w.day);
    w.hour = (int)(rem / 3600);
    w.minute = (int)(rem % 3600 / 60);
    w.second = (int)(rem % 60);
    w.weekday = rci_weekday_from_days(days);
    return w;
}

/* Go's time.Date(y, mon, day, hour, 0, 0, 0, loc): fields normalised, then the offset chosen as Go
 * does (the offset of the period the local time falls in, corrected when the result lies outside it). */
static int64_t date_in(const rc_timezone *tz, int64_t y, int64_t mon, int64_t day, int64_t hour)
{
    int64_t m0 = mon - 1;
    y += rci_floor_div(m0, 12);
    m0 -= rci_floor_div(m0, 12) * 12;
    int64_t local = (rci_days_from_civil(y, (int)m0 + 1, 1) + day - 1) * 86400 + hour * 3600;
    rci_tz_period p;
    rci_tz_lookup(tz, local, &p);
    if (p.off != 0) {
        int64_t utc = local - p.off;
        if (utc < p.start || utc >= p.end)
            rci_tz_lookup(tz, utc, &p);
        local -= p.off;
    }
    return local;
}

static bool day_matches(const rc_cron_schedule *s, const wall *w)
{
    bool dom = s->dom >> w->day & 1, dow = s->dow >> w->weekday & 1;
    if (s->dom_star || s->dow_star)
        return dom && dow;
    return dom || dow;
}

rc_time rc_cron_next(const rc_cron_schedule *s, const rc_timezone *tz, rc_time after)
{
    if (!s)
        return RC_TIME_NEVER;
    int64_t t = rci_floor_div(after, RC_SEC) + 1; /* the upcoming whole second */
    if (s->every_sec > 0) {
        int64_t base = rci_floor_div(after, RC_SEC);
        if (s->every_sec > INT64_MAX / RC_SEC - base) /* beyond what rc_time can hold */
            return RC_TIME_NEVER;
        return (base + s->every_sec) * RC_SEC;
    }
    bool added = false;
    wall w = to_wall(tz, t);
    int64_t year_limit = w.year + 5;
wrap:
    w = to_wall(tz, t);
    if (w.year > year_limit)
        return RC_TIME_NEVER;
    while (!(s->month >> w.month & 1)) {
        if (!added) {
            added = true;
            t = date_in(tz, w.year, w.month, 1, 0);
        }
        w = to_wall(tz, t);
        t = date_in(tz, w.year, w.month + 1, w.day, w.hour) + w.minute * 60 + w.second;
        w = to_wall(tz, t);
        if (w.month == 1)
            goto wrap;
    }
    while (!day_matches(s, &w)) {
        if (!added) {
            added = true;
            t = date_in(tz, w.year, w.month, w.day, 0);
            w = to_wall(tz, t);
        }
        t = date_in(tz, w.year, w.month, w.day + 1, w.hour) + w.minute * 60 + w.second;
        w = to_wall(tz, t);
        if (w.hour != 0) { /* a daylight-saving change moved midnight */
            t += (w.hour > 12 ? 24 - w.hour : -w.hour) * 3600;
            w = to_wall(tz, t);
        }
        if (w.day == 1)
            goto wrap;
    }
    while (!(s->hour >> w.hour & 1)) {
        if (!added) {
            added = true;
            t = date_in(tz, w.year, w.month, w.day, w.hour);
        }
        t += 3600;
        w = to_wall(tz, t);
        if (w.hour == 0)
            goto wrap;
    }
    while (!(s->minute >> w.minute & 1)) {
        if (!added) {
            added = true;
            t = rci_floor_div(t, 60) * 60;
        }
        t += 60;
        w = to_wall(tz, t);
        if (w.minute == 0)
            goto wrap;
    }
    if (w.second != 0) { /* the standard syntax always means second 0: on to the next minute */
        added = true;
        t = (rci_floor_div(t, 60) + 1) * 60;
        goto wrap;
    }
    return t * RC_SEC;
}
