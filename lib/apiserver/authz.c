/* authz.c - the server's side of RBAC: a role source (rc_rbac_source) over its own storage of Roles,
 * ClusterRoles and bindings (bindings are listed, the roles they name looked up by key), the authorization
 * check every request of an identified client passes, the bootstrap roles created at start, and
 * SubjectAccessReview / SelfSubjectAccessReview ("can I"), which are answered, never stored. The rules
 * themselves are evaluated by rbac.c (rc_rbac_authorize); allowed answers are remembered by authz_cache.c. */
#include "apiserver/internal.h"

#include <reconcile/rbac.h>

#include <stdio.h>
#include <string.h>

#include "apiserver/rbac.h"

#define RBAC_GROUP "rbac.authorization.k8s.io"

static int source_list(void *ctx, const char *resource, const char *ns, void (*each)(void *arg, const cJSON *obj),
                       void *arg)
{
    rc_apiserver *srv = ctx;
    const rc_resource_info *ri = rc_registry_by_resource(srv->registry, RBAC_GROUP, NULL, resource);
    if (!ri)
        return 0;
    char prefix[300] = "";
    if (ri->namespaced && ns && ns[0])
        snprintf(prefix, sizeof prefix, "%s/", ns);
    else if (ri->namespaced)
        return 0; /* namespaced roles only count inside their namespace */
    size_t plen = strlen(prefix);
    pthread_mutex_lock(&srv->lock);
    rci_resource *res = rci_resource_for_locked(srv, ri);
    size_t n = 0;
    rci_entry **sorted = res ? rci_store_sorted_locked(res, &n) : NULL;
    int rc = 0;
    for (size_t i = plen ? rci_store_lower_bound(sorted, n, prefix) : 0;
         i < n && (!plen || !strncmp(sorted[i]->key, prefix, plen)); i++) {
        cJSON *tree = rc_object_to_cjson(sorted[i]->obj);
        if (!tree) {
            rc = RC_ENOMEM;
            break;
        }
        each(arg, tree);
        cJSON_Delete(tree);
    }
    pthread_mutex_unlock(&srv->lock);
    return rc;
}

/* A direct lookup of one Role (in ns) or ClusterRole by name: a roleRef costs one hash probe, not a scan. */
static int source_get(void *ctx, const char *resource, const char *ns, const char *name,
                      void (*each)(void *arg, const cJSON *obj), void *arg)
{
    rc_apiserver *srv = ctx;
    const rc_resource_info *ri = rc_registry_by_resource(srv->registry, RBAC_GROUP, NULL, resource);
    if (!ri || (ri->namespaced && (!ns || !ns[0])))
        return 0;
    char key[600];
    rc_key_format(key, sizeof key, ri->namespaced ? ns : "", name);
    pthread_mutex_lock(&srv->lock);
    rci_resource *res = rci_resource_for_locked(srv, ri);
    rci_entry *e = res ? rci_store_get_locked(res, key) : NULL;
    rc_object *role = e ? rc_object_ref(e->obj) : NULL;
    pthread_mutex_unlock(&srv->lock);
    if (!role)
        return 0;
    cJSON *tree = rc_object_to_cjson(role);
    rc_object_unref(role);
    if (!tree)
        return RC_ENOMEM;
    each(arg, tree);
    cJSON_Delete(tree);
    return 0;
}

static int authorize_attrs(rc_apiserver *srv, const rc_authz_attrs *attrs, rc_error *err)
{
    rc_rbac_source src = {.list = source_list, .get = source_get, .ctx = srv};
    return rc_rbac_authorize(&src, attrs, err);
}

/* Answers from the decision cache (authz_cache.c) when it can; remembers what evaluation allowed. */
int rci_authorize(rci_req *req, const char *verb, rc_error *err)
{
    rc_apiserver *srv = req->srv;
    rc_authz_attrs attrs = {.user = req->user,
                            .verb = verb,
                            .api_group = req->ri->group,
                            .resource = req->ri->plural,
                            .subresource = req->subresource,
                            .namespace_ = req->ns,
                            .name = req->name};
    pthread_mutex_lock(&srv->lock);
    bool skip = !req->user || !srv->rbac || rci_authz_cache_allows_locked(srv, &attrs);
    uint64_t gen = srv->policy_gen;
    pthread_mutex_unlock(&srv->lock);
    if (skip)
        return 0;
    rc_rbac_source src = {.list = source_list, .get = source_get, .ctx = srv};
    bool by_name = false;
    int rc = rci_rbac_authorize(&src, &attrs, &by_name, err);
    if (rc == 0) {
        pthread_mutex_lock(&srv->lock);
        rci_authz_cache_add_locked(srv, &attrs, by_name, gen);
        pthread_mutex_unlock(&srv->lock);
    }
    return rc;
}

int rci_rbac_bootstrap(rc_apiserver *srv, rc_error *err)
{
    cJSON *objs = rci_rbac_bootstrap_objects();
    if (!objs)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    int rc = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, objs)
    {
        const cJSON *av = cJSON_GetObjectItemCaseSensitive(o, "apiVersion");
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(o, "kind");
        const rc_resource_info *ri = rc_registry_by_kind(srv->registry, cJSON_IsString(av) ? av->valuestring : "",
                                                         cJSON_IsString(kind) ? kind->valuestring : "");
        if (!ri) {
            rc = rc_error_set(err, RC_EINTERNAL, "bootstrap RBAC object of unknown kind");
            break;
        }
        rci_req req = {.srv = srv, .verb = "create", .ri = ri, .ns = "", .name = "", .subresource = ""};
        pthread_mutex_lock(&srv->lock);
        req.res = rci_resource_for_locked(srv, ri);
        pthread_mutex_unlock(&srv->lock);
        rc = req.res ? rci_create(&req, o, NULL, err) : rc_error_set(err, RC_ENOMEM, "out of memory");
        if (rc != 0)
            break;
    }
    cJSON_Delete(objs);
    return rc;
}

/* ---- access reviews ---- */

static const char *str_at(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

int rci_access_review(rci_req *req, const cJSON *review, rc_object **out, rc_error *err)
{
    if (!cJSON_IsObject(review))
        return rc_error_set(err, RC_EBADREQUEST, "the body of the request must be a JSON object");
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(review, "spec");
    const cJSON *ra = cJSON_GetObjectItemCaseSensitive(spec, "resourceAttributes");
    const cJSON *nra = cJSON_GetObjectItemCaseSensitive(spec, "nonResourceAttributes");
    bool self = !strcmp(req->ri->kind, "SelfSubjectAccessReview");
    if (!cJSON_IsObject(ra) && !cJSON_IsObject(nra)) {
        rc_error_set(err, RC_EINVAL, "%s.authorization.k8s.io \"\" is invalid: spec.resourceAttributes: Invalid "
                     "value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified",
                     req->ri->kind);
        rc_error_add_cause(err, "spec.resourceAttributes", "FieldValueInvalid",
                           "exactly one of nonResourceAttributes or resourceAttributes must be specified");
        return RC_EINVAL;
    }
    rc_user subject = {0};
    const rc_user *user = req->user;
    if (!self) {
        subject.name = str_at(spec, "user");
        size_t g = 0;
        const cJSON *grp;
        cJSON_ArrayForEach(grp, cJSON_GetObjectItemCaseSensitive(spec, "groups")) if (cJSON_IsString(grp) &&
                                                                                      g < RC_MAX_USER_GROUPS)
            subject.groups[g++] = grp->valuestring;
        user = &subject;
    }
    const cJSON *attrs_src = cJSON_IsObject(ra) ? ra : nra;
    rc_authz_attrs attrs = {.user = user,
                            .verb = str_at(attrs_src, "verb"),
                            .api_group = str_at(ra, "group"),
                            .resource = str_at(ra, "resource"),
                            .subresource = str_at(ra, "subresource"),
                            .namespace_ = str_at(ra, "namespace"),
                            .name = str_at(ra, "name"),
                            .non_resource_path = cJSON_IsObject(ra) ? NULL : str_at(nra, "path")};
    rc_error why = {0};
    bool allowed = self && !req->user ? true : authorize_attrs(req->srv, &attrs, &why) == 0;
    cJSON *result = cJSON_Duplicate(review, 1);
    cJSON_DeleteItemFromObjectCaseSensitive(result, "status");
    cJSON *status = cJSON_AddObjectToObject(result, "status");
    cJSON_AddBoolToObject(status, "allowed", allowed);
    if (!allowed && why.message)
        cJSON_AddStringToObject(status, "reason", why.message);
    rc_error_clear(&why);
    int rc = 0;
    if (out && !(*out = rc_object_from_cjson(result, err)))
        rc = err && err->code ? err->code : RC_ENOMEM;
    cJSON_Delete(result);
    return rc;
}
