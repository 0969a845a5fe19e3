/* gc.h - internals of the garbage collector (spec section 7), split in two:
 *   gc.c        the controller: which resources it watches, the owner-uid index that is its
 *               owner->dependents graph, work keys "<resource>|<ns>/<name>|<uid>", the dispatch
 *   gc_owners.c the decisions: classify a dependent's owners (solid, dangling, waiting), delete it or
 *               patch references away, orphan dependents, finish foreground deletion */
#ifndef RC_CONTROLLERS_GC_H
#define RC_CONTROLLERS_GC_H

#include <reconcile/controllers.h>

#define RCI_GC_INDEX "gc-owner-uid"
#define RCI_FINALIZER_ORPHAN "orphan"
#define RCI_FINALIZER_FOREGROUND "foregroundDeletion"

typedef struct rci_gc_resource {
    struct rci_gc *gc; /* back-pointer: the resource is the context of its watch */
    char id[160]; /* "plural" or "plural.group", as the manager names caches */
    const rc_resource_info *ri;
} rci_gc_resource;

typedef struct rci_gc {
    rc_client *client; /* referenced; live reads verify owners the cache does not show */
    rc_registry *registry;
    rci_gc_resource *res;
    size_t nres;
} rci_gc;

/* The watched resource of an object's apiVersion/kind, or NULL. */
const rci_gc_resource *rci_gc_find(const rci_gc *gc, const char *api_version, const char *kind);
/* Appends every object (any watched resource) with an ownerReference to uid. */
int rci_gc_dependents(rci_gc *gc, rc_reconcile_ctx *ctx, const char *uid, rc_object_list *out, rc_error *err);

/* attemptToDeleteItem for obj. */
int rci_gc_attempt_delete(rci_gc *gc, rc_reconcile_ctx *ctx, const rc_object *obj, rc_error *err);
/* Owner obj (of resource r) carries the orphan finalizer: strip its uid from every dependent, then the
 * finalizer. */
int rci_gc_orphan(rci_gc *gc, rc_reconcile_ctx *ctx, const rci_gc_resource *r, const rc_object *obj, rc_error *err);
/* Owner obj carries foregroundDeletion: delete dependents; remove the finalizer once no dependent with
 * blockOwnerDeletion remains. */
int rci_gc_foreground(rci_gc *gc, rc_reconcile_ctx *ctx, const rci_gc_resource *r, const rc_object *obj,
                      rc_error *err);

#endif
