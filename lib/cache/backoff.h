/* backoff.h - internal exponential backoff with jitter and reset, as client-go's
 * ExponentialBackoffManager: delays start at `initial`, grow by `factor` up to `cap`, each is stretched by
 * up to `jitter` times itself (seeded, deterministic), and the sequence restarts when `reset_after` has
 * passed since the previous delay was taken. Not thread-safe: the owner serialises calls. */
#ifndef RC_CACHE_BACKOFF_H
#define RC_CACHE_BACKOFF_H

#include <reconcile/clock.h>

typedef struct rci_backoff {
    rc_duration initial, cap, reset_after;
    double factor, jitter;
    rc_duration next;  /* delay before jitter the next failure gets */
    rc_time last;      /* when the previous delay was taken */
    bool started;      /* a delay was taken before */
    rc_rand rand;
} rci_backoff;

void rci_backoff_init(rci_backoff *b, rc_duration initial, rc_duration cap, rc_duration reset_after,
                      double jitter, uint64_t seed);
/* The delay to wait after a failure at `now`. */
rc_duration rci_backoff_next(rci_backoff *b, rc_time now);

#endif
