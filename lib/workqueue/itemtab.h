/* itemtab.h - the workqueue's open-addressing table of records: linear probing over 16-byte slots
 * (hash, record), at most half full, with backward-shift deletion so churn leaves no tombstones and
 * lookups of absent keys stay short. The caller supplies the hash: the key table hashes the key string,
 * the in-flight set the record's address, the limiters' attempt counters (keycount.h) their key. A
 * record's NUL-terminated key lies key_off bytes into it (given at init; only rci_itemtab_find_key reads
 * it). Not thread-safe: the owner's lock guards it. */
#ifndef RC_WORKQUEUE_ITEMTAB_H
#define RC_WORKQUEUE_ITEMTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rci_itemtab_slot {
    uint64_t hash;
    void *it; /* NULL: empty */
} rci_itemtab_slot;

typedef struct rci_itemtab {
    rci_itemtab_slot *slots;
    size_t cap; /* power of two or 0 */
    size_t count;
    size_t key_off;
} rci_itemtab;

void rci_itemtab_init(rci_itemtab *t, size_t key_off);
void rci_itemtab_free(rci_itemtab *t); /* frees the slots, not the records */
/* Reserves room for one more insert; false on allocation failure (nothing changed). */
bool rci_itemtab_reserve(rci_itemtab *t);
/* Inserts it under hash; rci_itemtab_reserve must have succeeded first. */
void rci_itemtab_insert(rci_itemtab *t, uint64_t hash, void *it);
/* Starts loading the slot a lookup of hash begins at (a hint: a stale table is harmless). */
static inline void rci_itemtab_prefetch(const rci_itemtab *t, uint64_t hash)
{
    if (t->cap)
        __builtin_prefetch(&t->slots[hash & (t->cap - 1)]);
}
/* The record whose key equals key (hash is its string hash), or NULL. */
void *rci_itemtab_find_key(const rci_itemtab *t, uint64_t hash, const char *key);
/* The record at address it (compared, never dereferenced) if the table holds it under hash, else NULL. */
void *rci_itemtab_find(const rci_itemtab *t, uint64_t hash, const void *it);
/* Removes the slot holding the record at address it (compared, never dereferenced) under hash; returns
 * that record, or NULL when it is not there. */
void *rci_itemtab_remove(rci_itemtab *t, uint64_t hash, const void *it);
/* Iteration: for (size_t i = 0; (it = rci_itemtab_next(t, &i));) */
void *rci_itemtab_next(const rci_itemtab *t, size_t *iter);

#endif
