/* cronjob_plan.c - one sync of the CronJob controller as a pure function (spec section 6.3):
 * reconciles status.active with the owned Jobs, stops for deletion, bad zones, suspension and bad
 * schedules, finds the due activation, applies startingDeadlineSeconds and the concurrency policy,
 * builds the Job to create, prunes finished Jobs beyond the history limits and sets the requeue. */
#include <reconcile/events.h>
#include <reconcile/values.h>
#include <stdlib.h>
#include <string.h>

#include "controllers/controller_utils.h"
#include "controllers/cronjob.h"

typedef struct cj_sync {
    const rci_cronjob_input *in;
    rci_cronjob_plan *plan;
    cJSON *status;
    cJSON *active; /* status.active */
} cj_sync;

static const char *job_finished(const rc_object *job)
{
    rc_node conds = rc_object_at(job, "status.conditions");
    for (size_t i = 0; i < rc_node_len(conds); i++) {
        rc_node c = rc_node_index(conds, i);
        const char *type = rc_node_str(rc_node_get(c, "type")), *st = rc_node_str(rc_node_get(c, "status"));
        if (type && st && !strcmp(st, "True") && (!strcmp(type, "Complete") || !strcmp(type, "Failed")))
            return type;
    }
    return NULL;
}

static int active_index(const cJSON *active, const char *field, const char *value)
{
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, active)
    {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, field);
        if (cJSON_IsString(v) && value && !strcmp(v->valuestring, value))
            return i;
        i++;
    }
    return -1;
}

int rci_cronjob_record_active(cJSON *status, const rc_object *job)
{
    cJSON *active = cJSON_GetObjectItemCaseSensitive(status, "active");
    if (!cJSON_IsArray(active)) {
        cJSON_DeleteItemFromObjectCaseSensitive(status, "active");
        active = cJSON_AddArrayToObject(status, "active");
    }
    if (!active)
        return RC_ENOMEM;
    if (active_index(active, "uid", rc_object_uid(job)) >= 0)
        return 0;
    cJSON *ref = cJSON_CreateObject();
    if (!ref)
        return RC_ENOMEM;
    cJSON_AddStringToObject(ref, "apiVersion", "batch/v1");
    cJSON_AddStringToObject(ref, "kind", "Job");
    cJSON_AddStringToObject(ref, "name", rc_object_name(job));
    cJSON_AddStringToObject(ref, "namespace", rc_object_namespace(job));
    cJSON_AddStringToObject(ref, "uid", rc_object_uid(job) ? rc_object_uid(job) : "");
    if (rc_object_resource_version(job))
        cJSON_AddStringToObject(ref, "resourceVersion", rc_object_resource_version(job));
    cJSON_AddItemToArray(active, ref);
    return 0;
}

static void set_time(cj_sync *s, const char *key, rc_time t)
{
    if (!rci_json_set(s->status, key, rci_time_json(t)))
        s->plan->base.oom = true;
}

static rc_time status_time(const cj_sync *s, const char *key)
{
    return rci_node_time(rc_node_from_cjson(cJSON_GetObjectItemCaseSensitive(s->status, key)));
}

/* Step 1: status.active against the Jobs that exist. */
static void reconcile_active(cj_sync *s)
{
    rci_child_plan *p = &s->plan->base;
    for (size_t i = 0; i < s->in->njobs; i++) {
        const rc_object *job = s->in->jobs[i];
        int at = active_index(s->active, "uid", rc_object_uid(job));
        const char *finished = job_finished(job);
        if (at < 0 && !finished) {
            rci_plan_event(p, RC_EVENT_WARNING, "UnexpectedJob", "Saw a job that the controller did not create or "
                           "forgot: %s", rc_object_name(job));
        } else if (at >= 0 && finished) {
            cJSON_DeleteItemFromArray(s->active, at);
            rci_plan_event(p, RC_EVENT_NORMAL, "SawCompletedJob", "Saw completed job: %s, status: %s",
                           rc_object_name(job), finished);
        }
        if (finished && !strcmp(finished, "Complete")) {
            rc_time done = rci_object_time(job, "status.completionTime");
            if (done > status_time(s, "lastSuccessfulTime"))
                set_time(s, "lastSuccessfulTime", done);
        }
    }
    for (int i = cJSON_GetArraySize(s->active) - 1; i >= 0; i--) {
        const cJSON *uid = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(s->active, i), "uid");
        bool exists = false;
        for (size_t j = 0; j < s->in->njobs && !exists; j++)
            exists = cJSON_IsString(uid) && rc_object_uid(s->in->jobs[j]) &&
                     !strcmp(uid->valuestring, rc_object_uid(s->in->jobs[j]));
        if (!exists) {
            const cJSON *name = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(s->active, i), "name");
            rci_plan_event(p, RC_EVENT_NORMAL, "MissingJob", "Active job went missing: %s",
                           cJSON_IsString(name) ? name->valuestring : "");
            cJSON_DeleteItemFromArray(s->active, i);
        }
    }
}

static rc_object *new_job(const cj_sync *s, rc_time scheduled)
{
    const rc_object *cj = s->in->cronjob;
    rc_object *job = rci_plan_draft_child("batch/v1", "Job", rc_object_at(cj, "spec.jobTemplate.metadata"),
                                          rc_node_to_cjson(rc_object_at(cj, "spec.jobTemplate.spec")));
    if (!job)
        return NULL;
    char name[300], when[64];
    rci_cronjob_job_name(rc_object_name(cj), scheduled, name, sizeof name);
    rc_timezone_format(s->in->tz, scheduled, when, sizeof when);
    rc_owner_ref ref = {rc_object_api_version(cj) ? rc_object_api_version(cj) : "batch/v1", "CronJob",
                        rc_object_name(cj), rc_object_uid(cj), true, true};
    if (rc_object_set_name(job, name) || rc_object_set_namespace(job, rc_object_namespace(cj)) ||
        rc_object_remove(job, "metadata.generateName") || rc_object_set_annotation(job, RCI_CRONJOB_SCHEDULED_ANN, when) ||
        rc_object_add_owner(job, &ref)) {
        rc_object_unref(job);
        return NULL;
    }
    return job;
}

static int cmp_start(const void *a, const void *b)
{
    const rc_object *x = *(rc_object *const *)a, *y = *(rc_object *const *)b;
    rc_time tx = rci_object_time(x, "status.startTime"), ty = rci_object_time(y, "status.startTime");
    if (tx != ty) /* nil start sorts last */
        return !tx ? 1 : !ty ? -1 : tx < ty ? -1 : 1;
    return strcmp(rc_object_name(x), rc_object_name(y));
}

/* Step 11: keep the newest successfulJobsHistoryLimit Complete and failedJobsHistoryLimit Failed Jobs. */
static void cleanup_finished(cj_sync *s)
{
    const char *kinds[2] = {"Complete", "Failed"};
    int64_t limits[2] = {rc_object_get_int(s->in->cronjob, "spec.successfulJobsHistoryLimit", 3),
                         rc_object_get_int(s->in->cronjob, "spec.failedJobsHistoryLimit", 1)};
    rc_object **list = calloc(s->in->njobs + 1, sizeof *list);
    if (!list) {
        s->plan->base.oom = true;
        return;
    }
    for (int k = 0; k < 2; k++) {
        size_t n = 0;
        for (size_t i = 0; i < s->in->njobs; i++) {
            const char *f = job_finished(s->in->jobs[i]);
            if (f && !strcmp(f, kinds[k]) && !rc_object_deletion_timestamp(s->in->jobs[i]))
                list[n++] = s->in->jobs[i];
        }
        qsort(list, n, sizeof *list, cmp_start);
        for (size_t i = 0; limits[k] >= 0 && i + (size_t)limits[k] < n; i++) {
            rci_plan_add(&s->plan->base, RCI_ACTION_DELETE, "jobs.batch", rc_object_ref(list[i]),
                         RC_PROPAGATION_BACKGROUND);
            rci_plan_event(&s->plan->base, RC_EVENT_NORMAL, "SuccessfulDelete", "Deleted job %s",
                           rc_object_name(list[i]));
        }
    }
    free(list);
}

static void requeue_at(cj_sync *s, rc_time next)
{
    if (next != RC_TIME_NEVER)
        rci_plan_requeue(&s->plan->base, next + RCI_CRONJOB_REQUEUE_PAD - s->in->now);
}

/* Steps 3-10: decide whether a Job starts now. */
static void schedule(cj_sync *s)
{
    const rc_object *cj = s->in->cronjob;
    rci_child_plan *p = &s->plan->base;
    const char *spec = rc_object_get_str(cj, "spec.schedule");
    rc_cron_schedule *sched = NULL;
    rc_error err = {0};
    if (rc_cron_parse(spec ? spec : "", &sched, &err) != 0) {
        bool tz = err.ncauses && err.causes[0].field && !strcmp(err.causes[0].field, "timezone");
        rci_plan_event(p, RC_EVENT_WARNING, tz ? "UnsupportedSchedule" : "UnparseableSchedule", "%s", err.message);
        rc_error_clear(&err);
        return;
    }
    rc_time now = s->in->now, earliest = status_time(s, "lastScheduleTime");
    if (!earliest)
        earliest = rci_object_time(cj, "metadata.creationTimestamp");
    rc_node sds_node = rc_object_at(cj, "spec.startingDeadlineSeconds");
    bool has_sds = rc_node_kind(sds_node) == RC_NODE_NUMBER;
    int64_t sds = rc_node_int(sds_node, 0);
    if (has_sds && now - sds * RC_SEC > earliest)
        earliest = now - sds * RC_SEC;
    rci_missed m;
    rci_cronjob_missed(sched, s->in->tz, earliest, now, &m);
    rc_cron_free(sched);
    if (m.bad_interval) {
        rci_plan_event(p, RC_EVENT_WARNING, "InvalidSchedule", "invalid schedule: %s: time difference between two "
                       "schedules is less than 1 second", spec);
        return;
    }
    requeue_at(s, m.next);
    if (!m.most_recent)
        return;
    if (m.missed > RCI_CRONJOB_MAX_MISSED)
        rci_plan_event(p, RC_EVENT_WARNING, "TooManyMissedTimes", "too many missed start times: %lld. Set or "
                       "decrease .spec.startingDeadlineSeconds or check clock skew", (long long)m.missed);
    char when[64], name[300];
    rc_timezone_format(s->in->tz, m.most_recent, when, sizeof when);
    if (has_sds && m.most_recent + sds * RC_SEC < now) {
        rci_plan_event(p, RC_EVENT_WARNING, "MissSchedule", "Missed scheduled time to start a job: %s", when);
        return;
    }
    rci_cronjob_job_name(rc_object_name(cj), m.most_recent, name, sizeof name);
    if (active_index(s->active, "name", name) >= 0 || status_time(s, "lastScheduleTime") == m.most_recent)
        return;
    const char *policy = rc_object_get_str(cj, "spec.concurrencyPolicy");
    if (policy && !strcmp(policy, "Forbid") && cJSON_GetArraySize(s->active) > 0) {
        rci_plan_event(p, RC_EVENT_NORMAL, "JobAlreadyActive", "Not starting job because prior execution is running "
                       "and concurrency policy is Forbid");
        return;
    }
    if (policy && !strcmp(policy, "Replace")) {
        for (int i = cJSON_GetArraySize(s->active) - 1; i >= 0; i--) {
            const cJSON *ref = cJSON_GetArrayItem(s->active, i);
            const cJSON *jname = cJSON_GetObjectItemCaseSensitive(ref, "name");
            for (size_t j = 0; j < s->in->njobs; j++)
                if (cJSON_IsString(jname) && !strcmp(rc_object_name(s->in->jobs[j]), jname->valuestring)) {
                    rci_plan_add(p, RCI_ACTION_DELETE, "jobs.batch", rc_object_ref(s->in->jobs[j]),
                                 RC_PROPAGATION_BACKGROUND);
                    rci_plan_event(p, RC_EVENT_NORMAL, "SuccessfulDelete", "Deleted job %s", jname->valuestring);
                }
            cJSON_DeleteItemFromArray(s->active, i);
        }
    }
    s->plan->create = new_job(s, m.most_recent);
    if (!s->plan->create) {
        p->oom = true;
        return;
    }
    rci_plan_event(p, RC_EVENT_NORMAL, "SuccessfulCreate", "Created job %s", name);
    set_time(s, "lastScheduleTime", m.most_recent);
}

int rci_cronjob_decide(const rci_cronjob_input *in, rci_cronjob_plan *plan)
{
    const rc_object *cj = in->cronjob;
    cJSON *old = rc_node_to_cjson(rc_object_at(cj, "status"));
    if (!old)
        old = cJSON_CreateObject();
    cj_sync s = {in, plan, cJSON_Duplicate(old, true), NULL};
    if (s.status) {
        s.active = cJSON_GetObjectItemCaseSensitive(s.status, "active");
        if (!cJSON_IsArray(s.active)) {
            cJSON_DeleteItemFromObjectCaseSensitive(s.status, "active");
            s.active = cJSON_AddArrayToObject(s.status, "active");
        }
    }
    if (!old || !s.status || !s.active) {
        plan->base.oom = true;
    } else {
        reconcile_active(&s);
        if (in->tz_error && !rc_object_deletion_timestamp(cj))
            rci_plan_event(&plan->base, RC_EVENT_WARNING, "UnknownTimeZone", "invalid timeZone: %s", in->tz_error);
        else if (!rc_object_deletion_timestamp(cj) && !rc_object_get_bool(cj, "spec.suspend", false))
            schedule(&s);
        if (!rc_object_deletion_timestamp(cj))
            cleanup_finished(&s);
        if (cJSON_GetArraySize(s.active) == 0) /* omitted when empty, as upstream serialises it */
            cJSON_DeleteItemFromObjectCaseSensitive(s.status, "active");
        if (plan->create || !cJSON_Compare(s.status, old, true)) {
            rci_plan_set_status(&plan->base, s.status);
            s.status = NULL;
        }
    }
    cJSON_Delete(s.status);
    cJSON_Delete(old);
    return plan->base.oom ? RC_ENOMEM : 0;
}

void rci_cronjob_plan_clear(rci_cronjob_plan *plan)
{
    rci_plan_clear(&plan->base);
    rc_object_unref(plan->create);
    plan->create = NULL;
}
