/* deployment_rollback.c - what kubectl does for Deployments on the client side: `rollout undo`
 * (polymorphichelpers DeploymentRollbacker: copy a revision's template and annotations back into the
 * deployment), `rollout history` (revisions of the controlled ReplicaSets) and `rollout status` (the
 * message kubectl prints for one observation). Uses only rc_client, so it works against any server. */
#include "controllers/deployment.h"

#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

/* ReplicaSets of ns controlled by deployment d (new references appended to out). */
static int owned_replicasets(rc_client *c, const rc_object *d, rc_object_list *out, rc_error *err)
{
    rc_object_list all;
    rc_object_list_init(&all);
    int rc = rc_client_list(c, RCI_REPLICASETS, rc_object_namespace(d), NULL, &all, err);
    for (size_t i = 0; !rc && i < all.count; i++)
        if (rc_is_controlled_by(all.items[i], d))
            rc = rc_object_list_append(out, all.items[i]);
    rc_object_list_clear(&all);
    return rc;
}

/* deploymentRevision: the RS with revision to (0 = the second highest). */
static rc_object *find_revision(const rc_object_list *l, int64_t to, int64_t *found)
{
    rc_object *latest = NULL, *previous = NULL;
    int64_t latest_rev = -1, previous_rev = -1;
    for (size_t i = 0; i < l->count; i++) {
        int64_t v = rci_revision(l->items[i]);
        if (v < 0)
            continue;
        if (to > 0 && v == to) {
            *found = v;
            return l->items[i];
        }
        if (to == 0 && latest_rev < v) {
            previous_rev = latest_rev;
            previous = latest;
            latest_rev = v;
            latest = l->items[i];
        } else if (to == 0 && previous_rev < v) {
            previous_rev = v;
            previous = l->items[i];
        }
    }
    *found = previous_rev;
    return to == 0 ? previous : NULL;
}

/* The JSON patch replacing the template and the annotations (kubectl's rollback patch). */
static char *rollback_patch(const rc_object *d, const rc_object *rs)
{
    cJSON *tmpl = rc_node_to_cjson(rc_object_at(rs, "spec.template"));
    cJSON *labels = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(tmpl, "metadata"), "labels");
    cJSON_DeleteItemFromObjectCaseSensitive(labels, RCI_POD_TEMPLATE_HASH);
    cJSON *anns = cJSON_CreateObject();
    rc_node da = rc_object_at(d, "metadata.annotations"), ra = rc_object_at(rs, "metadata.annotations");
    for (size_t i = 0; i < rc_node_len(da); i++)
        if (rci_skip_copy_annotation(rc_node_key_at(da, i)))
            cJSON_AddItemToObject(anns, rc_node_key_at(da, i), rc_node_to_cjson(rc_node_value_at(da, i)));
    for (size_t i = 0; i < rc_node_len(ra); i++)
        if (!rci_skip_copy_annotation(rc_node_key_at(ra, i)))
            cJSON_AddItemToObject(anns, rc_node_key_at(ra, i), rc_node_to_cjson(rc_node_value_at(ra, i)));
    cJSON *patch = cJSON_CreateArray(), *op1 = cJSON_CreateObject(), *op2 = cJSON_CreateObject();
    cJSON_AddStringToObject(op1, "op", "replace");
    cJSON_AddStringToObject(op1, "path", "/spec/template");
    cJSON_AddItemToObject(op1, "value", tmpl);
    cJSON_AddStringToObject(op2, "op", rc_node_exists(da) ? "replace" : "add");
    cJSON_AddStringToObject(op2, "path", "/metadata/annotations");
    cJSON_AddItemToObject(op2, "value", anns);
    cJSON_AddItemToArray(patch, op1);
    cJSON_AddItemToArray(patch, op2);
    char *text = cJSON_PrintUnformatted(patch);
    cJSON_Delete(patch);
    return text;
}

int rc_deployment_rollback(rc_client *c, const char *ns, const char *name, int64_t to_revision,
                           int64_t *revision_out, rc_error *err)
{
    if (!c || !name || to_revision < 0)
        return rc_error_set(err, RC_EINVAL, "rollback: client, name and a revision >= 0 are required");
    rc_object *d = NULL;
    int rc = rc_client_get(c, RCI_DEPLOYMENTS, ns, name, &d, err);
    if (rc)
        return rc;
    rc_object_list rss;
    rc_object_list_init(&rss);
    rc = owned_replicasets(c, d, &rss, err);
    int64_t found = -1;
    rc_object *rs = rc ? NULL : find_revision(&rss, to_revision, &found);
    if (!rc && !rs)
        rc = to_revision > 0 ? rc_error_set(err, RC_ENOTFOUND, "unable to find specified revision %lld in history",
                                            (long long)to_revision)
                             : rc_error_set(err, RC_ENOTFOUND, "no rollout history found for deployment \"%s\"", name);
    if (!rc && rc_object_get_bool(d, "spec.paused", false))
        rc = rc_error_set(err, RC_EINVAL, "you cannot rollback a paused deployment; resume it first with "
                                          "'kubectl rollout resume' and try again");
    if (!rc && rci_templates_equal_ignore_hash(rc_object_at(rs, "spec.template"), rc_object_at(d, "spec.template")))
        rc = rc_error_set(err, RC_EEXISTS, "skipped rollback (current template already matches revision %lld)",
                          (long long)found);
    if (!rc) {
        char *patch = rollback_patch(d, rs);
        rc = patch ? rc_client_patch(c, RCI_DEPLOYMENTS, rc_object_namespace(d), name, RC_PATCH_JSON, patch,
                                     strlen(patch), NULL, NULL, err)
                   : rc_error_set(err, RC_ENOMEM, "out of memory");
        free(patch);
    }
    if (!rc && revision_out)
        *revision_out = found;
    rc_object_list_clear(&rss);
    rc_object_unref(d);
    return rc;
}

static int cmp_rev(const void *a, const void *b)
{
    const rc_deployment_revision *x = a, *y = b;
    return x->revision < y->revision ? -1 : x->revision > y->revision;
}

void rc_deployment_history_free(rc_deployment_revision *revs, size_t n)
{
    for (size_t i = 0; revs && i < n; i++) {
        free(revs[i].replicaset);
        free(revs[i].change_cause);
    }
    free(revs);
}

int rc_deployment_history(rc_client *c, const char *ns, const char *name, rc_deployment_revision **out,
                          size_t *n, rc_error *err)
{
    if (!c || !name || !out || !n)
        return rc_error_set(err, RC_EINVAL, "history: client, name, out and n are required");
    *out = NULL;
    *n = 0;
    rc_object *d = NULL;
    int rc = rc_client_get(c, RCI_DEPLOYMENTS, ns, name, &d, err);
    if (rc)
        return rc;
    rc_object_list rss;
    rc_object_list_init(&rss);
    rc = owned_replicasets(c, d, &rss, err);
    rc_deployment_revision *revs = rc ? NULL : calloc(rss.count ? rss.count : 1, sizeof *revs);
    if (!rc && !revs)
        rc = rc_error_set(err, RC_ENOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; !rc && i < rss.count; i++) {
        int64_t v = rci_revision(rss.items[i]);
        if (v <= 0)
            continue;
        const char *cause = rc_object_annotation(rss.items[i], RCI_ANN_CHANGE_CAUSE);
        revs[k].revision = v;
        revs[k].replicaset = strdup(rc_object_name(rss.items[i]));
        revs[k].change_cause = cause ? strdup(cause) : NULL;
        if (!revs[k++].replicaset || (cause && !revs[k - 1].change_cause))
            rc = rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    if (rc) {
        rc_deployment_history_free(revs, k);
    } else {
        qsort(revs, k, sizeof *revs, cmp_rev);
        *out = revs;
        *n = k;
    }
    rc_object_list_clear(&rss);
    rc_object_unref(d);
    return rc;
}

int rc_deployment_rollout_status(const rc_object *d, char **message, bool *done)
{
    if (!d || !message || !done)
        return RC_EINVAL;
    const char *name = rc_object_name(d) ? rc_object_name(d) : "";
    int64_t upd = rci_status_int(d, "updatedReplicas"), reps = rci_status_int(d, "replicas");
    int64_t avail = rci_status_int(d, "availableReplicas"), spec = rci_spec_replicas(d);
    int rc = 0;
    *done = false;
    cJSON *st = rc_node_to_cjson(rc_object_at(d, "status"));
    const cJSON *cond = rci_condition_get(st, "Progressing");
    const cJSON *reason = cJSON_GetObjectItemCaseSensitive(cond, "reason");
    if (rc_object_generation(d) > rci_status_int(d, "observedGeneration")) {
        *message = rci_asprintf("Waiting for deployment spec update to be observed...\n");
    } else if (cJSON_IsString(reason) && !strcmp(reason->valuestring, "ProgressDeadlineExceeded")) {
        *message = rci_asprintf("deployment \"%s\" exceeded its progress deadline", name);
        rc = RC_ETIMEOUT;
    } else if (upd < spec) {
        *message = rci_asprintf("Waiting for deployment \"%s\" rollout to finish: %lld out of %lld new replicas have "
                                "been updated...\n", name, (long long)upd, (long long)spec);
    } else if (reps > upd) {
        *message = rci_asprintf("Waiting for deployment \"%s\" rollout to finish: %lld old replicas are pending "
                                "termination...\n", name, (long long)(reps - upd));
    } else if (avail < upd) {
        *message = rci_asprintf("Waiting for deployment \"%s\" rollout to finish: %lld of %lld updated replicas are "
                                "available...\n", name, (long long)avail, (long long)upd);
    } else {
        *message = rci_asprintf("deployment \"%s\" successfully rolled out\n", name);
        *done = true;
    }
    cJSON_Delete(st);
    return *message ? rc : RC_ENOMEM;
}

int rc_pod_template_hash(rc_node pod_template, const int64_t *collision_count, char out[16])
{
    return rci_template_hash(pod_template, collision_count, out);
}
