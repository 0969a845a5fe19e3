/* statefulset.h - internals of the StatefulSet controller (spec section 3), split by job:
 *   statefulset_identity.c  ordinals, pod names, new pods from a revision, identity/storage checks
 *   statefulset_pvc.c       claims from volumeClaimTemplates, stale claims, retention-policy ownerRefs
 *   statefulset_history.c   current/update revisions (ControllerRevisions) and history truncation
 *   statefulset_update.c    RollingUpdate: highest ordinal first, partition, maxUnavailable
 *   statefulset_status.c    status computation, rollout completion and the status write
 *   statefulset_sync.c      one sync pass: slots and condemned pods, OrderedReady vs Parallel
 *   statefulset.c           the rc_controller_ops wrapper (watches, claiming, reconcile)
 * The sync pass talks to the outside world only through rci_sts_io, so it runs inside a reconcile (the
 * wrapper fills io from the reconcile context) or driven directly by a test. */
#ifndef RC_CONTROLLERS_STATEFULSET_H
#define RC_CONTROLLERS_STATEFULSET_H

#include <reconcile/client.h>
#include <reconcile/clock.h>
#include <reconcile/common.h>
#include <reconcile/object.h>
#include <reconcile/selector.h>

#define RCI_STATEFULSETS "statefulsets.apps"
#define RCI_PVCS "persistentvolumeclaims"
#define RCI_LABEL_POD_NAME "statefulset.kubernetes.io/pod-name"
#define RCI_LABEL_POD_INDEX "apps.kubernetes.io/pod-index"
#define RCI_LABEL_POD_REVISION "controller-revision-hash"

/* What a sync pass may do to the world, and how. */
typedef struct rci_sts_io {
    rc_client *client; /* every write */
    rc_time now;
    bool ignore_max_unavailable; /* the MaxUnavailableStatefulSet feature gate is off */
    /* Cache read of a PersistentVolumeClaim: 0 and *out (new reference), RC_ENOTFOUND, or an error. */
    int (*get_claim)(void *ctx, const char *ns, const char *name, rc_object **out, rc_error *err);
    /* Records an event about obj (failures are the callee's business). */
    void (*event)(void *ctx, const rc_object *obj, const char *type, const char *reason, const char *message);
    void *ctx;
} rci_sts_io;

/* A StatefulSet's spec, parsed once per sync (strings and nodes borrowed from obj). */
typedef struct rci_sts {
    const rc_object *obj;
    const char *ns, *name, *uid, *service;
    int64_t replicas, start, partition, min_ready, history_limit;
    bool parallel;         /* podManagementPolicy Parallel */
    bool on_delete;        /* updateStrategy OnDelete (else RollingUpdate) */
    bool has_rolling;      /* updateStrategy.rollingUpdate present */
    bool has_max_unavailable;
    int64_t max_unavailable; /* resolved (rounded down, at least 1) when has_max_unavailable */
    bool delete_when_deleted, delete_when_scaled;
    rc_node template_;     /* spec.template */
    rc_node claim_templates; /* spec.volumeClaimTemplates (may be NONE) */
    rc_node match_labels;  /* spec.selector.matchLabels (may be NONE) */
    rc_selector *selector; /* owned */
} rci_sts;

/* Parses set; RC_EINVAL with a message naming the field for a bad selector or maxUnavailable. Release
 * with rci_sts_release. */
int rci_sts_parse(const rc_object *set, rci_sts *out, rc_error *err);
void rci_sts_release(rci_sts *s);

/* ---- identity (statefulset_identity.c) ---- */
/* The ordinal of a pod named "<set>-<n>" (n canonical decimal, no sign or leading zero), else -1. */
int64_t rci_sts_ordinal(const char *set_name, const char *pod_name);
/* "<set>-<ordinal>"; malloc'd or NULL. */
char *rci_sts_pod_name(const char *set_name, int64_t ordinal);
/* A new pod draft for ordinal from template (a pod template node): template labels, annotations,
 * finalizers and spec, controller reference, name, hostname/subdomain, identity labels, claim volumes,
 * and the revision label. NULL + err on allocation failure. */
rc_object *rci_sts_new_pod(const rci_sts *s, rc_node template_, int64_t ordinal, const char *revision,
                           rc_error *err);
/* Upstream identityMatches / storageMatches. */
bool rci_sts_identity_matches(const rci_sts *s, const rc_object *pod);
bool rci_sts_storage_matches(const rci_sts *s, const rc_object *pod);
/* A draft copy of pod with the identity labels restored. NULL on allocation failure. */
rc_object *rci_sts_fix_identity(const rci_sts *s, const rc_object *pod);
/* The revision a pod records (its controller-revision-hash label), "" when absent. */
const char *rci_sts_pod_revision(const rc_object *pod);

/* ---- pod predicates as the StatefulSet controller uses them ---- */
bool rci_sts_pod_created(const rc_object *pod);     /* has a phase: exists in the API */
bool rci_sts_pod_terminating(const rc_object *pod); /* deletionTimestamp set */
bool rci_sts_pod_running_ready(const rc_object *pod);
bool rci_sts_pod_available(const rci_sts *s, const rc_object *pod, rc_time now);
/* Available and not terminating. */
bool rci_sts_pod_healthy(const rci_sts *s, const rc_object *pod, rc_time now);

/* ---- claims (statefulset_pvc.c) ---- */
/* "<claim>-<set>-<ordinal>"; malloc'd or NULL. */
char *rci_sts_claim_name(const char *claim, const char *set_name, int64_t ordinal);
/* Creates the claims of ordinal that the cache lacks (before the pod; again for a Pending pod). A claim
 * being deleted is an error (retry later). */
int rci_sts_create_claims(const rci_sts_io *io, const rci_sts *s, int64_t ordinal, rc_error *err);
/* *stale = some claim of ordinal still has an ownerReference to a previous pod of that name (it waits for
 * the garbage collector; the pod must not be created yet). */
int rci_sts_claims_stale(const rci_sts_io *io, const rci_sts *s, int64_t ordinal, bool *stale, rc_error *err);
/* Brings the ownerReferences of pod's claims in line with the retention policy (spec section 3.6);
 * condemned = the pod's ordinal is out of range. Claims that match (or are missing) are left alone. */
int rci_sts_fix_claim_owners(const rci_sts_io *io, const rci_sts *s, const rc_object *pod, bool condemned,
                             rc_error *err);

/* ---- revisions (statefulset_history.c) ---- */
typedef struct rci_sts_revisions {
    rc_object *current;      /* owned references */
    rc_object *update;
    int64_t collision_count;
} rci_sts_revisions;
/* Sorts revs (owned by the caller) and finds or creates the update revision, picks the current one
 * (status.currentRevision, else the update revision). Replaces renumbered entries of revs in place. */
int rci_sts_get_revisions(const rci_sts_io *io, const rci_sts *s, rc_object_list *revs, rci_sts_revisions *out,
                          rc_error *err);
void rci_sts_revisions_release(rci_sts_revisions *r);
/* The pod template recorded in a revision (data.spec.template). */
rc_node rci_sts_revision_template(const rc_object *rev);
/* Deletes the oldest revisions that are neither current, update nor used by a pod, beyond
 * revisionHistoryLimit. revs sorted. */
int rci_sts_truncate_history(const rci_sts_io *io, const rci_sts *s, const rc_object_list *revs,
                             const rci_sts_revisions *r, const rc_object_list *pods, rc_error *err);

/* ---- one pass (statefulset_sync.c, statefulset_update.c, statefulset_status.c) ---- */
/* The status a pass computed. */
typedef struct rci_sts_status {
    int64_t observed_generation, replicas, ready, available, current, updated, collision_count;
    const char *current_revision, *update_revision; /* borrowed from the revisions */
} rci_sts_status;

/* The pass's working state: slots for in-range ordinals and the condemned pods, highest ordinal first. */
typedef struct rci_sts_pass {
    const rci_sts_io *io;
    const rci_sts *s;
    rci_sts_revisions rev;
    rc_object **slots;     /* replicas entries, owned references (placeholders are drafts) */
    rc_object **condemned; /* owned references, ordinal descending */
    size_t ncondemned;
    const rc_object *first_unhealthy; /* borrowed from slots/condemned */
    rci_sts_status status;
} rci_sts_pass;

/* Recomputes pass->status from slots and condemned (upstream updateStatus). */
void rci_sts_count_status(rci_sts_pass *p);
/* completeRollingUpdate, then writes the status when it differs from set's (conflicts retried). */
int rci_sts_write_status(const rci_sts_io *io, const rc_object *set, rci_sts_status *st, bool rolling,
                         rc_error *err);
/* Deletes pod with default options and records SuccessfulDelete / FailedDelete. */
int rci_sts_delete_pod(rci_sts_pass *p, const rc_object *pod, rc_error *err);
/* The RollingUpdate step after scaling (spec 3.4 steps 10-11). */
int rci_sts_rolling_update(rci_sts_pass *p, rc_error *err);

/* Outcome of a sync. */
typedef struct rci_sts_result {
    rc_duration requeue_after; /* 0 = none: re-check availability after minReadySeconds */
} rci_sts_result;

/* One reconcile pass over set with its claimed pods and revisions (references borrowed; revs sorted and
 * possibly updated in place). */
int rci_sts_sync(const rci_sts_io *io, const rc_object *set, const rc_object_list *pods, rc_object_list *revs,
                 rci_sts_result *res, rc_error *err);

#endif
