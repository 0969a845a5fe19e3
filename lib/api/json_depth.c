/* json_depth.c - depth checks, capped copies and deletion for caller-built cJSON trees, all iterative so
 * that a tree of any depth is handled with a fixed amount of stack, and the O(1) append (see json_depth.h). */
#include "api/json_depth.h"

static bool is_container(const cJSON *v) { return cJSON_IsObject(v) || cJSON_IsArray(v); }

bool rci_cjson_depth_ok(const cJSON *v)
{
    if (!v)
        return true;
    const cJSON *parents[RC_OBJECT_MAX_DEPTH];
    size_t depth = 0; /* containers above c */
    const cJSON *c = v;
    for (;;) {
        if (is_container(c) && depth == RC_OBJECT_MAX_DEPTH)
            return false;
        if (is_container(c) && c->child) {
            parents[depth++] = c;
            c = c->child;
            continue;
        }
        for (;;) {
            if (!depth)
                return true;
            if (c->next) {
                c = c->next;
                break;
            }
            c = parents[--depth];
        }
    }
}

int rci_cjson_check_depth(const cJSON *v, const char *what, rc_error *err)
{
    if (rci_cjson_depth_ok(v))
        return 0;
    return rc_error_set(err, RC_EINVAL, "%s: nesting deeper than %u levels", what, RC_OBJECT_MAX_DEPTH);
}

static cJSON *copy_level(const cJSON *v, unsigned depth)
{
    cJSON *c = cJSON_Duplicate(v, false); /* the node alone, with its key: scalars whole, containers empty */
    if (!c || !is_container(v) || depth > RC_OBJECT_MAX_DEPTH)
        return c;
    cJSON *last = NULL;
    for (const cJSON *e = v->child; e; e = e->next) {
        cJSON *item = copy_level(e, depth + 1);
        if (!item) {
            cJSON_Delete(c);
            return NULL;
        }
        rci_cjson_append(c, &last, item); /* the key is already copied */
    }
    return c;
}

cJSON *rci_cjson_copy_capped(const cJSON *v) { return v ? copy_level(v, 1) : NULL; }

void rci_cjson_delete(cJSON *v)
{
    /* Splices each node's children into the chain right after it, then deletes the node alone. */
    while (v) {
        if (v->child && !(v->type & cJSON_IsReference)) {
            cJSON *last = v->child;
            while (last->next)
                last = last->next;
            last->next = v->next;
            v->next = v->child;
        }
        v->child = NULL;
        cJSON *next = v->next;
        v->next = NULL;
        cJSON_Delete(v);
        v = next;
    }
}

void rci_cjson_append(cJSON *c, cJSON **last, cJSON *item)
{
    if (*last) {
        (*last)->next = item;
        item->prev = *last;
    } else {
        c->child = item;
    }
    c->child->prev = item;
    *last = item;
}
