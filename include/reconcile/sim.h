/* sim.h - rc_sim: a simulated cluster living next to the controllers in an rc_manager. Nodes are plain
 * Node objects in the API server; the scheduler, one kubelet per node, the node lifecycle controller
 * (not-ready taints, NoExecute eviction, pods of removed nodes), the Endpoints controller and the
 * volume binder are controllers on the same runtime, so everything they do is visible through the API as
 * on a real cluster. Run on the deterministic driver (virtual clock), a whole rollout takes milliseconds
 * and is reproducible by seed.
 *
 * Pod behaviour is scripted with annotations on the pod (usually set on a workload's pod template):
 *   sim.reconcile.io/pull-seconds        image pull time (default rc_sim_options.image_pull)
 *   sim.reconcile.io/image-pull=fail     the pull fails: ErrImagePull, then ImagePullBackOff
 *   sim.reconcile.io/run-seconds         containers exit after running this long (batch default 10 s)
 *   sim.reconcile.io/exit-code           exit code of that exit (default 0; 1 with crash-after-seconds)
 *   sim.reconcile.io/crash-after-seconds containers exit non-zero after running this long, every time
 *   sim.reconcile.io/ready=false         readiness never succeeds
 *   sim.reconcile.io/unready-after-seconds  readiness starts failing this long after each container start
 *                                        (Ready and the container's ready flag turn false; Endpoints
 *                                        move the pod to notReadyAddresses)
 *   sim.reconcile.io/prestop-seconds     preStop hook duration when it is not a sleep action
 *   sim.reconcile.io/terminate-seconds   time the containers take to exit after TERM
 *
 * Identities: with rc_sim_options.apiserver set, each component writes as its own user, so the trace and
 * the action log say who wrote what: the scheduler as system:kube-scheduler, the kubelet of node N as
 * system:node:N (group system:nodes), the node lifecycle, Endpoints and volume-binder controllers as the
 * kube-system service accounts node-controller, endpoint-controller and persistent-volume-binder. The
 * ClusterRoles and ClusterRoleBindings they need (upstream's bootstrap names) are created by rc_sim_new.
 *
 * Events: the scheduler records Scheduled / FailedScheduling (source default-scheduler), the kubelets
 * Pulling, Pulled, Created, Started, Killing, BackOff, Failed and Unhealthy (source kubelet, host the node)
 * as upstream's kubelet does, unless rc_sim_options.no_events.
 *
 * Thread-safety: rc_sim_new before the manager starts; the node helpers and rc_sim_dns_lookup from the
 * thread driving the manager (or any thread with the threaded driver: they only use the client and the
 * thread-safe caches). */
#ifndef RECONCILE_SIM_H
#define RECONCILE_SIM_H

#include "apiserver.h"
#include "clock.h"
#include "common.h"
#include "manager.h"

#include <stdio.h>

typedef struct rc_sim rc_sim;

/* Annotation names (see above). */
#define RC_SIM_ANN_PULL_SECONDS "sim.reconcile.io/pull-seconds"
#define RC_SIM_ANN_IMAGE_PULL "sim.reconcile.io/image-pull"
#define RC_SIM_ANN_RUN_SECONDS "sim.reconcile.io/run-seconds"
#define RC_SIM_ANN_EXIT_CODE "sim.reconcile.io/exit-code"
#define RC_SIM_ANN_CRASH_AFTER "sim.reconcile.io/crash-after-seconds"
#define RC_SIM_ANN_READY "sim.reconcile.io/ready"
#define RC_SIM_ANN_UNREADY_AFTER "sim.reconcile.io/unready-after-seconds"
#define RC_SIM_ANN_PRESTOP_SECONDS "sim.reconcile.io/prestop-seconds"
#define RC_SIM_ANN_TERMINATE_SECONDS "sim.reconcile.io/terminate-seconds"

/* The components' user names (see Identities above). */
#define RC_SIM_USER_SCHEDULER "system:kube-scheduler"
#define RC_SIM_USER_NODE_PREFIX "system:node:"
#define RC_SIM_GROUP_NODES "system:nodes"
#define RC_SIM_SA_NODE_CONTROLLER "node-controller"
#define RC_SIM_SA_ENDPOINT_CONTROLLER "endpoint-controller"
#define RC_SIM_SA_VOLUME_BINDER "persistent-volume-binder"
#define RC_SIM_SA_USER(sa) "system:serviceaccount:kube-system:" sa

/* Simulation settings; a zeroed struct (or NULL) means the defaults given. */
typedef struct rc_sim_options {
    rc_duration image_pull;   /* image pull time; 0 = 1 s (use a negative value for an instant pull) */
    rc_duration batch_run;    /* run time of Never/OnFailure pods without annotations; 0 = 10 s */
    const char *scheduler_name; /* pods with this spec.schedulerName (or none) are scheduled;
                                   NULL = "default-scheduler" */
    bool no_scheduler;        /* leave binding to someone else */
    bool no_endpoints;        /* do not run the Endpoints controller */
    bool no_volumes;          /* do not run the PersistentVolumeClaim binder */
    bool no_events;           /* the scheduler and kubelets record no Events */
    /* The embedded server the manager talks to (borrowed, must outlive the manager): when set, every
     * component writes as its own identity and rc_sim_new installs their RBAC roles; NULL = everything
     * writes through the manager's client. */
    rc_apiserver *apiserver;
} rc_sim_options;

/* One node to add. Strings are copied into the Node object; NULL fields take the defaults. */
typedef struct rc_sim_node_spec {
    const char *name;     /* required: a DNS subdomain */
    const char *cpu;      /* capacity and allocatable cpu; NULL = "8" */
    const char *memory;   /* NULL = "32Gi" */
    const char *pods;     /* NULL = "110" */
    const char *zone;     /* topology.kubernetes.io/zone label; NULL = none */
    const char *pod_cidr; /* spec.podCIDR (IPv4, /16 to /30); NULL = 10.(244 + i/256).(i%256).0/24 for the
                             i-th node this simulator added */
    const char *const *labels; /* extra labels as NULL-terminated key, value pairs; NULL = none */
} rc_sim_node_spec;

/* Attaches a simulated cluster to manager m (before it starts): registers the controllers "scheduler",
 * "kubelet", "node-lifecycle", "endpoints" and "volume-binder" (as opts allow) acting through the
 * manager's client, or as their own identities when opts->apiserver is set (creating their ClusterRoles and
 * bindings when absent; an API error doing so is returned). The simulator belongs to the manager from now
 * on: rc_manager_free releases it, so *out is borrowed and valid while m lives. RC_EINVAL for a NULL manager, a started manager or a controller
 * name already taken; RC_ENOMEM. On failure the controllers already added stay registered but idle. */
RC_API int rc_sim_new(rc_manager *m, const rc_sim_options *opts, rc_sim **out, rc_error *err);

/* ---- nodes (API writes through the manager's client; they take effect as the manager runs) ---- */
/* Creates a Ready node: capacity = allocatable, labels kubernetes.io/hostname, kubernetes.io/os=linux,
 * kubernetes.io/arch=amd64, the zone label, the extra labels; addresses InternalIP (192.168.x.y) and
 * Hostname. The API error (e.g. RC_EEXISTS) is returned. */
RC_API int rc_sim_add_node(rc_sim *sim, const rc_sim_node_spec *spec, rc_error *err);
/* Adds n default nodes named "<prefix>-1" ... (prefix NULL = "node"), spread round-robin over `zones`
 * zones "zone-a", "zone-b", ... (0 = no zone label). Stops at the first error, which is returned. */
RC_API int rc_sim_add_nodes(rc_sim *sim, const char *prefix, size_t n, size_t zones, rc_error *err);
/* Deletes the node; the node lifecycle controller then deletes its pods at once (pod garbage collection
 * of orphaned pods). RC_ENOTFOUND when absent. */
RC_API int rc_sim_remove_node(rc_sim *sim, const char *name, rc_error *err);
/* Sets the node's Ready condition (True, or False: the kubelet stopped). A NotReady node's kubelet does
 * nothing; the node lifecycle controller taints it node.kubernetes.io/not-ready (NoSchedule and NoExecute)
 * and evicts pods without a matching toleration after their tolerationSeconds. Ready again removes the
 * taints. RC_ENOTFOUND when absent. */
RC_API int rc_sim_set_node_ready(rc_sim *sim, const char *name, bool ready, rc_error *err);
/* kubectl cordon / uncordon: spec.unschedulable and the node.kubernetes.io/unschedulable:NoSchedule
 * taint. */
RC_API int rc_sim_cordon(rc_sim *sim, const char *name, bool unschedulable, rc_error *err);
/* Adds (or replaces, matched by key and effect) a taint; effect is NoSchedule, PreferNoSchedule or
 * NoExecute (RC_EINVAL otherwise). value may be NULL. */
RC_API int rc_sim_taint(rc_sim *sim, const char *name, const char *key, const char *value, const char *effect,
                        rc_error *err);
/* Removes the taints with key (and effect, when not NULL). Absent taints are fine. */
RC_API int rc_sim_untaint(rc_sim *sim, const char *name, const char *key, const char *effect, rc_error *err);

/* ---- DNS model (cluster.local) ----
 * "<svc>.<ns>.svc.cluster.local" (".svc" and a trailing dot also accepted): the clusterIP, or for a
 * headless Service the addresses of its ready endpoints (all of them with publishNotReadyAddresses);
 * "<host>.<svc>.<ns>.svc.cluster.local": the endpoint address whose hostname is host (a pod with
 * spec.hostname host and spec.subdomain svc behind a headless Service) - the stable identity StatefulSet
 * pods rely on. Reads the manager's caches (the answer DNS would give at this instant).
 * On success *ips is a malloc'd NULL-terminated array of *n malloc'd strings, sorted (free with
 * rc_sim_dns_free). RC_ENOTFOUND (NXDOMAIN, also for a name with no address) or RC_EINVAL for a name
 * outside the model. */
RC_API int rc_sim_dns_lookup(rc_sim *sim, const char *name, char ***ips, size_t *n, rc_error *err);
RC_API void rc_sim_dns_free(char **ips);

/* ---- trace: JSON Lines of every committed write ---- */
typedef struct rc_sim_trace rc_sim_trace;
/* Hooks srv's write trace and writes one line per committed write to out (borrowed, must stay open until
 * rc_sim_trace_free):
 *   {"t":<seconds since start, 3 decimals>,"verb":"create|update|patch|delete","actor":...,"kind":...,
 *    "namespace":...,"name":...,"resourceVersion":"N","object":{the object as stored}}
 * A delete line is written when the object is finally removed, with its last state; the marking of a
 * graceful or finalizer-held deletion is an update. Deterministic: the same run gives the same bytes.
 * Times are read from clock (borrowed). NULL + err on bad arguments or allocation failure. */
RC_API rc_sim_trace *rc_sim_trace_new(rc_apiserver *srv, rc_clock *clock, rc_time start, FILE *out,
                                      rc_error *err);
/* Lines written so far. */
RC_API uint64_t rc_sim_trace_lines(const rc_sim_trace *t);
/* Unhooks and frees (does not close out). NULL-safe. */
RC_API void rc_sim_trace_free(rc_sim_trace *t);

#endif
