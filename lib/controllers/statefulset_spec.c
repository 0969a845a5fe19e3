/* statefulset_spec.c - reads a StatefulSet's spec once per sync into rci_sts (spec section 3.1 defaults
 * applied for fields the API server did not default), including the selector and the resolved
 * rollingUpdate.maxUnavailable (rounded down, at least 1, spec section 0.5). */
#include <reconcile/values.h>

#include <string.h>

#include "controllers/statefulset.h"

static bool str_is(const char *s, const char *want) { return s && !strcmp(s, want); }

int rci_sts_parse(const rc_object *set, rci_sts *out, rc_error *err)
{
    memset(out, 0, sizeof *out);
    out->obj = set;
    out->ns = rc_object_namespace(set);
    out->name = rc_object_name(set);
    out->uid = rc_object_uid(set);
    if (!out->name || !out->uid)
        return rc_error_set(err, RC_EINVAL, "statefulset without metadata.name or metadata.uid");
    out->service = rc_object_get_str(set, "spec.serviceName");
    out->replicas = rc_object_get_int(set, "spec.replicas", 1);
    out->start = rc_object_get_int(set, "spec.ordinals.start", 0);
    out->min_ready = rc_object_get_int(set, "spec.minReadySeconds", 0);
    out->history_limit = rc_object_get_int(set, "spec.revisionHistoryLimit", 10);
    if (out->replicas < 0 || out->start < 0)
        return rc_error_set(err, RC_EINVAL, "statefulset %s: spec.replicas and spec.ordinals.start must be >= 0",
                            out->name);
    out->parallel = str_is(rc_object_get_str(set, "spec.podManagementPolicy"), "Parallel");
    out->on_delete = str_is(rc_object_get_str(set, "spec.updateStrategy.type"), "OnDelete");
    rc_node ru = rc_object_at(set, "spec.updateStrategy.rollingUpdate");
    out->has_rolling = !out->on_delete && rc_node_kind(ru) == RC_NODE_OBJECT;
    if (out->has_rolling) {
        out->partition = rc_node_int(rc_node_get(ru, "partition"), 0);
        rc_node mu = rc_node_get(ru, "maxUnavailable");
        if (rc_node_exists(mu) && rc_node_kind(mu) != RC_NODE_NULL) {
            int64_t v = 0;
            if (rc_intorstr_scaled(mu, out->replicas, false, &v, err) != 0) {
                rc_error_add_cause(err, "spec.updateStrategy.rollingUpdate.maxUnavailable", "FieldValueInvalid",
                                   "statefulset %s: bad maxUnavailable", out->name);
                return RC_EINVAL;
            }
            out->has_max_unavailable = true;
            out->max_unavailable = v < 1 ? 1 : v;
        }
    }
    out->delete_when_deleted =
        str_is(rc_object_get_str(set, "spec.persistentVolumeClaimRetentionPolicy.whenDeleted"), "Delete");
    out->delete_when_scaled =
        str_is(rc_object_get_str(set, "spec.persistentVolumeClaimRetentionPolicy.whenScaled"), "Delete");
    out->template_ = rc_object_at(set, "spec.template");
    out->claim_templates = rc_object_at(set, "spec.volumeClaimTemplates");
    out->match_labels = rc_object_at(set, "spec.selector.matchLabels");
    out->selector = rc_selector_from_node(rc_object_at(set, "spec.selector"), "spec.selector", err);
    return out->selector ? 0 : (err && err->code ? err->code : RC_EINVAL);
}

void rci_sts_release(rci_sts *s)
{
    rc_selector_free(s->selector);
    s->selector = NULL;
}
