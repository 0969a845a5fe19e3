/* schema_table.c - a compact description of the built-in kinds' fields (data, one string per Go struct of
 * the upstream v1 types) and the walker that uses it for strict decoding (unknown fields) and JSON type
 * checks. Field types: s string, i integer, n number, b boolean, q quantity (string or number),
 * x int-or-string, m map of strings, * anything (not described further), [T list of T, {T map of T,
 * Name a struct below. Every kind's root also has apiVersion, kind and metadata (ObjectMeta). */
#include "apiserver/schema.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/tree_equal.h"
#include "util/strbuf.h"

static const struct {
    const char *name;
    const char *fields;
} structs[] = {
    {"ObjectMeta", "name:s generateName:s namespace:s selfLink:s uid:s resourceVersion:s generation:i "
                   "creationTimestamp:s deletionTimestamp:s deletionGracePeriodSeconds:i labels:m "
                   "annotations:m ownerReferences:[OwnerReference finalizers:[s managedFields:[*"},
    {"OwnerReference", "apiVersion:s kind:s name:s uid:s controller:b blockOwnerDeletion:b"},
    {"LabelSelector", "matchLabels:m matchExpressions:[LabelSelectorRequirement"},
    {"LabelSelectorRequirement", "key:s operator:s values:[s"},
    {"PodTemplateSpec", "metadata:ObjectMeta spec:PodSpec"},
    {"PodSpec", "volumes:[Volume initContainers:[Container containers:[Container ephemeralContainers:[* "
                "restartPolicy:s terminationGracePeriodSeconds:i activeDeadlineSeconds:i dnsPolicy:s "
                "nodeSelector:m serviceAccountName:s serviceAccount:s automountServiceAccountToken:b nodeName:s "
                "hostNetwork:b hostPID:b hostIPC:b shareProcessNamespace:b securityContext:* "
                "imagePullSecrets:[LocalObjectReference hostname:s subdomain:s affinity:* schedulerName:s "
                "tolerations:[Toleration hostAliases:[* priorityClassName:s priority:i dnsConfig:* "
                "readinessGates:[* runtimeClassName:s enableServiceLinks:b preemptionPolicy:s overhead:{q "
                "topologySpreadConstraints:[* setHostnameAsFQDN:b os:* hostUsers:b schedulingGates:[* "
                "resourceClaims:[* resources:ResourceRequirements"},
    {"Container", "name:s image:s command:[s args:[s workingDir:s ports:[ContainerPort envFrom:[* env:[EnvVar "
                  "resources:ResourceRequirements resizePolicy:[* restartPolicy:s volumeMounts:[VolumeMount "
                  "volumeDevices:[* livenessProbe:Probe readinessProbe:Probe startupProbe:Probe lifecycle:* "
                  "terminationMessagePath:s terminationMessagePolicy:s imagePullPolicy:s securityContext:* "
                  "stdin:b stdinOnce:b tty:b"},
    {"ContainerPort", "name:s hostPort:i containerPort:i protocol:s hostIP:s"},
    {"EnvVar", "name:s value:s valueFrom:*"},
    {"ResourceRequirements", "limits:{q requests:{q claims:[*"},
    {"VolumeMount", "name:s readOnly:b recursiveReadOnly:s mountPath:s subPath:s mountPropagation:s "
                    "subPathExpr:s"},
    {"Probe", "exec:* httpGet:* tcpSocket:* grpc:* initialDelaySeconds:i timeoutSeconds:i periodSeconds:i "
              "successThreshold:i failureThreshold:i terminationGracePeriodSeconds:i"},
    {"Toleration", "key:s operator:s value:s effect:s tolerationSeconds:i"},
    {"LocalObjectReference", "name:s"},
    {"Volume", "name:s hostPath:* emptyDir:* gcePersistentDisk:* awsElasticBlockStore:* gitRepo:* secret:* "
               "nfs:* iscsi:* glusterfs:* persistentVolumeClaim:* rbd:* flexVolume:* cinder:* cephfs:* "
               "flocker:* downwardAPI:* fc:* azureFile:* configMap:* vsphereVolume:* quobyte:* azureDisk:* "
               "photonPersistentDisk:* projected:* portworxVolume:* scaleIO:* storageos:* csi:* ephemeral:* "
               "image:*"},
    {"DeploymentSpec", "replicas:i selector:LabelSelector template:PodTemplateSpec strategy:DeploymentStrategy "
                       "minReadySeconds:i revisionHistoryLimit:i paused:b progressDeadlineSeconds:i"},
    {"DeploymentStrategy", "type:s rollingUpdate:RollingUpdate"},
    {"RollingUpdate", "maxUnavailable:x maxSurge:x"},
    {"ReplicaSetSpec", "replicas:i minReadySeconds:i selector:LabelSelector template:PodTemplateSpec"},
    {"StatefulSetSpec", "replicas:i selector:LabelSelector template:PodTemplateSpec "
                        "volumeClaimTemplates:[PersistentVolumeClaim serviceName:s podManagementPolicy:s "
                        "updateStrategy:StatefulSetUpdateStrategy revisionHistoryLimit:i minReadySeconds:i "
                        "persistentVolumeClaimRetentionPolicy:* ordinals:*"},
    {"StatefulSetUpdateStrategy", "type:s rollingUpdate:StatefulSetRollingUpdate"},
    {"StatefulSetRollingUpdate", "partition:i maxUnavailable:x"},
    {"PersistentVolumeClaim", "apiVersion:s kind:s metadata:ObjectMeta spec:PVCSpec status:*"},
    {"PVCSpec", "accessModes:[s selector:LabelSelector resources:VolumeResources volumeName:s "
                "storageClassName:s volumeMode:s dataSource:* dataSourceRef:* volumeAttributesClassName:s"},
    {"VolumeResources", "limits:{q requests:{q"},
    {"DaemonSetSpec", "selector:LabelSelector template:PodTemplateSpec updateStrategy:DaemonSetUpdateStrategy "
                      "minReadySeconds:i revisionHistoryLimit:i"},
    {"DaemonSetUpdateStrategy", "type:s rollingUpdate:RollingUpdate"},
    {"JobSpec", "parallelism:i completions:i activeDeadlineSeconds:i podFailurePolicy:* successPolicy:* "
                "backoffLimit:i backoffLimitPerIndex:i maxFailedIndexes:i selector:LabelSelector "
                "manualSelector:b template:PodTemplateSpec ttlSecondsAfterFinished:i completionMode:s "
                "suspend:b podReplacementPolicy:s managedBy:s"},
    {"CronJobSpec", "schedule:s timeZone:s startingDeadlineSeconds:i concurrencyPolicy:s suspend:b "
                    "jobTemplate:JobTemplateSpec successfulJobsHistoryLimit:i failedJobsHistoryLimit:i"},
    {"JobTemplateSpec", "metadata:ObjectMeta spec:JobSpec"},
    {"ServiceSpec", "ports:[ServicePort selector:m clusterIP:s clusterIPs:[s type:s externalIPs:[s "
                    "sessionAffinity:s loadBalancerIP:s loadBalancerSourceRanges:[s externalName:s "
                    "externalTrafficPolicy:s healthCheckNodePort:i publishNotReadyAddresses:b "
                    "sessionAffinityConfig:* ipFamilies:[s ipFamilyPolicy:s allocateLoadBalancerNodePorts:b "
                    "loadBalancerClass:s internalTrafficPolicy:s trafficDistribution:s"},
    {"ServicePort", "name:s protocol:s appProtocol:s port:i targetPort:x nodePort:i"},
    {"PolicyRule", "verbs:[s apiGroups:[s resources:[s resourceNames:[s nonResourceURLs:[s"},
    {"Subject", "kind:s apiGroup:s name:s namespace:s"},
    {"RoleRef", "apiGroup:s kind:s name:s"},
    {"CRDSpec", "group:s names:CRDNames scope:s versions:[CRDVersion conversion:* preserveUnknownFields:b"},
    {"CRDNames", "plural:s singular:s shortNames:[s kind:s listKind:s categories:[s"},
    {"CRDVersion", "name:s served:b storage:b deprecated:b deprecationWarning:s schema:* subresources:* "
                   "additionalPrinterColumns:[* selectableFields:[*"},
};

/* Root fields per kind, besides apiVersion, kind and metadata. */
static const struct {
    const char *group;
    const char *kind;
    const char *fields;
} kinds[] = {
    {"", "Pod", "spec:PodSpec status:*"},
    {"", "Service", "spec:ServiceSpec status:*"},
    {"", "ConfigMap", "data:m binaryData:m immutable:b"},
    {"", "Secret", "data:m stringData:m type:s immutable:b"},
    {"", "Namespace", "spec:* status:*"},
    {"", "ServiceAccount", "secrets:[* imagePullSecrets:[LocalObjectReference automountServiceAccountToken:b"},
    {"", "Node", "spec:* status:*"},
    {"", "PersistentVolumeClaim", "spec:PVCSpec status:*"},
    {"", "PodTemplate", "template:PodTemplateSpec"},
    {"apps", "Deployment", "spec:DeploymentSpec status:*"},
    {"apps", "ReplicaSet", "spec:ReplicaSetSpec status:*"},
    {"apps", "StatefulSet", "spec:StatefulSetSpec status:*"},
    {"apps", "DaemonSet", "spec:DaemonSetSpec status:*"},
    {"apps", "ControllerRevision", "data:* revision:i"},
    {"batch", "Job", "spec:JobSpec status:*"},
    {"batch", "CronJob", "spec:CronJobSpec status:*"},
    {"rbac.authorization.k8s.io", "Role", "rules:[PolicyRule"},
    {"rbac.authorization.k8s.io", "ClusterRole", "rules:[PolicyRule aggregationRule:*"},
    {"rbac.authorization.k8s.io", "RoleBinding", "subjects:[Subject roleRef:RoleRef"},
    {"rbac.authorization.k8s.io", "ClusterRoleBinding", "subjects:[Subject roleRef:RoleRef"},
    {"apiextensions.k8s.io", "CustomResourceDefinition", "spec:CRDSpec status:*"},
};

static const char root_fields[] = "apiVersion:s kind:s metadata:ObjectMeta";

/* A type expression: a pointer into a descriptor and its length. */
typedef struct type_ref {
    const char *p;
    size_t n;
} type_ref;

static const char *kind_fields(const rc_resource_info *ri)
{
    const char *group = ri && ri->group ? ri->group : "";
    for (size_t i = 0; ri && ri->kind && i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].kind, ri->kind) == 0 && strcmp(kinds[i].group, group) == 0)
            return kinds[i].fields;
    return NULL;
}

/* Finds `key` in a descriptor; true and *out = its type expression. A field name starts the descriptor
 * or follows a space and ends at a colon; types hold neither, so a match there is a field. */
static bool find_field(const char *desc, const char *key, type_ref *out)
{
    size_t klen = strlen(key);
    if (!desc || !klen || strpbrk(key, ": "))
        return false;
    for (const char *p = desc; (p = strstr(p, key)) != NULL; p += klen) {
        if ((p == desc || p[-1] == ' ') && p[klen] == ':') {
            const char *type = p + klen + 1;
            *out = (type_ref){type, (size_t)(strchrnul(type, ' ') - type)};
            return true;
        }
    }
    return false;
}

static const char *struct_fields(type_ref t)
{
    for (size_t i = 0; i < sizeof structs / sizeof structs[0]; i++)
        if (strlen(structs[i].name) == t.n && memcmp(structs[i].name, t.p, t.n) == 0)
            return structs[i].fields;
    return NULL;
}

typedef struct walker {
    rci_vctx *v;
    bool report_unknown; /* strict decoding: unknown fields become "FieldValueUnknown" errors */
    bool find_type_error; /* stop at the first value of the wrong JSON type and remember it */
    const cJSON *bad;     /* that value, its expected type and its field path */
    const char *want;
    char bad_path[RCI_PATH_MAX];
    const cJSON *root, *old; /* old: root members equal to old's are skipped (NULL: none) */
} walker;

/* m is a member of the walked root that old holds unchanged. */
static bool unchanged(const walker *w, const cJSON *m)
{
    const cJSON *was = w->old ? cJSON_GetObjectItemCaseSensitive(w->old, m->string) : NULL;
    return was && rci_tree_equal(m, was);
}

static void walk(walker *w, type_ref t, const cJSON *node);

static void walk_struct(walker *w, const char *desc, const char *extra, const cJSON *node)
{
    for (const cJSON *m = node->child; m; m = m->next) {
        if (node == w->root && unchanged(w, m))
            continue;
        type_ref t;
        bool known = find_field(desc, m->string, &t) || (extra && find_field(extra, m->string, &t));
        size_t mark = rci_vctx_push(w->v, m->string);
        if (known)
            walk(w, t, m);
        else if (w->report_unknown)
            rci_v_add(w->v, w->v->path, "FieldValueUnknown", "unknown field");
        rci_vctx_pop(w->v, mark);
    }
}

static const char *type_name(type_ref t)
{
    switch (t.p[0]) {
    case 's': return "string";
    case 'i': return "integer";
    case 'n': return "number";
    case 'b': return "boolean";
    case 'q': return "string";
    case 'x': return "integer-or-string";
    case '[': return "array";
    default: return "object";
    }
}

static bool type_ok(type_ref t, const cJSON *node)
{
    switch (t.p[0]) {
    case 's': return cJSON_IsString(node);
    case 'i': return cJSON_IsNumber(node) && node->valuedouble == (double)(long long)node->valuedouble;
    case 'n': return cJSON_IsNumber(node);
    case 'b': return cJSON_IsBool(node);
    case 'q': return cJSON_IsString(node) || cJSON_IsNumber(node);
    case 'x':
        return cJSON_IsString(node) ||
               (cJSON_IsNumber(node) && node->valuedouble == (double)(long long)node->valuedouble);
    case '*': return true;
    case '[': return cJSON_IsArray(node);
    default: return cJSON_IsObject(node);
    }
}

static void walk(walker *w, type_ref t, const cJSON *node)
{
    if (t.n == 0 || cJSON_IsNull(node) || w->bad)
        return;
    if (!type_ok(t, node)) {
        if (w->find_type_error) {
            w->bad = node;
            w->want = type_name(t);
            memcpy(w->bad_path, w->v->path, sizeof w->bad_path);
        }
        return;
    }
    type_ref inner = {t.p + 1, t.n - 1};
    switch (t.p[0]) {
    case '[': {
        size_t i = 0;
        for (const cJSON *e = node->child; e; e = e->next, i++) {
            size_t mark = rci_vctx_push_index(w->v, i);
            walk(w, inner, e);
            rci_vctx_pop(w->v, mark);
        }
        return;
    }
    case '{':
    case 'm':
        for (const cJSON *e = node->child; e; e = e->next) {
            size_t mark = rci_vctx_push(w->v, e->string);
            walk(w, t.p[0] == 'm' ? (type_ref){"s", 1} : inner, e);
            rci_vctx_pop(w->v, mark);
        }
        return;
    default:
        if (isupper((unsigned char)t.p[0])) {
            const char *desc = struct_fields(t);
            if (desc)
                walk_struct(w, desc, NULL, node);
        }
    }
}

static void walk_root(walker *w, const char *fields, const cJSON *obj)
{
    walk_struct(w, root_fields, fields, obj);
}

/* The JSON type name Go's decoder prints for a value it cannot unmarshal. */
static const char *go_json_type(const cJSON *n)
{
    if (cJSON_IsBool(n)) return "bool";
    if (cJSON_IsString(n)) return "string";
    if (cJSON_IsArray(n)) return "array";
    if (cJSON_IsObject(n)) return "object";
    return "number";
}

int rci_apiserver_decode_check(const rc_resource_info *ri, const cJSON *obj, const cJSON *old, rc_error *err)
{
    const char *fields = kind_fields(ri);
    if (!fields || !cJSON_IsObject(obj))
        return 0;
    rci_vctx v;
    rci_vctx_init(&v, "");
    walker w = {.v = &v, .find_type_error = true, .root = obj, .old = cJSON_IsObject(old) ? old : NULL};
    walk_root(&w, fields, obj);
    int rc = 0;
    if (w.bad) {
        const char *version = ri->version ? ri->version : "v1", *got = go_json_type(w.bad);
        rc = rc_error_set(err, RC_EBADREQUEST,
                          "%s in version \"%s\" cannot be handled as a %s: json: cannot unmarshal %s into Go "
                          "struct field %s.%s of type %s",
                          ri->kind, version, ri->kind, got, ri->kind, w.bad_path, w.want);
        rc_error_add_cause(err, w.bad_path, "FieldValueTypeInvalid", "cannot unmarshal %s into a field of type %s",
                           got, w.want);
    }
    rci_vctx_free(&v);
    return rc;
}

int rci_apiserver_unknown_fields(const rc_resource_info *ri, const cJSON *obj, rc_error *err)
{
    const char *fields = kind_fields(ri);
    if (!fields || !cJSON_IsObject(obj))
        return 0;
    rci_vctx v;
    rci_vctx_init(&v, "");
    walker w = {.v = &v, .report_unknown = true};
    walk_root(&w, fields, obj);
    int rc = 0;
    if (v.oom) {
        rc = rc_error_set(err, RC_ENOMEM, "out of memory while checking fields");
    } else if (v.nerrs > 0) {
        rci_strbuf b;
        rci_strbuf_init(&b);
        rci_strbuf_printf(&b, "%s in version \"%s\" cannot be handled as a %s: strict decoding error: ", ri->kind,
                          ri->version ? ri->version : "v1", ri->kind);
        for (size_t i = 0; i < v.nerrs; i++)
            rci_strbuf_printf(&b, "%sunknown field \"%s\"", i ? ", " : "", v.errs[i].field);
        char *msg = rci_strbuf_take(&b);
        rc = rc_error_set(err, RC_EBADREQUEST, "%s", msg ? msg : "strict decoding error");
        free(msg);
        for (size_t i = 0; i < v.nerrs; i++)
            rc_error_add_cause(err, v.errs[i].field, "FieldValueUnknown", "unknown field \"%s\"", v.errs[i].field);
    }
    rci_vctx_free(&v);
    return rc;
}
