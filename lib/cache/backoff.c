/* backoff.c - the reflector's retry delays (see backoff.h). */
#include "cache/backoff.h"

void rci_backoff_init(rci_backoff *b, rc_duration initial, rc_duration cap, rc_duration reset_after,
                      double jitter, uint64_t seed)
{
    b->initial = initial;
    b->cap = cap;
    b->reset_after = reset_after;
    b->factor = 2.0;
    b->jitter = jitter;
    b->next = initial;
    b->last = 0;
    b->started = false;
    rc_rand_seed(&b->rand, seed);
}

rc_duration rci_backoff_next(rci_backoff *b, rc_time now)
{
    if (b->started && now - b->last >= b->reset_after)
        b->next = b->initial;
    b->started = true;
    b->last = now;
    rc_duration d = b->next;
    double grown = (double)d * b->factor;
    b->next = grown >= (double)b->cap ? b->cap : (rc_duration)grown;
    if (b->jitter > 0)
        d += (rc_duration)(rc_rand_double(&b->rand) * b->jitter * (double)d);
    return d;
}
