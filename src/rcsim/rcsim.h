/* rcsim.h - what the rcsim program's files share: the simulated cluster they build (virtual or scaled
 * clock, embedded API server, manager with the reference controllers and the simulator), manifest
 * application, the rollout-status reporter and the output printers. rcsim uses only the public API. */
#ifndef RCSIM_H
#define RCSIM_H

#include <reconcile.h>
#include <reconcile/apiserver.h>
#include <reconcile/controllers.h>
#include <reconcile/manager.h>
#include <reconcile/sim.h>

#include <stdio.h>

/* The simulation's epoch: 2024-01-01T00:00:00Z. */
#define RCSIM_EPOCH ((rc_time)1704067200 * RC_SEC)

typedef struct rcsim_cluster {
    rc_clock *clock;
    rc_time start;
    rc_apiserver *srv;
    rc_client *client;
    rc_manager *mgr;
    rc_sim *sim;
} rcsim_cluster;

typedef struct rcsim_cluster_options {
    uint64_t seed;
    size_t nodes;
    double speed; /* 0 = virtual clock (deterministic driver); > 0 = scaled real clock (threaded) */
    rc_time start; /* the clock's starting instant; 0 = RCSIM_EPOCH */
} rcsim_cluster_options;

/* Builds the cluster: server, manager, controllers, simulator (nodes are added by rcsim_cluster_add_nodes
 * once the caller has hooked what it wants to see, e.g. the trace). Prints nothing. */
int rcsim_cluster_new(rcsim_cluster *c, const rcsim_cluster_options *opts, rc_error *err);
int rcsim_cluster_add_nodes(rcsim_cluster *c, size_t n, rc_error *err);
/* Creates the default StorageClass "standard" (provisioned by the simulated volume binder). */
int rcsim_cluster_add_default_storage_class(rcsim_cluster *c, rc_error *err);
void rcsim_cluster_free(rcsim_cluster *c);

/* ---- apply.c ---- */
/* One applied object, for the rollout reporter: its resource and key. */
typedef struct rcsim_applied {
    char kind[64];
    char ns[254];
    char name[254];
} rcsim_applied;

/* Applies every object of the manifest at path as `kubectl apply` would, after a dry run of all of them:
 * when any fails, every error is printed to stderr and nothing is applied (RC_EINVAL returned). Prints
 * "<kind>.<group>/<name> created|configured|unchanged" lines to out (NULL = quiet). The applied objects
 * are appended to *applied (malloc'd array, *napplied entries). */
int rcsim_apply_file(rcsim_cluster *c, const char *path, FILE *out, rcsim_applied **applied, size_t *napplied);

/* ---- rollout.c: kubectl rollout status lines for Deployments as the simulation runs ---- */
typedef struct rcsim_rollout rcsim_rollout;
/* Hooks the manager's Deployment changes (before it runs). Lines go to out. */
rcsim_rollout *rcsim_rollout_new(rc_manager *m, FILE *out, rc_error *err);
/* Starts following the deployment ns/name (its next changes print status lines until it rolls out). */
int rcsim_rollout_follow(rcsim_rollout *r, const char *ns, const char *name);
/* Prints the current status of every followed deployment not yet reported done (end of a run). */
void rcsim_rollout_flush(rcsim_rollout *r, rc_client *c);
/* Unfollows everything. */
void rcsim_rollout_reset(rcsim_rollout *r);
void rcsim_rollout_free(rcsim_rollout *r);

/* ---- print.c ---- */
typedef enum rcsim_output {
    RCSIM_OUTPUT_TABLE = 0,
    RCSIM_OUTPUT_YAML,
    RCSIM_OUTPUT_JSON
} rcsim_output;

/* The kubectl-like summary of the cluster (workloads, pods, claims; events when asked) to out, with ages
 * as of now. */
int rcsim_print_summary(rcsim_cluster *c, rc_time now, rcsim_output format, bool events, FILE *out,
                        rc_error *err);
/* kubectl's short age: "45s", "3m20s", "2h5m", "3d". */
void rcsim_format_age(rc_duration d, char *buf, size_t cap);

/* ---- commands ---- */
int rcsim_cmd_run(int argc, char **argv);
int rcsim_cmd_serve(int argc, char **argv);

#endif
