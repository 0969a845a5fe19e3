/* keycount.c - per-key attempt counters behind the back-off rate limiters; see keycount.h. Each entry is
 * one allocation holding the count and the key the table compares. A key is hashed once (the queue's
 * word-at-a-time hash): the top bits pick its shard, the low bits its slot. */
#include "workqueue/keycount.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "workqueue/item.h"

_Static_assert(sizeof(rci_keycount_shard) == 128, "a shard's lock and table fit its 128 bytes");

typedef struct entry {
    int count;
    char key[];
} entry;

#define NSHARDS (1u << RCI_KEYCOUNT_SHARD_BITS)

void rci_keycount_init(rci_keycount *kc)
{
    for (unsigned i = 0; i < NSHARDS; i++) {
        pthread_mutex_init(&kc->shards[i].s.mu, NULL);
        rci_itemtab_init(&kc->shards[i].s.map, offsetof(entry, key));
    }
}

void rci_keycount_free(rci_keycount *kc)
{
    for (unsigned i = 0; i < NSHARDS; i++) {
        entry *e;
        for (size_t j = 0; (e = rci_itemtab_next(&kc->shards[i].s.map, &j));)
            free(e);
        rci_itemtab_free(&kc->shards[i].s.map);
        pthread_mutex_destroy(&kc->shards[i].s.mu);
    }
}

/* Locks and returns the shard of key (n bytes with its NUL), whose hash goes to *hash. */
static rci_keycount_shard *lock_shard(rci_keycount *kc, const char *key, size_t n, uint64_t *hash)
{
    *hash = rci_wq_hash(key, n);
    rci_keycount_shard *sh = &kc->shards[*hash >> (64 - RCI_KEYCOUNT_SHARD_BITS)];
    pthread_mutex_lock(&sh->s.mu);
    return sh;
}

int rci_keycount_next(rci_keycount *kc, const char *key)
{
    size_t n = strlen(key) + 1;
    uint64_t hash;
    rci_keycount_shard *sh = lock_shard(kc, key, n, &hash);
    rci_itemtab *map = &sh->s.map;
    int before = 0;
    entry *e = rci_itemtab_find_key(map, hash, key);
    if (e) {
        before = e->count;
        if (e->count < INT_MAX)
            e->count++;
    } else if (rci_itemtab_reserve(map)) {
        e = malloc(sizeof *e + n);
        if (e) {
            e->count = 1;
            memcpy(e->key, key, n);
            rci_itemtab_insert(map, hash, e);
        }
    }
    pthread_mutex_unlock(&sh->s.mu);
    return before;
}

int rci_keycount_get(rci_keycount *kc, const char *key)
{
    uint64_t hash;
    rci_keycount_shard *sh = lock_shard(kc, key, strlen(key) + 1, &hash);
    entry *e = rci_itemtab_find_key(&sh->s.map, hash, key);
    int n = e ? e->count : 0;
    pthread_mutex_unlock(&sh->s.mu);
    return n;
}

void rci_keycount_forget(rci_keycount *kc, const char *key)
{
    uint64_t hash;
    rci_keycount_shard *sh = lock_shard(kc, key, strlen(key) + 1, &hash);
    entry *e = rci_itemtab_find_key(&sh->s.map, hash, key);
    if (e)
        free(rci_itemtab_remove(&sh->s.map, hash, e));
    pthread_mutex_unlock(&sh->s.mu);
}
