/* test_tree_equal.c - rci_tree_equal, the write path's deep comparison (lib/apiserver/tree_equal.c): on
 * pairs in the same and in different member order, nested, with numbers, arrays, types and NULL, it must
 * give the answer cJSON_Compare(a, b, true) gives. */
#include <reconcile.h>
#include <stdlib.h>

#include "apiserver/tree_equal.h"
#include "support/sq_json.h"
#include "support/testutil.h"

/* Checks rci_tree_equal against the expected answer and against cJSON_Compare, both ways round. */
static void check_pair(const char *a_text, const char *b_text, bool want)
{
    cJSON *a = json(a_text), *b = json(b_text);
    ck_assert_msg(rci_tree_equal(a, b) == want, "%s vs %s", a_text, b_text);
    ck_assert_msg(rci_tree_equal(b, a) == want, "%s vs %s", b_text, a_text);
    ck_assert_int_eq(want, cJSON_Compare(a, b, true));
    cJSON_Delete(a);
    cJSON_Delete(b);
}

START_TEST(same_order_and_reordered_objects)
{
    check_pair("{\"a\":1,\"b\":{\"c\":[1,2,{\"d\":\"x\"}]}}", "{\"a\":1,\"b\":{\"c\":[1,2,{\"d\":\"x\"}]}}", true);
    check_pair("{\"a\":1,\"b\":{\"c\":\"x\",\"d\":null}}", "{\"b\":{\"d\":null,\"c\":\"x\"},\"a\":1}", true);
    check_pair("{\"a\":1,\"b\":{\"c\":\"x\"}}", "{\"b\":{\"c\":\"y\"},\"a\":1}", false);
    check_pair("{\"a\":1,\"b\":2}", "{\"a\":1,\"c\":2}", false);
    check_pair("{\"a\":1,\"b\":2}", "{\"a\":1}", false);
    check_pair("{\"a\":1}", "{\"b\":1,\"a\":1}", false);
    check_pair("{}", "{}", true);
}
END_TEST

START_TEST(values_arrays_and_types)
{
    check_pair("[1,2,3]", "[1,2,3]", true);
    check_pair("[1,2,3]", "[1,3,2]", false);
    check_pair("[1,2]", "[1,2,3]", false);
    check_pair("{\"n\":1.5}", "{\"n\":1.5000000000000000001}", true);
    check_pair("{\"n\":1}", "{\"n\":2}", false);
    check_pair("{\"n\":1}", "{\"n\":\"1\"}", false);
    check_pair("{\"n\":true}", "{\"n\":false}", false);
    check_pair("{\"n\":null}", "{\"n\":null}", true);
    check_pair("{\"s\":\"\"}", "{\"s\":\"\"}", true);
    check_pair("[{}]", "[[]]", false);
    cJSON *a = json("{\"a\":1}");
    ck_assert(!rci_tree_equal(a, NULL));
    ck_assert(!rci_tree_equal(NULL, a));
    ck_assert(!rci_tree_equal(NULL, NULL));
    ck_assert(rci_tree_equal(a, a));
    cJSON_Delete(a);
}
END_TEST

/* Members shared by reference (a status write shares the stored members with the stored tree) are equal
 * without a walk, and still compare by content against a copy. */
START_TEST(shared_members)
{
    cJSON *a = json("{\"spec\":{\"x\":[1,{\"y\":\"z\"}]},\"list\":[1,2]}");
    cJSON *b = cJSON_CreateObject();
    cJSON_AddItemToObject(b, "spec", cJSON_CreateObjectReference(cJSON_GetObjectItem(a, "spec")->child));
    cJSON_AddItemToObject(b, "list", cJSON_CreateArrayReference(cJSON_GetObjectItem(a, "list")->child));
    ck_assert(rci_tree_equal(a, b));
    ck_assert(rci_tree_equal(b, a));
    cJSON *copy = json("{\"spec\":{\"x\":[1,{\"y\":\"z\"}]},\"list\":[1,2]}");
    ck_assert(rci_tree_equal(b, copy));
    cJSON *other = json("{\"spec\":{\"x\":[1,{\"y\":\"w\"}]},\"list\":[1,2]}");
    ck_assert(!rci_tree_equal(b, other));
    cJSON_Delete(b); /* references: a's members stay */
    ck_assert(rci_tree_equal(a, copy));
    cJSON_Delete(a);
    cJSON_Delete(copy);
    cJSON_Delete(other);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tree_equal");
    TCase *tc = tcase_create("tree_equal");
    tcase_add_test(tc, same_order_and_reordered_objects);
    tcase_add_test(tc, values_arrays_and_types);
    tcase_add_test(tc, shared_members);
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
