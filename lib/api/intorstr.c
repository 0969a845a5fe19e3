/* intorstr.c - IntOrString values ("maxSurge: 25%" or "maxSurge: 2") resolved against a total as
 * upstream's intstr.GetScaledValueFromIntOrPercent, in exact integer arithmetic, and the Deployment
 * rolling-update fenceposts built on it (deployment/util.ResolveFenceposts). */
#include <reconcile/values.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EXACT_DOUBLE 9007199254740992.0 /* 2^53 */

/* "25%" -> 25; false unless the text is an optionally signed decimal integer followed by one '%'. */
static bool parse_percent(const char *s, int64_t *out)
{
    size_t len = strlen(s);
    if (len < 2 || s[len - 1] != '%')
        return false;
    size_t i = s[0] == '-' || s[0] == '+';
    if (i == len - 1)
        return false;
    int64_t v = 0;
    for (; i < len - 1; i++) {
        if (s[i] < '0' || s[i] > '9' || v > (INT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = s[0] == '-' ? -v : v;
    return true;
}

/* percent * total / 100, rounded up or down (toward +inf / -inf); false on overflow. */
static bool scale_percent(int64_t percent, int64_t total, bool round_up, int64_t *out)
{
    if (percent != 0 && total != 0 &&
        (percent == INT64_MIN || total == INT64_MIN || llabs(percent) > INT64_MAX / llabs(total)))
        return false;
    int64_t prod = percent * total, q = prod / 100, r = prod % 100;
    if (round_up && r > 0)
        q++;
    else if (!round_up && r < 0)
        q--;
    *out = q;
    return true;
}

int rc_intorstr_scaled(rc_node value, int64_t total, bool round_up, int64_t *out, rc_error *err)
{
    switch (rc_node_kind(value)) {
    case RC_NODE_NUMBER: {
        double d = rc_node_num(value, 0);
        if (d != floor(d) || fabs(d) >= MAX_EXACT_DOUBLE)
            return rc_error_set(err, RC_EINVAL, "invalid value for IntOrString: %g is not an integer (or beyond 2^53)", d);
        *out = (int64_t)d;
        return 0;
    }
    case RC_NODE_STRING: {
        const char *s = rc_node_str(value);
        int64_t percent, v;
        if (!strchr(s, '%'))
            return rc_error_set(err, RC_EINVAL,
                                "invalid value for IntOrString: invalid type: string is not a percentage: \"%s\"", s);
        if (!parse_percent(s, &percent))
            return rc_error_set(err, RC_EINVAL, "invalid value \"%s\": must be an integer percentage like \"25%%\"", s);
        if (!scale_percent(percent, total, round_up, &v))
            return rc_error_set(err, RC_EINVAL, "invalid value \"%s\": %lld%% of %lld overflows", s,
                                (long long)percent, (long long)total);
        *out = v;
        return 0;
    }
    default:
        return rc_error_set(err, RC_EINVAL, "invalid value for IntOrString: must be an integer or a percentage");
    }
}

/* Resolves one fencepost; an absent value is 0. Errors get a cause on the field. */
static int resolve(rc_node v, int64_t replicas, bool round_up, const char *field, int64_t *out, rc_error *err)
{
    if (!rc_node_exists(v)) {
        *out = 0;
        return 0;
    }
    rc_error local = {0};
    int rc = rc_intorstr_scaled(v, replicas, round_up, out, &local);
    if (!rc && *out < 0)
        rc = rc_error_set(&local, RC_EINVAL, "must be greater than or equal to 0");
    if (rc) {
        rc_error_set(err, rc, "%s: %s", field, local.message ? local.message : "invalid value");
        rc_error_add_cause(err, field, "FieldValueInvalid", "%s", local.message ? local.message : "invalid value");
    }
    rc_error_clear(&local);
    return rc;
}

int rc_deployment_fenceposts(rc_node max_surge, rc_node max_unavailable, int64_t replicas, int64_t *surge,
                             int64_t *unavailable, rc_error *err)
{
    int64_t s, u;
    int rc = resolve(max_surge, replicas, true, "spec.strategy.rollingUpdate.maxSurge", &s, err);
    if (!rc)
        rc = resolve(max_unavailable, replicas, false, "spec.strategy.rollingUpdate.maxUnavailable", &u, err);
    if (rc)
        return rc;
    /* Both zero can only come from rounding down; allow one unavailable so a rollout can progress. */
    if (s == 0 && u == 0)
        u = 1;
    *surge = s;
    *unavailable = u;
    return 0;
}
