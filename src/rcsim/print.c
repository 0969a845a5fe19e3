/* print.c - rcsim's final report: kubectl-style tables (`kubectl get` columns for deployments,
 * replicasets, statefulsets, daemonsets, jobs, cronjobs, services, pods, persistentvolumeclaims and,
 * on request, events), or every such object as one v1 List in YAML or JSON. */
#include "rcsim.h"

#include <stdlib.h>
#include <string.h>

#define MAX_COLS 10

typedef struct table {
    size_t ncols;
    char **cells; /* rows * ncols, row 0 the header */
    size_t rows, cap;
} table;

static void table_add(table *t, const char *const *row)
{
    if (t->rows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **c = realloc(t->cells, cap * t->ncols * sizeof *c);
        if (!c)
            return;
        t->cells = c;
        t->cap = cap;
    }
    for (size_t i = 0; i < t->ncols; i++)
        t->cells[t->rows * t->ncols + i] = strdup(row[i] ? row[i] : "<none>");
    t->rows++;
}

/* Left-aligned columns separated by three spaces, as kubectl's tabwriter prints them. */
static void table_print(table *t, FILE *out)
{
    size_t width[MAX_COLS] = {0};
    for (size_t r = 0; r < t->rows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * t->ncols + c];
            size_t n = s ? strlen(s) : 0;
            if (n > width[c])
                width[c] = n;
        }
    for (size_t r = 0; r < t->rows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * t->ncols + c];
            if (c + 1 < t->ncols)
                fprintf(out, "%-*s   ", (int)width[c], s ? s : "");
            else
                fprintf(out, "%s\n", s ? s : "");
        }
    }
    for (size_t i = 0; i < t->rows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

void rcsim_format_age(rc_duration d, char *buf, size_t cap)
{
    long long s = d / RC_SEC;
    if (s < 0)
        s = 0;
    if (s < 120)
        snprintf(buf, cap, "%llds", s);
    else if (s < 600)
        snprintf(buf, cap, "%lldm%llds", s / 60, s % 60);
    else if (s < 3 * 3600)
        snprintf(buf, cap, "%lldm", s / 60);
    else if (s < 8 * 3600)
        snprintf(buf, cap, "%lldh%lldm", s / 3600, s / 60 % 60);
    else if (s < 48 * 3600)
        snprintf(buf, cap, "%lldh", s / 3600);
    else if (s < 8 * 86400)
        snprintf(buf, cap, "%lldd%lldh", s / 86400, s / 3600 % 24);
    else
        snprintf(buf, cap, "%lldd", s / 86400);
}

typedef struct printer {
    rcsim_cluster *c;
    rc_time now;
    bool namespaces; /* more than the default namespace in play: add a NAMESPACE column */
} printer;

static void age_of(const printer *p, const rc_object *o, char *buf, size_t cap)
{
    rc_time t;
    const char *ts = rc_object_creation_timestamp(o);
    if (!ts || rc_time_parse(ts, &t, NULL) != 0) {
        snprintf(buf, cap, "<unknown>");
        return;
    }
    rcsim_format_age(p->now - t, buf, cap);
}

static void num(char *buf, size_t cap, const rc_object *o, const char *path)
{
    snprintf(buf, cap, "%lld", (long long)rc_object_get_int(o, path, 0));
}

/* READY / STATUS / RESTARTS of a pod, as kubectl computes them. */
static void pod_columns(const rc_object *pod, char *ready, char *status, char *restarts, size_t cap)
{
    rc_node specs = rc_object_at(pod, "spec.containers"), cs = rc_object_at(pod, "status.containerStatuses");
    size_t nready = 0;
    int64_t nrestarts = 0;
    const char *reason = NULL;
    for (size_t i = 0; i < rc_node_len(cs); i++) {
        rc_node s = rc_node_index(cs, i);
        nready += rc_node_bool(rc_node_get(s, "ready"), false);
        nrestarts += rc_node_int(rc_node_get(s, "restartCount"), 0);
        const char *w = rc_node_str(rc_node_at(s, "state.waiting.reason"));
        const char *t = rc_node_str(rc_node_at(s, "state.terminated.reason"));
        if (w && w[0])
            reason = w;
        else if (t && t[0] && !reason)
            reason = t;
    }
    snprintf(ready, cap, "%zu/%zu", nready, rc_node_len(specs));
    snprintf(restarts, cap, "%lld", (long long)nrestarts);
    const char *phase = rc_object_get_str(pod, "status.phase");
    if (rc_object_deletion_timestamp(pod))
        snprintf(status, cap, "Terminating");
    else if (reason)
        snprintf(status, cap, "%s", reason);
    else
        snprintf(status, cap, "%s", phase ? phase : "Pending");
}

typedef enum kind {
    K_DEPLOY, K_RS, K_STS, K_DS, K_JOB, K_CRON, K_SVC, K_POD, K_PVC, K_EVENT, K_NKINDS
} kind;

static const struct {
    const char *resource, *prefix;
    size_t ncols;
    const char *cols[MAX_COLS];
} kinds[K_NKINDS] = {
    [K_DEPLOY] = {"deployments.apps", "deployment.apps/", 5, {"NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"}},
    [K_RS] = {"replicasets.apps", "replicaset.apps/", 5, {"NAME", "DESIRED", "CURRENT", "READY", "AGE"}},
    [K_STS] = {"statefulsets.apps", "statefulset.apps/", 3, {"NAME", "READY", "AGE"}},
    [K_DS] = {"daemonsets.apps", "daemonset.apps/", 7,
              {"NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"}},
    [K_JOB] = {"jobs.batch", "job.batch/", 4, {"NAME", "COMPLETIONS", "DURATION", "AGE"}},
    [K_CRON] = {"cronjobs.batch", "cronjob.batch/", 5, {"NAME", "SCHEDULE", "SUSPEND", "ACTIVE", "AGE"}},
    [K_SVC] = {"services", "service/", 5, {"NAME", "TYPE", "CLUSTER-IP", "PORT(S)", "AGE"}},
    [K_POD] = {"pods", "pod/", 7, {"NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"}},
    [K_PVC] = {"persistentvolumeclaims", "persistentvolumeclaim/", 6,
               {"NAME", "STATUS", "VOLUME", "CAPACITY", "STORAGECLASS", "AGE"}},
    [K_EVENT] = {"events", "", 5, {"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"}},
};

static void ports_text(const rc_object *svc, char *buf, size_t cap)
{
    rc_node ports = rc_object_at(svc, "spec.ports");
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < rc_node_len(ports) && len < cap; i++) {
        rc_node p = rc_node_index(ports, i);
        const char *proto = rc_node_str(rc_node_get(p, "protocol"));
        len += (size_t)snprintf(buf + len, cap - len, "%s%lld/%s", i ? "," : "",
                                (long long)rc_node_int(rc_node_get(p, "port"), 0), proto ? proto : "TCP");
    }
}

/* Fills row cells (after NAMESPACE/NAME) for object o of kind k. */
static void row_of(const printer *p, kind k, const rc_object *o, char cells[MAX_COLS][256])
{
    char age[32];
    age_of(p, o, age, sizeof age);
    switch (k) {
    case K_DEPLOY:
        snprintf(cells[1], 256, "%lld/%lld", (long long)rc_object_get_int(o, "status.readyReplicas", 0),
                 (long long)rc_object_get_int(o, "spec.replicas", 1));
        num(cells[2], 256, o, "status.updatedReplicas");
        num(cells[3], 256, o, "status.availableReplicas");
        snprintf(cells[4], 256, "%s", age);
        break;
    case K_RS:
        num(cells[1], 256, o, "spec.replicas");
        num(cells[2], 256, o, "status.replicas");
        num(cells[3], 256, o, "status.readyReplicas");
        snprintf(cells[4], 256, "%s", age);
        break;
    case K_STS:
        snprintf(cells[1], 256, "%lld/%lld", (long long)rc_object_get_int(o, "status.readyReplicas", 0),
                 (long long)rc_object_get_int(o, "spec.replicas", 1));
        snprintf(cells[2], 256, "%s", age);
        break;
    case K_DS:
        num(cells[1], 256, o, "status.desiredNumberScheduled");
        num(cells[2], 256, o, "status.currentNumberScheduled");
        num(cells[3], 256, o, "status.numberReady");
        num(cells[4], 256, o, "status.updatedNumberScheduled");
        num(cells[5], 256, o, "status.numberAvailable");
        snprintf(cells[6], 256, "%s", age);
        break;
    case K_JOB: {
        snprintf(cells[1], 256, "%lld/%lld", (long long)rc_object_get_int(o, "status.succeeded", 0),
                 (long long)rc_object_get_int(o, "spec.completions", 1));
        rc_time a, b;
        const char *st = rc_object_get_str(o, "status.startTime"), *ct = rc_object_get_str(o, "status.completionTime");
        if (st && rc_time_parse(st, &a, NULL) == 0)
            rcsim_format_age((ct && rc_time_parse(ct, &b, NULL) == 0 ? b : p->now) - a, cells[2], 256);
        snprintf(cells[3], 256, "%s", age);
        break;
    }
    case K_CRON: {
        const char *sched = rc_object_get_str(o, "spec.schedule");
        snprintf(cells[1], 256, "%s", sched ? sched : "");
        snprintf(cells[2], 256, "%s", rc_object_get_bool(o, "spec.suspend", false) ? "True" : "False");
        snprintf(cells[3], 256, "%zu", rc_node_len(rc_object_at(o, "status.active")));
        snprintf(cells[4], 256, "%s", age);
        break;
    }
    case K_SVC: {
        const char *type = rc_object_get_str(o, "spec.type"), *ip = rc_object_get_str(o, "spec.clusterIP");
        snprintf(cells[1], 256, "%s", type ? type : "ClusterIP");
        snprintf(cells[2], 256, "%s", ip ? ip : "<none>");
        ports_text(o, cells[3], 256);
        snprintf(cells[4], 256, "%s", age);
        break;
    }
    case K_POD: {
        pod_columns(o, cells[1], cells[2], cells[3], 256);
        snprintf(cells[4], 256, "%s", age);
        const char *ip = rc_object_get_str(o, "status.podIP"), *node = rc_object_get_str(o, "spec.nodeName");
        snprintf(cells[5], 256, "%s", ip ? ip : "<none>");
        snprintf(cells[6], 256, "%s", node ? node : "<none>");
        break;
    }
    case K_PVC: {
        const char *ph = rc_object_get_str(o, "status.phase"), *vol = rc_object_get_str(o, "spec.volumeName");
        const char *cap = rc_object_get_str(o, "status.capacity.storage");
        const char *cls = rc_object_get_str(o, "spec.storageClassName");
        snprintf(cells[1], 256, "%s", ph ? ph : "Pending");
        snprintf(cells[2], 256, "%s", vol ? vol : "");
        snprintf(cells[3], 256, "%s", cap ? cap : "");
        snprintf(cells[4], 256, "%s", cls ? cls : "<unset>");
        snprintf(cells[5], 256, "%s", age);
        break;
    }
    case K_EVENT: {
        rc_time t;
        const char *last = rc_object_get_str(o, "lastTimestamp");
        if (last && rc_time_parse(last, &t, NULL) == 0)
            rcsim_format_age(p->now - t, cells[0], 256);
        else
            snprintf(cells[0], 256, "%s", age);
        const char *type = rc_object_get_str(o, "type"), *reason = rc_object_get_str(o, "reason");
        const char *ik = rc_object_get_str(o, "involvedObject.kind"), *in = rc_object_get_str(o, "involvedObject.name");
        const char *msg = rc_object_get_str(o, "message");
        snprintf(cells[1], 256, "%s", type ? type : "");
        snprintf(cells[2], 256, "%s", reason ? reason : "");
        char kindl[64] = "";
        for (size_t i = 0; ik && ik[i] && i + 1 < sizeof kindl; i++)
            kindl[i] = (char)(ik[i] >= 'A' && ik[i] <= 'Z' ? ik[i] - 'A' + 'a' : ik[i]);
        snprintf(cells[3], 256, "%s/%s", kindl, in ? in : "");
        snprintf(cells[4], 256, "%s", msg ? msg : "");
        break;
    }
    default:
        break;
    }
}

static int list_kind(rcsim_cluster *c, kind k, rc_object_list *out, rc_error *err)
{
    rc_object_list_init(out);
    return rc_client_list(c->client, kinds[k].resource, "", NULL, out, err);
}

static void print_kind(const printer *p, kind k, const rc_object_list *l, FILE *out, bool *first)
{
    size_t shown = 0;
    for (size_t i = 0; i < l->count; i++)
        if (k != K_SVC || strcmp(rc_object_name(l->items[i]), "kubernetes"))
            shown++;
    if (!shown)
        return;
    table t = {.ncols = kinds[k].ncols + p->namespaces};
    const char *hdr[MAX_COLS + 1];
    size_t h = 0;
    if (p->namespaces)
        hdr[h++] = "NAMESPACE";
    for (size_t i = 0; i < kinds[k].ncols; i++)
        hdr[h++] = kinds[k].cols[i];
    table_add(&t, hdr);
    for (size_t i = 0; i < l->count; i++) {
        const rc_object *o = l->items[i];
        if (k == K_SVC && !strcmp(rc_object_name(o), "kubernetes"))
            continue;
        char cells[MAX_COLS][256];
        memset(cells, 0, sizeof cells);
        snprintf(cells[0], 256, "%s%s", kinds[k].prefix, rc_object_name(o));
        row_of(p, k, o, cells);
        const char *row[MAX_COLS + 1];
        size_t n = 0;
        if (p->namespaces)
            row[n++] = rc_object_namespace(o);
        for (size_t j = 0; j < kinds[k].ncols; j++)
            row[n++] = cells[j];
        table_add(&t, row);
    }
    if (!*first)
        fputc('\n', out);
    *first = false;
    table_print(&t, out);
}

static bool other_namespaces(const rc_object_list *lists, size_t n)
{
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < lists[k].count; i++)
            if (strcmp(rc_object_namespace(lists[k].items[i]), "default"))
                return true;
    return false;
}

static int print_list(const rc_object_list *lists, size_t n, rcsim_output format, FILE *out, rc_error *err)
{
    cJSON *list = cJSON_CreateObject();
    cJSON_AddStringToObject(list, "apiVersion", "v1");
    cJSON *items = cJSON_AddArrayToObject(list, "items");
    cJSON_AddStringToObject(list, "kind", "List");
    cJSON_AddObjectToObject(list, "metadata");
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < lists[k].count; i++)
            cJSON_AddItemToArray(items, rc_object_to_cjson(lists[k].items[i]));
    char *text = format == RCSIM_OUTPUT_JSON ? cJSON_Print(list) : rc_encode_yaml(list, NULL);
    cJSON_Delete(list);
    if (!text)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    fputs(text, out);
    if (format == RCSIM_OUTPUT_JSON)
        fputc('\n', out);
    free(text);
    return 0;
}

int rcsim_print_summary(rcsim_cluster *c, rc_time now, rcsim_output format, bool events, FILE *out, rc_error *err)
{
    rc_object_list lists[K_NKINDS];
    size_t n = events ? K_NKINDS : K_EVENT;
    int rc = 0;
    for (size_t k = 0; k < K_NKINDS; k++)
        rc_object_list_init(&lists[k]);
    for (size_t k = 0; rc == 0 && k < n; k++)
        rc = list_kind(c, (kind)k, &lists[k], err);
    if (rc == 0 && format != RCSIM_OUTPUT_TABLE) {
        rc = print_list(lists, n, format, out, err);
    } else if (rc == 0) {
        printer p = {c, now, other_namespaces(lists, n)};
        bool first = true;
        for (size_t k = 0; k < n; k++)
            print_kind(&p, (kind)k, &lists[k], out, &first);
        if (first)
            fprintf(out, "No resources found\n");
    }
    for (size_t k = 0; k < K_NKINDS; k++)
        rc_object_list_clear(&lists[k]);
    return rc;
}
