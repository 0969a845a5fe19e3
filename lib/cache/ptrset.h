/* ptrset.h - internal set of object pointers: the member sets of index buckets. Members live in a dense
 * array, so listing them is a plain scan in an order that depends only on the sequence of inserts and
 * removes (insertion order, a removal moving the last member into the hole), never on heap addresses:
 * the deterministic driver replays a seed identically under ASLR and sanitizers. An open-addressing table
 * hashed by address finds a member's position for removal and duplicate checks. Not thread-safe: the
 * owner locks around it. */
#ifndef RC_CACHE_PTRSET_H
#define RC_CACHE_PTRSET_H

#include <stdbool.h>
#include <stddef.h>

typedef struct rci_ptrslot {
    void *ptr;  /* NULL = empty */
    size_t pos; /* index of ptr in items */
} rci_ptrslot;

typedef struct rci_ptrset {
    void **items;       /* the members, count of them */
    size_t count;
    rci_ptrslot *slots; /* cap of them, power of two, or NULL */
    size_t cap;
} rci_ptrset;

void rci_ptrset_init(rci_ptrset *s);
void rci_ptrset_free(rci_ptrset *s);
/* Makes room for `extra` more members so the next inserts cannot fail. False on allocation failure. */
bool rci_ptrset_reserve(rci_ptrset *s, size_t extra);
/* Adds p at the end (room must have been reserved); adding a member again is a no-op. */
void rci_ptrset_insert(rci_ptrset *s, void *p);
/* Bytes held by the set itself (the table and the member array). */
static inline size_t rci_ptrset_bytes(const rci_ptrset *s)
{
    return s->cap * sizeof(rci_ptrslot) + s->cap / 4 * 3 * sizeof(void *);
}
/* Removes p (the last member takes its position); false when it was not a member. */
bool rci_ptrset_remove(rci_ptrset *s, void *p);

#endif
