/* cronjob_schedule.c - the CronJob controller's time arithmetic (spec section 6.4): which activation is
 * due now, how many were missed since the last one (the upstream approximation from the first interval,
 * then exact iteration), the next one, and Job names from scheduled times. */
#include <stdio.h>

#include "controllers/cron_internal.h"
#include "controllers/cronjob.h"

void rci_cronjob_job_name(const char *cronjob, rc_time t, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s-%lld", cronjob, (long long)rci_floor_div(t, 60 * RC_SEC));
}

void rci_cronjob_missed(const rc_cron_schedule *s, const rc_timezone *tz, rc_time earliest, rc_time now,
                        rci_missed *out)
{
    *out = (rci_missed){0, RC_TIME_NEVER, 0, false};
    rc_time t1 = rc_cron_next(s, tz, earliest);
    if (t1 == RC_TIME_NEVER || t1 > now) {
        out->next = t1;
        return;
    }
    rc_time t2 = rc_cron_next(s, tz, t1);
    if (t2 == RC_TIME_NEVER || t2 > now) {
        out->most_recent = t1;
        out->missed = 1;
        out->next = t2;
        return;
    }
    int64_t interval = (t2 - t1 + RC_SEC / 2) / RC_SEC; /* rounded to seconds */
    if (interval < 1) {
        out->bad_interval = true;
        return;
    }
    out->missed = (now - t1) / RC_SEC / interval + 1;
    /* Jump close to now with the first interval, then walk the real schedule; back off when the jump
     * overshot (uneven schedules such as weekdays only). */
    rc_time found = 0;
    for (int64_t back = 2; !found; back *= 2) {
        rc_time start = t1 + (out->missed - back) * interval * RC_SEC;
        if (start <= t1 || back > out->missed)
            start = t1;
        for (rc_time t = start == t1 ? t1 : rc_cron_next(s, tz, start - RC_SEC); t != RC_TIME_NEVER && t <= now;
             t = rc_cron_next(s, tz, t))
            found = t;
        if (start == t1)
            break;
    }
    out->most_recent = found ? found : t1;
    out->next = rc_cron_next(s, tz, out->most_recent);
}
