/* client.c - rc_client, the generic dispatch layer: reference counting, kubectl-style resource name
 * resolution through the backend's registry, argument checks, and the verbs built from others
 * (update_status/scale, client-side apply, "can I", a list-watch for reflectors). Backends (the embedded
 * server's inproc.c, an HTTP client) only fill rc_client_ops. */
#include <reconcile/client.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct rc_client {
    atomic_int refs;
    const rc_client_ops *ops;
    void *ctx;
};

rc_client *rc_client_new(const rc_client_ops *ops, void *ctx)
{
    rc_client *c = calloc(1, sizeof *c);
    if (!c) {
        if (ops && ops->destroy)
            ops->destroy(ctx);
        return NULL;
    }
    atomic_init(&c->refs, 1);
    c->ops = ops;
    c->ctx = ctx;
    return c;
}

rc_client *rc_client_ref(rc_client *c)
{
    if (c)
        atomic_fetch_add(&c->refs, 1);
    return c;
}

void rc_client_unref(rc_client *c)
{
    if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    if (c->ops->destroy)
        c->ops->destroy(c->ctx);
    free(c);
}

rc_registry *rc_client_registry(rc_client *c)
{
    return c->ops->registry ? c->ops->registry(c->ctx) : NULL;
}

const rc_resource_info *rc_client_resolve(rc_client *c, const char *resource, const rc_object *obj, rc_error *err)
{
    rc_registry *reg = rc_client_registry(c);
    if (!reg) {
        rc_error_set(err, RC_ECLOSED, "the client has no registry (server shut down)");
        return NULL;
    }
    const rc_resource_info *ri = NULL;
    if (resource) {
        ri = rc_registry_lookup(reg, resource);
        if (!ri)
            rc_error_set(err, RC_ENOTFOUND, "the server doesn't have a resource type \"%s\"", resource);
    } else if (obj) {
        const char *av = rc_object_api_version(obj), *kind = rc_object_kind(obj);
        ri = av && kind ? rc_registry_by_kind(reg, av, kind) : NULL;
        if (!ri)
            rc_error_set(err, RC_ENOTFOUND, "no matches for kind \"%s\" in version \"%s\"", kind ? kind : "",
                         av ? av : "");
    } else {
        rc_error_set(err, RC_EINVAL, "a resource name or an object is required");
    }
    return ri;
}

#define RESOLVE(c, resource, obj, err)                                                                     \
    const rc_resource_info *ri = rc_client_resolve((c), (resource), (obj), (err));                         \
    if (!ri)                                                                                               \
        return (err) && (err)->code ? (err)->code : RC_ENOTFOUND

static int need(bool ok, const char *what, rc_error *err)
{
    return ok ? 0 : rc_error_set(err, RC_EINVAL, "%s is required", what);
}

int rc_client_get_subresource(rc_client *c, const char *resource, const char *ns, const char *name,
                              const char *subresource, rc_object **out, rc_error *err)
{
    int rc = need(name && name[0] && out, "a name and an output pointer", err);
    if (rc)
        return rc;
    RESOLVE(c, resource, NULL, err);
    return c->ops->get(c->ctx, ri, ns ? ns : "", name, subresource ? subresource : "", out, err);
}

int rc_client_get(rc_client *c, const char *resource, const char *ns, const char *name, rc_object **out,
                  rc_error *err)
{
    return rc_client_get_subresource(c, resource, ns, name, "", out, err);
}

int rc_client_get_scale(rc_client *c, const char *resource, const char *ns, const char *name, rc_object **out,
                        rc_error *err)
{
    return rc_client_get_subresource(c, resource, ns, name, "scale", out, err);
}

int rc_client_list(rc_client *c, const char *resource, const char *ns, const rc_list_options *opts,
                   rc_object_list *out, rc_error *err)
{
    int rc = need(out != NULL, "an output list", err);
    if (rc)
        return rc;
    RESOLVE(c, resource, NULL, err);
    return c->ops->list(c->ctx, ri, ns ? ns : "", opts, out, err);
}

int rc_client_create(rc_client *c, const char *resource, const char *ns, rc_object *obj,
                     const rc_write_options *opts, rc_object **out, rc_error *err)
{
    int rc = need(obj != NULL, "an object", err);
    if (rc)
        return rc;
    rc_object_freeze(obj);
    RESOLVE(c, resource, obj, err);
    return c->ops->create(c->ctx, ri, ns ? ns : "", obj, opts, out, err);
}

/* The owned writes: the caller's reference goes with the call, also when it falls back to the plain write
 * (drop_after) or fails to resolve the resource (resolve_owned). */
static int drop_after(int rc, rc_object *obj)
{
    rc_object_unref(obj);
    return rc;
}

static const rc_resource_info *resolve_owned(rc_client *c, const char *resource, rc_object *obj, rc_error *err)
{
    const rc_resource_info *ri = rc_client_resolve(c, resource, obj, err);
    if (!ri)
        rc_object_unref(obj);
    return ri;
}

int rc_client_create_owned(rc_client *c, const char *resource, const char *ns, rc_object *obj,
                           const rc_write_options *opts, rc_object **out, rc_error *err)
{
    if (!obj || !c->ops->create_owned)
        return drop_after(rc_client_create(c, resource, ns, obj, opts, out, err), obj);
    const rc_resource_info *ri = resolve_owned(c, resource, obj, err);
    if (!ri)
        return err && err->code ? err->code : RC_ENOTFOUND;
    return c->ops->create_owned(c->ctx, ri, ns ? ns : "", obj, opts, out, err);
}

static int update_sub(rc_client *c, const char *resource, const char *ns, rc_object *obj,
                      const rc_write_options *opts, const char *sub, rc_object **out, rc_error *err)
{
    int rc = need(obj && rc_object_name(obj), "an object with a name", err);
    if (rc)
        return rc;
    rc_object_freeze(obj);
    RESOLVE(c, resource, sub && !strcmp(sub, "scale") ? NULL : obj, err);
    rc_write_options o = opts ? *opts : (rc_write_options){0};
    if (sub)
        o.subresource = sub;
    return c->ops->update(c->ctx, ri, ns ? ns : "", obj, &o, out, err);
}

int rc_client_update(rc_client *c, const char *resource, const char *ns, rc_object *obj,
                     const rc_write_options *opts, rc_object **out, rc_error *err)
{
    return update_sub(c, resource, ns, obj, opts, NULL, out, err);
}

int rc_client_update_status(rc_client *c, const char *resource, const char *ns, rc_object *obj,
                            const rc_write_options *opts, rc_object **out, rc_error *err)
{
    return update_sub(c, resource, ns, obj, opts, "status", out, err);
}

int rc_client_update_status_owned(rc_client *c, const char *resource, const char *ns, rc_object *obj,
                                  const rc_write_options *opts, rc_object **out, rc_error *err)
{
    if (!obj || !rc_object_name(obj) || !c->ops->update_status_owned)
        return drop_after(update_sub(c, resource, ns, obj, opts, "status", out, err), obj);
    const rc_resource_info *ri = resolve_owned(c, resource, obj, err);
    if (!ri)
        return err && err->code ? err->code : RC_ENOTFOUND;
    rc_write_options o = opts ? *opts : (rc_write_options){0};
    o.subresource = "status";
    return c->ops->update_status_owned(c->ctx, ri, ns ? ns : "", obj, &o, out, err);
}

int rc_client_update_scale(rc_client *c, const char *resource, const char *ns, rc_object *scale,
                           const rc_write_options *opts, rc_object **out, rc_error *err)
{
    int rc = need(resource != NULL, "the scaled resource's name", err);
    return rc ? rc : update_sub(c, resource, ns, scale, opts, "scale", out, err);
}

int rc_client_patch(rc_client *c, const char *resource, const char *ns, const char *name, rc_patch_type type,
                    const char *data, size_t len, const rc_write_options *opts, rc_object **out, rc_error *err)
{
    int rc = need(name && name[0] && data, "a name and a patch", err);
    if (rc)
        return rc;
    RESOLVE(c, resource, NULL, err);
    return c->ops->patch(c->ctx, ri, ns ? ns : "", name, type, data, len, opts, out, err);
}

int rc_client_delete(rc_client *c, const char *resource, const char *ns, const char *name,
                     const rc_delete_options *opts, rc_object **out, rc_error *err)
{
    int rc = need(name && name[0], "a name", err);
    if (rc)
        return rc;
    RESOLVE(c, resource, NULL, err);
    static const rc_delete_options defaults = RC_DELETE_OPTIONS_INIT;
    return c->ops->delete_(c->ctx, ri, ns ? ns : "", name, opts ? opts : &defaults, out, err);
}

int rc_client_delete_collection(rc_client *c, const char *resource, const char *ns,
                                const rc_list_options *list_opts, const rc_delete_options *opts, rc_error *err)
{
    RESOLVE(c, resource, NULL, err);
    static const rc_delete_options defaults = RC_DELETE_OPTIONS_INIT;
    return c->ops->delete_collection(c->ctx, ri, ns ? ns : "", list_opts, opts ? opts : &defaults, err);
}

int rc_client_watch(rc_client *c, const char *resource, const char *ns, const rc_list_options *opts,
                    rc_watch **out, rc_error *err)
{
    int rc = need(out != NULL, "an output stream pointer", err);
    if (rc)
        return rc;
    RESOLVE(c, resource, NULL, err);
    return c->ops->watch(c->ctx, ri, ns ? ns : "", opts, out, err);
}

/* ---- client-side apply ---- */

/* Conflicting patches retried with a fresh read of the live object, as kubectl apply does (its
 * maxPatchRetry; kubectl also pauses a second between later tries, which a library call does not). */
#define APPLY_CONFLICT_RETRIES 5

/* One try of the patch step: the three-way patch from live's last-applied configuration, the annotated
 * manifest `modified` and live itself, sent when it changes something. */
static int apply_patch(rc_client *c, const rc_resource_info *ri, rc_object *obj, const cJSON *modified,
                       rc_object *live, const rc_write_options *opts, rc_object **out, rc_error *err)
{
    cJSON *current = rc_object_to_cjson(live);
    rc_error lerr = {0};
    cJSON *original = current ? rc_apply_last_applied(current, &lerr) : NULL;
    int type = RC_PATCH_MERGE;
    cJSON *patch = lerr.code ? NULL
                             : rc_apply_compute_patch(original, modified, current, rc_object_api_version(obj),
                                                      rc_object_kind(obj), &type, err);
    int rc = 0;
    if (lerr.code)
        rc_error_move(err, &lerr);
    char *text = patch ? cJSON_PrintUnformatted(patch) : NULL;
    if (!patch)
        rc = err && err->code ? err->code : RC_ENOMEM;
    else if (!patch->child && out)
        *out = rc_object_ref(live); /* nothing to change */
    else if (patch->child)
        rc = c->ops->patch(c->ctx, ri, rc_object_namespace(obj), rc_object_name(obj), (rc_patch_type)type, text,
                           strlen(text), opts, out, err);
    free(text);
    cJSON_Delete(patch);
    cJSON_Delete(original);
    cJSON_Delete(current);
    rc_error_clear(&lerr);
    return rc;
}

int rc_client_apply(rc_client *c, const char *resource, rc_object *obj, const rc_write_options *opts,
                    rc_object **out, rc_error *err)
{
    int rc = need(obj && rc_object_name(obj), "an object with a name", err);
    if (rc)
        return rc;
    rc_object_freeze(obj);
    RESOLVE(c, resource, obj, err);
    cJSON *manifest = rc_object_to_cjson(obj);
    cJSON *modified = manifest ? rc_apply_annotate(manifest, err) : NULL;
    cJSON_Delete(manifest);
    if (!modified)
        return err && err->code ? err->code : RC_ENOMEM;
    const char *ns = rc_object_namespace(obj);
    for (int attempt = 0;; attempt++) {
        rc_object *live = NULL;
        rc_error gerr = {0};
        rc = c->ops->get(c->ctx, ri, ns, rc_object_name(obj), "", &live, &gerr);
        if (rc == RC_ENOTFOUND) {
            rc_object *annotated = rc_object_from_cjson(modified, err);
            rc = annotated ? c->ops->create(c->ctx, ri, ns, annotated, opts, out, err) : RC_ENOMEM;
            rc_object_unref(annotated);
        } else if (rc != 0) {
            rc_error_move(err, &gerr);
        } else {
            rc = apply_patch(c, ri, obj, modified, live, opts, out, err);
        }
        rc_error_clear(&gerr);
        rc_object_unref(live);
        if (rc != RC_ECONFLICT || attempt == APPLY_CONFLICT_RETRIES)
            break;
        rc_error_clear(err);
    }
    cJSON_Delete(modified);
    return rc;
}

/* ---- can I ---- */

int rc_client_can_i(rc_client *c, const char *verb, const char *resource, const char *ns, const char *name,
                    bool *allowed, rc_error *err)
{
    int rc = need(verb && resource && allowed, "a verb, a resource and an answer pointer", err);
    if (rc)
        return rc;
    const rc_resource_info *ssar = rc_client_resolve(c, "selfsubjectaccessreviews.authorization.k8s.io", NULL, err);
    if (!ssar)
        return err && err->code ? err->code : RC_ENOTFOUND;
    const char *slash = strchr(resource, '/');
    char plain[256];
    size_t n = slash ? (size_t)(slash - resource) : strlen(resource);
    if (n >= sizeof plain)
        return rc_error_set(err, RC_EINVAL, "resource name too long");
    memcpy(plain, resource, n);
    plain[n] = '\0';
    RESOLVE(c, plain, NULL, err);
    cJSON *review = cJSON_CreateObject();
    cJSON_AddStringToObject(review, "apiVersion", "authorization.k8s.io/v1");
    cJSON_AddStringToObject(review, "kind", "SelfSubjectAccessReview");
    cJSON *attrs = cJSON_AddObjectToObject(cJSON_AddObjectToObject(review, "spec"), "resourceAttributes");
    cJSON_AddStringToObject(attrs, "verb", verb);
    cJSON_AddStringToObject(attrs, "group", ri->group);
    cJSON_AddStringToObject(attrs, "resource", ri->plural);
    cJSON_AddStringToObject(attrs, "subresource", slash ? slash + 1 : "");
    cJSON_AddStringToObject(attrs, "namespace", ns ? ns : "");
    cJSON_AddStringToObject(attrs, "name", name ? name : "");
    rc_object *obj = rc_object_from_cjson(review, err);
    cJSON_Delete(review);
    rc_object *answer = NULL;
    rc = obj ? c->ops->create(c->ctx, ssar, "", obj, NULL, &answer, err) : RC_ENOMEM;
    if (rc == 0)
        *allowed = rc_object_get_bool(answer, "status.allowed", false);
    rc_object_unref(obj);
    rc_object_unref(answer);
    return rc;
}

/* ---- list-watch for reflectors ---- */

typedef struct lw_ctx {
    rc_client *c;
    const rc_resource_info *ri;
    char *ns;
} lw_ctx;

static int lw_list(void *ctx, const rc_list_options *opts, rc_object_list *out, rc_error *err)
{
    lw_ctx *lw = ctx;
    return lw->c->ops->list(lw->c->ctx, lw->ri, lw->ns, opts, out, err);
}

static int lw_watch(void *ctx, const rc_list_options *opts, rc_watch **out, rc_error *err)
{
    lw_ctx *lw = ctx;
    return lw->c->ops->watch(lw->c->ctx, lw->ri, lw->ns, opts, out, err);
}

static void lw_destroy(void *ctx)
{
    lw_ctx *lw = ctx;
    rc_client_unref(lw->c);
    free(lw->ns);
    free(lw);
}

static const rc_list_watch_ops lw_ops = {.list = lw_list, .watch = lw_watch, .destroy = lw_destroy};

int rc_client_list_watch(rc_client *c, const char *resource, const char *ns, rc_list_watch *out, rc_error *err)
{
    int rc = need(out != NULL, "an output list-watch", err);
    if (rc)
        return rc;
    RESOLVE(c, resource, NULL, err);
    lw_ctx *lw = calloc(1, sizeof *lw);
    char *nsc = strdup(ns ? ns : "");
    if (!lw || !nsc) {
        free(lw);
        free(nsc);
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    lw->c = rc_client_ref(c);
    lw->ri = ri;
    lw->ns = nsc;
    out->ops = &lw_ops;
    out->ctx = lw;
    return 0;
}
