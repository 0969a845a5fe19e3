/* cron_tz.c - IANA time zones for CronJob's spec.timeZone: reads TZif files (RFC 8536, versions 1-4)
 * from the system tz database with its own parser, so no process-global TZ state is touched and zones
 * are safe to use from any thread. Also the calendar arithmetic the cron code shares. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controllers/cron_internal.h"
#include "util/strbuf.h"

#define TZIF_MAX_BYTES (1u << 20)

int64_t rci_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t rci_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = rci_floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void rci_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = rci_floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

int rci_weekday_from_days(int64_t days)
{
    return (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */
}

int rci_days_in_month(int64_t y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dim[m - 1];
}

static rc_timezone utc_zone = {.name = "UTC", .ntypes = 0, .is_static = true};

const rc_timezone *rc_timezone_utc(void)
{
    return &utc_zone;
}

const char *rc_timezone_name(const rc_timezone *tz)
{
    return tz ? tz->name : utc_zone.name;
}

void rc_timezone_free(const rc_timezone *ctz)
{
    if (!ctz || ctz->is_static)
        return;
    rc_timezone *tz = (rc_timezone *)ctz;
    free(tz->name);
    free(tz->trans);
    free(tz->trans_type);
    free(tz->types);
    free(tz);
}

void rci_tz_lookup(const rc_timezone *tz, int64_t t, rci_tz_period *out)
{
    out->off = 0;
    out->start = INT64_MIN;
    out->end = INT64_MAX;
    if (!tz || tz->ntypes == 0)
        return;
    if (tz->ntrans == 0 || t < tz->trans[0]) {
        if (tz->ntrans == 0 && tz->has_rule) {
            rci_tz_rule_lookup(&tz->rule, t, out);
            return;
        }
        out->off = tz->types[tz->first_type].off;
        if (tz->ntrans > 0)
            out->end = tz->trans[0];
        return;
    }
    size_t last = tz->ntrans - 1;
    if (t >= tz->trans[last] && tz->has_rule) {
        rci_tz_rule_lookup(&tz->rule, t, out);
        if (out->start < tz->trans[last])
            out->start = tz->trans[last];
        return;
    }
    size_t lo = 0, hi = tz->ntrans; /* find the last transition <= t */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->trans[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    out->off = tz->types[tz->trans_type[lo]].off;
    out->start = tz->trans[lo];
    if (lo + 1 < tz->ntrans)
        out->end = tz->trans[lo + 1];
}

int32_t rc_timezone_offset(const rc_timezone *tz, rc_time t)
{
    rci_tz_period p;
    rci_tz_lookup(tz, rci_floor_div(t, RC_SEC), &p);
    return p.off;
}

size_t rc_timezone_format(const rc_timezone *tz, rc_time t, char *buf, size_t cap)
{
    int64_t sec = rci_floor_div(t, RC_SEC);
    int32_t off = rc_timezone_offset(tz, t);
    int64_t local = sec + off;
    int64_t days = rci_floor_div(local, 86400), rem = local - days * 86400, y;
    int m, d;
    rci_civil_from_days(days, &y, &m, &d);
    char zone[8] = "Z";
    if (off != 0) {
        int32_t a = off < 0 ? -off : off;
        snprintf(zone, sizeof zone, "%c%02d:%02d", off < 0 ? '-' : '+', (int)(a / 3600) % 100,
                 (int)(a % 3600) / 60);
    }
    int n = snprintf(buf, cap, "%04lld-%02d-%02dT%02d:%02d:%02d%s", (long long)y, m, d, (int)(rem / 3600),
                     (int)(rem % 3600) / 60, (int)(rem % 60), zone);
    return n < 0 ? 0 : (size_t)n;
}

/* ---- TZif reading ---- */

typedef struct tzif_reader {
    const unsigned char *p;
    size_t len, pos;
} tzif_reader;

static bool rd_take(tzif_reader *r, size_t n, const unsigned char **out)
{
    if (n > r->len - r->pos)
        return false;
    *out = r->p + r->pos;
    r->pos += n;
    return true;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

typedef struct tzif_counts {
    uint32_t isut, isstd, leap, time, type, chars;
} tzif_counts;

static bool read_header(tzif_reader *r, char *version, tzif_counts *c)
{
    const unsigned char *h;
    if (!rd_take(r, 44, &h) || memcmp(h, "TZif", 4) != 0)
        return false;
    *version = (char)h[4];
    c->isut = be32(h + 20);
    c->isstd = be32(h + 24);
    c->leap = be32(h + 28);
    c->time = be32(h + 32);
    c->type = be32(h + 36);
    c->chars = be32(h + 40);
    return c->type >= 1 && c->type <= 256 && c->time <= TZIF_MAX_BYTES && c->chars <= TZIF_MAX_BYTES &&
           c->leap <= TZIF_MAX_BYTES && c->isut <= c->type && c->isstd <= c->type;
}

static size_t block_size(const tzif_counts *c, size_t tsize)
{
    return (size_t)c->time * tsize + c->time + (size_t)c->type * 6 + c->chars + (size_t)c->leap * (tsize + 4) +
           c->isstd + c->isut;
}

/* Reads one data block (time size 4 or 8) into tz. */
static bool read_block(tzif_reader *r, const tzif_counts *c, size_t tsize, rc_timezone *tz)
{
    const unsigned char *times, *idx, *types;
    if (!rd_take(r, (size_t)c->time * tsize, &times) || !rd_take(r, c->time, &idx) ||
        !rd_take(r, (size_t)c->type * 6, &types))
        return false;
    tz->trans = malloc((c->time ? c->time : 1) * sizeof *tz->trans);
    tz->trans_type = malloc(c->time ? c->time : 1);
    tz->types = malloc(c->type * sizeof *tz->types);
    if (!tz->trans || !tz->trans_type || !tz->types)
        return false;
    for (uint32_t i = 0; i < c->time; i++) {
        tz->trans[i] = tsize == 8 ? be64(times + 8 * i) : (int32_t)be32(times + 4 * i);
        if (idx[i] >= c->type || (i > 0 && tz->trans[i] <= tz->trans[i - 1]))
            return false;
        tz->trans_type[i] = idx[i];
    }
    tz->ntrans = c->time;
    tz->first_type = 0;
    for (uint32_t i = 0; i < c->type; i++) {
        int32_t off = (int32_t)be32(types + 6 * i);
        if (off < -25 * 3600 || off > 26 * 3600 || (c->chars > 0 && types[6 * i + 5] >= c->chars))
            return false;
        tz->types[i].off = off;
        tz->types[i].isdst = types[6 * i + 4] != 0;
    }
    tz->ntypes = c->type;
    if (tz->types[0].isdst) /* before the first transition: the first standard-time type */
        for (uint32_t i = 0; i < c->type; i++)
            if (!tz->types[i].isdst) {
                tz->first_type = i;
                break;
            }
    size_t rest = (size_t)c->chars + (size_t)c->leap * (tsize + 4) + c->isstd + c->isut;
    const unsigned char *skip;
    return rd_take(r, rest, &skip);
}

static bool read_footer(tzif_reader *r, rc_timezone *tz)
{
    if (r->pos >= r->len || r->p[r->pos] != '\n')
        return false;
    size_t start = r->pos + 1, end = start;
    while (end < r->len && r->p[end] != '\n')
        end++;
    if (end >= r->len || end - start > 128)
        return false;
    if (end == start)
        return true; /* empty footer: no rule */
    char text[130];
    memcpy(text, r->p + start, end - start);
    text[end - start] = '\0';
    if (!rci_tz_rule_parse(text, &tz->rule))
        return false;
    tz->has_rule = true;
    return true;
}

static bool parse_tzif(const unsigned char *data, size_t len, rc_timezone *tz)
{
    tzif_reader r = {data, len, 0};
    char version;
    tzif_counts c;
    if (!read_header(&r, &version, &c))
        return false;
    if (version == '\0')
        return read_block(&r, &c, 4, tz);
    const unsigned char *skip;
    if (!rd_take(&r, block_size(&c, 4), &skip) || !read_header(&r, &version, &c))
        return false;
    return read_block(&r, &c, 8, tz) && read_footer(&r, tz);
}

static bool zone_name_ok(const char *name)
{
    if (name[0] == '/' || name[0] == '.' || strlen(name) > 255 || strstr(name, ".."))
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              strchr("/_+-.", *p)))
            return false;
    return true;
}

static unsigned char *read_zone_file(const char *path, size_t *len, int *errnum)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *errnum = errno;
        return NULL;
    }
    unsigned char *buf = malloc(TZIF_MAX_BYTES);
    size_t n = buf ? fread(buf, 1, TZIF_MAX_BYTES, f) : 0;
    *errnum = buf ? (ferror(f) ? EIO : 0) : ENOMEM;
    fclose(f);
    if (*errnum) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

int rc_timezone_load(const char *name, rc_timezone **out, rc_error *err)
{
    if (!out || !name)
        return rc_error_set(err, RC_EINVAL, "time zone: NULL argument");
    if (name[0] == '\0' || strcmp(name, "UTC") == 0) {
        *out = &utc_zone;
        return 0;
    }
    if (!zone_name_ok(name)) {
        rc_error_set(err, RC_EINVAL, "unknown time zone \"%s\": not a valid IANA zone name", name);
        return rc_error_add_cause(err, "timezone", "FieldValueInvalid", "invalid zone name \"%s\"", name);
    }
    const char *dir = getenv("TZDIR");
    char *path = rci_asprintf("%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
    if (!path)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    size_t len = 0;
    int errnum = 0;
    unsigned char *data = read_zone_file(path, &len, &errnum);
    free(path);
    if (!data) {
        if (errnum == ENOMEM)
            return rc_error_set(err, RC_ENOMEM, "out of memory");
        rc_error_set(err, RC_ENOTFOUND, "unknown time zone \"%s\": not in the tz database (%s)", name,
                     strerror(errnum));
        return rc_error_add_cause(err, "timezone", "FieldValueNotFound", "unknown time zone \"%s\"", name);
    }
    rc_timezone *tz = calloc(1, sizeof *tz);
    bool ok = tz && (tz->name = strdup(name)) && parse_tzif(data, len, tz);
    free(data);
    if (!ok) {
        bool oom = !tz || !tz->name;
        rc_timezone_free(tz);
        if (oom)
            return rc_error_set(err, RC_ENOMEM, "out of memory");
        return rc_error_set(err, RC_EBADREQUEST, "time zone \"%s\": corrupt or unsupported TZif file", name);
    }
    *out = tz;
    return 0;
}
