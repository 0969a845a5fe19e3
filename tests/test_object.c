/* test_object.c - rc_object: parsing and printing, accessors on frozen and draft objects, nodes,
 * setters, freezing, copies, keys, equality, refcounting across threads and bad input. */
#include <reconcile.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/object_internal.h"
#include "support/nginx_pod.h"
#include "support/testutil.h"


static rc_object *parse(const char *json)
{
    rc_error err = {0};
    rc_object *o = rc_object_from_json(json, strlen(json), &err);
    ck_assert_msg(o != NULL, "parse failed: %s", err.message ? err.message : "?");
    return o;
}

static void assert_json(const rc_object *o, const char *want)
{
    size_t len = 0;
    char *s = rc_object_to_json(o, &len);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(s, want);
    ck_assert_uint_eq(len, strlen(want));
    free(s);
}

/* Every metadata accessor against the pod, for either form. */
static void check_pod_accessors(const rc_object *o)
{
    ck_assert_str_eq(rc_object_api_version(o), "v1");
    ck_assert_str_eq(rc_object_kind(o), "Pod");
    ck_assert_str_eq(rc_object_name(o), "nginx-7c5ddbdf54-x8f9q");
    ck_assert_str_eq(rc_object_namespace(o), "default");
    ck_assert_str_eq(rc_object_generate_name(o), "nginx-7c5ddbdf54-");
    ck_assert_str_eq(rc_object_uid(o), "5c2f1a3e-8a4b-4b8e-9f3a-2d1c0e7b6a59");
    ck_assert_str_eq(rc_object_resource_version(o), "123456");
    ck_assert_int_eq(rc_object_generation(o), 0);
    ck_assert_str_eq(rc_object_creation_timestamp(o), "2024-05-01T10:00:00Z");
    ck_assert_ptr_null(rc_object_deletion_timestamp(o));
    ck_assert_str_eq(rc_object_label(o, "app"), "nginx");
    ck_assert_str_eq(rc_object_label(o, "pod-template-hash"), "7c5ddbdf54");
    ck_assert_ptr_null(rc_object_label(o, "missing"));
    ck_assert_ptr_null(rc_object_annotation(o, "app"));
    ck_assert_uint_eq(rc_object_finalizer_count(o), 0);
    ck_assert_ptr_null(rc_object_finalizer(o, 0));
    ck_assert(!rc_object_has_finalizer(o, "x"));
    ck_assert_uint_eq(rc_object_owner_count(o), 1);
    rc_owner_ref ref;
    ck_assert(rc_object_owner(o, 0, &ref));
    ck_assert_str_eq(ref.api_version, "apps/v1");
    ck_assert_str_eq(ref.kind, "ReplicaSet");
    ck_assert_str_eq(ref.name, "nginx-7c5ddbdf54");
    ck_assert_str_eq(ref.uid, "0e6f5d4c-3b2a-4190-8f7e-6d5c4b3a2910");
    ck_assert(ref.controller && ref.block_owner_deletion);
    ck_assert(!rc_object_owner(o, 1, &ref));
    memset(&ref, 0, sizeof ref);
    ck_assert(rc_object_controller_ref(o, &ref));
    ck_assert_str_eq(ref.name, "nginx-7c5ddbdf54");
    ck_assert_str_eq(rc_object_key(o), "default/nginx-7c5ddbdf54-x8f9q");
    ck_assert_str_eq(rc_object_get_str(o, "spec.containers.0.image"), "nginx:1.25.3");
    ck_assert_int_eq(rc_object_get_int(o, "spec.containers.0.ports.0.containerPort", -1), 80);
    ck_assert(rc_object_get_bool(o, "status.containerStatuses.0.ready", false));
    ck_assert_int_eq(rc_object_get_int(o, "spec.volumes.0.projected.defaultMode", 0), 420);
}

START_TEST(pod_round_trips_byte_identical)
{
    rc_object *o = parse(POD);
    ck_assert(rc_object_is_frozen(o));
    assert_json(o, POD);
    cJSON *tree = rc_object_to_cjson(o);
    rc_object *o2 = rc_object_from_cjson(tree, NULL);
    cJSON_Delete(tree);
    assert_json(o2, POD);
    ck_assert(rc_object_equal(o, o2));
    rc_object_unref(o2);
    rc_object_unref(o);
}
END_TEST

START_TEST(accessors_frozen_and_draft)
{
    rc_object *o = parse(POD);
    check_pod_accessors(o);
    rc_object *d = rc_object_copy(o);
    ck_assert(!rc_object_is_frozen(d));
    check_pod_accessors(d);
    assert_json(d, POD);
    ck_assert(rc_object_equal(o, d));
    ck_assert_ptr_null(rc_object_json_mut(o));
    ck_assert_ptr_nonnull(rc_object_json_mut(d));
    ck_assert_ptr_eq(rc_object_freeze(d), d);
    ck_assert(rc_object_is_frozen(d));
    check_pod_accessors(d);
    assert_json(d, POD);
    ck_assert(rc_object_equal(o, d));
    ck_assert_uint_le(rc_object_mem_size(o), strlen(POD));
    rc_object_unref(d);
    rc_object_unref(o);
}
END_TEST

START_TEST(absent_metadata_defaults)
{
    rc_object *o = parse("{\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\",\"generation\":7}}");
    ck_assert_ptr_null(rc_object_api_version(o));
    ck_assert_str_eq(rc_object_namespace(o), "");
    ck_assert_str_eq(rc_object_key(o), "n1");
    ck_assert_int_eq(rc_object_generation(o), 7);
    ck_assert_ptr_null(rc_object_uid(o));
    ck_assert(!rc_object_controller_ref(o, NULL));
    rc_object *d = rc_object_copy(o);
    ck_assert_str_eq(rc_object_key(d), "n1");
    ck_assert_int_eq(rc_object_generation(d), 7);
    rc_object_unref(d);
    rc_object_unref(o);

    o = parse("{}");
    ck_assert_ptr_null(rc_object_name(o));
    ck_assert_str_eq(rc_object_key(o), "");
    ck_assert_uint_eq(rc_object_owner_count(o), 0);
    assert_json(o, "{}");
    rc_object_unref(o);
    /* metadata of the wrong type reads as absent */
    o = parse("{\"metadata\":[1],\"kind\":3}");
    ck_assert_ptr_null(rc_object_name(o));
    ck_assert_ptr_null(rc_object_kind(o));
    ck_assert_uint_eq(rc_object_finalizer_count(o), 0);
    rc_object_unref(o);
    ck_assert_ptr_null(rc_object_name(NULL));
    ck_assert_ptr_null(rc_object_key(NULL));
}
END_TEST

START_TEST(bad_json_is_rejected_with_position)
{
    static const char *bad[] = {"", "{", "{\"a\":}", "[1,2]", "\"s\"", "{\"a\":1,}", "{\"a\" 1}", "{a:1}",
                                "{\"a\":tru}", "{\"a\":\"x}", "{\"a\":1} x", "{\"a\":01}", "{\"a\":-}",
                                "{\"a\":\"\\q\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\x01\"}", "{\"a\":1.}",
                                "{\"a\":[1 2]}", "{\"a\":1e}", "null"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rc_error err = {0};
        rc_object *o = rc_object_from_json(bad[i], strlen(bad[i]), &err);
        ck_assert_msg(o == NULL, "accepted %s", bad[i]);
        ck_assert_int_eq(err.code, RC_EBADREQUEST);
        ck_assert_ptr_nonnull(err.message);
        rc_error_clear(&err);
    }
    rc_error err = {0};
    ck_assert_ptr_null(rc_object_from_json("{\"a\":[1,x]}", 11, &err));
    ck_assert_ptr_nonnull(strstr(err.message, "offset 8"));
    rc_error_clear(&err);
    ck_assert_ptr_null(rc_object_from_json(NULL, 0, &err));
    rc_error_clear(&err);
    rc_object *ok = rc_object_from_json("{\"a\":1}", 7, NULL); /* err may be NULL */
    ck_assert_ptr_nonnull(ok);
    rc_object_unref(ok);
    cJSON *arr = cJSON_CreateArray();
    ck_assert_ptr_null(rc_object_from_cjson(arr, &err));
    ck_assert_int_eq(err.code, RC_EBADREQUEST);
    rc_error_clear(&err);
    ck_assert_ptr_null(rc_object_new_draft(arr));
    cJSON_Delete(arr);
    ck_assert_ptr_null(rc_object_from_cjson(NULL, NULL));
    /* a length shorter than the text stops there */
    ck_assert_ptr_null(rc_object_from_json("{\"a\":1}", 6, NULL));
    /* deep nesting is refused, not a crash */
    char deep[3000];
    size_t n = 0;
    deep[n++] = '{';
    deep[n++] = '"';
    deep[n++] = 'a';
    deep[n++] = '"';
    deep[n++] = ':';
    for (int i = 0; i < 1000; i++)
        deep[n++] = '[';
    for (int i = 0; i < 1000; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    ck_assert_ptr_null(rc_object_from_json(deep, n, &err));
    ck_assert_int_eq(err.code, RC_EBADREQUEST);
    rc_error_clear(&err);
}
END_TEST

START_TEST(numbers_and_scalars)
{
    const char *json = "{\"i\":9223372036854775807,\"n\":-9223372036854775808,\"z\":0,\"neg\":-42,"
                       "\"f\":1.5,\"e\":1e+20,\"big\":1.8446744073709552e+19,\"pi\":3.1415926535897931,"
                       "\"t\":true,\"fa\":false,\"nul\":null,\"s\":\"x\",\"a\":[],\"o\":{}}";
    rc_object *o = parse(json);
    assert_json(o, json);
    ck_assert_int_eq(rc_object_get_int(o, "i", 0), INT64_MAX);
    ck_assert_int_eq(rc_object_get_int(o, "n", 0), INT64_MIN);
    ck_assert_int_eq(rc_object_get_int(o, "neg", 0), -42);
    ck_assert_int_eq(rc_object_get_int(o, "f", 0), 1);
    ck_assert(rc_node_num(rc_object_at(o, "f"), 0) == 1.5);
    ck_assert_int_eq(rc_object_get_int(o, "big", 0), INT64_MAX);
    ck_assert_int_eq(rc_object_get_int(o, "s", 7), 7);
    ck_assert(rc_node_num(rc_object_at(o, "s"), 2.5) == 2.5);
    ck_assert(!rc_object_get_bool(o, "fa", true));
    ck_assert(rc_object_get_bool(o, "t", false));
    ck_assert(rc_object_get_bool(o, "s", true));
    ck_assert_int_eq(rc_node_kind(rc_object_at(o, "nul")), RC_NODE_NULL);
    ck_assert_int_eq(rc_node_kind(rc_object_at(o, "a")), RC_NODE_ARRAY);
    ck_assert_int_eq(rc_node_kind(rc_object_at(o, "o")), RC_NODE_OBJECT);
    ck_assert_int_eq(rc_node_kind(rc_object_at(o, "t")), RC_NODE_BOOL);
    ck_assert_int_eq(rc_node_kind(rc_object_at(o, "e")), RC_NODE_NUMBER);
    ck_assert_int_eq(rc_node_kind(rc_object_at(o, "nope")), RC_NODE_NONE);
    ck_assert_ptr_null(rc_node_str(rc_object_at(o, "i")));
    rc_object_unref(o);
    /* non-canonical input prints canonically, like cJSON */
    o = parse(" {\n \"a\" : 1.0 , \"b\":[ 1E2, -0.5e-3 ], \"c\":\"\\u00e9\\/\" } ");
    assert_json(o, "{\"a\":1,\"b\":[100,-0.0005],\"c\":\"\xc3\xa9/\"}");
    rc_object_unref(o);
}
END_TEST

START_TEST(strings_escapes_and_unicode)
{
    const char *json = "{\"s\":\"q\\\"b\\\\n\\n\\r\\t\\b\\f\\u0001\\u001f\",\"u\":\"h\xc3\xa9llo \xe2\x82\xac "
                       "\xf0\x9f\x98\x80\",\"k\\\"ey\":1,\"nul\":\"a\\u0000b\"}";
    rc_object *o = parse(json);
    assert_json(o, json);
    ck_assert_str_eq(rc_object_get_str(o, "s"), "q\"b\\n\n\r\t\b\f\x01\x1f");
    ck_assert_str_eq(rc_object_get_str(o, "u"), "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80");
    ck_assert_int_eq(rc_node_int(rc_node_get(rc_object_root(o), "k\"ey"), 0), 1);
    ck_assert_str_eq(rc_object_get_str(o, "nul"), "a");
    rc_object_unref(o);
    o = parse("{\"e\":\"\\ud83d\\ude00\"}");
    ck_assert_str_eq(rc_object_get_str(o, "e"), "\xf0\x9f\x98\x80");
    rc_object_unref(o);
}
END_TEST

START_TEST(nodes_walk_both_forms)
{
    rc_object *f = parse(POD);
    rc_object *d = rc_object_copy(f);
    rc_object *objs[2] = {f, d};
    for (int k = 0; k < 2; k++) {
        rc_object *o = objs[k];
        rc_node root = rc_object_root(o);
        ck_assert_int_eq(rc_node_kind(root), RC_NODE_OBJECT);
        ck_assert_uint_eq(rc_node_len(root), 5);
        ck_assert_str_eq(rc_node_key_at(root, 0), "apiVersion");
        ck_assert_str_eq(rc_node_key_at(root, 4), "status");
        ck_assert_ptr_null(rc_node_key_at(root, 5));
        ck_assert(!rc_node_exists(rc_node_value_at(root, 5)));
        ck_assert_str_eq(rc_node_str(rc_node_value_at(root, 1)), "Pod");
        rc_node conds = rc_node_at(root, "status.conditions");
        ck_assert_uint_eq(rc_node_len(conds), 4);
        ck_assert_str_eq(rc_node_str(rc_node_get(rc_node_index(conds, 3), "type")), "PodScheduled");
        ck_assert(!rc_node_exists(rc_node_index(conds, 4)));
        ck_assert_str_eq(rc_node_str(rc_node_at(conds, "1.type")), "Ready");
        ck_assert_int_eq(rc_node_kind(rc_node_at(conds, "0.lastProbeTime")), RC_NODE_NULL);
        /* wrong types and bad paths are NONE */
        ck_assert(!rc_node_exists(rc_node_get(conds, "type")));
        ck_assert(!rc_node_exists(rc_node_index(root, 0)));
        ck_assert(!rc_node_exists(rc_node_at(conds, "x")));
        ck_assert(!rc_node_exists(rc_object_at(o, "status..phase")));
        ck_assert(!rc_node_exists(rc_object_at(o, "status.phase.")));
        ck_assert(!rc_node_exists(rc_object_at(o, ".status")));
        ck_assert(!rc_node_exists(rc_object_at(o, "status.phase.x")));
        ck_assert(!rc_node_exists(rc_object_at(o, NULL)));
        ck_assert_int_eq(rc_node_kind(rc_object_at(o, "")), RC_NODE_OBJECT);
        ck_assert_uint_eq(rc_node_len(rc_object_at(o, "kind")), 0);
        ck_assert_ptr_null(rc_node_key_at(rc_object_at(o, "kind"), 0));
        cJSON *c = rc_node_to_cjson(rc_object_at(o, "spec.containers.0.ports"));
        char *s = cJSON_PrintUnformatted(c);
        ck_assert_str_eq(s, "[{\"containerPort\":80,\"protocol\":\"TCP\"}]");
        free(s);
        cJSON_Delete(c);
        ck_assert_ptr_null(rc_node_to_cjson(rc_object_at(o, "nope")));
        ck_assert(!rc_node_exists((rc_node){0}));
    }
    cJSON *tree = cJSON_Parse("{\"a\":{\"b\":[10,20]}}");
    rc_node n = rc_node_from_cjson(tree);
    ck_assert_int_eq(rc_node_int(rc_node_at(n, "a.b.1"), 0), 20);
    ck_assert(!rc_node_exists(rc_node_from_cjson(NULL)));
    cJSON_Delete(tree);
    rc_object_unref(d);
    rc_object_unref(f);
}
END_TEST

START_TEST(setters_metadata)
{
    rc_object *d = rc_object_new_draft(cJSON_CreateObject());
    ck_assert_int_eq(rc_object_set_name(d, "web"), 0);
    ck_assert_str_eq(rc_object_key(d), "web");
    const char *k1 = rc_object_key(d);
    ck_assert_ptr_eq(rc_object_key(d), k1); /* stable while unchanged */
    ck_assert_int_eq(rc_object_set_namespace(d, "prod"), 0);
    ck_assert_str_eq(rc_object_key(d), "prod/web");
    ck_assert_int_eq(rc_object_set_resource_version(d, "5"), 0);
    ck_assert_str_eq(rc_object_resource_version(d), "5");
    ck_assert_int_eq(rc_object_set_resource_version(d, NULL), 0);
    ck_assert_ptr_null(rc_object_resource_version(d));
    ck_assert_int_eq(rc_object_set_name(d, NULL), RC_EINVAL);
    ck_assert_int_eq(rc_object_set_label(d, "app", "web"), 0);
    ck_assert_int_eq(rc_object_set_label(d, "tier", "fe"), 0);
    ck_assert_int_eq(rc_object_set_label(d, "app", "api"), 0);
    ck_assert_str_eq(rc_object_label(d, "app"), "api");
    ck_assert_int_eq(rc_object_set_label(d, "", "x"), RC_EINVAL);
    ck_assert_int_eq(rc_object_set_annotation(d, "note", "hi"), 0);
    ck_assert_str_eq(rc_object_annotation(d, "note"), "hi");
    ck_assert_int_eq(rc_object_set_annotation(d, "note", NULL), 0);
    ck_assert_int_eq(rc_object_set_annotation(d, "absent", NULL), 0);
    ck_assert_int_eq(rc_object_add_finalizer(d, "a/b"), 0);
    ck_assert_int_eq(rc_object_add_finalizer(d, "a/b"), 0);
    ck_assert_int_eq(rc_object_add_finalizer(d, "c"), 0);
    ck_assert_uint_eq(rc_object_finalizer_count(d), 2);
    ck_assert_str_eq(rc_object_finalizer(d, 1), "c");
    ck_assert(rc_object_has_finalizer(d, "a/b"));
    ck_assert_int_eq(rc_object_remove_finalizer(d, "a/b"), 0);
    ck_assert_int_eq(rc_object_remove_finalizer(d, "zz"), 0);
    ck_assert_uint_eq(rc_object_finalizer_count(d), 1);
    rc_owner_ref r1 = {"apps/v1", "ReplicaSet", "rs1", "u1", true, true};
    rc_owner_ref r2 = {"v1", "Node", "n1", "u2", false, false};
    ck_assert_int_eq(rc_object_add_owner(d, &r1), 0);
    ck_assert_int_eq(rc_object_add_owner(d, &r2), 0);
    r1.name = "rs1b";
    ck_assert_int_eq(rc_object_add_owner(d, &r1), 0); /* same uid: replaced in place */
    ck_assert_uint_eq(rc_object_owner_count(d), 2);
    rc_owner_ref out;
    ck_assert(rc_object_owner(d, 0, &out));
    ck_assert_str_eq(out.name, "rs1b");
    ck_assert(rc_object_controller_ref(d, &out));
    ck_assert_str_eq(out.uid, "u1");
    rc_owner_ref bad = {"v1", NULL, "x", "u3", false, false};
    ck_assert_int_eq(rc_object_add_owner(d, &bad), RC_EINVAL);
    ck_assert_int_eq(rc_object_add_owner(d, NULL), RC_EINVAL);
    ck_assert_int_eq(rc_object_remove_owner(d, "u1"), 0);
    ck_assert(!rc_object_controller_ref(d, NULL));
    assert_json(d, "{\"metadata\":{\"name\":\"web\",\"namespace\":\"prod\",\"labels\":{\"app\":\"api\",\"tier\":\"fe\"},"
                   "\"finalizers\":[\"c\"],\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"name\":\"n1\","
                   "\"uid\":\"u2\"}]}}");
    ck_assert_int_eq(rc_object_remove_owner(d, "u2"), 0);
    ck_assert_int_eq(rc_object_remove_finalizer(d, "c"), 0);
    ck_assert_int_eq(rc_object_set_label(d, "app", NULL), 0);
    ck_assert_int_eq(rc_object_set_label(d, "tier", NULL), 0);
    ck_assert_int_eq(rc_object_set_namespace(d, NULL), 0);
    assert_json(d, "{\"metadata\":{\"name\":\"web\"}}");
    rc_object_freeze(d);
    ck_assert_int_eq(rc_object_set_name(d, "x"), RC_EINVAL);
    ck_assert_int_eq(rc_object_set_label(d, "a", "b"), RC_EINVAL);
    ck_assert_int_eq(rc_object_add_finalizer(d, "f"), RC_EINVAL);
    ck_assert_int_eq(rc_object_add_owner(d, &r2), RC_EINVAL);
    ck_assert_int_eq(rc_object_set_str(d, "a", "b"), RC_EINVAL);
    ck_assert_int_eq(rc_object_remove(d, "metadata"), RC_EINVAL);
    assert_json(d, "{\"metadata\":{\"name\":\"web\"}}");
    rc_object_unref(d);
    /* metadata of the wrong type is not overwritten */
    d = rc_object_new_draft(cJSON_Parse("{\"metadata\":\"oops\"}"));
    ck_assert_int_eq(rc_object_set_label(d, "a", "b"), RC_EINVAL);
    ck_assert_int_eq(rc_object_set_name(d, "a"), RC_EINVAL);
    ck_assert_int_eq(rc_object_add_finalizer(d, "a"), RC_EINVAL);
    ck_assert_int_eq(rc_object_add_owner(d, &r2), RC_EINVAL);
    assert_json(d, "{\"metadata\":\"oops\"}");
    rc_object_unref(d);
}
END_TEST

START_TEST(setters_by_path)
{
    rc_object *d = rc_object_new_draft(cJSON_Parse("{\"spec\":{\"list\":[1,{\"x\":2}],\"s\":\"v\"}}"));
    ck_assert_int_eq(rc_object_set_int(d, "spec.replicas", 3), 0);
    ck_assert_int_eq(rc_object_set_str(d, "spec.template.metadata.name", "t"), 0);
    ck_assert_int_eq(rc_object_set_bool(d, "spec.paused", true), 0);
    ck_assert_int_eq(rc_object_set_int(d, "spec.list.1.x", 5), 0);
    ck_assert_int_eq(rc_object_set_int(d, "spec.list.0", 9), 0);
    ck_assert_int_eq(rc_object_set_int(d, "spec.list.2", 10), 0); /* append at the end */
    ck_assert_int_eq(rc_object_set_int(d, "spec.list.4", 10), RC_EINVAL);
    ck_assert_int_eq(rc_object_set_int(d, "spec.list.x", 1), RC_EINVAL);
    ck_assert_int_eq(rc_object_set_int(d, "spec.list.7.y", 1), RC_EINVAL);
    ck_assert_int_eq(rc_object_set_int(d, "spec.s.deeper", 1), RC_EINVAL); /* a string is not a parent */
    ck_assert_int_eq(rc_object_set_int(d, "", 1), RC_EINVAL);
    ck_assert_int_eq(rc_object_set_int(d, "a..b", 1), RC_EINVAL);
    ck_assert_int_eq(rc_object_set_str(d, "a", NULL), RC_EINVAL);
    ck_assert_int_eq(rc_object_set_json(d, "spec.obj", cJSON_Parse("{\"k\":[true]}")), 0);
    ck_assert_int_eq(rc_object_set_json(d, "bad..path", cJSON_CreateNull()), RC_EINVAL); /* value freed */
    ck_assert_int_eq(rc_object_set_json(d, "x", NULL), RC_EINVAL);
    ck_assert_int_eq(rc_object_set_str(d, "spec.s", "w"), 0);
    assert_json(d, "{\"spec\":{\"list\":[9,{\"x\":5},10],\"s\":\"w\",\"replicas\":3,\"template\":{\"metadata\":"
                   "{\"name\":\"t\"}},\"paused\":true,\"obj\":{\"k\":[true]}}}");
    ck_assert_int_eq(rc_object_remove(d, "spec.list.1"), 0);
    ck_assert_int_eq(rc_object_remove(d, "spec.template"), 0);
    ck_assert_int_eq(rc_object_remove(d, "spec.missing.deep"), 0);
    ck_assert_int_eq(rc_object_remove(d, "spec.s.deep"), 0);
    ck_assert_int_eq(rc_object_remove(d, "spec.list.9"), 0);
    ck_assert_int_eq(rc_object_remove(d, "nothing"), 0);
    ck_assert_int_eq(rc_object_remove(d, "spec..x"), RC_EINVAL);
    ck_assert_int_eq(rc_object_remove(d, ""), RC_EINVAL);
    assert_json(d, "{\"spec\":{\"list\":[9,10],\"s\":\"w\",\"replicas\":3,\"paused\":true,\"obj\":{\"k\":[true]}}}");
    /* direct cJSON edits are seen by accessors and the key */
    cJSON *root = rc_object_json_mut(d);
    cJSON_AddItemToObject(root, "metadata", cJSON_Parse("{\"name\":\"m\",\"namespace\":\"n\"}"));
    ck_assert_str_eq(rc_object_key(d), "n/m");
    rc_object_freeze(d);
    ck_assert_str_eq(rc_object_key(d), "n/m");
    ck_assert_int_eq(rc_object_get_int(d, "spec.replicas", 0), 3);
    rc_object_unref(d);
}
END_TEST

START_TEST(copy_is_independent)
{
    rc_object *o = parse(POD);
    rc_object *a = rc_object_copy(o), *b = rc_object_copy(a);
    ck_assert_int_eq(rc_object_set_label(a, "app", "changed"), 0);
    ck_assert_str_eq(rc_object_label(o, "app"), "nginx");
    ck_assert_str_eq(rc_object_label(b, "app"), "nginx");
    ck_assert_str_eq(rc_object_label(a, "app"), "changed");
    ck_assert(!rc_object_equal(a, o));
    ck_assert(rc_object_equal(b, o));
    rc_object_freeze(a);
    rc_object *c = rc_object_copy(a);
    ck_assert(rc_object_equal(c, a));
    ck_assert_ptr_null(rc_object_copy(NULL));
    rc_object_unref(c);
    rc_object_unref(b);
    rc_object_unref(a);
    rc_object_unref(o);
}
END_TEST

START_TEST(equality_ignores_member_order)
{
    rc_object *a = parse("{\"a\":1,\"b\":{\"x\":[1,2],\"y\":\"s\"}}");
    rc_object *b = parse("{\"b\":{\"y\":\"s\",\"x\":[1,2]},\"a\":1.0}");
    rc_object *c = parse("{\"b\":{\"y\":\"s\",\"x\":[2,1]},\"a\":1}");
    rc_object *e = parse("{\"a\":1,\"b\":{\"x\":[1,2],\"y\":\"s\",\"z\":null}}");
    rc_object *f = parse("{\"a\":\"1\",\"b\":{\"x\":[1,2],\"y\":\"s\"}}");
    ck_assert(rc_object_equal(a, b));
    ck_assert(!rc_object_equal(a, c));
    ck_assert(!rc_object_equal(a, e));
    ck_assert(!rc_object_equal(a, f));
    ck_assert(!rc_object_equal(a, NULL));
    ck_assert(rc_object_equal(NULL, NULL));
    rc_object *d = rc_object_copy(b);
    ck_assert(rc_object_equal(a, d));
    rc_object_unref(d);
    rc_object_unref(a);
    rc_object_unref(b);
    rc_object_unref(c);
    rc_object_unref(e);
    rc_object_unref(f);
}
END_TEST

START_TEST(keys_split_and_format)
{
    const char *ns, *name;
    size_t nl;
    ck_assert_int_eq(rc_key_split("default/web", &ns, &nl, &name), 0);
    ck_assert_uint_eq(nl, 7);
    ck_assert(strncmp(ns, "default", nl) == 0);
    ck_assert_str_eq(name, "web");
    ck_assert_int_eq(rc_key_split("node-1", &ns, &nl, &name), 0);
    ck_assert_uint_eq(nl, 0);
    ck_assert_str_eq(name, "node-1");
    ck_assert_int_eq(rc_key_split("/x", &ns, &nl, &name), 0);
    ck_assert_uint_eq(nl, 0);
    ck_assert_int_eq(rc_key_split("a/b/c", &ns, &nl, &name), RC_EBADREQUEST);
    ck_assert_int_eq(rc_key_split("a/", &ns, &nl, &name), RC_EBADREQUEST);
    ck_assert_int_eq(rc_key_split("", &ns, &nl, &name), RC_EBADREQUEST);
    ck_assert_int_eq(rc_key_split(NULL, &ns, &nl, &name), RC_EBADREQUEST);
    char buf[16];
    ck_assert_uint_eq(rc_key_format(buf, sizeof buf, "ns", "name"), 7);
    ck_assert_str_eq(buf, "ns/name");
    ck_assert_uint_eq(rc_key_format(buf, sizeof buf, "", "name"), 4);
    ck_assert_str_eq(buf, "name");
    ck_assert_uint_eq(rc_key_format(buf, sizeof buf, NULL, "name"), 4);
    ck_assert_uint_eq(rc_key_format(buf, 4, "ns", "name"), 7);
    ck_assert_str_eq(buf, "ns/");
    ck_assert_uint_eq(rc_key_format(NULL, 0, "a", "b"), 3);
}
END_TEST

static void *ref_unref_worker(void *arg)
{
    rc_object *o = arg;
    for (int i = 0; i < 20000; i++) {
        rc_object *r = rc_object_ref(o);
        ck_assert_str_eq(rc_object_name(r), "nginx-7c5ddbdf54-x8f9q");
        ck_assert_str_eq(rc_object_label(r, "app"), "nginx");
        rc_object_unref(r);
    }
    rc_object_unref(o);
    return NULL;
}

START_TEST(refcount_across_threads)
{
    rc_object *o = parse(POD);
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        rc_object_ref(o);
        ck_assert_int_eq(pthread_create(&t[i], NULL, ref_unref_worker, o), 0);
    }
    rc_object_unref(o); /* the workers hold the last references */
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    ck_assert_ptr_eq(rc_object_ref(NULL), NULL);
    rc_object_unref(NULL);
}
END_TEST

static void *parse_worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int i = 0; i < 300; i++) {
        char json[128];
        snprintf(json, sizeof json, "{\"k%d_%d\":{\"shared\":%d},\"metadata\":{\"name\":\"n\"}}", id, i, i);
        rc_object *o = rc_object_from_json(json, strlen(json), NULL);
        char key[32];
        snprintf(key, sizeof key, "k%d_%d", id, i);
        ck_assert_int_eq(rc_node_int(rc_node_get(rc_node_get(rc_object_root(o), key), "shared"), -1), i);
        rc_object_unref(o);
    }
    return NULL;
}

START_TEST(intern_table_is_thread_safe)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, parse_worker, (void *)(intptr_t)i), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
}
END_TEST

START_TEST(large_and_deep_objects)
{
    size_t cap = 4 << 20, n = 0;
    char *s = malloc(cap);
    n += (size_t)sprintf(s + n, "{\"items\":[");
    for (int i = 0; i < 5000; i++)
        n += (size_t)sprintf(s + n, "%s{\"name\":\"item-%d\",\"v\":%d,\"key-%d\":\"%0200d\"}", i ? "," : "", i, i * 7, i, i);
    n += (size_t)sprintf(s + n, "],\"deep\":");
    for (int i = 0; i < 200; i++)
        n += (size_t)sprintf(s + n, "{\"d\":");
    n += (size_t)sprintf(s + n, "1");
    for (int i = 0; i < 200; i++)
        s[n++] = '}';
    s[n++] = '}';
    s[n] = '\0';
    rc_object *o = parse(s);
    assert_json(o, s);
    ck_assert_uint_eq(rc_node_len(rc_object_at(o, "items")), 5000);
    ck_assert_int_eq(rc_object_get_int(o, "items.4999.v", 0), 4999 * 7);
    ck_assert_str_eq(rc_object_get_str(o, "items.4321.name"), "item-4321");
    ck_assert_ptr_nonnull(rc_object_get_str(o, "items.77.key-77"));
    rc_node d = rc_object_at(o, "deep");
    for (int i = 0; i < 200; i++)
        d = rc_node_get(d, "d");
    ck_assert_int_eq(rc_node_int(d, 0), 1);
    rc_object *c = rc_object_copy(o);
    rc_object_freeze(c);
    ck_assert(rc_object_equal(o, c));
    assert_json(c, s);
    rc_object_unref(c);
    rc_object_unref(o);
    free(s);
}
END_TEST

START_TEST(long_empty_and_uninterned_keys)
{
    char longkey[200];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    char json[400];
    snprintf(json, sizeof json, "{\"\":1,\"%s\":2,\"x\":{\"\":\"e\"}}", longkey);
    rc_object *o = parse(json);
    assert_json(o, json);
    rc_node root = rc_object_root(o);
    ck_assert_int_eq(rc_node_int(rc_node_get(root, ""), 0), 1);
    ck_assert_int_eq(rc_node_int(rc_node_get(root, longkey), 0), 2);
    ck_assert_str_eq(rc_node_key_at(root, 1), longkey);
    ck_assert_ptr_null(rc_object_get_str(o, "x.")); /* an empty key cannot be named in a path */
    ck_assert_str_eq(rc_node_str(rc_node_get(rc_node_get(root, "x"), "")), "e");
    rc_object *d = rc_object_copy(o);
    ck_assert(rc_object_equal(o, d));
    rc_object_unref(d);
    rc_object_unref(o);

    /* more distinct keys than the intern table holds: the rest are stored inline and still work */
    size_t cap = 2 << 20, n = 0;
    char *big = malloc(cap);
    big[n++] = '{';
    for (int i = 0; i < 70000; i++)
        n += (size_t)snprintf(big + n, cap - n, "%s\"key%d\":%d", i ? "," : "", i, i);
    big[n++] = '}';
    big[n] = '\0';
    o = parse(big);
    assert_json(o, big);
    ck_assert_int_eq(rc_object_get_int(o, "key69999", -1), 69999);
    ck_assert_int_eq(rc_object_get_int(o, "key5", -1), 5);
    ck_assert_str_eq(rc_node_key_at(rc_object_root(o), 69998), "key69998");
    rc_object_unref(o);
    free(big);
}
END_TEST

/* rc_object_to_cjson shares the intern table's keys with the tree it returns (cJSON_StringIsConst): the tree
 * is still an ordinary one to edit, copy, pack and delete, with inline (uninterned) keys copied as before. */
START_TEST(unpacked_trees_are_ordinary_cjson)
{
    char longkey[100];
    memset(longkey, 'q', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    char json[400];
    snprintf(json, sizeof json, "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},\"%s\":{\"spec\":1}}", longkey);
    rc_object *o = parse(json);
    cJSON *tree = rc_object_to_cjson(o);
    rc_object_unref(o); /* the tree outlives the object it came from */
    ck_assert_str_eq(tree->child->string, "kind");
    ck_assert_str_eq(tree->child->next->next->string, longkey);
    cJSON *copy = cJSON_Duplicate(tree, true);
    ck_assert(cJSON_Compare(tree, copy, true));
    cJSON_ReplaceItemInObjectCaseSensitive(copy, "metadata", cJSON_CreateString("m"));
    cJSON_DeleteItemFromObjectCaseSensitive(copy, longkey);
    cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(tree, longkey), "kind", cJSON_CreateNull());
    cJSON *kind = cJSON_DetachItemFromObjectCaseSensitive(tree, "kind");
    cJSON_AddItemToObject(copy, "moved", kind);
    char *a = cJSON_PrintUnformatted(tree), *b = cJSON_PrintUnformatted(copy);
    char want[400];
    snprintf(want, sizeof want, "{\"metadata\":{\"name\":\"p\"},\"%s\":{\"spec\":1,\"kind\":null}}", longkey);
    ck_assert_str_eq(a, want);
    ck_assert_str_eq(b, "{\"kind\":\"Pod\",\"metadata\":\"m\",\"moved\":\"Pod\"}");
    rc_error err = {0};
    rc_object *back = rc_object_from_cjson(tree, &err);
    assert_json(back, want);
    rc_object_unref(back);
    cJSON_free(a);
    cJSON_free(b);
    cJSON_Delete(tree);
    cJSON_Delete(copy);
}
END_TEST

/* The write path's read-only trees (rci_object_to_cjson_readonly): equal to rc_object_to_cjson's, each
 * string value in its item's allocation (cJSON_SetValuestring refuses those; copies are ordinary), and
 * packed back to the same object - a second time through the intern table's address cache. */
START_TEST(readonly_trees_read_copy_and_repack_alike)
{
    rc_object *o = parse(POD);
    cJSON *plain = rc_object_to_cjson(o), *ro = rci_object_to_cjson_readonly(o);
    rc_object_unref(o); /* the trees outlive the object */
    ck_assert(cJSON_Compare(plain, ro, true));
    cJSON *kind = cJSON_GetObjectItemCaseSensitive(ro, "kind");
    ck_assert(cJSON_IsString(kind) && (kind->type & cJSON_IsReference));
    ck_assert_ptr_null(cJSON_SetValuestring(kind, "Service"));
    ck_assert_str_eq(kind->valuestring, "Pod");
    cJSON *copy = cJSON_Duplicate(ro, true);
    cJSON *copied_kind = cJSON_GetObjectItemCaseSensitive(copy, "kind");
    ck_assert(!(copied_kind->type & cJSON_IsReference));
    ck_assert_ptr_nonnull(cJSON_SetValuestring(copied_kind, "Pod"));
    for (int round = 0; round < 2; round++) {
        rc_object *back = rc_object_from_cjson(round ? copy : ro, NULL);
        assert_json(back, POD);
        rc_object_unref(back);
    }
    cJSON_Delete(copy);
    cJSON_Delete(ro);
    cJSON_Delete(plain);
}
END_TEST

/* rci_intern_known answers only for the table's own string of a key, once rci_intern has seen it: a copy
 * of the same text is looked up by its bytes (rci_intern), never by address. */
START_TEST(intern_address_cache_knows_only_table_strings)
{
    const char *own = rci_intern_str(RCI_K_METADATA, NULL);
    ck_assert_uint_eq(rci_intern(own, strlen(own)), RCI_K_METADATA);
    ck_assert_uint_eq(rci_intern_known(own), RCI_K_METADATA);
    char copy[] = "metadata";
    ck_assert_uint_eq(rci_intern(copy, strlen(copy)), RCI_K_METADATA);
    ck_assert_uint_eq(rci_intern_known(copy), RCI_INTERN_NONE);
    ck_assert_uint_eq(rci_intern_known(""), RCI_INTERN_NONE);
    uint32_t id = rci_intern("readonly-cache-test-key", 23);
    if (id == RCI_INTERN_NONE) /* the key table is full: an earlier case of this process filled it (no fork) */
        return;
    const char *fresh = rci_intern_str(id, NULL);
    ck_assert_uint_eq(rci_intern_known(fresh), RCI_INTERN_NONE); /* not yet seen by its address */
    ck_assert_uint_eq(rci_intern(fresh, 23), id);
    ck_assert_uint_eq(rci_intern_known(fresh), id);
}
END_TEST

/* Packs objects of growing and shrinking sizes (past the 1 MiB a thread keeps for reuse) and checks each. */
static void *pack_sizes(void *arg)
{
    int seed = *(const int *)arg;
    char *s = malloc(3 << 20);
    for (int round = 0; round < 6; round++) {
        int items = (round % 3 == 1) ? 12000 : 3 + round * 10 + seed;
        size_t n = (size_t)sprintf(s, "{\"metadata\":{\"name\":\"r%d\"},\"items\":[", round);
        for (int i = 0; i < items; i++)
            n += (size_t)sprintf(s + n, "%s{\"name\":\"item-%d\",\"pad\":\"%080d\"}", i ? "," : "", i, i);
        strcpy(s + n, "]}");
        cJSON *tree = cJSON_Parse(s);
        rc_error err = {0};
        rc_object *o = rc_object_from_cjson(tree, &err);
        rc_object *d = rc_object_freeze(rc_object_new_draft(tree));
        ck_assert_ptr_nonnull(o);
        ck_assert_ptr_nonnull(d);
        ck_assert(rc_object_equal(o, d));
        char path[32];
        snprintf(path, sizeof path, "items.%d.name", items - 1);
        char want[32];
        snprintf(want, sizeof want, "item-%d", items - 1);
        ck_assert_str_eq(rc_object_get_str(o, path), want);
        assert_json(o, s);
        rc_object_unref(o);
        rc_object_unref(d);
    }
    free(s);
    return NULL;
}

START_TEST(packing_from_many_threads)
{
    pthread_t t[3];
    int seeds[3] = {0, 1, 2};
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, pack_sizes, &seeds[i]), 0);
    pack_sizes(&(int){3});
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("object");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, pod_round_trips_byte_identical);
    tcase_add_test(tc, accessors_frozen_and_draft);
    tcase_add_test(tc, absent_metadata_defaults);
    tcase_add_test(tc, bad_json_is_rejected_with_position);
    tcase_add_test(tc, numbers_and_scalars);
    tcase_add_test(tc, strings_escapes_and_unicode);
    tcase_add_test(tc, nodes_walk_both_forms);
    tcase_add_test(tc, setters_metadata);
    tcase_add_test(tc, setters_by_path);
    tcase_add_test(tc, copy_is_independent);
    tcase_add_test(tc, equality_ignores_member_order);
    tcase_add_test(tc, keys_split_and_format);
    tcase_add_test(tc, refcount_across_threads);
    tcase_add_test(tc, intern_table_is_thread_safe);
    tcase_add_test(tc, large_and_deep_objects);
    tcase_add_test(tc, long_empty_and_uninterned_keys);
    tcase_add_test(tc, unpacked_trees_are_ordinary_cjson);
    tcase_add_test(tc, readonly_trees_read_copy_and_repack_alike);
    tcase_add_test(tc, intern_address_cache_knows_only_table_strings);
    tcase_add_test(tc, packing_from_many_threads);
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
