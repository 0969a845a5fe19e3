/* patch.c - the patch verb: parses the body, applies a JSON patch, merge patch or strategic merge patch
 * (lib/api/patch*.c) to the stored object and runs the result through the update flow, so a failing
 * patch changes nothing. A resourceVersion the patch sets is a precondition. Server-side apply is basic:
 * it creates the object when absent and otherwise merges the applied configuration into it (strategic
 * for built-in kinds, merge patch for custom resources), recording the manager's Apply entry in
 * metadata.managedFields (managed.c); fields another manager set are not detected as conflicts, so
 * `force` changes nothing, and fields dropped from the applied configuration are not removed. */
#include "apiserver/internal.h"
#include "apiserver/limits.h"

#include <string.h>

#define DEFAULT_APPLY_MANAGER "libreconcile" /* as the HTTP client sends when the caller names none */

typedef struct patch_change {
    int type;
    const cJSON *patch;
} patch_change;

static int change_by_patch(void *ctx, rci_req *req, const rc_object *old, const cJSON *old_tree, cJSON **tree,
                           bool *conditional, rc_error *err)
{
    const patch_change *pc = ctx;
    cJSON *patched = rc_patch_apply(pc->type, old_tree, pc->patch, rc_object_api_version(old),
                                    rc_object_kind(old), err);
    if (!patched)
        return err && err->code ? err->code : RC_EBADREQUEST;
    if (!cJSON_IsObject(patched)) {
        cJSON_Delete(patched);
        return rc_error_set(err, RC_EBADREQUEST, "the patch did not produce an object");
    }
    const cJSON *rv = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(patched, "metadata"),
                                                       "resourceVersion");
    if (cJSON_IsString(rv) && rv->valuestring[0] && strcmp(rv->valuestring, rc_object_resource_version(old))) {
        cJSON_Delete(patched);
        return rci_conflict(req, err);
    }
    *conditional = false;
    if (!strcmp(req->subresource, "status")) {
        *tree = rci_status_tree(req, old_tree, patched);
        cJSON_Delete(patched);
        return *tree ? 0 : rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    *tree = patched;
    return 0;
}

static int server_side_apply(rci_req *req, const cJSON *applied, rc_object **out, rc_error *err)
{
    if (!req->field_manager || !req->field_manager[0])
        req->field_manager = DEFAULT_APPLY_MANAGER;
    req->applied = applied;
    char key[600];
    rc_key_format(key, sizeof key, req->ns, req->name);
    for (int attempt = 0; attempt < 4; attempt++) {
        rc_object *cur = rci_lookup(req, key);
        if (!cur) {
            int rc = rci_create(req, applied, out, err);
            if (rc != RC_EEXISTS)
                return rc;
            rc_error_clear(err);
            continue;
        }
        rc_object_unref(cur);
        const cJSON *av = cJSON_GetObjectItemCaseSensitive(applied, "apiVersion");
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(applied, "kind");
        patch_change pc = {.patch = applied,
                           .type = rc_patch_strategic_supported(cJSON_IsString(av) ? av->valuestring : "",
                                                                cJSON_IsString(kind) ? kind->valuestring : "")
                                       ? RC_PATCH_STRATEGIC
                                       : RC_PATCH_MERGE};
        int rc = rci_update_with(req, change_by_patch, &pc, out, err);
        if (rc != RC_ENOTFOUND)
            return rc;
        rc_error_clear(err);
    }
    return rci_conflict(req, err);
}

int rci_patch(rci_req *req, rc_patch_type type, const char *data, size_t len, bool force, rc_object **out,
              rc_error *err)
{
    (void)force; /* ownership is recorded but not enforced, so there are no apply conflicts to force */
    if (type < RC_PATCH_JSON || type > RC_PATCH_APPLY)
        return rc_error_set(err, RC_EUNSUPPORTED, "the patch type %d is not supported", (int)type);
    if (!data)
        return rc_error_set(err, RC_EBADREQUEST, "the patch body is empty");
    cJSON *patch = cJSON_ParseWithLength(data, len);
    if (!patch)
        return rc_error_set(err, RC_EBADREQUEST, "the patch body is not valid JSON");
    int rc = rci_limits_check(patch, err);
    if (rc != 0) {
        cJSON_Delete(patch);
        return rc;
    }
    if (!strcmp(req->subresource, "scale")) {
        rc = type == RC_PATCH_APPLY ? rc_error_set(err, RC_EUNSUPPORTED, "apply is not supported for scale")
                                    : rci_patch_scale(req, type, patch, out, err);
    } else if (!strcmp(req->subresource, "status") && !req->ri->has_status) {
        char q[256];
        rc = rc_error_set(err, RC_ENOTFOUND, "%s \"%s\" has no status subresource",
                          rci_qualified(req->ri, q, sizeof q), req->name);
    } else if (type == RC_PATCH_APPLY) {
        rc = cJSON_IsObject(patch) && !req->subresource[0]
                 ? server_side_apply(req, patch, out, err)
                 : rc_error_set(err, RC_EBADREQUEST, "an apply patch must be an object");
    } else {
        patch_change pc = {.type = type, .patch = patch};
        rc = rci_update_with(req, change_by_patch, &pc, out, err);
    }
    cJSON_Delete(patch);
    return rc;
}
