/* cron_internal.h - internals shared by the cron schedule parser (cron_parse.c), the next-activation
 * search (cron_next.c) and the tz database reader (cron_tz.c, cron_tzrule.c): the parsed schedule, the
 * loaded zone, and proleptic Gregorian calendar arithmetic on Unix seconds. */
#ifndef RC_CONTROLLERS_CRON_INTERNAL_H
#define RC_CONTROLLERS_CRON_INTERNAL_H

#include <reconcile/cron.h>

/* Bit masks of allowed values per field (bit v set = value v allowed). */
struct rc_cron_schedule {
    uint64_t minute, hour, dom, month, dow;
    bool dom_star, dow_star; /* the field was an unrestricted `*`/`?` (robfig's starBit) */
    int64_t every_sec;       /* > 0: an `@every` schedule with this period; the masks are unused */
};

/* One zone type: offset east of UTC and whether it is daylight time. */
typedef struct rci_tz_type {
    int32_t off;
    bool isdst;
} rci_tz_type;

/* A POSIX TZ rule (the TZif footer, e.g. "EST5EDT,M3.2.0,M11.1.0"). */
typedef struct rci_tz_rule_date {
    char kind; /* 'J' (1..365, no Feb 29), 'D' (0..365) or 'M' (month.week.weekday) */
    int n, month, week, weekday;
    int32_t time; /* seconds after local midnight of the transition (may be negative or > 24 h) */
} rci_tz_rule_date;

typedef struct rci_tz_rule {
    int32_t std_off, dst_off; /* east of UTC */
    bool has_dst;
    rci_tz_rule_date start, end;
} rci_tz_rule;

struct rc_timezone {
    char *name;
    int64_t *trans;      /* transition times (Unix seconds), ascending */
    uint8_t *trans_type; /* type index in effect from each transition */
    size_t ntrans;
    rci_tz_type *types;
    size_t ntypes;
    size_t first_type;   /* type before the first transition */
    bool has_rule;       /* rule applies after the last transition */
    rci_tz_rule rule;
    bool is_static;
};

/* The period around t: offset in effect and the [start, end) range of Unix seconds it covers. */
typedef struct rci_tz_period {
    int32_t off;
    int64_t start, end;
} rci_tz_period;

void rci_tz_lookup(const rc_timezone *tz, int64_t t, rci_tz_period *out);
/* Parses a POSIX TZ rule string; false when malformed. */
bool rci_tz_rule_parse(const char *s, rci_tz_rule *out);
/* The rule's period around t. */
void rci_tz_rule_lookup(const rci_tz_rule *r, int64_t t, rci_tz_period *out);

/* Calendar arithmetic (proleptic Gregorian; month 1..12, weekday 0 = Sunday). */
int64_t rci_days_from_civil(int64_t y, int m, int d);
void rci_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
int rci_weekday_from_days(int64_t days);
int rci_days_in_month(int64_t y, int m);
int64_t rci_floor_div(int64_t a, int64_t b);

#endif
