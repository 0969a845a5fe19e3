/* fieldselector.c - field selectors as k8s.io/apimachinery/pkg/fields: "metadata.name=x,spec.nodeName!=",
 * terms split on unescaped commas, values unescaped (\\ \, \=). Paths are split into segments once at
 * parse time so matching walks the object with rc_node_get and no allocation; metadata.name and
 * metadata.namespace use the object's direct accessors. */
#include <reconcile/selector.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

typedef enum field_kind { FIELD_PATH, FIELD_NAME, FIELD_NAMESPACE } field_kind;

typedef struct field_term {
    char *field;
    char *value;
    bool negated;
    field_kind kind;
    char **segs; /* dotted path split at parse time */
    long *index; /* per segment: array index, or -1 when not numeric */
    size_t nsegs;
} field_term;

struct rc_field_selector {
    field_term *terms;
    size_t count;
};

static void term_free(field_term *t)
{
    for (size_t i = 0; i < t->nsegs; i++)
        free(t->segs[i]);
    free(t->segs);
    free(t->index);
    free(t->field);
    free(t->value);
}

void rc_field_selector_free(rc_field_selector *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->count; i++)
        term_free(&s->terms[i]);
    free(s->terms);
    free(s);
}

static int invalid(rc_error *err, const char *text, size_t pos, const char *what, const char *term, size_t len)
{
    return rc_error_set(err, RC_EBADREQUEST, "invalid field selector \"%s\": term \"%.*s\" at position %zu: %s",
                        text, (int)len, term, pos, what);
}

/* Unescapes v[0..len) into a new string; NULL + *bad set to the offending offset on an unknown escape,
 * a trailing backslash or an unescaped ',' or '='. */
static char *unescape(const char *v, size_t len, size_t *bad, const char **why)
{
    char *out = malloc(len + 1);
    size_t n = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        char c = v[i];
        if (c == '\\') {
            if (i + 1 >= len || (v[i + 1] != '\\' && v[i + 1] != ',' && v[i + 1] != '=')) {
                *bad = i;
                *why = "invalid escape sequence (only \\\\, \\, and \\= are allowed)";
                free(out);
                return NULL;
            }
            c = v[++i];
        } else if (c == ',' || c == '=') {
            *bad = i;
            *why = "unescaped ',' or '=' in the value";
            free(out);
            return NULL;
        }
        out[n++] = c;
    }
    out[n] = '\0';
    return out;
}

static bool split_path(field_term *t)
{
    size_t n = 1;
    for (const char *p = t->field; *p; p++)
        n += *p == '.';
    t->segs = calloc(n, sizeof *t->segs);
    t->index = calloc(n, sizeof *t->index);
    if (!t->segs || !t->index)
        return false;
    const char *start = t->field;
    for (size_t i = 0; i < n; i++) {
        const char *dot = strchr(start, '.');
        size_t len = dot ? (size_t)(dot - start) : strlen(start);
        if (!(t->segs[i] = strndup(start, len)))
            return false;
        t->nsegs++;
        t->index[i] = len > 0 && len < 10 && strspn(t->segs[i], "0123456789") == len ? atol(t->segs[i]) : -1;
        start = dot ? dot + 1 : start + len;
    }
    return true;
}

/* Parses one term text[pos..pos+len) into t; 0 or an error code. */
static int parse_term(const char *text, size_t pos, size_t len, field_term *t, rc_error *err)
{
    const char *term = text + pos;
    size_t i = 0, oplen = 0;
    for (; i < len; i++) {
        if (term[i] == '!' && i + 1 < len && term[i + 1] == '=') {
            t->negated = true;
            oplen = 2;
        } else if (term[i] == '=') {
            oplen = i + 1 < len && term[i + 1] == '=' ? 2 : 1;
        }
        if (oplen)
            break;
    }
    if (!oplen)
        return invalid(err, text, pos, "expected '=', '==' or '!='", term, len);
    if (i == 0)
        return invalid(err, text, pos, "the field name is empty", term, len);
    size_t bad = 0;
    const char *why = NULL;
    if (!(t->field = strndup(term, i)))
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    if (!(t->value = unescape(term + i + oplen, len - i - oplen, &bad, &why)))
        return why ? invalid(err, text, pos + i + oplen + bad, why, term, len)
                   : rc_error_set(err, RC_ENOMEM, "out of memory");
    if (strcmp(t->field, "metadata.name") == 0)
        t->kind = FIELD_NAME;
    else if (strcmp(t->field, "metadata.namespace") == 0)
        t->kind = FIELD_NAMESPACE;
    else if (!split_path(t))
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    return 0;
}

static void append_escaped(rci_strbuf *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == ',' || *v == '=')
            rci_strbuf_putc(b, '\\');
        rci_strbuf_putc(b, *v);
    }
}

static void append_term(rci_strbuf *b, const field_term *t)
{
    rci_strbuf_puts(b, t->field);
    rci_strbuf_puts(b, t->negated ? "!=" : "=");
    append_escaped(b, t->value);
}

static int cmp_terms(const void *a, const void *b)
{
    const field_term *x = a, *y = b;
    int c = strcmp(x->field, y->field);
    if (c)
        return c;
    if (x->negated != y->negated)
        return x->negated ? -1 : 1; /* "!=" sorts before "=" as upstream's raw term sort does */
    return strcmp(x->value, y->value);
}

rc_field_selector *rc_field_selector_parse(const char *text, rc_error *err)
{
    if (!text)
        text = "";
    rc_field_selector *s = calloc(1, sizeof *s);
    size_t len = strlen(text), nterms = 1;
    for (size_t i = 0; i < len; i++)
        nterms += text[i] == ',';
    if (!s || !(s->terms = calloc(nterms, sizeof *s->terms))) {
        free(s);
        rc_error_set(err, RC_ENOMEM, "out of memory");
        return NULL;
    }
    size_t start = 0;
    bool escaped = false;
    for (size_t i = 0; i <= len; i++) {
        bool boundary = i == len || (!escaped && text[i] == ',');
        escaped = !escaped && i < len && text[i] == '\\';
        if (!boundary)
            continue;
        if (i > start && parse_term(text, start, i - start, &s->terms[s->count++], err)) {
            rc_field_selector_free(s);
            return NULL;
        }
        start = i + 1;
    }
    qsort(s->terms, s->count, sizeof *s->terms, cmp_terms);
    return s;
}

size_t rc_field_selector_count(const rc_field_selector *s) { return s ? s->count : 0; }

const char *rc_field_selector_field(const rc_field_selector *s, size_t i)
{
    return s && i < s->count ? s->terms[i].field : NULL;
}

/* The field's text as a selector compares it: strings as is, numbers and booleans as JSON text, and
 * anything else (missing, null, objects, arrays) as "". buf holds number text. */
static const char *node_text(rc_node n, char *buf, size_t cap)
{
    switch (rc_node_kind(n)) {
    case RC_NODE_STRING:
        return rc_node_str(n);
    case RC_NODE_BOOL:
        return rc_node_bool(n, false) ? "true" : "false";
    case RC_NODE_NUMBER: {
        double d = rc_node_num(n, 0);
        if (d == floor(d) && fabs(d) < 9007199254740992.0) {
            snprintf(buf, cap, "%lld", (long long)d);
            return buf;
        }
        for (int prec = 15; prec <= 17; prec++) { /* the shortest text that reads back as d */
            snprintf(buf, cap, "%.*g", prec, d);
            if (strtod(buf, NULL) == d)
                break;
        }
        return buf;
    }
    default:
        return "";
    }
}

static const char *term_text(const field_term *t, const rc_object *o, char *buf, size_t cap)
{
    const char *v;
    switch (t->kind) {
    case FIELD_NAME:
        v = rc_object_name(o);
        return v ? v : "";
    case FIELD_NAMESPACE:
        v = rc_object_namespace(o);
        return v ? v : "";
    case FIELD_PATH:
        break;
    }
    rc_node n = rc_object_root(o);
    for (size_t i = 0; i < t->nsegs && rc_node_exists(n); i++)
        n = t->index[i] >= 0 && rc_node_kind(n) == RC_NODE_ARRAY ? rc_node_index(n, (size_t)t->index[i])
                                                                  : rc_node_get(n, t->segs[i]);
    return node_text(n, buf, cap);
}

bool rc_field_selector_matches(const rc_field_selector *s, const rc_object *o)
{
    if (!s || !o)
        return false;
    char buf[40];
    for (size_t i = 0; i < s->count; i++) {
        const field_term *t = &s->terms[i];
        if ((strcmp(term_text(t, o, buf, sizeof buf), t->value) == 0) == t->negated)
            return false;
    }
    return true;
}

char *rc_field_selector_to_string(const rc_field_selector *s)
{
    rci_strbuf b;
    rci_strbuf_init(&b);
    for (size_t i = 0; s && i < s->count; i++) {
        if (i)
            rci_strbuf_putc(&b, ',');
        append_term(&b, &s->terms[i]);
    }
    return rci_strbuf_take(&b);
}
