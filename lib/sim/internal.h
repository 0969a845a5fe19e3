/* internal.h - what the simulator's files share: pod and node helpers (requests, taints, tolerations,
 * conditions), the scheduler's node table and predicates, the kubelet's pure state machine, the Endpoints
 * builder and the DNS answer, each a pure function over objects so that tests drive them directly, and
 * the constructors of the controllers sim.c registers. */
#ifndef RC_SIM_INTERNAL_H
#define RC_SIM_INTERNAL_H

#include <reconcile/controller.h>
#include <reconcile/manager.h>
#include <reconcile/sim.h>
#include <reconcile/store.h>

#include <pthread.h>

#define RCI_SIM_TAINT_NOT_READY "node.kubernetes.io/not-ready"
#define RCI_SIM_TAINT_UNREACHABLE "node.kubernetes.io/unreachable"
#define RCI_SIM_TAINT_UNSCHEDULABLE "node.kubernetes.io/unschedulable"
#define RCI_SIM_NODE_INDEX "spec.nodeName"

/* The simulator: settings shared by its controllers. Reference counted: each registered controller holds
 * one reference, released by its destroy. */
struct rc_sim {
    rc_manager *mgr;
    rc_client *client; /* the manager's (borrowed) */
    rc_apiserver *srv; /* for the components' identities (borrowed); NULL = none */
    bool events;       /* the scheduler and kubelets record Events */
    rc_duration image_pull;
    rc_duration batch_run;
    char *scheduler_name;
    unsigned refs;
    size_t nodes_added; /* for the default pod CIDRs */
    pthread_mutex_t lock;
};
void rci_sim_ref(rc_sim *sim);
void rci_sim_unref(rc_sim *sim);

/* ---- identity.c ---- */
/* Creates the components' ClusterRoles and ClusterRoleBindings (when sim->srv is set; existing ones are
 * kept). */
int rci_sim_install_rbac(rc_sim *sim, rc_error *err);
/* A client acting as user (a member of group when not NULL, of the service-account groups for
 * system:serviceaccount:kube-system:* users, and of system:authenticated); a new reference to the manager's
 * client when sim->srv is NULL. NULL when memory runs out. */
rc_client *rci_sim_client_as(rc_sim *sim, const char *user, const char *group);
/* rc_manager_add_controller with opts.client = as; the reference to as is consumed. NULL as (out of memory
 * making it) destroys self and gives RC_ENOMEM. */
int rci_sim_add_controller(rc_sim *sim, const rc_controller_ops *ops, void *self, rc_client *as, rc_error *err);

/* The kubelets' identities: one client (and one event recorder, source kubelet/<node>) per node, made on
 * first use. rci_sim_kubelets_new returns a routing client (new reference; NULL on allocation failure)
 * whose requests go out as the node the calling thread last entered with rci_sim_kubelets_enter; *out is
 * valid while that client lives. */
typedef struct rci_sim_kubelets rci_sim_kubelets;
rc_client *rci_sim_kubelets_new(rc_sim *sim, rci_sim_kubelets **out);
void rci_sim_kubelets_enter(const char *node);
/* The recorder of node (borrowed, lives with the routing client); NULL when memory runs out. */
struct rc_recorder *rci_sim_kubelets_recorder(rci_sim_kubelets *k, const char *node);

/* ---- podutil.c ---- */
/* Sum of the containers' requests (max with each init container), in millicores and bytes. The score_*
 * fields use upstream's non-zero defaults (100m, 200Mi) for containers without requests. */
typedef struct rci_sim_pod_req {
    int64_t mcpu, mem;
    int64_t score_mcpu, score_mem;
    bool selects_nodes; /* has a nodeSelector or required node affinity (else every node matches) */
} rci_sim_pod_req;
void rci_sim_pod_requests(const rc_object *pod, rci_sim_pod_req *out);
bool rci_sim_pod_is_terminal(const rc_object *pod);
/* Index function: a pod's spec.nodeName (none when unbound). */
void rci_sim_index_node_name(void *ctx, const rc_object *obj, rc_index_values *out);
/* Does the toleration node tolerate taint (key, value, effect)? (upstream Toleration.ToleratesTaint) */
bool rci_sim_toleration_matches(rc_node toleration, const char *key, const char *value, const char *effect);
/* The pod's first toleration of the taint, or a NONE node. */
rc_node rci_sim_pod_toleration_for(const rc_object *pod, rc_node taint);
/* An annotation as whole seconds (>= 0) or def when absent or malformed. */
int64_t rci_sim_annotation_seconds(const rc_object *o, const char *key, int64_t def);
/* RFC 3339 time of a node (string) or def when absent or malformed. */
rc_time rci_sim_node_time(rc_node n, rc_time def);
/* The condition `type` in a conditions array, or a NONE node. */
rc_node rci_sim_condition(rc_node conditions, const char *type);
/* The status of condition `type` in a conditions array ("True", "False", "Unknown") or NULL. */
const char *rci_sim_condition_status(rc_node conditions, const char *type);
/* Sets condition type in the cJSON array conds to status/reason/message; lastTransitionTime (and
 * lastProbeTime null) change only when the status flips. Returns true when anything changed. */
bool rci_sim_condition_set(cJSON *conds, const char *type, const char *status, const char *reason,
                       const char *message, rc_time now);

/* ---- scheduler.c: node table, predicates, scoring ---- */
typedef enum rci_sim_fit {
    RCI_SIM_FIT_OK = 0,
    RCI_SIM_FIT_SELECTOR,      /* node(s) didn't match Pod's node affinity/selector */
    RCI_SIM_FIT_UNSCHEDULABLE, /* node(s) were unschedulable */
    RCI_SIM_FIT_TAINT,         /* node(s) had untolerated taint(s) */
    RCI_SIM_FIT_CPU,           /* Insufficient cpu */
    RCI_SIM_FIT_MEMORY,        /* Insufficient memory */
    RCI_SIM_FIT_PODS,          /* Too many pods */
    RCI_SIM_FIT_NREASONS
} rci_sim_fit;
const char *rci_sim_fit_reason(rci_sim_fit f);

/* What the scheduler knows of one node: allocatable from the Node, requested from the pods bound to it. */
typedef struct rci_sim_sched_node {
    rc_object *node; /* reference */
    const char *name; /* borrowed from node */
    int64_t alloc_mcpu, alloc_mem, alloc_pods;
    int64_t req_mcpu, req_mem, req_pods;
    int64_t score_mcpu, score_mem;
    bool unschedulable; /* spec.unschedulable */
    bool tainted;       /* has a NoSchedule or NoExecute taint */
    uint64_t mark; /* the scheduler's refresh pass that last saw the node */
} rci_sim_sched_node;

/* Fills n from a Node object (takes a reference; the requested amounts are left as they are). What the
 * filter needs of the node is read here once, so filtering a pod costs a few comparisons per node. */
void rci_sim_sched_node_set(rci_sim_sched_node *n, rc_object *node);
/* The predicates, in upstream's order: node affinity/selector, unschedulable, taints, resources. */
rci_sim_fit rci_sim_sched_filter(const rci_sim_sched_node *n, const rc_object *pod, const rci_sim_pod_req *req);
/* Required node affinity and nodeSelector only (also used by tests and DaemonSet-like checks). */
bool rci_sim_sched_node_matches(const rc_object *node, const rc_object *pod);
/* Least-allocated score in [0, 100] after placing req on n (higher is better). */
int64_t rci_sim_sched_score(const rci_sim_sched_node *n, const rci_sim_pod_req *req);
/* "0/N nodes are available: 1 Insufficient cpu, 2 node(s) ...." from counts per reason; malloc'd. */
char *rci_sim_sched_message(size_t nnodes, const size_t counts[RCI_SIM_FIT_NREASONS]);

/* ---- kubelet.c: the state machine of a bound pod ---- */
typedef struct rci_sim_kubelet_config {
    rc_duration image_pull;
    rc_duration batch_run;
} rci_sim_kubelet_config;

typedef enum rci_sim_kubelet_action {
    RCI_SIM_KUBELET_NONE = 0,     /* nothing to write */
    RCI_SIM_KUBELET_STATUS,       /* write plan.status */
    RCI_SIM_KUBELET_STATUS_DELETE /* write plan.status (if any), then delete the pod with grace 0 */
} rci_sim_kubelet_action;

/* An Event the kubelet records once the plan's status is written (upstream's kubelet events). */
typedef struct rci_sim_kubelet_event {
    const char *type;   /* RC_EVENT_NORMAL or RC_EVENT_WARNING (static) */
    const char *reason; /* Pulling, Pulled, Created, Started, Killing, BackOff, Failed, Unhealthy (static) */
    char message[384];
} rci_sim_kubelet_event;

/* Events a plan holds without allocating: a started container's Pulling, Pulled, Created, Started. */
#define RCI_SIM_KUBELET_INLINE_EVENTS 4

typedef struct rci_sim_kubelet_plan {
    rci_sim_kubelet_action action;
    cJSON *status; /* the new status (owned by the plan) or NULL */
    rc_time next;  /* when to look again, RC_TIME_NEVER when nothing is pending */
    /* in order, only with a status to write: inline_events, or a heap array (owned) once they run out */
    rci_sim_kubelet_event *events;
    size_t nevents, cap_events;
    rci_sim_kubelet_event inline_events[RCI_SIM_KUBELET_INLINE_EVENTS];
} rci_sim_kubelet_plan;

/* Computes what the kubelet does for pod at now: the status to write, the events of the transitions it
 * makes, and when to look again. pod_ip/host_ip are used when the pod has none yet. */
int rci_sim_kubelet_plan_pod(const rc_object *pod, const rci_sim_kubelet_config *cfg, rc_time now, const char *pod_ip,
                         const char *host_ip, rci_sim_kubelet_plan *plan, rc_error *err);
void rci_sim_kubelet_plan_clear(rci_sim_kubelet_plan *plan);
/* CrashLoopBackOff delay before restart number restarts + 1: 10 s doubling, capped at 5 min. */
rc_duration rci_sim_kubelet_backoff(int64_t restarts);

/* ---- endpoints.c ---- */
/* The Endpoints object (cJSON, caller owns) for service svc over pods (the pods its selector matches in
 * its namespace): ready and not-ready addresses sorted by IP, hostname when the pod's subdomain names the
 * service, ports with target ports resolved. NULL on allocation failure. */
cJSON *rci_sim_endpoints_build(const rc_object *svc, rc_object *const *pods, size_t npods);

/* ---- dns.c ---- */
/* The answer for name from the stores of Services and Endpoints: see rc_sim_dns_lookup. */
int rci_sim_dns_answer(rc_store *services, rc_store *endpoints, const char *name, char ***ips, size_t *n,
                   rc_error *err);

/* ---- controllers (each takes a reference on sim) ---- */
int rci_sim_add_scheduler(rc_sim *sim, rc_error *err);
int rci_sim_add_kubelet(rc_sim *sim, rc_error *err);
int rci_sim_add_node_lifecycle(rc_sim *sim, rc_error *err);
int rci_sim_add_endpoints(rc_sim *sim, rc_error *err);
int rci_sim_add_volume_binder(rc_sim *sim, rc_error *err);

#endif
