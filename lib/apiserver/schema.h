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

/* Decoding as kube-apiserver does before anything else: 0 when every known field has the right JSON type,
 * else RC_EBADREQUEST for the first wrong one (document order), e.g. `Deployment in version "v1" cannot be
 * handled as a Deployment: json: cannot unmarshal string into Go struct field Deployment.spec.replicas of
 * type integer`, with one FieldValueTypeInvalid cause naming the field path. Upstream names the innermost
 * Go struct and Go type (DeploymentSpec.spec.replicas, int32); this names the kind and the JSON type.
 * Unknown fields are ignored here. old: the stored object an update replaces, or NULL; a top-level member
 * equal to old's passed this check when old was written and is not walked again. Thread-safe. */
int rci_apiserver_decode_check(const rc_resource_info *ri, const cJSON *obj, const cJSON *old, rc_error *err);

#endif
