/* keycount.h - per-key attempt counters for the rate limiters (exponential and fast-slow back-off):
 * tables (itemtab.h) from a copied key to a count, split into shards by key hash, each with its own lock,
 * so a limiter can be shared by queues and workers retrying different keys rarely meet on one lock.
 * Forgotten keys leave no tombstones, so asking about a key never counted (every first retry asks) stays
 * a short probe. */
#ifndef RC_WORKQUEUE_KEYCOUNT_H
#define RC_WORKQUEUE_KEYCOUNT_H

#include <pthread.h>

#include "workqueue/itemtab.h"

#define RCI_KEYCOUNT_SHARD_BITS 4

/* Padded to 128 bytes, so no two shards' lock and table share a cache line whatever the alignment. */
typedef union rci_keycount_shard {
    struct {
        pthread_mutex_t mu;
        rci_itemtab map;
    } s;
    char pad_[128];
} rci_keycount_shard;

typedef struct rci_keycount {
    rci_keycount_shard shards[1u << RCI_KEYCOUNT_SHARD_BITS];
} rci_keycount;

void rci_keycount_init(rci_keycount *kc);
void rci_keycount_free(rci_keycount *kc);
/* Counts one more attempt for key and returns the count before it (0 for a new key). When the key
 * cannot be recorded (out of memory) it returns 0 and nothing changes. */
int rci_keycount_next(rci_keycount *kc, const char *key);
int rci_keycount_get(rci_keycount *kc, const char *key);
void rci_keycount_forget(rci_keycount *kc, const char *key);

#endif
