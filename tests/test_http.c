/* test_http.c - rc_http_server and the HTTP rc_client backend, over loopback in this process: every verb
 * through rc_http_client_new, watch streams (events, timeouts, 410, fan-out to many watchers, departed
 * clients, server stop), typed errors, raw requests with
 * libcurl (discovery, OpenAPI, Tables, Status bodies, protobuf SelfSubjectAccessReview, health, metrics),
 * token authentication, impersonation and RBAC, kubeconfig reading and writing, and a replay of the
 * requests recorded from the real kubectl (shared/fixtures/kubectl-wire/traces) comparing status codes. */
#include <reconcile.h>
#include <reconcile/apiserver.h>
#include <reconcile/client.h>
#include <reconcile/httpserver.h>
#include <reconcile/kubeconfig.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/testutil.h"

#define TRACES "/work/shared/fixtures/kubectl-wire/traces"

typedef struct fixture {
    rc_apiserver *srv;
    rc_http_server *hs;
    rc_client *c;
    char url[128];
} fixture;

static void fx_start(fixture *f, const rc_http_options *ho, const char *token)
{
    rc_error err = {0};
    rc_apiserver_options so = {.auto_pump = true};
    f->srv = rc_apiserver_new(&so, &err);
    ck_assert_ptr_nonnull(f->srv);
    f->hs = rc_http_server_new(f->srv, ho, &err);
    ck_assert_msg(f->hs != NULL, "%s", err.message);
    ck_assert_int_eq(rc_http_server_start(f->hs, &err), 0);
    ck_assert_uint_gt(rc_http_server_port(f->hs), 0);
    rc_http_server_url(f->hs, f->url, sizeof f->url);
    rc_kubeconfig kc = {.server = f->url, .token = (char *)token};
    rc_http_client_options co = {.max_retries = -1};
    f->c = rc_http_client_new(&kc, &co, &err);
    ck_assert_msg(f->c != NULL, "%s", err.message);
    rc_error_clear(&err);
}

static void fx_stop(fixture *f)
{
    rc_client_unref(f->c);
    rc_http_server_free(f->hs);
    rc_apiserver_free(f->srv);
}

static rc_object *obj(const char *json)
{
    rc_object *o = rc_object_from_json(json, strlen(json), NULL);
    ck_assert_ptr_nonnull(o);
    return o;
}

#define DEPLOY(name, replicas)                                                                                  \
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"" name "\",\"namespace\":"   \
    "\"default\",\"labels\":{\"app\":\"" name "\"}},\"spec\":{\"replicas\":" #replicas ",\"selector\":{"        \
    "\"matchLabels\":{\"app\":\"" name "\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"" name "\"}},"    \
    "\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":\"nginx:1.25\"}]}}}}"

/* ---- raw HTTP ---- */

typedef struct reply {
    long status;
    char *body;
    size_t len;
    char content_type[160];
} reply;

static size_t collect(char *d, size_t s, size_t n, void *arg)
{
    reply *r = arg;
    char *b = realloc(r->body, r->len + s * n + 1);
    ck_assert_ptr_nonnull(b);
    memcpy(b + r->len, d, s * n);
    r->body = b;
    r->len += s * n;
    r->body[r->len] = '\0';
    return s * n;
}

/* One request; headers is a NULL-terminated list of "Name: value". */
static reply raw(const fixture *f, const char *method, const char *path, const char *const *headers,
                 const char *body, size_t len)
{
    reply r = {0};
    CURL *h = curl_easy_init();
    char url[2048];
    snprintf(url, sizeof url, "%s%s", f->url, path);
    struct curl_slist *hl = curl_slist_append(NULL, "Expect:");
    for (size_t i = 0; headers && headers[i]; i++)
        hl = curl_slist_append(hl, headers[i]);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
    }
    ck_assert_int_eq(curl_easy_perform(h), CURLE_OK);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
    char *ct = NULL;
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
    snprintf(r.content_type, sizeof r.content_type, "%s", ct ? ct : "");
    curl_slist_free_all(hl);
    curl_easy_cleanup(h);
    if (!r.body)
        r.body = calloc(1, 1);
    return r;
}

static cJSON *json_of(const reply *r)
{
    cJSON *j = cJSON_Parse(r->body);
    ck_assert_msg(j != NULL, "not JSON: %s", r->body);
    return j;
}

static const char *jstr(const cJSON *o, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* ---- the client over HTTP ---- */

START_TEST(client_crud_round_trip)
{
    fixture f;
    fx_start(&f, NULL, NULL);
    rc_error err = {0};
    rc_object *d = obj(DEPLOY("web", 2)), *out = NULL;
    ck_assert_int_eq(rc_client_create(f.c, NULL, NULL, d, NULL, &out, &err), 0);
    ck_assert_str_eq(rc_object_name(out), "web");
    ck_assert_ptr_nonnull(rc_object_uid(out));
    rc_object_unref(out);
    ck_assert_int_eq(rc_client_create(f.c, NULL, NULL, d, NULL, NULL, &err), RC_EEXISTS);
    ck_assert_str_eq(err.reason, "AlreadyExists");
    ck_assert_int_eq(err.http_status, 409);
    rc_error_clear(&err);

    ck_assert_int_eq(rc_client_get(f.c, "deploy", "default", "web", &out, &err), 0);
    ck_assert_str_eq(rc_object_kind(out), "Deployment");
    rc_object *stale = rc_object_copy(out);
    rc_object_set_int(stale, "spec.replicas", 4);
    rc_object_unref(out);
    ck_assert_int_eq(rc_client_update(f.c, NULL, NULL, stale, NULL, &out, &err), 0);
    ck_assert_int_eq(rc_object_get_int(out, "spec.replicas", 0), 4);
    rc_object_unref(out);
    ck_assert_int_eq(rc_client_update(f.c, NULL, NULL, stale, NULL, NULL, &err), RC_ECONFLICT);
    rc_error_clear(&err);
    rc_object_unref(stale);

    const char *merge = "{\"metadata\":{\"labels\":{\"tier\":\"web\"}}}";
    ck_assert_int_eq(rc_client_patch(f.c, "deployments.apps", "default", "web", RC_PATCH_MERGE, merge, strlen(merge),
                                     NULL, &out, &err), 0);
    ck_assert_str_eq(rc_object_label(out, "tier"), "web");
    rc_object_unref(out);
    const char *jp = "[{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":1}]";
    ck_assert_int_eq(rc_client_patch(f.c, "deploy", "default", "web", RC_PATCH_JSON, jp, strlen(jp), NULL, &out, &err), 0);
    ck_assert_int_eq(rc_object_get_int(out, "spec.replicas", 0), 1);
    rc_object_unref(out);
    const char *bad = "[{\"op\":\"remove\",\"path\":\"/spec/nope\"}]";
    ck_assert_int_eq(rc_client_patch(f.c, "deploy", "default", "web", RC_PATCH_JSON, bad, strlen(bad), NULL, NULL, &err),
                     RC_EINVAL);
    rc_error_clear(&err);
    const char *smp = "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":\"nginx:2\"}]}}}}";
    ck_assert_int_eq(rc_client_patch(f.c, "deploy", "default", "web", RC_PATCH_STRATEGIC, smp, strlen(smp), NULL, &out,
                                     &err), 0);
    ck_assert_str_eq(rc_object_get_str(out, "spec.template.spec.containers.0.image"), "nginx:2");
    rc_object_unref(out);
    rc_write_options apply = {.field_manager = "test"};
    const char *ssa = DEPLOY("made-by-apply", 3);
    ck_assert_int_eq(rc_client_patch(f.c, "deploy", "default", "made-by-apply", RC_PATCH_APPLY, ssa, strlen(ssa),
                                     &apply, &out, &err), 0);
    ck_assert_int_eq(rc_object_get_int(out, "spec.replicas", 0), 3);
    rc_object_unref(out);

    ck_assert_int_eq(rc_client_get_scale(f.c, "deploy", "default", "web", &out, &err), 0);
    ck_assert_str_eq(rc_object_kind(out), "Scale");
    rc_object *scale = rc_object_copy(out);
    rc_object_unref(out);
    rc_object_set_int(scale, "spec.replicas", 7);
    ck_assert_int_eq(rc_client_update_scale(f.c, "deploy", "default", scale, NULL, NULL, &err), 0);
    rc_object_unref(scale);
    ck_assert_int_eq(rc_client_get(f.c, "deploy", "default", "web", &out, &err), 0);
    ck_assert_int_eq(rc_object_get_int(out, "spec.replicas", 0), 7);
    rc_object *st = rc_object_copy(out);
    rc_object_unref(out);
    rc_object_set_int(st, "status.replicas", 7);
    ck_assert_int_eq(rc_client_update_status(f.c, NULL, NULL, st, NULL, &out, &err), 0);
    ck_assert_int_eq(rc_object_get_int(out, "status.replicas", 0), 7);
    rc_object_unref(out);
    rc_object_unref(st);

    rc_object_list l;
    rc_object_list_init(&l);
    rc_list_options lo = {.limit = 1};
    ck_assert_int_eq(rc_client_list(f.c, "deploy", "", &lo, &l, &err), 0);
    ck_assert_uint_eq(l.count, 1);
    ck_assert_str_eq(rc_object_kind(l.items[0]), "Deployment");
    ck_assert_ptr_nonnull(l.continue_token);
    lo.continue_token = l.continue_token;
    rc_object_list next;
    rc_object_list_init(&next);
    ck_assert_int_eq(rc_client_list(f.c, "deploy", "", &lo, &next, &err), 0);
    ck_assert_uint_eq(next.count, 1);
    ck_assert_str_ne(rc_object_name(next.items[0]), rc_object_name(l.items[0]));
    rc_object_list_clear(&next);
    rc_object_list_clear(&l);
    rc_list_options sel = {.label_selector = "tier=web"};
    ck_assert_int_eq(rc_client_list(f.c, "deploy", "default", &sel, &l, &err), 0);
    ck_assert_uint_eq(l.count, 1);
    rc_object_list_clear(&l);
    sel.label_selector = "a in (";
    ck_assert_int_eq(rc_client_list(f.c, "deploy", "default", &sel, &l, &err), RC_EBADREQUEST);
    rc_error_clear(&err);

    bool allowed = false;
    ck_assert_int_eq(rc_client_can_i(f.c, "delete", "deployments", "default", NULL, &allowed, &err), 0);
    ck_assert(allowed);
    ck_assert_int_eq(rc_client_delete(f.c, "deploy", "default", "web", NULL, NULL, &err), 0);
    ck_assert_int_eq(rc_client_get(f.c, "deploy", "default", "web", &out, &err), RC_ENOTFOUND);
    ck_assert_str_eq(err.message, "deployments.apps \"web\" not found");
    rc_error_clear(&err);
    ck_assert_int_eq(rc_client_delete_collection(f.c, "deploy", "default", NULL, NULL, &err), 0);
    ck_assert_int_eq(rc_client_list(f.c, "deploy", "default", NULL, &l, &err), 0);
    ck_assert_uint_eq(l.count, 0);
    rc_object_list_clear(&l);
    rc_object_unref(d);
    fx_stop(&f);
}
END_TEST

static int next_event(rc_watch *w, rc_watch_event *ev)
{
    ck_assert(rc_watch_wait(w, 10 * RC_SEC));
    return rc_watch_next(w, ev);
}

START_TEST(client_watch_streams_events)
{
    fixture f;
    fx_start(&f, NULL, NULL);
    rc_error err = {0};
    rc_watch *w = NULL;
    rc_list_options lo = {.resource_version = "0", .label_selector = "app=w"};
    ck_assert_int_eq(rc_client_watch(f.c, "deploy", "default", &lo, &w, &err), 0);
    rc_object *d = obj(DEPLOY("w", 1)), *other = obj(DEPLOY("x", 1));
    ck_assert_int_eq(rc_client_create(f.c, NULL, NULL, other, NULL, NULL, &err), 0);
    ck_assert_int_eq(rc_client_create(f.c, NULL, NULL, d, NULL, NULL, &err), 0);
    const char *p = "{\"spec\":{\"replicas\":2}}";
    ck_assert_int_eq(rc_client_patch(f.c, "deploy", "default", "w", RC_PATCH_MERGE, p, strlen(p), NULL, NULL, &err), 0);
    ck_assert_int_eq(rc_client_delete(f.c, "deploy", "default", "w", NULL, NULL, &err), 0);
    rc_watch_event ev = {0};
    const rc_watch_event_type want[] = {RC_WATCH_ADDED, RC_WATCH_MODIFIED, RC_WATCH_DELETED};
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(next_event(w, &ev), 0);
        ck_assert_int_eq(ev.type, want[i]);
        ck_assert_str_eq(rc_object_name(ev.object), "w");
        ck_assert_str_eq(rc_object_kind(ev.object), "Deployment");
        rc_watch_event_clear(&ev);
    }
    rc_watch_stop(w);
    rc_watch_unref(w);

    /* timeoutSeconds: the server ends the stream; history gone: 410 as an ERROR event */
    rc_list_options t = {.timeout_seconds = 1};
    ck_assert_int_eq(rc_client_watch(f.c, "pods", "default", &t, &w, &err), 0);
    ck_assert_int_eq(next_event(w, &ev), RC_ECLOSED);
    rc_watch_stop(w);
    rc_watch_unref(w);
    ck_assert_int_eq(rc_apiserver_fault_expire_history(f.srv, NULL), 0);
    rc_list_options old = {.resource_version = "1"};
    ck_assert_int_eq(rc_client_watch(f.c, "deploy", "default", &old, &w, &err), 0);
    ck_assert_int_eq(next_event(w, &ev), 0);
    ck_assert_int_eq(ev.type, RC_WATCH_ERROR);
    ck_assert_int_eq(ev.error.code, RC_EGONE);
    rc_watch_event_clear(&ev);
    rc_watch_stop(w);
    rc_watch_unref(w);
    ck_assert_int_eq(rc_client_watch(f.c, "nosuchthings", "default", &lo, &w, &err), RC_ENOTFOUND);
    rc_error_clear(&err);
    rc_object_unref(d);
    rc_object_unref(other);
    fx_stop(&f);
}
END_TEST

/* Watch streams share one event loop: many watchers each get every event in order however the server
 * batches them, a client that leaves an idle stream is noticed without any further event, and stopping the
 * server ends a stream that is waiting. */
#define FAN_WATCHERS 8
#define FAN_EVENTS 300

static bool watch_gauge_is(const fixture *f, const char *value)
{
    char want[96];
    snprintf(want, sizeof want, "apiserver_longrunning_requests{verb=\"WATCH\"} %s\n", value);
    reply r = raw(f, "GET", "/metrics", NULL, NULL, 0);
    bool is = r.status == 200 && strstr(r.body, want) != NULL;
    free(r.body);
    return is;
}

START_TEST(watch_fan_out_and_departures)
{
    fixture f;
    fx_start(&f, NULL, NULL);
    rc_error err = {0};
    rc_client *in = rc_apiserver_client(f.srv, NULL);
    rc_object *cm = obj("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"hot\","
                        "\"namespace\":\"default\"},\"data\":{\"n\":\"-1\"}}"), *cur = NULL;
    ck_assert_int_eq(rc_client_create(in, "configmaps", "default", cm, NULL, &cur, &err), 0);
    rc_list_options lo = {.resource_version = rc_object_resource_version(cur)};
    rc_watch *w[FAN_WATCHERS];
    for (int i = 0; i < FAN_WATCHERS; i++)
        ck_assert_int_eq(rc_client_watch(f.c, "configmaps", "default", &lo, &w[i], &err), 0);
    for (int e = 0; e < FAN_EVENTS; e++) {
        char n[16];
        snprintf(n, sizeof n, "%d", e);
        rc_object *edit = rc_object_copy(cur), *next = NULL;
        ck_assert_int_eq(rc_object_set_str(edit, "data.n", n), 0);
        ck_assert_int_eq(rc_client_update(in, "configmaps", "default", edit, NULL, &next, &err), 0);
        rc_object_unref(edit);
        rc_object_unref(cur);
        cur = next;
    }
    for (int i = 0; i < FAN_WATCHERS; i++) {
        for (int e = 0; e < FAN_EVENTS; e++) {
            rc_watch_event ev = {0};
            char n[16];
            snprintf(n, sizeof n, "%d", e);
            ck_assert_int_eq(next_event(w[i], &ev), 0);
            ck_assert_int_eq(ev.type, RC_WATCH_MODIFIED);
            ck_assert_str_eq(rc_object_get_str(ev.object, "data.n"), n);
            rc_watch_event_clear(&ev);
        }
        ck_assert_int_eq(rc_watch_pending(w[i]), 0);
    }
    ck_assert(watch_gauge_is(&f, "8"));
    for (int i = 0; i < FAN_WATCHERS; i++) {
        rc_watch_stop(w[i]);
        rc_watch_unref(w[i]);
    }
    rc_time deadline = rc_clock_now(rc_clock_real()) + 10 * RC_SEC;
    while (!watch_gauge_is(&f, "0"))
        ck_assert_msg(rc_clock_now(rc_clock_real()) < deadline, "departed watch clients were not noticed");

    rc_watch *idle[FAN_WATCHERS];
    rc_watch_event ev = {0};
    for (int i = 0; i < FAN_WATCHERS; i++) {
        ck_assert_int_eq(rc_client_watch(f.c, "configmaps", "default", &lo, &idle[i], &err), 0);
        for (int e = 0; e < FAN_EVENTS; e++) {
            ck_assert_int_eq(next_event(idle[i], &ev), 0);
            rc_watch_event_clear(&ev);
        }
    }
    rc_http_server_stop(f.hs); /* every stream ends with its last chunk: no error event, just the end */
    for (int i = 0; i < FAN_WATCHERS; i++) {
        ck_assert_int_eq(next_event(idle[i], &ev), RC_ECLOSED);
        rc_watch_stop(idle[i]);
        rc_watch_unref(idle[i]);
    }
    rc_object_unref(cm);
    rc_object_unref(cur);
    rc_client_unref(in);
    fx_stop(&f);
}
END_TEST

START_TEST(client_reports_transport_errors)
{
    rc_error err = {0};
    rc_kubeconfig kc = {.server = "http://127.0.0.1:1"};
    rc_http_client_options co = {.max_retries = -1};
    ck_assert_ptr_null(rc_http_client_new(&kc, &co, &err));
    ck_assert_int_eq(err.code, RC_EIO);
    rc_error_clear(&err);
    kc.server = "ftp://x";
    ck_assert_ptr_null(rc_http_client_new(&kc, NULL, &err));
    ck_assert_int_eq(err.code, RC_EINVAL);
    rc_error_clear(&err);
}
END_TEST

/* ---- raw requests ---- */

START_TEST(discovery_and_openapi)
{
    fixture f;
    fx_start(&f, NULL, NULL);
    const char *agg[] = {"Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                         "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json",
                         NULL};
    reply r = raw(&f, "GET", "/apis?timeout=32s", agg, NULL, 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.content_type, "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
    ck_assert_ptr_nonnull(strstr(r.body, "\"resource\":\"deployments\""));
    ck_assert_ptr_nonnull(strstr(r.body, "\"kind\":\"Scale\""));
    free(r.body);
    r = raw(&f, "GET", "/api", agg, NULL, 0);
    cJSON *j = json_of(&r);
    cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "items"), 0);
    ck_assert_str_eq(jstr(cJSON_GetObjectItem(first, "metadata"), "name"), "");
    cJSON_Delete(j);
    free(r.body);
    r = raw(&f, "GET", "/apis", NULL, NULL, 0);
    ck_assert_str_eq(r.content_type, "application/json");
    ck_assert_ptr_nonnull(strstr(r.body, "\"kind\":\"APIGroupList\""));
    free(r.body);
    r = raw(&f, "GET", "/api/v1", NULL, NULL, 0);
    ck_assert_ptr_nonnull(strstr(r.body, "\"name\":\"pods/status\""));
    free(r.body);
    r = raw(&f, "GET", "/apis/apps", NULL, NULL, 0);
    ck_assert_ptr_nonnull(strstr(r.body, "\"preferredVersion\""));
    free(r.body);
    r = raw(&f, "GET", "/version?timeout=5s", NULL, NULL, 0);
    j = json_of(&r);
    ck_assert_str_eq(jstr(j, "minor"), "32");
    cJSON_Delete(j);
    free(r.body);

    r = raw(&f, "GET", "/openapi/v3", NULL, NULL, 0);
    j = json_of(&r);
    const char *gv = jstr(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "paths"), "apis/apps/v1"), "serverRelativeURL");
    ck_assert_ptr_nonnull(gv);
    reply doc = raw(&f, "GET", gv, NULL, NULL, 0);
    cJSON_Delete(j);
    free(r.body);
    ck_assert_int_eq(doc.status, 200);
    j = json_of(&doc);
    cJSON *patch = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "paths"), "/apis/apps/v1/namespaces/{namespace}/deployments/{name}"),
        "patch");
    ck_assert_str_eq(jstr(cJSON_GetObjectItem(patch, "x-kubernetes-group-version-kind"), "kind"), "Deployment");
    ck_assert_str_eq(jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(patch, "parameters"), 0), "name"), "fieldValidation");
    cJSON_Delete(j);
    free(doc.body);
    r = raw(&f, "GET", "/openapi/v2", NULL, NULL, 0);
    ck_assert_int_eq(r.status, 404);
    free(r.body);
    fx_stop(&f);
}
END_TEST

START_TEST(tables_statuses_and_health)
{
    fixture f;
    fx_start(&f, NULL, NULL);
    rc_object *d = obj(DEPLOY("web", 2));
    ck_assert_int_eq(rc_client_create(f.c, NULL, NULL, d, NULL, NULL, NULL), 0);
    rc_object_unref(d);
    const char *table[] = {"Accept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json", NULL};
    reply r = raw(&f, "GET", "/apis/apps/v1/namespaces/default/deployments?limit=500", table, NULL, 0);
    ck_assert_int_eq(r.status, 200);
    cJSON *j = json_of(&r);
    ck_assert_str_eq(jstr(j, "kind"), "Table");
    ck_assert_str_eq(jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "columnDefinitions"), 1), "name"), "Ready");
    cJSON *row = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "rows"), 0);
    ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(row, "cells"), 0)->valuestring, "web");
    ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(row, "cells"), 1)->valuestring, "0/2");
    ck_assert_str_eq(jstr(cJSON_GetObjectItem(row, "object"), "kind"), "PartialObjectMetadata");
    cJSON_Delete(j);
    free(r.body);
    r = raw(&f, "GET", "/apis/apps/v1/namespaces/default/deployments/web", table, NULL, 0);
    ck_assert_ptr_nonnull(strstr(r.body, "\"kind\":\"Table\""));
    free(r.body);

    r = raw(&f, "GET", "/apis/apps/v1/namespaces/default/deployments/nope", NULL, NULL, 0);
    ck_assert_int_eq(r.status, 404);
    j = json_of(&r);
    ck_assert_str_eq(jstr(j, "kind"), "Status");
    ck_assert_str_eq(jstr(j, "reason"), "NotFound");
    ck_assert_str_eq(jstr(cJSON_GetObjectItem(j, "details"), "kind"), "deployments");
    ck_assert_str_eq(jstr(cJSON_GetObjectItem(j, "details"), "group"), "apps");
    cJSON_Delete(j);
    free(r.body);
    r = raw(&f, "GET", "/apis/nothing/v1/things", NULL, NULL, 0);
    ck_assert_int_eq(r.status, 404);
    free(r.body);
    r = raw(&f, "GET", "/api/v1/namespaces/default/pods/a/b/c/d/e/f/g/h/i/j/k", NULL, NULL, 0);
    ck_assert_int_eq(r.status, 404);
    free(r.body);
    const char *ct[] = {"Content-Type: application/x-unknown", NULL};
    r = raw(&f, "PATCH", "/apis/apps/v1/namespaces/default/deployments/web", ct, "{}", 2);
    ck_assert_int_eq(r.status, 415);
    free(r.body);
    const char *json[] = {"Content-Type: application/json", NULL};
    r = raw(&f, "POST", "/apis/apps/v1/namespaces/default/deployments", json, "{not json", 9);
    ck_assert_int_eq(r.status, 400);
    free(r.body);
    r = raw(&f, "PUT", "/apis/apps/v1/namespaces/default/deployments", json, "{}", 2);
    ck_assert_int_eq(r.status, 405);
    free(r.body);
    /* python3-kubernetes may omit apiVersion/kind: the URL supplies them */
    const char *bare = "{\"metadata\":{\"name\":\"cm\"},\"data\":{\"a\":\"b\"}}";
    r = raw(&f, "POST", "/api/v1/namespaces/default/configmaps", json, bare, strlen(bare));
    ck_assert_int_eq(r.status, 201);
    ck_assert_ptr_nonnull(strstr(r.body, "\"kind\":\"ConfigMap\""));
    free(r.body);
    const char *apply[] = {"Content-Type: application/apply-patch+yaml", NULL};
    const char *yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  k: v\n";
    r = raw(&f, "PATCH", "/api/v1/namespaces/default/configmaps/applied?fieldManager=t", apply, yaml, strlen(yaml));
    ck_assert_int_eq(r.status, 201);
    free(r.body);
    r = raw(&f, "PATCH", "/api/v1/namespaces/default/configmaps/applied?fieldManager=t", apply, yaml, strlen(yaml));
    ck_assert_int_eq(r.status, 200);
    free(r.body);
    r = raw(&f, "PATCH", "/api/v1/namespaces/default/configmaps/applied", apply, yaml, strlen(yaml));
    ck_assert_int_eq(r.status, 400);
    free(r.body);
    r = raw(&f, "GET", "/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=1", NULL, NULL, 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.len, 0);
    free(r.body);
    r = raw(&f, "GET", "/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1", NULL, NULL, 0);
    ck_assert_ptr_nonnull(strstr(r.body, "{\"type\":\"ADDED\",\"object\":{"));
    ck_assert_int_eq(r.body[r.len - 1], '\n');
    free(r.body);
    r = raw(&f, "DELETE", "/api/v1/namespaces/default/configmaps/cm", json, "{\"propagationPolicy\":\"Background\"}", 34);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"status\":\"Success\""));
    free(r.body);
    r = raw(&f, "GET", "/healthz", NULL, NULL, 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "ok");
    free(r.body);
    r = raw(&f, "GET", "/metrics", NULL, NULL, 0);
    ck_assert_ptr_nonnull(strstr(r.body, "apiserver_request_total{verb=\"GET\",code=\"200\"}"));
    free(r.body);
    fx_stop(&f);
}
END_TEST

/* ---- identity ---- */

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/rc-http-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

START_TEST(tokens_impersonation_and_rbac)
{
    char *tokens = write_temp("# comment\nadmintoken,admin,1,\"system:masters\"\ndevtoken,dev,2\n");
    rc_http_options ho = {.token_auth_file = tokens, .rbac = true};
    fixture f;
    fx_start(&f, &ho, "admintoken");
    reply r = raw(&f, "GET", "/api/v1/pods", NULL, NULL, 0);
    ck_assert_int_eq(r.status, 401);
    free(r.body);
    r = raw(&f, "GET", "/readyz", NULL, NULL, 0);
    ck_assert_int_eq(r.status, 200);
    free(r.body);
    const char *dev[] = {"Authorization: Bearer devtoken", NULL};
    r = raw(&f, "GET", "/api/v1/pods", dev, NULL, 0);
    ck_assert_int_eq(r.status, 403);
    ck_assert_ptr_nonnull(strstr(r.body, "User \\\"dev\\\" cannot list resource \\\"pods\\\""));
    free(r.body);
    const char *dev_as[] = {"Authorization: Bearer devtoken", "Impersonate-User: admin", NULL};
    r = raw(&f, "GET", "/api/v1/pods", dev_as, NULL, 0);
    ck_assert_int_eq(r.status, 403);
    free(r.body);
    const char *admin_as[] = {"Authorization: Bearer admintoken", "Impersonate-User: dev", NULL};
    r = raw(&f, "GET", "/api/v1/pods", admin_as, NULL, 0);
    ck_assert_int_eq(r.status, 403);
    free(r.body);
    const char *groups_only[] = {"Authorization: Bearer admintoken", "Impersonate-Group: x", NULL};
    r = raw(&f, "GET", "/api/v1/pods", groups_only, NULL, 0);
    ck_assert_int_eq(r.status, 400);
    free(r.body);
    /* a ClusterRoleBinding to the built-in view role lets dev list pods */
    const char *crb = "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRoleBinding\",\"metadata\":"
                      "{\"name\":\"dev-view\"},\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":"
                      "\"ClusterRole\",\"name\":\"view\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"dev\"}]}";
    rc_error err = {0};
    rc_object *o = obj(crb);
    ck_assert_int_eq(rc_client_create(f.c, NULL, NULL, o, NULL, NULL, &err), 0);
    rc_object_unref(o);
    r = raw(&f, "GET", "/api/v1/pods", admin_as, NULL, 0);
    ck_assert_int_eq(r.status, 200);
    free(r.body);
    bool allowed = false;
    ck_assert_int_eq(rc_client_can_i(f.c, "create", "pods", "default", NULL, &allowed, &err), 0);
    ck_assert(allowed);
    fx_stop(&f);
    unlink(tokens);
    free(tokens);
    rc_apiserver *srv = rc_apiserver_new(NULL, NULL);
    char missing[] = "/nonexistent/tokens.csv";
    rc_http_options bad = {.token_auth_file = missing};
    ck_assert_ptr_null(rc_http_server_new(srv, &bad, &err));
    ck_assert_int_eq(err.code, RC_EIO);
    rc_error_clear(&err);
    rc_http_options half = {.tls_cert_file = "x"};
    ck_assert_ptr_null(rc_http_server_new(srv, &half, &err));
    ck_assert_int_eq(err.code, RC_EINVAL);
    rc_error_clear(&err);
    rc_http_options addr = {.listen_address = "localhost"};
    ck_assert_ptr_null(rc_http_server_new(srv, &addr, &err));
    rc_error_clear(&err);
    rc_apiserver_free(srv);
}
END_TEST

static unsigned char *b64(const char *in, size_t *len)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char *out = malloc(strlen(in));
    uint32_t acc = 0;
    int bits = 0;
    *len = 0;
    for (const char *p = in; *p && *p != '='; p++) {
        const char *at = strchr(tbl, *p);
        acc = acc << 6 | (uint32_t)(at - tbl);
        if ((bits += 6) >= 8)
            out[(*len)++] = (unsigned char)(acc >> (bits -= 8));
    }
    return out;
}

/* ---- replay of the real kubectl's requests ---- */

static void replay_one(const fixture *f, const cJSON *req, const char *trace)
{
    const char *method = jstr(req, "method"), *path = jstr(req, "path");
    cJSON *hdrs = cJSON_GetObjectItem(req, "req_headers");
    const char *ua = jstr(hdrs, "User-Agent");
    if ((ua && strstr(ua, "dispatcher")) || cJSON_IsTrue(cJSON_GetObjectItem(req, "watch")))
        return;
    char url[4096];
    snprintf(url, sizeof url, "%s", path);
    const cJSON *q;
    CURL *esc = curl_easy_init();
    cJSON_ArrayForEach(q, cJSON_GetObjectItem(req, "query"))
    {
        if (!cJSON_IsString(q) || !strcmp(q->string, "hash"))
            continue;
        char *v = curl_easy_escape(esc, q->valuestring, 0);
        size_t used = strlen(url);
        snprintf(url + used, sizeof url - used, "%c%s=%s", strchr(url, '?') ? '&' : '?', q->string, v);
        curl_free(v);
    }
    curl_easy_cleanup(esc);
    char h[8][512];
    const char *headers[9];
    size_t nh = 0;
    const char *names[] = {"Accept", "Content-Type", "Impersonate-User"};
    for (size_t i = 0; i < 3; i++)
        if (jstr(hdrs, names[i])) {
            snprintf(h[nh], sizeof h[nh], "%s: %s", names[i], jstr(hdrs, names[i]));
            headers[nh] = h[nh];
            nh++;
        }
    headers[nh] = NULL;
    cJSON *body = cJSON_GetObjectItem(req, "req_body");
    char *text = NULL;
    unsigned char *bin = NULL;
    size_t len = 0;
    if (jstr(body, "_protobuf_base64"))
        bin = b64(jstr(body, "_protobuf_base64"), &len);
    else if (body && !cJSON_IsNull(body))
        len = strlen(text = cJSON_PrintUnformatted(body));
    reply r = raw(f, method, url, headers, bin ? (const char *)bin : text, len);
    int want = cJSON_GetObjectItem(req, "status")->valueint;
    ck_assert_msg(r.status == want, "%s: %s %s: want %d, got %ld: %s", trace, method, url, want, r.status, r.body);
    const char *kind = jstr(cJSON_GetObjectItem(req, "resp_body"), "kind");
    cJSON *got = cJSON_Parse(r.body);
    if (kind && got && r.status < 300)
        ck_assert_msg(!strcmp(kind, jstr(got, "kind") ? jstr(got, "kind") : ""), "%s: %s %s: kind %s, want %s", trace,
                      method, url, jstr(got, "kind"), kind);
    cJSON_Delete(got);
    free(r.body);
    free(text);
    free(bin);
}

START_TEST(replays_recorded_kubectl_traffic)
{
    static const char *const traces[] = {"01-create", "02-create-already-exists", "03-apply-csa-on-created-object",
                                         "04-apply-csa-new-object", "05-apply-csa-update", "07-apply-ssa-new-object",
                                         "10-get-pods", "11-get-pods-json", "12-get-pods-watch-label",
                                         "13-get-deploy-rs-pods", "14-describe-deployment", "15-scale",
                                         "16-set-image", "26b-get-statefulset-missing", "27-get-pvc-label",
                                         "28-delete-deployment", "28b-delete-deployment-missing", "29-api-resources",
                                         "30-auth-can-i-get-pods-as-sa", "x1-legacy-discovery-get-pods",
                                         "py-read-missing", "py-list_namespaced_pod"};
    if (access(TRACES, R_OK) != 0)
        return; /* the shared fixtures are not on this machine */
    fixture f;
    fx_start(&f, NULL, NULL);
    for (size_t t = 0; t < sizeof traces / sizeof *traces; t++) {
        char path[512];
        snprintf(path, sizeof path, TRACES "/%s.jsonl", traces[t]);
        size_t len = 0;
        char *text = rc_test_read_file(path, &len);
        ck_assert_msg(text != NULL, "cannot read %s", path);
        for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            cJSON *req = cJSON_Parse(line);
            ck_assert_ptr_nonnull(req);
            replay_one(&f, req, traces[t]);
            cJSON_Delete(req);
        }
        free(text);
    }
    fx_stop(&f);
}
END_TEST

/* ---- kubeconfig ---- */

START_TEST(kubeconfig_round_trip)
{
    rc_error err = {0};
    char *dir = strdup("/tmp/rc-kc-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[600], other[600];
    snprintf(path, sizeof path, "%s/config", dir);
    snprintf(other, sizeof other, "%s/other", dir);
    rc_kubeconfig w = {.server = "https://10.0.0.1:6443", .ca_data = "PEM\n", .ca_data_len = 4, .token = "s3cret",
                       .namespace_ = "apps", .context = "dev", .cluster_name = "c1", .user_name = "u1"};
    ck_assert_int_eq(rc_kubeconfig_write(path, &w, &err), 0);
    rc_kubeconfig r = {0};
    ck_assert_int_eq(rc_kubeconfig_load(path, NULL, &r, &err), 0);
    ck_assert_str_eq(r.server, "https://10.0.0.1:6443");
    ck_assert_uint_eq(r.ca_data_len, 4);
    ck_assert_int_eq(memcmp(r.ca_data, "PEM\n", 4), 0);
    ck_assert_str_eq(r.token, "s3cret");
    ck_assert_str_eq(r.namespace_, "apps");
    ck_assert_str_eq(r.context, "dev");
    rc_kubeconfig_clear(&r);
    ck_assert_int_eq(rc_kubeconfig_load(path, "nope", &r, &err), RC_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.message, "\"nope\""));
    rc_error_clear(&err);

    const char *second = "apiVersion: v1\nkind: Config\ncurrent-context: other\nclusters:\n- name: c2\n  cluster:\n"
                         "    server: http://127.0.0.1:1\n    certificate-authority: ca.crt\nusers:\n- name: u2\n"
                         "  user:\n    tokenFile: token\ncontexts:\n- name: other\n  context: {cluster: c2, user: u2}\n";
    FILE *fp = fopen(other, "w");
    fputs(second, fp);
    fclose(fp);
    char env[1300];
    snprintf(env, sizeof env, "%s:%s/missing:%s", other, dir, path);
    setenv("KUBECONFIG", env, 1);
    ck_assert_int_eq(rc_kubeconfig_load(NULL, NULL, &r, &err), 0);
    ck_assert_str_eq(r.context, "other");
    ck_assert_ptr_nonnull(strstr(r.ca_file, dir));
    ck_assert_ptr_nonnull(strstr(r.token_file, "/token"));
    rc_kubeconfig_clear(&r);
    ck_assert_int_eq(rc_kubeconfig_load(NULL, "dev", &r, &err), 0);
    ck_assert_str_eq(r.cluster_name, "c1");
    rc_kubeconfig_clear(&r);
    unsetenv("KUBECONFIG");

    fp = fopen(other, "w");
    fputs("clusters:\n- name: c\n  cluster:\n    server: https://x\n    certificate-authority-data: '!!'\n"
          "contexts:\n- name: x\n  context: {cluster: c}\ncurrent-context: x\n", fp);
    fclose(fp);
    ck_assert_int_eq(rc_kubeconfig_load(other, NULL, &r, &err), RC_EBADREQUEST);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_kubeconfig_load("/nonexistent/config", NULL, &r, &err), RC_EIO);
    rc_error_clear(&err);

    ck_assert_int_eq(rc_kubeconfig_in_cluster(dir, &r, &err), RC_ENOTFOUND);
    rc_error_clear(&err);
    char tok[700], ns[700];
    snprintf(tok, sizeof tok, "%s/token", dir);
    snprintf(ns, sizeof ns, "%s/namespace", dir);
    fp = fopen(tok, "w");
    fputs("tkn\n", fp);
    fclose(fp);
    fp = fopen(ns, "w");
    fputs("team\n", fp);
    fclose(fp);
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    ck_assert_int_eq(rc_kubeconfig_in_cluster(dir, &r, &err), 0);
    ck_assert_str_eq(r.server, "https://10.96.0.1:443");
    ck_assert_str_eq(r.namespace_, "team");
    rc_kubeconfig_clear(&r);
    unsetenv("KUBERNETES_SERVICE_HOST");
    unlink(tok);
    unlink(ns);
    unlink(path);
    unlink(other);
    rmdir(dir);
    free(dir);
}
END_TEST

static Suite *http_suite(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("http");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, client_crud_round_trip);
    tcase_add_test(tc, client_watch_streams_events);
    tcase_add_test(tc, watch_fan_out_and_departures);
    tcase_add_test(tc, client_reports_transport_errors);
    tcase_add_test(tc, discovery_and_openapi);
    tcase_add_test(tc, tables_statuses_and_health);
    tcase_add_test(tc, tokens_impersonation_and_rbac);
    tcase_add_test(tc, replays_recorded_kubectl_traffic);
    tcase_add_test(tc, kubeconfig_round_trip);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = rc_test_run_suite(http_suite());
    curl_global_cleanup();
    return rc;
}
