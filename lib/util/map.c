/* map.c - linear-probing string map with cached hashes and tombstones; grows at 3/4 load. */
#include "util/map.h"

#include <stdlib.h>
#include <string.h>

#define SLOT_EMPTY 0
#define SLOT_DELETED 1

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t fix_reserved(uint64_t h) { return h <= SLOT_DELETED ? h + 2 : h; }

uint64_t rci_hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0x100000001b3ULL);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ mix(w)) * 0x100000001b3ULL;
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    h = mix(h ^ w ^ ((uint64_t)n << 56));
    return fix_reserved(h);
}

uint64_t rci_hash_str(const char *s) { return rci_hash_bytes(s, strlen(s)); }

void rci_map_init(rci_map *m) { memset(m, 0, sizeof *m); }

void rci_map_free(rci_map *m)
{
    free(m->slots);
    memset(m, 0, sizeof *m);
}

static int rehash(rci_map *m, size_t newcap)
{
    rci_map_entry *slots = calloc(newcap, sizeof *slots);
    if (!slots)
        return -1;
    size_t mask = newcap - 1;
    for (size_t i = 0; i < m->cap; i++) {
        rci_map_entry *e = &m->slots[i];
        if (e->hash <= SLOT_DELETED)
            continue;
        size_t j = e->hash & mask;
        while (slots[j].hash != SLOT_EMPTY)
            j = (j + 1) & mask;
        slots[j] = *e;
    }
    free(m->slots);
    m->slots = slots;
    m->cap = newcap;
    m->used = m->count;
    return 0;
}

bool rci_map_reserve(rci_map *m, size_t n)
{
    size_t cap = m->cap ? m->cap : 16;
    while (n * 4 >= cap * 3)
        cap *= 2;
    if (cap == m->cap)
        return true;
    return rehash(m, cap) == 0;
}

static rci_map_entry *find(const rci_map *m, const char *key, uint64_t hash)
{
    if (!m->cap)
        return NULL;
    size_t mask = m->cap - 1;
    for (size_t j = hash & mask;; j = (j + 1) & mask) {
        rci_map_entry *e = &m->slots[j];
        if (e->hash == SLOT_EMPTY)
            return NULL;
        if (e->hash == hash && strcmp(e->key, key) == 0)
            return e;
    }
}

void *rci_map_get_h(const rci_map *m, const char *key, uint64_t hash)
{
    rci_map_entry *e = find(m, key, hash);
    return e ? e->value : NULL;
}

void *rci_map_get(const rci_map *m, const char *key) { return rci_map_get_h(m, key, rci_hash_str(key)); }

int rci_map_put_h(rci_map *m, const char *key, uint64_t hash, void *value, void **old)
{
    rci_map_entry *e = find(m, key, hash);
    if (e) {
        if (old)
            *old = e->value;
        e->key = key;
        e->value = value;
        return 0;
    }
    if (old)
        *old = NULL;
    if ((m->used + 1) * 4 >= m->cap * 3) {
        size_t cap = m->cap ? m->cap : 16;
        if ((m->count + 1) * 2 >= cap)
            cap *= 2;
        if (rehash(m, cap) != 0)
            return -1;
    }
    size_t mask = m->cap - 1;
    size_t j = hash & mask;
    while (m->slots[j].hash > SLOT_DELETED)
        j = (j + 1) & mask;
    if (m->slots[j].hash == SLOT_EMPTY)
        m->used++;
    m->slots[j] = (rci_map_entry){hash, key, value};
    m->count++;
    return 0;
}

int rci_map_put(rci_map *m, const char *key, void *value, void **old)
{
    return rci_map_put_h(m, key, rci_hash_str(key), value, old);
}

void *rci_map_remove_h(rci_map *m, const char *key, uint64_t hash)
{
    rci_map_entry *e = find(m, key, hash);
    if (!e)
        return NULL;
    void *v = e->value;
    size_t mask = m->cap - 1;
    /* A slot followed by an empty one can become empty again; otherwise leave a tombstone. */
    if (m->slots[(size_t)(e - m->slots + 1) & mask].hash == SLOT_EMPTY) {
        e->hash = SLOT_EMPTY;
        m->used--;
    } else {
        e->hash = SLOT_DELETED;
    }
    e->key = NULL;
    e->value = NULL;
    m->count--;
    return v;
}

void *rci_map_remove(rci_map *m, const char *key) { return rci_map_remove_h(m, key, rci_hash_str(key)); }

bool rci_map_next(const rci_map *m, size_t *iter, const rci_map_entry **e)
{
    while (*iter < m->cap) {
        const rci_map_entry *s = &m->slots[(*iter)++];
        if (s->hash > SLOT_DELETED) {
            *e = s;
            return true;
        }
    }
    return false;
}
