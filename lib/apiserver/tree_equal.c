/* tree_equal.c - rci_tree_equal: deep equality of two JSON trees for the write path (spec/generation
 * check, "nothing changed" check, update validation). cJSON_Compare looks every object member up by name
 * on both sides, so it compares each nested object twice per level; here members are paired in order,
 * and only objects whose keys are not in the same order fall back to a lookup by name. */
#include "apiserver/tree_equal.h"

#include <float.h>
#include <math.h>
#include <string.h>

#define TYPE_MASK 0xFF /* cJSON's flags (IsReference, StringIsConst) sit above the type bits */

static bool valid_type(int type)
{
    switch (type) {
    case cJSON_False:
    case cJSON_True:
    case cJSON_NULL:
    case cJSON_Number:
    case cJSON_String:
    case cJSON_Raw:
    case cJSON_Array:
    case cJSON_Object:
        return true;
    default:
        return false;
    }
}

/* cJSON_Compare's number rule: equal within DBL_EPSILON relative to the larger magnitude. */
static bool numbers_equal(double a, double b)
{
    double max = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return fabs(a - b) <= max * DBL_EPSILON;
}

static size_t member_count(const cJSON *o)
{
    size_t n = 0;
    for (const cJSON *m = o->child; m; m = m->next)
        n++;
    return n;
}

static const cJSON *member(const cJSON *o, const char *key)
{
    for (const cJSON *m = o->child; m; m = m->next)
        if (m->string && !strcmp(m->string, key))
            return m;
    return NULL;
}

/* Objects whose members are not in the same order: every member of a has an equal one in b, and b has
 * no others (keys are unique, so equal counts settle that). */
static bool objects_equal_by_name(const cJSON *a, const cJSON *b)
{
    if (member_count(a) != member_count(b))
        return false;
    for (const cJSON *x = a->child; x; x = x->next) {
        const cJSON *y = x->string ? member(b, x->string) : NULL;
        if (!y || !rci_tree_equal(x, y))
            return false;
    }
    return true;
}

static bool objects_equal(const cJSON *a, const cJSON *b)
{
    const cJSON *x = a->child, *y = b->child;
    for (; x && y; x = x->next, y = y->next) {
        if (!x->string || !y->string || strcmp(x->string, y->string))
            return objects_equal_by_name(a, b);
        if (!rci_tree_equal(x, y))
            return false;
    }
    return x == y; /* keys are unique: one side having more members means they differ */
}

bool rci_tree_equal(const cJSON *a, const cJSON *b)
{
    if (!a || !b || (a->type & TYPE_MASK) != (b->type & TYPE_MASK) || !valid_type(a->type & TYPE_MASK))
        return false;
    if (a == b)
        return true;
    switch (a->type & TYPE_MASK) {
    case cJSON_Number:
        return numbers_equal(a->valuedouble, b->valuedouble);
    case cJSON_String:
    case cJSON_Raw:
        return a->valuestring && b->valuestring && !strcmp(a->valuestring, b->valuestring);
    case cJSON_Array: {
        if (a->child == b->child) /* one array shared by reference (or both empty) */
            return true;
        const cJSON *x = a->child, *y = b->child;
        for (; x && y; x = x->next, y = y->next)
            if (!rci_tree_equal(x, y))
                return false;
        return x == y;
    }
    case cJSON_Object:
        return a->child == b->child || objects_equal(a, b); /* the same members: shared by reference */
    default:
        return true; /* false, true, null */
    }
}
