/* patch.h - the four ways an object is patched: JSON patch (RFC 6902), JSON merge patch (RFC 7386),
 * Kubernetes strategic merge patch, and the three-way merge kubectl's client-side apply computes.
 *
 * Every function works on cJSON trees it only borrows: the document and the patch are never modified, the
 * result is a NEW tree the caller frees with cJSON_Delete(). A patch that fails changes nothing: the call
 * returns NULL and fills err (when not NULL) with a message naming the operation or field at fault.
 * All functions are reentrant and thread-safe (they share only constant tables). */
#ifndef RECONCILE_PATCH_H
#define RECONCILE_PATCH_H

#include "common.h"
#include <cjson/cJSON.h>

/* Patch types, as named by the PATCH request's Content-Type. */
typedef enum rc_patch_type {
    RC_PATCH_JSON = 1,      /* application/json-patch+json (RFC 6902) */
    RC_PATCH_MERGE = 2,     /* application/merge-patch+json (RFC 7386) */
    RC_PATCH_STRATEGIC = 3, /* application/strategic-merge-patch+json */
    RC_PATCH_APPLY = 4      /* application/apply-patch+yaml (server-side apply; the API server's job) */
} rc_patch_type;

/* The annotation client-side apply keeps the last applied manifest in. */
#define RC_LAST_APPLIED_ANNOTATION "kubectl.kubernetes.io/last-applied-configuration"

/* The rc_patch_type for a Content-Type header value (parameters such as "; charset=utf-8" and case are
 * ignored), or RC_EUNSUPPORTED (415) for anything else, including NULL. */
RC_API int rc_patch_type_from_content_type(const char *content_type);
/* The Content-Type for a patch type (static string), or NULL for an unknown value. */
RC_API const char *rc_patch_type_content_type(int type);

/* RFC 6902: applies the operations of patch (an array) to doc, in order, all or nothing. Supports add,
 * remove, replace, move, copy and test with JSON pointers (RFC 6901: "~0", "~1", "-" to append).
 * Errors: RC_EBADREQUEST when patch is not an array; RC_EINVAL (422, as kube-apiserver answers) when an
 * operation is malformed or fails, e.g. "operation 2 (replace /spec/x): path not found", or when doc or
 * patch nests deeper than RC_OBJECT_MAX_DEPTH (as do the other patch and apply functions). */
RC_API cJSON *rc_patch_json(const cJSON *doc, const cJSON *patch, rc_error *err);

/* RFC 7386: objects merge recursively, null deletes a member, anything else replaces. A patch that is not
 * an object replaces the document. doc may be NULL (treated as absent). Errors: RC_EBADREQUEST for a NULL
 * patch, RC_ENOMEM. */
RC_API cJSON *rc_patch_merge(const cJSON *doc, const cJSON *patch, rc_error *err);

/* True when api_version/kind is a built-in kind whose strategic-merge metadata libreconcile knows. */
RC_API bool rc_patch_strategic_supported(const char *api_version, const char *kind);

/* Kubernetes strategic merge patch of doc (an object) with patch (an object), using the merge keys and
 * strategies of api_version/kind (upstream's patchStrategy/patchMergeKey struct tags): lists such as
 * containers merge by key, "merge" lists of scalars form a set union, other lists are replaced, null
 * deletes. Directives: "$patch": replace|delete|merge, "$retainKeys", "$setElementOrder/<list>",
 * "$deleteFromPrimitiveList/<list>". api_version/kind NULL: taken from doc. Errors: RC_EUNSUPPORTED (415)
 * for kinds without strategic-merge metadata (CRDs: use rc_patch_merge), RC_EBADREQUEST for malformed
 * patches (bad directive, missing merge key, wrong types), RC_ENOMEM. */
RC_API cJSON *rc_patch_strategic(const cJSON *doc, const cJSON *patch, const char *api_version,
                                 const char *kind, rc_error *err);

/* Applies a patch of the given rc_patch_type to doc (RC_PATCH_APPLY is refused with RC_EUNSUPPORTED). */
RC_API cJSON *rc_patch_apply(int type, const cJSON *doc, const cJSON *patch, const char *api_version,
                             const char *kind, rc_error *err);

/* ---- client-side apply (kubectl apply) ---- */

/* The "modified configuration" kubectl apply sends: a copy of manifest whose last-applied annotation
 * holds the manifest itself (without that annotation) as compact JSON with sorted keys and a final
 * newline, byte for byte as kubectl writes it. Errors: RC_EBADREQUEST if manifest is not an object. */
RC_API cJSON *rc_apply_annotate(const cJSON *manifest, rc_error *err);

/* The last-applied configuration recorded on obj, parsed (caller owns). NULL with err->code 0 when obj
 * has no such annotation; NULL with RC_EBADREQUEST when the annotation is not a JSON object. */
RC_API cJSON *rc_apply_last_applied(const cJSON *obj, rc_error *err);

/* The patch kubectl apply computes from original (the last-applied configuration, or NULL when there is
 * none), modified (the new manifest, usually from rc_apply_annotate) and current (the live object): it
 * sets modified's fields that differ from current, deletes fields present in original but absent from
 * modified, and leaves fields only others set alone. For kinds with strategic-merge metadata the patch is
 * a strategic merge patch (with "$patch": delete, "$setElementOrder/...", "$deleteFromPrimitiveList/...",
 * "$retainKeys" as needed), otherwise a JSON merge patch; *patch_type (optional) receives which. An empty
 * object means "unchanged". api_version/kind NULL: taken from modified. Errors: RC_EBADREQUEST when an
 * argument is not an object or a merge list lacks its key, RC_ENOMEM. */
RC_API cJSON *rc_apply_compute_patch(const cJSON *original, const cJSON *modified, const cJSON *current,
                                     const char *api_version, const char *kind, int *patch_type,
                                     rc_error *err);

/* The object client-side apply produces: current patched with rc_apply_compute_patch()'s result. */
RC_API cJSON *rc_apply_three_way(const cJSON *original, const cJSON *modified, const cJSON *current,
                                 const char *api_version, const char *kind, rc_error *err);

#endif
