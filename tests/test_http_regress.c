/* test_http_regress.c - the HTTP server's socket-free entry (rci_http_serve) as the fuzz harness drives it
 * (fuzz/http_world.h): query and header decoding, authentication, impersonation and RBAC from a parsed
 * request, and a replay of every input under fuzz/seeds/http/ - the seed corpus and the inputs of past
 * findings - each on a fresh server, so a finding that comes back fails here, not only under the fuzzer. */
#include "../fuzz/http_world.h"

#include <dirent.h>

#include "support/testutil.h"

#define SEEDS "fuzz/seeds/http"

static hw_world world;

static void setup(void)
{
    rc_log_set_level(RC_LOG_OFF);
    rc_error err = {0};
    ck_assert_int_eq(hw_world_open(&world, false, &err), 0);
}

static void teardown(void) { hw_world_close(&world); }

/* Serves the input text; returns the status and, when body is not NULL, the body (caller frees). */
static int serve(const char *input, char **body)
{
    hw_request rq;
    hw_parse((const unsigned char *)input, strlen(input), &rq);
    rci_http_reply rep;
    hw_serve_direct(&world, &rq, &rep);
    hw_request_free(&rq);
    int status = rep.status;
    if (body) {
        *body = strndup(rep.body ? rep.body : "", rep.len);
        ck_assert_ptr_nonnull(*body);
    }
    rci_http_reply_clear(&rep);
    return status;
}

START_TEST(direct_requests_authenticate_and_authorize)
{
    char *body = NULL;
    ck_assert_int_eq(serve("GET /api/v1/namespaces/mynamespace/configmaps/my-config\n", NULL), 401);
    ck_assert_int_eq(serve("GET /api/v1/namespaces/mynamespace/configmaps/my-config\n"
                           "Authorization: Bearer wrong\n", NULL), 401);
    ck_assert_int_eq(serve("GET /api/v1/namespaces/mynamespace/configmaps/my-config\n"
                           "authorization:   Bearer admin-token  \n", &body), 200);
    ck_assert_ptr_nonnull(strstr(body, "\"greeting\":\"hello\""));
    free(body);
    /* example-sa may get my-config and list pods, nothing else. */
    ck_assert_int_eq(serve("GET /api/v1/namespaces/mynamespace/configmaps/my-config\n"
                           "Authorization: Bearer sa-token\n", NULL), 200);
    ck_assert_int_eq(serve("GET /api/v1/namespaces/mynamespace/configmaps\nAuthorization: Bearer sa-token\n", NULL),
                     403);
    ck_assert_int_eq(serve("DELETE /api/v1/namespaces/mynamespace/pods/web\nAuthorization: Bearer sa-token\n", NULL),
                     403);
    ck_assert_int_eq(serve("GET /api/v1/namespaces/mynamespace/pods/web\nAuthorization: Bearer jane-token\n", NULL),
                     403);
}
END_TEST

START_TEST(direct_requests_impersonate)
{
    const char *as_sa = "GET /api/v1/namespaces/mynamespace/configmaps\nAuthorization: Bearer %s\n"
                        "Impersonate-User: system:serviceaccount:mynamespace:example-sa\n";
    char text[256];
    snprintf(text, sizeof text, as_sa, "admin-token");
    ck_assert_int_eq(serve(text, NULL), 403); /* acting as example-sa, which may not list configmaps */
    snprintf(text, sizeof text, as_sa, "jane-token");
    ck_assert_int_eq(serve(text, NULL), 403); /* jane may not impersonate */
    ck_assert_int_eq(serve("GET /api/v1/namespaces/mynamespace/pods\nAuthorization: Bearer admin-token\n"
                           "Impersonate-User: someone\nImpersonate-Group: system:masters\n"
                           "Impersonate-Group: dev\n", NULL), 200);
    ck_assert_int_eq(serve("GET /api/v1/namespaces/mynamespace/pods\nAuthorization: Bearer admin-token\n"
                           "Impersonate-Group: dev\n", NULL), 400); /* a group needs a user */
}
END_TEST

START_TEST(direct_requests_decode_path_and_query)
{
    char *body = NULL;
    ck_assert_int_eq(serve("GET /api/v1/namespaces/mynamespace/pods?labelSelector=app%3Dweb&limit=5\n"
                           "Authorization: Bearer admin-token\n", &body), 200);
    ck_assert_ptr_nonnull(strstr(body, "\"name\":\"web\""));
    free(body);
    ck_assert_int_eq(serve("GET /api/v1/namespaces/mynamespace/pods?labelSelector=app+in+%28db%29\n"
                           "Authorization: Bearer admin-token\n", &body), 200);
    ck_assert_ptr_null(strstr(body, "\"name\":\"web\""));
    free(body);
    ck_assert_int_eq(serve("GET /api/v1/namespaces/mynamespace/pods?limit=x\nAuthorization: Bearer admin-token\n",
                           NULL), 400);
    ck_assert_int_eq(serve("GET /api/v1/namespaces/my%6eamespace/pods/w%65b\nAuthorization: Bearer admin-token\n",
                           NULL), 200);
    ck_assert_int_eq(serve("GET /api/v1/namespaces/mynamespace/pods/web%00x\nAuthorization: Bearer admin-token\n",
                           NULL), 200); /* %00 ends the decoded path, as libmicrohttpd's does */
    ck_assert_int_eq(serve("GET /version\nAuthorization: Bearer admin-token\n", NULL), 200);
}
END_TEST

START_TEST(every_seed_gets_a_reply)
{
    DIR *d = opendir(SEEDS);
    ck_assert_ptr_nonnull(d);
    size_t replayed = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", SEEDS, e->d_name);
        size_t len = 0;
        char *data = rc_test_read_file(path, &len);
        ck_assert_msg(data != NULL, "cannot read %s", path);
        hw_world_close(&world);
        setup(); /* every input starts from the same state, as under the fuzzer */
        hw_request rq;
        hw_parse((const unsigned char *)data, len, &rq);
        rci_http_reply rep;
        hw_serve_direct(&world, &rq, &rep);
        ck_assert_msg(rep.status >= 200 && rep.status <= 599, "%s: status %d", path, rep.status);
        ck_assert_msg(rep.body || rep.stream || !rep.len, "%s: a length without a body", path);
        rci_http_reply_clear(&rep);
        hw_request_free(&rq);
        free(data);
        replayed++;
    }
    closedir(d);
    ck_assert_uint_ge(replayed, 30);
}
END_TEST

static Suite *regress_suite(void)
{
    Suite *s = suite_create("http_regress");
    TCase *tc = tcase_create("direct");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, direct_requests_authenticate_and_authorize);
    tcase_add_test(tc, direct_requests_impersonate);
    tcase_add_test(tc, direct_requests_decode_path_and_query);
    tcase_add_test(tc, every_seed_gets_a_reply);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return rc_test_run_suite(regress_suite()); }
