/* ptrset.c - dense member array plus linear probing over the members' key hashes (backward-shift
 * deletion, growing at 3/4 load); see ptrset.h. The arrays have room for 3/4 of the table, so one reserve
 * covers both; the slots and the hash halves share one block, rebuilt from the halves on growth. */
#include "cache/ptrset.h"

#include <stdlib.h>
#include <string.h>

#define NONE SIZE_MAX
#define MAX_CAP ((size_t)1 << 31)

static uint64_t slot_make(uint32_t tag, size_t pos) { return (uint64_t)tag << 32 | (uint64_t)(pos + 1); }
static uint32_t slot_tag(uint64_t slot) { return (uint32_t)(slot >> 32); }
static size_t slot_pos(uint64_t slot) { return (size_t)(uint32_t)slot - 1; }

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
    /* written rather than calloc'ed, so no page is first mapped to the zero page (see objtable.c) */
    size_t bytes = cap * sizeof(uint64_t) + items_room(cap) * sizeof *s->tags;
    uint64_t *slots = malloc(bytes);
    if (!slots)
        return false;
    memset(slots, 0, bytes);
    uint32_t *tags = (uint32_t *)(slots + cap);
    size_t mask = cap - 1;
    for (size_t i = 0; i < s->count; i++) {
        tags[i] = s->tags[i];
        size_t j = tags[i] & mask;
        while (slots[j])
            j = (j + 1) & mask;
        slots[j] = slot_make(tags[i], i);
    }
    free(s->slots);
    s->slots = slots;
    s->tags = tags;
    s->cap = (uint32_t)cap;
    return true;
}

bool rci_ptrset_reserve(rci_ptrset *s, size_t extra)
{
    size_t need = s->count + extra;
    size_t cap = s->cap ? s->cap : 8;
    while (need > items_room(cap) && cap < MAX_CAP)
        cap *= 2;
    return need <= items_room(cap) && (cap == s->cap || grow(s, cap));
}

/* The slot of member p, or NONE. */
static size_t find(const rci_ptrset *s, const void *p, uint32_t tag)
{
    if (!s->cap)
        return NONE;
    size_t mask = s->cap - 1;
    for (size_t j = tag & mask; s->slots[j]; j = (j + 1) & mask)
        if (slot_tag(s->slots[j]) == tag && s->items[slot_pos(s->slots[j])] == p)
            return j;
    return NONE;
}

void rci_ptrset_insert(rci_ptrset *s, void *p, uint64_t hash)
{
    uint32_t tag = (uint32_t)hash;
    size_t mask = s->cap - 1;
    size_t j = tag & mask;
    for (; s->slots[j]; j = (j + 1) & mask)
        if (slot_tag(s->slots[j]) == tag && s->items[slot_pos(s->slots[j])] == p)
            return;
    s->slots[j] = slot_make(tag, s->count);
    s->tags[s->count] = tag;
    s->items[s->count++] = p;
}

bool rci_ptrset_contains(const rci_ptrset *s, const void *p, uint64_t hash)
{
    return find(s, p, (uint32_t)hash) != NONE;
}

bool rci_ptrset_replace(rci_ptrset *s, void *old, void *p, uint64_t hash)
{
    size_t j = find(s, old, (uint32_t)hash);
    if (j == NONE)
        return false;
    s->items[slot_pos(s->slots[j])] = p;
    return true;
}

/* Empties slot `hole`, shifting later members of its probe run back so no tombstone is needed. */
static void clear_slot(rci_ptrset *s, size_t hole)
{
    size_t mask = s->cap - 1;
    for (size_t j = (hole + 1) & mask; s->slots[j]; j = (j + 1) & mask) {
        size_t home = slot_tag(s->slots[j]) & mask;
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            s->slots[hole] = s->slots[j];
            hole = j;
        }
    }
    s->slots[hole] = 0;
}

bool rci_ptrset_remove(rci_ptrset *s, void *p, uint64_t hash)
{
    size_t j = find(s, p, (uint32_t)hash);
    if (j == NONE)
        return false;
    size_t pos = slot_pos(s->slots[j]), last = --s->count;
    clear_slot(s, j);
    if (pos != last) {
        uint32_t tag = s->tags[last];
        size_t mask = s->cap - 1, k = tag & mask;
        while (slot_pos(s->slots[k]) != last)
            k = (k + 1) & mask;
        s->slots[k] = slot_make(tag, pos);
        s->items[pos] = s->items[last];
        s->tags[pos] = tag;
    }
    return true;
}
