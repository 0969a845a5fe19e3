/* object_pack.c - the packed binary form of frozen objects: writer, reader primitives, cJSON bridges.
 *
 * A value is a tag byte (type in the low 3 bits, a small inline number x in the high 5 bits) and:
 *   NULL, FALSE, TRUE  nothing
 *   INT                zigzag value: x when below 31, else a varint follows
 *   DOUBLE             8 bytes (native order)
 *   STRING             length (x, or varint when x == 31), the bytes, a NUL (so accessors return them)
 *   ARRAY, OBJECT      count (x, or varint when x == 31), varint byte length of the body, the body
 * An object member is a varint k then the value: k even = interned key id k/2 (intern.c); k odd = an
 * inline key of k/2 bytes plus NUL (keys the intern table has no room for). Containers know their body
 * size, so skipping a value is O(1). The writer (rci_packer, also used by the JSON parser) appends a
 * container's header when the container closes, moving the body only when the header outgrows the two
 * bytes reserved for it. rci_unpack gives the cJSON tree the intern table's own keys (flagged
 * cJSON_StringIsConst, which cJSON_Delete and cJSON_Duplicate honour) rather than a copy of each, and
 * packing such a tree finds their ids by address (rci_intern_known); rci_unpack_compact, for trees only
 * read, also puts each string value in its item's allocation. */
#include "api/object_internal.h"
#include "api/json_depth.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define INLINE_MAX 31

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static uint64_t zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static int64_t unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

/* ---- reading ---- */

static uint64_t tag_number(const uint8_t **p)
{
    uint8_t x = (uint8_t)(**p >> 3);
    (*p)++;
    return x < INLINE_MAX ? x : rci_varint(p);
}

const uint8_t *rci_packed_skip(const uint8_t *p)
{
    switch (*p & 7) {
    case RCI_T_INT:
        tag_number(&p);
        return p;
    case RCI_T_DOUBLE:
        return p + 9;
    case RCI_T_STRING: {
        uint64_t len = tag_number(&p);
        return p + len + 1;
    }
    case RCI_T_ARRAY:
    case RCI_T_OBJECT: {
        tag_number(&p);
        uint64_t body = rci_varint(&p);
        return p + body;
    }
    default:
        return p + 1;
    }
}

const uint8_t *rci_packed_body(const uint8_t *p, size_t *count)
{
    *count = (size_t)tag_number(&p);
    rci_varint(&p);
    return p;
}

const uint8_t *rci_packed_member(const uint8_t *m, const char **key, size_t *klen)
{
    uint64_t k = rci_varint(&m);
    if (k & 1) {
        *klen = (size_t)(k >> 1);
        *key = (const char *)m;
        return m + *klen + 1;
    }
    *key = rci_intern_str((uint32_t)(k >> 1), klen);
    return m;
}

const uint8_t *rci_packed_get_id(const uint8_t *obj, uint32_t id)
{
    size_t n;
    const uint8_t *m = rci_packed_body(obj, &n);
    uint64_t want = (uint64_t)id << 1;
    while (n--) {
        uint64_t k = rci_varint(&m);
        if (k == want)
            return m;
        if (k & 1)
            m += (k >> 1) + 1;
        m = rci_packed_skip(m);
    }
    return NULL;
}

const uint8_t *rci_packed_get(const uint8_t *obj, const char *key, size_t len)
{
    /* Interned keys compare by id; inline keys (rare: long keys, a full table, or a failed allocation
     * when the object was packed) by bytes. */
    uint32_t id = rci_intern_find(key, len);
    bool by_id = id != RCI_INTERN_NONE;
    uint64_t want = (uint64_t)id << 1;
    size_t n;
    const uint8_t *m = rci_packed_body(obj, &n);
    while (n--) {
        uint64_t k = rci_varint(&m);
        if (by_id && k == want)
            return m;
        if (k & 1) {
            size_t klen = (size_t)(k >> 1);
            bool hit = klen == len && memcmp(m, key, len) == 0;
            m += klen + 1;
            if (hit)
                return m;
        }
        m = rci_packed_skip(m);
    }
    return NULL;
}

const char *rci_packed_str(const uint8_t *p, size_t *len)
{
    uint64_t n = tag_number(&p);
    if (len)
        *len = (size_t)n;
    return (const char *)p;
}

int64_t rci_packed_int(const uint8_t *p) { return unzigzag(tag_number(&p)); }

double rci_packed_double(const uint8_t *p)
{
    double d;
    memcpy(&d, p + 1, sizeof d);
    return d;
}

/* ---- writing ---- */

/* Each thread lends one buffer and frame stack to one packer at a time (the first one initialised while
 * none holds them), so packing an object reallocates only to grow past the largest one packed before;
 * the buffers go back in rci_packer_free (dropped when above SCRATCH_KEEP_MAX) and are freed when the
 * thread ends. */
#define SCRATCH_KEEP_MAX ((size_t)1 << 20)

typedef struct scratch {
    uint8_t *buf;
    size_t cap;
    rci_packer_frame *stack;
    size_t stack_cap;
    const rci_packer *owner; /* the packer holding buf and stack, or NULL */
} scratch;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static bool scratch_key_ok;
static _Thread_local scratch *thread_scratch_ptr;

static void scratch_free(void *p)
{
    scratch *s = p;
    free(s->buf);
    free(s->stack);
    free(s);
    thread_scratch_ptr = NULL;
}

static void scratch_key_init(void) { scratch_key_ok = pthread_key_create(&scratch_key, scratch_free) == 0; }

/* This thread's scratch; NULL when it cannot be set up (packers then allocate their own). */
static scratch *thread_scratch(void)
{
    if (thread_scratch_ptr)
        return thread_scratch_ptr;
    pthread_once(&scratch_once, scratch_key_init);
    scratch *s = scratch_key_ok ? calloc(1, sizeof *s) : NULL;
    if (s && pthread_setspecific(scratch_key, s) != 0) {
        free(s);
        s = NULL;
    }
    thread_scratch_ptr = s;
    return s;
}

void rci_packer_init(rci_packer *w, size_t reserve)
{
    memset(w, 0, sizeof *w);
    w->len = reserve;
    w->start = reserve;
    scratch *s = thread_scratch();
    if (s && !s->owner) {
        s->owner = w;
        w->buf = s->buf;
        w->cap = s->cap;
        w->stack = s->stack;
        w->stack_cap = s->stack_cap;
        *s = (scratch){.owner = w};
    }
}

void rci_packer_free(rci_packer *w)
{
    scratch *s = thread_scratch_ptr;
    if (s && s->owner == w) {
        *s = (scratch){.stack = w->stack, .stack_cap = w->stack_cap};
        w->stack = NULL;
        if (w->cap <= SCRATCH_KEEP_MAX) {
            s->buf = w->buf;
            s->cap = w->cap;
            w->buf = NULL;
        }
    }
    free(w->buf);
    free(w->stack);
    memset(w, 0, sizeof *w);
}

static uint8_t *room(rci_packer *w, size_t n)
{
    if (w->failed)
        return NULL;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < w->len + n)
            cap *= 2;
        uint8_t *buf = realloc(w->buf, cap);
        if (!buf) {
            w->failed = true;
            return NULL;
        }
        w->buf = buf;
        w->cap = cap;
    }
    return w->buf + w->len;
}

static void put_tagged(rci_packer *w, unsigned type, uint64_t x, const void *extra, size_t extra_len)
{
    uint8_t *p = room(w, 1 + 10 + extra_len + 1);
    if (!p)
        return;
    uint8_t *q = p;
    if (x < INLINE_MAX) {
        *q++ = (uint8_t)(type | (x << 3));
    } else {
        *q++ = (uint8_t)(type | (INLINE_MAX << 3));
        q = put_varint(q, x);
    }
    if (extra_len)
        memcpy(q, extra, extra_len);
    q += extra_len;
    w->len += (size_t)(q - p);
}

/* Counts one more element in the innermost open container. */
static void count_item(rci_packer *w)
{
    if (w->depth)
        w->stack[w->depth - 1].count++;
}

uint8_t *rci_packer_grow(rci_packer *w, size_t n)
{
    uint8_t *p = room(w, n);
    if (p)
        w->len += n;
    return p;
}

void rci_packer_null(rci_packer *w)
{
    count_item(w);
    put_tagged(w, RCI_T_NULL, 0, NULL, 0);
}

void rci_packer_bool(rci_packer *w, bool v)
{
    count_item(w);
    put_tagged(w, v ? RCI_T_TRUE : RCI_T_FALSE, 0, NULL, 0);
}

void rci_packer_int(rci_packer *w, int64_t v)
{
    count_item(w);
    put_tagged(w, RCI_T_INT, zigzag(v), NULL, 0);
}

void rci_packer_double(rci_packer *w, double v)
{
    count_item(w);
    uint8_t b[8];
    memcpy(b, &v, sizeof b);
    put_tagged(w, RCI_T_DOUBLE, 0, b, sizeof b);
}

void rci_packer_number(rci_packer *w, double v)
{
    if (v == floor(v) && fabs(v) <= 9007199254740992.0)
        rci_packer_int(w, (int64_t)v);
    else
        rci_packer_double(w, v);
}

void rci_packer_string(rci_packer *w, const char *s, size_t len)
{
    count_item(w);
    put_tagged(w, RCI_T_STRING, len, s, len);
    if (!w->failed)
        w->buf[w->len++] = '\0'; /* room() reserved it */
}

/* Appends a member key: interned id (id != NONE) or the len bytes of key inline. */
static void put_key(rci_packer *w, uint32_t id, const char *key, size_t len)
{
    uint8_t *p = room(w, 10 + (id != RCI_INTERN_NONE ? 0 : len + 1));
    if (!p)
        return;
    uint8_t *q;
    if (id != RCI_INTERN_NONE) {
        q = put_varint(p, (uint64_t)id << 1);
    } else {
        q = put_varint(p, ((uint64_t)len << 1) | 1);
        memcpy(q, key, len);
        q += len;
        *q++ = '\0';
    }
    w->len += (size_t)(q - p);
}

void rci_packer_key(rci_packer *w, const char *key, size_t len) { put_key(w, rci_intern(key, len), key, len); }

void rci_packer_open(rci_packer *w, bool object)
{
    count_item(w);
    if (w->depth == w->stack_cap) {
        size_t cap = w->stack_cap ? w->stack_cap * 2 : 16;
        rci_packer_frame *s = realloc(w->stack, cap * sizeof *s);
        if (!s) {
            w->failed = true;
            return;
        }
        w->stack = s;
        w->stack_cap = cap;
    }
    if (!room(w, 2))
        return;
    w->stack[w->depth++] = (rci_packer_frame){.pos = w->len, .count = 0, .object = object};
    w->len += 2; /* tag + one length byte; close() widens when needed */
}

void rci_packer_close(rci_packer *w)
{
    if (w->failed || !w->depth)
        return;
    rci_packer_frame f = w->stack[--w->depth];
    size_t body = w->len - f.pos - 2;
    size_t need = 1 + (f.count < INLINE_MAX ? 0 : varint_len(f.count)) + varint_len(body);
    if (need > 2) {
        if (!room(w, need - 2))
            return;
        memmove(w->buf + f.pos + need, w->buf + f.pos + 2, body);
        w->len += need - 2;
    }
    uint8_t *p = w->buf + f.pos;
    unsigned type = f.object ? RCI_T_OBJECT : RCI_T_ARRAY;
    if (f.count < INLINE_MAX) {
        *p++ = (uint8_t)(type | (f.count << 3));
    } else {
        *p++ = (uint8_t)(type | (INLINE_MAX << 3));
        p = put_varint(p, f.count);
    }
    put_varint(p, body);
}

/* ---- cJSON bridges ---- */

static void pack_value(rci_packer *w, const cJSON *v, unsigned depth)
{
    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        if (depth >= RC_OBJECT_MAX_DEPTH) {
            w->failed = w->too_deep = true;
            return;
        }
        bool obj = cJSON_IsObject(v);
        rci_packer_open(w, obj);
        for (const cJSON *c = v->child; c && !w->failed; c = c->next) {
            if (obj) {
                const char *k = c->string ? c->string : "";
                uint32_t id = rci_intern_known(k);
                if (id != RCI_INTERN_NONE)
                    put_key(w, id, k, 0);
                else
                    rci_packer_key(w, k, strlen(k));
            }
            pack_value(w, c, depth + 1);
        }
        rci_packer_close(w);
    } else if (cJSON_IsString(v)) {
        rci_packer_string(w, v->valuestring, strlen(v->valuestring));
    } else if (cJSON_IsNumber(v)) {
        rci_packer_number(w, v->valuedouble);
    } else if (cJSON_IsBool(v)) {
        rci_packer_bool(w, cJSON_IsTrue(v));
    } else {
        rci_packer_null(w);
    }
}

bool rci_pack_cjson(rci_packer *w, const cJSON *v)
{
    pack_value(w, v, 0);
    return !w->failed;
}

/* A string item whose value follows the item in the same allocation (one allocation instead of two);
 * cJSON_IsReference keeps cJSON_Delete from freeing the value on its own. */
static cJSON *compact_string(const uint8_t *p)
{
    size_t len;
    const char *s = rci_packed_str(p, &len);
    cJSON *item = cJSON_malloc(sizeof *item + len + 1);
    if (!item)
        return NULL;
    memset(item, 0, sizeof *item);
    item->type = cJSON_String | cJSON_IsReference;
    item->valuestring = memcpy((char *)(item + 1), s, len + 1);
    return item;
}

static cJSON *unpack(const uint8_t *p, bool compact)
{
    switch (*p & 7) {
    case RCI_T_NULL:
        return cJSON_CreateNull();
    case RCI_T_FALSE:
        return cJSON_CreateFalse();
    case RCI_T_TRUE:
        return cJSON_CreateTrue();
    case RCI_T_INT:
        return cJSON_CreateNumber((double)rci_packed_int(p));
    case RCI_T_DOUBLE:
        return cJSON_CreateNumber(rci_packed_double(p));
    case RCI_T_STRING:
        return compact ? compact_string(p) : cJSON_CreateString(rci_packed_str(p, NULL));
    default:
        break;
    }
    bool obj = (*p & 7) == RCI_T_OBJECT;
    cJSON *c = obj ? cJSON_CreateObject() : cJSON_CreateArray();
    size_t n;
    const uint8_t *m = rci_packed_body(p, &n);
    cJSON *last = NULL;
    for (size_t i = 0; c && i < n; i++) {
        const char *key = NULL;
        size_t klen;
        bool interned = obj && !(*m & 1); /* the low bit of k sits in the varint's first byte */
        if (obj)
            m = rci_packed_member(m, &key, &klen);
        cJSON *item = unpack(m, compact);
        char *kcopy = key && !interned ? strdup(key) : NULL;
        if (!item || (obj && !interned && !kcopy)) {
            cJSON_Delete(item);
            free(kcopy);
            cJSON_Delete(c);
            return NULL;
        }
        if (interned) { /* interned keys live as long as the process: shared, not copied */
            item->string = (char *)key;
            item->type |= cJSON_StringIsConst;
        } else {
            item->string = kcopy;
        }
        rci_cjson_append(c, &last, item);
        m = rci_packed_skip(m);
    }
    return c;
}

cJSON *rci_unpack(const uint8_t *p) { return unpack(p, false); }

cJSON *rci_unpack_compact(const uint8_t *p) { return unpack(p, true); }
