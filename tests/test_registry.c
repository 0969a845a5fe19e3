/* test_registry.c - the resource registry: built-in kinds, kubectl-style lookups, CRD kinds added and
 * removed at run time, conflicts, bad input and concurrent readers. */
#include <reconcile.h>
#include <pthread.h>
#include <string.h>

#include "support/testutil.h"

START_TEST(builtins_have_scope_and_subresources)
{
    rc_registry *r = rc_registry_new();
    ck_assert_uint_eq(rc_registry_count(r), 27);
    const rc_resource_info *pod = rc_registry_by_kind(r, "v1", "Pod");
    ck_assert_ptr_nonnull(pod);
    ck_assert_str_eq(pod->group, "");
    ck_assert_str_eq(pod->plural, "pods");
    ck_assert_str_eq(pod->singular, "pod");
    ck_assert_str_eq(pod->list_kind, "PodList");
    ck_assert_str_eq(pod->short_names[0], "po");
    ck_assert_ptr_null(pod->short_names[1]);
    ck_assert(pod->namespaced && pod->has_status && !pod->has_scale);
    ck_assert_str_eq(pod->categories, "all");
    ck_assert_ptr_eq(rc_registry_at(r, 0), pod);
    const rc_resource_info *d = rc_registry_by_kind(r, "apps/v1", "Deployment");
    ck_assert_ptr_nonnull(d);
    ck_assert(d->namespaced && d->has_status && d->has_scale);
    ck_assert_ptr_eq(rc_registry_by_resource(r, "apps", "v1", "deployments"), d);
    ck_assert_ptr_eq(rc_registry_by_resource(r, "apps", NULL, "deployments"), d);
    ck_assert_ptr_null(rc_registry_by_resource(r, "apps", "v2", "deployments"));
    ck_assert_ptr_null(rc_registry_by_resource(r, "", "v1", "deployments"));
    ck_assert_ptr_null(rc_registry_by_kind(r, "v1", "Deployment"));
    ck_assert_ptr_null(rc_registry_by_kind(r, "apps/v2", "Deployment"));
    const rc_resource_info *node = rc_registry_lookup(r, "no");
    ck_assert(!node->namespaced && node->has_status);
    ck_assert(!rc_registry_lookup(r, "namespaces")->namespaced);
    ck_assert(!rc_registry_lookup(r, "pv")->namespaced);
    ck_assert(rc_registry_lookup(r, "pvc")->namespaced && rc_registry_lookup(r, "pvc")->has_status);
    ck_assert(rc_registry_lookup(r, "sts")->has_scale);
    ck_assert(rc_registry_lookup(r, "rs")->has_scale);
    ck_assert(!rc_registry_lookup(r, "ds")->has_scale && rc_registry_lookup(r, "ds")->has_status);
    ck_assert(rc_registry_lookup(r, "cj")->has_status);
    ck_assert(!rc_registry_lookup(r, "cm")->has_status);
    ck_assert_str_eq(rc_registry_lookup(r, "ep")->singular, "endpoints");
    ck_assert_ptr_null(rc_registry_lookup(r, "cm")->categories);
    ck_assert_str_eq(rc_registry_lookup(r, "jobs")->categories, "all");
    ck_assert_str_eq(rc_registry_lookup(r, "svc")->categories, "all");
    ck_assert_str_eq(rc_registry_lookup(r, "crds")->kind, "CustomResourceDefinition");
    ck_assert_str_eq(rc_registry_lookup(r, "crd")->group, "apiextensions.k8s.io");
    ck_assert(!rc_registry_lookup(r, "clusterroles")->namespaced);
    ck_assert(rc_registry_lookup(r, "roles")->namespaced);
    ck_assert(!rc_registry_lookup(r, "subjectaccessreviews")->namespaced);
    ck_assert(!rc_registry_lookup(r, "selfsubjectaccessreview")->namespaced);
    ck_assert_str_eq(rc_registry_lookup(r, "lease")->group, "coordination.k8s.io");
    ck_assert_str_eq(rc_registry_lookup(r, "sc")->kind, "StorageClass");
    ck_assert_ptr_null(rc_registry_lookup(r, "scale"));
    ck_assert_ptr_null(rc_registry_by_kind(r, "autoscaling/v1", "Scale"));
    char buf[64];
    ck_assert_str_eq(rc_resource_api_version(d, buf, sizeof buf), "apps/v1");
    ck_assert_str_eq(rc_resource_api_version(pod, buf, sizeof buf), "v1");
    rc_registry_free(r);
}
END_TEST

START_TEST(kubectl_names_resolve)
{
    rc_registry *r = rc_registry_new();
    const rc_resource_info *d = rc_registry_by_kind(r, "apps/v1", "Deployment");
    const char *names[] = {"deployments", "deployment", "deploy", "Deployment", "DEPLOYMENTS", "deployments.apps",
                           "deploy.apps", "deployments.v1.apps", "Deployment.apps"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        ck_assert_msg(rc_registry_lookup(r, names[i]) == d, "%s", names[i]);
    ck_assert_ptr_null(rc_registry_lookup(r, "deployments.batch"));
    ck_assert_ptr_null(rc_registry_lookup(r, "deployments.v2.apps"));
    ck_assert_ptr_null(rc_registry_lookup(r, "nothing"));
    ck_assert_ptr_null(rc_registry_lookup(r, ""));
    ck_assert_ptr_null(rc_registry_lookup(r, NULL));
    ck_assert_str_eq(rc_registry_lookup(r, "po")->kind, "Pod");
    ck_assert_str_eq(rc_registry_lookup(r, "pods.")->kind, "Pod"); /* core group qualifier is empty */
    ck_assert_str_eq(rc_registry_lookup(r, "jobs.batch")->kind, "Job");
    rc_registry_free(r);
}
END_TEST

START_TEST(crd_kinds_added_and_removed)
{
    rc_registry *r = rc_registry_new();
    rc_error err = {0};
    rc_resource_info crd = {.group = "example.com", .version = "v1alpha1", .kind = "Widget", .plural = "widgets",
                            .short_names = {"wd"}, .namespaced = true, .has_status = true};
    ck_assert_int_eq(rc_registry_add(r, &crd, &err), 0);
    ck_assert_int_eq(rc_registry_add(r, &crd, &err), 0); /* identical again: fine */
    ck_assert_uint_eq(rc_registry_count(r), 28);
    const rc_resource_info *w = rc_registry_lookup(r, "wd");
    ck_assert_ptr_nonnull(w);
    ck_assert_ptr_ne(w->plural, crd.plural); /* copied */
    ck_assert_str_eq(w->singular, "widget");
    ck_assert_str_eq(w->list_kind, "WidgetList");
    ck_assert_ptr_eq(rc_registry_by_kind(r, "example.com/v1alpha1", "Widget"), w);
    ck_assert_ptr_eq(rc_registry_lookup(r, "widgets.example.com"), w);
    ck_assert_ptr_eq(rc_registry_at(r, 27), w);

    rc_resource_info other = crd;
    other.namespaced = false;
    ck_assert_int_eq(rc_registry_add(r, &other, &err), RC_EEXISTS);
    ck_assert_ptr_nonnull(err.message);
    rc_error_clear(&err);
    other = crd;
    other.plural = "gadgets"; /* same group/kind under another plural */
    ck_assert_int_eq(rc_registry_add(r, &other, &err), RC_EEXISTS);
    rc_error_clear(&err);
    other = crd;
    other.kind = "Gadget"; /* same plural, other kind */
    ck_assert_int_eq(rc_registry_add(r, &other, &err), RC_EEXISTS);
    rc_error_clear(&err);
    rc_resource_info dup = {.group = "apps", .version = "v1", .kind = "Deployment", .plural = "deployments"};
    ck_assert_int_eq(rc_registry_add(r, &dup, &err), RC_EEXISTS);
    rc_error_clear(&err);

    /* a second kind sharing a short name makes that name ambiguous */
    rc_resource_info w2 = {.group = "other.io", .version = "v1", .kind = "Wand", .plural = "wands",
                           .short_names = {"wd"}};
    ck_assert_int_eq(rc_registry_add(r, &w2, NULL), 0);
    ck_assert_ptr_null(rc_registry_lookup(r, "wd"));
    ck_assert_ptr_nonnull(rc_registry_lookup(r, "wands"));
    ck_assert_int_eq(rc_registry_remove(r, "other.io", "wands"), 0);
    ck_assert_ptr_eq(rc_registry_lookup(r, "wd"), w);

    /* a plural two groups have is ambiguous by itself, resolved by a qualifier, and plain again once one
     * of the two goes */
    rc_resource_info w3 = {.group = "third.io", .version = "v1", .kind = "Widget", .plural = "widgets"};
    ck_assert_int_eq(rc_registry_add(r, &w3, NULL), 0);
    ck_assert_ptr_null(rc_registry_lookup(r, "widgets"));
    ck_assert_ptr_eq(rc_registry_lookup(r, "widgets.example.com"), w);
    const rc_resource_info *third = rc_registry_lookup(r, "widgets.third.io");
    ck_assert_str_eq(third->group, "third.io");
    ck_assert_ptr_eq(rc_registry_lookup(r, "Widgets.third.io"), third);
    ck_assert_int_eq(rc_registry_remove(r, "third.io", "widgets"), 0);
    ck_assert_ptr_eq(rc_registry_lookup(r, "widgets"), w);
    ck_assert_ptr_eq(rc_registry_lookup(r, "WIDGETS"), w);

    ck_assert_int_eq(rc_registry_remove(r, "example.com", "widgets"), 0);
    ck_assert_str_eq(w->kind, "Widget"); /* still valid after removal */
    ck_assert_ptr_null(rc_registry_lookup(r, "widgets"));
    ck_assert_ptr_null(rc_registry_by_kind(r, "example.com/v1alpha1", "Widget"));
    ck_assert_int_eq(rc_registry_remove(r, "example.com", "widgets"), RC_ENOTFOUND);
    ck_assert_int_eq(rc_registry_remove(r, NULL, "nothings"), RC_ENOTFOUND);
    ck_assert_uint_eq(rc_registry_count(r), 27);
    ck_assert_int_eq(rc_registry_add(r, &crd, NULL), 0); /* re-created */
    ck_assert_ptr_ne(rc_registry_lookup(r, "widgets"), w);
    ck_assert_int_eq(rc_registry_remove(r, "", "pods"), 0); /* built-ins can go too */
    ck_assert_ptr_null(rc_registry_lookup(r, "po"));
    rc_registry_free(r);
}
END_TEST

START_TEST(bad_definitions_rejected)
{
    rc_registry *r = rc_registry_new();
    rc_error err = {0};
    rc_resource_info bad[] = {
        {.group = "x.io", .version = "v1", .kind = NULL, .plural = "things"},
        {.group = "x.io", .version = "v1", .kind = "Thing", .plural = NULL},
        {.group = "x.io", .version = "", .kind = "Thing", .plural = "things"},
        {.group = "x.io", .version = "v1", .kind = "Thing", .plural = "Things"},
        {.group = "x.io", .version = "v1", .kind = "Thing", .plural = "th/ings"},
        {.group = "x/io", .version = "v1", .kind = "Thing", .plural = "things"},
        {.group = "x.io", .version = "v1", .kind = "Thing", .plural = "things", .short_names = {"T!"}},
        {.group = "x.io", .version = "v1", .kind = "Th/ing", .plural = "things"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(rc_registry_add(r, &bad[i], &err) == RC_EINVAL, "case %zu", i);
        ck_assert_ptr_nonnull(err.message);
        rc_error_clear(&err);
    }
    ck_assert_int_eq(rc_registry_add(r, NULL, NULL), RC_EINVAL);
    ck_assert_uint_eq(rc_registry_count(r), 27);
    ck_assert_ptr_null(rc_registry_at(r, 27));
    ck_assert_ptr_null(rc_registry_by_kind(r, NULL, "Pod"));
    ck_assert_ptr_null(rc_registry_by_resource(r, "", NULL, NULL));
    rc_registry_free(r);
    rc_registry_free(NULL);
}
END_TEST

static void *reader(void *arg)
{
    rc_registry *r = arg;
    for (int i = 0; i < 5000; i++) {
        ck_assert_ptr_nonnull(rc_registry_lookup(r, "deploy"));
        ck_assert_ptr_nonnull(rc_registry_by_kind(r, "v1", "Pod"));
        rc_registry_lookup(r, "widgets");
    }
    return NULL;
}

START_TEST(concurrent_readers_and_writer)
{
    rc_registry *r = rc_registry_new();
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, reader, r);
    rc_resource_info crd = {.group = "example.com", .version = "v1", .kind = "Widget", .plural = "widgets"};
    for (int i = 0; i < 500; i++) {
        ck_assert_int_eq(rc_registry_add(r, &crd, NULL), 0);
        ck_assert_int_eq(rc_registry_remove(r, "example.com", "widgets"), 0);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    rc_registry_free(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("registry");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, builtins_have_scope_and_subresources);
    tcase_add_test(tc, kubectl_names_resolve);
    tcase_add_test(tc, crd_kinds_added_and_removed);
    tcase_add_test(tc, bad_definitions_rejected);
    tcase_add_test(tc, concurrent_readers_and_writer);
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
