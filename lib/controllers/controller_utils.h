/* controller_utils.h - helpers shared by the reference controllers (upstream pkg/controller's
 * controller_utils.go and pkg/api/v1/pod): pod predicates, the scale-down ranking of pods, the
 * pod-template-hash, slow-start batching, status conditions and small readers of timestamps and
 * annotations. Internal to lib/controllers; every function is reentrant. */
#ifndef RC_CONTROLLERS_UTILS_H
#define RC_CONTROLLERS_UTILS_H

#include <reconcile/clock.h>
#include <reconcile/common.h>
#include <reconcile/controller.h>
#include <reconcile/object.h>
#include <cjson/cJSON.h>

/* Label and annotation names of the Deployment/ReplicaSet machinery. */
#define RCI_POD_TEMPLATE_HASH "pod-template-hash"
#define RCI_ANN_REVISION "deployment.kubernetes.io/revision"
#define RCI_ANN_REVISION_HISTORY "deployment.kubernetes.io/revision-history"
#define RCI_ANN_DESIRED_REPLICAS "deployment.kubernetes.io/desired-replicas"
#define RCI_ANN_MAX_REPLICAS "deployment.kubernetes.io/max-replicas"
#define RCI_ANN_ROLLBACK_TO "deprecated.deployment.rollback.to"
#define RCI_ANN_CHANGE_CAUSE "kubernetes.io/change-cause"
#define RCI_ANN_DELETION_COST "controller.kubernetes.io/pod-deletion-cost"

/* ---- timestamps ---- */
/* The RFC 3339 time at path in o, or 0 when absent or unparsable. */
rc_time rci_object_time(const rc_object *o, const char *path);
/* Same for a node holding a timestamp string. */
rc_time rci_node_time(rc_node n);
/* "2006-01-02T15:04:05Z" of t as a new cJSON string (NULL on allocation failure). */
cJSON *rci_time_json(rc_time t);

/* ---- pod predicates (spec section 0.4) ---- */
bool rci_pod_is_active(const rc_object *pod);
bool rci_pod_is_ready(const rc_object *pod);
/* rci_pod_is_ready, from the same look at the Ready condition setting *since to its lastTransitionTime
 * when Ready=True (0 when not ready or unknown). */
bool rci_pod_ready_at(const rc_object *pod, rc_time *since);
/* Ready, and Ready for at least min_ready_seconds at now ("at or before"). */
bool rci_pod_is_available(const rc_object *pod, int64_t min_ready_seconds, rc_time now);

/* ---- scale-down ranking (spec section 1.3) ---- */
typedef struct rci_ranked_pod {
    rc_object *pod; /* borrowed */
    int rank;       /* active sibling pods on the same node */
} rci_ranked_pod;
/* Sorts pods so that pods[0] is the first to delete. */
void rci_rank_pods_for_deletion(rci_ranked_pod *pods, size_t n, rc_time now);

/* ---- pod-template-hash (spec section 0.6) ---- */
/* FNV-1a-32 of a canonical dump of template (object keys sorted), plus the collision count when given,
 * rendered through the safe-encoding alphabet into out (at most 10 chars + NUL). RC_ENOMEM. */
int rci_template_hash(rc_node template_, const int64_t *collision_count, char out[16]);
/* True when both pod templates are equal once the pod-template-hash label is ignored. */
bool rci_templates_equal_ignore_hash(rc_node a, rc_node b);
/* Canonical text of a JSON value (sorted keys, compact); malloc'd, NULL on allocation failure. */
char *rci_canonical_json(const cJSON *v);

/* ---- slow start (spec section 0.3) ---- */
/* Calls fn(ctx, i) for i in [0, count) in batches of initial, 2*initial, ...; stops after the first batch
 * with a failure. Returns the number of successful calls; the first error is moved into err. */
size_t rci_slow_start(size_t count, size_t initial, int (*fn)(void *ctx, size_t i, rc_error *err), void *ctx,
                      rc_error *err);

/* ---- conditions in a status cJSON object ---- */
cJSON *rci_condition_get(const cJSON *status, const char *type);
/* Upstream SetCondition: no-op (false) if a condition of that type has the same status and reason;
 * otherwise replaces it (moved to the end), keeping lastTransitionTime when only the reason changed.
 * with_update_time also stamps lastUpdateTime (Deployment conditions). */
bool rci_condition_set(cJSON *status, const char *type, const char *cstatus, const char *reason,
                       const char *message, rc_time now, bool with_update_time);
/* Removes the condition of that type; true when one was removed. */
bool rci_condition_remove(cJSON *status, const char *type);

/* ---- small readers ---- */
/* Integer annotation: true and *out on success, false when absent or not an integer. */
bool rci_annotation_int(const rc_object *o, const char *key, int64_t *out);
/* spec.replicas / status.<field> with upstream defaults (absent = 0, spec.replicas absent = 1). */
int64_t rci_spec_replicas(const rc_object *o);
int64_t rci_status_int(const rc_object *o, const char *field);
/* Orders objects by creationTimestamp, then name (upstream ByCreationTimestamp): negative when a < b. */
int rci_cmp_creation(const rc_object *a, const rc_object *b);
/* Replaces obj's status with want when the two differ (status_write.c); *out (optional) receives the
 * written object, NULL when nothing was written. */
int rci_write_status(rc_reconcile_ctx *ctx, const char *resource, const rc_object *obj, const cJSON *want,
                     rc_object **out, rc_error *err);
/* Sets a cJSON object member, replacing an existing one (takes value). false on allocation failure. */
bool rci_json_set(cJSON *obj, const char *key, cJSON *value);

#endif
