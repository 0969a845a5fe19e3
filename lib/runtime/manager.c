/* manager.c - rc_manager's life cycle and configuration: the shared informer factory and its sources,
 * controllers (setup, workqueue, expectations, recorder, wrapping client), runnables, leader election
 * and the accessors. The drivers that run it live in driver_step.c and driver_thread.c. */
#include "runtime/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int provide_list_watch(void *ctx, const rc_informer_source *src, rc_list_watch *out, rc_error *err)
{
    rc_manager *m = ctx;
    char id[160];
    if (src->group && src->group[0])
        snprintf(id, sizeof id, "%s.%s", src->resource, src->group);
    else
        snprintf(id, sizeof id, "%s", src->resource);
    return rc_client_list_watch(m->client, id, src->namespace_ ? src->namespace_ : "", out, err);
}

static void manager_release(rc_manager *m)
{
    rc_informer_factory_free(m->factory);
    for (size_t i = 0; i < m->nwatches; i++)
        free(m->watches[i]);
    free(m->watches);
    for (size_t i = 0; i < m->nsources; i++)
        free(m->sources[i]);
    free(m->sources);
    for (size_t i = 0; i < m->nindexes; i++)
        free(m->indexes[i].name);
    free(m->indexes);
    for (size_t i = 0; i < m->nctrls; i++) {
        rci_controller *c = m->ctrls[i];
        if (c->ops->destroy)
            c->ops->destroy(c->self);
        rc_workqueue_free(c->queue);
        rc_expectations_free(c->exp);
        rc_recorder_free(c->recorder);
        rc_client_unref(c->client);
        free(c->reads);
        free(c->threads);
        free(c->name);
        free(c);
    }
    free(m->ctrls);
    for (size_t i = 0; i < m->nrunnables; i++)
        if (m->runnables[i].ops->destroy)
            m->runnables[i].ops->destroy(m->runnables[i].self);
    free(m->runnables);
    rc_recorder_free(m->recorder);
    rc_leader_free(m->leader);
    rc_client_unref(m->client);
    rc_client_unref(m->base);
    if (m->own_metrics)
        rc_metrics_free(m->metrics);
    free(m->namespace_);
    free(m->event_source);
    free(m->stalled);
    free(m->units);
    sem_destroy(&m->stop_sem);
    pthread_cond_destroy(&m->cond);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

int rc_manager_new(const rc_manager_options *opts, rc_manager **out, rc_error *err)
{
    if (!opts || !opts->client || !out)
        return rc_error_set(err, RC_EINVAL, "manager: options with a client and an output pointer are required");
    rc_manager *m = calloc(1, sizeof *m);
    if (!m)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cond, NULL);
    sem_init(&m->stop_sem, 0, 0);
    atomic_init(&m->stopping, false);
    m->base = rc_client_ref(opts->client);
    m->clock = opts->clock ? opts->clock : rc_clock_real();
    m->apiserver = opts->apiserver;
    m->max_steps = opts->max_steps_per_instant ? opts->max_steps_per_instant : 1000000;
    m->resync_period = opts->resync_period;
    rc_rand_seed(&m->rand, opts->seed);
    m->metrics = opts->metrics;
    if (!m->metrics) {
        m->metrics = rc_metrics_new();
        m->own_metrics = true;
    }
    m->event_source = strdup(opts->event_source ? opts->event_source : "libreconcile");
    m->namespace_ = opts->namespace_ && opts->namespace_[0] ? strdup(opts->namespace_) : NULL;
    int rc = !m->metrics || !m->event_source || (opts->namespace_ && opts->namespace_[0] && !m->namespace_)
                 ? rc_error_set(err, RC_ENOMEM, "out of memory")
                 : rci_metrics_register(m, err);
    if (rc == 0 && !(m->client = rci_cclient_new(m->base, m->f_requests, false, &m->cc)))
        rc = rc_error_set(err, RC_ENOMEM, "out of memory");
    if (rc == 0) {
        rc_informer_options io;
        rc_informer_options_init(&io);
        io.reflector.seed = opts->seed;
        io.resync_period = opts->resync_period;
        m->factory = rc_informer_factory_new(provide_list_watch, m, m->clock, &io);
        m->recorder = rc_recorder_new(m->client, m->clock, m->event_source, NULL);
        if (!m->factory || !m->recorder)
            rc = rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    if (rc == 0 && opts->leader) {
        snprintf(m->lease_name, sizeof m->lease_name, "%s", opts->leader->lease_name ? opts->leader->lease_name : "");
        rc = rc_leader_new(m->client, m->clock, opts->leader, &m->leader, err);
    }
    if (rc) {
        manager_release(m);
        return rc;
    }
    *out = m;
    return 0;
}

void rc_manager_free(rc_manager *m)
{
    if (!m)
        return;
    if (m->threads_started) {
        rc_manager_stop(m);
        rci_threads_stop_and_join(m);
    }
    manager_release(m);
}

rci_source *rci_manager_source(rc_manager *m, const char *resource, rc_error *err)
{
    const rc_resource_info *ri = rc_client_resolve(m->client, resource, NULL, err);
    if (!ri)
        return NULL;
    char id[160];
    rci_resource_id(ri, id, sizeof id);
    for (size_t i = 0; i < m->nsources; i++)
        if (!strcmp(m->sources[i]->id, id))
            return m->sources[i];
    rci_source **n = realloc(m->sources, (m->nsources + 1) * sizeof *n);
    rci_source *src = calloc(1, sizeof *src);
    if (n)
        m->sources = n;
    if (!n || !src) {
        free(src);
        rc_error_set(err, RC_ENOMEM, "out of memory");
        return NULL;
    }
    snprintf(src->id, sizeof src->id, "%s", id);
    src->ri = ri;
    rc_informer_source is = {ri->group, ri->version, ri->plural, ri->namespaced ? m->namespace_ : NULL, NULL, NULL};
    src->inf = rc_informer_factory_get(m->factory, &is, err);
    if (!src->inf) {
        free(src);
        return NULL;
    }
    m->sources[m->nsources++] = src;
    return src;
}

rci_source *rci_controller_find_read(rci_controller *c, const char *resource, rc_error *err)
{
    for (size_t i = 0; resource && i < c->nreads; i++) /* fast path: the id itself */
        if (!strcmp(c->reads[i]->id, resource))
            return c->reads[i];
    const rc_resource_info *ri = rc_client_resolve(c->m->client, resource, NULL, err);
    if (!ri)
        return NULL;
    char id[160];
    rci_resource_id(ri, id, sizeof id);
    for (size_t i = 0; i < c->nreads; i++)
        if (!strcmp(c->reads[i]->id, id))
            return c->reads[i];
    rc_error_set(err, RC_EINVAL,
                 "controller %s does not watch %s: declare it in setup (rc_builder_for/owns/watches/reads)", c->name,
                 id);
    return NULL;
}

int rci_manager_add_watch(rc_manager *m, rci_watch *w, rc_error *err)
{
    rci_watch **n = realloc(m->watches, (m->nwatches + 1) * sizeof *n);
    if (!n) {
        free(w);
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    m->watches = n;
    w->reg = rc_informer_add_handler(w->src->inf, &rci_watch_handler, w, 0, err);
    if (!w->reg) {
        free(w);
        return err && err->code ? err->code : RC_ENOMEM;
    }
    m->watches[m->nwatches++] = w;
    return 0;
}

bool rci_controller_synced(rci_controller *c)
{
    for (size_t i = 0; i < c->nreads; i++)
        if (!rc_informer_has_synced(c->reads[i]->inf))
            return false;
    return true;
}

bool rci_controller_may_run(rci_controller *c)
{
    return (!c->need_leader || rc_manager_is_leader(c->m)) && rci_controller_synced(c);
}

rci_controller *rci_manager_controller(rc_manager *m, const char *name)
{
    for (size_t i = 0; m && name && i < m->nctrls; i++)
        if (!strcmp(m->ctrls[i]->name, name))
            return m->ctrls[i];
    return NULL;
}

rc_index_fn rci_manager_index_fn(rc_manager *m, const rci_source *src, const char *name, void **ctx)
{
    for (size_t i = 0; i < m->nindexes; i++)
        if (m->indexes[i].src == src && !strcmp(m->indexes[i].name, name)) {
            *ctx = m->indexes[i].ctx;
            return m->indexes[i].fn;
        }
    return NULL;
}

/* Undoes a failed add_controller: handlers of its watches, its parts. */
static void controller_discard(rc_manager *m, rci_controller *c, rc_rate_limiter *unused_limiter)
{
    size_t w = 0;
    for (size_t i = 0; i < m->nwatches; i++) {
        if (m->watches[i]->ctrl == c) {
            rc_informer_remove_handler(m->watches[i]->src->inf, m->watches[i]->reg);
            free(m->watches[i]);
        } else {
            m->watches[w++] = m->watches[i];
        }
    }
    m->nwatches = w;
    rc_rate_limiter_free(unused_limiter);
    rc_workqueue_free(c->queue);
    rc_expectations_free(c->exp);
    rc_recorder_free(c->recorder);
    rc_client_unref(c->client);
    free(c->reads);
    free(c->name);
    free(c);
}

static int controller_build(rc_manager *m, rci_controller *c, const rc_controller_options *o,
                            rc_rate_limiter **limiter, rc_error *err)
{
    if (!(c->name = strdup(c->ops->name)))
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    c->m = m;
    c->workers = o->workers > 0 ? o->workers : 1;
    c->need_leader = o->need_leader_election;
    c->client = rci_cclient_new(o->client ? o->client : m->base, m->f_requests, true, &c->cc);
    c->exp = rc_expectations_new(m->clock, o->expectations_timeout);
    c->recorder = c->client ? rc_recorder_new(c->client, m->clock, m->event_source, NULL) : NULL;
    if (!c->client || !c->exp || !c->recorder)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    rc_workqueue_options qo = {0};
    qo.name = c->name;
    qo.clock = m->clock;
    qo.rate_limiter = *limiter;
    qo.metrics = &m->wq_metrics;
    *limiter = NULL; /* the queue owns it now, even if creating it fails */
    int rc = rc_workqueue_new(&qo, &c->queue, err);
    if (rc == 0)
        rc = rci_metrics_controller(m, c, err);
    if (rc == 0) {
        rc_builder b = {m, c};
        rc = c->ops->setup ? c->ops->setup(c->self, &b, err) : 0;
    }
    if (rc == 0 && !c->primary)
        rc = rc_error_set(err, RC_EINVAL, "controller %s: setup must declare its primary resource (rc_builder_for)",
                          c->name);
    return rc;
}

int rc_manager_add_controller(rc_manager *m, const rc_controller_ops *ops, void *self,
                              const rc_controller_options *opts, rc_error *err)
{
    rc_controller_options o = {0};
    if (opts)
        o = *opts;
    rc_rate_limiter *limiter = o.rate_limiter;
    int rc = 0;
    if (!m || !ops || !ops->name || !ops->name[0] || !ops->reconcile)
        rc = rc_error_set(err, RC_EINVAL, "add_controller: a manager and ops with a name and reconcile are required");
    else if (m->mode != RCI_MODE_IDLE)
        rc = rc_error_set(err, RC_EINVAL, "add_controller %s: the manager is already running", ops->name);
    else if (rci_manager_controller(m, ops->name))
        rc = rc_error_set(err, RC_EEXISTS, "a controller named %s is already registered", ops->name);
    rci_controller *c = NULL;
    rci_controller **grown = NULL;
    if (rc == 0 && (!(c = calloc(1, sizeof *c)) || !(grown = realloc(m->ctrls, (m->nctrls + 1) * sizeof *grown))))
        rc = rc_error_set(err, RC_ENOMEM, "out of memory");
    if (grown)
        m->ctrls = grown;
    if (c) {
        c->ops = ops;
        c->self = self;
    }
    if (rc == 0)
        rc = controller_build(m, c, &o, &limiter, err);
    if (rc) {
        if (c)
            controller_discard(m, c, limiter);
        else
            rc_rate_limiter_free(limiter);
        if (ops && ops->destroy)
            ops->destroy(self);
        return rc;
    }
    m->ctrls[m->nctrls++] = c;
    return 0;
}

int rc_manager_add_runnable(rc_manager *m, const rc_runnable_ops *ops, void *self, rc_error *err)
{
    int rc = 0;
    if (!m || !ops || !ops->step || !ops->next_deadline)
        rc = rc_error_set(err, RC_EINVAL, "add_runnable: a manager and ops with step and next_deadline are required");
    else if (m->mode != RCI_MODE_IDLE)
        rc = rc_error_set(err, RC_EINVAL, "add_runnable: the manager is already running");
    rci_runnable *n = rc == 0 ? realloc(m->runnables, (m->nrunnables + 1) * sizeof *n) : NULL;
    if (rc == 0 && !n)
        rc = rc_error_set(err, RC_ENOMEM, "out of memory");
    if (rc) {
        if (ops && ops->destroy)
            ops->destroy(self);
        return rc;
    }
    m->runnables = n;
    m->runnables[m->nrunnables++] = (rci_runnable){ops, self};
    return 0;
}

void rc_manager_wake(rc_manager *m)
{
    if (!m || m->mode != RCI_MODE_THREADED)
        return;
    pthread_mutex_lock(&m->mu);
    m->wake_seq++;
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->mu);
}

rc_client *rc_manager_client(rc_manager *m)
{
    return m->client;
}

rc_clock *rc_manager_clock(rc_manager *m)
{
    return m->clock;
}

rc_metrics *rc_manager_metrics(rc_manager *m)
{
    return m->metrics;
}

rc_recorder *rc_manager_recorder(rc_manager *m)
{
    return m->recorder;
}

rc_store *rc_manager_cache(rc_manager *m, const char *resource, rc_error *err)
{
    rci_source *src = m ? rci_manager_source(m, resource, err) : NULL;
    return src ? rc_informer_store(src->inf) : NULL;
}

int rc_manager_on_change(rc_manager *m, const char *resource,
                         void (*fn)(void *ctx, rc_change_type type, const rc_object *old, const rc_object *obj),
                         void *ctx, rc_error *err)
{
    if (!m || !fn)
        return rc_error_set(err, RC_EINVAL, "on_change: a manager and a function are required");
    rci_source *src = rci_manager_source(m, resource, err);
    if (!src)
        return err && err->code ? err->code : RC_ENOTFOUND;
    rci_watch *w = calloc(1, sizeof *w);
    if (!w)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    w->kind = RCI_WATCH_CALLBACK;
    w->src = src;
    w->m = m;
    w->change = fn;
    w->change_ctx = ctx;
    return rci_manager_add_watch(m, w, err);
}

bool rc_manager_synced(rc_manager *m)
{
    for (size_t i = 0; i < m->nsources; i++)
        if (!rc_informer_has_synced(m->sources[i]->inf))
            return false;
    return true;
}

bool rc_manager_is_leader(rc_manager *m)
{
    return !m->leader || rc_leader_is_leader(m->leader);
}
