/* ptrset.h - internal open-addressing set of object pointers, hashed by address (8 bytes a slot, no key
 * reads): the member sets of index buckets. Not thread-safe: the owner locks around it. */
#ifndef RC_CACHE_PTRSET_H
#define RC_CACHE_PTRSET_H

#include <stdbool.h>
#include <stddef.h>

typedef struct rci_ptrset {
    void **slots; /* NULL = empty */
    size_t cap;   /* power of two, or 0 */
    size_t count;
} rci_ptrset;

void rci_ptrset_init(rci_ptrset *s);
void rci_ptrset_free(rci_ptrset *s);
/* Makes room for `extra` more members so the next inserts cannot fail. False on allocation failure. */
bool rci_ptrset_reserve(rci_ptrset *s, size_t extra);
/* Adds p (room must have been reserved); adding a member again is a no-op. */
void rci_ptrset_insert(rci_ptrset *s, void *p);
/* Removes p; false when it was not a member. */
bool rci_ptrset_remove(rci_ptrset *s, void *p);

#endif
