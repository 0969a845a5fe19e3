/* controller_utils.c - slow-start batching (spec section 0.3), status conditions (upstream
 * SetCondition / SetDeploymentCondition) and small readers of replicas, annotations and creation order
 * shared by the ReplicaSet and Deployment controllers. */
#include "controllers/controller_utils.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

size_t rci_slow_start(size_t count, size_t initial, int (*fn)(void *ctx, size_t i, rc_error *err), void *ctx,
                      rc_error *err)
{
    size_t done = 0, ok = 0, batch = initial ? initial : 1;
    while (done < count) {
        size_t n = batch < count - done ? batch : count - done;
        bool failed = false;
        for (size_t i = 0; i < n; i++) {
            rc_error e = {0};
            if (fn(ctx, done + i, &e) == 0) {
                ok++;
            } else {
                if (!failed && err && !err->code)
                    rc_error_move(err, &e);
                failed = true;
            }
            rc_error_clear(&e);
        }
        done += n;
        if (failed)
            break;
        batch *= 2;
    }
    return ok;
}

cJSON *rci_condition_get(const cJSON *status, const char *type)
{
    const cJSON *conds = cJSON_GetObjectItemCaseSensitive(status, "conditions");
    const cJSON *c;
    cJSON_ArrayForEach(c, conds)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "type");
        if (cJSON_IsString(t) && !strcmp(t->valuestring, type))
            return (cJSON *)c;
    }
    return NULL;
}

bool rci_condition_remove(cJSON *status, const char *type)
{
    cJSON *conds = cJSON_GetObjectItemCaseSensitive(status, "conditions");
    cJSON *c = rci_condition_get(status, type);
    if (!c)
        return false;
    cJSON_Delete(cJSON_DetachItemViaPointer(conds, c));
    if (cJSON_GetArraySize(conds) == 0)
        cJSON_DeleteItemFromObjectCaseSensitive(status, "conditions");
    return true;
}

static const char *str_member(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

bool rci_condition_set(cJSON *status, const char *type, const char *cstatus, const char *reason,
                       const char *message, rc_time now, bool with_update_time)
{
    cJSON *old = rci_condition_get(status, type);
    if (old && !strcmp(str_member(old, "status"), cstatus) && !strcmp(str_member(old, "reason"), reason))
        return false;
    cJSON *c = cJSON_CreateObject();
    if (!c)
        return false;
    cJSON_AddStringToObject(c, "type", type);
    cJSON_AddStringToObject(c, "status", cstatus);
    if (with_update_time)
        cJSON_AddItemToObject(c, "lastUpdateTime", rci_time_json(now));
    cJSON *keep = old && !strcmp(str_member(old, "status"), cstatus)
                      ? cJSON_GetObjectItemCaseSensitive(old, "lastTransitionTime") : NULL;
    cJSON_AddItemToObject(c, "lastTransitionTime", keep ? cJSON_Duplicate(keep, true) : rci_time_json(now));
    cJSON_AddStringToObject(c, "reason", reason);
    cJSON_AddStringToObject(c, "message", message ? message : "");
    rci_condition_remove(status, type);
    cJSON *conds = cJSON_GetObjectItemCaseSensitive(status, "conditions");
    if (!cJSON_IsArray(conds)) {
        cJSON_DeleteItemFromObjectCaseSensitive(status, "conditions");
        conds = cJSON_AddArrayToObject(status, "conditions");
    }
    if (!conds) {
        cJSON_Delete(c);
        return false;
    }
    cJSON_AddItemToArray(conds, c);
    return true;
}

bool rci_annotation_int(const rc_object *o, const char *key, int64_t *out)
{
    const char *v = rc_object_annotation(o, key);
    if (!v || !*v)
        return false;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (*end || errno)
        return false;
    *out = x;
    return true;
}

int64_t rci_spec_replicas(const rc_object *o) { return rc_object_get_int(o, "spec.replicas", 1); }

int64_t rci_status_int(const rc_object *o, const char *field)
{
    return rc_node_int(rc_node_get(rc_object_at(o, "status"), field), 0);
}

int rci_cmp_creation(const rc_object *a, const rc_object *b)
{
    rc_time ta = rci_object_time(a, "metadata.creationTimestamp");
    rc_time tb = rci_object_time(b, "metadata.creationTimestamp");
    if (ta != tb)
        return ta < tb ? -1 : 1;
    const char *na = rc_object_name(a), *nb = rc_object_name(b);
    return strcmp(na ? na : "", nb ? nb : "");
}

bool rci_json_set(cJSON *obj, const char *key, cJSON *value)
{
    if (!obj || !value) {
        cJSON_Delete(value);
        return false;
    }
    if (cJSON_GetObjectItemCaseSensitive(obj, key))
        return cJSON_ReplaceItemInObjectCaseSensitive(obj, key, value);
    return cJSON_AddItemToObject(obj, key, value);
}
