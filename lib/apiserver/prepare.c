/* prepare.c - what the request flow does for particular kinds at create time, as upstream's
 * PrepareForCreate strategies and controllers do: status reset for kinds with a status subresource (pods
 * start Pending, namespaces Active), the namespace "kubernetes" finalizer, Service clusterIP allocation
 * from the service CIDR 10.96.0.0/12, CRD registration, and the default ServiceAccount of a new namespace. */
#include "apiserver/internal.h"

#include <stdio.h>
#include <string.h>

#define SERVICE_CIDR_BASE 0x0a600000u /* 10.96.0.0 */
#define SERVICE_CIDR_SIZE (1u << 20)  /* /12 */

static bool is_kind(const rc_resource_info *ri, const char *group, const char *kind)
{
    return !strcmp(ri->group, group) && !strcmp(ri->kind, kind);
}

static cJSON *object_member(cJSON *obj, const char *key)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsObject(v)) {
        cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
        v = cJSON_AddObjectToObject(obj, key);
    }
    return v;
}

static void set_phase(cJSON *tree, const char *phase)
{
    cJSON *status = object_member(tree, "status");
    cJSON_DeleteItemFromObjectCaseSensitive(status, "phase");
    cJSON_AddStringToObject(status, "phase", phase);
}

int rci_prepare_create_kind(rci_req *req, cJSON *tree, rc_error *err)
{
    (void)err;
    const rc_resource_info *ri = req->ri;
    if (ri->has_status && !is_kind(ri, "", "Node"))
        cJSON_DeleteItemFromObjectCaseSensitive(tree, "status");
    if (is_kind(ri, "", "Pod") || is_kind(ri, "", "PersistentVolumeClaim") ||
        is_kind(ri, "", "PersistentVolume")) {
        set_phase(tree, "Pending");
    } else if (is_kind(ri, "", "Namespace")) {
        set_phase(tree, "Active");
        cJSON *spec = object_member(tree, "spec");
        if (!cJSON_GetObjectItemCaseSensitive(spec, "finalizers")) {
            cJSON *fins = cJSON_AddArrayToObject(spec, "finalizers");
            cJSON_AddItemToArray(fins, cJSON_CreateString("kubernetes"));
        }
    }
    return 0;
}

static void allocate_cluster_ip(rci_req *req, cJSON *tree)
{
    cJSON *spec = object_member(tree, "spec");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(spec, "type");
    if (cJSON_IsString(type) && !strcmp(type->valuestring, "ExternalName"))
        return;
    const cJSON *ip = cJSON_GetObjectItemCaseSensitive(spec, "clusterIP");
    char buf[20];
    if (cJSON_IsString(ip) && ip->valuestring[0]) {
        snprintf(buf, sizeof buf, "%s", ip->valuestring);
    } else {
        pthread_mutex_lock(&req->srv->lock);
        uint32_t addr = SERVICE_CIDR_BASE + 1 + (req->srv->next_cluster_ip++ % (SERVICE_CIDR_SIZE - 2));
        pthread_mutex_unlock(&req->srv->lock);
        snprintf(buf, sizeof buf, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255, addr & 255);
        cJSON_DeleteItemFromObjectCaseSensitive(spec, "clusterIP");
        cJSON_AddStringToObject(spec, "clusterIP", buf);
    }
    if (!cJSON_GetObjectItemCaseSensitive(spec, "clusterIPs")) {
        cJSON *ips = cJSON_AddArrayToObject(spec, "clusterIPs");
        cJSON_AddItemToArray(ips, cJSON_CreateString(buf));
    }
}

int rci_after_validate_kind(rci_req *req, cJSON *tree, rc_error *err)
{
    if (is_kind(req->ri, "", "Service"))
        allocate_cluster_ip(req, tree);
    if (is_kind(req->ri, "apiextensions.k8s.io", "CustomResourceDefinition") && !req->dry_run)
        return rci_crd_prepare(req, tree, err);
    return 0;
}

void rci_create_failed_kind(rci_req *req)
{
    if (req->registered_crd) {
        rc_registry_remove(req->srv->registry, req->registered_group, req->registered_plural);
        req->registered_crd = false;
    }
}

void rci_after_create_kind(rci_req *req, const rc_object *obj)
{
    if (!is_kind(req->ri, "", "Namespace"))
        return;
    const rc_resource_info *sa = rc_registry_by_kind(req->srv->registry, "v1", "ServiceAccount");
    if (!sa)
        return;
    cJSON *tree = cJSON_CreateObject();
    cJSON_AddStringToObject(tree, "apiVersion", "v1");
    cJSON_AddStringToObject(tree, "kind", "ServiceAccount");
    cJSON *meta = cJSON_AddObjectToObject(tree, "metadata");
    cJSON_AddStringToObject(meta, "name", "default");
    cJSON_AddStringToObject(meta, "namespace", rc_object_name(obj));
    rci_req sub = {.srv = req->srv, .user = NULL, .verb = "create", .ri = sa, .ns = rc_object_name(obj),
                   .name = "default", .subresource = ""};
    pthread_mutex_lock(&req->srv->lock);
    sub.res = rci_resource_for_locked(req->srv, sa);
    pthread_mutex_unlock(&req->srv->lock);
    if (sub.res)
        rci_create(&sub, tree, NULL, NULL); /* already there (re-created namespace): fine */
    cJSON_Delete(tree);
}
