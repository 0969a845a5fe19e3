/* kubelet.c - the simulated kubelet's state machine as a pure function: from a bound pod, the time and
 * the scripted-behaviour annotations it computes the pod's next status (admission with startTime and IPs,
 * image pull, Running with containerStatuses, readiness after initialDelaySeconds, container exits with
 * restartPolicy and CrashLoopBackOff, Succeeded/Failed, graceful termination honouring preStop and the
 * grace period) and when to look again. Everything it needs is read back from the status it wrote, so
 * the kubelet keeps no per-pod memory. Each transition also yields the Events upstream's kubelet records
 * for it (Pulling, Pulled, Created, Started, Failed, BackOff, Unhealthy, Killing), recorded only when the
 * status write succeeds, so a retried plan never records twice. kubelet_ctl.c runs it as a controller. */
#include "sim/internal.h"

#include <reconcile/values.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BACKOFF_START (10 * RC_SEC)
#define BACKOFF_MAX (300 * RC_SEC)
#define KILLED_EXIT_CODE 137
#define TERMINATED_EXIT_CODE 143 /* stopped by SIGTERM (128 + 15), as a real container reports */

rc_duration rci_sim_kubelet_backoff(int64_t restarts)
{
    rc_duration d = BACKOFF_START;
    for (int64_t i = 0; i < restarts && d < BACKOFF_MAX; i++)
        d *= 2;
    return d < BACKOFF_MAX ? d : BACKOFF_MAX;
}

/* What the annotations and spec script for the pod. */
typedef struct script {
    rc_duration pull;
    bool pull_fails;
    rc_duration exit_after; /* RC_TIME_NEVER: runs until stopped */
    int exit_code;
    bool never_ready;
    rc_duration unready_after; /* readiness fails this long after a start; RC_TIME_NEVER = never */
    rc_duration shutdown; /* preStop + time to exit after TERM */
    const char *restart_policy;
} script;

static void read_script(const rc_object *pod, const rci_sim_kubelet_config *cfg, script *s)
{
    int64_t pull_default = cfg->image_pull > 0 ? cfg->image_pull / RC_SEC : 0;
    s->pull = rci_sim_annotation_seconds(pod, RC_SIM_ANN_PULL_SECONDS, pull_default) * RC_SEC;
    const char *ip = rc_object_annotation(pod, RC_SIM_ANN_IMAGE_PULL);
    s->pull_fails = ip && !strcmp(ip, "fail");
    const char *ready = rc_object_annotation(pod, RC_SIM_ANN_READY);
    s->never_ready = ready && !strcmp(ready, "false");
    int64_t unready = rci_sim_annotation_seconds(pod, RC_SIM_ANN_UNREADY_AFTER, -1);
    s->unready_after = unready >= 0 ? unready * RC_SEC : RC_TIME_NEVER;
    s->restart_policy = rc_object_get_str(pod, "spec.restartPolicy");
    if (!s->restart_policy)
        s->restart_policy = "Always";
    int64_t crash = rci_sim_annotation_seconds(pod, RC_SIM_ANN_CRASH_AFTER, -1);
    int64_t run = rci_sim_annotation_seconds(pod, RC_SIM_ANN_RUN_SECONDS, -1);
    s->exit_code = (int)rci_sim_annotation_seconds(pod, RC_SIM_ANN_EXIT_CODE, crash >= 0 ? 1 : 0);
    if (crash >= 0) {
        s->exit_after = crash * RC_SEC;
        if (s->exit_code == 0)
            s->exit_code = 1;
    } else if (run >= 0) {
        s->exit_after = run * RC_SEC;
    } else if (strcmp(s->restart_policy, "Always")) {
        s->exit_after = cfg->batch_run;
    } else {
        s->exit_after = RC_TIME_NEVER;
    }
    int64_t prestop = rci_sim_annotation_seconds(pod, RC_SIM_ANN_PRESTOP_SECONDS, 0);
    rc_node cs = rc_object_at(pod, "spec.containers");
    for (size_t i = 0; i < rc_node_len(cs); i++) {
        int64_t sleep = rc_node_int(rc_node_at(rc_node_index(cs, i), "lifecycle.preStop.sleep.seconds"), 0);
        if (sleep > prestop)
            prestop = sleep;
    }
    s->shutdown = (prestop + rci_sim_annotation_seconds(pod, RC_SIM_ANN_TERMINATE_SECONDS, 0)) * RC_SEC;
}

/* ---- small cJSON helpers ---- */

static cJSON *arr_member(cJSON *parent, const char *key)
{
    cJSON *m = cJSON_GetObjectItemCaseSensitive(parent, key);
    if (cJSON_IsArray(m))
        return m;
    cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
    return cJSON_AddArrayToObject(parent, key);
}

static void put_str(cJSON *o, const char *key, const char *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    cJSON_AddStringToObject(o, key, v);
}

/* Sets the address field (hostIP, podIP) and appends {"ip": addr} to its plural list (hostIPs, podIPs). */
static void put_ip(cJSON *status, const char *key, const char *list_key, const char *addr)
{
    put_str(status, key, addr);
    cJSON *ips = arr_member(status, list_key);
    cJSON *ip = cJSON_CreateObject();
    if (!cJSON_AddStringToObject(ip, "ip", addr) || !cJSON_AddItemToArray(ips, ip))
        cJSON_Delete(ip);
}

static void put_num(cJSON *o, const char *key, double v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    cJSON_AddNumberToObject(o, key, v);
}

static void put_bool(cJSON *o, const char *key, bool v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    cJSON_AddBoolToObject(o, key, v);
}

static const char *get_str(const cJSON *o, const char *key)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(m) ? m->valuestring : NULL;
}

static rc_time get_time(const cJSON *o, const char *key, rc_time def)
{
    return rci_sim_node_time(rc_node_from_cjson(cJSON_GetObjectItemCaseSensitive(o, key)), def);
}

static void fmt_time(rc_time t, char *buf)
{
    rc_time_format(t, buf, RC_TIME_STRLEN);
}

/* Replaces cs.state with {kind: {...}} and returns the inner object. */
static cJSON *set_state(cJSON *cs, const char *member, const char *kind)
{
    cJSON_DeleteItemFromObjectCaseSensitive(cs, member);
    cJSON *st = cJSON_AddObjectToObject(cs, member);
    return st ? cJSON_AddObjectToObject(st, kind) : NULL;
}

static cJSON *state_of(const cJSON *cs, const char *kind)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(cs, "state");
    cJSON *k = cJSON_GetObjectItemCaseSensitive(st, kind);
    return cJSON_IsObject(k) ? k : NULL;
}

static void min_time(rc_time *next, rc_time t)
{
    if (t < *next)
        *next = t;
}

static void add_event(rci_sim_kubelet_plan *plan, const char *type, const char *reason, const char *fmt, ...)
    RC_PRINTF(4, 5);

static void add_event(rci_sim_kubelet_plan *plan, const char *type, const char *reason, const char *fmt, ...)
{
    if (!plan->cap_events) {
        plan->events = plan->inline_events;
        plan->cap_events = RCI_SIM_KUBELET_INLINE_EVENTS;
    }
    if (plan->nevents == plan->cap_events) {
        size_t cap = plan->cap_events * 2;
        bool inline_ = plan->events == plan->inline_events;
        rci_sim_kubelet_event *e = realloc(inline_ ? NULL : plan->events, cap * sizeof *e);
        if (!e)
            return; /* an event lost to memory pressure, as the recorder would drop it */
        if (inline_)
            memcpy(e, plan->inline_events, sizeof plan->inline_events);
        plan->events = e;
        plan->cap_events = cap;
    }
    rci_sim_kubelet_event *e = &plan->events[plan->nevents++];
    e->type = type;
    e->reason = reason;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

/* The container status for spec container c, created (waiting ContainerCreating) when missing. */
static cJSON *container_status(cJSON *statuses, rc_node c)
{
    const char *name = rc_node_str(rc_node_get(c, "name"));
    cJSON *cs;
    cJSON_ArrayForEach(cs, statuses)
    {
        const char *n = get_str(cs, "name");
        if (n && name && !strcmp(n, name))
            return cs;
    }
    cs = cJSON_CreateObject();
    if (!cs)
        return NULL;
    const char *image = rc_node_str(rc_node_get(c, "image"));
    cJSON_AddStringToObject(cs, "name", name ? name : "");
    cJSON_AddStringToObject(cs, "image", image ? image : "");
    cJSON_AddStringToObject(cs, "imageID", "");
    cJSON_AddBoolToObject(cs, "ready", false);
    cJSON_AddNumberToObject(cs, "restartCount", 0);
    cJSON_AddBoolToObject(cs, "started", false);
    cJSON *w = set_state(cs, "state", "waiting");
    if (w)
        cJSON_AddStringToObject(w, "reason", "ContainerCreating");
    cJSON_AddObjectToObject(cs, "lastState");
    cJSON_AddItemToArray(statuses, cs);
    return cs;
}

static void start_container(cJSON *cs, rc_time now, const rc_object *pod)
{
    char ts[RC_TIME_STRLEN], id[160];
    fmt_time(now, ts);
    cJSON *r = set_state(cs, "state", "running");
    if (r)
        cJSON_AddStringToObject(r, "startedAt", ts);
    put_bool(cs, "started", true);
    int64_t restarts = rc_node_int(rc_node_from_cjson(cJSON_GetObjectItemCaseSensitive(cs, "restartCount")), 0);
    snprintf(id, sizeof id, "sim://%s/%s/%lld", rc_object_uid(pod) ? rc_object_uid(pod) : "",
             get_str(cs, "name") ? get_str(cs, "name") : "", (long long)restarts);
    put_str(cs, "containerID", id);
}

/* Ends the running (or never started) container with code at now; returns the terminated object. */
static cJSON *terminate(cJSON *cs, const char *member, rc_time now, int code, const char *reason)
{
    cJSON *running = state_of(cs, "running");
    char started[RC_TIME_STRLEN], ts[RC_TIME_STRLEN];
    fmt_time(get_time(running, "startedAt", now), started);
    fmt_time(now, ts);
    cJSON *t = set_state(cs, member, "terminated");
    if (!t)
        return NULL;
    cJSON_AddNumberToObject(t, "exitCode", code);
    cJSON_AddStringToObject(t, "reason", reason ? reason : code == 0 ? "Completed" : "Error");
    cJSON_AddStringToObject(t, "startedAt", started);
    cJSON_AddStringToObject(t, "finishedAt", ts);
    const char *id = get_str(cs, "containerID");
    if (id)
        cJSON_AddStringToObject(t, "containerID", id);
    put_bool(cs, "ready", false);
    put_bool(cs, "started", false);
    return t;
}

static bool will_restart(const script *s, int code)
{
    return !strcmp(s->restart_policy, "Always") || (!strcmp(s->restart_policy, "OnFailure") && code != 0);
}

/* The readiness of a running container at now (started at started), and when it next changes. */
static bool probe_ready(const script *s, rc_node spec, rc_time started, rc_time now, rc_time *next)
{
    if (s->never_ready)
        return false;
    int64_t delay = rc_node_int(rc_node_at(spec, "readinessProbe.initialDelaySeconds"), 0);
    rc_time ready_at = started + delay * RC_SEC;
    if (s->unready_after != RC_TIME_NEVER && now >= started + s->unready_after)
        return false;
    if (now < ready_at) {
        min_time(next, ready_at);
        return false;
    }
    if (s->unready_after != RC_TIME_NEVER)
        min_time(next, started + s->unready_after);
    return true;
}

static void started_events(rci_sim_kubelet_plan *plan, const char *name, const char *image, bool restart,
                           rc_duration pull)
{
    if (restart) {
        add_event(plan, RC_EVENT_NORMAL, "Pulled", "Container image \"%s\" already present on machine", image);
    } else {
        char d[RC_TIME_STRLEN];
        rc_duration_format(pull, d, sizeof d);
        add_event(plan, RC_EVENT_NORMAL, "Pulled", "Successfully pulled image \"%s\" in %s (%s including waiting)",
                  image, d, d);
    }
    add_event(plan, RC_EVENT_NORMAL, "Created", "Created container %s", name);
    add_event(plan, RC_EVENT_NORMAL, "Started", "Started container %s", name);
}

static void pull_failed_events(rci_sim_kubelet_plan *plan, const char *image)
{
    add_event(plan, RC_EVENT_WARNING, "Failed",
              "Failed to pull image \"%s\": simulated pull failure (" RC_SIM_ANN_IMAGE_PULL "=fail)", image);
    add_event(plan, RC_EVENT_WARNING, "Failed", "Error: ErrImagePull");
    add_event(plan, RC_EVENT_NORMAL, "BackOff", "Back-off pulling image \"%s\"", image);
    add_event(plan, RC_EVENT_WARNING, "Failed", "Error: ImagePullBackOff");
}

/* Advances one container of a live (not deleting) pod; sets *ready. admitting: this plan admits the pod. */
static void step_container(cJSON *cs, rc_node spec, const script *s, rc_time admitted, rc_time now,
                           const rc_object *pod, bool admitting, rci_sim_kubelet_plan *plan, bool *ready)
{
    *ready = false;
    const char *cname = get_str(cs, "name") ? get_str(cs, "name") : "";
    const char *image = rc_node_str(rc_node_get(spec, "image")) ? rc_node_str(rc_node_get(spec, "image")) : "";
    bool was_ready = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cs, "ready"));
    bool just_started = false;
    cJSON *waiting = state_of(cs, "waiting");
    const char *wreason = waiting ? get_str(waiting, "reason") : NULL;
    int64_t restarts = rc_node_int(rc_node_from_cjson(cJSON_GetObjectItemCaseSensitive(cs, "restartCount")), 0);
    if (waiting && wreason && !strcmp(wreason, "CrashLoopBackOff")) {
        const cJSON *last = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cs, "lastState"),
                                                             "terminated");
        rc_time at = get_time(last, "finishedAt", now) + rci_sim_kubelet_backoff(restarts - 1);
        if (now < at) {
            min_time(&plan->next, at);
            return;
        }
        put_num(cs, "restartCount", (double)restarts);
        start_container(cs, now, pod);
        started_events(plan, cname, image, true, 0);
        just_started = true;
    } else if (waiting) {
        if (admitting)
            add_event(plan, RC_EVENT_NORMAL, "Pulling", "Pulling image \"%s\"", image);
        rc_time pulled = admitted + s->pull;
        if (now < pulled) {
            min_time(&plan->next, pulled);
            return;
        }
        if (s->pull_fails) {
            if (!wreason || strcmp(wreason, "ImagePullBackOff"))
                pull_failed_events(plan, image);
            char msg[512];
            snprintf(msg, sizeof msg, "Back-off pulling image \"%s\"", image);
            cJSON *w = set_state(cs, "state", "waiting");
            if (w) {
                cJSON_AddStringToObject(w, "reason", "ImagePullBackOff");
                cJSON_AddStringToObject(w, "message", msg);
            }
            return;
        }
        start_container(cs, now, pod);
        started_events(plan, cname, image, false, s->pull);
        just_started = true;
    }
    cJSON *running = state_of(cs, "running");
    if (!running)
        return; /* terminated for good */
    rc_time started = get_time(running, "startedAt", now);
    if (s->exit_after != RC_TIME_NEVER) {
        rc_time exit_at = started + s->exit_after;
        if (now >= exit_at) {
            if (will_restart(s, s->exit_code)) {
                terminate(cs, "lastState", exit_at, s->exit_code, NULL);
                cJSON *w = set_state(cs, "state", "waiting");
                char msg[512];
                char d[RC_TIME_STRLEN];
                rc_duration_format(rci_sim_kubelet_backoff(restarts), d, sizeof d);
                snprintf(msg, sizeof msg, "back-off %s restarting failed container=%s pod=%s", d, cname,
                         rc_object_name(pod));
                if (w) {
                    cJSON_AddStringToObject(w, "reason", "CrashLoopBackOff");
                    cJSON_AddStringToObject(w, "message", msg);
                }
                put_num(cs, "restartCount", (double)(restarts + 1));
                min_time(&plan->next, exit_at + rci_sim_kubelet_backoff(restarts));
                add_event(plan, RC_EVENT_WARNING, "BackOff", "Back-off restarting failed container %s in pod %s_%s(%s)",
                          cname, rc_object_name(pod), rc_object_namespace(pod),
                          rc_object_uid(pod) ? rc_object_uid(pod) : "");
            } else {
                terminate(cs, "state", exit_at, s->exit_code, NULL);
            }
            return;
        }
        min_time(&plan->next, exit_at);
    }
    *ready = probe_ready(s, spec, started, now, &plan->next);
    if (!*ready && (s->never_ready ? just_started : was_ready))
        add_event(plan, RC_EVENT_WARNING, "Unhealthy", "Readiness probe failed: simulated failure (%s)",
                  s->never_ready ? RC_SIM_ANN_READY "=false" : RC_SIM_ANN_UNREADY_AFTER);
}

static bool is_terminated(const cJSON *cs, int *code)
{
    const cJSON *t = state_of(cs, "terminated");
    if (!t)
        return false;
    *code = (int)rc_node_int(rc_node_from_cjson(cJSON_GetObjectItemCaseSensitive(t, "exitCode")), 0);
    return true;
}

/* Sets phase, Ready and ContainersReady from the container statuses. */
static void aggregate(cJSON *status, size_t ncont, size_t nready, size_t nterminated, bool failed, bool started,
                      const char *unready, rc_time now)
{
    cJSON *conds = arr_member(status, "conditions");
    if (ncont > 0 && nterminated == ncont) {
        put_str(status, "phase", failed ? "Failed" : "Succeeded");
        rci_sim_condition_set(conds, "ContainersReady", "False", "PodCompleted", NULL, now);
        rci_sim_condition_set(conds, "Ready", "False", "PodCompleted", NULL, now);
        return;
    }
    put_str(status, "phase", started ? "Running" : "Pending");
    bool ready = nready == ncont;
    char msg[600];
    snprintf(msg, sizeof msg, "containers with unready status: [%s]", unready);
    rci_sim_condition_set(conds, "ContainersReady", ready ? "True" : "False", ready ? NULL : "ContainersNotReady",
                      ready ? NULL : msg, now);
    rci_sim_condition_set(conds, "Ready", ready ? "True" : "False", ready ? NULL : "ContainersNotReady",
                      ready ? NULL : msg, now);
}

static void admit(cJSON *status, const char *pod_ip, const char *host_ip, rc_time now)
{
    char ts[RC_TIME_STRLEN];
    fmt_time(now, ts);
    put_str(status, "startTime", ts);
    put_str(status, "phase", "Pending");
    if (host_ip)
        put_ip(status, "hostIP", "hostIPs", host_ip);
    if (pod_ip)
        put_ip(status, "podIP", "podIPs", pod_ip);
    put_str(status, "qosClass", "BestEffort");
    cJSON *conds = arr_member(status, "conditions");
    rci_sim_condition_set(conds, "PodScheduled", "True", NULL, NULL, now);
    rci_sim_condition_set(conds, "Initialized", "True", NULL, NULL, now);
}

/* Graceful termination: preStop, TERM, KILL at the end of the grace period, terminal phase, removal. The
 * Killing events are recorded with the terminal status, when the containers have stopped. */
static void shut_down(const rc_object *pod, const script *s, cJSON *status, rc_time now, rci_sim_kubelet_plan *plan)
{
    rc_time deadline = rci_sim_node_time(rc_object_at(pod, "metadata.deletionTimestamp"), now);
    int64_t grace = rc_object_get_int(pod, "metadata.deletionGracePeriodSeconds", 0);
    rc_time begun = deadline - grace * RC_SEC;
    rc_time done = begun + s->shutdown;
    bool killed = done > deadline;
    if (killed)
        done = deadline;
    if (now < done) {
        plan->next = done;
        return;
    }
    cJSON *statuses = arr_member(status, "containerStatuses");
    bool failed = false;
    cJSON *cs;
    cJSON_ArrayForEach(cs, statuses)
    {
        int code;
        if (is_terminated(cs, &code)) {
            failed |= code != 0;
            continue;
        }
        code = killed ? KILLED_EXIT_CODE : TERMINATED_EXIT_CODE;
        failed |= code != 0;
        const char *name = get_str(cs, "name");
        add_event(plan, RC_EVENT_NORMAL, "Killing", "Stopping container %s", name ? name : "");
        terminate(cs, "state", done, code, NULL);
    }
    aggregate(status, 1, 0, 1, failed, true, "", now);
    plan->action = RCI_SIM_KUBELET_STATUS_DELETE;
}

int rci_sim_kubelet_plan_pod(const rc_object *pod, const rci_sim_kubelet_config *cfg, rc_time now, const char *pod_ip,
                         const char *host_ip, rci_sim_kubelet_plan *plan, rc_error *err)
{
    memset(plan, 0, sizeof *plan);
    plan->next = RC_TIME_NEVER;
    bool deleting = rc_object_deletion_timestamp(pod) != NULL;
    if (rci_sim_pod_is_terminal(pod)) {
        if (deleting)
            plan->action = RCI_SIM_KUBELET_STATUS_DELETE;
        return 0;
    }
    script s;
    read_script(pod, cfg, &s);
    rc_node old = rc_object_at(pod, "status");
    cJSON *status = rc_node_exists(old) ? rc_node_to_cjson(old) : cJSON_CreateObject();
    if (!status || !cJSON_IsObject(status)) {
        cJSON_Delete(status);
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    rc_time admitted = rci_sim_node_time(rc_object_at(pod, "status.startTime"), RC_TIME_NEVER);
    bool admitting = admitted == RC_TIME_NEVER;
    if (admitting) {
        admit(status, pod_ip, host_ip, now);
        admitted = now;
    }
    rc_node specs = rc_object_at(pod, "spec.containers");
    cJSON *statuses = arr_member(status, "containerStatuses");
    for (size_t i = 0; i < rc_node_len(specs); i++)
        container_status(statuses, rc_node_index(specs, i));
    if (deleting) {
        shut_down(pod, &s, status, now, plan);
    } else {
        size_t nready = 0, nterm = 0;
        bool failed = false, started = false;
        char unready[512] = "";
        for (size_t i = 0; i < rc_node_len(specs); i++) {
            rc_node spec = rc_node_index(specs, i);
            cJSON *cs = container_status(statuses, spec);
            bool ready;
            step_container(cs, spec, &s, admitted, now, pod, admitting, plan, &ready);
            put_bool(cs, "ready", ready);
            nready += ready;
            int code;
            if (is_terminated(cs, &code)) {
                nterm++;
                failed |= code != 0;
            }
            started |= state_of(cs, "running") || is_terminated(cs, &code) ||
                       rc_node_int(rc_node_from_cjson(cJSON_GetObjectItemCaseSensitive(cs, "restartCount")), 0);
            if (!ready && strlen(unready) + 64 < sizeof unready) {
                const char *n = get_str(cs, "name");
                if (unready[0])
                    strcat(unready, " ");
                strncat(unready, n ? n : "", 63);
            }
        }
        aggregate(status, rc_node_len(specs), nready, nterm, failed, started, unready, now);
        if (nterm == rc_node_len(specs) && nterm > 0)
            plan->next = RC_TIME_NEVER;
    }
    if (plan->action == RCI_SIM_KUBELET_NONE) {
        cJSON *before = rc_node_to_cjson(old);
        bool same = before && cJSON_Compare(status, before, true);
        cJSON_Delete(before);
        if (same) {
            plan->nevents = 0;
            cJSON_Delete(status);
            return 0;
        }
        plan->action = RCI_SIM_KUBELET_STATUS;
    }
    plan->status = status;
    return 0;
}

void rci_sim_kubelet_plan_clear(rci_sim_kubelet_plan *plan)
{
    cJSON_Delete(plan->status);
    plan->status = NULL;
    if (plan->events != plan->inline_events)
        free(plan->events);
    plan->events = NULL;
    plan->nevents = plan->cap_events = 0;
}
