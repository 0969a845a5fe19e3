/* quantity.c - resource quantities (resource.Quantity) as an exact decimal mantissa * 10^scale:
 * parsing with upstream's rounding (up to nano precision) and binary cap, canonical printing as
 * Quantity.String() (CanonicalizeBytes), exact comparison and arithmetic, and scaled integer values.
 * The binary suffixes need up to 124-bit intermediates, done with a tiny two-word helper. */
#include <reconcile/values.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EXPONENT 1000000
#define NANO_SCALE (-9)

static const uint64_t POW10[20] = {1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
                                   100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL,
                                   1000000000000ULL, 10000000000000ULL, 100000000000000ULL,
                                   1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
                                   1000000000000000000ULL, 10000000000000000000ULL};

static const struct { char suffix; int exponent; } DECIMAL_SUFFIXES[] = {
    {'n', -9}, {'u', -6}, {'m', -3}, {'k', 3}, {'M', 6}, {'G', 9}, {'T', 12}, {'P', 15}, {'E', 18}};
static const char *const BINARY_SUFFIXES[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};

/* ---- 128-bit unsigned helper ---- */

typedef struct u128 {
    uint64_t hi, lo;
} u128;

static void u128_shl1(u128 *x)
{
    x->hi = x->hi << 1 | x->lo >> 63;
    x->lo <<= 1;
}

/* x /= 10; returns the remainder. */
static unsigned u128_divmod10(u128 *x)
{
    uint32_t limb[4] = {(uint32_t)(x->hi >> 32), (uint32_t)x->hi, (uint32_t)(x->lo >> 32), (uint32_t)x->lo};
    uint64_t rem = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t cur = rem << 32 | limb[i];
        limb[i] = (uint32_t)(cur / 10);
        rem = cur % 10;
    }
    x->hi = (uint64_t)limb[0] << 32 | limb[1];
    x->lo = (uint64_t)limb[2] << 32 | limb[3];
    return (unsigned)rem;
}

static bool u128_fits_i64(u128 x) { return x.hi == 0 && x.lo <= (uint64_t)INT64_MAX; }

/* ---- normal form ---- */

static unsigned ndigits(uint64_t m)
{
    unsigned n = 1;
    while (n < 20 && m >= POW10[n])
        n++;
    return n;
}

static uint64_t magnitude(int64_t m) { return m < 0 ? (uint64_t)0 - (uint64_t)m : (uint64_t)m; }

static rc_quantity normalize(rc_quantity q)
{
    if (q.mantissa == 0) {
        q.scale = 0;
        return q;
    }
    while (q.mantissa % 10 == 0 && q.scale < INT32_MAX) {
        q.mantissa /= 10;
        q.scale++;
    }
    return q;
}

/* m / 10^drop rounded away from zero (m != 0); drop > 19 leaves +-1. */
static int64_t div_pow10_up(int64_t m, int64_t drop)
{
    if (drop <= 0)
        return m;
    if (drop > 19)
        return m < 0 ? -1 : 1;
    uint64_t mag = magnitude(m), p = POW10[drop];
    uint64_t q = mag / p + (mag % p != 0);
    return m < 0 ? -(int64_t)q : (int64_t)q;
}

rc_quantity rc_quantity_make(int64_t value, int32_t scale, rc_quantity_format format)
{
    if (value == INT64_MIN)
        value = -INT64_MAX;
    if (scale > MAX_EXPONENT)
        scale = MAX_EXPONENT;
    rc_quantity q = {value, scale, format};
    if (value != 0 && scale < NANO_SCALE) {
        q.mantissa = div_pow10_up(value, (int64_t)NANO_SCALE - scale);
        q.scale = NANO_SCALE;
    }
    return normalize(q);
}

/* ---- parsing ---- */

static int parse_error(rc_error *err, const char *text, const char *why)
{
    return rc_error_set(err, RC_EINVAL, "quantity \"%s\": %s", text, why);
}

typedef struct digits {
    const char *int_part, *frac_part;
    size_t int_len, frac_len;
} digits;

/* Digit i of the combined integer+fraction digit string. */
static int digit_at(const digits *d, size_t i)
{
    return i < d->int_len ? d->int_part[i] - '0' : d->frac_part[i - d->int_len] - '0';
}

/* Reads the significant digits [first, last] into *m; false when they do not fit an int64. */
static bool digits_value(const digits *d, size_t first, size_t last, uint64_t *m)
{
    uint64_t v = 0;
    for (size_t i = first; i <= last; i++) {
        unsigned dg = (unsigned)digit_at(d, i);
        if (v > ((uint64_t)INT64_MAX - dg) / 10)
            return false;
        v = v * 10 + dg;
    }
    *m = v;
    return true;
}

typedef enum suffix_kind { SUFFIX_DECIMAL, SUFFIX_BINARY, SUFFIX_EXPONENT, SUFFIX_BAD } suffix_kind;

/* Classifies the suffix; *power is the decimal exponent, or the binary power of 1024. */
static suffix_kind read_suffix(const char *s, int64_t *power)
{
    *power = 0;
    if (!*s)
        return SUFFIX_DECIMAL;
    if (!s[1]) {
        for (size_t i = 0; i < sizeof DECIMAL_SUFFIXES / sizeof DECIMAL_SUFFIXES[0]; i++) {
            if (DECIMAL_SUFFIXES[i].suffix == s[0]) {
                *power = DECIMAL_SUFFIXES[i].exponent;
                return SUFFIX_DECIMAL;
            }
        }
        return SUFFIX_BAD;
    }
    for (int k = 1; k <= 6; k++) {
        if (strcmp(s, BINARY_SUFFIXES[k]) == 0) {
            *power = k;
            return SUFFIX_BINARY;
        }
    }
    if (s[0] != 'e' && s[0] != 'E')
        return SUFFIX_BAD;
    const char *p = s + 1;
    bool neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    if (!*p)
        return SUFFIX_BAD;
    int64_t e = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return SUFFIX_BAD;
        if (e <= MAX_EXPONENT)
            e = e * 10 + (*p - '0');
    }
    *power = neg ? -e : e;
    return SUFFIX_EXPONENT;
}

/* value = m * 10^exp10 * 1024^k, m > 0: exact when it fits, capped at INT64_MAX (as upstream caps
 * BinarySI), rounded up to nano precision. Returns false when it needs more than 19 digits. */
static bool binary_value(uint64_t m, int64_t exp10, int k, rc_quantity *q)
{
    static const rc_quantity cap = {INT64_MAX, 0, RC_QUANTITY_BINARY_SI};
    if (exp10 >= 0) {
        for (int64_t i = 0; i < exp10; i++) {
            if (m > (uint64_t)INT64_MAX / 10)
                return *q = cap, true;
            m *= 10;
        }
        for (int i = 0; i < 10 * k; i++) {
            if (m > (uint64_t)INT64_MAX / 2)
                return *q = cap, true;
            m *= 2;
        }
        q->mantissa = (int64_t)m;
        q->scale = 0;
        return true;
    }
    u128 n = {0, m};
    for (int i = 0; i < 10 * k; i++)
        u128_shl1(&n);
    int64_t d = -exp10;
    bool inexact = false;
    for (; d > -NANO_SCALE; d--)
        inexact |= u128_divmod10(&n) != 0;
    if (inexact) {
        n.lo++;
        n.hi += n.lo == 0;
    }
    for (; d > 0; d--) {
        u128 t = n;
        if (u128_divmod10(&t) != 0)
            break;
        n = t;
    }
    u128 whole = n;
    for (int64_t i = 0; i < d; i++)
        u128_divmod10(&whole);
    if (!u128_fits_i64(whole))
        return *q = cap, true;
    if (!u128_fits_i64(n))
        return false;
    q->mantissa = (int64_t)n.lo;
    q->scale = (int32_t)-d;
    return true;
}

/* value = m * 10^exp10, m > 0, rounded up to nano precision. */
static bool decimal_value(const digits *dg, size_t first, size_t last, int64_t exp10, rc_quantity *q)
{
    size_t nsig = last - first + 1;
    uint64_t m;
    if (exp10 < NANO_SCALE) {
        int64_t drop = NANO_SCALE - exp10;
        if ((uint64_t)drop >= nsig) {
            m = 1;
        } else {
            /* The dropped digits end with a non-zero one, so rounding up always adds one. */
            if (!digits_value(dg, first, last - (size_t)drop, &m) || m == (uint64_t)INT64_MAX)
                return false;
            m++;
        }
        exp10 = NANO_SCALE;
    } else if (!digits_value(dg, first, last, &m)) {
        return false;
    }
    q->mantissa = (int64_t)m;
    q->scale = (int32_t)exp10;
    return true;
}

int rc_quantity_parse(const char *text, rc_quantity *out, rc_error *err)
{
    if (!text || !*text)
        return parse_error(err, text ? text : "", "must not be empty");
    const char *p = text;
    bool neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    digits dg = {p, NULL, 0, 0};
    while (*p >= '0' && *p <= '9')
        p++;
    dg.int_len = (size_t)(p - dg.int_part);
    dg.frac_part = p;
    if (*p == '.') {
        dg.frac_part = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        dg.frac_len = (size_t)(p - dg.frac_part);
    }
    if (dg.int_len + dg.frac_len == 0)
        return parse_error(err, text,
                           "quantities must match the regular expression "
                           "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    int64_t power;
    suffix_kind kind = read_suffix(p, &power);
    if (kind == SUFFIX_BAD)
        return parse_error(err, text, "unable to parse quantity's suffix");
    if (power > MAX_EXPONENT || power < -MAX_EXPONENT)
        return parse_error(err, text, "exponent out of range");
    rc_quantity q = {0, 0, kind == SUFFIX_BINARY      ? RC_QUANTITY_BINARY_SI
                           : kind == SUFFIX_EXPONENT ? RC_QUANTITY_DECIMAL_EXPONENT
                                                      : RC_QUANTITY_DECIMAL_SI};
    size_t total = dg.int_len + dg.frac_len, first = 0, last = total;
    while (first < total && digit_at(&dg, first) == 0)
        first++;
    if (first < total) {
        while (digit_at(&dg, last - 1) == 0)
            last--;
        last--; /* index of the last non-zero digit */
        int64_t exp10 = (int64_t)(total - 1 - last) - (int64_t)dg.frac_len;
        bool ok;
        if (kind == SUFFIX_BINARY) {
            uint64_t m;
            ok = digits_value(&dg, first, last, &m) && binary_value(m, exp10, (int)power, &q);
        } else {
            ok = decimal_value(&dg, first, last, exp10 + power, &q);
        }
        if (!ok)
            return parse_error(err, text, "too many significant digits to represent exactly");
        if (neg)
            q.mantissa = -q.mantissa;
    }
    *out = normalize(q);
    return 0;
}

int rc_quantity_from_node(rc_node n, const char *field, rc_quantity *out, rc_error *err)
{
    char buf[40];
    const char *text = rc_node_str(n);
    if (rc_node_kind(n) == RC_NODE_NUMBER) {
        double d = rc_node_num(n, 0);
        if (d == floor(d) && fabs(d) < 9007199254740992.0) {
            *out = rc_quantity_make((int64_t)d, 0, RC_QUANTITY_DECIMAL_SI);
            return 0;
        }
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(buf, sizeof buf, "%.*g", prec, d);
            if (strtod(buf, NULL) == d)
                break;
        }
        text = buf;
    }
    rc_error local = {0};
    int rc = text ? rc_quantity_parse(text, out, &local)
                  : rc_error_set(&local, RC_EINVAL, "a quantity must be a string or a number");
    if (rc) {
        const char *f = field ? field : "quantity";
        rc_error_set(err, rc, "%s: Invalid value: %s", f, local.message ? local.message : "");
        rc_error_add_cause(err, f, "FieldValueInvalid", "%s", local.message ? local.message : "");
    }
    rc_error_clear(&local);
    return rc;
}

/* ---- comparison and arithmetic ---- */

int rc_quantity_sign(rc_quantity q) { return (q.mantissa > 0) - (q.mantissa < 0); }

bool rc_quantity_is_zero(rc_quantity q) { return q.mantissa == 0; }

rc_quantity rc_quantity_neg(rc_quantity q)
{
    q.mantissa = q.mantissa == INT64_MIN ? INT64_MAX : -q.mantissa;
    return q;
}

/* Compares |a| and |b| given as magnitudes and scales. */
static int cmp_magnitude(uint64_t ma, int64_t sa, uint64_t mb, int64_t sb)
{
    int64_t oa = (int64_t)ndigits(ma) + sa, ob = (int64_t)ndigits(mb) + sb;
    if (oa != ob)
        return oa < ob ? -1 : 1;
    /* Same order of magnitude: the coarser one has fewer digits, so aligning it fits 19-20 digits. */
    if (sa > sb)
        ma *= POW10[sa - sb];
    else
        mb *= POW10[sb - sa];
    return (ma > mb) - (ma < mb);
}

int rc_quantity_cmp(rc_quantity a, rc_quantity b)
{
    a = normalize(a);
    b = normalize(b);
    int sa = rc_quantity_sign(a), sb = rc_quantity_sign(b);
    if (sa != sb)
        return sa < sb ? -1 : 1;
    if (sa == 0)
        return 0;
    int c = cmp_magnitude(magnitude(a.mantissa), a.scale, magnitude(b.mantissa), b.scale);
    return sa > 0 ? c : -c;
}

/* m * 10^k into *out; false on int64 overflow. */
static bool scale_up(int64_t m, int64_t k, int64_t *out)
{
    if (m == 0 || k <= 0) {
        *out = m;
        return k >= 0 || m == 0;
    }
    if (k > 19)
        return false;
    for (int64_t i = 0; i < k; i++) {
        if (m > INT64_MAX / 10 || m < -INT64_MAX / 10)
            return false;
        m *= 10;
    }
    *out = m;
    return true;
}

int rc_quantity_add(rc_quantity a, rc_quantity b, rc_quantity *out, rc_error *err)
{
    a = normalize(a);
    b = normalize(b);
    if (a.mantissa == 0 || b.mantissa == 0) {
        *out = a.mantissa == 0 ? b : a;
        return 0;
    }
    int32_t s = a.scale < b.scale ? a.scale : b.scale;
    int64_t ma, mb;
    if (!scale_up(a.mantissa, (int64_t)a.scale - s, &ma) || !scale_up(b.mantissa, (int64_t)b.scale - s, &mb) ||
        (mb > 0 && ma > INT64_MAX - mb) || (mb < 0 && ma < -INT64_MAX - mb))
        return rc_error_set(err, RC_EINVAL, "quantity overflow");
    *out = normalize((rc_quantity){ma + mb, s, a.format});
    return 0;
}

int rc_quantity_sub(rc_quantity a, rc_quantity b, rc_quantity *out, rc_error *err)
{
    return rc_quantity_add(a, rc_quantity_neg(b), out, err);
}

int64_t rc_quantity_scaled_value(rc_quantity q, int32_t scale)
{
    int64_t diff = (int64_t)q.scale - scale, v;
    if (q.mantissa == 0)
        return 0;
    if (diff < 0)
        return div_pow10_up(q.mantissa == INT64_MIN ? -INT64_MAX : q.mantissa, -diff);
    if (scale_up(q.mantissa == INT64_MIN ? -INT64_MAX : q.mantissa, diff, &v))
        return v;
    return q.mantissa > 0 ? INT64_MAX : -INT64_MAX;
}

int64_t rc_quantity_value(rc_quantity q) { return rc_quantity_scaled_value(q, 0); }

int64_t rc_quantity_milli_value(rc_quantity q) { return rc_quantity_scaled_value(q, -3); }

/* ---- canonical text ---- */

static size_t print_binary(rc_quantity q, char *buf, size_t cap)
{
    int64_t v;
    if (q.scale < 0 || !scale_up(q.mantissa, q.scale, &v))
        return 0;
    int k = 0;
    while (k < 6 && v % 1024 == 0 && (v >= 1024 || v <= -1024)) {
        v /= 1024;
        k++;
    }
    return (size_t)snprintf(buf, cap, "%lld%s", (long long)v, BINARY_SUFFIXES[k]);
}

size_t rc_quantity_to_string(rc_quantity q, char *buf, size_t cap)
{
    q = normalize(q);
    if (q.mantissa == 0)
        return (size_t)snprintf(buf, cap, "0");
    rc_quantity_format format = q.format;
    if (format == RC_QUANTITY_BINARY_SI) {
        bool small = rc_quantity_cmp(q, rc_quantity_make(1024, 0, format)) < 0 &&
                     rc_quantity_cmp(q, rc_quantity_make(-1024, 0, format)) > 0;
        size_t n = small ? 0 : print_binary(q, buf, cap);
        if (n)
            return n;
        format = RC_QUANTITY_DECIMAL_SI;
    } else if (format != RC_QUANTITY_DECIMAL_SI) {
        format = RC_QUANTITY_DECIMAL_EXPONENT;
    }
    /* Lower the exponent to a multiple of 3, padding the digits with zeros as upstream does. */
    int64_t e = q.scale;
    int zeros = (int)(((e % 3) + 3) % 3);
    e -= zeros;
    char suffix[16] = "";
    if (format == RC_QUANTITY_DECIMAL_SI && e >= -9 && e <= 18) {
        static const char *const SI[] = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
        snprintf(suffix, sizeof suffix, "%s", SI[(e + 9) / 3]);
    } else if (e != 0) {
        snprintf(suffix, sizeof suffix, "e%lld", (long long)e);
    }
    return (size_t)snprintf(buf, cap, "%lld%.*s%s", (long long)q.mantissa, zeros, "00", suffix);
}
