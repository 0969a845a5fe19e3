/* template_hash.c - the pod-template-hash (upstream controller.ComputeHash, spec section 0.6): FNV-1a-32
 * over a canonical dump of the pod template (compact JSON with object keys sorted), then the collision
 * count, printed in decimal and mapped through the safe-encoding alphabet. Also the template equality
 * that ignores the hash label (upstream EqualIgnoreHash). */
#include "controllers/controller_utils.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void dump(rci_strbuf *b, const cJSON *v)
{
    if (cJSON_IsObject(v)) {
        size_t n = (size_t)cJSON_GetArraySize(v), i = 0;
        const char **keys = n ? malloc(n * sizeof *keys) : NULL;
        if (n && !keys) {
            b->failed = true;
            return;
        }
        for (const cJSON *c = v->child; c; c = c->next)
            keys[i++] = c->string;
        if (n > 1)
            qsort(keys, n, sizeof *keys, cmp_str_ptr);
        rci_strbuf_putc(b, '{');
        for (i = 0; i < n; i++) {
            if (i)
                rci_strbuf_putc(b, ',');
            rci_strbuf_json_string(b, keys[i]);
            rci_strbuf_putc(b, ':');
            dump(b, cJSON_GetObjectItemCaseSensitive(v, keys[i]));
        }
        rci_strbuf_putc(b, '}');
        free(keys);
    } else if (cJSON_IsArray(v)) {
        rci_strbuf_putc(b, '[');
        for (const cJSON *c = v->child; c; c = c->next) {
            if (c != v->child)
                rci_strbuf_putc(b, ',');
            dump(b, c);
        }
        rci_strbuf_putc(b, ']');
    } else if (cJSON_IsString(v)) {
        rci_strbuf_json_string(b, v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        rci_strbuf_printf(b, "%.17g", v->valuedouble);
    } else if (cJSON_IsBool(v)) {
        rci_strbuf_puts(b, cJSON_IsTrue(v) ? "true" : "false");
    } else {
        rci_strbuf_puts(b, "null");
    }
}

char *rci_canonical_json(const cJSON *v)
{
    rci_strbuf b;
    rci_strbuf_init(&b);
    dump(&b, v);
    if (b.failed) {
        rci_strbuf_free(&b);
        return NULL;
    }
    rci_strbuf_putc(&b, '\0');
    return rci_strbuf_take(&b);
}

static uint32_t fnv1a(uint32_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

int rci_template_hash(rc_node template_, const int64_t *collision_count, char out[16])
{
    static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    cJSON *t = rc_node_to_cjson(template_);
    if (!t)
        t = cJSON_CreateObject();
    char *text = t ? rci_canonical_json(t) : NULL;
    cJSON_Delete(t);
    if (!text)
        return RC_ENOMEM;
    uint32_t h = fnv1a(2166136261u, (const unsigned char *)text, strlen(text));
    free(text);
    if (collision_count) {
        uint32_t c = (uint32_t)*collision_count;
        unsigned char bytes[8] = {(unsigned char)c, (unsigned char)(c >> 8), (unsigned char)(c >> 16),
                                  (unsigned char)(c >> 24), 0, 0, 0, 0};
        h = fnv1a(h, bytes, sizeof bytes);
    }
    char digits[16];
    int len = snprintf(digits, sizeof digits, "%u", (unsigned)h);
    for (int i = 0; i < len; i++)
        out[i] = alphabet[(unsigned char)digits[i] % 27];
    out[len] = '\0';
    return 0;
}

/* A copy of a pod template without the hash label (NULL when absent or on allocation failure). */
static cJSON *without_hash(rc_node n)
{
    cJSON *t = rc_node_to_cjson(n);
    cJSON *labels = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(t, "metadata"), "labels");
    cJSON_DeleteItemFromObjectCaseSensitive(labels, RCI_POD_TEMPLATE_HASH);
    return t;
}

bool rci_templates_equal_ignore_hash(rc_node a, rc_node b)
{
    cJSON *ta = without_hash(a), *tb = without_hash(b);
    bool eq = ta && tb && cJSON_Compare(ta, tb, true);
    cJSON_Delete(ta);
    cJSON_Delete(tb);
    return eq;
}
