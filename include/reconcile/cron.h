/* cron.h - cron schedules and IANA time zones, as the CronJob controller uses them.
 *
 * rc_cron_parse reads the standard five-field syntax of robfig/cron v3 (the parser Kubernetes uses):
 * "minute hour day-of-month month day-of-week", each field `*`, `?`, a value, a range `a-b`, a list
 * `x,y`, or a star or range with a step `/n` (`a/n` means a-max/n); month names JAN-DEC and weekday names SUN-SAT
 * (case-insensitive); the macros @yearly/@annually, @monthly, @weekly, @daily/@midnight, @hourly and
 * `@every <Go duration>`. A `TZ=` or `CRON_TZ=` prefix is rejected (Kubernetes wants spec.timeZone).
 * Errors name the field and the value that is wrong.
 *
 * rc_timezone_load reads a zone from the system tz database (TZif files under $TZDIR or
 * /usr/share/zoneinfo; Debian's tzdata package) with its own parser: no setenv("TZ"), no localtime, so
 * any number of threads may load and use zones at once.
 *
 * rc_cron_next computes the next activation strictly after a time, evaluated in a zone, with
 * robfig/cron's exact semantics (including daylight-saving changes: a wall time that does not exist is
 * skipped, a wall time that occurs twice fires twice).
 *
 * Schedules and zones are immutable once made: thread-safe to share. */
#ifndef RECONCILE_CRON_H
#define RECONCILE_CRON_H

#include "clock.h"
#include "common.h"

typedef struct rc_cron_schedule rc_cron_schedule;
typedef struct rc_timezone rc_timezone;

/* Parses spec into a new schedule (*out; free with rc_cron_free). RC_EINVAL with a message naming the
 * field and value (e.g. `hour field "25": value 25 is above the maximum 23`) and one cause whose field is
 * the cron field's name ("minute", "hour", "day-of-month", "month", "day-of-week", "descriptor", "timezone"
 * or "spec"). *out is written only on success. */
RC_API int rc_cron_parse(const char *spec, rc_cron_schedule **out, rc_error *err);
RC_API void rc_cron_free(rc_cron_schedule *s);

/* The first activation strictly after `after` (rounded up to the next whole second), evaluated in tz
 * (NULL = UTC). RC_TIME_NEVER when the schedule has no activation within the next five years (e.g.
 * "0 0 30 2 *"). */
RC_API rc_time rc_cron_next(const rc_cron_schedule *s, const rc_timezone *tz, rc_time after);

/* UTC (static; never freed, rc_timezone_free ignores it). */
RC_API const rc_timezone *rc_timezone_utc(void);
/* Loads the IANA zone `name` ("Europe/Berlin"; "UTC" and "" give UTC without reading files) into *out
 * (free with rc_timezone_free). RC_EINVAL for a malformed name (absolute path, "..", odd characters),
 * RC_ENOTFOUND when the tz database has no such zone, RC_EBADREQUEST for a corrupt file; the message
 * names the zone. */
RC_API int rc_timezone_load(const char *name, rc_timezone **out, rc_error *err);
RC_API void rc_timezone_free(const rc_timezone *tz);
/* The zone's name as given to rc_timezone_load (borrowed). */
RC_API const char *rc_timezone_name(const rc_timezone *tz);
/* Seconds east of UTC in effect at t in tz (NULL = UTC). */
RC_API int32_t rc_timezone_offset(const rc_timezone *tz, rc_time t);
/* RFC 3339 text of t in tz with its offset, "2024-03-10T08:30:00-04:00" ("Z" for a zero offset), seconds
 * precision. snprintf-like: returns the length needed, writes at most cap bytes. */
RC_API size_t rc_timezone_format(const rc_timezone *tz, rc_time t, char *buf, size_t cap);

#endif
