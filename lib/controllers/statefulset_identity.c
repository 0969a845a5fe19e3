/* statefulset_identity.c - the stable identity of StatefulSet pods (spec section 3.2): ordinals parsed
 * from "<set>-<n>", new pods built from a revision's template (name, hostname = name, subdomain =
 * serviceName, identity labels, one claim volume per volumeClaimTemplate, revision label), the identity
 * and storage checks, and the pod predicates the sync pass uses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controllers/controller_utils.h"
#include "controllers/statefulset.h"
#include "util/strbuf.h"

int64_t rci_sts_ordinal(const char *set_name, const char *pod_name)
{
    if (!set_name || !pod_name)
        return -1;
    size_t sl = strlen(set_name);
    if (strncmp(pod_name, set_name, sl) != 0 || pod_name[sl] != '-')
        return -1;
    const char *d = pod_name + sl + 1;
    size_t n = strlen(d);
    if (n == 0 || n > 10 || (d[0] == '0' && n > 1))
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (d[i] < '0' || d[i] > '9')
            return -1;
        v = v * 10 + (d[i] - '0');
    }
    return v > INT32_MAX ? -1 : v;
}

char *rci_sts_pod_name(const char *set_name, int64_t ordinal)
{
    return rci_asprintf("%s-%lld", set_name, (long long)ordinal);
}

const char *rci_sts_pod_revision(const rc_object *pod)
{
    const char *r = rc_object_label(pod, RCI_LABEL_POD_REVISION);
    return r ? r : "";
}

/* Copies member key of node n into obj when present. */
static bool copy_member(cJSON *obj, const char *key, rc_node n)
{
    rc_node v = rc_node_get(n, key);
    if (!rc_node_exists(v))
        return true;
    cJSON *c = rc_node_to_cjson(v);
    return c && cJSON_AddItemToObject(obj, key, c);
}

/* The claim volumes first, then the template's other volumes (upstream updateStorage). */
static cJSON *storage_volumes(const rci_sts *s, const cJSON *volumes, int64_t ordinal)
{
    cJSON *out = cJSON_CreateArray();
    size_t nt = rc_node_len(s->claim_templates);
    for (size_t i = 0; out && i < nt; i++) {
        const char *t = rc_node_str(rc_node_at(rc_node_index(s->claim_templates, i), "metadata.name"));
        if (!t)
            continue; /* the API server refuses nameless templates */
        char *claim = rci_sts_claim_name(t, s->name, ordinal);
        cJSON *v = cJSON_CreateObject();
        cJSON *pvc = v ? cJSON_AddObjectToObject(v, "persistentVolumeClaim") : NULL;
        bool ok = claim && pvc && cJSON_AddStringToObject(v, "name", t) &&
                  cJSON_AddStringToObject(pvc, "claimName", claim) && cJSON_AddItemToArray(out, v);
        free(claim);
        if (!ok) {
            cJSON_Delete(v);
            cJSON_Delete(out);
            return NULL;
        }
    }
    const cJSON *v;
    cJSON_ArrayForEach(v, volumes)
    {
        if (!out)
            break;
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(v, "name");
        bool is_claim = false;
        for (size_t i = 0; i < nt && cJSON_IsString(name); i++) {
            const char *t = rc_node_str(rc_node_at(rc_node_index(s->claim_templates, i), "metadata.name"));
            is_claim = is_claim || (t && !strcmp(t, name->valuestring));
        }
        cJSON *c = is_claim ? NULL : cJSON_Duplicate(v, true);
        if (!is_claim && !(c && cJSON_AddItemToArray(out, c))) {
            cJSON_Delete(c);
            cJSON_Delete(out);
            return NULL;
        }
    }
    return out;
}

/* Sets the identity labels of a draft (pod-name, pod-index). */
static int set_identity_labels(rc_object *pod, const char *name, int64_t ordinal)
{
    char idx[24];
    snprintf(idx, sizeof idx, "%lld", (long long)ordinal);
    int rc = rc_object_set_label(pod, RCI_LABEL_POD_NAME, name);
    return rc ? rc : rc_object_set_label(pod, RCI_LABEL_POD_INDEX, idx);
}

rc_object *rci_sts_new_pod(const rci_sts *s, rc_node template_, int64_t ordinal, const char *revision,
                           rc_error *err)
{
    char *name = rci_sts_pod_name(s->name, ordinal);
    cJSON *root = cJSON_CreateObject();
    cJSON *meta = root ? cJSON_AddObjectToObject(root, "metadata") : NULL;
    rc_node tmeta = rc_node_get(template_, "metadata");
    cJSON *spec = rc_node_to_cjson(rc_node_get(template_, "spec"));
    if (!spec)
        spec = cJSON_CreateObject();
    bool ok = name && meta && spec && cJSON_AddStringToObject(root, "apiVersion", "v1") &&
              cJSON_AddStringToObject(root, "kind", "Pod") && cJSON_AddStringToObject(meta, "name", name) &&
              cJSON_AddStringToObject(meta, "namespace", s->ns) && copy_member(meta, "labels", tmeta) &&
              copy_member(meta, "annotations", tmeta) && copy_member(meta, "finalizers", tmeta);
    if (ok) {
        cJSON *vols = storage_volumes(s, cJSON_GetObjectItemCaseSensitive(spec, "volumes"), ordinal);
        ok = vols != NULL;
        if (ok && cJSON_GetArraySize(vols) > 0)
            ok = rci_json_set(spec, "volumes", vols);
        else
            cJSON_Delete(vols);
        ok = ok && rci_json_set(spec, "hostname", cJSON_CreateString(name));
        if (ok && s->service && *s->service)
            ok = rci_json_set(spec, "subdomain", cJSON_CreateString(s->service));
    }
    rc_object *pod = NULL;
    if (ok && cJSON_AddItemToObject(root, "spec", spec)) {
        spec = NULL;
        pod = rc_object_new_draft(root);
        root = NULL;
    }
    cJSON_Delete(spec);
    cJSON_Delete(root);
    rc_owner_ref ref = {"apps/v1", "StatefulSet", s->name, s->uid, true, true};
    if (!pod || rc_object_add_owner(pod, &ref) || set_identity_labels(pod, name, ordinal) ||
        rc_object_set_label(pod, RCI_LABEL_POD_REVISION, revision)) {
        rc_object_unref(pod);
        free(name);
        rc_error_set(err, RC_ENOMEM, "out of memory building pod %lld of statefulset %s", (long long)ordinal,
                     s->name);
        return NULL;
    }
    free(name);
    return pod;
}

bool rci_sts_identity_matches(const rci_sts *s, const rc_object *pod)
{
    const char *name = rc_object_name(pod);
    int64_t ord = rci_sts_ordinal(s->name, name);
    if (ord < 0 || strcmp(rc_object_namespace(pod), s->ns) != 0)
        return false;
    const char *label = rc_object_label(pod, RCI_LABEL_POD_NAME);
    const char *idx = rc_object_label(pod, RCI_LABEL_POD_INDEX);
    char want[24];
    snprintf(want, sizeof want, "%lld", (long long)ord);
    return label && !strcmp(label, name) && idx && !strcmp(idx, want);
}

bool rci_sts_storage_matches(const rci_sts *s, const rc_object *pod)
{
    int64_t ord = rci_sts_ordinal(s->name, rc_object_name(pod));
    if (ord < 0)
        return false;
    rc_node vols = rc_object_at(pod, "spec.volumes");
    size_t nt = rc_node_len(s->claim_templates), nv = rc_node_len(vols);
    for (size_t i = 0; i < nt; i++) {
        const char *t = rc_node_str(rc_node_at(rc_node_index(s->claim_templates, i), "metadata.name"));
        char *claim = t ? rci_sts_claim_name(t, s->name, ord) : NULL;
        bool found = false;
        for (size_t j = 0; claim && j < nv && !found; j++) {
            rc_node v = rc_node_index(vols, j);
            const char *vn = rc_node_str(rc_node_get(v, "name"));
            const char *cn = rc_node_str(rc_node_at(v, "persistentVolumeClaim.claimName"));
            found = vn && !strcmp(vn, t) && cn && !strcmp(cn, claim);
        }
        free(claim);
        if (!found)
            return false;
    }
    return true;
}

rc_object *rci_sts_fix_identity(const rci_sts *s, const rc_object *pod)
{
    const char *name = rc_object_name(pod);
    rc_object *copy = rc_object_copy(pod);
    if (copy && set_identity_labels(copy, name, rci_sts_ordinal(s->name, name)) != 0) {
        rc_object_unref(copy);
        return NULL;
    }
    return copy;
}

bool rci_sts_pod_created(const rc_object *pod)
{
    const char *phase = rc_object_get_str(pod, "status.phase");
    return phase && *phase;
}

bool rci_sts_pod_terminating(const rc_object *pod) { return rc_object_deletion_timestamp(pod) != NULL; }

bool rci_sts_pod_running_ready(const rc_object *pod)
{
    const char *phase = rc_object_get_str(pod, "status.phase");
    return phase && !strcmp(phase, "Running") && rci_pod_is_ready(pod);
}

bool rci_sts_pod_available(const rci_sts *s, const rc_object *pod, rc_time now)
{
    return rci_sts_pod_running_ready(pod) && rci_pod_is_available(pod, s->min_ready, now);
}

bool rci_sts_pod_healthy(const rci_sts *s, const rc_object *pod, rc_time now)
{
    return rci_sts_pod_available(s, pod, now) && !rci_sts_pod_terminating(pod);
}
