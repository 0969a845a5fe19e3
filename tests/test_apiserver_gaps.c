/* test_apiserver_gaps.c - the embedded API server's rules that the main suite did not assert: the trace
 * hook, 405 MethodNotAllowed on subresources, a watch from a future resourceVersion (504), wrong JSON
 * types as 400 decode errors, the status subresource's metadata rules, managedFields recording, and CRD
 * updates re-registering the resource with scale paths honoured. */
#include <reconcile.h>
#include <reconcile/apiserver.h>
#include <reconcile/client.h>

#include <stdio.h>
#include <string.h>

#include "support/apiserver_fixture.h"

static void setup(void) { apiserver_fixture_open(11); }

#define DEPLOY(extra_meta, replicas)                                                                         \
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":"       \
    "\"default\"" extra_meta "},\"spec\":{\"replicas\":" replicas ",\"selector\":{\"matchLabels\":{\"app\":"  \
    "\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":" \
    "\"c\",\"image\":\"nginx\"}]}}}}"

/* ---- trace ---- */

typedef struct trace_log {
    char lines[16][160];
    size_t n;
} trace_log;

static void on_trace(void *ctx, const rc_trace_record *r)
{
    trace_log *t = ctx;
    if (t->n < 16)
        snprintf(t->lines[t->n++], sizeof t->lines[0], "%s %s %s %s/%s %llu %s %s", r->verb,
                 r->actor[0] ? r->actor : "-", r->resource->plural, r->namespace_, r->name,
                 (unsigned long long)r->resource_version, rc_watch_event_type_name(r->type),
                 r->object ? rc_object_resource_version(r->object) : "?");
}

START_TEST(trace_sees_every_committed_write)
{
    trace_log t = {0};
    rc_apiserver_set_trace(srv, on_trace, &t);
    rc_object *o = create("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"namespace\":"
                          "\"default\",\"finalizers\":[\"x/y\"]}}");
    uint64_t rv = rc_apiserver_resource_version(srv);
    rc_object_unref(o);
    rc_error err = {0};
    ck_assert_int_eq(rc_client_delete(cl, "configmaps", "default", "c", NULL, NULL, &err), 0); /* marks */
    const char *drop = "{\"metadata\":{\"finalizers\":null}}";
    ck_assert_int_eq(rc_client_patch(cl, "configmaps", "default", "c", RC_PATCH_MERGE, drop, strlen(drop), NULL, NULL,
                                     &err), 0);
    /* a failed write is not traced */
    ck_assert_int_eq(rc_client_get(cl, "configmaps", "default", "c", &o, &err), RC_ENOTFOUND);
    rc_error_clear(&err);
    ck_assert_uint_eq(t.n, 4);
    char want[160];
    snprintf(want, sizeof want, "create - configmaps default/c %llu ADDED %llu", (unsigned long long)rv,
             (unsigned long long)rv);
    ck_assert_str_eq(t.lines[0], want);
    ck_assert_ptr_nonnull(strstr(t.lines[1], "delete - configmaps default/c"));
    ck_assert_ptr_nonnull(strstr(t.lines[1], "MODIFIED"));
    ck_assert_ptr_nonnull(strstr(t.lines[2], "patch - configmaps default/c"));
    ck_assert_ptr_nonnull(strstr(t.lines[3], " DELETED ")); /* finally removed */
    /* the actor is the identified user */
    rc_user root = {.name = "root", .groups = {"system:masters"}};
    rc_client *c = rc_apiserver_client(srv, &root);
    rc_object *in = obj("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"d\",\"namespace\":"
                        "\"default\"}}");
    ck_assert_int_eq(rc_client_create(c, NULL, NULL, in, NULL, NULL, NULL), 0);
    ck_assert_ptr_nonnull(strstr(t.lines[4], "create root configmaps default/d"));
    rc_object_unref(in);
    rc_client_unref(c);
    rc_apiserver_set_trace(srv, NULL, NULL);
    in = obj("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"e\",\"namespace\":\"default\"}}");
    ck_assert_int_eq(rc_client_create(cl, NULL, NULL, in, NULL, NULL, NULL), 0);
    ck_assert_uint_eq(t.n, 5);
    rc_object_unref(in);
}
END_TEST

/* ---- 405 ---- */

START_TEST(method_not_allowed_on_subresources)
{
    rc_object *d = create(DEPLOY("", "1"));
    rc_error err = {0};
    rc_write_options wo = {.subresource = "status"};
    ck_assert_int_eq(rc_client_create(cl, "deployments", "default", d, &wo, NULL, &err), RC_ENOTALLOWED);
    ck_assert_int_eq(err.http_status, 405);
    ck_assert_str_eq(err.reason, "MethodNotAllowed");
    rc_error_clear(&err);
    wo.subresource = "binding";
    ck_assert_int_eq(rc_client_update(cl, "deployments", "default", d, &wo, NULL, &err), RC_ENOTALLOWED);
    ck_assert_int_eq(err.http_status, 405);
    rc_error_clear(&err);
    rc_object_unref(d);
}
END_TEST

/* ---- watch from the future ---- */

START_TEST(watch_from_future_version_is_504)
{
    char rv[32];
    snprintf(rv, sizeof rv, "%llu", (unsigned long long)rc_apiserver_resource_version(srv) + 100);
    rc_list_options o = {.resource_version = rv};
    rc_watch *w = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_client_watch(cl, "pods", "", &o, &w, &err), RC_ETIMEOUT);
    ck_assert_ptr_null(w);
    ck_assert_int_eq(err.http_status, 504);
    ck_assert_ptr_nonnull(strstr(err.message, "Too large resource version: "));
    rc_error_clear(&err);
    snprintf(rv, sizeof rv, "%llu", (unsigned long long)rc_apiserver_resource_version(srv));
    ck_assert_int_eq(rc_client_watch(cl, "pods", "", &o, &w, &err), 0); /* the newest version is fine */
    rc_watch_stop(w);
    rc_watch_unref(w);
}
END_TEST

/* ---- decode errors ---- */

START_TEST(wrong_json_type_is_bad_request)
{
    rc_error err = {0};
    ck_assert_int_eq(create_rc(DEPLOY("", "\"three\""), NULL, NULL, &err), RC_EBADREQUEST);
    ck_assert_int_eq(err.http_status, 400);
    ck_assert_str_eq(err.message, "Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot "
                                  "unmarshal string into Go struct field Deployment.spec.replicas of type integer");
    ck_assert_uint_eq(err.ncauses, 1);
    ck_assert_str_eq(err.causes[0].field, "spec.replicas");
    rc_error_clear(&err);
    rc_object *d = create(DEPLOY("", "1"));
    const char *bad = "{\"spec\":{\"template\":{\"spec\":{\"containers\":{\"name\":\"c\"}}}}}";
    ck_assert_int_eq(rc_client_patch(cl, "deploy", "default", "web", RC_PATCH_MERGE, bad, strlen(bad), NULL, NULL,
                                     &err), RC_EBADREQUEST);
    ck_assert_str_eq(err.causes[0].field, "spec.template.spec.containers");
    rc_error_clear(&err);
    rc_object_unref(d);
}
END_TEST

/* ---- status subresource and metadata ---- */

START_TEST(status_update_metadata_rules)
{
    rc_object *d = create(DEPLOY(",\"labels\":{\"tier\":\"a\"}", "1"));
    rc_object *s = rc_object_copy(d);
    rc_object_set_label(s, "tier", "b");
    rc_object_set_annotation(s, "note", "via-status");
    rc_object_set_int(s, "status.replicas", 4);
    rc_object_set_int(s, "spec.replicas", 7);
    rc_object *out = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_client_update_status(cl, NULL, NULL, s, NULL, &out, &err), 0);
    ck_assert_int_eq(rc_object_get_int(out, "status.replicas", 0), 4);
    ck_assert_int_eq(rc_object_get_int(out, "spec.replicas", 0), 1);     /* spec ignored */
    ck_assert_str_eq(rc_object_label(out, "tier"), "a");                   /* Deployment labels reset */
    ck_assert_str_eq(rc_object_annotation(out, "note"), "via-status");     /* annotations kept */
    ck_assert_int_eq(rc_object_generation(out), 1);
    rc_object_unref(out);
    rc_object_unref(s);
    rc_object_unref(d);
    /* a ConfigMap has no status subresource */
    d = create("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"namespace\":\"default\"}}");
    ck_assert_int_eq(rc_client_update_status(cl, NULL, NULL, d, NULL, NULL, &err), RC_ENOTFOUND);
    rc_error_clear(&err);
    rc_object_unref(d);
    /* a pod's labels may change through status, its ownerReferences may not */
    rc_object *p = create("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":"
                          "\"default\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}");
    const char *patch = "{\"metadata\":{\"labels\":{\"ready\":\"yes\"},\"ownerReferences\":[{\"apiVersion\":\"v1\","
                        "\"kind\":\"Node\",\"name\":\"n\",\"uid\":\"u\"}]},\"status\":{\"phase\":\"Running\"}}";
    rc_write_options wo = {.subresource = "status"};
    ck_assert_int_eq(rc_client_patch(cl, "pods", "default", "p", RC_PATCH_MERGE, patch, strlen(patch), &wo, &out,
                                     &err), 0);
    ck_assert_str_eq(rc_object_get_str(out, "status.phase"), "Running");
    ck_assert_str_eq(rc_object_label(out, "ready"), "yes");
    ck_assert_uint_eq(rc_object_owner_count(out), 0);
    rc_object_unref(out);
    rc_object_unref(p);
}
END_TEST

/* ---- managedFields ---- */

START_TEST(managed_fields_are_recorded)
{
    rc_write_options wo = {.field_manager = "kubectl-create"};
    rc_object *out = NULL;
    rc_error err = {0};
    ck_assert_int_eq(create_rc(DEPLOY("", "1"), &wo, &out, &err), 0);
    ck_assert_str_eq(rc_object_get_str(out, "metadata.managedFields.0.manager"), "kubectl-create");
    ck_assert_str_eq(rc_object_get_str(out, "metadata.managedFields.0.operation"), "Update");
    ck_assert_str_eq(rc_object_get_str(out, "metadata.managedFields.0.apiVersion"), "apps/v1");
    ck_assert_str_eq(rc_object_get_str(out, "metadata.managedFields.0.time"), "2023-11-14T22:13:20Z");
    ck_assert(rc_node_exists(rc_object_at(out, "metadata.managedFields.0.fieldsV1.f:spec.f:replicas")));
    rc_object_unref(out);
    const char *apply = "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\"},"
                        "\"spec\":{\"replicas\":3}}";
    rc_write_options ao = {.field_manager = "hpa", .force = true};
    ck_assert_int_eq(rc_client_patch(cl, "deploy", "default", "web", RC_PATCH_APPLY, apply, strlen(apply), &ao, &out,
                                     &err), 0);
    ck_assert_int_eq(rc_object_get_int(out, "spec.replicas", 0), 3);
    ck_assert_str_eq(rc_object_get_str(out, "spec.template.spec.containers.0.image"), "nginx"); /* not corrupted */
    ck_assert_str_eq(rc_object_get_str(out, "metadata.managedFields.1.manager"), "hpa");
    ck_assert_str_eq(rc_object_get_str(out, "metadata.managedFields.1.operation"), "Apply");
    ck_assert(rc_node_exists(rc_object_at(out, "metadata.managedFields.1.fieldsV1.f:spec.f:replicas")));
    ck_assert(!rc_node_exists(rc_object_at(out, "metadata.managedFields.1.fieldsV1.f:spec.f:template")));
    char rv[32];
    snprintf(rv, sizeof rv, "%s", rc_object_resource_version(out));
    rc_object_unref(out);
    /* the same apply again changes nothing: no new resourceVersion, still one entry per manager */
    ck_assert_int_eq(rc_client_patch(cl, "deploy", "default", "web", RC_PATCH_APPLY, apply, strlen(apply), &ao, &out,
                                     &err), 0);
    ck_assert_str_eq(rc_object_resource_version(out), rv);
    ck_assert_uint_eq(rc_node_len(rc_object_at(out, "metadata.managedFields")), 2);
    rc_object_unref(out);
    /* a status write records its own entry with the subresource */
    const char *st = "{\"status\":{\"replicas\":3}}";
    rc_write_options so = {.field_manager = "ctrl", .subresource = "status"};
    ck_assert_int_eq(rc_client_patch(cl, "deploy", "default", "web", RC_PATCH_MERGE, st, strlen(st), &so, &out,
                                     &err), 0);
    ck_assert_str_eq(rc_object_get_str(out, "metadata.managedFields.2.subresource"), "status");
    ck_assert(rc_node_exists(rc_object_at(out, "metadata.managedFields.2.fieldsV1.f:status.f:replicas")));
    rc_object_unref(out);
}
END_TEST

/* ---- CRD updates ---- */

#define CRD_HEAD                                                                                             \
    "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\",\"metadata\":{\"name\":" \
    "\"widgets.example.com\"},\"spec\":{\"group\":\"example.com\",\"scope\":\"Namespaced\",\"names\":{"         \
    "\"plural\":\"widgets\",\"singular\":\"widget\",\"kind\":\"Widget\"" 
#define SCHEMA                                                                                               \
    "\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\","     \
    "\"x-kubernetes-preserve-unknown-fields\":true},\"status\":{\"type\":\"object\","                         \
    "\"x-kubernetes-preserve-unknown-fields\":true}}}}"
#define CRD_V1 CRD_HEAD "},\"versions\":[{\"name\":\"v1\",\"served\":true,\"storage\":true," SCHEMA "}]}}"
#define CRD_V1_SCALE                                                                                         \
    CRD_HEAD ",\"shortNames\":[\"wd\"]},\"versions\":[{\"name\":\"v1\",\"served\":true,\"storage\":true,"     \
    SCHEMA ",\"subresources\":{\"status\":{},\"scale\":{\"specReplicasPath\":\".spec.size\","                 \
    "\"statusReplicasPath\":\".status.count\",\"labelSelectorPath\":\".status.sel\"}}}]}}"

START_TEST(crd_update_reregisters)
{
    rc_object *crd = create(CRD_V1);
    rc_error err = {0};
    ck_assert_ptr_null(rc_client_resolve(cl, "wd", NULL, &err));
    rc_error_clear(&err);
    const rc_resource_info *ri = rc_client_resolve(cl, "widgets.example.com", NULL, NULL);
    ck_assert(!ri->has_scale && !ri->has_status);
    rc_object *w = create("{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"w\","
                          "\"namespace\":\"default\"},\"spec\":{\"size\":2},\"status\":{\"count\":1,\"sel\":\"a=b\"}}");
    rc_object_unref(w);
    rc_object *scale = NULL;
    ck_assert_int_eq(rc_client_get_scale(cl, "widgets", "default", "w", &scale, &err), RC_ENOTFOUND);
    rc_error_clear(&err);
    /* add a short name and the status and scale subresources */
    rc_object *upd = obj(CRD_V1_SCALE), *out = NULL;
    ck_assert_int_eq(rc_client_update(cl, NULL, NULL, upd, NULL, &out, &err), 0);
    rc_object_unref(upd);
    ck_assert_str_eq(rc_object_get_str(out, "status.acceptedNames.shortNames.0"), "wd");
    rc_object_unref(out);
    ri = rc_client_resolve(cl, "wd", NULL, &err);
    ck_assert_ptr_nonnull(ri);
    ck_assert(ri->has_scale && ri->has_status);
    ck_assert_int_eq(rc_client_get_scale(cl, "wd", "default", "w", &scale, &err), 0);
    ck_assert_int_eq(rc_object_get_int(scale, "spec.replicas", -1), 2);
    ck_assert_int_eq(rc_object_get_int(scale, "status.replicas", -1), 1);
    ck_assert_str_eq(rc_object_get_str(scale, "status.selector"), "a=b");
    rc_object_unref(scale);
    const char *sp = "{\"spec\":{\"replicas\":5}}";
    rc_write_options wo = {.subresource = "scale"};
    ck_assert_int_eq(rc_client_patch(cl, "wd", "default", "w", RC_PATCH_MERGE, sp, strlen(sp), &wo, &scale, &err), 0);
    rc_object_unref(scale);
    ck_assert_int_eq(rc_client_get(cl, "widgets", "default", "w", &w, &err), 0);
    ck_assert_int_eq(rc_object_get_int(w, "spec.size", -1), 5);
    ck_assert_ptr_null(rc_object_get_str(w, "spec.replicas"));
    rc_object_unref(w);
    /* scope is immutable: refused, the registration unchanged */
    const char *scope = "{\"spec\":{\"scope\":\"Cluster\"}}";
    ck_assert_int_eq(rc_client_patch(cl, "crd", NULL, "widgets.example.com", RC_PATCH_MERGE, scope, strlen(scope),
                                     NULL, NULL, &err), RC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "spec.scope"));
    rc_error_clear(&err);
    ck_assert(rc_client_resolve(cl, "widgets.example.com", NULL, NULL)->namespaced);
    rc_object_unref(crd);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("apiserver_gaps");
    TCase *tc = tcase_create("gaps");
    tcase_add_checked_fixture(tc, setup, apiserver_fixture_close);
    tcase_add_test(tc, trace_sees_every_committed_write);
    tcase_add_test(tc, method_not_allowed_on_subresources);
    tcase_add_test(tc, watch_from_future_version_is_504);
    tcase_add_test(tc, wrong_json_type_is_bad_request);
    tcase_add_test(tc, status_update_metadata_rules);
    tcase_add_test(tc, managed_fields_are_recorded);
    tcase_add_test(tc, crd_update_reregisters);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rc_test_run_suite(suite());
}
