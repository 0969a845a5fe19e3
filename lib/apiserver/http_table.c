/* http_table.c - meta.k8s.io/v1 Table output for `kubectl get`: the columns upstream's printers define for
 * each built-in kind (priority 1 columns show with -o wide), cells computed on the server (ages in
 * kubectl's human duration format), and each row's object as PartialObjectMetadata (or the full object,
 * or none, by includeObject) so that -A, --show-labels and -L work. Other kinds get Name and Created At. */
#include "apiserver/http_internal.h"

#include <reconcile/selector.h>
#include <reconcile/values.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct column {
    const char *name;
    const char *type; /* string, integer, date */
    int priority;
} column;

typedef struct row {
    rci_strbuf *b;
    int cells;
    rc_time now;
} row;

typedef void (*row_fn)(row *r, const rc_object *o);

typedef struct printer {
    const char *group;
    const char *kind;
    const column *cols;
    size_t ncols;
    row_fn fill;
} printer;

bool rci_http_wants_table(const char *accept) { return accept && strstr(accept, "as=Table") != NULL; }

/* ---- cells ---- */

static void sep(row *r)
{
    if (r->cells++)
        rci_strbuf_putc(r->b, ',');
}

static void cell(row *r, const char *s)
{
    sep(r);
    rci_strbuf_json_string(r->b, s && s[0] ? s : "<none>");
}

static void cell_int(row *r, long long v)
{
    sep(r);
    rci_strbuf_printf(r->b, "%lld", v);
}

static void cellf(row *r, const char *fmt, ...) RC_PRINTF(2, 3);
static void cellf(row *r, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cell(r, buf);
}

/* kubectl's duration.HumanDuration. */
static void human_duration(rc_duration d, char *buf, size_t cap)
{
    long long s = (long long)(d / RC_SEC);
    if (d < -RC_SEC) {
        snprintf(buf, cap, "<invalid>");
        return;
    }
    if (s < 0)
        s = 0;
    long long m = s / 60, h = s / 3600, days = h / 24, y = days / 365;
    if (s < 120)
        snprintf(buf, cap, "%llds", s);
    else if (m < 10 && s % 60)
        snprintf(buf, cap, "%lldm%llds", m, s % 60);
    else if (m < 180)
        snprintf(buf, cap, "%lldm", m);
    else if (h < 8 && m % 60)
        snprintf(buf, cap, "%lldh%lldm", h, m % 60);
    else if (h < 48)
        snprintf(buf, cap, "%lldh", h);
    else if (h < 192 && h % 24)
        snprintf(buf, cap, "%lldd%lldh", days, h % 24);
    else if (h < 24 * 365 * 2)
        snprintf(buf, cap, "%lldd", days);
    else if (h < 24 * 365 * 8 && days % 365)
        snprintf(buf, cap, "%lldy%lldd", y, days % 365);
    else
        snprintf(buf, cap, "%lldy", y);
}

static void cell_age_of(row *r, const char *timestamp)
{
    rc_time t;
    if (!timestamp || rc_time_parse(timestamp, &t, NULL) != 0) {
        cell(r, "<unknown>");
        return;
    }
    char buf[32];
    human_duration(r->now - t, buf, sizeof buf);
    cell(r, buf);
}

static void cell_age(row *r, const rc_object *o) { cell_age_of(r, rc_object_creation_timestamp(o)); }

/* Comma-joined values of `field` over the array at path (container names, images). */
static void cell_join(row *r, const rc_object *o, const char *path, const char *field)
{
    rci_strbuf s;
    rci_strbuf_init(&s);
    rc_node arr = rc_object_at(o, path);
    for (size_t i = 0; i < rc_node_len(arr); i++) {
        const char *v = rc_node_str(rc_node_get(rc_node_index(arr, i), field));
        if (i)
            rci_strbuf_putc(&s, ',');
        rci_strbuf_puts(&s, v ? v : "");
    }
    cell(r, s.data);
    rci_strbuf_free(&s);
}

static void cell_selector(row *r, const rc_object *o, const char *path)
{
    rc_selector *sel = rc_selector_from_node(rc_object_at(o, path), path, NULL);
    char *text = sel ? rc_selector_to_string(sel) : NULL;
    cell(r, text);
    free(text);
    rc_selector_free(sel);
}

static void cell_map(row *r, rc_node map)
{
    rci_strbuf s;
    rci_strbuf_init(&s);
    for (size_t i = 0; i < rc_node_len(map); i++) {
        const char *v = rc_node_str(rc_node_value_at(map, i));
        rci_strbuf_printf(&s, "%s%s=%s", i ? "," : "", rc_node_key_at(map, i), v ? v : "");
    }
    cell(r, s.data);
    rci_strbuf_free(&s);
}

static long long geti(const rc_object *o, const char *path) { return (long long)rc_object_get_int(o, path, 0); }

/* ---- per kind ---- */

static void pod_status(const rc_object *o, char *buf, size_t cap)
{
    const char *reason = rc_object_get_str(o, "status.reason");
    const char *phase = rc_object_get_str(o, "status.phase");
    snprintf(buf, cap, "%s", reason ? reason : phase ? phase : "Unknown");
    rc_node statuses = rc_object_at(o, "status.containerStatuses");
    for (size_t i = 0; i < rc_node_len(statuses); i++) {
        rc_node st = rc_node_index(statuses, i);
        const char *w = rc_node_str(rc_node_at(st, "state.waiting.reason"));
        const char *t = rc_node_str(rc_node_at(st, "state.terminated.reason"));
        if (w && w[0])
            snprintf(buf, cap, "%s", w);
        else if (t && t[0])
            snprintf(buf, cap, "%s", t);
    }
    if (rc_object_deletion_timestamp(o))
        snprintf(buf, cap, "Terminating");
}

static void row_pod(row *r, const rc_object *o)
{
    rc_node statuses = rc_object_at(o, "status.containerStatuses");
    long long ready = 0, restarts = 0;
    for (size_t i = 0; i < rc_node_len(statuses); i++) {
        rc_node st = rc_node_index(statuses, i);
        ready += rc_node_bool(rc_node_get(st, "ready"), false);
        restarts += rc_node_int(rc_node_get(st, "restartCount"), 0);
    }
    char status[64];
    pod_status(o, status, sizeof status);
    cellf(r, "%lld/%zu", ready, rc_node_len(rc_object_at(o, "spec.containers")));
    cell(r, status);
    cellf(r, "%lld", restarts);
    cell_age(r, o);
    cell(r, rc_object_get_str(o, "status.podIP"));
    cell(r, rc_object_get_str(o, "spec.nodeName"));
    cell(r, rc_object_get_str(o, "status.nominatedNodeName"));
    cell(r, NULL);
}

static void workload_tail(row *r, const rc_object *o, bool selector)
{
    cell_age(r, o);
    cell_join(r, o, "spec.template.spec.containers", "name");
    cell_join(r, o, "spec.template.spec.containers", "image");
    if (selector)
        cell_selector(r, o, "spec.selector");
}

static void row_deployment(row *r, const rc_object *o)
{
    cellf(r, "%lld/%lld", geti(o, "status.readyReplicas"), (long long)rc_object_get_int(o, "spec.replicas", 1));
    cell_int(r, geti(o, "status.updatedReplicas"));
    cell_int(r, geti(o, "status.availableReplicas"));
    workload_tail(r, o, true);
}

static void row_replicaset(row *r, const rc_object *o)
{
    cell_int(r, rc_object_get_int(o, "spec.replicas", 1));
    cell_int(r, geti(o, "status.replicas"));
    cell_int(r, geti(o, "status.readyReplicas"));
    workload_tail(r, o, true);
}

static void row_statefulset(row *r, const rc_object *o)
{
    cellf(r, "%lld/%lld", geti(o, "status.readyReplicas"), (long long)rc_object_get_int(o, "spec.replicas", 1));
    workload_tail(r, o, false);
}

static void row_daemonset(row *r, const rc_object *o)
{
    cell_int(r, geti(o, "status.desiredNumberScheduled"));
    cell_int(r, geti(o, "status.currentNumberScheduled"));
    cell_int(r, geti(o, "status.numberReady"));
    cell_int(r, geti(o, "status.updatedNumberScheduled"));
    cell_int(r, geti(o, "status.numberAvailable"));
    cell_map(r, rc_object_at(o, "spec.template.spec.nodeSelector"));
    workload_tail(r, o, true);
}

static bool has_condition(const rc_object *o, const char *type)
{
    rc_node conds = rc_object_at(o, "status.conditions");
    for (size_t i = 0; i < rc_node_len(conds); i++) {
        rc_node c = rc_node_index(conds, i);
        const char *t = rc_node_str(rc_node_get(c, "type")), *s = rc_node_str(rc_node_get(c, "status"));
        if (t && s && !strcmp(t, type) && !strcmp(s, "True"))
            return true;
    }
    return false;
}

static void row_job(row *r, const rc_object *o)
{
    const char *status = has_condition(o, "Complete")     ? "Complete"
                         : has_condition(o, "Failed")     ? "Failed"
                         : has_condition(o, "Suspended")  ? "Suspended"
                         : rc_object_deletion_timestamp(o) ? "Terminating"
                                                           : "Running";
    cell(r, status);
    long long completions = rc_object_get_int(o, "spec.completions", -1);
    if (completions >= 0)
        cellf(r, "%lld/%lld", geti(o, "status.succeeded"), completions);
    else
        cellf(r, "%lld/1 of %lld", geti(o, "status.succeeded"), (long long)rc_object_get_int(o, "spec.parallelism", 1));
    rc_time start, end;
    const char *st = rc_object_get_str(o, "status.startTime"), *ct = rc_object_get_str(o, "status.completionTime");
    if (st && rc_time_parse(st, &start, NULL) == 0) {
        char buf[32];
        human_duration((ct && rc_time_parse(ct, &end, NULL) == 0 ? end : r->now) - start, buf, sizeof buf);
        cell(r, buf);
    } else {
        cell(r, "");
    }
    workload_tail(r, o, true);
}

static void row_cronjob(row *r, const rc_object *o)
{
    cell(r, rc_object_get_str(o, "spec.schedule"));
    cell(r, rc_object_get_str(o, "spec.timeZone"));
    cell(r, rc_object_get_bool(o, "spec.suspend", false) ? "True" : "False");
    cell_int(r, (long long)rc_node_len(rc_object_at(o, "status.active")));
    const char *last = rc_object_get_str(o, "status.lastScheduleTime");
    if (last)
        cell_age_of(r, last);
    else
        cell(r, NULL);
    cell_age(r, o);
    cell_join(r, o, "spec.jobTemplate.spec.template.spec.containers", "name");
    cell_join(r, o, "spec.jobTemplate.spec.template.spec.containers", "image");
    cell_selector(r, o, "spec.jobTemplate.spec.selector");
}

static void row_service(row *r, const rc_object *o)
{
    cell(r, rc_object_get_str(o, "spec.type") ? rc_object_get_str(o, "spec.type") : "ClusterIP");
    cell(r, rc_object_get_str(o, "spec.clusterIP"));
    cell(r, NULL);
    rci_strbuf s;
    rci_strbuf_init(&s);
    rc_node ports = rc_object_at(o, "spec.ports");
    for (size_t i = 0; i < rc_node_len(ports); i++) {
        rc_node p = rc_node_index(ports, i);
        const char *proto = rc_node_str(rc_node_get(p, "protocol"));
        long long node_port = rc_node_int(rc_node_get(p, "nodePort"), 0);
        rci_strbuf_printf(&s, "%s%lld", i ? "," : "", (long long)rc_node_int(rc_node_get(p, "port"), 0));
        if (node_port)
            rci_strbuf_printf(&s, ":%lld", node_port);
        rci_strbuf_printf(&s, "/%s", proto ? proto : "TCP");
    }
    cell(r, s.data);
    rci_strbuf_free(&s);
    cell_age(r, o);
    cell_map(r, rc_object_at(o, "spec.selector"));
}

static void row_namespace(row *r, const rc_object *o)
{
    cell(r, rc_object_get_str(o, "status.phase"));
    cell_age(r, o);
}

static void row_node(row *r, const rc_object *o)
{
    char status[64];
    snprintf(status, sizeof status, "%s%s", has_condition(o, "Ready") ? "Ready" : "NotReady",
             rc_object_get_bool(o, "spec.unschedulable", false) ? ",SchedulingDisabled" : "");
    cell(r, status);
    rci_strbuf roles;
    rci_strbuf_init(&roles);
    rc_node labels = rc_object_at(o, "metadata.labels");
    for (size_t i = 0; i < rc_node_len(labels); i++) {
        const char *k = rc_node_key_at(labels, i);
        if (!strncmp(k, "node-role.kubernetes.io/", 24))
            rci_strbuf_printf(&roles, "%s%s", roles.len ? "," : "", k + 24);
    }
    cell(r, roles.data);
    rci_strbuf_free(&roles);
    cell_age(r, o);
    cell(r, rc_object_get_str(o, "status.nodeInfo.kubeletVersion"));
    const char *internal = NULL, *external = NULL;
    rc_node addrs = rc_object_at(o, "status.addresses");
    for (size_t i = 0; i < rc_node_len(addrs); i++) {
        const char *t = rc_node_str(rc_node_get(rc_node_index(addrs, i), "type"));
        const char *a = rc_node_str(rc_node_get(rc_node_index(addrs, i), "address"));
        if (t && !strcmp(t, "InternalIP"))
            internal = a;
        else if (t && !strcmp(t, "ExternalIP"))
            external = a;
    }
    cell(r, internal);
    cell(r, external);
    cell(r, rc_object_get_str(o, "status.nodeInfo.osImage"));
    cell(r, rc_object_get_str(o, "status.nodeInfo.kernelVersion"));
    cell(r, rc_object_get_str(o, "status.nodeInfo.containerRuntimeVersion"));
}

static void row_pvc(row *r, const rc_object *o)
{
    cell(r, rc_object_get_str(o, "status.phase"));
    cell(r, rc_object_get_str(o, "spec.volumeName"));
    cell(r, rc_object_get_str(o, "status.capacity.storage"));
    rci_strbuf modes;
    rci_strbuf_init(&modes);
    rc_node am = rc_object_at(o, "status.accessModes");
    for (size_t i = 0; i < rc_node_len(am); i++) {
        const char *m = rc_node_str(rc_node_index(am, i));
        const char *abbr = !m                                 ? ""
                           : !strcmp(m, "ReadWriteOnce")      ? "RWO"
                           : !strcmp(m, "ReadOnlyMany")       ? "ROX"
                           : !strcmp(m, "ReadWriteMany")      ? "RWX"
                           : !strcmp(m, "ReadWriteOncePod")   ? "RWOP"
                                                              : m;
        rci_strbuf_printf(&modes, "%s%s", i ? "," : "", abbr);
    }
    cell(r, modes.data);
    rci_strbuf_free(&modes);
    cell(r, rc_object_get_str(o, "spec.storageClassName"));
    cell(r, rc_object_get_str(o, "spec.volumeAttributesClassName") ? rc_object_get_str(o, "spec.volumeAttributesClassName")
                                                                    : "<unset>");
    cell_age(r, o);
    cell(r, rc_object_get_str(o, "spec.volumeMode") ? rc_object_get_str(o, "spec.volumeMode") : "Filesystem");
}

static void row_configmap(row *r, const rc_object *o)
{
    cell_int(r, (long long)(rc_node_len(rc_object_at(o, "data")) + rc_node_len(rc_object_at(o, "binaryData"))));
    cell_age(r, o);
}

static void row_secret(row *r, const rc_object *o)
{
    cell(r, rc_object_get_str(o, "type") ? rc_object_get_str(o, "type") : "Opaque");
    cell_int(r, (long long)rc_node_len(rc_object_at(o, "data")));
    cell_age(r, o);
}

static void row_serviceaccount(row *r, const rc_object *o)
{
    cell_int(r, (long long)rc_node_len(rc_object_at(o, "secrets")));
    cell_age(r, o);
}

static void row_event(row *r, const rc_object *o)
{
    const char *last = rc_object_get_str(o, "lastTimestamp");
    cell_age_of(r, last ? last : rc_object_get_str(o, "eventTime"));
    cell(r, rc_object_get_str(o, "type"));
    cell(r, rc_object_get_str(o, "reason"));
    const char *kind = rc_object_get_str(o, "involvedObject.kind");
    const char *name = rc_object_get_str(o, "involvedObject.name");
    char obj[300];
    snprintf(obj, sizeof obj, "%s/%s", kind ? kind : "", name ? name : "");
    for (char *p = obj; *p && *p != '/'; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    cell(r, obj);
    cell(r, rc_object_get_str(o, "message"));
}

static void row_controllerrevision(row *r, const rc_object *o)
{
    rc_owner_ref ref;
    if (rc_object_controller_ref(o, &ref)) {
        char buf[300];
        const char *slash = strchr(ref.api_version ? ref.api_version : "", '/');
        char group[128] = "";
        if (slash)
            snprintf(group, sizeof group, ".%.*s", (int)(slash - ref.api_version), ref.api_version);
        snprintf(buf, sizeof buf, "%s%s/%s", ref.kind ? ref.kind : "", group, ref.name ? ref.name : "");
        for (char *p = buf; *p && *p != '.' && *p != '/'; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        cell(r, buf);
    } else {
        cell(r, NULL);
    }
    cell_int(r, geti(o, "revision"));
    cell_age(r, o);
}

static void row_lease(row *r, const rc_object *o)
{
    cell(r, rc_object_get_str(o, "spec.holderIdentity"));
    cell_age(r, o);
}

static void row_default(row *r, const rc_object *o)
{
    cell(r, rc_object_creation_timestamp(o));
}

#define COLS(...) ((const column[]){{"Name", "string", 0}, __VA_ARGS__})
#define NCOLS(...) (sizeof((const column[]){{"Name", "string", 0}, __VA_ARGS__}) / sizeof(column))
#define PRINTER(g, k, fn, ...) {g, k, COLS(__VA_ARGS__), NCOLS(__VA_ARGS__), fn}

#define AGE {"Age", "string", 0}
#define WIDE(n) {n, "string", 1}

static const printer printers[] = {
    PRINTER("", "Pod", row_pod, {"Ready", "string", 0}, {"Status", "string", 0}, {"Restarts", "string", 0},
            AGE, WIDE("IP"), WIDE("Node"), WIDE("Nominated Node"), WIDE("Readiness Gates")),
    PRINTER("apps", "Deployment", row_deployment, {"Ready", "string", 0}, {"Up-to-date", "integer", 0},
            {"Available", "integer", 0}, AGE, WIDE("Containers"), WIDE("Images"), WIDE("Selector")),
    PRINTER("apps", "ReplicaSet", row_replicaset, {"Desired", "integer", 0}, {"Current", "integer", 0},
            {"Ready", "integer", 0}, AGE, WIDE("Containers"), WIDE("Images"), WIDE("Selector")),
    PRINTER("apps", "StatefulSet", row_statefulset, {"Ready", "string", 0}, AGE, WIDE("Containers"),
            WIDE("Images")),
    PRINTER("apps", "DaemonSet", row_daemonset, {"Desired", "integer", 0}, {"Current", "integer", 0},
            {"Ready", "integer", 0}, {"Up-to-date", "integer", 0}, {"Available", "integer", 0},
            {"Node Selector", "string", 0}, AGE, WIDE("Containers"), WIDE("Images"), WIDE("Selector")),
    PRINTER("batch", "Job", row_job, {"Status", "string", 0}, {"Completions", "string", 0},
            {"Duration", "string", 0}, AGE, WIDE("Containers"), WIDE("Images"), WIDE("Selector")),
    PRINTER("batch", "CronJob", row_cronjob, {"Schedule", "string", 0}, {"Timezone", "string", 0},
            {"Suspend", "boolean", 0}, {"Active", "integer", 0}, {"Last Schedule", "string", 0}, AGE,
            WIDE("Containers"), WIDE("Images"), WIDE("Selector")),
    PRINTER("", "Service", row_service, {"Type", "string", 0}, {"Cluster-IP", "string", 0},
            {"External-IP", "string", 0}, {"Port(s)", "string", 0}, AGE, WIDE("Selector")),
    PRINTER("", "Namespace", row_namespace, {"Status", "string", 0}, AGE),
    PRINTER("", "Node", row_node, {"Status", "string", 0}, {"Roles", "string", 0}, AGE,
            {"Version", "string", 0}, WIDE("Internal-IP"), WIDE("External-IP"), WIDE("OS-Image"),
            WIDE("Kernel-Version"), WIDE("Container-Runtime")),
    PRINTER("", "PersistentVolumeClaim", row_pvc, {"Status", "string", 0}, {"Volume", "string", 0},
            {"Capacity", "string", 0}, {"Access Modes", "string", 0}, {"StorageClass", "string", 0},
            {"VolumeAttributesClass", "string", 0}, AGE, WIDE("VolumeMode")),
    PRINTER("", "ConfigMap", row_configmap, {"Data", "integer", 0}, AGE),
    PRINTER("", "Secret", row_secret, {"Type", "string", 0}, {"Data", "integer", 0}, AGE),
    PRINTER("", "ServiceAccount", row_serviceaccount, {"Secrets", "integer", 0}, AGE),
    PRINTER("apps", "ControllerRevision", row_controllerrevision, {"Controller", "string", 0},
            {"Revision", "integer", 0}, AGE),
    PRINTER("coordination.k8s.io", "Lease", row_lease, {"Holder", "string", 0}, AGE),
};

static const column event_cols[] = {{"Last Seen", "string", 0}, {"Type", "string", 0}, {"Reason", "string", 0},
                                    {"Object", "string", 0}, {"Message", "string", 0}};
static const printer event_printer = {"", "Event", event_cols, 5, row_event};
static const column default_cols[] = {{"Name", "string", 0}, {"Created At", "date", 0}};
static const printer default_printer = {"", "", default_cols, 2, row_default};

static const printer *printer_for(const rc_resource_info *ri)
{
    for (size_t i = 0; i < sizeof printers / sizeof *printers; i++)
        if (!strcmp(printers[i].group, ri->group) && !strcmp(printers[i].kind, ri->kind))
            return &printers[i];
    if (!ri->group[0] && !strcmp(ri->kind, "Event"))
        return &event_printer;
    return &default_printer;
}

static void row_object(rci_strbuf *b, const rc_object *o, const char *include)
{
    if (include && !strcmp(include, "None"))
        return;
    rci_strbuf_puts(b, ",\"object\":");
    if (include && !strcmp(include, "Object")) {
        size_t len = 0;
        char *text = rc_object_to_json(o, &len);
        rci_strbuf_append(b, text ? text : "{}", text ? len : 2);
        free(text);
        return;
    }
    cJSON *meta = rc_node_to_cjson(rc_object_at(o, "metadata"));
    char *text = meta ? cJSON_PrintUnformatted(meta) : NULL;
    rci_strbuf_puts(b, "{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":");
    rci_strbuf_puts(b, text ? text : "{}");
    rci_strbuf_putc(b, '}');
    cJSON_free(text);
    cJSON_Delete(meta);
}

void rci_http_table(rci_strbuf *b, const rc_resource_info *ri, rc_object *const *objs, size_t n,
                    const char *resource_version, const char *continue_token, const char *include_object,
                    rc_time now)
{
    const printer *p = printer_for(ri);
    rci_strbuf_puts(b, "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":{\"resourceVersion\":");
    rci_strbuf_json_string(b, resource_version ? resource_version : "");
    if (continue_token) {
        rci_strbuf_puts(b, ",\"continue\":");
        rci_strbuf_json_string(b, continue_token);
    }
    rci_strbuf_puts(b, "},\"columnDefinitions\":[");
    for (size_t i = 0; i < p->ncols; i++) {
        const column *c = &p->cols[i];
        rci_strbuf_printf(b, "%s{\"name\":\"%s\",\"type\":\"%s\",\"format\":\"%s\",\"description\":\"%s\","
                             "\"priority\":%d}",
                          i ? "," : "", c->name, c->type, i == 0 && p != &event_printer ? "name" : "", c->name,
                          c->priority);
    }
    rci_strbuf_puts(b, "],\"rows\":[");
    for (size_t i = 0; i < n; i++) {
        rci_strbuf_puts(b, i ? ",{\"cells\":[" : "{\"cells\":[");
        row r = {.b = b, .now = now};
        if (p != &event_printer)
            cell(&r, rc_object_name(objs[i]));
        p->fill(&r, objs[i]);
        rci_strbuf_putc(b, ']');
        row_object(b, objs[i], include_object);
        rci_strbuf_putc(b, '}');
    }
    rci_strbuf_puts(b, "]}");
}
