/* codec_yaml_write.c - rc_encode_yaml: cJSON to kubectl-style block YAML (2-space indentation, sequences
 * level with their key, keys in document order). A string is written plain when the reader
 * (codec_scalar.c typing, libyaml syntax) would give it back unchanged, otherwise single-quoted, as a
 * literal block (multi-line text) or double-quoted with escapes (anything else). */
#include "reconcile/codec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/codec_scalar.h"
#include "api/json_depth.h"
#include "util/strbuf.h"

#define MAX_SIMPLE_KEY 1000 /* YAML limits implicit keys to 1024 characters; longer ones use "? key" */

typedef enum str_style { STYLE_PLAIN, STYLE_SINGLE, STYLE_DOUBLE, STYLE_LITERAL } str_style;

/* Code points YAML cannot hold raw in a quoted or plain scalar (or that it reads as line breaks). */
static bool needs_escape(unsigned cp)
{
    if (cp < 0x20 || cp == 0x7F)
        return true;
    if (cp >= 0x80 && cp <= 0xA0)
        return cp != 0xA0;
    return cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF || cp == 0xFFFE || cp == 0xFFFF;
}

static bool plain_start_ok(const char *s)
{
    if (strchr("?:,[]{}#&*!|>'\"%@`", s[0]))
        return false;
    if (s[0] == '-')
        return s[1] && s[1] != ' ' && strncmp(s, "---", 3) != 0;
    return strncmp(s, "...", 3) != 0;
}

static bool plain_ok(const char *s, size_t n)
{
    if (rci_yaml_resolve_plain(s, n).kind != RCI_SCALAR_STR || strcmp(s, "<<") == 0 || !plain_start_ok(s))
        return false;
    if (s[0] == ' ' || s[n - 1] == ' ' || s[n - 1] == ':')
        return false;
    return !strstr(s, ": ") && !strstr(s, " #");
}

static str_style choose_style(const char *s, bool is_key)
{
    size_t n = strlen(s);
    if (n == 0)
        return STYLE_SINGLE;
    bool newline = false, tab = false, escape = false, space_at_eol = false;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned cp;
        size_t k = rci_utf8_decode(u + i, n - i, &cp);
        if (k == 0) {
            escape = true;
            break;
        }
        if (cp == '\n') {
            newline = true;
            if (i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t'))
                space_at_eol = true;
        } else if (cp == '\t') {
            tab = true;
        } else if (needs_escape(cp)) {
            escape = true;
        }
        i += k;
    }
    if (escape || (newline && is_key) || (tab && !newline))
        return STYLE_DOUBLE;
    if (newline) {
        bool literal_ok = !space_at_eol && !strchr(" \t\n", s[0]) && !strchr(" \t", s[n - 1]);
        return literal_ok ? STYLE_LITERAL : STYLE_DOUBLE;
    }
    return plain_ok(s, n) ? STYLE_PLAIN : STYLE_SINGLE;
}

static void pad(rci_strbuf *b, size_t indent)
{
    static const char spaces[] = "                                ";
    while (indent > 0) {
        size_t k = indent < sizeof spaces - 1 ? indent : sizeof spaces - 1;
        rci_strbuf_append(b, spaces, k);
        indent -= k;
    }
}

static void write_single(rci_strbuf *b, const char *s)
{
    rci_strbuf_putc(b, '\'');
    for (const char *q; (q = strchr(s, '\'')); s = q + 1) {
        rci_strbuf_append(b, s, (size_t)(q - s));
        rci_strbuf_append(b, "''", 2);
    }
    rci_strbuf_puts(b, s);
    rci_strbuf_putc(b, '\'');
}

static void write_double(rci_strbuf *b, const char *s)
{
    size_t n = strlen(s);
    const unsigned char *u = (const unsigned char *)s;
    rci_strbuf_putc(b, '"');
    for (size_t i = 0; i < n;) {
        unsigned cp;
        size_t k = rci_utf8_decode(u + i, n - i, &cp);
        if (k == 0) {
            rci_strbuf_puts(b, "\\uFFFD");
            i++;
            continue;
        }
        switch (cp) {
        case '"': rci_strbuf_puts(b, "\\\""); break;
        case '\\': rci_strbuf_puts(b, "\\\\"); break;
        case '\n': rci_strbuf_puts(b, "\\n"); break;
        case '\t': rci_strbuf_puts(b, "\\t"); break;
        case '\r': rci_strbuf_puts(b, "\\r"); break;
        case 0x2028: rci_strbuf_puts(b, "\\L"); break;
        case 0x2029: rci_strbuf_puts(b, "\\P"); break;
        default:
            if (!needs_escape(cp))
                rci_strbuf_append(b, s + i, k);
            else if (cp < 0x100)
                rci_strbuf_printf(b, "\\x%02X", cp);
            else
                rci_strbuf_printf(b, "\\u%04X", cp);
        }
        i += k;
    }
    rci_strbuf_putc(b, '"');
}

/* A literal block: header ("|", "|-" or "|+" by trailing newlines), then each line at indent. */
static void write_literal(rci_strbuf *b, const char *s, size_t indent)
{
    size_t n = strlen(s), trailing = 0;
    while (trailing < n && s[n - 1 - trailing] == '\n')
        trailing++;
    rci_strbuf_puts(b, trailing == 0 ? "|-" : trailing == 1 ? "|" : "|+");
    for (const char *line = s; *line;) {
        const char *end = strchr(line, '\n');
        size_t k = end ? (size_t)(end - line) : strlen(line);
        rci_strbuf_putc(b, '\n');
        if (k > 0) {
            pad(b, indent);
            rci_strbuf_append(b, line, k);
        }
        line += k + (end ? 1 : 0);
    }
}

static void write_string(rci_strbuf *b, const char *s, bool is_key, size_t indent)
{
    switch (choose_style(s, is_key)) {
    case STYLE_PLAIN: rci_strbuf_puts(b, s); break;
    case STYLE_SINGLE: write_single(b, s); break;
    case STYLE_LITERAL: write_literal(b, s, indent); break;
    default: write_double(b, s); break;
    }
}

static void write_number(rci_strbuf *b, double d)
{
    char num[40];
    if (isnan(d)) {
        rci_strbuf_puts(b, ".nan");
    } else if (isinf(d)) {
        rci_strbuf_puts(b, d > 0 ? ".inf" : "-.inf");
    } else {
        rci_format_double(num, sizeof num, d);
        rci_strbuf_puts(b, num);
    }
}

static bool is_block(const cJSON *n)
{
    return (cJSON_IsObject(n) || cJSON_IsArray(n)) && n->child;
}

/* A scalar or an empty collection, on the current line; indent is where literal block lines go. */
static void write_inline(rci_strbuf *b, const cJSON *n, size_t indent)
{
    if (cJSON_IsObject(n))
        rci_strbuf_puts(b, "{}");
    else if (cJSON_IsArray(n))
        rci_strbuf_puts(b, "[]");
    else if (cJSON_IsString(n) || cJSON_IsRaw(n))
        write_string(b, n->valuestring ? n->valuestring : "", false, indent);
    else if (cJSON_IsNumber(n))
        write_number(b, n->valuedouble);
    else if (cJSON_IsBool(n))
        rci_strbuf_puts(b, cJSON_IsTrue(n) ? "true" : "false");
    else
        rci_strbuf_puts(b, "null");
}

static void write_block(rci_strbuf *b, const cJSON *n, size_t indent, bool first_inline);

static void write_map(rci_strbuf *b, const cJSON *obj, size_t indent, bool first_inline)
{
    for (const cJSON *c = obj->child; c; c = c->next) {
        if (c != obj->child || !first_inline)
            pad(b, indent);
        const char *key = c->string ? c->string : "";
        size_t key_start = b->len;
        write_string(b, key, true, indent);
        if (b->len - key_start > MAX_SIMPLE_KEY) {
            b->len = key_start;
            rci_strbuf_puts(b, "? ");
            write_double(b, key);
            rci_strbuf_putc(b, '\n');
            pad(b, indent);
        }
        rci_strbuf_putc(b, ':');
        if (is_block(c)) {
            rci_strbuf_putc(b, '\n');
            write_block(b, c, cJSON_IsObject(c) ? indent + 2 : indent, false);
        } else {
            rci_strbuf_putc(b, ' ');
            write_inline(b, c, indent + 2);
            rci_strbuf_putc(b, '\n');
        }
    }
}

static void write_seq(rci_strbuf *b, const cJSON *arr, size_t indent, bool first_inline)
{
    for (const cJSON *c = arr->child; c; c = c->next) {
        if (c != arr->child || !first_inline)
            pad(b, indent);
        rci_strbuf_puts(b, "- ");
        if (is_block(c)) {
            write_block(b, c, indent + 2, true);
        } else {
            write_inline(b, c, indent + 2);
            rci_strbuf_putc(b, '\n');
        }
    }
}

static void write_block(rci_strbuf *b, const cJSON *n, size_t indent, bool first_inline)
{
    if (cJSON_IsObject(n))
        write_map(b, n, indent, first_inline);
    else
        write_seq(b, n, indent, first_inline);
}

static void write_document(rci_strbuf *b, const cJSON *doc)
{
    if (is_block(doc)) {
        write_block(b, doc, 0, false);
    } else {
        write_inline(b, doc, 2);
        rci_strbuf_putc(b, '\n');
    }
}

static char *finish(rci_strbuf *b, size_t *len)
{
    rci_strbuf_append(b, "", 0);
    if (b->failed) {
        rci_strbuf_free(b);
        return NULL;
    }
    if (len)
        *len = b->len;
    return rci_strbuf_take(b);
}

char *rc_encode_yaml(const cJSON *doc, size_t *len)
{
    if (!doc || !rci_cjson_depth_ok(doc))
        return NULL;
    rci_strbuf b;
    rci_strbuf_init(&b);
    write_document(&b, doc);
    return finish(&b, len);
}

char *rc_encode_yaml_docs(const rc_doc_list *l, size_t *len)
{
    if (!l)
        return NULL;
    rci_strbuf b;
    rci_strbuf_init(&b);
    for (size_t i = 0; i < l->count; i++) {
        if (!l->docs[i])
            continue;
        if (!rci_cjson_depth_ok(l->docs[i])) {
            rci_strbuf_free(&b);
            return NULL;
        }
        rci_strbuf_puts(&b, "---\n");
        write_document(&b, l->docs[i]);
    }
    return finish(&b, len);
}
