/* apply.c - client-side apply, as kubectl apply computes it: the last-applied annotation, and the
 * three-way patch from the last-applied configuration (original), the new manifest (modified) and the
 * live object (current). One recursive pass builds the patch that upstream gets by merging two diffs
 * (current->modified without deletions, original->modified deletions only): fields that differ from
 * current are set, fields dropped from the manifest since the last apply are deleted, and fields only
 * others set are left alone. Kinds with strategic-merge metadata get a strategic patch (merge lists
 * diffed element by element, with $patch: delete, $setElementOrder, $deleteFromPrimitiveList and
 * $retainKeys); other kinds (CRDs) get a JSON merge patch, as kubectl sends them. */
#include "api/patch_internal.h"
#include "api/json_depth.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

/* ---- the last-applied annotation, written as Go's encoding/json writes it ---- */

static void go_string(rci_strbuf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    rci_strbuf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char ch = *p;
        if (ch == '"' || ch == '\\') {
            rci_strbuf_putc(b, '\\');
            rci_strbuf_putc(b, (char)ch);
        } else if (ch == '\n') {
            rci_strbuf_puts(b, "\\n");
        } else if (ch == '\r') {
            rci_strbuf_puts(b, "\\r");
        } else if (ch == '\t') {
            rci_strbuf_puts(b, "\\t");
        } else if (ch < 0x20 || ch == '<' || ch == '>' || ch == '&') {
            char esc[7] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15], 0};
            rci_strbuf_puts(b, esc);
        } else if (ch == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) {
            rci_strbuf_puts(b, p[2] == 0xA8 ? "\\u2028" : "\\u2029");
            p += 2;
        } else {
            rci_strbuf_putc(b, (char)ch);
        }
    }
    rci_strbuf_putc(b, '"');
}

static void go_number(rci_strbuf *b, double d)
{
    if (d == floor(d) && fabs(d) < 1e21) {
        rci_strbuf_printf(b, "%.0f", d);
        return;
    }
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    rci_strbuf_puts(b, buf);
}

static int cmp_member(const void *a, const void *b)
{
    return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* Compact JSON with object keys sorted, Go's json.Marshal of a decoded object. */
static void go_json(rci_strbuf *b, const cJSON *v)
{
    if (cJSON_IsObject(v)) {
        size_t n = (size_t)cJSON_GetArraySize(v), i = 0;
        const cJSON **members = malloc((n ? n : 1) * sizeof *members);
        if (!members) {
            b->failed = true;
            return;
        }
        for (const cJSON *c = v->child; c; c = c->next)
            members[i++] = c;
        qsort(members, n, sizeof *members, cmp_member);
        rci_strbuf_putc(b, '{');
        for (i = 0; i < n; i++) {
            if (i)
                rci_strbuf_putc(b, ',');
            go_string(b, members[i]->string);
            rci_strbuf_putc(b, ':');
            go_json(b, members[i]);
        }
        rci_strbuf_putc(b, '}');
        free(members);
    } else if (cJSON_IsArray(v)) {
        rci_strbuf_putc(b, '[');
        for (const cJSON *c = v->child; c; c = c->next) {
            if (c != v->child)
                rci_strbuf_putc(b, ',');
            go_json(b, c);
        }
        rci_strbuf_putc(b, ']');
    } else if (cJSON_IsString(v)) {
        go_string(b, v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        go_number(b, v->valuedouble);
    } else if (cJSON_IsBool(v)) {
        rci_strbuf_puts(b, cJSON_IsTrue(v) ? "true" : "false");
    } else {
        rci_strbuf_puts(b, "null");
    }
}

/* obj.metadata.annotations, created (empty) when absent; NULL when a level is not an object. */
static cJSON *annotations_of(cJSON *obj)
{
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    if (!meta)
        meta = cJSON_AddObjectToObject(obj, "metadata");
    if (!cJSON_IsObject(meta))
        return NULL;
    cJSON *ann = cJSON_GetObjectItemCaseSensitive(meta, "annotations");
    if (!ann)
        ann = cJSON_AddObjectToObject(meta, "annotations");
    return cJSON_IsObject(ann) ? ann : NULL;
}

cJSON *rc_apply_annotate(const cJSON *manifest, rc_error *err)
{
    if (!cJSON_IsObject(manifest)) {
        rc_error_set(err, RC_EBADREQUEST, "apply: the manifest must be a JSON object");
        return NULL;
    }
    if (rci_cjson_check_depth(manifest, "apply: the manifest", err))
        return NULL;
    cJSON *out = cJSON_Duplicate(manifest, 1);
    cJSON *ann = out ? annotations_of(out) : NULL;
    if (!ann) {
        rc_error_set(err, out ? RC_EBADREQUEST : RC_ENOMEM, "apply: %s",
                     out ? "metadata and metadata.annotations must be objects" : "out of memory");
        cJSON_Delete(out);
        return NULL;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(ann, RC_LAST_APPLIED_ANNOTATION);
    rci_strbuf b;
    rci_strbuf_init(&b);
    go_json(&b, out);
    rci_strbuf_putc(&b, '\n');
    char *text = rci_strbuf_take(&b);
    if (!text || !cJSON_AddStringToObject(ann, RC_LAST_APPLIED_ANNOTATION, text)) {
        rc_error_set(err, RC_ENOMEM, "apply: out of memory");
        cJSON_Delete(out);
        out = NULL;
    }
    free(text);
    return out;
}

cJSON *rc_apply_last_applied(const cJSON *obj, rc_error *err)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    const cJSON *ann = cJSON_GetObjectItemCaseSensitive(meta, "annotations");
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ann, RC_LAST_APPLIED_ANNOTATION));
    if (!text || !*text)
        return NULL;
    cJSON *parsed = cJSON_Parse(text);
    if (!cJSON_IsObject(parsed)) {
        cJSON_Delete(parsed);
        rc_error_set(err, RC_EBADREQUEST, "apply: annotation %s does not hold a JSON object",
                     RC_LAST_APPLIED_ANNOTATION);
        return NULL;
    }
    return parsed;
}

/* ---- three-way diff ---- */

typedef struct diff_ctx {
    rc_error *err;
    rci_strbuf path; /* for error messages */
} diff_ctx;

static int nomem(diff_ctx *c) { return rc_error_set(c->err, RC_ENOMEM, "apply: out of memory"); }

static int bad(diff_ctx *c, const char *what)
{
    return rc_error_set(c->err, RC_EBADREQUEST, "apply: %s: %s", c->path.len ? c->path.data : "(root)", what);
}

static int kind_of(const cJSON *v) { return cJSON_IsBool(v) ? cJSON_True : (v->type & 0xFF); }

/* Adds value (owned) to obj under key; consumes it either way. */
static int put(diff_ctx *c, cJSON *obj, const char *key, cJSON *value)
{
    if (!value || !cJSON_AddItemToObject(obj, key, value)) {
        cJSON_Delete(value);
        return nomem(c);
    }
    return 0;
}

static int put_copy(diff_ctx *c, cJSON *obj, const char *key, const cJSON *value)
{
    return put(c, obj, key, cJSON_Duplicate(value, 1));
}

static int diff_map(const cJSON *orig, const cJSON *mod, const cJSON *cur, const rci_smp_type *t, bool retain,
                    cJSON *patch, diff_ctx *c);

/* The element of list whose merge key mk equals kv, or NULL. */
static const cJSON *find_by_key(const cJSON *list, const char *mk, const cJSON *kv)
{
    for (const cJSON *it = list ? list->child : NULL; it; it = it->next)
        if (rci_json_equal(cJSON_GetObjectItemCaseSensitive(it, mk), kv))
            return it;
    return NULL;
}

static bool contains(const cJSON *list, const cJSON *v)
{
    for (const cJSON *it = list ? list->child : NULL; it; it = it->next)
        if (rci_json_equal(it, v))
            return true;
    return false;
}

static char *directive_key(const char *prefix, const char *name) { return rci_asprintf("%s%s", prefix, name); }

/* Puts "$setElementOrder/<name>": value (owned). */
static int put_order(diff_ctx *c, cJSON *patch, const char *name, cJSON *value)
{
    char *key = directive_key(RCI_SMP_SET_ORDER_PREFIX, name);
    int rc = key ? put(c, patch, key, value) : (cJSON_Delete(value), nomem(c));
    free(key);
    return rc;
}

/* Checks every element of list is an object with merge key mk. */
static int check_keys(const cJSON *list, const char *mk, diff_ctx *c)
{
    for (const cJSON *it = list ? list->child : NULL; it; it = it->next)
        if (!cJSON_IsObject(it) || !cJSON_GetObjectItemCaseSensitive(it, mk))
            return bad(c, "a list element lacks its merge key");
    return 0;
}

static bool same_key_order(const cJSON *a, const cJSON *b, const char *mk)
{
    if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
        return false;
    for (const cJSON *x = a->child, *y = b->child; x && y; x = x->next, y = y->next)
        if (!rci_json_equal(cJSON_GetObjectItemCaseSensitive(x, mk), cJSON_GetObjectItemCaseSensitive(y, mk)))
            return false;
    return true;
}

/* Diffs a merge list of objects keyed by f->merge_key into patch[name] and its $setElementOrder. */
static int diff_object_list(const char *name, const cJSON *ol, const cJSON *ml, const cJSON *cl,
                            const rci_smp_field *f, cJSON *patch, diff_ctx *c)
{
    const char *mk = f->merge_key;
    if (!mk)
        return bad(c, "cannot merge lists of objects without a merge key");
    int rc = check_keys(ml, mk, c);
    if (rc == 0)
        rc = check_keys(cl, mk, c);
    if (rc == 0)
        rc = check_keys(ol, mk, c);
    cJSON *plist = cJSON_CreateArray(), *order = cJSON_CreateArray();
    if (rc == 0 && (!plist || !order))
        rc = nomem(c);
    for (const cJSON *me = ml->child; rc == 0 && me; me = me->next) {
        const cJSON *kv = cJSON_GetObjectItemCaseSensitive(me, mk);
        cJSON *okey = cJSON_CreateObject();
        rc = okey && cJSON_AddItemToArray(order, okey) ? put_copy(c, okey, mk, kv) : (cJSON_Delete(okey), nomem(c));
        const cJSON *ce = find_by_key(cl, mk, kv);
        if (rc != 0)
            break;
        if (!ce) {
            cJSON *copy = cJSON_Duplicate(me, 1);
            rc = copy && cJSON_AddItemToArray(plist, copy) ? 0 : (cJSON_Delete(copy), nomem(c));
            continue;
        }
        cJSON *elem = cJSON_CreateObject(), *sub = cJSON_CreateObject();
        rc = elem && sub ? put_copy(c, elem, mk, kv) : nomem(c);
        if (rc == 0)
            rc = diff_map(find_by_key(ol, mk, kv), me, ce, f->type, f->strategy & RCI_SMP_RETAIN_KEYS, sub, c);
        bool changed = rc == 0 && sub->child;
        while (rc == 0 && sub->child) {
            cJSON *m = cJSON_DetachItemViaPointer(sub, sub->child);
            if (!cJSON_AddItemToObject(elem, m->string, m)) {
                cJSON_Delete(m);
                rc = nomem(c);
            }
        }
        cJSON_Delete(sub);
        if (rc == 0 && changed && cJSON_AddItemToArray(plist, elem))
            continue;
        cJSON_Delete(elem);
    }
    for (const cJSON *oe = ol ? ol->child : NULL; rc == 0 && oe; oe = oe->next) {
        const cJSON *kv = cJSON_GetObjectItemCaseSensitive(oe, mk);
        if (find_by_key(ml, mk, kv))
            continue;
        cJSON *del = cJSON_CreateObject();
        rc = del && cJSON_AddItemToArray(plist, del) ? put_copy(c, del, mk, kv) : (cJSON_Delete(del), nomem(c));
        if (rc == 0)
            rc = put(c, del, RCI_SMP_DIRECTIVE, cJSON_CreateString("delete"));
    }
    bool emit_order = rc == 0 && (plist->child || !same_key_order(cl, ml, mk));
    if (rc == 0 && plist->child) {
        rc = put(c, patch, name, plist);
        plist = NULL;
    }
    if (rc == 0 && emit_order) {
        rc = put_order(c, patch, name, order);
        order = NULL;
    }
    cJSON_Delete(plist);
    cJSON_Delete(order);
    return rc;
}

/* Diffs a merge list of scalars: additions in patch[name], removals in $deleteFromPrimitiveList/<name>. */
static int diff_scalar_list(const char *name, const cJSON *ol, const cJSON *ml, const cJSON *cl, cJSON *patch,
                            diff_ctx *c)
{
    cJSON *adds = cJSON_CreateArray(), *dels = cJSON_CreateArray();
    int rc = adds && dels ? 0 : nomem(c);
    for (const cJSON *m = ml->child; rc == 0 && m; m = m->next)
        if (!contains(cl, m) && !cJSON_AddItemToArray(adds, cJSON_Duplicate(m, 1)))
            rc = nomem(c);
    for (const cJSON *o = ol ? ol->child : NULL; rc == 0 && o; o = o->next)
        if (!contains(ml, o) && !cJSON_AddItemToArray(dels, cJSON_Duplicate(o, 1)))
            rc = nomem(c);
    bool emit_order = rc == 0 && (dels->child || !rci_json_equal(cl, ml));
    if (rc == 0 && adds->child) {
        rc = put(c, patch, name, adds);
        adds = NULL;
    }
    if (rc == 0 && dels->child) {
        char *key = directive_key(RCI_SMP_DELETE_PRIMITIVE_PREFIX, name);
        rc = key ? put(c, patch, key, dels) : nomem(c);
        dels = key ? NULL : dels;
        free(key);
    }
    if (rc == 0 && emit_order)
        rc = put_order(c, patch, name, cJSON_Duplicate(ml, 1));
    cJSON_Delete(adds);
    cJSON_Delete(dels);
    return rc;
}

/* The kind shared by the elements of the lists (0 when all are empty), or -1 with an error. */
static int list_kind(const cJSON *a, const cJSON *b, const cJSON *d, diff_ctx *c)
{
    const cJSON *lists[3] = {a, b, d};
    int kind = 0;
    for (int l = 0; l < 3; l++)
        for (const cJSON *it = lists[l] ? lists[l]->child : NULL; it; it = it->next) {
            int k = kind_of(it);
            if (k == cJSON_Array || (kind && k != kind))
                return bad(c, "list elements must be all objects or all scalars"), -1;
            kind = k;
        }
    return kind;
}

/* Has `from` a non-null member that `to` lacks? */
static bool has_extra_field(const cJSON *from, const cJSON *to)
{
    for (const cJSON *m = from ? from->child : NULL; m; m = m->next)
        if (!cJSON_IsNull(m) && !cJSON_GetObjectItemCaseSensitive(to, m->string))
            return true;
    return false;
}

/* Adds "$retainKeys": the sorted non-null fields of mod. */
static int put_retain_keys(const cJSON *mod, cJSON *patch, diff_ctx *c)
{
    size_t n = (size_t)cJSON_GetArraySize(mod), k = 0;
    const cJSON **members = malloc((n ? n : 1) * sizeof *members);
    if (!members)
        return nomem(c);
    for (const cJSON *m = mod->child; m; m = m->next)
        if (!cJSON_IsNull(m))
            members[k++] = m;
    qsort(members, k, sizeof *members, cmp_member);
    cJSON *keys = cJSON_CreateArray();
    int rc = keys ? 0 : nomem(c);
    for (size_t i = 0; rc == 0 && i < k; i++)
        if (!cJSON_AddItemToArray(keys, cJSON_CreateString(members[i]->string)))
            rc = nomem(c);
    free(members);
    if (rc == 0 && k > 0)
        return put(c, patch, RCI_SMP_RETAIN_KEYS_DIRECTIVE, keys);
    cJSON_Delete(keys);
    return rc;
}

static int diff_member(const cJSON *ov, const cJSON *mv, const cJSON *cv, const rci_smp_field *f, cJSON *patch,
                       diff_ctx *c)
{
    const char *key = mv->string;
    if (!cv || kind_of(cv) != kind_of(mv))
        return put_copy(c, patch, key, mv);
    if (cJSON_IsObject(mv) && !(f && (f->strategy & RCI_SMP_REPLACE))) {
        cJSON *sub = cJSON_CreateObject();
        if (!sub)
            return nomem(c);
        int rc = diff_map(cJSON_IsObject(ov) ? ov : NULL, mv, cv, f ? f->type : NULL,
                          f && (f->strategy & RCI_SMP_RETAIN_KEYS), sub, c);
        if (rc == 0 && sub->child)
            return put(c, patch, key, sub);
        cJSON_Delete(sub);
        return rc;
    }
    if (cJSON_IsArray(mv) && f && (f->strategy & RCI_SMP_MERGE)) {
        const cJSON *ol = cJSON_IsArray(ov) ? ov : NULL;
        int kind = list_kind(ol, mv, cv, c);
        if (kind < 0)
            return RC_EBADREQUEST;
        if (kind == cJSON_Object)
            return diff_object_list(key, ol, mv, cv, f, patch, c);
        return diff_scalar_list(key, ol, mv, cv, patch, c);
    }
    return rci_json_equal(cv, mv) ? 0 : put_copy(c, patch, key, mv);
}

/* Adds to patch what turns cur into mod, plus deletions of what orig had and mod dropped. orig and cur
 * may be NULL. t: strategic-merge type (NULL: merge patch semantics below this point). */
static int diff_map(const cJSON *orig, const cJSON *mod, const cJSON *cur, const rci_smp_type *t, bool retain,
                    cJSON *patch, diff_ctx *c)
{
    int rc = 0;
    for (const cJSON *mv = mod->child; rc == 0 && mv; mv = mv->next) {
        size_t mark = c->path.len;
        rci_strbuf_printf(&c->path, "%s%s", mark ? "." : "", mv->string);
        rc = diff_member(cJSON_GetObjectItemCaseSensitive(orig, mv->string), mv,
                         cJSON_GetObjectItemCaseSensitive(cur, mv->string), rci_smp_field_lookup(t, mv->string),
                         patch, c);
        c->path.len = mark;
        if (c->path.data)
            c->path.data[mark] = '\0';
    }
    for (const cJSON *ov = orig ? orig->child : NULL; rc == 0 && ov; ov = ov->next)
        if (!cJSON_GetObjectItemCaseSensitive(mod, ov->string) && !cJSON_GetObjectItemCaseSensitive(patch, ov->string))
            rc = put(c, patch, ov->string, cJSON_CreateNull());
    if (rc == 0 && retain && (patch->child || has_extra_field(cur, mod) || has_extra_field(orig, mod)))
        rc = put_retain_keys(mod, patch, c);
    return rc;
}

/* True when the patch would change apiVersion, kind or metadata.name, which apply refuses. */
static bool changes_identity(const cJSON *patch)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(patch, "metadata");
    return cJSON_GetObjectItemCaseSensitive(patch, "apiVersion") || cJSON_GetObjectItemCaseSensitive(patch, "kind") ||
           (cJSON_IsObject(meta) && cJSON_GetObjectItemCaseSensitive(meta, "name")) || cJSON_IsNull(meta);
}

cJSON *rc_apply_compute_patch(const cJSON *original, const cJSON *modified, const cJSON *current,
                              const char *api_version, const char *kind, int *patch_type, rc_error *err)
{
    if (!cJSON_IsObject(modified) || !cJSON_IsObject(current) || (original && !cJSON_IsObject(original))) {
        rc_error_set(err, RC_EBADREQUEST, "apply: the %s must be a JSON object",
                     !cJSON_IsObject(modified) ? "modified configuration"
                     : !cJSON_IsObject(current) ? "current object" : "original configuration");
        return NULL;
    }
    if (rci_cjson_check_depth(original, "apply: the original configuration", err) ||
        rci_cjson_check_depth(modified, "apply: the modified configuration", err) ||
        rci_cjson_check_depth(current, "apply: the current object", err))
        return NULL;
    if (!api_version)
        api_version = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(modified, "apiVersion"));
    if (!kind)
        kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(modified, "kind"));
    const rci_smp_type *t = rci_smp_kind_type(api_version, kind);
    diff_ctx c = {.err = err};
    rci_strbuf_init(&c.path);
    cJSON *patch = cJSON_CreateObject();
    int rc = patch ? diff_map(original, modified, current, t, false, patch, &c) : nomem(&c);
    if (rc == 0 && c.path.failed)
        rc = nomem(&c);
    if (rc == 0 && changes_identity(patch))
        rc = rc_error_set(err, RC_EBADREQUEST, "apply: at least one of apiVersion, kind and name was changed");
    rci_strbuf_free(&c.path);
    if (rc != 0) {
        cJSON_Delete(patch);
        return NULL;
    }
    if (patch_type)
        *patch_type = t ? RC_PATCH_STRATEGIC : RC_PATCH_MERGE;
    return patch;
}

cJSON *rc_apply_three_way(const cJSON *original, const cJSON *modified, const cJSON *current,
                          const char *api_version, const char *kind, rc_error *err)
{
    int type = 0;
    cJSON *patch = rc_apply_compute_patch(original, modified, current, api_version, kind, &type, err);
    if (!patch)
        return NULL;
    if (!api_version)
        api_version = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(modified, "apiVersion"));
    if (!kind)
        kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(modified, "kind"));
    cJSON *out = rc_patch_apply(type, current, patch, api_version, kind, err);
    cJSON_Delete(patch);
    return out;
}
