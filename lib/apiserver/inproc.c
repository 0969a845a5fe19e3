/* inproc.c - the in-process rc_client backend of rc_apiserver: every call becomes a request carrying the
 * client's identity, passes fault injection and RBAC (identified clients only), runs the verb, and is
 * recorded in the action log. Clients hold a handle, not the server, so calls after rc_apiserver_free
 * fail with RC_ECLOSED. */
#include "apiserver/internal.h"
#include "api/json_depth.h"
#include "api/object_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct inproc {
    rci_handle *h;
    bool identified;
    bool internal; /* the server's own client (admission plugins): not recorded in the action log */
    rc_user user;  /* strings owned */
} inproc;

void rci_handle_unref(rci_handle *h)
{
    if (h && atomic_fetch_sub(&h->refs, 1) == 1)
        free(h);
}

static bool is_kind(const rc_resource_info *ri, const char *group, const char *kind)
{
    return !strcmp(ri->group, group) && !strcmp(ri->kind, kind);
}

/* Starts a request: resolves storage, applies faults, authorizes. */
static int begin(inproc *ip, rci_req *req, const char *verb, const rc_resource_info *ri, const char *ns,
                 const char *name, const char *sub, rc_error *err)
{
    rc_apiserver *srv = atomic_load(&ip->h->srv);
    if (!srv)
        return rc_error_set(err, RC_ECLOSED, "the API server was shut down");
    *req = (rci_req){.srv = srv, .user = ip->identified ? &ip->user : NULL, .verb = verb, .ri = ri,
                     .ns = ri->namespaced && ns ? ns : "", .name = name ? name : "", .subresource = sub ? sub : ""};
    pthread_mutex_lock(&srv->lock);
    req->res = rci_resource_for_locked(srv, ri);
    pthread_mutex_unlock(&srv->lock);
    if (!req->res)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    int rc = rci_fault_check(req, err);
    return rc ? rc : rci_authorize(req, verb, err);
}

static int finish(inproc *ip, rci_req *req, int rc)
{
    if (!req->srv || ip->internal)
        return rc;
    pthread_mutex_lock(&req->srv->lock);
    rci_action_record_locked(req->srv, req, rc);
    pthread_mutex_unlock(&req->srv->lock);
    return rc;
}

/* Copies the write options the verbs honour (dry run, strict field validation, field manager) into req. */
static void set_write_options(rci_req *req, const rc_write_options *opts)
{
    req->dry_run = opts && opts->dry_run;
    req->strict_fields = opts && opts->field_validation == RC_FIELD_VALIDATION_STRICT;
    req->field_manager = opts ? opts->field_manager : NULL;
}

/* The JSON tree a create or update sends (the caller deletes it) when begin() passed (*rc is 0); NULL with
 * *rc and err set when memory runs out, NULL untouched when *rc already failed. */
static cJSON *write_body(const rc_object *obj, int *rc, rc_error *err)
{
    if (*rc)
        return NULL;
    cJSON *tree = rc_object_to_cjson(obj);
    if (!tree)
        *rc = rc_error_set(err, RC_ENOMEM, "out of memory");
    return tree;
}

/* The members a status write takes from its body (rci_status_tree). */
static const char *const taken[] = {"metadata", "status"};

/* The body of a status write: only what the status subresource takes from it (rci_status_tree: status and
 * metadata; the rest comes from the stored object), so the spec is not copied out of obj for nothing.
 * NULL and *rc, err as write_body. */
static cJSON *status_body(const rc_object *obj, int *rc, rc_error *err)
{
    if (*rc)
        return NULL;
    cJSON *tree = cJSON_CreateObject();
    for (size_t i = 0; tree && i < sizeof taken / sizeof *taken; i++) {
        rc_node n = rc_object_at(obj, taken[i]);
        cJSON *v = rc_node_exists(n) ? rc_node_to_cjson(n) : NULL;
        if (rc_node_exists(n) && (!v || !cJSON_AddItemToObject(tree, taken[i], v))) {
            cJSON_Delete(v);
            cJSON_Delete(tree);
            tree = NULL;
        }
    }
    if (!tree)
        *rc = rc_error_set(err, RC_ENOMEM, "out of memory");
    return tree;
}

static int ip_get(void *ctx, const rc_resource_info *ri, const char *ns, const char *name, const char *sub,
                  rc_object **out, rc_error *err)
{
    rci_req req = {0};
    int rc = begin(ctx, &req, "get", ri, ns, name, sub, err);
    if (rc == 0 && !strcmp(req.subresource, "scale")) {
        rc = rci_get_scale(&req, out, err);
    } else if (rc == 0 && (!req.subresource[0] || !strcmp(req.subresource, "status"))) {
        char key[600];
        rc_key_format(key, sizeof key, req.ns, req.name);
        *out = rci_lookup(&req, key);
        if (!*out) {
            char q[256];
            rc = rc_error_set(err, RC_ENOTFOUND, "%s \"%s\" not found", rci_qualified(ri, q, sizeof q), req.name);
        }
    } else if (rc == 0) {
        rc = rc_error_set(err, RC_ENOTFOUND, "the server could not find the requested resource");
    }
    return finish(ctx, &req, rc);
}

static int ip_list(void *ctx, const rc_resource_info *ri, const char *ns, const rc_list_options *opts,
                   rc_object_list *out, rc_error *err)
{
    rci_req req = {0};
    int rc = begin(ctx, &req, "list", ri, ns, NULL, NULL, err);
    if (rc == 0)
        rc = rci_list(&req, opts, out, err);
    return finish(ctx, &req, rc);
}

/* The verb of a create once the body is a tree (owned here; NULL only when rc already failed). */
static int create_tree(inproc *ip, rci_req *req, int rc, cJSON *tree, const char *sub, rc_object **out,
                       rc_error *err)
{
    const rc_resource_info *ri = req->ri;
    if (rc == 0 && !strcmp(sub, "binding"))
        rc = rci_create_binding(req, tree, out, err);
    else if (rc == 0 && sub[0])
        rc = rc_error_set(err, RC_ENOTALLOWED, "create is not allowed on the %s subresource", sub);
    else if (rc == 0 && (is_kind(ri, "authorization.k8s.io", "SubjectAccessReview") ||
                         is_kind(ri, "authorization.k8s.io", "SelfSubjectAccessReview") ||
                         is_kind(ri, "authorization.k8s.io", "LocalSubjectAccessReview")))
        rc = rci_access_review(req, tree, out, err);
    else if (rc == 0) {
        rc = rci_create_owned(req, tree, out, err);
        tree = NULL;
    }
    cJSON_Delete(tree);
    return finish(ip, req, rc);
}

static int ip_create(void *ctx, const rc_resource_info *ri, const char *ns, rc_object *obj,
                     const rc_write_options *opts, rc_object **out, rc_error *err)
{
    const char *sub = opts && opts->subresource ? opts->subresource : "";
    if (!ns || !ns[0])
        ns = rc_object_namespace(obj);
    rci_req req = {0};
    int rc = begin(ctx, &req, "create", ri, ns, sub[0] ? rc_object_name(obj) : NULL, sub, err);
    cJSON *tree = write_body(obj, &rc, err);
    set_write_options(&req, opts);
    return create_tree(ctx, &req, rc, tree, sub, out, err);
}

/* The verb of an update once the body is a tree (owned here; NULL only when rc already failed). */
static int update_tree(inproc *ip, rci_req *req, int rc, cJSON *tree, const char *sub, rc_object **out,
                       rc_error *err)
{
    if (rc == 0 && !strcmp(sub, "scale"))
        rc = rci_update_scale(req, tree, out, err);
    else if (rc == 0 && sub[0] && strcmp(sub, "status"))
        rc = rc_error_set(err, RC_ENOTALLOWED, "update is not allowed on the %s subresource", sub);
    else if (rc == 0)
        rc = rci_update(req, tree, out, err);
    cJSON_Delete(tree);
    return finish(ip, req, rc);
}

static int ip_update(void *ctx, const rc_resource_info *ri, const char *ns, rc_object *obj,
                     const rc_write_options *opts, rc_object **out, rc_error *err)
{
    const char *sub = opts && opts->subresource ? opts->subresource : "";
    if (!ns || !ns[0])
        ns = rc_object_namespace(obj);
    rci_req req = {0};
    int rc = begin(ctx, &req, "update", ri, ns, rc_object_name(obj), sub, err);
    cJSON *tree = !strcmp(sub, "status") ? status_body(obj, &rc, err) : write_body(obj, &rc, err);
    set_write_options(&req, opts);
    return update_tree(ctx, &req, rc, tree, sub, out, err);
}

/* Copies s into buf (cap bytes); false when it does not fit. NULL copies as "". */
static bool copy_str(char *buf, size_t cap, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n >= cap)
        return false;
    memcpy(buf, s ? s : "", n + 1);
    return true;
}

/* What a request names, copied out of the object before its tree moves (the server edits that tree). */
typedef struct names {
    char ns[256], name[256];
} names;

/* The root of obj when the verbs taking obj may move its members into the request instead of packing obj
 * (the client's freeze) and unpacking it again (write_body, status_body): a draft only the caller
 * references, shallow enough to check, whose namespace (ns when given) and, when named, name fit n. */
static cJSON *movable_root(rc_object *obj, const char *ns, bool named, names *n)
{
    cJSON *root = rc_object_json_mut(obj);
    bool ok = root && atomic_load(&obj->refs) == 1 && rci_cjson_depth_ok(root) &&
              copy_str(n->ns, sizeof n->ns, ns && ns[0] ? ns : rc_object_namespace(obj)) &&
              copy_str(n->name, sizeof n->name, named ? rc_object_name(obj) : NULL);
    return ok ? root : NULL;
}

/* The owned verbs' way for an object whose tree cannot move: written as the borrowing verb writes it, then
 * the caller's reference released. */
static int write_borrowed(int (*write)(void *ctx, const rc_resource_info *ri, const char *ns, rc_object *obj,
                                       const rc_write_options *opts, rc_object **out, rc_error *err),
                          void *ctx, const rc_resource_info *ri, const char *ns, rc_object *obj,
                          const rc_write_options *opts, rc_object **out, rc_error *err)
{
    rc_object_freeze(obj);
    int rc = write(ctx, ri, ns, obj, opts, out, err);
    rc_object_unref(obj);
    return rc;
}

static int ip_create_owned(void *ctx, const rc_resource_info *ri, const char *ns, rc_object *obj,
                           const rc_write_options *opts, rc_object **out, rc_error *err)
{
    const char *sub = opts && opts->subresource ? opts->subresource : "";
    names n;
    cJSON *root = movable_root(obj, ns, sub[0] != '\0', &n);
    cJSON *tree = root ? cJSON_CreateObject() : NULL;
    if (!tree)
        return write_borrowed(ip_create, ctx, ri, ns, obj, opts, out, err);
    tree->child = root->child;
    root->child = NULL;
    rc_object_unref(obj);
    rci_req req = {0};
    int rc = begin(ctx, &req, "create", ri, n.ns, sub[0] ? n.name : NULL, sub, err);
    set_write_options(&req, opts);
    return create_tree(ctx, &req, rc, tree, sub, out, err);
}

/* opts->subresource is "status": the body is obj's metadata and status, as status_body makes it. */
static int ip_update_status_owned(void *ctx, const rc_resource_info *ri, const char *ns, rc_object *obj,
                                  const rc_write_options *opts, rc_object **out, rc_error *err)
{
    names n;
    cJSON *root = movable_root(obj, ns, true, &n);
    cJSON *tree = root ? cJSON_CreateObject() : NULL;
    if (!tree)
        return write_borrowed(ip_update, ctx, ri, ns, obj, opts, out, err);
    cJSON *last = NULL;
    for (size_t i = 0; i < sizeof taken / sizeof *taken; i++) {
        cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(root, taken[i]);
        if (v)
            rci_cjson_append(tree, &last, v);
    }
    rc_object_unref(obj);
    rci_req req = {0};
    int rc = begin(ctx, &req, "update", ri, n.ns, n.name, "status", err);
    set_write_options(&req, opts);
    return update_tree(ctx, &req, rc, tree, "status", out, err);
}

static int ip_patch(void *ctx, const rc_resource_info *ri, const char *ns, const char *name, rc_patch_type type,
                    const char *data, size_t len, const rc_write_options *opts, rc_object **out, rc_error *err)
{
    rci_req req = {0};
    int rc = begin(ctx, &req, "patch", ri, ns, name, opts ? opts->subresource : NULL, err);
    set_write_options(&req, opts);
    if (rc == 0)
        rc = rci_patch(&req, type, data, len, opts && opts->force, out, err);
    return finish(ctx, &req, rc);
}

static int ip_delete(void *ctx, const rc_resource_info *ri, const char *ns, const char *name,
                     const rc_delete_options *opts, rc_object **out, rc_error *err)
{
    rci_req req = {0};
    int rc = begin(ctx, &req, "delete", ri, ns, name, NULL, err);
    if (rc == 0)
        rc = rci_delete(&req, opts, out, err);
    return finish(ctx, &req, rc);
}

static int ip_delete_collection(void *ctx, const rc_resource_info *ri, const char *ns,
                                const rc_list_options *list_opts, const rc_delete_options *opts, rc_error *err)
{
    rci_req req = {0};
    int rc = begin(ctx, &req, "deletecollection", ri, ns, NULL, NULL, err);
    req.dry_run = opts && opts->dry_run;
    if (rc == 0)
        rc = rci_delete_collection(&req, list_opts, opts, err);
    return finish(ctx, &req, rc);
}

static int ip_watch(void *ctx, const rc_resource_info *ri, const char *ns, const rc_list_options *opts,
                    rc_watch **out, rc_error *err)
{
    rci_req req = {0};
    int rc = begin(ctx, &req, "watch", ri, ns, NULL, NULL, err);
    if (rc == 0)
        rc = rci_watch(&req, opts, out, err);
    return finish(ctx, &req, rc);
}

static rc_registry *ip_registry(void *ctx)
{
    inproc *ip = ctx;
    rc_apiserver *srv = atomic_load(&ip->h->srv);
    return srv ? srv->registry : NULL;
}

static void ip_destroy(void *ctx)
{
    inproc *ip = ctx;
    free((char *)ip->user.name);
    for (size_t i = 0; i < RC_MAX_USER_GROUPS; i++)
        free((char *)ip->user.groups[i]);
    rci_handle_unref(ip->h);
    free(ip);
}

static const rc_client_ops inproc_ops = {
    .get = ip_get,
    .list = ip_list,
    .create = ip_create,
    .update = ip_update,
    .patch = ip_patch,
    .delete_ = ip_delete,
    .delete_collection = ip_delete_collection,
    .watch = ip_watch,
    .registry = ip_registry,
    .destroy = ip_destroy,
    .create_owned = ip_create_owned,
    .update_status_owned = ip_update_status_owned,
};

rc_client *rci_inproc_client(rci_handle *h, const rc_user *user, bool internal)
{
    inproc *ip = calloc(1, sizeof *ip);
    if (!ip)
        return NULL;
    atomic_fetch_add(&h->refs, 1);
    ip->h = h;
    ip->identified = user != NULL;
    ip->internal = internal;
    bool ok = true;
    if (user) {
        ip->user.name = strdup(user->name ? user->name : "");
        ok = ip->user.name != NULL;
        for (size_t i = 0; i < RC_MAX_USER_GROUPS && user->groups[i]; i++)
            ok = ok && (ip->user.groups[i] = strdup(user->groups[i])) != NULL;
    }
    if (!ok) {
        ip_destroy(ip);
        return NULL;
    }
    return rc_client_new(&inproc_ops, ip);
}
