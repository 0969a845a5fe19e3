/* ptrset.h - internal set of object pointers: the member sets of index buckets. Members live in a dense
 * array, so listing them is a plain scan in an order that depends only on the sequence of inserts,
 * replacements and removes (insertion order, a replacement keeping its position, a removal moving the
 * last member into the hole), never on heap addresses: the deterministic driver replays a seed
 * identically under ASLR and sanitizers. An open-addressing table finds a member's position for removal,
 * replacement and duplicate checks; it is keyed by the member's cache key hash (rci_key_hash), which the
 * store already has at hand, so an update that keeps its index value swaps the new object into the old
 * one's place with one probe. A slot is 8 bytes (the hash's low half and the position), and a parallel array keeps each
 * member's hash half so the member moved into a removal's hole is found again. Not thread-safe: the owner
 * locks around it. */
#ifndef RC_CACHE_PTRSET_H
#define RC_CACHE_PTRSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rci_ptrset {
    void **items;    /* the members, count of them */
    uint32_t *tags;  /* the low half of each member's key hash, in the same block as slots */
    uint64_t *slots; /* cap of them (power of two, or NULL): hash low half << 32 | position + 1; 0 = empty */
    uint32_t count;
    uint32_t cap;
} rci_ptrset;

void rci_ptrset_init(rci_ptrset *s);
void rci_ptrset_free(rci_ptrset *s);
/* Makes room for `extra` more members so the next inserts cannot fail. False on allocation failure (or
 * beyond 2^31 members). */
bool rci_ptrset_reserve(rci_ptrset *s, size_t extra);
/* Adds p, whose key hashes to hash, at the end (room must have been reserved); adding a member again is a
 * no-op. */
void rci_ptrset_insert(rci_ptrset *s, void *p, uint64_t hash);
/* True when p, whose key hashes to hash, is a member. */
bool rci_ptrset_contains(const rci_ptrset *s, const void *p, uint64_t hash);
/* Puts p in the place of member old, both of whose keys hash to hash; false when old is not a member. */
bool rci_ptrset_replace(rci_ptrset *s, void *old, void *p, uint64_t hash);
/* Removes p, whose key hashes to hash (the last member takes its position); false when not a member. */
bool rci_ptrset_remove(rci_ptrset *s, void *p, uint64_t hash);
/* Starts loading the table slot where a member whose key hashes to hash is found or goes. */
static inline void rci_ptrset_prefetch(const rci_ptrset *s, uint64_t hash)
{
    if (s->cap)
        __builtin_prefetch(&s->slots[(uint32_t)hash & (s->cap - 1)], 1);
}
/* Bytes held by the set itself (the table and the member array). */
static inline size_t rci_ptrset_bytes(const rci_ptrset *s)
{
    return (size_t)s->cap * sizeof(uint64_t) + (size_t)s->cap / 4 * 3 * (sizeof(void *) + sizeof(uint32_t));
}

#endif
