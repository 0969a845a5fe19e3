/* ownerref.c - controller references and the controller ref manager (upstream ClaimObject): setting the
 * controller ownerReference on a new child, and claiming children - keeping our matching ones, adopting
 * matching orphans (after re-reading the owner fresh from the API) and releasing ours that no longer match,
 * each with a JSON patch guarded by a test of the child's uid. Candidates come from the controller index
 * (owner uid, or the namespace's orphans) that rc_builder_owns adds to the child resource's cache. */
#include "runtime/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rc_set_controller_ref(rc_object *child, const rc_object *owner, rc_error *err)
{
    if (!child || !owner || rc_object_is_frozen(child))
        return rc_error_set(err, RC_EINVAL, "set_controller_ref: a draft child and an owner are required");
    const char *uid = rc_object_uid(owner);
    if (!uid || !uid[0] || !rc_object_name(owner) || !rc_object_kind(owner) || !rc_object_api_version(owner))
        return rc_error_set(err, RC_EINVAL, "set_controller_ref: the owner needs apiVersion, kind, name and uid");
    rc_owner_ref cur;
    if (rc_object_controller_ref(child, &cur) && cur.uid && strcmp(cur.uid, uid))
        return rc_error_set(err, RC_EEXISTS, "%s is already controlled by %s %s (uid %s)",
                            rc_object_name(child) ? rc_object_name(child) : "object", cur.kind ? cur.kind : "",
                            cur.name ? cur.name : "", cur.uid);
    rc_owner_ref ref = {rc_object_api_version(owner), rc_object_kind(owner), rc_object_name(owner), uid, true, true};
    int rc = rc_object_add_owner(child, &ref);
    return rc ? rc_error_set(err, rc, "set_controller_ref: %s", rc_strerror(rc)) : 0;
}

bool rc_is_controlled_by(const rc_object *obj, const rc_object *owner)
{
    rc_owner_ref ref;
    const char *uid = owner ? rc_object_uid(owner) : NULL;
    return obj && uid && rc_object_controller_ref(obj, &ref) && ref.uid && !strcmp(ref.uid, uid);
}

/* [{"op":"test","path":"/metadata/uid","value":uid}, second] as JSON text (malloc'd). */
static char *guarded_patch(const rc_object *child, cJSON *second)
{
    cJSON *arr = cJSON_CreateArray();
    cJSON *test = cJSON_CreateObject();
    cJSON_AddStringToObject(test, "op", "test");
    cJSON_AddStringToObject(test, "path", "/metadata/uid");
    cJSON_AddStringToObject(test, "value", rc_object_uid(child) ? rc_object_uid(child) : "");
    cJSON_AddItemToArray(arr, test);
    cJSON_AddItemToArray(arr, second);
    char *text = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    return text;
}

static int patch_child(rc_reconcile_ctx *ctx, const char *resource, const rc_object *child, cJSON *op,
                       rc_object **out, rc_error *err)
{
    char *text = guarded_patch(child, op);
    if (!text)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    int rc = rc_client_patch(rc_ctx_client(ctx), resource, rc_object_namespace(child), rc_object_name(child),
                             RC_PATCH_JSON, text, strlen(text), NULL, out, err);
    free(text);
    return rc;
}

static int adopt(rc_reconcile_ctx *ctx, const char *resource, const rc_object *owner, const rc_object *child,
                 rc_object **out, rc_error *err)
{
    cJSON *ref = cJSON_CreateObject();
    cJSON_AddStringToObject(ref, "apiVersion", rc_object_api_version(owner));
    cJSON_AddStringToObject(ref, "kind", rc_object_kind(owner));
    cJSON_AddStringToObject(ref, "name", rc_object_name(owner));
    cJSON_AddStringToObject(ref, "uid", rc_object_uid(owner));
    cJSON_AddBoolToObject(ref, "controller", true);
    cJSON_AddBoolToObject(ref, "blockOwnerDeletion", true);
    cJSON *op = cJSON_CreateObject();
    cJSON_AddStringToObject(op, "op", "add");
    if (rc_object_owner_count(child)) {
        cJSON_AddStringToObject(op, "path", "/metadata/ownerReferences/-");
        cJSON_AddItemToObject(op, "value", ref);
    } else {
        cJSON_AddStringToObject(op, "path", "/metadata/ownerReferences");
        cJSON *arr = cJSON_AddArrayToObject(op, "value");
        cJSON_AddItemToArray(arr, ref);
    }
    return patch_child(ctx, resource, child, op, out, err);
}

static int release(rc_reconcile_ctx *ctx, const char *resource, const rc_object *owner, const rc_object *child,
                   rc_error *err)
{
    size_t n = rc_object_owner_count(child);
    for (size_t i = 0; i < n; i++) {
        rc_owner_ref ref;
        if (rc_object_owner(child, i, &ref) && ref.uid && !strcmp(ref.uid, rc_object_uid(owner))) {
            char path[64];
            snprintf(path, sizeof path, "/metadata/ownerReferences/%zu", i);
            cJSON *op = cJSON_CreateObject();
            cJSON_AddStringToObject(op, "op", "remove");
            cJSON_AddStringToObject(op, "path", path);
            return patch_child(ctx, resource, child, op, NULL, err);
        }
    }
    return 0;
}

/* The owner as the API has it now may still adopt: same uid, not being deleted. */
static bool owner_still_valid(rc_reconcile_ctx *ctx, const char *owner_resource, const rc_object *owner)
{
    rc_object *fresh = NULL;
    bool ok = rc_client_get(rc_ctx_client(ctx), owner_resource, rc_object_namespace(owner), rc_object_name(owner),
                            &fresh, NULL) == 0 &&
              rc_object_uid(fresh) && !strcmp(rc_object_uid(fresh), rc_object_uid(owner)) &&
              !rc_object_deletion_timestamp(fresh);
    rc_object_unref(fresh);
    return ok;
}

/* An API error about one child that only means it changed or vanished meanwhile. */
static bool skippable(int rc)
{
    return rc == RC_ENOTFOUND || rc == RC_EINVAL || rc == RC_ECONFLICT;
}

void rci_controller_index(void *ctx, const rc_object *obj, rc_index_values *out)
{
    (void)ctx;
    rc_owner_ref ref;
    if (rc_object_controller_ref(obj, &ref) && ref.uid) {
        rc_index_values_add(out, ref.uid);
        return;
    }
    const char *ns = rc_object_namespace(obj);
    char value[300];
    snprintf(value, sizeof value, RC_INDEX_ORPHAN_PREFIX "%s", ns ? ns : "");
    rc_index_values_add_copy(out, value);
}

/* The children owner may claim, in key order: through the controller index when the cache has one (those
 * controlled by owner, then the namespace's orphans), else every child in owner's namespace. */
static int claim_candidates(rc_reconcile_ctx *ctx, const char *child_resource, const rc_object *owner,
                            rc_object_list *out, rc_error *err)
{
    rci_source *src = rci_controller_find_read(ctx->c, child_resource, err);
    if (!src)
        return err && err->code ? err->code : RC_EINVAL;
    void *unused;
    const char *ns = rc_object_namespace(owner);
    if (!rci_manager_index_fn(ctx->c->m, src, RC_INDEX_CONTROLLER, &unused))
        return rc_ctx_list(ctx, child_resource, ns, NULL, out, err);
    char orphans[300];
    snprintf(orphans, sizeof orphans, RC_INDEX_ORPHAN_PREFIX "%s", ns ? ns : "");
    int rc = rc_ctx_by_index(ctx, child_resource, RC_INDEX_CONTROLLER, rc_object_uid(owner), out, err);
    size_t owned = out->count;
    if (!rc)
        rc = rc_ctx_by_index(ctx, child_resource, RC_INDEX_CONTROLLER, orphans, out, err);
    if (!rc && owned && out->count > owned)
        rci_sort_by_key(out, 0);
    return rc;
}

int rc_claim_children(rc_reconcile_ctx *ctx, const char *owner_resource, const rc_object *owner,
                      const char *child_resource, const rc_selector *sel, rc_claim_filter filter, void *filter_ctx,
                      rc_object_list *claimed, rc_error *err)
{
    if (!ctx || !owner_resource || !owner || !rc_object_uid(owner) || !child_resource || !sel || !claimed)
        return rc_error_set(err, RC_EINVAL, "claim_children: owner (with uid), resources, selector and output "
                                            "list are required");
    rc_object_list all;
    rc_object_list_init(&all);
    int rc = claim_candidates(ctx, child_resource, owner, &all, err);
    bool owner_deleting = rc_object_deletion_timestamp(owner) != NULL;
    int may_adopt = -1; /* unknown until the first orphan */
    for (size_t i = 0; rc == 0 && i < all.count; i++) {
        rc_object *child = all.items[i];
        bool match = rc_selector_matches_object(sel, child) && (!filter || filter(filter_ctx, owner, child));
        rc_owner_ref ref;
        rc_error e = {0};
        int r = 0;
        if (rc_object_controller_ref(child, &ref)) {
            if (!ref.uid || strcmp(ref.uid, rc_object_uid(owner)))
                continue;
            if (match)
                r = rc_object_list_append(claimed, child);
            else if (!owner_deleting)
                r = release(ctx, child_resource, owner, child, &e);
        } else if (match && !owner_deleting && !rc_object_deletion_timestamp(child)) {
            if (may_adopt < 0)
                may_adopt = owner_still_valid(ctx, owner_resource, owner);
            rc_object *adopted = NULL;
            if (may_adopt && (r = adopt(ctx, child_resource, owner, child, &adopted, &e)) == 0)
                r = rc_object_list_append(claimed, adopted);
            rc_object_unref(adopted);
        }
        if (r && !skippable(r)) {
            rc = r;
            rc_error_move(err, &e);
        }
        rc_error_clear(&e);
    }
    rc_object_list_clear(&all);
    return rc;
}
