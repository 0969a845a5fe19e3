/* rbac.c - the RBAC authorizer (include/reconcile/rbac.h) as kube-apiserver's RBACAuthorizer evaluates
 * it: ClusterRoleBindings first, then RoleBindings in the request's namespace; a binding applies when one
 * of its subjects is the user; its roleRef names a ClusterRole (or a Role in the binding's namespace) whose
 * rules are matched against the request. Also the bootstrap policy (default ClusterRoles and bindings). */
#include <reconcile/rbac.h>

#include <stdlib.h>
#include <string.h>

#include "apiserver/rbac.h"
#include "util/strbuf.h"

static const char *or_empty(const char *s) { return s ? s : ""; }

/* ---- rule and subject matching ---- */

static bool list_has(const cJSON *list, const char *value)
{
    for (const cJSON *e = cJSON_IsArray(list) ? list->child : NULL; e; e = e->next)
        if (cJSON_IsString(e) && (!strcmp(e->valuestring, "*") || !strcmp(e->valuestring, value)))
            return true;
    return false;
}

static bool resource_matches(const cJSON *resources, const char *resource, const char *sub)
{
    size_t rlen = strlen(resource);
    for (const cJSON *e = cJSON_IsArray(resources) ? resources->child : NULL; e; e = e->next) {
        if (!cJSON_IsString(e))
            continue;
        const char *r = e->valuestring;
        if (!strcmp(r, "*"))
            return true;
        if (!*sub) {
            if (!strcmp(r, resource))
                return true;
            continue;
        }
        /* "pods/status" or "* /status" (any resource's subresource) */
        if (!strncmp(r, resource, rlen) && r[rlen] == '/' && !strcmp(r + rlen + 1, sub))
            return true;
        if (r[0] == '*' && r[1] == '/' && !strcmp(r + 2, sub))
            return true;
    }
    return false;
}

static bool url_matches(const cJSON *urls, const char *path)
{
    for (const cJSON *e = cJSON_IsArray(urls) ? urls->child : NULL; e; e = e->next) {
        if (!cJSON_IsString(e))
            continue;
        const char *u = e->valuestring;
        size_t n = strlen(u);
        if (!strcmp(u, "*") || !strcmp(u, path) || (n > 0 && u[n - 1] == '*' && !strncmp(u, path, n - 1)))
            return true;
    }
    return false;
}

bool rc_rbac_rule_allows(const cJSON *rule, const rc_authz_attrs *a)
{
    if (!cJSON_IsObject(rule) || !a || !list_has(cJSON_GetObjectItemCaseSensitive(rule, "verbs"), or_empty(a->verb)))
        return false;
    if (a->non_resource_path)
        return url_matches(cJSON_GetObjectItemCaseSensitive(rule, "nonResourceURLs"), a->non_resource_path);
    if (!list_has(cJSON_GetObjectItemCaseSensitive(rule, "apiGroups"), or_empty(a->api_group)))
        return false;
    if (!resource_matches(cJSON_GetObjectItemCaseSensitive(rule, "resources"), or_empty(a->resource),
                          or_empty(a->subresource)))
        return false;
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(rule, "resourceNames");
    if (!cJSON_IsArray(names) || !names->child)
        return true;
    const char *name = or_empty(a->name);
    for (const cJSON *e = names->child; e && *name; e = e->next)
        if (cJSON_IsString(e) && !strcmp(e->valuestring, name))
            return true;
    return false;
}

static bool user_in_group(const rc_user *user, const char *group)
{
    for (size_t i = 0; i < RC_MAX_USER_GROUPS && user->groups[i]; i++)
        if (!strcmp(user->groups[i], group))
            return true;
    return false;
}

bool rc_rbac_subject_matches(const cJSON *subject, const char *binding_namespace, const rc_user *user)
{
    if (!user || !user->name || !cJSON_IsObject(subject))
        return false;
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(subject, "kind");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(subject, "name");
    if (!cJSON_IsString(k) || !cJSON_IsString(n))
        return false;
    if (!strcmp(k->valuestring, "User"))
        return !strcmp(n->valuestring, user->name);
    if (!strcmp(k->valuestring, "Group"))
        return user_in_group(user, n->valuestring);
    if (strcmp(k->valuestring, "ServiceAccount") != 0)
        return false;
    const cJSON *sns = cJSON_GetObjectItemCaseSensitive(subject, "namespace");
    const char *ns = cJSON_IsString(sns) && *sns->valuestring ? sns->valuestring : or_empty(binding_namespace);
    if (!*ns)
        return false;
    static const char prefix[] = "system:serviceaccount:";
    size_t p = sizeof prefix - 1, nl = strlen(ns);
    const char *u = user->name;
    return !strncmp(u, prefix, p) && !strncmp(u + p, ns, nl) && u[p + nl] == ':' && !strcmp(u + p + nl + 1, n->valuestring);
}

/* ---- evaluation ---- */

/* A role a matching binding points to: kind "Role" (in ns) or "ClusterRole". */
typedef struct role_ref {
    char *name;
    bool cluster;
} role_ref;

typedef struct eval {
    const rc_authz_attrs *attrs;
    const char *binding_ns;
    role_ref *refs;
    size_t nrefs, cap;
    bool allowed;
    bool by_name; /* the rule that allowed lists resourceNames */
    bool oom;
} eval;

static void collect_binding(void *arg, const cJSON *binding)
{
    eval *e = arg;
    const cJSON *subjects = cJSON_GetObjectItemCaseSensitive(binding, "subjects");
    bool applies = false;
    for (const cJSON *s = cJSON_IsArray(subjects) ? subjects->child : NULL; s && !applies; s = s->next)
        applies = rc_rbac_subject_matches(s, e->binding_ns, e->attrs->user);
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(binding, "roleRef");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(ref, "kind");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(ref, "name");
    if (!applies || !cJSON_IsString(kind) || !cJSON_IsString(name))
        return;
    if (e->nrefs == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 4;
        role_ref *grown = realloc(e->refs, cap * sizeof *grown);
        if (!grown) {
            e->oom = true;
            return;
        }
        e->refs = grown;
        e->cap = cap;
    }
    char *copy = strdup(name->valuestring);
    if (!copy) {
        e->oom = true;
        return;
    }
    e->refs[e->nrefs++] = (role_ref){copy, !strcmp(kind->valuestring, "ClusterRole")};
}

static void check_role(void *arg, const cJSON *role)
{
    eval *e = arg;
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(role, "rules");
    for (const cJSON *r = cJSON_IsArray(rules) ? rules->child : NULL; r && !e->allowed; r = r->next) {
        e->allowed = rc_rbac_rule_allows(r, e->attrs);
        if (e->allowed) {
            const cJSON *names = cJSON_GetObjectItemCaseSensitive(r, "resourceNames");
            e->by_name = cJSON_IsArray(names) && names->child;
        }
    }
}

/* Calls check_role for the named role of `resource`, through get when the source has it. */
static int check_named(const rc_rbac_source *src, const char *resource, const char *ns, const char *name, eval *e);

typedef struct by_name {
    const char *name;
    eval *e;
} by_name;

static void check_if_named(void *arg, const cJSON *role)
{
    by_name *b = arg;
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(role, "metadata");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(meta, "name");
    if (cJSON_IsString(n) && !strcmp(n->valuestring, b->name))
        check_role(b->e, role);
}

static int check_named(const rc_rbac_source *src, const char *resource, const char *ns, const char *name, eval *e)
{
    if (src->get)
        return src->get(src->ctx, resource, ns, name, check_role, e);
    by_name b = {name, e};
    return src->list(src->ctx, resource, ns, check_if_named, &b);
}

/* Evaluates the bindings of one scope (cluster when ns is ""); 0 or the source's error. */
static int evaluate_scope(const rc_rbac_source *src, const char *ns, eval *e)
{
    e->binding_ns = ns;
    int rc = src->list(src->ctx, *ns ? "rolebindings" : "clusterrolebindings", ns, collect_binding, e);
    for (size_t i = 0; rc == 0 && i < e->nrefs && !e->allowed; i++)
        rc = e->refs[i].cluster ? check_named(src, "clusterroles", "", e->refs[i].name, e)
                                : check_named(src, "roles", ns, e->refs[i].name, e);
    for (size_t i = 0; i < e->nrefs; i++)
        free(e->refs[i].name);
    e->nrefs = 0;
    return rc;
}

static int forbidden(const rc_authz_attrs *a, rc_error *err)
{
    const char *user = a->user && a->user->name ? a->user->name : "";
    const char *verb = or_empty(a->verb);
    if (a->non_resource_path)
        return rc_error_set(err, RC_EFORBIDDEN, "forbidden: User \"%s\" cannot %s path \"%s\"", user, verb,
                            a->non_resource_path);
    rci_strbuf b;
    rci_strbuf_init(&b);
    const char *group = or_empty(a->api_group), *resource = or_empty(a->resource), *sub = or_empty(a->subresource);
    rci_strbuf_puts(&b, resource);
    if (*group)
        rci_strbuf_printf(&b, ".%s", group);
    if (a->name && *a->name)
        rci_strbuf_printf(&b, " \"%s\"", a->name);
    rci_strbuf_printf(&b, " is forbidden: User \"%s\" cannot %s resource \"%s%s%s\" in API group \"%s\"", user, verb,
                      resource, *sub ? "/" : "", sub, group);
    if (a->namespace_ && *a->namespace_)
        rci_strbuf_printf(&b, " in the namespace \"%s\"", a->namespace_);
    else
        rci_strbuf_puts(&b, " at the cluster scope");
    char *msg = rci_strbuf_take(&b);
    rc_error_set(err, RC_EFORBIDDEN, "%s", msg ? msg : "forbidden");
    free(msg);
    return RC_EFORBIDDEN;
}

int rc_rbac_authorize(const rc_rbac_source *src, const rc_authz_attrs *attrs, rc_error *err)
{
    return rci_rbac_authorize(src, attrs, NULL, err);
}

int rci_rbac_authorize(const rc_rbac_source *src, const rc_authz_attrs *attrs, bool *by_name, rc_error *err)
{
    if (by_name)
        *by_name = false;
    if (!src || !src->list || !attrs || !attrs->verb || !*attrs->verb)
        return rc_error_set(err, RC_EINVAL, "rc_rbac_authorize: a source, attributes and a verb are required");
    if (attrs->user && user_in_group(attrs->user, "system:masters"))
        return 0;
    eval e = {.attrs = attrs};
    int rc = evaluate_scope(src, "", &e);
    if (rc == 0 && !e.allowed && !attrs->non_resource_path && attrs->namespace_ && *attrs->namespace_)
        rc = evaluate_scope(src, attrs->namespace_, &e);
    free(e.refs);
    if (rc != 0)
        return rc_error_set(err, rc, "RBAC: unable to read the policy: %s", rc_strerror(rc));
    if (e.oom)
        return rc_error_set(err, RC_ENOMEM, "out of memory while authorizing");
    if (by_name)
        *by_name = e.by_name;
    return e.allowed ? 0 : forbidden(attrs, err);
}

/* ---- bootstrap policy ---- */

#define RW_VERBS "\"create\",\"delete\",\"deletecollection\",\"patch\",\"update\""
#define RO_VERBS "\"get\",\"list\",\"watch\""
#define BOOT_META(name) "\"metadata\":{\"name\":\"" name "\",\"labels\":{\"kubernetes.io/bootstrapping\":" \
    "\"rbac-defaults\"},\"annotations\":{\"rbac.authorization.kubernetes.io/autoupdate\":\"true\"}}"
#define CLUSTER_ROLE(name) "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRole\"," BOOT_META(name)
#define BINDING(name, group) "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRoleBinding\"," \
    BOOT_META(name) ",\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\"," \
    "\"name\":\"" name "\"},\"subjects\":[{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Group\"," \
    "\"name\":\"" group "\"}]}"

/* Read access shared by view, edit and admin (no secrets). */
#define VIEW_RULES \
    "{\"apiGroups\":[\"\"],\"resources\":[\"configmaps\",\"endpoints\",\"persistentvolumeclaims\"," \
    "\"persistentvolumeclaims/status\",\"pods\",\"pods/log\",\"pods/status\",\"replicationcontrollers\"," \
    "\"replicationcontrollers/scale\",\"replicationcontrollers/status\",\"serviceaccounts\",\"services\"," \
    "\"services/status\",\"bindings\",\"events\",\"limitranges\",\"namespaces\",\"namespaces/status\"," \
    "\"resourcequotas\",\"resourcequotas/status\"],\"verbs\":[" RO_VERBS "]}," \
    "{\"apiGroups\":[\"apps\"],\"resources\":[\"controllerrevisions\",\"daemonsets\",\"daemonsets/status\"," \
    "\"deployments\",\"deployments/scale\",\"deployments/status\",\"replicasets\",\"replicasets/scale\"," \
    "\"replicasets/status\",\"statefulsets\",\"statefulsets/scale\",\"statefulsets/status\"],\"verbs\":[" RO_VERBS "]}," \
    "{\"apiGroups\":[\"batch\"],\"resources\":[\"cronjobs\",\"cronjobs/status\",\"jobs\",\"jobs/status\"]," \
    "\"verbs\":[" RO_VERBS "]}," \
    "{\"apiGroups\":[\"autoscaling\"],\"resources\":[\"horizontalpodautoscalers\"," \
    "\"horizontalpodautoscalers/status\"],\"verbs\":[" RO_VERBS "]}," \
    "{\"apiGroups\":[\"policy\"],\"resources\":[\"poddisruptionbudgets\",\"poddisruptionbudgets/status\"]," \
    "\"verbs\":[" RO_VERBS "]}," \
    "{\"apiGroups\":[\"networking.k8s.io\"],\"resources\":[\"ingresses\",\"ingresses/status\",\"networkpolicies\"]," \
    "\"verbs\":[" RO_VERBS "]}," \
    "{\"apiGroups\":[\"discovery.k8s.io\"],\"resources\":[\"endpointslices\"],\"verbs\":[" RO_VERBS "]}"

/* Write access edit and admin add. */
#define EDIT_RULES \
    "{\"apiGroups\":[\"\"],\"resources\":[\"pods\",\"pods/attach\",\"pods/exec\",\"pods/portforward\"," \
    "\"pods/proxy\",\"pods/eviction\",\"configmaps\",\"endpoints\",\"persistentvolumeclaims\"," \
    "\"replicationcontrollers\",\"replicationcontrollers/scale\",\"secrets\",\"serviceaccounts\",\"services\"," \
    "\"services/proxy\"],\"verbs\":[" RW_VERBS "]}," \
    "{\"apiGroups\":[\"\"],\"resources\":[\"secrets\",\"serviceaccounts/token\"],\"verbs\":[" RO_VERBS ",\"create\"]}," \
    "{\"apiGroups\":[\"apps\"],\"resources\":[\"daemonsets\",\"deployments\",\"deployments/rollback\"," \
    "\"deployments/scale\",\"replicasets\",\"replicasets/scale\",\"statefulsets\",\"statefulsets/scale\"]," \
    "\"verbs\":[" RW_VERBS "]}," \
    "{\"apiGroups\":[\"batch\"],\"resources\":[\"cronjobs\",\"jobs\"],\"verbs\":[" RW_VERBS "]}," \
    "{\"apiGroups\":[\"autoscaling\"],\"resources\":[\"horizontalpodautoscalers\"],\"verbs\":[" RW_VERBS "]}," \
    "{\"apiGroups\":[\"policy\"],\"resources\":[\"poddisruptionbudgets\"],\"verbs\":[" RW_VERBS "]}," \
    "{\"apiGroups\":[\"networking.k8s.io\"],\"resources\":[\"ingresses\",\"networkpolicies\"]," \
    "\"verbs\":[" RW_VERBS "]}," \
    "{\"apiGroups\":[\"coordination.k8s.io\"],\"resources\":[\"leases\"],\"verbs\":[" RO_VERBS "," RW_VERBS "]}"

/* Role management admin adds. */
#define ADMIN_RULES \
    "{\"apiGroups\":[\"rbac.authorization.k8s.io\"],\"resources\":[\"roles\",\"rolebindings\"]," \
    "\"verbs\":[" RO_VERBS "," RW_VERBS "]}," \
    "{\"apiGroups\":[\"authorization.k8s.io\"],\"resources\":[\"localsubjectaccessreviews\"],\"verbs\":[\"create\"]}"

static const char bootstrap_policy[] =
    "["
    CLUSTER_ROLE("cluster-admin") ",\"rules\":[{\"apiGroups\":[\"*\"],\"resources\":[\"*\"],\"verbs\":[\"*\"]},"
    "{\"nonResourceURLs\":[\"*\"],\"verbs\":[\"*\"]}]},"
    CLUSTER_ROLE("admin") ",\"rules\":[" VIEW_RULES "," EDIT_RULES "," ADMIN_RULES "]},"
    CLUSTER_ROLE("edit") ",\"rules\":[" VIEW_RULES "," EDIT_RULES "]},"
    CLUSTER_ROLE("view") ",\"rules\":[" VIEW_RULES "]},"
    CLUSTER_ROLE("system:discovery") ",\"rules\":[{\"nonResourceURLs\":[\"/api\",\"/api/*\",\"/apis\",\"/apis/*\","
    "\"/healthz\",\"/livez\",\"/readyz\",\"/version\",\"/version/\",\"/openapi\",\"/openapi/*\"],\"verbs\":[\"get\"]}]},"
    CLUSTER_ROLE("system:basic-user") ",\"rules\":[{\"apiGroups\":[\"authorization.k8s.io\"],"
    "\"resources\":[\"selfsubjectaccessreviews\",\"selfsubjectrulesreviews\"],\"verbs\":[\"create\"]}]},"
    BINDING("cluster-admin", "system:masters") ","
    BINDING("system:discovery", "system:authenticated") ","
    BINDING("system:basic-user", "system:authenticated")
    "]";

cJSON *rci_rbac_bootstrap_objects(void)
{
    return cJSON_Parse(bootstrap_policy);
}
