/* rbac.h (internal) - the bootstrap RBAC policy the embedded API server creates at start (rbac.c). */
#ifndef RC_APISERVER_RBAC_H
#define RC_APISERVER_RBAC_H

#include <cjson/cJSON.h>

/* A new JSON array (caller frees) of the default ClusterRoles cluster-admin, admin, edit, view,
 * system:discovery and system:basic-user, and the ClusterRoleBindings cluster-admin (group
 * system:masters), system:discovery and system:basic-user (group system:authenticated). NULL only on
 * allocation failure. */
cJSON *rci_rbac_bootstrap_objects(void);

#endif
