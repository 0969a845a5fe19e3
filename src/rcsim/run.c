/* run.c - `rcsim run`: builds a simulated cluster of N nodes on a virtual clock, then for each -f FILE
 * in turn applies it (as kubectl apply) and drives the deterministic driver until nothing more happens
 * (or --max-time passes), printing kubectl rollout status lines for the Deployments the file applied;
 * finally prints the cluster as kubectl get would. --trace writes every committed write as JSON Lines,
 * --faults injects API errors, conflicts, dropped watches, latency and node failures at given times. */
#include "rcsim.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILES 64
#define MAX_NODE_FAULTS 64
#define DEFAULT_NODES 3
#define DEFAULT_MAX_TIME (60 * RC_MINUTE)

typedef enum node_fault_kind { NF_NOT_READY, NF_READY, NF_REMOVE } node_fault_kind;

typedef struct node_fault {
    node_fault_kind kind;
    char node[128];
    rc_duration at; /* since the start of the simulation */
    bool done;
} node_fault;

typedef struct run_opts {
    const char *files[MAX_FILES];
    size_t nfiles;
    size_t nodes;
    uint64_t seed;
    rc_duration max_time;
    const char *trace;
    const char *faults;
    rcsim_output output;
    bool events;
    bool verbose;
    node_fault node_faults[MAX_NODE_FAULTS];
    size_t nnode_faults;
} run_opts;

static void run_usage(FILE *out)
{
    fprintf(out, "Usage: rcsim run -f FILE [-f FILE ...] [--nodes N] [--seed S] [--max-time DURATION]\n"
                 "                 [--trace FILE] [--faults SPEC] [-o table|yaml|json] [--events] [-v]\n\n"
                 "Applies each manifest in turn to a simulated cluster on a virtual clock, runs until the\n"
                 "cluster is stable, and prints the result. See rcsim(1).\n");
}

/* ---- --faults ---- */

static int parse_code(const char *s)
{
    for (int c = RC_ECODE_MIN; c < 0; c++)
        if (!strcasecmp(s, rc_error_reason(c)))
            return c;
    char *end;
    long http = strtol(s, &end, 10);
    return !*end && http >= 400 && http < 600 ? rc_error_from_http((int)http, NULL) : 0;
}

/* fail=VERB:RESOURCE:CODE[:TIMES] - the next TIMES matching requests fail with CODE. */
static int fault_fail(rcsim_cluster *c, char *arg, rc_error *err)
{
    char *save = NULL;
    char *verb = strtok_r(arg, ":", &save), *res = strtok_r(NULL, ":", &save);
    char *code = strtok_r(NULL, ":", &save), *times = strtok_r(NULL, ":", &save);
    int rc_code = code ? parse_code(code) : 0;
    if (!verb || !res || !rc_code)
        return rc_error_set(err, RC_EINVAL, "--faults: fail=VERB:RESOURCE:CODE[:TIMES] expected (CODE like "
                            "Conflict, InternalError or 500)");
    rc_fault_rule rule = {.verb = strcmp(verb, "*") ? verb : NULL, .resource = strcmp(res, "*") ? res : NULL,
                          .nth = 1, .times = times ? strtoull(times, NULL, 10) : 1, .code = rc_code};
    return rc_apiserver_fault_fail(c->srv, &rule, err);
}

/* node-notready=NODE@DURATION, node-ready=..., node-remove=... */
static int fault_node(run_opts *o, node_fault_kind kind, const char *arg, rc_error *err)
{
    const char *at = strchr(arg, '@');
    if (!at || at == arg || o->nnode_faults == MAX_NODE_FAULTS)
        return rc_error_set(err, RC_EINVAL, "--faults: node faults are NODE@DURATION (at most %d), not \"%s\"",
                            MAX_NODE_FAULTS, arg);
    node_fault *f = &o->node_faults[o->nnode_faults];
    snprintf(f->node, sizeof f->node, "%.*s", (int)(at - arg), arg);
    f->kind = kind;
    if (rc_duration_parse(at + 1, &f->at, err) != 0)
        return RC_EINVAL;
    o->nnode_faults++;
    return 0;
}

static int apply_faults(rcsim_cluster *c, run_opts *o, rc_error *err)
{
    if (!o->faults)
        return 0;
    char *spec = strdup(o->faults);
    int rc = spec ? 0 : RC_ENOMEM;
    char *save = NULL;
    for (char *item = spec ? strtok_r(spec, ",", &save) : NULL; rc == 0 && item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!eq) {
            rc = rc_error_set(err, RC_EINVAL, "--faults: \"%s\" is not KEY=VALUE", item);
            break;
        }
        *eq = '\0';
        const char *key = item, *val = eq + 1;
        if (!strcmp(key, "conflict")) {
            rc_apiserver_fault_conflict_rate(c->srv, atof(val));
        } else if (!strcmp(key, "drop-watch")) {
            rc_apiserver_fault_drop_watch_every(c->srv, strtoull(val, NULL, 10));
        } else if (!strcmp(key, "latency")) {
            rc_duration d;
            rc = rc_duration_parse(val, &d, err);
            if (rc == 0)
                rc_apiserver_fault_latency(c->srv, d);
        } else if (!strcmp(key, "expire-history")) {
            rc = rc_apiserver_fault_expire_history(c->srv, strcmp(val, "all") ? val : NULL);
            if (rc)
                rc_error_set(err, rc, "--faults: expire-history: unknown resource \"%s\"", val);
        } else if (!strcmp(key, "fail")) {
            rc = fault_fail(c, eq + 1, err);
        } else if (!strcmp(key, "node-notready")) {
            rc = fault_node(o, NF_NOT_READY, val, err);
        } else if (!strcmp(key, "node-ready")) {
            rc = fault_node(o, NF_READY, val, err);
        } else if (!strcmp(key, "node-remove")) {
            rc = fault_node(o, NF_REMOVE, val, err);
        } else {
            rc = rc_error_set(err, RC_EINVAL, "--faults: unknown fault \"%s\" (conflict, drop-watch, latency, "
                              "expire-history, fail, node-notready, node-ready, node-remove)", key);
        }
    }
    free(spec);
    return rc == RC_ENOMEM && !(err && err->code) ? rc_error_set(err, rc, "out of memory") : rc;
}

static rc_time next_node_fault(const rcsim_cluster *c, const run_opts *o)
{
    rc_time t = RC_TIME_NEVER;
    for (size_t i = 0; i < o->nnode_faults; i++)
        if (!o->node_faults[i].done && c->start + o->node_faults[i].at < t)
            t = c->start + o->node_faults[i].at;
    return t;
}

static void fire_node_faults(rcsim_cluster *c, run_opts *o)
{
    rc_time now = rc_clock_now(c->clock);
    for (size_t i = 0; i < o->nnode_faults; i++) {
        node_fault *f = &o->node_faults[i];
        if (f->done || c->start + f->at > now)
            continue;
        f->done = true;
        rc_error err = {0};
        int rc = f->kind == NF_REMOVE ? rc_sim_remove_node(c->sim, f->node, &err)
                                      : rc_sim_set_node_ready(c->sim, f->node, f->kind == NF_READY, &err);
        if (rc != 0)
            fprintf(stderr, "rcsim: fault on node %s: %s\n", f->node, err.message ? err.message : rc_strerror(rc));
        rc_error_clear(&err);
    }
}

/* ---- driving ---- */

typedef struct progress {
    bool enabled;
    struct timespec last;
} progress;

static void progress_show(progress *p, rcsim_cluster *c, bool force)
{
    if (!p->enabled)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double dt = (double)(now.tv_sec - p->last.tv_sec) + (double)(now.tv_nsec - p->last.tv_nsec) / 1e9;
    if (!force && dt < 0.2)
        return;
    p->last = now;
    rc_duration v = rc_clock_now(c->clock) - c->start;
    fprintf(stderr, "\r\033[K[rcsim] t=%lld.%01llds writes=%llu", (long long)(v / RC_SEC),
            (long long)(v % RC_SEC / (RC_SEC / 10)), (unsigned long long)rc_apiserver_resource_version(c->srv));
    fflush(stderr);
}

/* Runs the driver until no real work is left before limit (rc_manager_next_work_deadline: what is still
 * scheduled then is housekeeping - watch bookmarks and timeouts, resyncs) and no node fault is pending.
 * *settled gets the time the last work ran. */
static int drive(rcsim_cluster *c, run_opts *o, rc_time limit, progress *pg, rc_time *settled)
{
    for (;;) {
        fire_node_faults(c, o);
        int rc = rc_manager_run_due(c->mgr);
        if (rc < 0)
            return rc;
        progress_show(pg, c, false);
        rc_time now = rc_clock_now(c->clock);
        *settled = now;
        rc_time work = rc_manager_next_work_deadline(c->mgr), nf = next_node_fault(c, o);
        rc_time when = work < nf ? work : nf;
        if (when == RC_TIME_NEVER || when >= limit)
            return 0;
        if (when > now && (rc = rc_manager_run_until(c->mgr, when)) != 0)
            return rc;
    }
}

/* ---- options ---- */

static int parse_opts(int argc, char **argv, run_opts *o)
{
    static const struct option longs[] = {
        {"filename", required_argument, NULL, 'f'}, {"nodes", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},     {"max-time", required_argument, NULL, 't'},
        {"trace", required_argument, NULL, 'T'},    {"faults", required_argument, NULL, 'F'},
        {"output", required_argument, NULL, 'o'},   {"events", no_argument, NULL, 'e'},
        {"verbose", no_argument, NULL, 'v'},        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->nodes = DEFAULT_NODES;
    o->seed = 1;
    o->max_time = DEFAULT_MAX_TIME;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "f:o:vh", longs, NULL)) != -1) {
        char *end = NULL;
        rc_error err = {0};
        switch (ch) {
        case 'f':
            if (o->nfiles == MAX_FILES) {
                fprintf(stderr, "rcsim run: at most %d -f files\n", MAX_FILES);
                return 2;
            }
            o->files[o->nfiles++] = optarg;
            break;
        case 'n':
            o->nodes = strtoull(optarg, &end, 10);
            if (!*optarg || *end || o->nodes > 100000) {
                fprintf(stderr, "rcsim run: --nodes: \"%s\" is not a number from 0 to 100000\n", optarg);
                return 2;
            }
            break;
        case 's':
            o->seed = strtoull(optarg, &end, 10);
            if (!*optarg || *end) {
                fprintf(stderr, "rcsim run: --seed: \"%s\" is not a number\n", optarg);
                return 2;
            }
            break;
        case 't':
            if (rc_duration_parse(optarg, &o->max_time, &err) != 0 || o->max_time <= 0) {
                fprintf(stderr, "rcsim run: --max-time: %s\n", err.message ? err.message : "must be positive");
                rc_error_clear(&err);
                return 2;
            }
            break;
        case 'T':
            o->trace = optarg;
            break;
        case 'F':
            o->faults = optarg;
            break;
        case 'o':
            if (!strcmp(optarg, "table") || !strcmp(optarg, "wide"))
                o->output = RCSIM_OUTPUT_TABLE;
            else if (!strcmp(optarg, "yaml"))
                o->output = RCSIM_OUTPUT_YAML;
            else if (!strcmp(optarg, "json"))
                o->output = RCSIM_OUTPUT_JSON;
            else {
                fprintf(stderr, "rcsim run: --output: unknown format \"%s\" (table, yaml, json)\n", optarg);
                return 2;
            }
            break;
        case 'e':
            o->events = true;
            break;
        case 'v':
            o->verbose = true;
            break;
        case 'h':
            run_usage(stdout);
            return 1;
        default:
            run_usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "rcsim run: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    if (!o->nfiles) {
        fprintf(stderr, "rcsim run: at least one -f FILE is required\n");
        run_usage(stderr);
        return 2;
    }
    return 0;
}

/* Applies file i and runs until stable. Returns 0 or an exit status. */
static int run_file(rcsim_cluster *c, run_opts *o, size_t i, rcsim_rollout *ro, progress *pg, rc_time *settled)
{
    FILE *out = o->output == RCSIM_OUTPUT_TABLE ? stdout : NULL;
    rcsim_applied *applied = NULL;
    size_t napplied = 0;
    int rc = rcsim_apply_file(c, o->files[i], out, &applied, &napplied);
    if (rc != 0) {
        free(applied);
        return 1;
    }
    rcsim_rollout_reset(ro);
    for (size_t k = 0; out && k < napplied; k++)
        if (!strcmp(applied[k].kind, "Deployment"))
            rcsim_rollout_follow(ro, applied[k].ns, applied[k].name);
    free(applied);
    rc = drive(c, o, rc_clock_now(c->clock) + o->max_time, pg, settled);
    rcsim_rollout_flush(ro, c->client);
    if (rc != 0) {
        fprintf(stderr, "rcsim run: the simulation did not settle: %s\n", rc_strerror(rc));
        return 1;
    }
    return 0;
}

int rcsim_cmd_run(int argc, char **argv)
{
    run_opts o;
    int status = parse_opts(argc, argv, &o);
    if (status)
        return status == 1 ? 0 : status;
    rc_log_set_level(o.verbose ? RC_LOG_INFO : RC_LOG_OFF);
    rcsim_cluster c;
    rc_error err = {0};
    FILE *trace_file = NULL;
    rc_sim_trace *trace = NULL;
    rcsim_rollout *ro = NULL;
    rcsim_cluster_options co = {.seed = o.seed, .nodes = o.nodes};
    int rc = rcsim_cluster_new(&c, &co, &err);
    if (rc == 0 && o.trace) {
        trace_file = fopen(o.trace, "w");
        if (!trace_file)
            rc = rc_error_set(&err, RC_EIO, "--trace: cannot open %s", o.trace);
        else if (!(trace = rc_sim_trace_new(c.srv, c.clock, c.start, trace_file, &err)))
            rc = err.code;
    }
    if (rc == 0)
        rc = apply_faults(&c, &o, &err);
    if (rc == 0 && !(ro = rcsim_rollout_new(c.mgr, stdout, &err)))
        rc = err.code ? err.code : RC_ENOMEM;
    if (rc == 0)
        rc = rcsim_cluster_add_nodes(&c, o.nodes, &err);
    if (rc == 0)
        rc = rcsim_cluster_add_default_storage_class(&c, &err);
    progress pg = {.enabled = isatty(STDERR_FILENO)};
    rc_time settled = 0;
    status = rc ? 1 : 0;
    if (rc)
        fprintf(stderr, "rcsim run: %s\n", err.message ? err.message : rc_strerror(rc));
    for (size_t i = 0; status == 0 && i < o.nfiles; i++)
        status = run_file(&c, &o, i, ro, &pg, &settled);
    if (pg.enabled) {
        progress_show(&pg, &c, true);
        fputs("\r\033[K", stderr);
    }
    if (status == 0) {
        if (o.output == RCSIM_OUTPUT_TABLE)
            putchar('\n');
        if (rcsim_print_summary(&c, settled, o.output, o.events, stdout, &err) != 0) {
            fprintf(stderr, "rcsim run: %s\n", err.message ? err.message : rc_strerror(err.code));
            status = 1;
        }
    }
    rc_sim_trace_free(trace);
    rcsim_cluster_free(&c);
    rcsim_rollout_free(ro);
    if (trace_file && fclose(trace_file) != 0 && status == 0) {
        fprintf(stderr, "rcsim run: --trace: write error\n");
        status = 1;
    }
    rc_error_clear(&err);
    return status;
}
