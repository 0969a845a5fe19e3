/* statefulset_history.c - the StatefulSet's revisions (spec section 3.3): the revision data is a
 * strategic-merge patch holding only spec.template (with "$patch": "replace"); the update revision is the
 * newest revision with the current template's data (an older equal one is renumbered: rollback), or a
 * new ControllerRevision; the current revision is the one status.currentRevision names. Old revisions no
 * pod uses are pruned beyond revisionHistoryLimit. */
#include <stdlib.h>
#include <string.h>

#include "controllers/history.h"
#include "controllers/statefulset.h"

/* {"spec":{"template":{...,"$patch":"replace"}}} for the set's current template. */
static cJSON *revision_data(const rci_sts *s)
{
    cJSON *data = cJSON_CreateObject();
    cJSON *spec = data ? cJSON_AddObjectToObject(data, "spec") : NULL;
    cJSON *t = rc_node_to_cjson(s->template_);
    if (!t)
        t = cJSON_CreateObject();
    if (!spec || !t || !cJSON_AddStringToObject(t, "$patch", "replace") ||
        !cJSON_AddItemToObject(spec, "template", t)) {
        cJSON_Delete(t);
        cJSON_Delete(data);
        return NULL;
    }
    return data;
}

rc_node rci_sts_revision_template(const rc_object *rev) { return rc_object_at(rev, "data.spec.template"); }

/* Creates the revision for data numbered next; *out the stored revision. */
static int create_revision(const rci_sts_io *io, const rci_sts *s, const cJSON *data, int64_t next,
                           int64_t *collision, rc_object **out, rc_error *err)
{
    rc_object *draft = rci_history_new(s->obj, "apps/v1", "StatefulSet", rc_node_at(s->template_, "metadata.labels"),
                                       data, next, *collision, err);
    if (!draft)
        return err && err->code ? err->code : RC_ENOMEM;
    rc_node ann = rc_object_at(s->obj, "metadata.annotations");
    size_t na = rc_node_len(ann);
    for (size_t i = 0; i < na; i++) {
        const char *v = rc_node_str(rc_node_value_at(ann, i));
        if (v && rc_object_set_annotation(draft, rc_node_key_at(ann, i), v) != 0) {
            rc_object_unref(draft);
            return rc_error_set(err, RC_ENOMEM, "out of memory building a revision of %s", s->name);
        }
    }
    return rci_history_create(io->client, draft, collision, out, err);
}

int rci_sts_get_revisions(const rci_sts_io *io, const rci_sts *s, rc_object_list *revs, rci_sts_revisions *out,
                          rc_error *err)
{
    memset(out, 0, sizeof *out);
    out->collision_count = rc_object_get_int(s->obj, "status.collisionCount", 0);
    rci_history_sort(revs->items, revs->count);
    cJSON *data = revision_data(s);
    if (!data)
        return rc_error_set(err, RC_ENOMEM, "out of memory building a revision of %s", s->name);
    size_t n = revs->count;
    int64_t next = n ? rci_history_number(revs->items[n - 1]) + 1 : 1;
    long equal = -1;
    for (size_t i = 0; i < n; i++)
        if (rci_history_equal(revs->items[i], data))
            equal = (long)i;
    int rc = 0;
    if (equal >= 0 && (size_t)equal == n - 1) {
        out->update = rc_object_ref(revs->items[n - 1]);
    } else if (equal >= 0) {
        rc = rci_history_renumber(io->client, revs->items[equal], next, &out->update, err);
        if (rc == 0) {
            rc_object_unref(revs->items[equal]);
            revs->items[equal] = rc_object_ref(out->update);
            rci_history_sort(revs->items, revs->count);
        }
    } else {
        rc = create_revision(io, s, data, next, &out->collision_count, &out->update, err);
    }
    cJSON_Delete(data);
    if (rc) {
        rci_sts_revisions_release(out);
        return rc;
    }
    const char *cur = rc_object_get_str(s->obj, "status.currentRevision");
    for (size_t i = 0; cur && i < revs->count && !out->current; i++)
        if (!strcmp(rc_object_name(revs->items[i]), cur))
            out->current = rc_object_ref(revs->items[i]);
    if (!out->current)
        out->current = rc_object_ref(out->update);
    return 0;
}

void rci_sts_revisions_release(rci_sts_revisions *r)
{
    rc_object_unref(r->current);
    rc_object_unref(r->update);
    r->current = r->update = NULL;
}

static bool used_by_pod(const rc_object_list *pods, const char *name)
{
    for (size_t i = 0; i < pods->count; i++)
        if (!strcmp(rci_sts_pod_revision(pods->items[i]), name))
            return true;
    return false;
}

int rci_sts_truncate_history(const rci_sts_io *io, const rci_sts *s, const rc_object_list *revs,
                             const rci_sts_revisions *r, const rc_object_list *pods, rc_error *err)
{
    const char *cur = rc_object_name(r->current), *upd = rc_object_name(r->update);
    size_t old = 0;
    for (size_t i = 0; i < revs->count; i++) {
        const char *name = rc_object_name(revs->items[i]);
        if (strcmp(name, cur) && strcmp(name, upd) && !used_by_pod(pods, name))
            old++;
    }
    int64_t limit = s->history_limit < 0 ? 0 : s->history_limit;
    for (size_t i = 0; i < revs->count && (int64_t)old > limit; i++) {
        const char *name = rc_object_name(revs->items[i]);
        if (!strcmp(name, cur) || !strcmp(name, upd) || used_by_pod(pods, name))
            continue;
        int rc = rc_client_delete(io->client, RCI_CONTROLLER_REVISIONS, s->ns, name, NULL, NULL, err);
        if (rc == RC_ENOTFOUND) {
            rc_error_clear(err);
            rc = 0;
        }
        if (rc)
            return rc;
        old--;
    }
    return 0;
}
