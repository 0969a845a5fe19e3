/* values.h - the small value types of the Kubernetes API: resource quantities ("100m", "1Gi"),
 * int-or-percent values ("25%" of a replica count), RFC 3339 timestamps (metav1.Time / MicroTime) and
 * Go-style durations ("1h30m"). All are plain values: no allocation, no shared state, thread-safe. */
#ifndef RECONCILE_VALUES_H
#define RECONCILE_VALUES_H

#include "clock.h"
#include "common.h"
#include "object.h"

/* ---- quantities (k8s.io/apimachinery resource.Quantity) ---- */

/* How a quantity prints; parsing records the family of the input. */
typedef enum rc_quantity_format {
    RC_QUANTITY_DECIMAL_SI = 0,   /* "", n, u, m, k, M, G, T, P, E */
    RC_QUANTITY_BINARY_SI,        /* Ki, Mi, Gi, Ti, Pi, Ei */
    RC_QUANTITY_DECIMAL_EXPONENT  /* 1e3, 1E-3 */
} rc_quantity_format;

/* An exact decimal: mantissa * 10^scale. Kept normalised by every function here: the mantissa has no
 * trailing zeros (0 has scale 0), |mantissa| <= INT64_MAX and scale >= -9 (values are rounded up, away
 * from zero, to nano precision on parse, as upstream does). Zero-initialised means 0. */
typedef struct rc_quantity {
    int64_t mantissa;
    int32_t scale;
    rc_quantity_format format;
} rc_quantity;

/* Room for any quantity rc_quantity_to_string prints, NUL included. */
#define RC_QUANTITY_STRLEN 48

/* Parses "100m", "1.5", "200Mi", "2e3", "-1", "+5"... into *out. Binary values above 2^63-1 are capped
 * there (as upstream). RC_EINVAL with a message quoting the text on bad syntax, an unknown suffix, or a
 * value outside the representable range (more than 19 significant digits, or an exponent beyond
 * +-1000000). *out is written only on success. */
RC_API int rc_quantity_parse(const char *text, rc_quantity *out, rc_error *err);
/* From a JSON node: a string (parsed as above) or a number. `field` (may be NULL) names the field in the
 * error message and cause. */
RC_API int rc_quantity_from_node(rc_node n, const char *field, rc_quantity *out, rc_error *err);
/* value * 10^scale in the given format, normalised (scales below -9 round up to nano precision;
 * INT64_MIN is clamped to -INT64_MAX). */
RC_API rc_quantity rc_quantity_make(int64_t value, int32_t scale, rc_quantity_format format);
/* Canonical text as upstream's Quantity.String(): "1500m", "1Gi", "2e3", "1e21", "0". Writes at most
 * cap bytes (NUL included) and returns the length the full text needs, like snprintf. */
RC_API size_t rc_quantity_to_string(rc_quantity q, char *buf, size_t cap);
/* -1, 0 or 1 as a < b, a == b, a > b (exact; formats ignored). */
RC_API int rc_quantity_cmp(rc_quantity a, rc_quantity b);
RC_API int rc_quantity_sign(rc_quantity q);
RC_API bool rc_quantity_is_zero(rc_quantity q);
/* *out = a + b / a - b, exactly, in a's format (b's when a is zero). RC_EINVAL ("quantity overflow")
 * when the exact result does not fit the representation; *out is then unchanged. out may alias a or b. */
RC_API int rc_quantity_add(rc_quantity a, rc_quantity b, rc_quantity *out, rc_error *err);
RC_API int rc_quantity_sub(rc_quantity a, rc_quantity b, rc_quantity *out, rc_error *err);
RC_API rc_quantity rc_quantity_neg(rc_quantity q);
/* The value in units of 10^scale, rounded up away from zero (Quantity.ScaledValue), saturating at
 * INT64_MAX / -INT64_MAX. rc_quantity_value is scale 0 (bytes, counts), rc_quantity_milli_value is
 * scale -3 (millicores). */
RC_API int64_t rc_quantity_scaled_value(rc_quantity q, int32_t scale);
RC_API int64_t rc_quantity_value(rc_quantity q);
RC_API int64_t rc_quantity_milli_value(rc_quantity q);

/* ---- int-or-string (intstr.IntOrString) ---- */

/* Resolves an IntOrString node against total: a number is taken as is (it must be integral); a string
 * must be an integer percentage "25%" and gives total*25/100 rounded up (round_up) or down. Negative
 * values pass through as upstream. RC_EINVAL with a message for anything else ("abc", "25", "2.5%",
 * NONE, other node types) or on overflow; *out is written only on success. */
RC_API int rc_intorstr_scaled(rc_node value, int64_t total, bool round_up, int64_t *out, rc_error *err);
/* Deployment rolling-update fenceposts (upstream ResolveFenceposts): maxSurge rounds up, maxUnavailable
 * rounds down, an absent (NONE) value counts as 0, and when both resolve to 0 maxUnavailable becomes 1.
 * RC_EINVAL with a cause on "spec.strategy.rollingUpdate.maxSurge" / ".maxUnavailable" for a bad or
 * negative value. Outputs are written only on success. */
RC_API int rc_deployment_fenceposts(rc_node max_surge, rc_node max_unavailable, int64_t replicas,
                                    int64_t *surge, int64_t *unavailable, rc_error *err);

/* ---- times (metav1.Time, metav1.MicroTime) and durations (Go time.Duration) ---- */

/* Room for any timestamp or duration text printed below, NUL included. */
#define RC_TIME_STRLEN 40

/* Parses RFC 3339 "2006-01-02T15:04:05Z", with optional fractional seconds (digits past nanoseconds
 * are dropped) and a "Z" or "+hh:mm"/"-hh:mm" offset, into UTC nanoseconds. RC_EINVAL with a message
 * naming the position for bad syntax, out-of-range fields, or a time outside rc_time's range. */
RC_API int rc_time_parse(const char *text, rc_time *out, rc_error *err);
/* "2006-01-02T15:04:05Z" (seconds precision, truncated, UTC) / "2006-01-02T15:04:05.000000Z"
 * (microseconds). snprintf-like: returns the needed length, writes at most cap bytes. */
RC_API size_t rc_time_format(rc_time t, char *buf, size_t cap);
RC_API size_t rc_time_format_micro(rc_time t, char *buf, size_t cap);
/* Parses a Go duration: "300ms", "-1.5h", "2h45m", "2m3.5s"; units ns, us, µs, ms, s, m, h; "0" alone
 * is zero. RC_EINVAL with Go's message ("time: invalid duration ...") on bad input or overflow. */
RC_API int rc_duration_parse(const char *text, rc_duration *out, rc_error *err);
/* Go's Duration.String(): "1h30m0s", "10s", "500ms", "1.5µs", "0s". snprintf-like. */
RC_API size_t rc_duration_format(rc_duration d, char *buf, size_t cap);

#endif
