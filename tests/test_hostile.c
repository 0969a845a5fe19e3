/* test_hostile.c - hostile input against the embedded API server through the in-process rc_client: the
 * concept notes' typos, wrong types, huge names, deep nesting, bodies over 3 MiB, invalid UTF-8, duplicate
 * keys, bad selectors, bad patches and wrong resourceVersions. Every request must be refused with a 4xx
 * status whose message or causes name the field (or, for text that does not even decode, the line and
 * column), and must change nothing: the server's resourceVersion, the target object and the write
 * counts of the action log stay as they were. Manifests live in tests/data/hostile/ and tests/data/bad/;
 * what cannot be written as a file (giant, deep or non-UTF-8 trees built in memory) is made here. */
#include <reconcile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testutil.h"

static rc_apiserver *srv;
static rc_client *admin;

static const char cm_json[] = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\","
                              "\"namespace\":\"default\",\"labels\":{\"app\":\"web\"}},\"data\":{\"a\":\"1\"}}";

static void setup(void)
{
    rc_log_set_level(RC_LOG_OFF);
    rc_error err = {0};
    srv = rc_apiserver_new(NULL, &err);
    ck_assert_ptr_nonnull(srv);
    admin = rc_apiserver_client(srv, NULL);
    rc_object *o = rc_object_from_json(cm_json, sizeof cm_json - 1, &err);
    ck_assert_int_eq(rc_client_create(admin, "configmaps", NULL, o, NULL, NULL, &err), 0);
    rc_object_unref(o);
}

static void teardown(void)
{
    rc_client_unref(admin);
    rc_apiserver_free(srv);
}

/* ---- what "changes nothing" means ---- */

typedef struct snapshot {
    uint64_t rv;
    char *cm; /* the ConfigMap's JSON */
    long configmaps, pods, deployments;
} snapshot;

static long count(const char *resource)
{
    rc_object_list l;
    rc_object_list_init(&l);
    ck_assert_int_eq(rc_client_list(admin, resource, "", NULL, &l, NULL), 0);
    long n = (long)l.count;
    rc_object_list_clear(&l);
    return n;
}

static snapshot take(void)
{
    snapshot s = {.rv = rc_apiserver_resource_version(srv)};
    rc_object *o = NULL;
    ck_assert_int_eq(rc_client_get(admin, "configmaps", "default", "cm", &o, NULL), 0);
    s.cm = rc_object_to_json(o, NULL);
    rc_object_unref(o);
    s.configmaps = count("configmaps");
    s.pods = count("pods");
    s.deployments = count("deployments.apps");
    return s;
}

static void assert_unchanged(snapshot *before, const char *what)
{
    snapshot now = take();
    ck_assert_msg(now.rv == before->rv, "%s: resourceVersion moved from %llu to %llu", what,
                  (unsigned long long)before->rv, (unsigned long long)now.rv);
    ck_assert_msg(!strcmp(now.cm, before->cm), "%s: the ConfigMap changed", what);
    ck_assert_msg(now.configmaps == before->configmaps && now.pods == before->pods &&
                      now.deployments == before->deployments,
                  "%s: object counts changed", what);
    free(now.cm);
    free(before->cm);
}

/* rc is a refusal with a 4xx status naming `field` in the message or a cause. */
static void assert_refused(int rc, const rc_error *err, int status, const char *field, const char *what)
{
    ck_assert_msg(rc < 0, "%s: accepted", what);
    ck_assert_msg(err->http_status >= 400 && err->http_status < 500, "%s: status %d (%s)", what, err->http_status,
                  err->message ? err->message : "");
    if (status)
        ck_assert_msg(err->http_status == status, "%s: status %d, want %d (%s)", what, err->http_status, status,
                      err->message ? err->message : "");
    bool named = err->message && strstr(err->message, field);
    for (size_t i = 0; !named && i < err->ncauses; i++)
        named = err->causes[i].field && strstr(err->causes[i].field, field);
    ck_assert_msg(named, "%s: \"%s\" not named in \"%s\"", what, field, err->message ? err->message : "");
}

/* ---- manifests from files, created the way kubectl create does (strict field validation) ---- */

typedef struct file_case {
    const char *path;
    const char *resource; /* the endpoint the manifest is sent to */
    int status;           /* expected HTTP status; 0 = any 4xx */
    const char *field;    /* named in the message or a cause ("LINE:COL" for text that does not decode) */
} file_case;

static const file_case file_cases[] = {
    /* the concept notes' typos */
    {"tests/data/bad/typo-apiversoin.yaml", "daemonsets.apps", 400, "API version"},
    {"tests/data/bad/typo-clusterip.yaml", "services", 400, "spec.clusterIp"},
    {"tests/data/bad/typo-label.yaml", "deployments.apps", 400, "label"},
    {"tests/data/bad/typo-restartpolicy-nerver.yaml", "jobs.batch", 422, "restartPolicy"},
    {"tests/data/bad/typo-roleref-list.yaml", "rolebindings.rbac.authorization.k8s.io", 400, "apiVersoin"},
    {"tests/data/bad/typo-parallelism-nospace.yaml", "jobs.batch", 400, "13:3"},
    {"tests/data/bad/typo-resourcenames-nospace.yaml", "roles.rbac.authorization.k8s.io", 400, "15:3"},
    /* text that does not decode */
    {"tests/data/bad/duplicate-key.yaml", "configmaps", 400, "8:3"},
    {"tests/data/bad/invalid-utf8.yaml", "configmaps", 400, "6:12"},
    {"tests/data/bad/deep-nesting.yaml", "configmaps", 0, "3:101"},
    {"tests/data/bad/alias-bomb.yaml", "configmaps", 0, "alias"},
    {"tests/data/hostile/duplicate-key.json", "configmaps", 400, "\"a\""},
    {"tests/data/hostile/invalid-utf8.json", "configmaps", 400, "UTF-8"},
    {"tests/data/hostile/deep-nesting.json", "configmaps", 0, "nesting"},
    /* wrong types, huge names, bad selectors, misplaced fields */
    {"tests/data/hostile/wrong-type-replicas.yaml", "deployments.apps", 400, "spec.replicas"},
    {"tests/data/hostile/wrong-type-containers.yaml", "pods", 400, "spec.containers"},
    {"tests/data/hostile/wrong-type-metadata.json", "configmaps", 0, "metadata"},
    {"tests/data/hostile/huge-name.yaml", "configmaps", 422, "metadata.name"},
    {"tests/data/hostile/huge-label-value.yaml", "configmaps", 422, "metadata.labels"},
    {"tests/data/hostile/bad-label-key.yaml", "configmaps", 422, "metadata.labels"},
    {"tests/data/hostile/bad-selector-operator.yaml", "deployments.apps", 422, "spec.selector"},
    {"tests/data/hostile/selector-mismatch.yaml", "deployments.apps", 422, "spec.template.metadata.labels"},
    {"tests/data/hostile/negative-replicas.yaml", "replicasets.apps", 422, "spec.replicas"},
    {"tests/data/hostile/port-out-of-range.yaml", "pods", 422, "containerPort"},
    {"tests/data/hostile/resource-version-on-create.yaml", "configmaps", 400, "resourceVersion"},
    {"tests/data/hostile/kind-mismatch.yaml", "configmaps", 400, "Pod"},
};

START_TEST(hostile_manifest)
{
    const file_case *c = &file_cases[_i];
    snapshot before = take();
    rc_error err = {0};
    rc_doc_list docs;
    rc_doc_list_init(&docs);
    int rc = rc_decode_file(c->path, NULL, &docs, &err);
    for (size_t i = 0; rc == 0 && i < docs.count; i++) {
        rc_object *o = rc_object_from_cjson(docs.docs[i], &err);
        ck_assert_msg(o != NULL, "%s: %s", c->path, err.message);
        rc_write_options wo = {.field_validation = RC_FIELD_VALIDATION_STRICT, .field_manager = "kubectl-create"};
        const char *ns = rc_object_namespace(o) && rc_object_namespace(o)[0] ? NULL : "default";
        rc = rc_client_create(admin, c->resource, ns, o, &wo, NULL, &err);
        rc_object_unref(o);
    }
    if (rc < 0 && !err.http_status)
        err.http_status = rc_error_http_status(rc); /* a decode error carries only its code */
    assert_refused(rc, &err, c->status, c->field, c->path);
    rc_error_clear(&err);
    rc_doc_list_clear(&docs);
    assert_unchanged(&before, c->path);
}
END_TEST

/* ---- objects built in memory ---- */

static cJSON *configmap(const char *name)
{
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "apiVersion", "v1");
    cJSON_AddStringToObject(t, "kind", "ConfigMap");
    cJSON *meta = cJSON_AddObjectToObject(t, "metadata");
    cJSON_AddStringToObject(meta, "name", name);
    cJSON_AddStringToObject(meta, "namespace", "default");
    cJSON_AddObjectToObject(t, "data");
    return t;
}

/* Creates tree (consumed) and checks the refusal and that nothing changed. */
static void create_refused(cJSON *tree, int status, const char *field, const char *what)
{
    snapshot before = take();
    rc_error err = {0};
    rc_object *o = rc_object_new_draft(tree);
    ck_assert_ptr_nonnull(o);
    int rc = rc_client_create(admin, NULL, NULL, o, NULL, NULL, &err);
    rc_object_unref(o);
    assert_refused(rc, &err, status, field, what);
    rc_error_clear(&err);
    assert_unchanged(&before, what);
}

static char *filled(size_t n, char c)
{
    char *s = malloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

START_TEST(giant_bodies_are_413)
{
    char *big = filled(3u * 1024u * 1024u + 1, 'x');
    cJSON *t = configmap("giant");
    cJSON_AddStringToObject(cJSON_GetObjectItem(t, "data"), "blob", big);
    create_refused(t, 413, "data", "one 3 MiB value");
    /* many small labels adding up to more than 3 MiB */
    t = configmap("many-labels");
    cJSON *labels = cJSON_AddObjectToObject(cJSON_GetObjectItem(t, "metadata"), "labels");
    for (int i = 0; i < 70000; i++) {
        char key[32];
        snprintf(key, sizeof key, "label-%06d", i);
        cJSON_AddStringToObject(labels, key, "abcdefghijklmnopqrstuvwxyz0123456789");
    }
    create_refused(t, 413, "metadata", "70000 labels");
    /* a giant update of an existing object */
    snapshot before = take();
    rc_object *cm = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_client_get(admin, "configmaps", "default", "cm", &cm, &err), 0);
    rc_object *draft = rc_object_copy(cm);
    ck_assert_int_eq(rc_object_set_str(draft, "data.blob", big), 0);
    int rc = rc_client_update(admin, NULL, NULL, draft, NULL, NULL, &err);
    assert_refused(rc, &err, 413, "data", "giant update");
    rc_error_clear(&err);
    assert_unchanged(&before, "giant update");
    rc_object_unref(draft);
    rc_object_unref(cm);
    free(big);
}
END_TEST

START_TEST(below_the_size_limit_is_judged_by_validation)
{
    char *two = filled(2u * 1024u * 1024u, 'y');
    cJSON *t = configmap("two-mib");
    cJSON_AddStringToObject(cJSON_GetObjectItem(t, "data"), "blob", two);
    create_refused(t, 422, "data", "2 MiB of data (ConfigMaps hold at most 1 MiB)");
    free(two);
}
END_TEST

/* The size is that of the JSON text: a quote or backslash counts 2 bytes, a control character 6. */
START_TEST(escapes_count_toward_the_size_limit)
{
    static const char fills[] = {'"', '\\'};
    for (size_t i = 0; i < 2; i++) {
        char *quotes = filled(1600u * 1024u, fills[i]); /* 1.6 MiB raw, 3.2 MiB as JSON */
        cJSON *t = configmap(i ? "backslashes" : "quotes");
        cJSON_AddStringToObject(cJSON_GetObjectItem(t, "data"), "blob", quotes);
        create_refused(t, 413, "data", "escaped characters");
        free(quotes);
    }
    char *controls = filled(600u * 1024u, '\x01'); /* 0.6 MiB raw, 3.6 MiB as JSON */
    cJSON *t = configmap("controls");
    cJSON_AddStringToObject(cJSON_GetObjectItem(t, "data"), "blob", controls);
    create_refused(t, 413, "data", "control characters");
    free(controls);
    char *plain = filled(1600u * 1024u, 'z'); /* the same raw size unescaped: only validation refuses it */
    t = configmap("plain");
    cJSON_AddStringToObject(cJSON_GetObjectItem(t, "data"), "blob", plain);
    create_refused(t, 422, "data", "1.6 MiB of plain data");
    free(plain);
}
END_TEST

/* Escapes scattered through long plain text (at every offset of an 8-byte word) count as fully as
 * escapes alone: 3,000,000 plain bytes fit the limit, the same with every 17th byte escaped do not. */
START_TEST(scattered_escapes_count_toward_the_size_limit)
{
    static const char escaped[] = {'"', '\\', '\n'};
    for (size_t i = 0; i < sizeof escaped; i++) {
        char *text = filled(3000000u, 'z');
        for (size_t at = 16; at < 3000000u; at += 17)
            text[at] = escaped[i];
        cJSON *t = configmap("scattered");
        cJSON_AddStringToObject(cJSON_GetObjectItem(t, "data"), "blob", text);
        create_refused(t, 413, "data", "scattered escapes");
        free(text);
    }
    char *plain = filled(3000000u, 'z');
    cJSON *t = configmap("scattered-plain");
    cJSON_AddStringToObject(cJSON_GetObjectItem(t, "data"), "blob", plain);
    create_refused(t, 422, "data", "3,000,000 plain bytes");
    free(plain);
}
END_TEST

/* An invalid byte is found after any number of plain ASCII bytes; valid text after them is fine. */
START_TEST(invalid_utf8_after_plain_text_is_refused)
{
    char text[64];
    for (size_t plain = 0; plain < 20; plain++) {
        memset(text, 'a', plain);
        memcpy(text + plain, "\xe9tail", sizeof "\xe9tail");
        cJSON *t = configmap("utf8-late");
        cJSON_AddStringToObject(cJSON_GetObjectItem(t, "data"), "k", text);
        create_refused(t, 400, "data.k", "Latin-1 byte after plain text");
    }
    memset(text, 'a', 19);
    memcpy(text + 19, "\xc3\xa9 ok", sizeof "\xc3\xa9 ok");
    cJSON *t = configmap("utf8-late-ok");
    cJSON_AddStringToObject(cJSON_GetObjectItem(t, "data"), "k", text);
    rc_object *o = rc_object_new_draft(t);
    ck_assert_int_eq(rc_client_create(admin, NULL, NULL, o, NULL, NULL, NULL), 0);
    rc_object_unref(o);
}
END_TEST

START_TEST(deep_nesting_is_refused)
{
    cJSON *t = configmap("deep");
    cJSON *cur = t;
    for (int i = 0; i < 20000; i++)
        cur = cJSON_AddObjectToObject(cur, "x");
    create_refused(t, 400, "x.x.x", "20000 nested objects");
    t = configmap("deep-array");
    cur = cJSON_AddArrayToObject(t, "items");
    for (int i = 0; i < 2000; i++) {
        cJSON *inner = cJSON_CreateArray();
        cJSON_AddItemToArray(cur, inner);
        cur = inner;
    }
    create_refused(t, 400, "[0]", "2000 nested arrays");
}
END_TEST

START_TEST(invalid_utf8_is_refused)
{
    cJSON *t = configmap("utf8-value");
    cJSON_AddStringToObject(cJSON_GetObjectItem(t, "data"), "k", "caf\xe9");
    create_refused(t, 400, "data.k", "Latin-1 value");
    t = configmap("utf8-overlong");
    cJSON_AddStringToObject(cJSON_GetObjectItem(t, "data"), "k", "\xc0\xaf");
    create_refused(t, 400, "data.k", "overlong encoding");
    t = configmap("utf8-surrogate");
    cJSON_AddStringToObject(cJSON_GetObjectItem(t, "data"), "k", "\xed\xa0\x80");
    create_refused(t, 400, "data.k", "UTF-16 surrogate");
    t = configmap("utf8-key");
    cJSON_AddStringToObject(cJSON_GetObjectItem(t, "data"), "bad\xff", "v");
    create_refused(t, 400, "data.bad", "key");
    t = configmap("name\xfe");
    create_refused(t, 0, "metadata.name", "name");
    /* valid multi-byte text is fine */
    t = configmap("utf8-ok");
    cJSON_AddStringToObject(cJSON_GetObjectItem(t, "data"), "k", "caf\xc3\xa9 \xf0\x9f\x9a\x80");
    rc_object *o = rc_object_new_draft(t);
    ck_assert_int_eq(rc_client_create(admin, NULL, NULL, o, NULL, NULL, NULL), 0);
    rc_object_unref(o);
}
END_TEST

START_TEST(duplicate_keys_are_refused)
{
    cJSON *t = configmap("dup");
    cJSON_AddStringToObject(cJSON_GetObjectItem(t, "data"), "a", "1");
    cJSON_AddStringToObject(cJSON_GetObjectItem(t, "data"), "a", "2");
    create_refused(t, 400, "data.a", "duplicate data key");
    t = configmap("dup-many");
    cJSON *data = cJSON_GetObjectItem(t, "data");
    for (int i = 0; i < 5000; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        cJSON_AddStringToObject(data, key, "v");
    }
    cJSON_AddStringToObject(data, "k4321", "again");
    create_refused(t, 400, "data.k4321", "duplicate among 5000 keys");
    t = configmap("dup-meta");
    cJSON_AddStringToObject(cJSON_GetObjectItem(t, "metadata"), "name", "other");
    create_refused(t, 400, "metadata.name", "duplicate metadata.name");
}
END_TEST

START_TEST(bad_selectors_are_400)
{
    static const char *const labels[] = {"app in (", "a=b=c", "!", "x,,y", "app notin web", "a in (b c)", "=x"};
    static const char *const fields[] = {"spec.foo=bar", "status.phase=Running,", "a b"};
    for (size_t i = 0; i < sizeof labels / sizeof *labels + sizeof fields / sizeof *fields; i++) {
        bool is_label = i < sizeof labels / sizeof *labels;
        const char *sel = is_label ? labels[i] : fields[i - sizeof labels / sizeof *labels];
        rc_list_options lo = {.label_selector = is_label ? sel : NULL, .field_selector = is_label ? NULL : sel};
        snapshot before = take();
        rc_error err = {0};
        rc_object_list l;
        rc_object_list_init(&l);
        int rc = rc_client_list(admin, "configmaps", "default", &lo, &l, &err);
        assert_refused(rc, &err, 400, is_label ? "label" : "field", sel);
        ck_assert_uint_eq(l.count, 0);
        rc_error_clear(&err);
        rc_watch *w = NULL;
        rc = rc_client_watch(admin, "configmaps", "default", &lo, &w, &err);
        assert_refused(rc, &err, 400, is_label ? "label" : "field", sel);
        ck_assert_ptr_null(w);
        rc_error_clear(&err);
        /* deletecollection with a bad selector must delete nothing */
        rc = rc_client_delete_collection(admin, "configmaps", "default", &lo, NULL, &err);
        assert_refused(rc, &err, 400, is_label ? "label" : "field", sel);
        rc_error_clear(&err);
        rc_object_list_clear(&l);
        assert_unchanged(&before, sel);
    }
}
END_TEST

typedef struct patch_case {
    rc_patch_type type;
    const char *body;
    const char *field;
} patch_case;

static const patch_case patch_cases[] = {
    {RC_PATCH_JSON, "[{\"op\":\"frobnicate\",\"path\":\"/data/a\"}]", "frobnicate"},
    {RC_PATCH_JSON, "[{\"op\":\"replace\",\"path\":\"/data/missing\",\"value\":\"x\"}]", "/data/missing"},
    {RC_PATCH_JSON, "[{\"op\":\"add\",\"path\":\"/data/b\",\"value\":\"2\"},{\"op\":\"test\",\"path\":\"/data/a\","
                    "\"value\":\"nope\"}]",
     "/data/a"},
    {RC_PATCH_JSON, "[{\"op\":\"remove\",\"path\":\"/metadata/labels/app\"},{\"op\":\"remove\",\"path\":\"/spec\"}]",
     "/spec"},
    {RC_PATCH_JSON, "{\"op\":\"add\"}", "patch"},
    {RC_PATCH_JSON, "not json", "JSON"},
    {RC_PATCH_MERGE, "[1,2]", "object"},
    {RC_PATCH_MERGE, "{\"data\":{\"a\":7}}", "data.a"},
    {RC_PATCH_MERGE, "{\"metadata\":{\"name\":\"renamed\"}}", "name"},
    {RC_PATCH_MERGE, "{\"data\":{\"b\":\"caf\xe9\"}}", "data.b"},
    {RC_PATCH_MERGE, "{\"data\":{\"a\":\"1\"},\"data\":{\"a\":\"2\"}}", "data: duplicate"},
    {RC_PATCH_STRATEGIC, "{\"data\":{\"$patch\":\"explode\"}}", "$patch"},
    {RC_PATCH_STRATEGIC, "{\"metadata\":{\"labels\":{\"bad key!\":\"x\"}}}", "metadata.labels"},
    {RC_PATCH_APPLY, "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"cm\"}}", "kind"},
};

START_TEST(bad_patches_change_nothing)
{
    const patch_case *c = &patch_cases[_i];
    snapshot before = take();
    rc_error err = {0};
    rc_write_options wo = {.field_manager = "hostile", .field_validation = RC_FIELD_VALIDATION_STRICT};
    int rc = rc_client_patch(admin, "configmaps", "default", "cm", c->type, c->body, strlen(c->body), &wo, NULL, &err);
    assert_refused(rc, &err, 0, c->field, c->body);
    rc_error_clear(&err);
    assert_unchanged(&before, c->body);
}
END_TEST

START_TEST(wrong_resource_versions)
{
    rc_object *cm = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_client_get(admin, "configmaps", "default", "cm", &cm, &err), 0);
    static const char *const rvs[] = {"1", "abc", "99999999999", "-5", "18446744073709551616"};
    for (size_t i = 0; i < sizeof rvs / sizeof *rvs; i++) {
        snapshot before = take();
        rc_object *draft = rc_object_copy(cm);
        rc_object_set_str(draft, "data.a", "changed");
        rc_object_set_resource_version(draft, rvs[i]);
        int rc = rc_client_update(admin, NULL, NULL, draft, NULL, NULL, &err);
        assert_refused(rc, &err, 409, "configmaps \"cm\"", rvs[i]);
        rc_error_clear(&err);
        rc_object_unref(draft);
        rc_delete_options dop = RC_DELETE_OPTIONS_INIT;
        dop.precondition_resource_version = rvs[i];
        rc = rc_client_delete(admin, "configmaps", "default", "cm", &dop, NULL, &err);
        assert_refused(rc, &err, 409, "ResourceVersion", rvs[i]);
        rc_error_clear(&err);
        assert_unchanged(&before, rvs[i]);
    }
    static const char *const bad[] = {"abc", "-1", "1.5", "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        rc_list_options lo = {.resource_version = bad[i]};
        rc_object_list l;
        rc_object_list_init(&l);
        int rc = rc_client_list(admin, "configmaps", "default", &lo, &l, &err);
        assert_refused(rc, &err, 400, "resource version", bad[i]);
        rc_error_clear(&err);
        rc_watch *w = NULL;
        rc = rc_client_watch(admin, "configmaps", "default", &lo, &w, &err);
        assert_refused(rc, &err, 400, "resource version", bad[i]);
        rc_error_clear(&err);
        rc_object_list_clear(&l);
    }
    rc_object_unref(cm);
}
END_TEST

START_TEST(bad_list_pages)
{
    rc_object_list l;
    rc_object_list_init(&l);
    rc_error err = {0};
    rc_list_options lo = {.limit = -1};
    int rc = rc_client_list(admin, "configmaps", "default", &lo, &l, &err);
    assert_refused(rc, &err, 422, "limit", "negative limit");
    rc_error_clear(&err);
    static const char *const tokens[] = {"garbage!!", "eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ", "", "\xff\xfe"};
    for (size_t i = 0; i < sizeof tokens / sizeof *tokens; i++) {
        rc_list_options c = {.limit = 1, .continue_token = tokens[i]};
        if (!tokens[i][0])
            continue; /* "" means no continue token */
        rc = rc_client_list(admin, "configmaps", "default", &c, &l, &err);
        assert_refused(rc, &err, 0, "continue", tokens[i]);
        rc_error_clear(&err);
    }
    /* a huge limit is no error: the page simply holds everything */
    rc_list_options huge = {.limit = INT64_MAX};
    ck_assert_int_eq(rc_client_list(admin, "configmaps", "", &huge, &l, &err), 0);
    ck_assert_uint_ge(l.count, 1);
    rc_object_list_clear(&l);
}
END_TEST

START_TEST(huge_names_everywhere)
{
    char *name = filled(254, 'n');
    snapshot before = take();
    rc_object *o = NULL;
    rc_error err = {0};
    ck_assert_int_eq(rc_client_get(admin, "configmaps", "default", name, &o, &err), RC_ENOTFOUND);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_client_delete(admin, "configmaps", "default", name, NULL, NULL, &err), RC_ENOTFOUND);
    rc_error_clear(&err);
    char *huge = filled(100000, 'n');
    ck_assert_int_eq(rc_client_get(admin, "configmaps", huge, huge, &o, &err), RC_ENOTFOUND);
    rc_error_clear(&err);
    const char *merge = "{\"data\":{\"a\":\"x\"}}";
    int rc = rc_client_patch(admin, "configmaps", "default", huge, RC_PATCH_MERGE, merge, strlen(merge), NULL, NULL, &err);
    ck_assert_int_lt(rc, 0);
    ck_assert_int_ge(err.http_status, 400);
    ck_assert_int_lt(err.http_status, 500);
    rc_error_clear(&err);
    assert_unchanged(&before, "lookups by huge names");
    /* a namespace name is a DNS label: 63 characters at most */
    name[64] = '\0';
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "apiVersion", "v1");
    cJSON_AddStringToObject(t, "kind", "Namespace");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(t, "metadata"), "name", name);
    create_refused(t, 422, "metadata.name", "64-character namespace");
    name[64] = 'n';
    create_refused(configmap(name), 422, "metadata.name", "254-character name");
    free(name);
    free(huge);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hostile");
    TCase *tc = tcase_create("hostile");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, hostile_manifest, 0, (int)(sizeof file_cases / sizeof file_cases[0]));
    tcase_add_test(tc, giant_bodies_are_413);
    tcase_add_test(tc, below_the_size_limit_is_judged_by_validation);
    tcase_add_test(tc, deep_nesting_is_refused);
    tcase_add_test(tc, escapes_count_toward_the_size_limit);
    tcase_add_test(tc, scattered_escapes_count_toward_the_size_limit);
    tcase_add_test(tc, invalid_utf8_after_plain_text_is_refused);
    tcase_add_test(tc, invalid_utf8_is_refused);
    tcase_add_test(tc, duplicate_keys_are_refused);
    tcase_add_test(tc, bad_selectors_are_400);
    tcase_add_loop_test(tc, bad_patches_change_nothing, 0, (int)(sizeof patch_cases / sizeof patch_cases[0]));
    tcase_add_test(tc, wrong_resource_versions);
    tcase_add_test(tc, bad_list_pages);
    tcase_add_test(tc, huge_names_everywhere);
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
