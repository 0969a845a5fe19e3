/* object_internal.h - the inside of rc_object, shared by lib/api/object*.c and intern.c.
 *
 * A draft holds a mutable cJSON tree. A frozen object holds one packed buffer (see object_pack.c for the
 * format) and the offsets of its most read metadata fields, so accessors are a pointer addition. Object
 * keys inside packed buffers are ids from the process-wide intern table (intern.c). */
#ifndef RC_API_OBJECT_INTERNAL_H
#define RC_API_OBJECT_INTERNAL_H

#include <reconcile/object.h>

#include <stdatomic.h>

/* rc_node.form values; a zeroed rc_node is NONE. */
enum { RCI_FORM_NONE = 0, RCI_FORM_CJSON = 1, RCI_FORM_PACKED = 2 };

/* Packed value tags (low 3 bits of the tag byte; see object_pack.c). */
enum {
    RCI_T_NULL = 0,
    RCI_T_FALSE = 1,
    RCI_T_TRUE = 2,
    RCI_T_INT = 3,
    RCI_T_DOUBLE = 4,
    RCI_T_STRING = 5,
    RCI_T_ARRAY = 6,
    RCI_T_OBJECT = 7
};

/* Cached metadata offsets of a frozen object (0 = absent; offset 0 is the root, never a field). */
enum {
    RCI_OFF_API_VERSION,
    RCI_OFF_KIND,
    RCI_OFF_METADATA,
    RCI_OFF_NAME,
    RCI_OFF_NAMESPACE,
    RCI_OFF_UID,
    RCI_OFF_RV,
    RCI_OFF_LABELS,
    RCI_OFF_ANNOTATIONS,
    RCI_OFF_COUNT
};

struct rc_object {
    atomic_uint refs;
    bool frozen;
    bool data_inline; /* frozen: data follows the header in the same allocation */
    union {
        struct {
            const uint8_t *data; /* packed root value */
            const char *key;     /* into data (name or the stored "ns/name") */
            uint32_t size;       /* bytes of data */
            uint32_t off[RCI_OFF_COUNT];
        } f;
        struct {
            cJSON *root;
            char *key; /* last computed key, kept while it stays equal */
        } d;
    } u;
};

/* ---- intern table (intern.c): process-wide, append-only, lock-free reads ---- */
#define RCI_INTERN_NONE UINT32_MAX
/* The id of key, interning it when there is room (NONE when the table is full or the key too long). */
uint32_t rci_intern(const char *key, size_t len);
/* The id of key if interned, else NONE; never inserts. */
uint32_t rci_intern_find(const char *key, size_t len);
/* The id of key when key is the table's own string for it (as rci_unpack hands out) and a recent
 * rci_intern call saw it; NONE otherwise (then use rci_intern). Constant time: no hashing of the bytes. */
uint32_t rci_intern_known(const char *key);
/* The key of an id (valid forever), and its length. */
const char *rci_intern_str(uint32_t id, size_t *len);
/* Ids fixed at start-up for the keys the accessors need. */
enum {
    RCI_K_API_VERSION,
    RCI_K_KIND,
    RCI_K_METADATA,
    RCI_K_NAME,
    RCI_K_NAMESPACE,
    RCI_K_UID,
    RCI_K_RESOURCE_VERSION,
    RCI_K_LABELS,
    RCI_K_ANNOTATIONS,
    RCI_K_GENERATE_NAME,
    RCI_K_GENERATION,
    RCI_K_CREATION_TIMESTAMP,
    RCI_K_DELETION_TIMESTAMP,
    RCI_K_FINALIZERS,
    RCI_K_OWNER_REFERENCES,
    RCI_K_CONTROLLER,
    RCI_K_BLOCK_OWNER_DELETION
};

/* ---- packed form (object_pack.c) ---- */
/* Reads an unsigned LEB128 varint at *p, advancing *p. */
static inline uint64_t rci_varint(const uint8_t **p)
{
    const uint8_t *q = *p;
    uint64_t v = *q & 0x7f;
    unsigned shift = 7;
    while (*q++ & 0x80) {
        v |= (uint64_t)(*q & 0x7f) << shift;
        shift += 7;
    }
    *p = q;
    return v;
}
/* The byte after the packed value at p. */
const uint8_t *rci_packed_skip(const uint8_t *p);
/* Member lookup in a packed object value; NULL when absent. */
const uint8_t *rci_packed_get(const uint8_t *obj, const char *key, size_t len);
const uint8_t *rci_packed_get_id(const uint8_t *obj, uint32_t id);
/* A container at p: its element/member count and a pointer to the first one. */
const uint8_t *rci_packed_body(const uint8_t *p, size_t *count);
/* A member at m: its key (and length); returns a pointer to its value. */
const uint8_t *rci_packed_member(const uint8_t *m, const char **key, size_t *klen);
/* Scalar values (the tag at p must match). */
const char *rci_packed_str(const uint8_t *p, size_t *len);
int64_t rci_packed_int(const uint8_t *p);
double rci_packed_double(const uint8_t *p);
/* A new cJSON tree equal to the packed value at p; NULL on allocation failure. Interned member keys are
 * shared with the intern table (flagged cJSON_StringIsConst, which cJSON_Delete/cJSON_Duplicate respect). */
cJSON *rci_unpack(const uint8_t *p);
/* As rci_unpack, but each string value shares its item's allocation (half the allocations), flagged
 * cJSON_IsReference: cJSON_Delete, cJSON_Duplicate (whose copies are ordinary) and readers work as usual,
 * cJSON_SetValuestring refuses such items. For trees that are read, copied from or deleted only. */
cJSON *rci_unpack_compact(const uint8_t *p);

/* The writer: values are appended in document order; containers are opened and closed around their
 * contents, object members are a key followed by a value. Allocation failure sets failed and makes
 * further calls no-ops. */
typedef struct rci_packer_frame {
    size_t pos;   /* offset of the container's tag */
    size_t count; /* elements/members so far */
    bool object;
} rci_packer_frame;

typedef struct rci_packer {
    uint8_t *buf; /* owned; the packed value starts at start */
    size_t len, cap, start;
    rci_packer_frame *stack;
    size_t depth, stack_cap;
    bool failed;
    bool too_deep; /* rci_pack_cjson met more than RC_OBJECT_MAX_DEPTH levels (failed is set too) */
} rci_packer;

/* reserve: bytes left free before the value (room for a header in the same allocation). */
void rci_packer_init(rci_packer *w, size_t reserve);
void rci_packer_free(rci_packer *w);
void rci_packer_null(rci_packer *w);
void rci_packer_bool(rci_packer *w, bool v);
void rci_packer_int(rci_packer *w, int64_t v);
void rci_packer_double(rci_packer *w, double v);
/* A number held as a double: stored as INT when integral and exactly representable. */
void rci_packer_number(rci_packer *w, double v);
void rci_packer_string(rci_packer *w, const char *s, size_t len);
void rci_packer_key(rci_packer *w, const char *key, size_t len);
/* Appends n raw bytes and returns them to be filled (NULL on failure); for trailing data only. */
uint8_t *rci_packer_grow(rci_packer *w, size_t n);
void rci_packer_open(rci_packer *w, bool object);
void rci_packer_close(rci_packer *w);
/* Appends cJSON value v; false on allocation failure or when v nests deeper than RC_OBJECT_MAX_DEPTH
 * (too_deep set; the recursion stops there). */
bool rci_pack_cjson(rci_packer *w, const cJSON *v);

/* ---- objects (object.c) ---- */
/* Turns a finished packer whose value is an object into a frozen object (consuming the packer's
 * buffer, which was initialised with reserve = sizeof(rc_object)). NULL + err when the value is not an
 * object (RC_EBADREQUEST) or on allocation failure (RC_ENOMEM); the packer is freed either way. */
rc_object *rci_object_from_packer(rci_packer *w, rc_error *err);

/* rc_object_to_cjson with rci_unpack_compact's string values (a draft's tree is copied as usual): for
 * trees that are read, copied from or deleted only, such as the stored object a write is checked against. */
cJSON *rci_object_to_cjson_readonly(const rc_object *o);

/* ---- JSON text (object_parse.c, object_print.c) ---- */
/* Parses JSON text (one value, surrounding whitespace allowed) into w; false + err (RC_EBADREQUEST
 * naming the byte offset) on bad input. */
bool rci_parse_json(rci_packer *w, const char *json, size_t len, rc_error *err);

struct rci_strbuf;
void rci_print_packed(struct rci_strbuf *b, const uint8_t *p);
/* Sets b->failed, leaving the text unfinished, when v nests deeper than RC_OBJECT_MAX_DEPTH - depth. */
void rci_print_cjson(struct rci_strbuf *b, const cJSON *v, unsigned depth);
/* Appends o's compact JSON text to b (used by rc_object_to_json and by writers of many objects, such as
 * the HTTP list reply, that want no buffer per object); false (b->failed set) when o cannot be printed. */
bool rci_object_append_json(struct rci_strbuf *b, const rc_object *o);

/* ---- nodes (object_node.c) ---- */
static inline rc_node rci_node_packed(const uint8_t *p)
{
    rc_node n = {p, p ? RCI_FORM_PACKED : RCI_FORM_NONE, 0};
    return n;
}
/* Member by interned key id (see RCI_K_*). */
rc_node rci_node_get_id(rc_node n, uint32_t id);
/* Member by key of len bytes (need not be NUL-terminated). */
rc_node rci_node_getn(rc_node n, const char *key, size_t len);
/* Structural equality; object member order ignored. */
bool rci_node_equal(rc_node a, rc_node b);
/* Splits the next segment off *path (dotted, see rc_object_at). Returns false at the end; *bad is set
 * on an empty segment. */
bool rci_path_next(const char **path, const char **seg, size_t *len, bool *bad);
/* The segment as an array index, or -1 when it is not all digits. */
long rci_path_index(const char *seg, size_t len);

#endif
