/* cronjob_controller.c - the CronJob controller's rc_controller_ops (spec section 6): gathers the Jobs
 * the CronJob controls (confirming active ones the cache lacks with a live read), resolves spec.timeZone
 * through a cache of loaded zones, plans with rci_cronjob_decide, then deletes, creates the Job and
 * records it in status.active before writing the status. */
#include <pthread.h>
#include <reconcile/controllers.h>
#include <stdlib.h>
#include <string.h>

#include "controllers/cronjob.h"
#include "util/map.h"

typedef struct cronjob_controller {
    rc_timezone *default_tz;
    pthread_mutex_t lock; /* guards zones */
    rci_map zones;        /* name (owned by the zone) -> rc_timezone* */
} cronjob_controller;

/* The zone named name (cached; zones are immutable and live as long as the controller). */
static const rc_timezone *zone(cronjob_controller *c, const char *name, rc_error *err)
{
    if (!name || !*name)
        return c->default_tz;
    pthread_mutex_lock(&c->lock);
    rc_timezone *tz = rci_map_get(&c->zones, name);
    if (!tz && rc_timezone_load(name, &tz, err) == 0 && tz != rc_timezone_utc() &&
        rci_map_put(&c->zones, rc_timezone_name(tz), tz, NULL) != 0) {
        rc_timezone_free(tz);
        tz = NULL;
        rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    pthread_mutex_unlock(&c->lock);
    return tz;
}

static bool controlled_by(const rc_object *job, const rc_object *cj)
{
    rc_owner_ref ref;
    return rc_object_controller_ref(job, &ref) && ref.uid && rc_object_uid(cj) && !strcmp(ref.uid, rc_object_uid(cj));
}

/* The Jobs cj controls, plus active ones the cache does not show yet but the API does. */
static int gather_jobs(rc_reconcile_ctx *ctx, const rc_object *cj, rc_object_list *out, rc_error *err)
{
    rc_object_list all;
    rc_object_list_init(&all);
    int rc = rc_ctx_list(ctx, RCI_JOBS_RESOURCE, rc_object_namespace(cj), NULL, &all, err);
    for (size_t i = 0; rc == 0 && i < all.count; i++)
        if (controlled_by(all.items[i], cj))
            rc = rc_object_list_append(out, all.items[i]);
    rc_object_list_clear(&all);
    rc_node active = rc_object_at(cj, "status.active");
    for (size_t i = 0; rc == 0 && i < rc_node_len(active); i++) {
        const char *name = rc_node_str(rc_node_get(rc_node_index(active, i), "name"));
        bool known = false;
        for (size_t j = 0; j < out->count && !known; j++)
            known = name && !strcmp(rc_object_name(out->items[j]), name);
        rc_object *job = NULL;
        if (known || !name)
            continue;
        rc_error gerr = {0};
        if (rc_client_get(rc_ctx_client(ctx), RCI_JOBS_RESOURCE, rc_object_namespace(cj), name, &job, &gerr) == 0 &&
            controlled_by(job, cj))
            rc = rc_object_list_append(out, job);
        else if (gerr.code && gerr.code != RC_ENOTFOUND) {
            rc = gerr.code;
            rc_error_move(err, &gerr);
        }
        rc_object_unref(job);
        rc_error_clear(&gerr);
    }
    return rc;
}

static int create_job(rc_reconcile_ctx *ctx, const rc_object *cj, rc_object *draft, cJSON *status, rc_error *err)
{
    rc_object *job = NULL;
    int rc = rc_client_create(rc_ctx_client(ctx), RCI_JOBS_RESOURCE, NULL, draft, NULL, &job, err);
    if (rc == RC_EEXISTS) {
        rc_error gerr = {0};
        if (rc_client_get(rc_ctx_client(ctx), RCI_JOBS_RESOURCE, rc_object_namespace(cj), rc_object_name(draft), &job,
                          &gerr) == 0 && controlled_by(job, cj)) {
            rc_error_clear(err);
            rc = 0;
        }
        rc_error_clear(&gerr);
    }
    if (rc == 0 && rci_cronjob_record_active(status, job) != 0)
        rc = rc_error_set(err, RC_ENOMEM, "out of memory");
    rc_object_unref(job);
    return rc;
}

static int cronjob_setup(void *self, rc_builder *b, rc_error *err)
{
    (void)self;
    int rc = rc_builder_for(b, RCI_CRONJOBS, NULL, err);
    return rc ? rc : rc_builder_owns(b, RCI_JOBS_RESOURCE, NULL, err);
}

static rc_result cronjob_reconcile(void *selfp, rc_reconcile_ctx *ctx, const char *key)
{
    cronjob_controller *self = selfp;
    rc_object *cj = NULL;
    rc_result res;
    if (!rci_plan_get_parent(ctx, RCI_CRONJOBS, key, &cj, &res))
        return res;
    rc_error err = {0}, tzerr = {0};
    rc_object_list jobs;
    rc_object_list_init(&jobs);
    rci_cronjob_plan plan = {0};
    rci_plan_init(&plan.base);
    int rc = gather_jobs(ctx, cj, &jobs, &err);
    if (rc == 0) {
        const rc_timezone *tz = zone(self, rc_object_get_str(cj, "spec.timeZone"), &tzerr);
        rci_cronjob_input in = {cj, jobs.items, jobs.count, rc_ctx_now(ctx), tz, tz ? NULL : tzerr.message};
        rc = rci_cronjob_decide(&in, &plan);
        if (rc)
            rc_error_set(&err, rc, "cronjob %s: out of memory while planning", key);
    }
    cJSON *status = plan.base.status;
    plan.base.status = NULL; /* written last, once the new Job is recorded in it */
    if (rc == 0)
        rc = rci_plan_execute(ctx, RCI_CRONJOBS, cj, &plan.base, key, &err);
    if (rc == 0 && plan.create)
        rc = create_job(ctx, cj, plan.create, status, &err);
    if (rc == 0 && status)
        rc = rci_plan_write_status(ctx, RCI_CRONJOBS, cj, status, &err);
    res = rci_plan_result(ctx, &plan.base, rc, &err);
    cJSON_Delete(status);
    rci_cronjob_plan_clear(&plan);
    rc_object_list_clear(&jobs);
    rc_object_unref(cj);
    rc_error_clear(&err);
    rc_error_clear(&tzerr);
    return res;
}

static void cronjob_destroy(void *selfp)
{
    cronjob_controller *c = selfp;
    const rci_map_entry *e;
    for (size_t i = 0; rci_map_next(&c->zones, &i, &e);)
        rc_timezone_free(e->value);
    rci_map_free(&c->zones);
    rc_timezone_free(c->default_tz);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static const rc_controller_ops cronjob_ops = {"cronjob", cronjob_setup, cronjob_reconcile, cronjob_destroy};

int rc_cronjob_controller_new(const rc_cronjob_options *opts, const rc_controller_ops **ops, void **self,
                              rc_error *err)
{
    if (!ops || !self)
        return rc_error_set(err, RC_EINVAL, "cronjob controller: NULL argument");
    cronjob_controller *c = calloc(1, sizeof *c);
    if (!c)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    int rc = rc_timezone_load(opts && opts->default_time_zone ? opts->default_time_zone : "", &c->default_tz, err);
    if (rc) {
        free(c);
        return rc;
    }
    pthread_mutex_init(&c->lock, NULL);
    rci_map_init(&c->zones);
    *ops = &cronjob_ops;
    *self = c;
    return 0;
}
