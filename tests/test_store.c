/* test_store.c - rc_store: keyed CRUD, the namespace index and custom indexers staying consistent through
 * update, delete and replace, listers, bad input, concurrent readers during writes (run under TSan), and
 * keys and index values of every length through the cache's key hash (short, word-sized and tail cases),
 * with buckets emptied and dropped, index bucket order against a model through random updates, moves and
 * deletes, and lock-free gets racing the replacement (and freeing) of their objects. */
#include <reconcile.h>
#include <reconcile/store.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "cache/keyhash.h"
#include "support/testutil.h"

static rc_object *pod(const char *ns, const char *name, const char *rv, const char *node)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"%s\",\"name\":\"%s\","
             "\"resourceVersion\":\"%s\",\"labels\":{\"app\":\"%s\"}},\"spec\":{\"nodeName\":\"%s\"}}",
             ns, name, rv, name[0] == 'w' ? "web" : "db", node);
    rc_object *o = rc_object_from_json(json, strlen(json), NULL);
    ck_assert_ptr_nonnull(o);
    return o;
}

static void by_node(void *ctx, const rc_object *obj, rc_index_values *out)
{
    (void)ctx;
    const char *node = rc_object_get_str(obj, "spec.nodeName");
    if (node && *node)
        rc_index_values_add(out, node);
}

static size_t index_count(rc_store *s, const char *index, const char *value)
{
    rc_object_list l;
    rc_object_list_init(&l);
    ck_assert_int_eq(rc_store_by_index(s, index, value, &l, NULL), 0);
    size_t n = l.count;
    rc_object_list_clear(&l);
    return n;
}

static void add_and_drop(rc_store *s, rc_object *o)
{
    ck_assert_int_eq(rc_store_add(s, o), 0);
    rc_object_unref(o);
}

START_TEST(add_get_update_delete)
{
    rc_store *s = rc_store_new();
    add_and_drop(s, pod("default", "web-1", "1", "n1"));
    add_and_drop(s, pod("default", "web-2", "2", "n1"));
    add_and_drop(s, pod("kube-system", "dns", "3", "n2"));
    ck_assert_uint_eq(rc_store_len(s), 3);
    rc_object *got = rc_store_get(s, "default/web-1");
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(rc_object_resource_version(got), "1");
    add_and_drop(s, pod("default", "web-1", "5", "n1"));
    ck_assert_uint_eq(rc_store_len(s), 3);
    rc_object *newer = rc_store_get(s, "default/web-1");
    ck_assert_str_eq(rc_object_resource_version(newer), "5");
    ck_assert_str_eq(rc_object_resource_version(got), "1"); /* the old reference stays valid */
    rc_object_unref(got);
    rc_object_unref(newer);
    ck_assert_int_eq(rc_store_delete_key(s, "default/web-1"), 0);
    ck_assert_int_eq(rc_store_delete_key(s, "default/web-1"), RC_ENOTFOUND);
    ck_assert_ptr_null(rc_store_get(s, "default/web-1"));
    ck_assert_uint_eq(rc_store_len(s), 2);
    char **keys;
    size_t n;
    ck_assert_int_eq(rc_store_list_keys(s, &keys, &n), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert(strcmp(keys[0], "default/web-2") == 0 || strcmp(keys[1], "default/web-2") == 0);
    free(keys);
    rc_object_list l;
    rc_object_list_init(&l);
    ck_assert_int_eq(rc_store_list(s, &l), 0);
    ck_assert_uint_eq(l.count, 2);
    rc_object_list_clear(&l);
    rc_store_free(s);
}
END_TEST

START_TEST(bad_input_is_rejected)
{
    rc_store *s = rc_store_new();
    rc_error err = {0};
    ck_assert_int_eq(rc_store_add(s, NULL), RC_EINVAL);
    const char *nameless = "{\"metadata\":{\"namespace\":\"x\"}}";
    rc_object *o = rc_object_from_json(nameless, strlen(nameless), NULL);
    ck_assert_int_eq(rc_store_add(s, o), RC_EINVAL);
    rc_object *good = pod("a", "web-1", "1", "n1");
    add_and_drop(s, pod("a", "db-1", "1", "n1"));
    rc_object *items[] = {good, o};
    ck_assert_int_eq(rc_store_replace(s, items, 2, &err), RC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "item 1"));
    rc_error_clear(&err);
    ck_assert_uint_eq(rc_store_len(s), 1); /* unchanged */
    ck_assert_int_eq(rc_store_by_index(s, "nope", "x", &(rc_object_list){0}, &err), RC_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.message, "nope"));
    rc_error_clear(&err);
    ck_assert_int_eq(rc_store_add_indexer(s, RC_INDEX_NAMESPACE, by_node, NULL, &err), RC_EEXISTS);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_store_add_indexer(s, "", by_node, NULL, &err), RC_EINVAL);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_store_delete(s, NULL), RC_EINVAL);
    rc_object_unref(o);
    rc_object_unref(good);
    rc_store_free(s);
}
END_TEST

START_TEST(indexes_follow_update_delete_replace)
{
    rc_store *s = rc_store_new();
    add_and_drop(s, pod("a", "web-1", "1", "n1"));
    add_and_drop(s, pod("a", "web-2", "1", "n2"));
    add_and_drop(s, pod("b", "web-3", "1", "n1"));
    /* an indexer added after objects exist indexes them */
    ck_assert_int_eq(rc_store_add_indexer(s, "node", by_node, NULL, NULL), 0);
    ck_assert_uint_eq(index_count(s, "node", "n1"), 2);
    ck_assert_uint_eq(index_count(s, RC_INDEX_NAMESPACE, "a"), 2);
    /* update moves web-1 from n1 to n3 */
    add_and_drop(s, pod("a", "web-1", "2", "n3"));
    ck_assert_uint_eq(index_count(s, "node", "n1"), 1);
    ck_assert_uint_eq(index_count(s, "node", "n3"), 1);
    /* its namespace bucket (the key's namespace never changes) holds the new object in the old one's place */
    rc_object_list l = {0};
    ck_assert_int_eq(rc_store_by_index(s, RC_INDEX_NAMESPACE, "a", &l, NULL), 0);
    ck_assert_uint_eq(l.count, 2);
    ck_assert_str_eq(rc_object_key(l.items[0]), "a/web-1");
    ck_assert_str_eq(rc_object_resource_version(l.items[0]), "2");
    ck_assert_str_eq(rc_object_key(l.items[1]), "a/web-2");
    rc_object_list_clear(&l);
    char **keys;
    size_t n;
    ck_assert_int_eq(rc_store_index_keys(s, "node", "n3", &keys, &n, NULL), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(keys[0], "a/web-1");
    free(keys);
    /* delete removes from every index; emptied values disappear */
    ck_assert_int_eq(rc_store_delete_key(s, "b/web-3"), 0);
    ck_assert_uint_eq(index_count(s, RC_INDEX_NAMESPACE, "b"), 0);
    ck_assert_int_eq(rc_store_list_index_values(s, RC_INDEX_NAMESPACE, &keys, &n, NULL), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(keys[0], "a");
    free(keys);
    /* replace swaps content and rebuilds indexes */
    rc_object *items[] = {pod("c", "db-1", "9", "n9"), pod("c", "db-2", "9", "n9"), pod("c", "db-1", "10", "n8")};
    ck_assert_int_eq(rc_store_replace(s, items, 3, NULL), 0);
    for (int i = 0; i < 3; i++)
        rc_object_unref(items[i]);
    ck_assert_uint_eq(rc_store_len(s), 2);
    ck_assert_uint_eq(index_count(s, RC_INDEX_NAMESPACE, "a"), 0);
    ck_assert_uint_eq(index_count(s, RC_INDEX_NAMESPACE, "c"), 2);
    ck_assert_uint_eq(index_count(s, "node", "n9"), 1); /* the later duplicate of db-1 won */
    ck_assert_uint_eq(index_count(s, "node", "n8"), 1);
    ck_assert_uint_eq(index_count(s, "node", "n1"), 0);
    rc_object *db1 = rc_store_get(s, "c/db-1");
    ck_assert_str_eq(rc_object_resource_version(db1), "10");
    rc_object_unref(db1);
    ck_assert_int_eq(rc_store_replace(s, NULL, 0, NULL), 0);
    ck_assert_uint_eq(rc_store_len(s), 0);
    ck_assert_int_eq(rc_store_list_index_values(s, "node", &keys, &n, NULL), 0);
    ck_assert_uint_eq(n, 0);
    free(keys);
    ck_assert_uint_gt(rc_store_overhead_bytes(s), 0);
    rc_store_free(s);
}
END_TEST

static bool count_visit(void *ctx, rc_object *obj)
{
    (void)obj;
    (*(int *)ctx)++;
    return true;
}

START_TEST(listers_read_by_namespace_and_selector)
{
    rc_store *s = rc_store_new();
    add_and_drop(s, pod("a", "web-1", "1", "n1"));
    add_and_drop(s, pod("a", "db-1", "1", "n1"));
    add_and_drop(s, pod("b", "web-2", "1", "n1"));
    rc_object *o = rc_lister_get(s, "a", "db-1");
    ck_assert_ptr_nonnull(o);
    rc_object_unref(o);
    ck_assert_ptr_null(rc_lister_get(s, "b", "db-1"));
    rc_selector *web = rc_selector_parse("app=web", NULL);
    rc_object_list l;
    rc_object_list_init(&l);
    ck_assert_int_eq(rc_lister_list(s, "a", web, &l), 0);
    ck_assert_uint_eq(l.count, 1);
    ck_assert_str_eq(rc_object_name(l.items[0]), "web-1");
    rc_object_list_clear(&l);
    ck_assert_int_eq(rc_lister_list(s, NULL, web, &l), 0);
    ck_assert_uint_eq(l.count, 2);
    rc_object_list_clear(&l);
    ck_assert_int_eq(rc_lister_list(s, "a", NULL, &l), 0);
    ck_assert_uint_eq(l.count, 2);
    rc_object_list_clear(&l);
    int visited = 0;
    ck_assert_int_eq(rc_store_index_foreach(s, RC_INDEX_NAMESPACE, "b", count_visit, &visited), 1);
    ck_assert_int_eq(visited, 1);
    ck_assert_int_eq(rc_store_index_foreach(s, "nope", "b", count_visit, &visited), RC_ENOTFOUND);
    rc_selector_free(web);
    rc_store_free(s);
}
END_TEST

#define NOBJ 2000
typedef struct race {
    rc_store *s;
    rc_object **objs;
    int rounds;
} race;

static void *reader(void *arg)
{
    race *r = arg;
    char key[64];
    for (int round = 0; round < r->rounds; round++) {
        for (int i = 0; i < NOBJ; i += 7) {
            snprintf(key, sizeof key, "ns-%d/name-%d", i % 10, i);
            rc_object *o = rc_store_get(r->s, key);
            if (o) {
                ck_assert_str_eq(rc_object_key(o), key);
                rc_object_unref(o);
            }
        }
        rc_object_list l;
        rc_object_list_init(&l);
        ck_assert_int_eq(rc_store_by_index(r->s, RC_INDEX_NAMESPACE, "ns-3", &l, NULL), 0);
        for (size_t i = 0; i < l.count; i++)
            ck_assert_str_eq(rc_object_namespace(l.items[i]), "ns-3");
        rc_object_list_clear(&l);
    }
    return NULL;
}

START_TEST(concurrent_readers_during_updates)
{
    rc_store *s = rc_store_new();
    rc_object **objs = malloc(NOBJ * sizeof *objs);
    for (int i = 0; i < NOBJ; i++) {
        char ns[16], name[32];
        snprintf(ns, sizeof ns, "ns-%d", i % 10);
        snprintf(name, sizeof name, "name-%d", i);
        objs[i] = pod(ns, name, "1", "n1");
    }
    race r = {s, objs, 20};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, reader, &r);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < NOBJ; i++)
            ck_assert_int_eq(rc_store_add(s, objs[i]), 0);
        for (int i = 0; i < NOBJ; i += 3)
            ck_assert_int_eq(rc_store_delete(s, objs[i]), 0);
        ck_assert_int_eq(rc_store_replace(s, objs, NOBJ / 2, NULL), 0);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    ck_assert_uint_eq(rc_store_len(s), NOBJ / 2);
    ck_assert_uint_eq(index_count(s, RC_INDEX_NAMESPACE, "ns-3"), NOBJ / 20);
    for (int i = 0; i < NOBJ; i++)
        rc_object_unref(objs[i]);
    free(objs);
    rc_store_free(s);
}
END_TEST

START_TEST(keys_of_every_length_round_trip)
{
    ck_assert_uint_ge(rci_key_hash(""), 2); /* 0 and 1 are the map's empty and deleted marks */
    ck_assert_uint_ne(rci_key_hash("abcdefgh"), rci_key_hash("abcdefgh\x01"));
    ck_assert_uint_ne(rci_key_hash("ns/a"), rci_key_hash("ns/b"));
    rc_store *s = rc_store_new();
    char name[64], ns[64];
    for (int len = 1; len <= 40; len++) {
        memset(name, 'w', (size_t)len);
        name[len] = '\0';
        snprintf(ns, sizeof ns, "%.*s", len % 12 + 1, "nnnnnnnnnnnn");
        add_and_drop(s, pod(ns, name, "1", "n1"));
    }
    ck_assert_uint_eq(rc_store_len(s), 40);
    for (int len = 1; len <= 40; len++) {
        memset(name, 'w', (size_t)len);
        name[len] = '\0';
        snprintf(ns, sizeof ns, "%.*s", len % 12 + 1, "nnnnnnnnnnnn");
        rc_object *o = rc_lister_get(s, ns, name);
        ck_assert_ptr_nonnull(o);
        ck_assert_str_eq(rc_object_name(o), name);
        rc_object_unref(o);
        if (len % 2 == 0) { /* even lengths are re-created in namespace "x", odd ones go away */
            ck_assert_int_eq(rc_store_delete_key(s, rc_object_key(o = pod(ns, name, "1", "n1"))), 0);
            rc_object_unref(o);
            add_and_drop(s, pod("x", name, "2", "n1"));
        } else {
            ck_assert_int_eq(rc_store_delete_key(s, rc_object_key(o = pod(ns, name, "1", "n1"))), 0);
            rc_object_unref(o);
        }
    }
    ck_assert_uint_eq(rc_store_len(s), 20);
    ck_assert_uint_eq(index_count(s, RC_INDEX_NAMESPACE, "x"), 20);
    for (int k = 1; k <= 12; k++) {
        snprintf(ns, sizeof ns, "%.*s", k, "nnnnnnnnnnnn");
        ck_assert_uint_eq(index_count(s, RC_INDEX_NAMESPACE, ns), 0);
    }
    char **values;
    size_t n;
    ck_assert_int_eq(rc_store_list_index_values(s, RC_INDEX_NAMESPACE, &values, &n, NULL), 0);
    ck_assert_uint_eq(n, 1); /* emptied buckets are gone */
    free(values);
    rc_store_free(s);
}
END_TEST

/* ---- bucket member order against a model: an update keeping its value keeps its place, a new member
 * goes last, a leaving member's place is taken by the last one ---- */
#define MODEL_KEYS 600
#define MODEL_NODES 4

typedef struct model {
    int node_of[MODEL_KEYS]; /* -1 = absent */
    int order[MODEL_NODES][MODEL_KEYS];
    int len[MODEL_NODES];
} model;

static void model_leave(model *m, int key)
{
    int v = m->node_of[key];
    for (int i = 0; i < m->len[v]; i++)
        if (m->order[v][i] == key) {
            m->order[v][i] = m->order[v][--m->len[v]];
            break;
        }
    m->node_of[key] = -1;
}

static void model_put(model *m, int key, int node)
{
    if (m->node_of[key] == node)
        return;
    if (m->node_of[key] >= 0)
        model_leave(m, key);
    m->order[node][m->len[node]++] = key;
    m->node_of[key] = node;
}

static void check_model(rc_store *s, const model *m)
{
    for (int v = 0; v < MODEL_NODES; v++) {
        char node[16], want[32];
        snprintf(node, sizeof node, "n%d", v);
        char **keys = NULL;
        size_t n = 0;
        ck_assert_int_eq(rc_store_index_keys(s, "node", node, &keys, &n, NULL), 0);
        ck_assert_uint_eq(n, (size_t)m->len[v]);
        for (size_t i = 0; i < n; i++) {
            snprintf(want, sizeof want, "ns/k-%d", m->order[v][i]);
            ck_assert_str_eq(keys[i], want);
        }
        free(keys);
    }
}

START_TEST(bucket_order_follows_a_model)
{
    rc_store *s = rc_store_new();
    ck_assert_int_eq(rc_store_add_indexer(s, "node", by_node, NULL, NULL), 0);
    model *m = calloc(1, sizeof *m);
    for (int k = 0; k < MODEL_KEYS; k++)
        m->node_of[k] = -1;
    uint64_t seed = 42;
    for (int step = 0; step < 6000; step++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        int key = (int)((seed >> 33) % MODEL_KEYS), node = (int)((seed >> 20) % MODEL_NODES);
        char name[32], full[48], nodename[8], rv[16];
        snprintf(name, sizeof name, "k-%d", key);
        if ((seed >> 60) < 3) { /* delete, about one step in five */
            snprintf(full, sizeof full, "ns/%s", name);
            ck_assert_int_eq(rc_store_delete_key(s, full), m->node_of[key] >= 0 ? 0 : RC_ENOTFOUND);
            if (m->node_of[key] >= 0)
                model_leave(m, key);
        } else {
            snprintf(nodename, sizeof nodename, "n%d", node);
            snprintf(rv, sizeof rv, "%d", step);
            add_and_drop(s, pod("ns", name, rv, nodename));
            model_put(m, key, node);
        }
        if (step % 500 == 0)
            check_model(s, m);
    }
    check_model(s, m);
    int present = 0;
    for (int k = 0; k < MODEL_KEYS; k++)
        present += m->node_of[k] >= 0;
    ck_assert_uint_eq(index_count(s, RC_INDEX_NAMESPACE, "ns"), (size_t)present);
    free(m);
    rc_store_free(s);
}
END_TEST

/* Readers (more than the store's reader slots, so some take the read-lock path) get keys whose objects a
 * writer keeps replacing: the store holds the only reference, so a replaced object is freed at once
 * (ASan and TSan check that no get touches a freed object or a freed table). */
#define CHURN_KEYS 64
#define CHURN_READERS 20

typedef struct churn {
    rc_store *s;
    atomic_bool stop;
} churn;

static void *churn_reader(void *arg)
{
    churn *c = arg;
    char key[32];
    for (int round = 0; round < 200 || !atomic_load(&c->stop); round++) {
        snprintf(key, sizeof key, "ns/c-%d", round % CHURN_KEYS);
        rc_object *o = rc_store_get(c->s, key);
        if (o) {
            ck_assert_str_eq(rc_object_key(o), key);
            ck_assert_ptr_nonnull(rc_object_resource_version(o));
            rc_object_unref(o);
        }
    }
    return NULL;
}

START_TEST(gets_race_replacements)
{
    churn c = {.s = rc_store_new()};
    atomic_init(&c.stop, false);
    pthread_t t[CHURN_READERS];
    for (int i = 0; i < CHURN_READERS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, churn_reader, &c), 0);
    char name[32], rv[16];
    for (int round = 0; round < 30; round++) {
        snprintf(rv, sizeof rv, "%d", round);
        for (int k = 0; k < CHURN_KEYS; k++) {
            snprintf(name, sizeof name, "c-%d", k);
            add_and_drop(c.s, pod("ns", name, rv, "n1")); /* grows the tables in the first round */
        }
        for (int k = round % 2; k < CHURN_KEYS; k += 2) {
            snprintf(name, sizeof name, "ns/c-%d", k);
            ck_assert_int_eq(rc_store_delete_key(c.s, name), 0);
        }
    }
    atomic_store(&c.stop, true);
    for (int i = 0; i < CHURN_READERS; i++)
        pthread_join(t[i], NULL);
    ck_assert_uint_eq(rc_store_len(c.s), CHURN_KEYS / 2);
    rc_store_free(c.s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, add_get_update_delete);
    tcase_add_test(tc, bad_input_is_rejected);
    tcase_add_test(tc, indexes_follow_update_delete_replace);
    tcase_add_test(tc, listers_read_by_namespace_and_selector);
    tcase_add_test(tc, concurrent_readers_during_updates);
    tcase_add_test(tc, keys_of_every_length_round_trip);
    tcase_add_test(tc, bucket_order_follows_a_model);
    tcase_add_test(tc, gets_race_replacements);
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
