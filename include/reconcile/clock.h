/* clock.h - time for every component: a real clock, a scaled clock (rcsim serve --speed) and a virtual
 * clock advanced only by its owner (the deterministic driver). Components read time through rc_clock and
 * never sleep; a driver asks rc_clock_real_delay() how long it may block before a deadline. */
#ifndef RECONCILE_CLOCK_H
#define RECONCILE_CLOCK_H

#include "common.h"

/* Nanoseconds since the Unix epoch (UTC). */
typedef int64_t rc_time;
/* A length of time in nanoseconds. */
typedef int64_t rc_duration;

#define RC_NSEC ((rc_duration)1)
#define RC_USEC ((rc_duration)1000)
#define RC_MSEC ((rc_duration)1000000)
#define RC_SEC ((rc_duration)1000000000)
#define RC_MINUTE (60 * RC_SEC)
#define RC_HOUR (60 * RC_MINUTE)
#define RC_TIME_NEVER INT64_MAX

typedef struct rc_clock rc_clock;

/* The process-wide real clock (CLOCK_REALTIME). Never freed; thread-safe. */
RC_API rc_clock *rc_clock_real(void);
/* A virtual clock starting at `start` that moves only through rc_clock_advance/rc_clock_set.
 * Caller owns it: rc_clock_free(). Thread-safe. */
RC_API rc_clock *rc_clock_virtual_new(rc_time start);
/* A clock that starts at `start` and runs `speed` times faster than real time. Caller owns it. */
RC_API rc_clock *rc_clock_scaled_new(rc_time start, double speed);
/* Frees a clock made by a _new function; the real clock is ignored. */
RC_API void rc_clock_free(rc_clock *clock);

RC_API rc_time rc_clock_now(rc_clock *clock);
RC_API bool rc_clock_is_virtual(const rc_clock *clock);
/* Virtual clocks only: move forward by d (>= 0) or to t (>= now). RC_EINVAL otherwise. */
RC_API int rc_clock_advance(rc_clock *clock, rc_duration d);
RC_API int rc_clock_set(rc_clock *clock, rc_time t);
/* Real nanoseconds a thread may wait before `deadline` is reached on this clock: 0 when it has passed,
 * RC_TIME_NEVER for RC_TIME_NEVER or for a virtual clock (which only its owner moves). */
RC_API rc_duration rc_clock_real_delay(rc_clock *clock, rc_time deadline);
/* Absolute CLOCK_REALTIME timespec for pthread_cond_timedwait that waits until `deadline` on this clock
 * (capped at one hour ahead). Returns false when the wait is unbounded (virtual clock, NEVER). */
struct timespec;
RC_API bool rc_clock_abs_timeout(rc_clock *clock, rc_time deadline, struct timespec *out);

/* A seeded deterministic random source (xoshiro256**). Not thread-safe: guard it or use one per thread. */
typedef struct rc_rand {
    uint64_t s[4];
} rc_rand;
RC_API void rc_rand_seed(rc_rand *r, uint64_t seed);
RC_API uint64_t rc_rand_next(rc_rand *r);
/* Uniform in [0, n); n > 0. */
RC_API uint64_t rc_rand_below(rc_rand *r, uint64_t n);
/* Uniform in [0, 1). */
RC_API double rc_rand_double(rc_rand *r);

#endif
