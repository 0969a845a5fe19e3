/* store_internal.h - helpers the cache layer shares around rc_store and rc_object_list. */
#ifndef RC_CACHE_STORE_INTERNAL_H
#define RC_CACHE_STORE_INTERNAL_H

#include <reconcile/listwatch.h>
#include <reconcile/store.h>

/* Grows l so that `extra` more items fit without reallocating. False on allocation failure. */
bool rci_object_list_reserve(rc_object_list *l, size_t extra);

/* rc_store_add for a frozen, named obj whose key hashes (rci_key_hash) to hash: *replaced receives the
 * reference to the object it replaced (NULL when new), so the caller learns the old state in one step. */
int rci_store_put(rc_store *s, rc_object *obj, uint64_t hash, rc_object **replaced);

/* Starts loading what a put of obj (whose key hashes to hash) touches first, so that a batch of puts
 * overlaps its cache misses instead of waiting for one after the other: rci_store_prefetch the key's
 * table slot and obj itself (skipping the shard while a writer holds it), then, once that is under way
 * for the whole batch, rci_store_prefetch_index obj's member slot in the namespace index, which reads
 * obj's namespace (skipped while a writer holds the index lock). */
void rci_store_prefetch(rc_store *s, const rc_object *obj, uint64_t hash);
void rci_store_prefetch_index(rc_store *s, const rc_object *obj, uint64_t hash);

#endif
