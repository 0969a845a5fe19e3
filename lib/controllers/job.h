/* job.h - internals of the Job controller (spec section 5), split by job:
 *   job_plan.c        one sync as a pure function: count finished pods, backoff, failure checks,
 *                     manageJob, completion, status (fills an rci_child_plan)
 *   job_pods.c        pod helpers: new pods from the template (indexed or not), finish times,
 *                     completion indexes and their interval text
 *   job_controller.c  the rc_controller_ops: claim pods, plan, execute
 *   job_ttl.c         the TTL-after-finished controller (ttlSecondsAfterFinished) */
#ifndef RC_CONTROLLERS_JOB_H
#define RC_CONTROLLERS_JOB_H

#include <reconcile/object.h>

#include "controllers/child_plan.h"

#define RCI_JOBS "jobs.batch"
#define RCI_JOB_TRACKING_FINALIZER "batch.kubernetes.io/job-tracking"
#define RCI_JOB_INDEX_KEY "batch.kubernetes.io/job-completion-index"
#define RCI_JOB_INDEX_ENV "JOB_COMPLETION_INDEX"
#define RCI_JOB_MAX_PER_SYNC 500
#define RCI_JOB_BACKOFF_BASE (10 * RC_SEC)
#define RCI_JOB_BACKOFF_MAX (10 * RC_MINUTE) /* upstream MaxJobPodFailureBackOff since v1.28 */

typedef struct rci_job_input {
    const rc_object *job;
    rc_object *const *pods; /* the pods the Job owns (claimed) */
    size_t npods;
    rc_time now;
    bool satisfied;         /* expectations satisfied: creates/deletes allowed */
    rc_duration backoff_max; /* 0 = RCI_JOB_BACKOFF_MAX */
} rci_job_input;

/* Plans one sync of the Job (spec 5.2-5.8). Returns 0 or RC_ENOMEM (plan->oom). */
int rci_job_plan(const rci_job_input *in, rci_child_plan *plan);

/* ---- job_pods.c ---- */
/* A new pod draft for the Job from its template: controller reference, tracking finalizer,
 * generateName "<job>-" (indexed: "<job>-<index>-", hostname, index annotation/label and env var);
 * index < 0 for NonIndexed. NULL on allocation failure. */
rc_object *rci_job_new_pod(const rc_object *job, long index);
/* The completion index of a pod, -1 when absent or not a number. */
long rci_job_pod_index(const rc_object *pod);
/* When a pod finished (spec 5.4): last container finishedAt, else Ready=False transition, else
 * deletionTimestamp - grace, else creationTimestamp. */
rc_time rci_job_pod_finish_time(const rc_object *pod);
/* Parses "0-2,5,7-8" into marks[0..n) (true = completed); indexes >= n and junk are ignored. */
void rci_job_parse_indexes(const char *text, bool *marks, size_t n);
/* Formats marks[0..n) as "0-2,5,7-8" (malloc'd; "" when none; NULL on allocation failure). */
char *rci_job_format_indexes(const bool *marks, size_t n);
/* Pod failure back-off (spec 5.4) for `failures` consecutive failures: 10 s * 2^(failures-1) capped at
 * max; 0 for no failures. */
rc_duration rci_job_backoff_delay(int64_t failures, rc_duration max);

/* ---- job_ttl.c ---- */
/* ttlSecondsAfterFinished: -1 when it does not apply (unset or not finished), 0 when the Job is due for
 * deletion at now, else 1 with *remaining set. */
int rci_job_ttl_due(const rc_object *job, rc_time now, rc_duration *remaining);

#endif
