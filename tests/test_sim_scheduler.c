/* test_sim_scheduler.c - the simulated scheduler's predicates one by one (nodeSelector, required node
 * affinity with matchExpressions and matchFields, unschedulable, taints and tolerations, cpu/memory/pod
 * fit), least-allocated scoring and the "0/N nodes are available" message. */
#include <reconcile.h>
#include <stdlib.h>
#include <string.h>

#include "sim/internal.h"
#include "support/testutil.h"

static rc_object *obj(const char *json)
{
    rc_error err = {0};
    rc_object *o = rc_object_from_json(json, strlen(json), &err);
    ck_assert_msg(o != NULL, "bad fixture: %s", err.message ? err.message : "");
    return o;
}

#define NODE_JSON(labels, spec)                                                                              \
    "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\",\"labels\":{" labels "}},"      \
    "\"spec\":{" spec "},\"status\":{\"allocatable\":{\"cpu\":\"2\",\"memory\":\"4Gi\",\"pods\":\"3\"}}}"

static rci_sim_sched_node node_of(const char *json)
{
    rci_sim_sched_node n = {0};
    rc_object *o = obj(json);
    rci_sim_sched_node_set(&n, o);
    rc_object_unref(o);
    return n;
}

static rci_sim_fit fit(const rci_sim_sched_node *n, const char *pod_spec)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},\"spec\":%s}",
             pod_spec);
    rc_object *pod = obj(buf);
    rci_sim_pod_req req;
    rci_sim_pod_requests(pod, &req);
    rci_sim_fit f = rci_sim_sched_filter(n, pod, &req);
    rc_object_unref(pod);
    return f;
}

#define C "\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]"

START_TEST(node_selector)
{
    rci_sim_sched_node n = node_of(NODE_JSON("\"disktype\":\"ssd\"", ""));
    ck_assert_int_eq(fit(&n, "{" C ",\"nodeSelector\":{\"disktype\":\"ssd\"}}"), RCI_SIM_FIT_OK);
    ck_assert_int_eq(fit(&n, "{" C ",\"nodeSelector\":{\"disktype\":\"hdd\"}}"), RCI_SIM_FIT_SELECTOR);
    ck_assert_int_eq(fit(&n, "{" C ",\"nodeSelector\":{\"zone\":\"a\"}}"), RCI_SIM_FIT_SELECTOR);
    ck_assert_int_eq(fit(&n, "{" C "}"), RCI_SIM_FIT_OK);
    rc_object_unref(n.node);
}
END_TEST

static const char *affinity(char *buf, size_t cap, const char *terms)
{
    snprintf(buf, cap, "{" C ",\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
                       "{\"nodeSelectorTerms\":[%s]}}}}", terms);
    return buf;
}

START_TEST(node_affinity_expressions)
{
    rci_sim_sched_node n = node_of(NODE_JSON("\"zone\":\"a\",\"gen\":\"5\"", ""));
    char b[2048];
    struct {
        const char *term;
        rci_sim_fit want;
    } cases[] = {
        {"{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"a\",\"b\"]}]}", RCI_SIM_FIT_OK},
        {"{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"b\"]}]}", RCI_SIM_FIT_SELECTOR},
        {"{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"NotIn\",\"values\":[\"b\"]}]}", RCI_SIM_FIT_OK},
        {"{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"NotIn\",\"values\":[\"a\"]}]}", RCI_SIM_FIT_SELECTOR},
        {"{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"Exists\"}]}", RCI_SIM_FIT_OK},
        {"{\"matchExpressions\":[{\"key\":\"gpu\",\"operator\":\"Exists\"}]}", RCI_SIM_FIT_SELECTOR},
        {"{\"matchExpressions\":[{\"key\":\"gpu\",\"operator\":\"DoesNotExist\"}]}", RCI_SIM_FIT_OK},
        {"{\"matchExpressions\":[{\"key\":\"gen\",\"operator\":\"Gt\",\"values\":[\"4\"]}]}", RCI_SIM_FIT_OK},
        {"{\"matchExpressions\":[{\"key\":\"gen\",\"operator\":\"Lt\",\"values\":[\"5\"]}]}", RCI_SIM_FIT_SELECTOR},
        {"{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"Gt\",\"values\":[\"1\"]}]}", RCI_SIM_FIT_SELECTOR},
        /* terms are ORed, requirements within a term ANDed; an empty term matches nothing */
        {"{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"b\"]}]},"
         "{\"matchExpressions\":[{\"key\":\"gen\",\"operator\":\"In\",\"values\":[\"5\"]}]}", RCI_SIM_FIT_OK},
        {"{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"a\"]},"
         "{\"key\":\"gen\",\"operator\":\"In\",\"values\":[\"6\"]}]}", RCI_SIM_FIT_SELECTOR},
        {"{}", RCI_SIM_FIT_SELECTOR},
        {"{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"Bogus\",\"values\":[\"a\"]}]}", RCI_SIM_FIT_SELECTOR},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(fit(&n, affinity(b, sizeof b, cases[i].term)) == cases[i].want, "case %zu: %s", i,
                      cases[i].term);
    rc_object_unref(n.node);
}
END_TEST

START_TEST(node_affinity_match_fields)
{
    rci_sim_sched_node n = node_of(NODE_JSON("", ""));
    char b[2048];
    ck_assert_int_eq(fit(&n, affinity(b, sizeof b, "{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"In\","
                                                   "\"values\":[\"n1\"]}]}")),
                     RCI_SIM_FIT_OK);
    ck_assert_int_eq(fit(&n, affinity(b, sizeof b, "{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"In\","
                                                   "\"values\":[\"n2\"]}]}")),
                     RCI_SIM_FIT_SELECTOR);
    ck_assert_int_eq(fit(&n, affinity(b, sizeof b, "{\"matchFields\":[{\"key\":\"metadata.uid\",\"operator\":\"In\","
                                                   "\"values\":[\"n1\"]}]}")),
                     RCI_SIM_FIT_SELECTOR);
    rc_object_unref(n.node);
}
END_TEST

START_TEST(unschedulable_node)
{
    rci_sim_sched_node n = node_of(NODE_JSON("", "\"unschedulable\":true"));
    ck_assert_int_eq(fit(&n, "{" C "}"), RCI_SIM_FIT_UNSCHEDULABLE);
    ck_assert_int_eq(fit(&n, "{" C ",\"tolerations\":[{\"key\":\"node.kubernetes.io/unschedulable\","
                             "\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]}"),
                     RCI_SIM_FIT_OK);
    rc_object_unref(n.node);
}
END_TEST

START_TEST(taints_and_tolerations)
{
    rci_sim_sched_node n = node_of(NODE_JSON("", "\"taints\":[{\"key\":\"dedicated\",\"value\":\"db\","
                                                 "\"effect\":\"NoSchedule\"},{\"key\":\"soft\",\"effect\":"
                                                 "\"PreferNoSchedule\"}]"));
    ck_assert_int_eq(fit(&n, "{" C "}"), RCI_SIM_FIT_TAINT);
    ck_assert_int_eq(fit(&n, "{" C ",\"tolerations\":[{\"key\":\"dedicated\",\"operator\":\"Equal\",\"value\":\"db\","
                             "\"effect\":\"NoSchedule\"}]}"),
                     RCI_SIM_FIT_OK);
    ck_assert_int_eq(fit(&n, "{" C ",\"tolerations\":[{\"key\":\"dedicated\",\"value\":\"web\"}]}"), RCI_SIM_FIT_TAINT);
    ck_assert_int_eq(fit(&n, "{" C ",\"tolerations\":[{\"key\":\"dedicated\",\"operator\":\"Exists\"}]}"),
                     RCI_SIM_FIT_OK);
    ck_assert_int_eq(fit(&n, "{" C ",\"tolerations\":[{\"key\":\"dedicated\",\"operator\":\"Exists\","
                             "\"effect\":\"NoExecute\"}]}"),
                     RCI_SIM_FIT_TAINT);
    ck_assert_int_eq(fit(&n, "{" C ",\"tolerations\":[{\"operator\":\"Exists\"}]}"), RCI_SIM_FIT_OK);
    rc_object_unref(n.node);
    rci_sim_sched_node x = node_of(NODE_JSON("", "\"taints\":[{\"key\":\"node.kubernetes.io/not-ready\","
                                                 "\"effect\":\"NoExecute\"}]"));
    ck_assert_int_eq(fit(&x, "{" C "}"), RCI_SIM_FIT_TAINT);
    ck_assert_int_eq(fit(&x, "{" C ",\"tolerations\":[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":"
                             "\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":300}]}"),
                     RCI_SIM_FIT_OK);
    rc_object_unref(x.node);
}
END_TEST

START_TEST(resource_fit)
{
    rci_sim_sched_node n = node_of(NODE_JSON("", ""));
    ck_assert_int_eq(n.alloc_mcpu, 2000);
    ck_assert_int_eq(n.alloc_mem, 4LL << 30);
    ck_assert_int_eq(n.alloc_pods, 3);
    const char *big = "{\"containers\":[{\"name\":\"c\",\"image\":\"x\",\"resources\":{\"requests\":{\"cpu\":\"1500m\"}}}]}";
    ck_assert_int_eq(fit(&n, big), RCI_SIM_FIT_OK);
    n.req_mcpu = 1000;
    ck_assert_int_eq(fit(&n, big), RCI_SIM_FIT_CPU);
    ck_assert_int_eq(fit(&n, "{\"containers\":[{\"name\":\"c\",\"image\":\"x\",\"resources\":{\"requests\":"
                             "{\"memory\":\"5Gi\"}}}]}"),
                     RCI_SIM_FIT_MEMORY);
    /* init containers count as the max, not the sum */
    ck_assert_int_eq(fit(&n, "{\"containers\":[{\"name\":\"c\",\"image\":\"x\",\"resources\":{\"requests\":{\"cpu\":"
                             "\"500m\"}}}],\"initContainers\":[{\"name\":\"i\",\"image\":\"x\",\"resources\":"
                             "{\"requests\":{\"cpu\":\"900m\"}}}]}"),
                     RCI_SIM_FIT_OK);
    n.req_pods = 3;
    ck_assert_int_eq(fit(&n, "{" C "}"), RCI_SIM_FIT_PODS);
    rc_object_unref(n.node);
}
END_TEST

START_TEST(least_allocated_scoring)
{
    rci_sim_sched_node a = node_of(NODE_JSON("", "")), b = node_of(NODE_JSON("", ""));
    rci_sim_pod_req req = {0, 0, 100, 200 << 20, false}; /* upstream's non-zero defaults for request-less pods */
    ck_assert_int_eq(rci_sim_sched_score(&a, &req), rci_sim_sched_score(&b, &req));
    b.score_mcpu = 1000;
    b.score_mem = 2LL << 30;
    ck_assert_int_gt(rci_sim_sched_score(&a, &req), rci_sim_sched_score(&b, &req));
    b.score_mcpu = 5000; /* over capacity scores 0 for that resource */
    ck_assert_int_le(rci_sim_sched_score(&b, &req), 50);
    rc_object_unref(a.node);
    rc_object_unref(b.node);
}
END_TEST

START_TEST(unschedulable_message)
{
    size_t counts[RCI_SIM_FIT_NREASONS] = {0};
    counts[RCI_SIM_FIT_CPU] = 1;
    counts[RCI_SIM_FIT_SELECTOR] = 2;
    char *m = rci_sim_sched_message(3, counts);
    ck_assert_str_eq(m, "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node "
                        "affinity/selector.");
    free(m);
    size_t none[RCI_SIM_FIT_NREASONS] = {0};
    m = rci_sim_sched_message(0, none);
    ck_assert_str_eq(m, "0/0 nodes are available.");
    free(m);
}
END_TEST

START_TEST(tolerations_match_like_upstream)
{
    rc_object *p = obj("{\"spec\":{\"tolerations\":[{\"key\":\"k\",\"operator\":\"Equal\",\"value\":\"v\"}]}}");
    rc_object *t = obj("{\"key\":\"k\",\"value\":\"v\",\"effect\":\"NoExecute\"}");
    ck_assert(rc_node_exists(rci_sim_pod_toleration_for(p, rc_object_root(t))));
    rc_object *t2 = obj("{\"key\":\"k\",\"value\":\"w\",\"effect\":\"NoExecute\"}");
    ck_assert(!rc_node_exists(rci_sim_pod_toleration_for(p, rc_object_root(t2))));
    rc_object_unref(p);
    rc_object_unref(t);
    rc_object_unref(t2);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sim_scheduler");
    TCase *tc = tcase_create("predicates");
    tcase_add_test(tc, node_selector);
    tcase_add_test(tc, node_affinity_expressions);
    tcase_add_test(tc, node_affinity_match_fields);
    tcase_add_test(tc, unschedulable_node);
    tcase_add_test(tc, taints_and_tolerations);
    tcase_add_test(tc, resource_fit);
    tcase_add_test(tc, least_allocated_scoring);
    tcase_add_test(tc, unschedulable_message);
    tcase_add_test(tc, tolerations_match_like_upstream);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rc_test_run_suite(suite());
}
