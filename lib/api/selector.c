/* selector.c - the label selector core: building requirements, matching label maps without allocating
 * (one rc_node_get per requirement, binary search over sorted values), the canonical string form and
 * the index hint rc_selector_required_value. Parsing lives in selector_parse.c and selector_node.c. */
#include "api/selector_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

rc_selector *rci_selector_new(void)
{
    return calloc(1, sizeof(rc_selector));
}

rci_requirement *rci_selector_add(rc_selector *s, const char *key, size_t key_len, rci_label_op op)
{
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4;
        rci_requirement *reqs = realloc(s->reqs, cap * sizeof *reqs);
        if (!reqs)
            return NULL;
        s->reqs = reqs;
        s->cap = cap;
    }
    char *k = strndup(key, key_len);
    if (!k)
        return NULL;
    rci_requirement *r = &s->reqs[s->count++];
    memset(r, 0, sizeof *r);
    r->key = k;
    r->op = op;
    return r;
}

int rci_requirement_add_value(rci_requirement *r, const char *value, size_t len)
{
    char **values = realloc(r->values, (r->nvalues + 1) * sizeof *values);
    if (!values)
        return RC_ENOMEM;
    r->values = values;
    if (!(values[r->nvalues] = strndup(value, len)))
        return RC_ENOMEM;
    r->nvalues++;
    return 0;
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sort_unique_values(rci_requirement *r)
{
    if (r->nvalues < 2)
        return;
    qsort(r->values, r->nvalues, sizeof *r->values, cmp_str_ptr);
    size_t kept = 1;
    for (size_t i = 1; i < r->nvalues; i++) {
        if (strcmp(r->values[i], r->values[kept - 1]) == 0)
            free(r->values[i]);
        else
            r->values[kept++] = r->values[i];
    }
    r->nvalues = kept;
}

void rci_selector_finish(rc_selector *s)
{
    for (size_t i = 0; i < s->count; i++)
        sort_unique_values(&s->reqs[i]);
    /* Insertion sort: stable (requirements on one key keep their order) and selectors are short. */
    for (size_t i = 1; i < s->count; i++) {
        rci_requirement r = s->reqs[i];
        size_t j = i;
        for (; j > 0 && strcmp(s->reqs[j - 1].key, r.key) > 0; j--)
            s->reqs[j] = s->reqs[j - 1];
        s->reqs[j] = r;
    }
}

void rc_selector_free(rc_selector *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->count; i++) {
        rci_requirement *r = &s->reqs[i];
        for (size_t j = 0; j < r->nvalues; j++)
            free(r->values[j]);
        free(r->values);
        free(r->key);
    }
    free(s->reqs);
    free(s);
}

static bool has_value(const rci_requirement *r, const char *v)
{
    size_t lo = 0, hi = r->nvalues;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(r->values[mid], v);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* Upstream compares Gt/Lt against the label parsed as a base-10 int64; unparsable labels never match. */
static bool label_int(const char *v, int64_t *out)
{
    if (!*v)
        return false;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || *end || *v == ' ' || *v == '\t' || *v == '+')
        return false;
    *out = n;
    return true;
}

/* v is the label's value, NULL when the object does not have the label. */
static bool requirement_matches(const rci_requirement *r, const char *v)
{
    int64_t n;
    switch (r->op) {
    case RCI_OP_EQUALS:
    case RCI_OP_IN:
        return v && has_value(r, v);
    case RCI_OP_NOT_EQUALS:
    case RCI_OP_NOT_IN:
        return !v || !has_value(r, v);
    case RCI_OP_EXISTS:
        return v != NULL;
    case RCI_OP_NOT_EXISTS:
        return v == NULL;
    case RCI_OP_GT:
        return v && label_int(v, &n) && n > r->number;
    case RCI_OP_LT:
        return v && label_int(v, &n) && n < r->number;
    }
    return false;
}

bool rc_selector_matches(const rc_selector *s, rc_node labels)
{
    if (!s || s->nothing)
        return false;
    for (size_t i = 0; i < s->count; i++)
        if (!requirement_matches(&s->reqs[i], rc_node_str(rc_node_get(labels, s->reqs[i].key))))
            return false;
    return true;
}

/* rc_object_label reaches the labels map through the object's cached offset: one key lookup per
 * requirement. */
bool rc_selector_matches_object(const rc_selector *s, const rc_object *o)
{
    if (!s || !o || s->nothing)
        return false;
    for (size_t i = 0; i < s->count; i++)
        if (!requirement_matches(&s->reqs[i], rc_object_label(o, s->reqs[i].key)))
            return false;
    return true;
}

bool rc_selector_is_empty(const rc_selector *s)
{
    return s && !s->nothing && s->count == 0;
}

bool rc_selector_is_nothing(const rc_selector *s)
{
    return !s || s->nothing;
}

static void append_values(rci_strbuf *b, const rci_requirement *r)
{
    rci_strbuf_putc(b, '(');
    for (size_t i = 0; i < r->nvalues; i++) {
        if (i)
            rci_strbuf_putc(b, ',');
        rci_strbuf_puts(b, r->values[i]);
    }
    rci_strbuf_putc(b, ')');
}

static void append_requirement(rci_strbuf *b, const rci_requirement *r)
{
    if (r->op == RCI_OP_NOT_EXISTS)
        rci_strbuf_putc(b, '!');
    rci_strbuf_puts(b, r->key);
    switch (r->op) {
    case RCI_OP_EQUALS:
        rci_strbuf_putc(b, '=');
        rci_strbuf_puts(b, r->values[0]);
        break;
    case RCI_OP_NOT_EQUALS:
        rci_strbuf_puts(b, "!=");
        rci_strbuf_puts(b, r->values[0]);
        break;
    case RCI_OP_IN:
        rci_strbuf_puts(b, " in ");
        append_values(b, r);
        break;
    case RCI_OP_NOT_IN:
        rci_strbuf_puts(b, " notin ");
        append_values(b, r);
        break;
    case RCI_OP_GT:
        rci_strbuf_printf(b, ">%lld", (long long)r->number);
        break;
    case RCI_OP_LT:
        rci_strbuf_printf(b, "<%lld", (long long)r->number);
        break;
    case RCI_OP_EXISTS:
    case RCI_OP_NOT_EXISTS:
        break;
    }
}

char *rc_selector_to_string(const rc_selector *s)
{
    rci_strbuf b;
    rci_strbuf_init(&b);
    for (size_t i = 0; s && !s->nothing && i < s->count; i++) {
        if (i)
            rci_strbuf_putc(&b, ',');
        append_requirement(&b, &s->reqs[i]);
    }
    return rci_strbuf_take(&b);
}

const char *rc_selector_required_value(const rc_selector *s, const char *key)
{
    if (!s || !key || s->nothing)
        return NULL;
    for (size_t i = 0; i < s->count; i++) {
        const rci_requirement *r = &s->reqs[i];
        if ((r->op == RCI_OP_EQUALS || r->op == RCI_OP_IN) && r->nvalues == 1 && strcmp(r->key, key) == 0)
            return r->values[0];
    }
    return NULL;
}
