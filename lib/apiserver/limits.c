/* limits.c - rci_limits_check: one walk over an object about to be written that refuses what no later
 * stage should see - more than 3 MiB of JSON, nesting deeper than 512, strings or keys that are not UTF-8
 * (they would make the JSON the server serves invalid), and keys given twice (the stored object would be
 * ambiguous). Errors name the field by its path, as validation errors do ("spec.template.metadata.x"). */
#include "apiserver/limits.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/map.h"

#define SMALL_OBJECT 16 /* up to this many keys, duplicates are found by comparing pairs */
#define PATH_SHOWN 12   /* path segments printed before "..." */

/* Where the walk is: the chain of parents, for naming the field on error. */
typedef struct frame {
    const struct frame *up;
    const cJSON *node; /* the member (key in node->string) or array element (index) */
    size_t index;
    bool in_array;
} frame;

typedef struct walk {
    size_t bytes; /* JSON size so far */
    rc_error *err;
} walk;

#define SIX16 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6
#define ONE16 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1

/* JSON text length of each ASCII byte in a string: 1, 2 for '"' and '\\', 6 for a control character
 * (escaped as six bytes); 0 for the terminator and for bytes >= 0x80, which end the ASCII fast path. */
static const unsigned char ascii_json_bytes[256] = {
    0, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, /* 0x00: the terminator */
    SIX16,
    1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x22 '"' */
    ONE16,
    ONE16,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1, /* 0x5c '\\' */
    ONE16,
    ONE16,
};

#define BYTES8(b) (0x0101010101010101ULL * (b))
#define ANY_ZERO8(v) (((v) - BYTES8(0x01)) & ~(v) & BYTES8(0x80))

/* True when the 8 bytes at p are all ASCII from 0x20 up other than '"' and '\\' (one JSON byte each). */
static bool plain_ascii8(const unsigned char *p)
{
    uint64_t x;
    memcpy(&x, p, sizeof x);
    uint64_t below_space = (x - BYTES8(0x20)) & ~x & BYTES8(0x80); /* exact for bytes below 0x80 */
    return !(x & BYTES8(0x80)) && !below_space && !ANY_ZERO8(x ^ BYTES8('"')) && !ANY_ZERO8(x ^ BYTES8('\\'));
}

/* Length of the longest valid UTF-8 prefix of s (RFC 3629: no overlongs, surrogates or > U+10FFFF);
 * *json_bytes gets the JSON text length of that prefix: quotes, escapes. */
static size_t utf8_valid_prefix(const unsigned char *s, size_t *json_bytes)
{
    const unsigned char *p = s, *end = s + strlen((const char *)s);
    size_t bytes = 2;
    for (;;) {
        for (; end - p >= 8 && plain_ascii8(p); p += 8) /* eight one-byte characters at a time */
            bytes += 8;
        for (unsigned e; (e = ascii_json_bytes[*p]) != 0; p++) /* ASCII, the common case */
            bytes += e;
        unsigned c = *p;
        size_t n = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (!n || (n == 2 && c < 0xc2) || (n == 4 && c > 0xf4))
            break; /* the terminator or an invalid lead byte */
        bool ok = true;
        for (size_t i = 1; i < n && ok; i++)
            ok = (p[i] & 0xc0) == 0x80;
        if (ok && n == 3)
            ok = !(c == 0xe0 && p[1] < 0xa0) && !(c == 0xed && p[1] >= 0xa0);
        if (ok && n == 4)
            ok = !(c == 0xf0 && p[1] < 0x90) && !(c == 0xf4 && p[1] >= 0x90);
        if (!ok)
            break;
        p += n;
        bytes += n;
    }
    *json_bytes = bytes;
    return (size_t)(p - s);
}

/* True when s is valid UTF-8; adds its JSON text length to *bytes. */
static bool utf8_counted(const char *s, size_t *bytes)
{
    size_t n = 0;
    bool ok = s[utf8_valid_prefix((const unsigned char *)s, &n)] == '\0';
    *bytes += n;
    return ok;
}

/* Appends s to buf (at *len, capacity cap) with bytes that are not printable ASCII shown as '?'. */
static void put_clean(char *buf, size_t cap, size_t *len, const char *s)
{
    for (; *s && *len + 1 < cap; s++)
        buf[(*len)++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    buf[*len] = '\0';
}

/* "spec.containers[0].name" for the chain ending at f (key = a member of f's node not yet in the chain). */
static void format_path(const frame *f, const char *key, char *buf, size_t cap)
{
    const frame *chain[PATH_SHOWN];
    size_t n = 0, total = 0;
    for (const frame *p = f; p && p->up; p = p->up, total++)
        if (n < PATH_SHOWN)
            chain[n++] = p;
    size_t len = 0;
    buf[0] = '\0';
    if (total > n)
        put_clean(buf, cap, &len, "...");
    bool dot = false; /* a member name follows something it must be separated from */
    for (size_t i = n; i-- > 0;) {
        char idx[24];
        if (chain[i]->in_array) {
            snprintf(idx, sizeof idx, "[%zu]", chain[i]->index);
            put_clean(buf, cap, &len, idx);
        } else {
            put_clean(buf, cap, &len, dot ? "." : "");
            put_clean(buf, cap, &len, chain[i]->node->string);
        }
        dot = true;
    }
    if (key) {
        put_clean(buf, cap, &len, dot ? "." : "");
        put_clean(buf, cap, &len, key);
    }
}

static int fail(walk *w, int code, const frame *f, const char *key, const char *reason, const char *what)
{
    char path[512];
    format_path(f, key, path, sizeof path);
    rc_error_set(w->err, code, "%s: %s", path[0] ? path : "<object>", what);
    rc_error_add_cause(w->err, path, reason, "%s", what);
    return code;
}

static int check_duplicates(walk *w, const frame *f, const cJSON *obj, size_t count)
{
    if (count <= SMALL_OBJECT) {
        for (const cJSON *a = obj->child; a; a = a->next)
            for (const cJSON *b = a->next; b; b = b->next)
                if (a->string[0] == b->string[0] && !strcmp(a->string, b->string))
                    return fail(w, RC_EBADREQUEST, f, a->string, "FieldValueDuplicate",
                                "duplicate field: the key is given more than once");
        return 0;
    }
    rci_map seen;
    rci_map_init(&seen);
    int rc = rci_map_reserve(&seen, count) ? 0 : rc_error_set(w->err, RC_ENOMEM, "out of memory");
    for (const cJSON *a = obj->child; a && rc == 0; a = a->next) {
        void *old = NULL;
        if (rci_map_put(&seen, a->string, (void *)a, &old) != 0)
            rc = rc_error_set(w->err, RC_ENOMEM, "out of memory");
        else if (old)
            rc = fail(w, RC_EBADREQUEST, f, a->string, "FieldValueDuplicate",
                      "duplicate field: the key is given more than once");
    }
    rci_map_free(&seen);
    return rc;
}

static int check_node(walk *w, const frame *f, size_t depth)
{
    const cJSON *node = f->node;
    int type = node->type & 0xFF;
    if (type == cJSON_String) {
        if (!node->valuestring || !utf8_counted(node->valuestring, &w->bytes))
            return fail(w, RC_EBADREQUEST, f, NULL, "FieldValueInvalid", "Invalid value: the string is not valid UTF-8");
        return 0;
    }
    if (type != cJSON_Object && type != cJSON_Array) {
        w->bytes += type == cJSON_Number ? 24 : 5;
        return 0;
    }
    if (depth >= RCI_MAX_OBJECT_DEPTH) {
        char what[64];
        snprintf(what, sizeof what, "nesting deeper than %u levels", RCI_MAX_OBJECT_DEPTH);
        return fail(w, RC_EBADREQUEST, f, NULL, "FieldValueInvalid", what);
    }
    bool object = type == cJSON_Object;
    size_t count = 0;
    w->bytes += 2;
    for (const cJSON *c = node->child; c; c = c->next, count++) {
        if (object && !c->string)
            return fail(w, RC_EBADREQUEST, f, NULL, "FieldValueInvalid", "Invalid value: a member without a key");
        w->bytes += count ? 1 : 0;
        if (object && !utf8_counted(c->string, &w->bytes))
            return fail(w, RC_EBADREQUEST, f, c->string, "FieldValueInvalid", "Invalid value: the key is not valid UTF-8");
        w->bytes += object ? 1 : 0;
        frame child = {.up = f, .node = c, .index = count, .in_array = !object};
        int rc = check_node(w, &child, depth + 1);
        if (rc != 0)
            return rc;
        if (w->bytes > RCI_MAX_OBJECT_BYTES)
            return RC_ETOOLARGE; /* reported once, by the top level */
    }
    return object ? check_duplicates(w, f, node, count) : 0;
}

int rci_limits_check(const cJSON *tree, rc_error *err)
{
    if (!tree)
        return 0;
    walk w = {.err = err};
    frame top = {.node = tree};
    int rc = check_node(&w, &top, 0);
    if (rc != RC_ETOOLARGE)
        return rc;
    const char *largest = NULL;
    size_t largest_bytes = 0;
    for (const cJSON *c = tree->child; c; c = c->next) {
        walk part = {.err = NULL};
        frame f = {.up = &top, .node = c};
        check_node(&part, &f, 1);
        if (c->string && part.bytes > largest_bytes) {
            largest = c->string;
            largest_bytes = part.bytes;
        }
    }
    rc_error_set(err, RC_ETOOLARGE, "Request entity too large: limit is %u (the largest field is %s)",
                 RCI_MAX_OBJECT_BYTES, largest ? largest : "the object");
    rc_error_add_cause(err, largest ? largest : "", "FieldValueTooLong", "must have at most %u bytes",
                       RCI_MAX_OBJECT_BYTES);
    return RC_ETOOLARGE;
}
