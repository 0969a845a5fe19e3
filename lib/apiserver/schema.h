/* schema.h - the known fields and JSON types of the built-in kinds (schema_table.c), used for strict field
 * validation (unknown fields, as kube-apiserver's strict decoding reports them) and for type checks before
 * semantic validation. Kinds without an entry (custom resources) are not checked here. */
#ifndef RC_APISERVER_SCHEMA_H
#define RC_APISERVER_SCHEMA_H

#include <cjson/cJSON.h>
#include <reconcile/common.h>
#include <reconcile/registry.h>

#include "apiserver/validate.h"

/* Strict decoding: 0 when every field of obj is known for its kind, else RC_EBADREQUEST with upstream's
 * message, e.g. `Service in version "v1" cannot be handled as a Service: strict decoding error: unknown
 * field "spec.clusterIp"` (all unknown fields, in document order, each also a cause with reason
 * FieldValueUnknown). Thread-safe (reads static data only). */
int rci_apiserver_unknown_fields(const rc_resource_info *ri, const cJSON *obj, rc_error *err);

/* Adds a FieldValueTypeInvalid error to v for every known field whose JSON type is wrong (a string for
 * spec.replicas, an array for roleRef, ...). Unknown fields are ignored here. */
void rci_schema_check_types(const rc_resource_info *ri, const cJSON *obj, rci_vctx *v);

#endif
