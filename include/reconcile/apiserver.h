/* apiserver.h - rc_apiserver: an embedded, in-memory Kubernetes API server. It stores objects with one
 * global resourceVersion, serves get/list/watch/create/update/patch/delete (with the status and scale
 * subresources, finalizers, pod grace periods, propagation policies, paging and a bounded watch history),
 * runs defaulting, validation, an admission chain and RBAC, registers CustomResourceDefinitions, and
 * records every request for tests. Clients talk to it through rc_client (rc_apiserver_client).
 *
 * Thread-safe. Steppable: watch events are queued at commit and delivered by rc_apiserver_pump (unless
 * auto_pump), and time-based work (pod grace periods, watch timeouts, periodic bookmarks) is done by
 * rc_apiserver_step when rc_apiserver_next_deadline has passed on the server's clock. */
#ifndef RECONCILE_APISERVER_H
#define RECONCILE_APISERVER_H

#include "admission.h"
#include "client.h"
#include "clock.h"
#include "common.h"
#include "object.h"
#include "registry.h"

typedef struct rc_apiserver rc_apiserver;

#define RC_APISERVER_DEFAULT_WATCH_HISTORY 4096
#define RC_APISERVER_DEFAULT_ACTION_LOG 65536

typedef struct rc_apiserver_options {
    rc_clock *clock;           /* borrowed, must outlive the server; NULL = the real clock */
    uint64_t seed;             /* seeds uids, generateName suffixes and fault injection */
    size_t watch_history;      /* events kept per resource for watch resumption; 0 = default 4096 */
    bool auto_pump;            /* deliver watch events at commit instead of in rc_apiserver_pump */
    rc_duration bookmark_interval; /* periodic BOOKMARK events; 0 = default 60 s */
    size_t action_log_cap;     /* entries kept (oldest dropped); 0 = default 65536 */
    bool no_builtin_admission; /* do not register NamespaceLifecycle, ServiceAccount, ... */
} rc_apiserver_options;

/* A new server holding the namespaces default, kube-system and kube-public and the default RBAC roles.
 * opts may be NULL. NULL + err on failure. Free with rc_apiserver_free. */
RC_API rc_apiserver *rc_apiserver_new(const rc_apiserver_options *opts, rc_error *err);
/* Ends every open watch stream and frees the server. Clients still referenced keep working as far as
 * failing every call with RC_ECLOSED. */
RC_API void rc_apiserver_free(rc_apiserver *srv);

/* A client acting as user (copied): NULL = an unauthenticated in-process client that is never
 * authorized (allow-all); with a user, every request is authorized by RBAC. New reference. */
RC_API rc_client *rc_apiserver_client(rc_apiserver *srv, const rc_user *user);
/* Enables (default) or disables RBAC checks for clients created with a user. */
RC_API void rc_apiserver_set_rbac(rc_apiserver *srv, bool enabled);
/* The server's registry (borrowed); CRDs add to it. */
RC_API rc_registry *rc_apiserver_registry(rc_apiserver *srv);
/* Appends an admission plugin (copied; the server calls plugin->destroy when freed). Mutating hooks run
 * in registration order, then validating hooks in registration order. */
RC_API int rc_apiserver_add_admission(rc_apiserver *srv, const rc_admission_plugin *plugin, rc_error *err);
/* The newest resourceVersion handed out. */
RC_API uint64_t rc_apiserver_resource_version(rc_apiserver *srv);

/* ---- stepping ---- */
/* Delivers the queued watch events to their streams; returns how many events were sent. */
RC_API size_t rc_apiserver_pump(rc_apiserver *srv);
/* Committed changes not yet delivered by rc_apiserver_pump. */
RC_API size_t rc_apiserver_pending(rc_apiserver *srv);
/* The earliest time at which rc_apiserver_step has work (a pod's grace period ends, a watch times out,
 * a bookmark is due), or RC_TIME_NEVER. */
RC_API rc_time rc_apiserver_next_deadline(rc_apiserver *srv);
/* Pumps, then does the time-based work that is due on the clock; returns the number of things done. */
RC_API size_t rc_apiserver_step(rc_apiserver *srv);

/* ---- action log: every request in order, like client-go's fake Actions() ---- */
typedef struct rc_action {
    char verb[24];      /* get, list, watch, create, update, patch, delete, deletecollection */
    char *resource;     /* "pods", "deployments.apps", "pods/status" */
    char *namespace_;   /* "" when none */
    char *name;         /* "" when none */
    char *actor;        /* the user's name, "" when unauthenticated */
    int code;           /* 0 or the RC_E* result */
    uint64_t resource_version; /* the resourceVersion a write produced, else 0 */
} rc_action;

/* A copy of the log (oldest first); free with rc_actions_free. Returns the count (0 with *out NULL
 * when empty or on allocation failure). */
RC_API size_t rc_apiserver_actions(rc_apiserver *srv, rc_action **out);
RC_API void rc_actions_free(rc_action *actions, size_t n);
RC_API void rc_apiserver_clear_actions(rc_apiserver *srv);

/* ---- fault injection (seeded by rc_apiserver_options.seed) ---- */
typedef struct rc_fault_rule {
    const char *verb;       /* NULL = any verb */
    const char *resource;   /* plural, "plural.group" or with "/subresource"; NULL = any */
    const char *namespace_; /* NULL = any */
    const char *name;       /* NULL = any */
    uint64_t nth;           /* fail the nth matching request from now (1 = the next one) */
    uint64_t times;         /* and this many in a row (0 = 1) */
    int code;               /* RC_E* status to fail with */
} rc_fault_rule;

/* Adds a rule (copied). Matching requests fail before doing anything. */
RC_API int rc_apiserver_fault_fail(rc_apiserver *srv, const rc_fault_rule *rule, rc_error *err);
/* Updates, patches and status/scale writes fail with 409 Conflict with probability p (0 disables). */
RC_API void rc_apiserver_fault_conflict_rate(rc_apiserver *srv, double p);
/* Every watch stream is ended after n events (0 disables); consumers re-watch from their last version. */
RC_API void rc_apiserver_fault_drop_watch_every(rc_apiserver *srv, uint64_t n);
/* Forgets the watch history of resource (NULL = all): watching or continuing a list from any earlier
 * resourceVersion gets 410 Expired. RC_ENOTFOUND for an unknown resource. */
RC_API int rc_apiserver_fault_expire_history(rc_apiserver *srv, const char *resource);
/* Each request advances the (virtual) clock by d before it runs; ignored on a real clock. */
RC_API void rc_apiserver_fault_latency(rc_apiserver *srv, rc_duration d);
/* Removes every fault rule and setting. */
RC_API void rc_apiserver_fault_clear(rc_apiserver *srv);

/* ---- trace: one callback per committed write ---- */
typedef struct rc_trace_record {
    const char *verb;     /* create, update, patch, delete, ... */
    const char *actor;    /* "" when unauthenticated */
    const rc_resource_info *resource;
    const char *namespace_;
    const char *name;
    uint64_t resource_version;
    rc_watch_event_type type; /* ADDED, MODIFIED or DELETED */
    const rc_object *object;  /* the stored object (for DELETED, its final state); borrowed */
} rc_trace_record;

/* fn is called in commit order with the server locked: it must not call back into the server.
 * NULL removes the hook. */
RC_API void rc_apiserver_set_trace(rc_apiserver *srv, void (*fn)(void *ctx, const rc_trace_record *rec),
                                   void *ctx);

#endif
