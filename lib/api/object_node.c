/* object_node.c - rc_node cursors: read any part of an object, frozen (packed) or draft (cJSON), through
 * one small value type. Each function switches on rc_node.form; packed lookups compare interned key ids. */
#include "api/object_internal.h"
#include "api/json_depth.h"

#include <math.h>
#include <string.h>

static rc_node from_cjson(const cJSON *c)
{
    rc_node n = {c, c ? RCI_FORM_CJSON : RCI_FORM_NONE, 0};
    return n;
}

static const cJSON *cj(rc_node n) { return n.form == RCI_FORM_CJSON ? n.p : NULL; }
static const uint8_t *pk(rc_node n) { return n.form == RCI_FORM_PACKED ? n.p : NULL; }

rc_node rc_node_from_cjson(const cJSON *item) { return from_cjson(item); }

rc_node rc_object_root(const rc_object *o)
{
    if (!o)
        return (rc_node){0};
    return o->frozen ? rci_node_packed(o->u.f.data) : from_cjson(o->u.d.root);
}

rc_node_type rc_node_kind(rc_node n)
{
    if (pk(n)) {
        static const rc_node_type types[8] = {RC_NODE_NULL,   RC_NODE_BOOL,   RC_NODE_BOOL,  RC_NODE_NUMBER,
                                              RC_NODE_NUMBER, RC_NODE_STRING, RC_NODE_ARRAY, RC_NODE_OBJECT};
        return types[*pk(n) & 7];
    }
    const cJSON *c = cj(n);
    if (!c)
        return RC_NODE_NONE;
    if (cJSON_IsObject(c))
        return RC_NODE_OBJECT;
    if (cJSON_IsArray(c))
        return RC_NODE_ARRAY;
    if (cJSON_IsString(c))
        return RC_NODE_STRING;
    if (cJSON_IsNumber(c))
        return RC_NODE_NUMBER;
    if (cJSON_IsBool(c))
        return RC_NODE_BOOL;
    return cJSON_IsNull(c) ? RC_NODE_NULL : RC_NODE_NONE;
}

bool rc_node_exists(rc_node n) { return rc_node_kind(n) != RC_NODE_NONE; }

rc_node rci_node_getn(rc_node n, const char *key, size_t len)
{
    if (!key)
        return (rc_node){0};
    if (pk(n))
        return rci_node_packed((*pk(n) & 7) == RCI_T_OBJECT ? rci_packed_get(pk(n), key, len) : NULL);
    const cJSON *c = cj(n);
    if (!cJSON_IsObject(c))
        return (rc_node){0};
    for (const cJSON *m = c->child; m; m = m->next)
        if (m->string && strncmp(m->string, key, len) == 0 && m->string[len] == '\0')
            return from_cjson(m);
    return (rc_node){0};
}

rc_node rc_node_get(rc_node n, const char *key) { return key ? rci_node_getn(n, key, strlen(key)) : (rc_node){0}; }

rc_node rci_node_get_id(rc_node n, uint32_t id)
{
    if (pk(n))
        return rci_node_packed((*pk(n) & 7) == RCI_T_OBJECT ? rci_packed_get_id(pk(n), id) : NULL);
    size_t len;
    const char *key = rci_intern_str(id, &len);
    return rci_node_getn(n, key, len);
}

rc_node rc_node_index(rc_node n, size_t i)
{
    if (pk(n)) {
        if ((*pk(n) & 7) != RCI_T_ARRAY)
            return (rc_node){0};
        size_t count;
        const uint8_t *e = rci_packed_body(pk(n), &count);
        if (i >= count)
            return (rc_node){0};
        while (i--)
            e = rci_packed_skip(e);
        return rci_node_packed(e);
    }
    const cJSON *c = cj(n);
    if (!cJSON_IsArray(c))
        return (rc_node){0};
    const cJSON *e = c->child;
    while (e && i--)
        e = e->next;
    return from_cjson(e);
}

size_t rc_node_len(rc_node n)
{
    if (pk(n)) {
        unsigned t = *pk(n) & 7;
        size_t count = 0;
        if (t == RCI_T_ARRAY || t == RCI_T_OBJECT)
            rci_packed_body(pk(n), &count);
        return count;
    }
    const cJSON *c = cj(n);
    return cJSON_IsArray(c) || cJSON_IsObject(c) ? (size_t)cJSON_GetArraySize(c) : 0;
}

/* Member i of an object node: key and value (packed or cJSON); false when out of range. */
static bool member_at(rc_node n, size_t i, const char **key, rc_node *value)
{
    if (pk(n)) {
        if ((*pk(n) & 7) != RCI_T_OBJECT)
            return false;
        size_t count, klen;
        const uint8_t *m = rci_packed_body(pk(n), &count);
        if (i >= count)
            return false;
        for (;; i--) {
            const uint8_t *v = rci_packed_member(m, key, &klen);
            if (!i) {
                *value = rci_node_packed(v);
                return true;
            }
            m = rci_packed_skip(v);
        }
    }
    const cJSON *c = cj(n);
    if (!cJSON_IsObject(c))
        return false;
    const cJSON *m = c->child;
    while (m && i--)
        m = m->next;
    if (!m)
        return false;
    *key = m->string;
    *value = from_cjson(m);
    return true;
}

const char *rc_node_key_at(rc_node n, size_t i)
{
    const char *key = NULL;
    rc_node v;
    return member_at(n, i, &key, &v) ? key : NULL;
}

rc_node rc_node_value_at(rc_node n, size_t i)
{
    const char *key;
    rc_node v = {0};
    return member_at(n, i, &key, &v) ? v : (rc_node){0};
}

bool rci_path_next(const char **path, const char **seg, size_t *len, bool *bad)
{
    const char *p = *path;
    if (!p || !*p)
        return false;
    const char *dot = strchr(p, '.');
    *seg = p;
    *len = dot ? (size_t)(dot - p) : strlen(p);
    *path = dot ? dot + 1 : p + *len;
    if (*len == 0 || (dot && !dot[1])) {
        *bad = true;
        return false;
    }
    return true;
}

long rci_path_index(const char *seg, size_t len)
{
    if (len == 0 || len > 9)
        return -1;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (seg[i] < '0' || seg[i] > '9')
            return -1;
        v = v * 10 + (seg[i] - '0');
    }
    return v;
}

rc_node rc_node_at(rc_node n, const char *path)
{
    const char *seg;
    size_t len;
    bool bad = false;
    while (rc_node_exists(n) && rci_path_next(&path, &seg, &len, &bad)) {
        if (rc_node_kind(n) == RC_NODE_ARRAY) {
            long i = rci_path_index(seg, len);
            n = i < 0 ? (rc_node){0} : rc_node_index(n, (size_t)i);
        } else {
            n = rci_node_getn(n, seg, len);
        }
    }
    return bad ? (rc_node){0} : n;
}

rc_node rc_object_at(const rc_object *o, const char *path)
{
    return path ? rc_node_at(rc_object_root(o), path) : (rc_node){0};
}

const char *rc_node_str(rc_node n)
{
    if (pk(n))
        return (*pk(n) & 7) == RCI_T_STRING ? rci_packed_str(pk(n), NULL) : NULL;
    const cJSON *c = cj(n);
    return cJSON_IsString(c) ? c->valuestring : NULL;
}

double rc_node_num(rc_node n, double def)
{
    if (pk(n)) {
        unsigned t = *pk(n) & 7;
        if (t == RCI_T_INT)
            return (double)rci_packed_int(pk(n));
        return t == RCI_T_DOUBLE ? rci_packed_double(pk(n)) : def;
    }
    const cJSON *c = cj(n);
    return cJSON_IsNumber(c) ? c->valuedouble : def;
}

static int64_t double_to_int(double d)
{
    if (isnan(d))
        return 0;
    if (d >= 9223372036854775807.0)
        return INT64_MAX;
    if (d <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)d;
}

int64_t rc_node_int(rc_node n, int64_t def)
{
    if (pk(n)) {
        unsigned t = *pk(n) & 7;
        if (t == RCI_T_INT)
            return rci_packed_int(pk(n));
        return t == RCI_T_DOUBLE ? double_to_int(rci_packed_double(pk(n))) : def;
    }
    const cJSON *c = cj(n);
    return cJSON_IsNumber(c) ? double_to_int(c->valuedouble) : def;
}

bool rc_node_bool(rc_node n, bool def)
{
    if (pk(n)) {
        unsigned t = *pk(n) & 7;
        return t == RCI_T_TRUE ? true : t == RCI_T_FALSE ? false : def;
    }
    const cJSON *c = cj(n);
    return cJSON_IsBool(c) ? cJSON_IsTrue(c) : def;
}

cJSON *rc_node_to_cjson(rc_node n)
{
    if (pk(n))
        return rci_unpack(pk(n));
    return cj(n) && rci_cjson_depth_ok(cj(n)) ? cJSON_Duplicate(cj(n), true) : NULL;
}

const char *rc_object_get_str(const rc_object *o, const char *path) { return rc_node_str(rc_object_at(o, path)); }

int64_t rc_object_get_int(const rc_object *o, const char *path, int64_t def)
{
    return rc_node_int(rc_object_at(o, path), def);
}

bool rc_object_get_bool(const rc_object *o, const char *path, bool def)
{
    return rc_node_bool(rc_object_at(o, path), def);
}

/* Packed strings may hold NUL bytes, so compare by length when both sides know it. */
static bool str_equal(rc_node a, rc_node b)
{
    size_t la, lb;
    const char *sa = pk(a) ? rci_packed_str(pk(a), &la) : rc_node_str(a);
    const char *sb = pk(b) ? rci_packed_str(pk(b), &lb) : rc_node_str(b);
    if (!pk(a))
        la = strlen(sa);
    if (!pk(b))
        lb = strlen(sb);
    return la == lb && memcmp(sa, sb, la) == 0;
}

bool rci_node_equal(rc_node a, rc_node b)
{
    rc_node_type t = rc_node_kind(a);
    if (t != rc_node_kind(b))
        return false;
    switch (t) {
    case RC_NODE_NONE:
    case RC_NODE_NULL:
        return true;
    case RC_NODE_BOOL:
        return rc_node_bool(a, false) == rc_node_bool(b, false);
    case RC_NODE_NUMBER:
        return rc_node_num(a, 0) == rc_node_num(b, 0) && rc_node_int(a, 0) == rc_node_int(b, 0);
    case RC_NODE_STRING:
        return str_equal(a, b);
    case RC_NODE_ARRAY: {
        size_t n = rc_node_len(a);
        if (n != rc_node_len(b))
            return false;
        for (size_t i = 0; i < n; i++)
            if (!rci_node_equal(rc_node_index(a, i), rc_node_index(b, i)))
                return false;
        return true;
    }
    case RC_NODE_OBJECT: {
        size_t n = rc_node_len(a);
        if (n != rc_node_len(b))
            return false;
        for (size_t i = 0; i < n; i++) {
            const char *key;
            rc_node va;
            member_at(a, i, &key, &va);
            if (!rci_node_equal(va, rc_node_get(b, key)))
                return false;
        }
        return true;
    }
    }
    return false;
}
