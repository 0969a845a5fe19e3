/* selector_parse.c - the label selector string syntax of k8s.io/apimachinery/pkg/labels:
 * "a=b,c!=d,e in (x,y),f notin (z),g,!h" (also "a==b", "a>1", "a<1"). A small lexer (identifiers run to
 * whitespace or one of "=!(),<>") feeds a recursive-descent parser; errors quote the requirement and the
 * byte position of the offending token. */
#include "api/selector_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum tok_kind {
    TOK_END,
    TOK_IDENT,
    TOK_NOT,     /* ! */
    TOK_EQ,      /* = */
    TOK_DEQ,     /* == */
    TOK_NEQ,     /* != */
    TOK_GT,      /* > */
    TOK_LT,      /* < */
    TOK_OPEN,    /* ( */
    TOK_CLOSE,   /* ) */
    TOK_COMMA,   /* , */
    TOK_IN,      /* in (keyword, only where an operator may follow a key) */
    TOK_NOTIN    /* notin */
} tok_kind;

/* KEY mode recognises the keywords in/notin; VALUES mode reads them as identifiers. */
typedef enum lex_mode { MODE_KEY, MODE_VALUES } lex_mode;

typedef struct token {
    tok_kind kind;
    size_t pos;
    size_t len;
} token;

typedef struct parser {
    const char *text;
    size_t len;
    size_t pos;       /* lexer position */
    size_t req_start; /* where the requirement being parsed starts, for messages */
    rc_selector *sel;
    rc_error *err;
} parser;

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static bool is_special(char c)
{
    return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

static token lex_at(const parser *p, size_t pos, lex_mode mode)
{
    while (pos < p->len && is_space(p->text[pos]))
        pos++;
    token t = {TOK_END, pos, 0};
    if (pos >= p->len)
        return t;
    const char *s = p->text + pos;
    bool next_eq = pos + 1 < p->len && s[1] == '=';
    t.len = 1;
    switch (s[0]) {
    case '!': t.kind = next_eq ? TOK_NEQ : TOK_NOT; t.len = next_eq ? 2 : 1; return t;
    case '=': t.kind = next_eq ? TOK_DEQ : TOK_EQ; t.len = next_eq ? 2 : 1; return t;
    case '>': t.kind = TOK_GT; return t;
    case '<': t.kind = TOK_LT; return t;
    case '(': t.kind = TOK_OPEN; return t;
    case ')': t.kind = TOK_CLOSE; return t;
    case ',': t.kind = TOK_COMMA; return t;
    default: break;
    }
    size_t end = pos;
    while (end < p->len && !is_space(p->text[end]) && !is_special(p->text[end]))
        end++;
    t.kind = TOK_IDENT;
    t.len = end - pos;
    if (mode == MODE_KEY && t.len == 2 && memcmp(s, "in", 2) == 0)
        t.kind = TOK_IN;
    else if (mode == MODE_KEY && t.len == 5 && memcmp(s, "notin", 5) == 0)
        t.kind = TOK_NOTIN;
    return t;
}

static token peek(const parser *p, lex_mode mode) { return lex_at(p, p->pos, mode); }

static token next(parser *p, lex_mode mode)
{
    token t = lex_at(p, p->pos, mode);
    p->pos = t.pos + t.len;
    return t;
}

/* Length of the requirement starting at req_start: up to the next ',' outside parentheses. */
static size_t requirement_len(const parser *p)
{
    int depth = 0;
    size_t i = p->req_start;
    for (; i < p->len; i++) {
        char c = p->text[i];
        if (c == '(')
            depth++;
        else if (c == ')' && depth > 0)
            depth--;
        else if (c == ',' && depth == 0)
            break;
    }
    return i - p->req_start;
}

/* Sets err to "invalid label selector "<text>": unable to parse requirement "<req>" at position N:
 * <what>" and returns RC_EBADREQUEST. */
static int fail(parser *p, size_t pos, const char *what)
{
    return rc_error_set(p->err, RC_EBADREQUEST,
                        "invalid label selector \"%s\": unable to parse requirement \"%.*s\" at position %zu: %s",
                        p->text, (int)requirement_len(p), p->text + p->req_start, pos, what);
}

static int fail_tok(parser *p, token t, const char *expected)
{
    char what[160];
    if (t.kind == TOK_END)
        snprintf(what, sizeof what, "found end of string, expected: %s", expected);
    else
        snprintf(what, sizeof what, "found '%.*s', expected: %s", (int)t.len, p->text + t.pos, expected);
    return fail(p, t.pos, what);
}

/* "invalid label <kind> \"<text>\": <problem>" at t. */
static int fail_invalid(parser *p, token t, const char *kind, const char *problem)
{
    char what[512];
    snprintf(what, sizeof what, "invalid label %s \"%.*s\": %s", kind, (int)t.len, p->text + t.pos, problem);
    return fail(p, t.pos, what);
}

static int no_memory(parser *p) { return rc_error_set(p->err, RC_ENOMEM, "out of memory"); }

static int add_value(parser *p, rci_requirement *r, token t)
{
    const char *v = p->text + t.pos;
    const char *problem = rci_label_value_problem(v, t.len);
    if (problem)
        return fail_invalid(p, t, "value", problem);
    return rci_requirement_add_value(r, v, t.len) ? no_memory(p) : 0;
}

static int add_empty_value(parser *p, rci_requirement *r)
{
    return rci_requirement_add_value(r, "", 0) ? no_memory(p) : 0;
}

/* "(x, y, z)": identifiers separated by commas; empty entries ("(,x)", "(x,)") are the empty value. */
static int parse_value_set(parser *p, rci_requirement *r)
{
    token t = next(p, MODE_VALUES);
    if (t.kind != TOK_OPEN)
        return fail_tok(p, t, "'('");
    if (peek(p, MODE_VALUES).kind == TOK_CLOSE) {
        next(p, MODE_VALUES);
        return add_empty_value(p, r);
    }
    for (;;) {
        t = next(p, MODE_VALUES);
        int rc = 0;
        if (t.kind == TOK_IDENT) {
            if ((rc = add_value(p, r, t)))
                return rc;
            token after = next(p, MODE_VALUES);
            if (after.kind == TOK_CLOSE)
                return 0;
            if (after.kind != TOK_COMMA)
                return fail_tok(p, after, "',' or ')'");
            if (peek(p, MODE_VALUES).kind == TOK_CLOSE) {
                next(p, MODE_VALUES);
                return add_empty_value(p, r);
            }
        } else if (t.kind == TOK_COMMA) {
            if ((rc = add_empty_value(p, r)))
                return rc;
            if (peek(p, MODE_VALUES).kind == TOK_CLOSE) {
                next(p, MODE_VALUES);
                return 0;
            }
        } else {
            return fail_tok(p, t, "',', ')' or identifier");
        }
    }
}

/* After =, == or !=: one identifier, or nothing (the empty value) before ',' or the end. */
static int parse_exact_value(parser *p, rci_requirement *r)
{
    token t = peek(p, MODE_VALUES);
    if (t.kind == TOK_END || t.kind == TOK_COMMA)
        return add_empty_value(p, r);
    if (t.kind != TOK_IDENT)
        return fail_tok(p, t, "identifier");
    next(p, MODE_VALUES);
    return add_value(p, r, t);
}

static int parse_number(parser *p, rci_requirement *r)
{
    token t = next(p, MODE_VALUES);
    if (t.kind != TOK_IDENT)
        return fail_tok(p, t, "integer");
    char buf[32];
    char *end = NULL;
    long long n = 0;
    if (t.len < sizeof buf) {
        memcpy(buf, p->text + t.pos, t.len);
        buf[t.len] = '\0';
        errno = 0;
        n = strtoll(buf, &end, 10);
    }
    if (!end || *end || errno || buf[0] == '+')
        return fail_invalid(p, t, "value", "for '>' and '<' the value must be an integer");
    r->number = n;
    return add_value(p, r, t);
}

static rci_label_op op_for(tok_kind k)
{
    switch (k) {
    case TOK_NEQ: return RCI_OP_NOT_EQUALS;
    case TOK_IN: return RCI_OP_IN;
    case TOK_NOTIN: return RCI_OP_NOT_IN;
    case TOK_GT: return RCI_OP_GT;
    case TOK_LT: return RCI_OP_LT;
    default: return RCI_OP_EQUALS;
    }
}

static int parse_requirement(parser *p)
{
    p->req_start = peek(p, MODE_KEY).pos;
    token t = next(p, MODE_KEY);
    bool negated = t.kind == TOK_NOT;
    if (negated)
        t = next(p, MODE_KEY);
    if (t.kind != TOK_IDENT)
        return fail_tok(p, t, "identifier");
    const char *problem = rci_label_key_problem(p->text + t.pos, t.len);
    if (problem)
        return fail_invalid(p, t, "key", problem);
    token op = peek(p, MODE_KEY);
    if (negated || op.kind == TOK_END || op.kind == TOK_COMMA)
        return rci_selector_add(p->sel, p->text + t.pos, t.len, negated ? RCI_OP_NOT_EXISTS : RCI_OP_EXISTS)
                   ? 0
                   : no_memory(p);
    switch (op.kind) {
    case TOK_EQ: case TOK_DEQ: case TOK_NEQ: case TOK_IN: case TOK_NOTIN: case TOK_GT: case TOK_LT:
        break;
    default:
        return fail_tok(p, op, "'=', '==', '!=', 'in', 'notin', '>', '<', ',' or end of string");
    }
    next(p, MODE_KEY);
    rci_requirement *r = rci_selector_add(p->sel, p->text + t.pos, t.len, op_for(op.kind));
    if (!r)
        return no_memory(p);
    switch (op.kind) {
    case TOK_IN: case TOK_NOTIN: return parse_value_set(p, r);
    case TOK_GT: case TOK_LT: return parse_number(p, r);
    default: return parse_exact_value(p, r);
    }
}

static int parse_all(parser *p)
{
    if (peek(p, MODE_KEY).kind == TOK_END)
        return 0;
    for (;;) {
        token t = peek(p, MODE_KEY);
        if (t.kind != TOK_IDENT && t.kind != TOK_NOT) {
            p->req_start = t.pos;
            return fail_tok(p, t, "'!' or identifier");
        }
        int rc = parse_requirement(p);
        if (rc)
            return rc;
        t = next(p, MODE_VALUES);
        if (t.kind == TOK_END)
            return 0;
        if (t.kind != TOK_COMMA)
            return fail_tok(p, t, "',' or end of string");
    }
}

rc_selector *rc_selector_parse(const char *text, rc_error *err)
{
    if (!text)
        text = "";
    rc_selector *s = rci_selector_new();
    if (!s) {
        rc_error_set(err, RC_ENOMEM, "out of memory");
        return NULL;
    }
    parser p = {text, strlen(text), 0, 0, s, err};
    if (parse_all(&p)) {
        rc_selector_free(s);
        return NULL;
    }
    rci_selector_finish(s);
    return s;
}
