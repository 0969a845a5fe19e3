/* indexer.h - internal named indexes of the store: each index maps a value to a bucket, the set of objects
 * whose index function reported that value. Changes are two-phase so an update of several indexes either
 * applies whole or not at all: rci_indexer_prepare computes the values and makes room (the only step that
 * can fail), rci_indexer_commit applies without allocating. Not thread-safe: the store locks around it. */
#ifndef RC_CACHE_INDEXER_H
#define RC_CACHE_INDEXER_H

#include <reconcile/store.h>

#include "cache/ptrset.h"
#include "util/map.h"

#define RCI_INLINE_VALUES 4

struct rc_index_values {
    const char *inline_v[RCI_INLINE_VALUES];
    const char **heap_v; /* used once more than RCI_INLINE_VALUES values are reported */
    size_t n, cap;
    char **copies; /* strings reported with rc_index_values_add_copy */
    size_t ncopies, copies_cap;
    bool failed;
};

typedef struct rci_bucket {
    char *value; /* owned; the bucket map's key */
    rci_ptrset members;
} rci_bucket;

typedef struct rci_indexer {
    char *name;
    rc_index_fn fn;
    void *ctx;
    rci_map buckets; /* value -> rci_bucket * */
    bool key_derived; /* the values depend only on the object's key (the namespace index) */
} rci_indexer;

/* The values of one change: those of the old object and of the new one, and the bucket of each new
 * value (found or created by prepare, so commit looks nothing up again). */
typedef struct rci_index_change {
    rc_index_values old_vals, new_vals;
    rci_bucket **buckets;
    size_t buckets_cap;
    bool kept; /* an update that keeps old's buckets: obj takes old's place in each, old_vals unused */
} rci_index_change;

void rci_index_values_init(rc_index_values *v);
void rci_index_values_free(rc_index_values *v);
size_t rci_index_values_count(const rc_index_values *v);
const char *rci_index_values_at(const rc_index_values *v, size_t i);

void rci_index_change_init(rci_index_change *c);
void rci_index_change_free(rci_index_change *c);

/* NULL on allocation failure. */
rci_indexer *rci_indexer_new(const char *name, rc_index_fn fn, void *ctx);
void rci_indexer_free(rci_indexer *ix);
/* The bucket of value, or NULL. Bucket maps hash values with rci_key_hash: look them up only here. */
rci_bucket *rci_bucket_get(const rci_map *buckets, const char *value);
/* Frees every bucket of a bucket map and leaves it empty. */
void rci_buckets_clear(rci_map *buckets);
/* Computes the values of old and obj (either may be NULL; both have keys hashing to hash) into c and makes
 * room in `buckets` for obj. Under a key_derived index an update (old and obj share their key, so their
 * values) computes only obj's values and checks that old is in their buckets. RC_ENOMEM leaves the
 * buckets as they were. */
int rci_indexer_prepare(const rci_indexer *ix, rci_map *buckets, rci_index_change *c, const rc_object *old,
                        const rc_object *obj, uint64_t hash);
/* Applies a prepared change: obj joins its buckets, old leaves its own (emptied buckets are freed); hash is
 * their key's rci_key_hash (old and obj share the key). obj takes old's place in a bucket both belong to,
 * and an old value equal to the new value at the same position reuses its bucket: an update that keeps
 * its values (the usual case) costs one bucket lookup and one member probe per value. */
void rci_indexer_commit(rci_map *buckets, const rci_index_change *c, rc_object *old, rc_object *obj,
                        uint64_t hash);
/* Undoes a prepare that will not be committed (frees buckets it created empty). */
void rci_indexer_abort(rci_map *buckets, const rci_index_change *c);
/* Prepares and commits obj, whose key hashes to hash, as a new member (building an index from scratch).
 * RC_ENOMEM. */
int rci_indexer_insert(const rci_indexer *ix, rci_map *buckets, rci_index_change *scratch, rc_object *obj,
                       uint64_t hash);

#endif
