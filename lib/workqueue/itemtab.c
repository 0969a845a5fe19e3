/* itemtab.c - linear-probing record table with backward-shift deletion; see itemtab.h. */
#include "workqueue/itemtab.h"

#include <stdlib.h>
#include <string.h>

#define MIN_CAP 64

void rci_itemtab_init(rci_itemtab *t, size_t key_off) { *t = (rci_itemtab){.key_off = key_off}; }

void rci_itemtab_free(rci_itemtab *t)
{
    free(t->slots);
    *t = (rci_itemtab){.key_off = t->key_off};
}

static void put(rci_itemtab_slot *slots, size_t mask, uint64_t hash, void *it)
{
    size_t j = hash & mask;
    while (slots[j].it)
        j = (j + 1) & mask;
    slots[j] = (rci_itemtab_slot){hash, it};
}

bool rci_itemtab_reserve(rci_itemtab *t)
{
    if ((t->count + 1) * 2 <= t->cap)
        return true;
    size_t cap = t->cap ? t->cap * 2 : MIN_CAP;
    rci_itemtab_slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].it)
            put(slots, cap - 1, t->slots[i].hash, t->slots[i].it);
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return true;
}

void rci_itemtab_insert(rci_itemtab *t, uint64_t hash, void *it)
{
    put(t->slots, t->cap - 1, hash, it);
    t->count++;
}

void *rci_itemtab_find_key(const rci_itemtab *t, uint64_t hash, const char *key)
{
    if (!t->cap)
        return NULL;
    size_t mask = t->cap - 1;
    for (size_t j = hash & mask; t->slots[j].it; j = (j + 1) & mask)
        if (t->slots[j].hash == hash && strcmp((const char *)t->slots[j].it + t->key_off, key) == 0)
            return t->slots[j].it;
    return NULL;
}

/* The index of the slot holding the record at address it under hash, or t->cap when it is not there. */
static size_t slot_of(const rci_itemtab *t, uint64_t hash, const void *it)
{
    if (!t->cap)
        return 0;
    size_t mask = t->cap - 1, j = hash & mask;
    while (t->slots[j].it && t->slots[j].it != it)
        j = (j + 1) & mask;
    return t->slots[j].it ? j : t->cap;
}

void *rci_itemtab_find(const rci_itemtab *t, uint64_t hash, const void *it)
{
    size_t j = slot_of(t, hash, it);
    return j < t->cap ? t->slots[j].it : NULL;
}

void *rci_itemtab_remove(rci_itemtab *t, uint64_t hash, const void *it)
{
    size_t j = slot_of(t, hash, it), mask = t->cap - 1;
    if (j == t->cap)
        return NULL;
    void *found = t->slots[j].it;
    /* Backward shift: a later member of the probe run moves into the hole unless its home slot lies
     * cyclically in (hole, k], where it must stay reachable. */
    size_t hole = j;
    for (size_t k = (j + 1) & mask; t->slots[k].it; k = (k + 1) & mask) {
        size_t h = t->slots[k].hash & mask;
        bool stays = hole < k ? (h > hole && h <= k) : (h > hole || h <= k);
        if (!stays) {
            t->slots[hole] = t->slots[k];
            hole = k;
        }
    }
    t->slots[hole] = (rci_itemtab_slot){0};
    t->count--;
    return found;
}

void *rci_itemtab_next(const rci_itemtab *t, size_t *iter)
{
    while (*iter < t->cap) {
        void *it = t->slots[(*iter)++].it;
        if (it)
            return it;
    }
    return NULL;
}
