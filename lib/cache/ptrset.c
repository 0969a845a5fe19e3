/* ptrset.c - dense member array plus linear probing over address hashes (backward-shift deletion, growing
 * at 3/4 load); see ptrset.h. The array has room for 3/4 of the table, so one reserve covers both. */
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

/* Members the table takes at 3/4 load (rci_ptrset_bytes counts the same). */
static size_t items_room(size_t cap) { return cap / 4 * 3; }

void rci_ptrset_init(rci_ptrset *s) { memset(s, 0, sizeof *s); }

void rci_ptrset_free(rci_ptrset *s)
{
    free(s->items);
    free(s->slots);
    memset(s, 0, sizeof *s);
}

static bool grow(rci_ptrset *s, size_t cap)
{
    void **items = realloc(s->items, items_room(cap) * sizeof *items);
    if (!items)
        return false;
    s->items = items;
    rci_ptrslot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    size_t mask = cap - 1;
    for (size_t i = 0; i < s->count; i++) {
        size_t j = slot_of(items[i], mask);
        while (slots[j].ptr)
            j = (j + 1) & mask;
        slots[j] = (rci_ptrslot){items[i], i};
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
    while (need > items_room(cap))
        cap *= 2;
    return cap == s->cap || grow(s, cap);
}

void rci_ptrset_insert(rci_ptrset *s, void *p)
{
    size_t mask = s->cap - 1;
    size_t j = slot_of(p, mask);
    for (; s->slots[j].ptr; j = (j + 1) & mask)
        if (s->slots[j].ptr == p)
            return;
    s->slots[j] = (rci_ptrslot){p, s->count};
    s->items[s->count++] = p;
}

static rci_ptrslot *find(const rci_ptrset *s, const void *p)
{
    size_t mask = s->cap - 1;
    for (size_t j = slot_of(p, mask); s->slots[j].ptr; j = (j + 1) & mask)
        if (s->slots[j].ptr == p)
            return &s->slots[j];
    return NULL;
}

/* Empties slot `hole`, shifting later members of its probe run back so no tombstone is needed. */
static void clear_slot(rci_ptrset *s, size_t hole)
{
    size_t mask = s->cap - 1;
    for (size_t j = (hole + 1) & mask; s->slots[j].ptr; j = (j + 1) & mask) {
        size_t home = slot_of(s->slots[j].ptr, mask);
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            s->slots[hole] = s->slots[j];
            hole = j;
        }
    }
    s->slots[hole].ptr = NULL;
}

bool rci_ptrset_remove(rci_ptrset *s, void *p)
{
    rci_ptrslot *slot = s->cap ? find(s, p) : NULL;
    if (!slot)
        return false;
    size_t pos = slot->pos, last = --s->count;
    clear_slot(s, (size_t)(slot - s->slots));
    if (pos != last) {
        void *moved = s->items[last];
        s->items[pos] = moved;
        find(s, moved)->pos = pos;
    }
    return true;
}
