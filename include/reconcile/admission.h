/* admission.h - identities and the admission plugin contract of the embedded API server. Every request
 * carries an rc_user; plugins run in registration order, all mutating ones first, then all validating
 * ones, after defaulting and before validation/storage (as kube-apiserver's admission chain). */
#ifndef RECONCILE_ADMISSION_H
#define RECONCILE_ADMISSION_H

#include "common.h"
#include "registry.h"
#include <cjson/cJSON.h>

#define RC_MAX_USER_GROUPS 16

/* Who makes a request. A service account is name "system:serviceaccount:NS:NAME" with groups
 * "system:serviceaccounts", "system:serviceaccounts:NS" (and "system:authenticated"). */
typedef struct rc_user {
    const char *name;
    const char *groups[RC_MAX_USER_GROUPS]; /* NULL-terminated when fewer */
} rc_user;

typedef enum rc_admission_op {
    RC_ADMIT_CREATE,
    RC_ADMIT_UPDATE,
    RC_ADMIT_DELETE,
    RC_ADMIT_CONNECT
} rc_admission_op;

struct rc_client;

typedef struct rc_admission_request {
    rc_admission_op operation;
    const rc_resource_info *resource;
    const char *subresource; /* "" or "status", "scale" */
    const char *namespace_;  /* "" for cluster-scoped */
    const char *name;
    cJSON *object;           /* the incoming object: mutating plugins may edit it; NULL for DELETE */
    const cJSON *old_object; /* the stored object for UPDATE/DELETE, else NULL */
    const rc_user *user;
    bool dry_run;
    /* A client with system privileges on the same server, for reading other objects (e.g. a ConfigMap
     * holding a sidecar template, or the request's Namespace). Borrowed for the call. */
    struct rc_client *client;
} rc_admission_request;

/* A plugin. Either hook may be NULL. Returning non-zero (with err filled, typically RC_EFORBIDDEN or
 * RC_EINVAL) rejects the request; nothing is stored. */
typedef struct rc_admission_plugin {
    const char *name;
    int (*mutate)(void *ctx, rc_admission_request *req, rc_error *err);
    int (*validate)(void *ctx, const rc_admission_request *req, rc_error *err);
    void (*destroy)(void *ctx); /* called when the server is freed */
    void *ctx;
} rc_admission_plugin;

#endif
