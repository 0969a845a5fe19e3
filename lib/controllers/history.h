/* history.h - ControllerRevision helpers shared by the controllers that keep a history of their pod
 * templates (upstream pkg/controller/history, spec sections 0.6 and 3.3): the revision hash and name,
 * ordering by revision number, finding a revision with equal data, creating one with collision
 * handling, and re-numbering an old one (rollback). Internal to lib/controllers; reentrant. */
#ifndef RC_CONTROLLERS_HISTORY_H
#define RC_CONTROLLERS_HISTORY_H

#include <reconcile/client.h>
#include <reconcile/common.h>
#include <reconcile/object.h>
#include <cjson/cJSON.h>

#define RCI_CONTROLLER_REVISIONS "controllerrevisions.apps"
#define RCI_LABEL_REVISION_HASH "controller.kubernetes.io/hash"

/* Room for a revision hash (at most 10 chars) and its NUL. */
#define RCI_HISTORY_HASH_LEN 16

/* FNV-1 (32 bit) of the canonical text of data, then the decimal collision count when given, printed in
 * decimal and mapped through the safe-encoding alphabet (upstream HashControllerRevision). RC_ENOMEM. */
int rci_history_hash(const cJSON *data, const int64_t *collision_count, char out[RCI_HISTORY_HASH_LEN]);
/* "<parent>-<hash>" with parent cut to 223 characters (ControllerRevisionName); malloc'd or NULL. */
char *rci_history_name(const char *parent, const char *hash);
/* The revision number of a ControllerRevision (0 when absent). */
int64_t rci_history_number(const rc_object *rev);
/* Sorts revisions by revision number, then creation time, then name (upstream history.Sort). */
void rci_history_sort(rc_object **revs, size_t n);
/* True when rev's data equals data (key order ignored). */
bool rci_history_equal(const rc_object *rev, const cJSON *data);

/* A new ControllerRevision draft: namespace and controller reference of parent, the given labels node
 * (copied; NONE = none) plus the hash label, data (copied), revision number and name from the hash.
 * parent_api_version/kind name the owner. NULL + err on allocation failure. */
rc_object *rci_history_new(const rc_object *parent, const char *parent_api_version, const char *parent_kind,
                           rc_node labels, const cJSON *data, int64_t number, int64_t collision_count,
                           rc_error *err);
/* Creates rev (a draft from rci_history_new) as upstream CreateControllerRevision: on AlreadyExists with
 * other data the collision count is raised, the name recomputed and the create retried; an existing
 * revision with equal data is returned instead. *out gets the stored revision (new reference),
 * *collision_count the count used. rev is consumed. */
int rci_history_create(rc_client *c, rc_object *rev, int64_t *collision_count, rc_object **out, rc_error *err);
/* Updates rev's revision number to number (rollback to an older revision); *out gets the result. */
int rci_history_renumber(rc_client *c, const rc_object *rev, int64_t number, rc_object **out, rc_error *err);

#endif
