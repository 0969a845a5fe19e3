/* validate_workloads.c - Deployment, ReplicaSet, StatefulSet, DaemonSet, Job and CronJob rules as
 * upstream's apps and batch validation apply them: replica counts, selectors (required, non-empty, valid,
 * matching the template labels), rollout strategies (int-or-percent formats, not both 0), template restart
 * policies, StatefulSet claim templates, Job counts and completion modes, CronJob schedules, and the
 * fields an update may not change. */
#include "apiserver/validate.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *const policy_always[] = {"Always", NULL};
static const char *const policy_job[] = {"OnFailure", "Never", NULL};

static bool selector_empty(const cJSON *sel)
{
    const cJSON *labels = rci_obj(sel, "matchLabels"), *exprs = rci_arr(sel, "matchExpressions");
    return (!labels || !labels->child) && (!exprs || !exprs->child);
}

/* spec.selector required, non-empty, valid, and matching spec.template.metadata.labels. */
static void validate_selector_and_template(rci_vctx *v, const cJSON *spec, const char *what)
{
    const cJSON *sel = rci_obj(spec, "selector");
    if (!sel) {
        rci_v_required(v, "selector", NULL);
        return;
    }
    if (selector_empty(sel)) {
        rci_v_invalid_raw(v, "selector", "&LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{},}",
                          "empty selector is invalid for %s", what);
        return;
    }
    if (!rci_v_label_selector(v, "selector", sel))
        return;
    const cJSON *labels = rci_obj(rci_obj(rci_obj(spec, "template"), "metadata"), "labels");
    if (!rci_selector_matches_labels(sel, labels)) {
        char *rendered = rci_go_string_map(labels);
        rci_v_invalid_raw(v, "template.metadata.labels", rendered, "`selector` does not match template `labels`");
        free(rendered);
    }
}

static bool percent_ok(const char *s)
{
    size_t n = strlen(s), digits = strspn(s, "0123456789");
    return n >= 2 && digits == n - 1 && s[n - 1] == '%';
}

/* An int-or-percent at parent[key]; *is_zero tells whether it is 0 or "0%". */
static void validate_int_or_percent(rci_vctx *v, const cJSON *parent, const char *key, bool cap_100, bool *is_zero)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(parent, key);
    *is_zero = false;
    if (cJSON_IsNumber(n)) {
        *is_zero = n->valuedouble == 0;
        if (n->valuedouble < 0)
            rci_v_invalid(v, key, n, "must be greater than or equal to 0");
    } else if (cJSON_IsString(n)) {
        if (!percent_ok(n->valuestring)) {
            rci_v_invalid(v, key, n,
                          "a valid percent string must be a numeric string followed by an ending '%%' (e.g. '1%%',  "
                          "or '93%%', regex used for validation is '[0-9]+%%')");
            return;
        }
        long pct = strtol(n->valuestring, NULL, 10);
        *is_zero = pct == 0;
        if (cap_100 && pct > 100)
            rci_v_invalid(v, key, n, "must not be greater than 100%%");
    }
}

/* rollingUpdate {maxUnavailable, maxSurge}; defaults make both present, but a user may zero both. */
static void validate_rolling_update(rci_vctx *v, const cJSON *ru)
{
    size_t mark = rci_vctx_push(v, "rollingUpdate");
    bool unavail_zero, surge_zero;
    validate_int_or_percent(v, ru, "maxUnavailable", true, &unavail_zero);
    validate_int_or_percent(v, ru, "maxSurge", false, &surge_zero);
    const cJSON *mu = cJSON_GetObjectItemCaseSensitive(ru, "maxUnavailable");
    bool surge_set = cJSON_GetObjectItemCaseSensitive(ru, "maxSurge") != NULL;
    if (unavail_zero && (surge_zero || !surge_set))
        rci_v_invalid(v, "maxUnavailable", mu, "may not be 0 when `maxSurge` is 0");
    rci_vctx_pop(v, mark);
}

static void validate_strategy(rci_vctx *v, const cJSON *spec, const char *key, const char *const *types)
{
    const cJSON *strategy = rci_obj(spec, key);
    if (!strategy)
        return;
    size_t mark = rci_vctx_push(v, key);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(strategy, "type");
    const cJSON *ru = rci_obj(strategy, "rollingUpdate");
    const char *t = cJSON_IsString(type) ? type->valuestring : "";
    bool known = false;
    for (size_t i = 0; types[i]; i++)
        known |= !strcmp(types[i], t);
    if (!*t)
        rci_v_required(v, "type", NULL);
    else if (!known)
        rci_v_not_supported(v, "type", type, types);
    else if (strcmp(t, "RollingUpdate") != 0 && ru)
        rci_v_forbidden(v, "rollingUpdate", "may not be specified when strategy `type` is 'Recreate'");
    else if (ru)
        validate_rolling_update(v, ru);
    rci_vctx_pop(v, mark);
}

static void immutable_selector(rci_vctx *v, const cJSON *spec, const cJSON *old)
{
    if (old)
        rci_v_immutable(v, "selector", rci_obj(spec, "selector"), rci_obj(rci_obj(old, "spec"), "selector"));
}

void rci_validate_deployment(rci_vctx *v, const cJSON *obj, const cJSON *old)
{
    static const char *const types[] = {"Recreate", "RollingUpdate", NULL};
    const cJSON *spec = rci_obj(obj, "spec");
    size_t mark = rci_vctx_push(v, "spec");
    rci_v_nonneg(v, spec, "replicas", false);
    validate_selector_and_template(v, spec, "deployment");
    rci_validate_pod_template(v, rci_obj(spec, "template"), policy_always);
    validate_strategy(v, spec, "strategy", types);
    rci_v_nonneg(v, spec, "revisionHistoryLimit", false);
    rci_v_nonneg(v, spec, "minReadySeconds", false);
    long long deadline, min_ready = 0;
    rci_int(spec, "minReadySeconds", &min_ready);
    if (rci_int(spec, "progressDeadlineSeconds", &deadline)) {
        if (deadline < 0)
            rci_v_invalid_int(v, "progressDeadlineSeconds", deadline, "must be greater than or equal to 0");
        else if (deadline <= min_ready)
            rci_v_invalid_int(v, "progressDeadlineSeconds", deadline, "must be greater than minReadySeconds");
    }
    immutable_selector(v, spec, old);
    rci_vctx_pop(v, mark);
}

void rci_validate_replicaset(rci_vctx *v, const cJSON *obj, const cJSON *old)
{
    const cJSON *spec = rci_obj(obj, "spec");
    size_t mark = rci_vctx_push(v, "spec");
    rci_v_nonneg(v, spec, "replicas", false);
    rci_v_nonneg(v, spec, "minReadySeconds", false);
    validate_selector_and_template(v, spec, "deployment");
    rci_validate_pod_template(v, rci_obj(spec, "template"), policy_always);
    immutable_selector(v, spec, old);
    rci_vctx_pop(v, mark);
}

static void validate_claim_templates(rci_vctx *v, const cJSON *claims)
{
    size_t mark = rci_vctx_push(v, "volumeClaimTemplates"), i = 0;
    for (const cJSON *c = claims ? claims->child : NULL; c; c = c->next, i++) {
        size_t m = rci_vctx_push_index(v, i);
        const char *name = rci_str(rci_obj(c, "metadata"), "name");
        if (!name || !*name)
            rci_v_required(v, "metadata.name", "name or generateName is required");
        else
            rci_v_dns_subdomain(v, "metadata.name", name);
        const cJSON *spec = rci_obj(c, "spec");
        size_t ms = rci_vctx_push(v, "spec");
        const cJSON *modes = rci_arr(spec, "accessModes");
        if (!modes || !modes->child)
            rci_v_required(v, "accessModes", "at least 1 access mode is required");
        const cJSON *requests = rci_obj(rci_obj(spec, "resources"), "requests");
        if (!cJSON_GetObjectItemCaseSensitive(requests, "storage"))
            rci_v_required(v, "resources[storage]", NULL);
        rci_vctx_pop(v, ms);
        rci_vctx_pop(v, m);
    }
    rci_vctx_pop(v, mark);
}

/* StatefulSet updates may change only these spec fields. */
static void statefulset_update(rci_vctx *v, const cJSON *spec, const cJSON *old_spec)
{
    static const char *const mutable_fields[] = {"replicas", "ordinals", "template", "updateStrategy",
                                                 "revisionHistoryLimit", "persistentVolumeClaimRetentionPolicy",
                                                 "minReadySeconds"};
    cJSON *a = cJSON_Duplicate(spec, true), *b = cJSON_Duplicate(old_spec, true);
    if (!a || !b) {
        v->oom = true;
    } else {
        for (size_t i = 0; i < sizeof mutable_fields / sizeof mutable_fields[0]; i++) {
            cJSON_DeleteItemFromObjectCaseSensitive(a, mutable_fields[i]);
            cJSON_DeleteItemFromObjectCaseSensitive(b, mutable_fields[i]);
        }
        if (!rci_json_equivalent(a, b))
            rci_v_forbidden(v, NULL,
                            "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
                            "'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and "
                            "'minReadySeconds' are forbidden");
    }
    cJSON_Delete(a);
    cJSON_Delete(b);
}

/* A copy of the StatefulSet's pod template with one persistentVolumeClaim volume per volumeClaimTemplate,
 * as the controller gives its pods, so container volumeMounts naming a claim template validate. NULL when
 * the template is absent or on allocation failure. */
static cJSON *template_with_claim_volumes(const cJSON *spec)
{
    cJSON *t = cJSON_Duplicate(rci_obj(spec, "template"), true);
    cJSON *ps = t ? cJSON_GetObjectItemCaseSensitive(t, "spec") : NULL;
    cJSON *vols = ps ? cJSON_GetObjectItemCaseSensitive(ps, "volumes") : NULL;
    if (ps && !cJSON_IsArray(vols))
        vols = NULL;
    if (ps && !vols && !cJSON_GetObjectItemCaseSensitive(ps, "volumes"))
        vols = cJSON_AddArrayToObject(ps, "volumes");
    const cJSON *ct;
    cJSON_ArrayForEach(ct, rci_arr(spec, "volumeClaimTemplates"))
    {
        const char *n = rci_str(rci_obj(ct, "metadata"), "name");
        cJSON *vol = n && vols ? cJSON_CreateObject() : NULL;
        cJSON *claim = vol ? cJSON_AddObjectToObject(vol, "persistentVolumeClaim") : NULL;
        if (!claim) {
            cJSON_Delete(vol);
            continue;
        }
        cJSON_AddStringToObject(vol, "name", n);
        cJSON_AddStringToObject(claim, "claimName", n);
        cJSON_AddItemToArray(vols, vol);
    }
    return t;
}

void rci_validate_statefulset(rci_vctx *v, const cJSON *obj, const cJSON *old)
{
    static const char *const mgmt[] = {"OrderedReady", "Parallel", NULL};
    static const char *const types[] = {"OnDelete", "RollingUpdate", NULL};
    static const char *const retention[] = {"Delete", "Retain", NULL};
    const cJSON *spec = rci_obj(obj, "spec");
    size_t mark = rci_vctx_push(v, "spec");
    rci_v_nonneg(v, spec, "replicas", false);
    rci_v_nonneg(v, spec, "minReadySeconds", false);
    rci_v_nonneg(v, spec, "revisionHistoryLimit", false);
    rci_v_enum(v, spec, "podManagementPolicy", mgmt);
    const cJSON *us = rci_obj(spec, "updateStrategy");
    if (us) {
        size_t m = rci_vctx_push(v, "updateStrategy");
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(us, "type");
        const char *t = cJSON_IsString(type) ? type->valuestring : "";
        const cJSON *ru = rci_obj(us, "rollingUpdate");
        if (!*t)
            rci_v_required(v, "type", NULL);
        else if (strcmp(t, "OnDelete") && strcmp(t, "RollingUpdate"))
            rci_v_not_supported(v, "type", type, types);
        else if (!strcmp(t, "OnDelete") && ru)
            rci_v_invalid_raw(v, "rollingUpdate", "&apps.RollingUpdateStatefulSetStrategy{...}",
                              "only allowed for updateStrategy 'RollingUpdate'");
        else if (ru) {
            size_t mr = rci_vctx_push(v, "rollingUpdate");
            rci_v_nonneg(v, ru, "partition", false);
            rci_vctx_pop(v, mr);
        }
        rci_vctx_pop(v, m);
    }
    const cJSON *pol = rci_obj(spec, "persistentVolumeClaimRetentionPolicy");
    if (pol) {
        size_t m = rci_vctx_push(v, "persistentVolumeClaimRetentionPolicy");
        rci_v_enum(v, pol, "whenDeleted", retention);
        rci_v_enum(v, pol, "whenScaled", retention);
        rci_vctx_pop(v, m);
    }
    validate_selector_and_template(v, spec, "statefulset");
    cJSON *pod_template = template_with_claim_volumes(spec);
    rci_validate_pod_template(v, pod_template, policy_always);
    cJSON_Delete(pod_template);
    validate_claim_templates(v, rci_arr(spec, "volumeClaimTemplates"));
    if (old)
        statefulset_update(v, spec, rci_obj(old, "spec"));
    rci_vctx_pop(v, mark);
}

void rci_validate_daemonset(rci_vctx *v, const cJSON *obj, const cJSON *old)
{
    static const char *const types[] = {"OnDelete", "RollingUpdate", NULL};
    const cJSON *spec = rci_obj(obj, "spec");
    size_t mark = rci_vctx_push(v, "spec");
    validate_selector_and_template(v, spec, "daemonset");
    rci_validate_pod_template(v, rci_obj(spec, "template"), policy_always);
    validate_strategy(v, spec, "updateStrategy", types);
    rci_v_nonneg(v, spec, "revisionHistoryLimit", false);
    rci_v_nonneg(v, spec, "minReadySeconds", false);
    immutable_selector(v, spec, old);
    rci_vctx_pop(v, mark);
}

/* A JobSpec at the current path; `generated_selector` when the server generates it (Jobs without
 * manualSelector: the selector may be absent before generation). */
static void validate_job_spec(rci_vctx *v, const cJSON *spec, bool generated_selector)
{
    static const char *const modes[] = {"NonIndexed", "Indexed", NULL};
    static const char *const fields[] = {"parallelism", "completions", "backoffLimit", "activeDeadlineSeconds",
                                         "ttlSecondsAfterFinished", "backoffLimitPerIndex", "maxFailedIndexes"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        rci_v_nonneg(v, spec, fields[i], false);
    rci_v_enum(v, spec, "completionMode", modes);
    const char *mode = rci_str(spec, "completionMode");
    if (mode && !strcmp(mode, "Indexed") && !rci_num(spec, "completions"))
        rci_v_required(v, "completions", "when completion mode is Indexed");
    if (rci_obj(spec, "selector") || !generated_selector)
        validate_selector_and_template(v, spec, "job");
    rci_validate_pod_template(v, rci_obj(spec, "template"), policy_job);
}

void rci_validate_job(rci_vctx *v, const cJSON *obj, const cJSON *old)
{
    const cJSON *spec = rci_obj(obj, "spec");
    bool manual = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(spec, "manualSelector"));
    size_t mark = rci_vctx_push(v, "spec");
    validate_job_spec(v, spec, !manual);
    if (old) {
        const cJSON *old_spec = rci_obj(old, "spec");
        immutable_selector(v, spec, old);
        rci_v_immutable(v, "template", rci_obj(spec, "template"), rci_obj(old_spec, "template"));
        rci_v_immutable(v, "completionMode", cJSON_GetObjectItemCaseSensitive(spec, "completionMode"),
                        cJSON_GetObjectItemCaseSensitive(old_spec, "completionMode"));
        rci_v_immutable(v, "completions", rci_num(spec, "completions"), rci_num(old_spec, "completions"));
    }
    rci_vctx_pop(v, mark);
}

/* Schedule syntax as far as this layer checks it: five fields or a known @descriptor. */
static void validate_schedule(rci_vctx *v, const cJSON *spec)
{
    static const char *const macros[] = {"@yearly", "@annually", "@monthly", "@weekly", "@daily",
                                         "@midnight", "@hourly", NULL};
    const char *s = rci_str(spec, "schedule");
    if (!s || !*s) {
        rci_v_required(v, "schedule", NULL);
        return;
    }
    if (!strncmp(s, "TZ=", 3) || !strncmp(s, "CRON_TZ=", 8) || strstr(s, " TZ=") || strstr(s, " CRON_TZ=")) {
        rci_v_invalid_str(v, "schedule", s, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead");
        return;
    }
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '@') {
        size_t n = strcspn(s, " \t");
        for (size_t i = 0; macros[i]; i++)
            if (strlen(macros[i]) == n && !strncmp(s, macros[i], n) && !s[n + strspn(s + n, " \t")])
                return;
        if (!strncmp(s, "@every ", 7) && s[7])
            return;
        rci_v_invalid_str(v, "schedule", rci_str(spec, "schedule"), "unrecognized descriptor: %s", s);
        return;
    }
    size_t fields = 0;
    for (const char *p = s; *p;) {
        p += strspn(p, " \t");
        if (!*p)
            break;
        fields++;
        p += strcspn(p, " \t");
    }
    if (fields != 5)
        rci_v_invalid_str(v, "schedule", rci_str(spec, "schedule"), "expected exactly 5 fields, found %zu: [%s]",
                          fields, s);
}

void rci_validate_cronjob(rci_vctx *v, const cJSON *obj, const cJSON *old)
{
    static const char *const policies[] = {"Allow", "Forbid", "Replace", NULL};
    (void)old;
    const cJSON *spec = rci_obj(obj, "spec");
    size_t mark = rci_vctx_push(v, "spec");
    validate_schedule(v, spec);
    rci_v_enum(v, spec, "concurrencyPolicy", policies);
    rci_v_nonneg(v, spec, "startingDeadlineSeconds", false);
    rci_v_nonneg(v, spec, "successfulJobsHistoryLimit", false);
    rci_v_nonneg(v, spec, "failedJobsHistoryLimit", false);
    const cJSON *jt = rci_obj(spec, "jobTemplate");
    size_t m = rci_vctx_push(v, "jobTemplate");
    if (!jt)
        rci_v_required(v, NULL, NULL);
    else {
        rci_v_labels(v, "metadata.labels", rci_obj(rci_obj(jt, "metadata"), "labels"));
        size_t ms = rci_vctx_push(v, "spec");
        validate_job_spec(v, rci_obj(jt, "spec"), true);
        rci_vctx_pop(v, ms);
    }
    rci_vctx_pop(v, m);
    rci_vctx_pop(v, mark);
}
