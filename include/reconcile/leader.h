/* leader.h - rc_leader: leader election over a coordination.k8s.io/v1 Lease, through any rc_client
 * (client-go's leaderelection with the Lease lock).
 *
 * A candidate tries to acquire the lease every retry period; it may take it when nobody holds it or when
 * the holder has not renewed it for leaseDuration (measured, as upstream, from when this candidate last saw
 * the lease record change, on its own clock). The leader renews every retry period and stops leading when
 * it could not renew for renewDeadline. Because renewDeadline < leaseDuration, two candidates sharing a
 * clock never both believe they lead: rc_leader_is_leader also answers false once renewDeadline has passed
 * since the last successful renewal, even before step runs.
 *
 * Sans-I/O: rc_leader_step does what is due and rc_leader_next_deadline says when to call it again; the
 * manager drives it (rc_manager_options.leader). Thread-safe. */
#ifndef RECONCILE_LEADER_H
#define RECONCILE_LEADER_H

#include "client.h"
#include "clock.h"
#include "common.h"

#define RC_LEADER_DEFAULT_LEASE_DURATION (15 * RC_SEC)
#define RC_LEADER_DEFAULT_RENEW_DEADLINE (10 * RC_SEC)
#define RC_LEADER_DEFAULT_RETRY_PERIOD (2 * RC_SEC)

typedef struct rc_leader_options {
    const char *lease_namespace; /* NULL = "kube-system" */
    const char *lease_name;      /* required */
    const char *identity;        /* holderIdentity; required and unique per candidate */
    rc_duration lease_duration;  /* 0 = 15 s */
    rc_duration renew_deadline;  /* 0 = 10 s; must be < lease_duration */
    rc_duration retry_period;    /* 0 = 2 s; must be < renew_deadline */
    bool release_on_stop;        /* rc_leader_release empties holderIdentity so another may lead at once */
    /* Callbacks (optional), called from rc_leader_step without locks held. */
    void (*on_started_leading)(void *ctx);
    void (*on_stopped_leading)(void *ctx);
    void (*on_new_leader)(void *ctx, const char *identity); /* the observed holder changed */
    void *cb_ctx;
} rc_leader_options;

typedef struct rc_leader rc_leader;

/* A new candidate (*out; caller frees with rc_leader_free). Strings are copied; client is referenced,
 * clock borrowed. RC_EINVAL (naming the bad option), RC_ENOMEM. */
RC_API int rc_leader_new(rc_client *client, rc_clock *clock, const rc_leader_options *opts, rc_leader **out,
                         rc_error *err);
RC_API void rc_leader_free(rc_leader *l);

/* Tries to acquire or renew when due (creating the Lease if missing); calls the callbacks on changes.
 * Returns 1 when it talked to the API, 0 when nothing was due. API failures count as failed attempts. */
RC_API int rc_leader_step(rc_leader *l);
/* When step next has work (the next retry). */
RC_API rc_time rc_leader_next_deadline(rc_leader *l);
/* True while leading (see the guarantee above). */
RC_API bool rc_leader_is_leader(rc_leader *l);
/* The last observed holder identity copied into buf ("" when none). */
RC_API void rc_leader_holder(rc_leader *l, char *buf, size_t cap);
/* Stops leading (on_stopped_leading if it was leading) and, with release_on_stop, writes the lease
 * released. Further steps do nothing. Returns 0 or the API error of the release. */
RC_API int rc_leader_release(rc_leader *l, rc_error *err);

#endif
