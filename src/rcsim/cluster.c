/* cluster.c - builds the simulated cluster rcsim runs: a clock (virtual for `run`, scaled real time for
 * `serve`), the embedded API server, a manager with every reference controller (rc_controllers_add_all),
 * and the simulator with its nodes and a default StorageClass. */
#include "rcsim.h"

#include <string.h>

int rcsim_cluster_new(rcsim_cluster *c, const rcsim_cluster_options *opts, rc_error *err)
{
    memset(c, 0, sizeof *c);
    c->start = opts->start ? opts->start : RCSIM_EPOCH;
    c->clock = opts->speed > 0 ? rc_clock_scaled_new(c->start, opts->speed) : rc_clock_virtual_new(c->start);
    if (!c->clock)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    rc_apiserver_options so = {.clock = c->clock, .seed = opts->seed};
    c->srv = rc_apiserver_new(&so, err);
    if (!c->srv)
        return err && err->code ? err->code : RC_ENOMEM;
    c->client = rc_apiserver_client(c->srv, NULL);
    if (!c->client)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    rc_manager_options mo = {.client = c->client, .clock = c->clock, .seed = opts->seed, .apiserver = c->srv,
                             .event_source = "rcsim"};
    rc_sim_options sim_opts = {.apiserver = c->srv}; /* each simulated component writes as itself */
    int rc = rc_manager_new(&mo, &c->mgr, err);
    if (rc == 0)
        rc = rc_controllers_add_all(c->mgr, NULL, err);
    if (rc == 0)
        rc = rc_sim_new(c->mgr, &sim_opts, &c->sim, err);
    return rc;
}

int rcsim_cluster_add_nodes(rcsim_cluster *c, size_t n, rc_error *err)
{
    return rc_sim_add_nodes(c->sim, "node", n, n >= 3 ? 3 : n, err);
}

/* "standard", as kind and minikube have it: claims without a class, such as a StatefulSet's, get it from
 * the DefaultStorageClass admission plugin and are provisioned and bound by the simulated volume binder. */
int rcsim_cluster_add_default_storage_class(rcsim_cluster *c, rc_error *err)
{
    static const char json[] =
        "{\"apiVersion\":\"storage.k8s.io/v1\",\"kind\":\"StorageClass\",\"metadata\":{\"name\":\"standard\","
        "\"annotations\":{\"storageclass.kubernetes.io/is-default-class\":\"true\"}},"
        "\"provisioner\":\"sim.reconcile.io/local\",\"reclaimPolicy\":\"Delete\",\"volumeBindingMode\":\"Immediate\"}";
    rc_object *sc = rc_object_from_json(json, sizeof json - 1, err);
    int rc = sc ? rc_client_create(c->client, NULL, NULL, sc, NULL, NULL, err) : err->code;
    rc_object_unref(sc);
    return rc;
}

void rcsim_cluster_free(rcsim_cluster *c)
{
    rc_manager_free(c->mgr);
    rc_client_unref(c->client);
    rc_apiserver_free(c->srv);
    rc_clock_free(c->clock);
    memset(c, 0, sizeof *c);
}
