/* item.h - the interned key record shared by the workqueue's parts: one per distinct key, found through
 * the queue's key table, linked into a ready list (or the idle list, or the free list once recycled),
 * placed in the delay heap or the in-flight set. Every field is guarded by the queue lock, except that
 * `state` (flags, priority and a generation bumped when the record takes a new key) and the key bytes
 * are also read without the lock by the lookaside fast path (lookaside.h), the lock-free done sets
 * RCI_WQ_DONE_PENDING on a record in flight (rci_wq_claim_done) and then writes its done_next
 * (donestack.h), and a get that takes a record from the ready ring moves it from READY to PROCESSING
 * (rci_wq_take_from_ring). So lock holders change state only through rci_wq_set_state, and records are
 * never freed while their queue lives. */
#ifndef RC_WORKQUEUE_ITEM_H
#define RC_WORKQUEUE_ITEM_H

#include <reconcile/clock.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum {
    RCI_WQ_READY = 1u << 0,      /* in a ready list, waiting to be handed out */
    RCI_WQ_PROCESSING = 1u << 1, /* handed out, not done */
    RCI_WQ_DIRTY = 1u << 2,      /* added while processing: ready again at done */
    RCI_WQ_DELAYED = 1u << 3,    /* in the delay heap */
    RCI_WQ_IDLE = 1u << 4,       /* none of the above; in the idle list */
    /* PROCESSING and done() was called: the record is on the done stack (or about to be) and still in
     * flight until a lock holder finishes it. Set only by rci_wq_claim_done; cleared with PROCESSING. */
    RCI_WQ_DONE_PENDING = 1u << 5,
    /* PROCESSING, handed out by a get that took it from the ready ring without the lock (readyring.h):
     * in flight, but not in the in-flight set. Cleared with PROCESSING. */
    RCI_WQ_RING_TAKEN = 1u << 6
};

/* state: bits 0-15 flags, 16-23 priority (as uint8_t), 24-63 generation. */
#define RCI_WQ_GEN_SHIFT 24

typedef struct rci_wq_item {
    struct rci_wq_item *prev, *next; /* ready list, idle list or free list */
    rc_time ready_at;                /* delay heap: when due */
    uint64_t seq;                    /* ready order (aging) or delay heap tie-break */
    rc_time added_at;                /* metrics: when it became dirty */
    rc_time started_at;              /* metrics: when it was handed out */
    struct rci_wq_item *done_next;   /* the done stack (written by the claimer) */
    uint64_t hash;
    _Atomic uint64_t state;
    uint32_t key_cap;      /* bytes in key[], a multiple of 8; fixed for the record's life */
    int8_t delay_priority; /* delayed: the priority it becomes ready at */
    bool in_heap;          /* in the delay heap (delayheap.h) */
    bool in_ring;          /* put in the ready ring and not since taken back or finished by a lock holder */
    _Alignas(8) char key[]; /* NUL-terminated, zero-padded to a multiple of 8 bytes */
} rci_wq_item;

_Static_assert(offsetof(rci_wq_item, key) % 8 == 0, "record keys are read in 8-byte words");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "rci_wq_key_word assumes little-endian words");

/* Word i (8 bytes, little-endian order) of a key of n bytes counting its NUL, zero-padded past the
 * end: the unit records store and compare keys in. */
static inline uint64_t rci_wq_key_word(const char *key, size_t n, size_t i)
{
    size_t off = i * 8;
    uint64_t w = 0;
    if (n - off >= 8) {
        memcpy(&w, key + off, 8);
    } else if (n >= 8) { /* the tail: the last 8 bytes of the string, shifted down past the overlap */
        memcpy(&w, key + n - 8, 8);
        w >>= 8 * (8 - (n - off));
    } else {
        for (size_t b = 0; b < n; b++)
            w |= (uint64_t)(unsigned char)key[b] << 8 * b;
    }
    return w;
}

/* The queue's hash of a key of n bytes counting its NUL (a word-at-a-time multiply-xorshift). */
static inline uint64_t rci_wq_hash(const char *key, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
    for (size_t i = 0; i * 8 < n; i++) {
        h = (h ^ rci_wq_key_word(key, n, i)) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 29);
}

static inline uint64_t rci_wq_state(const rci_wq_item *it)
{
    return atomic_load_explicit(&((rci_wq_item *)it)->state, memory_order_relaxed);
}

static inline unsigned rci_wq_flags(const rci_wq_item *it) { return (unsigned)(rci_wq_state(it) & 0xffffu); }

static inline int rci_wq_priority(const rci_wq_item *it) { return (int8_t)(uint8_t)(rci_wq_state(it) >> 16); }

/* Sets flags and priority, keeping the generation, and returns the new state. Leaving READY or DIRTY
 * is read-modify-write, so the lock holder acquires from a lock-free add that confirmed that state (the
 * getter sees what the adder wrote before adding) and such an add can no longer succeed. While the record
 * is PROCESSING a lock-free done may set DONE_PENDING at any moment: it is kept as long as the new flags
 * keep PROCESSING (dropping PROCESSING finishes the done and clears it). Other changes are release
 * stores. */
static inline uint64_t rci_wq_set_state(rci_wq_item *it, unsigned flags, int priority)
{
    uint64_t old = rci_wq_state(it);
    for (;;) {
        uint64_t keep = (flags & RCI_WQ_PROCESSING) ? (old & RCI_WQ_DONE_PENDING) : 0;
        uint64_t s = (old & ~(uint64_t)0xffffff) | (uint64_t)(uint8_t)priority << 16 |
                     (flags & ~(unsigned)RCI_WQ_DONE_PENDING) | keep;
        if (!(old & (RCI_WQ_READY | RCI_WQ_DIRTY | RCI_WQ_PROCESSING))) {
            atomic_store_explicit(&it->state, s, memory_order_release);
            return s;
        }
        if (atomic_compare_exchange_weak(&it->state, &old, s))
            return s;
    }
}

/* done() of the record whose generation is gen: sets DONE_PENDING if the record is PROCESSING with that
 * generation and no done is pending yet (and, when clean_only, it is not DIRTY either). Exactly one of
 * several racing dones succeeds; the winner must then finish the record or hand it to a lock holder. */
static inline bool rci_wq_claim_done(rci_wq_item *it, uint64_t gen, bool clean_only)
{
    uint64_t s = rci_wq_state(it);
    unsigned refuse = RCI_WQ_DONE_PENDING | (clean_only ? RCI_WQ_DIRTY : 0u);
    while ((s >> RCI_WQ_GEN_SHIFT) == gen && (s & RCI_WQ_PROCESSING) && !(s & refuse))
        if (atomic_compare_exchange_weak(&it->state, &s, s | RCI_WQ_DONE_PENDING))
            return true;
    return false;
}

/* A get took it from the ready ring (it is READY and no lock holder changes a record in the ring): it is
 * PROCESSING and RING_TAKEN from now on. Read-modify-write, as every change leaving READY (see
 * rci_wq_set_state); returns the new state. */
static inline uint64_t rci_wq_take_from_ring(rci_wq_item *it)
{
    uint64_t s = atomic_load_explicit(&it->state, memory_order_acquire), to;
    do
        to = (s & ~(uint64_t)RCI_WQ_READY) | RCI_WQ_PROCESSING | RCI_WQ_RING_TAKEN;
    while (!atomic_compare_exchange_weak(&it->state, &s, to));
    return to;
}

static inline uint64_t rci_wq_set_flags(rci_wq_item *it, unsigned flags)
{
    return rci_wq_set_state(it, flags, rci_wq_priority(it));
}

#endif
