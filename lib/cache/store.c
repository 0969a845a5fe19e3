/* store.c - rc_store: 32 shards, each an rwlock over an object table, plus named indexes guarded by one
 * index lock. Lock order: config_lock, then shards in ascending order, then index_lock. A write holds its
 * shard and the index lock while it updates both, so readers of either see whole changes; replace and
 * add_indexer build their new structures first and swap them in under every lock.
 * rc_store_get, the hot read, takes no lock when it can: it announces the shard it reads in a reader
 * slot of its own cache line (a thread keeps to one slot), then checks the shard's `writing` flag; a
 * writer sets the flag after taking the shard's write lock and waits until no slot names its shard
 * before it changes anything. Both sides are sequentially consistent, so either the reader sees the flag
 * (and falls back to the read lock) or the writer sees the reader (and waits for the few hundred
 * instructions of its lookup): two reading threads write no shared cache line. */
#include <reconcile/store.h>

#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cache/indexer.h"
#include "cache/keyhash.h"
#include "cache/objtable.h"
#include "cache/store_internal.h"

#define NSHARDS 32 /* a power of two; also below ThreadSanitizer's 64 locks held at once */
#define SHARD_OF(h) ((size_t)((h) >> 59))
#define READER_SLOTS 16

typedef struct shard {
    _Alignas(64) pthread_rwlock_t lock;
    atomic_bool writing; /* set by the write lock's holder while it may change the table */
    rci_objtable table;
} shard;

typedef struct reader_slot {
    _Alignas(64) atomic_uint shard; /* 1 + the shard a lock-free get is reading, 0 = free */
} reader_slot;

struct rc_store {
    shard shards[NSHARDS];
    reader_slot readers[READER_SLOTS];
    atomic_uint readers_used; /* slots below this were ever claimed: the ones a writer checks */
    pthread_mutex_t config_lock; /* serialises add_indexer and replace */
    pthread_rwlock_t index_lock; /* guards the indexers array, their buckets and `changes` */
    rci_indexer **indexers;
    rci_index_change *changes; /* one per indexer: scratch of the writer holding index_lock */
    size_t nindexers;
    atomic_size_t count;
};

static void rwlock_init(pthread_rwlock_t *l)
{
    pthread_rwlockattr_t a;
    pthread_rwlockattr_init(&a);
    pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(l, &a);
    pthread_rwlockattr_destroy(&a);
}

static void namespace_index(void *ctx, const rc_object *obj, rc_index_values *out)
{
    (void)ctx;
    const char *ns = rc_object_namespace(obj);
    rc_index_values_add(out, ns ? ns : "");
}

/* Appends ix to the indexer arrays. Caller holds index_lock for writing (or owns the store alone). */
static int indexers_append(rc_store *s, rci_indexer *ix)
{
    rci_indexer **ixs = realloc(s->indexers, (s->nindexers + 1) * sizeof *ixs);
    if (!ixs)
        return RC_ENOMEM;
    s->indexers = ixs;
    rci_index_change *changes = realloc(s->changes, (s->nindexers + 1) * sizeof *changes);
    if (!changes)
        return RC_ENOMEM;
    s->changes = changes;
    rci_index_change_init(&s->changes[s->nindexers]);
    s->indexers[s->nindexers++] = ix;
    return 0;
}

rc_store *rc_store_new(void)
{
    void *mem;
    if (posix_memalign(&mem, 64, sizeof(rc_store)) != 0)
        return NULL;
    rc_store *s = memset(mem, 0, sizeof(rc_store));
    for (size_t i = 0; i < NSHARDS; i++) {
        rwlock_init(&s->shards[i].lock);
        atomic_init(&s->shards[i].writing, false);
        rci_objtable_init(&s->shards[i].table);
    }
    for (size_t k = 0; k < READER_SLOTS; k++)
        atomic_init(&s->readers[k].shard, 0);
    atomic_init(&s->readers_used, 0);
    pthread_mutex_init(&s->config_lock, NULL);
    rwlock_init(&s->index_lock);
    atomic_init(&s->count, 0);
    rci_indexer *ns = rci_indexer_new(RC_INDEX_NAMESPACE, namespace_index, NULL);
    if (ns)
        ns->key_derived = true; /* a key is "namespace/name" */
    if (!ns || indexers_append(s, ns) != 0) {
        rci_indexer_free(ns);
        rc_store_free(s);
        return NULL;
    }
    return s;
}

static void table_release(rci_objtable *t)
{
    for (size_t i = 0; i < t->cap; i++)
        rc_object_unref(t->slots[i].obj);
    rci_objtable_free(t);
}

void rc_store_free(rc_store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < NSHARDS; i++) {
        table_release(&s->shards[i].table);
        pthread_rwlock_destroy(&s->shards[i].lock);
    }
    for (size_t i = 0; i < s->nindexers; i++) {
        rci_indexer_free(s->indexers[i]);
        rci_index_change_free(&s->changes[i]);
    }
    free(s->indexers);
    free(s->changes);
    pthread_mutex_destroy(&s->config_lock);
    pthread_rwlock_destroy(&s->index_lock);
    free(s);
}

static const char *valid_key(const rc_object *obj)
{
    const char *name = rc_object_name(obj);
    if (!name || !*name)
        return NULL;
    return rc_object_key(obj);
}

/* The slot a thread tries first: threads take turns, so a handful of readers never share a line. */
static unsigned reader_hint(void)
{
    static atomic_uint next_hint;
    static _Thread_local unsigned hint = UINT_MAX;
    if (hint == UINT_MAX)
        hint = atomic_fetch_add_explicit(&next_hint, 1, memory_order_relaxed) % READER_SLOTS;
    return hint;
}

/* Claims a reader slot for shard i unless a writer is at work there; NULL = take the read lock. */
static reader_slot *read_begin(rc_store *s, size_t i)
{
    unsigned k = reader_hint();
    for (unsigned tries = 0; tries < READER_SLOTS; tries++, k = (k + 1) % READER_SLOTS) {
        reader_slot *r = &s->readers[k];
        if (atomic_load_explicit(&r->shard, memory_order_relaxed) != 0)
            continue;
        /* published before the claim, so a writer that misses the count also misses the claim */
        for (unsigned used = atomic_load(&s->readers_used); used <= k;)
            atomic_compare_exchange_weak(&s->readers_used, &used, k + 1);
        unsigned free_mark = 0;
        if (!atomic_compare_exchange_strong(&r->shard, &free_mark, (unsigned)i + 1))
            continue;
        if (!atomic_load(&s->shards[i].writing))
            return r;
        atomic_store_explicit(&r->shard, 0, memory_order_release);
        return NULL;
    }
    return NULL;
}

static void read_end(reader_slot *r) { atomic_store_explicit(&r->shard, 0, memory_order_release); }

/* Takes shard i for writing and waits until no lock-free reader is inside it. */
static void shard_wrlock(rc_store *s, size_t i)
{
    pthread_rwlock_wrlock(&s->shards[i].lock);
    atomic_store(&s->shards[i].writing, true);
    for (size_t k = 0, used = atomic_load(&s->readers_used); k < used; k++)
        for (unsigned spins = 0; atomic_load(&s->readers[k].shard) == i + 1; spins++)
            if (spins > 64)
                sched_yield();
}

static void shard_wrunlock(rc_store *s, size_t i)
{
    atomic_store_explicit(&s->shards[i].writing, false, memory_order_release);
    pthread_rwlock_unlock(&s->shards[i].lock);
}

static void lock_all(rc_store *s, bool write)
{
    for (size_t i = 0; i < NSHARDS; i++) {
        if (write)
            shard_wrlock(s, i);
        else
            pthread_rwlock_rdlock(&s->shards[i].lock);
    }
}

static void unlock_all(rc_store *s, bool write)
{
    for (size_t i = NSHARDS; i-- > 0;) {
        if (write)
            shard_wrunlock(s, i);
        else
            pthread_rwlock_unlock(&s->shards[i].lock);
    }
}

/* Moves the indexes from old to obj (either NULL), whose key hashes to hash. Caller holds the object's
 * shard for writing. */
static int index_change(rc_store *s, rc_object *old, rc_object *obj, uint64_t hash)
{
    pthread_rwlock_wrlock(&s->index_lock);
    for (size_t i = 0; i < s->nindexers; i++) {
        rci_indexer *ix = s->indexers[i];
        int rc = rci_indexer_prepare(ix, &ix->buckets, &s->changes[i], old, obj, hash);
        if (rc != 0) {
            while (i-- > 0)
                rci_indexer_abort(&s->indexers[i]->buckets, &s->changes[i]);
            pthread_rwlock_unlock(&s->index_lock);
            return rc;
        }
    }
    for (size_t i = 0; i < s->nindexers; i++)
        rci_indexer_commit(&s->indexers[i]->buckets, &s->changes[i], old, obj, hash);
    pthread_rwlock_unlock(&s->index_lock);
    return 0;
}

int rci_store_put(rc_store *s, rc_object *obj, uint64_t hash, rc_object **replaced)
{
    const char *key = rc_object_key(obj);
    shard *sh = &s->shards[SHARD_OF(hash)];
    int rc = 0;
    *replaced = NULL;
    shard_wrlock(s, SHARD_OF(hash));
    /* room first (a replace may grow the table a little early), so one probe finds the slot for both */
    rci_objslot *slot = rci_objtable_reserve(&sh->table, 1) ? rci_objtable_slot(&sh->table, key, hash) : NULL;
    rc_object *old = slot ? slot->obj : NULL;
    if (!slot) {
        rc = RC_ENOMEM;
    } else if (old == obj) {
        *replaced = rc_object_ref(old);
    } else if ((rc = index_change(s, old, obj, hash)) == 0) {
        if (old) {
            slot->obj = rc_object_ref(obj);
        } else {
            rci_objtable_fill(&sh->table, slot, rc_object_ref(obj), hash);
            atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
        }
        *replaced = old;
    }
    shard_wrunlock(s, SHARD_OF(hash));
    return rc;
}

int rc_store_add(rc_store *s, rc_object *obj)
{
    if (!s || !obj)
        return RC_EINVAL;
    rc_object_freeze(obj);
    const char *key = valid_key(obj);
    if (!key)
        return RC_EINVAL;
    rc_object *replaced;
    int rc = rci_store_put(s, obj, rci_key_hash(key), &replaced);
    rc_object_unref(replaced);
    return rc;
}

int rc_store_update(rc_store *s, rc_object *obj) { return rc_store_add(s, obj); }

int rc_store_delete_key(rc_store *s, const char *key)
{
    if (!s || !key)
        return RC_EINVAL;
    uint64_t h = rci_key_hash(key);
    shard *sh = &s->shards[SHARD_OF(h)];
    shard_wrlock(s, SHARD_OF(h));
    rc_object *old = rci_objtable_get(&sh->table, key, h);
    int rc = old ? index_change(s, old, NULL, h) : RC_ENOTFOUND;
    if (rc == 0) {
        rci_objtable_remove(&sh->table, key, h);
        atomic_fetch_sub_explicit(&s->count, 1, memory_order_relaxed);
    }
    shard_wrunlock(s, SHARD_OF(h));
    if (rc == 0)
        rc_object_unref(old);
    return rc;
}

int rc_store_delete(rc_store *s, const rc_object *obj)
{
    const char *key = obj ? rc_object_key(obj) : NULL;
    return key ? rc_store_delete_key(s, key) : RC_EINVAL;
}

rc_object *rc_store_get(rc_store *s, const char *key)
{
    if (!s || !key)
        return NULL;
    uint64_t h = rci_key_hash(key);
    shard *sh = &s->shards[SHARD_OF(h)];
    reader_slot *r = read_begin(s, SHARD_OF(h));
    if (!r)
        pthread_rwlock_rdlock(&sh->lock);
    rc_object *o = rc_object_ref(rci_objtable_get(&sh->table, key, h));
    if (r)
        read_end(r);
    else
        pthread_rwlock_unlock(&sh->lock);
    return o;
}

void rci_store_prefetch(rc_store *s, const rc_object *obj, uint64_t hash)
{
    reader_slot *r = read_begin(s, SHARD_OF(hash));
    if (r) {
        const rci_objtable *t = &s->shards[SHARD_OF(hash)].table;
        if (t->cap)
            __builtin_prefetch(&t->slots[hash & (t->cap - 1)], 1);
        read_end(r);
    }
    __builtin_prefetch(obj, 1); /* its reference count is written */
}

void rci_store_prefetch_index(rc_store *s, const rc_object *obj, uint64_t hash)
{
    /* The built-in namespace index (always the first): on a big cache its member slot is a miss too. */
    if (pthread_rwlock_tryrdlock(&s->index_lock) != 0)
        return;
    const rci_indexer *ns = s->indexers[0];
    if (ns->fn == namespace_index) {
        const char *value = rc_object_namespace(obj);
        const rci_bucket *b = rci_bucket_get(&ns->buckets, value ? value : "");
        if (b)
            rci_ptrset_prefetch(&b->members, hash);
    }
    pthread_rwlock_unlock(&s->index_lock);
}

size_t rc_store_len(rc_store *s)
{
    return s ? atomic_load_explicit(&s->count, memory_order_relaxed) : 0;
}

bool rci_object_list_reserve(rc_object_list *l, size_t extra)
{
    if (l->count + extra <= l->cap)
        return true;
    size_t cap = l->cap ? l->cap : 16;
    while (cap < l->count + extra)
        cap *= 2;
    rc_object **items = realloc(l->items, cap * sizeof *items);
    if (!items)
        return false;
    l->items = items;
    l->cap = cap;
    return true;
}

int rc_store_list(rc_store *s, rc_object_list *out)
{
    if (!s || !out)
        return RC_EINVAL;
    lock_all(s, false);
    int rc = rci_object_list_reserve(out, atomic_load(&s->count)) ? 0 : RC_ENOMEM;
    for (size_t i = 0; rc == 0 && i < NSHARDS; i++) {
        const rci_objtable *t = &s->shards[i].table;
        for (size_t j = 0; j < t->cap; j++)
            if (t->slots[j].obj)
                out->items[out->count++] = rc_object_ref(t->slots[j].obj);
    }
    unlock_all(s, false);
    return rc;
}

size_t rc_store_foreach(rc_store *s, bool (*fn)(void *ctx, rc_object *obj), void *ctx)
{
    if (!s || !fn)
        return 0;
    size_t visited = 0;
    bool go = true;
    lock_all(s, false);
    for (size_t i = 0; go && i < NSHARDS; i++) {
        const rci_objtable *t = &s->shards[i].table;
        for (size_t j = 0; go && j < t->cap; j++) {
            if (t->slots[j].obj) {
                visited++;
                go = fn(ctx, t->slots[j].obj);
            }
        }
    }
    unlock_all(s, false);
    return visited;
}

/* A block of n strings: the pointer array followed by the characters, freed with one free(). */
static char **strblock_new(size_t n, size_t bytes, char **data)
{
    char **ptrs = malloc(n * sizeof(char *) + bytes + 1);
    if (ptrs)
        *data = (char *)(ptrs + n);
    return ptrs;
}

static void strblock_put(char **ptrs, size_t i, char **data, const char *s)
{
    size_t len = strlen(s) + 1;
    memcpy(*data, s, len);
    ptrs[i] = *data;
    *data += len;
}

int rc_store_list_keys(rc_store *s, char ***keys, size_t *n)
{
    if (!s || !keys || !n)
        return RC_EINVAL;
    lock_all(s, false);
    size_t count = 0, bytes = 0;
    for (size_t i = 0; i < NSHARDS; i++) {
        const rci_objtable *t = &s->shards[i].table;
        for (size_t j = 0; j < t->cap; j++)
            if (t->slots[j].obj) {
                count++;
                bytes += strlen(rc_object_key(t->slots[j].obj)) + 1;
            }
    }
    char *data;
    char **ptrs = strblock_new(count, bytes, &data);
    for (size_t i = 0, k = 0; ptrs && i < NSHARDS; i++) {
        const rci_objtable *t = &s->shards[i].table;
        for (size_t j = 0; j < t->cap; j++)
            if (t->slots[j].obj)
                strblock_put(ptrs, k++, &data, rc_object_key(t->slots[j].obj));
    }
    unlock_all(s, false);
    if (!ptrs)
        return RC_ENOMEM;
    *keys = ptrs;
    *n = count;
    return 0;
}

/* Caller holds index_lock. */
static rci_indexer *find_indexer(rc_store *s, const char *name)
{
    for (size_t i = 0; name && i < s->nindexers; i++)
        if (strcmp(s->indexers[i]->name, name) == 0)
            return s->indexers[i];
    return NULL;
}

/* Takes the index lock for reading and finds the bucket of index/value; *ix NULL = unknown index. */
static const rci_bucket *bucket_rdlock(rc_store *s, const char *index, const char *value, rci_indexer **ix)
{
    pthread_rwlock_rdlock(&s->index_lock);
    *ix = find_indexer(s, index);
    return *ix && value ? rci_bucket_get(&(*ix)->buckets, value) : NULL;
}

static int no_such_index(const char *index, rc_error *err)
{
    return rc_error_set(err, RC_ENOTFOUND, "index \"%s\" does not exist", index ? index : "(null)");
}

int rc_store_by_index(rc_store *s, const char *index, const char *value, rc_object_list *out, rc_error *err)
{
    if (!s || !out)
        return RC_EINVAL;
    rci_indexer *ix;
    const rci_bucket *b = bucket_rdlock(s, index, value, &ix);
    int rc = 0;
    if (!ix)
        rc = no_such_index(index, err);
    else if (b && !rci_object_list_reserve(out, b->members.count))
        rc = RC_ENOMEM;
    else if (b) {
        void *const *items = b->members.items;
        size_t n = b->members.count;
        for (size_t i = 0; i < n; i++) {
            /* Touching the objects (their reference counts) dominates: fetch a few members ahead. */
            if (i + 8 < n)
                __builtin_prefetch(items[i + 8], 1);
            out->items[out->count++] = rc_object_ref(items[i]);
        }
    }
    pthread_rwlock_unlock(&s->index_lock);
    return rc;
}

long rc_store_index_foreach(rc_store *s, const char *index, const char *value,
                            bool (*fn)(void *ctx, rc_object *obj), void *ctx)
{
    if (!s || !fn)
        return RC_EINVAL;
    rci_indexer *ix;
    const rci_bucket *b = bucket_rdlock(s, index, value, &ix);
    long visited = ix ? 0 : RC_ENOTFOUND;
    for (size_t i = 0; b && i < b->members.count; i++) {
        visited++;
        if (!fn(ctx, b->members.items[i]))
            break;
    }
    pthread_rwlock_unlock(&s->index_lock);
    return visited;
}

/* Ends a copy of strings out of an index (made under the index lock, now released): RC_ENOTFOUND naming
 * the index when it does not exist, RC_ENOMEM when the block (ptrs) could not be allocated, else 0 with the
 * block and its count handed to the caller. */
static int hand_out_strings(bool index_exists, const char *index, char **ptrs, size_t count, char ***out,
                            size_t *n, rc_error *err)
{
    if (!index_exists)
        return no_such_index(index, err);
    if (!ptrs)
        return RC_ENOMEM;
    *out = ptrs;
    *n = count;
    return 0;
}

int rc_store_index_keys(rc_store *s, const char *index, const char *value, char ***keys, size_t *n,
                        rc_error *err)
{
    if (!s || !keys || !n)
        return RC_EINVAL;
    rci_indexer *ix;
    const rci_bucket *b = bucket_rdlock(s, index, value, &ix);
    size_t count = 0, bytes = 0;
    for (size_t i = 0; b && i < b->members.count; i++) {
        count++;
        bytes += strlen(rc_object_key(b->members.items[i])) + 1;
    }
    char *data;
    char **ptrs = ix ? strblock_new(count, bytes, &data) : NULL;
    for (size_t i = 0; ptrs && b && i < b->members.count; i++)
        strblock_put(ptrs, i, &data, rc_object_key(b->members.items[i]));
    pthread_rwlock_unlock(&s->index_lock);
    return hand_out_strings(ix != NULL, index, ptrs, count, keys, n, err);
}

int rc_store_list_index_values(rc_store *s, const char *index, char ***values, size_t *n, rc_error *err)
{
    if (!s || !values || !n)
        return RC_EINVAL;
    pthread_rwlock_rdlock(&s->index_lock);
    rci_indexer *ix = find_indexer(s, index);
    size_t count = 0, bytes = 0;
    const rci_map_entry *e;
    for (size_t it = 0; ix && rci_map_next(&ix->buckets, &it, &e);) {
        count++;
        bytes += strlen(e->key) + 1;
    }
    char *data;
    char **ptrs = ix ? strblock_new(count, bytes, &data) : NULL;
    size_t k = 0;
    for (size_t it = 0; ptrs && rci_map_next(&ix->buckets, &it, &e);)
        strblock_put(ptrs, k++, &data, e->key);
    pthread_rwlock_unlock(&s->index_lock);
    return hand_out_strings(ix != NULL, index, ptrs, count, values, n, err);
}

/* Indexes every object of the tables into buckets[k] for each indexer k. */
static int index_tables(rc_store *s, rci_objtable *tables, rci_map *buckets, size_t nix)
{
    rci_index_change scratch;
    rci_index_change_init(&scratch);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < NSHARDS; i++)
        for (size_t j = 0; rc == 0 && j < tables[i].cap; j++)
            for (size_t k = 0; rc == 0 && tables[i].slots[j].obj && k < nix; k++)
                rc = rci_indexer_insert(s->indexers[k], &buckets[k], &scratch, tables[i].slots[j].obj,
                                        tables[i].slots[j].hash);
    rci_index_change_free(&scratch);
    return rc;
}

int rc_store_add_indexer(rc_store *s, const char *name, rc_index_fn fn, void *ctx, rc_error *err)
{
    if (!s || !name || !*name || !fn)
        return rc_error_set(err, RC_EINVAL, "indexer needs a name and an index function");
    rci_indexer *ix = rci_indexer_new(name, fn, ctx);
    if (!ix)
        return rc_error_set(err, RC_ENOMEM, "out of memory adding indexer \"%s\"", name);
    pthread_mutex_lock(&s->config_lock);
    int rc = 0;
    if (find_indexer(s, name)) {
        rc = rc_error_set(err, RC_EEXISTS, "indexer \"%s\" already exists", name);
    } else {
        lock_all(s, false);
        rci_index_change scratch;
        rci_index_change_init(&scratch);
        for (size_t i = 0; rc == 0 && i < NSHARDS; i++)
            for (size_t j = 0; rc == 0 && j < s->shards[i].table.cap; j++)
                if (s->shards[i].table.slots[j].obj)
                    rc = rci_indexer_insert(ix, &ix->buckets, &scratch, s->shards[i].table.slots[j].obj,
                                            s->shards[i].table.slots[j].hash);
        rci_index_change_free(&scratch);
        if (rc == 0) {
            pthread_rwlock_wrlock(&s->index_lock);
            rc = indexers_append(s, ix);
            pthread_rwlock_unlock(&s->index_lock);
        }
        unlock_all(s, false);
        if (rc != 0)
            rc_error_set(err, rc, "out of memory building indexer \"%s\"", name);
    }
    pthread_mutex_unlock(&s->config_lock);
    if (rc != 0)
        rci_indexer_free(ix);
    return rc;
}

static int validate_items(rc_object *const *objs, size_t n, rc_error *err)
{
    if (n && !objs)
        return rc_error_set(err, RC_EINVAL, "replace: items is NULL");
    for (size_t i = 0; i < n; i++) {
        if (!objs[i])
            return rc_error_set(err, RC_EINVAL, "replace: item %zu is NULL", i);
        rc_object_freeze(objs[i]);
        if (!valid_key(objs[i]))
            return rc_error_set(err, RC_EINVAL, "replace: item %zu has no metadata.name", i);
    }
    return 0;
}

/* Fills fresh tables with objs (a later duplicate wins); no references taken yet. */
static int fill_tables(rci_objtable *tables, rc_object *const *objs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t h = rci_key_hash(rc_object_key(objs[i]));
        rci_objtable *t = &tables[SHARD_OF(h)];
        if (!rci_objtable_reserve(t, 1))
            return RC_ENOMEM;
        rci_objtable_put(t, objs[i], h);
    }
    return 0;
}

int rc_store_replace(rc_store *s, rc_object *const *objs, size_t n, rc_error *err)
{
    if (!s)
        return RC_EINVAL;
    int rc = validate_items(objs, n, err);
    if (rc != 0)
        return rc;
    rci_objtable fresh[NSHARDS];
    for (size_t i = 0; i < NSHARDS; i++)
        rci_objtable_init(&fresh[i]);
    pthread_mutex_lock(&s->config_lock);
    size_t nix = s->nindexers;
    rci_map *buckets = calloc(nix, sizeof *buckets);
    rc = buckets ? fill_tables(fresh, objs, n) : RC_ENOMEM;
    if (rc == 0)
        rc = index_tables(s, fresh, buckets, nix);
    if (rc != 0) {
        pthread_mutex_unlock(&s->config_lock);
        for (size_t i = 0; i < NSHARDS; i++)
            rci_objtable_free(&fresh[i]);
        for (size_t k = 0; buckets && k < nix; k++)
            rci_buckets_clear(&buckets[k]);
        free(buckets);
        return rc_error_set(err, RC_ENOMEM, "replace: out of memory for %zu items", n);
    }
    size_t total = 0;
    for (size_t i = 0; i < NSHARDS; i++) {
        total += fresh[i].count;
        for (size_t j = 0; j < fresh[i].cap; j++)
            rc_object_ref(fresh[i].slots[j].obj);
    }
    lock_all(s, true);
    pthread_rwlock_wrlock(&s->index_lock);
    for (size_t i = 0; i < NSHARDS; i++) {
        rci_objtable t = s->shards[i].table;
        s->shards[i].table = fresh[i];
        fresh[i] = t;
    }
    for (size_t k = 0; k < nix; k++) {
        rci_map m = s->indexers[k]->buckets;
        s->indexers[k]->buckets = buckets[k];
        buckets[k] = m;
    }
    atomic_store(&s->count, total);
    pthread_rwlock_unlock(&s->index_lock);
    unlock_all(s, true);
    pthread_mutex_unlock(&s->config_lock);
    for (size_t i = 0; i < NSHARDS; i++)
        table_release(&fresh[i]);
    for (size_t k = 0; k < nix; k++)
        rci_buckets_clear(&buckets[k]);
    free(buckets);
    return 0;
}

size_t rc_store_overhead_bytes(rc_store *s)
{
    if (!s)
        return 0;
    size_t bytes = sizeof *s + s->nindexers * (sizeof(rci_indexer) + sizeof(rci_index_change));
    lock_all(s, false);
    for (size_t i = 0; i < NSHARDS; i++)
        bytes += rci_objtable_bytes(&s->shards[i].table);
    pthread_rwlock_rdlock(&s->index_lock);
    for (size_t k = 0; k < s->nindexers; k++) {
        const rci_map *m = &s->indexers[k]->buckets;
        bytes += m->cap * sizeof(rci_map_entry);
        const rci_map_entry *e;
        for (size_t it = 0; rci_map_next(m, &it, &e);) {
            const rci_bucket *b = e->value;
            bytes += sizeof *b + strlen(b->value) + 1 + rci_ptrset_bytes(&b->members);
        }
    }
    pthread_rwlock_unlock(&s->index_lock);
    unlock_all(s, false);
    return bytes;
}
