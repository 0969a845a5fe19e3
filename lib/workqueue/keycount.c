/* keycount.c - per-key attempt counters behind the back-off rate limiters; see keycount.h. Each entry is
 * one allocation holding the count and the key the table compares. */
#include "workqueue/keycount.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/map.h"

typedef struct entry {
    int count;
    char key[];
} entry;

void rci_keycount_init(rci_keycount *kc)
{
    pthread_mutex_init(&kc->mu, NULL);
    rci_itemtab_init(&kc->map, offsetof(entry, key));
}

void rci_keycount_free(rci_keycount *kc)
{
    entry *e;
    for (size_t i = 0; (e = rci_itemtab_next(&kc->map, &i));)
        free(e);
    rci_itemtab_free(&kc->map);
    pthread_mutex_destroy(&kc->mu);
}

int rci_keycount_next(rci_keycount *kc, const char *key)
{
    uint64_t hash = rci_hash_str(key);
    int before = 0;
    pthread_mutex_lock(&kc->mu);
    entry *e = rci_itemtab_find_key(&kc->map, hash, key);
    if (e) {
        before = e->count;
        if (e->count < INT_MAX)
            e->count++;
    } else if (rci_itemtab_reserve(&kc->map)) {
        size_t n = strlen(key) + 1;
        e = malloc(sizeof *e + n);
        if (e) {
            e->count = 1;
            memcpy(e->key, key, n);
            rci_itemtab_insert(&kc->map, hash, e);
        }
    }
    pthread_mutex_unlock(&kc->mu);
    return before;
}

int rci_keycount_get(rci_keycount *kc, const char *key)
{
    uint64_t hash = rci_hash_str(key);
    pthread_mutex_lock(&kc->mu);
    entry *e = rci_itemtab_find_key(&kc->map, hash, key);
    int n = e ? e->count : 0;
    pthread_mutex_unlock(&kc->mu);
    return n;
}

void rci_keycount_forget(rci_keycount *kc, const char *key)
{
    uint64_t hash = rci_hash_str(key);
    pthread_mutex_lock(&kc->mu);
    entry *e = rci_itemtab_find_key(&kc->map, hash, key);
    if (e)
        free(rci_itemtab_remove(&kc->map, hash, e));
    pthread_mutex_unlock(&kc->mu);
}
