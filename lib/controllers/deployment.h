/* deployment.h - internals of the Deployment controller (spec section 2), split by job:
 *   deployment_util.c     pure arithmetic: fenceposts, new-RS size, proportional scaling, revisions
 *   deployment_sync.c     reconcile entry: claim ReplicaSets, the order of decisions, scale(), sync()
 *   deployment_newrs.c    finding/creating the new ReplicaSet, its annotations and the collision count
 *   deployment_rolling.c  RollingUpdate: scale new up, unhealthy and surplus old down
 *   deployment_recreate.c Recreate: old to zero, wait for old pods, then new
 *   deployment_progress.c status, Available/Progressing/ReplicaFailure conditions, paused conditions
 *   deployment_history.c  revisionHistoryLimit pruning
 *   deployment_rollback.c client-side undo (kubectl rollout undo), history and rollout status */
#ifndef RC_CONTROLLERS_DEPLOYMENT_H
#define RC_CONTROLLERS_DEPLOYMENT_H

#include <reconcile/controller.h>
#include <reconcile/controllers.h>
#include <reconcile/values.h>

#include <stdio.h>

#include "controllers/controller_utils.h"

#define RCI_DEPLOYMENTS "deployments.apps"
#define RCI_REPLICASETS "replicasets.apps"
#define RCI_MAX_REV_HISTORY_CHARS 2000

/* ---- pure arithmetic (deployment_util.c) ---- */
/* Upstream NewRSNewReplicas for RollingUpdate: the new RS size given the sum of every RS's spec. */
int64_t rci_new_rs_replicas(int64_t replicas, int64_t surge, int64_t total_spec, int64_t new_spec);

/* One active ReplicaSet in proportional scaling (upstream scale(), spec section 2.6). */
typedef struct rci_rs_share {
    int64_t spec;          /* current spec.replicas */
    int64_t annotated_max; /* max-replicas annotation, -1 when absent */
    rc_time created;       /* ordering: ties of size broken by creation time, then name */
    const char *name;
    size_t index;          /* caller's index, carried through the sort */
    int64_t new_size;      /* output */
} rci_rs_share;
/* Sorts shares as upstream (by size, newer or older first by direction) and fills new_size. status_replicas
 * is the deployment's status.replicas (fallback for a missing annotation). */
void rci_proportional_scale(rci_rs_share *rs, size_t n, int64_t replicas, int64_t surge, int64_t status_replicas);

/* The revision annotation of an object: 0 when absent, -1 when unparsable. */
int64_t rci_revision(const rc_object *o);
/* Appends old_revision to a revision-history value, dropping the oldest entries beyond the cap; returns
 * a malloc'd string (NULL when the entry cannot fit or on allocation failure). */
char *rci_revision_history_append(const char *history, const char *old_revision, size_t cap);
/* True for annotations never copied from a Deployment to its ReplicaSets. */
bool rci_skip_copy_annotation(const char *key);

/* ---- one sync pass ---- */
typedef struct rci_dsync {
    rc_reconcile_ctx *ctx;
    rc_client *client;
    rc_object *d;            /* owned; replaced by what each write returns */
    rc_object **rs;          /* owned; claimed ReplicaSets, oldest first */
    size_t nrs, cap;
    long new_idx;            /* index of the new ReplicaSet in rs, or -1 */
    int64_t replicas;        /* spec.replicas */
    int64_t max_surge;       /* MaxSurge(d): 0 for Recreate */
    int64_t max_unavailable; /* MaxUnavailable(d): 0 for Recreate or 0 replicas, at most replicas */
    bool rolling;
    rc_time now;
    rc_result requeue;       /* a requeue-after asked for by progress tracking */
    rc_error *err;
} rci_dsync;

static inline rc_object *rci_dsync_new_rs(const rci_dsync *s) { return s->new_idx >= 0 ? s->rs[s->new_idx] : NULL; }
bool rci_dsync_is_old_active(const rci_dsync *s, size_t i);
bool rci_deployment_has_progress_deadline(const rc_object *d);
/* The pod count a scale-up may add to: the sum over ReplicaSets of max(spec.replicas, status.replicas).
 * Upstream sums spec only; counting pods an old ReplicaSet has not removed yet keeps the documented bound
 * "pods <= replicas + maxSurge" true at every instant, not only once ReplicaSets caught up. */
int64_t rci_dsync_pod_bound(const rci_dsync *s);
/* The available pods ReplicaSet rs will still have once it has acted on its spec: min(status.availableReplicas,
 * spec.replicas). Upstream reads status.availableReplicas alone; right after a scale-down the status still
 * counts the pods about to be deleted, and a second sync on that stale status would scale down again below
 * replicas - maxUnavailable (its ranking deletes unavailable pods first, so the minimum is exact). */
int64_t rci_rs_available(const rc_object *rs);

/* deployment_sync.c */
rc_result rci_deployment_reconcile(void *self, rc_reconcile_ctx *ctx, const char *key);
/* Scales rs[i] to size (refreshing the desired/max annotations); *scaled (optional) tells if the size
 * changed. */
int rci_dsync_scale(rci_dsync *s, size_t i, int64_t size, bool *scaled);
/* Proportional scaling and friends (upstream scale()). */
int rci_dsync_scale_all(rci_dsync *s);
/* Replaces the owned deployment with d (a new reference). */
void rci_dsync_set_deployment(rci_dsync *s, rc_object *d);

/* deployment_newrs.c: finds the new RS, syncs its annotations and revision; creates it when create. */
int rci_dsync_get_new_rs(rci_dsync *s, bool create);

/* deployment_rolling.c / deployment_recreate.c */
int rci_rollout_rolling(rci_dsync *s);
int rci_rollout_recreate(rci_dsync *s);

/* deployment_progress.c */
/* Writes the status calculateStatus gives (syncDeploymentStatus) when it differs. */
int rci_dsync_status(rci_dsync *s);
/* syncRolloutStatus: status plus Progressing/ReplicaFailure, and the stuck-deployment requeue. */
int rci_dsync_rollout_status(rci_dsync *s);
/* checkPausedConditions. */
int rci_dsync_paused_conditions(rci_dsync *s);
/* Writes a mutated copy of the deployment's status (mutate gets the status object to edit). */
int rci_dsync_write_status(rci_dsync *s, void (*mutate)(void *arg, cJSON *status), void *arg);
/* DeploymentComplete on the deployment's stored status. */
bool rci_deployment_complete(const rc_object *d, const cJSON *status);

/* deployment_history.c: cleanupDeployment. */
int rci_dsync_cleanup(rci_dsync *s);

#endif
