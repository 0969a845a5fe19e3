/* events.h - rc_recorder: records core/v1 Events about objects (client-go's EventRecorder with the event
 * correlator's aggregation). An event names its involvedObject (kind, namespace, name, uid, apiVersion,
 * resourceVersion), a type ("Normal" or "Warning"), a reason, a message and the source component/host.
 * The same event again (same involved object, type, reason, message and source) is not a new object: the
 * existing Event's count goes up and its lastTimestamp moves to now. As client-go's EventCorrelator,
 * 10 or more events about the same object with the same reason but different messages within 10 minutes
 * are combined into one Event whose message starts with "(combined from similar events): ", and each
 * source/object pair may write a burst of 25 events, then one per 5 minutes on the recorder's clock;
 * events beyond that are dropped (rc_recorder_event still returns 0).
 *
 * Writes go synchronously through the recorder's rc_client (the writer must be allowed to create and
 * patch events). Thread-safe. */
#ifndef RECONCILE_EVENTS_H
#define RECONCILE_EVENTS_H

#include "client.h"
#include "clock.h"
#include "common.h"
#include "object.h"

#define RC_EVENT_NORMAL "Normal"
#define RC_EVENT_WARNING "Warning"

typedef struct rc_recorder rc_recorder;

/* A recorder writing through client (referenced) with time from clock (borrowed). component and host
 * (copied; host may be NULL) fill source. NULL on bad arguments or allocation failure. */
RC_API rc_recorder *rc_recorder_new(rc_client *client, rc_clock *clock, const char *component,
                                    const char *host);
RC_API void rc_recorder_free(rc_recorder *r);

/* Records an event about obj (borrowed). Returns 0, RC_EINVAL (NULL obj, type other than Normal/Warning,
 * empty reason - the message names it) or the API error of the write. The Event is named
 * "<involved name>.<16 hex digits>" in obj's namespace ("default" for cluster-scoped objects). */
RC_API int rc_recorder_event(rc_recorder *r, const rc_object *obj, const char *type, const char *reason,
                             rc_error *err, const char *fmt, ...) RC_PRINTF(6, 7);
/* Number of distinct events the recorder is aggregating (for tests). */
RC_API size_t rc_recorder_series(rc_recorder *r);

#endif
