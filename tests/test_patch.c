/* test_patch.c - JSON patch (RFC 6902 appendix A), merge patch (RFC 7386 appendix A), strategic merge patch
 * and client-side apply, including the bodies real kubectl sent (tests/data/patch, from the kubectl-wire
 * fixtures) and every kind of malformed patch, which must fail with a message and leave the input alone. */
#include <reconcile.h>
#include <reconcile/patch.h>
#include <stdio.h>
#include <string.h>

#include "support/testutil.h"

/* ---- helpers: JSON written with single quotes, freed after each test ---- */

#define MAX_TREES 256
static cJSON *trees[MAX_TREES];
static size_t ntrees;

static cJSON *keep(cJSON *t)
{
    ck_assert_uint_lt(ntrees, MAX_TREES);
    trees[ntrees++] = t;
    return t;
}

static void free_trees(void)
{
    while (ntrees)
        cJSON_Delete(trees[--ntrees]);
}

/* Parses JSON written with ' for " (the tests never need a literal '). */
static cJSON *J(const char *s)
{
    char *d = strdup(s);
    for (char *p = d; *p; p++)
        if (*p == '\'')
            *p = '"';
    cJSON *t = cJSON_Parse(d);
    ck_assert_msg(t != NULL, "bad test JSON: %s", d);
    free(d);
    return keep(t);
}

static cJSON *load(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "tests/data/patch/%s", name);
    char *text = rc_test_read_file(path, NULL);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    cJSON *t = cJSON_Parse(text);
    free(text);
    ck_assert_ptr_nonnull(t);
    return keep(t);
}

static void assert_json(cJSON *got, const char *want)
{
    keep(got);
    ck_assert_msg(got != NULL, "patch failed");
    cJSON *w = J(want);
    if (!cJSON_Compare(got, w, 1)) {
        char *g = cJSON_PrintUnformatted(got), *e = cJSON_PrintUnformatted(w);
        ck_abort_msg("got %s\nwant %s", g, e);
    }
}

static void assert_same(const cJSON *got, const cJSON *want)
{
    if (!cJSON_Compare(got, want, 1)) {
        char *g = cJSON_PrintUnformatted(got), *e = cJSON_PrintUnformatted(want);
        ck_abort_msg("got %s\nwant %s", g, e);
    }
}

typedef cJSON *(*patch_fn)(const cJSON *doc, const cJSON *patch, rc_error *err);

static cJSON *smp(const cJSON *doc, const cJSON *patch, rc_error *err)
{
    return rc_patch_strategic(doc, patch, NULL, NULL, err);
}

/* Applies a patch that must fail with code and a message containing `msg`; doc must stay unchanged. */
static void assert_fails(patch_fn fn, const char *doc, const char *patch, int code, const char *msg)
{
    cJSON *d = J(doc), *saved = keep(cJSON_Duplicate(d, 1));
    rc_error err = {0};
    cJSON *out = fn(d, J(patch), &err);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(err.code, code);
    ck_assert_msg(err.message && strstr(err.message, msg), "message \"%s\" lacks \"%s\"", err.message, msg);
    ck_assert(cJSON_Compare(d, saved, 1));
    rc_error_clear(&err);
}

static void assert_patch(patch_fn fn, const char *doc, const char *patch, const char *want)
{
    cJSON *d = J(doc), *saved = keep(cJSON_Duplicate(d, 1));
    rc_error err = {0};
    cJSON *out = fn(d, J(patch), &err);
    ck_assert_msg(out != NULL, "patch failed: %s", err.message);
    assert_json(out, want);
    ck_assert(cJSON_Compare(d, saved, 1));
}

/* ---- RFC 6902 ---- */

START_TEST(json_patch_rfc6902_appendix_a)
{
    assert_patch(rc_patch_json, "{'foo':'bar'}", "[{'op':'add','path':'/baz','value':'qux'}]",
                 "{'baz':'qux','foo':'bar'}");
    assert_patch(rc_patch_json, "{'foo':['bar','baz']}", "[{'op':'add','path':'/foo/1','value':'qux'}]",
                 "{'foo':['bar','qux','baz']}");
    assert_patch(rc_patch_json, "{'baz':'qux','foo':'bar'}", "[{'op':'remove','path':'/baz'}]", "{'foo':'bar'}");
    assert_patch(rc_patch_json, "{'foo':['bar','qux','baz']}", "[{'op':'remove','path':'/foo/1'}]",
                 "{'foo':['bar','baz']}");
    assert_patch(rc_patch_json, "{'baz':'qux','foo':'bar'}", "[{'op':'replace','path':'/baz','value':'boo'}]",
                 "{'baz':'boo','foo':'bar'}");
    assert_patch(rc_patch_json, "{'foo':{'bar':'baz','waldo':'fred'},'qux':{'corge':'grault'}}",
                 "[{'op':'move','from':'/foo/waldo','path':'/qux/thud'}]",
                 "{'foo':{'bar':'baz'},'qux':{'corge':'grault','thud':'fred'}}");
    assert_patch(rc_patch_json, "{'foo':['all','grass','cows','eat']}", "[{'op':'move','from':'/foo/1','path':'/foo/3'}]",
                 "{'foo':['all','cows','eat','grass']}");
    assert_patch(rc_patch_json, "{'baz':'qux','foo':['a',2,'c']}",
                 "[{'op':'test','path':'/baz','value':'qux'},{'op':'test','path':'/foo/1','value':2}]",
                 "{'baz':'qux','foo':['a',2,'c']}");
    assert_fails(rc_patch_json, "{'baz':'qux'}", "[{'op':'test','path':'/baz','value':'bar'}]", RC_EINVAL,
                 "operation 0 (test /baz): test failed");
    assert_patch(rc_patch_json, "{'foo':'bar'}", "[{'op':'add','path':'/child','value':{'grandchild':{}}}]",
                 "{'foo':'bar','child':{'grandchild':{}}}");
    assert_patch(rc_patch_json, "{'foo':'bar'}", "[{'op':'add','path':'/baz','value':'qux','xyz':123}]",
                 "{'foo':'bar','baz':'qux'}");
    assert_fails(rc_patch_json, "{'foo':'bar'}", "[{'op':'add','path':'/baz/bat','value':'qux'}]", RC_EINVAL,
                 "operation 0 (add /baz/bat): path not found");
    assert_patch(rc_patch_json, "{'/':9,'~1':10}", "[{'op':'test','path':'/~01','value':10}]", "{'/':9,'~1':10}");
    assert_fails(rc_patch_json, "{'/':9,'~1':10}", "[{'op':'test','path':'/~01','value':'10'}]", RC_EINVAL,
                 "test failed");
    assert_patch(rc_patch_json, "{'foo':['bar']}", "[{'op':'add','path':'/foo/-','value':['abc','def']}]",
                 "{'foo':['bar',['abc','def']]}");
}
END_TEST

START_TEST(json_patch_pointers_and_whole_document)
{
    assert_patch(rc_patch_json, "{'a/b':1,'m~n':2}",
                 "[{'op':'replace','path':'/a~1b','value':3},{'op':'remove','path':'/m~0n'}]", "{'a/b':3}");
    assert_patch(rc_patch_json, "{'a':1}", "[{'op':'replace','path':'','value':[1,2]}]", "[1,2]");
    assert_patch(rc_patch_json, "{'a':{'b':[1]}}", "[{'op':'copy','from':'/a','path':'/c'},{'op':'add','path':'/c/b/0','value':0}]",
                 "{'a':{'b':[1]},'c':{'b':[0,1]}}");
    assert_patch(rc_patch_json, "{'a':[1,2]}", "[{'op':'add','path':'/a/2','value':3}]", "{'a':[1,2,3]}");
    assert_patch(rc_patch_json, "{'a':{'':1}}", "[{'op':'replace','path':'/a/','value':2}]", "{'a':{'':2}}");
    assert_patch(rc_patch_json, "{'a':1}", "[{'op':'move','from':'/a','path':'/a'}]", "{'a':1}");
    assert_patch(rc_patch_json, "{'a':1}", "[]", "{'a':1}");
}
END_TEST

START_TEST(json_patch_errors_name_the_operation)
{
    const char *doc = "{'spec':{'list':[1,2,3],'x':1}}";
    assert_fails(rc_patch_json, doc, "{'op':'add'}", RC_EBADREQUEST, "must be a JSON array");
    assert_fails(rc_patch_json, doc, "[{'op':'add','path':'/spec/y','value':1},{'op':'replace','path':'/spec/z','value':1}]",
                 RC_EINVAL, "operation 1 (replace /spec/z): path not found");
    assert_fails(rc_patch_json, doc, "[{'op':'frobnicate','path':'/spec'}]", RC_EINVAL, "unknown op \"frobnicate\"");
    assert_fails(rc_patch_json, doc, "[{'path':'/spec'}]", RC_EINVAL, "operation 0: missing \"op\"");
    assert_fails(rc_patch_json, doc, "[{'op':'add','value':1}]", RC_EINVAL, "missing \"path\"");
    assert_fails(rc_patch_json, doc, "[{'op':'replace','path':'/spec/x'}]", RC_EINVAL, "missing \"value\"");
    assert_fails(rc_patch_json, doc, "[{'op':'move','path':'/spec/x'}]", RC_EINVAL, "missing \"from\"");
    assert_fails(rc_patch_json, doc, "[{'op':'copy','from':'/nope','path':'/spec/y'}]", RC_EINVAL, "from: path not found");
    assert_fails(rc_patch_json, doc, "[3]", RC_EINVAL, "operation 0: not an object");
    assert_fails(rc_patch_json, doc, "[{'op':'remove','path':'/spec/list/3'}]", RC_EINVAL, "out of range");
    assert_fails(rc_patch_json, doc, "[{'op':'add','path':'/spec/list/4','value':1}]", RC_EINVAL, "out of range");
    assert_fails(rc_patch_json, doc, "[{'op':'remove','path':'/spec/list/x'}]", RC_EINVAL, "not a number");
    assert_fails(rc_patch_json, doc, "[{'op':'remove','path':'/spec/list/01'}]", RC_EINVAL, "leading zero");
    assert_fails(rc_patch_json, doc, "[{'op':'remove','path':'/spec/list/-'}]", RC_EINVAL, "'-'");
    assert_fails(rc_patch_json, doc, "[{'op':'remove','path':'/spec/list/-1'}]", RC_EINVAL, "not a number");
    assert_fails(rc_patch_json, doc, "[{'op':'remove','path':'spec'}]", RC_EINVAL, "start with '/'");
    assert_fails(rc_patch_json, doc, "[{'op':'remove','path':'/sp~2ec'}]", RC_EINVAL, "'~' must be followed");
    assert_fails(rc_patch_json, doc, "[{'op':'remove','path':''}]", RC_EINVAL, "whole document");
    assert_fails(rc_patch_json, doc, "[{'op':'move','from':'/spec','path':'/spec/inner'}]", RC_EINVAL, "own children");
    assert_fails(rc_patch_json, doc, "[{'op':'add','path':'/spec/x/y','value':1}]", RC_EINVAL, "not an object or array");
    assert_fails(rc_patch_json, doc, "[{'op':'remove','path':'/spec/list/99999999999999999999999'}]", RC_EINVAL,
                 "out of range");
    rc_error err = {0};
    ck_assert_ptr_null(rc_patch_json(J("{}"), NULL, &err));
    ck_assert_int_eq(err.code, RC_EBADREQUEST);
    ck_assert_int_eq(err.http_status, 400);
    rc_error_clear(&err);
}
END_TEST

/* ---- RFC 7386 ---- */

START_TEST(merge_patch_rfc7386_appendix_a)
{
    static const char *cases[][3] = {
        {"{'a':'b'}", "{'a':'c'}", "{'a':'c'}"},
        {"{'a':'b'}", "{'b':'c'}", "{'a':'b','b':'c'}"},
        {"{'a':'b'}", "{'a':null}", "{}"},
        {"{'a':'b','b':'c'}", "{'a':null}", "{'b':'c'}"},
        {"{'a':['b']}", "{'a':'c'}", "{'a':'c'}"},
        {"{'a':'c'}", "{'a':['b']}", "{'a':['b']}"},
        {"{'a':{'b':'c'}}", "{'a':{'b':'d','c':null}}", "{'a':{'b':'d'}}"},
        {"{'a':[{'b':'c'}]}", "{'a':[1]}", "{'a':[1]}"},
        {"['a','b']", "['c','d']", "['c','d']"},
        {"{'a':'b'}", "['c']", "['c']"},
        {"{'a':'foo'}", "null", "null"},
        {"{'a':'foo'}", "'bar'", "'bar'"},
        {"{'e':null}", "{'a':1}", "{'e':null,'a':1}"},
        {"[1,2]", "{'a':'b','c':null}", "{'a':'b'}"},
        {"{}", "{'a':{'bb':{'ccc':null}}}", "{'a':{'bb':{}}}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_patch(rc_patch_merge, cases[i][0], cases[i][1], cases[i][2]);
    /* Large objects go through the hash index. */
    cJSON *big = keep(cJSON_CreateObject()), *p = keep(cJSON_CreateObject());
    char key[16];
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "k%d", i);
        cJSON_AddNumberToObject(big, key, i);
        if (i % 2)
            cJSON_AddNullToObject(p, key);
    }
    cJSON_AddStringToObject(p, "new", "v");
    cJSON *out = keep(rc_patch_merge(big, p, NULL));
    ck_assert_int_eq(cJSON_GetArraySize(out), 51);
    ck_assert_ptr_null(cJSON_GetObjectItem(out, "k1"));
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(out, "k98"));
    ck_assert_str_eq(cJSON_GetObjectItem(out, "new")->valuestring, "v");
    ck_assert_ptr_null(rc_patch_merge(big, NULL, NULL));
}
END_TEST

/* ---- strategic merge patch ---- */

#define POD(spec) "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':" spec "}"

START_TEST(smp_containers_merge_by_name)
{
    assert_patch(smp, POD("{'containers':[{'name':'a','image':'a:1'},{'name':'b','image':'b:1'}]}"),
                 "{'spec':{'containers':[{'name':'b','image':'b:2'}]}}",
                 POD("{'containers':[{'name':'a','image':'a:1'},{'name':'b','image':'b:2'}]}"));
    /* A new element comes first, as upstream orders it when no $setElementOrder is given. */
    assert_patch(smp, POD("{'containers':[{'name':'a','image':'a:1'}]}"), "{'spec':{'containers':[{'name':'c','image':'c:1'}]}}",
                 POD("{'containers':[{'name':'c','image':'c:1'},{'name':'a','image':'a:1'}]}"));
    assert_patch(smp, POD("{'containers':[{'name':'a','image':'a:1'},{'name':'b','image':'b:1'}]}"),
                 "{'spec':{'containers':[{'name':'a','$patch':'delete'}]}}", POD("{'containers':[{'name':'b','image':'b:1'}]}"));
    assert_patch(smp, POD("{'containers':[{'name':'a','image':'a:1'},{'name':'b','image':'b:1'}]}"),
                 "{'spec':{'containers':[{'name':'x','image':'x:1'},{'$patch':'replace'}]}}",
                 POD("{'containers':[{'name':'x','image':'x:1'}]}"));
}
END_TEST

START_TEST(smp_nested_lists_env_ports_mounts)
{
    assert_patch(smp,
                 POD("{'containers':[{'name':'a','env':[{'name':'A','value':'1'},{'name':'B','value':'2'}],"
                     "'ports':[{'containerPort':80,'protocol':'TCP'}],'volumeMounts':[{'mountPath':'/d','name':'v'}]}]}"),
                 "{'spec':{'containers':[{'name':'a','env':[{'name':'B','value':'3'},{'name':'A','$patch':'delete'}],"
                 "'ports':[{'containerPort':80,'name':'http'},{'containerPort':443}],"
                 "'volumeMounts':[{'mountPath':'/d','readOnly':true}]}]}}",
                 POD("{'containers':[{'name':'a','env':[{'name':'B','value':'3'}],"
                     "'ports':[{'containerPort':80,'protocol':'TCP','name':'http'},{'containerPort':443}],"
                     "'volumeMounts':[{'mountPath':'/d','name':'v','readOnly':true}]}]}"));
    /* Lists without a merge strategy (args, tolerations) are replaced whole. */
    assert_patch(smp, POD("{'tolerations':[{'key':'a'}],'containers':[{'name':'a','args':['x','y']}]}"),
                 "{'spec':{'tolerations':[{'key':'b'}],'containers':[{'name':'a','args':['z']}]}}",
                 POD("{'tolerations':[{'key':'b'}],'containers':[{'name':'a','args':['z']}]}"));
    /* Service ports merge by port. */
    assert_patch(smp, "{'apiVersion':'v1','kind':'Service','spec':{'ports':[{'port':80,'name':'http'},{'port':443}]}}",
                 "{'spec':{'ports':[{'port':80,'targetPort':8080}]}}",
                 "{'apiVersion':'v1','kind':'Service','spec':{'ports':[{'port':80,'name':'http','targetPort':8080},{'port':443}]}}");
}
END_TEST

START_TEST(smp_finalizers_and_primitive_lists)
{
    const char *cm = "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c','finalizers':['a','b']}}";
    assert_patch(smp, cm, "{'metadata':{'finalizers':['b','c']}}",
                 "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c','finalizers':['a','b','c']}}");
    assert_patch(smp, cm, "{'metadata':{'finalizers':['c']}}",
                 "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c','finalizers':['c','a','b']}}");
    assert_patch(smp, cm, "{'metadata':{'$deleteFromPrimitiveList/finalizers':['a','zz']}}",
                 "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c','finalizers':['b']}}");
    assert_patch(smp, cm, "{'metadata':{'$setElementOrder/finalizers':['b','c','a'],'finalizers':['c']}}",
                 "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c','finalizers':['b','c','a']}}");
    assert_patch(smp, cm, "{'metadata':{'finalizers':null}}", "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c'}}");
    assert_patch(smp, "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'ownerReferences':[{'uid':'1','name':'a'}]}}",
                 "{'metadata':{'ownerReferences':[{'uid':'1','controller':true},{'uid':'2','name':'b'}]}}",
                 "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'ownerReferences':[{'uid':'1','name':'a','controller':true},"
                 "{'uid':'2','name':'b'}]}}");
}
END_TEST

START_TEST(smp_set_element_order)
{
    assert_patch(smp, POD("{'containers':[{'name':'a','image':'a:1'},{'name':'b','image':'b:1'},{'name':'c'}]}"),
                 "{'spec':{'$setElementOrder/containers':[{'name':'c'},{'name':'b'},{'name':'a'}],"
                 "'containers':[{'name':'b','image':'b:2'}]}}",
                 POD("{'containers':[{'name':'c'},{'name':'b','image':'b:2'},{'name':'a','image':'a:1'}]}"));
    /* Elements the server has but the order list lacks are interleaved at their old positions. */
    assert_patch(smp, POD("{'containers':[{'name':'a'},{'name':'side'},{'name':'b'}]}"),
                 "{'spec':{'$setElementOrder/containers':[{'name':'b'},{'name':'a'}]}}",
                 POD("{'containers':[{'name':'side'},{'name':'b'},{'name':'a'}]}"));
    assert_patch(smp, POD("{'containers':[{'name':'side'},{'name':'a'},{'name':'b'}]}"),
                 "{'spec':{'$setElementOrder/containers':[{'name':'b'},{'name':'a'},{'name':'c'}],'containers':[{'name':'c'}]}}",
                 POD("{'containers':[{'name':'side'},{'name':'b'},{'name':'a'},{'name':'c'}]}"));
    /* The list may be new to the document. */
    assert_patch(smp, POD("{}"), "{'spec':{'$setElementOrder/containers':[{'name':'b'},{'name':'a'}],"
                                 "'containers':[{'name':'b'},{'name':'a','$patch':'delete'},{'name':'a'}]}}",
                 POD("{'containers':[{'name':'b'},{'name':'a'}]}"));
    /* The kubectl set image body. */
    cJSON *cur = load("set-image-current.json"), *want = load("set-image-result.json");
    cJSON *out = keep(rc_patch_strategic(cur, load("set-image-patch.json"), "apps/v1", "Deployment", NULL));
    ck_assert_ptr_nonnull(out);
    assert_same(cJSON_GetObjectItem(out, "spec"), cJSON_GetObjectItem(want, "spec"));
}
END_TEST

START_TEST(smp_map_directives_nulls_and_retain_keys)
{
    const char *dep = "{'apiVersion':'apps/v1','kind':'Deployment','spec':{'paused':true,'replicas':2,"
                      "'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxSurge':1}}}}";
    assert_patch(smp, dep, "{'spec':{'paused':null,'missing':null}}",
                 "{'apiVersion':'apps/v1','kind':'Deployment','spec':{'replicas':2,"
                 "'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxSurge':1}}}}");
    assert_patch(smp, dep, "{'spec':{'strategy':{'$retainKeys':['type'],'type':'Recreate'}}}",
                 "{'apiVersion':'apps/v1','kind':'Deployment','spec':{'paused':true,'replicas':2,'strategy':{'type':'Recreate'}}}");
    assert_patch(smp, dep, "{'spec':{'strategy':{'$patch':'replace','type':'Recreate'}}}",
                 "{'apiVersion':'apps/v1','kind':'Deployment','spec':{'paused':true,'replicas':2,'strategy':{'type':'Recreate'}}}");
    assert_patch(smp, dep, "{'spec':{'strategy':{'$patch':'delete'}}}",
                 "{'apiVersion':'apps/v1','kind':'Deployment','spec':{'paused':true,'replicas':2,'strategy':{}}}");
    assert_patch(smp, dep, "{'spec':{'strategy':{'$patch':'merge','type':'Recreate'}}}",
                 "{'apiVersion':'apps/v1','kind':'Deployment','spec':{'paused':true,'replicas':2,"
                 "'strategy':{'type':'Recreate','rollingUpdate':{'maxSurge':1}}}}");
    /* Values new to the document lose their nulls and directives. */
    assert_patch(smp, dep, "{'spec':{'template':{'spec':{'containers':[{'name':'a','x':null},{'name':'b','$patch':'delete'}]}}}}",
                 "{'apiVersion':'apps/v1','kind':'Deployment','spec':{'paused':true,'replicas':2,"
                 "'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxSurge':1}},"
                 "'template':{'spec':{'containers':[{'name':'a'}]}}}}");
    /* The kubectl rollout resume body. */
    assert_patch(smp, dep, "{'spec':{'paused':null}}",
                 "{'apiVersion':'apps/v1','kind':'Deployment','spec':{'replicas':2,"
                 "'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxSurge':1}}}}");
}
END_TEST

START_TEST(smp_refuses_unknown_kinds_and_bad_patches)
{
    assert_fails(smp, "{'apiVersion':'example.com/v1','kind':'Widget','spec':{}}", "{'spec':{'a':1}}", RC_EUNSUPPORTED,
                 "Kind=Widget");
    ck_assert(!rc_patch_strategic_supported("example.com/v1", "Widget"));
    ck_assert(rc_patch_strategic_supported("apps/v1", "Deployment"));
    const char *pod = POD("{'containers':[{'name':'a','image':'a:1'}]}");
    assert_fails(smp, pod, "[1]", RC_EBADREQUEST, "patch must be a JSON object");
    assert_fails(smp, "[]", "{}", RC_EBADREQUEST, "document must be a JSON object");
    assert_fails(smp, pod, "{'spec':{'$patch':'explode'}}", RC_EBADREQUEST, "spec: invalid \"$patch\"");
    assert_fails(smp, pod, "{'spec':{'$patch':1}}", RC_EBADREQUEST, "invalid \"$patch\"");
    assert_fails(smp, pod, "{'spec':{'containers':[{'image':'b'}]}}", RC_EBADREQUEST,
                 "spec.containers: patch element 0 does not contain declared merge key \"name\"");
    assert_fails(smp, pod, "{'spec':{'containers':[{'name':'a','$patch':'nope'}]}}", RC_EBADREQUEST, "invalid \"$patch\"");
    assert_fails(smp, pod, "{'spec':{'containers':['a']}}", RC_EBADREQUEST, "not identical");
    assert_fails(smp, pod, "{'spec':{'containers':[[1]]}}", RC_EBADREQUEST, "lists of lists");
    assert_fails(smp, pod, "{'spec':{'$setElementOrder/containers':{'name':'a'}}}", RC_EBADREQUEST, "must be a list");
    assert_fails(smp, pod, "{'spec':{'$setElementOrder/':[]}}", RC_EBADREQUEST, "needs a field name");
    assert_fails(smp, pod, "{'spec':{'$setElementOrder/containers':[{'image':'x'}]}}", RC_EBADREQUEST, "merge key");
    assert_fails(smp, pod, "{'spec':{'$setElementOrder/containers':[{'name':'a'}],'containers':[{'name':'b'}]}}",
                 RC_EBADREQUEST, "does not match its $setElementOrder");
    assert_fails(smp, pod, "{'metadata':{'$deleteFromPrimitiveList/finalizers':'a'}}", RC_EBADREQUEST, "must be a list");
    assert_fails(smp, pod, "{'spec':{'$retainKeys':'containers'}}", RC_EBADREQUEST, "$retainKeys must be a list");
    assert_fails(smp, pod, "{'spec':{'$retainKeys':['x'],'containers':[]}}", RC_EBADREQUEST,
                 "field \"containers\" is in the patch but not in $retainKeys");
    /* A failure deep inside a merge that already changed things still leaves the input alone. */
    assert_fails(smp, pod, "{'metadata':{'labels':{'a':'b'}},'spec':{'containers':[{'name':'a','image':'z'},{'image':'q'}]}}",
                 RC_EBADREQUEST, "merge key");
    assert_fails(smp, POD("{'containers':[{'image':'nameless'}]}"), "{'spec':{'containers':[{'name':'a'}]}}",
                 RC_EBADREQUEST, "document element 0 does not contain declared merge key");
}
END_TEST

START_TEST(patch_types_and_dispatch)
{
    ck_assert_int_eq(rc_patch_type_from_content_type("application/json-patch+json"), RC_PATCH_JSON);
    ck_assert_int_eq(rc_patch_type_from_content_type(" Application/Merge-Patch+JSON; charset=utf-8"), RC_PATCH_MERGE);
    ck_assert_int_eq(rc_patch_type_from_content_type("application/strategic-merge-patch+json"), RC_PATCH_STRATEGIC);
    ck_assert_int_eq(rc_patch_type_from_content_type("application/apply-patch+yaml"), RC_PATCH_APPLY);
    ck_assert_int_eq(rc_patch_type_from_content_type("application/json"), RC_EUNSUPPORTED);
    ck_assert_int_eq(rc_patch_type_from_content_type("application/json-patch+json-extra"), RC_EUNSUPPORTED);
    ck_assert_int_eq(rc_patch_type_from_content_type(NULL), RC_EUNSUPPORTED);
    ck_assert_str_eq(rc_patch_type_content_type(RC_PATCH_STRATEGIC), "application/strategic-merge-patch+json");
    ck_assert_ptr_null(rc_patch_type_content_type(99));
    cJSON *doc = J("{'a':1}");
    assert_json(rc_patch_apply(RC_PATCH_MERGE, doc, J("{'b':2}"), NULL, NULL, NULL), "{'a':1,'b':2}");
    assert_json(rc_patch_apply(RC_PATCH_JSON, doc, J("[{'op':'remove','path':'/a'}]"), NULL, NULL, NULL), "{}");
    rc_error err = {0};
    ck_assert_ptr_null(rc_patch_apply(RC_PATCH_APPLY, doc, doc, NULL, NULL, &err));
    ck_assert_int_eq(err.code, RC_EUNSUPPORTED);
    ck_assert_int_eq(err.http_status, 415);
    rc_error_clear(&err);
}
END_TEST

/* ---- client-side apply ---- */

START_TEST(apply_annotation_matches_kubectl)
{
    cJSON *modified = keep(rc_apply_annotate(load("apply-update-manifest.json"), NULL));
    ck_assert_ptr_nonnull(modified);
    const cJSON *sent = load("apply-update-patch.json");
    const char *want = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(sent, "metadata"), "annotations"),
                                           RC_LAST_APPLIED_ANNOTATION)->valuestring;
    cJSON *ann = cJSON_GetObjectItem(cJSON_GetObjectItem(modified, "metadata"), "annotations");
    ck_assert_str_eq(cJSON_GetObjectItem(ann, RC_LAST_APPLIED_ANNOTATION)->valuestring, want);
    /* Annotating again does not nest the old annotation. */
    cJSON *again = keep(rc_apply_annotate(modified, NULL));
    assert_same(again, modified);
    /* Go's escaping of HTML characters. */
    cJSON *odd = keep(rc_apply_annotate(J("{'kind':'X','metadata':{'name':'a<b>&c'},'n':1.5}"), NULL));
    const char *text =
        cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(odd, "metadata"), "annotations"), RC_LAST_APPLIED_ANNOTATION)
            ->valuestring;
    ck_assert_str_eq(text, "{\"kind\":\"X\",\"metadata\":{\"annotations\":{},\"name\":\"a\\u003cb\\u003e\\u0026c\"},\"n\":1.5}\n");
    rc_error err = {0};
    ck_assert_ptr_null(rc_apply_annotate(J("{'metadata':{'annotations':[]}}"), &err));
    ck_assert_int_eq(err.code, RC_EBADREQUEST);
    rc_error_clear(&err);
}
END_TEST

START_TEST(apply_computes_the_patch_kubectl_sent)
{
    cJSON *current = load("apply-update-current.json");
    cJSON *original = keep(rc_apply_last_applied(current, NULL));
    ck_assert_ptr_nonnull(original);
    cJSON *modified = keep(rc_apply_annotate(load("apply-update-manifest.json"), NULL));
    int type = 0;
    cJSON *patch = keep(rc_apply_compute_patch(original, modified, current, NULL, NULL, &type, NULL));
    ck_assert_int_eq(type, RC_PATCH_STRATEGIC);
    assert_same(patch, load("apply-update-patch.json"));
    cJSON *out = keep(rc_apply_three_way(original, modified, current, NULL, NULL, NULL));
    cJSON *want = load("apply-update-result.json");
    assert_same(cJSON_GetObjectItem(out, "spec"), cJSON_GetObjectItem(want, "spec"));
    assert_same(cJSON_GetObjectItem(out, "status"), cJSON_GetObjectItem(want, "status"));
    /* Applying the same manifest again changes nothing. */
    cJSON *original2 = keep(rc_apply_last_applied(out, NULL));
    assert_json(rc_apply_compute_patch(original2, modified, out, NULL, NULL, NULL, NULL), "{}");
}
END_TEST

#define DEP(spec) "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'d'},'spec':" spec "}"

START_TEST(apply_three_way_semantics)
{
    /* replicas set by kubectl scale, absent from both manifests: kept. A label dropped from the manifest:
     * deleted. An image change: applied, other containers and server defaults kept. */
    cJSON *original = J(DEP("{'template':{'metadata':{'labels':{'app':'a','tier':'web'}},'spec':{'containers':["
                            "{'name':'app','image':'app:1'},{'name':'log','image':'log:1'}]}}}"));
    cJSON *modified = J(DEP("{'template':{'metadata':{'labels':{'app':'a'}},'spec':{'containers':["
                            "{'name':'app','image':'app:2'}]}}}"));
    cJSON *current = J(DEP("{'replicas':5,'template':{'metadata':{'labels':{'app':'a','tier':'web'}},'spec':{'containers':["
                           "{'name':'app','image':'app:1','imagePullPolicy':'IfNotPresent'},{'name':'log','image':'log:1'},"
                           "{'name':'injected','image':'mesh:1'}],'dnsPolicy':'ClusterFirst'}}}"));
    cJSON *saved = keep(cJSON_Duplicate(current, 1));
    assert_json(rc_apply_compute_patch(original, modified, current, NULL, NULL, NULL, NULL),
                "{'spec':{'template':{'metadata':{'labels':{'tier':null}},'spec':{"
                "'$setElementOrder/containers':[{'name':'app'}],"
                "'containers':[{'name':'app','image':'app:2'},{'name':'log','$patch':'delete'}]}}}}");
    assert_json(rc_apply_three_way(original, modified, current, NULL, NULL, NULL),
                DEP("{'replicas':5,'template':{'metadata':{'labels':{'app':'a'}},'spec':{'containers':["
                    "{'name':'app','image':'app:2','imagePullPolicy':'IfNotPresent'},{'name':'injected','image':'mesh:1'}],"
                    "'dnsPolicy':'ClusterFirst'}}}"));
    assert_same(current, saved);
    /* Without a last-applied configuration nothing is deleted. */
    assert_json(rc_apply_three_way(NULL, modified, current, NULL, NULL, NULL),
                DEP("{'replicas':5,'template':{'metadata':{'labels':{'app':'a','tier':'web'}},'spec':{'containers':["
                    "{'name':'app','image':'app:2','imagePullPolicy':'IfNotPresent'},{'name':'log','image':'log:1'},"
                    "{'name':'injected','image':'mesh:1'}],'dnsPolicy':'ClusterFirst'}}}"));
    /* Removing replicas from the manifest hands the field back to the server (deleted). */
    assert_json(rc_apply_compute_patch(J(DEP("{'replicas':3}")), J(DEP("{}")), J(DEP("{'replicas':3}")), NULL, NULL, NULL, NULL),
                "{'spec':{'replicas':null}}");
}
END_TEST

START_TEST(apply_lists_of_scalars_and_retain_keys)
{
    cJSON *o = J("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c','finalizers':['a','b']}}");
    cJSON *m = J("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c','finalizers':['b','c']}}");
    cJSON *cur = J("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c','finalizers':['a','b','x']}}");
    assert_json(rc_apply_compute_patch(o, m, cur, NULL, NULL, NULL, NULL),
                "{'metadata':{'finalizers':['c'],'$deleteFromPrimitiveList/finalizers':['a'],"
                "'$setElementOrder/finalizers':['b','c']}}");
    assert_json(rc_apply_three_way(o, m, cur, NULL, NULL, NULL),
                "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c','finalizers':['b','c','x']}}");
    /* Deployment strategy carries retainKeys: switching to Recreate clears rollingUpdate set by defaults. */
    cJSON *dcur = J(DEP("{'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxSurge':'25%'}}}"));
    cJSON *dmod = J(DEP("{'strategy':{'type':'Recreate'}}"));
    assert_json(rc_apply_compute_patch(NULL, dmod, dcur, NULL, NULL, NULL, NULL),
                "{'spec':{'strategy':{'type':'Recreate','$retainKeys':['type']}}}");
    assert_json(rc_apply_three_way(NULL, dmod, dcur, NULL, NULL, NULL), DEP("{'strategy':{'type':'Recreate'}}"));
}
END_TEST

START_TEST(apply_unknown_kinds_use_merge_patch)
{
    cJSON *o = J("{'apiVersion':'example.com/v1','kind':'Widget','metadata':{'name':'w'},'spec':{'items':['a','b'],'old':1}}");
    cJSON *m = J("{'apiVersion':'example.com/v1','kind':'Widget','metadata':{'name':'w'},'spec':{'items':['c']}}");
    cJSON *cur = J("{'apiVersion':'example.com/v1','kind':'Widget','metadata':{'name':'w'},'spec':{'items':['a','b'],'old':1,'x':2}}");
    int type = 0;
    assert_json(rc_apply_compute_patch(o, m, cur, NULL, NULL, &type, NULL), "{'spec':{'items':['c'],'old':null}}");
    ck_assert_int_eq(type, RC_PATCH_MERGE);
    assert_json(rc_apply_three_way(o, m, cur, NULL, NULL, NULL),
                "{'apiVersion':'example.com/v1','kind':'Widget','metadata':{'name':'w'},'spec':{'items':['c'],'x':2}}");
}
END_TEST

START_TEST(apply_rejects_bad_input)
{
    rc_error err = {0};
    cJSON *obj = J(DEP("{}"));
    ck_assert_ptr_null(rc_apply_compute_patch(NULL, J("[]"), obj, NULL, NULL, NULL, &err));
    ck_assert_int_eq(err.code, RC_EBADREQUEST);
    ck_assert_ptr_null(rc_apply_compute_patch(J("1"), obj, obj, NULL, NULL, NULL, &err));
    ck_assert_ptr_null(rc_apply_three_way(NULL, obj, NULL, NULL, NULL, &err));
    ck_assert_ptr_null(rc_apply_compute_patch(NULL, J(DEP("{'template':{'spec':{'containers':[{'image':'x'}]}}}")),
                                              J(DEP("{'template':{'spec':{'containers':[{'name':'a'}]}}}")), NULL, NULL, NULL, &err));
    ck_assert_int_eq(err.code, RC_EBADREQUEST);
    ck_assert_msg(strstr(err.message, "spec.template.spec.containers") != NULL, "%s", err.message);
    ck_assert_ptr_null(rc_apply_compute_patch(NULL, J("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'other'}}"),
                                              obj, NULL, NULL, NULL, &err));
    ck_assert_msg(strstr(err.message, "name was changed") != NULL, "%s", err.message);
    rc_error_clear(&err);
    ck_assert_ptr_null(rc_apply_last_applied(obj, &err));
    ck_assert_int_eq(err.code, 0);
    ck_assert_ptr_null(rc_apply_last_applied(J("{'metadata':{'annotations':{'" RC_LAST_APPLIED_ANNOTATION "':'[1]'}}}"), &err));
    ck_assert_int_eq(err.code, RC_EBADREQUEST);
    rc_error_clear(&err);
}
END_TEST

static Suite *patch_suite(void)
{
    Suite *s = suite_create("patch");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, NULL, free_trees);
    tcase_add_test(tc, json_patch_rfc6902_appendix_a);
    tcase_add_test(tc, json_patch_pointers_and_whole_document);
    tcase_add_test(tc, json_patch_errors_name_the_operation);
    tcase_add_test(tc, merge_patch_rfc7386_appendix_a);
    tcase_add_test(tc, smp_containers_merge_by_name);
    tcase_add_test(tc, smp_nested_lists_env_ports_mounts);
    tcase_add_test(tc, smp_finalizers_and_primitive_lists);
    tcase_add_test(tc, smp_set_element_order);
    tcase_add_test(tc, smp_map_directives_nulls_and_retain_keys);
    tcase_add_test(tc, smp_refuses_unknown_kinds_and_bad_patches);
    tcase_add_test(tc, patch_types_and_dispatch);
    tcase_add_test(tc, apply_annotation_matches_kubectl);
    tcase_add_test(tc, apply_computes_the_patch_kubectl_sent);
    tcase_add_test(tc, apply_three_way_semantics);
    tcase_add_test(tc, apply_lists_of_scalars_and_retain_keys);
    tcase_add_test(tc, apply_unknown_kinds_use_merge_patch);
    tcase_add_test(tc, apply_rejects_bad_input);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return rc_test_run_suite(patch_suite()); }
