/* selector.h - label selectors (string syntax and LabelSelector objects) and field selectors, parsed once
 * into an immutable rc_selector / rc_field_selector that any number of threads may match concurrently. */
#ifndef RECONCILE_SELECTOR_H
#define RECONCILE_SELECTOR_H

#include "common.h"
#include "object.h"

typedef struct rc_selector rc_selector;

/* Parses "a=b,c!=d,e in (x,y),f notin (z),g,!h" (also "a==b"). "" selects everything. NULL + err
 * (RC_EBADREQUEST, message naming the offending requirement and its position) on bad input. */
RC_API rc_selector *rc_selector_parse(const char *text, rc_error *err);
/* From a LabelSelector JSON node {matchLabels, matchExpressions[{key, operator, values}]}. A NONE node
 * selects nothing (as upstream treats a nil selector); an empty object selects everything. err names the
 * field path under `field_prefix` (e.g. "spec.selector"). */
RC_API rc_selector *rc_selector_from_node(rc_node label_selector, const char *field_prefix, rc_error *err);
RC_API void rc_selector_free(rc_selector *s);
/* Matches a labels map node (an object of string values; NONE counts as no labels). */
RC_API bool rc_selector_matches(const rc_selector *s, rc_node labels);
RC_API bool rc_selector_matches_object(const rc_selector *s, const rc_object *o);
RC_API bool rc_selector_is_empty(const rc_selector *s);   /* selects everything */
RC_API bool rc_selector_is_nothing(const rc_selector *s); /* selects nothing */
/* Canonical string form (requirements sorted by key), malloc'd; caller frees. */
RC_API char *rc_selector_to_string(const rc_selector *s);
/* If the selector is exactly "key=value" (or has such a requirement), the value for key, else NULL;
 * lets stores use an index. Borrowed from the selector. */
RC_API const char *rc_selector_required_value(const rc_selector *s, const char *key);

/* Validation of label keys ("prefix/name") and values; RC_EINVAL with a message naming `field`. */
RC_API int rc_validate_label_key(const char *key, const char *field, rc_error *err);
RC_API int rc_validate_label_value(const char *value, const char *field, rc_error *err);

typedef struct rc_field_selector rc_field_selector;
/* Parses "metadata.name=x,spec.nodeName!=,status.phase==Running". NULL + RC_EBADREQUEST on bad syntax. */
RC_API rc_field_selector *rc_field_selector_parse(const char *text, rc_error *err);
RC_API void rc_field_selector_free(rc_field_selector *s);
/* Number of requirements, and requirement i's field path (borrowed), for checking supported fields. */
RC_API size_t rc_field_selector_count(const rc_field_selector *s);
RC_API const char *rc_field_selector_field(const rc_field_selector *s, size_t i);
/* Matches the object: each field path is read as a dotted path on the object (a missing field reads as
 * ""), booleans and numbers compare by their JSON text. */
RC_API bool rc_field_selector_matches(const rc_field_selector *s, const rc_object *o);
RC_API char *rc_field_selector_to_string(const rc_field_selector *s);

#endif
