/* daemonset_pods.c - the pods of a DaemonSet (spec sections 4.3-4.5): the pod built from the template
 * for one node (daemon tolerations, revision hash label, pinned with a metadata.name node-affinity term
 * for the scheduler to bind - the controller never sets spec.nodeName), which node a pod targets, which
 * pods are current, and the age order that decides which duplicate survives. */
#include <stdlib.h>
#include <string.h>

#include "controllers/controller_utils.h"
#include "controllers/daemonset.h"
#include "util/strbuf.h"

static bool str_member_eq(const cJSON *o, const char *key, const char *v)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(m) && !strcmp(m->valuestring, v);
}

/* Same-key/effect tolerations are replaced, others kept (AddOrUpdateDaemonPodTolerations). */
static bool add_tolerations(cJSON *spec)
{
    cJSON *tols = cJSON_GetObjectItemCaseSensitive(spec, "tolerations");
    if (!cJSON_IsArray(tols)) {
        cJSON_DeleteItemFromObjectCaseSensitive(spec, "tolerations");
        tols = cJSON_AddArrayToObject(spec, "tolerations");
    }
    if (!tols)
        return false;
    bool host_network = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(spec, "hostNetwork"));
    size_t n = RCI_DS_AUTO_TOLERATIONS - (host_network ? 0 : 1);
    for (size_t i = 0; i < n; i++) {
        for (int j = cJSON_GetArraySize(tols) - 1; j >= 0; j--) {
            cJSON *t = cJSON_GetArrayItem(tols, j);
            if (str_member_eq(t, "key", rci_ds_auto_tolerations[i][0]) && str_member_eq(t, "effect", rci_ds_auto_tolerations[i][1]))
                cJSON_DeleteItemFromArray(tols, j);
        }
        cJSON *t = cJSON_CreateObject();
        if (!t)
            return false;
        cJSON_AddStringToObject(t, "key", rci_ds_auto_tolerations[i][0]);
        cJSON_AddStringToObject(t, "operator", "Exists");
        cJSON_AddStringToObject(t, "effect", rci_ds_auto_tolerations[i][1]);
        cJSON_AddItemToArray(tols, t);
    }
    return true;
}

/* ReplaceDaemonSetPodNodeNameNodeAffinity: required terms become one metadata.name In [node] term. */
static bool pin_to_node(cJSON *spec, const char *node)
{
    cJSON *aff = cJSON_GetObjectItemCaseSensitive(spec, "affinity");
    if (!cJSON_IsObject(aff)) {
        cJSON_DeleteItemFromObjectCaseSensitive(spec, "affinity");
        aff = cJSON_AddObjectToObject(spec, "affinity");
    }
    cJSON *na = aff ? cJSON_GetObjectItemCaseSensitive(aff, "nodeAffinity") : NULL;
    if (aff && !cJSON_IsObject(na)) {
        cJSON_DeleteItemFromObjectCaseSensitive(aff, "nodeAffinity");
        na = cJSON_AddObjectToObject(aff, "nodeAffinity");
    }
    if (!na)
        return false;
    char *json = rci_asprintf("{\"nodeSelectorTerms\":[{\"matchFields\":[{\"key\":\"metadata.name\","
                              "\"operator\":\"In\",\"values\":[\"%s\"]}]}]}", node);
    cJSON *req = json ? cJSON_Parse(json) : NULL;
    free(json);
    if (!req)
        return false;
    cJSON_DeleteItemFromObjectCaseSensitive(na, "requiredDuringSchedulingIgnoredDuringExecution");
    cJSON_AddItemToObject(na, "requiredDuringSchedulingIgnoredDuringExecution", req);
    return true;
}

rc_object *rci_ds_new_pod(const rc_object *ds, const char *node, const char *hash)
{
    cJSON *spec = rc_node_to_cjson(rc_object_at(ds, "spec.template.spec"));
    if (spec && (!add_tolerations(spec) || !pin_to_node(spec, node))) {
        cJSON_Delete(spec);
        return NULL;
    }
    rc_object *pod = rci_plan_draft_child("v1", "Pod", rc_object_at(ds, "spec.template.metadata"), spec);
    if (!pod)
        return NULL;
    char *gen = rci_asprintf("%s-", rc_object_name(ds));
    const char *generation = rc_object_annotation(ds, RCI_DS_GENERATION_ANN);
    rc_owner_ref ref = {rc_object_api_version(ds) ? rc_object_api_version(ds) : "apps/v1", "DaemonSet",
                        rc_object_name(ds), rc_object_uid(ds), true, true};
    bool ok = gen && rc_object_set_namespace(pod, rc_object_namespace(ds)) == 0 &&
              rc_object_set_str(pod, "metadata.generateName", gen) == 0 &&
              rc_object_set_label(pod, RCI_DS_HASH_LABEL, hash) == 0 &&
              (!generation || rc_object_set_label(pod, RCI_DS_GENERATION_LABEL, generation) == 0) &&
              rc_object_add_owner(pod, &ref) == 0;
    free(gen);
    if (!ok) {
        rc_object_unref(pod);
        return NULL;
    }
    return pod;
}

const char *rci_ds_pod_node(const rc_object *pod)
{
    const char *bound = rc_object_get_str(pod, "spec.nodeName");
    if (bound && *bound)
        return bound;
    rc_node terms = rc_object_at(pod, "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
                                      "nodeSelectorTerms");
    if (rc_node_len(terms) != 1)
        return NULL;
    rc_node fields = rc_node_get(rc_node_index(terms, 0), "matchFields");
    for (size_t i = 0; i < rc_node_len(fields); i++) {
        rc_node req = rc_node_index(fields, i);
        const char *key = rc_node_str(rc_node_get(req, "key")), *op = rc_node_str(rc_node_get(req, "operator"));
        rc_node values = rc_node_get(req, "values");
        if (key && op && !strcmp(key, "metadata.name") && !strcmp(op, "In") && rc_node_len(values) == 1)
            return rc_node_str(rc_node_index(values, 0));
    }
    return NULL;
}

bool rci_ds_pod_is_new(const rc_object *ds, const rc_object *pod, const char *hash)
{
    const char *h = rc_object_label(pod, RCI_DS_HASH_LABEL);
    if (h && hash && !strcmp(h, hash))
        return true;
    const char *gen = rc_object_annotation(ds, RCI_DS_GENERATION_ANN);
    const char *pgen = rc_object_label(pod, RCI_DS_GENERATION_LABEL);
    return gen && pgen && !strcmp(gen, pgen);
}

/* When the pod got its PodScheduled=True condition, 0 when never. */
static rc_time scheduled_at(const rc_object *pod)
{
    rc_node conds = rc_object_at(pod, "status.conditions");
    for (size_t i = 0; i < rc_node_len(conds); i++) {
        rc_node c = rc_node_index(conds, i);
        const char *type = rc_node_str(rc_node_get(c, "type")), *st = rc_node_str(rc_node_get(c, "status"));
        if (type && st && !strcmp(type, "PodScheduled") && !strcmp(st, "True"))
            return rci_node_time(rc_node_get(c, "lastTransitionTime"));
    }
    return 0;
}

int rci_ds_cmp_oldest(const rc_object *a, const rc_object *b)
{
    rc_time sa = scheduled_at(a), sb = scheduled_at(b);
    if (sa != sb && sa && sb)
        return sa < sb ? -1 : 1;
    return rci_cmp_creation(a, b);
}
