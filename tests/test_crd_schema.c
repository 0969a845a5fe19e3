/* test_crd_schema.c - custom resources against their openAPIV3Schema (rci_crd_schema,
 * rci_crd_validate_and_prune): each keyword's accept and reject case with kube-apiserver's message, pruning
 * of unknown fields (and what preserve-unknown-fields, additionalProperties and embedded resources keep),
 * and that a rejected object reports every failing path. */
#include <reconcile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/hooks.h"
#include "support/sq_json.h"
#include "support/testutil.h"

/* The Network CRD of the concept notes, with a schema exercising every keyword. */
static const char crd_text[] =
    "{'apiVersion':'apiextensions.k8s.io/v1','kind':'CustomResourceDefinition','metadata':{'name':"
    "'networks.samplecrd.k8s.io'},'spec':{'group':'samplecrd.k8s.io','names':{'plural':'networks','kind':'Network'},"
    "'scope':'Namespaced','versions':[{'name':'v1beta1','served':true,'storage':false,'schema':{'openAPIV3Schema':"
    "{'type':'object'}}},{'name':'v1','served':true,'storage':true,'schema':{'openAPIV3Schema':{'type':'object',"
    "'properties':{'spec':{'type':'object','required':['cidr'],'properties':{"
    "'cidr':{'type':'string','format':'cidr'},"
    "'gateway':{'type':'string','format':'ipv4'},"
    "'mode':{'type':'string','enum':['bridge','overlay']},"
    "'replicas':{'type':'integer','minimum':0,'maximum':10},"
    "'weight':{'type':'number','minimum':0,'exclusiveMinimum':true,'maximum':1,'exclusiveMaximum':true},"
    "'name':{'type':'string','minLength':3,'maxLength':8,'pattern':'^[a-z]\\\\d*[a-z]*$'},"
    "'tags':{'type':'array','minItems':1,'maxItems':2,'items':{'type':'string'}},"
    "'port':{'x-kubernetes-int-or-string':true},"
    "'enabled':{'type':'boolean'},"
    "'note':{'type':'string','nullable':true},"
    "'labels':{'type':'object','additionalProperties':{'type':'string'}},"
    "'extra':{'type':'object','x-kubernetes-preserve-unknown-fields':true,'properties':{'n':{'type':'integer'}}},"
    "'template':{'type':'object','x-kubernetes-embedded-resource':true,'properties':{'spec':{'type':'object'}}},"
    "'routes':{'type':'array','items':{'type':'object','required':['to'],'properties':{'to':{'type':'string'}}}}"
    "}},'status':{'type':'object','x-kubernetes-preserve-unknown-fields':true}}}}}]}}";

static cJSON *crd;

static void setup(void) { crd = json(crd_text); }
static void teardown(void) { cJSON_Delete(crd); }

#define NET(spec) "{'apiVersion':'samplecrd.k8s.io/v1','kind':'Network','metadata':{'name':'net1','namespace':'default'}," \
    "'spec':{" spec "}}"

typedef struct scase {
    const char *obj;
    const char *cause; /* expected "field: body" of one cause, or NULL for valid */
} scase;

static const scase cases[] = {
    {NET("'cidr':'10.0.0.0/16'"), NULL},
    {NET("'cidr':'10.0.0.0/16','gateway':'10.0.0.1','mode':'overlay','replicas':10,'weight':0.5,'name':'a1bc',"
         "'tags':['a','b'],'port':8080,'enabled':true,'note':null,'labels':{'a':'b'},'extra':{'n':1,'free':[1]},"
         "'routes':[{'to':'x'}]"),
     NULL},
    {NET("'cidr':'10.0.0.0/16','port':'http'"), NULL},
    {NET(""), "spec.cidr: Required value"},
    {NET("'cidr':5"), "spec.cidr: Invalid value: \"integer\": spec.cidr in body must be of type string: \"integer\""},
    {NET("'cidr':'10.0.0.0/33'"), "spec.cidr: Invalid value: \"10.0.0.0/33\": spec.cidr in body must be of type cidr: "
                                  "\"10.0.0.0/33\""},
    {NET("'cidr':'10.0.0.0/8','gateway':'10.0.0'"), "spec.gateway: Invalid value: \"10.0.0\": spec.gateway in body "
                                                    "must be of type ipv4: \"10.0.0\""},
    {NET("'cidr':'10.0.0.0/8','mode':'mesh'"), "spec.mode: Unsupported value: \"mesh\": supported values: \"bridge\", "
                                               "\"overlay\""},
    {NET("'cidr':'10.0.0.0/8','replicas':-1"), "spec.replicas: Invalid value: -1: spec.replicas in body should be "
                                               "greater than or equal to 0"},
    {NET("'cidr':'10.0.0.0/8','replicas':11"), "spec.replicas: Invalid value: 11: spec.replicas in body should be less "
                                               "than or equal to 10"},
    {NET("'cidr':'10.0.0.0/8','replicas':1.5"), "spec.replicas: Invalid value: \"number\": spec.replicas in body must "
                                                "be of type integer: \"number\""},
    {NET("'cidr':'10.0.0.0/8','replicas':'3'"), "spec.replicas: Invalid value: \"string\": spec.replicas in body must "
                                                "be of type integer: \"string\""},
    {NET("'cidr':'10.0.0.0/8','weight':0"), "spec.weight: Invalid value: 0: spec.weight in body should be greater "
                                            "than 0"},
    {NET("'cidr':'10.0.0.0/8','weight':1"), "spec.weight: Invalid value: 1: spec.weight in body should be less than 1"},
    {NET("'cidr':'10.0.0.0/8','name':'ab'"), "spec.name: Invalid value: \"ab\": spec.name in body should be at least 3 "
                                             "chars long"},
    {NET("'cidr':'10.0.0.0/8','name':'abcdefghij'"), "spec.name: Invalid value: \"abcdefghij\": spec.name in body "
                                                     "should be at most 8 chars long"},
    {NET("'cidr':'10.0.0.0/8','name':'1abc'"), "spec.name: Invalid value: \"1abc\": spec.name in body should match "
                                               "'^[a-z]\\d*[a-z]*$'"},
    {NET("'cidr':'10.0.0.0/8','tags':[]"), "spec.tags: Invalid value: 0: spec.tags in body should have at least 1 "
                                           "items"},
    {NET("'cidr':'10.0.0.0/8','tags':['a','b','c']"), "spec.tags: Invalid value: 3: spec.tags in body should have at "
                                                      "most 2 items"},
    {NET("'cidr':'10.0.0.0/8','tags':['a',1]"), "spec.tags[1]: Invalid value: \"integer\": spec.tags[1] in body must "
                                                "be of type string: \"integer\""},
    {NET("'cidr':'10.0.0.0/8','port':1.5"), "spec.port: Invalid value: \"number\": spec.port in body must be of type "
                                            "integer-or-string: \"number\""},
    {NET("'cidr':'10.0.0.0/8','enabled':'yes'"), "spec.enabled: Invalid value: \"string\": spec.enabled in body must "
                                                 "be of type boolean: \"string\""},
    {NET("'cidr':'10.0.0.0/8','enabled':null"), "spec.enabled: Invalid value: \"null\": spec.enabled in body must be "
                                                "of type boolean: \"null\""},
    {NET("'cidr':'10.0.0.0/8','labels':{'a':1}"), "spec.labels.a: Invalid value: \"integer\": spec.labels.a in body "
                                                  "must be of type string: \"integer\""},
    {NET("'cidr':'10.0.0.0/8','routes':[{'via':'y'}]"), "spec.routes[0].to: Required value"},
    {NET("'cidr':'10.0.0.0/8','extra':{'n':'x'}"), "spec.extra.n: Invalid value: \"string\": spec.extra.n in body must "
                                                   "be of type integer: \"string\""},
    {"{'apiVersion':'samplecrd.k8s.io/v1','kind':'Network','metadata':{'name':'n'},'spec':[]}",
     "spec: Invalid value: \"array\": spec in body must be of type object: \"array\""},
};

START_TEST(schema_table)
{
    const scase *c = &cases[_i];
    const cJSON *schema = rci_crd_schema(crd, "v1");
    ck_assert_ptr_nonnull(schema);
    cJSON *obj = json(c->obj);
    rc_error err = {0};
    int rc = rci_crd_validate_and_prune(schema, obj, &err);
    if (!c->cause) {
        ck_assert_msg(rc == 0, "case %d: %s", _i, err.message ? err.message : "");
    } else {
        ck_assert_msg(rc == RC_EINVAL, "case %d: rc %d", _i, rc);
        ck_assert_int_eq(err.http_status, 422);
        ck_assert(strstr(err.message, "Network.samplecrd.k8s.io \"") == err.message);
        bool found = false;
        for (size_t i = 0; i < err.ncauses && !found; i++) {
            char line[1024];
            snprintf(line, sizeof line, "%s: %s", err.causes[i].field, err.causes[i].message);
            found = !strcmp(line, c->cause);
        }
        ck_assert_msg(found, "case %d: %s\nhas no cause\n  %s", _i, err.message, c->cause);
    }
    rc_error_clear(&err);
    cJSON_Delete(obj);
}
END_TEST

START_TEST(pruning)
{
    const cJSON *schema = rci_crd_schema(crd, "v1");
    cJSON *obj = json("{'apiVersion':'samplecrd.k8s.io/v1','kind':'Network','metadata':{'name':'net1'},'spec':{"
                      "'cidr':'10.0.0.0/8','unknown':1,'extra':{'free':{'deep':true}},'labels':{'x':'y'},"
                      "'template':{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':{},'junk':1},"
                      "'routes':[{'to':'a','junk':2}]},'status':{'anything':[1,2]},'topLevelJunk':{}}");
    rc_error err = {0};
    ck_assert_int_eq(rci_crd_validate_and_prune(schema, obj, &err), 0);
    const cJSON *spec = cJSON_GetObjectItem(obj, "spec");
    ck_assert_ptr_null(cJSON_GetObjectItem(spec, "unknown"));
    ck_assert_ptr_null(cJSON_GetObjectItem(obj, "topLevelJunk"));
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(obj, "metadata"));
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(obj, "apiVersion"));
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(cJSON_GetObjectItem(spec, "extra"), "free"));
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(cJSON_GetObjectItem(spec, "labels"), "x"));
    const cJSON *tpl = cJSON_GetObjectItem(spec, "template");
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(tpl, "kind"));
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(tpl, "metadata"));
    ck_assert_ptr_null(cJSON_GetObjectItem(tpl, "junk"));
    ck_assert_ptr_null(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(spec, "routes"), 0), "junk"));
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "status"), "anything")), 2);
    /* the storage version when no version is named; the v1beta1 schema prunes all of spec */
    ck_assert_ptr_eq(rci_crd_schema(crd, NULL), schema);
    const cJSON *beta = rci_crd_schema(crd, "v1beta1");
    ck_assert_ptr_nonnull(beta);
    ck_assert_ptr_null(rci_crd_schema(crd, "v2"));
    ck_assert_int_eq(rci_crd_validate_and_prune(beta, obj, &err), 0);
    ck_assert_ptr_null(cJSON_GetObjectItem(obj, "spec"));
    cJSON_Delete(obj);
}
END_TEST

START_TEST(every_failure_is_reported)
{
    const cJSON *schema = rci_crd_schema(crd, "v1");
    cJSON *obj = json(NET("'mode':'mesh','replicas':99"));
    rc_error err = {0};
    ck_assert_int_eq(rci_crd_validate_and_prune(schema, obj, &err), RC_EINVAL);
    ck_assert_uint_eq(err.ncauses, 3);
    ck_assert_str_eq(err.message,
                     "Network.samplecrd.k8s.io \"net1\" is invalid: [spec.mode: Unsupported value: \"mesh\": supported "
                     "values: \"bridge\", \"overlay\", spec.replicas: Invalid value: 99: spec.replicas in body should be "
                     "less than or equal to 10, spec.cidr: Required value]");
    ck_assert_str_eq(err.causes[0].reason, "FieldValueNotSupported");
    ck_assert_str_eq(err.causes[2].reason, "FieldValueRequired");
    rc_error_clear(&err);
    cJSON_Delete(obj);
}
END_TEST

START_TEST(bad_input_and_bad_schemas)
{
    rc_error err = {0};
    cJSON *arr = cJSON_CreateArray();
    ck_assert_int_eq(rci_crd_validate_and_prune(rci_crd_schema(crd, "v1"), arr, &err), RC_EBADREQUEST);
    ck_assert_int_eq(rci_crd_validate_and_prune(NULL, NULL, &err), RC_EBADREQUEST);
    rc_error_clear(&err);
    cJSON_Delete(arr);
    ck_assert_ptr_null(rci_crd_schema(NULL, "v1"));
    /* an uncompilable pattern never matches-or-crashes: the CRD validation rejects it up front */
    cJSON *schema = json("{'type':'object','properties':{'s':{'type':'string','pattern':'(?=x)'}}}");
    cJSON *obj = json("{'apiVersion':'a.io/v1','kind':'K','metadata':{'name':'k'},'s':'x'}");
    ck_assert_int_eq(rci_crd_validate_and_prune(schema, obj, &err), 0);
    cJSON_Delete(schema);
    cJSON_Delete(obj);
    /* an object without apiVersion/kind still gets a message */
    schema = json("{'type':'object','required':['a']}");
    obj = json("{}");
    ck_assert_int_eq(rci_crd_validate_and_prune(schema, obj, &err), RC_EINVAL);
    ck_assert_str_eq(err.message, "Object \"\" is invalid: a: Required value");
    rc_error_clear(&err);
    cJSON_Delete(schema);
    cJSON_Delete(obj);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("crd_schema");
    TCase *tc = tcase_create("crd_schema");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, schema_table, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, pruning);
    tcase_add_test(tc, every_failure_is_reported);
    tcase_add_test(tc, bad_input_and_bad_schemas);
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
