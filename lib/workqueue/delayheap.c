/* delayheap.c - 4-ary min-heap of workqueue key records by (ready_at, seq), with stale entries left
 * behind by removals; see delayheap.h. A 4-ary heap halves the depth of a binary one; with the order
 * keys in the entries, a sift step reads the children from adjacent array slots. */
#include "workqueue/delayheap.h"

#include <stdlib.h>

#define ARITY 4
/* Entries below which stale ones are left to reach the top rather than swept out. */
#define SWEEP_MIN 64

void rci_delayheap_init(rci_delayheap *h) { *h = (rci_delayheap){0}; }

void rci_delayheap_free(rci_delayheap *h)
{
    free(h->v);
    *h = (rci_delayheap){0};
}

static bool before(const rci_delayheap_entry *a, const rci_delayheap_entry *b)
{
    return a->ready_at < b->ready_at || (a->ready_at == b->ready_at && a->seq < b->seq);
}

/* An entry is live while its record is in the heap under the entry's seq (seqs are never reused). */
static bool live(const rci_delayheap_entry *e) { return e->it->in_heap && e->it->seq == e->seq; }

static void sift_up(rci_delayheap *h, size_t i, rci_delayheap_entry e)
{
    while (i > 0) {
        size_t parent = (i - 1) / ARITY;
        if (!before(&e, &h->v[parent]))
            break;
        h->v[i] = h->v[parent];
        i = parent;
    }
    h->v[i] = e;
}

static void sift_down(rci_delayheap *h, size_t i, rci_delayheap_entry e)
{
    for (;;) {
        size_t first = i * ARITY + 1;
        if (first >= h->len)
            break;
        size_t last = first + ARITY < h->len ? first + ARITY : h->len;
        size_t best = first;
        for (size_t c = first + 1; c < last; c++)
            if (before(&h->v[c], &h->v[best]))
                best = c;
        if (!before(&h->v[best], &e))
            break;
        h->v[i] = h->v[best];
        i = best;
    }
    h->v[i] = e;
}

/* Drops the top entry and starts loading the new top's record, which the next look at the top reads. */
static void pop_top(rci_delayheap *h)
{
    rci_delayheap_entry last = h->v[--h->len];
    if (h->len) {
        sift_down(h, 0, last);
        __builtin_prefetch(h->v[0].it);
    }
}

/* Once stale entries outnumber live ones: keeps the live ones and rebuilds the heap bottom-up. */
static void sweep_if_stale(rci_delayheap *h)
{
    if (h->len < SWEEP_MIN || h->len - h->live <= h->live)
        return;
    size_t n = 0;
    for (size_t i = 0; i < h->len; i++)
        if (live(&h->v[i]))
            h->v[n++] = h->v[i];
    h->len = n;
    for (size_t i = n / ARITY + 1; i-- > 0;)
        if (i < n)
            sift_down(h, i, h->v[i]);
}

bool rci_delayheap_schedule(rci_delayheap *h, rci_wq_item *it, rc_time ready_at, uint64_t seq)
{
    if (h->len == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        rci_delayheap_entry *v = cap <= SIZE_MAX / sizeof *v ? realloc(h->v, cap * sizeof *v) : NULL;
        if (!v)
            return false;
        h->v = v;
        h->cap = cap;
    }
    if (!it->in_heap)
        h->live++;
    it->in_heap = true;
    it->ready_at = ready_at;
    it->seq = seq;
    h->len++;
    sift_up(h, h->len - 1, (rci_delayheap_entry){ready_at, seq, it});
    sweep_if_stale(h);
    return true;
}

rci_wq_item *rci_delayheap_top(rci_delayheap *h)
{
    while (h->len && !live(&h->v[0]))
        pop_top(h);
    return h->len ? h->v[0].it : NULL;
}

rci_wq_item *rci_delayheap_due(rci_delayheap *h, rc_time now)
{
    for (; h->len && h->v[0].ready_at <= now; pop_top(h))
        if (live(&h->v[0]))
            return h->v[0].it;
    return NULL;
}

void rci_delayheap_remove(rci_delayheap *h, rci_wq_item *it)
{
    bool top = h->v[0].it == it && live(&h->v[0]);
    it->in_heap = false;
    h->live--;
    if (top)
        pop_top(h);
    else
        sweep_if_stale(h);
}
