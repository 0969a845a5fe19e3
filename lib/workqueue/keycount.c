/* keycount.c - per-key attempt counters behind the back-off rate limiters; see keycount.h. Each entry is
 * one allocation holding the count and the key the map points at. */
#include "workqueue/keycount.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    int count;
    char key[];
} entry;

void rci_keycount_init(rci_keycount *kc)
{
    pthread_mutex_init(&kc->mu, NULL);
    rci_map_init(&kc->map);
}

void rci_keycount_free(rci_keycount *kc)
{
    size_t it = 0;
    const rci_map_entry *e;
    while (rci_map_next(&kc->map, &it, &e))
        free(e->value);
    rci_map_free(&kc->map);
    pthread_mutex_destroy(&kc->mu);
}

int rci_keycount_next(rci_keycount *kc, const char *key)
{
    uint64_t hash = rci_hash_str(key);
    int before = 0;
    pthread_mutex_lock(&kc->mu);
    entry *e = rci_map_get_h(&kc->map, key, hash);
    if (e) {
        before = e->count;
        if (e->count < INT_MAX)
            e->count++;
    } else {
        size_t n = strlen(key) + 1;
        e = malloc(sizeof *e + n);
        if (e) {
            e->count = 1;
            memcpy(e->key, key, n);
            if (rci_map_put_h(&kc->map, e->key, hash, e, NULL) != 0)
                free(e);
        }
    }
    pthread_mutex_unlock(&kc->mu);
    return before;
}

int rci_keycount_get(rci_keycount *kc, const char *key)
{
    pthread_mutex_lock(&kc->mu);
    entry *e = rci_map_get(&kc->map, key);
    int n = e ? e->count : 0;
    pthread_mutex_unlock(&kc->mu);
    return n;
}

void rci_keycount_forget(rci_keycount *kc, const char *key)
{
    pthread_mutex_lock(&kc->mu);
    free(rci_map_remove(&kc->map, key));
    pthread_mutex_unlock(&kc->mu);
}
