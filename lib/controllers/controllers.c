/* controllers.c - rc_controllers_add_all: registers every reference controller with a manager. New
 * controllers (StatefulSet, DaemonSet, Job, CronJob) join the table below. */
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

static const entry table[] = {
    {RC_CONTROLLER_REPLICASET, make_replicaset},
    {RC_CONTROLLER_DEPLOYMENT, make_deployment},
    {RC_CONTROLLER_GC, make_gc},
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
