/* lookaside.c - lock-free dedup of adds of waiting keys; see lookaside.h. Key bytes of records are
 * written and compared in 8-byte atomic words, so a racing recycle is a detected mismatch, not a data
 * race. The cache is 2-way set-associative, most recently published first: with one slot per hash,
 * a few keys in a thousand share a slot and evict each other on every add, sending both through the
 * intake for ever. */
#include "workqueue/lookaside.h"

#include <stdlib.h>
#include <string.h>

#define SET_BITS 12
#define WAYS 2

typedef uint64_t __attribute__((may_alias)) key_word;

typedef struct entry {
    _Atomic uint64_t hash;
    _Atomic(rci_wq_item *) it;
} entry;

/* A set's entries share one aligned 32-byte block, so a lookup loads one cache line. */
typedef struct set {
    _Alignas(WAYS * sizeof(entry)) entry way[WAYS];
} set;

struct rci_lookaside {
    set sets[1u << SET_BITS];
};

rci_lookaside *rci_lookaside_new(void)
{
    rci_lookaside *la = aligned_alloc(64, sizeof(rci_lookaside)); /* a multiple of 64 bytes */
    if (la)
        memset(la, 0, sizeof *la);
    return la;
}

void rci_lookaside_free(rci_lookaside *la) { free(la); }

static set *set_of(const rci_lookaside *la, uint64_t hash)
{
    return (set *)&la->sets[hash >> (64 - SET_BITS)]; /* the key table indexes by the low bits */
}

static void put(entry *e, uint64_t hash, rci_wq_item *it)
{
    atomic_store_explicit(&e->hash, hash, memory_order_relaxed);
    atomic_store_explicit(&e->it, it, memory_order_release);
}

/* Readers may see an entry half rewritten (one record's hash with another record): the key comparison
 * in dedup, not the hash, decides, so that only sends the add down the locked path. */
void rci_lookaside_publish(rci_lookaside *la, rci_wq_item *it)
{
    set *st = set_of(la, it->hash);
    rci_wq_item *first = atomic_load_explicit(&st->way[0].it, memory_order_relaxed);
    if (first == it && atomic_load_explicit(&st->way[0].hash, memory_order_relaxed) == it->hash)
        return;
    if (first != it)
        put(&st->way[1], atomic_load_explicit(&st->way[0].hash, memory_order_relaxed), first);
    put(&st->way[0], it->hash, it);
}

static size_t words(size_t n) { return (n + 7) / 8; }

/* The dedup of one cached record: see rci_lookaside_dedup. */
static bool dedup_record(rci_wq_item *it, const char *key, size_t n, int priority)
{
    if (!it || n > it->key_cap)
        return false;
    uint64_t s = atomic_load_explicit(&it->state, memory_order_acquire);
    if (!(s & (RCI_WQ_READY | RCI_WQ_DIRTY)) || (int8_t)(uint8_t)(s >> 16) < priority)
        return false;
    const key_word *kw = (const key_word *)(const void *)it->key;
    for (size_t i = 0; i < words(n); i++)
        if (__atomic_load_n(&kw[i], __ATOMIC_ACQUIRE) != rci_wq_key_word(key, n, i))
            return false;
    /* Any change since s was read (a get, a done, a recycle with its new generation) fails this. */
    return atomic_compare_exchange_strong_explicit(&it->state, &s, s, memory_order_acq_rel, memory_order_relaxed);
}

bool rci_lookaside_dedup(const rci_lookaside *la, const char *key, size_t n, uint64_t hash, int priority)
{
    set *st = set_of(la, hash);
    for (int w = 0; w < WAYS; w++)
        if (atomic_load_explicit(&st->way[w].hash, memory_order_relaxed) == hash)
            return dedup_record(atomic_load_explicit(&st->way[w].it, memory_order_acquire), key, n, priority);
    return false;
}

void rci_wq_item_assign(rci_wq_item *it, const char *key, size_t n, uint64_t gen)
{
    atomic_store_explicit(&it->state, gen << RCI_WQ_GEN_SHIFT, memory_order_release);
    key_word *kw = (key_word *)(void *)it->key;
    for (size_t i = 0; i < words(n); i++)
        __atomic_store_n(&kw[i], rci_wq_key_word(key, n, i), __ATOMIC_RELEASE);
}
