/* event_correlate.c - the correlation client-go's event recorder applies before writing (see
 * event_correlate.h): EventAggregator's "similar events" (more than EVENT_SIMILAR_MAX - 1 different
 * messages within the window turn into one combined series) and EventSourceObjectSpamFilter's token bucket
 * per source and involved object. Time is the recorder's clock, so a simulation stays deterministic. */
#include "runtime/event_correlate.h"

#include <stdlib.h>
#include <string.h>

typedef struct similar {
    char *key; /* owned, the map's key */
    rc_time last;
    size_t n;
    char *messages[EVENT_SIMILAR_MAX];
} similar;

/* The bucket's content as time: each event costs EVENT_SPAM_REFILL, time refills it up to the burst. */
typedef struct bucket {
    char *key; /* owned, the map's key */
    rc_time last;
    rc_duration credit;
} bucket;

void rci_event_correlator_init(rci_event_correlator *c)
{
    rci_map_init(&c->similar);
    rci_map_init(&c->spam);
}

static void forget_messages(similar *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->messages[i]);
    s->n = 0;
}

static void clear_similar(rci_map *m)
{
    const rci_map_entry *e;
    for (size_t it = 0; rci_map_next(m, &it, &e);) {
        similar *s = e->value;
        forget_messages(s);
        free(s->key);
        free(s);
    }
    rci_map_free(m);
    rci_map_init(m);
}

static void clear_spam(rci_map *m)
{
    const rci_map_entry *e;
    for (size_t it = 0; rci_map_next(m, &it, &e);) {
        bucket *b = e->value;
        free(b->key);
        free(b);
    }
    rci_map_free(m);
    rci_map_init(m);
}

void rci_event_correlator_free(rci_event_correlator *c)
{
    clear_similar(&c->similar);
    clear_spam(&c->spam);
}

/* The record of key in m, created (zeroed, of size `size`, key copied into its first member) when missing;
 * NULL on allocation failure. A full table starts over. */
static void *record(rci_map *m, void (*clear)(rci_map *), const char *key, size_t size, bool *created)
{
    void *r = rci_map_get(m, key);
    *created = !r;
    if (r)
        return r;
    if (rci_map_count(m) >= EVENT_CORRELATE_MAX)
        clear(m);
    r = calloc(1, size);
    char *k = strdup(key);
    if (!r || !k || rci_map_put(m, k, r, NULL) != 0) {
        free(r);
        free(k);
        return NULL;
    }
    *(char **)r = k;
    return r;
}

bool rci_event_similar(rci_event_correlator *c, const char *aggregate_key, const char *message, rc_time now)
{
    bool created;
    similar *s = record(&c->similar, clear_similar, aggregate_key, sizeof *s, &created);
    if (!s)
        return false; /* out of memory: the event stays on its own */
    if (!created && now - s->last > EVENT_SIMILAR_WINDOW)
        forget_messages(s);
    s->last = now;
    bool seen = false;
    for (size_t i = 0; i < s->n && !seen; i++)
        seen = !strcmp(s->messages[i], message);
    if (!seen && s->n < EVENT_SIMILAR_MAX) {
        char *m = strdup(message);
        if (!m)
            return false;
        s->messages[s->n++] = m;
    }
    if (s->n < EVENT_SIMILAR_MAX)
        return false;
    free(s->messages[--s->n]); /* as upstream: the set never grows past the limit */
    return true;
}

bool rci_event_spam_allows(rci_event_correlator *c, const char *spam_key, rc_time now)
{
    bool created;
    bucket *b = record(&c->spam, clear_spam, spam_key, sizeof *b, &created);
    if (!b)
        return true; /* out of memory: better an event too many than a lost one */
    const rc_duration full = (rc_duration)EVENT_SPAM_BURST * EVENT_SPAM_REFILL;
    if (created || now - b->last >= full)
        b->credit = full;
    else if (now > b->last)
        b->credit = b->credit + (now - b->last) > full ? full : b->credit + (now - b->last);
    b->last = now > b->last ? now : b->last;
    if (b->credit < EVENT_SPAM_REFILL)
        return false;
    b->credit -= EVENT_SPAM_REFILL;
    return true;
}
