/* gc.c - the garbage collector controller (upstream garbagecollector + graph_builder, spec section 7).
 * The owner->dependents graph is an index "gc-owner-uid" on the cache of every watched resource (each
 * object indexed by the uids its ownerReferences name), so it is always exactly what the caches hold.
 * Every change of an object enqueues "<resource>|<ns>/<name>|<uid>" for the object itself and for each of
 * its owners; a key whose object is gone (or has another uid) makes its dependents candidates for
 * deletion, a key whose object is being deleted runs the orphan or foreground finalizer's work. */
#include "controllers/gc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void resource_id(const rc_resource_info *ri, char *buf, size_t cap)
{
    if (ri->group && *ri->group)
        snprintf(buf, cap, "%s.%s", ri->plural, ri->group);
    else
        snprintf(buf, cap, "%s", ri->plural);
}

const rci_gc_resource *rci_gc_find(const rci_gc *gc, const char *api_version, const char *kind)
{
    const rc_resource_info *ri = api_version && kind ? rc_registry_by_kind(gc->registry, api_version, kind) : NULL;
    for (size_t i = 0; ri && i < gc->nres; i++)
        if (gc->res[i].ri == ri)
            return &gc->res[i];
    return NULL;
}

static void owner_index(void *ctx, const rc_object *obj, rc_index_values *out)
{
    (void)ctx;
    rc_owner_ref ref;
    for (size_t i = 0; rc_object_owner(obj, i, &ref); i++)
        if (ref.uid)
            rc_index_values_add(out, ref.uid);
}

int rci_gc_dependents(rci_gc *gc, rc_reconcile_ctx *ctx, const char *uid, rc_object_list *out, rc_error *err)
{
    for (size_t i = 0; i < gc->nres; i++) {
        int rc = rc_ctx_by_index(ctx, gc->res[i].id, RCI_GC_INDEX, uid, out, err);
        if (rc)
            return rc;
    }
    return 0;
}

static void add_key(rc_keys *out, const char *id, const char *ns, const char *name, const char *uid)
{
    const char *parts[] = {id, "|", ns, *ns ? "/" : "", name ? name : "", "|", uid};
    char key[768];
    size_t n = 0;
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) { /* no snprintf: once per object event */
        size_t len = strlen(parts[i]);
        if (n + len >= sizeof key)
            return;
        memcpy(key + n, parts[i], len);
        n += len;
    }
    key[n] = '\0';
    rc_keys_add(out, key);
}

/* The object itself and each owner the collector watches (owners in the object's namespace, or
 * cluster-scoped). */
static void map_object(void *ctx, const rc_object *obj, rc_keys *out)
{
    const rci_gc_resource *r = ctx;
    const char *uid = rc_object_uid(obj), *ns = rc_object_namespace(obj);
    if (!uid)
        return;
    add_key(out, r->id, ns, rc_object_name(obj), uid);
    rc_owner_ref ref;
    for (size_t i = 0; rc_object_owner(obj, i, &ref); i++) {
        const rci_gc_resource *o = rci_gc_find(r->gc, ref.api_version, ref.kind);
        if (o && ref.name && ref.uid)
            add_key(out, o->id, o->ri->namespaced ? ns : "", ref.name, ref.uid);
    }
}

/* Keys are "<id>|<ns>/<name>|<uid>"; splits them in place. */
static bool parse_key(char *key, char **id, char **ns, char **name, char **uid)
{
    char *p1 = strchr(key, '|'), *p2 = p1 ? strchr(p1 + 1, '|') : NULL;
    if (!p2)
        return false;
    *p1 = *p2 = '\0';
    *id = key;
    *uid = p2 + 1;
    char *slash = strchr(p1 + 1, '/');
    if (slash) {
        *slash = '\0';
        *ns = p1 + 1;
        *name = slash + 1;
    } else {
        *ns = p1 + 1 + strlen(p1 + 1);
        *name = p1 + 1;
    }
    return **name && **uid;
}

static const rci_gc_resource *find_id(const rci_gc *gc, const char *id)
{
    for (size_t i = 0; i < gc->nres; i++)
        if (!strcmp(gc->res[i].id, id))
            return &gc->res[i];
    return NULL;
}

/* The owner uid vanished: each dependent is a candidate for collection. */
static int collect_dependents(rci_gc *gc, rc_reconcile_ctx *ctx, const char *uid, rc_error *err)
{
    rc_object_list deps;
    rc_object_list_init(&deps);
    int rc = rci_gc_dependents(gc, ctx, uid, &deps, err);
    for (size_t i = 0; !rc && i < deps.count; i++)
        rc = rci_gc_attempt_delete(gc, ctx, deps.items[i], err);
    rc_object_list_clear(&deps);
    return rc;
}

static int process(rci_gc *gc, rc_reconcile_ctx *ctx, const rci_gc_resource *r, const char *ns, const char *name,
                   const char *uid, rc_error *err)
{
    rc_object *obj = NULL;
    int rc = rc_ctx_get(ctx, r->id, ns, name, &obj, err);
    if (rc && rc != RC_ENOTFOUND)
        return rc;
    rc_error_clear(err);
    if (!obj || strcmp(rc_object_uid(obj) ? rc_object_uid(obj) : "", uid)) {
        rc_object_unref(obj);
        return collect_dependents(gc, ctx, uid, err);
    }
    if (rc_object_deletion_timestamp(obj)) {
        if (rc_object_has_finalizer(obj, RCI_FINALIZER_ORPHAN))
            rc = rci_gc_orphan(gc, ctx, r, obj, err);
        else if (rc_object_has_finalizer(obj, RCI_FINALIZER_FOREGROUND))
            rc = rci_gc_foreground(gc, ctx, r, obj, err);
    }
    if (!rc && rc_object_owner_count(obj) > 0)
        rc = rci_gc_attempt_delete(gc, ctx, obj, err);
    rc_object_unref(obj);
    return rc;
}

static rc_result reconcile(void *self, rc_reconcile_ctx *ctx, const char *key)
{
    rci_gc *gc = self;
    char *copy = strdup(key), *id, *ns, *name, *uid;
    if (!copy)
        return rc_result_error(ctx, RC_ENOMEM, "out of memory");
    const rci_gc_resource *r = parse_key(copy, &id, &ns, &name, &uid) ? find_id(gc, id) : NULL;
    rc_error err = {0};
    int rc = r ? process(gc, ctx, r, ns, name, uid, &err) : 0;
    free(copy);
    if (rc)
        return err.code ? rc_result_from_error(ctx, &err) : rc_result_error(ctx, rc, "garbage collection failed");
    return rc_result_done();
}

/* Never enqueue the primary resource's plain keys: the map watches carry every key. */
static bool reject_all(void *ctx, rc_change_type type, const rc_object *old, const rc_object *obj)
{
    (void)ctx, (void)type, (void)old, (void)obj;
    return false;
}

static int setup(void *self, rc_builder *b, rc_error *err)
{
    rci_gc *gc = self;
    if (gc->nres == 0)
        return rc_error_set(err, RC_EINVAL, "garbage collector: no resources to watch");
    rc_watch_options none = {.filter = reject_all};
    int rc = rc_builder_for(b, gc->res[0].id, &none, err);
    for (size_t i = 0; !rc && i < gc->nres; i++) {
        rc = rc_builder_watches(b, gc->res[i].id, map_object, &gc->res[i], NULL, err);
        if (!rc)
            rc = rc_builder_index(b, gc->res[i].id, RCI_GC_INDEX, owner_index, NULL, err);
    }
    return rc;
}

static void destroy(void *self)
{
    rci_gc *gc = self;
    if (!gc)
        return;
    rc_client_unref(gc->client);
    free(gc->res);
    free(gc);
}

static const rc_controller_ops gc_ops = {"garbagecollector", setup, reconcile, destroy};

/* Resources left out by default: not deletable collections, or too chatty to be worth watching. */
static bool skipped_by_default(const rc_resource_info *ri)
{
    static const char *const skip[] = {"events", "leases", "selfsubjectaccessreviews", "subjectaccessreviews"};
    for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
        if (!strcmp(ri->plural, skip[i]))
            return true;
    return false;
}

static int add_resource(rci_gc *gc, const rc_resource_info *ri)
{
    for (size_t i = 0; i < gc->nres; i++)
        if (gc->res[i].ri == ri)
            return 0;
    rci_gc_resource *n = realloc(gc->res, (gc->nres + 1) * sizeof *n);
    if (!n)
        return RC_ENOMEM;
    gc->res = n;
    n[gc->nres].ri = ri;
    resource_id(ri, n[gc->nres].id, sizeof n[gc->nres].id);
    gc->nres++;
    return 0;
}

int rc_gc_controller_new(rc_client *client, const rc_gc_options *opts, const rc_controller_ops **ops, void **self,
                         rc_error *err)
{
    if (!client || !ops || !self)
        return rc_error_set(err, RC_EINVAL, "garbage collector: client, ops and self are required");
    rci_gc *gc = calloc(1, sizeof *gc);
    if (!gc)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    gc->registry = rc_client_registry(client);
    int rc = 0;
    if (opts && opts->resources) {
        for (size_t i = 0; !rc && opts->resources[i]; i++) {
            const rc_resource_info *ri = rc_client_resolve(client, opts->resources[i], NULL, err);
            rc = ri ? add_resource(gc, ri) : (err && err->code ? err->code : RC_ENOTFOUND);
        }
    } else {
        for (size_t i = 0; !rc && i < rc_registry_count(gc->registry); i++) {
            const rc_resource_info *ri = rc_registry_at(gc->registry, i);
            if (!skipped_by_default(ri))
                rc = add_resource(gc, ri);
        }
    }
    if (rc == RC_ENOMEM)
        rc_error_set(err, rc, "out of memory");
    if (!rc && gc->nres == 0)
        rc = rc_error_set(err, RC_EINVAL, "garbage collector: no resources to watch");
    if (rc) {
        destroy(gc);
        return rc;
    }
    for (size_t i = 0; i < gc->nres; i++)
        gc->res[i].gc = gc;
    gc->client = rc_client_ref(client);
    *ops = &gc_ops;
    *self = gc;
    return 0;
}
