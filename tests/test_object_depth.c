/* test_object_depth.c - caller-built cJSON trees of any depth: every public function that walks such a
 * tree (objects, nodes, the YAML writer, the three patch types, client-side apply, a client create) either
 * handles it within RC_OBJECT_MAX_DEPTH or refuses it with a clear error - never recursing into a stack
 * overflow on a 100,000-level draft. Trees are freed with the library's iterative deletion. */
#include <reconcile.h>
#include <reconcile/codec.h>
#include <reconcile/patch.h>
#include <string.h>

#include "api/json_depth.h"
#include "support/testutil.h"

#define VERY_DEEP 100000u

/* Arrays nested `levels` deep with a number at the bottom (levels 0: just the number). */
static cJSON *nest(size_t levels)
{
    cJSON *v = cJSON_CreateNumber(7);
    for (size_t i = 0; i < levels; i++) {
        cJSON *a = cJSON_CreateArray();
        ck_assert_ptr_nonnull(a);
        cJSON_AddItemToArray(a, v);
        v = a;
    }
    return v;
}

/* A ConfigMap-like object whose data.deep holds `levels` nested arrays: the whole tree nests
 * levels + 2 deep (the root object and data count). */
static cJSON *deep_object(size_t levels)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "apiVersion", "v1");
    cJSON_AddStringToObject(root, "kind", "ConfigMap");
    cJSON *meta = cJSON_AddObjectToObject(root, "metadata");
    cJSON_AddStringToObject(meta, "name", "deep");
    cJSON_AddStringToObject(meta, "namespace", "default");
    cJSON *data = cJSON_AddObjectToObject(root, "data");
    cJSON_AddItemToObject(data, "deep", nest(levels));
    return root;
}

static void assert_too_deep(const rc_error *err)
{
    ck_assert_int_eq(err->code, RC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err->message, "nesting deeper than 512 levels"));
}

START_TEST(depth_check_counts_levels_iteratively)
{
    cJSON *ok = nest(RC_OBJECT_MAX_DEPTH), *over = nest(RC_OBJECT_MAX_DEPTH + 1), *huge = nest(VERY_DEEP);
    ck_assert(rci_cjson_depth_ok(ok));
    ck_assert(!rci_cjson_depth_ok(over));
    ck_assert(!rci_cjson_depth_ok(huge));
    ck_assert(rci_cjson_depth_ok(NULL));
    /* Siblings after a deep branch are still visited; an empty container counts as a level. */
    cJSON *wide = cJSON_CreateArray();
    cJSON_AddItemToArray(wide, nest(10));
    cJSON *tail = cJSON_CreateArray();
    cJSON *empty = cJSON_CreateArray();
    for (size_t i = 0; i < RC_OBJECT_MAX_DEPTH - 3; i++) {
        cJSON *a = cJSON_CreateArray();
        cJSON_AddItemToArray(a, empty);
        empty = a;
    }
    cJSON_AddItemToArray(tail, empty);
    cJSON_AddItemToArray(wide, tail);
    ck_assert(rci_cjson_depth_ok(wide)); /* wide, tail, 509 wrappers, the innermost empty array */
    cJSON *one_more = cJSON_CreateArray();
    cJSON_AddItemToArray(one_more, wide);
    ck_assert(!rci_cjson_depth_ok(one_more));
    rc_error err = {0};
    ck_assert_int_eq(rci_cjson_check_depth(huge, "thing", &err), RC_EINVAL);
    ck_assert_str_eq(err.message, "thing: nesting deeper than 512 levels");
    rc_error_clear(&err);
    rci_cjson_delete(ok);
    rci_cjson_delete(over);
    rci_cjson_delete(huge);
    rci_cjson_delete(one_more);
}
END_TEST

START_TEST(objects_at_the_limit_round_trip)
{
    cJSON *root = deep_object(RC_OBJECT_MAX_DEPTH - 2);
    rc_error err = {0};
    rc_object *o = rc_object_from_cjson(root, &err);
    ck_assert_ptr_nonnull(o);
    size_t len = 0;
    char *text = rc_object_to_json(o, &len);
    ck_assert_ptr_nonnull(text);
    rc_object *back = rc_object_from_json(text, len, &err); /* the parser accepts what packing accepted */
    ck_assert_ptr_nonnull(back);
    ck_assert(rc_object_equal(o, back));
    rc_object *draft = rc_object_new_draft(root);
    ck_assert(rc_object_equal(draft, o));
    ck_assert_ptr_eq(rc_object_freeze(draft), draft);
    ck_assert(rc_object_equal(draft, o));
    free(text);
    rc_object_unref(o);
    rc_object_unref(back);
    rc_object_unref(draft);

    cJSON *over = deep_object(RC_OBJECT_MAX_DEPTH - 1);
    ck_assert_ptr_null(rc_object_from_cjson(over, &err));
    assert_too_deep(&err);
    ck_assert_str_eq(err.message, "object: nesting deeper than 512 levels");
    rc_error_clear(&err);
    rci_cjson_delete(over);
}
END_TEST

START_TEST(very_deep_drafts_are_refused_not_overflowed)
{
    cJSON *root = deep_object(VERY_DEEP);
    rc_error err = {0};
    ck_assert_ptr_null(rc_object_from_cjson(root, &err));
    assert_too_deep(&err);
    rc_error_clear(&err);
    ck_assert_ptr_null(rc_node_to_cjson(rc_node_from_cjson(root)));
    ck_assert_ptr_null(rc_encode_yaml(root, NULL));
    rc_doc_list docs = {.docs = &root, .count = 1};
    ck_assert_ptr_null(rc_encode_yaml_docs(&docs, NULL));

    rc_object *d = rc_object_new_draft(root);
    ck_assert_ptr_nonnull(d);
    ck_assert_ptr_null(rc_object_freeze(d));
    ck_assert(!rc_object_is_frozen(d)); /* left as it was */
    ck_assert_str_eq(rc_object_name(d), "deep");
    ck_assert_ptr_null(rc_object_to_json(d, NULL));
    cJSON *cut = rc_object_to_cjson(d); /* copied to one level past the limit, still refused */
    ck_assert_ptr_nonnull(cut);
    ck_assert(!rci_cjson_depth_ok(cut));
    cJSON *inner = cJSON_GetObjectItem(cJSON_GetObjectItem(cut, "data"), "deep");
    for (size_t i = 0; i < RC_OBJECT_MAX_DEPTH - 2; i++)
        inner = inner->child;
    ck_assert(cJSON_IsArray(inner) && !inner->child); /* level 513: left empty */
    ck_assert_ptr_null(rc_object_from_cjson(cut, &err));
    assert_too_deep(&err);
    rc_error_clear(&err);
    cJSON_Delete(cut);
    ck_assert_ptr_null(rc_object_to_yaml(d, NULL));
    ck_assert_ptr_null(rc_object_copy(d));
    ck_assert_uint_gt(rc_object_mem_size(d), 0);
    ck_assert(rc_object_equal(d, d));
    rc_object *other = rc_object_new_draft(deep_object(VERY_DEEP));
    ck_assert(!rc_object_equal(d, other));
    ck_assert(!rc_object_equal(other, d));
    rc_object_unref(other);
    rc_object_unref(d); /* frees the 100,000 levels without recursion */
}
END_TEST

START_TEST(patches_refuse_deep_documents_and_patches)
{
    cJSON *deep = deep_object(VERY_DEEP), *small = deep_object(1);
    cJSON *ops = cJSON_CreateArray();
    cJSON *op = cJSON_CreateObject();
    cJSON_AddStringToObject(op, "op", "add");
    cJSON_AddStringToObject(op, "path", "/data/x");
    cJSON_AddItemToObject(op, "value", nest(VERY_DEEP));
    cJSON_AddItemToArray(ops, op);
    cJSON *empty_ops = cJSON_CreateArray();
    cJSON *merge = cJSON_CreateObject();
    cJSON_AddItemToObject(merge, "data", cJSON_CreateObject());
    cJSON *deep_merge = deep_object(VERY_DEEP);
    rc_error err = {0};

    ck_assert_ptr_null(rc_patch_json(small, ops, &err));
    assert_too_deep(&err);
    ck_assert_str_eq(err.message, "json patch: the patch: nesting deeper than 512 levels");
    rc_error_clear(&err);
    ck_assert_ptr_null(rc_patch_json(deep, empty_ops, &err));
    assert_too_deep(&err);
    rc_error_clear(&err);
    ck_assert_ptr_null(rc_patch_merge(deep, merge, &err));
    assert_too_deep(&err);
    rc_error_clear(&err);
    ck_assert_ptr_null(rc_patch_merge(small, deep_merge, &err));
    assert_too_deep(&err);
    rc_error_clear(&err);
    ck_assert_ptr_null(rc_patch_strategic(deep, merge, NULL, NULL, &err));
    assert_too_deep(&err);
    rc_error_clear(&err);
    ck_assert_ptr_null(rc_patch_apply(RC_PATCH_STRATEGIC, small, deep_merge, NULL, NULL, &err));
    assert_too_deep(&err);
    ck_assert_str_eq(err.message, "strategic merge patch: the patch: nesting deeper than 512 levels");
    rc_error_clear(&err);

    ck_assert_ptr_null(rc_apply_annotate(deep, &err));
    assert_too_deep(&err);
    rc_error_clear(&err);
    ck_assert_ptr_null(rc_apply_compute_patch(NULL, deep, small, NULL, NULL, NULL, &err));
    assert_too_deep(&err);
    rc_error_clear(&err);
    ck_assert_ptr_null(rc_apply_three_way(deep, small, small, NULL, NULL, &err));
    assert_too_deep(&err);
    ck_assert_str_eq(err.message, "apply: the original configuration: nesting deeper than 512 levels");
    rc_error_clear(&err);

    /* Shallow input still patches. */
    cJSON *out = rc_patch_merge(small, merge, &err);
    ck_assert_ptr_nonnull(out);
    cJSON_Delete(out);
    rci_cjson_delete(deep);
    rci_cjson_delete(small);
    rci_cjson_delete(ops);
    rci_cjson_delete(empty_ops);
    rci_cjson_delete(merge);
    rci_cjson_delete(deep_merge);
}
END_TEST

START_TEST(client_create_of_a_deep_draft_fails_cleanly)
{
    rc_error err = {0};
    rc_apiserver *srv = rc_apiserver_new(NULL, &err);
    ck_assert_ptr_nonnull(srv);
    rc_client *c = rc_apiserver_client(srv, NULL);
    rc_object *d = rc_object_new_draft(deep_object(VERY_DEEP));
    rc_object *out = NULL;
    int rc = rc_client_create(c, "configmaps", "default", d, NULL, &out, &err);
    ck_assert_int_ne(rc, 0);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(err.http_status, 400); /* refused by the API server's limits, naming the path */
    ck_assert_msg(strstr(err.message, "[0][0]: nesting deeper than 512 levels") != NULL, "%s", err.message);
    rc_error_clear(&err);
    rc_object *got = NULL;
    ck_assert_int_eq(rc_client_get(c, "configmaps", "default", "deep", &got, &err), RC_ENOTFOUND);
    rc_error_clear(&err);
    rc_object_unref(d);
    rc_client_unref(c);
    rc_apiserver_free(srv);
}
END_TEST

static Suite *depth_suite(void)
{
    Suite *s = suite_create("object_depth");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, depth_check_counts_levels_iteratively);
    tcase_add_test(tc, objects_at_the_limit_round_trip);
    tcase_add_test(tc, very_deep_drafts_are_refused_not_overflowed);
    tcase_add_test(tc, patches_refuse_deep_documents_and_patches);
    tcase_add_test(tc, client_create_of_a_deep_draft_fails_cleanly);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return rc_test_run_suite(depth_suite()); }
