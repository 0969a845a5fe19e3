/* keyhash.h - the cache layer's hash of object keys ("ns/name") and index values: one multiply per
 * 8-byte word and fixed-size loads for the tail, about a third of the instructions of the general
 * rci_hash_str on keys of 10-30 bytes (callgrind: ~35 against ~100 per key). Every table of the cache
 * (store shards, index buckets, the delta FIFO's key map) hashes with it, so a hash computed once
 * travels with the key from the FIFO to the store. Never 0 or 1 (rci_map's empty and deleted marks). */
#ifndef RC_CACHE_KEYHASH_H
#define RC_CACHE_KEYHASH_H

#include <stdint.h>
#include <string.h>

#define RCI_KEYHASH_M1 0xff51afd7ed558ccdULL
#define RCI_KEYHASH_M2 0xc4ceb9fe1a85ec53ULL

static inline uint64_t rci_key_hash(const char *key)
{
    const unsigned char *p = (const unsigned char *)key;
    size_t len = strlen(key);
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (len * RCI_KEYHASH_M1);
    uint64_t w;
    if (len >= 8) {
        for (size_t i = 0; i + 8 < len; i += 8) {
            memcpy(&w, p + i, 8);
            h = (h ^ w) * RCI_KEYHASH_M1;
            h ^= h >> 29;
        }
        memcpy(&w, p + len - 8, 8); /* the last word, overlapping the previous one */
    } else if (len >= 4) {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + len - 4, 4);
        w = (uint64_t)a << 32 | b;
    } else {
        w = len ? (uint64_t)p[0] << 16 | (uint64_t)p[len / 2] << 8 | p[len - 1] : 0;
    }
    h = (h ^ w) * RCI_KEYHASH_M2;
    h ^= h >> 32;
    h *= RCI_KEYHASH_M1;
    h ^= h >> 29;
    return h < 2 ? h + 2 : h;
}

#endif
