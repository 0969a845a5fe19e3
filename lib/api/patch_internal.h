/* patch_internal.h - what the patch files share: the strategic-merge schema table (patch_mergekeys.c),
 * JSON value helpers and the merge-patch core (patch_merge.c) used by client-side apply (apply.c). */
#ifndef RC_API_PATCH_INTERNAL_H
#define RC_API_PATCH_INTERNAL_H

#include <reconcile/patch.h>
#include <stdbool.h>
#include <stddef.h>

/* Patch strategies of a field (upstream's patchStrategy struct tag). */
enum {
    RCI_SMP_MERGE = 1,       /* "merge": lists merge by key (objects) or as a set (scalars) */
    RCI_SMP_RETAIN_KEYS = 2, /* "retainKeys": diffs carry a $retainKeys directive */
    RCI_SMP_REPLACE = 4      /* "replace": the value is replaced whole */
};

typedef struct rci_smp_type rci_smp_type;

/* One field with strategic-merge metadata. Fields absent from a type's table are plain: objects merge
 * recursively without metadata below them, lists are replaced. */
typedef struct rci_smp_field {
    const char *name;
    const rci_smp_type *type; /* the value's type (objects) or the element type (lists); NULL if plain */
    unsigned strategy;        /* RCI_SMP_* bits */
    const char *merge_key;    /* lists of objects: the key identifying an element (patchMergeKey) */
} rci_smp_field;

struct rci_smp_type {
    const char *name;
    const rci_smp_field *fields;
    size_t nfields;
};

/* The root type of a built-in kind, or NULL when the kind has no strategic-merge metadata. */
const rci_smp_type *rci_smp_kind_type(const char *api_version, const char *kind);
/* The metadata of field `name` in t (t may be NULL), or NULL for a plain field. */
const rci_smp_field *rci_smp_field_lookup(const rci_smp_type *t, const char *name);

/* Directive names of strategic merge patch. */
#define RCI_SMP_DIRECTIVE "$patch"
#define RCI_SMP_RETAIN_KEYS_DIRECTIVE "$retainKeys"
#define RCI_SMP_SET_ORDER_PREFIX "$setElementOrder/"
#define RCI_SMP_DELETE_PRIMITIVE_PREFIX "$deleteFromPrimitiveList/"

/* Equality of two JSON values as Go's == on decoded interface{} values: scalars compare by type and value
 * (numbers numerically); objects and arrays compare structurally (object key order ignored). */
bool rci_json_equal(const cJSON *a, const cJSON *b);
/* RFC 7386 merge of patch onto target (target may be NULL); a new tree, NULL on allocation failure. */
cJSON *rci_merge_patch_value(const cJSON *target, const cJSON *patch);

#endif
