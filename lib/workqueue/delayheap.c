/* delayheap.c - 4-ary min-heap of workqueue key records by (ready_at, seq); see delayheap.h. A 4-ary
 * heap halves the depth of a binary one; with the order keys in the entries, a sift step reads the
 * children from adjacent array slots and touches only the one record it moves. */
#include "workqueue/delayheap.h"

#include <stdlib.h>

#define ARITY 4

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

static rci_delayheap_entry entry_of(rci_wq_item *it) { return (rci_delayheap_entry){it->ready_at, it->seq, it}; }

static void place(rci_delayheap *h, size_t i, rci_delayheap_entry e)
{
    h->v[i] = e;
    e.it->heap_index = (uint32_t)i;
}

static void sift_up(rci_delayheap *h, size_t i, rci_delayheap_entry e)
{
    while (i > 0) {
        size_t parent = (i - 1) / ARITY;
        if (!before(&e, &h->v[parent]))
            break;
        place(h, i, h->v[parent]);
        i = parent;
    }
    place(h, i, e);
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
        place(h, i, h->v[best]);
        i = best;
    }
    place(h, i, e);
}

bool rci_delayheap_push(rci_delayheap *h, rci_wq_item *it)
{
    if (h->len == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        if (cap >= RCI_WQ_NOT_IN_HEAP)
            return false;
        rci_delayheap_entry *v = realloc(h->v, cap * sizeof *v);
        if (!v)
            return false;
        h->v = v;
        h->cap = cap;
    }
    sift_up(h, h->len++, entry_of(it));
    return true;
}

void rci_delayheap_remove(rci_delayheap *h, rci_wq_item *it)
{
    size_t i = it->heap_index;
    it->heap_index = RCI_WQ_NOT_IN_HEAP;
    rci_delayheap_entry last = h->v[--h->len];
    if (i == h->len)
        return;
    if (i > 0 && before(&last, &h->v[(i - 1) / ARITY]))
        sift_up(h, i, last);
    else
        sift_down(h, i, last);
}

void rci_delayheap_moved_earlier(rci_delayheap *h, rci_wq_item *it) { sift_up(h, it->heap_index, entry_of(it)); }
