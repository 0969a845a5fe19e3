/* rbac.h - the RBAC authorizer of the embedded API server, usable on its own: given who asks (rc_user),
 * what they ask (verb, API group, resource/subresource, namespace, name, or a non-resource path) and a
 * source of Roles, ClusterRoles, RoleBindings and ClusterRoleBindings, it answers allow or a 403 Forbidden
 * with kube-apiserver's message. Stateless and thread-safe (as far as the source is). */
#ifndef RECONCILE_RBAC_H
#define RECONCILE_RBAC_H

#include "admission.h"
#include "common.h"
#include <cjson/cJSON.h>

/* What is being asked. Strings are borrowed for the call; NULL reads as "". A request with
 * non_resource_path set (e.g. "/healthz") is a non-resource request and the resource fields are
 * ignored. */
typedef struct rc_authz_attrs {
    const rc_user *user;            /* NULL = anonymous, matched by no subject */
    const char *verb;               /* get, list, watch, create, update, patch, delete, deletecollection... */
    const char *api_group;          /* "" for the core group, "apps", ... */
    const char *resource;           /* plural: "pods" */
    const char *subresource;        /* "status", "scale", "log", ... or "" */
    const char *namespace_;         /* "" for cluster-scoped requests or all namespaces */
    const char *name;               /* "" when the request names no object (list, create) */
    const char *non_resource_path;  /* NULL for resource requests */
} rc_authz_attrs;

/* Where the RBAC objects come from. `list` calls each(arg, obj) for every object of `resource`
 * ("roles", "rolebindings", "clusterroles", "clusterrolebindings") in namespace_ ("" for the cluster-scoped
 * ones); obj is borrowed for the callback. `get` is optional (NULL = found through list): it calls each
 * once for the named object if it exists. Both return 0 or a negative RC_E* code (authorization then
 * fails with that code). */
typedef struct rc_rbac_source {
    int (*list)(void *ctx, const char *resource, const char *namespace_,
                void (*each)(void *arg, const cJSON *obj), void *arg);
    int (*get)(void *ctx, const char *resource, const char *namespace_, const char *name,
               void (*each)(void *arg, const cJSON *obj), void *arg);
    void *ctx;
} rc_rbac_source;

/* Authorizes attrs: 0 when some ClusterRoleBinding, or RoleBinding in attrs->namespace_, whose subjects
 * include the user grants a rule matching the request (members of group "system:masters" are always
 * allowed). Otherwise RC_EFORBIDDEN with upstream's message, e.g. `pods is forbidden: User
 * "system:serviceaccount:default:example-sa" cannot list resource "pods" in API group "" in the namespace
 * "default"`, or `forbidden: User "u" cannot get path "/healthz"`. RC_EINVAL when src or attrs is NULL or
 * attrs has no verb. */
RC_API int rc_rbac_authorize(const rc_rbac_source *src, const rc_authz_attrs *attrs, rc_error *err);

/* Whether one PolicyRule ({apiGroups, resources, resourceNames, verbs, nonResourceURLs}) allows attrs:
 * "*" matches any verb, group, resource or URL; "pods/status" names a subresource and "* /scale" (without
 * the space) any resource's subresource; resourceNames restricts to those names; a non-resource URL
 * ending in "*" matches by prefix. */
RC_API bool rc_rbac_rule_allows(const cJSON *rule, const rc_authz_attrs *attrs);

/* Whether a binding subject ({kind: User|Group|ServiceAccount, name, namespace}) is the user; a
 * ServiceAccount subject without a namespace takes binding_namespace. */
RC_API bool rc_rbac_subject_matches(const cJSON *subject, const char *binding_namespace, const rc_user *user);

#endif
