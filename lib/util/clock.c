/* clock.c - the real, scaled and virtual clocks behind rc_clock. A virtual clock moves only when its
 * owner advances it, which is what makes the deterministic driver reproducible. */
#include <reconcile/clock.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

enum clock_kind { CLOCK_KIND_REAL, CLOCK_KIND_SCALED, CLOCK_KIND_VIRTUAL };

struct rc_clock {
    enum clock_kind kind;
    _Atomic rc_time virtual_now; /* virtual */
    rc_time start;               /* scaled: virtual time at real_start */
    rc_time real_start;
    double speed;
};

static rc_clock real_clock = {.kind = CLOCK_KIND_REAL};

static rc_time real_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (rc_time)ts.tv_sec * RC_SEC + ts.tv_nsec;
}

rc_clock *rc_clock_real(void) { return &real_clock; }

rc_clock *rc_clock_virtual_new(rc_time start)
{
    rc_clock *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->kind = CLOCK_KIND_VIRTUAL;
    atomic_init(&c->virtual_now, start);
    return c;
}

rc_clock *rc_clock_scaled_new(rc_time start, double speed)
{
    if (!(speed > 0))
        return NULL;
    rc_clock *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->kind = CLOCK_KIND_SCALED;
    c->start = start;
    c->real_start = real_now();
    c->speed = speed;
    return c;
}

void rc_clock_free(rc_clock *clock)
{
    if (clock && clock != &real_clock)
        free(clock);
}

rc_time rc_clock_now(rc_clock *clock)
{
    switch (clock->kind) {
    case CLOCK_KIND_VIRTUAL:
        return atomic_load(&clock->virtual_now);
    case CLOCK_KIND_SCALED:
        return clock->start + (rc_time)((double)(real_now() - clock->real_start) * clock->speed);
    default:
        return real_now();
    }
}

bool rc_clock_is_virtual(const rc_clock *clock) { return clock->kind == CLOCK_KIND_VIRTUAL; }

int rc_clock_set(rc_clock *clock, rc_time t)
{
    if (clock->kind != CLOCK_KIND_VIRTUAL)
        return RC_EINVAL;
    rc_time cur = atomic_load(&clock->virtual_now);
    while (t > cur)
        if (atomic_compare_exchange_weak(&clock->virtual_now, &cur, t))
            return 0;
    return t == cur ? 0 : RC_EINVAL;
}

int rc_clock_advance(rc_clock *clock, rc_duration d)
{
    if (clock->kind != CLOCK_KIND_VIRTUAL || d < 0)
        return RC_EINVAL;
    atomic_fetch_add(&clock->virtual_now, d);
    return 0;
}

rc_duration rc_clock_real_delay(rc_clock *clock, rc_time deadline)
{
    if (deadline == RC_TIME_NEVER || clock->kind == CLOCK_KIND_VIRTUAL)
        return RC_TIME_NEVER;
    rc_time now = rc_clock_now(clock);
    if (deadline <= now)
        return 0;
    rc_duration d = deadline - now;
    return clock->kind == CLOCK_KIND_SCALED ? (rc_duration)((double)d / clock->speed) : d;
}

bool rc_clock_abs_timeout(rc_clock *clock, rc_time deadline, struct timespec *out)
{
    rc_duration d = rc_clock_real_delay(clock, deadline);
    if (d == RC_TIME_NEVER)
        return false;
    if (d > RC_HOUR)
        d = RC_HOUR;
    rc_time when = real_now() + d;
    out->tv_sec = (time_t)(when / RC_SEC);
    out->tv_nsec = (long)(when % RC_SEC);
    return true;
}

/* xoshiro256** seeded through splitmix64: small, fast, and the same sequence on every platform. */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void rc_rand_seed(rc_rand *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rc_rand_next(rc_rand *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t rc_rand_below(rc_rand *r, uint64_t n)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = rc_rand_next(r);
    while (x >= limit);
    return x % n;
}

double rc_rand_double(rc_rand *r) { return (double)(rc_rand_next(r) >> 11) * 0x1.0p-53; }
