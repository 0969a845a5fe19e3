/* soak_deployment.c - Deployment rollout and rollback under faults: four replicas with maxSurge 1 and
 * maxUnavailable 1 roll out a new image, then `kubectl rollout undo` rolls them back. On every pod write
 * the active pods of the deployment's ReplicaSets stay within replicas + maxSurge; at the end exactly
 * four active pods run the original image and the deployment reports them updated and available. */
#include "soak/soak.h"

#include <reconcile/controllers.h>
#include <string.h>

#define REPLICAS 4
#define SURGE 1

static const char manifest[] =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\nspec:\n"
    "  replicas: 4\n  selector:\n    matchLabels:\n      app: web\n  strategy:\n    rollingUpdate:\n"
    "      maxSurge: 1\n      maxUnavailable: 1\n  template:\n    metadata:\n      labels:\n        app: web\n"
    "    spec:\n      containers:\n      - name: web\n        image: nginx:1.14.2\n";

static void check(soak_env *env, const soak_pod *changed)
{
    (void)changed;
    long active = soak_active(env, "ReplicaSet", "web-*");
    if (active > REPLICAS + SURGE)
        soak_fail(env, "%ld active pods, more than replicas + maxSurge = %d", active, REPLICAS + SURGE);
}

static void rollback(soak_env *env)
{
    rc_error err = {0};
    for (int attempt = 0; attempt < 20; attempt++) {
        rc_error_clear(&err);
        int64_t rev = 0;
        if (rc_deployment_rollback(soak_client(env), "default", "web", 0, &rev, &err) == 0)
            return;
    }
    soak_fail(env, "rollout undo: %s", err.message);
    rc_error_clear(&err);
}

static void check_end(soak_env *env)
{
    rc_object *d = NULL;
    if (rc_client_get(soak_client(env), "deployments.apps", "default", "web", &d, NULL) != 0) {
        soak_fail(env, "the deployment is gone");
        return;
    }
    int64_t updated = rc_object_get_int(d, "status.updatedReplicas", -1);
    int64_t available = rc_object_get_int(d, "status.availableReplicas", -1);
    if (updated != REPLICAS || available != REPLICAS) {
        soak_fail(env, "not converged: updatedReplicas %lld availableReplicas %lld", (long long)updated,
                  (long long)available);
        soak_dump_pods(env, "app=web");
    }
    rc_object_unref(d);
    rc_object_list pods;
    rc_object_list_init(&pods);
    rc_list_options lo = {.label_selector = "app=web"};
    rc_client_list(soak_client(env), "pods", "default", &lo, &pods, NULL);
    long running_v1 = 0, others = 0;
    for (size_t i = 0; i < pods.count; i++) {
        const char *image = rc_object_get_str(pods.items[i], "spec.containers.0.image");
        if (rc_object_deletion_timestamp(pods.items[i]))
            continue;
        if (image && !strcmp(image, "nginx:1.14.2"))
            running_v1++;
        else
            others++;
    }
    if (running_v1 != REPLICAS || others)
        soak_fail(env, "after rollback: %ld pods with the original image, %ld others", running_v1, others);
    rc_object_list_clear(&pods);
}

int soak_deployment(uint64_t seed)
{
    soak_env *env = soak_env_new(seed, "deployment", 4, SOAK_DEPLOYMENT);
    soak_set_check(env, check);
    soak_create(env, manifest);
    soak_run(env, 60 * RC_SEC, true);
    soak_patch(env, "deployments.apps", "default", "web",
               "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.16.1\"}]}}}}");
    soak_run(env, 90 * RC_SEC, true);
    rollback(env);
    soak_run(env, 90 * RC_SEC, true);
    soak_settle(env, 10 * RC_MINUTE);
    check_end(env);
    return soak_env_free(env);
}
