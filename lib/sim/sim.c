/* sim.c - rc_sim: attaches the simulated cluster's controllers (scheduler, kubelet, node lifecycle,
 * Endpoints, volume binder) to a manager, owns the settings they share, and answers DNS questions from the
 * manager's caches (identity.c gives each controller its own user). The simulator is reference counted by
 * its controllers, so it lives exactly as long as the manager that runs them. */
#include "sim/internal.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_IMAGE_PULL RC_SEC
#define DEFAULT_BATCH_RUN (10 * RC_SEC)

void rci_sim_ref(rc_sim *sim)
{
    pthread_mutex_lock(&sim->lock);
    sim->refs++;
    pthread_mutex_unlock(&sim->lock);
}

void rci_sim_unref(rc_sim *sim)
{
    pthread_mutex_lock(&sim->lock);
    bool last = --sim->refs == 0;
    pthread_mutex_unlock(&sim->lock);
    if (!last)
        return;
    pthread_mutex_destroy(&sim->lock);
    free(sim->scheduler_name);
    free(sim);
}

int rc_sim_new(rc_manager *m, const rc_sim_options *opts, rc_sim **out, rc_error *err)
{
    if (!m)
        return rc_error_set(err, RC_EINVAL, "rc_sim_new: manager: Required value");
    rc_sim_options o = {0};
    if (opts)
        o = *opts;
    rc_sim *sim = calloc(1, sizeof *sim);
    if (!sim || !(sim->scheduler_name = strdup(o.scheduler_name ? o.scheduler_name : "default-scheduler"))) {
        free(sim);
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&sim->lock, NULL);
    sim->refs = 1; /* this function's, dropped at the end: the controllers keep the simulator alive */
    sim->mgr = m;
    sim->client = rc_manager_client(m);
    sim->image_pull = o.image_pull == 0 ? DEFAULT_IMAGE_PULL : o.image_pull < 0 ? 0 : o.image_pull;
    sim->batch_run = o.batch_run > 0 ? o.batch_run : DEFAULT_BATCH_RUN;
    sim->srv = o.apiserver;
    sim->events = !o.no_events;
    int rc = rci_sim_install_rbac(sim, err);
    /* The DNS model reads these caches whether or not the Endpoints controller runs. */
    if (rc == 0 && (!rc_manager_cache(m, "services", err) || !rc_manager_cache(m, "endpoints", err)))
        rc = err && err->code ? err->code : RC_EINTERNAL;
    if (rc == 0 && !o.no_scheduler)
        rc = rci_sim_add_scheduler(sim, err);
    if (rc == 0)
        rc = rci_sim_add_kubelet(sim, err);
    if (rc == 0)
        rc = rci_sim_add_node_lifecycle(sim, err);
    if (rc == 0 && !o.no_endpoints)
        rc = rci_sim_add_endpoints(sim, err);
    if (rc == 0 && !o.no_volumes)
        rc = rci_sim_add_volume_binder(sim, err);
    if (out)
        *out = rc == 0 ? sim : NULL;
    rci_sim_unref(sim);
    return rc;
}

int rc_sim_dns_lookup(rc_sim *sim, const char *name, char ***ips, size_t *n, rc_error *err)
{
    if (!sim)
        return rc_error_set(err, RC_EINVAL, "dns: simulator: Required value");
    rc_store *services = rc_manager_cache(sim->mgr, "services", err);
    rc_store *endpoints = services ? rc_manager_cache(sim->mgr, "endpoints", err) : NULL;
    if (!endpoints)
        return err && err->code ? err->code : RC_EINTERNAL;
    return rci_sim_dns_answer(services, endpoints, name, ips, n, err);
}
