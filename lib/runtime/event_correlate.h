/* event_correlate.h (internal) - what client-go's EventCorrelator does before an event is written, for
 * rc_recorder (events.c): similar events (same source, involved object, type and reason; any message)
 * become one "combined" series once they come with EVENT_SIMILAR_MAX different messages within
 * EVENT_SIMILAR_WINDOW, and a token bucket per source and involved object (burst EVENT_SPAM_BURST, one
 * more every EVENT_SPAM_REFILL) drops what goes beyond it. Not thread-safe: the recorder locks. */
#ifndef RC_RUNTIME_EVENT_CORRELATE_H
#define RC_RUNTIME_EVENT_CORRELATE_H

#include <reconcile/clock.h>

#include <stdbool.h>
#include <stddef.h>

#include "util/map.h"

#define EVENT_SIMILAR_MAX 10
#define EVENT_SIMILAR_WINDOW (600 * RC_SEC)
#define EVENT_SPAM_BURST 25
#define EVENT_SPAM_REFILL (300 * RC_SEC)
#define EVENT_CORRELATE_MAX 4096 /* records per table; a full table starts over */
#define EVENT_COMBINED_PREFIX "(combined from similar events): "

typedef struct rci_event_correlator {
    rci_map similar; /* aggregate key -> the messages seen lately */
    rci_map spam;    /* source + involved object -> token bucket */
} rci_event_correlator;

void rci_event_correlator_init(rci_event_correlator *c);
void rci_event_correlator_free(rci_event_correlator *c);

/* Notes one more event with this aggregate key (everything but the message) and message at now; true
 * when it is to be written as part of the combined series of its similar events. */
bool rci_event_similar(rci_event_correlator *c, const char *aggregate_key, const char *message, rc_time now);

/* Takes a token of the bucket of spam_key (source and involved object) at now; false when there is none,
 * and the event is to be dropped. */
bool rci_event_spam_allows(rci_event_correlator *c, const char *spam_key, rc_time now);

#endif
