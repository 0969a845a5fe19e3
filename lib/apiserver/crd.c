/* crd.c - CustomResourceDefinitions: creating one registers its resource in the server's registry (group,
 * storage version, scope, names, status and scale subresources) and marks it NamesAccepted/Established;
 * deleting one removes its objects (DELETED events) and unregisters it. Custom objects are checked and
 * pruned against the version's openAPIV3Schema (crd_schema.c) on every write. */
#include "apiserver/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/hooks.h"

#define CRD_API_VERSION "apiextensions.k8s.io/v1"

static const char *str_at(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The version objects are stored in: the one marked storage, else the first served one. */
static const cJSON *storage_version(const cJSON *spec)
{
    const cJSON *v, *first_served = NULL;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(spec, "versions"))
    {
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "storage")))
            return v;
        if (!first_served && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "served")))
            first_served = v;
    }
    return first_served;
}

static void add_condition(cJSON *conds, const char *type, const char *reason, const char *message)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "type", type);
    cJSON_AddStringToObject(c, "status", "True");
    cJSON_AddStringToObject(c, "reason", reason);
    cJSON_AddStringToObject(c, "message", message);
    cJSON_AddItemToArray(conds, c);
}

int rci_crd_prepare(rci_req *req, cJSON *crd, rc_error *err)
{
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(crd, "spec");
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(spec, "names");
    const cJSON *version = storage_version(spec);
    const char *scope = str_at(spec, "scope");
    rc_resource_info info = {
        .group = str_at(spec, "group"),
        .version = str_at(version, "name"),
        .kind = str_at(names, "kind"),
        .list_kind = str_at(names, "listKind"),
        .plural = str_at(names, "plural"),
        .singular = str_at(names, "singular"),
        .namespaced = !scope || strcmp(scope, "Cluster"),
    };
    if (!info.group || !info.version || !info.kind || !info.plural)
        return rc_error_set(err, RC_EINVAL, "CustomResourceDefinition.apiextensions.k8s.io \"%s\" is invalid: "
                            "spec: group, names.plural, names.kind and a served version are required", req->name);
    const cJSON *subs = cJSON_GetObjectItemCaseSensitive(version, "subresources");
    info.has_status = cJSON_GetObjectItemCaseSensitive(subs, "status") != NULL;
    info.has_scale = cJSON_GetObjectItemCaseSensitive(subs, "scale") != NULL;
    char list_kind[160];
    if (!info.list_kind) {
        snprintf(list_kind, sizeof list_kind, "%sList", info.kind);
        info.list_kind = list_kind;
    }
    size_t ns = 0;
    const cJSON *sn;
    cJSON_ArrayForEach(sn, cJSON_GetObjectItemCaseSensitive(names, "shortNames")) if (cJSON_IsString(sn) &&
                                                                                        ns < RC_MAX_SHORT_NAMES - 1)
        info.short_names[ns++] = sn->valuestring;
    const cJSON *cat = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(names, "categories"), 0);
    info.categories = cJSON_IsString(cat) ? cat->valuestring : NULL;
    bool existed = rc_registry_by_resource(req->srv->registry, info.group, NULL, info.plural) != NULL;
    rc_error why = {0};
    if (rc_registry_add(req->srv->registry, &info, &why) != 0) {
        rc_error_set(err, RC_EINVAL, "CustomResourceDefinition.apiextensions.k8s.io \"%s\" is invalid: spec.names: "
                     "Invalid value: %s", req->name, why.message ? why.message : "names are already in use");
        rc_error_add_cause(err, "spec.names", "FieldValueInvalid", "%s", why.message ? why.message : "in use");
        rc_error_clear(&why);
        return RC_EINVAL;
    }
    if (!existed) {
        req->registered_crd = true;
        snprintf(req->registered_group, sizeof req->registered_group, "%s", info.group);
        snprintf(req->registered_plural, sizeof req->registered_plural, "%s", info.plural);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(crd, "status");
    cJSON *status = cJSON_AddObjectToObject(crd, "status");
    cJSON_AddItemToObject(status, "acceptedNames", cJSON_Duplicate(names, 1));
    cJSON *conds = cJSON_AddArrayToObject(status, "conditions");
    add_condition(conds, "NamesAccepted", "NoConflicts", "no conflicts found");
    add_condition(conds, "Established", "InitialNamesAccepted", "the initial names have been accepted");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(status, "storedVersions"), cJSON_CreateString(info.version));
    return 0;
}

void rci_crd_removed(rci_req *req, const rc_object *crd)
{
    rc_apiserver *srv = req->srv;
    const char *group = rc_object_get_str(crd, "spec.group");
    const char *plural = rc_object_get_str(crd, "spec.names.plural");
    const rc_resource_info *ri = group && plural ? rc_registry_by_resource(srv->registry, group, NULL, plural) : NULL;
    if (!ri)
        return;
    pthread_mutex_lock(&srv->lock);
    rci_resource *res = rci_resource_for_locked(srv, ri);
    size_t n = 0;
    rci_entry **sorted = res ? rci_store_sorted_locked(res, &n) : NULL;
    rc_object **objs = n ? malloc(n * sizeof *objs) : NULL;
    for (size_t i = 0; objs && i < n; i++)
        objs[i] = rc_object_ref(sorted[i]->obj);
    pthread_mutex_unlock(&srv->lock);
    for (size_t i = 0; objs && i < n; i++) {
        rci_req sub = {.srv = srv, .verb = "delete", .ri = ri, .res = res, .ns = rc_object_namespace(objs[i]),
                       .name = rc_object_name(objs[i]), .subresource = ""};
        rci_commit_delete(&sub, rc_object_key(objs[i]), objs[i], NULL, NULL);
        rc_object_unref(objs[i]);
    }
    free(objs);
    pthread_mutex_lock(&srv->lock);
    if (res)
        rci_watch_close_all_locked(srv, res);
    pthread_mutex_unlock(&srv->lock);
    rc_registry_remove(srv->registry, group, plural);
}

int rci_crd_check_object(rci_req *req, cJSON *obj, rc_error *err)
{
    const rc_resource_info *ri = req->ri;
    if (!ri->group[0])
        return 0;
    const rc_resource_info *cri = rc_registry_by_kind(req->srv->registry, CRD_API_VERSION, "CustomResourceDefinition");
    if (!cri || cri == ri)
        return 0;
    char name[300];
    snprintf(name, sizeof name, "%s.%s", ri->plural, ri->group);
    pthread_mutex_lock(&req->srv->lock);
    rci_resource *res = rci_resource_for_locked(req->srv, cri);
    rci_entry *e = res ? rci_store_get_locked(res, name) : NULL;
    rc_object *crd = e ? rc_object_ref(e->obj) : NULL;
    pthread_mutex_unlock(&req->srv->lock);
    if (!crd)
        return 0;
    cJSON *tree = rc_object_to_cjson(crd);
    rc_object_unref(crd);
    const cJSON *schema = tree ? rci_crd_schema(tree, ri->version) : NULL;
    int rc = schema ? rci_crd_validate_and_prune(schema, obj, err) : 0;
    cJSON_Delete(tree);
    return rc;
}
