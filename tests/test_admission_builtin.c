/* test_admission_builtin.c - the built-in admission plugins (rci_admission_builtin) called directly with
 * admission requests, reading namespaces and storage classes through a tiny fake rc_client:
 * NamespaceLifecycle (missing and terminating namespaces, immortal namespaces), ServiceAccount defaulting,
 * DefaultTolerationSeconds and DefaultStorageClass. */
#include <reconcile.h>
#include <reconcile/client.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/admission_builtin.h"
#include "support/sq_json.h"
#include "support/testutil.h"

/* ---- a client whose only data is a few namespaces ---- */

typedef struct fake {
    rc_registry *registry;
    cJSON *namespaces; /* object: name -> Namespace */
    cJSON *classes;    /* array of StorageClass */
    int gets;
    bool list_fails;
} fake;

static int fake_get(void *ctx, const rc_resource_info *ri, const char *ns, const char *name, const char *sub,
                    rc_object **out, rc_error *err)
{
    fake *f = ctx;
    (void)ns;
    (void)sub;
    f->gets++;
    const cJSON *o = strcmp(ri->plural, "namespaces") ? NULL : cJSON_GetObjectItem(f->namespaces, name);
    if (!o)
        return rc_error_set(err, RC_ENOTFOUND, "%s \"%s\" not found", ri->plural, name);
    *out = rc_object_from_cjson(o, err);
    return *out ? 0 : RC_ENOMEM;
}

static int fake_list(void *ctx, const rc_resource_info *ri, const char *ns, const rc_list_options *opts,
                     rc_object_list *out, rc_error *err)
{
    fake *f = ctx;
    (void)ns;
    (void)opts;
    if (f->list_fails)
        return rc_error_set(err, RC_EUNAVAILABLE, "the server is unavailable");
    const cJSON *c;
    const cJSON *items = strcmp(ri->plural, "storageclasses") ? NULL : f->classes;
    cJSON_ArrayForEach(c, items)
    {
        rc_object *o = rc_object_from_cjson(c, err);
        int rc = o ? rc_object_list_append(out, o) : RC_ENOMEM; /* the list takes a reference of its own */
        rc_object_unref(o);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static rc_registry *fake_registry(void *ctx) { return ((fake *)ctx)->registry; }

static const rc_client_ops fake_ops = {.get = fake_get, .list = fake_list, .registry = fake_registry};

static fake state;
static rc_client *client;
static rc_admission_plugin plugins[8];
static int nplugins;

static void setup(void)
{
    memset(&state, 0, sizeof state);
    state.registry = rc_registry_new();
    state.namespaces = json("{'default':{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'default'},"
                            "'status':{'phase':'Active'}},'old':{'apiVersion':'v1','kind':'Namespace','metadata':"
                            "{'name':'old','deletionTimestamp':'2024-01-01T00:00:00Z'},'status':{'phase':"
                            "'Terminating'}}}");
    state.classes = cJSON_CreateArray();
    client = rc_client_new(&fake_ops, &state);
    ck_assert_ptr_nonnull(client);
    nplugins = rci_admission_builtin(plugins, 8);
}

static void teardown(void)
{
    rc_client_unref(client);
    cJSON_Delete(state.namespaces);
    cJSON_Delete(state.classes);
    rc_registry_free(state.registry);
}

static const rc_admission_plugin *plugin(const char *name)
{
    for (int i = 0; i < nplugins; i++)
        if (!strcmp(plugins[i].name, name))
            return &plugins[i];
    ck_abort_msg("no plugin %s", name);
    return NULL;
}

static rc_admission_request request(rc_admission_op op, const char *resource, const char *ns, const char *name,
                                    cJSON *obj)
{
    rc_admission_request r = {.operation = op, .resource = rc_registry_lookup(state.registry, resource),
                              .subresource = "", .namespace_ = ns, .name = name, .object = obj, .client = client};
    ck_assert_ptr_nonnull(r.resource);
    return r;
}

START_TEST(registration_order_and_shape)
{
    ck_assert_int_eq(nplugins, 4);
    ck_assert_str_eq(plugins[0].name, "NamespaceLifecycle");
    ck_assert_str_eq(plugins[1].name, "ServiceAccount");
    ck_assert_str_eq(plugins[2].name, "DefaultTolerationSeconds");
    ck_assert_str_eq(plugins[3].name, "DefaultStorageClass");
    ck_assert_ptr_nonnull(plugins[3].mutate);
    ck_assert_ptr_null(plugins[0].mutate);
    ck_assert_ptr_nonnull(plugins[0].validate);
    ck_assert_ptr_nonnull(plugins[1].mutate);
    ck_assert_ptr_nonnull(plugins[2].mutate);
    rc_admission_plugin two[2];
    ck_assert_int_eq(rci_admission_builtin(two, 2), 2);
    ck_assert_int_eq(rci_admission_builtin(two, 0), 0);
}
END_TEST

START_TEST(namespace_lifecycle)
{
    const rc_admission_plugin *p = plugin("NamespaceLifecycle");
    cJSON *pod = json("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'web'},'spec':{}}");
    rc_error err = {0};
    rc_admission_request r = request(RC_ADMIT_CREATE, "pods", "default", "web", pod);
    ck_assert_int_eq(p->validate(p->ctx, &r, &err), 0);
    r.namespace_ = "missing";
    ck_assert_int_eq(p->validate(p->ctx, &r, &err), RC_ENOTFOUND);
    ck_assert_str_eq(err.message, "namespaces \"missing\" not found");
    ck_assert_int_eq(err.http_status, 404);
    r.namespace_ = "old";
    ck_assert_int_eq(p->validate(p->ctx, &r, &err), RC_EFORBIDDEN);
    ck_assert_str_eq(err.message, "pods \"web\" is forbidden: unable to create new content in namespace old because it "
                                  "is being terminated");
    ck_assert_str_eq(err.causes[0].reason, "NamespaceTerminating");
    /* updates and deletes in a terminating namespace are fine; so are cluster-scoped creates */
    r.operation = RC_ADMIT_UPDATE;
    ck_assert_int_eq(p->validate(p->ctx, &r, &err), 0);
    r.operation = RC_ADMIT_DELETE;
    r.object = NULL;
    ck_assert_int_eq(p->validate(p->ctx, &r, &err), 0);
    rc_admission_request node = request(RC_ADMIT_CREATE, "nodes", "", "n1", NULL);
    ck_assert_int_eq(p->validate(p->ctx, &node, &err), 0);
    /* the immortal namespaces */
    static const char *const immortal[] = {"default", "kube-system", "kube-public"};
    for (size_t i = 0; i < 3; i++) {
        rc_admission_request del = request(RC_ADMIT_DELETE, "namespaces", "", immortal[i], NULL);
        ck_assert_int_eq(p->validate(p->ctx, &del, &err), RC_EFORBIDDEN);
        ck_assert_ptr_nonnull(strstr(err.message, "is forbidden: this namespace may not be deleted"));
    }
    rc_admission_request del = request(RC_ADMIT_DELETE, "namespaces", "", "old", NULL);
    ck_assert_int_eq(p->validate(p->ctx, &del, &err), 0);
    /* without a client the namespace cannot be read: the plugin does not guess */
    r = request(RC_ADMIT_CREATE, "pods", "missing", "web", pod);
    r.client = NULL;
    ck_assert_int_eq(p->validate(p->ctx, &r, &err), 0);
    rc_error_clear(&err);
    cJSON_Delete(pod);
}
END_TEST

START_TEST(service_account_defaulting)
{
    const rc_admission_plugin *p = plugin("ServiceAccount");
    cJSON *pod = json("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'web'},'spec':{'containers':[]}}");
    rc_admission_request r = request(RC_ADMIT_CREATE, "pods", "default", "web", pod);
    ck_assert_int_eq(p->mutate(p->ctx, &r, NULL), 0);
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(pod, "spec"), "serviceAccountName")->valuestring, "default");
    cJSON_Delete(pod);
    /* kept when set; the deprecated serviceAccount field is honoured */
    pod = json("{'spec':{'serviceAccountName':'example-sa'}}");
    r.object = pod;
    ck_assert_int_eq(p->mutate(p->ctx, &r, NULL), 0);
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(pod, "spec"), "serviceAccountName")->valuestring,
                     "example-sa");
    cJSON_Delete(pod);
    pod = json("{'spec':{'serviceAccount':'legacy','serviceAccountName':''}}");
    r.object = pod;
    ck_assert_int_eq(p->mutate(p->ctx, &r, NULL), 0);
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(pod, "spec"), "serviceAccountName")->valuestring,
                     "legacy");
    cJSON_Delete(pod);
    /* not for updates, other kinds, subresources or malformed specs */
    pod = json("{'spec':{}}");
    r.object = pod;
    r.operation = RC_ADMIT_UPDATE;
    ck_assert_int_eq(p->mutate(p->ctx, &r, NULL), 0);
    r.operation = RC_ADMIT_CREATE;
    r.subresource = "status";
    ck_assert_int_eq(p->mutate(p->ctx, &r, NULL), 0);
    rc_admission_request d = request(RC_ADMIT_CREATE, "deployments", "default", "web", pod);
    ck_assert_int_eq(p->mutate(p->ctx, &d, NULL), 0);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(pod, "spec")), 0);
    cJSON_Delete(pod);
    pod = json("{'spec':[]}");
    r.object = pod;
    r.subresource = "";
    ck_assert_int_eq(p->mutate(p->ctx, &r, NULL), 0);
    cJSON_Delete(pod);
}
END_TEST

static int count_tolerations(const cJSON *pod, const char *key, double seconds)
{
    int n = 0;
    const cJSON *list = cJSON_GetObjectItem(cJSON_GetObjectItem(pod, "spec"), "tolerations");
    for (const cJSON *t = list ? list->child : NULL; t; t = t->next) {
        const cJSON *k = cJSON_GetObjectItem(t, "key"), *s = cJSON_GetObjectItem(t, "tolerationSeconds");
        if (cJSON_IsString(k) && !strcmp(k->valuestring, key) && cJSON_IsNumber(s) && s->valuedouble == seconds &&
            !strcmp(cJSON_GetObjectItem(t, "effect")->valuestring, "NoExecute") &&
            !strcmp(cJSON_GetObjectItem(t, "operator")->valuestring, "Exists"))
            n++;
    }
    return n;
}

START_TEST(default_toleration_seconds)
{
    const rc_admission_plugin *p = plugin("DefaultTolerationSeconds");
    cJSON *pod = json("{'spec':{'containers':[]}}");
    rc_admission_request r = request(RC_ADMIT_CREATE, "pods", "default", "web", pod);
    ck_assert_int_eq(p->mutate(p->ctx, &r, NULL), 0);
    ck_assert_int_eq(count_tolerations(pod, "node.kubernetes.io/not-ready", 300), 1);
    ck_assert_int_eq(count_tolerations(pod, "node.kubernetes.io/unreachable", 300), 1);
    /* idempotent */
    ck_assert_int_eq(p->mutate(p->ctx, &r, NULL), 0);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(pod, "spec"), "tolerations")), 2);
    cJSON_Delete(pod);
    /* an existing toleration for one taint is kept; only the other is added */
    pod = json("{'spec':{'tolerations':[{'key':'node.kubernetes.io/unreachable','operator':'Exists','effect':"
               "'NoExecute','tolerationSeconds':10}]}}");
    r.object = pod;
    ck_assert_int_eq(p->mutate(p->ctx, &r, NULL), 0);
    ck_assert_int_eq(count_tolerations(pod, "node.kubernetes.io/unreachable", 10), 1);
    ck_assert_int_eq(count_tolerations(pod, "node.kubernetes.io/unreachable", 300), 0);
    ck_assert_int_eq(count_tolerations(pod, "node.kubernetes.io/not-ready", 300), 1);
    cJSON_Delete(pod);
    /* tolerate-everything (empty key, Exists) covers both, as DaemonSet pods do */
    pod = json("{'spec':{'tolerations':[{'operator':'Exists'}]}}");
    r.object = pod;
    ck_assert_int_eq(p->mutate(p->ctx, &r, NULL), 0);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(pod, "spec"), "tolerations")), 1);
    cJSON_Delete(pod);
    /* a NoSchedule toleration does not count */
    pod = json("{'spec':{'tolerations':[{'key':'node.kubernetes.io/not-ready','effect':'NoSchedule'}]}}");
    r.object = pod;
    ck_assert_int_eq(p->mutate(p->ctx, &r, NULL), 0);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(pod, "spec"), "tolerations")), 3);
    cJSON_Delete(pod);
    /* wrong types are left for validation */
    pod = json("{'spec':{'tolerations':'x'}}");
    r.object = pod;
    ck_assert_int_eq(p->mutate(p->ctx, &r, NULL), 0);
    ck_assert(cJSON_IsString(cJSON_GetObjectItem(cJSON_GetObjectItem(pod, "spec"), "tolerations")));
    cJSON_Delete(pod);
}
END_TEST

static void add_class(const char *name, const char *created, const char *annotation, const char *value)
{
    cJSON *c = json("{'apiVersion':'storage.k8s.io/v1','kind':'StorageClass','provisioner':'x','metadata':{}}");
    cJSON *meta = cJSON_GetObjectItem(c, "metadata");
    cJSON_AddStringToObject(meta, "name", name);
    cJSON_AddStringToObject(meta, "creationTimestamp", created);
    if (annotation)
        cJSON_AddStringToObject(cJSON_AddObjectToObject(meta, "annotations"), annotation, value);
    cJSON_AddItemToArray(state.classes, c);
}

/* The class DefaultStorageClass gives a claim created with `spec`, or NULL when it sets none. */
static char *defaulted_class(const char *spec, const char *annotations, int want_rc)
{
    const rc_admission_plugin *p = plugin("DefaultStorageClass");
    char doc[512];
    snprintf(doc, sizeof doc, "{'apiVersion':'v1','kind':'PersistentVolumeClaim','metadata':{'name':'data'%s%s},"
             "'spec':%s}", annotations ? ",'annotations':" : "", annotations ? annotations : "", spec);
    cJSON *claim = json(doc);
    rc_admission_request r = request(RC_ADMIT_CREATE, "persistentvolumeclaims", "default", "data", claim);
    rc_error err = {0};
    ck_assert_int_eq(p->mutate(p->ctx, &r, &err), want_rc);
    rc_error_clear(&err);
    const cJSON *cls = cJSON_GetObjectItem(cJSON_GetObjectItem(claim, "spec"), "storageClassName");
    char *out = cJSON_IsString(cls) ? strdup(cls->valuestring) : NULL;
    cJSON_Delete(claim);
    return out;
}

static void expect_class(const char *spec, const char *annotations, const char *want)
{
    char *got = defaulted_class(spec, annotations, 0);
    if (want)
        ck_assert_str_eq(got ? got : "(none)", want);
    else
        ck_assert_ptr_null(got);
    free(got);
}

START_TEST(default_storage_class)
{
    const char *bare = "{'accessModes':['ReadWriteOnce'],'resources':{'requests':{'storage':'1Gi'}}}";
    /* no class at all, or none marked default: the claim is left without one */
    expect_class(bare, NULL, NULL);
    add_class("slow", "2026-01-01T00:00:00Z", "storageclass.kubernetes.io/is-default-class", "false");
    expect_class(bare, NULL, NULL);
    /* the default is written into the claim; a named class, "" (no class) or the beta annotation stay */
    add_class("standard", "2026-01-02T00:00:00Z", "storageclass.kubernetes.io/is-default-class", "true");
    expect_class(bare, NULL, "standard");
    expect_class("{'storageClassName':null}", NULL, "standard"); /* null is no class named */
    expect_class("{'storageClassName':'slow'}", NULL, "slow");
    expect_class("{'storageClassName':''}", NULL, "");
    expect_class("{}", "{'volume.beta.kubernetes.io/storage-class':'slow'}", NULL);
    /* of several defaults the newest wins (the beta mark counts), then the first by name */
    add_class("fast", "2026-01-03T00:00:00Z", "storageclass.beta.kubernetes.io/is-default-class", "true");
    expect_class(bare, NULL, "fast");
    add_class("early", "2026-01-03T00:00:00Z", "storageclass.kubernetes.io/is-default-class", "true");
    expect_class(bare, NULL, "early");
    /* only claims, only creates, only the whole object */
    const rc_admission_plugin *p = plugin("DefaultStorageClass");
    cJSON *claim = json("{'spec':{}}");
    rc_admission_request r = request(RC_ADMIT_UPDATE, "persistentvolumeclaims", "default", "data", claim);
    ck_assert_int_eq(p->mutate(p->ctx, &r, NULL), 0);
    r = request(RC_ADMIT_CREATE, "persistentvolumeclaims", "default", "data", claim);
    r.subresource = "status";
    ck_assert_int_eq(p->mutate(p->ctx, &r, NULL), 0);
    r = request(RC_ADMIT_CREATE, "pods", "default", "data", claim);
    ck_assert_int_eq(p->mutate(p->ctx, &r, NULL), 0);
    ck_assert_ptr_null(cJSON_GetObjectItem(cJSON_GetObjectItem(claim, "spec"), "storageClassName"));
    cJSON_Delete(claim);
    /* a spec of the wrong type is left for validation; a failed list rejects the create */
    expect_class("'x'", NULL, NULL);
    state.list_fails = true;
    ck_assert_ptr_null(defaulted_class(bare, NULL, RC_EUNAVAILABLE));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("admission_builtin");
    TCase *tc = tcase_create("admission_builtin");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, registration_order_and_shape);
    tcase_add_test(tc, namespace_lifecycle);
    tcase_add_test(tc, service_account_defaulting);
    tcase_add_test(tc, default_toleration_seconds);
    tcase_add_test(tc, default_storage_class);
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
