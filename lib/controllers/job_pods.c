/* job_pods.c - the Job controller's pod helpers: pods built from the template (with the completion
 * index for Indexed Jobs), when a pod finished, completion-index interval lists ("0-2,5") and the
 * pod-failure back-off formula (spec sections 5.3, 5.4, 5.6). */
#include <reconcile/values.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controllers/controller_utils.h"
#include "controllers/job.h"
#include "util/strbuf.h"

static bool has_env(const cJSON *container, const char *name)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(container, "env"))
    {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(e, "name");
        if (cJSON_IsString(n) && !strcmp(n->valuestring, name))
            return true;
    }
    return false;
}

static bool add_index_env(cJSON *containers)
{
    cJSON *c;
    cJSON_ArrayForEach(c, containers)
    {
        if (!cJSON_IsObject(c) || has_env(c, RCI_JOB_INDEX_ENV))
            continue;
        cJSON *env = cJSON_GetObjectItemCaseSensitive(c, "env");
        if (!cJSON_IsArray(env)) {
            cJSON_DeleteItemFromObjectCaseSensitive(c, "env");
            env = cJSON_AddArrayToObject(c, "env");
        }
        cJSON *var = cJSON_CreateObject();
        cJSON *ref = cJSON_AddObjectToObject(cJSON_AddObjectToObject(var, "valueFrom"), "fieldRef");
        if (!env || !var || !ref) {
            cJSON_Delete(var);
            return false;
        }
        cJSON_AddStringToObject(var, "name", RCI_JOB_INDEX_ENV);
        cJSON_AddStringToObject(ref, "fieldPath", "metadata.annotations['" RCI_JOB_INDEX_KEY "']");
        cJSON_AddItemToArray(env, var);
    }
    return true;
}

/* generateName "<job>-<index>-" with the job part cut so the whole prefix is at most 58 chars. */
static bool set_indexed_identity(rc_object *pod, const char *job, long index)
{
    char idx[24], name[80], host[80];
    snprintf(idx, sizeof idx, "%ld", index);
    int keep = 58 - (int)strlen(idx) - 2;
    snprintf(name, sizeof name, "%.*s-%s-", keep, job, idx);
    snprintf(host, sizeof host, "%.*s-%s", 63 - (int)strlen(idx) - 1, job, idx);
    cJSON *root = rc_object_json_mut(pod);
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(root, "spec");
    return rc_object_set_str(pod, "metadata.generateName", name) == 0 &&
           rc_object_set_annotation(pod, RCI_JOB_INDEX_KEY, idx) == 0 &&
           rc_object_set_label(pod, RCI_JOB_INDEX_KEY, idx) == 0 &&
           rc_object_set_str(pod, "spec.hostname", host) == 0 &&
           add_index_env(cJSON_GetObjectItemCaseSensitive(spec, "containers")) &&
           add_index_env(cJSON_GetObjectItemCaseSensitive(spec, "initContainers"));
}

rc_object *rci_job_new_pod(const rc_object *job, long index)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *meta = cJSON_AddObjectToObject(root, "metadata");
    cJSON *labels = rc_node_to_cjson(rc_object_at(job, "spec.template.metadata.labels"));
    cJSON *ann = rc_node_to_cjson(rc_object_at(job, "spec.template.metadata.annotations"));
    cJSON *spec = rc_node_to_cjson(rc_object_at(job, "spec.template.spec"));
    if (!meta || !spec) {
        cJSON_Delete(labels);
        cJSON_Delete(ann);
        cJSON_Delete(spec);
        cJSON_Delete(root);
        return NULL;
    }
    cJSON_AddStringToObject(root, "apiVersion", "v1");
    cJSON_AddStringToObject(root, "kind", "Pod");
    cJSON_AddItemToObject(root, "spec", spec);
    if (labels)
        cJSON_AddItemToObject(meta, "labels", labels);
    if (ann)
        cJSON_AddItemToObject(meta, "annotations", ann);
    rc_object *pod = rc_object_new_draft(root);
    if (!pod) {
        cJSON_Delete(root);
        return NULL;
    }
    char *gen = rci_asprintf("%s-", rc_object_name(job));
    rc_owner_ref ref = {rc_object_api_version(job) ? rc_object_api_version(job) : "batch/v1", "Job",
                        rc_object_name(job), rc_object_uid(job), true, true};
    bool ok = gen && rc_object_set_namespace(pod, rc_object_namespace(job)) == 0 &&
              rc_object_set_str(pod, "metadata.generateName", gen) == 0 &&
              rc_object_add_finalizer(pod, RCI_JOB_TRACKING_FINALIZER) == 0 && rc_object_add_owner(pod, &ref) == 0 &&
              (index < 0 || set_indexed_identity(pod, rc_object_name(job), index));
    free(gen);
    if (!ok) {
        rc_object_unref(pod);
        return NULL;
    }
    return pod;
}

long rci_job_pod_index(const rc_object *pod)
{
    const char *v = rc_object_annotation(pod, RCI_JOB_INDEX_KEY);
    if (!v)
        v = rc_object_label(pod, RCI_JOB_INDEX_KEY);
    if (!v || !*v || strlen(v) > 9)
        return -1;
    long n = 0;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        n = n * 10 + (*p - '0');
    }
    return n;
}

static rc_time last_finished_at(const rc_object *pod)
{
    rc_node st = rc_object_at(pod, "status.containerStatuses");
    size_t n = rc_node_len(st);
    rc_time latest = 0;
    for (size_t i = 0; i < n; i++) {
        rc_node term = rc_node_at(rc_node_index(st, i), "state.terminated");
        if (!rc_node_exists(term))
            return 0; /* not every container terminated */
        rc_time t = rci_node_time(rc_node_get(term, "finishedAt"));
        latest = t > latest ? t : latest;
    }
    return latest;
}

rc_time rci_job_pod_finish_time(const rc_object *pod)
{
    rc_time t = last_finished_at(pod);
    if (t)
        return t;
    rc_node conds = rc_object_at(pod, "status.conditions");
    for (size_t i = 0; i < rc_node_len(conds); i++) {
        rc_node c = rc_node_index(conds, i);
        const char *type = rc_node_str(rc_node_get(c, "type")), *st = rc_node_str(rc_node_get(c, "status"));
        if (type && st && !strcmp(type, "Ready") && !strcmp(st, "False") &&
            (t = rci_node_time(rc_node_get(c, "lastTransitionTime"))))
            return t;
    }
    if ((t = rci_object_time(pod, "metadata.deletionTimestamp")))
        return t - rc_object_get_int(pod, "metadata.deletionGracePeriodSeconds", 0) * RC_SEC;
    return rci_object_time(pod, "metadata.creationTimestamp");
}

void rci_job_parse_indexes(const char *text, bool *marks, size_t n)
{
    for (const char *p = text ? text : ""; *p;) {
        char *end;
        long a = strtol(p, &end, 10), b = a;
        if (end == p || a < 0)
            return;
        if (*end == '-') {
            p = end + 1;
            b = strtol(p, &end, 10);
            if (end == p)
                return;
        }
        for (long i = a; i <= b && i < (long)n; i++)
            marks[i] = true;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return;
    }
}

char *rci_job_format_indexes(const bool *marks, size_t n)
{
    rci_strbuf b;
    rci_strbuf_init(&b);
    rci_strbuf_puts(&b, "");
    for (size_t i = 0; i < n;) {
        if (!marks[i]) {
            i++;
            continue;
        }
        size_t j = i;
        while (j + 1 < n && marks[j + 1])
            j++;
        if (b.len)
            rci_strbuf_putc(&b, ',');
        if (j == i)
            rci_strbuf_printf(&b, "%zu", i);
        else
            rci_strbuf_printf(&b, "%zu-%zu", i, j);
        i = j + 1;
    }
    return b.failed ? (rci_strbuf_free(&b), NULL) : rci_strbuf_take(&b);
}

rc_duration rci_job_backoff_delay(int64_t failures, rc_duration max)
{
    if (failures <= 0)
        return 0;
    rc_duration d = RCI_JOB_BACKOFF_BASE;
    for (int64_t i = 1; i < failures && d < max; i++)
        d *= 2;
    return d < max ? d : max;
}
