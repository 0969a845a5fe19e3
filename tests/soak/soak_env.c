/* soak_env.c - one soak run: the embedded API server on a virtual clock, a controller manager with the
 * scenario's controllers and the simulated cluster, the write trace feeding the pod model and the
 * scenario's check, and the chaos that soak_run injects from the seeded generator: conflicts, dropped
 * watches, forced 410s, 500s and 429s, pod crashes, NotReady nodes, and manager restarts (the old manager
 * and its caches are freed; a new one lists everything again). */
#include "soak/soak.h"

#include <reconcile/controllers.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLICE (5 * RC_SEC)  /* default: chaos is considered once per slice of virtual time */
#define MAX_DOWN 4          /* nodes NotReady at once */
#define PRINTED_FAILURES 3

const char *soak_program = "soak";

typedef struct down_node {
    char name[64];
    rc_time back; /* when it becomes Ready again */
} down_node;

struct soak_env {
    uint64_t seed, rng;
    const char *scenario;
    unsigned controllers;
    size_t nodes;
    rc_clock *clock;
    rc_apiserver *srv;
    rc_client *admin;
    rc_manager *mgr;
    rc_sim *sim;
    soak_model *model;
    soak_check_fn check;
    down_node down[MAX_DOWN];
    size_t ndown;
    rc_duration slice;
    int failures;
    uint64_t faults, restarts, writes;
};

void soak_set_slice(soak_env *env, rc_duration slice) { env->slice = slice; }

uint64_t soak_rand(soak_env *env, uint64_t n)
{
    uint64_t x = env->rng; /* xorshift64* */
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    env->rng = x;
    return n ? (x * 0x2545F4914F6CDD1DULL) % n : 0;
}

void soak_fail(soak_env *env, const char *fmt, ...)
{
    if (env->failures++ >= PRINTED_FAILURES)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    double t = (double)(rc_clock_now(env->clock) - SOAK_T0) / 1e9;
    fprintf(stderr, "soak: FAIL %s seed=%llu t=%.3fs: %s\nsoak: reproduce with: %s --scenario %s --seed %llu\n",
            env->scenario, (unsigned long long)env->seed, t, msg, soak_program, env->scenario,
            (unsigned long long)env->seed);
}

int soak_failures(const soak_env *env) { return env->failures; }
rc_client *soak_client(soak_env *env) { return env->admin; }
rc_sim *soak_sim(soak_env *env) { return env->sim; }
uint64_t soak_seed(const soak_env *env) { return env->seed; }
rc_time soak_now(soak_env *env) { return rc_clock_now(env->clock); }
void soak_set_check(soak_env *env, soak_check_fn fn) { env->check = fn; }

const soak_pod *soak_pods(soak_env *env, size_t *n) { return soak_model_pods(env->model, n); }

long soak_active(soak_env *env, const char *owner_kind, const char *owner_name)
{
    return soak_model_active(env->model, owner_kind, owner_name);
}

/* Totals over the runs freed since the last soak_totals call. */
static uint64_t total_faults, total_restarts, total_writes;

void soak_totals(uint64_t *faults, uint64_t *restarts, uint64_t *writes)
{
    *faults = total_faults;
    *restarts = total_restarts;
    *writes = total_writes;
    total_faults = total_restarts = total_writes = 0;
}

/* Called in commit order with the server locked: only the model and the check run here. */
static void on_write(void *ctx, const rc_trace_record *rec)
{
    soak_env *env = ctx;
    env->writes++;
    const soak_pod *p = soak_model_apply(env->model, rec);
    if (p && env->check)
        env->check(env, p);
}

/* ---- the manager and its controllers ---- */

static int add(rc_manager *m, int (*make)(const rc_controller_ops **, void **, rc_error *), rc_error *err)
{
    const rc_controller_ops *ops;
    void *self;
    int rc = make(&ops, &self, err);
    return rc ? rc : rc_manager_add_controller(m, ops, self, NULL, err);
}

static int make_rs(const rc_controller_ops **o, void **s, rc_error *e) { return rc_replicaset_controller_new(NULL, o, s, e); }
static int make_deploy(const rc_controller_ops **o, void **s, rc_error *e) { return rc_deployment_controller_new(NULL, o, s, e); }
static int make_sts(const rc_controller_ops **o, void **s, rc_error *e) { return rc_statefulset_controller_new(NULL, o, s, e); }
static int make_ds(const rc_controller_ops **o, void **s, rc_error *e) { return rc_daemonset_controller_new(NULL, o, s, e); }
static int make_job(const rc_controller_ops **o, void **s, rc_error *e) { return rc_job_controller_new(NULL, o, s, e); }
static int make_cron(const rc_controller_ops **o, void **s, rc_error *e) { return rc_cronjob_controller_new(NULL, o, s, e); }

static int start_manager(soak_env *env, rc_error *err)
{
    rc_manager_options mo = {.client = env->admin, .clock = env->clock, .seed = env->seed + env->restarts,
                             .apiserver = env->srv};
    int rc = rc_manager_new(&mo, &env->mgr, err);
    if (rc == 0)
        rc = rc_sim_new(env->mgr, NULL, &env->sim, err);
    unsigned c = env->controllers;
    if (rc == 0 && (c & SOAK_DEPLOYMENT))
        rc = add(env->mgr, make_deploy, err);
    if (rc == 0 && (c & SOAK_DEPLOYMENT))
        rc = add(env->mgr, make_rs, err);
    if (rc == 0 && (c & SOAK_STATEFULSET))
        rc = add(env->mgr, make_sts, err);
    if (rc == 0 && (c & SOAK_DAEMONSET))
        rc = add(env->mgr, make_ds, err);
    if (rc == 0 && (c & (SOAK_JOB | SOAK_CRONJOB)))
        rc = add(env->mgr, make_job, err);
    if (rc == 0 && (c & SOAK_CRONJOB))
        rc = add(env->mgr, make_cron, err);
    return rc;
}

soak_env *soak_env_new(uint64_t seed, const char *scenario, size_t nodes, unsigned controllers)
{
    soak_env *env = calloc(1, sizeof *env);
    if (!env)
        return NULL;
    env->seed = seed;
    env->rng = seed * 0x9E3779B97F4A7C15ULL + 1;
    env->scenario = scenario;
    env->controllers = controllers;
    env->nodes = nodes;
    env->slice = SLICE;
    env->clock = rc_clock_virtual_new(SOAK_T0);
    env->model = soak_model_new();
    rc_error err = {0};
    rc_apiserver_options so = {.clock = env->clock, .seed = seed};
    env->srv = env->clock && env->model ? rc_apiserver_new(&so, &err) : NULL;
    if (env->srv) {
        env->admin = rc_apiserver_client(env->srv, NULL);
        rc_apiserver_set_trace(env->srv, on_write, env);
    }
    if (!env->srv || start_manager(env, &err) != 0 || rc_sim_add_nodes(env->sim, "node", nodes, 2, &err) != 0) {
        soak_fail(env, "setup: %s", err.message ? err.message : "out of memory");
        rc_error_clear(&err);
    }
    return env;
}

int soak_env_free(soak_env *env)
{
    if (!env)
        return 1;
    int failures = env->failures;
    total_faults += env->faults;
    total_restarts += env->restarts;
    total_writes += env->writes;
    rc_manager_free(env->mgr);
    if (env->srv)
        rc_apiserver_set_trace(env->srv, NULL, NULL);
    rc_client_unref(env->admin);
    rc_apiserver_free(env->srv);
    soak_model_free(env->model);
    rc_clock_free(env->clock);
    free(env);
    return failures;
}

/* ---- admin operations ---- */

void soak_create(soak_env *env, const char *yaml)
{
    rc_error err = {0};
    rc_object_list objs;
    rc_object_list_init(&objs);
    if (rc_decode_objects(yaml, strlen(yaml), env->scenario, NULL, &objs, &err) != 0)
        soak_fail(env, "manifest: %s", err.message);
    for (size_t i = 0; i < objs.count; i++) {
        rc_error_clear(&err);
        const char *ns = rc_object_namespace(objs.items[i]) && rc_object_namespace(objs.items[i])[0] ? NULL : "default";
        if (rc_client_create(env->admin, NULL, ns, objs.items[i], NULL, NULL, &err) != 0)
            soak_fail(env, "create %s: %s", rc_object_name(objs.items[i]), err.message);
    }
    rc_error_clear(&err);
    rc_object_list_clear(&objs);
}

void soak_patch(soak_env *env, const char *resource, const char *ns, const char *name, const char *merge)
{
    rc_error err = {0};
    for (int attempt = 0; attempt < 20; attempt++) {
        rc_error_clear(&err);
        if (rc_client_patch(env->admin, resource, ns, name, RC_PATCH_MERGE, merge, strlen(merge), NULL, NULL, &err) == 0)
            return;
    }
    soak_fail(env, "patch %s %s: %s", resource, name, err.message);
    rc_error_clear(&err);
}

long soak_count(soak_env *env, const char *resource, const char *ns, const char *selector)
{
    rc_object_list l;
    rc_object_list_init(&l);
    rc_list_options lo = {.label_selector = selector};
    long n = rc_client_list(env->admin, resource, ns, &lo, &l, NULL) == 0 ? (long)l.count : -1;
    rc_object_list_clear(&l);
    return n;
}

static const char *ready_of(const rc_object *pod)
{
    rc_node cs = rc_object_at(pod, "status.conditions");
    for (size_t i = 0; i < rc_node_len(cs); i++) {
        const char *t = rc_node_str(rc_node_get(rc_node_index(cs, i), "type"));
        if (t && !strcmp(t, "Ready"))
            return rc_node_str(rc_node_get(rc_node_index(cs, i), "status"));
    }
    return "-";
}

void soak_dump_pods(soak_env *env, const char *selector)
{
    rc_object_list l;
    rc_object_list_init(&l);
    rc_list_options lo = {.label_selector = selector};
    rc_client_list(env->admin, "pods", "", &lo, &l, NULL);
    for (size_t i = 0; i < l.count; i++) {
        const rc_object *p = l.items[i];
        const char *node = rc_object_get_str(p, "spec.nodeName");
        const char *phase = rc_object_get_str(p, "status.phase");
        fprintf(stderr, "soak:   pod %s node=%s phase=%s ready=%s image=%s%s\n", rc_object_name(p), node ? node : "-",
                phase ? phase : "-", ready_of(p), rc_object_get_str(p, "spec.containers.0.image"),
                rc_object_deletion_timestamp(p) ? " terminating" : "");
    }
    rc_object_list_clear(&l);
}

/* ---- chaos ---- */

static void restart_manager(soak_env *env)
{
    rc_manager_free(env->mgr);
    env->mgr = NULL;
    env->sim = NULL;
    env->restarts++;
    rc_error err = {0};
    if (start_manager(env, &err) != 0)
        soak_fail(env, "manager restart: %s", err.message);
    rc_error_clear(&err);
}

static void node_down(soak_env *env)
{
    if (env->ndown == MAX_DOWN)
        return;
    down_node *d = &env->down[env->ndown];
    snprintf(d->name, sizeof d->name, "node-%llu", (unsigned long long)(1 + soak_rand(env, env->nodes)));
    for (size_t i = 0; i < env->ndown; i++)
        if (!strcmp(env->down[i].name, d->name))
            return;
    if (rc_sim_set_node_ready(env->sim, d->name, false, NULL) == 0) {
        d->back = rc_clock_now(env->clock) + (rc_duration)(20 + soak_rand(env, 70)) * RC_SEC;
        env->ndown++;
    }
}

/* One NotReady node back to Ready, through the faulty API server; true when done (also when the node was
 * removed meanwhile). */
static bool node_back(soak_env *env, const char *name)
{
    int rc = rc_sim_set_node_ready(env->sim, name, true, NULL);
    return rc == 0 || rc == RC_ENOTFOUND;
}

/* Brings the nodes that are due (all of them with all) back to Ready; a node whose write fails stays on
 * the list and is tried again on the next call. */
static void nodes_back(soak_env *env, bool all)
{
    rc_time now = rc_clock_now(env->clock);
    for (size_t i = 0; i < env->ndown;) {
        if ((all || env->down[i].back <= now) && node_back(env, env->down[i].name))
            env->down[i] = env->down[--env->ndown];
        else
            i++;
    }
}

static void crash_pod(soak_env *env)
{
    size_t n;
    const soak_pod *pods = soak_model_pods(env->model, &n);
    size_t active = 0;
    for (size_t i = 0; i < n; i++)
        active += pods[i].active;
    if (!active)
        return;
    size_t pick = (size_t)soak_rand(env, active);
    for (size_t i = 0; i < n; i++)
        if (pods[i].active && pick-- == 0) {
            char name[256];
            snprintf(name, sizeof name, "%s", pods[i].name);
            rc_client_delete(env->admin, "pods", "default", name, NULL, NULL, NULL);
            return;
        }
}

static void inject(soak_env *env)
{
    uint64_t r = soak_rand(env, 100);
    if (r >= 40)
        return;
    env->faults++;
    if (getenv("SOAK_DEBUG"))
        fprintf(stderr, "soak: t=%.0fs fault %llu\n", (double)(rc_clock_now(env->clock) - SOAK_T0) / 1e9,
                (unsigned long long)r);
    if (r < 8) {
        rc_apiserver_fault_drop_watch_every(env->srv, 3 + soak_rand(env, 20));
    } else if (r < 12) {
        rc_apiserver_fault_expire_history(env->srv, NULL);
    } else if (r < 22) {
        rc_fault_rule rule = {.nth = 1 + soak_rand(env, 5), .times = 1 + soak_rand(env, 3),
                              .code = soak_rand(env, 2) ? RC_EINTERNAL : RC_ETOOMANY};
        rc_apiserver_fault_fail(env->srv, &rule, NULL);
    } else if (r < 30) {
        crash_pod(env);
    } else if (r < 37) {
        node_down(env);
    } else {
        restart_manager(env);
    }
}

static void run_to(soak_env *env, rc_time t)
{
    int rc = rc_manager_run_until(env->mgr, t);
    if (rc != 0)
        soak_fail(env, "the manager did not settle at one instant (%s)", rc_strerror(rc));
}

void soak_run(soak_env *env, rc_duration d, bool chaos)
{
    rc_time end = rc_clock_now(env->clock) + d;
    if (chaos)
        rc_apiserver_fault_conflict_rate(env->srv, 0.1);
    while (rc_clock_now(env->clock) < end && env->mgr) {
        if (chaos)
            inject(env);
        nodes_back(env, false);
        rc_time next = rc_clock_now(env->clock) + env->slice;
        run_to(env, next < end ? next : end);
    }
}

void soak_settle(soak_env *env, rc_duration bound)
{
    rc_apiserver_fault_clear(env->srv);
    nodes_back(env, true);
    for (size_t i = 0; i < env->ndown; i++)
        soak_fail(env, "cannot bring node %s back to Ready", env->down[i].name);
    if (env->mgr)
        run_to(env, rc_clock_now(env->clock) + bound);
}
