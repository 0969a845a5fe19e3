/* testenv.h - rc_testenv: the offline test environment for controllers. One call gives an embedded API
 * server on a virtual clock with a manager driven deterministically: load fixtures from YAML, register the
 * controllers under test (optionally as a service account, so missing RBAC permissions fail the test),
 * run until stable, then read objects and assert on them. The action log, fault injection (through
 * rc_testenv_apiserver and the rc_apiserver_fault_* calls) and a least-privilege RBAC report (the verbs and
 * resources each controller actually used, printed as the Role/ClusterRole YAML it needs) come with it.
 *
 * Not thread-safe: one test thread drives an environment. */
#ifndef RECONCILE_TESTENV_H
#define RECONCILE_TESTENV_H

#include "apiserver.h"
#include "client.h"
#include "clock.h"
#include "common.h"
#include "controller.h"
#include "manager.h"

typedef struct rc_testenv rc_testenv;

typedef struct rc_testenv_options {
    uint64_t seed;            /* server uids/names, fault injection and the driver's pick order */
    rc_time start;            /* virtual clock start; 0 = 2024-01-01T00:00:00Z */
    bool no_rbac;             /* do not authorize service-account controllers with RBAC (see _as) */
    size_t max_steps_per_instant; /* as rc_manager_options; 0 = default */
} rc_testenv_options;

/* A new environment (*out; rc_testenv_free). opts may be NULL (seed 0, RBAC enforced). RC_ENOMEM. */
RC_API int rc_testenv_new(const rc_testenv_options *opts, rc_testenv **out, rc_error *err);
RC_API void rc_testenv_free(rc_testenv *env);

/* Borrowed parts. The admin client is unauthenticated (allowed everything). */
RC_API rc_apiserver *rc_testenv_apiserver(rc_testenv *env);
RC_API rc_client *rc_testenv_client(rc_testenv *env);
RC_API rc_clock *rc_testenv_clock(rc_testenv *env);
RC_API rc_manager *rc_testenv_manager(rc_testenv *env);
RC_API rc_time rc_testenv_now(rc_testenv *env);

/* Creates every object of a YAML/JSON manifest (multi-document) as the admin, in order. The first failure
 * stops loading and is returned with the document named in the message. */
RC_API int rc_testenv_load_yaml(rc_testenv *env, const char *yaml, rc_error *err);
RC_API int rc_testenv_load_file(rc_testenv *env, const char *path, rc_error *err);

/* Registers a controller (as rc_manager_add_controller) acting as the admin. */
RC_API int rc_testenv_add_controller(rc_testenv *env, const rc_controller_ops *ops, void *self,
                                     const rc_controller_options *opts, rc_error *err);
/* Registers a controller whose writes (and the RBAC check of its informers' resources) act as the
 * service account namespace/name: a request RBAC does not allow fails with 403 Forbidden, which reconcile
 * sees as any API error. */
RC_API int rc_testenv_add_controller_as(rc_testenv *env, const char *sa_namespace, const char *sa_name,
                                        const rc_controller_ops *ops, void *self,
                                        const rc_controller_options *opts, rc_error *err);

/* The same two for rc_controller_into_ops (see rc_manager_add_controller_into). */
RC_API int rc_testenv_add_controller_into(rc_testenv *env, const rc_controller_into_ops *ops, void *self,
                                          const rc_controller_options *opts, rc_error *err);
RC_API int rc_testenv_add_controller_as_into(rc_testenv *env, const char *sa_namespace, const char *sa_name,
                                             const rc_controller_into_ops *ops, void *self,
                                             const rc_controller_options *opts, rc_error *err);

/* Drives the manager until nothing is due within `max` of virtual time from now (rc_manager_run_until_stable).
 * Returns 0, or RC_EAGAIN on a livelock. */
RC_API int rc_testenv_run_until_stable(rc_testenv *env, rc_duration max);
/* Moves virtual time forward by d, running everything due on the way. */
RC_API int rc_testenv_advance(rc_testenv *env, rc_duration d);

/* ---- reading and asserting (fresh from the API server, as the admin) ---- */
/* 0 and *out a new reference, or RC_ENOTFOUND / another error. */
RC_API int rc_testenv_get(rc_testenv *env, const char *resource, const char *ns, const char *name,
                          rc_object **out, rc_error *err);
/* True when the field at the dotted path of ns/name equals `json` (JSON text: "3", "\"Running\"",
 * "true", "null", "{\"a\":1}"); false with err describing what was found otherwise (missing object,
 * missing field, other value). */
RC_API bool rc_testenv_field_equals(rc_testenv *env, const char *resource, const char *ns, const char *name,
                                    const char *path, const char *json, rc_error *err);
/* Number of objects of resource in ns (NULL = all) matching label_selector (NULL = all); negative error. */
RC_API long rc_testenv_count(rc_testenv *env, const char *resource, const char *ns, const char *label_selector,
                             rc_error *err);
/* The action log as text, one request per line: "<verb> <resource> <ns>/<name> <actor> <code>".
 * Malloc'd; caller frees. NULL on allocation failure. */
RC_API char *rc_testenv_actions_text(rc_testenv *env);

/* ---- least privilege ---- */
/* The RBAC rules the controller needs, from what it actually did: list and watch on every resource its
 * informers serve, plus every verb it used through its client (subresources as "pods/status"), grouped
 * by API group. A Role in `namespace` when every namespaced request stayed in one namespace and no
 * cluster-scoped resource was used, else a ClusterRole; named "<controller>-role". *out is malloc'd YAML.
 * RC_ENOTFOUND for an unknown controller name. */
RC_API int rc_testenv_rbac_report(rc_testenv *env, const char *controller, char **out, rc_error *err);

#endif
