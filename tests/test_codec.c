/* test_codec.c - the YAML/JSON codec: scalar typing, multi-document streams, anchors and merges, JSON
 * input, positioned errors, limits, all-or-nothing decoding, kubectl-style encoding and round trips, the
 * corpus in tests/data (good: YAML with its expected JSON; bad: "# expect: LINE:COL: reason" or
 * "# expect-value: PATH JSON" headers) and every manifest in examples/manifests. Run from the source
 * root (the data paths are relative). */
#include <reconcile.h>
#include <reconcile/codec.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "support/testutil.h"

#define GOOD_DIR "tests/data/good"
#define BAD_DIR "tests/data/bad"
#define MANIFEST_DIR "examples/manifests"

/* ---- helpers ---- */

static int decode_str(const char *text, rc_doc_list *out, rc_error *err)
{
    return rc_decode_yaml(text, strlen(text), "t.yaml", NULL, out, err);
}

/* Decodes one YAML document and returns it (the list is cleared); fails the test on error. */
static cJSON *decode_one(const char *text)
{
    rc_doc_list l = {0};
    rc_error err = {0};
    int rc = decode_str(text, &l, &err);
    ck_assert_msg(rc == 0, "decode failed: %s", err.message);
    ck_assert_uint_eq(l.count, 1);
    cJSON *doc = l.docs[0];
    l.docs[0] = NULL;
    rc_doc_list_clear(&l);
    return doc;
}

/* Decoding text must fail with code and a message containing want. */
static void expect_error(const char *text, int code, const char *want)
{
    rc_doc_list l = {0};
    rc_error err = {0};
    int rc = decode_str(text, &l, &err);
    ck_assert_int_eq(rc, code);
    ck_assert_uint_eq(l.count, 0);
    ck_assert_ptr_nonnull(err.message);
    ck_assert_msg(strstr(err.message, want), "message \"%s\" lacks \"%s\"", err.message, want);
    rc_error_clear(&err);
}

/* The value at a dotted path ("spec.ports.0.port"); NULL when absent. */
static const cJSON *at_path(const cJSON *n, const char *path)
{
    char seg[256];
    while (n && *path) {
        size_t k = strcspn(path, ".");
        ck_assert_uint_lt(k, sizeof seg);
        memcpy(seg, path, k);
        seg[k] = '\0';
        path += k + (path[k] == '.');
        n = cJSON_IsArray(n) ? cJSON_GetArrayItem(n, atoi(seg)) : cJSON_GetObjectItemCaseSensitive(n, seg);
    }
    return n;
}

static cJSON *parse_json(const char *text)
{
    rc_doc_list l = {0};
    rc_error err = {0};
    ck_assert_msg(rc_decode_json(text, strlen(text), "expect", NULL, &l, &err) == 0, "%s", err.message);
    ck_assert_uint_eq(l.count, 1);
    cJSON *v = l.docs[0];
    l.docs[0] = NULL;
    rc_doc_list_clear(&l);
    return v;
}

/* encode then decode gives back doc. */
static void assert_round_trip(const cJSON *doc)
{
    size_t len = 0;
    char *yaml = rc_encode_yaml(doc, &len);
    ck_assert_ptr_nonnull(yaml);
    ck_assert_uint_eq(len, strlen(yaml));
    rc_doc_list l = {0};
    rc_error err = {0};
    int rc = rc_decode_yaml(yaml, len, "encoded", NULL, &l, &err);
    ck_assert_msg(rc == 0, "re-decoding failed: %s\n%s", err.message, yaml);
    if (cJSON_IsNull(doc)) {
        ck_assert_uint_eq(l.count, 0);
    } else {
        ck_assert_uint_eq(l.count, 1);
        ck_assert_msg(cJSON_Compare(doc, l.docs[0], true), "round trip differs:\n%s", yaml);
    }
    rc_doc_list_clear(&l);
    free(yaml);
}

/* Calls fn(path) for every file in dir ending in suffix, in name order; returns how many. */
static size_t for_each_file(const char *dir, const char *suffix, void (*fn)(const char *path))
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    ck_assert_msg(n >= 0, "cannot read %s (run from the source root)", dir);
    size_t count = 0, slen = strlen(suffix);
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]->d_name);
        if (len > slen && strcmp(names[i]->d_name + len - slen, suffix) == 0) {
            char path[512];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
            fn(path);
            count++;
        }
        free(names[i]);
    }
    free(names);
    return count;
}

/* ---- scalar typing ---- */

START_TEST(plain_scalars_typed_like_kubernetes)
{
    cJSON *d = decode_one("a: yes\nb: Off\nc: ~\nd:\ne: 0x1F\nf: 0755\ng: 1_000\nh: 2e3\ni: .5\nj: 1.0.0\n"
                          "k: '42'\nl: \"true\"\nm: 08\nnn: 0o17\no: -0b11\np: 1e400\nq: y\nr: TRUE\n");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(d, "a")));
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(d, "b")));
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(d, "c")));
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(d, "d")));
    ck_assert_double_eq(cJSON_GetObjectItem(d, "e")->valuedouble, 31);
    ck_assert_double_eq(cJSON_GetObjectItem(d, "f")->valuedouble, 493);
    ck_assert_double_eq(cJSON_GetObjectItem(d, "g")->valuedouble, 1000);
    ck_assert_double_eq(cJSON_GetObjectItem(d, "h")->valuedouble, 2000);
    ck_assert_double_eq(cJSON_GetObjectItem(d, "i")->valuedouble, 0.5);
    ck_assert_str_eq(cJSON_GetObjectItem(d, "j")->valuestring, "1.0.0");
    ck_assert_str_eq(cJSON_GetObjectItem(d, "k")->valuestring, "42");
    ck_assert_str_eq(cJSON_GetObjectItem(d, "l")->valuestring, "true");
    ck_assert_double_eq(cJSON_GetObjectItem(d, "m")->valuedouble, 8);
    ck_assert_double_eq(cJSON_GetObjectItem(d, "nn")->valuedouble, 15);
    ck_assert_double_eq(cJSON_GetObjectItem(d, "o")->valuedouble, -3);
    ck_assert_str_eq(cJSON_GetObjectItem(d, "p")->valuestring, "1e400");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(d, "q")));
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(d, "r")));
    cJSON_Delete(d);
}
END_TEST

START_TEST(tags_are_honoured)
{
    cJSON *d = decode_one("a: !!str 10\nb: !!int \"10\"\nc: !!float 1\nd: !!bool 'on'\ne: !!null ''\nf: !x 5\n");
    ck_assert_str_eq(cJSON_GetObjectItem(d, "a")->valuestring, "10");
    ck_assert_double_eq(cJSON_GetObjectItem(d, "b")->valuedouble, 10);
    ck_assert_double_eq(cJSON_GetObjectItem(d, "c")->valuedouble, 1);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(d, "d")));
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(d, "e")));
    ck_assert_str_eq(cJSON_GetObjectItem(d, "f")->valuestring, "5");
    cJSON_Delete(d);
    expect_error("a: !!int 1.5\n", RC_EBADREQUEST, "t.yaml:1:4: cannot decode !!float `1.5` as a !!int");
    expect_error("a: !!bool maybe\n", RC_EBADREQUEST, "cannot decode !!str `maybe` as a !!bool");
    expect_error("a: !!float .nan\n", RC_EBADREQUEST, "float .nan has no JSON representation");
}
END_TEST

START_TEST(non_string_keys_become_strings)
{
    cJSON *d = decode_one("1: a\n0x10: b\nyes: c\n2.5: d\nn: e\n");
    ck_assert_str_eq(cJSON_GetObjectItem(d, "1")->valuestring, "a");
    ck_assert_str_eq(cJSON_GetObjectItem(d, "16")->valuestring, "b");
    ck_assert_str_eq(cJSON_GetObjectItem(d, "true")->valuestring, "c");
    ck_assert_str_eq(cJSON_GetObjectItem(d, "2.5")->valuestring, "d");
    ck_assert_str_eq(cJSON_GetObjectItem(d, "false")->valuestring, "e"); /* YAML 1.1: n is false */
    cJSON_Delete(d);
    expect_error("~: x\n", RC_EBADREQUEST, "t.yaml:1:1: null is not a valid mapping key");
    expect_error("? {a: 1}\n: x\n", RC_EBADREQUEST, "t.yaml:1:3: mapping keys must be scalars, not a mapping");
}
END_TEST

/* ---- streams, anchors, merges ---- */

START_TEST(multi_document_streams)
{
    const char *text = "# lead comment\n---\na: 1\n...\n---\n# empty\n---\n- x\n---\nnull\n--- 7\n";
    rc_doc_list l = {0};
    rc_error err = {0};
    ck_assert_int_eq(decode_str(text, &l, &err), 0);
    ck_assert_uint_eq(l.count, 3);
    ck_assert_int_eq(l.lines[0], 3);
    ck_assert(cJSON_IsObject(l.docs[0]));
    ck_assert_int_eq(l.lines[1], 8);
    ck_assert(cJSON_IsArray(l.docs[1]));
    ck_assert_int_eq(l.lines[2], 11);
    ck_assert_double_eq(l.docs[2]->valuedouble, 7);
    rc_doc_list_clear(&l);
    ck_assert_uint_eq(l.count, 0);
    ck_assert_int_eq(rc_decode_yaml("", 0, NULL, NULL, &l, &err), 0);
    ck_assert_int_eq(rc_decode_yaml(NULL, 0, NULL, NULL, &l, &err), 0);
    ck_assert_int_eq(decode_str("# only a comment\n", &l, &err), 0);
    ck_assert_uint_eq(l.count, 0);
}
END_TEST

START_TEST(anchors_merges_and_their_errors)
{
    cJSON *d = decode_one("a: &x {k: 1, j: 2}\nb:\n  j: 3\n  <<: *x\nc: *x\n");
    cJSON *b = cJSON_GetObjectItem(d, "b");
    ck_assert_double_eq(cJSON_GetObjectItem(b, "j")->valuedouble, 3);
    ck_assert_double_eq(cJSON_GetObjectItem(b, "k")->valuedouble, 1);
    ck_assert_int_eq(cJSON_GetArraySize(b), 2);
    ck_assert(cJSON_Compare(cJSON_GetObjectItem(d, "a"), cJSON_GetObjectItem(d, "c"), true));
    cJSON_Delete(d);
    expect_error("a: [1]\nb:\n  <<: 5\n", RC_EBADREQUEST, "t.yaml:3:7: map merge requires a map");
    expect_error("a: *nowhere\n", RC_EBADREQUEST, "t.yaml:1:4: unknown anchor 'nowhere' referenced");
    expect_error("a: &l [x]\n*l : v\n", RC_EBADREQUEST, "alias *l used as a mapping key is not a scalar");
    /* an alias must not carry a tree past the depth limit */
    rc_decode_options opts = {.max_depth = 3};
    rc_doc_list l = {0};
    rc_error err = {0};
    const char *deep = "a: &d [[1]]\nb: [*d]\n";
    ck_assert_int_eq(rc_decode_yaml(deep, strlen(deep), "d.yaml", &opts, &l, &err), RC_ETOOLARGE);
    ck_assert_ptr_nonnull(strstr(err.message, "d.yaml:2:5: alias *d nests deeper than 3 levels"));
    rc_error_clear(&err);
}
END_TEST

START_TEST(duplicate_keys_are_errors_in_small_and_large_maps)
{
    expect_error("a: 1\nb: 2\na: 3\n", RC_EBADREQUEST,
                 "t.yaml:3:1: key \"a\" already set in map (first set at line 1)");
    char text[2048] = "";
    for (int i = 0; i < 40; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "k%d: %d\n", i, i);
    strcat(text, "k17: again\n");
    expect_error(text, RC_EBADREQUEST, "t.yaml:41:1: key \"k17\" already set in map (first set at line 18)");
    /* the same key in different mappings, or a merged key overridden, is fine */
    cJSON *d = decode_one("a: {x: 1}\nb: {x: 2}\n");
    cJSON_Delete(d);
}
END_TEST

START_TEST(syntax_errors_have_positions)
{
    expect_error("a:\n  b: 1\n\tc: 2\n", RC_EBADREQUEST, "t.yaml:3:1: found a tab character");
    expect_error("a: 'open\n", RC_EBADREQUEST, "t.yaml:2:1: found unexpected end of stream (while scanning a quoted "
                                               "scalar at 1:4)");
    expect_error("a: [1, 2\n", RC_EBADREQUEST, "t.yaml:2:1: did not find expected ',' or ']'");
    expect_error("a: b: c\n", RC_EBADREQUEST, "t.yaml:1:5: mapping values are not allowed in this context");
    expect_error("a: \"x\\0y\"\n", RC_EBADREQUEST, "t.yaml:1:4: strings cannot contain NUL characters");
    expect_error("a: caf\xc3\n", RC_EBADREQUEST, "t.yaml:1:8: invalid trailing UTF-8 octet (0x0A)");
}
END_TEST

/* ---- JSON ---- */

START_TEST(json_streams_and_errors)
{
    const char *text = "{\"kind\": \"Pod\", \"n\": [1, 2.5e1, -0, true, null, \"\\u00e9\\ud83d\\ude00\\n\"]}\n"
                       "null\n  {\"kind\": \"Service\"}";
    rc_doc_list l = {0};
    rc_error err = {0};
    ck_assert_int_eq(rc_decode_json(text, strlen(text), "s.json", NULL, &l, &err), 0);
    ck_assert_uint_eq(l.count, 2);
    ck_assert_int_eq(l.lines[1], 3);
    ck_assert_str_eq(at_path(l.docs[0], "n.5")->valuestring, "\xc3\xa9\xf0\x9f\x98\x80\n");
    ck_assert_double_eq(at_path(l.docs[0], "n.1")->valuedouble, 25);
    /* rc_decode picks JSON on '{' and YAML otherwise, with the same result for this text */
    rc_doc_list y = {0};
    ck_assert_int_eq(rc_decode(text, strcspn(text, "\n"), "s", NULL, &y, &err), 0);
    ck_assert(cJSON_Compare(y.docs[0], l.docs[0], true));
    rc_doc_list_clear(&y);
    rc_doc_list_clear(&l);

    static const struct {
        const char *text, *want;
    } bad[] = {
        {"{\"a\": 1,\n \"b\": }", "j.json:2:7: unexpected character '}', expected a JSON value"},
        {"{\"a\": 1, \"a\": 2}", "j.json:1:10: duplicate key \"a\""},
        {"{\"a\" 1}", "j.json:1:6: unexpected character '1', expected ':' after an object key"},
        {"[1, 2", "j.json:1:6: unexpected end of input, expected ',' or ']'"},
        {"{\"a\": \"x\xff\"}", "j.json:1:9: invalid UTF-8 byte 0xFF in string"},
        {"{\"a\": 01}", "j.json:1:8: unexpected character '1', expected ',' or '}'"},
        {"{\"a\": 1e999}", "j.json:1:7: number 1e999 is out of range"},
        {"{\"a\": \"\\q\"}", "j.json:1:8: invalid escape sequence"},
        {"{\"a\": \"\\u0000\"}", "strings cannot contain NUL characters"},
        {"{\"a\": tru}", "j.json:1:7: invalid literal, expected true"},
        {"{\"a\": \"tab\there\"}", "j.json:1:11: control character 0x09 in string"},
        {"{\"a\": \"open", "j.json:1:7: unterminated string"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = rc_decode_json(bad[i].text, strlen(bad[i].text), "j.json", NULL, &l, &err);
        ck_assert_int_eq(rc, RC_EBADREQUEST);
        ck_assert_uint_eq(l.count, 0);
        ck_assert_msg(strstr(err.message, bad[i].want), "\"%s\" lacks \"%s\"", err.message, bad[i].want);
        rc_error_clear(&err);
    }
    rc_decode_options opts = {.max_depth = 2};
    ck_assert_int_eq(rc_decode_json("[[[1]]]", 7, "j", &opts, &l, &err), RC_ETOOLARGE);
    ck_assert_str_eq(err.message, "j:1:3: nesting deeper than 2 levels");
    rc_error_clear(&err);
}
END_TEST

/* ---- limits, all or nothing, arguments ---- */

START_TEST(limits_and_all_or_nothing)
{
    rc_doc_list l = {0};
    rc_error err = {0};
    ck_assert_int_eq(decode_str("a: 1\n", &l, &err), 0);
    ck_assert_uint_eq(l.count, 1);
    /* a failing stream appends nothing, even when its first documents were fine */
    ck_assert_int_eq(decode_str("b: 1\n---\nc: [\n", &l, &err), RC_EBADREQUEST);
    ck_assert_uint_eq(l.count, 1);
    rc_error_clear(&err);

    rc_decode_options small = {.max_bytes = 4};
    ck_assert_int_eq(rc_decode_yaml("a: 12", 5, "big.yaml", &small, &l, &err), RC_ETOOLARGE);
    ck_assert_str_eq(err.message, "big.yaml: 5 bytes is more than the limit of 4 bytes");
    rc_error_clear(&err);
    size_t n = RC_CODEC_MAX_BYTES + 1;
    char *huge = malloc(n);
    memset(huge, ' ', n);
    ck_assert_int_eq(rc_decode(huge, n, NULL, NULL, &l, &err), RC_ETOOLARGE);
    ck_assert_ptr_nonnull(strstr(err.message, "<input>: 3145729 bytes is more than the limit of 3145728"));
    rc_error_clear(&err);
    free(huge);

    rc_decode_options few = {.max_nodes = 5};
    ck_assert_int_eq(decode_str("[1, 2, 3, 4]", &l, &err), 0);
    ck_assert_int_eq(rc_decode_yaml("[1, 2, 3, 4, 5]", 15, "n", &few, &l, &err), RC_ETOOLARGE);
    ck_assert_str_eq(err.message, "n:1:14: more than 5 nodes (too many aliases expanded?)");
    rc_error_clear(&err);
    ck_assert_uint_eq(l.count, 2);

    ck_assert_int_eq(rc_decode_yaml("a", 1, NULL, NULL, NULL, &err), RC_EINVAL);
    rc_error_clear(&err);
    ck_assert_int_eq(rc_decode_file("tests/data/no-such-file.yaml", NULL, &l, &err), RC_EIO);
    ck_assert_ptr_nonnull(strstr(err.message, "no-such-file.yaml"));
    rc_error_clear(&err);
    ck_assert_int_eq(rc_decode_file("tests/data", NULL, &l, &err), RC_EIO);
    rc_error_clear(&err);
    ck_assert_int_eq(decode_str("x: [", &l, NULL), RC_EBADREQUEST);
    rc_doc_list_clear(&l);
}
END_TEST

/* ---- encoding ---- */

START_TEST(encodes_kubectl_style)
{
    cJSON *d = decode_one("apiVersion: v1\nkind: Pod\nmetadata: {name: web, labels: {}}\nspec:\n  containers:\n"
                          "  - name: web\n"
                          "    args: [\"true\", \"1\", \"\", \" pad\", \"a: b\", \"#x\", \"-x\", \"- x\", y]\n"
                          "    script: \"line1\\n  line2\\n\"\n    env: []\n    nested: [[1, 2], {a: null}]\n");
    char *yaml = rc_encode_yaml(d, NULL);
    const char *want = "apiVersion: v1\n"
                       "kind: Pod\n"
                       "metadata:\n"
                       "  name: web\n"
                       "  labels: {}\n"
                       "spec:\n"
                       "  containers:\n"
                       "  - name: web\n"
                       "    args:\n"
                       "    - 'true'\n"
                       "    - '1'\n"
                       "    - ''\n"
                       "    - ' pad'\n"
                       "    - 'a: b'\n"
                       "    - '#x'\n"
                       "    - -x\n"
                       "    - '- x'\n"
                       "    - true\n"
                       "    script: |\n"
                       "      line1\n"
                       "        line2\n"
                       "    env: []\n"
                       "    nested:\n"
                       "    - - 1\n"
                       "      - 2\n"
                       "    - a: null\n";
    ck_assert_str_eq(yaml, want);
    assert_round_trip(d);
    free(yaml);
    cJSON_Delete(d);

    cJSON *s = cJSON_CreateString("top");
    yaml = rc_encode_yaml(s, NULL);
    ck_assert_str_eq(yaml, "top\n");
    free(yaml);
    cJSON_Delete(s);
    ck_assert_ptr_null(rc_encode_yaml(NULL, NULL));
    rc_doc_list l = {0};
    yaml = rc_encode_yaml_docs(&l, NULL);
    ck_assert_str_eq(yaml, "");
    free(yaml);
}
END_TEST

START_TEST(tricky_strings_round_trip)
{
    static const char *strings[] = {
        "", " ", "true", "False", "yes", "n", "~", "null", "<<", "1", "0x1F", "1e3", ".5", "1_000", ".inf",
        "-.nan", "-", "--", "---", "--- x", "...", "- a", "-a", "? a", "?a", ": a", ":a", "a:", "a: b", "a:b",
        "a #b", "a#b", "#a", "&a", "*a", "!a", "|", ">", "'", "\"", "%a", "@a", "`a", "{a}", "[a]", "a,b",
        " lead", "trail ", "two\nlines", "trailing\n", "keep\n\n", "\nlead", " indented\nfirst",
        "space \nat eol", "tab\there", "\ttab first\nx", "multi\n\tline tab", "cr\r\nlf", "bell\a",
        "del\x7f", "nel\xc2\x85", "nbsp\xc2\xa0", "ls\xe2\x80\xa8", "bom\xef\xbb\xbf", "caf\xc3\xa9",
        "emoji \xf0\x9f\x98\x80", "back\\slash", "quote'single", "quote\"double", "c:\\path", "http://x:1/#y",
        "1:30", "2024-01-01", "0o", "0b2", "+", "+1", "1.", "1e", "=", "a\n\nb\n", "\n", "\n\n", "x\n ",
    };
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "value", strings[i]);
        cJSON_AddStringToObject(doc, strings[i], "as a key");
        cJSON *list = cJSON_AddArrayToObject(doc, "list");
        cJSON_AddItemToArray(list, cJSON_CreateString(strings[i]));
        cJSON *inner = cJSON_CreateObject();
        cJSON_AddStringToObject(inner, "deep", strings[i]);
        cJSON_AddItemToArray(list, inner);
        assert_round_trip(doc);
        cJSON_Delete(doc);
        cJSON *top = cJSON_CreateString(strings[i]);
        assert_round_trip(top);
        cJSON_Delete(top);
    }
    static const double numbers[] = {0, -1, 1.5, 1e-7, 123456789012345, 1e15, 1e20, -2.5e-300, 0.1, 1.0 / 3};
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateNumber(numbers[i]));
    assert_round_trip(arr);
    cJSON_Delete(arr);
    /* a key too long for an implicit key is written as "? key" */
    char longkey[1500];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, longkey, "v");
    assert_round_trip(doc);
    cJSON_Delete(doc);
}
END_TEST

START_TEST(random_strings_round_trip)
{
    static const char alphabet[] = " \t\n:#-?'\"\\|>&*!%@,[]{}~.01eE+xyYnN<";
    rc_rand r;
    rc_rand_seed(&r, 2024);
    for (int round = 0; round < 2000; round++) {
        char s[16];
        size_t n = rc_rand_below(&r, sizeof s);
        for (size_t i = 0; i < n; i++)
            s[i] = alphabet[rc_rand_below(&r, sizeof alphabet - 1)];
        s[n] = '\0';
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, s, s);
        cJSON_AddItemToObject(doc, "seq", cJSON_CreateStringArray((const char *[]){s, s}, 2));
        assert_round_trip(doc);
        cJSON_Delete(doc);
    }
}
END_TEST

START_TEST(objects_decode_and_encode)
{
    rc_object_list l;
    rc_object_list_init(&l);
    rc_error err = {0};
    const char *text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: ns\ndata:\n  a: '1'\n";
    ck_assert_int_eq(rc_decode_objects(text, strlen(text), "cm.yaml", NULL, &l, &err), 0);
    ck_assert_uint_eq(l.count, 1);
    ck_assert_str_eq(rc_object_key(l.items[0]), "ns/c");
    char *yaml = rc_object_to_yaml(l.items[0], NULL);
    ck_assert_str_eq(yaml, text);
    free(yaml);
    ck_assert_ptr_null(rc_object_to_yaml(NULL, NULL));
    const char *mixed = "kind: A\n---\n[1]\n";
    ck_assert_int_eq(rc_decode_objects(mixed, strlen(mixed), "m.yaml", NULL, &l, &err), RC_EBADREQUEST);
    ck_assert_str_eq(err.message, "m.yaml:3:1: document 2 is a sequence, not a mapping (an object needs apiVersion, "
                                  "kind and metadata)");
    ck_assert_uint_eq(l.count, 1);
    rc_error_clear(&err);
    rc_object_list_clear(&l);
}
END_TEST

static void *decode_in_thread(void *arg)
{
    const char *path = arg;
    for (int i = 0; i < 20; i++) {
        rc_doc_list l = {0};
        if (rc_decode_file(path, NULL, &l, NULL) != 0 || l.count != 1)
            return (void *)1;
        char *yaml = rc_encode_yaml(l.docs[0], NULL);
        free(yaml);
        rc_doc_list_clear(&l);
    }
    return NULL;
}

START_TEST(decoders_run_in_parallel)
{
    pthread_t t[2];
    char *paths[2] = {MANIFEST_DIR "/mysql-statefulset.yaml", GOOD_DIR "/scalars.yaml"};
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, decode_in_thread, paths[i]), 0);
    for (int i = 0; i < 2; i++) {
        void *res;
        pthread_join(t[i], &res);
        ck_assert_ptr_null(res);
    }
}
END_TEST

/* ---- corpus and examples ---- */

static void check_good_file(const char *path)
{
    rc_doc_list got = {0}, want = {0};
    rc_error err = {0};
    ck_assert_msg(rc_decode_file(path, NULL, &got, &err) == 0, "%s", err.message);
    char json[512];
    snprintf(json, sizeof json, "%.*s.json", (int)(strlen(path) - 5), path);
    ck_assert_msg(rc_decode_file(json, NULL, &want, &err) == 0, "%s", err.message);
    ck_assert_msg(got.count == want.count, "%s: %zu documents, want %zu", path, got.count, want.count);
    for (size_t i = 0; i < got.count; i++) {
        char *g = cJSON_PrintUnformatted(got.docs[i]);
        ck_assert_msg(cJSON_Compare(got.docs[i], want.docs[i], true), "%s document %zu: got %s", path, i + 1, g);
        free(g);
        assert_round_trip(got.docs[i]);
    }
    rc_doc_list_clear(&got);
    rc_doc_list_clear(&want);
}

START_TEST(good_corpus_matches_expected_json)
{
    ck_assert_uint_ge(for_each_file(GOOD_DIR, ".yaml", check_good_file), 5);
}
END_TEST

/* A bad file's header: "# expect: LINE:COL: reason" (rc_decode_objects_file fails with that message), or
 * "# expect-value: PATH JSON" lines (the file decodes and PATH holds JSON). */
static void check_bad_file(const char *path)
{
    size_t len;
    char *text = rc_test_read_file(path, &len);
    ck_assert_ptr_nonnull(text);
    rc_object_list objs;
    rc_object_list_init(&objs);
    rc_error err = {0};
    int rc = rc_decode_objects_file(path, NULL, &objs, &err);
    const char *expect = "# expect: ", *value = "# expect-value: ";
    if (strncmp(text, expect, strlen(expect)) == 0) {
        char want[512];
        const char *reason = text + strlen(expect);
        snprintf(want, sizeof want, "%s:%.*s", path, (int)strcspn(reason, "\n"), reason);
        ck_assert_msg(rc != 0, "%s decoded, want an error", path);
        ck_assert_msg(strstr(err.message, want), "%s: \"%s\" lacks \"%s\"", path, err.message, want);
        ck_assert_uint_eq(objs.count, 0);
    } else {
        ck_assert_msg(strncmp(text, value, strlen(value)) == 0, "%s has no expect header", path);
        ck_assert_msg(rc == 0, "%s: %s", path, err.message);
        ck_assert_uint_eq(objs.count, 1);
        cJSON *doc = rc_object_to_cjson(objs.items[0]);
        for (const char *line = text; strncmp(line, value, strlen(value)) == 0; line = strchr(line, '\n') + 1) {
            const char *p = line + strlen(value);
            char key[256], json[256];
            size_t k = strcspn(p, " ");
            snprintf(key, sizeof key, "%.*s", (int)k, p);
            snprintf(json, sizeof json, "%.*s", (int)strcspn(p + k + 1, "\n"), p + k + 1);
            cJSON *want = parse_json(json);
            ck_assert_msg(cJSON_Compare(at_path(doc, key), want, true), "%s: %s is not %s", path, key, json);
            cJSON_Delete(want);
        }
        cJSON_Delete(doc);
    }
    rc_error_clear(&err);
    rc_object_list_clear(&objs);
    free(text);
}

START_TEST(bad_corpus_fails_or_decodes_as_expected)
{
    ck_assert_uint_ge(for_each_file(BAD_DIR, ".yaml", check_bad_file), 15);
}
END_TEST

static size_t manifest_objects;

static void check_manifest(const char *path)
{
    rc_object_list objs;
    rc_object_list_init(&objs);
    rc_error err = {0};
    ck_assert_msg(rc_decode_objects_file(path, NULL, &objs, &err) == 0, "%s", err.message);
    ck_assert_msg(objs.count > 0, "%s holds no document", path);
    for (size_t i = 0; i < objs.count; i++) {
        const rc_object *o = objs.items[i];
        ck_assert_msg(rc_object_api_version(o) && rc_object_kind(o) && rc_object_name(o),
                      "%s document %zu lacks apiVersion, kind or metadata.name", path, i + 1);
        cJSON *doc = rc_object_to_cjson(o);
        assert_round_trip(doc);
        cJSON_Delete(doc);
    }
    manifest_objects += objs.count;
    rc_object_list_clear(&objs);
}

START_TEST(example_manifests_decode_with_identity)
{
    manifest_objects = 0;
    ck_assert_uint_ge(for_each_file(MANIFEST_DIR, ".yaml", check_manifest), 20);
    ck_assert_uint_ge(manifest_objects, 25);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("codec");
    TCase *tc = tcase_create("codec");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, plain_scalars_typed_like_kubernetes);
    tcase_add_test(tc, tags_are_honoured);
    tcase_add_test(tc, non_string_keys_become_strings);
    tcase_add_test(tc, multi_document_streams);
    tcase_add_test(tc, anchors_merges_and_their_errors);
    tcase_add_test(tc, duplicate_keys_are_errors_in_small_and_large_maps);
    tcase_add_test(tc, syntax_errors_have_positions);
    tcase_add_test(tc, json_streams_and_errors);
    tcase_add_test(tc, limits_and_all_or_nothing);
    tcase_add_test(tc, encodes_kubectl_style);
    tcase_add_test(tc, tricky_strings_round_trip);
    tcase_add_test(tc, random_strings_round_trip);
    tcase_add_test(tc, objects_decode_and_encode);
    tcase_add_test(tc, decoders_run_in_parallel);
    tcase_add_test(tc, good_corpus_matches_expected_json);
    tcase_add_test(tc, bad_corpus_fails_or_decodes_as_expected);
    tcase_add_test(tc, example_manifests_decode_with_identity);
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
