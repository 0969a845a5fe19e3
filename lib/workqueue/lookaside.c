/* lookaside.c - lock-free dedup of adds of waiting keys; see lookaside.h. Key bytes of records are
 * written and compared in 8-byte atomic words, so a racing recycle is a detected mismatch, not a data
 * race. */
#include "workqueue/lookaside.h"

#include <stdlib.h>

#define SLOT_BITS 12

typedef uint64_t __attribute__((may_alias)) key_word;

typedef struct entry {
    _Atomic uint64_t hash;
    _Atomic(rci_wq_item *) it;
} entry;

struct rci_lookaside {
    entry slots[1u << SLOT_BITS];
};

rci_lookaside *rci_lookaside_new(void) { return calloc(1, sizeof(rci_lookaside)); }

void rci_lookaside_free(rci_lookaside *la) { free(la); }

static const entry *slot_of(const rci_lookaside *la, uint64_t hash)
{
    return &la->slots[hash >> (64 - SLOT_BITS)]; /* the key table indexes by the low bits */
}

void rci_lookaside_publish(rci_lookaside *la, rci_wq_item *it)
{
    entry *e = (entry *)slot_of(la, it->hash);
    atomic_store_explicit(&e->hash, it->hash, memory_order_relaxed);
    atomic_store_explicit(&e->it, it, memory_order_release);
}

static size_t words(size_t n) { return (n + 7) / 8; }

bool rci_lookaside_dedup(const rci_lookaside *la, const char *key, size_t n, uint64_t hash, int priority)
{
    const entry *e = slot_of(la, hash);
    if (atomic_load_explicit(&((entry *)e)->hash, memory_order_relaxed) != hash)
        return false;
    rci_wq_item *it = atomic_load_explicit(&((entry *)e)->it, memory_order_acquire);
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

void rci_wq_item_assign(rci_wq_item *it, const char *key, size_t n, uint64_t gen)
{
    atomic_store_explicit(&it->state, gen << RCI_WQ_GEN_SHIFT, memory_order_release);
    key_word *kw = (key_word *)(void *)it->key;
    for (size_t i = 0; i < words(n); i++)
        __atomic_store_n(&kw[i], rci_wq_key_word(key, n, i), __ATOMIC_RELEASE);
}
