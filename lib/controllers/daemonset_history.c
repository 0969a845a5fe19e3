/* daemonset_history.c - a DaemonSet's ControllerRevisions (spec section 4.6): the hash of the current
 * template (FNV-1a pod-template hash with the collision count), the revision object that records it,
 * and which old revisions to prune (never one a pod still runs). */
#include <stdlib.h>
#include <string.h>

#include "controllers/controller_utils.h"
#include "controllers/daemonset.h"
#include "controllers/history.h"
#include "util/strbuf.h"

int rci_ds_hash(const rc_object *ds, char out[16])
{
    rc_node cc = rc_object_at(ds, "status.collisionCount");
    int64_t count = rc_node_int(cc, 0);
    return rci_template_hash(rc_object_at(ds, "spec.template"), rc_node_exists(cc) ? &count : NULL, out);
}

rc_object *rci_ds_revision_new(const rc_object *ds, const char *hash, int64_t number)
{
    cJSON *data = cJSON_CreateObject();
    cJSON *spec = data ? cJSON_AddObjectToObject(data, "spec") : NULL;
    cJSON *tmpl = rc_node_to_cjson(rc_object_at(ds, "spec.template"));
    if (!spec || !tmpl) {
        cJSON_Delete(data);
        cJSON_Delete(tmpl);
        return NULL;
    }
    cJSON_AddStringToObject(tmpl, "$patch", "replace");
    cJSON_AddItemToObject(spec, "template", tmpl);
    rc_error err = {0};
    rc_object *rev = rci_history_new(ds, rc_object_api_version(ds) ? rc_object_api_version(ds) : "apps/v1",
                                     "DaemonSet", rc_object_at(ds, "spec.template.metadata.labels"), data, number, 0,
                                     &err);
    cJSON_Delete(data);
    rc_error_clear(&err);
    char *name = rci_asprintf("%.223s-%s", rc_object_name(ds), hash);
    bool ok = rev && name && rc_object_set_name(rev, name) == 0 &&
              rc_object_set_label(rev, RCI_DS_HASH_LABEL, hash) == 0 &&
              rc_object_set_label(rev, RCI_LABEL_REVISION_HASH, NULL) == 0;
    free(name);
    if (!ok) {
        rc_object_unref(rev);
        return NULL;
    }
    return rev;
}

int rci_ds_history_victims(const rc_object *ds, rc_object *const *revs, size_t nrevs, rc_object *const *pods,
                           size_t npods, const char *hash, rc_object_list *out)
{
    int64_t limit = rc_object_get_int(ds, "spec.revisionHistoryLimit", 10);
    rc_object **old = calloc(nrevs + 1, sizeof *old);
    if (!old)
        return RC_ENOMEM;
    size_t nold = 0;
    for (size_t i = 0; i < nrevs; i++) {
        const char *h = rc_object_label(revs[i], RCI_DS_HASH_LABEL);
        bool live = h && !strcmp(h, hash);
        for (size_t j = 0; j < npods && !live; j++) {
            const char *ph = rc_object_label(pods[j], RCI_DS_HASH_LABEL);
            live = h && ph && !strcmp(h, ph);
        }
        if (!live)
            old[nold++] = revs[i];
    }
    rci_history_sort(old, nold);
    int rc = 0;
    for (size_t i = 0; rc == 0 && limit >= 0 && i + (size_t)limit < nold; i++)
        rc = rc_object_list_append(out, old[i]);
    free(old);
    return rc;
}
