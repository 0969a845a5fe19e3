/* validate_misc.c - the remaining built-in kinds: Service (type, ports, clusterIP, session affinity),
 * ConfigMap and Secret (keys, sizes, immutability), PersistentVolumeClaim, RBAC Role/ClusterRole rules and
 * RoleBinding/ClusterRoleBinding subjects and roleRef, and the CustomResourceDefinition object itself
 * (names, group, scope, versions, exactly one storage version, schema well-formedness). */
#include "apiserver/validate.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* ---- Service ---- */

static bool ip_ok(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static void validate_service_port(rci_vctx *v, const cJSON *ports, const cJSON *p, const char *type, bool many)
{
    static const char *const protocols[] = {"SCTP", "TCP", "UDP", NULL};
    const char *name = rci_str(p, "name");
    if (!name || !*name) {
        if (many)
            rci_v_required(v, "name", NULL);
    } else {
        rci_v_dns_label(v, "name", name);
        for (const cJSON *o = ports->child; o != p; o = o->next)
            if (rci_str(o, "name") && !strcmp(rci_str(o, "name"), name)) {
                rci_v_duplicate(v, "name", cJSON_GetObjectItemCaseSensitive(p, "name"));
                break;
            }
    }
    long long port = 0;
    if (!rci_int(p, "port", &port) || port < 1 || port > 65535)
        rci_v_invalid_int(v, "port", port, "must be between 1 and 65535, inclusive");
    rci_v_enum(v, p, "protocol", protocols);
    const cJSON *target = cJSON_GetObjectItemCaseSensitive(p, "targetPort");
    if (cJSON_IsNumber(target) && (target->valuedouble < 1 || target->valuedouble > 65535))
        rci_v_invalid(v, "targetPort", target, "must be between 1 and 65535, inclusive");
    else if (cJSON_IsString(target) && (strlen(target->valuestring) > 15 || !*target->valuestring))
        rci_v_invalid(v, "targetPort", target, "must be no more than 15 characters");
    long long node_port = 0;
    if (rci_int(p, "nodePort", &node_port) && node_port != 0) {
        if (strcmp(type, "NodePort") && strcmp(type, "LoadBalancer"))
            rci_v_forbidden(v, "nodePort", type[0] == 'C' ? "may not be used when `type` is 'ClusterIP'"
                                                          : "may not be used when `type` is 'ExternalName'");
        else if (node_port < 1 || node_port > 65535)
            rci_v_invalid_int(v, "nodePort", node_port, "must be between 1 and 65535, inclusive");
    }
}

void rci_validate_service(rci_vctx *v, const cJSON *obj, const cJSON *old)
{
    static const char *const types[] = {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort", NULL};
    static const char *const affinity[] = {"ClientIP", "None", NULL};
    const cJSON *spec = rci_obj(obj, "spec");
    size_t mark = rci_vctx_push(v, "spec");
    const char *type = rci_str(spec, "type");
    if (!type)
        type = "ClusterIP";
    rci_v_enum(v, spec, "type", types);
    rci_v_enum(v, spec, "sessionAffinity", affinity);
    const char *cip = rci_str(spec, "clusterIP");
    bool headless = cip && !strcmp(cip, "None");
    if (cip && *cip && !headless && !ip_ok(cip))
        rci_v_invalid_str(v, "clusterIP", cip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
    if (headless && (!strcmp(type, "NodePort") || !strcmp(type, "LoadBalancer")))
        rci_v_invalid_str(v, "clusterIP", cip, "may not be set to 'None' for %s services", type);
    const cJSON *ports = rci_arr(spec, "ports");
    int nports = ports ? cJSON_GetArraySize(ports) : 0;
    if (!strcmp(type, "ExternalName")) {
        const char *ext = rci_str(spec, "externalName");
        if (!ext || !*ext)
            rci_v_required(v, "externalName", NULL);
        else
            rci_v_dns_subdomain(v, "externalName", ext);
    } else if (nports == 0 && !headless) {
        rci_v_required(v, "ports", NULL);
    }
    size_t mp = rci_vctx_push(v, "ports"), i = 0;
    for (const cJSON *p = ports ? ports->child : NULL; p; p = p->next, i++) {
        size_t m = rci_vctx_push_index(v, i);
        validate_service_port(v, ports, p, type, nports > 1);
        rci_vctx_pop(v, m);
    }
    rci_vctx_pop(v, mp);
    rci_v_labels(v, "selector", rci_obj(spec, "selector"));
    if (old) {
        const char *was = rci_str(rci_obj(old, "spec"), "clusterIP");
        if (cip && *cip && was && *was && strcmp(cip, was) != 0)
            rci_v_invalid_str(v, "clusterIP", cip, "field is immutable");
    }
    rci_vctx_pop(v, mark);
}

/* ---- ConfigMap and Secret ---- */

static void validate_data_keys(rci_vctx *v, const char *child, const cJSON *data, const cJSON *other,
                               const char *other_name, size_t *total)
{
    for (const cJSON *d = data ? data->child : NULL; d; d = d->next) {
        size_t m = rci_vctx_push(v, child);
        rci_vctx_push_key(v, d->string);
        const char *k = d->string;
        if (!*k || strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != strlen(k))
            rci_v_invalid_str(v, NULL, k,
                              "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
                              "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
                              "'[-._a-zA-Z0-9]+')");
        else if (strlen(k) > 253)
            rci_v_invalid_str(v, NULL, k, "must be no more than 253 characters");
        else if (!strcmp(k, ".") || !strcmp(k, ".."))
            rci_v_invalid_str(v, NULL, k, "must not be '.' or '..'");
        if (other && cJSON_GetObjectItemCaseSensitive(other, k))
            rci_v_invalid_str(v, NULL, k, "duplicate of key present in %s", other_name);
        *total += cJSON_IsString(d) ? strlen(d->valuestring) : 0;
        rci_vctx_pop(v, m);
    }
}

/* Objects with immutable: true keep their data and the flag. */
static void immutable_data(rci_vctx *v, const cJSON *obj, const cJSON *old, const char *const *fields)
{
    if (!old || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(old, "immutable")))
        return;
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "immutable")))
        rci_v_forbidden(v, "immutable", "field is immutable when `immutable` is set");
    for (size_t i = 0; fields[i]; i++)
        if (!rci_json_equivalent(cJSON_GetObjectItemCaseSensitive(obj, fields[i]),
                            cJSON_GetObjectItemCaseSensitive(old, fields[i])))
            rci_v_forbidden(v, fields[i], "field is immutable when `immutable` is set");
}

void rci_validate_configmap(rci_vctx *v, const cJSON *obj, const cJSON *old)
{
    static const char *const fields[] = {"data", "binaryData", NULL};
    size_t total = 0;
    const cJSON *data = rci_obj(obj, "data"), *bin = rci_obj(obj, "binaryData");
    validate_data_keys(v, "data", data, bin, "binaryData", &total);
    validate_data_keys(v, "binaryData", bin, NULL, NULL, &total);
    if (total > 1048576)
        rci_v_too_long(v, "data", "must have at most 1048576 bytes");
    immutable_data(v, obj, old, fields);
}

static bool base64_ok(const char *s)
{
    size_t n = strlen(s), pad = 0;
    if (n % 4)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '=') {
            pad++;
            if (i < n - 2)
                return false;
        } else if (pad || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                            c == '+' || c == '/')) {
            return false;
        }
    }
    return true;
}

void rci_validate_secret(rci_vctx *v, const cJSON *obj, const cJSON *old)
{
    static const char *const fields[] = {"data", NULL};
    size_t total = 0;
    const cJSON *data = rci_obj(obj, "data");
    validate_data_keys(v, "data", data, NULL, NULL, &total);
    validate_data_keys(v, "stringData", rci_obj(obj, "stringData"), NULL, NULL, &total);
    for (const cJSON *d = data ? data->child : NULL; d; d = d->next)
        if (cJSON_IsString(d) && !base64_ok(d->valuestring)) {
            size_t m = rci_vctx_push(v, "data");
            rci_vctx_push_key(v, d->string);
            rci_v_invalid_raw(v, NULL, "\"<secret contents redacted>\"", "illegal base64 data");
            rci_vctx_pop(v, m);
        }
    if (total > 1048576)
        rci_v_too_long(v, "data", "must have at most 1048576 bytes");
    const char *type = rci_str(obj, "type");
    if (type && !strcmp(type, "kubernetes.io/tls")) {
        static const char *const keys[] = {"data[tls.crt]", "data[tls.key]"};
        static const char *const names[] = {"tls.crt", "tls.key"};
        for (size_t i = 0; i < 2; i++)
            if (!cJSON_GetObjectItemCaseSensitive(data, names[i]) &&
                !cJSON_GetObjectItemCaseSensitive(rci_obj(obj, "stringData"), names[i]))
                rci_v_required(v, keys[i], NULL);
    }
    if (old) {
        const char *was = rci_str(old, "type");
        if (type && was && strcmp(type, was) != 0)
            rci_v_invalid_str(v, "type", type, "field is immutable");
    }
    immutable_data(v, obj, old, fields);
}

/* ---- PersistentVolumeClaim ---- */

void rci_validate_pvc(rci_vctx *v, const cJSON *obj, const cJSON *old)
{
    static const char *const modes[] = {"ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod", NULL};
    const cJSON *spec = rci_obj(obj, "spec");
    size_t mark = rci_vctx_push(v, "spec");
    const cJSON *access = rci_arr(spec, "accessModes");
    if (!access || !access->child)
        rci_v_required(v, "accessModes", "at least 1 access mode is required");
    size_t i = 0;
    for (const cJSON *a = access ? access->child : NULL; a; a = a->next, i++)
        if (cJSON_IsString(a) && !rci_in_list(a->valuestring, modes)) {
            size_t m = rci_vctx_push(v, "accessModes");
            rci_v_not_supported(v, NULL, a, modes);
            rci_vctx_pop(v, m);
        }
    const cJSON *storage = cJSON_GetObjectItemCaseSensitive(rci_obj(rci_obj(spec, "resources"), "requests"), "storage");
    if (!storage) {
        rci_v_required(v, "resources[storage]", NULL);
    } else {
        const char *msg = rci_quantity_error(storage, NULL);
        if (msg)
            rci_v_invalid(v, "resources[storage]", storage, "%s", msg);
    }
    if (old) {
        cJSON *a = cJSON_Duplicate(spec, true), *b = cJSON_Duplicate(rci_obj(old, "spec"), true);
        static const char *const mutable_fields[] = {"resources", "volumeName", "volumeAttributesClassName"};
        for (size_t k = 0; a && b && k < 3; k++) {
            cJSON_DeleteItemFromObjectCaseSensitive(a, mutable_fields[k]);
            cJSON_DeleteItemFromObjectCaseSensitive(b, mutable_fields[k]);
        }
        /* a claim created without a class may be given one later (upstream's retroactive default
         * StorageClass), unless it names its class in the beta annotation */
        const cJSON *was = b ? cJSON_GetObjectItemCaseSensitive(b, "storageClassName") : NULL;
        const cJSON *beta = cJSON_GetObjectItemCaseSensitive(rci_obj(rci_obj(old, "metadata"), "annotations"),
                                                             "volume.beta.kubernetes.io/storage-class");
        if (a && (!was || cJSON_IsNull(was)) && !beta)
            cJSON_DeleteItemFromObjectCaseSensitive(a, "storageClassName");
        if (b && was && cJSON_IsNull(was))
            cJSON_DeleteItemFromObjectCaseSensitive(b, "storageClassName");
        if (a && b && !rci_json_equivalent(a, b))
            rci_v_forbidden(v, NULL,
                            "spec is immutable after creation except resources.requests and "
                            "volumeAttributesClassName for bound claims");
        cJSON_Delete(a);
        cJSON_Delete(b);
    }
    rci_vctx_pop(v, mark);
}

/* ---- RBAC ---- */

static void validate_policy_rule(rci_vctx *v, const cJSON *rule, bool namespaced)
{
    const cJSON *verbs = rci_arr(rule, "verbs"), *urls = rci_arr(rule, "nonResourceURLs");
    const cJSON *groups = rci_arr(rule, "apiGroups"), *resources = rci_arr(rule, "resources");
    const cJSON *names = rci_arr(rule, "resourceNames");
    if (!verbs || !verbs->child)
        rci_v_required(v, "verbs", "verbs must contain at least one value");
    if (urls && urls->child) {
        if (namespaced)
            rci_v_invalid(v, "nonResourceURLs", urls, "namespaced rules cannot apply to non-resource URLs");
        if ((groups && groups->child) || (resources && resources->child) || (names && names->child))
            rci_v_invalid(v, "nonResourceURLs", urls, "rules cannot apply to both regular resources and non-resource URLs");
        return;
    }
    if (!groups || !groups->child)
        rci_v_required(v, "apiGroups", "resource rules must supply at least one api group");
    if (!resources || !resources->child)
        rci_v_required(v, "resources", "resource rules must supply at least one resource");
}

void rci_validate_rbac_role(rci_vctx *v, const cJSON *obj, const cJSON *old)
{
    (void)old;
    bool namespaced = !strcmp(rci_str(obj, "kind") ? rci_str(obj, "kind") : "Role", "Role");
    const cJSON *rules = rci_arr(obj, "rules");
    size_t mark = rci_vctx_push(v, "rules"), i = 0;
    for (const cJSON *r = rules ? rules->child : NULL; r; r = r->next, i++) {
        size_t m = rci_vctx_push_index(v, i);
        validate_policy_rule(v, r, namespaced);
        rci_vctx_pop(v, m);
    }
    rci_vctx_pop(v, mark);
}

static void validate_subject(rci_vctx *v, const cJSON *s, bool cluster)
{
    static const char *const kinds[] = {"ServiceAccount", "User", "Group", NULL};
    static const char *const core_group[] = {"", NULL};
    static const char *const rbac_group[] = {"rbac.authorization.k8s.io", NULL};
    const char *kind = rci_str(s, "kind"), *name = rci_str(s, "name"), *group = rci_str(s, "apiGroup");
    if (!name || !*name)
        rci_v_required(v, "name", NULL);
    if (!kind || !rci_in_list(kind, kinds)) {
        cJSON *empty = kind ? NULL : cJSON_CreateString("");
        rci_v_not_supported(v, "kind", kind ? cJSON_GetObjectItemCaseSensitive(s, "kind") : empty, kinds);
        cJSON_Delete(empty);
        return;
    }
    if (!strcmp(kind, "ServiceAccount")) {
        if (group && *group)
            rci_v_not_supported(v, "apiGroup", cJSON_GetObjectItemCaseSensitive(s, "apiGroup"), core_group);
        if (name && *name)
            rci_v_dns_subdomain(v, "name", name);
        const char *ns = rci_str(s, "namespace");
        if (cluster && (!ns || !*ns))
            rci_v_required(v, "namespace", NULL);
    } else if (group && strcmp(group, "rbac.authorization.k8s.io") != 0) {
        rci_v_not_supported(v, "apiGroup", cJSON_GetObjectItemCaseSensitive(s, "apiGroup"), rbac_group);
    }
}

void rci_validate_rbac_binding(rci_vctx *v, const cJSON *obj, const cJSON *old)
{
    static const char *const ns_kinds[] = {"Role", "ClusterRole", NULL};
    static const char *const cluster_kinds[] = {"ClusterRole", NULL};
    static const char *const rbac_group[] = {"rbac.authorization.k8s.io", NULL};
    bool cluster = rci_str(obj, "kind") && !strcmp(rci_str(obj, "kind"), "ClusterRoleBinding");
    const cJSON *ref = rci_obj(obj, "roleRef");
    if (!ref) {
        rci_v_required(v, "roleRef", NULL);
    } else {
        size_t m = rci_vctx_push(v, "roleRef");
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(ref, "kind");
        const char *const *kinds = cluster ? cluster_kinds : ns_kinds;
        if (!cJSON_IsString(kind) || !rci_in_list(kind->valuestring, kinds))
            rci_v_not_supported(v, "kind", kind, kinds);
        const char *name = rci_str(ref, "name");
        if (!name || !*name)
            rci_v_required(v, "name", NULL);
        else if (rci_path_segment_error(name))
            rci_v_invalid_str(v, "name", name, "%s", rci_path_segment_error(name));
        const cJSON *group = cJSON_GetObjectItemCaseSensitive(ref, "apiGroup");
        if (!cJSON_IsString(group) || strcmp(group->valuestring, "rbac.authorization.k8s.io") != 0)
            rci_v_not_supported(v, "apiGroup", group, rbac_group);
        rci_vctx_pop(v, m);
    }
    const cJSON *subjects = rci_arr(obj, "subjects");
    size_t mark = rci_vctx_push(v, "subjects"), i = 0;
    for (const cJSON *s = subjects ? subjects->child : NULL; s; s = s->next, i++) {
        size_t m = rci_vctx_push_index(v, i);
        validate_subject(v, s, cluster);
        rci_vctx_pop(v, m);
    }
    rci_vctx_pop(v, mark);
    if (old && ref && !rci_json_equivalent(ref, rci_obj(old, "roleRef")))
        rci_v_invalid(v, "roleRef", ref, "cannot change roleRef");
}

/* ---- CustomResourceDefinition ---- */

static void validate_crd_versions(rci_vctx *v, const cJSON *versions)
{
    size_t mark = rci_vctx_push(v, "versions"), i = 0;
    int storage = 0, served = 0;
    for (const cJSON *ver = versions ? versions->child : NULL; ver; ver = ver->next, i++) {
        size_t m = rci_vctx_push_index(v, i);
        const char *name = rci_str(ver, "name");
        if (!name || !*name) {
            rci_v_required(v, "name", NULL);
        } else {
            const char *msg = rci_dns1035_label_error(name);
            if (msg)
                rci_v_invalid_str(v, "name", name, "%s", msg);
            for (const cJSON *o = versions->child; o != ver; o = o->next)
                if (rci_str(o, "name") && !strcmp(rci_str(o, "name"), name)) {
                    rci_v_duplicate(v, "name", cJSON_GetObjectItemCaseSensitive(ver, "name"));
                    break;
                }
        }
        storage += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ver, "storage"));
        served += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ver, "served"));
        const cJSON *schema = rci_obj(rci_obj(ver, "schema"), "openAPIV3Schema");
        size_t ms = rci_vctx_push(v, "schema.openAPIV3Schema");
        if (!schema) {
            rci_v_required(v, NULL, "schemas are required");
        } else {
            const char *type = rci_str(schema, "type");
            if (!type || strcmp(type, "object") != 0) {
                static const char *const object_only[] = {"object", NULL};
                cJSON *empty = type ? NULL : cJSON_CreateString("");
                rci_v_not_supported(v, "type", type ? cJSON_GetObjectItemCaseSensitive(schema, "type") : empty,
                                    object_only);
                cJSON_Delete(empty);
            }
            rci_crd_check_schema(v, schema);
        }
        rci_vctx_pop(v, ms);
        const cJSON *scale = rci_obj(rci_obj(ver, "subresources"), "scale");
        if (scale) {
            size_t mc = rci_vctx_push(v, "subresources.scale");
            if (!rci_str(scale, "specReplicasPath"))
                rci_v_required(v, "specReplicasPath", NULL);
            if (!rci_str(scale, "statusReplicasPath"))
                rci_v_required(v, "statusReplicasPath", NULL);
            rci_vctx_pop(v, mc);
        }
        rci_vctx_pop(v, m);
    }
    if (!versions || !versions->child)
        rci_v_required(v, NULL, "must have exactly one version marked as storage version");
    else if (storage != 1)
        rci_v_invalid_raw(v, NULL, "[]apiextensions.CustomResourceDefinitionVersion{...}",
                          "must have exactly one version marked as storage version");
    else if (served == 0)
        rci_v_invalid_raw(v, NULL, "[]apiextensions.CustomResourceDefinitionVersion{...}",
                          "must have at least one version marked as served");
    rci_vctx_pop(v, mark);
}

void rci_validate_crd(rci_vctx *v, const cJSON *obj, const cJSON *old)
{
    static const char *const scopes[] = {"Cluster", "Namespaced", NULL};
    const cJSON *spec = rci_obj(obj, "spec");
    const char *group = rci_str(spec, "group");
    const cJSON *names = rci_obj(spec, "names");
    const char *plural = rci_str(names, "plural"), *kind = rci_str(names, "kind");
    const char *name = rci_str(rci_obj(obj, "metadata"), "name");
    if (name && group && plural) {
        size_t np = strlen(plural);
        if (strncmp(name, plural, np) != 0 || name[np] != '.' || strcmp(name + np + 1, group) != 0)
            rci_v_invalid_str(v, "metadata.name", name, "must be spec.names.plural+\".\"+spec.group");
    }
    size_t mark = rci_vctx_push(v, "spec");
    if (!group || !*group)
        rci_v_required(v, "group", NULL);
    else if (!strchr(group, '.'))
        rci_v_invalid_str(v, "group", group, "should be a domain with at least one dot");
    else
        rci_v_dns_subdomain(v, "group", group);
    const cJSON *scope = cJSON_GetObjectItemCaseSensitive(spec, "scope");
    if (!cJSON_IsString(scope) || !rci_in_list(scope->valuestring, scopes))
        rci_v_not_supported(v, "scope", scope, scopes);
    size_t mn = rci_vctx_push(v, "names");
    if (!plural || !*plural)
        rci_v_required(v, "plural", NULL);
    else
        rci_v_dns_label(v, "plural", plural);
    const char *singular = rci_str(names, "singular");
    if (singular && *singular)
        rci_v_dns_label(v, "singular", singular);
    if (!kind || !*kind)
        rci_v_required(v, "kind", NULL);
    rci_vctx_pop(v, mn);
    validate_crd_versions(v, rci_arr(spec, "versions"));
    if (old) {
        const cJSON *old_spec = rci_obj(old, "spec");
        rci_v_immutable(v, "group", cJSON_GetObjectItemCaseSensitive(spec, "group"),
                        cJSON_GetObjectItemCaseSensitive(old_spec, "group"));
        rci_v_immutable(v, "scope", scope, cJSON_GetObjectItemCaseSensitive(old_spec, "scope"));
    }
    rci_vctx_pop(v, mark);
}
