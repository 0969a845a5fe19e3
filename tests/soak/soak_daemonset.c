/* soak_daemonset.c - a DaemonSet under node churn and taints: five nodes, one added and one removed along
 * the way, a NoExecute taint that must evict the daemon pod of its node and keep it away until removed,
 * plus the usual faults (NotReady nodes among them). On every pod write no node runs two active daemon
 * pods; at the end every node runs exactly one. */
#include "soak/soak.h"

#include <stdio.h>
#include <string.h>

static const char manifest[] =
    "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: fluentd\n  namespace: default\nspec:\n"
    "  selector:\n    matchLabels:\n      name: fluentd\n  template:\n    metadata:\n      labels:\n"
    "        name: fluentd\n    spec:\n      containers:\n      - name: fluentd\n        image: fluentd:v2\n";

static void check(soak_env *env, const soak_pod *changed)
{
    if (!changed->active || !changed->node || strcmp(changed->owner_kind, "DaemonSet"))
        return;
    size_t n, on_node = 0;
    const soak_pod *pods = soak_pods(env, &n);
    for (size_t i = 0; i < n; i++)
        on_node += pods[i].active && pods[i].node && !strcmp(pods[i].node, changed->node) &&
                   !strcmp(pods[i].owner_kind, "DaemonSet");
    if (on_node > 1)
        soak_fail(env, "node %s runs %zu daemon pods", changed->node, on_node);
}

/* Node operations go through the faulty API server too: retry them like a careful operator would. */
#define RETRY(env, what, call)                                                                               \
    do {                                                                                                     \
        int tries_ = 0;                                                                                      \
        while ((call) != 0)                                                                                  \
            if (++tries_ == 20) {                                                                            \
                soak_fail(env, "cannot %s", what);                                                           \
                break;                                                                                       \
            }                                                                                                \
    } while (0)

static void check_end(soak_env *env)
{
    rc_object_list nodes;
    rc_object_list_init(&nodes);
    rc_client_list(soak_client(env), "nodes", "", NULL, &nodes, NULL);
    long active = soak_active(env, "DaemonSet", "fluentd");
    if (active != (long)nodes.count) {
        soak_fail(env, "%ld active daemon pods on %zu nodes", active, nodes.count);
        soak_dump_pods(env, "name=fluentd");
    }
    rc_object_list_clear(&nodes);
}

int soak_daemonset(uint64_t seed)
{
    soak_env *env = soak_env_new(seed, "daemonset", 5, SOAK_DAEMONSET);
    soak_set_check(env, check);
    soak_create(env, manifest);
    soak_run(env, 60 * RC_SEC, true);
    rc_sim_node_spec extra = {.name = "node-6"};
    RETRY(env, "add node-6", rc_sim_add_node(soak_sim(env), &extra, NULL));
    soak_run(env, 60 * RC_SEC, true);
    RETRY(env, "taint node-2", rc_sim_taint(soak_sim(env), "node-2", "dedicated", "batch", "NoExecute", NULL));
    soak_run(env, 60 * RC_SEC, true);
    RETRY(env, "remove node-5", rc_sim_remove_node(soak_sim(env), "node-5", NULL));
    soak_settle(env, 5 * RC_MINUTE);
    size_t n;
    const soak_pod *pods = soak_pods(env, &n);
    for (size_t i = 0; i < n; i++)
        if (pods[i].active && pods[i].node && !strcmp(pods[i].node, "node-2"))
            soak_fail(env, "%s runs on the NoExecute-tainted node-2", pods[i].name);
    RETRY(env, "untaint node-2", rc_sim_untaint(soak_sim(env), "node-2", "dedicated", NULL, NULL));
    soak_run(env, 60 * RC_SEC, true);
    soak_settle(env, 5 * RC_MINUTE);
    check_end(env);
    return soak_env_free(env);
}
