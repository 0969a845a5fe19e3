/* store.c - one resource's storage: a hash map from key to the current frozen object, a sorted view for
 * ordered listing and paging (rebuilt lazily after creates and deletes only), and a bounded history ring
 * of committed changes for watch resumption and consistent paged lists. Every committed change is also
 * queued for the watchers (srv->pending) and reported to the trace hook. All functions expect the lock. */
#include "apiserver/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

rci_entry *rci_store_get_locked(rci_resource *res, const char *key)
{
    return rci_map_get(&res->objects, key);
}

static int cmp_entries(const void *a, const void *b)
{
    return strcmp((*(rci_entry *const *)a)->key, (*(rci_entry *const *)b)->key);
}

rci_entry **rci_store_sorted_locked(rci_resource *res, size_t *n)
{
    if (res->sorted_dirty) {
        size_t count = rci_map_count(&res->objects);
        rci_entry **sorted = realloc(res->sorted, (count ? count : 1) * sizeof *sorted);
        if (sorted) {
            size_t it = 0, i = 0;
            const rci_map_entry *e;
            while (rci_map_next(&res->objects, &it, &e))
                sorted[i++] = e->value;
            qsort(sorted, count, sizeof *sorted, cmp_entries);
            res->sorted = sorted;
            res->nsorted = count;
            res->sorted_dirty = false;
        }
    }
    *n = res->sorted_dirty ? 0 : res->nsorted;
    return res->sorted;
}

size_t rci_store_lower_bound(rci_entry **sorted, size_t n, const char *key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(sorted[mid]->key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void history_append(rci_resource *res, const rci_event *ev)
{
    if (res->ring_count == res->ring_cap) {
        rci_event *old = &res->ring[res->ring_head];
        res->compacted_rv = old->rv;
        rc_object_unref(old->obj);
        rc_object_unref(old->prev);
        res->ring_head = (res->ring_head + 1) % res->ring_cap;
        res->ring_count--;
    }
    rci_event *slot = &res->ring[(res->ring_head + res->ring_count) % res->ring_cap];
    *slot = *ev;
    rc_object_ref(slot->obj);
    rc_object_ref(slot->prev);
    res->ring_count++;
}

static void trace(rci_req *req, const rci_event *ev)
{
    rc_apiserver *srv = req->srv;
    if (!srv->trace)
        return;
    rc_trace_record rec = {
        .verb = req->verb,
        .actor = rci_actor(req),
        .resource = req->res->ri,
        .namespace_ = rc_object_namespace(ev->obj),
        .name = rc_object_name(ev->obj),
        .resource_version = ev->rv,
        .type = ev->type,
        .object = ev->obj,
    };
    srv->trace(srv->trace_ctx, &rec);
}

int rci_store_apply_locked(rci_req *req, const char *key, rc_object *obj, rc_object *final, rc_error *err)
{
    rc_apiserver *srv = req->srv;
    rci_resource *res = req->res;
    if (srv->npending == srv->pending_cap) {
        size_t cap = srv->pending_cap ? srv->pending_cap * 2 : 64;
        rci_pending *p = realloc(srv->pending, cap * sizeof *p);
        if (!p)
            return rc_error_set(err, RC_ENOMEM, "out of memory");
        srv->pending = p;
        srv->pending_cap = cap;
    }
    rci_entry *entry = rci_map_get(&res->objects, key);
    rci_event ev = {.rv = srv->rv};
    if (obj && entry) {
        ev.type = RC_WATCH_MODIFIED;
        ev.prev = entry->obj; /* the entry's reference moves to the event */
        entry->obj = rc_object_ref(obj);
        ev.obj = rc_object_ref(obj);
    } else if (obj) {
        entry = malloc(sizeof *entry);
        char *k = strdup(key);
        if (!entry || !k || rci_map_put(&res->objects, k, entry, NULL) != 0) {
            free(entry);
            free(k);
            return rc_error_set(err, RC_ENOMEM, "out of memory");
        }
        entry->key = k;
        entry->obj = rc_object_ref(obj);
        res->sorted_dirty = true;
        ev.type = RC_WATCH_ADDED;
        ev.obj = rc_object_ref(obj);
    } else {
        if (!entry)
            return rc_error_set(err, RC_ENOTFOUND, "not found");
        rci_map_remove(&res->objects, key);
        res->sorted_dirty = true;
        ev.type = RC_WATCH_DELETED;
        ev.prev = entry->obj;
        ev.obj = rc_object_ref(final);
        free(entry->key);
        free(entry);
    }
    history_append(res, &ev);
    rci_authz_cache_policy_changed_locked(srv, res->ri);
    trace(req, &ev);
    srv->pending[srv->npending++] = (rci_pending){.res = res, .ev = ev};
    if (srv->opts.auto_pump)
        rci_watch_dispatch_locked(srv);
    return 0;
}

bool rci_store_history_since_locked(rci_resource *res, uint64_t after,
                                    void (*fn)(void *ctx, const rci_event *ev), void *ctx)
{
    if (after < res->compacted_rv)
        return false;
    /* find the first event with rv > after: the ring is ordered by rv */
    size_t lo = 0, hi = res->ring_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (res->ring[(res->ring_head + mid) % res->ring_cap].rv <= after)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < res->ring_count; i++)
        fn(ctx, &res->ring[(res->ring_head + i) % res->ring_cap]);
    return true;
}

void rci_store_free(rci_resource *res)
{
    size_t it = 0;
    const rci_map_entry *e;
    while (rci_map_next(&res->objects, &it, &e)) {
        rci_entry *entry = e->value;
        rc_object_unref(entry->obj);
        free(entry->key);
        free(entry);
    }
    rci_map_free(&res->objects);
    for (size_t i = 0; i < res->ring_count; i++) {
        rci_event *ev = &res->ring[(res->ring_head + i) % res->ring_cap];
        rc_object_unref(ev->obj);
        rc_object_unref(ev->prev);
    }
    free(res->ring);
    free(res->sorted);
    free(res->watchers);
    free(res->id);
    free(res);
}

bool rci_store_namespace_has_objects_locked(rc_apiserver *srv, const char *ns)
{
    char prefix[300];
    int plen = snprintf(prefix, sizeof prefix, "%s/", ns);
    if (plen < 0 || (size_t)plen >= sizeof prefix)
        return false;
    size_t it = 0;
    const rci_map_entry *e;
    while (rci_map_next(&srv->resources, &it, &e)) {
        rci_resource *res = e->value;
        if (!res->ri->namespaced || rci_map_count(&res->objects) == 0)
            continue;
        size_t n;
        rci_entry **sorted = rci_store_sorted_locked(res, &n);
        size_t i = rci_store_lower_bound(sorted, n, prefix);
        if (i < n && strncmp(sorted[i]->key, prefix, (size_t)plen) == 0)
            return true;
    }
    return false;
}
