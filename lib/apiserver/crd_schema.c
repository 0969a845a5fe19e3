/* crd_schema.c - custom resources' openAPIV3Schema: finding a version's schema in a CRD, checking that a
 * schema is well-formed, and validating plus pruning custom objects against it (type, nullable, required,
 * properties, additionalProperties, items, enum, minimum/maximum and their exclusive forms,
 * minLength/maxLength, pattern, minItems/maxItems, format ipv4/ipv6/cidr, x-kubernetes-int-or-string,
 * x-kubernetes-preserve-unknown-fields, x-kubernetes-embedded-resource). Patterns are compiled as POSIX
 * extended regular expressions after translating the ECMA classes \d \w \s (and their negations); other
 * ECMA-only syntax (lookaround, lazy quantifiers) is rejected as an invalid pattern. Messages follow
 * kube-apiserver's ("spec.replicas in body should be greater than or equal to 0"). */
#include "apiserver/hooks.h"
#include "apiserver/validate.h"

#include <arpa/inet.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

const cJSON *rci_crd_schema(const cJSON *crd, const char *version)
{
    const cJSON *spec = rci_obj(crd, "spec");
    const cJSON *versions = rci_arr(spec, "versions");
    for (const cJSON *v = versions ? versions->child : NULL; v; v = v->next) {
        const char *name = rci_str(v, "name");
        bool pick = version ? (name && !strcmp(name, version))
                            : cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "storage"));
        if (pick) {
            const cJSON *s = rci_obj(rci_obj(v, "schema"), "openAPIV3Schema");
            if (s)
                return s;
            break;
        }
    }
    return rci_obj(rci_obj(spec, "validation"), "openAPIV3Schema");
}

/* ---- patterns ---- */

/* ECMA classes to POSIX brackets; returns a malloc'd pattern or NULL on allocation failure. */
static char *posix_pattern(const char *ecma)
{
    rci_strbuf b;
    rci_strbuf_init(&b);
    for (const char *p = ecma; *p; p++) {
        if (p[0] == '\\' && p[1]) {
            const char *repl = NULL;
            switch (p[1]) {
            case 'd': repl = "[0-9]"; break;
            case 'D': repl = "[^0-9]"; break;
            case 'w': repl = "[A-Za-z0-9_]"; break;
            case 'W': repl = "[^A-Za-z0-9_]"; break;
            case 's': repl = "[[:space:]]"; break;
            case 'S': repl = "[^[:space:]]"; break;
            }
            if (repl) {
                rci_strbuf_puts(&b, repl);
                p++;
                continue;
            }
            rci_strbuf_append(&b, p, 2);
            p++;
            continue;
        }
        rci_strbuf_putc(&b, *p);
    }
    rci_strbuf_putc(&b, '\0');
    return rci_strbuf_take(&b);
}

/* Compiles pattern into re; 0 or the regcomp error with its text in msg. */
static int compile_pattern(const char *pattern, regex_t *re, char *msg, size_t cap)
{
    char *posix = posix_pattern(pattern);
    if (!posix) {
        snprintf(msg, cap, "out of memory");
        return REG_ESPACE;
    }
    int rc = strstr(pattern, "(?") ? REG_BADPAT : regcomp(re, posix, REG_EXTENDED | REG_NOSUB);
    if (rc != 0 && rc != REG_BADPAT)
        regerror(rc, re, msg, cap);
    else if (rc == REG_BADPAT)
        snprintf(msg, cap, "unsupported or invalid regular expression syntax");
    free(posix);
    return rc;
}

/* ---- schema well-formedness ---- */

static const char *const schema_types[] = {"array", "boolean", "integer", "number", "object", "string", NULL};

void rci_crd_check_schema(rci_vctx *v, const cJSON *schema)
{
    if (!cJSON_IsObject(schema))
        return;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(schema, "type");
    bool known = !type;
    for (size_t i = 0; cJSON_IsString(type) && schema_types[i]; i++)
        known |= !strcmp(type->valuestring, schema_types[i]);
    if (!known)
        rci_v_not_supported(v, "type", type, schema_types);
    const char *pattern = rci_str(schema, "pattern");
    if (pattern) {
        regex_t re;
        char msg[128] = "";
        if (compile_pattern(pattern, &re, msg, sizeof msg) == 0)
            regfree(&re);
        else
            rci_v_invalid_str(v, "pattern", pattern, "must be a valid regular expression, but isn't: %s", msg);
    }
    if (cJSON_IsString(type) && !strcmp(type->valuestring, "array") && !rci_obj(schema, "items"))
        rci_v_required(v, "items", "must be specified");
    const cJSON *props = rci_obj(schema, "properties");
    for (const cJSON *p = props ? props->child : NULL; p; p = p->next) {
        size_t m = rci_vctx_push(v, "properties");
        rci_vctx_push_key(v, p->string);
        rci_crd_check_schema(v, p);
        rci_vctx_pop(v, m);
    }
    static const char *const nested[] = {"items", "additionalProperties"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *n = rci_obj(schema, nested[i]);
        if (n) {
            size_t m = rci_vctx_push(v, nested[i]);
            rci_crd_check_schema(v, n);
            rci_vctx_pop(v, m);
        }
    }
}

/* ---- validating and pruning objects ---- */

static bool flag(const cJSON *schema, const char *key) { return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(schema, key)); }

static bool is_integral(const cJSON *n) { return cJSON_IsNumber(n) && n->valuedouble == (double)(long long)n->valuedouble; }

/* Whether value has the schema's type (x-kubernetes-int-or-string: integer or string). */
static bool type_matches(const cJSON *schema, const cJSON *value, const char **want)
{
    if (flag(schema, "x-kubernetes-int-or-string")) {
        *want = "integer-or-string";
        return cJSON_IsString(value) || is_integral(value);
    }
    const char *type = rci_str(schema, "type");
    *want = type;
    if (!type)
        return true;
    if (!strcmp(type, "object")) return cJSON_IsObject(value);
    if (!strcmp(type, "array")) return cJSON_IsArray(value);
    if (!strcmp(type, "string")) return cJSON_IsString(value);
    if (!strcmp(type, "integer")) return is_integral(value);
    if (!strcmp(type, "number")) return cJSON_IsNumber(value);
    if (!strcmp(type, "boolean")) return cJSON_IsBool(value);
    return true;
}

static void check_number(rci_vctx *v, const cJSON *schema, const cJSON *value)
{
    const cJSON *min = rci_num(schema, "minimum"), *max = rci_num(schema, "maximum");
    double d = value->valuedouble;
    char bound[40];
    if (min) {
        bool excl = flag(schema, "exclusiveMinimum");
        if (excl ? d <= min->valuedouble : d < min->valuedouble) {
            char *r = rci_go_value(min);
            snprintf(bound, sizeof bound, "%s", r ? r : "");
            free(r);
            rci_v_invalid(v, NULL, value, "%s in body should be greater than %s%s", v->path,
                          excl ? "" : "or equal to ", bound);
        }
    }
    if (max) {
        bool excl = flag(schema, "exclusiveMaximum");
        if (excl ? d >= max->valuedouble : d > max->valuedouble) {
            char *r = rci_go_value(max);
            snprintf(bound, sizeof bound, "%s", r ? r : "");
            free(r);
            rci_v_invalid(v, NULL, value, "%s in body should be less than %s%s", v->path, excl ? "" : "or equal to ",
                          bound);
        }
    }
}

/* UTF-8 characters in s. */
static size_t utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static bool format_ok(const char *format, const char *s)
{
    unsigned char buf[16];
    if (!strcmp(format, "ipv4"))
        return inet_pton(AF_INET, s, buf) == 1;
    if (!strcmp(format, "ipv6"))
        return inet_pton(AF_INET6, s, buf) == 1;
    if (!strcmp(format, "cidr")) {
        const char *slash = strchr(s, '/');
        if (!slash || !slash[1] || strspn(slash + 1, "0123456789") != strlen(slash + 1) || slash - s >= 64)
            return false;
        char ip[64];
        memcpy(ip, s, (size_t)(slash - s));
        ip[slash - s] = '\0';
        long bits = strtol(slash + 1, NULL, 10);
        if (inet_pton(AF_INET, ip, buf) == 1)
            return bits <= 32;
        return inet_pton(AF_INET6, ip, buf) == 1 && bits <= 128;
    }
    return true; /* other formats are not enforced */
}

static void check_string(rci_vctx *v, const cJSON *schema, const cJSON *value)
{
    const char *s = value->valuestring;
    long long min_len, max_len;
    size_t len = utf8_len(s);
    if (rci_int(schema, "minLength", &min_len) && (long long)len < min_len)
        rci_v_invalid(v, NULL, value, "%s in body should be at least %lld chars long", v->path, min_len);
    if (rci_int(schema, "maxLength", &max_len) && (long long)len > max_len)
        rci_v_invalid(v, NULL, value, "%s in body should be at most %lld chars long", v->path, max_len);
    const char *pattern = rci_str(schema, "pattern");
    if (pattern) {
        regex_t re;
        char msg[128];
        if (compile_pattern(pattern, &re, msg, sizeof msg) == 0) {
            if (regexec(&re, s, 0, NULL, 0) != 0)
                rci_v_invalid(v, NULL, value, "%s in body should match '%s'", v->path, pattern);
            regfree(&re);
        }
    }
    const char *format = rci_str(schema, "format");
    if (format && !format_ok(format, s))
        rci_v_invalid(v, NULL, value, "%s in body must be of type %s: \"%s\"", v->path, format, s);
}

static void check_enum(rci_vctx *v, const cJSON *schema, const cJSON *value)
{
    const cJSON *options = rci_arr(schema, "enum");
    if (!options)
        return;
    for (const cJSON *o = options->child; o; o = o->next)
        if (cJSON_Compare(o, value, true))
            return;
    size_t n = (size_t)cJSON_GetArraySize(options), k = 0;
    char **rendered = calloc(n + 1, sizeof *rendered);
    if (!rendered) {
        v->oom = true;
        return;
    }
    for (const cJSON *o = options->child; o; o = o->next) {
        char *r = rci_go_value(o);
        /* rci_v_not_supported quotes plain strings itself */
        if (r && cJSON_IsString(o)) {
            free(r);
            r = strdup(o->valuestring);
        }
        rendered[k++] = r ? r : strdup("");
    }
    rci_v_not_supported(v, NULL, value, (const char *const *)rendered);
    for (size_t i = 0; i < k; i++)
        free(rendered[i]);
    free(rendered);
}

static void walk(rci_vctx *v, const cJSON *schema, cJSON *value);

static bool preserved_key(const cJSON *schema, const char *key)
{
    return flag(schema, "x-kubernetes-embedded-resource") &&
           (!strcmp(key, "apiVersion") || !strcmp(key, "kind") || !strcmp(key, "metadata"));
}

static void walk_object(rci_vctx *v, const cJSON *schema, cJSON *value, bool root)
{
    const cJSON *props = rci_obj(schema, "properties");
    const cJSON *additional = cJSON_GetObjectItemCaseSensitive(schema, "additionalProperties");
    bool preserve = flag(schema, "x-kubernetes-preserve-unknown-fields") || cJSON_IsTrue(additional);
    for (cJSON *m = value->child, *next; m; m = next) {
        next = m->next;
        bool meta = root && (!strcmp(m->string, "apiVersion") || !strcmp(m->string, "kind") ||
                             !strcmp(m->string, "metadata"));
        if (meta || preserved_key(schema, m->string))
            continue;
        const cJSON *sub = props ? cJSON_GetObjectItemCaseSensitive(props, m->string) : NULL;
        if (!sub && cJSON_IsObject(additional))
            sub = additional;
        if (!sub) {
            if (!preserve)
                cJSON_DeleteItemFromObjectCaseSensitive(value, m->string);
            continue;
        }
        size_t mark = rci_vctx_push(v, m->string);
        walk(v, sub, m);
        rci_vctx_pop(v, mark);
    }
    const cJSON *required = rci_arr(schema, "required");
    for (const cJSON *r = required ? required->child : NULL; r; r = r->next)
        if (cJSON_IsString(r) && !cJSON_GetObjectItemCaseSensitive(value, r->valuestring))
            rci_v_required(v, r->valuestring, NULL);
}

static void walk_array(rci_vctx *v, const cJSON *schema, cJSON *value)
{
    long long min_items, max_items;
    int n = cJSON_GetArraySize(value);
    if (rci_int(schema, "minItems", &min_items) && n < min_items)
        rci_v_invalid_int(v, NULL, n, "%s in body should have at least %lld items", v->path, min_items);
    if (rci_int(schema, "maxItems", &max_items) && n > max_items)
        rci_v_invalid_int(v, NULL, n, "%s in body should have at most %lld items", v->path, max_items);
    const cJSON *items = rci_obj(schema, "items");
    size_t i = 0;
    for (cJSON *e = value->child; items && e; e = e->next, i++) {
        size_t mark = rci_vctx_push_index(v, i);
        walk(v, items, e);
        rci_vctx_pop(v, mark);
    }
}

static void walk(rci_vctx *v, const cJSON *schema, cJSON *value)
{
    if (cJSON_IsNull(value)) {
        const char *type = rci_str(schema, "type");
        if (type && !flag(schema, "nullable"))
            rci_v_type(v, NULL, value, type);
        return;
    }
    const char *want;
    if (!type_matches(schema, value, &want)) {
        rci_v_type(v, NULL, value, want);
        return;
    }
    check_enum(v, schema, value);
    if (cJSON_IsNumber(value))
        check_number(v, schema, value);
    else if (cJSON_IsString(value))
        check_string(v, schema, value);
    else if (cJSON_IsArray(value))
        walk_array(v, schema, value);
    else if (cJSON_IsObject(value))
        walk_object(v, schema, value, false);
}

int rci_crd_validate_and_prune(const cJSON *schema, cJSON *obj, rc_error *err)
{
    if (!cJSON_IsObject(obj))
        return rc_error_set(err, RC_EBADREQUEST, "the custom object is not a JSON object");
    if (!cJSON_IsObject(schema))
        return 0;
    rci_vctx v;
    rci_vctx_init(&v, "");
    walk_object(&v, schema, obj, true);
    rc_resource_info ri = {0};
    const char *api = rci_str(obj, "apiVersion");
    char group[256] = "";
    if (api && strchr(api, '/'))
        snprintf(group, sizeof group, "%.*s", (int)(strchr(api, '/') - api), api);
    ri.group = group;
    ri.kind = rci_str(obj, "kind") ? rci_str(obj, "kind") : "Object";
    int rc = rci_vctx_finish(&v, &ri, rci_str(rci_obj(obj, "metadata"), "name"), err);
    rci_vctx_free(&v);
    return rc;
}
