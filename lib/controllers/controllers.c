/* controllers.c - rc_controllers_add_all: registers every reference controller with a manager, in the
 * order of the table below. */
#include <reconcile/controllers.h>

typedef struct entry {
    unsigned bit;
    int (*make)(rc_manager *m, const rc_controllers_options *o, const rc_controller_ops **ops, void **self,
                rc_error *err);
} entry;

static int make_replicaset(rc_manager *m, const rc_controllers_options *o, const rc_controller_ops **ops,
                           void **self, rc_error *err)
{
    (void)m;
    return rc_replicaset_controller_new(&o->replicaset, ops, self, err);
}

static int make_deployment(rc_manager *m, const rc_controllers_options *o, const rc_controller_ops **ops,
                           void **self, rc_error *err)
{
    (void)m;
    return rc_deployment_controller_new(&o->deployment, ops, self, err);
}

static int make_gc(rc_manager *m, const rc_controllers_options *o, const rc_controller_ops **ops, void **self,
                   rc_error *err)
{
    return rc_gc_controller_new(rc_manager_client(m), &o->gc, ops, self, err);
}

static int make_statefulset(rc_manager *m, const rc_controllers_options *o, const rc_controller_ops **ops,
                            void **self, rc_error *err)
{
    (void)m;
    return rc_statefulset_controller_new(&o->statefulset, ops, self, err);
}

static int make_daemonset(rc_manager *m, const rc_controllers_options *o, const rc_controller_ops **ops,
                          void **self, rc_error *err)
{
    (void)m;
    return rc_daemonset_controller_new(&o->daemonset, ops, self, err);
}

static int make_job(rc_manager *m, const rc_controllers_options *o, const rc_controller_ops **ops, void **self,
                    rc_error *err)
{
    (void)m;
    return rc_job_controller_new(&o->job, ops, self, err);
}

static int make_ttl(rc_manager *m, const rc_controllers_options *o, const rc_controller_ops **ops, void **self,
                    rc_error *err)
{
    (void)m;
    (void)o;
    return rc_ttl_after_finished_controller_new(ops, self, err);
}

static int make_cronjob(rc_manager *m, const rc_controllers_options *o, const rc_controller_ops **ops,
                        void **self, rc_error *err)
{
    (void)m;
    return rc_cronjob_controller_new(&o->cronjob, ops, self, err);
}

static const entry table[] = {
    {RC_CONTROLLER_REPLICASET, make_replicaset},
    {RC_CONTROLLER_DEPLOYMENT, make_deployment},
    {RC_CONTROLLER_GC, make_gc},
    {RC_CONTROLLER_STATEFULSET, make_statefulset},
    {RC_CONTROLLER_DAEMONSET, make_daemonset},
    {RC_CONTROLLER_JOB, make_job},
    {RC_CONTROLLER_TTL_AFTER_FINISHED, make_ttl},
    {RC_CONTROLLER_CRONJOB, make_cronjob},
};

int rc_controllers_add_all(rc_manager *m, const rc_controllers_options *opts, rc_error *err)
{
    if (!m)
        return rc_error_set(err, RC_EINVAL, "controllers: a manager is required");
    rc_controllers_options defaults = {0};
    const rc_controllers_options *o = opts ? opts : &defaults;
    if (o->workers < 0)
        return rc_error_set(err, RC_EINVAL, "controllers: workers must be >= 0");
    rc_controller_options copts = {.workers = o->workers};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (o->disabled & table[i].bit)
            continue;
        const rc_controller_ops *ops = NULL;
        void *self = NULL;
        int rc = table[i].make(m, o, &ops, &self, err);
        if (!rc)
            rc = rc_manager_add_controller(m, ops, self, &copts, err);
        if (rc)
            return rc;
    }
    return 0;
}
