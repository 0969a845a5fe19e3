/* patch_strategic.c - Kubernetes strategic merge patch, as kube-apiserver applies it (upstream
 * strategicpatch.StrategicMergeMapPatch: parallel delete lists merged, unmatched nulls ignored).
 *
 * The patch is applied in place to a private copy of the document, so a failure anywhere just frees the
 * copy. Lists whose field carries patchStrategy "merge" (see patch_mergekeys.c) merge element by element:
 * objects by their merge key, scalars as a set; every other list is replaced. Merged lists are ordered as
 * upstream orders them: patch elements in patch (or $setElementOrder) order, interleaved with elements
 * only the document had at their old relative positions. Values new to the document are built by
 * merging them into an empty value, so nulls and directives inside them are processed, never stored. */
#include "api/patch_internal.h"
#include "api/json_depth.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

typedef struct smp_ctx {
    rci_strbuf path; /* where we are, for error messages: "spec.containers[0].env" */
    rc_error *err;
} smp_ctx;

/* A growable array of item pointers (views; owns nothing). */
typedef struct item_vec {
    cJSON **v;
    size_t n, cap;
} item_vec;

static bool vec_push(item_vec *iv, cJSON *item)
{
    if (iv->n == iv->cap) {
        size_t cap = iv->cap ? iv->cap * 2 : 8;
        cJSON **v = realloc(iv->v, cap * sizeof *v);
        if (!v)
            return false;
        iv->v = v;
        iv->cap = cap;
    }
    iv->v[iv->n++] = item;
    return true;
}

static void vec_free(item_vec *iv) { free(iv->v); }

static int fail(smp_ctx *c, int code, const char *fmt, ...) RC_PRINTF(3, 4);
static int fail(smp_ctx *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = rci_vasprintf(fmt, ap);
    va_end(ap);
    const char *where = c->path.len ? c->path.data : "(root)";
    rc_error_set(c->err, code, "strategic merge patch: %s: %s", where, msg ? msg : "error");
    free(msg);
    return code;
}

static int nomem(smp_ctx *c) { return fail(c, RC_ENOMEM, "out of memory"); }

static size_t path_push_key(smp_ctx *c, const char *key)
{
    size_t mark = c->path.len;
    if (mark)
        rci_strbuf_putc(&c->path, '.');
    rci_strbuf_puts(&c->path, key);
    return mark;
}

static size_t path_push_index(smp_ctx *c, size_t i)
{
    size_t mark = c->path.len;
    rci_strbuf_printf(&c->path, "[%zu]", i);
    return mark;
}

static void path_pop(smp_ctx *c, size_t mark)
{
    c->path.len = mark;
    if (c->path.data)
        c->path.data[mark] = '\0';
}

/* JSON kinds as Go's reflect sees decoded values: true and false are one kind. */
static int kind_of(const cJSON *v)
{
    if (cJSON_IsBool(v))
        return cJSON_True;
    return v->type & 0xFF;
}

static bool has_prefix(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

static bool is_directive_key(const char *k)
{
    return strcmp(k, RCI_SMP_DIRECTIVE) == 0 || strcmp(k, RCI_SMP_RETAIN_KEYS_DIRECTIVE) == 0 ||
           has_prefix(k, RCI_SMP_SET_ORDER_PREFIX) || has_prefix(k, RCI_SMP_DELETE_PRIMITIVE_PREFIX);
}

static void clear_container(cJSON *v)
{
    while (v->child)
        cJSON_Delete(cJSON_DetachItemViaPointer(v, v->child));
}

/* Sets obj[key] = value (owned; consumed even on failure). */
static int set_member(smp_ctx *c, cJSON *obj, const char *key, cJSON *value)
{
    bool ok = cJSON_GetObjectItemCaseSensitive(obj, key) ? cJSON_ReplaceItemInObjectCaseSensitive(obj, key, value)
                                                         : cJSON_AddItemToObject(obj, key, value);
    if (!ok) {
        cJSON_Delete(value);
        return nomem(c);
    }
    return 0;
}

static int merge_map(cJSON *orig, const cJSON *patch, const rci_smp_type *t, smp_ctx *c);
static int merge_list(cJSON *arr, const cJSON *patch, const rci_smp_field *f, smp_ctx *c);

/* A new value for patch value pv where the document had none: pv merged into an empty value. */
static int new_value(const cJSON *pv, const rci_smp_field *f, cJSON **out, smp_ctx *c)
{
    int rc = 0;
    if (cJSON_IsObject(pv)) {
        *out = cJSON_CreateObject();
        rc = *out ? merge_map(*out, pv, f ? f->type : NULL, c) : nomem(c);
    } else if (cJSON_IsArray(pv)) {
        *out = cJSON_CreateArray();
        rc = *out ? merge_list(*out, pv, f, c) : nomem(c);
    } else {
        *out = cJSON_Duplicate(pv, 1);
        rc = *out ? 0 : nomem(c);
    }
    if (rc != 0) {
        cJSON_Delete(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- list ordering ---- */

/* What orders an element: its merge key's value (lists of objects) or the element itself. */
static const cJSON *order_key(const cJSON *item, const char *mk)
{
    return mk ? cJSON_GetObjectItemCaseSensitive(item, mk) : item;
}

static long index_in(cJSON *const *list, size_t n, const cJSON *key, const char *mk)
{
    for (size_t i = 0; i < n; i++)
        if (rci_json_equal(order_key(list[i], mk), key))
            return (long)i;
    return -1;
}

static long index_in_keys(const cJSON *keys, const cJSON *key)
{
    long i = 0;
    for (const cJSON *k = keys->child; k; k = k->next, i++)
        if (rci_json_equal(k, key))
            return i;
    return -1;
}

/* A list of copies of the order keys of arr's items: the "server order" reorder() interleaves by. Copies,
 * because merging may free the items themselves. NULL on allocation failure. */
static cJSON *snapshot_keys(const cJSON *arr, const char *mk)
{
    cJSON *keys = cJSON_CreateArray();
    for (const cJSON *it = arr ? arr->child : NULL; keys && it; it = it->next) {
        const cJSON *k = order_key(it, mk);
        cJSON *copy = k ? cJSON_Duplicate(k, 1) : cJSON_CreateNull();
        if (!copy || !cJSON_AddItemToArray(keys, copy)) {
            cJSON_Delete(copy);
            cJSON_Delete(keys);
            keys = NULL;
        }
    }
    return keys;
}

typedef struct ranked {
    cJSON *item;
    long rank; /* index in the order list; -1 sorts last */
    size_t pos;
} ranked;

static int cmp_ranked(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    unsigned long ra = (unsigned long)a->rank, rb = (unsigned long)b->rank; /* -1 becomes the largest */
    if (ra != rb)
        return ra < rb ? -1 : 1;
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* Reorders arr's items: those whose key is in `order` follow `order`; the others keep their relative
 * order in server_keys; both are interleaved at the server positions (upstream normalizeElementOrder). */
static int reorder(cJSON *arr, cJSON *const *order, size_t norder, const cJSON *server_keys, const char *mk,
                   smp_ctx *c)
{
    size_t n = (size_t)cJSON_GetArraySize(arr);
    if (n < 2)
        return 0;
    ranked *in = malloc(n * sizeof *in), *out_only = malloc(n * sizeof *out_only);
    cJSON **result = malloc(n * sizeof *result);
    if (!in || !out_only || !result) {
        free(in), free(out_only), free(result);
        return nomem(c);
    }
    size_t nin = 0, nout = 0, pos = 0;
    for (cJSON *it = arr->child; it; it = it->next, pos++) {
        const cJSON *key = order_key(it, mk);
        long r = index_in(order, norder, key, mk);
        if (r >= 0)
            in[nin++] = (ranked){it, r, pos};
        else
            out_only[nout++] = (ranked){it, index_in_keys(server_keys, key), pos};
    }
    qsort(in, nin, sizeof *in, cmp_ranked);
    qsort(out_only, nout, sizeof *out_only, cmp_ranked);
    size_t i = 0, j = 0, k = 0;
    while (i < nout || j < nin) {
        bool take_left = false;
        if (i < nout && j < nin) {
            long li = out_only[i].rank;
            long ri = index_in_keys(server_keys, order_key(in[j].item, mk));
            take_left = li >= 0 && ri >= 0 && li < ri;
        } else {
            take_left = i < nout;
        }
        result[k++] = take_left ? out_only[i++].item : in[j++].item;
    }
    for (k = 0; k < n; k++)
        cJSON_DetachItemViaPointer(arr, result[k]);
    for (k = 0; k < n; k++)
        cJSON_AddItemToArray(arr, result[k]); /* cannot fail: the item is already allocated */
    free(in), free(out_only), free(result);
    return 0;
}

/* ---- list merge ---- */

/* Checks that every item of the list is an object holding mk; -1 with an error otherwise. */
static int check_merge_keys(cJSON *const *items, size_t n, const char *mk, const char *what, smp_ctx *c)
{
    for (size_t i = 0; i < n; i++) {
        if (!cJSON_IsObject(items[i]))
            return fail(c, RC_EBADREQUEST, "%s element %zu is not an object", what, i);
        if (!cJSON_GetObjectItemCaseSensitive(items[i], mk))
            return fail(c, RC_EBADREQUEST, "%s element %zu does not contain declared merge key \"%s\"", what, i, mk);
    }
    return 0;
}

/* The kind shared by the elements of both lists (0 when both are empty), or -1 with an error. */
static int element_kind(const cJSON *a, const cJSON *b, smp_ctx *c)
{
    int kind = 0;
    const cJSON *lists[2] = {a, b};
    for (int l = 0; l < 2; l++)
        for (const cJSON *it = lists[l] ? lists[l]->child : NULL; it; it = it->next) {
            int k = kind_of(it);
            if (k == cJSON_Array)
                return fail(c, RC_EBADREQUEST, "lists of lists are not supported"), -1;
            if (kind && k != kind)
                return fail(c, RC_EBADREQUEST, "list element types are not identical"), -1;
            kind = k;
        }
    return kind;
}

static int snapshot(cJSON *arr, item_vec *iv, smp_ctx *c)
{
    for (cJSON *it = arr->child; it; it = it->next)
        if (!vec_push(iv, it))
            return nomem(c);
    return 0;
}

/* Merges a list of scalars as a set: the document's elements (deduplicated), then the patch's new ones. */
static int merge_scalars(cJSON *arr, const cJSON *patch, smp_ctx *c)
{
    for (cJSON *it = arr->child, *next; it; it = next) {
        next = it->next;
        for (cJSON *prev = arr->child; prev != it; prev = prev->next)
            if (rci_json_equal(prev, it)) {
                cJSON_Delete(cJSON_DetachItemViaPointer(arr, it));
                break;
            }
    }
    item_vec order = {0};
    cJSON *server = snapshot_keys(arr, NULL);
    int rc = server ? 0 : nomem(c);
    for (const cJSON *p = patch->child; rc == 0 && p; p = p->next) {
        if (!vec_push(&order, (cJSON *)p)) {
            rc = nomem(c);
            break;
        }
        bool present = false;
        for (const cJSON *it = arr->child; it && !present; it = it->next)
            present = rci_json_equal(it, p);
        if (present)
            continue;
        cJSON *copy = cJSON_Duplicate(p, 1);
        if (!copy || !cJSON_AddItemToArray(arr, copy)) {
            cJSON_Delete(copy);
            rc = nomem(c);
        }
    }
    if (rc == 0)
        rc = reorder(arr, order.v, order.n, server, NULL, c);
    cJSON_Delete(server);
    vec_free(&order);
    return rc;
}

static cJSON *find_by_key(cJSON *arr, const char *mk, const cJSON *kv)
{
    for (cJSON *it = arr->child; it; it = it->next)
        if (rci_json_equal(cJSON_GetObjectItemCaseSensitive(it, mk), kv))
            return it;
    return NULL;
}

/* Reads the "$patch" directive of list element pe: 0 none, 'd'elete, 'r'eplace, 'm'erge; -1 bad. */
static int element_directive(const cJSON *pe)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(pe, RCI_SMP_DIRECTIVE);
    if (!d)
        return 0;
    if (!cJSON_IsString(d))
        return -1;
    if (strcmp(d->valuestring, "delete") == 0)
        return 'd';
    if (strcmp(d->valuestring, "replace") == 0)
        return 'r';
    if (strcmp(d->valuestring, "merge") == 0)
        return 'm';
    return -1;
}

/* Merges a list of objects by merge key mk, honouring "$patch" elements. */
static int merge_objects(cJSON *arr, const cJSON *patch, const rci_smp_field *f, smp_ctx *c)
{
    const char *mk = f->merge_key;
    if (!mk)
        return fail(c, RC_EBADREQUEST, "cannot merge lists of objects without a merge key");
    item_vec own = {0}, plain = {0};
    cJSON *server = NULL;
    int rc = snapshot(arr, &own, c);
    if (rc == 0)
        rc = check_merge_keys(own.v, own.n, mk, "document", c);
    bool replace = false;
    size_t i = 0;
    for (const cJSON *pe = patch->child; rc == 0 && pe; pe = pe->next, i++) {
        if (!cJSON_IsObject(pe)) {
            rc = fail(c, RC_EBADREQUEST, "patch element %zu is not an object", i);
            break;
        }
        int d = element_directive(pe);
        const cJSON *kv = cJSON_GetObjectItemCaseSensitive(pe, mk);
        if (d < 0)
            rc = fail(c, RC_EBADREQUEST, "patch element %zu: invalid \"$patch\" (want delete, replace or merge)", i);
        else if (d != 'r' && !kv)
            rc = fail(c, RC_EBADREQUEST, "patch element %zu does not contain declared merge key \"%s\"", i, mk);
        else if ((d == 0 || d == 'm') && !vec_push(&plain, (cJSON *)pe))
            rc = nomem(c);
        replace = replace || d == 'r';
        for (cJSON *victim; rc == 0 && d == 'd' && (victim = find_by_key(arr, mk, kv));)
            cJSON_Delete(cJSON_DetachItemViaPointer(arr, victim));
    }
    if (rc == 0 && replace)
        clear_container(arr);
    if (rc == 0 && !(server = snapshot_keys(arr, mk)))
        rc = nomem(c);
    for (i = 0; rc == 0 && i < plain.n; i++) {
        const cJSON *pe = plain.v[i];
        cJSON *target = find_by_key(arr, mk, cJSON_GetObjectItemCaseSensitive(pe, mk));
        size_t mark = path_push_index(c, i);
        if (target) {
            rc = merge_map(target, pe, f->type, c);
        } else {
            cJSON *v;
            rc = new_value(pe, f, &v, c);
            if (rc == 0 && !cJSON_AddItemToArray(arr, v)) {
                cJSON_Delete(v);
                rc = nomem(c);
            }
        }
        path_pop(c, mark);
    }
    if (rc == 0)
        rc = reorder(arr, plain.v, plain.n, server, mk, c);
    cJSON_Delete(server);
    vec_free(&own);
    vec_free(&plain);
    return rc;
}

/* Merges patch (a list) into arr (a list, modified in place) according to field f. */
static int merge_list(cJSON *arr, const cJSON *patch, const rci_smp_field *f, smp_ctx *c)
{
    if (!f || !(f->strategy & RCI_SMP_MERGE)) {
        clear_container(arr);
        size_t i = 0;
        for (const cJSON *pe = patch->child; pe; pe = pe->next, i++) {
            cJSON *v;
            size_t mark = path_push_index(c, i);
            int rc = new_value(pe, NULL, &v, c);
            path_pop(c, mark);
            if (rc != 0)
                return rc;
            if (!cJSON_AddItemToArray(arr, v)) {
                cJSON_Delete(v);
                return nomem(c);
            }
        }
        return 0;
    }
    int kind = element_kind(arr, patch, c);
    if (kind <= 0)
        return kind;
    return kind == cJSON_Object ? merge_objects(arr, patch, f, c) : merge_scalars(arr, patch, c);
}

/* ---- directives in a map ---- */

static int apply_retain_keys(cJSON *orig, const cJSON *patch, smp_ctx *c)
{
    const cJSON *rk = cJSON_GetObjectItemCaseSensitive(patch, RCI_SMP_RETAIN_KEYS_DIRECTIVE);
    if (!rk)
        return 0;
    if (!cJSON_IsArray(rk))
        return fail(c, RC_EBADREQUEST, "$retainKeys must be a list of field names");
    for (const cJSON *p = patch->child; p; p = p->next) {
        if (cJSON_IsNull(p) || is_directive_key(p->string))
            continue;
        bool listed = false;
        for (const cJSON *k = rk->child; k && !listed; k = k->next)
            listed = cJSON_IsString(k) && strcmp(k->valuestring, p->string) == 0;
        if (!listed)
            return fail(c, RC_EBADREQUEST, "field \"%s\" is in the patch but not in $retainKeys", p->string);
    }
    for (cJSON *o = orig->child, *next; o; o = next) {
        next = o->next;
        bool listed = false;
        for (const cJSON *k = rk->child; k && !listed; k = k->next)
            listed = cJSON_IsString(k) && strcmp(k->valuestring, o->string) == 0;
        if (!listed)
            cJSON_Delete(cJSON_DetachItemViaPointer(orig, o));
    }
    return 0;
}

/* Checks that the patch list's elements appear in the same relative order as in the $setElementOrder list
 * (deletions aside), as upstream validatePatchWithSetOrderList does. */
static int check_order_consistent(const cJSON *plist, const cJSON *order, const char *mk, smp_ctx *c)
{
    const cJSON *o = order->child;
    for (const cJSON *p = plist ? plist->child : NULL; p; p = p->next) {
        if (mk && cJSON_GetObjectItemCaseSensitive(p, RCI_SMP_DIRECTIVE))
            continue;
        const cJSON *pkey = order_key(p, mk);
        while (o && !rci_json_equal(order_key(o, mk), pkey))
            o = o->next;
        if (!o)
            return fail(c, RC_EBADREQUEST, "the order of the patch list does not match its $setElementOrder list");
        o = o->next;
    }
    return 0;
}

/* Handles "$setElementOrder/<name>": merges patch[name] into orig[name], then orders the result. */
static int apply_set_order(cJSON *orig, const cJSON *patch, const cJSON *order, const char *name,
                           const rci_smp_type *t, smp_ctx *c)
{
    if (*name == '\0')
        return fail(c, RC_EBADREQUEST, "%s needs a field name", RCI_SMP_SET_ORDER_PREFIX);
    if (!cJSON_IsArray(order))
        return fail(c, RC_EBADREQUEST, "%s%s must be a list", RCI_SMP_SET_ORDER_PREFIX, name);
    const rci_smp_field *f = rci_smp_field_lookup(t, name);
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(orig, name);
    const cJSON *plist = cJSON_GetObjectItemCaseSensitive(patch, name);
    if ((arr && !cJSON_IsArray(arr)) || (plist && !cJSON_IsNull(plist) && !cJSON_IsArray(plist)))
        return fail(c, RC_EBADREQUEST, "%s%s applies to a field that is not a list", RCI_SMP_SET_ORDER_PREFIX, name);
    if (plist && cJSON_IsNull(plist))
        return 0; /* the list is deleted; the main loop does it */
    if (!f || !(f->strategy & RCI_SMP_MERGE))
        return 0; /* order only means something for merging lists; the main loop replaces the list */
    const char *mk = f->merge_key;
    int kind = element_kind(arr, plist, c);
    if (kind < 0)
        return kind;
    if (kind != cJSON_Object)
        mk = NULL;
    else if (!mk)
        return fail(c, RC_EBADREQUEST, "cannot merge lists of objects without a merge key");
    item_vec order_items = {0};
    cJSON *server = NULL;
    int rc = 0;
    for (const cJSON *o = order->child; rc == 0 && o; o = o->next)
        rc = vec_push(&order_items, (cJSON *)o) ? 0 : nomem(c);
    if (rc == 0 && mk)
        rc = check_merge_keys(order_items.v, order_items.n, mk, RCI_SMP_SET_ORDER_PREFIX, c);
    if (rc == 0)
        rc = check_order_consistent(plist, order, mk, c);
    bool created = false;
    if (rc == 0 && !arr && plist) {
        arr = cJSON_CreateArray();
        created = true;
        rc = arr ? 0 : nomem(c);
    }
    if (rc == 0 && !(server = snapshot_keys(arr, mk)))
        rc = nomem(c);
    if (rc == 0 && arr && plist)
        rc = merge_list(arr, plist, f, c);
    if (rc == 0 && arr)
        rc = reorder(arr, order_items.v, order_items.n, server, mk, c);
    if (created) {
        if (rc == 0)
            rc = set_member(c, orig, name, arr);
        else
            cJSON_Delete(arr);
    }
    vec_free(&order_items);
    cJSON_Delete(server);
    return rc;
}

/* "$deleteFromPrimitiveList/<name>": removes the listed scalars from orig[name]. */
static int apply_delete_from_list(cJSON *orig, const cJSON *dl, const char *name, smp_ctx *c)
{
    if (*name == '\0')
        return fail(c, RC_EBADREQUEST, "%s needs a field name", RCI_SMP_DELETE_PRIMITIVE_PREFIX);
    if (!cJSON_IsArray(dl))
        return fail(c, RC_EBADREQUEST, "%s%s must be a list", RCI_SMP_DELETE_PRIMITIVE_PREFIX, name);
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(orig, name);
    if (!cJSON_IsArray(arr))
        return 0;
    for (cJSON *it = arr->child, *next; it; it = next) {
        next = it->next;
        for (const cJSON *d = dl->child; d; d = d->next)
            if (rci_json_equal(it, d)) {
                cJSON_Delete(cJSON_DetachItemViaPointer(arr, it));
                break;
            }
    }
    return 0;
}

/* True when patch carries "$setElementOrder/<name>" (that list is then merged by apply_set_order). */
static bool has_set_order(const cJSON *patch, const char *name)
{
    size_t plen = strlen(RCI_SMP_SET_ORDER_PREFIX);
    for (const cJSON *p = patch->child; p; p = p->next)
        if (has_prefix(p->string, RCI_SMP_SET_ORDER_PREFIX) && strcmp(p->string + plen, name) == 0)
            return true;
    return false;
}

/* Merges one patch member into orig. */
static int merge_member(cJSON *orig, const cJSON *pv, const char *key, const rci_smp_type *t, smp_ctx *c)
{
    cJSON *ov = cJSON_GetObjectItemCaseSensitive(orig, key);
    if (cJSON_IsNull(pv)) {
        if (ov)
            cJSON_Delete(cJSON_DetachItemViaPointer(orig, ov));
        return 0;
    }
    const rci_smp_field *f = rci_smp_field_lookup(t, key);
    if (ov && kind_of(ov) == kind_of(pv) && !(f && (f->strategy & RCI_SMP_REPLACE))) {
        if (cJSON_IsObject(pv))
            return merge_map(ov, pv, f ? f->type : NULL, c);
        if (cJSON_IsArray(pv))
            return merge_list(ov, pv, f, c);
    }
    cJSON *v;
    int rc = new_value(pv, f, &v, c);
    return rc ? rc : set_member(c, orig, key, v);
}

static int merge_map(cJSON *orig, const cJSON *patch, const rci_smp_type *t, smp_ctx *c)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(patch, RCI_SMP_DIRECTIVE);
    if (d) {
        if (!cJSON_IsString(d) || (strcmp(d->valuestring, "replace") != 0 && strcmp(d->valuestring, "delete") != 0 &&
                                   strcmp(d->valuestring, "merge") != 0))
            return fail(c, RC_EBADREQUEST, "invalid \"$patch\" directive (want replace, delete or merge)");
        if (strcmp(d->valuestring, "merge") != 0)
            clear_container(orig);
        if (strcmp(d->valuestring, "delete") == 0)
            return 0;
    }
    int rc = apply_retain_keys(orig, patch, c);
    size_t order_len = strlen(RCI_SMP_SET_ORDER_PREFIX), del_len = strlen(RCI_SMP_DELETE_PRIMITIVE_PREFIX);
    for (const cJSON *p = patch->child; rc == 0 && p; p = p->next) {
        if (!has_prefix(p->string, RCI_SMP_SET_ORDER_PREFIX))
            continue;
        size_t mark = path_push_key(c, p->string);
        rc = apply_set_order(orig, patch, p, p->string + order_len, t, c);
        path_pop(c, mark);
    }
    for (const cJSON *p = patch->child; rc == 0 && p; p = p->next) {
        const char *key = p->string;
        if (strcmp(key, RCI_SMP_DIRECTIVE) == 0 || strcmp(key, RCI_SMP_RETAIN_KEYS_DIRECTIVE) == 0 ||
            has_prefix(key, RCI_SMP_SET_ORDER_PREFIX))
            continue;
        size_t mark = path_push_key(c, key);
        const rci_smp_field *f = rci_smp_field_lookup(t, key);
        bool ordered = f && (f->strategy & RCI_SMP_MERGE) && cJSON_IsArray(p) && has_set_order(patch, key);
        if (has_prefix(key, RCI_SMP_DELETE_PRIMITIVE_PREFIX))
            rc = apply_delete_from_list(orig, p, key + del_len, c);
        else if (!ordered) /* lists with $setElementOrder were merged by apply_set_order */
            rc = merge_member(orig, p, key, t, c);
        path_pop(c, mark);
    }
    return rc;
}

cJSON *rc_patch_strategic(const cJSON *doc, const cJSON *patch, const char *api_version, const char *kind,
                          rc_error *err)
{
    if (!cJSON_IsObject(doc) || !cJSON_IsObject(patch)) {
        rc_error_set(err, RC_EBADREQUEST, "strategic merge patch: the %s must be a JSON object",
                     cJSON_IsObject(doc) ? "patch" : "document");
        return NULL;
    }
    if (rci_cjson_check_depth(doc, "strategic merge patch: the document", err) ||
        rci_cjson_check_depth(patch, "strategic merge patch: the patch", err))
        return NULL;
    if (!api_version)
        api_version = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "apiVersion"));
    if (!kind)
        kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "kind"));
    const rci_smp_type *t = rci_smp_kind_type(api_version, kind);
    if (!t) {
        rc_error_set(err, RC_EUNSUPPORTED,
                     "strategic merge patch is not supported for %s, Kind=%s: the body of the request was in an "
                     "unknown format - accepted media types include: application/json-patch+json, "
                     "application/merge-patch+json, application/apply-patch+yaml",
                     api_version ? api_version : "(no apiVersion)", kind ? kind : "(no kind)");
        return NULL;
    }
    smp_ctx c = {.err = err};
    rci_strbuf_init(&c.path);
    cJSON *out = cJSON_Duplicate(doc, 1);
    int rc = out ? merge_map(out, patch, t, &c) : nomem(&c);
    if (rc == 0 && c.path.failed)
        rc = nomem(&c);
    rci_strbuf_free(&c.path);
    if (rc != 0) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}
