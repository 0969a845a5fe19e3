/* procset.h - the workqueue's in-flight set: records handed out and not yet done, found by the address
 * of their key (the pointer get returned), so done() never hashes a string or touches the big key map.
 * An rci_itemtab keyed by the record's address; small and cache-resident because only in-flight keys
 * live here. Not thread-safe: the queue lock guards it. */
#ifndef RC_WORKQUEUE_PROCSET_H
#define RC_WORKQUEUE_PROCSET_H

#include <stdbool.h>
#include <stddef.h>

#include "workqueue/item.h"
#include "workqueue/itemtab.h"

typedef rci_itemtab rci_procset;

static inline void rci_procset_init(rci_procset *s) { rci_itemtab_init(s, offsetof(rci_wq_item, key)); }
static inline void rci_procset_free(rci_procset *s) { rci_itemtab_free(s); }
/* Reserves room for one more insert; false on allocation failure. */
static inline bool rci_procset_reserve(rci_procset *s) { return rci_itemtab_reserve(s); }
/* Inserts it; rci_procset_reserve must have succeeded first. */
void rci_procset_insert(rci_procset *s, rci_wq_item *it);
/* The record whose key is at address key (compared, never dereferenced), or NULL. */
rci_wq_item *rci_procset_find(const rci_procset *s, const void *key);
/* Removes and returns the record whose key is at address key, or NULL. */
rci_wq_item *rci_procset_take(rci_procset *s, const char *key);
/* Iteration: for (size_t i = 0; (it = rci_procset_next(s, &i));) */
static inline rci_wq_item *rci_procset_next(const rci_procset *s, size_t *iter) { return rci_itemtab_next(s, iter); }

#endif
