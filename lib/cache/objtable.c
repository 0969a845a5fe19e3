/* objtable.c - linear probing with backward-shift deletion (no tombstones), growing at 3/4 load. Keys are
 * compared only when the cached 64-bit hashes match, so a lookup touches one slot line and one object. */
#include "cache/objtable.h"

#include <stdlib.h>
#include <string.h>

void rci_objtable_init(rci_objtable *t) { memset(t, 0, sizeof *t); }

void rci_objtable_free(rci_objtable *t)
{
    free(t->slots);
    memset(t, 0, sizeof *t);
}

static bool key_is(const rc_object *o, const char *key)
{
    const char *k = rc_object_key(o);
    return k && strcmp(k, key) == 0;
}

/* A zeroed slot array. Written, not calloc'ed: calloc hands out fresh pages unwritten, the probes below
 * would map them to the shared zero page, and the first store into each would then be a copy-on-write
 * fault that flushes the TLB of every core running another thread of the process. */
static rci_objslot *zeroed_slots(size_t cap)
{
    rci_objslot *slots = malloc(cap * sizeof *slots);
    return slots ? memset(slots, 0, cap * sizeof *slots) : NULL;
}

static bool grow(rci_objtable *t, size_t cap)
{
    rci_objslot *slots = zeroed_slots(cap);
    if (!slots)
        return false;
    size_t mask = cap - 1;
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->slots[i].obj)
            continue;
        size_t j = t->slots[i].hash & mask;
        while (slots[j].obj)
            j = (j + 1) & mask;
        slots[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return true;
}

bool rci_objtable_reserve(rci_objtable *t, size_t extra)
{
    size_t need = t->count + extra;
    size_t cap = t->cap ? t->cap : 16;
    while (need * 4 > cap * 3)
        cap *= 2;
    return cap == t->cap || grow(t, cap);
}

static rci_objslot *find(const rci_objtable *t, const char *key, uint64_t hash)
{
    if (!t->cap)
        return NULL;
    size_t mask = t->cap - 1;
    for (size_t j = hash & mask;; j = (j + 1) & mask) {
        rci_objslot *s = &t->slots[j];
        if (!s->obj)
            return NULL;
        if (s->hash == hash && key_is(s->obj, key))
            return s;
    }
}

rc_object *rci_objtable_get(const rci_objtable *t, const char *key, uint64_t hash)
{
    rci_objslot *s = find(t, key, hash);
    return s ? s->obj : NULL;
}

rci_objslot *rci_objtable_slot(rci_objtable *t, const char *key, uint64_t hash)
{
    size_t mask = t->cap - 1;
    size_t j = hash & mask;
    while (t->slots[j].obj && !(t->slots[j].hash == hash && key_is(t->slots[j].obj, key)))
        j = (j + 1) & mask;
    return &t->slots[j];
}

rc_object *rci_objtable_put(rci_objtable *t, rc_object *obj, uint64_t hash)
{
    rci_objslot *slot = rci_objtable_slot(t, rc_object_key(obj), hash);
    rc_object *old = slot->obj;
    if (old)
        slot->obj = obj;
    else
        rci_objtable_fill(t, slot, obj, hash);
    return old;
}

rc_object *rci_objtable_remove(rci_objtable *t, const char *key, uint64_t hash)
{
    rci_objslot *s = find(t, key, hash);
    if (!s)
        return NULL;
    rc_object *old = s->obj;
    size_t mask = t->cap - 1;
    size_t hole = (size_t)(s - t->slots);
    /* Shift later members of the probe run back into the hole so no tombstone is needed. */
    for (size_t j = (hole + 1) & mask; t->slots[j].obj; j = (j + 1) & mask) {
        size_t home = t->slots[j].hash & mask;
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            t->slots[hole] = t->slots[j];
            hole = j;
        }
    }
    t->slots[hole] = (rci_objslot){0, NULL};
    t->count--;
    return old;
}
