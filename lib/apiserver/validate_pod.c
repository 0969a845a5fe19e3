/* validate_pod.c - Pod and pod template rules as upstream ValidatePodSpec applies them: containers (names,
 * images, ports, env, resources, volume mounts, probes), volumes, restart/DNS policies, tolerations,
 * and which fields of a running Pod an update may change. */
#include "apiserver/tree_equal.h"
#include "apiserver/validate.h"
#include "util/map.h"

#include <stdlib.h>
#include <string.h>

static void v_port_number(rci_vctx *v, const cJSON *parent, const char *key, bool required)
{
    long long port = 0;
    if (!rci_int(parent, key, &port) || port == 0) {
        if (required)
            rci_v_required(v, key, NULL);
        return;
    }
    if (port < 1 || port > 65535)
        rci_v_invalid_int(v, key, port, "must be between 1 and 65535, inclusive");
}

static void validate_ports(rci_vctx *v, const cJSON *ports)
{
    static const char *const protocols[] = {"SCTP", "TCP", "UDP", NULL};
    size_t mark = rci_vctx_push(v, "ports"), i = 0;
    for (const cJSON *p = ports ? ports->child : NULL; p; p = p->next, i++) {
        size_t m = rci_vctx_push_index(v, i);
        const char *name = rci_str(p, "name");
        if (name && *name) {
            if (strlen(name) > 15)
                rci_v_invalid_str(v, "name", name, "must be no more than 15 characters");
            for (const cJSON *q = ports->child; q != p; q = q->next) {
                const char *other = rci_str(q, "name");
                if (other && !strcmp(other, name)) {
                    rci_v_duplicate(v, "name", cJSON_GetObjectItemCaseSensitive(p, "name"));
                    break;
                }
            }
        }
        v_port_number(v, p, "containerPort", true);
        v_port_number(v, p, "hostPort", false);
        rci_v_enum(v, p, "protocol", protocols);
        rci_vctx_pop(v, m);
    }
    rci_vctx_pop(v, mark);
}

static bool env_name_ok(const char *s)
{
    if (!*s || (*s >= '0' && *s <= '9'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
              *s == '-' || *s == '.'))
            return false;
    return true;
}

static void validate_env(rci_vctx *v, const cJSON *env)
{
    size_t mark = rci_vctx_push(v, "env"), i = 0;
    for (const cJSON *e = env ? env->child : NULL; e; e = e->next, i++) {
        size_t m = rci_vctx_push_index(v, i);
        const char *name = rci_str(e, "name");
        if (!name || !*name)
            rci_v_required(v, "name", NULL);
        else if (!env_name_ok(name))
            rci_v_invalid_str(v, "name", name,
                              "a valid environment variable name must consist of alphabetic characters, digits, "
                              "'_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or "
                              "'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is "
                              "'[-._a-zA-Z][-._a-zA-Z0-9]*')");
        if (rci_str(e, "value") && rci_obj(e, "valueFrom"))
            rci_v_invalid_str(v, "valueFrom", "", "may not be specified when `value` is not empty");
        rci_vctx_pop(v, m);
    }
    rci_vctx_pop(v, mark);
}

static void validate_resource_list(rci_vctx *v, const char *child, const cJSON *list)
{
    size_t mark = rci_vctx_push(v, child);
    for (const cJSON *q = list ? list->child : NULL; q; q = q->next) {
        size_t m = rci_vctx_push_key(v, q->string);
        rc_quantity value;
        const char *msg = rci_quantity_error(q, &value);
        if (msg)
            rci_v_invalid(v, NULL, q, "%s", msg);
        else if (rc_quantity_sign(value) < 0)
            rci_v_invalid(v, NULL, q, "must be greater than or equal to 0");
        rci_vctx_pop(v, m);
    }
    rci_vctx_pop(v, mark);
}

/* Each request must not exceed the limit of the same resource. */
static void validate_requests_within_limits(rci_vctx *v, const cJSON *res)
{
    const cJSON *limits = rci_obj(res, "limits"), *requests = rci_obj(res, "requests");
    for (const cJSON *r = requests ? requests->child : NULL; r; r = r->next) {
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(limits, r->string);
        rc_quantity rq, lq;
        if (!l || rci_quantity_error(r, &rq) || rci_quantity_error(l, &lq) || rc_quantity_cmp(rq, lq) <= 0)
            continue;
        char text[RC_QUANTITY_STRLEN];
        rc_quantity_to_string(lq, text, sizeof text);
        size_t m = rci_vctx_push(v, "requests");
        rci_vctx_push_key(v, r->string);
        rci_v_invalid(v, NULL, r, "must be less than or equal to %s limit of %s", r->string, text);
        rci_vctx_pop(v, m);
    }
}

static void validate_probe(rci_vctx *v, const char *child, const cJSON *probe)
{
    if (!probe)
        return;
    static const char *const counts[] = {"initialDelaySeconds", "timeoutSeconds", "periodSeconds",
                                         "successThreshold", "failureThreshold"};
    size_t mark = rci_vctx_push(v, child);
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        rci_v_nonneg(v, probe, counts[i], false);
    int handlers = !!rci_obj(probe, "exec") + !!rci_obj(probe, "httpGet") + !!rci_obj(probe, "tcpSocket") +
                   !!rci_obj(probe, "grpc");
    if (handlers == 0)
        rci_v_required(v, NULL, "must specify a handler type");
    else if (handlers > 1)
        rci_v_forbidden(v, NULL, "may not specify more than 1 handler type");
    rci_vctx_pop(v, mark);
}

/* True when name was seen before in `names`; otherwise records it (names are borrowed from the tree).
 * Hash sets keep uniqueness checks linear: a pod with 100k containers must not take minutes. */
static bool seen_before(rci_map *names, const char *name)
{
    if (rci_map_get(names, name))
        return true;
    rci_map_put(names, name, (void *)name, NULL);
    return false;
}

/* volume_names: the pod's volume names (built once per pod spec). */
static void validate_volume_mounts(rci_vctx *v, const cJSON *mounts, const rci_map *volume_names)
{
    rci_map paths;
    rci_map_init(&paths);
    size_t mark = rci_vctx_push(v, "volumeMounts"), i = 0;
    for (const cJSON *m = mounts ? mounts->child : NULL; m; m = m->next, i++) {
        size_t mi = rci_vctx_push_index(v, i);
        const char *name = rci_str(m, "name"), *path = rci_str(m, "mountPath");
        if (!name || !*name) {
            rci_v_required(v, "name", NULL);
        } else {
            if (!rci_map_get(volume_names, name))
                rci_v_not_found(v, "name", cJSON_GetObjectItemCaseSensitive(m, "name"));
        }
        if (!path || !*path) {
            rci_v_required(v, "mountPath", NULL);
        } else if (seen_before(&paths, path)) {
            rci_v_invalid_str(v, "mountPath", path, "must be unique");
        }
        rci_vctx_pop(v, mi);
    }
    rci_vctx_pop(v, mark);
    rci_map_free(&paths);
}

static void validate_container(rci_vctx *v, const cJSON *c, const rci_map *volume_names)
{
    static const char *const pull[] = {"Always", "IfNotPresent", "Never", NULL};
    static const char *const msg_policy[] = {"File", "FallbackToLogsOnError", NULL};
    const char *name = rci_str(c, "name"), *image = rci_str(c, "image");
    if (!name || !*name)
        rci_v_required(v, "name", NULL);
    else
        rci_v_dns_label(v, "name", name);
    if (!image || !*image)
        rci_v_required(v, "image", NULL);
    else if (strspn(image, " \t") || image[strlen(image) - 1] == ' ')
        rci_v_invalid_str(v, "image", image, "must not have leading or trailing whitespace");
    rci_v_enum(v, c, "imagePullPolicy", pull);
    rci_v_enum(v, c, "terminationMessagePolicy", msg_policy);
    validate_ports(v, rci_arr(c, "ports"));
    validate_env(v, rci_arr(c, "env"));
    const cJSON *res = rci_obj(c, "resources");
    if (res) {
        size_t m = rci_vctx_push(v, "resources");
        validate_resource_list(v, "limits", rci_obj(res, "limits"));
        validate_resource_list(v, "requests", rci_obj(res, "requests"));
        validate_requests_within_limits(v, res);
        rci_vctx_pop(v, m);
    }
    validate_volume_mounts(v, rci_arr(c, "volumeMounts"), volume_names);
    validate_probe(v, "livenessProbe", rci_obj(c, "livenessProbe"));
    validate_probe(v, "readinessProbe", rci_obj(c, "readinessProbe"));
    validate_probe(v, "startupProbe", rci_obj(c, "startupProbe"));
}

/* Containers of one list; names must be unique across init and regular containers. */
static void validate_containers(rci_vctx *v, const cJSON *spec, const char *key, const rci_map *volume_names)
{
    const cJSON *list = rci_arr(spec, key);
    const cJSON *init = rci_arr(spec, "initContainers");
    rci_map seen;
    rci_map_init(&seen);
    for (const cJSON *o = init && list != init ? init->child : NULL; o; o = o->next)
        if (rci_str(o, "name"))
            seen_before(&seen, rci_str(o, "name"));
    size_t mark = rci_vctx_push(v, key), i = 0;
    for (const cJSON *c = list ? list->child : NULL; c; c = c->next, i++) {
        size_t m = rci_vctx_push_index(v, i);
        validate_container(v, c, volume_names);
        const char *name = rci_str(c, "name");
        if (name && seen_before(&seen, name))
            rci_v_duplicate(v, "name", cJSON_GetObjectItemCaseSensitive(c, "name"));
        rci_vctx_pop(v, m);
    }
    rci_vctx_pop(v, mark);
    rci_map_free(&seen);
}

static void validate_volumes(rci_vctx *v, const cJSON *volumes)
{
    rci_map seen;
    rci_map_init(&seen);
    size_t mark = rci_vctx_push(v, "volumes"), i = 0;
    for (const cJSON *vol = volumes ? volumes->child : NULL; vol; vol = vol->next, i++) {
        size_t m = rci_vctx_push_index(v, i);
        const char *name = rci_str(vol, "name");
        if (!name || !*name) {
            rci_v_required(v, "name", NULL);
        } else {
            rci_v_dns_label(v, "name", name);
            if (seen_before(&seen, name))
                rci_v_duplicate(v, "name", cJSON_GetObjectItemCaseSensitive(vol, "name"));
        }
        int sources = 0;
        for (const cJSON *f = vol->child; f; f = f->next)
            sources += strcmp(f->string, "name") != 0 && !cJSON_IsNull(f);
        if (sources == 0)
            rci_v_required(v, NULL, "must specify a volume type");
        else if (sources > 1)
            rci_v_forbidden(v, NULL, "may not specify more than 1 volume type");
        rci_vctx_pop(v, m);
    }
    rci_vctx_pop(v, mark);
    rci_map_free(&seen);
}

static void validate_tolerations(rci_vctx *v, const cJSON *tolerations)
{
    static const char *const ops[] = {"Equal", "Exists", NULL};
    static const char *const effects[] = {"NoSchedule", "PreferNoSchedule", "NoExecute", NULL};
    size_t mark = rci_vctx_push(v, "tolerations"), i = 0;
    for (const cJSON *t = tolerations ? tolerations->child : NULL; t; t = t->next, i++) {
        size_t m = rci_vctx_push_index(v, i);
        const char *key = rci_str(t, "key"), *op = rci_str(t, "operator"), *value = rci_str(t, "value");
        const char *effect = rci_str(t, "effect");
        const char *eff_op = op && *op ? op : "Equal";
        if (key && *key)
            rci_v_qualified_name(v, "key", key);
        else if (strcmp(eff_op, "Exists") != 0) {
            rci_v_invalid_str(v, "operator", eff_op,
                              "operator must be Exists when `key` is empty, which means \"match all values and all keys\"");
        }
        if (!strcmp(eff_op, "Exists") && value && *value)
            rci_v_invalid_str(v, "operator", value, "value must be empty when `operator` is 'Exists'");
        else if (!rci_in_list(eff_op, ops))
            rci_v_not_supported(v, "operator", cJSON_GetObjectItemCaseSensitive(t, "operator"), ops);
        if (effect && *effect && !rci_in_list(effect, effects))
            rci_v_not_supported(v, "effect", cJSON_GetObjectItemCaseSensitive(t, "effect"), effects);
        if (rci_num(t, "tolerationSeconds") && (!effect || strcmp(effect, "NoExecute") != 0))
            rci_v_invalid_str(v, "effect", effect ? effect : "",
                              "effect must be 'NoExecute' when `tolerationSeconds` is set");
        rci_vctx_pop(v, m);
    }
    rci_vctx_pop(v, mark);
}

void rci_validate_pod_spec(rci_vctx *v, const cJSON *spec, const char *const *restart_policies)
{
    static const char *const dns[] = {"ClusterFirst", "ClusterFirstWithHostNet", "Default", "None", NULL};
    size_t mark = rci_vctx_push(v, "spec");
    if (!spec) {
        rci_v_required(v, "containers", NULL);
        rci_vctx_pop(v, mark);
        return;
    }
    const cJSON *volumes = rci_arr(spec, "volumes");
    validate_volumes(v, volumes);
    const cJSON *containers = rci_arr(spec, "containers");
    if (!containers || cJSON_GetArraySize(containers) == 0)
        rci_v_required(v, "containers", NULL);
    rci_map volume_names;
    rci_map_init(&volume_names);
    for (const cJSON *vol = volumes ? volumes->child : NULL; vol; vol = vol->next)
        if (rci_str(vol, "name"))
            seen_before(&volume_names, rci_str(vol, "name"));
    validate_containers(v, spec, "initContainers", &volume_names);
    validate_containers(v, spec, "containers", &volume_names);
    rci_map_free(&volume_names);
    const cJSON *rp = cJSON_GetObjectItemCaseSensitive(spec, "restartPolicy");
    if (!cJSON_IsString(rp) || !*rp->valuestring) {
        if (!rci_in_list("Always", restart_policies)) {
            cJSON *empty = cJSON_CreateString("");
            rci_v_not_supported(v, "restartPolicy", empty, restart_policies);
            cJSON_Delete(empty);
        }
    } else if (!rci_in_list(rp->valuestring, restart_policies)) {
        rci_v_not_supported(v, "restartPolicy", rp, restart_policies);
    }
    rci_v_enum(v, spec, "dnsPolicy", dns);
    rci_v_nonneg(v, spec, "terminationGracePeriodSeconds", false);
    long long deadline;
    if (rci_int(spec, "activeDeadlineSeconds", &deadline) && (deadline < 1 || deadline > 2147483647))
        rci_v_invalid_int(v, "activeDeadlineSeconds", deadline, "must be between 1 and 2147483647, inclusive");
    rci_v_labels(v, "nodeSelector", rci_obj(spec, "nodeSelector"));
    const char *sa = rci_str(spec, "serviceAccountName");
    if (sa && *sa)
        rci_v_dns_subdomain(v, "serviceAccountName", sa);
    const char *node = rci_str(spec, "nodeName");
    if (node && *node)
        rci_v_dns_subdomain(v, "nodeName", node);
    validate_tolerations(v, rci_arr(spec, "tolerations"));
    rci_vctx_pop(v, mark);
}

void rci_validate_pod_template(rci_vctx *v, const cJSON *template_, const char *const *restart_policies)
{
    size_t mark = rci_vctx_push(v, "template");
    const cJSON *meta = rci_obj(template_, "metadata");
    size_t m = rci_vctx_push(v, "metadata");
    rci_v_labels(v, "labels", rci_obj(meta, "labels"));
    rci_vctx_pop(v, m);
    rci_validate_pod_spec(v, rci_obj(template_, "spec"), restart_policies);
    rci_vctx_pop(v, mark);
}

/* Objects a and b are equal but for the members skip() names (compared in place, no copies). */
static bool equal_except(const cJSON *a, const cJSON *b, bool (*skip)(const char *key, bool node_name_free),
                         bool node_name_free, bool (*same)(const char *key, const cJSON *x, const cJSON *y))
{
    size_t na = 0, nb = 0;
    for (const cJSON *x = a->child; x; x = x->next) {
        if (!x->string || skip(x->string, node_name_free))
            continue;
        na++;
        const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
        if (!y || !same(x->string, x, y))
            return false;
    }
    for (const cJSON *y = b->child; y; y = y->next)
        nb += y->string && !skip(y->string, node_name_free);
    return na == nb;
}

static bool is_image(const char *key, bool unused)
{
    (void)unused;
    return !strcmp(key, "image");
}

static bool plain_same(const char *key, const cJSON *x, const cJSON *y)
{
    (void)key;
    return rci_json_equivalent(x, y);
}

/* Container lists equal but for their images. */
static bool containers_same(const cJSON *x, const cJSON *y)
{
    if (!cJSON_IsArray(x) || !cJSON_IsArray(y))
        return rci_json_equivalent(x, y);
    const cJSON *a = x->child, *b = y->child;
    for (; a && b; a = a->next, b = b->next) {
        bool same = cJSON_IsObject(a) && cJSON_IsObject(b) ? equal_except(a, b, is_image, false, plain_same)
                                                           : rci_json_equivalent(a, b);
        if (!same)
            return false;
    }
    return !a && !b;
}

static bool spec_member_same(const char *key, const cJSON *x, const cJSON *y)
{
    return !strcmp(key, "containers") || !strcmp(key, "initContainers") ? containers_same(x, y)
                                                                        : rci_json_equivalent(x, y);
}

/* activeDeadlineSeconds and tolerations (checked on their own), nodeName while the pod has none. */
static bool free_spec_field(const char *key, bool node_name_free)
{
    return !strcmp(key, "activeDeadlineSeconds") || !strcmp(key, "tolerations") ||
           (node_name_free && !strcmp(key, "nodeName"));
}

/* The Pod spec fields an update may change: container images, activeDeadlineSeconds, additions to
 * tolerations, and (standing in for the pods/binding subresource) nodeName from unset to set. */
static bool pod_spec_update_allowed(const cJSON *spec, const cJSON *old_spec)
{
    if (rci_json_equivalent(spec, old_spec))
        return true; /* the common case (status and metadata writes) */
    bool node_name_free = !rci_str(old_spec, "nodeName") || !*rci_str(old_spec, "nodeName");
    return equal_except(spec, old_spec, free_spec_field, node_name_free, spec_member_same);
}

void rci_validate_pod(rci_vctx *v, const cJSON *obj, const cJSON *old)
{
    static const char *const policies[] = {"Always", "Never", "OnFailure", NULL};
    const cJSON *spec = rci_obj(obj, "spec");
    const cJSON *old_spec = old ? rci_obj(old, "spec") : NULL;
    if (spec && old_spec && rci_tree_equal(spec, old_spec))
        return; /* as stored, so valid (a status write, a label change): every rule below would pass */
    rci_validate_pod_spec(v, spec, policies);
    if (!old)
        return;
    if (spec && old_spec && !pod_spec_update_allowed(spec, old_spec))
        rci_v_forbidden(v, "spec",
                        "pod updates may not change fields other than `spec.containers[*].image`,"
                        "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
                        "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set "
                        "to 1 if it was previously negative)");
    const cJSON *old_tol = rci_arr(old_spec, "tolerations");
    const cJSON *new_tol = rci_arr(spec, "tolerations");
    for (const cJSON *t = old_tol ? old_tol->child : NULL; t; t = t->next) {
        bool kept = false;
        for (const cJSON *n = new_tol ? new_tol->child : NULL; n && !kept; n = n->next)
            kept = rci_json_equivalent(t, n);
        if (!kept) {
            rci_v_forbidden(v, "spec.tolerations", "existing toleration can not be modified except its tolerationSeconds");
            break;
        }
    }
}
