/* test_util.c - errors, clocks, the random source and the internal hash map. */
#include <reconcile.h>
#include <stdio.h>
#include <string.h>

#include "support/testutil.h"
#include "util/map.h"
#include "util/strbuf.h"

START_TEST(error_codes_map_to_status)
{
    rc_error err = {0};
    ck_assert_int_eq(rc_error_set(&err, RC_ENOTFOUND, "pods \"%s\" not found", "web-0"), RC_ENOTFOUND);
    ck_assert_str_eq(err.reason, "NotFound");
    ck_assert_int_eq(err.http_status, 404);
    ck_assert_str_eq(err.message, "pods \"web-0\" not found");
    rc_error_add_cause(&err, "spec.replicas", "FieldValueInvalid", "must be >= %d", 0);
    ck_assert_uint_eq(err.ncauses, 1);
    ck_assert_str_eq(err.causes[0].field, "spec.replicas");
    rc_error_clear(&err);
    ck_assert_ptr_null(err.message);
    ck_assert_int_eq(rc_error_from_http(409, "AlreadyExists"), RC_EEXISTS);
    ck_assert_int_eq(rc_error_from_http(409, "Conflict"), RC_ECONFLICT);
    ck_assert_int_eq(rc_error_from_http(410, "Expired"), RC_EGONE);
    ck_assert_int_eq(rc_error_from_http(410, "Gone"), RC_EGONE);
    ck_assert_int_eq(rc_error_from_http(422, NULL), RC_EINVAL);
    ck_assert_int_eq(rc_error_set(NULL, RC_EINVAL, "ignored"), RC_EINVAL);
    rc_error src = {0};
    rc_error_set(&src, RC_ECONFLICT, "moved nowhere");
    rc_error_move(NULL, &src); /* releases it: no leak under ASan/valgrind */
    ck_assert_ptr_null(src.message);
}
END_TEST

START_TEST(virtual_clock_moves_only_when_told)
{
    rc_clock *c = rc_clock_virtual_new(1000);
    ck_assert(rc_clock_is_virtual(c));
    ck_assert_int_eq(rc_clock_now(c), 1000);
    ck_assert_int_eq(rc_clock_advance(c, 5 * RC_SEC), 0);
    ck_assert_int_eq(rc_clock_now(c), 1000 + 5 * RC_SEC);
    ck_assert_int_eq(rc_clock_advance(c, -1), RC_EINVAL);
    ck_assert_int_eq(rc_clock_set(c, 10), RC_EINVAL);
    ck_assert_int_eq(rc_clock_real_delay(c, 0), RC_TIME_NEVER);
    rc_clock_free(c);
    ck_assert_int_eq(rc_clock_advance(rc_clock_real(), 1), RC_EINVAL);
    ck_assert_int_eq(rc_clock_real_delay(rc_clock_real(), 0), 0);
}
END_TEST

START_TEST(rand_is_deterministic)
{
    rc_rand a, b;
    rc_rand_seed(&a, 42);
    rc_rand_seed(&b, 42);
    for (int i = 0; i < 100; i++)
        ck_assert_uint_eq(rc_rand_next(&a), rc_rand_next(&b));
    for (int i = 0; i < 1000; i++) {
        ck_assert_uint_lt(rc_rand_below(&a, 7), 7);
        double d = rc_rand_double(&a);
        ck_assert(d >= 0 && d < 1);
    }
}
END_TEST

START_TEST(map_put_get_remove_grow)
{
    rci_map m;
    rci_map_init(&m);
    static char keys[5000][24];
    for (int i = 0; i < 5000; i++) {
        snprintf(keys[i], sizeof keys[i], "ns/k-%d", i);
        ck_assert_int_eq(rci_map_put(&m, keys[i], (void *)(intptr_t)(i + 1), NULL), 0);
    }
    ck_assert_uint_eq(rci_map_count(&m), 5000);
    for (int i = 0; i < 5000; i += 2)
        ck_assert_ptr_eq(rci_map_remove(&m, keys[i]), (void *)(intptr_t)(i + 1));
    for (int i = 0; i < 5000; i++)
        ck_assert_ptr_eq(rci_map_get(&m, keys[i]), i % 2 ? (void *)(intptr_t)(i + 1) : NULL);
    void *old;
    ck_assert_int_eq(rci_map_put(&m, keys[1], (void *)7, &old), 0);
    ck_assert_ptr_eq(old, (void *)2);
    size_t it = 0, n = 0;
    const rci_map_entry *e;
    while (rci_map_next(&m, &it, &e))
        n++;
    ck_assert_uint_eq(n, 2500);
    rci_map_free(&m);
}
END_TEST

START_TEST(strbuf_escapes_json)
{
    rci_strbuf b;
    rci_strbuf_init(&b);
    rci_strbuf_json_string(&b, "a\"b\\c\n\x01");
    char *s = rci_strbuf_take(&b);
    ck_assert_str_eq(s, "\"a\\\"b\\\\c\\n\\u0001\"");
    free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("util");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, error_codes_map_to_status);
    tcase_add_test(tc, virtual_clock_moves_only_when_told);
    tcase_add_test(tc, rand_is_deterministic);
    tcase_add_test(tc, map_put_get_remove_grow);
    tcase_add_test(tc, strbuf_escapes_json);
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
