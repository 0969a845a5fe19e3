/* test_selector.c - label selectors (string syntax, LabelSelector objects, matching, canonical form)
 * and field selectors (escapes, dotted paths, matching). */
#include <pthread.h>
#include <reconcile.h>
#include <stdio.h>
#include <string.h>

#include "support/testutil.h"

/* ---- label selector strings: canonical form or error ---- */

typedef struct sel_case {
    const char *in;
    const char *canonical; /* NULL: must fail */
    const char *error;     /* substring of the error message when failing */
} sel_case;

static const char LONG63[] = "a23456789012345678901234567890123456789012345678901234567890123";
static const char LONG64[] = "a234567890123456789012345678901234567890123456789012345678901234";

static const sel_case SEL_CASES[] = {
    {"", "", NULL},
    {"   ", "", NULL},
    {"x=a", "x=a", NULL},
    {"x==a", "x=a", NULL},
    {"x!=a", "x!=a", NULL},
    {"x=", "x=", NULL},
    {"x==", "x=", NULL},
    {"x!=", "x!=", NULL},
    {"x", "x", NULL},
    {"!x", "!x", NULL},
    {"x in (a,b)", "x in (a,b)", NULL},
    {"x in (b,a)", "x in (a,b)", NULL},
    {"x notin (a)", "x notin (a)", NULL},
    {"x in (a,a,b)", "x in (a,b)", NULL},
    {"x in ()", "x in ()", NULL},
    {"x in (a,)", "x in (,a)", NULL},
    {"x in (,a)", "x in (,a)", NULL},
    {"x in (a,,b)", "x in (,a,b)", NULL},
    {"b=2,a=1", "a=1,b=2", NULL},
    {"  a = 1 ,  b != 2  ", "a=1,b!=2", NULL},
    {"x in(a , b)", "x in (a,b)", NULL},
    {"x\tin\n(a)", "x in (a)", NULL},
    {"example.com/app=web", "example.com/app=web", NULL},
    {"a.b-c_d=E.f-G_h", "a.b-c_d=E.f-G_h", NULL},
    {"x>1", "x>1", NULL},
    {"x<5", "x<5", NULL},
    {"b,!a", "!a,b", NULL},
    {"x=a,x=b", "x=a,x=b", NULL},
    {"x in (in,notin)", "x in (in,notin)", NULL},
    {"z,y notin (q),x in (p),!w,v!=u,t=s", "t=s,v!=u,!w,x in (p),y notin (q),z", NULL},
    {"x=a,", NULL, "at position 4: found end of string, expected: '!' or identifier"},
    {",x=a", NULL, "at position 0: found ',', expected: '!' or identifier"},
    {"a=b,,c=d", NULL, "at position 4: found ','"},
    {"x in (a", NULL, "found end of string, expected: ',' or ')'"},
    {"x in a", NULL, "found 'a', expected: '('"},
    {"x notin", NULL, "found end of string, expected: '('"},
    {"!x=a", NULL, "found '=', expected: ',' or end of string"},
    {"=a", NULL, "found '=', expected: '!' or identifier"},
    {"x===a", NULL, "found '=', expected: identifier"},
    {"x=a=b", NULL, "found '=', expected: ',' or end of string"},
    {"x=(a)", NULL, "found '(', expected: identifier"},
    {"x in (a b)", NULL, "found 'b', expected: ',' or ')'"},
    {"x in (a))", NULL, "found ')', expected: ',' or end of string"},
    {"x=a b", NULL, "found 'b', expected: ',' or end of string"},
    {"x ! y", NULL, "found '!', expected: '='"},
    {"in=x", NULL, "found 'in', expected: '!' or identifier"},
    {"-x=a", NULL, "invalid label key \"-x\": name part must consist of alphanumeric"},
    {"x=-a", NULL, "invalid label value \"-a\""},
    {"x/y/z=a", NULL, "invalid label key \"x/y/z\": a qualified name"},
    {"/x=a", NULL, "prefix part must be non-empty"},
    {"Example.com/x=a", NULL, "prefix part must be a lowercase RFC 1123 subdomain"},
    {"example..com/x=a", NULL, "prefix part must be a lowercase RFC 1123 subdomain"},
    {"example.com/=a", NULL, "name part must be non-empty"},
    {"x>a", NULL, "must be an integer"},
    {"x>", NULL, "found end of string, expected: integer"},
    {"x<-5", NULL, "invalid label value \"-5\""},
};

START_TEST(label_selector_table)
{
    const sel_case *c = &SEL_CASES[_i];
    rc_error err = {0};
    rc_selector *s = rc_selector_parse(c->in, &err);
    if (c->canonical) {
        ck_assert_msg(s != NULL, "%s: %s", c->in, err.message ? err.message : "?");
        char *str = rc_selector_to_string(s);
        ck_assert_str_eq(str, c->canonical);
        free(str);
        /* The canonical form parses back to itself. */
        rc_selector *again = rc_selector_parse(c->canonical, NULL);
        ck_assert_ptr_nonnull(again);
        str = rc_selector_to_string(again);
        ck_assert_str_eq(str, c->canonical);
        free(str);
        rc_selector_free(again);
    } else {
        ck_assert_msg(s == NULL, "%s: parsed unexpectedly", c->in);
        ck_assert_int_eq(err.code, RC_EBADREQUEST);
        ck_assert_msg(strstr(err.message, c->error) != NULL, "%s: message \"%s\" lacks \"%s\"", c->in,
                      err.message, c->error);
    }
    rc_selector_free(s);
    rc_error_clear(&err);
}
END_TEST

START_TEST(label_selector_message_names_requirement_and_position)
{
    rc_error err = {0};
    ck_assert_ptr_null(rc_selector_parse("x=a,y in (b", &err));
    ck_assert_str_eq(err.message, "invalid label selector \"x=a,y in (b\": unable to parse requirement "
                                  "\"y in (b\" at position 11: found end of string, expected: ',' or ')'");
    rc_error_clear(&err);
    ck_assert_ptr_null(rc_selector_parse("a=b,c in (d,e),f=-g", &err));
    ck_assert_ptr_nonnull(strstr(err.message, "requirement \"f=-g\" at position 17"));
    rc_error_clear(&err);
}
END_TEST

START_TEST(label_key_and_value_length_limits)
{
    char buf[256];
    rc_error err = {0};
    snprintf(buf, sizeof buf, "%s=%s", LONG63, LONG63);
    rc_selector *s = rc_selector_parse(buf, &err);
    ck_assert_ptr_nonnull(s);
    rc_selector_free(s);
    snprintf(buf, sizeof buf, "%s=x", LONG64);
    ck_assert_ptr_null(rc_selector_parse(buf, &err));
    ck_assert_ptr_nonnull(strstr(err.message, "no more than 63 characters"));
    rc_error_clear(&err);
    snprintf(buf, sizeof buf, "x=%s", LONG64);
    ck_assert_ptr_null(rc_selector_parse(buf, &err));
    ck_assert_ptr_nonnull(strstr(err.message, "no more than 63 characters"));
    rc_error_clear(&err);

    ck_assert_int_eq(rc_validate_label_key("app.kubernetes.io/name", "metadata.labels", &err), 0);
    ck_assert_int_eq(rc_validate_label_key("bad key", "metadata.labels", &err), RC_EINVAL);
    ck_assert_str_eq(err.causes[0].field, "metadata.labels");
    ck_assert_ptr_nonnull(strstr(err.message, "metadata.labels: Invalid value: \"bad key\""));
    rc_error_clear(&err);
    ck_assert_int_eq(rc_validate_label_value("", "metadata.labels", &err), 0);
    ck_assert_int_eq(rc_validate_label_value("v1.2_x-Y", "metadata.labels", &err), 0);
    ck_assert_int_eq(rc_validate_label_value("v1.", "metadata.labels", &err), RC_EINVAL);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_validate_label_value(LONG64, NULL, &err), RC_EINVAL);
    rc_error_clear(&err);
}
END_TEST

/* ---- matching ---- */

static bool sel_matches(const char *text, const cJSON *labels)
{
    rc_selector *s = rc_selector_parse(text, NULL);
    ck_assert_msg(s != NULL, "%s", text);
    bool m = rc_selector_matches(s, labels ? rc_node_from_cjson(labels) : (rc_node){0});
    rc_selector_free(s);
    return m;
}

START_TEST(label_selector_matching)
{
    cJSON *labels = cJSON_Parse("{\"app\":\"web\",\"tier\":\"front\",\"n\":\"7\",\"e\":\"\"}");
    ck_assert(sel_matches("app=web", labels));
    ck_assert(!sel_matches("app=db", labels));
    ck_assert(sel_matches("app!=db", labels));
    ck_assert(!sel_matches("app!=web", labels));
    ck_assert(sel_matches("missing!=x", labels));
    ck_assert(sel_matches("missing notin (x)", labels));
    ck_assert(!sel_matches("missing in (x)", labels));
    ck_assert(!sel_matches("missing=", labels));
    ck_assert(sel_matches("e=", labels));
    ck_assert(sel_matches("e in (,x)", labels));
    ck_assert(sel_matches("app", labels));
    ck_assert(!sel_matches("!app", labels));
    ck_assert(sel_matches("!missing", labels));
    ck_assert(sel_matches("n>5", labels));
    ck_assert(!sel_matches("n<5", labels));
    ck_assert(!sel_matches("app>5", labels));
    ck_assert(!sel_matches("missing<5", labels));
    ck_assert(sel_matches("app in (db,web),tier notin (back)", labels));
    ck_assert(!sel_matches("app in (db,web),tier notin (front)", labels));
    ck_assert(sel_matches("", labels));
    /* No labels at all (NONE node). */
    ck_assert(sel_matches("!app", NULL));
    ck_assert(!sel_matches("app", NULL));
    ck_assert(sel_matches("", NULL));
    ck_assert(sel_matches("x!=y,z notin (a)", NULL));
    cJSON_Delete(labels);
}
END_TEST

START_TEST(label_selector_many_values_binary_search)
{
    char text[8192] = "k in (";
    for (int i = 0; i < 500; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%sv%d", i ? "," : "", i * 7);
    strcat(text, ")");
    rc_selector *s = rc_selector_parse(text, NULL);
    ck_assert_ptr_nonnull(s);
    cJSON *labels = cJSON_CreateObject();
    cJSON *k = cJSON_AddStringToObject(labels, "k", "");
    for (int i = 0; i < 3500; i++) {
        char v[16];
        snprintf(v, sizeof v, "v%d", i);
        cJSON_SetValuestring(k, v);
        ck_assert_int_eq(rc_selector_matches(s, rc_node_from_cjson(labels)), i % 7 == 0);
    }
    cJSON_Delete(labels);
    rc_selector_free(s);
}
END_TEST

START_TEST(label_selector_on_objects_and_hints)
{
    const char *json = "{\"metadata\":{\"name\":\"w\",\"labels\":{\"app\":\"web\",\"tier\":\"front\"}}}";
    rc_object *o = rc_object_from_json(json, strlen(json), NULL);
    ck_assert_ptr_nonnull(o);
    const char *bare_json = "{\"metadata\":{\"name\":\"b\"}}";
    rc_object *bare = rc_object_from_json(bare_json, strlen(bare_json), NULL);
    ck_assert_ptr_nonnull(bare);
    rc_selector *s = rc_selector_parse("app=web,tier in (front)", NULL);
    ck_assert(rc_selector_matches_object(s, o));
    ck_assert(!rc_selector_matches_object(s, bare));
    ck_assert_str_eq(rc_selector_required_value(s, "app"), "web");
    ck_assert_str_eq(rc_selector_required_value(s, "tier"), "front");
    ck_assert_ptr_null(rc_selector_required_value(s, "other"));
    ck_assert(!rc_selector_is_empty(s));
    ck_assert(!rc_selector_is_nothing(s));
    rc_selector_free(s);

    s = rc_selector_parse("app in (a,b),!x", NULL);
    ck_assert_ptr_null(rc_selector_required_value(s, "app"));
    ck_assert_ptr_null(rc_selector_required_value(s, "x"));
    rc_selector_free(s);

    s = rc_selector_parse("", NULL);
    ck_assert(rc_selector_is_empty(s));
    ck_assert(rc_selector_matches_object(s, bare));
    rc_selector_free(s);
    rc_object_unref(o);
    rc_object_unref(bare);
}
END_TEST

/* ---- LabelSelector objects ---- */

static rc_selector *from_json(const char *json, rc_error *err)
{
    cJSON *j = cJSON_Parse(json);
    ck_assert_ptr_nonnull(j);
    rc_selector *s = rc_selector_from_node(rc_node_from_cjson(j), "spec.selector", err);
    cJSON_Delete(j); /* the selector keeps no pointers into the node */
    return s;
}

START_TEST(label_selector_objects)
{
    rc_error err = {0};
    rc_selector *s = from_json("{}", &err);
    ck_assert(rc_selector_is_empty(s));
    rc_selector_free(s);

    s = rc_selector_from_node((rc_node){0}, "spec.selector", &err);
    ck_assert_ptr_nonnull(s);
    ck_assert(rc_selector_is_nothing(s));
    ck_assert(!rc_selector_matches(s, (rc_node){0}));
    rc_selector_free(s);

    s = from_json("null", &err);
    ck_assert(rc_selector_is_nothing(s));
    rc_selector_free(s);

    s = from_json("{\"matchLabels\":{\"b\":\"2\",\"a\":\"1\"},\"matchExpressions\":["
                  "{\"key\":\"c\",\"operator\":\"In\",\"values\":[\"y\",\"x\"]},"
                  "{\"key\":\"d\",\"operator\":\"DoesNotExist\"},"
                  "{\"key\":\"e\",\"operator\":\"NotIn\",\"values\":[\"z\"]},"
                  "{\"key\":\"f\",\"operator\":\"Exists\",\"values\":[]}]}",
                  &err);
    ck_assert_msg(s != NULL, "%s", err.message ? err.message : "");
    char *str = rc_selector_to_string(s);
    ck_assert_str_eq(str, "a=1,b=2,c in (x,y),!d,e notin (z),f");
    free(str);
    ck_assert_str_eq(rc_selector_required_value(s, "a"), "1");
    cJSON *labels = cJSON_Parse("{\"a\":\"1\",\"b\":\"2\",\"c\":\"x\",\"f\":\"\"}");
    ck_assert(rc_selector_matches(s, rc_node_from_cjson(labels)));
    cJSON_Delete(labels);
    rc_selector_free(s);

    s = from_json("{\"matchLabels\":{},\"matchExpressions\":[]}", &err);
    ck_assert(rc_selector_is_empty(s));
    rc_selector_free(s);
    ck_assert_int_eq(err.code, 0);
}
END_TEST

typedef struct node_err_case {
    const char *json;
    const char *field; /* first cause's field */
    const char *text;  /* substring of the message */
} node_err_case;

static const node_err_case NODE_ERRORS[] = {
    {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Equals\",\"values\":[\"x\"]}]}",
     "spec.selector.matchExpressions[0].operator", "not a valid label selector operator"},
    {"{\"matchExpressions\":[{\"key\":\"a\",\"values\":[\"x\"]}]}", "spec.selector.matchExpressions[0].operator",
     "Required value"},
    {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\"}]}", "spec.selector.matchExpressions[0].values",
     "must be specified when `operator` is 'In' or 'NotIn'"},
    {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"NotIn\",\"values\":[]}]}",
     "spec.selector.matchExpressions[0].values", "must be specified"},
    {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\",\"values\":[\"x\"]}]}",
     "spec.selector.matchExpressions[0].values", "may not be specified"},
    {"{\"matchExpressions\":[{\"key\":\"ok\",\"operator\":\"Exists\"},{\"key\":\"-a\",\"operator\":\"Exists\"}]}",
     "spec.selector.matchExpressions[1].key", "Invalid value: \"-a\""},
    {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[\"x\",\"-y\"]}]}",
     "spec.selector.matchExpressions[0].values[1]", "Invalid value: \"-y\""},
    {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[\"x\",3]}]}",
     "spec.selector.matchExpressions[0].values[1]", "must be a string"},
    {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":\"x\"}]}",
     "spec.selector.matchExpressions[0].values", "must be an array"},
    {"{\"matchExpressions\":[\"a\"]}", "spec.selector.matchExpressions[0]", "must be an object"},
    {"{\"matchExpressions\":{}}", "spec.selector.matchExpressions", "must be an array"},
    {"{\"matchLabels\":{\"a b\":\"x\"}}", "spec.selector.matchLabels", "Invalid value: \"a b\""},
    {"{\"matchLabels\":{\"a\":\"x y\"}}", "spec.selector.matchLabels", "Invalid value: \"x y\""},
    {"{\"matchLabels\":{\"a\":1}}", "spec.selector.matchLabels", "label values must be strings"},
    {"{\"matchLabels\":[]}", "spec.selector.matchLabels", "must be an object"},
    {"\"app=web\"", "spec.selector", "a label selector must be an object"},
};

START_TEST(label_selector_object_errors)
{
    const node_err_case *c = &NODE_ERRORS[_i];
    rc_error err = {0};
    rc_selector *s = from_json(c->json, &err);
    ck_assert_msg(s == NULL, "%s: accepted", c->json);
    ck_assert_int_eq(err.code, RC_EINVAL);
    ck_assert_uint_ge(err.ncauses, 1);
    ck_assert_str_eq(err.causes[0].field, c->field);
    ck_assert_msg(strstr(err.message, c->text) != NULL, "%s: \"%s\" lacks \"%s\"", c->json, err.message, c->text);
    rc_error_clear(&err);
}
END_TEST

START_TEST(label_selector_object_reports_every_problem)
{
    rc_error err = {0};
    rc_selector *s = from_json("{\"matchLabels\":{\"-a\":\"x\"},\"matchExpressions\":["
                               "{\"key\":\"b\",\"operator\":\"Gt\",\"values\":[\"1\"]},"
                               "{\"key\":\"c\",\"operator\":\"In\"}]}",
                               &err);
    ck_assert_ptr_null(s);
    ck_assert_uint_eq(err.ncauses, 3);
    ck_assert_str_eq(err.causes[0].field, "spec.selector.matchLabels");
    ck_assert_str_eq(err.causes[1].field, "spec.selector.matchExpressions[0].operator");
    ck_assert_str_eq(err.causes[2].field, "spec.selector.matchExpressions[1].values");
    rc_error_clear(&err);

    cJSON *j = cJSON_Parse("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Bad\"}]}");
    ck_assert_ptr_null(rc_selector_from_node(rc_node_from_cjson(j), NULL, &err));
    ck_assert_str_eq(err.causes[0].field, "matchExpressions[0].operator");
    rc_error_clear(&err);
    ck_assert_ptr_null(rc_selector_from_node(rc_node_from_cjson(j), NULL, NULL));
    cJSON_Delete(j);
}
END_TEST

/* ---- field selectors ---- */

static rc_object *field_object(void)
{
    const char *json = "{\"metadata\":{\"name\":\"x\",\"namespace\":\"ns\"},\"spec\":{\"nodeName\":\"\","
                       "\"replicas\":3,\"ratio\":0.5,\"tenth\":0.1,\"paused\":true,\"containers\":[{\"name\":\"c0\"}],"
                       "\"weird\":\"a,b=c\\\\d\"},\"status\":{\"phase\":\"Running\"}}";
    rc_object *o = rc_object_from_json(json, strlen(json), NULL);
    ck_assert_ptr_nonnull(o);
    return o;
}

static bool field_matches(const char *text, const rc_object *o)
{
    rc_error err = {0};
    rc_field_selector *s = rc_field_selector_parse(text, &err);
    ck_assert_msg(s != NULL, "%s: %s", text, err.message ? err.message : "");
    bool m = rc_field_selector_matches(s, o);
    rc_field_selector_free(s);
    return m;
}

START_TEST(field_selector_matching)
{
    rc_object *o = field_object();
    ck_assert(field_matches("metadata.name=x", o));
    ck_assert(!field_matches("metadata.name=y", o));
    ck_assert(field_matches("metadata.namespace==ns", o));
    ck_assert(field_matches("metadata.namespace!=other", o));
    ck_assert(field_matches("spec.nodeName=", o));
    ck_assert(!field_matches("spec.nodeName!=", o));
    ck_assert(field_matches("spec.missing=", o));
    ck_assert(field_matches("nothing.at.all=", o));
    ck_assert(!field_matches("spec.missing!=", o));
    ck_assert(field_matches("spec.replicas=3", o));
    ck_assert(field_matches("spec.ratio=0.5", o));
    ck_assert(field_matches("spec.tenth=0.1", o));
    ck_assert(field_matches("spec.paused!=false", o));
    ck_assert(field_matches("spec.paused=true", o));
    ck_assert(field_matches("spec.containers.0.name=c0", o));
    ck_assert(field_matches("spec.containers.1.name=", o));
    ck_assert(field_matches("spec.weird=a\\,b\\=c\\\\d", o));
    ck_assert(!field_matches("status.phase!=Running", o));
    ck_assert(field_matches("metadata.name=x,status.phase=Running", o));
    ck_assert(!field_matches("metadata.name=x,status.phase=Pending", o));
    ck_assert(field_matches("", o));
    ck_assert(field_matches("metadata.name=x,", o));
    rc_object_unref(o);
}
END_TEST

START_TEST(field_selector_parse_and_print)
{
    rc_error err = {0};
    rc_field_selector *s = rc_field_selector_parse("status.phase==Running,metadata.name=x,spec.nodeName!=", &err);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(rc_field_selector_count(s), 3);
    ck_assert_str_eq(rc_field_selector_field(s, 0), "metadata.name");
    ck_assert_str_eq(rc_field_selector_field(s, 1), "spec.nodeName");
    ck_assert_str_eq(rc_field_selector_field(s, 2), "status.phase");
    ck_assert_ptr_null(rc_field_selector_field(s, 3));
    char *str = rc_field_selector_to_string(s);
    ck_assert_str_eq(str, "metadata.name=x,spec.nodeName!=,status.phase=Running");
    free(str);
    rc_field_selector_free(s);

    s = rc_field_selector_parse("metadata.name=a\\,b\\=c\\\\d", &err);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(rc_field_selector_count(s), 1);
    str = rc_field_selector_to_string(s);
    ck_assert_str_eq(str, "metadata.name=a\\,b\\=c\\\\d");
    free(str);
    rc_field_selector_free(s);

    s = rc_field_selector_parse("", &err);
    ck_assert_uint_eq(rc_field_selector_count(s), 0);
    str = rc_field_selector_to_string(s);
    ck_assert_str_eq(str, "");
    free(str);
    rc_field_selector_free(s);
}
END_TEST

static const sel_case FIELD_ERRORS[] = {
    {"metadata.name", NULL, "term \"metadata.name\" at position 0: expected '=', '==' or '!='"},
    {"a=b,status.phase", NULL, "term \"status.phase\" at position 4"},
    {"=x", NULL, "the field name is empty"},
    {"a=b=c", NULL, "at position 3: unescaped ',' or '=' in the value"},
    {"a!=b=c", NULL, "unescaped ',' or '='"},
    {"a=b\\x", NULL, "at position 3: invalid escape sequence"},
    {"a=b\\", NULL, "invalid escape sequence"},
};

START_TEST(field_selector_errors)
{
    const sel_case *c = &FIELD_ERRORS[_i];
    rc_error err = {0};
    ck_assert_ptr_null(rc_field_selector_parse(c->in, &err));
    ck_assert_int_eq(err.code, RC_EBADREQUEST);
    ck_assert_msg(strstr(err.message, c->error) != NULL, "%s: \"%s\" lacks \"%s\"", c->in, err.message, c->error);
    rc_error_clear(&err);
}
END_TEST

/* ---- concurrency: parsed selectors are immutable and shared by matching threads ---- */

typedef struct shared_match {
    const rc_selector *labels;
    const rc_field_selector *fields;
    const rc_object *obj;
    int hits;
} shared_match;

static void *match_many(void *arg)
{
    shared_match *m = arg;
    for (int i = 0; i < 20000; i++)
        m->hits += rc_selector_matches_object(m->labels, m->obj) && rc_field_selector_matches(m->fields, m->obj);
    return NULL;
}

START_TEST(selectors_match_concurrently)
{
    const char *json = "{\"metadata\":{\"name\":\"x\",\"labels\":{\"app\":\"web\"}},\"status\":{\"phase\":\"Running\"}}";
    rc_object *o = rc_object_from_json(json, strlen(json), NULL);
    rc_selector *ls = rc_selector_parse("app in (api,web),!canary", NULL);
    rc_field_selector *fs = rc_field_selector_parse("status.phase=Running,metadata.name!=y", NULL);
    shared_match a = {ls, fs, o, 0}, b = a;
    pthread_t ta, tb;
    ck_assert_int_eq(pthread_create(&ta, NULL, match_many, &a), 0);
    ck_assert_int_eq(pthread_create(&tb, NULL, match_many, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    ck_assert_int_eq(a.hits, 20000);
    ck_assert_int_eq(b.hits, 20000);
    rc_selector_free(ls);
    rc_field_selector_free(fs);
    rc_object_unref(o);
}
END_TEST

static Suite *selector_suite(void)
{
    Suite *s = suite_create("selector");
    TCase *tc = tcase_create("label");
    tcase_add_loop_test(tc, label_selector_table, 0, (int)(sizeof SEL_CASES / sizeof SEL_CASES[0]));
    tcase_add_test(tc, label_selector_message_names_requirement_and_position);
    tcase_add_test(tc, label_key_and_value_length_limits);
    tcase_add_test(tc, label_selector_matching);
    tcase_add_test(tc, label_selector_many_values_binary_search);
    tcase_add_test(tc, label_selector_on_objects_and_hints);
    suite_add_tcase(s, tc);
    tc = tcase_create("object");
    tcase_add_test(tc, label_selector_objects);
    tcase_add_loop_test(tc, label_selector_object_errors, 0, (int)(sizeof NODE_ERRORS / sizeof NODE_ERRORS[0]));
    tcase_add_test(tc, label_selector_object_reports_every_problem);
    suite_add_tcase(s, tc);
    tc = tcase_create("field");
    tcase_add_test(tc, field_selector_matching);
    tcase_add_test(tc, field_selector_parse_and_print);
    tcase_add_loop_test(tc, field_selector_errors, 0, (int)(sizeof FIELD_ERRORS / sizeof FIELD_ERRORS[0]));
    tcase_add_test(tc, selectors_match_concurrently);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return rc_test_run_suite(selector_suite()); }
