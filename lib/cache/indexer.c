/* indexer.c - index values, buckets and the two-phase update of one index (see indexer.h). */
#include "cache/indexer.h"

#include "cache/keyhash.h"

#include <stdlib.h>
#include <string.h>

void rci_index_values_init(rc_index_values *v) { memset(v, 0, sizeof *v); }

static void values_reset(rc_index_values *v)
{
    for (size_t i = 0; i < v->ncopies; i++)
        free(v->copies[i]);
    v->ncopies = 0;
    v->n = 0;
    v->failed = false;
}

void rci_index_values_free(rc_index_values *v)
{
    values_reset(v);
    free(v->copies);
    free(v->heap_v);
    rci_index_values_init(v);
}

size_t rci_index_values_count(const rc_index_values *v) { return v->n; }

const char *rci_index_values_at(const rc_index_values *v, size_t i)
{
    return v->heap_v ? v->heap_v[i] : v->inline_v[i];
}

static bool contains(const rc_index_values *v, const char *value)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(rci_index_values_at(v, i), value) == 0)
            return true;
    return false;
}

static int push_value(rc_index_values *v, const char *value)
{
    if (!v->heap_v && v->n < RCI_INLINE_VALUES) {
        v->inline_v[v->n++] = value;
        return 0;
    }
    if (!v->heap_v || v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : RCI_INLINE_VALUES * 2;
        const char **heap = realloc(v->heap_v, cap * sizeof *heap);
        if (!heap)
            return RC_ENOMEM;
        if (!v->heap_v)
            memcpy(heap, v->inline_v, v->n * sizeof *heap);
        v->heap_v = heap;
        v->cap = cap;
    }
    v->heap_v[v->n++] = value;
    return 0;
}

int rc_index_values_add(rc_index_values *out, const char *value)
{
    if (!out || !value)
        return RC_EINVAL;
    if (contains(out, value))
        return 0;
    if (push_value(out, value) != 0) {
        out->failed = true;
        return RC_ENOMEM;
    }
    return 0;
}

int rc_index_values_add_copy(rc_index_values *out, const char *value)
{
    if (!out || !value)
        return RC_EINVAL;
    if (contains(out, value))
        return 0;
    if (out->ncopies == out->copies_cap) {
        size_t cap = out->copies_cap ? out->copies_cap * 2 : 4;
        char **copies = realloc(out->copies, cap * sizeof *copies);
        if (!copies) {
            out->failed = true;
            return RC_ENOMEM;
        }
        out->copies = copies;
        out->copies_cap = cap;
    }
    char *copy = strdup(value);
    if (!copy || push_value(out, copy) != 0) {
        free(copy);
        out->failed = true;
        return RC_ENOMEM;
    }
    out->copies[out->ncopies++] = copy;
    return 0;
}

void rci_index_change_init(rci_index_change *c)
{
    rci_index_values_init(&c->old_vals);
    rci_index_values_init(&c->new_vals);
    c->buckets = NULL;
    c->buckets_cap = 0;
    c->kept = false;
}

void rci_index_change_free(rci_index_change *c)
{
    rci_index_values_free(&c->old_vals);
    rci_index_values_free(&c->new_vals);
    free(c->buckets);
    c->buckets = NULL;
    c->buckets_cap = 0;
}

rci_indexer *rci_indexer_new(const char *name, rc_index_fn fn, void *ctx)
{
    rci_indexer *ix = calloc(1, sizeof *ix);
    if (!ix || !(ix->name = strdup(name))) {
        free(ix);
        return NULL;
    }
    ix->fn = fn;
    ix->ctx = ctx;
    rci_map_init(&ix->buckets);
    return ix;
}

static void bucket_free(rci_bucket *b)
{
    rci_ptrset_free(&b->members);
    free(b->value);
    free(b);
}

void rci_buckets_clear(rci_map *buckets)
{
    const rci_map_entry *e;
    for (size_t it = 0; rci_map_next(buckets, &it, &e);)
        bucket_free(e->value);
    rci_map_free(buckets);
}

void rci_indexer_free(rci_indexer *ix)
{
    if (!ix)
        return;
    rci_buckets_clear(&ix->buckets);
    free(ix->name);
    free(ix);
}

static int compute(const rci_indexer *ix, const rc_object *o, rc_index_values *v)
{
    values_reset(v);
    if (o)
        ix->fn(ix->ctx, o, v);
    return v->failed ? RC_ENOMEM : 0;
}

static rci_bucket *bucket_get_or_create(rci_map *buckets, const char *value)
{
    uint64_t h = rci_key_hash(value);
    rci_bucket *b = rci_map_get_h(buckets, value, h);
    if (b)
        return b;
    b = calloc(1, sizeof *b);
    if (!b || !(b->value = strdup(value))) {
        free(b);
        return NULL;
    }
    rci_ptrset_init(&b->members);
    if (rci_map_put_h(buckets, b->value, h, b, NULL) != 0) {
        bucket_free(b);
        return NULL;
    }
    return b;
}

rci_bucket *rci_bucket_get(const rci_map *buckets, const char *value)
{
    return rci_map_get_h(buckets, value, rci_key_hash(value));
}

static void drop_if_empty(rci_map *buckets, rci_bucket *b)
{
    if (b && b->members.count == 0) {
        rci_map_remove_h(buckets, b->value, rci_key_hash(b->value));
        bucket_free(b);
    }
}

void rci_indexer_abort(rci_map *buckets, const rci_index_change *c)
{
    for (size_t i = 0; i < c->new_vals.n; i++)
        drop_if_empty(buckets, rci_bucket_get(buckets, rci_index_values_at(&c->new_vals, i)));
}

static bool buckets_reserve(rci_index_change *c, size_t n)
{
    if (n <= c->buckets_cap)
        return true;
    rci_bucket **b = realloc(c->buckets, n * sizeof *b);
    if (!b)
        return false;
    c->buckets = b;
    c->buckets_cap = n;
    return true;
}

/* An update under a key_derived index: true when obj's buckets all exist and hold old, so commit only
 * swaps obj in (nothing reserved, old's values not computed). */
static bool prepare_kept(const rci_indexer *ix, rci_map *buckets, rci_index_change *c, const rc_object *old,
                         const rc_object *obj, uint64_t hash)
{
    if (!ix->key_derived || !old || !obj || old == obj || compute(ix, obj, &c->new_vals) != 0 ||
        !buckets_reserve(c, c->new_vals.n))
        return false;
    for (size_t i = 0; i < c->new_vals.n; i++) {
        rci_bucket *b = rci_bucket_get(buckets, rci_index_values_at(&c->new_vals, i));
        if (!b || !rci_ptrset_contains(&b->members, old, hash))
            return false;
        c->buckets[i] = b;
    }
    values_reset(&c->old_vals);
    return true;
}

int rci_indexer_prepare(const rci_indexer *ix, rci_map *buckets, rci_index_change *c, const rc_object *old,
                        const rc_object *obj, uint64_t hash)
{
    c->kept = prepare_kept(ix, buckets, c, old, obj, hash);
    if (c->kept)
        return 0;
    if (compute(ix, old, &c->old_vals) != 0 || compute(ix, obj, &c->new_vals) != 0 ||
        !buckets_reserve(c, c->new_vals.n))
        return RC_ENOMEM;
    for (size_t i = 0; i < c->new_vals.n; i++) {
        rci_bucket *b = bucket_get_or_create(buckets, rci_index_values_at(&c->new_vals, i));
        if (!b || !rci_ptrset_reserve(&b->members, 1)) {
            rci_indexer_abort(buckets, c);
            return RC_ENOMEM;
        }
        c->buckets[i] = b;
    }
    return 0;
}

/* The bucket old value i leaves: the new value's at the same position when equal, else looked up. */
static rci_bucket *old_bucket(rci_map *buckets, const rci_index_change *c, size_t i)
{
    const char *value = rci_index_values_at(&c->old_vals, i);
    if (i < c->new_vals.n && strcmp(value, rci_index_values_at(&c->new_vals, i)) == 0)
        return c->buckets[i];
    return rci_bucket_get(buckets, value);
}

void rci_indexer_commit(rci_map *buckets, const rci_index_change *c, rc_object *old, rc_object *obj,
                        uint64_t hash)
{
    if (old == obj)
        old = NULL;
    if (c->kept) {
        for (size_t i = 0; i < c->new_vals.n; i++)
            rci_ptrset_replace(&c->buckets[i]->members, old, obj, hash);
        return;
    }
    for (size_t i = 0; i < c->new_vals.n; i++) {
        rci_ptrset *members = &c->buckets[i]->members;
        if (!old || !rci_ptrset_replace(members, old, obj, hash))
            rci_ptrset_insert(members, obj, hash);
    }
    /* where obj took old's place this finds nothing: old is left only where obj's values differ */
    for (size_t i = 0; old && i < c->old_vals.n; i++) {
        rci_bucket *b = old_bucket(buckets, c, i);
        if (b && rci_ptrset_remove(&b->members, old, hash))
            drop_if_empty(buckets, b);
    }
}

int rci_indexer_insert(const rci_indexer *ix, rci_map *buckets, rci_index_change *scratch, rc_object *obj,
                       uint64_t hash)
{
    int rc = rci_indexer_prepare(ix, buckets, scratch, NULL, obj, hash);
    if (rc == 0)
        rci_indexer_commit(buckets, scratch, NULL, obj, hash);
    return rc;
}
