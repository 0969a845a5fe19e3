/* volumes.c - the volume binder (upstream's PersistentVolume controller, Immediate binding mode): a
 * Pending PersistentVolumeClaim is bound to the smallest Available PersistentVolume of its storage class
 * with enough capacity and the access modes it asks for; when none fits and the class exists, a volume is
 * provisioned for it ("pvc-<claim uid>", reclaim policy from the class). A claim created while no class
 * was the default is first given the default once there is one (upstream's retroactive default).
 * Binding writes the volume's claimRef and phase, then the claim's volumeName and phase, as upstream. */
#include "sim/internal.h"
#include "api/storage_class.h"

#include <reconcile/values.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct binder {
    rc_sim *sim;
    rc_store *claims; /* borrowed cache */
} binder;

static int64_t storage_of(rc_node n)
{
    rc_quantity q;
    return rc_node_exists(n) && rc_quantity_from_node(n, NULL, &q, NULL) == 0 ? rc_quantity_value(q) : 0;
}

static bool modes_cover(rc_node have, rc_node want)
{
    for (size_t i = 0; i < rc_node_len(want); i++) {
        const char *w = rc_node_str(rc_node_index(want, i));
        bool found = false;
        for (size_t j = 0; w && !found && j < rc_node_len(have); j++) {
            const char *h = rc_node_str(rc_node_index(have, j));
            found = h && !strcmp(h, w);
        }
        if (!found)
            return false;
    }
    return true;
}

/* The claim's class ("" for none) and, when that class is among classes, its object in *cls. */
static const char *claim_class(const rc_object_list *classes, const rc_object *pvc, rc_object **cls)
{
    *cls = NULL;
    const char *name = rc_object_get_str(pvc, "spec.storageClassName");
    for (size_t i = 0; name && i < classes->count && !*cls; i++)
        if (!strcmp(name, rc_object_name(classes->items[i])))
            *cls = rc_object_ref(classes->items[i]);
    return name ? name : "";
}

/* Upstream's retroactive default StorageClass: a claim created while no class was the default (no
 * storageClassName, not even "", and no beta class annotation) is given the default among classes once
 * one exists. True when this wrote it (the claim's update brings the claim back); false when the claim
 * keeps its class or none, or when the write failed (err set). */
static bool give_default_class(rc_reconcile_ctx *ctx, const rc_object_list *classes, const rc_object *pvc,
                               rc_error *err)
{
    rc_node named = rc_object_at(pvc, "spec.storageClassName");
    rc_object *def = rci_default_storage_class(classes);
    if (!def || (rc_node_exists(named) && rc_node_kind(named) != RC_NODE_NULL) ||
        rc_object_annotation(pvc, "volume.beta.kubernetes.io/storage-class"))
        return false;
    rc_object *draft = rc_object_copy(pvc);
    int rc = draft ? rc_object_set_str(draft, "spec.storageClassName", rc_object_name(def)) : RC_ENOMEM;
    bool given = false;
    if (rc == 0)
        given = rc_client_update(rc_ctx_client(ctx), "persistentvolumeclaims", NULL, draft, NULL, NULL, err) == 0;
    else
        rc_error_set(err, rc, "out of memory");
    rc_object_unref(draft);
    return given;
}

static rc_object *find_volume(rc_reconcile_ctx *ctx, const rc_object *pvc, const char *cls, int64_t want)
{
    rc_object_list pvs;
    rc_object_list_init(&pvs);
    rc_ctx_list(ctx, "persistentvolumes", NULL, NULL, &pvs, NULL);
    rc_object *best = NULL;
    int64_t best_size = 0;
    for (size_t i = 0; i < pvs.count; i++) {
        rc_object *pv = pvs.items[i];
        const char *pcls = rc_object_get_str(pv, "spec.storageClassName");
        const char *phase = rc_object_get_str(pv, "status.phase");
        int64_t size = storage_of(rc_object_at(pv, "spec.capacity.storage"));
        bool free_phase = !phase || !strcmp(phase, "Available") || !strcmp(phase, "Pending");
        if (rc_node_exists(rc_object_at(pv, "spec.claimRef")) || !free_phase ||
            strcmp(pcls ? pcls : "", cls) || size < want ||
            !modes_cover(rc_object_at(pv, "spec.accessModes"), rc_object_at(pvc, "spec.accessModes")))
            continue;
        if (!best || size < best_size) { /* list order is by name: ties keep the first */
            best = pv;
            best_size = size;
        }
    }
    rc_object_ref(best);
    rc_object_list_clear(&pvs);
    return best;
}

static cJSON *claim_ref(const rc_object *pvc)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "apiVersion", "v1");
    cJSON_AddStringToObject(r, "kind", "PersistentVolumeClaim");
    cJSON_AddStringToObject(r, "namespace", rc_object_namespace(pvc));
    cJSON_AddStringToObject(r, "name", rc_object_name(pvc));
    cJSON_AddStringToObject(r, "uid", rc_object_uid(pvc) ? rc_object_uid(pvc) : "");
    return r;
}

static rc_object *provision(rc_reconcile_ctx *ctx, const rc_object *pvc, const rc_object *cls, rc_error *err)
{
    char name[128], path[192];
    snprintf(name, sizeof name, "pvc-%s", rc_object_uid(pvc) ? rc_object_uid(pvc) : rc_object_name(pvc));
    snprintf(path, sizeof path, "/var/lib/rcsim/%s", name);
    const char *policy = rc_object_get_str(cls, "reclaimPolicy");
    const char *prov = rc_object_get_str(cls, "provisioner");
    cJSON *pv = cJSON_CreateObject();
    cJSON_AddStringToObject(pv, "apiVersion", "v1");
    cJSON_AddStringToObject(pv, "kind", "PersistentVolume");
    cJSON *meta = cJSON_AddObjectToObject(pv, "metadata");
    cJSON_AddStringToObject(meta, "name", name);
    cJSON *ann = cJSON_AddObjectToObject(meta, "annotations");
    cJSON_AddStringToObject(ann, "pv.kubernetes.io/provisioned-by", prov ? prov : "rcsim");
    cJSON *spec = cJSON_AddObjectToObject(pv, "spec");
    cJSON_AddItemToObject(spec, "accessModes", rc_node_to_cjson(rc_object_at(pvc, "spec.accessModes")));
    cJSON *cap = cJSON_AddObjectToObject(spec, "capacity");
    cJSON_AddItemToObject(cap, "storage", rc_node_to_cjson(rc_object_at(pvc, "spec.resources.requests.storage")));
    cJSON_AddItemToObject(spec, "claimRef", claim_ref(pvc));
    cJSON_AddStringToObject(cJSON_AddObjectToObject(spec, "hostPath"), "path", path);
    cJSON_AddStringToObject(spec, "persistentVolumeReclaimPolicy", policy ? policy : "Delete");
    cJSON_AddStringToObject(spec, "storageClassName", rc_object_name(cls));
    rc_object *draft = rc_object_new_draft(pv);
    if (!draft) {
        cJSON_Delete(pv);
        rc_error_set(err, RC_ENOMEM, "out of memory");
        return NULL;
    }
    rc_object *out = NULL;
    rc_client_create(rc_ctx_client(ctx), "persistentvolumes", NULL, draft, NULL, &out, err);
    rc_object_unref(draft);
    return out;
}

static int set_phase(void *arg, rc_object *draft, rc_error *err)
{
    (void)err;
    return rc_object_set_str(draft, "status.phase", arg);
}

typedef struct claim_status {
    const rc_object *pv;
} claim_status;

static int set_claim_bound(void *arg, rc_object *draft, rc_error *err)
{
    const claim_status *c = arg;
    int rc = rc_object_set_str(draft, "status.phase", "Bound");
    cJSON *modes = rc_node_to_cjson(rc_object_at(c->pv, "spec.accessModes"));
    cJSON *cap = rc_node_to_cjson(rc_object_at(c->pv, "spec.capacity"));
    if (rc == 0 && modes)
        rc = rc_object_set_json(draft, "status.accessModes", modes);
    else
        cJSON_Delete(modes);
    if (rc == 0 && cap)
        rc = rc_object_set_json(draft, "status.capacity", cap);
    else
        cJSON_Delete(cap);
    return rc ? rc_error_set(err, rc, "out of memory") : 0;
}

/* Writes the binding: volume claimRef + Bound, claim volumeName + Bound. */
static int bind_claim(rc_reconcile_ctx *ctx, const rc_object *pvc, rc_object *pv, rc_error *err)
{
    rc_client *c = rc_ctx_client(ctx);
    rc_object *stored = NULL;
    int rc = 0;
    if (!rc_node_exists(rc_object_at(pv, "spec.claimRef"))) {
        rc_object *draft = rc_object_copy(pv);
        rc = draft ? rc_object_set_json(draft, "spec.claimRef", claim_ref(pvc)) : RC_ENOMEM;
        if (rc == 0)
            rc = rc_client_update(c, "persistentvolumes", NULL, draft, NULL, &stored, err);
        rc_object_unref(draft);
    } else {
        stored = rc_object_ref(pv);
    }
    if (rc == 0)
        rc = rc_update_status(ctx, "persistentvolumes", stored, set_phase, "Bound", NULL, err);
    rc_object *claim = NULL;
    if (rc == 0) {
        rc_object *draft = rc_object_copy(pvc);
        rc = draft ? rc_object_set_str(draft, "spec.volumeName", rc_object_name(pv)) : RC_ENOMEM;
        if (rc == 0)
            rc = rc_client_update(c, "persistentvolumeclaims", NULL, draft, NULL, &claim, err);
        rc_object_unref(draft);
    }
    claim_status cs = {stored};
    if (rc == 0)
        rc = rc_update_status(ctx, "persistentvolumeclaims", claim, set_claim_bound, &cs, NULL, err);
    rc_object_unref(claim);
    rc_object_unref(stored);
    return rc;
}

static rc_result reconcile(void *self, rc_reconcile_ctx *ctx, const char *key)
{
    (void)self;
    rc_object *pvc = NULL;
    rc_error err = {0};
    int rc = rc_ctx_get_key(ctx, "persistentvolumeclaims", key, &pvc, &err);
    if (rc == RC_ENOTFOUND) {
        rc_error_clear(&err);
        return rc_result_done();
    }
    if (rc != 0)
        return rc_result_from_error(ctx, &err);
    const char *phase = rc_object_get_str(pvc, "status.phase");
    if ((phase && !strcmp(phase, "Bound")) || rc_object_deletion_timestamp(pvc)) {
        rc_object_unref(pvc);
        return rc_result_done();
    }
    rc_object_list classes;
    rc_object_list_init(&classes);
    rc_ctx_list(ctx, "storageclasses", NULL, NULL, &classes, NULL);
    if (give_default_class(ctx, &classes, pvc, &err) || err.code) {
        rc_object_list_clear(&classes);
        rc_object_unref(pvc);
        return err.code ? rc_result_from_error(ctx, &err) : rc_result_done();
    }
    rc_object *cls = NULL;
    const char *class_name = claim_class(&classes, pvc, &cls);
    rc_object_list_clear(&classes);
    int64_t want = storage_of(rc_object_at(pvc, "spec.resources.requests.storage"));
    rc_object *pv = find_volume(ctx, pvc, class_name, want);
    if (!pv && cls)
        pv = provision(ctx, pvc, cls, &err);
    rc_result res = rc_result_done();
    if (pv) {
        if (bind_claim(ctx, pvc, pv, &err) != 0)
            res = rc_result_from_error(ctx, &err);
    } else if (err.code) {
        res = rc_result_from_error(ctx, &err);
    } else if (!phase || strcmp(phase, "Pending")) {
        rc_update_status(ctx, "persistentvolumeclaims", pvc, set_phase, "Pending", NULL, NULL);
        rc_ctx_event(ctx, pvc, "Normal", "FailedBinding",
                     "no persistent volumes available for this claim and no storage class is set");
    }
    rc_error_clear(&err);
    rc_object_unref(pv);
    rc_object_unref(cls);
    rc_object_unref(pvc);
    return res;
}

static bool add_pending(void *ctx, rc_object *pvc)
{
    const char *phase = rc_object_get_str(pvc, "status.phase");
    if (!phase || strcmp(phase, "Bound"))
        rc_keys_add(ctx, rc_object_key(pvc));
    return true;
}

/* Map function: a volume or class appearing may let any pending claim bind. */
static void pending_claims(void *ctx, const rc_object *obj, rc_keys *out)
{
    (void)obj;
    binder *b = ctx;
    rc_store_foreach(b->claims, add_pending, out);
}

static int setup(void *self, rc_builder *b, rc_error *err)
{
    int rc = rc_builder_for(b, "persistentvolumeclaims", NULL, err);
    if (rc == 0)
        rc = rc_builder_watches(b, "persistentvolumes", pending_claims, self, NULL, err);
    if (rc == 0)
        rc = rc_builder_watches(b, "storageclasses", pending_claims, self, NULL, err);
    return rc;
}

static void destroy(void *self)
{
    binder *b = self;
    rci_sim_unref(b->sim);
    free(b);
}

static const rc_controller_ops binder_ops = {"volume-binder", setup, reconcile, destroy};

int rci_sim_add_volume_binder(rc_sim *sim, rc_error *err)
{
    binder *b = calloc(1, sizeof *b);
    if (!b)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    b->sim = sim;
    rci_sim_ref(sim);
    b->claims = rc_manager_cache(sim->mgr, "persistentvolumeclaims", err);
    if (!b->claims) {
        destroy(b);
        return err ? err->code : RC_EINTERNAL;
    }
    return rci_sim_add_controller(sim, &binder_ops, b, rci_sim_client_as(sim, RC_SIM_SA_USER(RC_SIM_SA_VOLUME_BINDER), NULL),
                                  err);
}
