/* client.h - rc_client: one interface for talking to an API server, whether the embedded one in this
 * process (rc_apiserver_client) or a real one over HTTP. Controllers, reflectors and tools write against
 * rc_client only, so the same code runs in unit tests, in the simulation and against a cluster.
 *
 * Resources are named by string and resolved through the client's registry the way kubectl resolves them:
 * "pods", "pod", "po", "Pod", "deployments.apps", "deploy". Where a call takes an object, the resource may
 * be NULL and is then taken from the object's apiVersion and kind.
 *
 * Every client is reference counted (rc_client_ref/rc_client_unref) and thread-safe. */
#ifndef RECONCILE_CLIENT_H
#define RECONCILE_CLIENT_H

#include "common.h"
#include "listwatch.h"
#include "object.h"
#include "patch.h"
#include "registry.h"

typedef struct rc_client rc_client;

/* How the server treats fields it does not know (the fieldValidation query parameter). */
typedef enum rc_field_validation {
    RC_FIELD_VALIDATION_DEFAULT = 0, /* the server's default (Warn) */
    RC_FIELD_VALIDATION_IGNORE,
    RC_FIELD_VALIDATION_WARN,
    RC_FIELD_VALIDATION_STRICT
} rc_field_validation;

/* Options for create, update and patch. All strings borrowed; a zeroed struct (or NULL) means defaults. */
typedef struct rc_write_options {
    bool dry_run;                      /* run every check, store nothing */
    const char *field_manager;         /* recorded as the actor's manager; NULL = none */
    rc_field_validation field_validation;
    bool force;                        /* server-side apply: take ownership of conflicting fields */
    const char *subresource;           /* NULL or "" = the object itself; "status", "scale", "binding" */
} rc_write_options;

typedef enum rc_propagation {
    RC_PROPAGATION_DEFAULT = 0, /* the resource's default: Background */
    RC_PROPAGATION_BACKGROUND,
    RC_PROPAGATION_FOREGROUND, /* sets the foregroundDeletion finalizer */
    RC_PROPAGATION_ORPHAN      /* sets the orphan finalizer */
} rc_propagation;

/* Options for delete and deletecollection. Start from RC_DELETE_OPTIONS_INIT: grace_period_seconds -1
 * means "unset" (the object's own grace period), 0 means "now". */
typedef struct rc_delete_options {
    rc_propagation propagation;
    int64_t grace_period_seconds;
    const char *precondition_uid;              /* NULL = none */
    const char *precondition_resource_version; /* NULL = none */
    bool dry_run;
} rc_delete_options;

#define RC_DELETE_OPTIONS_INIT {RC_PROPAGATION_DEFAULT, -1, NULL, NULL, false}

/* ---- backends ----
 * A backend fills this table; `ri` is already resolved, `ns` is "" for cluster-scoped resources or an
 * all-namespaces list/watch, `subresource` is "" for the object itself. Returned objects are new
 * references for the caller. Every operation returns 0 or a negative RC_E* code with err filled. */
typedef struct rc_client_ops {
    int (*get)(void *ctx, const rc_resource_info *ri, const char *ns, const char *name, const char *subresource,
               rc_object **out, rc_error *err);
    int (*list)(void *ctx, const rc_resource_info *ri, const char *ns, const rc_list_options *opts,
                rc_object_list *out, rc_error *err);
    int (*create)(void *ctx, const rc_resource_info *ri, const char *ns, rc_object *obj,
                  const rc_write_options *opts, rc_object **out, rc_error *err);
    int (*update)(void *ctx, const rc_resource_info *ri, const char *ns, rc_object *obj,
                  const rc_write_options *opts, rc_object **out, rc_error *err);
    int (*patch)(void *ctx, const rc_resource_info *ri, const char *ns, const char *name, rc_patch_type type,
                 const char *data, size_t len, const rc_write_options *opts, rc_object **out, rc_error *err);
    /* *out (when out is not NULL) receives the object as it stands after the call: still present with a
     * deletionTimestamp (finalizers, grace period), or its final state when it was removed. */
    int (*delete_)(void *ctx, const rc_resource_info *ri, const char *ns, const char *name,
                   const rc_delete_options *opts, rc_object **out, rc_error *err);
    int (*delete_collection)(void *ctx, const rc_resource_info *ri, const char *ns,
                             const rc_list_options *list_opts, const rc_delete_options *opts, rc_error *err);
    int (*watch)(void *ctx, const rc_resource_info *ri, const char *ns, const rc_list_options *opts,
                 rc_watch **out, rc_error *err);
    rc_registry *(*registry)(void *ctx); /* borrowed; lives as long as ctx */
    void (*destroy)(void *ctx);          /* optional: releases ctx with the last client reference */
    /* optional: create that takes the caller's reference to obj (rc_client_create_owned), so a backend
     * may move a draft's tree into the request; NULL = rc_client_create_owned freezes and calls create */
    int (*create_owned)(void *ctx, const rc_resource_info *ri, const char *ns, rc_object *obj,
                        const rc_write_options *opts, rc_object **out, rc_error *err);
    /* optional: the status update of rc_client_update_status_owned (opts->subresource is "status"); NULL =
     * that function freezes obj and calls update */
    int (*update_status_owned)(void *ctx, const rc_resource_info *ri, const char *ns, rc_object *obj,
                               const rc_write_options *opts, rc_object **out, rc_error *err);
} rc_client_ops;

/* A new client over a backend (one reference). ops is borrowed and must outlive the client; ctx is owned
 * by the client from now on (released by ops->destroy). NULL on allocation failure (ctx then destroyed). */
RC_API rc_client *rc_client_new(const rc_client_ops *ops, void *ctx);
RC_API rc_client *rc_client_ref(rc_client *c);
RC_API void rc_client_unref(rc_client *c);
/* The registry names are resolved through (borrowed, valid while the client lives). */
RC_API rc_registry *rc_client_registry(rc_client *c);
/* Resolves a resource name (or, when name is NULL, obj's apiVersion/kind). NULL + RC_ENOTFOUND with
 * upstream's message ("the server doesn't have a resource type \"x\"") when unknown. */
RC_API const rc_resource_info *rc_client_resolve(rc_client *c, const char *resource, const rc_object *obj,
                                                 rc_error *err);

/* ---- verbs ---- (ns may be NULL = ""; out parameters receive new references) */
RC_API int rc_client_get(rc_client *c, const char *resource, const char *ns, const char *name, rc_object **out,
                         rc_error *err);
/* GET of a subresource: "status" (the object) or "scale" (an autoscaling/v1 Scale). */
RC_API int rc_client_get_subresource(rc_client *c, const char *resource, const char *ns, const char *name,
                                     const char *subresource, rc_object **out, rc_error *err);
RC_API int rc_client_get_scale(rc_client *c, const char *resource, const char *ns, const char *name,
                               rc_object **out, rc_error *err);
/* out must be initialised (rc_object_list_init); items are appended. ns "" lists all namespaces. */
RC_API int rc_client_list(rc_client *c, const char *resource, const char *ns, const rc_list_options *opts,
                          rc_object_list *out, rc_error *err);
/* obj is borrowed (a draft is frozen by the call). ns NULL/"" takes obj's namespace. */
RC_API int rc_client_create(rc_client *c, const char *resource, const char *ns, rc_object *obj,
                            const rc_write_options *opts, rc_object **out, rc_error *err);
/* rc_client_create that takes the caller's reference to obj: the call releases it whatever it returns, and
 * the caller must not use obj afterwards. A draft nobody else references may have its tree moved into the
 * request (the embedded server) instead of being frozen and copied back out. */
RC_API int rc_client_create_owned(rc_client *c, const char *resource, const char *ns, rc_object *obj,
                                  const rc_write_options *opts, rc_object **out, rc_error *err);
/* Replaces the object; Conflict when obj's resourceVersion is stale, unconditional when it is empty. */
RC_API int rc_client_update(rc_client *c, const char *resource, const char *ns, rc_object *obj,
                            const rc_write_options *opts, rc_object **out, rc_error *err);
/* Update of the status subresource: only .status changes. */
RC_API int rc_client_update_status(rc_client *c, const char *resource, const char *ns, rc_object *obj,
                                   const rc_write_options *opts, rc_object **out, rc_error *err);
/* rc_client_update_status that takes the caller's reference to obj, as rc_client_create_owned does: a draft
 * nobody else references may give its metadata and status to the request instead of being frozen. */
RC_API int rc_client_update_status_owned(rc_client *c, const char *resource, const char *ns, rc_object *obj,
                                         const rc_write_options *opts, rc_object **out, rc_error *err);
/* Update of the scale subresource with an autoscaling/v1 Scale object. */
RC_API int rc_client_update_scale(rc_client *c, const char *resource, const char *ns, rc_object *scale,
                                  const rc_write_options *opts, rc_object **out, rc_error *err);
/* Patches (opts->subresource selects "status"/"scale"). A failing patch changes nothing. */
RC_API int rc_client_patch(rc_client *c, const char *resource, const char *ns, const char *name,
                           rc_patch_type type, const char *data, size_t len, const rc_write_options *opts,
                           rc_object **out, rc_error *err);
/* out (may be NULL) as in rc_client_ops.delete_. opts NULL = RC_DELETE_OPTIONS_INIT. */
RC_API int rc_client_delete(rc_client *c, const char *resource, const char *ns, const char *name,
                            const rc_delete_options *opts, rc_object **out, rc_error *err);
/* Deletes every object of the resource in ns that list_opts selects (NULL = all). */
RC_API int rc_client_delete_collection(rc_client *c, const char *resource, const char *ns,
                                       const rc_list_options *list_opts, const rc_delete_options *opts,
                                       rc_error *err);
/* *out is a stream reference owned by the caller (rc_watch_stop, then rc_watch_unref). */
RC_API int rc_client_watch(rc_client *c, const char *resource, const char *ns, const rc_list_options *opts,
                           rc_watch **out, rc_error *err);
/* Client-side apply, as `kubectl apply`: creates obj (recording it in the
 * kubectl.kubernetes.io/last-applied-configuration annotation) or three-way merges it with the last
 * applied configuration and the live object and patches the difference. */
RC_API int rc_client_apply(rc_client *c, const char *resource, rc_object *obj, const rc_write_options *opts,
                           rc_object **out, rc_error *err);
/* SelfSubjectAccessReview: may this client `verb` the resource (subresource as "pods/status") in ns,
 * named name (NULL = any)? *allowed receives the answer. */
RC_API int rc_client_can_i(rc_client *c, const char *verb, const char *resource, const char *ns,
                           const char *name, bool *allowed, rc_error *err);

/* A list-watch over one resource in ns ("" = all), for a reflector. The list-watch holds a client
 * reference, released by its destroy. */
RC_API int rc_client_list_watch(rc_client *c, const char *resource, const char *ns, rc_list_watch *out,
                                rc_error *err);

#endif
