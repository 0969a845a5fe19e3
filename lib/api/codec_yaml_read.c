/* codec_yaml_read.c - rc_decode_yaml: a YAML stream to cJSON documents, built straight from libyaml's
 * event parser (no intermediate document tree). Typing is go-yaml v2's (codec_scalar.c); anchors are
 * expanded by copying under node and depth limits; merge keys `<<` add the keys a mapping does not set
 * itself; duplicate keys are errors. Any error abandons the whole stream. */
#include "api/codec_internal.h"
#include "api/codec_scalar.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/map.h"
#include "util/strbuf.h"

#define INDEX_AT 8 /* a mapping with this many keys gets a hash index for duplicate checks */
#define YAML_TAG_PREFIX "tag:yaml.org,2002:"

typedef struct anchor {
    char *name;
    cJSON *node;   /* in the document tree (borrowed), or owned (anchored keys) */
    bool owned;
    size_t nodes;  /* nodes in the subtree */
    size_t height; /* 0 for a scalar, 1 + the deepest child for a collection */
} anchor;

typedef struct merge_src {
    cJSON *src; /* a mapping parked in the builder's graveyard */
    size_t pos; /* explicit keys before the `<<` */
} merge_src;

typedef struct frame {
    cJSON *node; /* owned until attached to its parent */
    char *anchor;
    bool is_map;
    bool has_key;      /* mapping: a key was read, its value comes next */
    bool key_is_merge; /* that key is `<<` */
    int line, col;
    int key_line;
    size_t key_off;    /* pending key's offset in builder.keys */
    size_t keys_base;  /* builder.keys length when this frame opened */
    size_t nodes_at_start;
    size_t height;
    size_t nkeys;      /* explicit keys stored */
    size_t lines_base; /* first slot of this mapping in builder.key_lines */
    size_t merge_base; /* first slot of this mapping in builder.merges */
    rci_map index;     /* key -> explicit key index + 1, once nkeys reaches INDEX_AT */
} frame;

typedef struct builder {
    const char *filename;
    const char *text;
    size_t len;
    rci_codec_limits lim;
    rc_error *err;
    frame *frames;
    size_t depth, frames_cap;
    rci_strbuf keys; /* pending keys, each NUL-terminated, stacked by depth */
    int *key_lines;
    size_t nlines, lines_cap;
    merge_src *merges;
    size_t nmerges, merges_cap;
    anchor *anchors;
    size_t nanchors, anchors_cap;
    rci_map anchor_index; /* name -> anchors index + 1 */
    cJSON *graveyard;     /* merge sources, alive until the document ends since anchors may point in */
    cJSON *root;
    int root_line;
    size_t nodes;
    rc_doc_list docs; /* this call's documents; handed to the caller only when all succeeded */
} builder;

static bool grow(void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap * 2 : 16;
    while (n < need)
        n *= 2;
    void *p = realloc(*arr, n * size);
    if (!p)
        return false;
    *arr = p;
    *cap = n;
    return true;
}

static int fail_at(builder *b, int code, const yaml_mark_t *m, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_at(builder *b, int code, const yaml_mark_t *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rci_codec_vfail(b->err, code, b->filename, (int)m->line + 1, (int)m->column + 1, fmt, ap);
    va_end(ap);
    return code;
}

static int nomem(builder *b)
{
    return rc_error_set(b->err, RC_ENOMEM, "%s: out of memory while decoding", rci_codec_name(b->filename));
}

/* ---- anchors ---- */

static void anchors_reset(builder *b)
{
    for (size_t i = 0; i < b->nanchors; i++) {
        free(b->anchors[i].name);
        if (b->anchors[i].owned)
            cJSON_Delete(b->anchors[i].node);
    }
    b->nanchors = 0;
    rci_map_free(&b->anchor_index);
    rci_map_init(&b->anchor_index);
}

/* Records name -> node; takes ownership of name (and of node when owned). */
static int anchor_define(builder *b, char *name, cJSON *node, bool owned, size_t nodes, size_t height)
{
    if (!grow((void **)&b->anchors, &b->anchors_cap, b->nanchors + 1, sizeof *b->anchors)) {
        free(name);
        if (owned)
            cJSON_Delete(node);
        return nomem(b);
    }
    b->anchors[b->nanchors] = (anchor){name, node, owned, nodes, height};
    b->nanchors++;
    if (rci_map_put(&b->anchor_index, name, (void *)(uintptr_t)b->nanchors, NULL) != 0)
        return nomem(b);
    return 0;
}

static const anchor *anchor_find(const builder *b, const char *name)
{
    uintptr_t i = (uintptr_t)rci_map_get(&b->anchor_index, name);
    return i ? &b->anchors[i - 1] : NULL;
}

static char *dup_name(const yaml_char_t *name)
{
    return name ? strdup((const char *)name) : NULL;
}

/* ---- scalars ---- */

static const char *kind_name(rci_scalar_kind k)
{
    switch (k) {
    case RCI_SCALAR_NULL: return "!!null";
    case RCI_SCALAR_BOOL: return "!!bool";
    case RCI_SCALAR_NONFINITE: return "!!float";
    default: return "!!str";
    }
}

/* Types a scalar event: its tag if any, else plain scalars by value and quoted/block ones as strings. */
static int scalar_type(builder *b, const yaml_event_t *ev, rci_scalar *out)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    rci_scalar r = {.kind = RCI_SCALAR_STR};
    if (strlen(s) != n)
        return fail_at(b, RC_EBADREQUEST, &ev->start_mark, "strings cannot contain NUL characters");
    if (!tag) {
        if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
            r = rci_yaml_resolve_plain(s, n);
    } else if (strncmp(tag, YAML_TAG_PREFIX, sizeof YAML_TAG_PREFIX - 1) == 0) {
        const char *t = tag + sizeof YAML_TAG_PREFIX - 1;
        bool is_int = strcmp(t, "int") == 0, is_float = strcmp(t, "float") == 0;
        bool is_bool = strcmp(t, "bool") == 0, is_null = strcmp(t, "null") == 0;
        if (is_int || is_float || is_bool || is_null || strcmp(t, "merge") == 0) {
            r = rci_yaml_resolve_plain(s, n);
            bool ok = (is_int && r.kind == RCI_SCALAR_NUM && r.is_int) ||
                      (is_float && (r.kind == RCI_SCALAR_NUM || r.kind == RCI_SCALAR_NONFINITE)) ||
                      (is_bool && r.kind == RCI_SCALAR_BOOL) || (is_null && r.kind == RCI_SCALAR_NULL) ||
                      (!is_int && !is_float && !is_bool && !is_null);
            if (!ok) {
                const char *got = r.kind == RCI_SCALAR_NUM ? (r.is_int ? "!!int" : "!!float") : kind_name(r.kind);
                return fail_at(b, RC_EBADREQUEST, &ev->start_mark, "cannot decode %s `%s` as a !!%s", got, s, t);
            }
        }
    }
    if (r.kind == RCI_SCALAR_NONFINITE)
        return fail_at(b, RC_EBADREQUEST, &ev->start_mark,
                       "float %s has no JSON representation (infinity and NaN are not allowed)", s);
    *out = r;
    return 0;
}

static cJSON *scalar_node(const rci_scalar *r, const char *s)
{
    switch (r->kind) {
    case RCI_SCALAR_NULL: return cJSON_CreateNull();
    case RCI_SCALAR_BOOL: return cJSON_CreateBool(r->b);
    case RCI_SCALAR_NUM: return cJSON_CreateNumber(r->num);
    default: return cJSON_CreateString(s);
    }
}

/* Writes the JSON key for a typed scalar (sigs.k8s.io/yaml's conversion of non-string keys). */
static bool key_text(builder *b, const rci_scalar *r, const char *s)
{
    char num[40];
    switch (r->kind) {
    case RCI_SCALAR_BOOL: s = r->b ? "true" : "false"; break;
    case RCI_SCALAR_NUM: rci_format_double(num, sizeof num, r->num); s = num; break;
    case RCI_SCALAR_NULL: return false;
    default: break;
    }
    rci_strbuf_append(&b->keys, s, strlen(s) + 1);
    return true;
}

/* ---- mappings: keys, duplicates, merges ---- */

static long key_find(const frame *f, const char *key)
{
    if (f->index.cap)
        return (long)(uintptr_t)rci_map_get(&f->index, key) - 1;
    long i = 0;
    for (const cJSON *c = f->node->child; c; c = c->next, i++)
        if (strcmp(c->string, key) == 0)
            return i;
    return -1;
}

static int index_add(builder *b, frame *f, const char *key, size_t i)
{
    if (rci_map_put(&f->index, key, (void *)(uintptr_t)(i + 1), NULL) != 0)
        return nomem(b);
    return 0;
}

static int index_build(builder *b, frame *f)
{
    size_t i = 0;
    for (const cJSON *c = f->node->child; c; c = c->next, i++)
        if (index_add(b, f, c->string, i))
            return RC_ENOMEM;
    return 0;
}

/* Accepts the key now in b->keys at f->key_off (a `<<` when merge). */
static int key_accept(builder *b, frame *f, bool merge, const yaml_mark_t *m)
{
    const char *key = b->keys.data + f->key_off;
    f->has_key = true;
    f->key_is_merge = merge;
    f->key_line = (int)m->line + 1;
    if (merge)
        return 0;
    long prev = key_find(f, key);
    if (prev >= 0) {
        int first = b->key_lines[f->lines_base + (size_t)prev];
        return rci_codec_fail(b->err, RC_EBADREQUEST, b->filename, (int)m->line + 1, (int)m->column + 1,
                              "key \"%s\" already set in map (first set at line %d)", key, first);
    }
    return 0;
}

static int merge_push(builder *b, frame *f, cJSON *src)
{
    if (!grow((void **)&b->merges, &b->merges_cap, b->nmerges + 1, sizeof *b->merges))
        return nomem(b);
    b->merges[b->nmerges++] = (merge_src){src, f->nkeys};
    return 0;
}

/* The value of a `<<` key: a mapping or a sequence of mappings, parked until the mapping ends. */
static int merge_value(builder *b, frame *f, cJSON *v, int line, int col)
{
    bool ok = cJSON_IsObject(v);
    if (cJSON_IsArray(v))
        for (const cJSON *c = v->child; c && (ok = cJSON_IsObject(c)); c = c->next)
            ;
    if (!ok) {
        cJSON_Delete(v);
        return rci_codec_fail(b->err, RC_EBADREQUEST, b->filename, line, col,
                              "map merge requires a map or a sequence of maps as the value");
    }
    if (!cJSON_AddItemToArray(b->graveyard, v)) {
        cJSON_Delete(v);
        return nomem(b);
    }
    if (cJSON_IsObject(v))
        return merge_push(b, f, v);
    for (cJSON *c = v->child; c; c = c->next)
        if (merge_push(b, f, c))
            return RC_ENOMEM;
    return 0;
}

static size_t count_nodes(const cJSON *n)
{
    size_t k = 1;
    for (const cJSON *c = n->child; c; c = c->next)
        k += count_nodes(c);
    return k;
}

static int nodes_add(builder *b, size_t k, int line, int col)
{
    b->nodes += k;
    if (b->nodes <= b->lim.max_nodes)
        return 0;
    return rci_codec_fail(b->err, RC_ETOOLARGE, b->filename, line, col,
                          "more than %zu nodes (too many aliases expanded?)", b->lim.max_nodes);
}

/* Links item into obj's member list before `before` (NULL: at the end), keeping cJSON's invariant that
 * the first member's prev is the last member. (cJSON_InsertItemInArray of the cJSON 1.7.15 in Debian 12
 * refuses some middle insertions.) */
static void insert_before(cJSON *obj, cJSON *before, cJSON *item)
{
    item->next = before;
    if (!obj->child) {
        obj->child = item;
        item->prev = item;
    } else if (!before) {
        cJSON *tail = obj->child->prev;
        tail->next = item;
        item->prev = tail;
        obj->child->prev = item;
    } else {
        item->prev = before->prev;
        if (before == obj->child)
            obj->child = item;
        else
            before->prev->next = item;
        before->prev = item;
    }
}

/* Copies in the keys of this mapping's merge sources that it does not set, at the `<<` position. */
static int merges_apply(builder *b, frame *f)
{
    size_t shift = 0;
    for (size_t m = f->merge_base; m < b->nmerges; m++) {
        cJSON *before = f->node->child;
        for (size_t i = 0; before && i < b->merges[m].pos + shift; i++)
            before = before->next;
        for (const cJSON *c = b->merges[m].src->child; c; c = c->next) {
            if (key_find(f, c->string) >= 0)
                continue;
            if (nodes_add(b, count_nodes(c), f->line, f->col))
                return RC_ETOOLARGE;
            cJSON *copy = cJSON_Duplicate(c, true);
            if (!copy)
                return nomem(b);
            insert_before(f->node, before, copy);
            if (f->index.cap && index_add(b, f, copy->string, f->nkeys))
                return RC_ENOMEM;
            shift++;
        }
    }
    b->nmerges = f->merge_base;
    return 0;
}

/* ---- tree building ---- */

static void drop_key_name(cJSON *v)
{
    if (v->string && !(v->type & cJSON_StringIsConst))
        cJSON_free(v->string);
    v->string = NULL;
}

/* Places the finished node v (owned; deleted on failure) in the open collection, or as the root. */
static int attach(builder *b, cJSON *v, size_t height, int line, int col)
{
    if (b->depth == 0) {
        b->root = v;
        b->root_line = line;
        return 0;
    }
    frame *f = &b->frames[b->depth - 1];
    if (height + 1 > f->height)
        f->height = height + 1;
    if (!f->is_map) {
        drop_key_name(v);
        cJSON_AddItemToArray(f->node, v);
        return 0;
    }
    f->has_key = false;
    if (f->key_is_merge) {
        b->keys.len = f->key_off;
        return merge_value(b, f, v, line, col);
    }
    bool added = grow((void **)&b->key_lines, &b->lines_cap, b->nlines + 1, sizeof *b->key_lines) &&
                 cJSON_AddItemToObject(f->node, b->keys.data + f->key_off, v);
    b->keys.len = f->key_off;
    if (!added) {
        cJSON_Delete(v);
        return nomem(b);
    }
    b->key_lines[b->nlines++] = f->key_line;
    f->nkeys++;
    if (f->index.cap)
        return index_add(b, f, v->string, f->nkeys - 1);
    return f->nkeys == INDEX_AT ? index_build(b, f) : 0;
}

static frame *top_map_wanting_key(builder *b)
{
    if (b->depth == 0)
        return NULL;
    frame *f = &b->frames[b->depth - 1];
    return f->is_map && !f->has_key ? f : NULL;
}

static int on_scalar(builder *b, const yaml_event_t *ev)
{
    const yaml_mark_t *m = &ev->start_mark;
    int line = (int)m->line + 1, col = (int)m->column + 1;
    if (nodes_add(b, 1, line, col))
        return RC_ETOOLARGE;
    rci_scalar r;
    int rc = scalar_type(b, ev, &r);
    if (rc)
        return rc;
    const char *s = (const char *)ev->data.scalar.value;
    frame *f = top_map_wanting_key(b);
    if (f) {
        bool merge = r.kind == RCI_SCALAR_STR && strcmp(s, "<<") == 0 &&
                     (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ||
                      (ev->data.scalar.tag && strcmp((const char *)ev->data.scalar.tag, YAML_TAG_PREFIX "merge") == 0));
        f->key_off = b->keys.len;
        if (!key_text(b, &r, s))
            return fail_at(b, RC_EBADREQUEST, m, "null is not a valid mapping key");
        if (b->keys.failed)
            return nomem(b);
        if ((rc = key_accept(b, f, merge, m)))
            return rc;
        if (!ev->data.scalar.anchor)
            return 0;
        cJSON *node = scalar_node(&r, s);
        char *name = dup_name(ev->data.scalar.anchor);
        if (!node || !name) {
            cJSON_Delete(node);
            free(name);
            return nomem(b);
        }
        return anchor_define(b, name, node, true, 1, 0);
    }
    cJSON *node = scalar_node(&r, s);
    if (!node)
        return nomem(b);
    if ((rc = attach(b, node, 0, line, col)))
        return rc;
    if (!ev->data.scalar.anchor)
        return 0;
    char *name = dup_name(ev->data.scalar.anchor);
    return name ? anchor_define(b, name, node, false, 1, 0) : nomem(b);
}

static int on_alias(builder *b, const yaml_event_t *ev)
{
    const yaml_mark_t *m = &ev->start_mark;
    int line = (int)m->line + 1, col = (int)m->column + 1;
    const char *name = (const char *)ev->data.alias.anchor;
    const anchor *a = anchor_find(b, name);
    if (!a)
        return fail_at(b, RC_EBADREQUEST, m, "unknown anchor '%s' referenced", name);
    frame *f = top_map_wanting_key(b);
    if (f) {
        if (cJSON_IsArray(a->node) || cJSON_IsObject(a->node))
            return fail_at(b, RC_EBADREQUEST, m, "alias *%s used as a mapping key is not a scalar", name);
        rci_scalar r = {.kind = RCI_SCALAR_STR};
        if (cJSON_IsNull(a->node))
            r.kind = RCI_SCALAR_NULL;
        else if (cJSON_IsBool(a->node))
            r = (rci_scalar){.kind = RCI_SCALAR_BOOL, .b = cJSON_IsTrue(a->node)};
        else if (cJSON_IsNumber(a->node))
            r = (rci_scalar){.kind = RCI_SCALAR_NUM, .num = a->node->valuedouble};
        f->key_off = b->keys.len;
        if (!key_text(b, &r, a->node->valuestring))
            return fail_at(b, RC_EBADREQUEST, m, "null is not a valid mapping key");
        return b->keys.failed ? nomem(b) : key_accept(b, f, false, m);
    }
    if (b->depth + a->height > b->lim.max_depth)
        return rci_codec_fail(b->err, RC_ETOOLARGE, b->filename, line, col,
                              "alias *%s nests deeper than %zu levels", name, b->lim.max_depth);
    if (nodes_add(b, a->nodes, line, col))
        return RC_ETOOLARGE;
    cJSON *copy = cJSON_Duplicate(a->node, true);
    if (!copy)
        return nomem(b);
    return attach(b, copy, a->height, line, col);
}

static int on_collection_start(builder *b, const yaml_event_t *ev, bool is_map)
{
    const yaml_mark_t *m = &ev->start_mark;
    int line = (int)m->line + 1, col = (int)m->column + 1;
    if (top_map_wanting_key(b))
        return fail_at(b, RC_EBADREQUEST, m, "mapping keys must be scalars, not a %s",
                       is_map ? "mapping" : "sequence");
    if (b->depth + 1 > b->lim.max_depth)
        return rci_codec_fail(b->err, RC_ETOOLARGE, b->filename, line, col,
                              "nesting deeper than %zu levels", b->lim.max_depth);
    if (nodes_add(b, 1, line, col))
        return RC_ETOOLARGE;
    if (!grow((void **)&b->frames, &b->frames_cap, b->depth + 1, sizeof *b->frames))
        return nomem(b);
    const yaml_char_t *anchor_name = is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    frame *f = &b->frames[b->depth];
    memset(f, 0, sizeof *f);
    f->node = is_map ? cJSON_CreateObject() : cJSON_CreateArray();
    f->anchor = dup_name(anchor_name);
    if (!f->node || (anchor_name && !f->anchor)) {
        cJSON_Delete(f->node);
        free(f->anchor);
        return nomem(b);
    }
    f->is_map = is_map;
    f->line = line;
    f->col = col;
    f->keys_base = b->keys.len;
    f->nodes_at_start = b->nodes - 1;
    f->height = 1;
    f->lines_base = b->nlines;
    f->merge_base = b->nmerges;
    rci_map_init(&f->index);
    b->depth++;
    return 0;
}

static int on_collection_end(builder *b)
{
    frame *f = &b->frames[b->depth - 1];
    int rc = f->is_map ? merges_apply(b, f) : 0;
    cJSON *node = f->node;
    char *name = f->anchor;
    size_t nodes = b->nodes - f->nodes_at_start, height = f->height;
    int line = f->line, col = f->col;
    b->keys.len = f->keys_base;
    b->nlines = f->lines_base;
    rci_map_free(&f->index);
    b->depth--;
    if (rc) {
        cJSON_Delete(node);
        free(name);
        return rc;
    }
    if ((rc = attach(b, node, height, line, col))) {
        free(name);
        return rc;
    }
    return name ? anchor_define(b, name, node, false, nodes, height) : 0;
}

static void document_reset(builder *b)
{
    anchors_reset(b);
    cJSON_Delete(b->graveyard);
    b->graveyard = NULL;
    cJSON_Delete(b->root);
    b->root = NULL;
}

static int on_event(builder *b, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        document_reset(b);
        b->graveyard = cJSON_CreateArray();
        return b->graveyard ? 0 : nomem(b);
    case YAML_DOCUMENT_END_EVENT: {
        cJSON *root = b->root;
        b->root = NULL;
        document_reset(b);
        if (!root || cJSON_IsNull(root)) {
            cJSON_Delete(root);
            return 0;
        }
        return rci_doc_list_push(&b->docs, root, b->root_line) ? nomem(b) : 0;
    }
    case YAML_SCALAR_EVENT: return on_scalar(b, ev);
    case YAML_ALIAS_EVENT: return on_alias(b, ev);
    case YAML_SEQUENCE_START_EVENT: return on_collection_start(b, ev, false);
    case YAML_MAPPING_START_EVENT: return on_collection_start(b, ev, true);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: return on_collection_end(b);
    default: return 0;
    }
}

/* The character at a 1-based line and column, or -1. */
static int char_at(const char *text, size_t len, int line, int col)
{
    size_t i = 0;
    for (int l = 1; l < line && i < len; i++)
        if (text[i] == '\n')
            l++;
    for (int c = 1; c < col && i < len; c++)
        for (i++; i < len && ((unsigned char)text[i] & 0xC0) == 0x80; i++)
            ;
    return i < len ? (unsigned char)text[i] : -1;
}

static int parser_fail(builder *b, const yaml_parser_t *p)
{
    if (p->error == YAML_MEMORY_ERROR)
        return nomem(b);
    if (p->error == YAML_READER_ERROR) {
        int line, col;
        rci_text_position(b->text, b->len, p->problem_offset, &line, &col);
        if (p->problem_value >= 0)
            return rci_codec_fail(b->err, RC_EBADREQUEST, b->filename, line, col,
                                  "%s (0x%02X): the input must be UTF-8 text", p->problem,
                                  (unsigned)p->problem_value);
        return rci_codec_fail(b->err, RC_EBADREQUEST, b->filename, line, col, "%s", p->problem);
    }
    int line = (int)p->problem_mark.line + 1, col = (int)p->problem_mark.column + 1;
    const char *problem = p->problem ? p->problem : "invalid YAML";
    if (char_at(b->text, b->len, line, col) == '\t')
        problem = "found a tab character that cannot start any token (indent YAML with spaces, not tabs)";
    bool same_place = p->context_mark.line == p->problem_mark.line && p->context_mark.column == p->problem_mark.column;
    if (p->context && !same_place)
        return rci_codec_fail(b->err, RC_EBADREQUEST, b->filename, line, col, "%s (%s at %d:%d)", problem,
                              p->context, (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    return rci_codec_fail(b->err, RC_EBADREQUEST, b->filename, line, col, "%s", problem);
}

static void builder_free(builder *b)
{
    for (size_t i = 0; i < b->depth; i++) {
        cJSON_Delete(b->frames[i].node);
        free(b->frames[i].anchor);
        rci_map_free(&b->frames[i].index);
    }
    free(b->frames);
    document_reset(b);
    rci_map_free(&b->anchor_index);
    free(b->anchors);
    free(b->merges);
    free(b->key_lines);
    rci_strbuf_free(&b->keys);
    rc_doc_list_clear(&b->docs);
}

int rc_decode_yaml(const char *text, size_t len, const char *filename, const rc_decode_options *opts,
                   rc_doc_list *out, rc_error *err)
{
    if ((!text && len) || !out)
        return rc_error_set(err, RC_EINVAL, "rc_decode_yaml: text and out are required");
    builder b = {.filename = filename, .text = text ? text : "", .len = len, .err = err};
    b.lim = rci_codec_limits_of(opts);
    int rc = rci_codec_check_size(len, &b.lim, filename, err);
    if (rc)
        return rc;
    rci_strbuf_init(&b.keys);
    rci_map_init(&b.anchor_index);
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return nomem(&b);
    yaml_parser_set_input_string(&parser, (const unsigned char *)b.text, len);
    for (bool done = false; !done && !rc;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = parser_fail(&b, &parser);
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        rc = on_event(&b, &ev);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    if (!rc && rci_doc_list_move(out, &b.docs))
        rc = nomem(&b);
    builder_free(&b);
    return rc;
}
