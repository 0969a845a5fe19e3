/* validate.h - internal toolkit shared by the embedded API server's validation files (validate*.c): a
 * validation context holding the current field path and the collected field errors, the upstream field
 * error constructors (Required, Invalid, Unsupported, Duplicate, Forbidden, ...), JSON accessors and the
 * per-kind validators each file provides to the dispatcher in validate.c. */
#ifndef RC_APISERVER_VALIDATE_H
#define RC_APISERVER_VALIDATE_H

#include <cjson/cJSON.h>
#include <reconcile/common.h>
#include <reconcile/registry.h>
#include <reconcile/values.h>

#define RCI_PATH_MAX 512

/* One field error, as apimachinery's field.Error: path, cause type and the rendered body
 * ("Invalid value: -1: must be greater than or equal to 0"). */
typedef struct rci_field_error {
    char *field;
    const char *type; /* "FieldValueInvalid", ... (static) */
    char *body;
} rci_field_error;

/* The validation context: the path of the node being validated and the errors so far. */
typedef struct rci_vctx {
    char path[RCI_PATH_MAX];
    size_t len;
    rci_field_error *errs;
    size_t nerrs, cap;
    bool oom;
} rci_vctx;

void rci_vctx_init(rci_vctx *v, const char *root);
void rci_vctx_free(rci_vctx *v);
/* Enters a child: ".name" (or "name" at the root) or "[i]"; returns the length to restore with
 * rci_vctx_pop. */
size_t rci_vctx_push(rci_vctx *v, const char *child);
size_t rci_vctx_push_index(rci_vctx *v, size_t i);
size_t rci_vctx_push_key(rci_vctx *v, const char *key); /* "[key]", as field.Path.Key */
void rci_vctx_pop(rci_vctx *v, size_t mark);

/* Field errors at the current path plus `child` (NULL = the current path itself). Details are printf
 * formats; NULL or "" means none. Bad values are JSON nodes rendered as Go's %v/%q would print them. */
void rci_v_required(rci_vctx *v, const char *child, const char *detail);
void rci_v_forbidden(rci_vctx *v, const char *child, const char *detail);
void rci_v_invalid(rci_vctx *v, const char *child, const cJSON *bad, const char *fmt, ...)
    RC_PRINTF(4, 5);
/* Invalid with a bad value already rendered (e.g. a string quoted by the caller, an int, a Go map). */
void rci_v_invalid_raw(rci_vctx *v, const char *child, const char *rendered, const char *fmt, ...)
    RC_PRINTF(4, 5);
void rci_v_invalid_str(rci_vctx *v, const char *child, const char *bad, const char *fmt, ...)
    RC_PRINTF(4, 5);
void rci_v_invalid_int(rci_vctx *v, const char *child, long long bad, const char *fmt, ...) RC_PRINTF(4, 5);
/* Unsupported value: supported is a NULL-terminated list, printed quoted in the given order. */
void rci_v_not_supported(rci_vctx *v, const char *child, const cJSON *bad, const char *const *supported);
void rci_v_duplicate(rci_vctx *v, const char *child, const cJSON *bad);
void rci_v_not_found(rci_vctx *v, const char *child, const cJSON *bad);
void rci_v_too_long(rci_vctx *v, const char *child, const char *detail);
/* "Invalid value: \"string\": spec.x in body must be of type integer: \"string\"" (FieldValueTypeInvalid). */
void rci_v_type(rci_vctx *v, const char *child, const cJSON *bad, const char *want);
/* Appends an error whose type and body the caller already has (e.g. from rc_validate_label_key). */
void rci_v_add(rci_vctx *v, const char *field, const char *type, const char *body);

/* Turns the collected errors into err: RC_EINVAL with "<Kind>[.group] \"name\" is invalid: ..." and one
 * cause per error. Returns 0 when there are none (err untouched). */
int rci_vctx_finish(rci_vctx *v, const rc_resource_info *ri, const char *name, rc_error *err);

/* Renders a JSON value as Go's fmt would print the decoded Go value (%q strings, %v numbers, "null"). */
char *rci_go_value(const cJSON *value);
/* Appends s Go-quoted (%q) to a malloc'd string; returns a new string or NULL on allocation failure. */
char *rci_go_quote(const char *s);
/* A labels map as Go's %#v prints map[string]string: map[string]string{"a":"b"} or (nil). */
char *rci_go_string_map(const cJSON *map);

/* ---- JSON accessors (NULL when absent or of another type) ---- */
const cJSON *rci_obj(const cJSON *o, const char *key);  /* an object member */
const cJSON *rci_arr(const cJSON *o, const char *key);  /* an array member */
const char *rci_str(const cJSON *o, const char *key);   /* a string member */
const cJSON *rci_num(const cJSON *o, const char *key);  /* a number member */
/* True and *out set when o[key] is an integral number. */
bool rci_int(const cJSON *o, const char *key, long long *out);

/* ---- name and value rules ---- */
/* The upstream messages (NULL when valid) for DNS-1123 labels/subdomains, DNS-1035 labels, C identifiers
 * (env var names) and path segment names (RBAC). Static strings. */
const char *rci_dns1123_label_error(const char *s);
const char *rci_dns1123_subdomain_error(const char *s);
const char *rci_dns1035_label_error(const char *s);
const char *rci_path_segment_error(const char *s);
/* Validates a field holding a DNS label / subdomain, adding errors at child. */
void rci_v_dns_label(rci_vctx *v, const char *child, const char *value);
void rci_v_dns_subdomain(rci_vctx *v, const char *child, const char *value);
/* Validates a qualified name ("prefix/name": label keys, annotation keys, finalizers) at child. */
void rci_v_qualified_name(rci_vctx *v, const char *child, const char *key);
/* Validates a labels map at child (keys qualified names, values label values). */
void rci_v_labels(rci_vctx *v, const char *child, const cJSON *labels);
/* Validates a LabelSelector at child (the path of the selector node); true when syntactically valid. */
bool rci_v_label_selector(rci_vctx *v, const char *child, const cJSON *selector);
/* True when selector (valid, non-empty LabelSelector) matches the labels map. */
bool rci_selector_matches_labels(const cJSON *selector, const cJSON *labels);
/* NULL when a resource quantity (string or number) is well-formed (its value stored in *out when out is
 * not NULL), else upstream's error text. */
const char *rci_quantity_error(const cJSON *q, rc_quantity *out);
/* A non-negative integer field (int32 bound) at child; `required` adds Required when absent. */
void rci_v_nonneg(rci_vctx *v, const cJSON *parent, const char *child, bool required);
/* Whether s (may be NULL: false) is one of the NULL-terminated list. */
bool rci_in_list(const char *s, const char *const *list);
/* An optional enum-valued string member: Unsupported value at key when set and not in `allowed`. */
void rci_v_enum(rci_vctx *v, const cJSON *parent, const char *key, const char *const *allowed);
/* Compares two JSON values structurally (object key order ignored); null counts as absent. */
bool rci_json_equivalent(const cJSON *a, const cJSON *b);
/* Adds "field is immutable" at child when old and new values differ. */
void rci_v_immutable(rci_vctx *v, const char *child, const cJSON *now, const cJSON *old);

/* ---- per-kind validators (validate_*.c), called with the path at the root ---- */
void rci_validate_object_meta(rci_vctx *v, const rc_resource_info *ri, const cJSON *obj, const cJSON *old);
void rci_validate_pod_template(rci_vctx *v, const cJSON *template_, const char *const *restart_policies);
void rci_validate_pod_spec(rci_vctx *v, const cJSON *spec, const char *const *restart_policies);
void rci_validate_pod(rci_vctx *v, const cJSON *obj, const cJSON *old);
void rci_validate_deployment(rci_vctx *v, const cJSON *obj, const cJSON *old);
void rci_validate_replicaset(rci_vctx *v, const cJSON *obj, const cJSON *old);
void rci_validate_statefulset(rci_vctx *v, const cJSON *obj, const cJSON *old);
void rci_validate_daemonset(rci_vctx *v, const cJSON *obj, const cJSON *old);
void rci_validate_job(rci_vctx *v, const cJSON *obj, const cJSON *old);
void rci_validate_cronjob(rci_vctx *v, const cJSON *obj, const cJSON *old);
void rci_validate_service(rci_vctx *v, const cJSON *obj, const cJSON *old);
void rci_validate_configmap(rci_vctx *v, const cJSON *obj, const cJSON *old);
void rci_validate_secret(rci_vctx *v, const cJSON *obj, const cJSON *old);
void rci_validate_rbac_role(rci_vctx *v, const cJSON *obj, const cJSON *old);
void rci_validate_rbac_binding(rci_vctx *v, const cJSON *obj, const cJSON *old);
void rci_validate_pvc(rci_vctx *v, const cJSON *obj, const cJSON *old);
void rci_validate_crd(rci_vctx *v, const cJSON *obj, const cJSON *old);
/* Checks that an openAPIV3Schema node is well-formed (known types, compilable patterns, items for
 * arrays), adding errors under the current path (crd_schema.c). */
void rci_crd_check_schema(rci_vctx *v, const cJSON *schema);

#endif
