/* test_fifo.c - rc_delta_fifo: per-key delta lists in first-in order, delete compression, relist
 * tombstones against the known-objects store, has_synced, resync, requeue without losing newer deltas,
 * close waking a blocked popper, bad input, and the internal batched pop (order, hashes, per-key
 * requeue, deletes racing with processing), queue-time transform, and the intake producers queue into
 * (runs across its batch boundaries, pending deltas seen by len/has_synced/close, a threaded producer
 * against a sleeping popper). */
#include <reconcile.h>
#include <reconcile/delta_fifo.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/delta_fifo_internal.h"
#include "cache/keyhash.h"
#include "support/testutil.h"

static rc_object *obj(const char *name, const char *rv)
{
    char json[256];
    snprintf(json, sizeof json, "{\"metadata\":{\"namespace\":\"ns\",\"name\":\"%s\",\"resourceVersion\":\"%s\"}}",
             name, rv);
    return rc_object_from_json(json, strlen(json), NULL);
}

/* What a process callback saw: "key:Type/rv[!],Type/rv" ('!' marks final_state_unknown). */
typedef struct seen {
    char text[512];
    int result;
} seen;

static int record(void *ctx, const char *key, const rc_delta *d, size_t n)
{
    seen *s = ctx;
    size_t len = (size_t)snprintf(s->text, sizeof s->text, "%s:", key);
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(s->text + len, sizeof s->text - len, "%s%s/%s%s", i ? "," : "",
                                rc_delta_type_name(d[i].type), rc_object_resource_version(d[i].object),
                                d[i].final_state_unknown ? "!" : "");
    return s->result;
}

static const char *pop_text(rc_delta_fifo *f, seen *s)
{
    s->text[0] = '\0';
    ck_assert_int_eq(rc_delta_fifo_try_pop(f, record, s), 0);
    return s->text;
}

static void queue(int (*fn)(rc_delta_fifo *, rc_object *), rc_delta_fifo *f, const char *name, const char *rv)
{
    rc_object *o = obj(name, rv);
    ck_assert_int_eq(fn(f, o), 0);
    rc_object_unref(o);
}

START_TEST(keys_pop_in_first_in_order_with_all_deltas)
{
    rc_delta_fifo *f = rc_delta_fifo_new(NULL);
    seen s = {0};
    queue(rc_delta_fifo_add, f, "a", "1");
    queue(rc_delta_fifo_add, f, "b", "2");
    queue(rc_delta_fifo_update, f, "a", "3");
    queue(rc_delta_fifo_update, f, "a", "4");
    ck_assert_uint_eq(rc_delta_fifo_len(f), 2);
    ck_assert_str_eq(pop_text(f, &s), "ns/a:Added/1,Updated/3,Updated/4");
    ck_assert_str_eq(pop_text(f, &s), "ns/b:Added/2");
    ck_assert_int_eq(rc_delta_fifo_try_pop(f, record, &s), RC_EAGAIN);
    rc_delta_fifo_free(f);
}
END_TEST

START_TEST(consecutive_deletes_collapse)
{
    rc_store *known = rc_store_new();
    rc_delta_fifo *f = rc_delta_fifo_new(known);
    seen s = {0};
    queue(rc_delta_fifo_delete, f, "ghost", "1"); /* neither pending nor known: ignored */
    ck_assert_uint_eq(rc_delta_fifo_len(f), 0);
    queue(rc_delta_fifo_add, f, "a", "1");
    queue(rc_delta_fifo_delete, f, "a", "2");
    queue(rc_delta_fifo_delete, f, "a", "3");
    ck_assert_str_eq(pop_text(f, &s), "ns/a:Added/1,Deleted/3");
    /* a relist tombstone after a real deletion keeps the real one */
    rc_object *b = obj("b", "5");
    rc_store_add(known, b);
    queue(rc_delta_fifo_delete, f, "b", "6");
    ck_assert_int_eq(rc_delta_fifo_replace(f, NULL, 0, "7"), 0);
    ck_assert_str_eq(pop_text(f, &s), "ns/b:Deleted/6");
    /* a real deletion after a tombstone replaces it */
    ck_assert_int_eq(rc_delta_fifo_replace(f, NULL, 0, "8"), 0);
    queue(rc_delta_fifo_delete, f, "b", "9");
    ck_assert_str_eq(pop_text(f, &s), "ns/b:Deleted/9");
    rc_object_unref(b);
    rc_delta_fifo_free(f);
    rc_store_free(known);
}
END_TEST

START_TEST(relist_tombstones_missing_keys_and_syncs)
{
    rc_store *known = rc_store_new();
    rc_delta_fifo *f = rc_delta_fifo_new(known);
    seen s = {0};
    rc_object *k1 = obj("known-gone", "1"), *k2 = obj("known-kept", "2");
    rc_store_add(known, k1);
    rc_store_add(known, k2);
    queue(rc_delta_fifo_add, f, "pending-gone", "3");
    rc_object *items[] = {obj("known-kept", "2"), obj("new", "4")};
    ck_assert(rc_delta_fifo_has_synced(f)); /* populated by the add, nothing from a replace yet */
    ck_assert_int_eq(rc_delta_fifo_replace(f, items, 2, "10"), 0);
    ck_assert_uint_eq(rc_delta_fifo_len(f), 4);
    ck_assert_str_eq(pop_text(f, &s), "ns/pending-gone:Added/3,Deleted/3!");
    ck_assert_str_eq(pop_text(f, &s), "ns/known-kept:Replaced/2");
    ck_assert_str_eq(pop_text(f, &s), "ns/new:Replaced/4");
    ck_assert_str_eq(pop_text(f, &s), "ns/known-gone:Deleted/1!");
    for (int i = 0; i < 2; i++)
        rc_object_unref(items[i]);
    rc_object_unref(k1);
    rc_object_unref(k2);
    rc_delta_fifo_free(f);
    rc_store_free(known);
}
END_TEST

START_TEST(has_synced_after_first_replace_is_popped)
{
    rc_store *known = rc_store_new();
    rc_delta_fifo *f = rc_delta_fifo_new(known);
    seen s = {0};
    ck_assert(!rc_delta_fifo_has_synced(f));
    rc_object *items[] = {obj("a", "1"), obj("b", "1")};
    ck_assert_int_eq(rc_delta_fifo_replace(f, items, 2, "1"), 0);
    ck_assert(!rc_delta_fifo_has_synced(f));
    queue(rc_delta_fifo_add, f, "c", "2"); /* not part of the initial population */
    pop_text(f, &s);
    ck_assert(!rc_delta_fifo_has_synced(f));
    pop_text(f, &s);
    ck_assert(rc_delta_fifo_has_synced(f));
    ck_assert_int_eq(rc_delta_fifo_replace(f, NULL, 0, "2"), 0); /* later replaces do not reset it */
    ck_assert(rc_delta_fifo_has_synced(f));
    for (int i = 0; i < 2; i++)
        rc_object_unref(items[i]);
    rc_delta_fifo_free(f);
    rc_store_free(known);
}
END_TEST

START_TEST(resync_queues_sync_for_idle_known_keys)
{
    rc_store *known = rc_store_new();
    rc_delta_fifo *f = rc_delta_fifo_new(known);
    seen s = {0};
    rc_object *a = obj("a", "1"), *b = obj("b", "1");
    rc_store_add(known, a);
    rc_store_add(known, b);
    queue(rc_delta_fifo_update, f, "a", "2");
    ck_assert_int_eq(rc_delta_fifo_resync(f), 0);
    ck_assert_str_eq(pop_text(f, &s), "ns/a:Updated/2");
    ck_assert_str_eq(pop_text(f, &s), "ns/b:Sync/1");
    ck_assert_int_eq(rc_delta_fifo_try_pop(f, record, &s), RC_EAGAIN);
    rc_object_unref(a);
    rc_object_unref(b);
    rc_delta_fifo_free(f);
    rc_store_free(known);
}
END_TEST

typedef struct requeue_ctx {
    rc_delta_fifo *f;
    int calls;
} requeue_ctx;

static int fail_once_with_newer(void *ctx, const char *key, const rc_delta *d, size_t n)
{
    (void)key;
    (void)d;
    (void)n;
    requeue_ctx *c = ctx;
    if (c->calls++ > 0)
        return 0;
    queue(rc_delta_fifo_update, c->f, "a", "2"); /* arrives while the first attempt runs */
    return RC_EAGAIN;
}

START_TEST(failed_process_requeues_without_losing_newer)
{
    rc_delta_fifo *f = rc_delta_fifo_new(NULL);
    seen s = {0};
    queue(rc_delta_fifo_add, f, "a", "1");
    queue(rc_delta_fifo_add, f, "b", "1");
    requeue_ctx c = {f, 0};
    ck_assert_int_eq(rc_delta_fifo_try_pop(f, fail_once_with_newer, &c), 0);
    ck_assert_str_eq(pop_text(f, &s), "ns/b:Added/1");
    ck_assert_str_eq(pop_text(f, &s), "ns/a:Added/1,Updated/2");
    /* requeue of a key with nothing newer goes to the back */
    queue(rc_delta_fifo_add, f, "x", "1");
    queue(rc_delta_fifo_add, f, "y", "1");
    s.result = RC_EAGAIN;
    ck_assert_int_eq(rc_delta_fifo_try_pop(f, record, &s), 0);
    s.result = 0;
    ck_assert_str_eq(pop_text(f, &s), "ns/y:Added/1");
    ck_assert_str_eq(pop_text(f, &s), "ns/x:Added/1");
    /* other errors drop the deltas and are returned */
    queue(rc_delta_fifo_add, f, "z", "1");
    s.result = RC_EINTERNAL;
    ck_assert_int_eq(rc_delta_fifo_try_pop(f, record, &s), RC_EINTERNAL);
    ck_assert_uint_eq(rc_delta_fifo_len(f), 0);
    rc_delta_fifo_free(f);
}
END_TEST

static void *blocked_pop(void *arg)
{
    seen s = {0};
    return (void *)(intptr_t)rc_delta_fifo_pop(arg, record, &s, RC_TIME_NEVER);
}

START_TEST(close_wakes_poppers_and_drains)
{
    rc_delta_fifo *f = rc_delta_fifo_new(NULL);
    seen s = {0};
    pthread_t t;
    pthread_create(&t, NULL, blocked_pop, f);
    rc_delta_fifo_close(f);
    void *rc;
    pthread_join(t, &rc);
    ck_assert_int_eq((int)(intptr_t)rc, RC_ECLOSED);
    ck_assert(rc_delta_fifo_is_closed(f));
    rc_object *o = obj("a", "1");
    ck_assert_int_eq(rc_delta_fifo_add(f, o), RC_ECLOSED);
    ck_assert_int_eq(rc_delta_fifo_pop(f, record, &s, 0), RC_ECLOSED);
    rc_object_unref(o);
    rc_delta_fifo_free(f);
    /* a timed pop on an empty open FIFO gives up */
    f = rc_delta_fifo_new(NULL);
    ck_assert_int_eq(rc_delta_fifo_pop(f, record, &s, RC_MSEC), RC_EAGAIN);
    queue(rc_delta_fifo_add, f, "q", "1");
    rc_delta_fifo_close(f);
    ck_assert_int_eq(rc_delta_fifo_pop(f, record, &s, RC_TIME_NEVER), 0); /* drains first */
    ck_assert_str_eq(s.text, "ns/q:Added/1");
    rc_delta_fifo_free(f);
}
END_TEST

START_TEST(bad_input_is_rejected)
{
    rc_delta_fifo *f = rc_delta_fifo_new(NULL);
    const char *nameless = "{\"metadata\":{}}";
    rc_object *o = rc_object_from_json(nameless, strlen(nameless), NULL);
    ck_assert_int_eq(rc_delta_fifo_add(f, NULL), RC_EINVAL);
    ck_assert_int_eq(rc_delta_fifo_add(f, o), RC_EINVAL);
    rc_object *good = obj("a", "1");
    rc_object *items[] = {good, o};
    ck_assert_int_eq(rc_delta_fifo_replace(f, items, 2, "1"), RC_EINVAL);
    ck_assert_uint_eq(rc_delta_fifo_len(f), 0); /* nothing queued */
    ck_assert(!rc_delta_fifo_has_synced(f));
    ck_assert_int_eq(rc_delta_fifo_try_pop(f, NULL, NULL), RC_EINVAL);
    ck_assert_str_eq(rc_delta_type_name(RC_DELTA_SYNC), "Sync");
    rc_object_unref(o);
    rc_object_unref(good);
    rc_delta_fifo_free(f);
}
END_TEST

/* A batch callback that records "key:n" per popped key, checks the cached hash, and asks to requeue the
 * keys named in `retry`. */
typedef struct batch_seen {
    char text[512];
    const char *retry;
    size_t batches;
} batch_seen;

static void record_batch(void *ctx, rci_popped *b, size_t n)
{
    batch_seen *s = ctx;
    s->batches++;
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_eq(b[i].hash, rci_key_hash(b[i].key));
        size_t len = strlen(s->text);
        snprintf(s->text + len, sizeof s->text - len, "%s:%zu ", b[i].key, b[i].n);
        b[i].result = s->retry && strcmp(b[i].key, s->retry) == 0 ? RC_EAGAIN : 0;
    }
}

START_TEST(batched_pop_keeps_order_and_requeues_per_key)
{
    rc_delta_fifo *f = rc_delta_fifo_new(NULL);
    queue(rc_delta_fifo_add, f, "a", "1");
    queue(rc_delta_fifo_add, f, "b", "1");
    queue(rc_delta_fifo_update, f, "a", "2");
    queue(rc_delta_fifo_add, f, "c", "1");
    batch_seen s = {{0}, "ns/b", 0};
    ck_assert_int_eq(rci_delta_fifo_pop_batch(f, 2, 0, record_batch, &s), 2);
    ck_assert_str_eq(s.text, "ns/a:2 ns/b:1 ");
    /* b asked to be retried: it went back behind c, a is done */
    ck_assert_uint_eq(rc_delta_fifo_len(f), 2);
    s = (batch_seen){{0}, NULL, 0};
    ck_assert_int_eq(rci_delta_fifo_pop_batch(f, 100, 0, record_batch, &s), 2);
    ck_assert_str_eq(s.text, "ns/c:1 ns/b:1 ");
    ck_assert_uint_eq(s.batches, 1);
    ck_assert_int_eq(rci_delta_fifo_pop_batch(f, 100, 0, record_batch, &s), RC_EAGAIN);
    ck_assert_int_eq(rci_delta_fifo_pop_batch(f, 0, 0, record_batch, &s), RC_EAGAIN);
    ck_assert_int_eq(rci_delta_fifo_pop_batch(f, 1, RC_MSEC, record_batch, &s), RC_EAGAIN); /* timed out */
    ck_assert_int_eq(rci_delta_fifo_pop_batch(NULL, 1, 0, record_batch, &s), RC_EINVAL);
    rc_delta_fifo_close(f);
    ck_assert_int_eq(rci_delta_fifo_pop_batch(f, 1, RC_TIME_NEVER, record_batch, &s), RC_ECLOSED);
    rc_delta_fifo_free(f);
}
END_TEST

/* Deletes the object whose Added delta is being processed, before the cache has it. */
static int delete_while_processing(void *ctx, const char *key, const rc_delta *d, size_t n)
{
    (void)key;
    (void)n;
    ck_assert_int_eq(rc_delta_fifo_delete(ctx, d[0].object), 0);
    return 0;
}

START_TEST(delete_racing_with_processing_is_kept)
{
    rc_store *known = rc_store_new();
    rc_delta_fifo *f = rc_delta_fifo_new(known);
    seen s = {0};
    queue(rc_delta_fifo_add, f, "a", "1");
    /* "a" is neither pending nor known while its add is processed: the delete must still be queued */
    ck_assert_int_eq(rc_delta_fifo_try_pop(f, delete_while_processing, f), 0);
    ck_assert_uint_eq(rc_delta_fifo_len(f), 1);
    ck_assert_str_eq(pop_text(f, &s), "ns/a:Deleted/1");
    /* once nothing is in flight, deleting an unknown key is still a no-op */
    queue(rc_delta_fifo_delete, f, "a", "1");
    ck_assert_uint_eq(rc_delta_fifo_len(f), 0);
    rc_delta_fifo_free(f);
    rc_store_free(known);
}
END_TEST

/* Bumps the resourceVersion to "t" so the test sees which objects went through the transform. */
static rc_object *mark(void *ctx, rc_object *o)
{
    (*(int *)ctx)++;
    rc_object *copy = rc_object_copy(o);
    rc_object_set_resource_version(copy, "t");
    return rc_object_freeze(copy);
}

/* More deltas than the intake holds before a producer applies them itself (and than it lets pend at
 * all), for keys seen on both sides of those boundaries: every key keeps its first-in place and all its
 * deltas in order; a delete right after an add still pending in the intake is not taken as pointless. */
START_TEST(intake_runs_keep_order_and_dedup_across_boundaries)
{
    enum { KEYS = 700, ROUNDS = 30 };
    rc_delta_fifo *f = rc_delta_fifo_new(NULL);
    char name[32], rv[16];
    for (int r = 0; r < ROUNDS; r++) {
        for (int k = 0; k < KEYS; k++) {
            snprintf(name, sizeof name, "k%d", k);
            snprintf(rv, sizeof rv, "%d", r + 1);
            queue(r == 0 ? rc_delta_fifo_add : rc_delta_fifo_update, f, name, rv);
        }
    }
    queue(rc_delta_fifo_add, f, "late", "1");
    queue(rc_delta_fifo_delete, f, "late", "2");
    ck_assert_uint_eq(rc_delta_fifo_len(f), KEYS + 1);
    seen s = {0};
    for (int k = 0; k < KEYS; k++) {
        snprintf(name, sizeof name, "ns/k%d:", k);
        ck_assert_int_eq(strncmp(pop_text(f, &s), name, strlen(name)), 0);
        /* "Added/1,Updated/2,...,Updated/30": count the deltas and check the last */
        size_t deltas = 1;
        for (const char *p = s.text; (p = strchr(p, ',')); p++)
            deltas++;
        ck_assert_uint_eq(deltas, ROUNDS);
        ck_assert(strstr(s.text, "Added/1,Updated/2,") != NULL);
        ck_assert(strstr(s.text, ",Updated/30") != NULL);
    }
    ck_assert_str_eq(pop_text(f, &s), "ns/late:Added/1,Deleted/2");
    ck_assert_int_eq(rc_delta_fifo_try_pop(f, record, &s), RC_EAGAIN);
    rc_delta_fifo_free(f);
}
END_TEST

/* Queued deltas that no lock holder applied yet are visible to len and has_synced, survive close (later
 * queuing fails) and are released by free. */
START_TEST(pending_deltas_are_seen_and_survive_close)
{
    rc_delta_fifo *f = rc_delta_fifo_new(NULL);
    ck_assert(!rc_delta_fifo_has_synced(f));
    queue(rc_delta_fifo_add, f, "a", "1");
    ck_assert(rc_delta_fifo_has_synced(f)); /* queued before any replace: populated, nothing to wait for */
    ck_assert_uint_eq(rc_delta_fifo_len(f), 1);
    queue(rc_delta_fifo_update, f, "a", "2");
    rc_delta_fifo_close(f);
    rc_object *o = obj("b", "1");
    ck_assert_int_eq(rc_delta_fifo_add(f, o), RC_ECLOSED);
    ck_assert_int_eq(rc_delta_fifo_update(f, o), RC_ECLOSED);
    rc_object_unref(o);
    seen s = {0};
    ck_assert_str_eq(pop_text(f, &s), "ns/a:Added/1,Updated/2");
    ck_assert_int_eq(rc_delta_fifo_pop(f, record, &s, RC_TIME_NEVER), RC_ECLOSED);
    rc_delta_fifo_free(f);
    /* freed with deltas still pending: nothing leaks (checked under ASan and valgrind) */
    f = rc_delta_fifo_new(NULL);
    queue(rc_delta_fifo_add, f, "x", "1");
    queue(rc_delta_fifo_update, f, "x", "2");
    rc_delta_fifo_free(f);
}
END_TEST

/* A producer thread queues while this thread pops with an unbounded wait: the popper sleeps whenever it
 * drains the queue, and every delta still arrives, in order per key (no wake-up is lost). */
enum { THREAD_KEYS = 64, THREAD_ROUNDS = 200 };

static void *produce_rounds(void *arg)
{
    rc_delta_fifo *f = arg;
    char name[32], rv[16];
    for (int r = 0; r < THREAD_ROUNDS; r++)
        for (int k = 0; k < THREAD_KEYS; k++) {
            snprintf(name, sizeof name, "k%d", k);
            snprintf(rv, sizeof rv, "%d", r + 1);
            queue(r == 0 ? rc_delta_fifo_add : rc_delta_fifo_update, f, name, rv);
        }
    rc_delta_fifo_close(f);
    return NULL;
}

typedef struct versions {
    int last[THREAD_KEYS];
    size_t deltas;
} versions;

static int check_versions(void *ctx, const char *key, const rc_delta *d, size_t n)
{
    versions *v = ctx;
    int k = atoi(key + strlen("ns/k"));
    for (size_t i = 0; i < n; i++) {
        int rv = atoi(rc_object_resource_version(d[i].object));
        ck_assert_int_eq(rv, v->last[k] + 1);
        ck_assert_int_eq(d[i].type, rv == 1 ? RC_DELTA_ADDED : RC_DELTA_UPDATED);
        v->last[k] = rv;
    }
    v->deltas += n;
    return 0;
}

START_TEST(threaded_producer_never_loses_a_wakeup)
{
    rc_delta_fifo *f = rc_delta_fifo_new(NULL);
    versions v = {{0}, 0};
    pthread_t t;
    pthread_create(&t, NULL, produce_rounds, f);
    int rc;
    while ((rc = rc_delta_fifo_pop(f, check_versions, &v, RC_TIME_NEVER)) == 0)
        ;
    ck_assert_int_eq(rc, RC_ECLOSED);
    pthread_join(t, NULL);
    ck_assert_uint_eq(v.deltas, (size_t)THREAD_KEYS * THREAD_ROUNDS);
    for (int k = 0; k < THREAD_KEYS; k++)
        ck_assert_int_eq(v.last[k], THREAD_ROUNDS);
    rc_delta_fifo_free(f);
}
END_TEST

START_TEST(transform_runs_when_queued_not_on_deletes_or_syncs)
{
    rc_store *known = rc_store_new();
    rc_delta_fifo *f = rc_delta_fifo_new(known);
    int calls = 0;
    rci_delta_fifo_set_transform(f, mark, &calls);
    seen s = {0};
    queue(rc_delta_fifo_add, f, "a", "1");
    queue(rc_delta_fifo_update, f, "a", "2");
    queue(rc_delta_fifo_delete, f, "a", "3");
    ck_assert_int_eq(calls, 2);
    ck_assert_str_eq(pop_text(f, &s), "ns/a:Added/t,Updated/t,Deleted/3");
    rc_object *b = obj("b", "1");
    ck_assert_int_eq(rc_delta_fifo_replace(f, &b, 1, "5"), 0);
    ck_assert_int_eq(calls, 3);
    ck_assert_str_eq(pop_text(f, &s), "ns/b:Replaced/t");
    rc_store_add(known, b);
    ck_assert_int_eq(rc_delta_fifo_resync(f), 0);
    ck_assert_int_eq(calls, 3); /* a Sync carries the cached object, already transformed */
    ck_assert_str_eq(pop_text(f, &s), "ns/b:Sync/1");
    rc_object_unref(b);
    rc_delta_fifo_free(f);
    rc_store_free(known);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("delta_fifo");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, keys_pop_in_first_in_order_with_all_deltas);
    tcase_add_test(tc, consecutive_deletes_collapse);
    tcase_add_test(tc, relist_tombstones_missing_keys_and_syncs);
    tcase_add_test(tc, has_synced_after_first_replace_is_popped);
    tcase_add_test(tc, resync_queues_sync_for_idle_known_keys);
    tcase_add_test(tc, failed_process_requeues_without_losing_newer);
    tcase_add_test(tc, close_wakes_poppers_and_drains);
    tcase_add_test(tc, bad_input_is_rejected);
    tcase_add_test(tc, batched_pop_keeps_order_and_requeues_per_key);
    tcase_add_test(tc, delete_racing_with_processing_is_kept);
    tcase_add_test(tc, transform_runs_when_queued_not_on_deletes_or_syncs);
    tcase_add_test(tc, intake_runs_keep_order_and_dedup_across_boundaries);
    tcase_add_test(tc, pending_deltas_are_seen_and_survive_close);
    tcase_add_test(tc, threaded_producer_never_loses_a_wakeup);
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
