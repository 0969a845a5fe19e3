/* crd.c - CustomResourceDefinitions: creating one registers its resource in the server's registry (group,
 * storage version, scope, names, status and scale subresources) and marks it NamesAccepted/Established;
 * updating one re-registers it (new storage version, names, subresources; group and scope are immutable);
 * deleting one removes its objects (DELETED events) and unregisters it. The scale subresource of custom
 * objects follows the CRD's specReplicasPath/statusReplicasPath/labelSelectorPath. Custom objects are checked and
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

/* The resource a CRD's spec describes; strings borrowed from crd (list_kind from buf). */
static int info_from_spec(rci_req *req, const cJSON *crd, rc_resource_info *info, char *buf, size_t cap,
                          rc_error *err)
{
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(crd, "spec");
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(spec, "names");
    const cJSON *version = storage_version(spec);
    const char *scope = str_at(spec, "scope");
    *info = (rc_resource_info){
        .group = str_at(spec, "group"),
        .version = str_at(version, "name"),
        .kind = str_at(names, "kind"),
        .list_kind = str_at(names, "listKind"),
        .plural = str_at(names, "plural"),
        .singular = str_at(names, "singular"),
        .namespaced = !scope || strcmp(scope, "Cluster"),
    };
    if (!info->group || !info->version || !info->kind || !info->plural)
        return rc_error_set(err, RC_EINVAL, "CustomResourceDefinition.apiextensions.k8s.io \"%s\" is invalid: "
                            "spec: group, names.plural, names.kind and a served version are required", req->name);
    const cJSON *subs = cJSON_GetObjectItemCaseSensitive(version, "subresources");
    info->has_status = cJSON_GetObjectItemCaseSensitive(subs, "status") != NULL;
    info->has_scale = cJSON_GetObjectItemCaseSensitive(subs, "scale") != NULL;
    if (!info->list_kind) {
        snprintf(buf, cap, "%sList", info->kind);
        info->list_kind = buf;
    }
    size_t ns = 0;
    const cJSON *sn;
    cJSON_ArrayForEach(sn, cJSON_GetObjectItemCaseSensitive(names, "shortNames")) if (cJSON_IsString(sn) &&
                                                                                        ns < RC_MAX_SHORT_NAMES - 1)
        info->short_names[ns++] = sn->valuestring;
    const cJSON *cat = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(names, "categories"), 0);
    info->categories = cJSON_IsString(cat) ? cat->valuestring : NULL;
    return 0;
}

static int names_clash(rci_req *req, rc_error *why, rc_error *err)
{
    const char *msg = why->message ? why->message : "names are already in use";
    rc_error_set(err, RC_EINVAL, "CustomResourceDefinition.apiextensions.k8s.io \"%s\" is invalid: spec.names: "
                 "Invalid value: %s", req->name, msg);
    rc_error_add_cause(err, "spec.names", "FieldValueInvalid", "%s", msg);
    rc_error_clear(why);
    return RC_EINVAL;
}

/* status: the accepted names, NamesAccepted/Established, and storedVersions (old ones kept, as upstream). */
static void fill_status(cJSON *crd, const cJSON *old_crd, const char *storage)
{
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(crd, "spec"), "names");
    cJSON *stored = cJSON_CreateArray();
    const cJSON *v;
    bool has_storage = false;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(old_crd, "status"),
                                                           "storedVersions")) if (cJSON_IsString(v))
    {
        has_storage = has_storage || !strcmp(v->valuestring, storage);
        cJSON_AddItemToArray(stored, cJSON_CreateString(v->valuestring));
    }
    if (!has_storage)
        cJSON_AddItemToArray(stored, cJSON_CreateString(storage));
    cJSON_DeleteItemFromObjectCaseSensitive(crd, "status");
    cJSON *status = cJSON_AddObjectToObject(crd, "status");
    cJSON_AddItemToObject(status, "acceptedNames", cJSON_Duplicate(names, 1));
    cJSON *conds = cJSON_AddArrayToObject(status, "conditions");
    add_condition(conds, "NamesAccepted", "NoConflicts", "no conflicts found");
    add_condition(conds, "Established", "InitialNamesAccepted", "the initial names have been accepted");
    cJSON_AddItemToObject(status, "storedVersions", stored);
}

int rci_crd_prepare(rci_req *req, cJSON *crd, rc_error *err)
{
    rc_resource_info info;
    char list_kind[160];
    int rc = info_from_spec(req, crd, &info, list_kind, sizeof list_kind, err);
    if (rc != 0)
        return rc;
    bool existed = rc_registry_by_resource(req->srv->registry, info.group, NULL, info.plural) != NULL;
    rc_error why = {0};
    if (rc_registry_add(req->srv->registry, &info, &why) != 0)
        return names_clash(req, &why, err);
    if (!existed) {
        req->registered_crd = true;
        snprintf(req->registered_group, sizeof req->registered_group, "%s", info.group);
        snprintf(req->registered_plural, sizeof req->registered_plural, "%s", info.plural);
    }
    fill_status(crd, NULL, info.version);
    return 0;
}

int rci_crd_reregister(rci_req *req, cJSON *crd, const cJSON *old_crd, rc_error *err)
{
    rc_resource_info info;
    char list_kind[160];
    int rc = info_from_spec(req, crd, &info, list_kind, sizeof list_kind, err);
    if (rc != 0)
        return rc;
    rc_registry *reg = req->srv->registry;
    const rc_resource_info *old = rc_registry_by_resource(reg, info.group, NULL, info.plural);
    rc_error why = {0};
    if (rc_registry_add(reg, &info, &why) != 0) {
        if (!old)
            return names_clash(req, &why, err);
        rc_error_clear(&why);
        rc_registry_remove(reg, info.group, info.plural); /* old stays valid for requests in flight */
        if (rc_registry_add(reg, &info, &why) != 0) {
            rc_registry_add(reg, old, NULL);
            return names_clash(req, &why, err);
        }
        req->replaced_crd = old;
    }
    fill_status(crd, old_crd, info.version);
    return 0;
}

void rci_crd_reregister_failed(rci_req *req)
{
    const rc_resource_info *old = req->replaced_crd;
    if (!old)
        return;
    rc_registry_remove(req->srv->registry, old->group, old->plural);
    rc_registry_add(req->srv->registry, old, NULL);
    req->replaced_crd = NULL;
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

rc_object *rci_crd_for(rc_apiserver *srv, const rc_resource_info *ri)
{
    if (!ri->group[0])
        return NULL;
    const rc_resource_info *cri = rc_registry_by_kind(srv->registry, CRD_API_VERSION, "CustomResourceDefinition");
    if (!cri || cri == ri)
        return NULL;
    char name[300];
    snprintf(name, sizeof name, "%s.%s", ri->plural, ri->group);
    pthread_mutex_lock(&srv->lock);
    rci_resource *res = rci_resource_for_locked(srv, cri);
    rci_entry *e = res ? rci_store_get_locked(res, name) : NULL;
    rc_object *crd = e ? rc_object_ref(e->obj) : NULL;
    pthread_mutex_unlock(&srv->lock);
    return crd;
}

bool rci_crd_is_custom(rc_apiserver *srv, const rc_resource_info *ri)
{
    rc_object *crd = rci_crd_for(srv, ri);
    rc_object_unref(crd);
    return crd != NULL;
}

int rci_crd_check_object(rci_req *req, cJSON *obj, rc_error *err)
{
    rc_object *crd = rci_crd_for(req->srv, req->ri);
    if (!crd)
        return 0;
    cJSON *tree = rc_object_to_cjson(crd);
    rc_object_unref(crd);
    const cJSON *schema = tree ? rci_crd_schema(tree, req->ri->version) : NULL;
    int rc = schema ? rci_crd_validate_and_prune(schema, obj, err) : 0;
    cJSON_Delete(tree);
    return rc;
}

/* A scale path (".spec.replicas") as an rc_node path ("spec.replicas"), or NULL. */
static bool scale_path(rc_node scale, const char *key, char *out, size_t cap)
{
    const char *p = rc_node_str(rc_node_get(scale, key));
    if (!p || p[0] != '.' || !p[1])
        return false;
    snprintf(out, cap, "%s", p + 1);
    return true;
}

bool rci_crd_scale_paths(rc_apiserver *srv, const rc_resource_info *ri, rci_scale_paths *out)
{
    rc_object *crd = rci_crd_for(srv, ri);
    if (!crd)
        return false;
    rc_node versions = rc_object_at(crd, "spec.versions"), scale = {0};
    for (size_t i = 0; i < rc_node_len(versions); i++) {
        rc_node v = rc_node_index(versions, i);
        const char *name = rc_node_str(rc_node_get(v, "name"));
        if (name && !strcmp(name, ri->version))
            scale = rc_node_at(v, "subresources.scale");
    }
    bool ok = rc_node_exists(scale) &&
              scale_path(scale, "specReplicasPath", out->spec_replicas, sizeof out->spec_replicas) &&
              scale_path(scale, "statusReplicasPath", out->status_replicas, sizeof out->status_replicas);
    if (ok && !scale_path(scale, "labelSelectorPath", out->label_selector, sizeof out->label_selector))
        out->label_selector[0] = '\0';
    rc_object_unref(crd);
    return ok;
}
