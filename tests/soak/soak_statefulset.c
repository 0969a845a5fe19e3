/* soak_statefulset.c - StatefulSet scale up, scale down and a partitioned rolling update under faults:
 * web starts with 3 replicas, goes to 5, down to 2, then to 4 with a new image and partition 2. On every
 * pod write no ordinal has two live pods; at the end web-0..web-3 run, web-2 and web-3 (at or above the
 * partition) with the new image and web-0 and web-1 with the old one, and no other pod of the set lives. */
#include "soak/soak.h"

#include <stdio.h>
#include <string.h>

static const char manifest[] =
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: nginx\n  namespace: default\nspec:\n  clusterIP: None\n"
    "  selector:\n    app: nginx\n  ports:\n  - port: 80\n    name: web\n---\n"
    "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\n  namespace: default\nspec:\n"
    "  serviceName: nginx\n  replicas: 3\n  selector:\n    matchLabels:\n      app: nginx\n  template:\n"
    "    metadata:\n      labels:\n        app: nginx\n    spec:\n      containers:\n      - name: nginx\n"
    "        image: nginx:1.9.1\n";

static void check(soak_env *env, const soak_pod *changed)
{
    if (!changed->live || strcmp(changed->owner_kind, "StatefulSet"))
        return;
    size_t n, live = 0;
    const soak_pod *pods = soak_pods(env, &n);
    for (size_t i = 0; i < n; i++)
        live += pods[i].live && !strcmp(pods[i].name, changed->name);
    if (live > 1)
        soak_fail(env, "ordinal %s has %zu live pods", changed->name, live);
}

static void check_end(soak_env *env)
{
    static const char *const want[] = {"nginx:1.9.1", "nginx:1.9.1", "nginx:1.10", "nginx:1.10"};
    for (int i = 0; i < 4; i++) {
        char name[16];
        snprintf(name, sizeof name, "web-%d", i);
        rc_object *p = NULL;
        if (rc_client_get(soak_client(env), "pods", "default", name, &p, NULL) != 0) {
            soak_fail(env, "%s is missing", name);
            continue;
        }
        const char *image = rc_object_get_str(p, "spec.containers.0.image");
        const char *phase = rc_object_get_str(p, "status.phase");
        if (!image || strcmp(image, want[i]) || !phase || strcmp(phase, "Running"))
            soak_fail(env, "%s: image %s phase %s, want %s Running", name, image ? image : "-", phase ? phase : "-",
                      want[i]);
        rc_object_unref(p);
    }
    long total = soak_count(env, "pods", "default", "app=nginx");
    if (total != 4) {
        soak_fail(env, "%ld pods of the set, want 4", total);
        soak_dump_pods(env, "app=nginx");
    }
}

int soak_statefulset(uint64_t seed)
{
    soak_env *env = soak_env_new(seed, "statefulset", 3, SOAK_STATEFULSET);
    soak_set_check(env, check);
    soak_create(env, manifest);
    soak_run(env, 60 * RC_SEC, true);
    soak_patch(env, "statefulsets.apps", "default", "web", "{\"spec\":{\"replicas\":5}}");
    soak_run(env, 90 * RC_SEC, true);
    soak_patch(env, "statefulsets.apps", "default", "web", "{\"spec\":{\"replicas\":2}}");
    soak_run(env, 90 * RC_SEC, true);
    soak_patch(env, "statefulsets.apps", "default", "web",
               "{\"spec\":{\"replicas\":4,\"updateStrategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":"
               "{\"partition\":2}},\"template\":{\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":"
               "\"nginx:1.10\"}]}}}}");
    soak_run(env, 120 * RC_SEC, true);
    soak_settle(env, 15 * RC_MINUTE);
    check_end(env);
    return soak_env_free(env);
}
