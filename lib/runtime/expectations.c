/* expectations.c - rc_expectations: per-key counts of creates and deletes a controller waits to see in
 * its cache (upstream ControllerExpectations), with optional tracking of the child keys whose deletion is
 * expected (UIDTrackingControllerExpectations), so a child seen terminating and then gone counts once. */
#include <reconcile/expectations.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/map.h"

typedef struct record {
    char *key;
    int adds, dels;
    rc_time stamp;
    rci_map children; /* child key (owned, also the value) -> itself; empty = not tracking */
} record;

struct rc_expectations {
    pthread_mutex_t mu;
    rci_map records;
    rc_clock *clock;
    rc_duration timeout;
};

rc_expectations *rc_expectations_new(rc_clock *clock, rc_duration timeout)
{
    rc_expectations *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    pthread_mutex_init(&e->mu, NULL);
    rci_map_init(&e->records);
    e->clock = clock ? clock : rc_clock_real();
    e->timeout = timeout > 0 ? timeout : RC_EXPECTATIONS_TIMEOUT;
    return e;
}

static void clear_children(record *r)
{
    const rci_map_entry *me;
    for (size_t it = 0; rci_map_next(&r->children, &it, &me);)
        free(me->value);
    rci_map_free(&r->children);
    rci_map_init(&r->children);
}

static void record_free(record *r)
{
    clear_children(r);
    free(r->key);
    free(r);
}

void rc_expectations_free(rc_expectations *e)
{
    if (!e)
        return;
    const rci_map_entry *me;
    for (size_t it = 0; rci_map_next(&e->records, &it, &me);)
        record_free(me->value);
    rci_map_free(&e->records);
    pthread_mutex_destroy(&e->mu);
    free(e);
}

/* The record of key, made fresh (counts zero, no children, stamped now). Locked. */
static record *fresh_locked(rc_expectations *e, const char *key)
{
    record *r = rci_map_get(&e->records, key);
    if (r) {
        clear_children(r);
    } else {
        r = calloc(1, sizeof *r);
        if (!r || !(r->key = strdup(key)) || rci_map_put(&e->records, r->key, r, NULL) != 0) {
            if (r)
                free(r->key);
            free(r);
            return NULL;
        }
        rci_map_init(&r->children);
    }
    r->adds = r->dels = 0;
    r->stamp = rc_clock_now(e->clock);
    return r;
}

int rc_expectations_set(rc_expectations *e, const char *key, int adds, int dels)
{
    if (!e || !key || adds < 0 || dels < 0)
        return RC_EINVAL;
    pthread_mutex_lock(&e->mu);
    record *r = fresh_locked(e, key);
    if (r) {
        r->adds = adds;
        r->dels = dels;
    }
    pthread_mutex_unlock(&e->mu);
    return r ? 0 : RC_ENOMEM;
}

int rc_expectations_expect_creations(rc_expectations *e, const char *key, int adds)
{
    return rc_expectations_set(e, key, adds, 0);
}

int rc_expectations_expect_deletions(rc_expectations *e, const char *key, int dels)
{
    return rc_expectations_set(e, key, 0, dels);
}

int rc_expectations_expect_deletions_of(rc_expectations *e, const char *key, const char *const *child_keys, size_t n)
{
    if (!e || !key || (n && !child_keys))
        return RC_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!child_keys[i])
            return RC_EINVAL;
    pthread_mutex_lock(&e->mu);
    record *r = fresh_locked(e, key);
    int rc = r ? 0 : RC_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (rci_map_get(&r->children, child_keys[i]))
            continue;
        char *k = strdup(child_keys[i]);
        if (!k || rci_map_put(&r->children, k, k, NULL) != 0) {
            free(k);
            rc = RC_ENOMEM;
        }
    }
    if (r) {
        if (rc) /* all or nothing */
            record_free(rci_map_remove(&e->records, key));
        else
            r->dels = (int)rci_map_count(&r->children);
    }
    pthread_mutex_unlock(&e->mu);
    return rc;
}

static void adjust(rc_expectations *e, const char *key, int adds, int dels)
{
    if (!e || !key)
        return;
    pthread_mutex_lock(&e->mu);
    record *r = rci_map_get(&e->records, key);
    if (r) {
        r->adds += adds;
        r->dels += dels;
    }
    pthread_mutex_unlock(&e->mu);
}

void rc_expectations_lower(rc_expectations *e, const char *key, int adds, int dels)
{
    adjust(e, key, -adds, -dels);
}

void rc_expectations_raise(rc_expectations *e, const char *key, int adds, int dels)
{
    adjust(e, key, adds, dels);
}

void rc_expectations_creation_observed(rc_expectations *e, const char *key)
{
    adjust(e, key, -1, 0);
}

void rc_expectations_deletion_observed(rc_expectations *e, const char *key)
{
    adjust(e, key, 0, -1);
}

void rc_expectations_deletion_observed_of(rc_expectations *e, const char *key, const char *child_key)
{
    if (!e || !key || !child_key)
        return;
    pthread_mutex_lock(&e->mu);
    record *r = rci_map_get(&e->records, key);
    if (r && rci_map_count(&r->children)) {
        char *k = rci_map_remove(&r->children, child_key);
        if (k) {
            free(k);
            r->dels--;
        }
    } else if (r) {
        r->dels--;
    }
    pthread_mutex_unlock(&e->mu);
}

bool rc_expectations_satisfied(rc_expectations *e, const char *key)
{
    if (!e || !key)
        return true;
    pthread_mutex_lock(&e->mu);
    record *r = rci_map_get(&e->records, key);
    bool ok = !r || (r->adds <= 0 && r->dels <= 0) || rc_clock_now(e->clock) - r->stamp > e->timeout;
    pthread_mutex_unlock(&e->mu);
    return ok;
}

bool rc_expectations_get(rc_expectations *e, const char *key, int *adds, int *dels)
{
    int a = 0, d = 0;
    bool found = false;
    if (e && key) {
        pthread_mutex_lock(&e->mu);
        record *r = rci_map_get(&e->records, key);
        if (r) {
            found = true;
            a = r->adds;
            d = r->dels;
        }
        pthread_mutex_unlock(&e->mu);
    }
    if (adds)
        *adds = a;
    if (dels)
        *dels = d;
    return found;
}

void rc_expectations_delete(rc_expectations *e, const char *key)
{
    if (!e || !key)
        return;
    pthread_mutex_lock(&e->mu);
    record *r = rci_map_remove(&e->records, key);
    if (r)
        record_free(r);
    pthread_mutex_unlock(&e->mu);
}
