/* http_discovery.c - what rc_http_server tells clients about itself, generated from the API server's
 * registry (so CRDs appear as soon as they are established): /version (reporting 1.32, which makes the
 * kubectl dispatcher pick its 1.32 client), aggregated discovery (apidiscovery.k8s.io v2 and v2beta1,
 * chosen by the Accept header) and the legacy APIVersions, APIGroupList, APIGroup and APIResourceList. */
#include "apiserver/http_internal.h"

#include <stdio.h>
#include <string.h>

#define MAX_GV 128

typedef struct gv {
    const char *group;
    const char *version;
} gv;

/* The distinct group/versions served, core first, in registration order. */
static size_t collect_gvs(rc_registry *reg, gv *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0, count = rc_registry_count(reg); i < count; i++) {
        const rc_resource_info *ri = rc_registry_at(reg, i);
        bool seen = false;
        for (size_t j = 0; j < n && !seen; j++)
            seen = !strcmp(out[j].group, ri->group) && !strcmp(out[j].version, ri->version);
        if (!seen && n < cap)
            out[n++] = (gv){ri->group, ri->version};
    }
    return n;
}

static bool is_review(const rc_resource_info *ri) { return !strcmp(ri->group, "authorization.k8s.io"); }

static cJSON *verbs(const rc_resource_info *ri)
{
    static const char *const all[] = {"create", "delete", "deletecollection", "get", "list", "patch", "update",
                                      "watch"};
    static const char *const create_only[] = {"create"};
    return is_review(ri) ? cJSON_CreateStringArray(create_only, 1) : cJSON_CreateStringArray(all, 8);
}

static cJSON *sub_verbs(void)
{
    static const char *const v[] = {"get", "patch", "update"};
    return cJSON_CreateStringArray(v, 3);
}

static void add_names(cJSON *o, const rc_resource_info *ri)
{
    cJSON *sn = cJSON_CreateArray();
    for (size_t i = 0; i < RC_MAX_SHORT_NAMES && ri->short_names[i]; i++)
        cJSON_AddItemToArray(sn, cJSON_CreateString(ri->short_names[i]));
    if (cJSON_GetArraySize(sn))
        cJSON_AddItemToObject(o, "shortNames", sn);
    else
        cJSON_Delete(sn);
    if (ri->categories && ri->categories[0]) {
        cJSON *cats = cJSON_AddArrayToObject(o, "categories");
        char buf[256];
        snprintf(buf, sizeof buf, "%s", ri->categories);
        for (char *save = NULL, *c = strtok_r(buf, ",", &save); c; c = strtok_r(NULL, ",", &save))
            cJSON_AddItemToArray(cats, cJSON_CreateString(c));
    }
}

static cJSON *response_kind(const char *group, const char *version, const char *kind)
{
    cJSON *k = cJSON_CreateObject();
    cJSON_AddStringToObject(k, "group", group);
    cJSON_AddStringToObject(k, "version", version);
    cJSON_AddStringToObject(k, "kind", kind);
    return k;
}

/* ---- aggregated ---- */

static cJSON *aggregated_resource(const rc_resource_info *ri)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "resource", ri->plural);
    cJSON_AddItemToObject(r, "responseKind", response_kind(ri->group, ri->version, ri->kind));
    cJSON_AddStringToObject(r, "scope", ri->namespaced ? "Namespaced" : "Cluster");
    cJSON_AddStringToObject(r, "singularResource", ri->singular);
    cJSON_AddItemToObject(r, "verbs", verbs(ri));
    add_names(r, ri);
    if (ri->has_status || ri->has_scale) {
        cJSON *subs = cJSON_AddArrayToObject(r, "subresources");
        if (ri->has_status) {
            cJSON *s = cJSON_CreateObject();
            cJSON_AddStringToObject(s, "subresource", "status");
            cJSON_AddItemToObject(s, "responseKind", response_kind(ri->group, ri->version, ri->kind));
            cJSON_AddItemToObject(s, "verbs", sub_verbs());
            cJSON_AddItemToArray(subs, s);
        }
        if (ri->has_scale) {
            cJSON *s = cJSON_CreateObject();
            cJSON_AddStringToObject(s, "subresource", "scale");
            cJSON_AddItemToObject(s, "responseKind", response_kind("autoscaling", "v1", "Scale"));
            cJSON_AddItemToObject(s, "verbs", sub_verbs());
            cJSON_AddItemToArray(subs, s);
        }
    }
    return r;
}

static cJSON *aggregated(rc_registry *reg, bool core, const char *dversion)
{
    gv gvs[MAX_GV];
    size_t n = collect_gvs(reg, gvs, MAX_GV);
    cJSON *list = cJSON_CreateObject();
    char av[64];
    snprintf(av, sizeof av, "apidiscovery.k8s.io/%s", dversion);
    cJSON_AddStringToObject(list, "kind", "APIGroupDiscoveryList");
    cJSON_AddStringToObject(list, "apiVersion", av);
    cJSON_AddObjectToObject(list, "metadata");
    cJSON *items = cJSON_AddArrayToObject(list, "items");
    for (size_t i = 0; i < n; i++) {
        if (core != !gvs[i].group[0])
            continue;
        cJSON *group = NULL;
        cJSON *it;
        cJSON_ArrayForEach(it, items)
        {
            const char *name = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(it, "metadata"), "name")->valuestring;
            if (!strcmp(name, gvs[i].group))
                group = it;
        }
        if (!group) {
            group = cJSON_CreateObject();
            cJSON_AddStringToObject(cJSON_AddObjectToObject(group, "metadata"), "name", gvs[i].group);
            cJSON_AddArrayToObject(group, "versions");
            cJSON_AddItemToArray(items, group);
        }
        cJSON *ver = cJSON_CreateObject();
        cJSON_AddStringToObject(ver, "version", gvs[i].version);
        cJSON *res = cJSON_AddArrayToObject(ver, "resources");
        for (size_t j = 0, count = rc_registry_count(reg); j < count; j++) {
            const rc_resource_info *ri = rc_registry_at(reg, j);
            if (!strcmp(ri->group, gvs[i].group) && !strcmp(ri->version, gvs[i].version))
                cJSON_AddItemToArray(res, aggregated_resource(ri));
        }
        cJSON_AddStringToObject(ver, "freshness", "Current");
        cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(group, "versions"), ver);
    }
    return list;
}

/* ---- legacy ---- */

static cJSON *resource_list(rc_registry *reg, const char *group, const char *version)
{
    cJSON *list = cJSON_CreateObject();
    char gvbuf[300];
    if (group[0])
        snprintf(gvbuf, sizeof gvbuf, "%s/%s", group, version);
    else
        snprintf(gvbuf, sizeof gvbuf, "%s", version);
    cJSON_AddStringToObject(list, "kind", "APIResourceList");
    cJSON_AddStringToObject(list, "apiVersion", "v1");
    cJSON_AddStringToObject(list, "groupVersion", gvbuf);
    cJSON *res = cJSON_AddArrayToObject(list, "resources");
    size_t found = 0;
    for (size_t j = 0, count = rc_registry_count(reg); j < count; j++) {
        const rc_resource_info *ri = rc_registry_at(reg, j);
        if (strcmp(ri->group, group) || strcmp(ri->version, version))
            continue;
        found++;
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "name", ri->plural);
        cJSON_AddStringToObject(r, "singularName", ri->singular);
        cJSON_AddBoolToObject(r, "namespaced", ri->namespaced);
        cJSON_AddStringToObject(r, "kind", ri->kind);
        cJSON_AddItemToObject(r, "verbs", verbs(ri));
        add_names(r, ri);
        cJSON_AddItemToArray(res, r);
        for (int s = 0; s < 2; s++) {
            if (!(s ? ri->has_scale : ri->has_status))
                continue;
            char name[300];
            snprintf(name, sizeof name, "%s/%s", ri->plural, s ? "scale" : "status");
            cJSON *sr = cJSON_CreateObject();
            cJSON_AddStringToObject(sr, "name", name);
            cJSON_AddStringToObject(sr, "singularName", "");
            cJSON_AddBoolToObject(sr, "namespaced", ri->namespaced);
            if (s) {
                cJSON_AddStringToObject(sr, "group", "autoscaling");
                cJSON_AddStringToObject(sr, "version", "v1");
            }
            cJSON_AddStringToObject(sr, "kind", s ? "Scale" : ri->kind);
            cJSON_AddItemToObject(sr, "verbs", sub_verbs());
            cJSON_AddItemToArray(res, sr);
        }
    }
    if (!found) {
        cJSON_Delete(list);
        return NULL;
    }
    return list;
}

static cJSON *group_json(rc_registry *reg, const char *group, bool with_kind)
{
    gv gvs[MAX_GV];
    size_t n = collect_gvs(reg, gvs, MAX_GV);
    cJSON *g = cJSON_CreateObject();
    if (with_kind) {
        cJSON_AddStringToObject(g, "kind", "APIGroup");
        cJSON_AddStringToObject(g, "apiVersion", "v1");
    }
    cJSON_AddStringToObject(g, "name", group);
    cJSON *versions = cJSON_AddArrayToObject(g, "versions");
    for (size_t i = 0; i < n; i++) {
        if (strcmp(gvs[i].group, group))
            continue;
        char gvbuf[300];
        snprintf(gvbuf, sizeof gvbuf, "%s/%s", group, gvs[i].version);
        cJSON *v = cJSON_CreateObject();
        cJSON_AddStringToObject(v, "groupVersion", gvbuf);
        cJSON_AddStringToObject(v, "version", gvs[i].version);
        if (!cJSON_GetArraySize(versions))
            cJSON_AddItemToObject(g, "preferredVersion", cJSON_Duplicate(v, 1));
        cJSON_AddItemToArray(versions, v);
    }
    if (!cJSON_GetArraySize(versions)) {
        cJSON_Delete(g);
        return NULL;
    }
    return g;
}

static cJSON *group_list(rc_registry *reg)
{
    gv gvs[MAX_GV];
    size_t n = collect_gvs(reg, gvs, MAX_GV);
    cJSON *list = cJSON_CreateObject();
    cJSON_AddStringToObject(list, "kind", "APIGroupList");
    cJSON_AddStringToObject(list, "apiVersion", "v1");
    cJSON *groups = cJSON_AddArrayToObject(list, "groups");
    for (size_t i = 0; i < n; i++) {
        bool first = true;
        for (size_t j = 0; j < i && first; j++)
            first = strcmp(gvs[j].group, gvs[i].group) != 0;
        if (first && gvs[i].group[0])
            cJSON_AddItemToArray(groups, group_json(reg, gvs[i].group, false));
    }
    return list;
}

static cJSON *api_versions(void)
{
    cJSON *v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "kind", "APIVersions");
    const char *const versions[] = {"v1"};
    cJSON_AddItemToObject(v, "versions", cJSON_CreateStringArray(versions, 1));
    cJSON *addr = cJSON_CreateObject();
    cJSON_AddStringToObject(addr, "clientCIDR", "0.0.0.0/0");
    cJSON_AddStringToObject(addr, "serverAddress", "127.0.0.1");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(v, "serverAddressByClientCIDRs"), addr);
    return v;
}

static cJSON *version_info(void)
{
    cJSON *v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "major", "1");
    cJSON_AddStringToObject(v, "minor", "32");
    cJSON_AddStringToObject(v, "gitVersion", "v1.32.0-libreconcile." RC_VERSION_STRING);
    cJSON_AddStringToObject(v, "gitCommit", "0000000000000000000000000000000000000000");
    cJSON_AddStringToObject(v, "gitTreeState", "clean");
    cJSON_AddStringToObject(v, "buildDate", "2025-01-01T00:00:00Z");
    cJSON_AddStringToObject(v, "goVersion", "none (C11)");
    cJSON_AddStringToObject(v, "compiler", "cc");
    cJSON_AddStringToObject(v, "platform", "linux/amd64");
    return v;
}

/* The aggregated discovery version the Accept header asks for ("v2", "v2beta1"), or NULL. */
static const char *aggregated_version(const char *accept)
{
    if (!accept || !strstr(accept, "as=APIGroupDiscoveryList"))
        return NULL;
    const char *p = accept;
    while ((p = strstr(p, "v=v2")) != NULL) {
        p += 4;
        if (*p == ';' || *p == ',' || *p == '\0')
            return "v2";
    }
    return strstr(accept, "v=v2beta1") ? "v2beta1" : NULL;
}

static void reply_tree(rci_http_reply *out, cJSON *tree)
{
    if (tree)
        rci_http_reply_cjson(out, 200, tree);
    else
        rci_http_reply_code(out, RC_ENOTFOUND, "the server could not find the requested resource");
    cJSON_Delete(tree);
}

bool rci_http_discovery(rci_http_req *req, rci_http_reply *out)
{
    const char *p = req->path;
    if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD"))
        return false;
    rc_registry *reg = rc_apiserver_registry(rci_http_apiserver(req->hs));
    if (!strcmp(p, "/version") || !strcmp(p, "/version/")) {
        reply_tree(out, version_info());
        return true;
    }
    if (!strcmp(p, "/api") || !strcmp(p, "/apis") || !strcmp(p, "/api/") || !strcmp(p, "/apis/")) {
        bool core = p[4] != 's';
        const char *agg = aggregated_version(rci_http_header(req, "Accept"));
        if (agg) {
            reply_tree(out, aggregated(reg, core, agg));
            out->content_type = !strcmp(agg, "v2")
                                    ? "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
                                    : "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";
        } else {
            reply_tree(out, core ? api_versions() : group_list(reg));
        }
        return true;
    }
    char a[128], b[128];
    char tail;
    if (sscanf(p, "/api/%127[^/]%c", a, &tail) == 1) {
        reply_tree(out, resource_list(reg, "", a));
        return true;
    }
    int fields = sscanf(p, "/apis/%127[^/]/%127[^/]%c", a, b, &tail);
    if (fields == 2) {
        reply_tree(out, resource_list(reg, a, b));
        return true;
    }
    if (fields == 1 && sscanf(p, "/apis/%127[^/]%c", a, &tail) == 1) {
        reply_tree(out, group_json(reg, a, true));
        return true;
    }
    return false;
}
