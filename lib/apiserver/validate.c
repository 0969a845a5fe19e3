/* validate.c - the entry point of built-in object validation (rci_apiserver_validate from hooks.h) and the
 * field-error machinery every validate_*.c file uses: the path stack, upstream's field error kinds and their
 * rendering, and the final "<Kind> \"name\" is invalid: [...]" Status. Kind-specific rules live in
 * validate_meta.c, validate_pod.c, validate_workloads.c and validate_misc.c; JSON type checking in
 * schema_table.c. */
#include "apiserver/hooks.h"
#include "apiserver/schema.h"
#include "apiserver/validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

/* ---- context and path ---- */

void rci_vctx_init(rci_vctx *v, const char *root)
{
    memset(v, 0, sizeof *v);
    snprintf(v->path, sizeof v->path, "%s", root ? root : "");
    v->len = strlen(v->path);
}

void rci_vctx_free(rci_vctx *v)
{
    for (size_t i = 0; i < v->nerrs; i++) {
        free(v->errs[i].field);
        free(v->errs[i].body);
    }
    free(v->errs);
    v->errs = NULL;
    v->nerrs = v->cap = 0;
}

static void path_append(rci_vctx *v, const char *text)
{
    size_t n = strlen(text);
    if (v->len + n >= sizeof v->path)
        n = sizeof v->path - 1 - v->len;
    memcpy(v->path + v->len, text, n);
    v->len += n;
    v->path[v->len] = '\0';
}

size_t rci_vctx_push(rci_vctx *v, const char *child)
{
    size_t mark = v->len;
    if (v->len > 0)
        path_append(v, ".");
    path_append(v, child);
    return mark;
}

size_t rci_vctx_push_index(rci_vctx *v, size_t i)
{
    size_t mark = v->len;
    char buf[32], *p = buf + sizeof buf; /* written backwards, without snprintf: once per list element */
    *--p = '\0';
    *--p = ']';
    do
        *--p = (char)('0' + i % 10);
    while (i /= 10);
    *--p = '[';
    path_append(v, p);
    return mark;
}

size_t rci_vctx_push_key(rci_vctx *v, const char *key)
{
    size_t mark = v->len;
    path_append(v, "[");
    path_append(v, key);
    path_append(v, "]");
    return mark;
}

void rci_vctx_pop(rci_vctx *v, size_t mark)
{
    if (mark <= v->len) {
        v->len = mark;
        v->path[mark] = '\0';
    }
}

/* ---- adding errors ---- */

static void push_error(rci_vctx *v, char *field, const char *type, char *body)
{
    if (field && body && v->nerrs == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        rci_field_error *grown = realloc(v->errs, cap * sizeof *grown);
        if (grown) {
            v->errs = grown;
            v->cap = cap;
        }
    }
    if (!field || !body || v->nerrs == v->cap) {
        v->oom = true;
        free(field);
        free(body);
        return;
    }
    v->errs[v->nerrs++] = (rci_field_error){field, type, body};
}

/* Adds an error at the current path plus child, taking ownership of body. */
static void add_owned(rci_vctx *v, const char *child, const char *type, char *body)
{
    size_t mark = v->len;
    if (child)
        rci_vctx_push(v, child);
    char *field = strdup(v->path);
    rci_vctx_pop(v, mark);
    push_error(v, field, type, body);
}

void rci_v_add(rci_vctx *v, const char *field, const char *type, const char *body)
{
    push_error(v, strdup(field ? field : ""), type, strdup(body ? body : ""));
}

/* "Label: detail" or "Label" when detail is empty. */
static char *with_detail(const char *label, const char *fmt, va_list ap)
{
    rci_strbuf b;
    rci_strbuf_init(&b);
    rci_strbuf_puts(&b, label);
    if (fmt && *fmt) {
        char *d = rci_vasprintf(fmt, ap);
        if (d && *d) {
            rci_strbuf_puts(&b, ": ");
            rci_strbuf_puts(&b, d);
        }
        free(d);
    }
    return rci_strbuf_take(&b);
}

static char *label_detail(const char *label, const char *fmt, ...) RC_PRINTF(2, 3);
static char *label_detail(const char *label, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = with_detail(label, fmt, ap);
    va_end(ap);
    return s;
}

void rci_v_required(rci_vctx *v, const char *child, const char *detail)
{
    add_owned(v, child, "FieldValueRequired", label_detail("Required value", "%s", detail ? detail : ""));
}

void rci_v_forbidden(rci_vctx *v, const char *child, const char *detail)
{
    add_owned(v, child, "FieldValueForbidden", label_detail("Forbidden", "%s", detail ? detail : ""));
}

void rci_v_too_long(rci_vctx *v, const char *child, const char *detail)
{
    add_owned(v, child, "FieldValueTooLong", label_detail("Too long", "%s", detail ? detail : ""));
}

static void invalid_va(rci_vctx *v, const char *child, const char *type, const char *rendered,
                       const char *fmt, va_list ap)
{
    char *label = rci_asprintf("Invalid value: %s", rendered ? rendered : "null");
    add_owned(v, child, type, label ? with_detail(label, fmt, ap) : NULL);
    free(label);
}

void rci_v_invalid_raw(rci_vctx *v, const char *child, const char *rendered, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    invalid_va(v, child, "FieldValueInvalid", rendered, fmt, ap);
    va_end(ap);
}

void rci_v_invalid(rci_vctx *v, const char *child, const cJSON *bad, const char *fmt, ...)
{
    char *rendered = rci_go_value(bad);
    va_list ap;
    va_start(ap, fmt);
    invalid_va(v, child, "FieldValueInvalid", rendered, fmt, ap);
    va_end(ap);
    free(rendered);
}

void rci_v_invalid_str(rci_vctx *v, const char *child, const char *bad, const char *fmt, ...)
{
    char *rendered = rci_go_quote(bad ? bad : "");
    va_list ap;
    va_start(ap, fmt);
    invalid_va(v, child, "FieldValueInvalid", rendered, fmt, ap);
    va_end(ap);
    free(rendered);
}

void rci_v_invalid_int(rci_vctx *v, const char *child, long long bad, const char *fmt, ...)
{
    char rendered[32];
    snprintf(rendered, sizeof rendered, "%lld", bad);
    va_list ap;
    va_start(ap, fmt);
    invalid_va(v, child, "FieldValueInvalid", rendered, fmt, ap);
    va_end(ap);
}

void rci_v_not_supported(rci_vctx *v, const char *child, const cJSON *bad, const char *const *supported)
{
    rci_strbuf b;
    rci_strbuf_init(&b);
    char *rendered = rci_go_value(bad);
    rci_strbuf_printf(&b, "Unsupported value: %s", rendered ? rendered : "null");
    free(rendered);
    if (supported && supported[0]) {
        rci_strbuf_puts(&b, ": supported values: ");
        for (size_t i = 0; supported[i]; i++) {
            char *q = rci_go_quote(supported[i]);
            rci_strbuf_printf(&b, "%s%s", i ? ", " : "", q ? q : "");
            free(q);
        }
    }
    add_owned(v, child, "FieldValueNotSupported", rci_strbuf_take(&b));
}

void rci_v_duplicate(rci_vctx *v, const char *child, const cJSON *bad)
{
    char *rendered = rci_go_value(bad);
    add_owned(v, child, "FieldValueDuplicate", rci_asprintf("Duplicate value: %s", rendered ? rendered : "null"));
    free(rendered);
}

void rci_v_not_found(rci_vctx *v, const char *child, const cJSON *bad)
{
    char *rendered = rci_go_value(bad);
    add_owned(v, child, "FieldValueNotFound", rci_asprintf("Not found: %s", rendered ? rendered : "null"));
    free(rendered);
}

static const char *json_type_name(const cJSON *n)
{
    if (!n || cJSON_IsNull(n)) return "null";
    if (cJSON_IsBool(n)) return "boolean";
    if (cJSON_IsString(n)) return "string";
    if (cJSON_IsArray(n)) return "array";
    if (cJSON_IsObject(n)) return "object";
    double d = n->valuedouble;
    return d == (double)(long long)d ? "integer" : "number";
}

void rci_v_type(rci_vctx *v, const char *child, const cJSON *bad, const char *want)
{
    size_t mark = child ? rci_vctx_push(v, child) : v->len;
    const char *got = json_type_name(bad);
    add_owned(v, NULL, "FieldValueTypeInvalid",
              rci_asprintf("Invalid value: \"%s\": %s in body must be of type %s: \"%s\"", got, v->path, want, got));
    rci_vctx_pop(v, mark);
}

/* ---- Go value rendering ---- */

char *rci_go_quote(const char *s)
{
    rci_strbuf b;
    rci_strbuf_init(&b);
    rci_strbuf_putc(&b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': rci_strbuf_puts(&b, "\\\""); break;
        case '\\': rci_strbuf_puts(&b, "\\\\"); break;
        case '\n': rci_strbuf_puts(&b, "\\n"); break;
        case '\t': rci_strbuf_puts(&b, "\\t"); break;
        case '\r': rci_strbuf_puts(&b, "\\r"); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                rci_strbuf_printf(&b, "\\x%02x", *p);
            else
                rci_strbuf_putc(&b, (char)*p);
        }
    }
    rci_strbuf_putc(&b, '"');
    return rci_strbuf_take(&b);
}

static void go_number(rci_strbuf *b, double d)
{
    if (d == (double)(long long)d && d < 1e18 && d > -1e18)
        rci_strbuf_printf(b, "%lld", (long long)d);
    else
        rci_strbuf_printf(b, "%.15g", d);
}

char *rci_go_value(const cJSON *value)
{
    if (!value || cJSON_IsNull(value))
        return strdup("null");
    if (cJSON_IsString(value))
        return rci_go_quote(value->valuestring);
    if (cJSON_IsBool(value))
        return strdup(cJSON_IsTrue(value) ? "true" : "false");
    if (cJSON_IsNumber(value)) {
        rci_strbuf b;
        rci_strbuf_init(&b);
        go_number(&b, value->valuedouble);
        return rci_strbuf_take(&b);
    }
    return cJSON_PrintUnformatted(value);
}

char *rci_go_string_map(const cJSON *map)
{
    if (!cJSON_IsObject(map))
        return strdup("map[string]string(nil)");
    /* Go prints maps with sorted keys. */
    size_t n = (size_t)cJSON_GetArraySize(map);
    const cJSON **items = calloc(n ? n : 1, sizeof *items);
    if (!items)
        return NULL;
    size_t k = 0;
    for (const cJSON *it = map->child; it; it = it->next)
        items[k++] = it;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(items[j - 1]->string, items[j]->string) > 0; j--) {
            const cJSON *t = items[j];
            items[j] = items[j - 1];
            items[j - 1] = t;
        }
    rci_strbuf b;
    rci_strbuf_init(&b);
    rci_strbuf_puts(&b, "map[string]string{");
    for (size_t i = 0; i < n; i++) {
        char *key = rci_go_quote(items[i]->string);
        char *val = rci_go_quote(cJSON_IsString(items[i]) ? items[i]->valuestring : "");
        rci_strbuf_printf(&b, "%s%s:%s", i ? ", " : "", key ? key : "", val ? val : "");
        free(key);
        free(val);
    }
    rci_strbuf_putc(&b, '}');
    free(items);
    return rci_strbuf_take(&b);
}

/* ---- finishing ---- */

int rci_vctx_finish(rci_vctx *v, const rc_resource_info *ri, const char *name, rc_error *err)
{
    if (v->oom)
        return rc_error_set(err, RC_ENOMEM, "out of memory while validating");
    if (v->nerrs == 0)
        return 0;
    rci_strbuf b;
    rci_strbuf_init(&b);
    char *qname = rci_go_quote(name ? name : "");
    rci_strbuf_puts(&b, ri && ri->kind ? ri->kind : "Object");
    if (ri && ri->group && *ri->group)
        rci_strbuf_printf(&b, ".%s", ri->group);
    rci_strbuf_printf(&b, " %s is invalid: ", qname ? qname : "\"\"");
    free(qname);
    if (v->nerrs > 1)
        rci_strbuf_putc(&b, '[');
    for (size_t i = 0; i < v->nerrs; i++)
        rci_strbuf_printf(&b, "%s%s: %s", i ? ", " : "", v->errs[i].field, v->errs[i].body);
    if (v->nerrs > 1)
        rci_strbuf_putc(&b, ']');
    char *msg = rci_strbuf_take(&b);
    rc_error_set(err, RC_EINVAL, "%s", msg ? msg : "invalid object");
    free(msg);
    for (size_t i = 0; i < v->nerrs; i++)
        rc_error_add_cause(err, v->errs[i].field, v->errs[i].type, "%s", v->errs[i].body);
    return RC_EINVAL;
}

/* ---- dispatch ---- */

typedef void (*kind_validator)(rci_vctx *v, const cJSON *obj, const cJSON *old);

static const struct {
    const char *group;
    const char *kind;
    kind_validator fn;
} validators[] = {
    {"", "Pod", rci_validate_pod},
    {"", "Service", rci_validate_service},
    {"", "ConfigMap", rci_validate_configmap},
    {"", "Secret", rci_validate_secret},
    {"", "PersistentVolumeClaim", rci_validate_pvc},
    {"apps", "Deployment", rci_validate_deployment},
    {"apps", "ReplicaSet", rci_validate_replicaset},
    {"apps", "StatefulSet", rci_validate_statefulset},
    {"apps", "DaemonSet", rci_validate_daemonset},
    {"batch", "Job", rci_validate_job},
    {"batch", "CronJob", rci_validate_cronjob},
    {"rbac.authorization.k8s.io", "Role", rci_validate_rbac_role},
    {"rbac.authorization.k8s.io", "ClusterRole", rci_validate_rbac_role},
    {"rbac.authorization.k8s.io", "RoleBinding", rci_validate_rbac_binding},
    {"rbac.authorization.k8s.io", "ClusterRoleBinding", rci_validate_rbac_binding},
    {"apiextensions.k8s.io", "CustomResourceDefinition", rci_validate_crd},
};

static kind_validator validator_for(const rc_resource_info *ri)
{
    const char *group = ri->group ? ri->group : "";
    for (size_t i = 0; i < sizeof validators / sizeof validators[0]; i++)
        if (strcmp(validators[i].kind, ri->kind) == 0 && strcmp(validators[i].group, group) == 0)
            return validators[i].fn;
    return NULL;
}

int rci_apiserver_validate(const rc_resource_info *ri, const cJSON *obj, const cJSON *old, rc_error *err)
{
    if (!ri || !ri->kind || !cJSON_IsObject(obj))
        return rc_error_set(err, RC_EBADREQUEST, "the object to validate is not a JSON object");
    int decoded = rci_apiserver_decode_check(ri, obj, cJSON_IsObject(old) ? old : NULL, err);
    if (decoded != 0)
        return decoded;
    const cJSON *meta = rci_obj(obj, "metadata");
    const char *name = rci_str(meta, "name");
    rci_vctx v;
    rci_vctx_init(&v, "");
    rci_validate_object_meta(&v, ri, obj, cJSON_IsObject(old) ? old : NULL);
    kind_validator fn = validator_for(ri);
    if (fn)
        fn(&v, obj, cJSON_IsObject(old) ? old : NULL);
    int rc = rci_vctx_finish(&v, ri, name ? name : rci_str(meta, "generateName"), err);
    rci_vctx_free(&v);
    return rc;
}
