/* cron_parse.c - the five-field cron syntax of robfig/cron v3's standard parser (the one Kubernetes
 * validates CronJob schedules with), turned into per-field bit masks for cron_next.c. Every error names
 * the field and the value at fault. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <reconcile/values.h>

#include "controllers/cron_internal.h"
#include "util/strbuf.h"

typedef struct field_spec {
    const char *name;
    int min, max;
    const char *const *names; /* 3-letter names for min.., or NULL */
} field_spec;

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec", NULL};
static const char *const dow_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};

static const field_spec fields[5] = {
    {"minute", 0, 59, NULL},   {"hour", 0, 23, NULL},         {"day-of-month", 1, 31, NULL},
    {"month", 1, 12, month_names}, {"day-of-week", 0, 6, dow_names},
};

typedef struct parse_ctx {
    const char *spec;
    rc_error *err;
} parse_ctx;

static int fail(parse_ctx *pc, const char *field, const char *value, size_t vlen, const char *fmt, ...)
    RC_PRINTF(5, 6);

static int fail(parse_ctx *pc, const char *field, const char *value, size_t vlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *why = rci_vasprintf(fmt, ap);
    va_end(ap);
    if (!why)
        return rc_error_set(pc->err, RC_ENOMEM, "out of memory");
    if (value)
        rc_error_set(pc->err, RC_EINVAL, "invalid schedule \"%s\": %s field \"%.*s\": %s", pc->spec, field,
                     (int)vlen, value, why);
    else
        rc_error_set(pc->err, RC_EINVAL, "invalid schedule \"%s\": %s", pc->spec, why);
    rc_error_add_cause(pc->err, field, "FieldValueInvalid", "%s", why);
    free(why);
    return RC_EINVAL;
}

/* A number or (when the field has them) a name in [s, e). -1 when it is neither. */
static int parse_value(const field_spec *f, const char *s, const char *e)
{
    size_t n = (size_t)(e - s);
    if (f->names && n == 3)
        for (int i = 0; f->names[i]; i++)
            if (strncasecmp(s, f->names[i], 3) == 0)
                return f->min + i;
    if (n == 0 || n > 6)
        return -1;
    int v = 0;
    for (const char *p = s; p < e; p++) {
        if (!isdigit((unsigned char)*p))
            return -1;
        v = v * 10 + (*p - '0');
    }
    return v;
}

/* One list element: "*", "?", "v", "a-b", each optionally "/step". */
static int parse_range(parse_ctx *pc, const field_spec *f, const char *s, const char *e, uint64_t *bits,
                       bool *star)
{
    size_t len = (size_t)(e - s);
    const char *slash = memchr(s, '/', len);
    const char *range_end = slash ? slash : e;
    if (slash && memchr(slash + 1, '/', (size_t)(e - slash - 1)))
        return fail(pc, f->name, s, len, "too many slashes");
    int lo, hi, step = 1;
    bool is_star = range_end - s == 1 && (*s == '*' || *s == '?');
    if (is_star) {
        lo = f->min;
        hi = f->max;
    } else {
        const char *dash = memchr(s, '-', (size_t)(range_end - s));
        if (dash && memchr(dash + 1, '-', (size_t)(range_end - dash - 1)))
            return fail(pc, f->name, s, len, "too many hyphens");
        const char *lo_end = dash ? dash : range_end;
        lo = parse_value(f, s, lo_end);
        if (lo < 0)
            return fail(pc, f->name, s, len, "\"%.*s\" is not a %s", (int)(lo_end - s), s,
                        f->names ? "number or name" : "number");
        hi = lo;
        if (dash) {
            hi = parse_value(f, dash + 1, range_end);
            if (hi < 0)
                return fail(pc, f->name, s, len, "\"%.*s\" is not a %s", (int)(range_end - dash - 1), dash + 1,
                            f->names ? "number or name" : "number");
        } else if (slash) {
            hi = f->max; /* "a/n" means a-max/n */
        }
    }
    if (slash) {
        step = parse_value(&(field_spec){f->name, 0, 0, NULL}, slash + 1, e);
        if (step <= 0)
            return fail(pc, f->name, s, len, "step \"%.*s\" must be a positive number", (int)(e - slash - 1),
                        slash + 1);
    }
    if (lo < f->min)
        return fail(pc, f->name, s, len, "value %d is below the minimum %d", lo, f->min);
    if (hi > f->max)
        return fail(pc, f->name, s, len, "value %d is above the maximum %d", hi, f->max);
    if (lo > hi)
        return fail(pc, f->name, s, len, "range start %d is beyond its end %d", lo, hi);
    for (int v = lo; v <= hi; v += step)
        *bits |= 1ull << v;
    if (is_star && step == 1)
        *star = true;
    return 0;
}

static int parse_field(parse_ctx *pc, const field_spec *f, const char *s, const char *e, uint64_t *bits,
                       bool *star)
{
    *bits = 0;
    *star = false;
    for (const char *p = s;;) {
        const char *comma = memchr(p, ',', (size_t)(e - p));
        const char *item_end = comma ? comma : e;
        if (item_end == p)
            return fail(pc, f->name, s, (size_t)(e - s), "empty list element");
        int rc = parse_range(pc, f, p, item_end, bits, star);
        if (rc)
            return rc;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

static int parse_every(parse_ctx *pc, const char *text, rc_cron_schedule *s)
{
    rc_duration d;
    rc_error derr = {0};
    if (rc_duration_parse(text, &d, &derr) != 0 || d <= 0) {
        int rc = fail(pc, "descriptor", NULL, 0, "@every needs a positive duration, got \"%s\"%s%s", text,
                      derr.message ? ": " : "", derr.message ? derr.message : "");
        rc_error_clear(&derr);
        return rc;
    }
    if (d < RC_SEC)
        d = RC_SEC;
    s->every_sec = d / RC_SEC;
    return 0;
}

static int parse_descriptor(parse_ctx *pc, const char *d, rc_cron_schedule *s)
{
    static const struct {
        const char *name, *fields;
    } macros[] = {{"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
                  {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
                  {"@hourly", "0 * * * *"}};
    if (strncmp(d, "@every ", 7) == 0)
        return parse_every(pc, d + 7, s);
    for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++)
        if (strcmp(d, macros[i].name) == 0) {
            const char *p = macros[i].fields;
            for (int f = 0; f < 5; f++) {
                const char *e = strchr(p, ' ');
                e = e ? e : p + strlen(p);
                uint64_t *bits[5] = {&s->minute, &s->hour, &s->dom, &s->month, &s->dow};
                bool dummy = false, *star = f == 2 ? &s->dom_star : f == 4 ? &s->dow_star : &dummy;
                parse_field(pc, &fields[f], p, e, bits[f], star);
                p = *e ? e + 1 : e;
            }
            return 0;
        }
    return fail(pc, "descriptor", NULL, 0, "unrecognized descriptor \"%s\" (expected @yearly, @annually, "
                "@monthly, @weekly, @daily, @midnight, @hourly or @every <duration>)", d);
}

static int parse_spec(parse_ctx *pc, const char *spec, rc_cron_schedule *s)
{
    while (isspace((unsigned char)*spec))
        spec++;
    size_t len = strlen(spec);
    while (len > 0 && isspace((unsigned char)spec[len - 1]))
        len--;
    if (len == 0)
        return fail(pc, "spec", NULL, 0, "empty schedule");
    if (strncmp(spec, "TZ=", 3) == 0 || strncmp(spec, "CRON_TZ=", 8) == 0)
        return fail(pc, "timezone", NULL, 0, "TZ= and CRON_TZ= are not supported in the schedule; "
                    "set spec.timeZone instead");
    char *text = strndup(spec, len);
    if (!text)
        return rc_error_set(pc->err, RC_ENOMEM, "out of memory");
    int rc = 0;
    if (text[0] == '@') {
        rc = parse_descriptor(pc, text, s);
        free(text);
        return rc;
    }
    const char *start[6], *end[6];
    int n = 0;
    for (const char *p = text; *p && n < 6;) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        start[n] = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        end[n++] = p;
    }
    if (n != 5) {
        rc = fail(pc, "spec", NULL, 0, "expected exactly 5 fields (minute hour day-of-month month day-of-week), "
                  "found %s%d", n > 5 ? "more than " : "", n > 5 ? 5 : n);
    } else {
        uint64_t *bits[5] = {&s->minute, &s->hour, &s->dom, &s->month, &s->dow};
        bool dummy, *star[5] = {&dummy, &dummy, &s->dom_star, &dummy, &s->dow_star};
        for (int f = 0; f < 5 && rc == 0; f++)
            rc = parse_field(pc, &fields[f], start[f], end[f], bits[f], star[f]);
    }
    free(text);
    return rc;
}

int rc_cron_parse(const char *spec, rc_cron_schedule **out, rc_error *err)
{
    if (!spec || !out)
        return rc_error_set(err, RC_EINVAL, "cron: NULL argument");
    parse_ctx pc = {spec, err};
    rc_cron_schedule s;
    memset(&s, 0, sizeof s);
    int rc = parse_spec(&pc, spec, &s);
    if (rc)
        return rc;
    rc_cron_schedule *copy = malloc(sizeof *copy);
    if (!copy)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    *copy = s;
    *out = copy;
    return 0;
}

void rc_cron_free(rc_cron_schedule *s)
{
    free(s);
}
