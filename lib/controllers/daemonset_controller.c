/* daemonset_controller.c - the DaemonSet controller's rc_controller_ops (spec section 4): refuses an
 * empty selector, claims pods and ControllerRevisions, makes sure the current revision exists and prunes
 * old ones, then plans the sync with rci_ds_plan (nodes read from the cache) and carries it out. A node
 * change enqueues every DaemonSet (their keys are tracked from the DaemonSet watch). */
#include <reconcile/controllers.h>
#include <reconcile/events.h>
#include <reconcile/expectations.h>
#include <reconcile/selector.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "controllers/daemonset.h"
#include "controllers/history.h"
#include "util/map.h"

typedef struct daemonset_controller {
    int burst;
    pthread_mutex_t lock; /* guards keys */
    rci_map keys;         /* key (owned) -> the same string: every DaemonSet seen */
} daemonset_controller;

/* Watch filter on DaemonSets: remembers which exist, lets every event through. */
static bool track_daemonset(void *ctx, rc_change_type type, const rc_object *old, const rc_object *obj)
{
    (void)old;
    daemonset_controller *c = ctx;
    const char *key = rc_object_key(obj);
    pthread_mutex_lock(&c->lock);
    if (type == RC_CHANGE_DELETE) {
        free(rci_map_remove(&c->keys, key));
    } else if (!rci_map_get(&c->keys, key)) {
        char *copy = strdup(key);
        if (copy && rci_map_put(&c->keys, copy, copy, NULL) != 0)
            free(copy);
    }
    pthread_mutex_unlock(&c->lock);
    return true;
}

/* A node changed: any DaemonSet may now want (or no longer want) a pod there. */
static void node_to_daemonsets(void *ctx, const rc_object *node, rc_keys *out)
{
    (void)node;
    daemonset_controller *c = ctx;
    const rci_map_entry *e;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; rci_map_next(&c->keys, &i, &e);)
        rc_keys_add(out, e->key);
    pthread_mutex_unlock(&c->lock);
}

static int ds_setup(void *selfp, rc_builder *b, rc_error *err)
{
    rc_watch_options track = {.filter = track_daemonset, .filter_ctx = selfp};
    int rc = rc_builder_for(b, RCI_DAEMONSETS, &track, err);
    if (rc == 0)
        rc = rc_builder_owns(b, "pods", NULL, err);
    if (rc == 0)
        rc = rc_builder_owns(b, RCI_CONTROLLER_REVISIONS, NULL, err);
    return rc ? rc : rc_builder_watches(b, "nodes", node_to_daemonsets, selfp, NULL, err);
}

/* constructHistory + cleanupHistory: the current revision exists; unused old ones beyond the limit go. */
static int sync_history(rc_reconcile_ctx *ctx, const rc_object *ds, const rc_selector *sel, const char *hash,
                        const rc_object_list *pods, rc_error *err)
{
    rc_object_list revs, victims;
    rc_object_list_init(&revs);
    rc_object_list_init(&victims);
    int rc = rc_claim_children(ctx, RCI_DAEMONSETS, ds, RCI_CONTROLLER_REVISIONS, sel, NULL, NULL, &revs, err);
    bool have = false;
    int64_t max = 0;
    for (size_t i = 0; rc == 0 && i < revs.count; i++) {
        const char *h = rc_object_label(revs.items[i], RCI_DS_HASH_LABEL);
        have |= h && !strcmp(h, hash);
        int64_t n = rci_history_number(revs.items[i]);
        max = n > max ? n : max;
    }
    if (rc == 0 && !have) {
        rc_object *rev = rci_ds_revision_new(ds, hash, max + 1);
        rc = rev ? rc_client_create(rc_ctx_client(ctx), RCI_CONTROLLER_REVISIONS, NULL, rev, NULL, NULL, err)
                 : rc_error_set(err, RC_ENOMEM, "out of memory");
        if (rc == RC_EEXISTS) {
            rc_error_clear(err);
            rc = 0;
        }
        rc_object_unref(rev);
    }
    if (rc == 0)
        rc = rci_ds_history_victims(ds, revs.items, revs.count, pods->items, pods->count, hash, &victims);
    for (size_t i = 0; rc == 0 && i < victims.count; i++) {
        rc = rc_client_delete(rc_ctx_client(ctx), RCI_CONTROLLER_REVISIONS, rc_object_namespace(ds),
                              rc_object_name(victims.items[i]), NULL, NULL, err);
        if (rc == RC_ENOTFOUND) {
            rc_error_clear(err);
            rc = 0;
        }
    }
    rc_object_list_clear(&revs);
    rc_object_list_clear(&victims);
    return rc;
}

static rc_result ds_reconcile(void *selfp, rc_reconcile_ctx *ctx, const char *key)
{
    daemonset_controller *self = selfp;
    rc_object *ds = NULL;
    rc_result res;
    if (!rci_plan_get_parent(ctx, RCI_DAEMONSETS, key, &ds, &res))
        return res;
    rc_error err = {0};
    int rc = 0;
    rc_selector *sel = rc_selector_from_node(rc_object_at(ds, "spec.selector"), "spec.selector", &err);
    rc_object_list pods, nodes;
    rc_object_list_init(&pods);
    rc_object_list_init(&nodes);
    rci_child_plan plan;
    rci_plan_init(&plan);
    char hash[16];
    if (!sel) {
        rc = err.code ? err.code : RC_EINVAL;
    } else if (rc_selector_is_empty(sel)) {
        rc_ctx_event(ctx, ds, RC_EVENT_WARNING, "SelectingAll",
                     "This daemon set is selecting all pods. A non-empty selector is required.");
    } else if ((rc = rci_ds_hash(ds, hash)) != 0) {
        rc_error_set(&err, rc, "daemonset %s: cannot hash the template", key);
    } else {
        bool satisfied = rc_expectations_satisfied(rc_ctx_expectations(ctx), key);
        rc = rc_claim_children(ctx, RCI_DAEMONSETS, ds, "pods", sel, NULL, NULL, &pods, &err);
        if (rc == 0)
            rc = rc_ctx_list(ctx, "nodes", NULL, NULL, &nodes, &err);
        if (rc == 0 && !rc_object_deletion_timestamp(ds))
            rc = sync_history(ctx, ds, sel, hash, &pods, &err);
        if (rc == 0) {
            rci_ds_input in = {ds, nodes.items, nodes.count, pods.items, pods.count, hash, rc_ctx_now(ctx), satisfied,
                               self->burst};
            rc = rci_ds_plan(&in, &plan);
            if (rc)
                rc_error_set(&err, rc, "daemonset %s: out of memory while planning", key);
            else
                rc = rci_plan_execute(ctx, RCI_DAEMONSETS, ds, &plan, key, &err);
        }
    }
    res = rci_plan_result(ctx, &plan, rc, &err);
    rci_plan_clear(&plan);
    rc_object_list_clear(&pods);
    rc_object_list_clear(&nodes);
    rc_selector_free(sel);
    rc_object_unref(ds);
    rc_error_clear(&err);
    return res;
}

static void ds_destroy(void *selfp)
{
    daemonset_controller *c = selfp;
    const rci_map_entry *e;
    for (size_t i = 0; rci_map_next(&c->keys, &i, &e);)
        free(e->value);
    rci_map_free(&c->keys);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static const rc_controller_ops ds_ops = {"daemonset", ds_setup, ds_reconcile, ds_destroy};

int rc_daemonset_controller_new(const rc_daemonset_options *opts, const rc_controller_ops **ops, void **self,
                                rc_error *err)
{
    if (!ops || !self)
        return rc_error_set(err, RC_EINVAL, "daemonset controller: NULL argument");
    if (opts && opts->burst_replicas < 0)
        return rc_error_set(err, RC_EINVAL, "daemonset controller: burst_replicas must not be negative");
    daemonset_controller *c = calloc(1, sizeof *c);
    if (!c)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    c->burst = opts && opts->burst_replicas ? opts->burst_replicas : RCI_DS_BURST;
    pthread_mutex_init(&c->lock, NULL);
    rci_map_init(&c->keys);
    *ops = &ds_ops;
    *self = c;
    return 0;
}
