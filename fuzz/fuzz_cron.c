/* fuzz_cron.c - libFuzzer harness: cron schedules and time zone names, as a CronJob's spec.schedule and
 * spec.timeZone reach the controller. The input is "<schedule>\n<zone>" (no newline: schedule only, UTC).
 * A parsed schedule's next activation must lie strictly after the start and, for calendar schedules
 * (not @every), be stable: asking again from one second before it gives it back. Parse errors must name
 * the cron field at fault; a zone name the loader accepts must be usable. */
#include <reconcile.h>
#include <reconcile/cron.h>

#include "fuzz_util.h"

#define START ((rc_time)1704067200 * RC_SEC) /* 2024-01-01T00:00:00Z */

static void check_next(const rc_cron_schedule *s, const rc_timezone *tz, bool calendar)
{
    rc_time after = START;
    for (int i = 0; i < 4; i++) {
        rc_time next = rc_cron_next(s, tz, after);
        if (next == RC_TIME_NEVER)
            return;
        if (next <= after || (calendar && rc_cron_next(s, tz, next - RC_SEC) != next))
            abort();
        char buf[64];
        rc_timezone_format(tz, next, buf, sizeof buf);
        after = next;
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    if (!text)
        return 0;
    char *zone = strchr(text, '\n');
    if (zone)
        *zone++ = '\0';
    rc_error err = {0};
    rc_timezone *tz = NULL;
    if (zone && rc_timezone_load(zone, &tz, &err) == 0) {
        (void)rc_timezone_name(tz);
        (void)rc_timezone_offset(tz, START);
    }
    rc_error_clear(&err);
    rc_cron_schedule *s = NULL;
    if (rc_cron_parse(text, &s, &err) == 0) {
        check_next(s, tz ? tz : rc_timezone_utc(), !strstr(text, "@every"));
        rc_cron_free(s);
    } else if (!err.message || err.ncauses != 1 || !err.causes[0].field) {
        abort(); /* every parse error names the cron field at fault */
    }
    rc_error_clear(&err);
    rc_timezone_free(tz);
    free(text);
    return 0;
}
