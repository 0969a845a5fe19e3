/* object.c - rc_object lifetime, conversion and metadata accessors.
 *
 * A frozen object is one allocation: the rc_object header, then the packed value (object_pack.c), then
 * the "ns/name" key when the object is namespaced. The header caches the offsets of the metadata fields
 * read on hot paths, so those accessors do no lookup at all. A draft is the header around a cJSON tree
 * (object_set.c edits it); freezing packs the tree into a separate buffer so the object keeps its
 * address. */
#include "api/object_internal.h"
#include "api/json_depth.h"
#include "util/strbuf.h"

#include <stdlib.h>
#include <string.h>

/* ---- building frozen objects ---- */

static uint32_t field_off(const uint8_t *root, const uint8_t *obj, uint32_t id, unsigned type)
{
    const uint8_t *v = obj ? rci_packed_get_id(obj, id) : NULL;
    return v && (*v & 7) == type ? (uint32_t)(v - root) : 0;
}

static void index_fields(const uint8_t *root, uint32_t off[RCI_OFF_COUNT])
{
    off[RCI_OFF_API_VERSION] = field_off(root, root, RCI_K_API_VERSION, RCI_T_STRING);
    off[RCI_OFF_KIND] = field_off(root, root, RCI_K_KIND, RCI_T_STRING);
    off[RCI_OFF_METADATA] = field_off(root, root, RCI_K_METADATA, RCI_T_OBJECT);
    const uint8_t *meta = off[RCI_OFF_METADATA] ? root + off[RCI_OFF_METADATA] : NULL;
    off[RCI_OFF_NAME] = field_off(root, meta, RCI_K_NAME, RCI_T_STRING);
    off[RCI_OFF_NAMESPACE] = field_off(root, meta, RCI_K_NAMESPACE, RCI_T_STRING);
    off[RCI_OFF_UID] = field_off(root, meta, RCI_K_UID, RCI_T_STRING);
    off[RCI_OFF_RV] = field_off(root, meta, RCI_K_RESOURCE_VERSION, RCI_T_STRING);
    off[RCI_OFF_LABELS] = field_off(root, meta, RCI_K_LABELS, RCI_T_OBJECT);
    off[RCI_OFF_ANNOTATIONS] = field_off(root, meta, RCI_K_ANNOTATIONS, RCI_T_OBJECT);
}

static const char *str_at(const uint8_t *root, uint32_t off, size_t *len)
{
    if (!off) {
        *len = 0;
        return "";
    }
    return rci_packed_str(root + off, len);
}

/* Fills o's frozen fields from w's finished value (which starts at w->start and is an object),
 * appending the key; the value is copied into one allocation of its exact size and w is freed (left to
 * the caller on failure). into_header: the allocation starts with o itself. Returns 0 or RC_ENOMEM. */
static int adopt_packer(rci_packer *w, rc_object **op, bool into_header)
{
    uint32_t off[RCI_OFF_COUNT];
    index_fields(w->buf + w->start, off);
    size_t ns_len, name_len;
    str_at(w->buf + w->start, off[RCI_OFF_NAMESPACE], &ns_len);
    str_at(w->buf + w->start, off[RCI_OFF_NAME], &name_len);
    size_t value_end = w->len;
    if (ns_len) {
        uint8_t *k = rci_packer_grow(w, ns_len + 1 + name_len + 1);
        if (!k)
            return RC_ENOMEM;
        const uint8_t *root = w->buf + w->start;
        memcpy(k, str_at(root, off[RCI_OFF_NAMESPACE], &ns_len), ns_len);
        k[ns_len] = '/';
        memcpy(k + ns_len + 1, str_at(root, off[RCI_OFF_NAME], &name_len), name_len + 1);
    }
    if (w->failed)
        return RC_ENOMEM;
    size_t start = w->start, total = w->len;
    uint8_t *buf = malloc(total); /* the packer's buffer is lent, or larger than the value */
    if (!buf)
        return RC_ENOMEM;
    memcpy(buf + start, w->buf + start, total - start);
    rci_packer_free(w);

    rc_object *o = into_header ? (rc_object *)buf : *op;
    if (into_header) {
        atomic_init(&o->refs, 1);
        *op = o;
    }
    o->frozen = true;
    o->data_inline = into_header;
    o->u.f.data = buf + start;
    o->u.f.size = (uint32_t)(total - start);
    memcpy(o->u.f.off, off, sizeof off);
    o->u.f.key = ns_len ? (const char *)buf + value_end : str_at(o->u.f.data, off[RCI_OFF_NAME], &name_len);
    return 0;
}

rc_object *rci_object_from_packer(rci_packer *w, rc_error *err)
{
    if (w->failed) {
        rci_packer_free(w);
        rc_error_set(err, RC_ENOMEM, "out of memory packing object");
        return NULL;
    }
    if ((w->buf[w->start] & 7) != RCI_T_OBJECT) {
        rci_packer_free(w);
        rc_error_set(err, RC_EBADREQUEST, "object: expected a JSON object at the top level");
        return NULL;
    }
    if (w->len > UINT32_MAX) {
        rci_packer_free(w);
        rc_error_set(err, RC_ETOOLARGE, "object: %zu bytes packed exceeds the 4 GiB limit", w->len);
        return NULL;
    }
    rc_object *o = NULL;
    if (adopt_packer(w, &o, true) != 0) {
        rci_packer_free(w);
        rc_error_set(err, RC_ENOMEM, "out of memory packing object");
        return NULL;
    }
    return o;
}

/* ---- lifetime ---- */

rc_object *rc_object_from_cjson(const cJSON *root, rc_error *err)
{
    if (!cJSON_IsObject(root)) {
        rc_error_set(err, RC_EBADREQUEST, "object: expected a JSON object at the top level");
        return NULL;
    }
    rci_packer w;
    rci_packer_init(&w, sizeof(rc_object));
    if (!rci_pack_cjson(&w, root) && w.too_deep) {
        rci_packer_free(&w);
        rc_error_set(err, RC_EINVAL, "object: nesting deeper than %u levels", RC_OBJECT_MAX_DEPTH);
        return NULL;
    }
    return rci_object_from_packer(&w, err);
}

rc_object *rc_object_from_json(const char *json, size_t len, rc_error *err)
{
    if (!json) {
        rc_error_set(err, RC_EBADREQUEST, "object: no JSON text");
        return NULL;
    }
    rci_packer w;
    rci_packer_init(&w, sizeof(rc_object));
    if (!rci_parse_json(&w, json, len, err)) {
        rci_packer_free(&w);
        return NULL;
    }
    return rci_object_from_packer(&w, err);
}

rc_object *rc_object_new_draft(cJSON *root)
{
    if (!cJSON_IsObject(root))
        return NULL;
    rc_object *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    atomic_init(&o->refs, 1);
    o->u.d.root = root;
    return o;
}

rc_object *rc_object_copy(const rc_object *o)
{
    if (!o)
        return NULL;
    cJSON *root = o->frozen || rci_cjson_depth_ok(o->u.d.root) ? rc_object_to_cjson(o) : NULL;
    rc_object *c = rc_object_new_draft(root);
    if (!c)
        cJSON_Delete(root);
    return c;
}

rc_object *rc_object_freeze(rc_object *o)
{
    if (!o || o->frozen)
        return o;
    if (!cJSON_IsObject(o->u.d.root))
        return NULL;
    rci_packer w;
    rci_packer_init(&w, 0);
    cJSON *root = o->u.d.root;
    char *key = o->u.d.key;
    if (!rci_pack_cjson(&w, root) || w.len > UINT32_MAX || adopt_packer(&w, &o, false) != 0) {
        rci_packer_free(&w);
        return NULL;
    }
    rci_cjson_delete(root);
    free(key);
    return o;
}

bool rc_object_is_frozen(const rc_object *o) { return o && o->frozen; }

rc_object *rc_object_ref(rc_object *o)
{
    if (o)
        atomic_fetch_add_explicit(&o->refs, 1, memory_order_relaxed);
    return o;
}

void rc_object_unref(rc_object *o)
{
    if (!o || atomic_fetch_sub_explicit(&o->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (o->frozen) {
        if (!o->data_inline)
            free((void *)o->u.f.data);
    } else {
        rci_cjson_delete(o->u.d.root);
        free(o->u.d.key);
    }
    free(o);
}

/* ---- conversion ---- */

cJSON *rc_object_to_cjson(const rc_object *o)
{
    if (!o)
        return NULL;
    return o->frozen ? rci_unpack(o->u.f.data) : rci_cjson_copy_capped(o->u.d.root);
}

cJSON *rci_object_to_cjson_readonly(const rc_object *o)
{
    if (!o)
        return NULL;
    return o->frozen ? rci_unpack_compact(o->u.f.data) : rci_cjson_copy_capped(o->u.d.root);
}

bool rci_object_append_json(struct rci_strbuf *b, const rc_object *o)
{
    if (o->frozen)
        rci_print_packed(b, o->u.f.data);
    else
        rci_print_cjson(b, o->u.d.root, 0);
    return !b->failed;
}

char *rc_object_to_json(const rc_object *o, size_t *len)
{
    if (!o)
        return NULL;
    rci_strbuf b;
    rci_strbuf_init(&b);
    rci_strbuf_reserve(&b, o->frozen ? o->u.f.size * 2 : 256);
    if (!rci_object_append_json(&b, o)) {
        rci_strbuf_free(&b);
        return NULL;
    }
    if (len)
        *len = b.len;
    return rci_strbuf_take(&b);
}

cJSON *rc_object_json_mut(rc_object *o) { return o && !o->frozen ? o->u.d.root : NULL; }

/* Levels below RC_OBJECT_MAX_DEPTH are not counted (a draft that deep cannot be frozen anyway). */
static size_t cjson_mem(const cJSON *v, unsigned depth)
{
    size_t n = 0;
    for (; v && depth < RC_OBJECT_MAX_DEPTH; v = v->next) {
        n += sizeof *v;
        if (v->string)
            n += strlen(v->string) + 1;
        if (v->valuestring)
            n += strlen(v->valuestring) + 1;
        n += cjson_mem(v->child, depth + 1);
    }
    return n;
}

size_t rc_object_mem_size(const rc_object *o)
{
    if (!o)
        return 0;
    if (o->frozen)
        return sizeof *o + o->u.f.size;
    return sizeof *o + cjson_mem(o->u.d.root, 0) + (o->u.d.key ? strlen(o->u.d.key) + 1 : 0);
}

bool rc_object_equal(const rc_object *a, const rc_object *b)
{
    if (a == b)
        return true;
    if (!a || !b)
        return false;
    if (a->frozen && b->frozen && a->u.f.size == b->u.f.size && memcmp(a->u.f.data, b->u.f.data, a->u.f.size) == 0)
        return true;
    /* The comparison recurses only as deep as the shallower tree, and frozen ones are within the limit. */
    if (!a->frozen && !b->frozen && !rci_cjson_depth_ok(a->u.d.root) && !rci_cjson_depth_ok(b->u.d.root))
        return false;
    return rci_node_equal(rc_object_root(a), rc_object_root(b));
}

/* ---- metadata accessors ---- */

static rc_node metadata(const rc_object *o)
{
    if (o->frozen) {
        uint32_t off = o->u.f.off[RCI_OFF_METADATA];
        return rci_node_packed(off ? o->u.f.data + off : NULL);
    }
    return rci_node_get_id(rc_object_root(o), RCI_K_METADATA);
}

/* A cached string field of a frozen object, or member id of parent (root or metadata) of a draft. */
static const char *cached_str(const rc_object *o, unsigned off, bool in_metadata, uint32_t id)
{
    if (!o)
        return NULL;
    if (o->frozen) {
        uint32_t x = o->u.f.off[off];
        return x ? rci_packed_str(o->u.f.data + x, NULL) : NULL;
    }
    return rc_node_str(rci_node_get_id(in_metadata ? metadata(o) : rc_object_root(o), id));
}

static const char *meta_str(const rc_object *o, uint32_t id)
{
    return o ? rc_node_str(rci_node_get_id(metadata(o), id)) : NULL;
}

const char *rc_object_api_version(const rc_object *o)
{
    return cached_str(o, RCI_OFF_API_VERSION, false, RCI_K_API_VERSION);
}

const char *rc_object_kind(const rc_object *o) { return cached_str(o, RCI_OFF_KIND, false, RCI_K_KIND); }

const char *rc_object_namespace(const rc_object *o)
{
    const char *ns = cached_str(o, RCI_OFF_NAMESPACE, true, RCI_K_NAMESPACE);
    return ns ? ns : "";
}

const char *rc_object_name(const rc_object *o) { return cached_str(o, RCI_OFF_NAME, true, RCI_K_NAME); }
const char *rc_object_uid(const rc_object *o) { return cached_str(o, RCI_OFF_UID, true, RCI_K_UID); }

const char *rc_object_resource_version(const rc_object *o)
{
    return cached_str(o, RCI_OFF_RV, true, RCI_K_RESOURCE_VERSION);
}

const char *rc_object_generate_name(const rc_object *o) { return meta_str(o, RCI_K_GENERATE_NAME); }
const char *rc_object_creation_timestamp(const rc_object *o) { return meta_str(o, RCI_K_CREATION_TIMESTAMP); }
const char *rc_object_deletion_timestamp(const rc_object *o) { return meta_str(o, RCI_K_DELETION_TIMESTAMP); }

int64_t rc_object_generation(const rc_object *o)
{
    return o ? rc_node_int(rci_node_get_id(metadata(o), RCI_K_GENERATION), 0) : 0;
}

static rc_node map_field(const rc_object *o, unsigned off, uint32_t id)
{
    if (o->frozen) {
        uint32_t x = o->u.f.off[off];
        return rci_node_packed(x ? o->u.f.data + x : NULL);
    }
    return rci_node_get_id(metadata(o), id);
}

const char *rc_object_label(const rc_object *o, const char *key)
{
    return o && key ? rc_node_str(rc_node_get(map_field(o, RCI_OFF_LABELS, RCI_K_LABELS), key)) : NULL;
}

const char *rc_object_annotation(const rc_object *o, const char *key)
{
    return o && key ? rc_node_str(rc_node_get(map_field(o, RCI_OFF_ANNOTATIONS, RCI_K_ANNOTATIONS), key))
                    : NULL;
}

static rc_node meta_array(const rc_object *o, uint32_t id)
{
    rc_node n = o ? rci_node_get_id(metadata(o), id) : (rc_node){0};
    return rc_node_kind(n) == RC_NODE_ARRAY ? n : (rc_node){0};
}

size_t rc_object_finalizer_count(const rc_object *o) { return rc_node_len(meta_array(o, RCI_K_FINALIZERS)); }

const char *rc_object_finalizer(const rc_object *o, size_t i)
{
    return rc_node_str(rc_node_index(meta_array(o, RCI_K_FINALIZERS), i));
}

bool rc_object_has_finalizer(const rc_object *o, const char *name)
{
    if (!name)
        return false;
    rc_node f = meta_array(o, RCI_K_FINALIZERS);
    size_t n = rc_node_len(f);
    for (size_t i = 0; i < n; i++) {
        const char *s = rc_node_str(rc_node_index(f, i));
        if (s && strcmp(s, name) == 0)
            return true;
    }
    return false;
}

size_t rc_object_owner_count(const rc_object *o) { return rc_node_len(meta_array(o, RCI_K_OWNER_REFERENCES)); }

static bool fill_owner(rc_node e, rc_owner_ref *out)
{
    if (rc_node_kind(e) != RC_NODE_OBJECT)
        return false;
    if (out) {
        out->api_version = rc_node_str(rci_node_get_id(e, RCI_K_API_VERSION));
        out->kind = rc_node_str(rci_node_get_id(e, RCI_K_KIND));
        out->name = rc_node_str(rci_node_get_id(e, RCI_K_NAME));
        out->uid = rc_node_str(rci_node_get_id(e, RCI_K_UID));
        out->controller = rc_node_bool(rci_node_get_id(e, RCI_K_CONTROLLER), false);
        out->block_owner_deletion = rc_node_bool(rci_node_get_id(e, RCI_K_BLOCK_OWNER_DELETION), false);
    }
    return true;
}

bool rc_object_owner(const rc_object *o, size_t i, rc_owner_ref *out)
{
    return fill_owner(rc_node_index(meta_array(o, RCI_K_OWNER_REFERENCES), i), out);
}

bool rc_object_controller_ref(const rc_object *o, rc_owner_ref *out)
{
    rc_node refs = meta_array(o, RCI_K_OWNER_REFERENCES);
    size_t n = rc_node_len(refs);
    for (size_t i = 0; i < n; i++) {
        rc_node e = rc_node_index(refs, i);
        if (rc_node_bool(rci_node_get_id(e, RCI_K_CONTROLLER), false))
            return fill_owner(e, out);
    }
    return false;
}

/* ---- keys ---- */

static bool key_matches(const char *key, const char *ns, const char *name)
{
    size_t nl = strlen(ns);
    if (nl && (strncmp(key, ns, nl) != 0 || key[nl] != '/'))
        return false;
    return strcmp(key + (nl ? nl + 1 : 0), name ? name : "") == 0;
}

const char *rc_object_key(const rc_object *o)
{
    if (!o)
        return NULL;
    if (o->frozen)
        return o->u.f.key;
    /* Drafts are private to one thread, so the cached key may be refreshed here; it is replaced only
     * when the name or namespace changed, keeping earlier pointers valid otherwise. */
    rc_object *d = (rc_object *)o;
    const char *ns = rc_object_namespace(o), *name = rc_object_name(o);
    if (d->u.d.key && key_matches(d->u.d.key, ns, name))
        return d->u.d.key;
    size_t need = rc_key_format(NULL, 0, ns, name);
    char *key = malloc(need + 1);
    if (!key)
        return NULL;
    rc_key_format(key, need + 1, ns, name);
    free(d->u.d.key);
    d->u.d.key = key;
    return key;
}

int rc_key_split(const char *key, const char **ns, size_t *ns_len, const char **name)
{
    if (!key)
        return RC_EBADREQUEST;
    const char *slash = strchr(key, '/');
    if (slash && strchr(slash + 1, '/'))
        return RC_EBADREQUEST;
    const char *nm = slash ? slash + 1 : key;
    if (!*nm)
        return RC_EBADREQUEST;
    if (ns)
        *ns = key;
    if (ns_len)
        *ns_len = slash ? (size_t)(slash - key) : 0;
    if (name)
        *name = nm;
    return 0;
}

size_t rc_key_format(char *buf, size_t cap, const char *ns, const char *name)
{
    size_t nl = ns ? strlen(ns) : 0, ml = name ? strlen(name) : 0;
    size_t need = nl ? nl + 1 + ml : ml;
    if (buf && cap) {
        size_t w = 0;
        for (size_t i = 0; i < nl && w + 1 < cap; i++)
            buf[w++] = ns[i];
        if (nl && w + 1 < cap)
            buf[w++] = '/';
        for (size_t i = 0; i < ml && w + 1 < cap; i++)
            buf[w++] = name[i];
        buf[w] = '\0';
    }
    return need;
}
