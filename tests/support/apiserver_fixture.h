/* apiserver_fixture.h - the fixture shared by the suites that drive an embedded API server through its
 * in-process client (test_apiserver.c, test_apiserver_gaps.c, test_client.c): a virtual clock at T0, the
 * server and its unauthenticated client as file-scope statics, and helpers to parse and create objects.
 * Header-only (static inline) because every .c file in tests/support is linked into every test program;
 * include it from one test file per program. */
#ifndef RC_TEST_APISERVER_FIXTURE_H
#define RC_TEST_APISERVER_FIXTURE_H

#include <reconcile.h>
#include <reconcile/apiserver.h>
#include <reconcile/client.h>

#include <stdint.h>
#include <string.h>

#include "support/testutil.h"

#define T0 ((rc_time)1700000000 * RC_SEC)

static rc_clock *clk;
static rc_apiserver *srv;
static rc_client *cl;

/* Starts the server on a virtual clock at T0 with the given seed (uids, generateName suffixes). */
static inline void apiserver_fixture_open(uint64_t seed)
{
    clk = rc_clock_virtual_new(T0);
    rc_apiserver_options o = {.clock = clk, .seed = seed};
    rc_error err = {0};
    srv = rc_apiserver_new(&o, &err);
    ck_assert_msg(srv, "%s", err.message ? err.message : "?");
    cl = rc_apiserver_client(srv, NULL);
}

static inline void apiserver_fixture_close(void)
{
    rc_client_unref(cl);
    rc_apiserver_free(srv);
    rc_clock_free(clk);
}

/* Parses json into a new object (caller unrefs); asserts it parses. */
static inline rc_object *obj(const char *json)
{
    rc_object *o = rc_object_from_json(json, strlen(json), NULL);
    ck_assert_ptr_nonnull(o);
    return o;
}

/* Creates json (resource from its kind) through cl and returns rc_client_create's result; out and wo as
 * there (either may be NULL). */
static inline int create_rc(const char *json, const rc_write_options *wo, rc_object **out, rc_error *err)
{
    rc_object *in = obj(json);
    int rc = rc_client_create(cl, NULL, NULL, in, wo, out, err);
    rc_object_unref(in);
    return rc;
}

/* Creates json through cl, asserts success and returns the stored object (caller unrefs). */
static inline rc_object *create(const char *json)
{
    rc_object *out = NULL;
    rc_error err = {0};
    int rc = create_rc(json, NULL, &out, &err);
    ck_assert_msg(rc == 0, "create failed: %s", err.message ? err.message : "?");
    rc_error_clear(&err);
    return out;
}

#endif
