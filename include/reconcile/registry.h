/* registry.h - the resource registry: kind <-> resource (group, version, plural, singular, short names,
 * scope, subresources) for the built-in kinds, extended at run time by CRDs. Thread-safe; the
 * rc_resource_info pointers it returns stay valid until the registry is freed. */
#ifndef RECONCILE_REGISTRY_H
#define RECONCILE_REGISTRY_H

#include "common.h"

#define RC_MAX_SHORT_NAMES 8

typedef struct rc_resource_info {
    const char *group;   /* "" for the core group */
    const char *version; /* "v1" */
    const char *kind;    /* "Deployment" */
    const char *list_kind; /* "DeploymentList" */
    const char *plural;  /* "deployments" */
    const char *singular; /* "deployment" */
    const char *short_names[RC_MAX_SHORT_NAMES]; /* NULL-terminated when fewer */
    bool namespaced;
    bool has_status;     /* status subresource */
    bool has_scale;      /* scale subresource */
    const char *categories; /* comma-separated, e.g. "all" or NULL */
} rc_resource_info;

typedef struct rc_registry rc_registry;

/* A registry holding the built-in kinds (see rc_registry(3) for the list). Caller frees. */
RC_API rc_registry *rc_registry_new(void);
RC_API void rc_registry_free(rc_registry *r);
/* Registers a kind (strings are copied). RC_EEXISTS when the group/plural or group/kind is taken with a
 * different definition (registering an identical one again is fine), RC_EINVAL for missing names. */
RC_API int rc_registry_add(rc_registry *r, const rc_resource_info *info, rc_error *err);
/* Unregisters a group/plural (a CRD deleted); earlier returned pointers stay valid. RC_ENOTFOUND if absent. */
RC_API int rc_registry_remove(rc_registry *r, const char *group, const char *plural);
/* By apiVersion ("apps/v1", "v1") and kind. NULL when unknown. */
RC_API const rc_resource_info *rc_registry_by_kind(rc_registry *r, const char *api_version, const char *kind);
/* By group and plural; version may be NULL to accept any served version. */
RC_API const rc_resource_info *rc_registry_by_resource(rc_registry *r, const char *group, const char *version,
                                                       const char *plural);
/* kubectl-style name resolution: plural, singular, short name or kind (case-insensitive), optionally
 * qualified as "plural.group" ("deployments.apps"). NULL when unknown or ambiguous. */
RC_API const rc_resource_info *rc_registry_lookup(rc_registry *r, const char *name);
/* Iteration over the registered kinds in registration order (built-ins first). */
RC_API size_t rc_registry_count(rc_registry *r);
RC_API const rc_resource_info *rc_registry_at(rc_registry *r, size_t i);
/* "apps/v1" or "v1" for info, written into buf; returns buf. */
RC_API const char *rc_resource_api_version(const rc_resource_info *info, char *buf, size_t cap);

#endif
