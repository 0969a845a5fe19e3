/* faults.c - fault injection for tests, driven by the server's seeded random source: fail the Nth
 * matching request with a status, a conflict rate on writes, ending watch streams every N events (see
 * watch.c), forgetting watch history (410 on resumption), and latency added on a virtual clock. */
#include "apiserver/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_opt(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void fault_clear(rci_fault *f)
{
    free(f->verb);
    free(f->resource);
    free(f->ns);
    free(f->name);
}

int rc_apiserver_fault_fail(rc_apiserver *srv, const rc_fault_rule *rule, rc_error *err)
{
    if (!rule || rule->nth == 0 || rule->code >= 0 || rule->code < RC_ECODE_MIN)
        return rc_error_set(err, RC_EINVAL, "fault rule: nth must be >= 1 and code a negative RC_E* value");
    rci_fault f = {.verb = dup_opt(rule->verb), .resource = dup_opt(rule->resource),
                   .ns = dup_opt(rule->namespace_), .name = dup_opt(rule->name), .skip = rule->nth - 1,
                   .times = rule->times ? rule->times : 1, .code = rule->code};
    pthread_mutex_lock(&srv->lock);
    rci_fault *all = realloc(srv->faults, (srv->nfaults + 1) * sizeof *all);
    if (all) {
        srv->faults = all;
        srv->faults[srv->nfaults++] = f;
    }
    pthread_mutex_unlock(&srv->lock);
    if (!all) {
        fault_clear(&f);
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    return 0;
}

void rc_apiserver_fault_conflict_rate(rc_apiserver *srv, double p)
{
    pthread_mutex_lock(&srv->lock);
    srv->conflict_rate = p;
    pthread_mutex_unlock(&srv->lock);
}

void rc_apiserver_fault_drop_watch_every(rc_apiserver *srv, uint64_t n)
{
    pthread_mutex_lock(&srv->lock);
    srv->drop_every = n;
    pthread_mutex_unlock(&srv->lock);
}

static void expire(rci_resource *res, uint64_t rv)
{
    for (size_t i = 0; i < res->ring_count; i++) {
        rci_event *ev = &res->ring[(res->ring_head + i) % res->ring_cap];
        rc_object_unref(ev->obj);
        rc_object_unref(ev->prev);
    }
    res->ring_head = res->ring_count = 0;
    res->compacted_rv = rv;
}

int rc_apiserver_fault_expire_history(rc_apiserver *srv, const char *resource)
{
    const rc_resource_info *ri = resource ? rc_registry_lookup(srv->registry, resource) : NULL;
    if (resource && !ri)
        return RC_ENOTFOUND;
    pthread_mutex_lock(&srv->lock);
    int rc = 0;
    if (ri) {
        rci_resource *res = rci_resource_for_locked(srv, ri);
        if (res)
            expire(res, srv->rv);
        else
            rc = RC_ENOMEM;
    } else {
        size_t it = 0;
        const rci_map_entry *e;
        while (rci_map_next(&srv->resources, &it, &e))
            expire(e->value, srv->rv);
    }
    pthread_mutex_unlock(&srv->lock);
    return rc;
}

void rc_apiserver_fault_latency(rc_apiserver *srv, rc_duration d)
{
    pthread_mutex_lock(&srv->lock);
    srv->latency = d;
    pthread_mutex_unlock(&srv->lock);
}

void rci_faults_free_locked(rc_apiserver *srv)
{
    for (size_t i = 0; i < srv->nfaults; i++)
        fault_clear(&srv->faults[i]);
    free(srv->faults);
    srv->faults = NULL;
    srv->nfaults = 0;
    srv->conflict_rate = 0;
    srv->drop_every = 0;
    srv->latency = 0;
}

void rc_apiserver_fault_clear(rc_apiserver *srv)
{
    pthread_mutex_lock(&srv->lock);
    rci_faults_free_locked(srv);
    pthread_mutex_unlock(&srv->lock);
}

/* A rule's resource matches "plural", "plural.group", or either with "/subresource". */
static bool resource_matches(const char *want, const rci_req *req)
{
    if (!want)
        return true;
    char full[300], plain[300];
    rci_qualified(req->ri, full, sizeof full);
    snprintf(plain, sizeof plain, "%s", req->ri->plural);
    if (req->subresource[0]) {
        snprintf(full + strlen(full), sizeof full - strlen(full), "/%s", req->subresource);
        snprintf(plain + strlen(plain), sizeof plain - strlen(plain), "/%s", req->subresource);
    }
    return !strcmp(want, full) || !strcmp(want, plain);
}

static bool rule_matches(const rci_fault *f, const rci_req *req)
{
    return f->times > 0 && (!f->verb || !strcmp(f->verb, req->verb)) && resource_matches(f->resource, req) &&
           (!f->ns || !strcmp(f->ns, req->ns)) && (!f->name || !strcmp(f->name, req->name));
}

int rci_fault_check(rci_req *req, rc_error *err)
{
    rc_apiserver *srv = req->srv;
    pthread_mutex_lock(&srv->lock);
    rc_duration latency = srv->latency;
    int code = 0;
    for (size_t i = 0; i < srv->nfaults && !code; i++) {
        rci_fault *f = &srv->faults[i];
        if (!rule_matches(f, req))
            continue;
        if (f->skip) {
            f->skip--;
        } else {
            f->times--;
            code = f->code;
        }
    }
    pthread_mutex_unlock(&srv->lock);
    if (latency > 0 && rc_clock_is_virtual(srv->clock))
        rc_clock_advance(srv->clock, latency);
    if (!code)
        return 0;
    if (code == RC_ECONFLICT)
        return rci_conflict(req, err);
    return rc_error_set(err, code, "injected fault: %s", rc_strerror(code));
}

bool rci_fault_conflict(rci_req *req)
{
    rc_apiserver *srv = req->srv;
    pthread_mutex_lock(&srv->lock);
    bool hit = srv->conflict_rate > 0 && rc_rand_double(&srv->rand) < srv->conflict_rate;
    pthread_mutex_unlock(&srv->lock);
    return hit;
}
