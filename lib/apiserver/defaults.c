/* defaults.c - upstream's defaulting (pkg/apis/{core,apps,batch}/v1/defaults.go and the registry
 * strategies' field defaults) applied to incoming objects before validation: workload replica counts,
 * rollout strategies and history limits, Job counts and selectors, CronJob policies, pod specs and
 * containers (restart/DNS policies, grace period, scheduler, image pull policy by tag, ports), Services,
 * Secrets, Namespaces, PVCs, RBAC subjects and CRD names. Only absent (or null) fields are filled. */
#include "apiserver/hooks.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* ---- helpers: each adds key only when it is absent or null ---- */

static bool absent(const cJSON *obj, const char *key)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, key);
    return !m || cJSON_IsNull(m);
}

static void put(cJSON *obj, const char *key, cJSON *value)
{
    if (!value)
        return;
    if (cJSON_GetObjectItemCaseSensitive(obj, key))
        cJSON_ReplaceItemInObjectCaseSensitive(obj, key, value);
    else if (!cJSON_AddItemToObject(obj, key, value))
        cJSON_Delete(value);
}

static void def_str(cJSON *obj, const char *key, const char *value)
{
    if (cJSON_IsObject(obj) && absent(obj, key))
        put(obj, key, cJSON_CreateString(value));
}

static void def_num(cJSON *obj, const char *key, double value)
{
    if (cJSON_IsObject(obj) && absent(obj, key))
        put(obj, key, cJSON_CreateNumber(value));
}

static void def_bool(cJSON *obj, const char *key, bool value)
{
    if (cJSON_IsObject(obj) && absent(obj, key))
        put(obj, key, cJSON_CreateBool(value));
}

/* The object member key, created empty when absent or null; NULL when obj is not an object or the
 * member has another type (validation reports it). */
static cJSON *def_obj(cJSON *obj, const char *key)
{
    if (!cJSON_IsObject(obj))
        return NULL;
    if (absent(obj, key))
        put(obj, key, cJSON_CreateObject());
    cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsObject(m) ? m : NULL;
}

static cJSON *member_obj(cJSON *obj, const char *key)
{
    cJSON *m = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    return cJSON_IsObject(m) ? m : NULL;
}

static cJSON *member_arr(cJSON *obj, const char *key)
{
    cJSON *m = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    return cJSON_IsArray(m) ? m : NULL;
}

/* ---- pods ---- */

/* Always for ":latest" or no tag (and no digest), IfNotPresent otherwise. */
static const char *pull_policy_for(const char *image)
{
    if (strchr(image, '@'))
        return "IfNotPresent";
    const char *slash = strrchr(image, '/');
    const char *colon = strrchr(slash ? slash : image, ':');
    return !colon || !strcmp(colon, ":latest") ? "Always" : "IfNotPresent";
}

static void default_probe(cJSON *probe)
{
    if (!cJSON_IsObject(probe))
        return;
    def_num(probe, "timeoutSeconds", 1);
    def_num(probe, "periodSeconds", 10);
    def_num(probe, "successThreshold", 1);
    def_num(probe, "failureThreshold", 3);
}

static void default_containers(cJSON *list)
{
    for (cJSON *c = list ? list->child : NULL; c; c = c->next) {
        if (!cJSON_IsObject(c))
            continue;
        const cJSON *image = cJSON_GetObjectItemCaseSensitive(c, "image");
        if (cJSON_IsString(image) && *image->valuestring)
            def_str(c, "imagePullPolicy", pull_policy_for(image->valuestring));
        def_str(c, "terminationMessagePath", "/dev/termination-log");
        def_str(c, "terminationMessagePolicy", "File");
        def_obj(c, "resources");
        cJSON *ports = member_arr(c, "ports");
        for (cJSON *p = ports ? ports->child : NULL; p; p = p->next)
            def_str(p, "protocol", "TCP");
        default_probe(member_obj(c, "livenessProbe"));
        default_probe(member_obj(c, "readinessProbe"));
        default_probe(member_obj(c, "startupProbe"));
    }
}

/* A volume without a source is an emptyDir (SetDefaults_Volume). */
static void default_volumes(cJSON *volumes)
{
    for (cJSON *v = volumes ? volumes->child : NULL; v; v = v->next) {
        bool source = false;
        for (cJSON *f = cJSON_IsObject(v) ? v->child : NULL; f && !source; f = f->next)
            source = strcmp(f->string, "name") != 0 && !cJSON_IsNull(f);
        if (cJSON_IsObject(v) && !source)
            def_obj(v, "emptyDir");
    }
}

static void default_pod_spec(cJSON *spec, bool restart_always)
{
    if (!cJSON_IsObject(spec))
        return;
    if (restart_always)
        def_str(spec, "restartPolicy", "Always");
    def_str(spec, "dnsPolicy", "ClusterFirst");
    def_num(spec, "terminationGracePeriodSeconds", 30);
    def_str(spec, "schedulerName", "default-scheduler");
    def_obj(spec, "securityContext");
    def_bool(spec, "enableServiceLinks", true);
    default_volumes(member_arr(spec, "volumes"));
    default_containers(member_arr(spec, "initContainers"));
    default_containers(member_arr(spec, "containers"));
}

static void default_template(cJSON *spec, bool restart_always)
{
    default_pod_spec(member_obj(member_obj(spec, "template"), "spec"), restart_always);
}

/* ---- workloads ---- */

static void default_deployment(cJSON *obj)
{
    cJSON *spec = def_obj(obj, "spec");
    def_num(spec, "replicas", 1);
    cJSON *strategy = def_obj(spec, "strategy");
    def_str(strategy, "type", "RollingUpdate");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(strategy, "type");
    if (cJSON_IsString(type) && !strcmp(type->valuestring, "RollingUpdate")) {
        cJSON *ru = def_obj(strategy, "rollingUpdate");
        def_str(ru, "maxUnavailable", "25%");
        def_str(ru, "maxSurge", "25%");
    }
    def_num(spec, "revisionHistoryLimit", 10);
    def_num(spec, "progressDeadlineSeconds", 600);
    default_template(spec, true);
}

static void default_replicaset(cJSON *obj)
{
    cJSON *spec = def_obj(obj, "spec");
    def_num(spec, "replicas", 1);
    default_template(spec, true);
}

static void default_statefulset(cJSON *obj)
{
    cJSON *spec = def_obj(obj, "spec");
    def_num(spec, "replicas", 1);
    def_str(spec, "podManagementPolicy", "OrderedReady");
    cJSON *us = def_obj(spec, "updateStrategy");
    def_str(us, "type", "RollingUpdate");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(us, "type");
    if (cJSON_IsString(type) && !strcmp(type->valuestring, "RollingUpdate"))
        def_num(def_obj(us, "rollingUpdate"), "partition", 0);
    def_num(spec, "revisionHistoryLimit", 10);
    cJSON *retention = def_obj(spec, "persistentVolumeClaimRetentionPolicy");
    def_str(retention, "whenDeleted", "Retain");
    def_str(retention, "whenScaled", "Retain");
    cJSON *claims = member_arr(spec, "volumeClaimTemplates");
    for (cJSON *c = claims ? claims->child : NULL; c; c = c->next)
        def_str(member_obj(c, "spec"), "volumeMode", "Filesystem");
    default_template(spec, true);
}

static void default_daemonset(cJSON *obj)
{
    cJSON *spec = def_obj(obj, "spec");
    cJSON *us = def_obj(spec, "updateStrategy");
    def_str(us, "type", "RollingUpdate");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(us, "type");
    if (cJSON_IsString(type) && !strcmp(type->valuestring, "RollingUpdate")) {
        cJSON *ru = def_obj(us, "rollingUpdate");
        def_num(ru, "maxUnavailable", 1);
        def_num(ru, "maxSurge", 0);
    }
    def_num(spec, "revisionHistoryLimit", 10);
    default_template(spec, true);
}

/* Unless manualSelector: template labels job-name / controller-uid (both spellings) and the selector
 * on batch.kubernetes.io/controller-uid, as the Job strategy generates them once the uid is known. */
static void generate_job_selector(cJSON *obj, cJSON *spec)
{
    cJSON *meta = member_obj(obj, "metadata");
    const cJSON *uid = cJSON_GetObjectItemCaseSensitive(meta, "uid");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(meta, "name");
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(spec, "manualSelector")) || !cJSON_IsString(uid) ||
        !*uid->valuestring || !cJSON_IsString(name))
        return;
    cJSON *labels = def_obj(def_obj(def_obj(spec, "template"), "metadata"), "labels");
    def_str(labels, "batch.kubernetes.io/controller-uid", uid->valuestring);
    def_str(labels, "batch.kubernetes.io/job-name", name->valuestring);
    def_str(labels, "controller-uid", uid->valuestring);
    def_str(labels, "job-name", name->valuestring);
    if (absent(spec, "selector")) {
        cJSON *ml = def_obj(def_obj(spec, "selector"), "matchLabels");
        def_str(ml, "batch.kubernetes.io/controller-uid", uid->valuestring);
    }
}

static void default_job_spec(cJSON *spec)
{
    if (!cJSON_IsObject(spec))
        return;
    if (absent(spec, "completions") && absent(spec, "parallelism")) {
        def_num(spec, "completions", 1);
        def_num(spec, "parallelism", 1);
    }
    def_num(spec, "parallelism", 1);
    def_num(spec, "backoffLimit", absent(spec, "backoffLimitPerIndex") ? 6 : 2147483647);
    def_str(spec, "completionMode", "NonIndexed");
    def_bool(spec, "suspend", false);
    def_str(spec, "podReplacementPolicy", absent(spec, "podFailurePolicy") ? "TerminatingOrFailed" : "Failed");
    default_template(spec, false);
}

static void default_job(cJSON *obj)
{
    cJSON *spec = def_obj(obj, "spec");
    default_job_spec(spec);
    if (spec)
        generate_job_selector(obj, spec);
}

static void default_cronjob(cJSON *obj)
{
    cJSON *spec = def_obj(obj, "spec");
    def_str(spec, "concurrencyPolicy", "Allow");
    def_bool(spec, "suspend", false);
    def_num(spec, "successfulJobsHistoryLimit", 3);
    def_num(spec, "failedJobsHistoryLimit", 1);
    default_template(member_obj(member_obj(spec, "jobTemplate"), "spec"), false);
}

/* ---- other kinds ---- */

static void default_service(cJSON *obj)
{
    cJSON *spec = def_obj(obj, "spec");
    def_str(spec, "type", "ClusterIP");
    def_str(spec, "sessionAffinity", "None");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(spec, "type");
    if (cJSON_IsString(type) && strcmp(type->valuestring, "ExternalName") != 0)
        def_str(spec, "internalTrafficPolicy", "Cluster");
    if (cJSON_IsString(type) && (!strcmp(type->valuestring, "NodePort") || !strcmp(type->valuestring, "LoadBalancer")))
        def_str(spec, "externalTrafficPolicy", "Cluster");
    cJSON *ports = member_arr(spec, "ports");
    for (cJSON *p = ports ? ports->child : NULL; p; p = p->next) {
        def_str(p, "protocol", "TCP");
        const cJSON *port = cJSON_GetObjectItemCaseSensitive(p, "port");
        if (cJSON_IsNumber(port) && absent(p, "targetPort"))
            put(p, "targetPort", cJSON_CreateNumber(port->valuedouble));
    }
}

static void default_rbac_binding(cJSON *obj)
{
    cJSON *subjects = member_arr(obj, "subjects");
    for (cJSON *s = subjects ? subjects->child : NULL; s; s = s->next) {
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(s, "kind");
        if (cJSON_IsString(kind) && (!strcmp(kind->valuestring, "User") || !strcmp(kind->valuestring, "Group")))
            def_str(s, "apiGroup", "rbac.authorization.k8s.io");
    }
}

static void default_crd(cJSON *obj)
{
    cJSON *spec = def_obj(obj, "spec");
    cJSON *names = member_obj(spec, "names");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(names, "kind");
    if (cJSON_IsString(kind) && *kind->valuestring) {
        char buf[256];
        snprintf(buf, sizeof buf, "%sList", kind->valuestring);
        def_str(names, "listKind", buf);
        snprintf(buf, sizeof buf, "%s", kind->valuestring);
        for (char *p = buf; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        def_str(names, "singular", buf);
    }
    def_str(def_obj(spec, "conversion"), "strategy", "None");
}

typedef void (*defaulter)(cJSON *obj);

static void default_pod(cJSON *obj) { default_pod_spec(member_obj(obj, "spec"), true); }
static void default_pod_template(cJSON *obj) { default_template(obj, true); }
static void default_secret(cJSON *obj) { def_str(obj, "type", "Opaque"); }
static void default_namespace(cJSON *obj) { def_str(def_obj(obj, "status"), "phase", "Active"); }
static void default_pvc(cJSON *obj) { def_str(member_obj(obj, "spec"), "volumeMode", "Filesystem"); }

static const struct {
    const char *group;
    const char *kind;
    defaulter fn;
} defaulters[] = {
    {"", "Pod", default_pod},
    {"", "PodTemplate", default_pod_template},
    {"", "Service", default_service},
    {"", "Secret", default_secret},
    {"", "Namespace", default_namespace},
    {"", "PersistentVolumeClaim", default_pvc},
    {"apps", "Deployment", default_deployment},
    {"apps", "ReplicaSet", default_replicaset},
    {"apps", "StatefulSet", default_statefulset},
    {"apps", "DaemonSet", default_daemonset},
    {"batch", "Job", default_job},
    {"batch", "CronJob", default_cronjob},
    {"rbac.authorization.k8s.io", "RoleBinding", default_rbac_binding},
    {"rbac.authorization.k8s.io", "ClusterRoleBinding", default_rbac_binding},
    {"apiextensions.k8s.io", "CustomResourceDefinition", default_crd},
};

void rci_apiserver_default(const rc_resource_info *ri, cJSON *obj)
{
    if (!ri || !ri->kind || !cJSON_IsObject(obj))
        return;
    const char *group = ri->group ? ri->group : "";
    for (size_t i = 0; i < sizeof defaulters / sizeof defaulters[0]; i++)
        if (!strcmp(defaulters[i].kind, ri->kind) && !strcmp(defaulters[i].group, group)) {
            defaulters[i].fn(obj);
            return;
        }
}
