/* fake_kubelet.h - a tiny stand-in for the simulated scheduler + kubelet, for the controller suites until
 * rc_sim is available: a manager runnable that binds every pod (round robin over "node-0".."node-N-1")
 * and marks it Running and Ready `ready_after` after its creation, unless its first container's image is
 * `broken_image` (those pods stay Running but never Ready). Pod removal after deletion is left to the API
 * server's grace-period handling. Header-only (static functions) so that only suites including it link
 * against the runtime. Deterministic: it acts on the manager's pod cache in key order. */
#ifndef RC_TEST_FAKE_KUBELET_H
#define RC_TEST_FAKE_KUBELET_H

#include <reconcile.h>
#include <reconcile/controllers.h>
#include <reconcile/manager.h>
#include <reconcile/testenv.h>
#include <reconcile/values.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/map.h"

typedef struct fake_kubelet {
    rc_client *client;        /* borrowed admin client */
    rc_clock *clock;          /* borrowed */
    rc_store *pods;           /* the manager's pod cache (borrowed) */
    rc_duration ready_after;  /* from creation */
    const char *broken_image; /* pods with this image never become ready; NULL = none */
    int nodes;
    unsigned next_node;
    rci_map acted; /* pod uid -> fk_seen (owned) */
} fake_kubelet;

/* One pod acted on: its uid (the map key points into it) and the resourceVersion seen then. */
typedef struct fk_seen {
    char *uid;
    char *rv;
} fk_seen;

static bool fk_acted_on(fake_kubelet *k, const rc_object *pod)
{
    const fk_seen *seen = rci_map_get(&k->acted, rc_object_uid(pod));
    return seen && !strcmp(seen->rv, rc_object_resource_version(pod));
}

static void fk_remember(fake_kubelet *k, const rc_object *pod)
{
    fk_seen *seen = rci_map_get(&k->acted, rc_object_uid(pod));
    if (!seen) {
        seen = calloc(1, sizeof *seen);
        seen->uid = strdup(rc_object_uid(pod));
        rci_map_put(&k->acted, seen->uid, seen, NULL);
    }
    free(seen->rv);
    seen->rv = strdup(rc_object_resource_version(pod));
}

static bool fk_broken(const fake_kubelet *k, const rc_object *pod)
{
    const char *image = rc_object_get_str(pod, "spec.containers.0.image");
    return k->broken_image && image && !strcmp(image, k->broken_image);
}

/* What the pod needs next and when: 1 bind, 2 ready, 0 nothing. */
static int fk_need(fake_kubelet *k, const rc_object *pod, rc_time *when)
{
    if (rc_object_deletion_timestamp(pod) || fk_acted_on(k, pod))
        return 0;
    const char *node = rc_object_get_str(pod, "spec.nodeName");
    rc_time created = 0;
    rc_time_parse(rc_object_creation_timestamp(pod), &created, NULL);
    if (!node || !*node) {
        *when = created;
        return 1;
    }
    const char *phase = rc_object_get_str(pod, "status.phase");
    if (phase && !strcmp(phase, "Running"))
        return 0;
    *when = created + k->ready_after;
    return 2;
}

static int fk_bind(fake_kubelet *k, const rc_object *pod)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"apiVersion\":\"v1\",\"kind\":\"Binding\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\"},"
             "\"target\":{\"kind\":\"Node\",\"name\":\"node-%u\"}}",
             rc_object_name(pod), rc_object_namespace(pod), k->next_node++ % (unsigned)(k->nodes ? k->nodes : 1));
    rc_object *b = rc_object_from_json(json, strlen(json), NULL);
    rc_write_options o = {.subresource = "binding"};
    int rc = rc_client_create(k->client, "pods", rc_object_namespace(pod), b, &o, NULL, NULL);
    rc_object_unref(b);
    return rc;
}

static int fk_ready(fake_kubelet *k, const rc_object *pod, rc_time now)
{
    rc_object *copy = rc_object_copy(pod);
    char ts[RC_TIME_STRLEN], json[1024];
    rc_time_format(now, ts, sizeof ts);
    bool ready = !fk_broken(k, pod);
    snprintf(json, sizeof json,
             "{\"phase\":\"Running\",\"startTime\":\"%s\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"%s\","
             "\"lastTransitionTime\":\"%s\"}],\"containerStatuses\":[{\"name\":\"c\",\"ready\":%s,"
             "\"restartCount\":0}]}",
             ts, ready ? "True" : "False", ts, ready ? "true" : "false");
    rc_object_set_json(copy, "status", cJSON_Parse(json));
    int rc = rc_client_update_status(k->client, "pods", rc_object_namespace(pod), copy, NULL, NULL, NULL);
    rc_object_unref(copy);
    return rc;
}

typedef struct fk_scan {
    fake_kubelet *k;
    rc_time now, next;
    rc_object_list due;
} fk_scan;

static bool fk_visit(void *ctx, rc_object *pod)
{
    fk_scan *s = ctx;
    rc_time when = 0;
    if (fk_need(s->k, pod, &when)) {
        if (when <= s->now)
            rc_object_list_append(&s->due, pod);
        else if (when < s->next)
            s->next = when;
    }
    return true;
}

static rc_time fk_next_deadline(void *self)
{
    fake_kubelet *k = self;
    fk_scan s = {k, rc_clock_now(k->clock), RC_TIME_NEVER, {0}};
    rc_object_list_init(&s.due);
    rc_store_foreach(k->pods, fk_visit, &s);
    rc_time next = s.due.count ? s.now : s.next;
    rc_object_list_clear(&s.due);
    return next;
}

static int fk_cmp_key(const void *a, const void *b)
{
    return strcmp(rc_object_key(*(rc_object *const *)a), rc_object_key(*(rc_object *const *)b));
}

static bool fk_step(void *self, rc_time now)
{
    fake_kubelet *k = self;
    fk_scan s = {k, now, RC_TIME_NEVER, {0}};
    rc_object_list_init(&s.due);
    rc_store_foreach(k->pods, fk_visit, &s);
    if (s.due.count > 1)
        qsort(s.due.items, s.due.count, sizeof *s.due.items, fk_cmp_key);
    for (size_t i = 0; i < s.due.count; i++) {
        rc_object *pod = s.due.items[i];
        rc_time when;
        int need = fk_need(k, pod, &when);
        int rc = need == 1 ? fk_bind(k, pod) : need == 2 ? fk_ready(k, pod, now) : 0;
        if (rc == 0 || rc == RC_ENOTFOUND)
            fk_remember(k, pod); /* a failed write (conflict) is retried on the next step */
    }
    bool did = s.due.count > 0;
    rc_object_list_clear(&s.due);
    return did;
}

static void fk_destroy(void *self)
{
    fake_kubelet *k = self;
    const rci_map_entry *e;
    for (size_t i = 0; rci_map_next(&k->acted, &i, &e);) {
        fk_seen *seen = e->value;
        free(seen->uid);
        free(seen->rv);
        free(seen);
    }
    rci_map_free(&k->acted);
    free(k);
}

static const rc_runnable_ops fake_kubelet_ops = {"fake-kubelet", fk_step, fk_next_deadline, fk_destroy};

/* Adds a fake kubelet to m acting through client; returns it (owned by the manager) or NULL. */
static inline fake_kubelet *fake_kubelet_add(rc_manager *m, rc_client *client, int nodes, rc_duration ready_after)
{
    fake_kubelet *k = calloc(1, sizeof *k);
    rc_error err = {0};
    if (!k)
        return NULL;
    k->client = client;
    k->clock = rc_manager_clock(m);
    k->pods = rc_manager_cache(m, "pods", &err);
    k->nodes = nodes;
    k->ready_after = ready_after;
    rci_map_init(&k->acted);
    if (!k->pods || rc_manager_add_runnable(m, &fake_kubelet_ops, k, &err)) {
        rc_error_clear(&err);
        return NULL;
    }
    return k;
}

/* A test environment (seed) running the ReplicaSet, Deployment and garbage collector controllers plus a
 * fake kubelet with 3 nodes; *kubelet (optional) receives it. NULL on failure (err filled). */
static inline rc_testenv *fake_env_new(uint64_t seed, rc_duration ready_after, fake_kubelet **kubelet, rc_error *err)
{
    rc_testenv_options o = {.seed = seed};
    rc_testenv *env = NULL;
    if (rc_testenv_new(&o, &env, err))
        return NULL;
    rc_manager *m = rc_testenv_manager(env);
    fake_kubelet *k = NULL;
    rc_controllers_options co = {.disabled = RC_CONTROLLER_STATEFULSET | RC_CONTROLLER_DAEMONSET | RC_CONTROLLER_JOB |
                                             RC_CONTROLLER_TTL_AFTER_FINISHED | RC_CONTROLLER_CRONJOB};
    if (rc_controllers_add_all(m, &co, err) ||
        !(k = fake_kubelet_add(m, rc_testenv_client(env), 3, ready_after))) {
        rc_testenv_free(env);
        return NULL;
    }
    if (kubelet)
        *kubelet = k;
    return env;
}

#endif
