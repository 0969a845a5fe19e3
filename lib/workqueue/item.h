/* item.h - the interned key record shared by the workqueue's parts: one per distinct key, found through
 * the queue's key table, linked into a ready list (or the idle list, or the free list once recycled),
 * placed in the delay heap or the in-flight set. Every field is guarded by the queue lock. */
#ifndef RC_WORKQUEUE_ITEM_H
#define RC_WORKQUEUE_ITEM_H

#include <reconcile/clock.h>

#include <stdint.h>

enum {
    RCI_WQ_READY = 1u << 0,      /* in a ready list, waiting to be handed out */
    RCI_WQ_PROCESSING = 1u << 1, /* handed out, not done */
    RCI_WQ_DIRTY = 1u << 2,      /* added while processing: ready again at done */
    RCI_WQ_DELAYED = 1u << 3,    /* in the delay heap */
    RCI_WQ_IDLE = 1u << 4        /* none of the above; in the idle list */
};

#define RCI_WQ_NOT_IN_HEAP UINT32_MAX

typedef struct rci_wq_item {
    struct rci_wq_item *prev, *next; /* ready list, idle list or free list */
    rc_time ready_at;                /* delay heap: when due */
    uint64_t seq;                    /* ready order (aging) or delay heap tie-break */
    rc_time added_at;                /* metrics: when it became dirty */
    rc_time started_at;              /* metrics: when it was handed out */
    uint64_t hash;
    uint32_t heap_index;
    uint32_t key_cap; /* bytes available in key[], so a recycled record can take a new key */
    uint16_t flags;
    int8_t priority;       /* ready / dirty: the priority it is handed out at */
    int8_t delay_priority; /* delayed: the priority it becomes ready at */
    char key[];
} rci_wq_item;

#endif
