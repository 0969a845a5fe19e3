/* test_http_stack.c - the client half of the HTTP protocol end to end in one process: a manager whose
 * rc_client is the HTTP backend runs the ReplicaSet controller (reflector list+watch over HTTP, informer,
 * workqueue, reconciles writing pods over HTTP) against an rc_http_server, and the HTTP client over TLS
 * (a self-signed certificate made with openssl at test time; that case is skipped when openssl is absent)
 * with bearer tokens: CA file and CA data verify, an unknown CA fails, insecure-skip-tls-verify connects,
 * a wrong token is 401, and watches stream over TLS. Also strict field validation and null dropping over HTTP. Waits block on in-process watches with deadlines. */
#include <reconcile.h>
#include <reconcile/apiserver.h>
#include <reconcile/client.h>
#include <reconcile/controllers.h>
#include <reconcile/httpserver.h>
#include <reconcile/kubeconfig.h>
#include <reconcile/manager.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/testutil.h"

#define WAIT_LIMIT (20 * RC_SEC)

static rc_object *obj(const char *json)
{
    rc_object *o = rc_object_from_json(json, strlen(json), NULL);
    ck_assert_ptr_nonnull(o);
    return o;
}

static size_t live_pods(rc_client *c, const char *selector)
{
    rc_object_list l;
    rc_object_list_init(&l);
    rc_list_options lo = {.label_selector = selector};
    ck_assert_int_eq(rc_client_list(c, "pods", "default", &lo, &l, NULL), 0);
    size_t n = 0;
    for (size_t i = 0; i < l.count; i++)
        n += rc_object_deletion_timestamp(l.items[i]) == 0;
    rc_object_list_clear(&l);
    return n;
}

/* Blocks on w's events until `selector` selects `want` live pods or the limit passes; true on success. */
static bool wait_pods(rc_client *c, rc_watch *w, const char *selector, size_t want)
{
    rc_time deadline = rc_clock_now(rc_clock_real()) + WAIT_LIMIT;
    while (live_pods(c, selector) != want) {
        rc_duration left = deadline - rc_clock_now(rc_clock_real());
        if (left <= 0)
            return false;
        rc_watch_wait(w, left);
        rc_watch_event ev;
        while (rc_watch_next(w, &ev) == 0)
            rc_watch_event_clear(&ev);
    }
    return true;
}

#define RS(replicas)                                                                                            \
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"metadata\":{\"name\":\"web\",\"namespace\":"        \
    "\"default\"},\"spec\":{\"replicas\":" #replicas ",\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"      \
    "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"c\","     \
    "\"image\":\"nginx\"}]}}}}"

START_TEST(controller_stack_over_http)
{
    rc_error err = {0};
    rc_apiserver_options so = {.auto_pump = true};
    rc_apiserver *srv = rc_apiserver_new(&so, &err);
    ck_assert_ptr_nonnull(srv);
    rc_http_server *hs = rc_http_server_new(srv, NULL, &err);
    ck_assert_ptr_nonnull(hs);
    ck_assert_int_eq(rc_http_server_start(hs, &err), 0);
    char url[128];
    rc_kubeconfig kc = {.server = (char *)rc_http_server_url(hs, url, sizeof url)};
    rc_client *http = rc_http_client_new(&kc, NULL, &err);
    ck_assert_msg(http != NULL, "%s", err.message);
    rc_client *local = rc_apiserver_client(srv, NULL);

    rc_manager *m = NULL;
    rc_manager_options mo = {.client = http, .seed = 7};
    ck_assert_int_eq(rc_manager_new(&mo, &m, &err), 0);
    const rc_controller_ops *ops;
    void *self;
    ck_assert_int_eq(rc_replicaset_controller_new(NULL, &ops, &self, &err), 0);
    ck_assert_int_eq(rc_manager_add_controller(m, ops, self, NULL, &err), 0);
    ck_assert_int_eq(rc_manager_start(m, &err), 0);

    rc_watch *w = NULL;
    ck_assert_int_eq(rc_client_watch(local, "pods", "default", NULL, &w, &err), 0);
    rc_object *rs = obj(RS(3));
    ck_assert_int_eq(rc_client_create(http, NULL, NULL, rs, NULL, NULL, &err), 0);
    ck_assert_msg(wait_pods(local, w, "app=web", 3), "the controller made %zu pods", live_pods(local, "app=web"));

    static const char scale[] = "{\"spec\":{\"replicas\":1}}";
    ck_assert_int_eq(rc_client_patch(http, "replicasets", "default", "web", RC_PATCH_MERGE, scale, strlen(scale),
                                     NULL, NULL, &err), 0);
    ck_assert_msg(wait_pods(local, w, "app=web", 1), "scale down left %zu pods", live_pods(local, "app=web"));

    /* The pods were written through HTTP by the controller, owned by the ReplicaSet. */
    rc_object_list l;
    rc_object_list_init(&l);
    ck_assert_int_eq(rc_client_list(http, "pods", "default", NULL, &l, &err), 0);
    ck_assert_uint_ge(l.count, 1);
    char *text = rc_object_to_json(l.items[0], NULL);
    ck_assert_ptr_nonnull(strstr(text, "\"kind\":\"ReplicaSet\""));
    free(text);
    rc_object_list_clear(&l);
    char *metrics = NULL;
    ck_assert_int_eq(rc_manager_metrics_text(m, &metrics, &err), 0);
    ck_assert_ptr_nonnull(strstr(metrics, "controller=\"replicaset\""));
    free(metrics);

    rc_manager_stop(m);
    rc_manager_wait(m);
    rc_manager_free(m);
    rc_watch_stop(w);
    rc_watch_unref(w);
    rc_object_unref(rs);
    rc_client_unref(local);
    rc_client_unref(http);
    rc_http_server_free(hs);
    rc_apiserver_free(srv);
    rc_error_clear(&err);
}
END_TEST

/* fieldValidation=Strict travels over HTTP: an unknown field is a 400 with upstream's message, the
 * same object without it is created; nulls inside JSON patch values are dropped (rollout undo's template). */
START_TEST(strict_fields_and_nulls_over_http)
{
    rc_error err = {0};
    rc_apiserver_options so = {.auto_pump = true};
    rc_apiserver *srv = rc_apiserver_new(&so, &err);
    rc_http_server *hs = rc_http_server_new(srv, NULL, &err);
    ck_assert_int_eq(rc_http_server_start(hs, &err), 0);
    char url[128];
    rc_kubeconfig kc = {.server = (char *)rc_http_server_url(hs, url, sizeof url)};
    rc_client *c = rc_http_client_new(&kc, NULL, &err);
    ck_assert_ptr_nonnull(c);
    rc_write_options strict = {.field_validation = RC_FIELD_VALIDATION_STRICT};
    rc_object *typo = obj("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"s\","
                          "\"namespace\":\"default\"},\"spec\":{\"clusterIp\":\"None\",\"ports\":[{\"port\":80}]}}");
    ck_assert_int_eq(rc_client_create(c, NULL, NULL, typo, &strict, NULL, &err), RC_EBADREQUEST);
    ck_assert_msg(strstr(err.message, "strict decoding error: unknown field \"spec.clusterIp\"") != NULL, "%s",
                  err.message);
    rc_error_clear(&err);
    rc_object *svc = obj("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"s\","
                         "\"namespace\":\"default\"},\"spec\":{\"clusterIP\":\"None\",\"ports\":[{\"port\":80}]}}");
    ck_assert_int_eq(rc_client_create(c, NULL, NULL, svc, &strict, NULL, &err), 0);

    rc_object *rs = obj(RS(0));
    ck_assert_int_eq(rc_client_create(c, NULL, NULL, rs, NULL, NULL, &err), 0);
    static const char undo[] = "[{\"op\":\"replace\",\"path\":\"/spec/template\",\"value\":{\"metadata\":{"
                               "\"creationTimestamp\":null,\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":["
                               "{\"name\":\"c\",\"image\":\"nginx:2\",\"resources\":{}}]}}}]";
    rc_object *res = NULL;
    ck_assert_int_eq(rc_client_patch(c, "replicasets", "default", "web", RC_PATCH_JSON, undo, strlen(undo), NULL,
                                     &res, &err), 0);
    char *text = rc_object_to_json(res, NULL);
    ck_assert_msg(strstr(text, "\"creationTimestamp\":null") == NULL, "%s", text);
    ck_assert_ptr_nonnull(strstr(text, "nginx:2"));
    free(text);
    static const char bad[] = "{\"op\":\"replace\"}";
    ck_assert_int_ne(rc_client_patch(c, "replicasets", "default", "web", RC_PATCH_JSON, bad, strlen(bad), NULL,
                                     NULL, &err), 0);
    rc_error_clear(&err);

    rc_object_unref(res);
    rc_object_unref(rs);
    rc_object_unref(svc);
    rc_object_unref(typo);
    rc_client_unref(c);
    rc_http_server_free(hs);
    rc_apiserver_free(srv);
}
END_TEST

/* ---- TLS ---- */

typedef struct tls_files {
    char dir[64], cert[96], key[96], tokens[96];
} tls_files;

/* A self-signed certificate for 127.0.0.1 and a token file; false when openssl is unavailable. */
static bool make_tls_files(tls_files *t)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/rc-tls-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(t->dir));
    snprintf(t->cert, sizeof t->cert, "%s/cert.pem", t->dir);
    snprintf(t->key, sizeof t->key, "%s/key.pem", t->dir);
    snprintf(t->tokens, sizeof t->tokens, "%s/tokens.csv", t->dir);
    FILE *f = fopen(t->tokens, "w");
    ck_assert_ptr_nonnull(f);
    fputs("admintoken,admin,1,\"system:masters\"\n", f);
    fclose(f);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 1 -subj /CN=127.0.0.1 "
             "-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
             t->key, t->cert);
    return system("command -v openssl >/dev/null 2>&1") == 0 && system(cmd) == 0;
}

static void remove_tls_files(const tls_files *t)
{
    unlink(t->cert);
    unlink(t->key);
    unlink(t->tokens);
    rmdir(t->dir);
}

static rc_client *tls_client(const char *url, const rc_kubeconfig *base, int want_rc)
{
    rc_kubeconfig kc = *base;
    kc.server = (char *)url;
    rc_http_client_options co = {.max_retries = -1, .timeout = 10 * RC_SEC};
    rc_error err = {0};
    rc_client *c = rc_http_client_new(&kc, &co, &err);
    if (want_rc == 0)
        ck_assert_msg(c != NULL, "%s", err.message);
    else
        ck_assert_msg(c == NULL && err.code == want_rc, "got %d: %s", err.code, err.message ? err.message : "");
    rc_error_clear(&err);
    return c;
}

START_TEST(client_over_tls)
{
    tls_files t;
    if (!make_tls_files(&t)) {
        remove_tls_files(&t);
        fprintf(stderr, "client_over_tls: skipped: openssl is not available\n");
        return;
    }
    rc_error err = {0};
    rc_apiserver_options so = {.auto_pump = true};
    rc_apiserver *srv = rc_apiserver_new(&so, &err);
    rc_http_options ho = {.tls_cert_file = t.cert, .tls_key_file = t.key, .token_auth_file = t.tokens};
    rc_http_server *hs = rc_http_server_new(srv, &ho, &err);
    ck_assert_msg(hs != NULL, "%s", err.message);
    ck_assert_int_eq(rc_http_server_start(hs, &err), 0);
    char url[128];
    rc_http_server_url(hs, url, sizeof url);
    ck_assert_int_eq(strncmp(url, "https://127.0.0.1:", 18), 0);

    /* Verified with the certificate as CA file; CRUD and a watch over TLS. */
    rc_client *c = tls_client(url, &(rc_kubeconfig){.ca_file = t.cert, .token = "admintoken"}, 0);
    rc_watch *w = NULL;
    ck_assert_int_eq(rc_client_watch(c, "configmaps", "default", NULL, &w, &err), 0);
    rc_object *cm = obj("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"tls\","
                        "\"namespace\":\"default\"},\"data\":{\"k\":\"v\"}}");
    ck_assert_int_eq(rc_client_create(c, NULL, NULL, cm, NULL, NULL, &err), 0);
    rc_object *got = NULL;
    ck_assert_int_eq(rc_client_get(c, "configmaps", "default", "tls", &got, &err), 0);
    ck_assert_str_eq(rc_object_name(got), "tls");
    rc_watch_event ev = {0};
    ck_assert(rc_watch_wait(w, WAIT_LIMIT));
    ck_assert_int_eq(rc_watch_next(w, &ev), 0);
    ck_assert_int_eq(ev.type, RC_WATCH_ADDED);
    ck_assert_str_eq(rc_object_name(ev.object), "tls");
    rc_watch_event_clear(&ev);
    rc_watch_stop(w);
    rc_watch_unref(w);

    /* The same CA as in-memory PEM data (certificate-authority-data). */
    size_t pem_len = 0;
    char *pem = rc_test_read_file(t.cert, &pem_len);
    ck_assert_ptr_nonnull(pem);
    rc_client *c2 = tls_client(url, &(rc_kubeconfig){.ca_data = pem, .ca_data_len = pem_len, .token = "admintoken"}, 0);
    rc_object_unref(got);
    got = NULL;
    ck_assert_int_eq(rc_client_get(c2, "configmaps", "default", "tls", &got, &err), 0);

    /* Verification is on by default: the system CAs do not know a self-signed certificate. */
    tls_client(url, &(rc_kubeconfig){.token = "admintoken"}, RC_EIO);
    rc_client *c3 = tls_client(url, &(rc_kubeconfig){.insecure_skip_tls_verify = true, .token = "admintoken"}, 0);
    /* A wrong token is refused by the server (401), over a verified connection. */
    tls_client(url, &(rc_kubeconfig){.ca_file = t.cert, .token = "nope"}, RC_EUNAUTHORIZED);

    free(pem);
    rc_object_unref(cm);
    rc_object_unref(got);
    rc_client_unref(c);
    rc_client_unref(c2);
    rc_client_unref(c3);
    rc_http_server_free(hs);
    rc_apiserver_free(srv);
    remove_tls_files(&t);
    rc_error_clear(&err);
}
END_TEST

static Suite *http_stack_suite(void)
{
    Suite *s = suite_create("http_stack");
    TCase *tc = tcase_create("http_stack");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, controller_stack_over_http);
    tcase_add_test(tc, strict_fields_and_nulls_over_http);
    tcase_add_test(tc, client_over_tls);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return rc_test_run_suite(http_stack_suite()); }
