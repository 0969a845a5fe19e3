/* controllers.h - the reference controllers of kube-controller-manager, written on the libreconcile
 * runtime: ReplicaSet, Deployment, the garbage collector, StatefulSet, DaemonSet, Job (with the
 * TTL-after-finished controller) and CronJob, all registered together by rc_controllers_add_all. Each is an ordinary rc_controller_ops, so the same code runs on the
 * deterministic driver, in rcsim, and against a real cluster through an HTTP rc_client.
 *
 * Also here: what kubectl does client-side for Deployments - `rollout undo` (rc_deployment_rollback),
 * `rollout history` (rc_deployment_history) and `rollout status` (rc_deployment_rollout_status) - and
 * the pod-template-hash (rc_pod_template_hash).
 *
 * Behaviour follows upstream as written down in the project's controllers spec (sections 0-7). */
#ifndef RECONCILE_CONTROLLERS_H
#define RECONCILE_CONTROLLERS_H

#include "client.h"
#include "common.h"
#include "controller.h"
#include "manager.h"
#include "object.h"

/* ---- options ---- */
typedef struct rc_replicaset_options {
    int burst_replicas; /* creates/deletes per sync; 0 = 500 (upstream BurstReplicas) */
} rc_replicaset_options;

typedef struct rc_deployment_options {
    int reserved; /* set to 0: room for options without breaking callers */
} rc_deployment_options;

typedef struct rc_gc_options {
    /* Resources the collector watches (names as rc_client_resolve takes them), NULL-terminated; NULL =
     * every listable resource of the client's registry when the controller is added (CRDs registered
     * before that included; events, leases and access reviews left out). */
    const char *const *resources;
} rc_gc_options;

typedef struct rc_statefulset_options {
    /* Behave as upstream with the MaxUnavailableStatefulSet feature gate off: spec.updateStrategy.
     * rollingUpdate.maxUnavailable is ignored and a rolling update replaces one pod at a time. */
    bool ignore_max_unavailable;
} rc_statefulset_options;

typedef struct rc_daemonset_options {
    int burst_replicas; /* pod creates/deletes per sync; 0 = 250 (upstream BurstReplicas) */
} rc_daemonset_options;

typedef struct rc_job_options {
    rc_duration backoff_max; /* cap of the pod-failure back-off; 0 = 10 min (upstream since v1.28) */
} rc_job_options;

typedef struct rc_cronjob_options {
    /* Zone of schedules without spec.timeZone (the controller manager's local zone upstream); NULL or
     * "" = UTC. Loaded when the controller is made: RC_ENOTFOUND/RC_EINVAL for an unknown zone. */
    const char *default_time_zone;
} rc_cronjob_options;

/* Controllers rc_controllers_add_all knows, as bits for rc_controllers_options.disabled. */
#define RC_CONTROLLER_REPLICASET 0x1u
#define RC_CONTROLLER_DEPLOYMENT 0x2u
#define RC_CONTROLLER_GC 0x4u
#define RC_CONTROLLER_STATEFULSET 0x8u
#define RC_CONTROLLER_DAEMONSET 0x10u
#define RC_CONTROLLER_JOB 0x20u
#define RC_CONTROLLER_TTL_AFTER_FINISHED 0x40u
#define RC_CONTROLLER_CRONJOB 0x80u

typedef struct rc_controllers_options {
    unsigned disabled; /* RC_CONTROLLER_* bits of controllers to leave out */
    int workers;       /* workers per controller (threaded driver); 0 = 1 */
    rc_replicaset_options replicaset;
    rc_deployment_options deployment;
    rc_gc_options gc;
    rc_statefulset_options statefulset;
    rc_daemonset_options daemonset;
    rc_job_options job;
    rc_cronjob_options cronjob;
} rc_controllers_options;

/* ---- constructors ----
 * Each fills *ops (a static table) and *self (owned by whoever adds it to a manager: ops->destroy frees
 * it) for rc_manager_add_controller. opts may be NULL (defaults). RC_EINVAL for bad options, RC_ENOMEM. */
RC_API int rc_replicaset_controller_new(const rc_replicaset_options *opts, const rc_controller_ops **ops,
                                        void **self, rc_error *err);
RC_API int rc_deployment_controller_new(const rc_deployment_options *opts, const rc_controller_ops **ops,
                                        void **self, rc_error *err);
/* The garbage collector needs the client to discover resources (opts->resources NULL) and to verify
 * owners with live reads; the client is referenced. */
RC_API int rc_gc_controller_new(rc_client *client, const rc_gc_options *opts, const rc_controller_ops **ops,
                                void **self, rc_error *err);

/* Adds every reference controller not disabled to m (names "replicaset", "deployment",
 * "garbagecollector", "statefulset", "daemonset", "job", "ttl-after-finished", "cronjob"), each with opts->workers workers. opts may be NULL. Stops at the first error
 * (controllers added before it stay added). Call before the manager starts. */
RC_API int rc_controllers_add_all(rc_manager *m, const rc_controllers_options *opts, rc_error *err);


/* The StatefulSet controller ("statefulset"): pods "<set>-<ordinal>" with stable hostnames under the
 * governing Service, one PersistentVolumeClaim per pod and volumeClaimTemplate, OrderedReady or Parallel
 * pod management, ControllerRevision history with RollingUpdate (partition, maxUnavailable) or OnDelete.
 * Fills *ops (static) and *self (freed by ops->destroy) like the constructors above; opts may be NULL.
 * RC_EINVAL for NULL ops/self, RC_ENOMEM. See rc_controllers(3). */
RC_API int rc_statefulset_controller_new(const rc_statefulset_options *opts, const rc_controller_ops **ops,
                                         void **self, rc_error *err);

/* ---- client-side Deployment tools (kubectl rollout ...) ---- */

/* kubectl rollout undo [--to-revision=N]: copies the pod template (minus pod-template-hash) and the
 * annotations of the ReplicaSet with revision to_revision (0 = the previous revision) into the deployment
 * ns/name with a JSON patch. *revision_out (optional) gets the revision rolled back to. Errors:
 * RC_ENOTFOUND (deployment or revision missing, "unable to find specified revision N in history"),
 * RC_EINVAL for a paused deployment ("you cannot rollback a paused deployment ..."), RC_EEXISTS when the
 * template already matches ("skipped rollback (current template already matches revision N)"), or the
 * API error of the read or patch. */
RC_API int rc_deployment_rollback(rc_client *c, const char *ns, const char *name, int64_t to_revision,
                                  int64_t *revision_out, rc_error *err);

/* One row of kubectl rollout history. */
typedef struct rc_deployment_revision {
    int64_t revision;
    char *replicaset;   /* owned */
    char *change_cause; /* owned; NULL when the ReplicaSet has no kubernetes.io/change-cause */
} rc_deployment_revision;

/* The revisions of deployment ns/name (from the ReplicaSets it controls), ascending. *out is malloc'd
 * (free with rc_deployment_history_free), *n its length. RC_ENOTFOUND, API errors, RC_ENOMEM. */
RC_API int rc_deployment_history(rc_client *c, const char *ns, const char *name, rc_deployment_revision **out,
                                 size_t *n, rc_error *err);
RC_API void rc_deployment_history_free(rc_deployment_revision *revs, size_t n);

/* kubectl rollout status for one observation of deployment d: *message (malloc'd, caller frees) gets the
 * line kubectl prints ("Waiting for deployment \"x\" rollout to finish: 1 out of 3 new replicas have been
 * updated...\n", "deployment \"x\" successfully rolled out\n"), *done whether the rollout finished.
 * Returns 0, RC_ETIMEOUT when the deployment exceeded its progress deadline (message says so), RC_EINVAL
 * for NULL arguments, RC_ENOMEM. Pure function of d; thread-safe. */
RC_API int rc_deployment_rollout_status(const rc_object *d, char **message, bool *done);

/* The pod-template-hash of a pod template node for a collision count (NULL = none): FNV-1a-32 of a
 * canonical serialisation, in the safe-encoding alphabet; at most 10 characters written into out with
 * its NUL. Stable across runs; not comparable with upstream's values. RC_ENOMEM. */
RC_API int rc_pod_template_hash(rc_node pod_template, const int64_t *collision_count, char out[16]);

/* ==== batch and node controllers: DaemonSet, Job, TTL-after-finished, CronJob (spec sections 4-6) ====
 * Constructors as above: *ops is a static table, *self is freed by ops->destroy. opts may be NULL. */

/* "daemonset": one pod per eligible node, RollingUpdate/OnDelete with ControllerRevisions. */
RC_API int rc_daemonset_controller_new(const rc_daemonset_options *opts, const rc_controller_ops **ops,
                                       void **self, rc_error *err);
/* "job": parallelism/completions, Indexed mode, backoffLimit with pod-failure back-off, deadlines,
 * suspend, finalizer-based pod tracking. */
RC_API int rc_job_controller_new(const rc_job_options *opts, const rc_controller_ops **ops, void **self,
                                 rc_error *err);
/* "ttl-after-finished": deletes finished Jobs spec.ttlSecondsAfterFinished after they finished. */
RC_API int rc_ttl_after_finished_controller_new(const rc_controller_ops **ops, void **self, rc_error *err);
/* "cronjob": Jobs on a cron schedule in spec.timeZone, concurrency policies, history limits. */
RC_API int rc_cronjob_controller_new(const rc_cronjob_options *opts, const rc_controller_ops **ops, void **self,
                                     rc_error *err);

#endif
