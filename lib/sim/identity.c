/* identity.c - who the simulated components are. With rc_sim_options.apiserver set, each component
 * writes as its own user (rc_apiserver_client), as on a real cluster: the scheduler as
 * system:kube-scheduler, each kubelet as system:node:<node> in group system:nodes, the node lifecycle,
 * Endpoints and volume-binder controllers as kube-system service accounts. The ClusterRoles and
 * ClusterRoleBindings those users need (upstream's bootstrap policy, trimmed to what the simulator does)
 * are installed at rc_sim_new, so the identities work with RBAC on. Without a server everything writes
 * through the manager's client. The kubelet is one controller for every node, so its client routes each
 * request to the client of the node whose pod the calling thread is reconciling. */
#include "sim/internal.h"

#include <reconcile/events.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/map.h"

#define SA_PREFIX "system:serviceaccount:kube-system:"
#define EVENT_RULE                                                                                             \
    "{\"apiGroups\":[\"\",\"events.k8s.io\"],\"resources\":[\"events\"],\"verbs\":[\"create\",\"patch\","   \
    "\"update\"]}"
#define READ "\"get\",\"list\",\"watch\""

typedef struct role {
    const char *name;     /* ClusterRole and ClusterRoleBinding name */
    const char *subject;  /* binding subject as JSON */
    const char *rules;    /* rules array as JSON */
} role;

static const role roles[] = {
    {"system:kube-scheduler", "{\"kind\":\"User\",\"name\":\"" RC_SIM_USER_SCHEDULER "\"}",
     "[" EVENT_RULE ",{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[" READ ",\"delete\"]},"
     "{\"apiGroups\":[\"\"],\"resources\":[\"bindings\",\"pods/binding\"],\"verbs\":[\"create\"]},"
     "{\"apiGroups\":[\"\"],\"resources\":[\"pods/status\"],\"verbs\":[\"patch\",\"update\"]},"
     "{\"apiGroups\":[\"\"],\"resources\":[\"nodes\",\"persistentvolumeclaims\",\"persistentvolumes\",\"services\","
     "\"replicationcontrollers\"],\"verbs\":[" READ "]},"
     "{\"apiGroups\":[\"apps\"],\"resources\":[\"replicasets\",\"statefulsets\"],\"verbs\":[" READ "]},"
     "{\"apiGroups\":[\"storage.k8s.io\"],\"resources\":[\"storageclasses\"],\"verbs\":[" READ "]}]"},
    {"system:node", "{\"kind\":\"Group\",\"name\":\"" RC_SIM_GROUP_NODES "\"}",
     "[" EVENT_RULE ",{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[" READ ",\"create\",\"delete\"]},"
     "{\"apiGroups\":[\"\"],\"resources\":[\"pods/status\"],\"verbs\":[\"patch\",\"update\"]},"
     "{\"apiGroups\":[\"\"],\"resources\":[\"pods/eviction\"],\"verbs\":[\"create\"]},"
     "{\"apiGroups\":[\"\"],\"resources\":[\"nodes\"],\"verbs\":[" READ ",\"create\",\"patch\",\"update\"]},"
     "{\"apiGroups\":[\"\"],\"resources\":[\"nodes/status\"],\"verbs\":[\"patch\",\"update\"]},"
     "{\"apiGroups\":[\"\"],\"resources\":[\"services\",\"endpoints\",\"configmaps\",\"secrets\","
     "\"persistentvolumeclaims\",\"persistentvolumes\"],\"verbs\":[" READ "]}]"},
    {"system:controller:node-controller",
     "{\"kind\":\"ServiceAccount\",\"name\":\"" RC_SIM_SA_NODE_CONTROLLER "\",\"namespace\":\"kube-system\"}",
     "[" EVENT_RULE ",{\"apiGroups\":[\"\"],\"resources\":[\"nodes\"],\"verbs\":[" READ ",\"delete\",\"patch\","
     "\"update\"]},{\"apiGroups\":[\"\"],\"resources\":[\"nodes/status\",\"pods/status\"],\"verbs\":[\"patch\","
     "\"update\"]},{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[" READ ",\"delete\"]}]"},
    {"system:controller:endpoint-controller",
     "{\"kind\":\"ServiceAccount\",\"name\":\"" RC_SIM_SA_ENDPOINT_CONTROLLER "\",\"namespace\":\"kube-system\"}",
     "[" EVENT_RULE ",{\"apiGroups\":[\"\"],\"resources\":[\"services\",\"pods\"],\"verbs\":[" READ "]},"
     "{\"apiGroups\":[\"\"],\"resources\":[\"endpoints\"],\"verbs\":[" READ ",\"create\",\"update\",\"patch\","
     "\"delete\"]},{\"apiGroups\":[\"\"],\"resources\":[\"endpoints/restricted\"],\"verbs\":[\"create\"]}]"},
    {"system:controller:persistent-volume-binder",
     "{\"kind\":\"ServiceAccount\",\"name\":\"" RC_SIM_SA_VOLUME_BINDER "\",\"namespace\":\"kube-system\"}",
     "[" EVENT_RULE ",{\"apiGroups\":[\"\"],\"resources\":[\"persistentvolumes\"],\"verbs\":[" READ ",\"create\","
     "\"delete\",\"update\"]},{\"apiGroups\":[\"\"],\"resources\":[\"persistentvolumeclaims\"],\"verbs\":[" READ
     ",\"update\"]},{\"apiGroups\":[\"\"],\"resources\":[\"persistentvolumes/status\","
     "\"persistentvolumeclaims/status\"],\"verbs\":[\"patch\",\"update\"]},{\"apiGroups\":[\"\"],\"resources\":["
     "\"pods\",\"nodes\"],\"verbs\":[" READ "]},{\"apiGroups\":[\"storage.k8s.io\"],\"resources\":["
     "\"storageclasses\"],\"verbs\":[" READ "]}]"},
};

/* Creates one RBAC object unless it exists (an existing one is left as the administrator made it). */
static int create_rbac(rc_client *c, const char *resource, const char *json, rc_error *err)
{
    rc_object *o = rc_object_from_json(json, strlen(json), err);
    if (!o)
        return err && err->code ? err->code : RC_ENOMEM;
    int rc = rc_client_create(c, resource, NULL, o, NULL, NULL, err);
    rc_object_unref(o);
    if (rc == RC_EEXISTS) {
        rc_error_clear(err);
        rc = 0;
    }
    return rc;
}

int rci_sim_install_rbac(rc_sim *sim, rc_error *err)
{
    if (!sim->srv)
        return 0;
    rc_client *admin = rc_apiserver_client(sim->srv, NULL);
    if (!admin)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    int rc = 0;
    char json[4096];
    for (size_t i = 0; rc == 0 && i < sizeof roles / sizeof roles[0]; i++) {
        snprintf(json, sizeof json,
                 "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRole\",\"metadata\":{\"name\":"
                 "\"%s\",\"labels\":{\"kubernetes.io/bootstrapping\":\"rbac-defaults\"}},\"rules\":%s}",
                 roles[i].name, roles[i].rules);
        rc = create_rbac(admin, "clusterroles.rbac.authorization.k8s.io", json, err);
        if (rc)
            break;
        snprintf(json, sizeof json,
                 "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRoleBinding\",\"metadata\":{"
                 "\"name\":\"%s\",\"labels\":{\"kubernetes.io/bootstrapping\":\"rbac-defaults\"}},\"roleRef\":{"
                 "\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"%s\"},"
                 "\"subjects\":[%s]}",
                 roles[i].name, roles[i].name, roles[i].subject);
        rc = create_rbac(admin, "clusterrolebindings.rbac.authorization.k8s.io", json, err);
    }
    rc_client_unref(admin);
    return rc;
}

rc_client *rci_sim_client_as(rc_sim *sim, const char *user, const char *group)
{
    if (!sim->srv)
        return rc_client_ref(sim->client);
    bool sa = !strncmp(user, SA_PREFIX, sizeof SA_PREFIX - 1);
    rc_user u = {.name = user};
    size_t g = 0;
    if (group)
        u.groups[g++] = group;
    if (sa) {
        u.groups[g++] = "system:serviceaccounts";
        u.groups[g++] = "system:serviceaccounts:kube-system";
    }
    u.groups[g++] = "system:authenticated";
    return rc_apiserver_client(sim->srv, &u);
}

int rci_sim_add_controller(rc_sim *sim, const rc_controller_ops *ops, void *self, rc_client *as, rc_error *err)
{
    if (!as) {
        if (ops->destroy)
            ops->destroy(self);
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    rc_controller_options o = {.client = as};
    int rc = rc_manager_add_controller(sim->mgr, ops, self, &o, err);
    rc_client_unref(as);
    return rc;
}

/* ---- the kubelets' routing client ---- */

typedef struct node_ident {
    char *name;
    rc_client *client;
    rc_recorder *recorder;
} node_ident;

struct rci_sim_kubelets {
    rc_sim *sim;
    pthread_mutex_t lock;
    rci_map nodes; /* node name -> node_ident */
};

/* The node whose pod this thread is reconciling (set around each kubelet reconcile). */
static _Thread_local const char *current_node;

void rci_sim_kubelets_enter(const char *node)
{
    current_node = node;
}

static node_ident *ident_for(rci_sim_kubelets *k, const char *node)
{
    pthread_mutex_lock(&k->lock);
    node_ident *n = rci_map_get(&k->nodes, node);
    if (!n && (n = calloc(1, sizeof *n))) {
        char user[300];
        snprintf(user, sizeof user, "%s%s", RC_SIM_USER_NODE_PREFIX, node);
        n->name = strdup(node);
        n->client = rci_sim_client_as(k->sim, user, RC_SIM_GROUP_NODES);
        n->recorder = n->client ? rc_recorder_new(n->client, rc_manager_clock(k->sim->mgr), "kubelet", node) : NULL;
        if (!n->name || !n->recorder || rci_map_put(&k->nodes, n->name, n, NULL)) {
            rc_recorder_free(n->recorder);
            rc_client_unref(n->client);
            free(n->name);
            free(n);
            n = NULL;
        }
    }
    pthread_mutex_unlock(&k->lock);
    return n;
}

rc_recorder *rci_sim_kubelets_recorder(rci_sim_kubelets *k, const char *node)
{
    node_ident *n = ident_for(k, node);
    return n ? n->recorder : NULL;
}

/* The client for this thread's current node; NULL + err when none is set or memory runs out. */
static rc_client *route(rci_sim_kubelets *k, rc_error *err)
{
    node_ident *n = current_node ? ident_for(k, current_node) : NULL;
    if (!n)
        rc_error_set(err, current_node ? RC_ENOMEM : RC_EINTERNAL, "kubelet: no node identity for this request");
    return n ? n->client : NULL;
}

static void resource_name(const rc_resource_info *ri, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s%s%s", ri->plural, ri->group[0] ? "." : "", ri->group);
}

static int r_get(void *ctx, const rc_resource_info *ri, const char *ns, const char *name, const char *sub,
                 rc_object **out, rc_error *err)
{
    rc_client *c = route(ctx, err);
    char res[256];
    resource_name(ri, res, sizeof res);
    if (!c)
        return err ? err->code : RC_EINTERNAL;
    return sub && sub[0] ? rc_client_get_subresource(c, res, ns, name, sub, out, err)
                         : rc_client_get(c, res, ns, name, out, err);
}

static int r_list(void *ctx, const rc_resource_info *ri, const char *ns, const rc_list_options *opts,
                  rc_object_list *out, rc_error *err)
{
    rc_client *c = route(ctx, err);
    char res[256];
    resource_name(ri, res, sizeof res);
    return c ? rc_client_list(c, res, ns, opts, out, err) : err ? err->code : RC_EINTERNAL;
}

static int r_create(void *ctx, const rc_resource_info *ri, const char *ns, rc_object *obj,
                    const rc_write_options *opts, rc_object **out, rc_error *err)
{
    rc_client *c = route(ctx, err);
    char res[256];
    resource_name(ri, res, sizeof res);
    return c ? rc_client_create(c, res, ns, obj, opts, out, err) : err ? err->code : RC_EINTERNAL;
}

/* create_owned and update_status_owned: the write goes to the routed client, which takes the caller's
 * reference to obj; without one, obj is released here. */
typedef int (*owned_write_fn)(rc_client *c, const char *resource, const char *ns, rc_object *obj,
                              const rc_write_options *opts, rc_object **out, rc_error *err);

static int route_owned(owned_write_fn write, void *ctx, const rc_resource_info *ri, const char *ns, rc_object *obj,
                       const rc_write_options *opts, rc_object **out, rc_error *err)
{
    rc_client *c = route(ctx, err);
    char res[256];
    resource_name(ri, res, sizeof res);
    if (c)
        return write(c, res, ns, obj, opts, out, err);
    rc_object_unref(obj);
    return err ? err->code : RC_EINTERNAL;
}

static int r_create_owned(void *ctx, const rc_resource_info *ri, const char *ns, rc_object *obj,
                          const rc_write_options *opts, rc_object **out, rc_error *err)
{
    return route_owned(rc_client_create_owned, ctx, ri, ns, obj, opts, out, err);
}

static int r_update_status_owned(void *ctx, const rc_resource_info *ri, const char *ns, rc_object *obj,
                                 const rc_write_options *opts, rc_object **out, rc_error *err)
{
    return route_owned(rc_client_update_status_owned, ctx, ri, ns, obj, opts, out, err);
}

static int r_update(void *ctx, const rc_resource_info *ri, const char *ns, rc_object *obj,
                    const rc_write_options *opts, rc_object **out, rc_error *err)
{
    rc_client *c = route(ctx, err);
    char res[256];
    resource_name(ri, res, sizeof res);
    return c ? rc_client_update(c, res, ns, obj, opts, out, err) : err ? err->code : RC_EINTERNAL;
}

static int r_patch(void *ctx, const rc_resource_info *ri, const char *ns, const char *name, rc_patch_type type,
                   const char *data, size_t len, const rc_write_options *opts, rc_object **out, rc_error *err)
{
    rc_client *c = route(ctx, err);
    char res[256];
    resource_name(ri, res, sizeof res);
    return c ? rc_client_patch(c, res, ns, name, type, data, len, opts, out, err) : err ? err->code : RC_EINTERNAL;
}

static int r_delete(void *ctx, const rc_resource_info *ri, const char *ns, const char *name,
                    const rc_delete_options *opts, rc_object **out, rc_error *err)
{
    rc_client *c = route(ctx, err);
    char res[256];
    resource_name(ri, res, sizeof res);
    return c ? rc_client_delete(c, res, ns, name, opts, out, err) : err ? err->code : RC_EINTERNAL;
}

static int r_delete_collection(void *ctx, const rc_resource_info *ri, const char *ns,
                               const rc_list_options *list_opts, const rc_delete_options *opts, rc_error *err)
{
    rc_client *c = route(ctx, err);
    char res[256];
    resource_name(ri, res, sizeof res);
    return c ? rc_client_delete_collection(c, res, ns, list_opts, opts, err) : err ? err->code : RC_EINTERNAL;
}

static int r_watch(void *ctx, const rc_resource_info *ri, const char *ns, const rc_list_options *opts,
                   rc_watch **out, rc_error *err)
{
    rc_client *c = route(ctx, err);
    char res[256];
    resource_name(ri, res, sizeof res);
    return c ? rc_client_watch(c, res, ns, opts, out, err) : err ? err->code : RC_EINTERNAL;
}

static rc_registry *r_registry(void *ctx)
{
    rci_sim_kubelets *k = ctx;
    return rc_client_registry(k->sim->client);
}

static void r_destroy(void *ctx)
{
    rci_sim_kubelets *k = ctx;
    const rci_map_entry *e;
    for (size_t i = 0; rci_map_next(&k->nodes, &i, &e);) {
        node_ident *n = e->value;
        rc_recorder_free(n->recorder);
        rc_client_unref(n->client);
        free(n->name);
        free(n);
    }
    rci_map_free(&k->nodes);
    pthread_mutex_destroy(&k->lock);
    rci_sim_unref(k->sim);
    free(k);
}

static const rc_client_ops router_ops = {.get = r_get,
                                         .list = r_list,
                                         .create = r_create,
                                         .update = r_update,
                                         .patch = r_patch,
                                         .delete_ = r_delete,
                                         .delete_collection = r_delete_collection,
                                         .watch = r_watch,
                                         .registry = r_registry,
                                         .destroy = r_destroy,
                                         .create_owned = r_create_owned,
                                         .update_status_owned = r_update_status_owned};

rc_client *rci_sim_kubelets_new(rc_sim *sim, rci_sim_kubelets **out)
{
    rci_sim_kubelets *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->sim = sim;
    rci_sim_ref(sim);
    pthread_mutex_init(&k->lock, NULL);
    rci_map_init(&k->nodes);
    rc_client *c = rc_client_new(&router_ops, k); /* destroys k on failure */
    *out = c ? k : NULL;
    return c;
}
