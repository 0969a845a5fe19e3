/* deployment.c - the Deployment controller's rc_controller_ops: it reconciles deployments.apps, owns
 * replicasets.apps, and watches pods only to notice old pods vanishing or finishing (the Recreate
 * strategy waits for them). The sync itself is in deployment_sync.c. */
#include "controllers/deployment.h"

#include <stdlib.h>
#include <string.h>

typedef struct deployment_ctrl {
    rc_deployment_options opts;
} deployment_ctrl;

/* A pod event matters when the pod went away or reached a terminal phase. */
static bool pod_gone_or_finished(void *ctx, rc_change_type type, const rc_object *old, const rc_object *obj)
{
    (void)ctx;
    if (type != RC_CHANGE_UPDATE)
        return type == RC_CHANGE_DELETE;
    const char *a = old ? rc_object_get_str(old, "status.phase") : NULL, *b = rc_object_get_str(obj, "status.phase");
    bool terminal = b && (!strcmp(b, "Succeeded") || !strcmp(b, "Failed"));
    return terminal && !(a && !strcmp(a, b));
}

/* Pod -> its ReplicaSet "<deployment>-<hash>" -> the deployment's key. */
static void pod_to_deployment(void *ctx, const rc_object *pod, rc_keys *out)
{
    (void)ctx;
    rc_owner_ref ref;
    const char *hash = rc_object_label(pod, RCI_POD_TEMPLATE_HASH);
    if (!hash || !rc_object_controller_ref(pod, &ref) || !ref.name || !ref.kind || strcmp(ref.kind, "ReplicaSet"))
        return;
    size_t n = strlen(ref.name), h = strlen(hash);
    if (n <= h + 1 || ref.name[n - h - 1] != '-' || strcmp(ref.name + n - h, hash))
        return;
    char key[512];
    const char *ns = rc_object_namespace(pod);
    int len = snprintf(key, sizeof key, "%s%s%.*s", ns, *ns ? "/" : "", (int)(n - h - 1), ref.name);
    if (len > 0 && (size_t)len < sizeof key)
        rc_keys_add(out, key);
}

static int setup(void *self, rc_builder *b, rc_error *err)
{
    (void)self;
    rc_watch_options pods = {.filter = pod_gone_or_finished};
    int rc = rc_builder_for(b, RCI_DEPLOYMENTS, NULL, err);
    if (!rc)
        rc = rc_builder_owns(b, RCI_REPLICASETS, NULL, err);
    if (!rc)
        rc = rc_builder_watches(b, "pods", pod_to_deployment, NULL, &pods, err);
    return rc;
}

static void destroy(void *self) { free(self); }

static const rc_controller_ops deployment_ops = {"deployment", setup, rci_deployment_reconcile, destroy};

int rc_deployment_controller_new(const rc_deployment_options *opts, const rc_controller_ops **ops, void **self,
                                 rc_error *err)
{
    if (!ops || !self)
        return rc_error_set(err, RC_EINVAL, "deployment controller: ops and self are required");
    if (opts && opts->reserved != 0)
        return rc_error_set(err, RC_EINVAL, "deployment controller: reserved options must be 0");
    deployment_ctrl *c = calloc(1, sizeof *c);
    if (!c)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    if (opts)
        c->opts = *opts;
    *ops = &deployment_ops;
    *self = c;
    return 0;
}
