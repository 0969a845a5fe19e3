/* procset.h - the workqueue's in-flight set: records handed out and not yet done, found by the address
 * of their key (the pointer get returned), so done() never hashes a string or touches the big key map.
 * Open addressing on pointers with backward-shift deletion; small and cache-resident because only
 * in-flight keys live here. Not thread-safe: the queue lock guards it. */
#ifndef RC_WORKQUEUE_PROCSET_H
#define RC_WORKQUEUE_PROCSET_H

#include <stdbool.h>
#include <stddef.h>

#include "workqueue/item.h"

typedef struct rci_procset {
    rci_wq_item **slots;
    size_t cap; /* power of two or 0 */
    size_t count;
} rci_procset;

void rci_procset_init(rci_procset *s);
void rci_procset_free(rci_procset *s);
/* Reserves room for one more insert; false on allocation failure. */
bool rci_procset_reserve(rci_procset *s);
/* Inserts it; rci_procset_reserve must have succeeded first. */
void rci_procset_insert(rci_procset *s, rci_wq_item *it);
/* Removes and returns the record whose key is at address key, or NULL. */
rci_wq_item *rci_procset_take(rci_procset *s, const char *key);
/* Iteration: for (size_t i = 0; (it = rci_procset_next(s, &i));) */
rci_wq_item *rci_procset_next(const rci_procset *s, size_t *iter);

#endif
