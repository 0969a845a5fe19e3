/* status_write.c - writing a controller-computed status: compare it with the stored one and, only when
 * they differ, replace the status subresource (with rc_update_status's conflict retry). Shared by the
 * ReplicaSet and Deployment controllers. */
#include "controllers/controller_utils.h"

static int replace_status(void *arg, rc_object *draft, rc_error *err)
{
    const cJSON *want = arg;
    cJSON *copy = cJSON_Duplicate(want, true);
    if (!copy)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    return rc_object_set_json(draft, "status", copy);
}

int rci_write_status(rc_reconcile_ctx *ctx, const char *resource, const rc_object *obj, const cJSON *want,
                     rc_object **out, rc_error *err)
{
    if (out)
        *out = NULL;
    cJSON *cur = rc_node_to_cjson(rc_object_at(obj, "status"));
    if (!cur)
        cur = cJSON_CreateObject();
    bool same = cur && cJSON_Compare(cur, want, true);
    cJSON_Delete(cur);
    if (same)
        return 0;
    return rc_update_status(ctx, resource, obj, replace_status, (void *)want, out, err);
}
