/* ptrset.c - linear probing over pointer hashes with backward-shift deletion, growing at 3/4 load. */
#include "cache/ptrset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t slot_of(const void *p, size_t mask)
{
    /* objects are allocated close together: mix all address bits so neighbours spread out */
    uint64_t h = (uint64_t)(uintptr_t)p;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return (size_t)h & mask;
}

void rci_ptrset_init(rci_ptrset *s) { memset(s, 0, sizeof *s); }

void rci_ptrset_free(rci_ptrset *s)
{
    free(s->slots);
    memset(s, 0, sizeof *s);
}

static bool grow(rci_ptrset *s, size_t cap)
{
    void **slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    size_t mask = cap - 1;
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->slots[i])
            continue;
        size_t j = slot_of(s->slots[i], mask);
        while (slots[j])
            j = (j + 1) & mask;
        slots[j] = s->slots[i];
    }
    free(s->slots);
    s->slots = slots;
    s->cap = cap;
    return true;
}

bool rci_ptrset_reserve(rci_ptrset *s, size_t extra)
{
    size_t need = s->count + extra;
    size_t cap = s->cap ? s->cap : 8;
    while (need * 4 > cap * 3)
        cap *= 2;
    return cap == s->cap || grow(s, cap);
}

void rci_ptrset_insert(rci_ptrset *s, void *p)
{
    size_t mask = s->cap - 1;
    size_t j = slot_of(p, mask);
    for (; s->slots[j]; j = (j + 1) & mask)
        if (s->slots[j] == p)
            return;
    s->slots[j] = p;
    s->count++;
}

bool rci_ptrset_remove(rci_ptrset *s, void *p)
{
    if (!s->cap)
        return false;
    size_t mask = s->cap - 1;
    size_t hole = slot_of(p, mask);
    while (s->slots[hole] != p) {
        if (!s->slots[hole])
            return false;
        hole = (hole + 1) & mask;
    }
    for (size_t j = (hole + 1) & mask; s->slots[j]; j = (j + 1) & mask) {
        size_t home = slot_of(s->slots[j], mask);
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            s->slots[hole] = s->slots[j];
            hole = j;
        }
    }
    s->slots[hole] = NULL;
    s->count--;
    return true;
}
