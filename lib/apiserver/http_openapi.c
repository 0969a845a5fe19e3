/* http_openapi.c - OpenAPI v3 documents for rc_http_server, as far as kubectl needs them: the root lists
 * one document per group/version (with a content hash), and each document has the paths of its resources
 * whose operations carry x-kubernetes-group-version-kind and, on PATCH/POST/PUT, the fieldValidation
 * parameter (which is what lets `kubectl create/apply` validate on the server instead of demanding
 * --validate=false), plus schemas: a CRD's own openAPIV3Schema, or an open object with the common fields
 * for built-in kinds (enough for `kubectl explain` to list them). /openapi/v2 is 404, as kubectl accepts. */
#include "apiserver/http_internal.h"

#include <stdio.h>
#include <string.h>

static void schema_id(const rc_resource_info *ri, char *buf, size_t cap)
{
    static const char *const builtin[] = {"", "apps", "batch", "coordination.k8s.io", "rbac.authorization.k8s.io",
                                          "apiextensions.k8s.io", "storage.k8s.io", "authorization.k8s.io"};
    bool known = false;
    for (size_t i = 0; i < sizeof builtin / sizeof *builtin; i++)
        known = known || !strcmp(ri->group, builtin[i]);
    if (known) {
        char first[64];
        snprintf(first, sizeof first, "%s", ri->group[0] ? ri->group : "core");
        char *dot = strchr(first, '.');
        if (dot)
            *dot = '\0';
        snprintf(buf, cap, "io.k8s.api.%s.%s.%s", first, ri->version, ri->kind);
        return;
    }
    /* a custom group a.b.c becomes c.b.a, like upstream's reversed domain names */
    char rev[256] = "";
    const char *end = ri->group + strlen(ri->group);
    for (const char *p = end; p >= ri->group; p--) {
        if (p == ri->group || p[-1] == '.') {
            size_t used = strlen(rev);
            snprintf(rev + used, sizeof rev - used, "%s%.*s", used ? "." : "", (int)(end - p), p);
            end = p - 1;
        }
    }
    snprintf(buf, cap, "%s.%s.%s", rev, ri->version, ri->kind);
}

static cJSON *gvk(const char *group, const char *version, const char *kind)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "group", group);
    cJSON_AddStringToObject(o, "version", version);
    cJSON_AddStringToObject(o, "kind", kind);
    return o;
}

static void add_param(cJSON *params, const char *name, const char *type)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "name", name);
    cJSON_AddStringToObject(p, "in", "query");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "schema"), "type", type);
    cJSON_AddItemToArray(params, p);
}

static cJSON *operation(const char *action, const char *op_id, const char *group, const char *version,
                        const char *kind, const char *ref)
{
    cJSON *op = cJSON_CreateObject();
    cJSON_AddStringToObject(op, "operationId", op_id);
    cJSON *params = cJSON_AddArrayToObject(op, "parameters");
    bool write = !strcmp(action, "post") || !strcmp(action, "put") || !strcmp(action, "patch");
    if (write) {
        add_param(params, "fieldValidation", "string");
        add_param(params, "fieldManager", "string");
        add_param(params, "dryRun", "string");
    }
    if (!strcmp(action, "patch"))
        add_param(params, "force", "boolean");
    cJSON_AddStringToObject(op, "x-kubernetes-action", action);
    cJSON_AddItemToObject(op, "x-kubernetes-group-version-kind", gvk(group, version, kind));
    cJSON *schema = cJSON_CreateObject();
    cJSON_AddStringToObject(schema, "$ref", ref);
    if (write) {
        cJSON *content = cJSON_AddObjectToObject(cJSON_AddObjectToObject(op, "requestBody"), "content");
        cJSON_AddItemToObject(cJSON_AddObjectToObject(content, "*/*"), "schema", cJSON_Duplicate(schema, 1));
    }
    cJSON *ok = cJSON_AddObjectToObject(cJSON_AddObjectToObject(op, "responses"), "200");
    cJSON_AddStringToObject(ok, "description", "OK");
    cJSON_AddItemToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(ok, "content"), "application/json"),
                          "schema", schema);
    return op;
}

static void add_path(cJSON *paths, const char *path, const rc_resource_info *ri, const char *ref,
                     const char *const *actions, size_t n, bool scale)
{
    cJSON *item = cJSON_AddObjectToObject(paths, path);
    for (size_t i = 0; i < n; i++) {
        char id[200];
        snprintf(id, sizeof id, "%s%s%s", actions[i], ri->kind, scale ? "Scale" : "");
        cJSON_AddItemToObject(item, actions[i],
                              scale ? operation(actions[i], id, "autoscaling", "v1", "Scale",
                                                "#/components/schemas/io.k8s.api.autoscaling.v1.Scale")
                                    : operation(actions[i], id, ri->group, ri->version, ri->kind, ref));
    }
}

static cJSON *string_prop(const char *description)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "string");
    cJSON_AddStringToObject(p, "description", description);
    return p;
}

static cJSON *open_object(const char *description)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "object");
    cJSON_AddStringToObject(p, "description", description);
    cJSON_AddBoolToObject(p, "x-kubernetes-preserve-unknown-fields", true);
    return p;
}

/* A CRD's schema for its version, or NULL. */
static cJSON *crd_schema(rc_apiserver *srv, const rc_resource_info *ri)
{
    rc_client *sys = rc_apiserver_client(srv, NULL);
    char name[300];
    snprintf(name, sizeof name, "%s.%s", ri->plural, ri->group);
    rc_object *crd = NULL;
    cJSON *schema = NULL;
    if (sys && rc_client_get(sys, "customresourcedefinitions.apiextensions.k8s.io", "", name, &crd, NULL) == 0) {
        rc_node versions = rc_object_at(crd, "spec.versions");
        for (size_t i = 0; i < rc_node_len(versions) && !schema; i++) {
            rc_node v = rc_node_index(versions, i);
            const char *vn = rc_node_str(rc_node_get(v, "name"));
            if (vn && !strcmp(vn, ri->version))
                schema = rc_node_to_cjson(rc_node_at(v, "schema.openAPIV3Schema"));
        }
    }
    rc_object_unref(crd);
    rc_client_unref(sys);
    return schema;
}

static cJSON *kind_schema(rc_apiserver *srv, const rc_resource_info *ri)
{
    cJSON *s = ri->group[0] && strchr(ri->group, '.') ? crd_schema(srv, ri) : NULL;
    if (!s) {
        s = cJSON_CreateObject();
        char desc[200];
        snprintf(desc, sizeof desc, "%s is a %s resource served by libreconcile's embedded API server.", ri->kind,
                 ri->namespaced ? "namespaced" : "cluster-scoped");
        cJSON_AddStringToObject(s, "description", desc);
        cJSON_AddStringToObject(s, "type", "object");
        cJSON *props = cJSON_AddObjectToObject(s, "properties");
        cJSON_AddItemToObject(props, "apiVersion", string_prop("APIVersion defines the versioned schema of this "
                                                                "representation of an object."));
        cJSON_AddItemToObject(props, "kind", string_prop("Kind is a string value representing the REST resource "
                                                          "this object represents."));
        cJSON_AddItemToObject(props, "metadata", open_object("Standard object's metadata."));
        cJSON_AddItemToObject(props, "spec", open_object("Specification of the desired behavior."));
        cJSON_AddItemToObject(props, "status", open_object("Most recently observed status."));
        cJSON_AddBoolToObject(s, "x-kubernetes-preserve-unknown-fields", true);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(s, "x-kubernetes-group-version-kind");
    cJSON *list = cJSON_AddArrayToObject(s, "x-kubernetes-group-version-kind");
    cJSON_AddItemToArray(list, gvk(ri->group, ri->version, ri->kind));
    return s;
}

/* The document of one group/version, or NULL when nothing is served there. */
static cJSON *gv_document(rc_apiserver *srv, const char *group, const char *version)
{
    static const char *const coll_actions[] = {"get", "post", "delete"};
    static const char *const item_actions[] = {"get", "put", "patch", "delete"};
    static const char *const sub_actions[] = {"get", "put", "patch"};
    rc_registry *reg = rc_apiserver_registry(srv);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "openapi", "3.0.0");
    cJSON *info = cJSON_AddObjectToObject(doc, "info");
    cJSON_AddStringToObject(info, "title", "Kubernetes");
    cJSON_AddStringToObject(info, "version", "v1.32.0");
    cJSON *paths = cJSON_AddObjectToObject(doc, "paths");
    cJSON *schemas = cJSON_AddObjectToObject(cJSON_AddObjectToObject(doc, "components"), "schemas");
    size_t found = 0;
    for (size_t i = 0, n = rc_registry_count(reg); i < n; i++) {
        const rc_resource_info *ri = rc_registry_at(reg, i);
        if (strcmp(ri->group, group) || strcmp(ri->version, version))
            continue;
        found++;
        char id[300], ref[340], base[400], path[460];
        schema_id(ri, id, sizeof id);
        snprintf(ref, sizeof ref, "#/components/schemas/%s", id);
        if (!cJSON_GetObjectItemCaseSensitive(schemas, id))
            cJSON_AddItemToObject(schemas, id, kind_schema(srv, ri));
        const char *scope = ri->namespaced ? "/namespaces/{namespace}" : "";
        if (group[0])
            snprintf(base, sizeof base, "/apis/%s/%s%s", group, version, scope);
        else
            snprintf(base, sizeof base, "/api/%s%s", version, scope);
        snprintf(path, sizeof path, "%s/%s", base, ri->plural);
        add_path(paths, path, ri, ref, coll_actions, 3, false);
        snprintf(path, sizeof path, "%s/%s/{name}", base, ri->plural);
        add_path(paths, path, ri, ref, item_actions, 4, false);
        if (ri->has_status) {
            snprintf(path, sizeof path, "%s/%s/{name}/status", base, ri->plural);
            add_path(paths, path, ri, ref, sub_actions, 3, false);
        }
        if (ri->has_scale) {
            snprintf(path, sizeof path, "%s/%s/{name}/scale", base, ri->plural);
            add_path(paths, path, ri, ref, sub_actions, 3, true);
            if (!cJSON_GetObjectItemCaseSensitive(schemas, "io.k8s.api.autoscaling.v1.Scale")) {
                rc_resource_info scale = {.group = "autoscaling", .version = "v1", .kind = "Scale"};
                cJSON_AddItemToObject(schemas, "io.k8s.api.autoscaling.v1.Scale", kind_schema(srv, &scale));
            }
        }
    }
    if (!found) {
        cJSON_Delete(doc);
        return NULL;
    }
    return doc;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static cJSON *root_document(rc_apiserver *srv)
{
    rc_registry *reg = rc_apiserver_registry(srv);
    cJSON *root = cJSON_CreateObject();
    cJSON *paths = cJSON_AddObjectToObject(root, "paths");
    for (size_t i = 0, n = rc_registry_count(reg); i < n; i++) {
        const rc_resource_info *ri = rc_registry_at(reg, i);
        char key[300];
        if (ri->group[0])
            snprintf(key, sizeof key, "apis/%s/%s", ri->group, ri->version);
        else
            snprintf(key, sizeof key, "api/%s", ri->version);
        if (cJSON_GetObjectItemCaseSensitive(paths, key))
            continue;
        cJSON *doc = gv_document(srv, ri->group, ri->version);
        char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;
        char url[400];
        snprintf(url, sizeof url, "/openapi/v3/%s?hash=%016llX", key, (unsigned long long)(text ? fnv1a(text) : 0));
        cJSON_AddStringToObject(cJSON_AddObjectToObject(paths, key), "serverRelativeURL", url);
        cJSON_free(text);
        cJSON_Delete(doc);
    }
    return root;
}

bool rci_http_openapi(rci_http_req *req, rci_http_reply *out)
{
    const char *p = req->path;
    if (strncmp(p, "/openapi/", 9) || strcmp(req->method, "GET"))
        return false;
    rc_apiserver *srv = rci_http_apiserver(req->hs);
    cJSON *doc = NULL;
    char a[128], b[128], tail;
    if (!strcmp(p, "/openapi/v3") || !strcmp(p, "/openapi/v3/"))
        doc = root_document(srv);
    else if (sscanf(p, "/openapi/v3/api/%127[^/]%c", a, &tail) == 1)
        doc = gv_document(srv, "", a);
    else if (sscanf(p, "/openapi/v3/apis/%127[^/]/%127[^/]%c", a, b, &tail) == 2)
        doc = gv_document(srv, a, b);
    if (doc)
        rci_http_reply_cjson(out, 200, doc);
    else
        rci_http_reply_code(out, RC_ENOTFOUND, "the server could not find the requested resource");
    cJSON_Delete(doc);
    return true;
}
