/* objtable.h - internal open-addressing table of rc_object pointers keyed by their cache key
 * (rc_object_key), with the key's hash cached per slot. The store's shards and nothing else use it: a slot
 * is 16 bytes (hash + object), keys are never copied, and growth never touches the objects. Not
 * thread-safe: the owner locks around it. */
#ifndef RC_CACHE_OBJTABLE_H
#define RC_CACHE_OBJTABLE_H

#include <reconcile/object.h>

typedef struct rci_objslot {
    uint64_t hash;
    rc_object *obj; /* NULL = empty */
} rci_objslot;

typedef struct rci_objtable {
    rci_objslot *slots;
    size_t cap; /* power of two, or 0 */
    size_t count;
} rci_objtable;

void rci_objtable_init(rci_objtable *t);
/* Frees the slots; the objects are the caller's. */
void rci_objtable_free(rci_objtable *t);
/* Makes room for `extra` more entries so that the next puts cannot fail. False on allocation failure. */
bool rci_objtable_reserve(rci_objtable *t, size_t extra);
rc_object *rci_objtable_get(const rci_objtable *t, const char *key, uint64_t hash);
/* The slot holding key, or the empty slot where it belongs (room must have been reserved): one probe
 * serves both the lookup and the insert of a write. */
rci_objslot *rci_objtable_slot(rci_objtable *t, const char *key, uint64_t hash);
/* Stores obj in an empty slot returned by rci_objtable_slot. */
static inline void rci_objtable_fill(rci_objtable *t, rci_objslot *slot, rc_object *obj, uint64_t hash)
{
    *slot = (rci_objslot){hash, obj};
    t->count++;
}
/* Inserts or replaces the entry for obj's key (room must have been reserved); returns the replaced
 * object (whose reference passes to the caller) or NULL. */
rc_object *rci_objtable_put(rci_objtable *t, rc_object *obj, uint64_t hash);
/* Removes the entry for key; returns its object (the reference passes to the caller) or NULL. */
rc_object *rci_objtable_remove(rci_objtable *t, const char *key, uint64_t hash);
/* Bytes held by the table itself. */
static inline size_t rci_objtable_bytes(const rci_objtable *t) { return t->cap * sizeof(rci_objslot); }

#endif
