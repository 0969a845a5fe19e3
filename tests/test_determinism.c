/* test_determinism.c - the deterministic driver's promise: the same inputs and seed produce a byte-identical
 * write trace, whatever the heap addresses. A scenario (Deployment rollout and scale-down, DaemonSet, Job,
 * Service on eight simulated nodes, with write conflicts, dropped watches and node failures) runs with its
 * rc_sim_trace captured; runs are compared byte for byte after the heap was reshaped in between, in a child
 * process started with address-space randomisation toggled, and under other seeds (which must differ, or
 * the comparison proves nothing). Also checks that index lookups list members in a stable order. */
#include <reconcile.h>
#include <reconcile/sim.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/testutil.h"

#define CHILD_ENV "RC_DETERMINISM_TRACE_OUT"
#define T0 ((rc_time)1704067200 * RC_SEC)

static const char *const manifest =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\n"
    "spec:\n  replicas: 24\n  selector: {matchLabels: {app: web}}\n"
    "  template:\n    metadata: {labels: {app: web}}\n"
    "    spec: {containers: [{name: c, image: 'nginx:1.14'}]}\n"
    "---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\n"
    "spec: {selector: {app: web}, ports: [{port: 80}]}\n"
    "---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: default}\n"
    "spec:\n  selector: {matchLabels: {app: agent}}\n"
    "  template:\n    metadata: {labels: {app: agent}}\n"
    "    spec: {containers: [{name: a, image: 'agent:1'}]}\n"
    "---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: pi, namespace: default}\n"
    "spec:\n  completions: 8\n  parallelism: 4\n"
    "  template:\n    spec: {restartPolicy: Never, containers: [{name: pi, image: 'perl:5'}]}\n";

typedef struct scenario {
    rc_clock *clock;
    rc_apiserver *srv;
    rc_client *admin;
    rc_manager *mgr;
    rc_sim *sim;
} scenario;

static void create_all(scenario *s)
{
    rc_object_list objs;
    rc_object_list_init(&objs);
    ck_assert_int_eq(rc_decode_objects(manifest, strlen(manifest), "manifest", NULL, &objs, NULL), 0);
    for (size_t i = 0; i < objs.count; i++)
        ck_assert_int_eq(rc_client_create(s->admin, NULL, "default", objs.items[i], NULL, NULL, NULL), 0);
    rc_object_list_clear(&objs);
}

static void patch(scenario *s, const char *resource, const char *name, const char *merge)
{
    int rc = RC_ECONFLICT;
    for (int attempt = 0; attempt < 50 && rc != 0; attempt++)
        rc = rc_client_patch(s->admin, resource, "default", name, RC_PATCH_MERGE, merge, strlen(merge), NULL, NULL,
                             NULL);
    ck_assert_int_eq(rc, 0);
}

static void run_for(scenario *s, rc_duration d)
{
    ck_assert_int_eq(rc_manager_run_until(s->mgr, rc_clock_now(s->clock) + d), 0);
}

/* Runs the scenario for seed and returns its trace (malloc'd, *len bytes). */
static char *run_scenario(uint64_t seed, size_t *len)
{
    scenario s = {0};
    char *trace = NULL;
    FILE *out = open_memstream(&trace, len);
    ck_assert_ptr_nonnull(out);
    s.clock = rc_clock_virtual_new(T0);
    rc_apiserver_options so = {.clock = s.clock, .seed = seed};
    s.srv = rc_apiserver_new(&so, NULL);
    ck_assert_ptr_nonnull(s.srv);
    s.admin = rc_apiserver_client(s.srv, NULL);
    rc_manager_options mo = {.client = s.admin, .clock = s.clock, .seed = seed, .apiserver = s.srv};
    ck_assert_int_eq(rc_manager_new(&mo, &s.mgr, NULL), 0);
    ck_assert_int_eq(rc_controllers_add_all(s.mgr, NULL, NULL), 0);
    rc_sim_options simo = {.apiserver = s.srv};
    ck_assert_int_eq(rc_sim_new(s.mgr, &simo, &s.sim, NULL), 0);
    rc_sim_trace *t = rc_sim_trace_new(s.srv, s.clock, T0, out, NULL);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(rc_sim_add_nodes(s.sim, "node", 8, 3, NULL), 0);
    rc_apiserver_fault_conflict_rate(s.srv, 0.1);
    rc_apiserver_fault_drop_watch_every(s.srv, 40);
    create_all(&s);
    run_for(&s, 60 * RC_SEC);
    patch(&s, "deployments.apps", "web", "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.16\"}]}}}}");
    run_for(&s, 5 * RC_SEC);
    ck_assert_int_eq(rc_sim_set_node_ready(s.sim, "node-2", false, NULL), 0);
    ck_assert_int_eq(rc_sim_remove_node(s.sim, "node-5", NULL), 0);
    run_for(&s, 400 * RC_SEC);
    ck_assert_int_eq(rc_sim_set_node_ready(s.sim, "node-2", true, NULL), 0);
    patch(&s, "deployments.apps", "web", "{\"spec\":{\"replicas\":9}}");
    rc_apiserver_fault_clear(s.srv);
    run_for(&s, 600 * RC_SEC);
    rc_sim_trace_free(t);
    rc_manager_free(s.mgr);
    rc_client_unref(s.admin);
    rc_apiserver_free(s.srv);
    rc_clock_free(s.clock);
    ck_assert_int_eq(fclose(out), 0);
    ck_assert_uint_gt(*len, 0);
    return trace;
}

/* Line number (1-based) of the first difference, for the failure message; 0 when equal. */
static size_t first_difference(const char *a, size_t na, const char *b, size_t nb)
{
    size_t line = 1;
    for (size_t i = 0; i < na || i < nb; i++) {
        if (i >= na || i >= nb || a[i] != b[i])
            return line;
        line += a[i] == '\n';
    }
    return 0;
}

static void assert_same(const char *a, size_t na, const char *b, size_t nb)
{
    size_t line = first_difference(a, na, b, nb);
    ck_assert_msg(line == 0, "traces differ from line %zu (%zu and %zu bytes)", line, na, nb);
}

/* Allocations of varied sizes, every other one freed again: later objects land at other addresses and in
 * another relative order than in a fresh heap. */
static void **reshape_heap(size_t n)
{
    void **blocks = calloc(n, sizeof *blocks);
    ck_assert_ptr_nonnull(blocks);
    for (size_t i = 0; i < n; i++)
        blocks[i] = malloc(16 + (i * 7919) % 1500);
    for (size_t i = 0; i < n; i += 2) {
        free(blocks[i]);
        blocks[i] = NULL;
    }
    return blocks;
}

static void free_blocks(void **blocks, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(blocks[i]);
    free(blocks);
}

START_TEST(same_seed_same_trace_whatever_the_heap)
{
    size_t na, nb;
    char *a = run_scenario(5, &na);
    void **blocks = reshape_heap(3001);
    char *b = run_scenario(5, &nb);
    free_blocks(blocks, 3001);
    assert_same(a, na, b, nb);
    free(a);
    free(b);
}
END_TEST

START_TEST(other_seed_other_trace)
{
    size_t na, nb;
    char *a = run_scenario(5, &na);
    char *b = run_scenario(6, &nb);
    ck_assert_msg(first_difference(a, na, b, nb) != 0, "seeds 5 and 6 gave the same trace");
    free(a);
    free(b);
}
END_TEST

static const char *self_path; /* argv[0], for re-running this program as a child */

/* Runs this program as a child that writes the seed-5 trace to path, with address-space randomisation
 * switched to the opposite of ours (so one side runs with ASLR and one without). */
static void run_child(const char *path, bool toggle_aslr)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int persona = personality(0xffffffff);
        if (toggle_aslr && persona != -1)
            personality((unsigned long)(persona ^ ADDR_NO_RANDOMIZE));
        setenv(CHILD_ENV, path, 1);
        execl(self_path, "test_determinism", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed (status %d)", status);
}

START_TEST(same_trace_in_another_process_with_other_aslr)
{
    char dir[] = "/tmp/rc_determinism_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char p1[64], p2[64];
    snprintf(p1, sizeof p1, "%s/aslr-toggled", dir);
    snprintf(p2, sizeof p2, "%s/aslr-same", dir);
    run_child(p1, true);
    run_child(p2, false);
    size_t na, n1, n2;
    char *a = run_scenario(5, &na);
    char *c1 = rc_test_read_file(p1, &n1);
    char *c2 = rc_test_read_file(p2, &n2);
    ck_assert_ptr_nonnull(c1);
    ck_assert_ptr_nonnull(c2);
    assert_same(a, na, c1, n1);
    assert_same(a, na, c2, n2);
    unlink(p1);
    unlink(p2);
    rmdir(dir);
    free(a);
    free(c1);
    free(c2);
}
END_TEST

/* ---- index lookups list members in a stable order ---- */

static void by_label(void *ctx, const rc_object *o, rc_index_values *out)
{
    (void)ctx;
    const char *v = rc_object_label(o, "app");
    if (v)
        rc_index_values_add(out, v);
}

static rc_object *pod(const char *name)
{
    char json[160];
    snprintf(json, sizeof json,
             "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"ns\","
             "\"labels\":{\"app\":\"x\"}}}",
             name);
    rc_object *o = rc_object_from_json(json, strlen(json), NULL);
    ck_assert_ptr_nonnull(o);
    return o;
}

/* Builds a store holding pods p0..p(n-1) added in the given order (with the heap reshaped when asked) and
 * returns the keys rc_store_by_index lists, joined by spaces. */
static char *index_order(const size_t *order, size_t n, bool reshape)
{
    rc_store *s = rc_store_new();
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(rc_store_add_indexer(s, "app", by_label, NULL, NULL), 0);
    void **blocks = reshape ? reshape_heap(257) : NULL;
    for (size_t i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%zu", order[i]);
        rc_object *o = pod(name);
        ck_assert_int_eq(rc_store_add(s, o), 0);
        rc_object_unref(o);
    }
    rc_object_list l;
    rc_object_list_init(&l);
    ck_assert_int_eq(rc_store_by_index(s, "app", "x", &l, NULL), 0);
    ck_assert_uint_eq(l.count, n);
    size_t cap = n * 8 + 1, len = 0;
    char *keys = calloc(cap, 1);
    for (size_t i = 0; i < l.count; i++)
        len += (size_t)snprintf(keys + len, cap - len, "%s ", rc_object_key(l.items[i]));
    rc_object_list_clear(&l);
    rc_store_free(s);
    if (blocks)
        free_blocks(blocks, 257);
    return keys;
}

START_TEST(index_members_do_not_follow_addresses)
{
    enum { N = 40 };
    size_t order[N];
    for (size_t i = 0; i < N; i++)
        order[i] = i;
    char *a = index_order(order, N, false);
    char *b = index_order(order, N, true);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
}
END_TEST

static Suite *determinism_suite(void)
{
    Suite *s = suite_create("determinism");
    TCase *tc = tcase_create("trace");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, same_seed_same_trace_whatever_the_heap);
    tcase_add_test(tc, other_seed_other_trace);
    tcase_add_test(tc, same_trace_in_another_process_with_other_aslr);
    suite_add_tcase(s, tc);
    TCase *ix = tcase_create("index");
    tcase_add_test(ix, index_members_do_not_follow_addresses);
    suite_add_tcase(s, ix);
    return s;
}

/* The child's only test: writes the seed-5 trace to the file named by CHILD_ENV. */
START_TEST(child_writes_trace)
{
    size_t n;
    char *trace = run_scenario(5, &n);
    FILE *f = fopen(getenv(CHILD_ENV), "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(trace, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
    free(trace);
}
END_TEST

static Suite *child_suite(void)
{
    Suite *s = suite_create("determinism-child");
    TCase *tc = tcase_create("child");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, child_writes_trace);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    (void)argc;
    self_path = argv[0]; /* not /proc/self/exe: under valgrind that names the tool, not this program */
    rc_log_set_level(RC_LOG_OFF);
    return rc_test_run_suite(getenv(CHILD_ENV) ? child_suite() : determinism_suite());
}
