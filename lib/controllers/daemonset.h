/* daemonset.h - internals of the DaemonSet controller (spec section 4), split by job:
 *   daemonset_nodes.c      which nodes should run a daemon pod: nodeName, nodeSelector, required node
 *                          affinity (matchExpressions and matchFields), taints against tolerations
 *                          (with the tolerations every daemon pod gets)
 *   daemonset_pods.c       the pod template (tolerations, revision hash label, pinning by node affinity),
 *                          pod/node grouping, update counts
 *   daemonset_plan.c       one sync as a pure function: per-node reconciliation, RollingUpdate
 *                          (maxUnavailable / maxSurge), OnDelete, status
 *   daemonset_history.c    ControllerRevisions: the current one (hash of the template), pruning
 *   daemonset_controller.c the rc_controller_ops */
#ifndef RC_CONTROLLERS_DAEMONSET_H
#define RC_CONTROLLERS_DAEMONSET_H

#include <reconcile/listwatch.h>
#include <reconcile/object.h>

#include "controllers/child_plan.h"

#define RCI_DAEMONSETS "daemonsets.apps"
#define RCI_DS_HASH_LABEL "controller-revision-hash"
#define RCI_DS_GENERATION_LABEL "pod-template-generation"
#define RCI_DS_GENERATION_ANN "deprecated.daemonset.template.generation"
#define RCI_DS_BURST 250

/* ---- daemonset_nodes.c ---- */
/* The tolerations every daemon pod gets (key, effect; operator Exists, forever). The last one,
 * network-unavailable, only for hostNetwork pods. */
#define RCI_DS_AUTO_TOLERATIONS 7
extern const char *const rci_ds_auto_tolerations[RCI_DS_AUTO_TOLERATIONS][2];
/* NodeShouldRunDaemonPod (spec 4.2) for a pod built from ds's template on node. */
void rci_ds_should_run(const rc_object *ds, const rc_object *node, bool *should_run, bool *should_continue);
/* True when tolerations (a JSON array node, plus the automatic daemon tolerations when daemon is set and
 * host_network tells whether network-unavailable is added) tolerate the taint. */
bool rci_tolerates(rc_node tolerations, bool daemon, bool host_network, rc_node taint);
/* Whether the node matches a nodeSelector map and required node affinity. */
bool rci_node_matches_affinity(rc_node node_selector, rc_node required_terms, const rc_object *node);

/* ---- daemonset_pods.c ---- */
/* The pod a DaemonSet runs on node: template + daemon tolerations + hash label (+ generation label) +
 * the metadata.name node affinity pin, generateName "<ds>-", controller reference. NULL on OOM. */
rc_object *rci_ds_new_pod(const rc_object *ds, const char *node, const char *hash);
/* The node a daemon pod targets: spec.nodeName or its metadata.name affinity pin; NULL when none. */
const char *rci_ds_pod_node(const rc_object *pod);
/* Whether pod runs the current template (hash label, or pod-template-generation). */
bool rci_ds_pod_is_new(const rc_object *ds, const rc_object *pod, const char *hash);
/* Scheduled first, then created first, then by name: negative when a is older. */
int rci_ds_cmp_oldest(const rc_object *a, const rc_object *b);

typedef struct rci_ds_input {
    const rc_object *ds;
    rc_object *const *nodes;
    size_t nnodes;
    rc_object *const *pods; /* the pods the DaemonSet owns */
    size_t npods;
    const char *hash;       /* the current revision's hash */
    rc_time now;
    bool satisfied;         /* expectations satisfied: manage and update may act */
    int burst;              /* 0 = RCI_DS_BURST */
} rci_ds_input;

/* Plans one sync (spec 4.4-4.8). Returns 0 or RC_ENOMEM. */
int rci_ds_plan(const rci_ds_input *in, rci_child_plan *plan);

/* ---- daemonset_history.c (spec 4.6) ---- */
/* ComputeHash(spec.template, status.collisionCount) into out. RC_ENOMEM. */
int rci_ds_hash(const rc_object *ds, char out[16]);
/* The ControllerRevision draft for the current template: name "<ds>-<hash>", template labels plus the
 * hash label, data {"spec":{"template":...,"$patch":"replace"}}, revision number, controller reference.
 * NULL on allocation failure. */
rc_object *rci_ds_revision_new(const rc_object *ds, const char *hash, int64_t number);
/* Old revisions to delete (cleanupHistory): those whose hash no pod carries and that is not current,
 * lowest revision first, until at most revisionHistoryLimit (default 10) old ones remain. Appends
 * references to out. */
int rci_ds_history_victims(const rc_object *ds, rc_object *const *revs, size_t nrevs, rc_object *const *pods,
                           size_t npods, const char *hash, rc_object_list *out);

#endif
