/* object.h - rc_object: a refcounted Kubernetes object, immutable once frozen, with lock-free accessors.
 *
 * Two states:
 *  - frozen: the compact form the cache, the API server and watches share. Immutable: any number of
 *    threads read it without locks; rc_object_ref/unref are atomic.
 *  - draft: a private, mutable object made by rc_object_copy() or rc_object_new_draft(); setters and
 *    rc_object_json_mut() work only on drafts. rc_object_freeze() turns a draft into a frozen object
 *    (invalidating cJSON pointers previously taken from it). Publishing calls (store add, client create...)
 *    freeze a draft they are given.
 *
 * Reading: metadata accessors return borrowed strings valid while the caller holds a reference (and, for a
 * draft, until its next mutation). Deeper fields are read through rc_node cursors, which work on both
 * states, or converted to a caller-owned cJSON tree with rc_object_to_cjson(). */
#ifndef RECONCILE_OBJECT_H
#define RECONCILE_OBJECT_H

#include "common.h"
#include <cjson/cJSON.h>

typedef struct rc_object rc_object;

/* Objects and arrays nest at most this deep in any object (the root counts as one level): the JSON
 * parser refuses deeper text, and functions given a deeper caller-built cJSON tree refuse it rather
 * than recurse without bound (see each function). */
#define RC_OBJECT_MAX_DEPTH 512u

/* ---- lifetime ---- */
/* Packs a copy of root (a JSON object) as a new frozen object; the caller keeps root. NULL + err
 * (RC_EBADREQUEST) when root is not an object, RC_EINVAL when it nests deeper than RC_OBJECT_MAX_DEPTH.
 * Returns a new reference. */
RC_API rc_object *rc_object_from_cjson(const cJSON *root, rc_error *err);
/* Parses compact or pretty JSON text into a new frozen object. NULL + err on bad JSON. */
RC_API rc_object *rc_object_from_json(const char *json, size_t len, rc_error *err);
/* A new draft that takes ownership of root (a JSON object). NULL if root is not an object (root is then
 * still the caller's). */
RC_API rc_object *rc_object_new_draft(cJSON *root);
/* A new private draft copy of o (frozen or draft); the caller owns the returned reference. NULL when
 * memory runs out or a draft nests deeper than RC_OBJECT_MAX_DEPTH. */
RC_API rc_object *rc_object_copy(const rc_object *o);
/* Freezes a draft in place (no-op on frozen objects) and returns o; NULL (the draft left as it was) when
 * its tree nests deeper than RC_OBJECT_MAX_DEPTH or memory runs out. */
RC_API rc_object *rc_object_freeze(rc_object *o);
RC_API bool rc_object_is_frozen(const rc_object *o);
/* Adds a reference (atomic); returns o. NULL-safe. */
RC_API rc_object *rc_object_ref(rc_object *o);
/* Drops a reference; frees on the last one. NULL-safe. */
RC_API void rc_object_unref(rc_object *o);

/* ---- conversion ---- */
/* A new cJSON tree equal to o; caller frees with cJSON_Delete. NULL only on allocation failure. A draft
 * nesting deeper than RC_OBJECT_MAX_DEPTH is copied to one level past the limit (containers there left
 * empty): every check still refuses the copy, at the same path, and deleting it recurses no deeper. */
RC_API cJSON *rc_object_to_cjson(const rc_object *o);
/* Compact JSON text (malloc'd, NUL-terminated, caller frees); *len (optional) receives its length. NULL
 * on allocation failure or for a draft nesting deeper than RC_OBJECT_MAX_DEPTH. */
RC_API char *rc_object_to_json(const rc_object *o, size_t *len);
/* Draft only: the mutable root tree, owned by the object. NULL for frozen objects. */
RC_API cJSON *rc_object_json_mut(rc_object *o);
/* Bytes of memory the object holds (header, compact form, key); for memory reports and benchmarks. */
RC_API size_t rc_object_mem_size(const rc_object *o);
/* True when both objects have equal JSON content (key order of objects ignored). A draft nesting deeper
 * than RC_OBJECT_MAX_DEPTH equals only itself. */
RC_API bool rc_object_equal(const rc_object *a, const rc_object *b);

/* ---- metadata accessors (borrowed; NULL when absent unless stated) ---- */
RC_API const char *rc_object_api_version(const rc_object *o);
RC_API const char *rc_object_kind(const rc_object *o);
/* "" when absent (cluster-scoped or not yet defaulted). */
RC_API const char *rc_object_namespace(const rc_object *o);
RC_API const char *rc_object_name(const rc_object *o);
RC_API const char *rc_object_generate_name(const rc_object *o);
RC_API const char *rc_object_uid(const rc_object *o);
RC_API const char *rc_object_resource_version(const rc_object *o);
/* 0 when absent. */
RC_API int64_t rc_object_generation(const rc_object *o);
RC_API const char *rc_object_creation_timestamp(const rc_object *o);
RC_API const char *rc_object_deletion_timestamp(const rc_object *o);
RC_API const char *rc_object_label(const rc_object *o, const char *key);
RC_API const char *rc_object_annotation(const rc_object *o, const char *key);
RC_API size_t rc_object_finalizer_count(const rc_object *o);
RC_API const char *rc_object_finalizer(const rc_object *o, size_t i);
RC_API bool rc_object_has_finalizer(const rc_object *o, const char *name);

/* One ownerReferences entry; strings borrowed from the object. */
typedef struct rc_owner_ref {
    const char *api_version;
    const char *kind;
    const char *name;
    const char *uid;
    bool controller;
    bool block_owner_deletion;
} rc_owner_ref;
RC_API size_t rc_object_owner_count(const rc_object *o);
/* Fills *out with entry i; false when i is out of range. */
RC_API bool rc_object_owner(const rc_object *o, size_t i, rc_owner_ref *out);
/* The entry with controller=true, if any. */
RC_API bool rc_object_controller_ref(const rc_object *o, rc_owner_ref *out);

/* The cache key: "namespace/name", or "name" when the namespace is empty. Borrowed. */
RC_API const char *rc_object_key(const rc_object *o);
/* Splits a key into namespace (may be empty) and name, pointing into key; ns_len gets the namespace's
 * length. Returns RC_EBADREQUEST for a key with more than one '/' or an empty name. */
RC_API int rc_key_split(const char *key, const char **ns, size_t *ns_len, const char **name);
/* Writes "ns/name" (or "name") into buf; returns the length it needs (like snprintf). */
RC_API size_t rc_key_format(char *buf, size_t cap, const char *ns, const char *name);

/* ---- nodes: cursors into any part of an object (frozen or draft) ---- */
typedef enum rc_node_type {
    RC_NODE_NONE = 0, /* absent: the path does not exist */
    RC_NODE_NULL,
    RC_NODE_BOOL,
    RC_NODE_NUMBER,
    RC_NODE_STRING,
    RC_NODE_ARRAY,
    RC_NODE_OBJECT
} rc_node_type;

/* A small value type; valid while the object it came from is (and, for drafts, until mutation). */
typedef struct rc_node {
    const void *p;
    uint32_t form; /* internal: which representation p points into */
    uint32_t aux;
} rc_node;

RC_API rc_node rc_object_root(const rc_object *o);
/* Dotted path from the root, numeric segments index arrays: "spec.template.spec.containers.0.image".
 * A key containing '.' cannot be named in a path; use rc_node_get for it. */
RC_API rc_node rc_object_at(const rc_object *o, const char *path);
/* A node over a caller-owned cJSON value (borrowed; valid while the tree lives unchanged). */
RC_API rc_node rc_node_from_cjson(const cJSON *item);
RC_API rc_node_type rc_node_kind(rc_node n);
RC_API bool rc_node_exists(rc_node n);
/* Member of an object by key / element of an array by index; NONE when absent or wrong type. */
RC_API rc_node rc_node_get(rc_node n, const char *key);
RC_API rc_node rc_node_index(rc_node n, size_t i);
RC_API rc_node rc_node_at(rc_node n, const char *path);
/* Number of array elements or object members; 0 for scalars. */
RC_API size_t rc_node_len(rc_node n);
/* Object member i (0-based, document order): its key (borrowed) and value. */
RC_API const char *rc_node_key_at(rc_node n, size_t i);
RC_API rc_node rc_node_value_at(rc_node n, size_t i);
/* Scalars: the string (borrowed) or NULL when not a string; number, integer and bool with a default
 * returned when the node has another type (an integer from a non-integral number is truncated). */
RC_API const char *rc_node_str(rc_node n);
RC_API double rc_node_num(rc_node n, double def);
RC_API int64_t rc_node_int(rc_node n, int64_t def);
RC_API bool rc_node_bool(rc_node n, bool def);
/* A new cJSON copy of the node (caller frees); NULL for NONE, on allocation failure, or for a cJSON node
 * nesting deeper than RC_OBJECT_MAX_DEPTH. */
RC_API cJSON *rc_node_to_cjson(rc_node n);
/* Shorthands: rc_node_str(rc_object_at(o, path)) etc. */
RC_API const char *rc_object_get_str(const rc_object *o, const char *path);
RC_API int64_t rc_object_get_int(const rc_object *o, const char *path, int64_t def);
RC_API bool rc_object_get_bool(const rc_object *o, const char *path, bool def);

/* ---- setters (drafts only; RC_EINVAL on a frozen object, RC_ENOMEM on allocation failure) ---- */
RC_API int rc_object_set_name(rc_object *o, const char *name);
RC_API int rc_object_set_namespace(rc_object *o, const char *ns);
RC_API int rc_object_set_resource_version(rc_object *o, const char *rv); /* NULL removes */
/* Sets (value != NULL) or removes (value == NULL) one label / annotation. */
RC_API int rc_object_set_label(rc_object *o, const char *key, const char *value);
RC_API int rc_object_set_annotation(rc_object *o, const char *key, const char *value);
RC_API int rc_object_add_finalizer(rc_object *o, const char *name);    /* no duplicate */
RC_API int rc_object_remove_finalizer(rc_object *o, const char *name); /* absent is fine */
/* Appends an ownerReference (replacing an entry with the same uid). */
RC_API int rc_object_add_owner(rc_object *o, const rc_owner_ref *ref);
RC_API int rc_object_remove_owner(rc_object *o, const char *uid);
/* Generic setters by dotted path; intermediate objects are created. set_json takes ownership of value. */
RC_API int rc_object_set_str(rc_object *o, const char *path, const char *value);
RC_API int rc_object_set_int(rc_object *o, const char *path, int64_t value);
RC_API int rc_object_set_bool(rc_object *o, const char *path, bool value);
RC_API int rc_object_set_json(rc_object *o, const char *path, cJSON *value);
RC_API int rc_object_remove(rc_object *o, const char *path); /* absent is fine */

#endif
