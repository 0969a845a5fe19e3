/* validate_meta.c - rules every object shares: metadata (names per kind, generateName, namespace scope,
 * labels, annotations, owner references, finalizers, immutable identity on update), the DNS/path name
 * grammars with upstream's messages, LabelSelector syntax and matching, quantities, and small JSON helpers
 * the other validate_*.c files use. */
#include "apiserver/validate.h"
#include "apiserver/tree_equal.h"

#include <stdlib.h>
#include <string.h>

#include <reconcile/selector.h>
#include <reconcile/values.h>

/* ---- JSON helpers ---- */

const cJSON *rci_obj(const cJSON *o, const char *key)
{
    const cJSON *m = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
    return cJSON_IsObject(m) ? m : NULL;
}

const cJSON *rci_arr(const cJSON *o, const char *key)
{
    const cJSON *m = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
    return cJSON_IsArray(m) ? m : NULL;
}

const char *rci_str(const cJSON *o, const char *key)
{
    const cJSON *m = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
    return cJSON_IsString(m) ? m->valuestring : NULL;
}

const cJSON *rci_num(const cJSON *o, const char *key)
{
    const cJSON *m = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
    return cJSON_IsNumber(m) ? m : NULL;
}

bool rci_int(const cJSON *o, const char *key, long long *out)
{
    const cJSON *m = rci_num(o, key);
    if (!m || m->valuedouble != (double)(long long)m->valuedouble)
        return false;
    *out = (long long)m->valuedouble;
    return true;
}

bool rci_in_list(const char *s, const char *const *list)
{
    for (size_t i = 0; s && list[i]; i++)
        if (!strcmp(s, list[i]))
            return true;
    return false;
}

void rci_v_enum(rci_vctx *v, const cJSON *parent, const char *key, const char *const *allowed)
{
    const cJSON *n = cJSON_IsObject(parent) ? cJSON_GetObjectItemCaseSensitive(parent, key) : NULL;
    if (cJSON_IsString(n) && !rci_in_list(n->valuestring, allowed))
        rci_v_not_supported(v, key, n, allowed);
}

bool rci_json_equivalent(const cJSON *a, const cJSON *b)
{
    if (cJSON_IsNull(a))
        a = NULL;
    if (cJSON_IsNull(b))
        b = NULL;
    if (!a || !b)
        return a == b;
    return rci_tree_equal(a, b);
}

void rci_v_immutable(rci_vctx *v, const char *child, const cJSON *now, const cJSON *old)
{
    if (rci_json_equivalent(now, old))
        return;
    if (cJSON_IsObject(now) && !cJSON_GetArraySize(now) && !old)
        return; /* {} and absent decode to the same Go value */
    rci_v_invalid(v, child, now, "field is immutable");
}

void rci_v_nonneg(rci_vctx *v, const cJSON *parent, const char *child, bool required)
{
    const cJSON *n = cJSON_IsObject(parent) ? cJSON_GetObjectItemCaseSensitive(parent, child) : NULL;
    if (!n || cJSON_IsNull(n)) {
        if (required)
            rci_v_required(v, child, NULL);
        return;
    }
    if (cJSON_IsNumber(n) && n->valuedouble < 0)
        rci_v_invalid(v, child, n, "must be greater than or equal to 0");
    else if (cJSON_IsNumber(n) && n->valuedouble > 2147483647.0)
        rci_v_invalid(v, child, n, "must be less than or equal to 2147483647");
}

/* ---- name grammars ---- */

static bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

static bool dns_label_ok(const char *s, size_t n, bool first_alpha)
{
    if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
        return false;
    if (first_alpha && !(s[0] >= 'a' && s[0] <= 'z'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_lower_alnum(s[i]) && s[i] != '-')
            return false;
    return true;
}

static const char label_msg[] =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
    "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
static const char subdomain_msg[] =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
static const char dns1035_msg[] =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

const char *rci_dns1123_label_error(const char *s)
{
    return dns_label_ok(s, strlen(s), false) ? NULL : label_msg;
}

const char *rci_dns1035_label_error(const char *s)
{
    return dns_label_ok(s, strlen(s), true) ? NULL : dns1035_msg;
}

const char *rci_dns1123_subdomain_error(const char *s)
{
    for (const char *p = s;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (!dns_label_ok(p, n, false))
            return subdomain_msg;
        if (!dot)
            return NULL;
        p = dot + 1;
    }
}

const char *rci_path_segment_error(const char *s)
{
    if (strcmp(s, ".") == 0)
        return "may not be '.'";
    if (strcmp(s, "..") == 0)
        return "may not be '..'";
    if (strchr(s, '/'))
        return "may not contain '/'";
    if (strchr(s, '%'))
        return "may not contain '%'";
    return NULL;
}

static void v_name(rci_vctx *v, const char *child, const char *value, size_t max, const char *(*grammar)(const char *))
{
    if (strlen(value) > max)
        rci_v_invalid_str(v, child, value, "must be no more than %zu characters", max);
    const char *msg = grammar(value);
    if (msg)
        rci_v_invalid_str(v, child, value, "%s", msg);
}

void rci_v_dns_label(rci_vctx *v, const char *child, const char *value)
{
    v_name(v, child, value, 63, rci_dns1123_label_error);
}

void rci_v_dns_subdomain(rci_vctx *v, const char *child, const char *value)
{
    v_name(v, child, value, 253, rci_dns1123_subdomain_error);
}

/* ---- labels and selectors ---- */

/* Adds the error rc_validate_label_key/value reported, stripping a leading "<field>: " from its text. */
static void add_label_error(rci_vctx *v, rc_error *e)
{
    const char *msg = e->message ? e->message : "invalid";
    size_t n = strlen(v->path);
    if (strncmp(msg, v->path, n) == 0 && strncmp(msg + n, ": ", 2) == 0)
        msg += n + 2;
    rci_v_add(v, v->path, "FieldValueInvalid", msg);
    rc_error_clear(e);
}

void rci_v_qualified_name(rci_vctx *v, const char *child, const char *key)
{
    size_t mark = child ? rci_vctx_push(v, child) : v->len;
    rc_error e = {0};
    if (rc_validate_label_key(key, v->path, &e) != 0)
        add_label_error(v, &e);
    rci_vctx_pop(v, mark);
}

void rci_v_labels(rci_vctx *v, const char *child, const cJSON *labels)
{
    if (!cJSON_IsObject(labels))
        return;
    size_t mark = rci_vctx_push(v, child);
    for (const cJSON *l = labels->child; l; l = l->next) {
        rc_error e = {0};
        rci_v_qualified_name(v, NULL, l->string);
        if (cJSON_IsString(l) && rc_validate_label_value(l->valuestring, v->path, &e) != 0)
            add_label_error(v, &e);
    }
    rci_vctx_pop(v, mark);
}

bool rci_v_label_selector(rci_vctx *v, const char *child, const cJSON *selector)
{
    size_t before = v->nerrs;
    size_t mark = rci_vctx_push(v, child);
    rci_v_labels(v, "matchLabels", rci_obj(selector, "matchLabels"));
    const cJSON *exprs = rci_arr(selector, "matchExpressions");
    size_t i = 0;
    for (const cJSON *e = exprs ? exprs->child : NULL; e; e = e->next, i++) {
        size_t m2 = rci_vctx_push(v, "matchExpressions");
        rci_vctx_push_index(v, i);
        const char *op = rci_str(e, "operator");
        const cJSON *values = rci_arr(e, "values");
        int nvalues = values ? cJSON_GetArraySize(values) : 0;
        if (!op) {
            rci_v_required(v, "operator", NULL);
        } else if (!strcmp(op, "In") || !strcmp(op, "NotIn")) {
            if (nvalues == 0)
                rci_v_required(v, "values", "must be specified when `operator` is 'In' or 'NotIn'");
        } else if (!strcmp(op, "Exists") || !strcmp(op, "DoesNotExist")) {
            if (nvalues > 0)
                rci_v_forbidden(v, "values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
        } else {
            rci_v_invalid_str(v, "operator", op, "not a valid selector operator");
        }
        const char *key = rci_str(e, "key");
        rci_v_qualified_name(v, "key", key ? key : "");
        rci_vctx_pop(v, m2);
    }
    rci_vctx_pop(v, mark);
    return v->nerrs == before;
}

bool rci_selector_matches_labels(const cJSON *selector, const cJSON *labels)
{
    rc_selector *s = rc_selector_from_node(rc_node_from_cjson(selector), "", NULL);
    if (!s)
        return false;
    bool ok = rc_selector_matches(s, rc_node_from_cjson(labels));
    rc_selector_free(s);
    return ok;
}

/* ---- quantities ---- */

static const char quantity_msg[] =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

const char *rci_quantity_error(const cJSON *q, rc_quantity *out)
{
    rc_quantity parsed;
    if (rc_quantity_from_node(rc_node_from_cjson(q), NULL, &parsed, NULL) != 0)
        return quantity_msg;
    if (out)
        *out = parsed;
    return NULL;
}

/* ---- metadata ---- */

typedef const char *(*name_grammar)(const char *);

static name_grammar name_rule(const rc_resource_info *ri, size_t *max)
{
    const char *group = ri->group ? ri->group : "";
    *max = 253;
    if (!strcmp(group, "") && !strcmp(ri->kind, "Namespace")) {
        *max = 63;
        return rci_dns1123_label_error;
    }
    if (!strcmp(group, "") && !strcmp(ri->kind, "Service")) {
        *max = 63;
        return rci_dns1035_label_error;
    }
    if (!strcmp(group, "rbac.authorization.k8s.io")) {
        *max = (size_t)-1;
        return rci_path_segment_error;
    }
    if (!strcmp(group, "batch") && !strcmp(ri->kind, "CronJob"))
        *max = 52;
    return rci_dns1123_subdomain_error;
}

/* generateName is a prefix: a trailing '-' is allowed (upstream masks it before checking). */
static void validate_generate_name(rci_vctx *v, const char *gen, name_grammar rule)
{
    size_t n = strlen(gen);
    char *masked = malloc(n + 2);
    if (!masked) {
        v->oom = true;
        return;
    }
    memcpy(masked, gen, n + 1);
    if (n > 0 && masked[n - 1] == '-')
        masked[n - 1] = 'a';
    const char *msg = rule(masked);
    if (msg)
        rci_v_invalid_str(v, "generateName", gen, "%s", msg);
    free(masked);
}

static void validate_owner_refs(rci_vctx *v, const cJSON *refs)
{
    size_t mark = rci_vctx_push(v, "ownerReferences");
    const char *controller = NULL;
    for (const cJSON *r = refs ? refs->child : NULL; r; r = r->next) {
        const char *api = rci_str(r, "apiVersion"), *kind = rci_str(r, "kind");
        const char *name = rci_str(r, "name"), *uid = rci_str(r, "uid");
        if (!api || !*api)
            rci_v_invalid_str(v, "apiVersion", api, "version must not be empty");
        if (!kind || !*kind)
            rci_v_invalid_str(v, "kind", kind, "kind must not be empty");
        if (!name || !*name)
            rci_v_invalid_str(v, "name", name, "name must not be empty");
        if (!uid || !*uid)
            rci_v_invalid_str(v, "uid", uid, "uid must not be empty");
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "controller"))) {
            if (controller)
                rci_v_invalid_raw(v, NULL, "[]v1.OwnerReference{...}",
                                  "Only one reference can have Controller set to true. Found \"true\" in references "
                                  "for %s and %s", controller, name ? name : "");
            controller = name ? name : "";
        }
    }
    rci_vctx_pop(v, mark);
}

static void validate_finalizers(rci_vctx *v, const cJSON *finalizers)
{
    size_t mark = rci_vctx_push(v, "finalizers");
    bool orphan = false, foreground = false;
    size_t i = 0;
    for (const cJSON *f = finalizers ? finalizers->child : NULL; f; f = f->next, i++) {
        if (!cJSON_IsString(f))
            continue;
        size_t m = rci_vctx_push_index(v, i);
        rci_v_qualified_name(v, NULL, f->valuestring);
        rci_vctx_pop(v, m);
        orphan |= !strcmp(f->valuestring, "orphan");
        foreground |= !strcmp(f->valuestring, "foregroundDeletion");
    }
    if (orphan && foreground)
        rci_v_invalid_raw(v, NULL, "[]string{\"orphan\", \"foregroundDeletion\"}",
                          "finalizer orphan and foregroundDeletion cannot be both set");
    rci_vctx_pop(v, mark);
}

static void validate_annotations(rci_vctx *v, const cJSON *annotations)
{
    if (!annotations)
        return;
    size_t mark = rci_vctx_push(v, "annotations");
    size_t total = 0;
    for (const cJSON *a = annotations->child; a; a = a->next) {
        rci_v_qualified_name(v, NULL, a->string);
        total += strlen(a->string) + (cJSON_IsString(a) ? strlen(a->valuestring) : 0);
    }
    if (total > 262144)
        rci_v_too_long(v, NULL, "must have at most 262144 bytes");
    rci_vctx_pop(v, mark);
}

void rci_validate_object_meta(rci_vctx *v, const rc_resource_info *ri, const cJSON *obj, const cJSON *old)
{
    const cJSON *meta = rci_obj(obj, "metadata");
    size_t mark = rci_vctx_push(v, "metadata");
    size_t max;
    name_grammar rule = name_rule(ri, &max);
    const char *name = rci_str(meta, "name"), *gen = rci_str(meta, "generateName");
    if (gen && *gen)
        validate_generate_name(v, gen, rule);
    if (!name || !*name) {
        if (!gen || !*gen)
            rci_v_required(v, "name", "name or generateName is required");
    } else {
        v_name(v, "name", name, max, rule);
    }
    const char *ns = rci_str(meta, "namespace");
    if (ri->namespaced && (!ns || !*ns))
        rci_v_required(v, "namespace", NULL);
    else if (ri->namespaced)
        v_name(v, "namespace", ns, 63, rci_dns1123_label_error);
    else if (ns && *ns)
        rci_v_forbidden(v, "namespace", "not allowed on this type");
    rci_v_labels(v, "labels", rci_obj(meta, "labels"));
    validate_annotations(v, rci_obj(meta, "annotations"));
    validate_owner_refs(v, rci_arr(meta, "ownerReferences"));
    validate_finalizers(v, rci_arr(meta, "finalizers"));
    if (old) {
        const cJSON *old_meta = rci_obj(old, "metadata");
        static const char *const identity[] = {"name", "namespace", "uid"};
        for (size_t i = 0; i < sizeof identity / sizeof identity[0]; i++) {
            const char *now = rci_str(meta, identity[i]), *was = rci_str(old_meta, identity[i]);
            if (now && *now && was && strcmp(now, was) != 0)
                rci_v_invalid_str(v, identity[i], now, "field is immutable");
        }
    }
    rci_vctx_pop(v, mark);
}
