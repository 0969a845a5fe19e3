/* test_overlay.c - the read-your-own-writes overlay of a controller's client (lib/runtime/overlay.c) read
 * through an index: the index values of each written object are remembered between reads, and must follow
 * the object when the controller writes it again, and the index function when a read asks another one. */
#include <reconcile.h>

#include <stdio.h>
#include <string.h>

#include "runtime/cclient.h"
#include "support/testutil.h"

/* A test index: the value of one label; it counts its calls. */
typedef struct label_index_ctx {
    const char *label;
    int calls;
} label_index_ctx;

static void label_index(void *ctx, const rc_object *o, rc_index_values *out)
{
    label_index_ctx *ix = ctx;
    const char *v = rc_object_label(o, ix->label);
    if (v)
        rc_index_values_add(out, v);
    ix->calls++;
}

static rc_object *secret(const char *name, const char *owner, const char *tier, const char *rv)
{
    char json[400];
    snprintf(json, sizeof json,
             "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"ns\","
             "\"uid\":\"uid-%s\",\"resourceVersion\":\"%s\",\"labels\":{\"owner\":\"%s\",\"tier\":\"%s\"}}}",
             name, name, rv, owner, tier);
    rc_object *o = rc_object_from_json(json, strlen(json), NULL);
    ck_assert_ptr_nonnull(o);
    return o;
}

/* The names an index read of the overlay alone returns (nothing in the cache), in order, space-separated. */
static const char *read_index(rci_cclient *cc, label_index_ctx *label, const char *value, char *buf, size_t cap)
{
    rc_object_list l;
    rc_object_list_init(&l);
    rci_ov_scope scope = {.index = label_index, .index_ctx = label, .value = value, .add_new = true};
    ck_assert_int_eq(rci_overlay_merge_list(cc, "secrets", &l, 0, &scope), 0);
    buf[0] = '\0';
    for (size_t i = 0; i < l.count; i++) {
        strncat(buf, rc_object_name(l.items[i]), cap - strlen(buf) - 1);
        strncat(buf, " ", cap - strlen(buf) - 1);
    }
    rc_object_list_clear(&l);
    return buf;
}

START_TEST(index_reads_follow_rewrites_and_index_functions)
{
    rc_apiserver_options so = {.seed = 1};
    rc_apiserver *srv = rc_apiserver_new(&so, NULL);
    rc_client *inner = rc_apiserver_client(srv, NULL);
    rci_cclient *cc = NULL;
    rc_client *c = rci_cclient_new(inner, NULL, true, &cc);
    ck_assert_ptr_nonnull(c);
    label_index_ctx by_owner = {"owner", 0}, by_tier = {"tier", 0};
    rc_object *a = secret("a", "x", "web", "10"), *b = secret("b", "y", "web", "11");
    rci_overlay_record(cc, "secrets", a, false);
    rci_overlay_record(cc, "secrets", b, false);
    char got[64];
    ck_assert_str_eq(read_index(cc, &by_owner, "x", got, sizeof got), "a ");
    ck_assert_str_eq(read_index(cc, &by_owner, "y", got, sizeof got), "b ");
    ck_assert_int_eq(by_owner.calls, 2); /* the second read used the values remembered by the first */
    ck_assert_str_eq(read_index(cc, &by_tier, "web", got, sizeof got), "a b ");
    ck_assert_str_eq(read_index(cc, &by_owner, "x", got, sizeof got), "a ");
    /* the controller writes a again, now owned by y: the remembered values go with the old version */
    rc_object *a2 = secret("a", "y", "db", "12");
    rci_overlay_record(cc, "secrets", a2, false);
    ck_assert_str_eq(read_index(cc, &by_owner, "x", got, sizeof got), "");
    ck_assert_str_eq(read_index(cc, &by_owner, "y", got, sizeof got), "a b ");
    ck_assert_str_eq(read_index(cc, &by_tier, "db", got, sizeof got), "a ");
    /* a delete written by the controller: nothing to index */
    rci_overlay_record(cc, "secrets", b, true);
    ck_assert_str_eq(read_index(cc, &by_owner, "y", got, sizeof got), "a ");
    ck_assert_uint_eq(rci_overlay_len(cc), 2);
    rc_object_unref(a);
    rc_object_unref(a2);
    rc_object_unref(b);
    rc_client_unref(c);
    rc_client_unref(inner);
    rc_apiserver_free(srv);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("overlay");
    TCase *tc = tcase_create("overlay");
    tcase_add_test(tc, index_reads_follow_rewrites_and_index_functions);
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
