/* builder.c - a controller's setup (rc_builder_for/owns/watches/reads/index) and the informer handler
 * behind every watch: it feeds read-your-own-writes, lowers expectations for owned children, applies
 * the predicates and turns a change into keys on the controller's workqueue. */
#include "runtime/runtime.h"

#include <stdlib.h>
#include <string.h>

int rc_keys_add(rc_keys *out, const char *key)
{
    if (!out || !key)
        return RC_EINVAL;
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 8;
        char **k = realloc(out->keys, cap * sizeof *k);
        if (!k) {
            out->failed = true;
            return RC_ENOMEM;
        }
        out->keys = k;
        out->cap = cap;
    }
    if (!(out->keys[out->n] = strdup(key))) {
        out->failed = true;
        return RC_ENOMEM;
    }
    out->n++;
    return 0;
}

static int declare(rc_builder *b, const char *resource, rci_source **out, rc_error *err)
{
    if (!b || !resource || !resource[0])
        return rc_error_set(err, RC_EINVAL, "a builder and a resource name are required");
    rci_controller *c = b->c;
    rci_source *src = rci_manager_source(b->m, resource, err);
    if (!src)
        return err && err->code ? err->code : RC_ENOTFOUND;
    bool known = false;
    for (size_t i = 0; i < c->nreads && !known; i++)
        known = c->reads[i] == src;
    if (!known) {
        rci_source **n = realloc(c->reads, (c->nreads + 1) * sizeof *n);
        if (!n)
            return rc_error_set(err, RC_ENOMEM, "out of memory");
        c->reads = n;
        c->reads[c->nreads++] = src;
        const char *ns = b->m->namespace_ ? b->m->namespace_ : "";
        if (rci_cclient_track(c->cc, src->id) || rci_cclient_note(c->cc, "list", src->ri, ns) ||
            rci_cclient_note(c->cc, "watch", src->ri, ns))
            return rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    *out = src;
    return 0;
}

static int add_watch(rc_builder *b, rci_watch_kind kind, const char *resource, const rc_watch_options *opts,
                     rc_map_fn map, void *map_ctx, rc_error *err)
{
    rci_source *src = NULL;
    int rc = declare(b, resource, &src, err);
    if (rc)
        return rc;
    rci_watch *w = calloc(1, sizeof *w);
    if (!w)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    w->kind = kind;
    w->ctrl = b->c;
    w->src = src;
    w->m = b->m;
    if (opts)
        w->opts = *opts;
    w->map = map;
    w->map_ctx = map_ctx;
    rc = rci_manager_add_watch(b->m, w, err);
    if (rc == 0 && kind == RCI_WATCH_FOR)
        b->c->primary = src;
    return rc;
}

int rc_builder_for(rc_builder *b, const char *resource, const rc_watch_options *opts, rc_error *err)
{
    if (b && b->c->primary)
        return rc_error_set(err, RC_EEXISTS, "controller %s: the primary resource is already %s", b->c->name,
                            b->c->primary->id);
    return add_watch(b, RCI_WATCH_FOR, resource, opts, NULL, NULL, err);
}

int rc_builder_owns(rc_builder *b, const char *resource, const rc_watch_options *opts, rc_error *err)
{
    int rc = add_watch(b, RCI_WATCH_OWNS, resource, opts, NULL, NULL, err);
    return rc ? rc : rc_builder_index(b, resource, RC_INDEX_CONTROLLER, rci_controller_index, NULL, err);
}

int rc_builder_watches(rc_builder *b, const char *resource, rc_map_fn fn, void *ctx, const rc_watch_options *opts,
                       rc_error *err)
{
    if (!fn)
        return rc_error_set(err, RC_EINVAL, "watches %s: a map function is required", resource ? resource : "");
    return add_watch(b, RCI_WATCH_MAP, resource, opts, fn, ctx, err);
}

int rc_builder_reads(rc_builder *b, const char *resource, rc_error *err)
{
    rci_source *src = NULL;
    return declare(b, resource, &src, err);
}

int rc_builder_index(rc_builder *b, const char *resource, const char *index, rc_index_fn fn, void *ctx,
                     rc_error *err)
{
    if (!b || !index || !index[0] || !fn)
        return rc_error_set(err, RC_EINVAL, "an index name and function are required");
    rci_source *src = rci_controller_find_read(b->c, resource, err);
    if (!src)
        return err && err->code ? err->code : RC_EINVAL;
    rc_manager *m = b->m;
    for (size_t i = 0; i < m->nindexes; i++) {
        rci_index *x = &m->indexes[i];
        if (x->src == src && !strcmp(x->name, index)) {
            if (x->fn == fn && x->ctx == ctx)
                return 0;
            return rc_error_set(err, RC_EEXISTS, "index %s of %s exists with another function", index, src->id);
        }
    }
    rci_index *n = realloc(m->indexes, (m->nindexes + 1) * sizeof *n);
    if (!n)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    m->indexes = n;
    rci_index *x = &m->indexes[m->nindexes];
    if (!(x->name = strdup(index)))
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    int rc = rc_store_add_indexer(rc_informer_store(src->inf), index, fn, ctx, err);
    if (rc) {
        free(x->name);
        return rc;
    }
    x->src = src;
    x->fn = fn;
    x->ctx = ctx;
    m->nindexes++;
    return 0;
}

/* ---- the handler ---- */

static bool meta_equal(const rc_object *a, const rc_object *b, const char *path)
{
    cJSON *x = rc_node_to_cjson(rc_object_at(a, path)), *y = rc_node_to_cjson(rc_object_at(b, path));
    bool eq = (!x && !y) || (x && y && cJSON_Compare(x, y, true));
    cJSON_Delete(x);
    cJSON_Delete(y);
    return eq;
}

static bool passes(const rci_watch *w, rc_change_type t, const rc_object *old, const rc_object *obj)
{
    unsigned p = w->opts.predicates;
    if (t == RC_CHANGE_UPDATE && p) {
        bool any = ((p & RC_PRED_GENERATION_CHANGED) && rc_object_generation(old) != rc_object_generation(obj)) ||
                   ((p & RC_PRED_LABELS_CHANGED) && !meta_equal(old, obj, "metadata.labels")) ||
                   ((p & RC_PRED_ANNOTATIONS_CHANGED) && !meta_equal(old, obj, "metadata.annotations"));
        if (!any)
            return false;
    }
    return !w->opts.filter || w->opts.filter(w->opts.filter_ctx, t, old, obj);
}

/* The key of obj's controller owner when that owner is of the controller's primary kind. */
static bool owner_key(const rci_controller *c, const rc_object *obj, char *buf, size_t cap)
{
    rc_owner_ref ref;
    if (!c->primary || !obj || !rc_object_controller_ref(obj, &ref) || !ref.kind || !ref.name)
        return false;
    const rc_resource_info *ri = c->primary->ri;
    const char *av = ref.api_version ? ref.api_version : "";
    const char *slash = strchr(av, '/');
    size_t glen = slash ? (size_t)(slash - av) : 0;
    if (strcmp(ref.kind, ri->kind) || strlen(ri->group) != glen || strncmp(av, ri->group, glen))
        return false;
    rc_key_format(buf, cap, ri->namespaced ? rc_object_namespace(obj) : "", ref.name);
    return true;
}

/* key: the owner key of obj (owner_key), NULL when it has none. */
static void observe_expectations(rci_controller *c, rc_change_type t, const rc_object *old, const rc_object *obj,
                                 const char *key)
{
    if (!key)
        return;
    if (t == RC_CHANGE_CREATE)
        rc_expectations_creation_observed(c->exp, key);
    else if (t == RC_CHANGE_DELETE ||
             (old && !rc_object_deletion_timestamp(old) && rc_object_deletion_timestamp(obj)))
        rc_expectations_deletion_observed_of(c->exp, key, rc_object_key(obj));
}

static void enqueue_mapped(rci_watch *w, const rc_object *obj)
{
    rc_keys k = {0};
    w->map(w->map_ctx, obj, &k);
    for (size_t i = 0; i < k.n; i++) {
        rc_workqueue_add(w->ctrl->queue, k.keys[i]);
        free(k.keys[i]);
    }
    free(k.keys);
}

static void on_change(rci_watch *w, rc_change_type t, const rc_object *old, const rc_object *obj)
{
    if (w->kind == RCI_WATCH_CALLBACK) {
        w->change(w->change_ctx, t, old, obj);
        rc_manager_wake(w->m);
        return;
    }
    rci_controller *c = w->ctrl;
    bool own = rci_overlay_observe(c->cc, w->src->id, obj, t == RC_CHANGE_DELETE);
    char key[600];
    bool owned = w->kind == RCI_WATCH_OWNS && owner_key(c, obj, key, sizeof key); /* obj's owner, looked up once */
    if (w->kind == RCI_WATCH_OWNS)
        observe_expectations(c, t, old, obj, owned ? key : NULL);
    if ((own && t == RC_CHANGE_UPDATE && w->opts.skip_own_writes) || !passes(w, t, old, obj))
        return;
    switch (w->kind) {
    case RCI_WATCH_FOR:
        rc_workqueue_add(c->queue, rc_object_key(obj));
        break;
    case RCI_WATCH_OWNS:
        if (owned)
            rc_workqueue_add(c->queue, key);
        if (old && owner_key(c, old, key, sizeof key))
            rc_workqueue_add(c->queue, key);
        break;
    case RCI_WATCH_MAP:
        enqueue_mapped(w, obj);
        if (old)
            enqueue_mapped(w, old);
        break;
    default:
        break;
    }
}

static void h_add(void *ctx, rc_object *obj)
{
    on_change(ctx, RC_CHANGE_CREATE, NULL, obj);
}

static void h_update(void *ctx, rc_object *old, rc_object *obj)
{
    on_change(ctx, RC_CHANGE_UPDATE, old, obj);
}

static void h_delete(void *ctx, rc_object *obj, bool final_state_unknown)
{
    (void)final_state_unknown;
    on_change(ctx, RC_CHANGE_DELETE, NULL, obj);
}

const rc_event_handler rci_watch_handler = {h_add, h_update, h_delete};
