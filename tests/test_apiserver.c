/* test_apiserver.c - the embedded API server's storage and verbs through rc_client: metadata stamping,
 * generation, generateName, namespaces, get/list (selectors, paging, resourceVersion semantics),
 * create/update conflicts, the status and scale subresources, binding, every patch type, deletion
 * (finalizers, grace periods, propagation), CRDs and access reviews. Watch and faults have their own
 * suites (test_apiserver_watch.c, test_apiserver_faults.c). */
#include <reconcile.h>
#include <reconcile/apiserver.h>
#include <reconcile/client.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/apiserver_fixture.h"

static void setup(void) { apiserver_fixture_open(7); }

#define CM(name, extra) "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" name \
                        "\",\"namespace\":\"default\"" extra "}}"
#define DEPLOY(name, replicas)                                                                              \
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"" name                   \
    "\",\"namespace\":\"default\",\"labels\":{\"app\":\"web\"}},\"spec\":{\"replicas\":" #replicas          \
    ",\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":"     \
    "\"web\"}},\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.25\"}]}}}}"
#define POD(name, node)                                                                                     \
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" name "\",\"namespace\":\"default\"," \
    "\"labels\":{\"app\":\"web\"}},\"spec\":{\"nodeName\":\"" node "\",\"containers\":[{\"name\":\"c\","      \
    "\"image\":\"busybox\"}]}}"

START_TEST(create_stamps_metadata)
{
    rc_object *o = create(CM("a", ""));
    ck_assert_str_eq(rc_object_name(o), "a");
    ck_assert_ptr_nonnull(rc_object_uid(o));
    ck_assert_int_eq(strlen(rc_object_uid(o)), 36);
    ck_assert_str_eq(rc_object_creation_timestamp(o), "2023-11-14T22:13:20Z");
    ck_assert_int_eq(rc_object_generation(o), 1);
    uint64_t rv = strtoull(rc_object_resource_version(o), NULL, 10);
    ck_assert_uint_eq(rv, rc_apiserver_resource_version(srv));
    rc_object *o2 = create(CM("b", ""));
    ck_assert_uint_gt(strtoull(rc_object_resource_version(o2), NULL, 10), rv);
    ck_assert_str_ne(rc_object_uid(o), rc_object_uid(o2));
    rc_object *got = NULL;
    ck_assert_int_eq(rc_client_get(cl, "cm", "default", "a", &got, NULL), 0);
    ck_assert(rc_object_equal(got, o));
    rc_object_unref(got);
    rc_object_unref(o);
    rc_object_unref(o2);
}
END_TEST

START_TEST(create_errors)
{
    rc_error err = {0};
    rc_object_unref(create(CM("dup", "")));
    ck_assert_int_eq(create_rc(CM("dup", ""), NULL, NULL, &err), RC_EEXISTS);
    ck_assert_int_eq(err.http_status, 409);
    ck_assert_str_eq(err.message, "configmaps \"dup\" already exists");
    ck_assert_int_eq(create_rc("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\","
                               "\"namespace\":\"nope\"}}", NULL, NULL, &err), RC_ENOTFOUND);
    ck_assert_str_eq(err.message, "namespaces \"nope\" not found");
    ck_assert_int_eq(create_rc(CM("rv", ",\"resourceVersion\":\"5\""), NULL, NULL, &err), RC_EBADREQUEST);
    ck_assert_int_eq(create_rc("{\"apiVersion\":\"v1\",\"kind\":\"Frobnicator\",\"metadata\":{\"name\":\"x\"}}",
                               NULL, NULL, &err), RC_ENOTFOUND);
    rc_object *none = NULL;
    ck_assert_int_eq(rc_client_get(cl, "pods", "default", "missing", &none, &err), RC_ENOTFOUND);
    ck_assert_str_eq(err.message, "pods \"missing\" not found");
    ck_assert_int_eq(rc_client_get(cl, "frobs", "default", "x", &none, &err), RC_ENOTFOUND);
    ck_assert_str_eq(err.message, "the server doesn't have a resource type \"frobs\"");
    /* validation (the rules hooks): 422 with causes */
    ck_assert_int_eq(create_rc(DEPLOY("Bad_Name", 1), NULL, NULL, &err), RC_EINVAL);
    ck_assert_int_eq(err.http_status, 422);
    ck_assert_uint_gt(err.ncauses, 0);
    rc_error_clear(&err);
}
END_TEST

START_TEST(generate_name_and_namespaces)
{
    rc_object *o = create("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"generateName\":\"web-\","
                          "\"namespace\":\"default\"}}");
    ck_assert_int_eq(strlen(rc_object_name(o)), 9);
    ck_assert(!strncmp(rc_object_name(o), "web-", 4));
    rc_object_unref(o);
    rc_object *ns = NULL;
    for (int i = 0; i < 3; i++) {
        const char *names[] = {"default", "kube-system", "kube-public"};
        ck_assert_int_eq(rc_client_get(cl, "namespaces", NULL, names[i], &ns, NULL), 0);
        ck_assert_str_eq(rc_object_get_str(ns, "status.phase"), "Active");
        rc_object_unref(ns);
    }
    rc_object_unref(create("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"team\"}}"));
    rc_object *sa = NULL;
    ck_assert_int_eq(rc_client_get(cl, "serviceaccounts", "team", "default", &sa, NULL), 0);
    rc_object_unref(sa);
}
END_TEST

/* A generated name that is taken is drawn again: two servers with the same seed draw the same suffixes
 * (a create draws its uid the same way whatever the name), so the second server, where the first suffix's
 * name is taken, stores the object under a new name with everything else as asked. */
START_TEST(generate_name_retries_a_taken_name)
{
    const char *gen = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"generateName\":\"web-\","
                      "\"namespace\":\"default\",\"labels\":{\"app\":\"web\"}},\"data\":{\"k\":\"v\"}}";
    rc_object_unref(create(CM("web-00000", "")));
    rc_object *first = create(gen);
    char taken[64];
    snprintf(taken, sizeof taken, "%s", rc_object_name(first));
    rc_object_unref(first);
    apiserver_fixture_close();
    apiserver_fixture_open(7);
    char json[256];
    snprintf(json, sizeof json, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"%s\","
             "\"namespace\":\"default\"}}", taken);
    rc_object *holder = create(json);
    rc_object *o = create(gen);
    ck_assert_str_ne(rc_object_name(o), taken);
    ck_assert(!strncmp(rc_object_name(o), "web-", 4));
    ck_assert_int_eq(strlen(rc_object_name(o)), 9);
    ck_assert_str_eq(rc_object_get_str(o, "data.k"), "v");
    ck_assert_str_eq(rc_object_get_str(o, "metadata.labels.app"), "web");
    ck_assert_str_eq(rc_object_get_str(o, "metadata.generateName"), "web-");
    ck_assert_uint_eq(strtoull(rc_object_resource_version(o), NULL, 10), rc_apiserver_resource_version(srv));
    rc_object *got = NULL;
    ck_assert_int_eq(rc_client_get(cl, "configmaps", "default", taken, &got, NULL), 0);
    ck_assert(rc_object_equal(got, holder)); /* the holder of the name is untouched */
    rc_object_unref(got);
    ck_assert_int_eq(rc_client_get(cl, "configmaps", "default", rc_object_name(o), &got, NULL), 0);
    ck_assert(rc_object_equal(got, o));
    rc_object_unref(got);
    rc_object_unref(holder);
    rc_object_unref(o);
}
END_TEST

START_TEST(update_conflict_and_generation)
{
    rc_object *d = create(DEPLOY("web", 1));
    ck_assert_int_eq(rc_object_generation(d), 1);
    /* metadata-only change: generation stays */
    rc_object *e = rc_object_copy(d), *d2 = NULL;
    rc_object_set_label(e, "tier", "front");
    ck_assert_int_eq(rc_client_update(cl, NULL, NULL, e, NULL, &d2, NULL), 0);
    ck_assert_int_eq(rc_object_generation(d2), 1);
    /* stale resourceVersion: 409 Conflict */
    rc_object *stale = rc_object_copy(d);
    rc_object_set_int(stale, "spec.replicas", 3);
    rc_error err = {0};
    ck_assert_int_eq(rc_client_update(cl, NULL, NULL, stale, NULL, NULL, &err), RC_ECONFLICT);
    ck_assert_str_eq(err.reason, "Conflict");
    ck_assert(strstr(err.message, "Operation cannot be fulfilled on deployments.apps \"web\""));
    /* unconditional when empty: spec change bumps generation (the call froze `stale`: edit a copy) */
    rc_object *blind = rc_object_copy(stale);
    rc_object_set_resource_version(blind, NULL);
    rc_object *d3 = NULL;
    ck_assert_int_eq(rc_client_update(cl, NULL, NULL, blind, NULL, &d3, &err), 0);
    ck_assert_int_eq(rc_object_generation(d3), 2);
    ck_assert_int_eq(rc_object_get_int(d3, "spec.replicas", 0), 3);
    ck_assert_str_eq(rc_object_uid(d3), rc_object_uid(d));
    /* status change through the main resource is ignored */
    rc_object *s = rc_object_copy(d3), *d4 = NULL;
    rc_object_set_int(s, "status.replicas", 9);
    ck_assert_int_eq(rc_client_update(cl, NULL, NULL, s, NULL, &d4, NULL), 0);
    ck_assert_int_eq(rc_object_get_int(d4, "status.replicas", -1), -1);
    ck_assert_str_eq(rc_object_resource_version(d4), rc_object_resource_version(d3)); /* no-op: no write */
    /* through the status subresource it is applied, generation unchanged */
    rc_object *d5 = NULL;
    ck_assert_int_eq(rc_client_update_status(cl, NULL, NULL, s, NULL, &d5, NULL), 0);
    ck_assert_int_eq(rc_object_get_int(d5, "status.replicas", -1), 9);
    ck_assert_int_eq(rc_object_get_int(d5, "spec.replicas", -1), 3);
    ck_assert_int_eq(rc_object_generation(d5), 2);
    /* update of a missing object: 404 */
    rc_object *m = obj(CM("ghost", ""));
    ck_assert_int_eq(rc_client_update(cl, NULL, NULL, m, NULL, NULL, &err), RC_ENOTFOUND);
    rc_error_clear(&err);
    rc_object *objs[] = {d, e, d2, stale, blind, d3, s, d4, d5, m};
    for (size_t i = 0; i < sizeof objs / sizeof *objs; i++)
        rc_object_unref(objs[i]);
}
END_TEST

START_TEST(scale_subresource)
{
    rc_object_unref(create(DEPLOY("web", 2)));
    rc_object *sc = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_client_get_scale(cl, "deployments", "default", "web", &sc, &err), 0);
    ck_assert_str_eq(rc_object_kind(sc), "Scale");
    ck_assert_str_eq(rc_object_api_version(sc), "autoscaling/v1");
    ck_assert_int_eq(rc_object_get_int(sc, "spec.replicas", 0), 2);
    ck_assert_str_eq(rc_object_get_str(sc, "status.selector"), "app=web");
    rc_object *edit = rc_object_copy(sc), *after = NULL;
    rc_object_set_int(edit, "spec.replicas", 5);
    ck_assert_int_eq(rc_client_update_scale(cl, "deployments", "default", edit, NULL, &after, &err), 0);
    ck_assert_int_eq(rc_object_get_int(after, "spec.replicas", 0), 5);
    rc_object *d = NULL;
    ck_assert_int_eq(rc_client_get(cl, "deploy", "default", "web", &d, NULL), 0);
    ck_assert_int_eq(rc_object_get_int(d, "spec.replicas", 0), 5);
    ck_assert_int_eq(rc_object_generation(d), 2);
    /* stale scale: conflict; negative: invalid; kinds without scale: 404 */
    ck_assert_int_eq(rc_client_update_scale(cl, "deployments", "default", edit, NULL, NULL, &err), RC_ECONFLICT);
    const char *p = "{\"spec\":{\"replicas\":-1}}";
    rc_write_options wo = {.subresource = "scale"};
    ck_assert_int_eq(rc_client_patch(cl, "deployments", "default", "web", RC_PATCH_MERGE, p, strlen(p), &wo, NULL,
                                     &err), RC_EINVAL);
    p = "{\"spec\":{\"replicas\":7}}";
    ck_assert_int_eq(rc_client_patch(cl, "deployments", "default", "web", RC_PATCH_MERGE, p, strlen(p), &wo, NULL,
                                     &err), 0);
    rc_object_unref(create(CM("c", "")));
    ck_assert_int_eq(rc_client_get_scale(cl, "configmaps", "default", "c", &sc, &err) == RC_ENOTFOUND, 1);
    rc_error_clear(&err);
    rc_object_unref(sc);
    rc_object_unref(edit);
    rc_object_unref(after);
    rc_object_unref(d);
}
END_TEST

START_TEST(binding_assigns_node)
{
    rc_object_unref(create(POD("p", "")));
    rc_object *b = obj("{\"apiVersion\":\"v1\",\"kind\":\"Binding\",\"metadata\":{\"name\":\"p\",\"namespace\":"
                       "\"default\"},\"target\":{\"kind\":\"Node\",\"name\":\"node-1\"}}");
    rc_write_options wo = {.subresource = "binding"};
    rc_object *pod = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_client_create(cl, "pods", "default", b, &wo, &pod, &err), 0);
    ck_assert_str_eq(rc_object_get_str(pod, "spec.nodeName"), "node-1");
    ck_assert_str_eq(rc_object_get_str(pod, "status.phase"), "Pending");
    ck_assert_int_eq(rc_client_create(cl, "pods", "default", b, &wo, NULL, &err), RC_ECONFLICT);
    rc_error_clear(&err);
    rc_object_unref(b);
    rc_object_unref(pod);
}
END_TEST

START_TEST(patches)
{
    rc_object_unref(create(DEPLOY("web", 1)));
    rc_object *out = NULL;
    rc_error err = {0};
    const char *merge = "{\"metadata\":{\"labels\":{\"x\":\"1\"}},\"spec\":{\"replicas\":4}}";
    ck_assert_int_eq(rc_client_patch(cl, "deployments", "default", "web", RC_PATCH_MERGE, merge, strlen(merge),
                                     NULL, &out, &err), 0);
    ck_assert_str_eq(rc_object_label(out, "x"), "1");
    ck_assert_int_eq(rc_object_get_int(out, "spec.replicas", 0), 4);
    ck_assert_int_eq(rc_object_generation(out), 2);
    rc_object_unref(out);
    const char *json = "[{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":6}]";
    ck_assert_int_eq(rc_client_patch(cl, "deployments", "default", "web", RC_PATCH_JSON, json, strlen(json), NULL,
                                     &out, &err), 0);
    ck_assert_int_eq(rc_object_get_int(out, "spec.replicas", 0), 6);
    const char *rv_before = rc_object_resource_version(out);
    char saved_rv[32];
    snprintf(saved_rv, sizeof saved_rv, "%s", rv_before);
    rc_object_unref(out);
    const char *smp = "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"side\",\"image\":\"envoy\"}]}}}}";
    ck_assert_int_eq(rc_client_patch(cl, "deployments", "default", "web", RC_PATCH_STRATEGIC, smp, strlen(smp), NULL,
                                     &out, &err), 0);
    ck_assert_int_eq(rc_node_len(rc_object_at(out, "spec.template.spec.containers")), 2);
    snprintf(saved_rv, sizeof saved_rv, "%s", rc_object_resource_version(out));
    rc_object_unref(out);
    /* failing patches change nothing */
    const char *bad_test = "[{\"op\":\"test\",\"path\":\"/spec/replicas\",\"value\":99},"
                           "{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":1}]";
    ck_assert_int_eq(rc_client_patch(cl, "deployments", "default", "web", RC_PATCH_JSON, bad_test, strlen(bad_test),
                                     NULL, NULL, &err), RC_EINVAL);
    const char *bad_path = "[{\"op\":\"remove\",\"path\":\"/spec/nope\"}]";
    ck_assert_int_eq(rc_client_patch(cl, "deployments", "default", "web", RC_PATCH_JSON, bad_path, strlen(bad_path),
                                     NULL, NULL, &err), RC_EINVAL);
    ck_assert_int_eq(rc_client_patch(cl, "deployments", "default", "web", RC_PATCH_MERGE, "{not json", 9, NULL, NULL,
                                     &err), RC_EBADREQUEST);
    const char *invalid = "{\"spec\":{\"replicas\":-3}}";
    ck_assert_int_eq(rc_client_patch(cl, "deployments", "default", "web", RC_PATCH_MERGE, invalid, strlen(invalid),
                                     NULL, NULL, &err), RC_EINVAL);
    const char *stale = "{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{\"replicas\":2}}";
    ck_assert_int_eq(rc_client_patch(cl, "deployments", "default", "web", RC_PATCH_MERGE, stale, strlen(stale), NULL,
                                     NULL, &err), RC_ECONFLICT);
    ck_assert_int_eq(rc_client_patch(cl, "deployments", "default", "nope", RC_PATCH_MERGE, merge, strlen(merge), NULL,
                                     NULL, &err), RC_ENOTFOUND);
    ck_assert_int_eq(rc_client_patch(cl, "deployments", "default", "web", (rc_patch_type)42, merge, strlen(merge),
                                     NULL, NULL, &err), RC_EUNSUPPORTED);
    rc_object *now = NULL;
    ck_assert_int_eq(rc_client_get(cl, "deployments", "default", "web", &now, NULL), 0);
    ck_assert_str_eq(rc_object_resource_version(now), saved_rv);
    ck_assert_int_eq(rc_object_get_int(now, "spec.replicas", 0), 6);
    rc_object_unref(now);
    /* status patch through the subresource; main-resource status patch ignored */
    const char *st = "{\"status\":{\"readyReplicas\":2}}";
    rc_write_options wo = {.subresource = "status"};
    ck_assert_int_eq(rc_client_patch(cl, "deployments", "default", "web", RC_PATCH_MERGE, st, strlen(st), &wo, &out,
                                     &err), 0);
    ck_assert_int_eq(rc_object_get_int(out, "status.readyReplicas", 0), 2);
    rc_object_unref(out);
    /* server-side apply creates, then merges */
    const char *apply = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"ssa\",\"namespace\":"
                        "\"default\"},\"data\":{\"a\":\"1\"}}";
    ck_assert_int_eq(rc_client_patch(cl, "configmaps", "default", "ssa", RC_PATCH_APPLY, apply, strlen(apply), NULL,
                                     &out, &err), 0);
    ck_assert_str_eq(rc_object_get_str(out, "data.a"), "1");
    rc_object_unref(out);
    rc_error_clear(&err);
}
END_TEST

START_TEST(client_side_apply)
{
    rc_object *m1 = obj("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"app\",\"namespace\":"
                        "\"default\"},\"data\":{\"a\":\"1\",\"b\":\"2\"}}");
    rc_object *out = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_client_apply(cl, NULL, m1, NULL, &out, &err), 0);
    ck_assert_ptr_nonnull(rc_object_annotation(out, RC_LAST_APPLIED_ANNOTATION));
    rc_object_unref(out);
    /* someone else adds c; the next apply drops b but keeps c */
    const char *other = "{\"data\":{\"c\":\"3\"}}";
    ck_assert_int_eq(rc_client_patch(cl, "cm", "default", "app", RC_PATCH_MERGE, other, strlen(other), NULL, NULL,
                                     NULL), 0);
    rc_object *m2 = obj("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"app\",\"namespace\":"
                        "\"default\"},\"data\":{\"a\":\"9\"}}");
    ck_assert_int_eq(rc_client_apply(cl, NULL, m2, NULL, &out, &err), 0);
    ck_assert_str_eq(rc_object_get_str(out, "data.a"), "9");
    ck_assert_ptr_null(rc_object_get_str(out, "data.b"));
    ck_assert_str_eq(rc_object_get_str(out, "data.c"), "3");
    rc_object_unref(out);
    rc_object_unref(m1);
    rc_object_unref(m2);
    rc_error_clear(&err);
}
END_TEST

START_TEST(list_selectors_and_paging)
{
    char buf[256];
    for (int i = 0; i < 25; i++) {
        snprintf(buf, sizeof buf, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm-%02d\","
                 "\"namespace\":\"default\",\"labels\":{\"parity\":\"%s\"}}}", i, i % 2 ? "odd" : "even");
        rc_object_unref(create(buf));
    }
    rc_object_list l;
    rc_object_list_init(&l);
    rc_list_options lo = {.label_selector = "parity=odd"};
    ck_assert_int_eq(rc_client_list(cl, "configmaps", "default", &lo, &l, NULL), 0);
    ck_assert_uint_eq(l.count, 12);
    rc_object_list_clear(&l);
    lo = (rc_list_options){.field_selector = "metadata.name=cm-03"};
    ck_assert_int_eq(rc_client_list(cl, "configmaps", "", &lo, &l, NULL), 0);
    ck_assert_uint_eq(l.count, 1);
    rc_object_list_clear(&l);
    rc_error err = {0};
    lo = (rc_list_options){.field_selector = "spec.foo=bar"};
    ck_assert_int_eq(rc_client_list(cl, "configmaps", "default", &lo, &l, &err), RC_EBADREQUEST);
    ck_assert_str_eq(err.message, "field label not supported: spec.foo");
    lo = (rc_list_options){.label_selector = "a in (b"};
    ck_assert_int_eq(rc_client_list(cl, "configmaps", "default", &lo, &l, &err), RC_EBADREQUEST);
    /* paging: 10 + 10 + 5, in key order, consistent at the first page's version */
    lo = (rc_list_options){.limit = 10};
    ck_assert_int_eq(rc_client_list(cl, "configmaps", "default", &lo, &l, NULL), 0);
    ck_assert_uint_eq(l.count, 10);
    ck_assert_str_eq(rc_object_name(l.items[0]), "cm-00");
    ck_assert_ptr_nonnull(l.continue_token);
    ck_assert_int_eq(l.remaining_item_count, 15);
    char rv0[32], tok[512];
    snprintf(rv0, sizeof rv0, "%s", l.resource_version);
    snprintf(tok, sizeof tok, "%s", l.continue_token);
    rc_object_list_clear(&l);
    /* a change after the first page is not seen by the continued list */
    rc_object_unref(create(CM("cm-15a", "")));
    ck_assert_int_eq(rc_client_delete(cl, "configmaps", "default", "cm-20", NULL, NULL, NULL), 0);
    lo = (rc_list_options){.limit = 10, .continue_token = tok};
    ck_assert_int_eq(rc_client_list(cl, "configmaps", "default", &lo, &l, NULL), 0);
    ck_assert_uint_eq(l.count, 10);
    ck_assert_str_eq(rc_object_name(l.items[0]), "cm-10");
    ck_assert_str_eq(l.resource_version, rv0);
    snprintf(tok, sizeof tok, "%s", l.continue_token);
    rc_object_list_clear(&l);
    lo.continue_token = tok;
    ck_assert_int_eq(rc_client_list(cl, "configmaps", "default", &lo, &l, NULL), 0);
    ck_assert_uint_eq(l.count, 5);
    ck_assert_str_eq(rc_object_name(l.items[0]), "cm-20");
    ck_assert_ptr_null(l.continue_token);
    rc_object_list_clear(&l);
    /* bad and expired tokens */
    lo.continue_token = "!!!";
    ck_assert_int_eq(rc_client_list(cl, "configmaps", "default", &lo, &l, &err), RC_EBADREQUEST);
    lo.continue_token = tok;
    ck_assert_int_eq(rc_apiserver_fault_expire_history(srv, "configmaps"), 0);
    ck_assert_int_eq(rc_client_list(cl, "configmaps", "default", &lo, &l, &err), RC_EGONE);
    ck_assert_int_eq(err.http_status, 410);
    rc_error_clear(&err);
}
END_TEST

START_TEST(list_resource_version_semantics)
{
    rc_object *a = create(CM("a", ""));
    char rv_a[32];
    snprintf(rv_a, sizeof rv_a, "%s", rc_object_resource_version(a));
    rc_object_unref(create(CM("b", "")));
    rc_object_list l;
    rc_object_list_init(&l);
    rc_list_options lo = {.resource_version = rv_a, .resource_version_match = "Exact"};
    ck_assert_int_eq(rc_client_list(cl, "configmaps", "default", &lo, &l, NULL), 0);
    ck_assert_uint_eq(l.count, 1);
    ck_assert_str_eq(l.resource_version, rv_a);
    rc_object_list_clear(&l);
    lo = (rc_list_options){.resource_version = "0"};
    ck_assert_int_eq(rc_client_list(cl, "configmaps", "default", &lo, &l, NULL), 0);
    ck_assert_uint_eq(l.count, 2);
    rc_object_list_clear(&l);
    rc_error err = {0};
    lo = (rc_list_options){.resource_version = "999999"};
    ck_assert_int_eq(rc_client_list(cl, "configmaps", "default", &lo, &l, &err), RC_ETIMEOUT);
    lo = (rc_list_options){.resource_version = "abc"};
    ck_assert_int_eq(rc_client_list(cl, "configmaps", "default", &lo, &l, &err), RC_EBADREQUEST);
    lo = (rc_list_options){.resource_version_match = "Exact"};
    ck_assert_int_eq(rc_client_list(cl, "configmaps", "default", &lo, &l, &err), RC_EINVAL);
    rc_error_clear(&err);
    rc_object_unref(a);
}
END_TEST

START_TEST(finalizers_hold_objects)
{
    rc_object_unref(create(CM("f", ",\"finalizers\":[\"example.com/hold\"]")));
    rc_object *o = NULL;
    ck_assert_int_eq(rc_client_delete(cl, "configmaps", "default", "f", NULL, &o, NULL), 0);
    ck_assert_ptr_nonnull(rc_object_deletion_timestamp(o));
    rc_object_unref(o);
    ck_assert_int_eq(rc_client_get(cl, "configmaps", "default", "f", &o, NULL), 0);
    /* no new finalizers while deleting */
    rc_object *e = rc_object_copy(o);
    rc_object_add_finalizer(e, "another");
    rc_error err = {0};
    ck_assert_int_eq(rc_client_update(cl, NULL, NULL, e, NULL, NULL, &err), RC_EINVAL);
    rc_object_unref(e);
    /* removing the last finalizer removes the object */
    e = rc_object_copy(o);
    rc_object_remove_finalizer(e, "example.com/hold");
    ck_assert_int_eq(rc_client_update(cl, NULL, NULL, e, NULL, NULL, &err), 0);
    rc_object_unref(o);
    ck_assert_int_eq(rc_client_get(cl, "configmaps", "default", "f", &o, &err), RC_ENOTFOUND);
    rc_object_unref(e);
    rc_error_clear(&err);
}
END_TEST

START_TEST(propagation_policies)
{
    rc_object_unref(create(DEPLOY("orphan", 1)));
    rc_object_unref(create(DEPLOY("fg", 1)));
    rc_object_unref(create(DEPLOY("bg", 1)));
    rc_delete_options o = RC_DELETE_OPTIONS_INIT;
    rc_object *out = NULL;
    o.propagation = RC_PROPAGATION_ORPHAN;
    ck_assert_int_eq(rc_client_delete(cl, "deployments", "default", "orphan", &o, &out, NULL), 0);
    ck_assert(rc_object_has_finalizer(out, "orphan"));
    ck_assert_ptr_nonnull(rc_object_deletion_timestamp(out));
    rc_object_unref(out);
    o.propagation = RC_PROPAGATION_FOREGROUND;
    ck_assert_int_eq(rc_client_delete(cl, "deployments", "default", "fg", &o, &out, NULL), 0);
    ck_assert(rc_object_has_finalizer(out, "foregroundDeletion"));
    rc_object_unref(out);
    o.propagation = RC_PROPAGATION_BACKGROUND;
    ck_assert_int_eq(rc_client_delete(cl, "deployments", "default", "bg", &o, &out, NULL), 0);
    rc_object_unref(out);
    rc_error err = {0};
    ck_assert_int_eq(rc_client_get(cl, "deployments", "default", "bg", &out, &err), RC_ENOTFOUND);
    /* preconditions */
    rc_object_unref(create(CM("pre", "")));
    o = (rc_delete_options)RC_DELETE_OPTIONS_INIT;
    o.precondition_uid = "not-the-uid";
    ck_assert_int_eq(rc_client_delete(cl, "configmaps", "default", "pre", &o, NULL, &err), RC_ECONFLICT);
    o.precondition_uid = NULL;
    o.dry_run = true;
    ck_assert_int_eq(rc_client_delete(cl, "configmaps", "default", "pre", &o, NULL, &err), 0);
    ck_assert_int_eq(rc_client_get(cl, "configmaps", "default", "pre", &out, &err), 0);
    rc_object_unref(out);
    ck_assert_int_eq(rc_client_delete(cl, "configmaps", "default", "missing", NULL, NULL, &err), RC_ENOTFOUND);
    rc_error_clear(&err);
}
END_TEST

START_TEST(pod_grace_period)
{
    rc_object_unref(create(POD("unscheduled", "")));
    rc_object *out = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_client_delete(cl, "pods", "default", "unscheduled", NULL, NULL, NULL), 0);
    ck_assert_int_eq(rc_client_get(cl, "pods", "default", "unscheduled", &out, &err), RC_ENOTFOUND);
    rc_object_unref(create(POD("running", "node-1")));
    ck_assert_int_eq(rc_client_delete(cl, "pods", "default", "running", NULL, &out, NULL), 0);
    ck_assert_int_eq(rc_object_get_int(out, "metadata.deletionGracePeriodSeconds", -1), 30);
    ck_assert_str_eq(rc_object_deletion_timestamp(out), "2023-11-14T22:13:50Z");
    rc_object_unref(out);
    ck_assert_int_eq(rc_apiserver_next_deadline(srv) <= T0 + 30 * RC_SEC, 1);
    rc_clock_advance(clk, 29 * RC_SEC);
    rc_apiserver_step(srv);
    ck_assert_int_eq(rc_client_get(cl, "pods", "default", "running", &out, NULL), 0);
    rc_object_unref(out);
    rc_clock_advance(clk, 1 * RC_SEC);
    ck_assert_uint_ge(rc_apiserver_step(srv), 1);
    ck_assert_int_eq(rc_client_get(cl, "pods", "default", "running", &out, &err), RC_ENOTFOUND);
    /* the kubelet's final delete with grace 0 removes it at once */
    rc_object_unref(create(POD("kubelet", "node-1")));
    rc_delete_options o = RC_DELETE_OPTIONS_INIT;
    o.grace_period_seconds = 10;
    ck_assert_int_eq(rc_client_delete(cl, "pods", "default", "kubelet", &o, &out, NULL), 0);
    ck_assert_int_eq(rc_object_get_int(out, "metadata.deletionGracePeriodSeconds", -1), 10);
    rc_object_unref(out);
    o.grace_period_seconds = 0;
    ck_assert_int_eq(rc_client_delete(cl, "pods", "default", "kubelet", &o, NULL, NULL), 0);
    ck_assert_int_eq(rc_client_get(cl, "pods", "default", "kubelet", &out, &err), RC_ENOTFOUND);
    rc_error_clear(&err);
}
END_TEST

START_TEST(namespace_termination)
{
    rc_object_unref(create("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"gone\"}}"));
    rc_object_unref(create("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"namespace\":"
                           "\"gone\",\"finalizers\":[\"x/y\"]}}"));
    rc_object *ns = NULL;
    ck_assert_int_eq(rc_client_delete(cl, "namespaces", NULL, "gone", NULL, &ns, NULL), 0);
    ck_assert_str_eq(rc_object_get_str(ns, "status.phase"), "Terminating");
    rc_object_unref(ns);
    rc_error err = {0};
    ck_assert_int_eq(create_rc("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"late\","
                               "\"namespace\":\"gone\"}}", NULL, NULL, &err), RC_EFORBIDDEN);
    const char *unfin = "{\"metadata\":{\"finalizers\":null}}";
    ck_assert_int_eq(rc_client_patch(cl, "configmaps", "gone", "c", RC_PATCH_MERGE, unfin, strlen(unfin), NULL, NULL,
                                     &err), 0);
    ck_assert_int_eq(rc_client_get(cl, "namespaces", NULL, "gone", &ns, &err), RC_ENOTFOUND);
    rc_error_clear(&err);
}
END_TEST

START_TEST(delete_collection)
{
    for (int i = 0; i < 5; i++) {
        char buf[200];
        snprintf(buf, sizeof buf, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"d%d\","
                 "\"namespace\":\"default\",\"labels\":{\"k\":\"%s\"}}}", i, i < 3 ? "a" : "b");
        rc_object_unref(create(buf));
    }
    rc_list_options lo = {.label_selector = "k=a"};
    ck_assert_int_eq(rc_client_delete_collection(cl, "configmaps", "default", &lo, NULL, NULL), 0);
    rc_object_list l;
    rc_object_list_init(&l);
    ck_assert_int_eq(rc_client_list(cl, "configmaps", "default", NULL, &l, NULL), 0);
    ck_assert_uint_eq(l.count, 2);
    rc_object_list_clear(&l);
}
END_TEST

#define CRD                                                                                                   \
    "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\",\"metadata\":{\"name\":" \
    "\"widgets.example.com\"},\"spec\":{\"group\":\"example.com\",\"scope\":\"Namespaced\",\"names\":{"          \
    "\"plural\":\"widgets\",\"singular\":\"widget\",\"kind\":\"Widget\",\"shortNames\":[\"wg\"]},"              \
    "\"versions\":[{\"name\":\"v1\",\"served\":true,\"storage\":true,\"subresources\":{\"status\":{},"          \
    "\"scale\":{\"specReplicasPath\":\".spec.replicas\",\"statusReplicasPath\":\".status.replicas\"}},"         \
    "\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\","       \
    "\"properties\":{\"size\":{\"type\":\"integer\",\"minimum\":1},\"replicas\":{\"type\":\"integer\"}}},"      \
    "\"status\":{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true}}}}}]}}"

START_TEST(crd_registers_and_serves)
{
    rc_object *crd = create(CRD);
    ck_assert_str_eq(rc_object_get_str(crd, "status.conditions.1.type"), "Established");
    rc_object_unref(crd);
    ck_assert_ptr_nonnull(rc_registry_lookup(rc_client_registry(cl), "wg"));
    rc_object *w = create("{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"w1\","
                          "\"namespace\":\"default\"},\"spec\":{\"size\":3,\"replicas\":1,\"junk\":true}}");
    ck_assert_int_eq(rc_object_get_int(w, "spec.size", 0), 3);
    ck_assert(!rc_node_exists(rc_object_at(w, "spec.junk"))); /* pruned */
    rc_object_unref(w);
    rc_error err = {0};
    ck_assert_int_eq(create_rc("{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":"
                               "\"w2\",\"namespace\":\"default\"},\"spec\":{\"size\":0}}",
                               NULL, NULL, &err),
                     RC_EINVAL);
    rc_object *sc = NULL;
    ck_assert_int_eq(rc_client_get_scale(cl, "widgets", "default", "w1", &sc, &err), 0);
    ck_assert_int_eq(rc_object_get_int(sc, "spec.replicas", 0), 1);
    rc_object_unref(sc);
    const char *smp = "{\"spec\":{\"size\":4}}";
    ck_assert_int_eq(rc_client_patch(cl, "widgets", "default", "w1", RC_PATCH_STRATEGIC, smp, strlen(smp), NULL, NULL,
                                     &err), RC_EUNSUPPORTED);
    ck_assert_int_eq(rc_client_delete(cl, "customresourcedefinitions", NULL, "widgets.example.com", NULL, NULL,
                                      &err), 0);
    ck_assert_ptr_null(rc_registry_lookup(rc_client_registry(cl), "wg"));
    rc_error_clear(&err);
}
END_TEST

START_TEST(access_reviews_and_rbac)
{
    rc_user alice = {.name = "alice", .groups = {"system:authenticated"}};
    rc_client *ac = rc_apiserver_client(srv, &alice);
    rc_object *out = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_client_get(ac, "namespaces", NULL, "default", &out, &err), RC_EFORBIDDEN);
    ck_assert_int_eq(err.http_status, 403);
    bool allowed = true;
    ck_assert_int_eq(rc_client_can_i(ac, "list", "pods", "default", NULL, &allowed, &err), 0);
    ck_assert(!allowed);
    rc_object_unref(create("{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"RoleBinding\",\"metadata\":"
                           "{\"name\":\"alice-view\",\"namespace\":\"default\"},\"roleRef\":{\"apiGroup\":"
                           "\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"view\"},\"subjects\":"
                           "[{\"kind\":\"User\",\"name\":\"alice\"}]}"));
    ck_assert_int_eq(rc_client_can_i(ac, "list", "pods", "default", NULL, &allowed, &err), 0);
    ck_assert(allowed);
    rc_object_list l;
    rc_object_list_init(&l);
    ck_assert_int_eq(rc_client_list(ac, "pods", "default", NULL, &l, &err), 0);
    ck_assert_int_eq(rc_client_list(ac, "pods", "kube-system", NULL, &l, &err), RC_EFORBIDDEN);
    ck_assert_int_eq(create_rc(CM("x", ""), NULL, NULL, &err), 0); /* the unauthenticated client is allow-all */
    rc_object *cm = obj(CM("y", ""));
    ck_assert_int_eq(rc_client_create(ac, NULL, NULL, cm, NULL, NULL, &err), RC_EFORBIDDEN);
    ck_assert_int_eq(rc_client_get(cl, "configmaps", "default", "y", &out, NULL), RC_ENOTFOUND);
    rc_object_unref(cm);
    rc_apiserver_set_rbac(srv, false);
    ck_assert_int_eq(rc_client_list(ac, "pods", "kube-system", NULL, &l, &err), 0);
    rc_object_list_clear(&l);
    rc_client_unref(ac);
    rc_error_clear(&err);
}
END_TEST

START_TEST(action_log_and_trace)
{
    rc_apiserver_clear_actions(srv);
    rc_user bob = {.name = "bob", .groups = {"system:masters"}};
    rc_client *bc = rc_apiserver_client(srv, &bob);
    rc_object *in = obj(CM("logged", "")), *out = NULL;
    ck_assert_int_eq(rc_client_create(bc, NULL, NULL, in, NULL, &out, NULL), 0);
    rc_object_unref(out);
    ck_assert_int_eq(rc_client_get(bc, "cm", "default", "nope", &out, NULL), RC_ENOTFOUND);
    rc_action *acts = NULL;
    size_t n = rc_apiserver_actions(srv, &acts);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(acts[0].verb, "create");
    ck_assert_str_eq(acts[0].resource, "configmaps");
    ck_assert_str_eq(acts[0].namespace_, "default");
    ck_assert_str_eq(acts[0].name, "logged");
    ck_assert_str_eq(acts[0].actor, "bob");
    ck_assert_int_eq(acts[0].code, 0);
    ck_assert_uint_gt(acts[0].resource_version, 0);
    ck_assert_str_eq(acts[1].verb, "get");
    ck_assert_int_eq(acts[1].code, RC_ENOTFOUND);
    rc_actions_free(acts, n);
    rc_apiserver_clear_actions(srv);
    ck_assert_uint_eq(rc_apiserver_actions(srv, &acts), 0);
    rc_object_unref(in);
    rc_client_unref(bc);
}
END_TEST

START_TEST(client_after_server_free)
{
    rc_client *keep = rc_client_ref(cl);
    rc_client_unref(cl);
    cl = NULL;
    rc_apiserver_free(srv);
    srv = NULL;
    rc_object *out = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_client_get(keep, "pods", "default", "x", &out, &err), RC_ECLOSED);
    rc_error_clear(&err);
    rc_client_unref(keep);
}
END_TEST

START_TEST(strict_field_validation)
{
    const char *typo = "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"svc\","
                       "\"namespace\":\"default\"},\"spec\":{\"clusterIp\":\"None\",\"ports\":[{\"port\":80}]}}";
    rc_object *in = obj(typo), *out = NULL;
    rc_error err = {0};
    rc_write_options strict = {.field_validation = RC_FIELD_VALIDATION_STRICT};
    ck_assert_int_eq(rc_client_create(cl, NULL, NULL, in, &strict, &out, &err), RC_EBADREQUEST);
    ck_assert_msg(strstr(err.message, "unknown field \"spec.clusterIp\"") != NULL, "%s", err.message);
    ck_assert_ptr_null(out);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_client_get(cl, "services", "default", "svc", &out, &err), RC_ENOTFOUND);
    rc_error_clear(&err);
    rc_object_unref(in);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("apiserver");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, apiserver_fixture_close);
    tcase_add_test(tc, create_stamps_metadata);
    tcase_add_test(tc, create_errors);
    tcase_add_test(tc, strict_field_validation);
    tcase_add_test(tc, generate_name_and_namespaces);
    tcase_add_test(tc, generate_name_retries_a_taken_name);
    tcase_add_test(tc, update_conflict_and_generation);
    tcase_add_test(tc, scale_subresource);
    tcase_add_test(tc, binding_assigns_node);
    tcase_add_test(tc, patches);
    tcase_add_test(tc, client_side_apply);
    tcase_add_test(tc, list_selectors_and_paging);
    tcase_add_test(tc, list_resource_version_semantics);
    tcase_add_test(tc, finalizers_hold_objects);
    tcase_add_test(tc, propagation_policies);
    tcase_add_test(tc, pod_grace_period);
    tcase_add_test(tc, namespace_termination);
    tcase_add_test(tc, delete_collection);
    tcase_add_test(tc, crd_registers_and_serves);
    tcase_add_test(tc, access_reviews_and_rbac);
    tcase_add_test(tc, action_log_and_trace);
    tcase_add_test(tc, client_after_server_free);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rc_test_run_suite(suite());
}
