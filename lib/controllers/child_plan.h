/* child_plan.h - what one sync of the DaemonSet, Job and CronJob controllers decided, as data: the
 * children to create, delete and update, the parent's new status, events and a requeue delay. The
 * deciding code (daemonset_plan.c, job_plan.c, cronjob_plan.c) is pure - it reads objects and a time and
 * fills a plan - so tests drive it on a virtual clock without a cluster; child_plan_exec.c carries a
 * plan out through the reconcile context (expectations, slow start, status write). */
#ifndef RC_CONTROLLERS_CHILD_PLAN_H
#define RC_CONTROLLERS_CHILD_PLAN_H

#include <reconcile/client.h>
#include <reconcile/controller.h>
#include <reconcile/object.h>
#include <cjson/cJSON.h>

typedef enum rci_action_kind {
    RCI_ACTION_CREATE, /* obj: a draft to create */
    RCI_ACTION_UPDATE, /* obj: a draft copy of an existing child to write back */
    RCI_ACTION_DELETE  /* obj: the child to delete (a reference) */
} rci_action_kind;

typedef struct rci_action {
    rci_action_kind kind;
    const char *resource;    /* static: "pods", "jobs.batch", "controllerrevisions.apps" */
    rc_object *obj;          /* owned reference */
    rc_propagation propagation; /* deletes */
} rci_action;

typedef struct rci_plan_event {
    const char *type;   /* RC_EVENT_NORMAL / RC_EVENT_WARNING (static) */
    const char *reason; /* static */
    char *message;      /* owned */
} rci_event_note;

typedef struct rci_child_plan {
    rci_action *actions;
    size_t nactions, cap;
    rci_event_note *events;
    size_t nevents, ecap;
    cJSON *status;         /* the parent's complete new status (owned), or NULL when unchanged */
    rc_duration requeue;   /* > 0: reconcile again after this long (the smallest request wins) */
    bool oom;              /* an allocation failed while planning: the plan must not be executed */
} rci_child_plan;

void rci_plan_init(rci_child_plan *p);
void rci_plan_clear(rci_child_plan *p);
/* Adds an action; obj is taken (a reference or a draft). Sets p->oom on failure (obj released). */
void rci_plan_add(rci_child_plan *p, rci_action_kind kind, const char *resource, rc_object *obj,
                  rc_propagation propagation);
void rci_plan_event(rci_child_plan *p, const char *type, const char *reason, const char *fmt, ...)
    RC_PRINTF(4, 5);
void rci_plan_requeue(rci_child_plan *p, rc_duration after);
/* Replaces the planned status with status (taken). */
void rci_plan_set_status(rci_child_plan *p, cJSON *status);
/* Number of actions of a kind on a resource. */
size_t rci_plan_count(const rci_child_plan *p, rci_action_kind kind, const char *resource);
/* A new child draft from a parent's template: apiVersion and kind as given, metadata a copy of
 * template_meta (empty when it is absent) and spec, which is taken (also on failure). NULL when spec is
 * NULL or memory runs out. The caller names it, sets its namespace and owner. */
rc_object *rci_plan_draft_child(const char *api_version, const char *kind, rc_node template_meta, cJSON *spec);

/* Reads the parent named by key from resource through the context. Returns true with *out set (the caller
 * unrefs it) when it exists. Otherwise returns false with *res the reconcile result to give: done when the
 * parent is gone (its expectations under key are forgotten), the read error's result else. */
bool rci_plan_get_parent(rc_reconcile_ctx *ctx, const char *resource, const char *key, rc_object **out,
                         rc_result *res);
/* Carries the plan out, in this order: events; deletes (NotFound is fine); the status write (status
 * subresource of parent, with conflict retry); updates; creates in slow-start batches (a failed batch
 * stops the rest). Expectations under exp_key are set for the pod creates and deletes beforehand and
 * lowered for each failed or never-attempted call. The first failure stops the later phases and is
 * returned (err filled). */
int rci_plan_execute(rc_reconcile_ctx *ctx, const char *parent_resource, const rc_object *parent,
                     rci_child_plan *p, const char *exp_key, rc_error *err);
/* Writes status as the parent's whole status (status subresource, conflict retry). */
int rci_plan_write_status(rc_reconcile_ctx *ctx, const char *resource, const rc_object *parent,
                          const cJSON *status, rc_error *err);
/* The reconcile result for an executed plan: error, requeue-after or done. */
rc_result rci_plan_result(rc_reconcile_ctx *ctx, const rci_child_plan *p, int rc, rc_error *err);

#endif
