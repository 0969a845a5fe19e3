/* reflector.h - rc_reflector: keeps a delta FIFO in step with a list-watch source (client-go's Reflector).
 *
 * It lists, replaces the FIFO with the list, then watches from the list's resourceVersion. A watch that
 * ends cleanly is re-opened from the last version seen; a 410 Gone (expired version) makes it relist at
 * once from the latest state; a BOOKMARK only advances the version. Other failures back off
 * exponentially with jitter (800 ms start, doubling, 30 s cap) before retrying, and the backoff resets
 * after two minutes without failures. Transient failures of a watch (unreachable, 429, timeouts) retry
 * the watch from the same version; other failures relist. Optionally the initial state is streamed
 * through the watch (watch-list: sendInitialEvents until the bookmark annotated
 * k8s.io/initial-events-end), falling back for good to a plain list when the source cannot do it or the
 * end bookmark does not come in time.
 *
 * Sans-I/O: rc_reflector_step does whatever is due now without blocking and rc_reflector_next_deadline
 * says when it must run again (the deterministic driver); rc_reflector_run blocks doing the same until
 * rc_reflector_stop (the threaded driver). Time comes only from the clock given. Thread-safe. */
#ifndef RECONCILE_REFLECTOR_H
#define RECONCILE_REFLECTOR_H

#include "clock.h"
#include "common.h"
#include "delta_fifo.h"
#include "listwatch.h"

typedef struct rc_reflector rc_reflector;

/* The annotation a watch-list's final bookmark carries (value "true"). */
#define RC_INITIAL_EVENTS_END_ANNOTATION "k8s.io/initial-events-end"

typedef struct rc_reflector_options {
    const char *name;           /* for logs, e.g. "v1/pods"; copied; NULL = "reflector" */
    const char *label_selector; /* passed to list and watch; copied; NULL = everything */
    const char *field_selector;
    int64_t page_size;          /* list limit per page; 0 = one page */
    int64_t watch_timeout_seconds; /* 0 = random in [300, 600) like upstream */
    rc_duration resync_period;  /* 0 = never: queue Sync deltas this often once listed */
    /* Optional gate asked when a resync is due (the informer checks whether a handler wants one). */
    bool (*should_resync)(void *ctx);
    void *should_resync_ctx;
    bool use_watch_list;           /* stream the initial state through the watch */
    rc_duration watch_list_timeout; /* wait this long for the end bookmark, then fall back to a list */
    rc_duration backoff_initial;   /* 800 ms */
    rc_duration backoff_cap;       /* 30 s */
    rc_duration backoff_reset;     /* 2 min without failures resets the backoff */
    double backoff_jitter;         /* each delay d becomes d + rand[0,1) * jitter * d; 1.0 by default */
    uint64_t seed;                 /* for jitter and watch timeouts */
    /* Optional: told of every list or watch failure (borrowed error), as it happens. */
    void (*on_error)(void *ctx, const rc_error *err);
    void *on_error_ctx;
} rc_reflector_options;

/* Fills o with the defaults above (no selectors, no resync, plain list). */
RC_API void rc_reflector_options_init(rc_reflector_options *o);

/* A new reflector feeding fifo (borrowed) from lw (borrowed: its ctx must outlive the reflector) on
 * clock (borrowed). opts may be NULL for the defaults; its strings are copied. NULL on bad arguments or
 * allocation failure. */
RC_API rc_reflector *rc_reflector_new(rc_list_watch lw, rc_delta_fifo *fifo, rc_clock *clock,
                                      const rc_reflector_options *opts);
/* Stops the current watch and frees the reflector. NULL-safe; not concurrently with step/run. */
RC_API void rc_reflector_free(rc_reflector *r);

/* Does what is due now: list (with paging), open a watch, drain the events that are available into the
 * FIFO, relist on 410, back off after failures, resync. Never blocks on the source's events. Returns the
 * number of events and list items handled (0 when nothing was due) or RC_ECLOSED after stop. */
RC_API int rc_reflector_step(rc_reflector *r);
/* The clock time at which step has work next: now when watch events are waiting, the end of a backoff,
 * the next resync, or RC_TIME_NEVER while idle on a watch (set_wakeup tells when events arrive). */
RC_API rc_time rc_reflector_next_deadline(rc_reflector *r);
/* Called (from the producer's thread, no locks held) whenever events arrive on the current watch. */
RC_API void rc_reflector_set_wakeup(rc_reflector *r, void (*fn)(void *ctx), void *ctx);

/* Runs step in a loop, blocking between deadlines, until rc_reflector_stop. Returns 0. */
RC_API int rc_reflector_run(rc_reflector *r);
/* Makes run return and step fail with RC_ECLOSED; stops the current watch. Any thread. */
RC_API void rc_reflector_stop(rc_reflector *r);

/* The resourceVersion of the last list or event applied ("" before the first list), copied into buf. */
RC_API void rc_reflector_last_sync_resource_version(rc_reflector *r, char *buf, size_t cap);
/* The last failure since the last successful list or watch: its code (0 when healthy), copied into
 * *err when err is not NULL (the caller clears it). */
RC_API int rc_reflector_last_error(rc_reflector *r, rc_error *err);
/* True once a list (or watch-list) was applied to the FIFO. */
RC_API bool rc_reflector_has_listed(rc_reflector *r);
/* True when the reflector gave up on watch-list and uses plain lists. */
RC_API bool rc_reflector_watch_list_fell_back(rc_reflector *r);

#endif
