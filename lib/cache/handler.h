/* handler.h - internal per-handler notification buffers of the shared informer (client-go's
 * processorListener): an unbounded ring of add/update/delete notifications holding object references,
 * delivered in order by one dispatcher at a time. Notifications go in and come out in batches, so a lock
 * round trip is paid per batch rather than per notification. Thread-safe. */
#ifndef RC_CACHE_HANDLER_H
#define RC_CACHE_HANDLER_H

#include <pthread.h>
#include <reconcile/informer.h>
#include <stdatomic.h>

#define RCI_DELIVER_BATCH 64

typedef enum rci_note_type { RCI_NOTE_ADD, RCI_NOTE_UPDATE, RCI_NOTE_DELETE } rci_note_type;

typedef struct rci_note {
    rc_object *old; /* UPDATE only */
    rc_object *obj;
    rci_note_type type;
    bool final_state_unknown; /* DELETE only */
    bool resync;              /* an UPDATE from a resync: only for handlers whose resync is due */
} rci_note;

struct rc_handler_registration {
    rc_event_handler h;
    void *ctx;
    const char *informer_name; /* borrowed from the informer, for logs */
    /* resync bookkeeping, guarded by the informer's lock */
    rc_duration resync_period;
    rc_time next_resync;
    bool syncing;
    bool has_thread; /* guarded by the informer's lock */
    pthread_t thread;
    /* the buffer, guarded by lock */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    rci_note *ring;
    size_t head, count, cap;
    size_t max_count, warn_at;
    bool delivering;     /* a dispatcher is inside a callback */
    atomic_size_t taken; /* notifications the dispatcher took out of the ring and has not delivered */
    atomic_bool removed; /* written under lock; read without it between the callbacks of a batch */
    bool closed;
};

/* NULL on allocation failure. */
rc_handler_registration *rci_handler_new(const rc_event_handler *h, void *ctx, rc_duration resync_period,
                                         size_t warn_at, const char *informer_name);
void rci_handler_free(rc_handler_registration *reg);
/* Buffers a notification (references taken). Ignored once removed. RC_ENOMEM. */
int rci_handler_push(rc_handler_registration *reg, rci_note_type type, rc_object *old, rc_object *obj,
                     bool final_state_unknown);
/* Buffers notes[0..n) in order (references taken), leaving out resync notes unless the handler is
 * syncing. Ignored once removed. RC_ENOMEM (nothing buffered). */
int rci_handler_push_many(rc_handler_registration *reg, const rci_note *notes, size_t n);
/* rci_handler_push_many that takes over the notes' references instead of taking new ones: whatever is not
 * buffered (left-out resync notes, a removed handler, RC_ENOMEM) is released. */
int rci_handler_give_many(rc_handler_registration *reg, const rci_note *notes, size_t n);
/* Delivers up to max (at most RCI_DELIVER_BATCH) of the oldest notifications, in order, unless another
 * dispatcher is delivering to this handler; stops early once the handler is removed. Returns how many
 * were delivered. */
size_t rci_handler_deliver(rc_handler_registration *reg, size_t max);
/* Blocks until a notification is buffered (true) or the handler is closed or removed (false). */
bool rci_handler_wait(rc_handler_registration *reg);
/* Wakes rci_handler_wait for good (the informer stops). */
void rci_handler_close(rc_handler_registration *reg);
/* Drops the buffer; nothing more is accepted. False when already removed. */
bool rci_handler_remove(rc_handler_registration *reg);
size_t rci_handler_backlog(rc_handler_registration *reg);

#endif
