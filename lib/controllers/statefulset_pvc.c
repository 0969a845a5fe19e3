/* statefulset_pvc.c - the storage side of StatefulSet identity (spec sections 3.2 and 3.6): one
 * PersistentVolumeClaim per pod per volumeClaimTemplate, named "<claim>-<set>-<ordinal>" and labelled
 * with the template labels plus the selector's matchLabels, created before the pod and never deleted
 * here; the persistentVolumeClaimRetentionPolicy is expressed as ownerReferences (to the set and/or the
 * pod) that the garbage collector acts on. */
#include <stdlib.h>
#include <string.h>

#include "controllers/statefulset.h"
#include "util/strbuf.h"

char *rci_sts_claim_name(const char *claim, const char *set_name, int64_t ordinal)
{
    return rci_asprintf("%s-%s-%lld", claim, set_name, (long long)ordinal);
}

/* Which owner references a claim should carry (the table of spec section 3.6). */
static void wanted_owners(const rci_sts *s, bool condemned, bool *set_ref, bool *pod_ref)
{
    *pod_ref = condemned && s->delete_when_scaled;
    *set_ref = s->delete_when_deleted && !*pod_ref;
}

static bool has_owner(const rc_object *o, const char *uid)
{
    rc_owner_ref r;
    for (size_t i = 0; uid && rc_object_owner(o, i, &r); i++)
        if (r.uid && !strcmp(r.uid, uid))
            return true;
    return false;
}

/* A new claim draft for template t (a PersistentVolumeClaim template node) and ordinal. */
static rc_object *new_claim(const rci_sts *s, rc_node t, const char *name, rc_error *err)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *meta = root ? cJSON_AddObjectToObject(root, "metadata") : NULL;
    cJSON *labels = rc_node_to_cjson(rc_node_at(t, "metadata.labels"));
    if (!labels)
        labels = cJSON_CreateObject();
    size_t nl = rc_node_len(s->match_labels);
    bool ok = meta && labels && cJSON_AddStringToObject(root, "apiVersion", "v1") &&
              cJSON_AddStringToObject(root, "kind", "PersistentVolumeClaim") &&
              cJSON_AddStringToObject(meta, "name", name) && cJSON_AddStringToObject(meta, "namespace", s->ns);
    for (size_t i = 0; ok && i < nl; i++) {
        const char *v = rc_node_str(rc_node_value_at(s->match_labels, i));
        cJSON *c = cJSON_CreateString(v ? v : "");
        cJSON_DeleteItemFromObjectCaseSensitive(labels, rc_node_key_at(s->match_labels, i));
        ok = c && cJSON_AddItemToObject(labels, rc_node_key_at(s->match_labels, i), c);
        if (!ok)
            cJSON_Delete(c);
    }
    rc_node ann = rc_node_at(t, "metadata.annotations");
    cJSON *a = rc_node_exists(ann) ? rc_node_to_cjson(ann) : NULL;
    cJSON *spec = rc_node_to_cjson(rc_node_get(t, "spec"));
    ok = ok && cJSON_AddItemToObject(meta, "labels", labels);
    if (ok)
        labels = NULL;
    if (ok && a) {
        ok = cJSON_AddItemToObject(meta, "annotations", a);
        a = ok ? NULL : a;
    }
    if (ok && spec) {
        ok = cJSON_AddItemToObject(root, "spec", spec);
        spec = ok ? NULL : spec;
    }
    rc_object *claim = ok ? rc_object_new_draft(root) : NULL;
    if (claim)
        root = NULL;
    cJSON_Delete(labels);
    cJSON_Delete(a);
    cJSON_Delete(spec);
    cJSON_Delete(root);
    bool set_ref, pod_ref;
    wanted_owners(s, false, &set_ref, &pod_ref);
    rc_owner_ref ref = {"apps/v1", "StatefulSet", s->name, s->uid, false, false};
    if (!claim || (set_ref && rc_object_add_owner(claim, &ref) != 0)) {
        rc_object_unref(claim);
        rc_error_set(err, RC_ENOMEM, "out of memory building claim %s", name);
        return NULL;
    }
    return claim;
}

/* The claim name of template i for ordinal (malloc'd), NULL for a nameless template or on failure. */
static char *template_claim_name(const rci_sts *s, size_t i, int64_t ordinal, rc_node *t)
{
    *t = rc_node_index(s->claim_templates, i);
    const char *tn = rc_node_str(rc_node_at(*t, "metadata.name"));
    return tn ? rci_sts_claim_name(tn, s->name, ordinal) : NULL;
}

int rci_sts_create_claims(const rci_sts_io *io, const rci_sts *s, int64_t ordinal, rc_error *err)
{
    size_t nt = rc_node_len(s->claim_templates);
    int first = 0;
    for (size_t i = 0; i < nt; i++) {
        rc_node t;
        char *name = template_claim_name(s, i, ordinal, &t);
        if (!name)
            continue;
        rc_object *have = NULL, *claim = NULL;
        rc_error e = {0};
        int rc = io->get_claim(io->ctx, s->ns, name, &have, &e);
        if (rc == 0 && rci_sts_pod_terminating(have))
            rc = rc_error_set(&e, RC_ECONFLICT, "pvc %s is being deleted", name);
        if (rc == RC_ENOTFOUND) {
            rc_error_clear(&e);
            claim = new_claim(s, t, name, &e);
            rc = claim ? rc_client_create(io->client, RCI_PVCS, s->ns, claim, NULL, NULL, &e) : e.code;
            char *msg = rc == 0 || rc == RC_EEXISTS
                            ? rci_asprintf("create Claim %s for Pod %s-%lld in StatefulSet %s success", name,
                                           s->name, (long long)ordinal, s->name)
                            : rci_asprintf("create Claim %s for Pod %s-%lld in StatefulSet %s failed error: %s",
                                           name, s->name, (long long)ordinal, s->name,
                                           e.message ? e.message : "");
            if (rc != RC_EEXISTS)
                io->event(io->ctx, s->obj, rc == 0 ? "Normal" : "Warning",
                          rc == 0 ? "SuccessfulCreate" : "FailedCreate", msg ? msg : name);
            free(msg);
            if (rc == RC_EEXISTS) /* our cache was behind: the claim is there, which is all we need */
                rc = 0;
        }
        if (rc != 0 && first == 0) {
            first = rc;
            rc_error_move(err, &e);
        }
        rc_error_clear(&e);
        rc_object_unref(claim);
        rc_object_unref(have);
        free(name);
    }
    return first;
}

int rci_sts_claims_stale(const rci_sts_io *io, const rci_sts *s, int64_t ordinal, bool *stale, rc_error *err)
{
    *stale = false;
    char *pod = rci_sts_pod_name(s->name, ordinal);
    if (!pod)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    size_t nt = rc_node_len(s->claim_templates);
    int rc = 0;
    for (size_t i = 0; i < nt && !*stale && rc == 0; i++) {
        rc_node t;
        char *name = template_claim_name(s, i, ordinal, &t);
        rc_object *claim = NULL;
        rc = name ? io->get_claim(io->ctx, s->ns, name, &claim, err) : 0;
        if (rc == RC_ENOTFOUND) {
            rc_error_clear(err);
            rc = 0;
        }
        rc_owner_ref r;
        for (size_t j = 0; claim && rc_object_owner(claim, j, &r); j++)
            *stale = *stale || (r.kind && !strcmp(r.kind, "Pod") && r.name && !strcmp(r.name, pod));
        rc_object_unref(claim);
        free(name);
    }
    free(pod);
    return rc;
}

/* Claim i of pod (nullable *claim when absent) and whether its owners match the policy. */
static int claim_state(const rci_sts_io *io, const rci_sts *s, const rc_object *pod, int64_t ord, size_t i,
                       bool condemned, rc_object **claim, bool *match, rc_error *err)
{
    rc_node t;
    char *name = template_claim_name(s, i, ord, &t);
    *claim = NULL;
    *match = true;
    int rc = name ? io->get_claim(io->ctx, s->ns, name, claim, err) : 0;
    free(name);
    if (rc == RC_ENOTFOUND) {
        rc_error_clear(err);
        return 0;
    }
    if (rc || !*claim)
        return rc;
    bool set_ref, pod_ref;
    wanted_owners(s, condemned, &set_ref, &pod_ref);
    *match = has_owner(*claim, s->uid) == set_ref && has_owner(*claim, rc_object_uid(pod)) == pod_ref;
    return 0;
}

/* Adds or removes the ownerReference to (uid, kind, name) on a draft. */
static int set_owner(rc_object *claim, bool want, const char *api_version, const char *kind, const char *name,
                     const char *uid)
{
    if (want == has_owner(claim, uid))
        return 0;
    if (!want)
        return rc_object_remove_owner(claim, uid);
    rc_owner_ref ref = {api_version, kind, name, uid, false, false};
    return rc_object_add_owner(claim, &ref);
}

int rci_sts_fix_claim_owners(const rci_sts_io *io, const rci_sts *s, const rc_object *pod, bool condemned,
                             rc_error *err)
{
    int64_t ord = rci_sts_ordinal(s->name, rc_object_name(pod));
    size_t nt = rc_node_len(s->claim_templates);
    const char *pod_uid = rc_object_uid(pod);
    if (ord < 0 || !pod_uid)
        return 0;
    for (size_t i = 0; i < nt; i++) {
        rc_object *claim;
        bool match;
        int rc = claim_state(io, s, pod, ord, i, condemned, &claim, &match, err);
        if (rc == 0 && claim && !match) {
            bool set_ref, pod_ref;
            wanted_owners(s, condemned, &set_ref, &pod_ref);
            rc_object *draft = rc_object_copy(claim);
            rc = draft ? set_owner(draft, set_ref, "apps/v1", "StatefulSet", s->name, s->uid) : RC_ENOMEM;
            if (rc == 0)
                rc = set_owner(draft, pod_ref, "v1", "Pod", rc_object_name(pod), pod_uid);
            if (rc == 0)
                rc = rc_client_update(io->client, RCI_PVCS, s->ns, draft, NULL, NULL, err);
            else
                rc_error_set(err, rc, "cannot set the owners of claim %s", rc_object_name(claim));
            rc_object_unref(draft);
        }
        rc_object_unref(claim);
        if (rc)
            return rc;
    }
    return 0;
}
