/* rbac.h (internal) - the bootstrap RBAC policy the embedded API server creates at start (rbac.c), and the
 * evaluation the server's decision cache (authz_cache.c) builds on. */
#ifndef RC_APISERVER_RBAC_H
#define RC_APISERVER_RBAC_H

#include <reconcile/rbac.h>

#include <cjson/cJSON.h>

/* A new JSON array (caller frees) of the default ClusterRoles cluster-admin, admin, edit, view,
 * system:discovery and system:basic-user, and the ClusterRoleBindings cluster-admin (group
 * system:masters), system:discovery and system:basic-user (group system:authenticated). NULL only on
 * allocation failure. */
cJSON *rci_rbac_bootstrap_objects(void);

/* rc_rbac_authorize, also telling whether the answer holds for this name only: *by_name (optional) is
 * true when the rule that allowed the request lists resourceNames; false when it holds for any name or the
 * request was not allowed. */
int rci_rbac_authorize(const rc_rbac_source *src, const rc_authz_attrs *attrs, bool *by_name, rc_error *err);

#endif
