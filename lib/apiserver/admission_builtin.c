/* admission_builtin.c - the default admission plugins of kube-apiserver that change what controllers
 * observe:
 *  - NamespaceLifecycle (validating): no new objects in a missing or terminating namespace; the
 *    namespaces default, kube-system and kube-public can never be deleted.
 *  - ServiceAccount (mutating): pods without spec.serviceAccountName run as "default" (lenient: the
 *    account need not exist, as without the token controller).
 *  - DefaultTolerationSeconds (mutating): pods tolerate the not-ready and unreachable NoExecute taints for
 *    300 s unless they already tolerate them.
 *  - DefaultStorageClass (mutating): a claim created without a class (no spec.storageClassName, not even
 *    "", and no beta class annotation) gets the default StorageClass's name; of several defaults the
 *    newest wins (then the first by name); with none the claim is left as it is.
 * They read other objects through req->client (a privileged client on the same server). */
#include "apiserver/admission_builtin.h"
#include "api/storage_class.h"

#include <string.h>

#include <reconcile/client.h>
#include <reconcile/listwatch.h>
#include <reconcile/object.h>

static const char *const immortal_namespaces[] = {"default", "kube-system", "kube-public", NULL};

static bool is_core(const rc_admission_request *req, const char *plural)
{
    const rc_resource_info *ri = req->resource;
    return ri && ri->plural && !strcmp(ri->plural, plural) && (!ri->group || !*ri->group);
}

static bool whole_object(const rc_admission_request *req)
{
    return !req->subresource || !*req->subresource;
}

static int namespace_lifecycle(void *ctx, const rc_admission_request *req, rc_error *err)
{
    (void)ctx;
    const char *plural = req->resource && req->resource->plural ? req->resource->plural : "";
    const char *name = req->name ? req->name : "";
    if (req->operation == RC_ADMIT_DELETE && is_core(req, "namespaces")) {
        for (size_t i = 0; immortal_namespaces[i]; i++)
            if (!strcmp(name, immortal_namespaces[i]))
                return rc_error_set(err, RC_EFORBIDDEN, "namespaces \"%s\" is forbidden: this namespace may not be deleted",
                                    name);
        return 0;
    }
    if (req->operation != RC_ADMIT_CREATE || !req->resource || !req->resource->namespaced || !req->namespace_ ||
        !*req->namespace_ || !req->client)
        return 0;
    rc_object *ns = NULL;
    rc_error local = {0};
    int rc = rc_client_get(req->client, "namespaces", "", req->namespace_, &ns, &local);
    if (rc == RC_ENOTFOUND) {
        rc_error_clear(&local);
        return rc_error_set(err, RC_ENOTFOUND, "namespaces \"%s\" not found", req->namespace_);
    }
    if (rc != 0) {
        rc_error_move(err, &local);
        return rc;
    }
    const char *phase = rc_object_get_str(ns, "status.phase");
    bool terminating = rc_object_deletion_timestamp(ns) || (phase && !strcmp(phase, "Terminating"));
    rc_object_unref(ns);
    if (!terminating)
        return 0;
    rc_error_set(err, RC_EFORBIDDEN,
                 "%s \"%s\" is forbidden: unable to create new content in namespace %s because it is being terminated",
                 plural, name, req->namespace_);
    rc_error_add_cause(err, NULL, "NamespaceTerminating", "namespace %s is being terminated", req->namespace_);
    return RC_EFORBIDDEN;
}

static cJSON *pod_spec(rc_admission_request *req)
{
    if (req->operation != RC_ADMIT_CREATE || !is_core(req, "pods") || !whole_object(req) ||
        !cJSON_IsObject(req->object))
        return NULL;
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(req->object, "spec");
    return cJSON_IsObject(spec) ? spec : NULL;
}

static int service_account(void *ctx, rc_admission_request *req, rc_error *err)
{
    (void)ctx;
    cJSON *spec = pod_spec(req);
    if (!spec)
        return 0;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(spec, "serviceAccountName");
    if (cJSON_IsString(name) && *name->valuestring)
        return 0;
    const cJSON *legacy = cJSON_GetObjectItemCaseSensitive(spec, "serviceAccount");
    const char *account = cJSON_IsString(legacy) && *legacy->valuestring ? legacy->valuestring : "default";
    cJSON *value = cJSON_CreateString(account);
    if (!value || (cJSON_GetObjectItemCaseSensitive(spec, "serviceAccountName")
                       ? !cJSON_ReplaceItemInObjectCaseSensitive(spec, "serviceAccountName", value)
                       : !cJSON_AddItemToObject(spec, "serviceAccountName", value))) {
        cJSON_Delete(value);
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    return 0;
}

/* Whether a toleration already covers `key` with effect NoExecute (an empty key or effect matches all). */
static bool tolerates(const cJSON *tolerations, const char *key)
{
    for (const cJSON *t = tolerations ? tolerations->child : NULL; t; t = t->next) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(t, "key");
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(t, "effect");
        bool key_ok = !cJSON_IsString(k) || !*k->valuestring || !strcmp(k->valuestring, key);
        bool effect_ok = !cJSON_IsString(e) || !*e->valuestring || !strcmp(e->valuestring, "NoExecute");
        if (key_ok && effect_ok)
            return true;
    }
    return false;
}

static int default_toleration_seconds(void *ctx, rc_admission_request *req, rc_error *err)
{
    (void)ctx;
    static const char *const keys[] = {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"};
    cJSON *spec = pod_spec(req);
    if (!spec)
        return 0;
    cJSON *tolerations = cJSON_GetObjectItemCaseSensitive(spec, "tolerations");
    if (tolerations && !cJSON_IsArray(tolerations))
        return 0; /* validation reports the wrong type */
    bool need[2] = {!tolerates(tolerations, keys[0]), !tolerates(tolerations, keys[1])};
    if (!need[0] && !need[1])
        return 0;
    if (!tolerations && !(tolerations = cJSON_AddArrayToObject(spec, "tolerations")))
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    for (size_t i = 0; i < 2; i++) {
        if (!need[i])
            continue;
        cJSON *t = cJSON_CreateObject();
        if (!t || !cJSON_AddStringToObject(t, "key", keys[i]) || !cJSON_AddStringToObject(t, "operator", "Exists") ||
            !cJSON_AddStringToObject(t, "effect", "NoExecute") ||
            !cJSON_AddNumberToObject(t, "tolerationSeconds", RCI_DEFAULT_TOLERATION_SECONDS) ||
            !cJSON_AddItemToArray(tolerations, t)) {
            cJSON_Delete(t);
            return rc_error_set(err, RC_ENOMEM, "out of memory");
        }
    }
    return 0;
}

static int default_storage_class(void *ctx, rc_admission_request *req, rc_error *err)
{
    (void)ctx;
    if (req->operation != RC_ADMIT_CREATE || !is_core(req, "persistentvolumeclaims") || !whole_object(req) ||
        !cJSON_IsObject(req->object) || !req->client)
        return 0;
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(req->object, "spec");
    const cJSON *annotations =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(req->object, "metadata"), "annotations");
    const cJSON *named = cJSON_IsObject(spec) ? cJSON_GetObjectItemCaseSensitive(spec, "storageClassName") : NULL;
    if (!cJSON_IsObject(spec) || (named && !cJSON_IsNull(named)) ||
        cJSON_GetObjectItemCaseSensitive(annotations, "volume.beta.kubernetes.io/storage-class"))
        return 0; /* the claim names its class (or none, with ""), or validation reports the bad spec */
    cJSON_DeleteItemFromObjectCaseSensitive(spec, "storageClassName"); /* null: as if absent */
    rc_object_list classes;
    rc_object_list_init(&classes);
    rc_error local = {0};
    int rc = rc_client_list(req->client, "storageclasses", "", NULL, &classes, &local);
    if (rc != 0) {
        rc_object_list_clear(&classes);
        rc_error_move(err, &local);
        return rc;
    }
    const rc_object *chosen = rci_default_storage_class(&classes);
    if (chosen && !cJSON_AddStringToObject(spec, "storageClassName", rc_object_name(chosen)))
        rc = rc_error_set(err, RC_ENOMEM, "out of memory");
    rc_object_list_clear(&classes);
    return rc;
}

int rci_admission_builtin(rc_admission_plugin *out, size_t cap)
{
    const rc_admission_plugin plugins[] = {
        {"NamespaceLifecycle", NULL, namespace_lifecycle, NULL, NULL},
        {"ServiceAccount", service_account, NULL, NULL, NULL},
        {"DefaultTolerationSeconds", default_toleration_seconds, NULL, NULL, NULL},
        {"DefaultStorageClass", default_storage_class, NULL, NULL, NULL},
    };
    size_t n = sizeof plugins / sizeof plugins[0];
    if (n > cap)
        n = cap;
    for (size_t i = 0; i < n; i++)
        out[i] = plugins[i];
    return (int)n;
}
