/* map.h - internal open-addressing hash map from NUL-terminated string keys to pointers.
 * Keys are borrowed: the caller keeps each key alive while its entry exists (the store points them into
 * the objects it holds, so no key is copied). Not thread-safe: owners lock around it. */
#ifndef RC_UTIL_MAP_H
#define RC_UTIL_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rci_map_entry {
    uint64_t hash; /* 0 = empty slot, 1 = deleted slot */
    const char *key;
    void *value;
} rci_map_entry;

typedef struct rci_map {
    rci_map_entry *slots;
    size_t cap;   /* power of two, or 0 */
    size_t count; /* live entries */
    size_t used;  /* live + deleted slots */
} rci_map;

uint64_t rci_hash_str(const char *s);
uint64_t rci_hash_bytes(const void *p, size_t n);

void rci_map_init(rci_map *m);
void rci_map_free(rci_map *m); /* frees the table, not keys or values */
bool rci_map_reserve(rci_map *m, size_t n);
void *rci_map_get(const rci_map *m, const char *key);
void *rci_map_get_h(const rci_map *m, const char *key, uint64_t hash);
/* Inserts or replaces. Returns 0, or -1 on allocation failure. *old (optional) receives the replaced
 * value or NULL. On replace the stored key pointer becomes `key`. */
int rci_map_put(rci_map *m, const char *key, void *value, void **old);
int rci_map_put_h(rci_map *m, const char *key, uint64_t hash, void *value, void **old);
/* Removes key; returns its value or NULL. */
void *rci_map_remove(rci_map *m, const char *key);
void *rci_map_remove_h(rci_map *m, const char *key, uint64_t hash);
/* Iteration: for (size_t i = 0; rci_map_next(m, &i, &e);) uses e->key / e->value. Do not modify the
 * map while iterating. */
bool rci_map_next(const rci_map *m, size_t *iter, const rci_map_entry **e);
static inline size_t rci_map_count(const rci_map *m) { return m->count; }

#endif
