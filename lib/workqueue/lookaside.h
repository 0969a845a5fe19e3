/* lookaside.h - the workqueue's lock-free fast path for adding a key that is already waiting (or dirty):
 * a small set-associative cache from key hash to record, filled under the queue lock and read without
 * it. An add that finds its key there in state READY or DIRTY, at a priority at least its own, confirms
 * that state with a compare-and-swap and returns without the lock; anything else takes the locked path.
 * Safety rests on records never being freed while the queue lives and on the record's generation,
 * which changes before a recycled record's key bytes are rewritten (see item.h). */
#ifndef RC_WORKQUEUE_LOOKASIDE_H
#define RC_WORKQUEUE_LOOKASIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workqueue/item.h"

typedef struct rci_lookaside rci_lookaside;

/* A new, empty cache (NULL when out of memory) and its release. */
rci_lookaside *rci_lookaside_new(void);
void rci_lookaside_free(rci_lookaside *la);
/* Remembers it (hash it->hash) in its set, ahead of the others; call with the queue lock held. */
void rci_lookaside_publish(rci_lookaside *la, rci_wq_item *it);
/* True when key (n bytes with its NUL, string hash `hash`) is already READY or DIRTY at a priority
 * >= priority: then the add is complete. False means "take the locked path"; nothing changed. */
bool rci_lookaside_dedup(const rci_lookaside *la, const char *key, size_t n, uint64_t hash, int priority);
/* Gives it (whose key_cap >= n) key of n bytes and generation gen, state otherwise empty; call with the
 * queue lock held. */
void rci_wq_item_assign(rci_wq_item *it, const char *key, size_t n, uint64_t gen);

#endif
