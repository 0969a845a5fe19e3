/* store.h - rc_store: the informer's cache, a thread-safe keyed store of frozen rc_objects with named
 * indexers (client-go's ThreadSafeStore + Indexer), and listers that read it without copying objects.
 *
 * Objects are keyed by rc_object_key ("namespace/name", or "name" when cluster-scoped); the store never
 * copies a key, it points into the objects it holds. Every store has the namespace index
 * (RC_INDEX_NAMESPACE); more indexers can be added at any time. rc_store_get reads without locking
 * (a per-thread reader slot that the shard's writer waits out); other reads take shared locks on one of
 * 32 shards, so concurrent readers scale; writers update an object and every index atomically.
 *
 * Ownership: functions returning rc_object * give the caller a new reference (rc_object_unref it);
 * functions filling an rc_object_list append new references (rc_object_list_clear releases them). Objects
 * passed in are borrowed: the store takes its own reference (freezing a draft, as publishing does). */
#ifndef RECONCILE_STORE_H
#define RECONCILE_STORE_H

#include "common.h"
#include "listwatch.h"
#include "object.h"
#include "selector.h"

typedef struct rc_store rc_store;

/* Name of the built-in index whose single value per object is its namespace ("" when cluster-scoped). */
#define RC_INDEX_NAMESPACE "namespace"

/* An index function reports zero or more values for an object through rc_index_values_add(). It is called
 * with store locks held: it must not call back into the store. */
typedef struct rc_index_values rc_index_values;
typedef void (*rc_index_fn)(void *ctx, const rc_object *obj, rc_index_values *out);
/* Reports one value. `value` is borrowed: it must stay valid while obj lives (a string inside obj);
 * use rc_index_values_add_copy for a computed string. Duplicates are ignored. RC_ENOMEM on failure. */
RC_API int rc_index_values_add(rc_index_values *out, const char *value);
/* Reports a computed value; the store copies it. RC_ENOMEM on failure. */
RC_API int rc_index_values_add_copy(rc_index_values *out, const char *value);

/* A new empty store with the namespace index. NULL only on allocation failure. Free with rc_store_free. */
RC_API rc_store *rc_store_new(void);
/* Releases every object reference and the store. NULL-safe. Not concurrently with other calls. */
RC_API void rc_store_free(rc_store *s);

/* Adds an indexer named `name` (copied); objects already stored are indexed at once. RC_EEXISTS when the
 * name is taken, RC_EINVAL for a NULL/empty name or fn, RC_ENOMEM. */
RC_API int rc_store_add_indexer(rc_store *s, const char *name, rc_index_fn fn, void *ctx, rc_error *err);

/* Inserts obj, or replaces the object with the same key (add and update are the same operation, as
 * upstream). RC_EINVAL when obj is NULL or has no name; RC_ENOMEM (store unchanged). */
RC_API int rc_store_add(rc_store *s, rc_object *obj);
RC_API int rc_store_update(rc_store *s, rc_object *obj);
/* Removes the object with obj's key / with `key`. RC_ENOTFOUND when absent (the store is unchanged). */
RC_API int rc_store_delete(rc_store *s, const rc_object *obj);
RC_API int rc_store_delete_key(rc_store *s, const char *key);
/* The object stored under key as a new reference, or NULL. */
RC_API rc_object *rc_store_get(rc_store *s, const char *key);
/* Number of objects. */
RC_API size_t rc_store_len(rc_store *s);

/* Atomically swaps the whole content for objs[0..n) (a later duplicate key wins): readers see the old or
 * the new content, never a mix, and every index is rebuilt. RC_EINVAL (naming the position) for a NULL or
 * nameless object, RC_ENOMEM; on error the store is unchanged. */
RC_API int rc_store_replace(rc_store *s, rc_object *const *objs, size_t n, rc_error *err);

/* Appends a reference to every object to out (a consistent snapshot). RC_ENOMEM (out unchanged). */
RC_API int rc_store_list(rc_store *s, rc_object_list *out);
/* Every key, as one malloc'd block: *keys is an array of *n strings living in the same block; the
 * caller frees it with free(*keys). RC_ENOMEM. */
RC_API int rc_store_list_keys(rc_store *s, char ***keys, size_t *n);
/* Calls fn for every object (borrowed for the call) under shared locks, until fn returns false. fn must
 * not write to the store. Returns the number of objects visited. */
RC_API size_t rc_store_foreach(rc_store *s, bool (*fn)(void *ctx, rc_object *obj), void *ctx);

/* Objects whose index `index` has `value`: appended to out as references. RC_ENOTFOUND (with err) for an
 * unknown index, RC_ENOMEM. A value no object has gives an empty result and 0. */
RC_API int rc_store_by_index(rc_store *s, const char *index, const char *value, rc_object_list *out,
                             rc_error *err);
/* The same objects, visited borrowed under a shared lock until fn returns false (no references taken:
 * the fastest read). fn must not write to the store. Returns the number visited or RC_ENOTFOUND. */
RC_API long rc_store_index_foreach(rc_store *s, const char *index, const char *value,
                                   bool (*fn)(void *ctx, rc_object *obj), void *ctx);
/* Keys of those objects / every value of the index that at least one object has, as one malloc'd block
 * like rc_store_list_keys. RC_ENOTFOUND for an unknown index, RC_ENOMEM. */
RC_API int rc_store_index_keys(rc_store *s, const char *index, const char *value, char ***keys, size_t *n,
                               rc_error *err);
RC_API int rc_store_list_index_values(rc_store *s, const char *index, char ***values, size_t *n,
                                      rc_error *err);

/* Bytes the store's own structures hold (tables, indexes), excluding the objects. */
RC_API size_t rc_store_overhead_bytes(rc_store *s);

/* ---- listers: typed reads for controllers ---- */
/* The object ns/name (ns NULL or "" for cluster-scoped) as a new reference, or NULL. */
RC_API rc_object *rc_lister_get(rc_store *s, const char *ns, const char *name);
/* Appends references to the objects in namespace ns (NULL = all namespaces) matching sel (NULL = all)
 * to out. Uses the namespace index. RC_ENOMEM. */
RC_API int rc_lister_list(rc_store *s, const char *ns, const rc_selector *sel, rc_object_list *out);

#endif
