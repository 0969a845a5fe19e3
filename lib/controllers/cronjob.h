/* cronjob.h - internals of the CronJob controller (spec section 6), split by job:
 *   cronjob_plan.c        one sync as a pure function: reconcile status.active with the owned Jobs,
 *                         the most recent due time, deadlines, concurrency policy, the Job to create,
 *                         history pruning, the requeue delay
 *   cronjob_schedule.c    missed-schedule arithmetic (mostRecentScheduleTime) and Job names
 *   cronjob_controller.c  the rc_controller_ops: zones cache, live confirmation of missing Jobs, the
 *                         create-then-record order the plan needs */
#ifndef RC_CONTROLLERS_CRONJOB_H
#define RC_CONTROLLERS_CRONJOB_H

#include <reconcile/cron.h>
#include <reconcile/object.h>

#include "controllers/child_plan.h"

#define RCI_CRONJOBS "cronjobs.batch"
#define RCI_JOBS_RESOURCE "jobs.batch"
#define RCI_CRONJOB_SCHEDULED_ANN "batch.kubernetes.io/cronjob-scheduled-timestamp"
#define RCI_CRONJOB_MAX_MISSED 100
#define RCI_CRONJOB_REQUEUE_PAD (100 * RC_MSEC)

typedef struct rci_cronjob_input {
    const rc_object *cronjob;
    rc_object *const *jobs; /* Jobs whose controller reference is this CronJob's uid */
    size_t njobs;
    rc_time now;
    const rc_timezone *tz;  /* the zone of the schedule (spec.timeZone or the default) */
    const char *tz_error;   /* non-NULL: spec.timeZone could not be loaded (the message) */
} rci_cronjob_input;

typedef struct rci_cronjob_plan {
    rci_child_plan base; /* events, Job deletes, requeue and the new status */
    rc_object *create;   /* the Job to create (draft), or NULL; after creating it, record it with
                            rci_cronjob_record_active in the planned status before writing it */
} rci_cronjob_plan;

/* Plans one sync (spec 6.3). Returns 0 or RC_ENOMEM. */
int rci_cronjob_decide(const rci_cronjob_input *in, rci_cronjob_plan *plan);
void rci_cronjob_plan_clear(rci_cronjob_plan *plan);
/* Appends an ObjectReference to job (as stored, with its uid) to status.active unless present. */
int rci_cronjob_record_active(cJSON *status, const rc_object *job);

/* ---- cronjob_schedule.c ---- */
typedef struct rci_missed {
    rc_time most_recent; /* the latest activation <= now, 0 when none is due */
    rc_time next;        /* the first activation after most_recent (or after earliest when none) */
    int64_t missed;      /* approximate number of activations since earliest */
    bool bad_interval;   /* two activations less than a second apart */
} rci_missed;
/* mostRecentScheduleTime (spec 6.4): earliest = lastScheduleTime or creationTimestamp, raised to
 * now - startingDeadlineSeconds when set. */
void rci_cronjob_missed(const rc_cron_schedule *s, const rc_timezone *tz, rc_time earliest, rc_time now,
                        rci_missed *out);
/* "<cronjob>-<minutes since the epoch of t>" into buf. */
void rci_cronjob_job_name(const char *cronjob, rc_time t, char *buf, size_t cap);

#endif
