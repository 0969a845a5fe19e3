/* hooks.h - internal contract between the embedded API server's request flow (storage.c, server.c ...)
 * and its per-kind rules (defaults.c, validation*.c, crd_schema.c). The request flow calls these on every
 * create and update, after admission mutation and before admission validation and storage. */
#ifndef RC_APISERVER_HOOKS_H
#define RC_APISERVER_HOOKS_H

#include <cjson/cJSON.h>
#include <reconcile/common.h>
#include <reconcile/registry.h>

/* Applies upstream's defaults for the object's kind to obj (mutated in place), e.g. Deployment replicas 1,
 * strategy RollingUpdate 25%/25%, pod restartPolicy Always. Unknown kinds are left alone. */
void rci_apiserver_default(const rc_resource_info *ri, cJSON *obj);

/* Validates obj for create (old == NULL) or update (old = the stored object). Returns 0, or RC_EINVAL with
 * err->message in upstream's form ("Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: -1:
 * must be greater than or equal to 0") and one cause per offending field path. Checks names, required
 * fields, enums, label/selector syntax, selector-matches-template, immutable fields on update. A field of the
 * wrong JSON type is a decode error first: RC_EBADREQUEST (400), see rci_apiserver_decode_check. */
int rci_apiserver_validate(const rc_resource_info *ri, const cJSON *obj, const cJSON *old, rc_error *err);

/* For a CustomResourceDefinition object: the openAPIV3Schema of `version` (borrowed from crd), or NULL. */
const cJSON *rci_crd_schema(const cJSON *crd, const char *version);
/* Validates a custom object against an openAPIV3Schema (type, required, properties, enum, minimum,
 * maximum, pattern, ...) and prunes unknown fields in place unless x-kubernetes-preserve-unknown-fields.
 * Returns 0 or RC_EINVAL with causes naming each field path. */
int rci_crd_validate_and_prune(const cJSON *schema, cJSON *obj, rc_error *err);

#endif
