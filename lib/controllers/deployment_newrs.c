/* deployment_newrs.c - the new ReplicaSet of a Deployment (upstream getNewReplicaSet, spec sections 2.3
 * and 2.4): find the oldest owned ReplicaSet whose template equals the deployment's ignoring the hash,
 * keep its annotations, revision and minReadySeconds in sync, or create "<deployment>-<hash>" with the
 * hash label on selector, template and pods, handling hash collisions through status.collisionCount. */
#include "controllers/deployment.h"

#include <stdlib.h>
#include <string.h>

/* Copies deployment annotations (except the skip list) into the draft's annotation object. */
static bool copy_annotations(const rc_object *d, rc_object *draft)
{
    rc_node anns = rc_object_at(d, "metadata.annotations");
    bool changed = false;
    for (size_t i = 0; i < rc_node_len(anns); i++) {
        const char *k = rc_node_key_at(anns, i), *v = rc_node_str(rc_node_value_at(anns, i));
        if (!v || rci_skip_copy_annotation(k))
            continue;
        const char *cur = rc_object_annotation(draft, k);
        if (cur && !strcmp(cur, v))
            continue;
        rc_object_set_annotation(draft, k, v);
        changed = true;
    }
    return changed;
}

static void set_int_annotation(rc_object *draft, const char *key, int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    rc_object_set_annotation(draft, key, buf);
}

/* upstream SetNewReplicaSetAnnotations. */
static bool set_new_rs_annotations(rci_dsync *s, rc_object *draft, int64_t new_revision, bool exists)
{
    bool changed = copy_annotations(s->d, draft);
    const char *old = rc_object_annotation(draft, RCI_ANN_REVISION);
    int64_t old_rev = 0;
    if (old && *old && !rci_annotation_int(draft, RCI_ANN_REVISION, &old_rev))
        return changed;
    if (old_rev < new_revision) {
        char *old_copy = old ? strdup(old) : NULL;
        set_int_annotation(draft, RCI_ANN_REVISION, new_revision);
        changed = true;
        if (old_copy) {
            char *hist = rci_revision_history_append(rc_object_annotation(draft, RCI_ANN_REVISION_HISTORY), old_copy,
                                                     RCI_MAX_REV_HISTORY_CHARS);
            if (hist)
                rc_object_set_annotation(draft, RCI_ANN_REVISION_HISTORY, hist);
            free(hist);
            free(old_copy);
        }
    }
    if (!exists) {
        set_int_annotation(draft, RCI_ANN_DESIRED_REPLICAS, s->replicas);
        set_int_annotation(draft, RCI_ANN_MAX_REPLICAS, s->replicas + s->max_surge);
        changed = true;
    }
    return changed;
}

/* SetDeploymentRevision, persisted with a metadata update when it changed. */
static int sync_deployment_revision(rci_dsync *s, const char *revision)
{
    const char *cur = rc_object_annotation(s->d, RCI_ANN_REVISION);
    if (!revision || (cur && !strcmp(cur, revision)))
        return 0;
    rc_object *copy = rc_object_copy(s->d), *out = NULL;
    if (!copy || rc_object_set_annotation(copy, RCI_ANN_REVISION, revision)) {
        rc_object_unref(copy);
        return rc_error_set(s->err, RC_ENOMEM, "out of memory");
    }
    int rc = rc_client_update(s->client, RCI_DEPLOYMENTS, NULL, copy, NULL, &out, s->err);
    rc_object_unref(copy);
    if (!rc)
        rci_dsync_set_deployment(s, out);
    return rc;
}

typedef struct cond_arg {
    const char *status, *reason;
    char msg[512];
    rc_time now;
    const int64_t *collision_count;
} cond_arg;

static void set_progressing(void *arg, cJSON *status)
{
    cond_arg *a = arg;
    if (a->reason)
        rci_condition_set(status, "Progressing", a->status, a->reason, a->msg, a->now, true);
    if (a->collision_count)
        rci_json_set(status, "collisionCount", cJSON_CreateNumber((double)*a->collision_count));
}

static int sync_existing(rci_dsync *s, int64_t new_revision)
{
    rc_object *rs = s->rs[s->new_idx];
    rc_object *copy = rc_object_copy(rs);
    if (!copy)
        return rc_error_set(s->err, RC_ENOMEM, "out of memory");
    bool changed = set_new_rs_annotations(s, copy, new_revision, true);
    int64_t min_ready = rc_object_get_int(s->d, "spec.minReadySeconds", 0);
    if (rc_object_get_int(rs, "spec.minReadySeconds", 0) != min_ready) {
        rc_object_set_int(copy, "spec.minReadySeconds", min_ready);
        changed = true;
    }
    if (changed) {
        rc_object *out = NULL;
        int rc = rc_client_update(s->client, RCI_REPLICASETS, NULL, copy, NULL, &out, s->err);
        rc_object_unref(copy);
        if (!rc) {
            s->rs[s->new_idx] = out;
            rc_object_unref(rs);
        }
        return rc;
    }
    rc_object_unref(copy);
    int rc = sync_deployment_revision(s, rc_object_annotation(rs, RCI_ANN_REVISION));
    cJSON *st = rc_node_to_cjson(rc_object_at(s->d, "status"));
    bool has_cond = rci_condition_get(st, "Progressing") != NULL;
    cJSON_Delete(st);
    if (rc || has_cond || !rci_deployment_has_progress_deadline(s->d))
        return rc;
    cond_arg a = {"True", "FoundNewReplicaSet", "", s->now, NULL};
    snprintf(a.msg, sizeof a.msg, "Found new replica set \"%s\"", rc_object_name(rs));
    return rci_dsync_write_status(s, set_progressing, &a);
}

/* The new ReplicaSet object for hash (a draft), or NULL on allocation failure. */
static rc_object *build_rs(rci_dsync *s, const char *hash, int64_t replicas)
{
    cJSON *root = cJSON_CreateObject(), *meta = cJSON_AddObjectToObject(root, "metadata");
    cJSON *spec = cJSON_AddObjectToObject(root, "spec");
    cJSON *tmpl = rc_node_to_cjson(rc_object_at(s->d, "spec.template"));
    cJSON *sel = rc_node_to_cjson(rc_object_at(s->d, "spec.selector"));
    char name[300];
    snprintf(name, sizeof name, "%s-%s", rc_object_name(s->d), hash);
    cJSON_AddStringToObject(root, "apiVersion", "apps/v1");
    cJSON_AddStringToObject(root, "kind", "ReplicaSet");
    cJSON_AddStringToObject(meta, "name", name);
    cJSON_AddStringToObject(meta, "namespace", rc_object_namespace(s->d));
    if (!cJSON_IsObject(tmpl)) {
        cJSON_Delete(tmpl);
        tmpl = cJSON_CreateObject();
    }
    cJSON *tmeta = cJSON_GetObjectItemCaseSensitive(tmpl, "metadata");
    if (!tmeta)
        tmeta = cJSON_AddObjectToObject(tmpl, "metadata");
    cJSON *labels = cJSON_GetObjectItemCaseSensitive(tmeta, "labels");
    if (!labels)
        labels = cJSON_AddObjectToObject(tmeta, "labels");
    rci_json_set(labels, RCI_POD_TEMPLATE_HASH, cJSON_CreateString(hash));
    cJSON_AddItemToObject(meta, "labels", cJSON_Duplicate(labels, true));
    if (!cJSON_IsObject(sel)) {
        cJSON_Delete(sel);
        sel = cJSON_CreateObject();
    }
    cJSON *ml = cJSON_GetObjectItemCaseSensitive(sel, "matchLabels");
    if (!ml)
        ml = cJSON_AddObjectToObject(sel, "matchLabels");
    rci_json_set(ml, RCI_POD_TEMPLATE_HASH, cJSON_CreateString(hash));
    cJSON_AddNumberToObject(spec, "replicas", (double)replicas);
    cJSON_AddNumberToObject(spec, "minReadySeconds", (double)rc_object_get_int(s->d, "spec.minReadySeconds", 0));
    cJSON_AddItemToObject(spec, "selector", sel);
    cJSON_AddItemToObject(spec, "template", tmpl);
    rc_object *draft = rc_object_new_draft(root);
    if (!draft)
        cJSON_Delete(root);
    return draft;
}

static int append_rs(rci_dsync *s, rc_object *rs)
{
    if (s->nrs == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 4;
        rc_object **p = realloc(s->rs, cap * sizeof *p);
        if (!p) {
            rc_object_unref(rs);
            return rc_error_set(s->err, RC_ENOMEM, "out of memory");
        }
        s->rs = p;
        s->cap = cap;
    }
    s->new_idx = (long)s->nrs;
    s->rs[s->nrs++] = rs;
    return 0;
}

/* AlreadyExists: ours (same controller, equal template) or a hash collision. */
static int on_exists(rci_dsync *s, const char *name, int create_rc)
{
    rc_object *existing = NULL;
    rc_error gerr = {0};
    int rc = rc_client_get(s->client, RCI_REPLICASETS, rc_object_namespace(s->d), name, &existing, &gerr);
    rc_error_clear(&gerr);
    if (!rc && rc_is_controlled_by(existing, s->d) &&
        rci_templates_equal_ignore_hash(rc_object_at(s->d, "spec.template"), rc_object_at(existing, "spec.template"))) {
        rc_error_clear(s->err);
        return append_rs(s, existing);
    }
    rc_object_unref(existing);
    int64_t count = rci_status_int(s->d, "collisionCount") + 1;
    cond_arg a = {NULL, NULL, "", s->now, &count};
    rc_error werr = {0};
    rc_error *keep = s->err;
    s->err = &werr;
    rci_dsync_write_status(s, set_progressing, &a);
    s->err = keep;
    rc_error_clear(&werr);
    return create_rc;
}

static int create_new(rci_dsync *s, int64_t new_revision)
{
    rc_node cc = rc_object_at(s->d, "status.collisionCount");
    int64_t count = rc_node_int(cc, 0);
    char hash[16];
    int rc = rci_template_hash(rc_object_at(s->d, "spec.template"), rc_node_exists(cc) ? &count : NULL, hash);
    if (rc)
        return rc_error_set(s->err, rc, "out of memory");
    int64_t replicas = s->rolling ? rci_new_rs_replicas(s->replicas, s->max_surge, rci_dsync_pod_bound(s), 0)
                                  : s->replicas;
    rc_object *draft = build_rs(s, hash, replicas), *out = NULL;
    if (!draft)
        return rc_error_set(s->err, RC_ENOMEM, "out of memory");
    rc = rc_set_controller_ref(draft, s->d, s->err);
    if (!rc) {
        set_new_rs_annotations(s, draft, new_revision, false);
        rc = rc_client_create(s->client, RCI_REPLICASETS, NULL, draft, NULL, &out, s->err);
    }
    char name[300];
    snprintf(name, sizeof name, "%s", rc_object_name(draft));
    rc_object_unref(draft);
    if (rc == RC_EEXISTS)
        return on_exists(s, name, rc);
    if (rc) {
        cond_arg a = {"False", "ReplicaSetCreateError", "", s->now, NULL};
        snprintf(a.msg, sizeof a.msg, "Failed to create new replica set \"%s\": %s", name,
                 s->err && s->err->message ? s->err->message : rc_strerror(rc));
        rc_ctx_event(s->ctx, s->d, "Warning", "ReplicaSetCreateError", "%s", a.msg);
        if (rci_deployment_has_progress_deadline(s->d)) {
            rc_error werr = {0};
            rc_error *keep = s->err;
            s->err = &werr;
            rci_dsync_write_status(s, set_progressing, &a);
            s->err = keep;
            rc_error_clear(&werr);
        }
        return rc;
    }
    if (replicas > 0)
        rc_ctx_event(s->ctx, s->d, "Normal", "ScalingReplicaSet", "Scaled up replica set %s from 0 to %lld", name,
                     (long long)replicas);
    rc = append_rs(s, out);
    if (!rc)
        rc = sync_deployment_revision(s, rc_object_annotation(out, RCI_ANN_REVISION));
    if (rc || !rci_deployment_has_progress_deadline(s->d))
        return rc;
    cond_arg a = {"True", "NewReplicaSetCreated", "", s->now, NULL};
    snprintf(a.msg, sizeof a.msg, "Created new replica set \"%s\"", name);
    return rci_dsync_write_status(s, set_progressing, &a);
}

int rci_dsync_get_new_rs(rci_dsync *s, bool create)
{
    rc_node tmpl = rc_object_at(s->d, "spec.template");
    s->new_idx = -1;
    for (size_t i = 0; i < s->nrs && s->new_idx < 0; i++)
        if (rci_templates_equal_ignore_hash(tmpl, rc_object_at(s->rs[i], "spec.template")))
            s->new_idx = (long)i;
    int64_t max_old = 0;
    for (size_t i = 0; i < s->nrs; i++) {
        int64_t r = rci_revision(s->rs[i]);
        if ((long)i != s->new_idx && r > max_old)
            max_old = r;
    }
    if (s->new_idx >= 0)
        return sync_existing(s, max_old + 1);
    return create ? create_new(s, max_old + 1) : 0;
}
