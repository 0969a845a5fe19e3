/* soak.h - the fault-injection soak (tests/soak/): reference scenarios run by the real controllers on the
 * simulated cluster and the embedded API server, on a virtual clock, under seeded faults - write conflicts,
 * dropped watches, forced 410 relists, 500s and 429s, pod crashes, nodes going NotReady and back, and
 * controller manager restarts that rebuild every cache from scratch. Every pod write is checked as it is
 * committed (through the API server's trace hook) and the end state is checked after a virtual-time bound.
 * Same seed, same run: a failure prints the seed and the command that reproduces it. */
#ifndef RC_SOAK_H
#define RC_SOAK_H

#include <reconcile.h>
#include <reconcile/sim.h>

#include <stdarg.h>

#define SOAK_T0 ((rc_time)1704067200 * RC_SEC) /* 2024-01-01T00:00:00Z */

/* Controllers a scenario needs (re-registered on every manager restart). */
enum {
    SOAK_DEPLOYMENT = 0x1, /* with the ReplicaSet controller */
    SOAK_STATEFULSET = 0x2,
    SOAK_DAEMONSET = 0x4,
    SOAK_JOB = 0x8,
    SOAK_CRONJOB = 0x10, /* with the Job controller */
};

/* What happened to one pod, as the trace saw it. */
typedef struct soak_pod {
    char *uid, *name, *owner_kind, *owner_name, *node;
    bool live;      /* present and not deleted */
    bool active;    /* live, not terminating, not Succeeded/Failed */
    bool succeeded; /* reached phase Succeeded */
} soak_pod;

typedef struct soak_env soak_env;

/* The program's name, for the reproducing command printed with a failure (set by main). */
extern const char *soak_program;

/* A scenario's per-write check: called after every committed pod write with the pod that changed. */
typedef void (*soak_check_fn)(soak_env *env, const soak_pod *changed);

/* ---- soak_env.c ---- */
/* A cluster of `nodes` nodes for seed with the controllers in `controllers` (SOAK_* bits). NULL on failure
 * (printed). */
soak_env *soak_env_new(uint64_t seed, const char *scenario, size_t nodes, unsigned controllers);
/* Frees everything; returns the number of failures recorded. */
int soak_env_free(soak_env *env);
rc_client *soak_client(soak_env *env);
rc_sim *soak_sim(soak_env *env);
uint64_t soak_seed(const soak_env *env);
rc_time soak_now(soak_env *env);
/* A uniformly random number in [0, n) from the seeded generator. */
uint64_t soak_rand(soak_env *env, uint64_t n);
/* Records a failure (the first few are printed with the seed and the reproducing command). */
void soak_fail(soak_env *env, const char *fmt, ...) RC_PRINTF(2, 3);
int soak_failures(const soak_env *env);
/* Creates every object of a YAML manifest as the admin (failures recorded). */
void soak_create(soak_env *env, const char *yaml);
/* A merge patch as the admin, retried through injected faults (failures recorded). */
void soak_patch(soak_env *env, const char *resource, const char *ns, const char *name, const char *merge);
/* Installs the per-write check. */
void soak_set_check(soak_env *env, soak_check_fn fn);
/* How often soak_run considers injecting a fault (default 5 s of virtual time). */
void soak_set_slice(soak_env *env, rc_duration slice);
/* Runs the cluster for d of virtual time; with chaos, faults are injected along the way. */
void soak_run(soak_env *env, rc_duration d, bool chaos);
/* Clears every fault, brings every node back, then runs until stable within `bound`. */
void soak_settle(soak_env *env, rc_duration bound);
/* Prints the pods matching selector (NULL = all) to stderr, after a failure. */
void soak_dump_pods(soak_env *env, const char *selector);
/* Objects of resource in ns matching selector (NULL = all); -1 on error. */
long soak_count(soak_env *env, const char *resource, const char *ns, const char *selector);
/* Faults injected, manager restarts and writes checked by the runs freed since the last call. */
void soak_totals(uint64_t *faults, uint64_t *restarts, uint64_t *writes);

/* Every pod the trace saw (live or gone); *n gets the count. Borrowed until the next write. */
const soak_pod *soak_pods(soak_env *env, size_t *n);
/* Active pods whose controller is owner_kind named owner_name (a trailing '*' matches a prefix). */
long soak_active(soak_env *env, const char *owner_kind, const char *owner_name);

/* ---- soak_model.c: the pods of the trace ---- */
typedef struct soak_model soak_model;
soak_model *soak_model_new(void);
void soak_model_free(soak_model *m);
/* Applies one committed write; returns the pod it changed (borrowed), or NULL for other resources. */
const soak_pod *soak_model_apply(soak_model *m, const rc_trace_record *rec);
const soak_pod *soak_model_pods(const soak_model *m, size_t *n);
long soak_model_active(const soak_model *m, const char *owner_kind, const char *owner_name);

/* ---- scenarios (soak_deployment.c, soak_statefulset.c, soak_daemonset.c, soak_batch.c) ---- */
/* Each runs its scenario for seed and returns the number of failures. */
int soak_deployment(uint64_t seed);
int soak_statefulset(uint64_t seed);
int soak_daemonset(uint64_t seed);
int soak_job(uint64_t seed);
int soak_cronjob(uint64_t seed);

#endif
