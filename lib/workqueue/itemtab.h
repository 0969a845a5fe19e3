/* itemtab.h - the workqueue's open-addressing table of key records: linear probing over 16-byte slots
 * (hash, record), at most half full, with backward-shift deletion so churn leaves no tombstones and
 * lookups of absent keys stay short. The caller supplies the hash: the key table hashes the key string,
 * the in-flight set the record's address. Not thread-safe: the queue lock guards it. */
#ifndef RC_WORKQUEUE_ITEMTAB_H
#define RC_WORKQUEUE_ITEMTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workqueue/item.h"

typedef struct rci_itemtab_slot {
    uint64_t hash;
    rci_wq_item *it; /* NULL: empty */
} rci_itemtab_slot;

typedef struct rci_itemtab {
    rci_itemtab_slot *slots;
    size_t cap; /* power of two or 0 */
    size_t count;
} rci_itemtab;

void rci_itemtab_init(rci_itemtab *t);
void rci_itemtab_free(rci_itemtab *t); /* frees the slots, not the records */
/* Reserves room for one more insert; false on allocation failure (nothing changed). */
bool rci_itemtab_reserve(rci_itemtab *t);
/* Inserts it under hash; rci_itemtab_reserve must have succeeded first. */
void rci_itemtab_insert(rci_itemtab *t, uint64_t hash, rci_wq_item *it);
/* The record whose key equals key (hash is its string hash), or NULL. */
rci_wq_item *rci_itemtab_find_key(const rci_itemtab *t, uint64_t hash, const char *key);
/* Removes the slot holding the record at address it (compared, never dereferenced) under hash; returns
 * that record, or NULL when it is not there. */
rci_wq_item *rci_itemtab_remove(rci_itemtab *t, uint64_t hash, const rci_wq_item *it);
/* Iteration: for (size_t i = 0; (it = rci_itemtab_next(t, &i));) */
rci_wq_item *rci_itemtab_next(const rci_itemtab *t, size_t *iter);

#endif
