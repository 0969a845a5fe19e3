/* internal.h - the inside of rc_apiserver, shared by the files of lib/apiserver/: the server struct, the
 * per-resource storage (objects, sorted view, watch history, watchers), the request context, and the
 * internal functions each file provides to the others.
 *
 * Locking: one mutex (srv->lock) guards all storage, watchers, the pending queue, the action log and the
 * fault settings. Functions named *_locked expect it held. Defaulting, admission, validation and RBAC run
 * without it (they may call back into the server through a client), then the write is committed under it
 * if the object is still the one the change was computed from (optimistic concurrency, like etcd). */
#ifndef RC_APISERVER_INTERNAL_H
#define RC_APISERVER_INTERNAL_H

#include <reconcile/apiserver.h>
#include <reconcile/rbac.h>
#include <reconcile/selector.h>

#include <pthread.h>
#include <stdatomic.h>

#include "util/map.h"

/* One stored object. The sorted view points at entries, so updates (which only swap obj) keep it valid. */
typedef struct rci_entry {
    char *key; /* "ns/name" or "name", owned */
    rc_object *obj;
} rci_entry;

/* One committed change, kept in the resource's history ring and in the pending delivery queue. */
typedef struct rci_event {
    uint64_t rv;
    rc_watch_event_type type; /* ADDED, MODIFIED, DELETED */
    rc_object *obj;           /* the new state; for DELETED the final state stamped with rv */
    rc_object *prev;          /* the state before (NULL for ADDED) */
} rci_event;

struct rci_resource;

typedef struct rci_watcher {
    rc_watch *w;
    struct rci_resource *res;
    char *ns;                /* NULL = every namespace */
    rc_selector *labels;     /* NULL = everything */
    rc_field_selector *fields;
    uint64_t last_rv;        /* delivered up to here */
    bool bookmarks;
    rc_time next_bookmark;   /* RC_TIME_NEVER when !bookmarks */
    rc_time deadline;        /* timeoutSeconds; RC_TIME_NEVER = none */
    uint64_t sent;
    bool done;               /* ended by the server; removed at the end of the pass */
} rci_watcher;

typedef struct rci_resource {
    const rc_resource_info *ri;
    char *id;            /* "plural" or "plural.group" */
    rci_map objects;     /* key -> rci_entry* */
    rci_entry **sorted;  /* entries by key, rebuilt when sorted_dirty */
    size_t nsorted;
    bool sorted_dirty;
    rci_event *ring;     /* history, oldest at ring_head */
    size_t ring_cap, ring_head, ring_count;
    uint64_t compacted_rv; /* every event with rv <= this is forgotten */
    rci_watcher **watchers;
    size_t nwatchers, watchers_cap;
} rci_resource;

typedef struct rci_pending {
    rci_resource *res;
    rci_event ev;          /* its own references */
    rc_object *prev_at_rv; /* lazily: prev stamped with ev.rv (selector transitions to DELETED) */
} rci_pending;

typedef struct rci_grace {
    rci_resource *res;
    char *key;
    rc_time deadline;
} rci_grace;

typedef struct rci_fault {
    char *verb, *resource, *ns, *name;
    uint64_t skip;  /* matching requests still to let through */
    uint64_t times; /* failures left */
    int code;
} rci_fault;

typedef struct rci_handle rci_handle;

struct rc_apiserver {
    pthread_mutex_t lock;
    rc_clock *clock;
    rc_rand rand;
    rc_apiserver_options opts;
    rc_registry *registry;
    rci_handle *handle;      /* what clients point at; cleared when the server is freed */
    rc_client *system;       /* allow-all client handed to admission plugins */
    rci_map resources;       /* id -> rci_resource* */
    uint64_t rv;
    rci_pending *pending;
    size_t npending, pending_cap;
    bool sweep_needed;       /* some watcher was ended: remove it after the current pass */
    rc_admission_plugin *plugins;
    size_t nplugins;
    size_t nbuiltin_plugins; /* the first plugins: built in; none changes a subresource write */
    bool rbac;
    rci_map authz_cache;     /* allowed RBAC answers (authz_cache.c) */
    uint64_t policy_gen;     /* counts committed changes of RBAC objects */
    rci_grace *grace;
    size_t ngrace, grace_cap;
    /* action log ring */
    rc_action *actions;
    size_t actions_head, nactions;
    /* faults */
    rci_fault *faults;
    size_t nfaults;
    double conflict_rate;
    uint64_t drop_every;
    rc_duration latency;
    uint32_t next_cluster_ip;
    void (*trace)(void *ctx, const rc_trace_record *rec);
    void *trace_ctx;
};

/* A client's link to its server: survives rc_apiserver_free so late calls fail with RC_ECLOSED. */
struct rci_handle {
    atomic_int refs;
    rc_apiserver *_Atomic srv;
};

/* One request as it travels through the server. */
typedef struct rci_req {
    rc_apiserver *srv;
    const rc_user *user;  /* NULL = unauthenticated, allow-all */
    const char *verb;     /* action-log verb */
    const rc_resource_info *ri;
    rci_resource *res;
    const char *ns;       /* "" when none */
    const char *name;     /* "" when none */
    const char *subresource; /* "" when none */
    bool dry_run;
    bool strict_fields;   /* fieldValidation=Strict: unknown fields are a 400 */
    const char *field_manager; /* recorded in metadata.managedFields; NULL = none */
    const cJSON *applied; /* server-side apply: the applied configuration */
    uint64_t result_rv;   /* the resourceVersion a commit produced */
    char ns_buf[256];     /* create: the namespace and (generated) name chosen */
    char name_buf[320];
    bool registered_crd;  /* create of a CRD registered registered_group/registered_plural */
    const rc_resource_info *replaced_crd; /* update of a CRD replaced this registration */
    char registered_group[128];
    char registered_plural[128];
} rci_req;

/* ---- server.c ---- */
/* The stored resource for ri, created on first use. NULL on allocation failure. Locked. */
rci_resource *rci_resource_for_locked(rc_apiserver *srv, const rc_resource_info *ri);
const char *rci_actor(const rci_req *req);
/* RFC 3339 text for t (seconds precision) into buf (>= 21 bytes). */
void rci_format_time(rc_time t, char *buf, size_t cap);
/* Parses RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" (fractions ignored); false when malformed. */
bool rci_parse_time(const char *s, rc_time *out);
/* A random UUID v4 / a lower-case alphanumeric suffix of n chars (n < cap), from the seeded source. Locked. */
void rci_uuid_locked(rc_apiserver *srv, char out[37]);
void rci_random_suffix_locked(rc_apiserver *srv, char *out, size_t n);
/* Upstream's "<resource>.<group> \"name\"" qualifier, e.g. deployments.apps "web", into buf. */
const char *rci_qualified(const rc_resource_info *ri, char *buf, size_t cap);

/* ---- store.c ---- */
rci_entry *rci_store_get_locked(rci_resource *res, const char *key);
/* The entries by key (rebuilt if needed); *n receives the count. NULL when empty. */
rci_entry **rci_store_sorted_locked(rci_resource *res, size_t *n);
/* Index of the first sorted entry whose key is >= key. */
size_t rci_store_lower_bound(rci_entry **sorted, size_t n, const char *key);
/* Applies a committed change to storage and history, queues it for watchers (or delivers it with
 * auto_pump) and calls the trace hook. obj: the new stored object (a reference is taken); NULL deletes
 * key. final: the DELETED event's object. */
int rci_store_apply_locked(rci_req *req, const char *key, rc_object *obj, rc_object *final, rc_error *err);
/* History events with rv > after, oldest first, through fn; false when `after` is older than the window. */
bool rci_store_history_since_locked(rci_resource *res, uint64_t after,
                                    void (*fn)(void *ctx, const rci_event *ev), void *ctx);
void rci_store_free(rci_resource *res);
/* True when some object lives in namespace ns in any resource. Locked. */
bool rci_store_namespace_has_objects_locked(rc_apiserver *srv, const char *ns);

/* ---- commit.c ---- */
/* Stamps rv into tree, then freezes and stores a copy of it as the new state of key, provided the current
 * state is still `expected` (NULL: must not exist). RC_EEXISTS / RC_EAGAIN (changed meanwhile) /
 * RC_ENOTFOUND (gone), tree untouched then. tree stays the caller's (a create that picked a taken
 * generated name retries with it). *out: new reference to the stored object. Takes the lock. */
int rci_commit_write(rci_req *req, const char *key, cJSON *tree, rc_object *expected, rc_object **out,
                     rc_error *err);
/* Removes key if its current state is `expected` (not NULL); *out: its final state. Takes the lock. */
int rci_commit_delete(rci_req *req, const char *key, rc_object *expected, rc_object **out, rc_error *err);
/* A new reference to the stored object at key, or NULL. Takes the lock. */
rc_object *rci_lookup(rci_req *req, const char *key);

/* ---- write.c: create/update pipeline ---- */
/* Builds the desired tree from the current object `old`. *conditional: the caller's resourceVersion
 * must match (conflict instead of retry). Returns 0 or an error; *tree is owned by the caller. */
typedef int (*rci_change_fn)(void *ctx, rci_req *req, const rc_object *old, const cJSON *old_tree,
                             cJSON **tree, bool *conditional, rc_error *err);
int rci_create(rci_req *req, const cJSON *input, rc_object **out, rc_error *err);
/* rci_create taking ownership of tree (deleted whatever the outcome), for callers that built it for this
 * write and need no copy. */
int rci_create_owned(rci_req *req, cJSON *tree, rc_object **out, rc_error *err);
int rci_update_with(rci_req *req, rci_change_fn fn, void *ctx, rc_object **out, rc_error *err);
int rci_update(rci_req *req, const cJSON *input, rc_object **out, rc_error *err);
/* The object a status-subresource write stores, from the stored tree and the incoming one (upstream's status
 * strategies: only status for custom resources; built-ins also take metadata, minus what the kind resets).
 * New tree, NULL on allocation failure. */
cJSON *rci_status_tree(rci_req *req, const cJSON *old_tree, const cJSON *incoming);
/* The conflict error for ri/name. */
int rci_conflict(const rci_req *req, rc_error *err);
/* Runs the admission chain for a DELETE (mutating hooks see no object). */
int rci_admit_delete(rci_req *req, const cJSON *old_tree, rc_error *err);

/* ---- managed.c ---- */
/* Records req->field_manager's entry in tree's metadata.managedFields (Apply with the applied fields when
 * req->applied, else Update with the fields that differ from old_tree, NULL at create). No-op without a
 * manager or, for Update, when nothing changed. */
void rci_managed_record(rci_req *req, cJSON *tree, const cJSON *old_tree);

/* ---- prepare.c: per-kind create steps ---- */
/* Before admission: status reset (pods Pending, namespaces Active), namespace finalizer. */
int rci_prepare_create_kind(rci_req *req, cJSON *tree, rc_error *err);
/* After validation, before commit: Service clusterIP allocation, CRD registration. */
int rci_after_validate_kind(rci_req *req, cJSON *tree, rc_error *err);
/* The commit failed: undo rci_after_validate_kind's registration. */
void rci_create_failed_kind(rci_req *req);
/* After commit: a new namespace gets its default ServiceAccount. */
void rci_after_create_kind(rci_req *req, const rc_object *obj);

/* ---- delete.c ---- */
int rci_delete(rci_req *req, const rc_delete_options *opts, rc_object **out, rc_error *err);
int rci_delete_collection(rci_req *req, const rc_list_options *lo, const rc_delete_options *opts,
                          rc_error *err);
/* After an object left a terminating namespace: removes the namespace once it is empty. */
void rci_namespace_maybe_finalize(rci_req *req, const char *ns);
/* Removes pods whose grace period ended (and other due deletions); returns how many. */
size_t rci_grace_step(rc_apiserver *srv, rc_time now);
rc_time rci_grace_next_locked(rc_apiserver *srv);
void rci_grace_track_locked(rc_apiserver *srv, rci_resource *res, const char *key, rc_time deadline);

/* ---- list.c ---- */
int rci_list(rci_req *req, const rc_list_options *opts, rc_object_list *out, rc_error *err);

/* ---- fields.c ---- */
/* Parses a field selector and checks every field is supported for ri (400 otherwise). NULL with
 * err->code 0 for an empty selector. */
rc_field_selector *rci_field_selector_parse(const rc_resource_info *ri, const char *text, rc_error *err);

/* ---- watch.c ---- */
int rci_watch(rci_req *req, const rc_list_options *opts, rc_watch **out, rc_error *err);
/* Delivers srv->pending to watchers; returns events sent. Locked. */
size_t rci_watch_dispatch_locked(rc_apiserver *srv);
/* Watch timeouts and periodic bookmarks due at now; returns the count. Locked. */
size_t rci_watch_step_locked(rc_apiserver *srv, rc_time now);
rc_time rci_watch_next_locked(rc_apiserver *srv);
/* Ends every watch stream of res (or all when res is NULL). Locked. */
void rci_watch_close_all_locked(rc_apiserver *srv, rci_resource *res);
void rci_pending_clear(rci_pending *p);

/* ---- subresource.c ---- */
int rci_get_scale(rci_req *req, rc_object **out, rc_error *err);
int rci_update_scale(rci_req *req, const cJSON *scale, rc_object **out, rc_error *err);
int rci_patch_scale(rci_req *req, rc_patch_type type, const cJSON *patch, rc_object **out, rc_error *err);
int rci_create_binding(rci_req *req, const cJSON *binding, rc_object **out, rc_error *err);

/* ---- patch.c ---- */
int rci_patch(rci_req *req, rc_patch_type type, const char *data, size_t len, bool force, rc_object **out,
              rc_error *err);

/* ---- crd.c ---- */
/* Before a CRD is stored: fills its status and registers its resource. RC_EINVAL when names clash. */
int rci_crd_prepare(rci_req *req, cJSON *crd, rc_error *err);
/* Before an updated CRD is stored: re-registers its resource when the definition changed (remembered in
 * req->replaced_crd) and refreshes its status. RC_EINVAL when the new names clash (nothing changed). */
int rci_crd_reregister(rci_req *req, cJSON *crd, const cJSON *old_crd, rc_error *err);
/* The update was not committed: puts req->replaced_crd back. */
void rci_crd_reregister_failed(rci_req *req);
/* A new reference to the CRD object serving ri, or NULL for built-in kinds. Takes the lock. */
rc_object *rci_crd_for(rc_apiserver *srv, const rc_resource_info *ri);
/* Where a custom resource's Scale reads and writes (rc_node paths without the leading dot). */
typedef struct rci_scale_paths {
    char spec_replicas[128];
    char status_replicas[128];
    char label_selector[128]; /* "" when the CRD names none */
} rci_scale_paths;
/* Fills out from ri's CRD scale subresource; false for built-in kinds (spec.replicas, status.replicas,
 * spec.selector) or a CRD without valid paths. */
bool rci_crd_scale_paths(rc_apiserver *srv, const rc_resource_info *ri, rci_scale_paths *out);
/* After a CRD was removed: drops its objects and unregisters the resource. */
void rci_crd_removed(rci_req *req, const rc_object *crd);
/* Validates and prunes a custom object against its CRD's schema (no-op for built-in kinds). */
int rci_crd_check_object(rci_req *req, cJSON *obj, rc_error *err);
/* True when ri is served for a CustomResourceDefinition (not a built-in kind). Takes the lock. */
bool rci_crd_is_custom(rc_apiserver *srv, const rc_resource_info *ri);

/* ---- authz.c ---- */
/* Authorizes req for its user (allow-all when unauthenticated or RBAC is off). */
int rci_authorize(rci_req *req, const char *verb, rc_error *err);
/* Creates the bootstrap ClusterRoles/ClusterRoleBindings. */
int rci_rbac_bootstrap(rc_apiserver *srv, rc_error *err);
/* SubjectAccessReview / SelfSubjectAccessReview: answers spec and returns the review with status. */
int rci_access_review(rci_req *req, const cJSON *review, rc_object **out, rc_error *err);

/* ---- authz_cache.c ---- */
/* True when an earlier evaluation allowed a (a->user set, resource request) under the current policy. */
bool rci_authz_cache_allows_locked(rc_apiserver *srv, const rc_authz_attrs *a);
/* Remembers that a was allowed (for any name, or by_name: for a->name only), unless the policy changed
 * since gen (srv->policy_gen read when the evaluation started). */
void rci_authz_cache_add_locked(rc_apiserver *srv, const rc_authz_attrs *a, bool by_name, uint64_t gen);
/* A committed change of an object of ri: forgets every answer when ri is an RBAC resource. */
void rci_authz_cache_policy_changed_locked(rc_apiserver *srv, const rc_resource_info *ri);
void rci_authz_cache_free_locked(rc_apiserver *srv);

/* ---- actions.c / faults.c ---- */
void rci_action_record_locked(rc_apiserver *srv, const rci_req *req, int code);
void rci_actions_free_locked(rc_apiserver *srv);
/* Applies latency and fail rules for a request; returns 0 or the injected error. */
int rci_fault_check(rci_req *req, rc_error *err);
/* Conflict-rate roll for writes: true when this write must fail with Conflict. */
bool rci_fault_conflict(rci_req *req);
void rci_faults_free_locked(rc_apiserver *srv);

/* ---- inproc.c ---- */
/* internal: the server's own client, whose requests the action log does not record */
rc_client *rci_inproc_client(rci_handle *h, const rc_user *user, bool internal);
void rci_handle_unref(rci_handle *h);

#endif
