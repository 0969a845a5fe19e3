/* procset.c - pointer-keyed open-addressing set of in-flight workqueue records; see procset.h. */
#include "workqueue/procset.h"

#include <stdint.h>
#include <stdlib.h>

void rci_procset_init(rci_procset *s) { *s = (rci_procset){0}; }

void rci_procset_free(rci_procset *s)
{
    free(s->slots);
    *s = (rci_procset){0};
}

static size_t home(const rci_procset *s, const void *key)
{
    return (size_t)(((uintptr_t)key * 0x9e3779b97f4a7c15ULL) >> 17) & (s->cap - 1);
}

static void put(rci_procset *s, rci_wq_item *it)
{
    size_t j = home(s, it->key);
    while (s->slots[j])
        j = (j + 1) & (s->cap - 1);
    s->slots[j] = it;
}

bool rci_procset_reserve(rci_procset *s)
{
    if ((s->count + 1) * 2 <= s->cap)
        return true;
    size_t cap = s->cap ? s->cap * 2 : 16;
    rci_wq_item **slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    rci_procset old = *s;
    s->slots = slots;
    s->cap = cap;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i])
            put(s, old.slots[i]);
    free(old.slots);
    return true;
}

void rci_procset_insert(rci_procset *s, rci_wq_item *it)
{
    put(s, it);
    s->count++;
}

rci_wq_item *rci_procset_take(rci_procset *s, const char *key)
{
    if (!s->cap)
        return NULL;
    size_t mask = s->cap - 1, j = home(s, key);
    while (s->slots[j] && s->slots[j]->key != key)
        j = (j + 1) & mask;
    rci_wq_item *found = s->slots[j];
    if (!found)
        return NULL;
    /* Backward-shift deletion: a later member of the probe run moves into the hole unless its home
     * slot lies cyclically in (hole, k], where it must stay reachable. */
    size_t hole = j;
    s->slots[hole] = NULL;
    for (size_t k = (j + 1) & mask; s->slots[k]; k = (k + 1) & mask) {
        size_t h = home(s, s->slots[k]->key);
        bool stays = hole < k ? (h > hole && h <= k) : (h > hole || h <= k);
        if (!stays) {
            s->slots[hole] = s->slots[k];
            s->slots[k] = NULL;
            hole = k;
        }
    }
    s->count--;
    return found;
}

rci_wq_item *rci_procset_next(const rci_procset *s, size_t *iter)
{
    while (*iter < s->cap) {
        rci_wq_item *it = s->slots[(*iter)++];
        if (it)
            return it;
    }
    return NULL;
}
