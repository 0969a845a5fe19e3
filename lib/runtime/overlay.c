/* overlay.c - read-your-own-writes. Each controller's client remembers the objects it wrote (or deleted)
 * until its informer cache has caught up (a cached resourceVersion >= the written one, or the delete
 * event). Cache reads of the controller pass through here, so they show its own writes at once: a
 * controller cannot create a child twice because the watch had not delivered the first create yet.
 * resourceVersions are compared as numbers (the embedded server and etcd hand out increasing integers). */
#include "runtime/cclient.h"

#include "cache/indexer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t rci_rv(const rc_object *o)
{
    const char *s = o ? rc_object_resource_version(o) : NULL;
    if (!s || !*s)
        return 0;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
            return 0;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    return v;
}

static char *make_mapkey(const char *id, const char *key)
{
    size_t a = strlen(id), b = strlen(key);
    char *k = malloc(a + b + 2);
    if (k) {
        memcpy(k, id, a);
        k[a] = '|';
        memcpy(k + a + 1, key, b + 1);
    }
    return k;
}

static void forget_memo(rci_ov_entry *e)
{
    if (e->memo_fn)
        rci_index_values_free(&e->memo);
    e->memo_fn = NULL;
    e->memo_ctx = NULL;
}

static void entry_free(rci_ov_entry *e)
{
    forget_memo(e);
    rc_object_unref(e->obj);
    free(e->mapkey);
    free(e);
}

static void drop_locked(rci_cclient *cc, rci_ov_entry *e)
{
    rci_map_remove(&cc->entries, e->mapkey);
    entry_free(e);
}

static bool uid_is(const rc_object *o, const char *uid)
{
    const char *u = rc_object_uid(o);
    return u && !strcmp(u, uid);
}

/* Whether the cache's object (not NULL) is at least as new as the entry. */
static bool cache_caught_up(const rci_ov_entry *e, const rc_object *cached)
{
    uint64_t crv = rci_rv(cached);
    if (crv && e->rv)
        return crv >= e->rv;
    return e->uid[0] && !uid_is(cached, e->uid); /* unknown versions: a new incarnation is newer */
}

void rci_overlay_record(rci_cclient *cc, const char *id, const rc_object *obj, bool removed)
{
    const char *key = rc_object_key(obj);
    if (!key || !key[0])
        return;
    char *mk = make_mapkey(id, key);
    if (!mk)
        return;
    uint64_t rv = rci_rv(obj);
    const char *uid = rc_object_uid(obj);
    pthread_mutex_lock(&cc->mu);
    rci_ov_entry *e = rci_map_get(&cc->entries, mk);
    if (e && e->rv && rv && e->rv > rv) { /* a newer write already recorded */
        pthread_mutex_unlock(&cc->mu);
        free(mk);
        return;
    }
    if (!e) {
        e = calloc(1, sizeof *e);
        if (!e || rci_map_put(&cc->entries, mk, e, NULL) != 0) {
            free(e);
            free(mk);
            pthread_mutex_unlock(&cc->mu);
            return;
        }
        e->mapkey = mk;
        e->keyhash = rci_hash_str(key);
    } else {
        free(mk);
        forget_memo(e);
        rc_object_unref(e->obj);
    }
    e->obj = removed ? NULL : rc_object_ref((rc_object *)obj);
    e->rv = rv;
    snprintf(e->uid, sizeof e->uid, "%s", uid ? uid : "");
    pthread_mutex_unlock(&cc->mu);
}

void rci_overlay_free_entries(rci_cclient *cc)
{
    const rci_map_entry *me;
    for (size_t it = 0; rci_map_next(&cc->entries, &it, &me);)
        entry_free(me->value);
    rci_map_free(&cc->entries);
}

size_t rci_overlay_len(rci_cclient *cc)
{
    pthread_mutex_lock(&cc->mu);
    size_t n = rci_map_count(&cc->entries);
    pthread_mutex_unlock(&cc->mu);
    return n;
}

rc_object *rci_overlay_resolve(rci_cclient *cc, const char *id, const char *key, rc_object *cached)
{
    if (!cc->overlay)
        return cached;
    char *mk = make_mapkey(id, key);
    if (!mk)
        return cached;
    pthread_mutex_lock(&cc->mu);
    rci_ov_entry *e = rci_map_count(&cc->entries) ? rci_map_get(&cc->entries, mk) : NULL;
    free(mk);
    rc_object *show = cached;
    if (e && cached && cache_caught_up(e, cached)) {
        drop_locked(cc, e);
    } else if (e) {
        show = rc_object_ref(e->obj);
        rc_object_unref(cached);
    }
    pthread_mutex_unlock(&cc->mu);
    return show;
}

/* Whether the entry's object reports sc->value under sc->index (cc->mu held). The values are kept for
 * the next read through the same index; a computation that ran out of memory is not kept. */
static bool index_reports(const rci_ov_scope *sc, rci_ov_entry *e)
{
    if (e->memo_fn != sc->index || e->memo_ctx != sc->index_ctx) {
        forget_memo(e);
        rci_index_values_init(&e->memo);
        sc->index(sc->index_ctx, e->obj, &e->memo);
        e->memo_fn = sc->index;
        e->memo_ctx = sc->index_ctx;
    }
    bool found = false;
    for (size_t i = 0; i < rci_index_values_count(&e->memo) && !found; i++)
        found = !strcmp(rci_index_values_at(&e->memo, i), sc->value);
    if (e->memo.failed)
        forget_memo(e);
    return found;
}

/* Whether the entry's written object (not NULL) belongs in the read's result (cc->mu held). */
static bool in_scope(rci_ov_entry *e, const rci_ov_scope *sc)
{
    if (sc->ns && sc->ns[0] && strcmp(rc_object_namespace(e->obj), sc->ns))
        return false;
    if (sc->sel && !rc_selector_matches_object(sc->sel, e->obj))
        return false;
    return !sc->index || index_reports(sc, e);
}

/* The entries of resource id (borrowed; valid under cc->mu) into *out; their number, or -1 on allocation
 * failure. */
static long entries_of(rci_cclient *cc, const char *id, rci_ov_entry ***out)
{
    size_t idlen = strlen(id), n = 0, cap = 0;
    *out = NULL;
    const rci_map_entry *me;
    for (size_t it = 0; rci_map_next(&cc->entries, &it, &me);) {
        rci_ov_entry *e = me->value;
        if (strncmp(e->mapkey, id, idlen) || e->mapkey[idlen] != '|')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            rci_ov_entry **grown = realloc(*out, cap * sizeof *grown);
            if (!grown) {
                free(*out);
                *out = NULL;
                return -1;
            }
            *out = grown;
        }
        (*out)[n++] = e;
    }
    return (long)n;
}

/* Positions of the result's items by key (keys borrowed from the items, which stay alive until the map is
 * freed). */
static int index_result(const rc_object_list *out, size_t from, rci_map *pos)
{
    if (!rci_map_reserve(pos, out->count - from))
        return RC_ENOMEM;
    for (size_t i = from; i < out->count; i++)
        if (rci_map_put(pos, rc_object_key(out->items[i]), (void *)(uintptr_t)(i + 1), NULL))
            return RC_ENOMEM;
    return 0;
}

int rci_overlay_merge_list(rci_cclient *cc, const char *id, rc_object_list *out, size_t from,
                           const rci_ov_scope *scope)
{
    if (!cc->overlay)
        return 0;
    size_t idlen = strlen(id);
    rci_ov_entry **mine = NULL;
    rc_object **replaced = NULL; /* released once the position map (keyed into them) is gone */
    size_t nreplaced = 0;
    rci_map pos;
    rci_map_init(&pos);
    pthread_mutex_lock(&cc->mu);
    long n = rci_map_count(&cc->entries) ? entries_of(cc, id, &mine) : 0;
    int rc = n < 0 ? RC_ENOMEM : 0;
    if (n > 0 && !(rc = index_result(out, from, &pos)) && !(replaced = calloc((size_t)n, sizeof *replaced)))
        rc = RC_ENOMEM;
    for (long k = 0; rc == 0 && k < n; k++) {
        rci_ov_entry *e = mine[k];
        uintptr_t at = (uintptr_t)rci_map_get_h(&pos, e->mapkey + idlen + 1, e->keyhash);
        if (at) {
            size_t i = at - 1;
            if (cache_caught_up(e, out->items[i]))
                continue; /* pruned by the next observe or resolve */
            replaced[nreplaced++] = out->items[i];
            out->items[i] = e->obj && in_scope(e, scope) ? rc_object_ref(e->obj) : NULL;
        } else if (scope->add_new && e->obj && in_scope(e, scope)) {
            rc = rc_object_list_append(out, e->obj);
        }
    }
    pthread_mutex_unlock(&cc->mu);
    rci_map_free(&pos);
    for (size_t i = 0; i < nreplaced; i++)
        rc_object_unref(replaced[i]);
    free(replaced);
    free(mine);
    if (nreplaced) {
        size_t w = from;
        for (size_t r = from; r < out->count; r++)
            if (out->items[r])
                out->items[w++] = out->items[r];
        out->count = w;
    }
    return rc;
}

bool rci_overlay_observe(rci_cclient *cc, const char *id, const rc_object *obj, bool deleted)
{
    if (!cc->overlay)
        return false;
    pthread_mutex_lock(&cc->mu);
    if (!rci_map_count(&cc->entries)) {
        pthread_mutex_unlock(&cc->mu);
        return false;
    }
    pthread_mutex_unlock(&cc->mu);
    char *mk = make_mapkey(id, rc_object_key(obj));
    if (!mk)
        return false;
    bool own = false;
    pthread_mutex_lock(&cc->mu);
    rci_ov_entry *e = rci_map_get(&cc->entries, mk);
    free(mk);
    if (e) {
        uint64_t rv = rci_rv(obj);
        own = !deleted && e->obj && rv && rv == e->rv;
        bool same_incarnation = !e->uid[0] || uid_is(obj, e->uid);
        if (deleted ? same_incarnation || !e->obj : cache_caught_up(e, obj))
            drop_locked(cc, e);
    }
    pthread_mutex_unlock(&cc->mu);
    return own;
}
