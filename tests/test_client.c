/* test_client.c - the rc_client dispatch layer (lib/client/client.c) over the embedded API server:
 * resource resolution by every name form (plural, singular, short name, kind, plural.group, from an
 * object) and the errors naming an unknown resource, argument checks (NULL/empty), reference counting
 * and calls after the server is gone, client-side apply, "can I", and the list-watch reflectors use
 * (list, watch from the listed version, 410 Expired), and the verbs taking the caller's reference
 * (rc_client_create_owned, rc_client_update_status_owned) against their borrowing twins. */
#include <reconcile.h>
#include <reconcile/apiserver.h>
#include <reconcile/client.h>

#include <stdlib.h>
#include <string.h>

#include "support/apiserver_fixture.h"

#define CM(name, extra) "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" name \
    "\",\"namespace\":\"default\"}" extra "}"

static void setup(void) { apiserver_fixture_open(3); }

START_TEST(resolve_every_name_form)
{
    static const char *const names[] = {"deployments", "deployment", "deploy", "Deployment", "deployments.apps",
                                        "deployments.v1.apps"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        rc_error err = {0};
        const rc_resource_info *ri = rc_client_resolve(cl, names[i], NULL, &err);
        ck_assert_msg(ri != NULL, "%s: %s", names[i], err.message ? err.message : "");
        ck_assert_str_eq(ri->plural, "deployments");
        ck_assert_str_eq(ri->group, "apps");
    }
    rc_object *o = obj(CM("x", ""));
    const rc_resource_info *ri = rc_client_resolve(cl, NULL, o, NULL);
    ck_assert_ptr_nonnull(ri);
    ck_assert_str_eq(ri->plural, "configmaps");
    rc_object_unref(o);
    ck_assert_ptr_nonnull(rc_client_registry(cl));
}
END_TEST

START_TEST(resolve_errors_name_the_resource)
{
    rc_error err = {0};
    ck_assert_ptr_null(rc_client_resolve(cl, "gadgets", NULL, &err));
    ck_assert_int_eq(err.code, RC_ENOTFOUND);
    ck_assert_str_eq(err.message, "the server doesn't have a resource type \"gadgets\"");
    rc_error_clear(&err);
    rc_object *out = NULL;
    ck_assert_int_eq(rc_client_get(cl, "gadgets", "default", "g", &out, &err), RC_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.message, "\"gadgets\""));
    ck_assert_ptr_null(out);
    rc_error_clear(&err);
    rc_object *o = obj("{\"apiVersion\":\"example.com/v1\",\"kind\":\"Gadget\",\"metadata\":{\"name\":\"g\"}}");
    ck_assert_int_eq(rc_client_create(cl, NULL, "default", o, NULL, NULL, &err), RC_ENOTFOUND);
    ck_assert_str_eq(err.message, "no matches for kind \"Gadget\" in version \"example.com/v1\"");
    rc_error_clear(&err);
    rc_object_unref(o);
    ck_assert_ptr_null(rc_client_resolve(cl, NULL, NULL, &err));
    ck_assert_int_eq(err.code, RC_EINVAL);
    rc_error_clear(&err);
}
END_TEST

START_TEST(null_and_empty_arguments)
{
    rc_error err = {0};
    rc_object *out = NULL;
    ck_assert_int_eq(rc_client_get(cl, "pods", "default", NULL, &out, &err), RC_EINVAL);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_client_get(cl, "pods", "default", "", &out, &err), RC_EINVAL);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_client_get(cl, "pods", "default", "p", NULL, &err), RC_EINVAL);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_client_list(cl, "pods", NULL, NULL, NULL, &err), RC_EINVAL);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_client_create(cl, "pods", NULL, NULL, NULL, NULL, &err), RC_EINVAL);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_client_update(cl, "pods", NULL, NULL, NULL, NULL, &err), RC_EINVAL);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_client_update_scale(cl, NULL, NULL, NULL, NULL, NULL, &err), RC_EINVAL);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_client_patch(cl, "pods", "default", "p", RC_PATCH_MERGE, NULL, 0, NULL, NULL, &err),
                     RC_EINVAL);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_client_delete(cl, "pods", "default", "", NULL, NULL, &err), RC_EINVAL);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_client_watch(cl, "pods", "", NULL, NULL, &err), RC_EINVAL);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_client_apply(cl, NULL, NULL, NULL, NULL, &err), RC_EINVAL);
    rc_error_clear(&err);
    bool allowed = false;
    ck_assert_int_eq(rc_client_can_i(cl, NULL, "pods", "default", NULL, &allowed, &err), RC_EINVAL);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_client_list_watch(cl, "pods", "", NULL, &err), RC_EINVAL);
    rc_error_clear(&err);
    /* NULL namespace is "": a list of all namespaces; NULL err is allowed */
    rc_object_list l;
    rc_object_list_init(&l);
    ck_assert_int_eq(rc_client_list(cl, "namespaces", NULL, NULL, &l, NULL), 0);
    ck_assert_uint_eq(l.count, 3);
    rc_object_list_clear(&l);
    ck_assert_int_eq(rc_client_get(cl, "nope", NULL, "x", &out, NULL), RC_ENOTFOUND);
    rc_client_ref(NULL);
    rc_client_unref(NULL);
}
END_TEST

START_TEST(refcount_and_closed_server)
{
    rc_client *extra = rc_client_ref(cl);
    ck_assert_ptr_eq(extra, cl);
    rc_client_unref(extra); /* cl still usable */
    rc_object_unref(create(CM("a", "")));
    rc_client *late = rc_apiserver_client(srv, NULL);
    rc_apiserver_free(srv);
    srv = NULL;
    rc_error err = {0};
    rc_object *out = NULL;
    ck_assert_int_eq(rc_client_get(late, "configmaps", "default", "a", &out, &err), RC_ECLOSED);
    rc_error_clear(&err);
    ck_assert_ptr_null(rc_client_registry(late));
    ck_assert_ptr_null(rc_client_resolve(late, "pods", NULL, &err));
    ck_assert_int_eq(err.code, RC_ECLOSED);
    rc_error_clear(&err);
    rc_client_unref(late);
}
END_TEST

START_TEST(client_side_apply_creates_then_patches)
{
    rc_object *m = obj(CM("app", ",\"data\":{\"a\":\"1\",\"b\":\"2\"}")), *out = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_client_apply(cl, NULL, m, NULL, &out, &err), 0);
    ck_assert_ptr_nonnull(rc_object_annotation(out, "kubectl.kubernetes.io/last-applied-configuration"));
    const char *rv1 = rc_object_resource_version(out);
    char first[32];
    snprintf(first, sizeof first, "%s", rv1);
    rc_object_unref(out);
    /* same manifest again: nothing to change, no write */
    ck_assert_int_eq(rc_client_apply(cl, "configmaps", m, NULL, &out, &err), 0);
    ck_assert_str_eq(rc_object_resource_version(out), first);
    rc_object_unref(out);
    rc_object_unref(m);
    /* dropping b removes it (it was applied before); a live-only field stays */
    const char *live = "{\"data\":{\"c\":\"3\"}}";
    ck_assert_int_eq(rc_client_patch(cl, "cm", "default", "app", RC_PATCH_MERGE, live, strlen(live), NULL, NULL,
                                     &err), 0);
    m = obj(CM("app", ",\"data\":{\"a\":\"9\"}"));
    ck_assert_int_eq(rc_client_apply(cl, NULL, m, NULL, &out, &err), 0);
    ck_assert_str_eq(rc_object_get_str(out, "data.a"), "9");
    ck_assert_ptr_null(rc_object_get_str(out, "data.b"));
    ck_assert_str_eq(rc_object_get_str(out, "data.c"), "3");
    rc_object_unref(out);
    rc_object_unref(m);
    /* an unknown kind is refused before anything is sent */
    m = obj("{\"apiVersion\":\"x.io/v1\",\"kind\":\"Nope\",\"metadata\":{\"name\":\"n\",\"namespace\":\"default\"}}");
    ck_assert_int_eq(rc_client_apply(cl, NULL, m, NULL, &out, &err), RC_ENOTFOUND);
    rc_error_clear(&err);
    rc_object_unref(m);
}
END_TEST

/* A conflicting patch is retried with a fresh read, as kubectl apply retries it: five conflicts in a row
 * still apply the manifest, a sixth is reported. */
START_TEST(client_side_apply_retries_conflicts)
{
    rc_object *m = obj(CM("retry", ",\"data\":{\"a\":\"1\"}")), *out = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_client_apply(cl, NULL, m, NULL, NULL, &err), 0);
    rc_object_unref(m);
    for (uint64_t conflicts = 5; conflicts <= 6; conflicts++) {
        rc_fault_rule rule = {.verb = "patch", .resource = "configmaps", .nth = 1, .times = conflicts,
                              .code = RC_ECONFLICT};
        ck_assert_int_eq(rc_apiserver_fault_fail(srv, &rule, &err), 0);
        char doc[128];
        snprintf(doc, sizeof doc, CM("retry", ",\"data\":{\"a\":\"%d\"}"), (int)conflicts);
        m = obj(doc);
        int rc = rc_client_apply(cl, NULL, m, NULL, &out, &err);
        rc_object_unref(m);
        if (conflicts == 5) {
            ck_assert_int_eq(rc, 0);
            ck_assert_str_eq(rc_object_get_str(out, "data.a"), "5");
            rc_object_unref(out);
            out = NULL;
        } else {
            ck_assert_int_eq(rc, RC_ECONFLICT);
            ck_assert_int_eq(err.http_status, 409);
            rc_error_clear(&err);
        }
    }
    rc_object *live = NULL;
    ck_assert_int_eq(rc_client_get(cl, "configmaps", "default", "retry", &live, &err), 0);
    ck_assert_str_eq(rc_object_get_str(live, "data.a"), "5"); /* the failed apply changed nothing */
    rc_object_unref(live);
}
END_TEST

START_TEST(can_i_answers_per_identity)
{
    bool allowed = false;
    rc_error err = {0};
    ck_assert_int_eq(rc_client_can_i(cl, "delete", "pods", "default", NULL, &allowed, &err), 0);
    ck_assert(allowed); /* unauthenticated in-process client: allow-all */
    rc_object_unref(create("{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"RoleBinding\",\"metadata\":"
                           "{\"name\":\"v\",\"namespace\":\"default\"},\"subjects\":[{\"kind\":\"User\",\"name\":"
                           "\"ann\"}],\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\","
                           "\"name\":\"view\"}}"));
    rc_user ann = {.name = "ann", .groups = {"system:authenticated"}}; /* system:basic-user may ask */
    rc_client *c = rc_apiserver_client(srv, &ann);
    ck_assert_int_eq(rc_client_can_i(c, "list", "pods", "default", NULL, &allowed, &err), 0);
    ck_assert(allowed);
    ck_assert_int_eq(rc_client_can_i(c, "delete", "pods", "default", "p", &allowed, &err), 0);
    ck_assert(!allowed);
    ck_assert_int_eq(rc_client_can_i(c, "list", "pods", "kube-system", NULL, &allowed, &err), 0);
    ck_assert(!allowed);
    ck_assert_int_eq(rc_client_can_i(c, "update", "deployments/scale", "default", NULL, &allowed, &err), 0);
    ck_assert(!allowed);
    ck_assert_int_eq(rc_client_can_i(c, "get", "gadgets", "default", NULL, &allowed, &err), RC_ENOTFOUND);
    rc_error_clear(&err);
    rc_client_unref(c);
}
END_TEST

static int next_event(rc_watch *w, rc_watch_event *ev)
{
    rc_apiserver_pump(srv);
    return rc_watch_next(w, ev);
}

START_TEST(list_watch_lists_then_watches_and_expires)
{
    rc_object_unref(create(CM("one", "")));
    rc_list_watch lw = {0};
    rc_error err = {0};
    ck_assert_int_eq(rc_client_list_watch(cl, "cm", "default", &lw, &err), 0);
    ck_assert_int_eq(rc_client_list_watch(cl, "gadgets", "", &lw, &err), RC_ENOTFOUND);
    rc_error_clear(&err);
    rc_object_list l;
    rc_object_list_init(&l);
    ck_assert_int_eq(lw.ops->list(lw.ctx, NULL, &l, &err), 0);
    ck_assert_uint_eq(l.count, 1);
    char rv[32];
    snprintf(rv, sizeof rv, "%s", l.resource_version);
    rc_object_list_clear(&l);
    /* the list-watch holds its own client reference */
    rc_client *keep = rc_client_ref(cl);
    rc_client_unref(cl);
    cl = keep;
    rc_list_options wo = {.resource_version = rv};
    rc_watch *w = NULL;
    ck_assert_int_eq(lw.ops->watch(lw.ctx, &wo, &w, &err), 0);
    rc_object_unref(create(CM("two", "")));
    rc_watch_event ev = {0};
    ck_assert_int_eq(next_event(w, &ev), 0);
    ck_assert_int_eq(ev.type, RC_WATCH_ADDED);
    ck_assert_str_eq(rc_object_name(ev.object), "two");
    rc_watch_event_clear(&ev);
    rc_watch_stop(w);
    rc_watch_unref(w);
    /* history forgotten: resuming from the listed version is 410 Gone, as a reflector sees it */
    ck_assert_int_eq(rc_apiserver_fault_expire_history(srv, NULL), 0);
    ck_assert_int_eq(lw.ops->watch(lw.ctx, &wo, &w, &err), 0);
    ck_assert_int_eq(next_event(w, &ev), 0);
    ck_assert_int_eq(ev.type, RC_WATCH_ERROR);
    ck_assert_int_eq(ev.error.code, RC_EGONE);
    ck_assert_int_eq(ev.error.http_status, 410);
    rc_watch_event_clear(&ev);
    rc_watch_stop(w);
    rc_watch_unref(w);
    /* a relist then works */
    rc_object_list_init(&l);
    ck_assert_int_eq(lw.ops->list(lw.ctx, NULL, &l, &err), 0);
    ck_assert_uint_eq(l.count, 2);
    rc_object_list_clear(&l);
    lw.ops->destroy(lw.ctx);
}
END_TEST

START_TEST(list_watch_through_a_reflector_store)
{
    rc_list_watch lw = {0};
    ck_assert_int_eq(rc_client_list_watch(cl, "namespaces", NULL, &lw, NULL), 0);
    rc_object_list l;
    rc_object_list_init(&l);
    ck_assert_int_eq(lw.ops->list(lw.ctx, NULL, &l, NULL), 0);
    ck_assert_uint_eq(l.count, 3); /* cluster-scoped: default, kube-public, kube-system */
    rc_object_list_clear(&l);
    lw.ops->destroy(lw.ctx);
}
END_TEST

/* A draft of json (caller unrefs). */
static rc_object *draft(const char *json)
{
    rc_object *d = rc_object_new_draft(cJSON_Parse(json));
    ck_assert_ptr_nonnull(d);
    return d;
}

START_TEST(create_owned_stores_what_create_stores)
{
    rc_error err = {0};
    rc_object *a = NULL, *b = NULL;
    rc_object *d = draft(CM("a", ",\"data\":{\"k\":\"v\",\"n\":\"1\"}"));
    ck_assert_int_eq(rc_client_create(cl, "configmaps", NULL, d, NULL, &a, &err), 0);
    ck_assert(rc_object_is_frozen(d)); /* the borrowing call froze the draft */
    rc_object_unref(d);
    /* the owned call takes the caller's reference: nothing to release afterwards */
    ck_assert_int_eq(
        rc_client_create_owned(cl, "configmaps", NULL, draft(CM("b", ",\"data\":{\"k\":\"v\",\"n\":\"1\"}")), NULL,
                               &b, &err),
        0);
    ck_assert_str_eq(rc_object_name(b), "b");
    ck_assert_str_eq(rc_object_namespace(b), "default");
    ck_assert_str_eq(rc_object_get_str(b, "data.k"), "v");
    ck_assert_str_eq(rc_object_get_str(b, "data.n"), "1");
    ck_assert_int_eq(strtoll(rc_object_resource_version(b), NULL, 10),
                     strtoll(rc_object_resource_version(a), NULL, 10) + 1);
    rc_object_unref(a);
    rc_object_unref(b);
    /* generateName, and the namespace given by the call rather than the object */
    ck_assert_int_eq(rc_client_create_owned(cl, "configmaps", "kube-system",
                                            draft("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
                                                  "\"metadata\":{\"generateName\":\"g-\"}}"),
                                            NULL, &a, &err),
                     0);
    ck_assert_str_eq(rc_object_namespace(a), "kube-system");
    ck_assert_int_eq(strncmp(rc_object_name(a), "g-", 2), 0);
    ck_assert_uint_eq(strlen(rc_object_name(a)), 7);
    rc_object_unref(a);
}
END_TEST

START_TEST(create_owned_of_a_shared_draft_leaves_it_whole)
{
    rc_error err = {0};
    rc_object *d = draft(CM("shared", ",\"data\":{\"k\":\"v\"}")), *out = NULL;
    rc_object_ref(d); /* someone else holds it too: its tree must not move */
    ck_assert_int_eq(rc_client_create_owned(cl, "configmaps", NULL, d, NULL, &out, &err), 0);
    ck_assert_str_eq(rc_object_get_str(d, "data.k"), "v");
    ck_assert_str_eq(rc_object_get_str(out, "data.k"), "v");
    rc_object_unref(d);
    rc_object_unref(out);
}
END_TEST

START_TEST(create_owned_errors_as_create)
{
    rc_error err = {0};
    rc_object *out = NULL;
    ck_assert_int_eq(rc_client_create_owned(cl, "configmaps", NULL, NULL, NULL, &out, &err), RC_EINVAL);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_client_create_owned(cl, "gadgets", NULL, draft(CM("x", "")), NULL, &out, &err),
                     RC_ENOTFOUND);
    ck_assert_str_eq(err.message, "the server doesn't have a resource type \"gadgets\"");
    rc_error_clear(&err);
    rc_object_unref(create(CM("taken", "")));
    ck_assert_int_eq(rc_client_create_owned(cl, "configmaps", NULL, draft(CM("taken", "")), NULL, &out, &err),
                     RC_EEXISTS);
    ck_assert_ptr_null(out);
    rc_error_clear(&err);
    rc_write_options wo = {.subresource = "status"};
    ck_assert_int_eq(rc_client_create_owned(cl, "configmaps", NULL, draft(CM("sub", "")), &wo, &out, &err),
                     RC_ENOTALLOWED);
    ck_assert_str_eq(err.message, "create is not allowed on the status subresource");
    rc_error_clear(&err);
    /* a draft too deep to check is refused by the server's limits, naming the path, as create does */
    cJSON *root = cJSON_Parse(CM("deep", "")), *at = cJSON_AddObjectToObject(root, "data");
    for (unsigned i = 0; i < RC_OBJECT_MAX_DEPTH + 8; i++)
        at = cJSON_AddObjectToObject(at, "d");
    rc_object *deep = rc_object_new_draft(root);
    ck_assert_int_ne(rc_client_create_owned(cl, "configmaps", NULL, deep, NULL, &out, &err), 0);
    ck_assert_int_eq(err.http_status, 400);
    ck_assert_msg(strstr(err.message, "nesting deeper than 512 levels") != NULL, "%s", err.message);
    ck_assert_ptr_null(out);
    rc_error_clear(&err);
}
END_TEST

START_TEST(update_status_owned_changes_only_status)
{
    rc_error err = {0};
    rc_object *pod = create("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":"
                            "\"default\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}");
    rc_object *d = rc_object_copy(pod), *out = NULL;
    ck_assert_int_eq(rc_object_set_json(d, "status", cJSON_Parse("{\"phase\":\"Running\"}")), 0);
    ck_assert_int_eq(rc_object_set_json(d, "spec.nodeName", cJSON_CreateString("ignored")), 0);
    ck_assert_int_eq(rc_client_update_status_owned(cl, "pods", NULL, d, NULL, &out, &err), 0);
    ck_assert_str_eq(rc_object_get_str(out, "status.phase"), "Running");
    ck_assert_ptr_null(rc_object_get_str(out, "spec.nodeName"));
    ck_assert_str_eq(rc_object_get_str(out, "spec.containers.0.image"), "nginx");
    rc_object_unref(out);
    out = NULL;
    /* a stale resourceVersion conflicts, as with rc_client_update_status */
    d = rc_object_copy(pod);
    ck_assert_int_eq(rc_object_set_json(d, "status", cJSON_Parse("{\"phase\":\"Failed\"}")), 0);
    ck_assert_int_eq(rc_client_update_status_owned(cl, "pods", NULL, d, NULL, &out, &err), RC_ECONFLICT);
    ck_assert_ptr_null(out);
    rc_error_clear(&err);
    /* a shared draft is written without moving its tree */
    d = rc_object_copy(pod);
    ck_assert_int_eq(rc_object_set_json(d, "metadata.resourceVersion", cJSON_CreateString("")), 0);
    ck_assert_int_eq(rc_object_set_json(d, "status", cJSON_Parse("{\"phase\":\"Succeeded\"}")), 0);
    rc_object_ref(d);
    ck_assert_int_eq(rc_client_update_status_owned(cl, "pods", NULL, d, NULL, &out, &err), 0);
    ck_assert_str_eq(rc_object_get_str(out, "status.phase"), "Succeeded");
    ck_assert_str_eq(rc_object_get_str(d, "status.phase"), "Succeeded");
    rc_object_unref(d);
    rc_object_unref(out);
    ck_assert_int_eq(rc_client_update_status_owned(cl, "pods", NULL, NULL, NULL, &out, &err), RC_EINVAL);
    rc_error_clear(&err);
    rc_object_unref(pod);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("client");
    TCase *tc = tcase_create("dispatch");
    tcase_add_checked_fixture(tc, setup, apiserver_fixture_close);
    tcase_add_test(tc, resolve_every_name_form);
    tcase_add_test(tc, resolve_errors_name_the_resource);
    tcase_add_test(tc, null_and_empty_arguments);
    tcase_add_test(tc, refcount_and_closed_server);
    tcase_add_test(tc, client_side_apply_creates_then_patches);
    tcase_add_test(tc, client_side_apply_retries_conflicts);
    tcase_add_test(tc, can_i_answers_per_identity);
    tcase_add_test(tc, list_watch_lists_then_watches_and_expires);
    tcase_add_test(tc, list_watch_through_a_reflector_store);
    tcase_add_test(tc, create_owned_stores_what_create_stores);
    tcase_add_test(tc, create_owned_of_a_shared_draft_leaves_it_whole);
    tcase_add_test(tc, create_owned_errors_as_create);
    tcase_add_test(tc, update_status_owned_changes_only_status);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rc_test_run_suite(suite());
}
