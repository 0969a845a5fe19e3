/* patch_mergekeys.c - strategic-merge metadata of the built-in kinds: for each Go type on the way to a
 * field carrying a patchStrategy/patchMergeKey struct tag upstream (k8s.io/api core/v1, apps/v1, batch/v1,
 * meta/v1), the fields that lead there. Fields not listed are plain (objects merge, lists are replaced),
 * which is what upstream does for a field without tags. Types are defined leaves first, so every table
 * refers only to tables above it. */
#include "api/patch_internal.h"

#include <string.h>

#define FIELDS(t) t##_fields, sizeof t##_fields / sizeof t##_fields[0]
#define MERGE RCI_SMP_MERGE
#define MERGE_RETAIN (RCI_SMP_MERGE | RCI_SMP_RETAIN_KEYS)

/* ---- meta/v1 ---- */
static const rci_smp_field object_meta_fields[] = {
    {"finalizers", NULL, MERGE, NULL},
    {"ownerReferences", NULL, MERGE, "uid"},
};
static const rci_smp_type object_meta = {"ObjectMeta", FIELDS(object_meta)};

/* Types whose only tagged field is conditions merged by type (metav1.Condition and the per-API
 * condition types alike), e.g. DeploymentStatus, JobStatus, NamespaceStatus. */
static const rci_smp_field conditions_status_fields[] = {
    {"conditions", NULL, MERGE, "type"},
};
static const rci_smp_type conditions_status = {"ConditionsStatus", FIELDS(conditions_status)};

/* ---- core/v1 ---- */
static const rci_smp_field container_fields[] = {
    {"ports", NULL, MERGE, "containerPort"},
    {"env", NULL, MERGE, "name"},
    {"volumeMounts", NULL, MERGE, "mountPath"},
    {"volumeDevices", NULL, MERGE, "devicePath"},
};
static const rci_smp_type container = {"Container", FIELDS(container)};

static const rci_smp_field pod_spec_fields[] = {
    {"volumes", NULL, MERGE_RETAIN, "name"},
    {"initContainers", &container, MERGE, "name"},
    {"containers", &container, MERGE, "name"},
    {"ephemeralContainers", &container, MERGE, "name"},
    {"imagePullSecrets", NULL, MERGE, "name"},
    {"hostAliases", NULL, MERGE, "ip"},
    {"topologySpreadConstraints", NULL, MERGE, "topologyKey"},
    {"schedulingGates", NULL, MERGE, "name"},
    {"resourceClaims", NULL, MERGE_RETAIN, "name"},
};
static const rci_smp_type pod_spec = {"PodSpec", FIELDS(pod_spec)};

static const rci_smp_field pod_status_fields[] = {
    {"conditions", NULL, MERGE, "type"},
    {"podIPs", NULL, MERGE, "ip"},
    {"hostIPs", NULL, MERGE, "ip"},
    {"resourceClaimStatuses", NULL, MERGE_RETAIN, "name"},
};
static const rci_smp_type pod_status = {"PodStatus", FIELDS(pod_status)};

static const rci_smp_field pod_fields[] = {
    {"metadata", &object_meta, 0, NULL},
    {"spec", &pod_spec, 0, NULL},
    {"status", &pod_status, 0, NULL},
};
static const rci_smp_type pod = {"Pod", FIELDS(pod)};

static const rci_smp_field pod_template_spec_fields[] = {
    {"metadata", &object_meta, 0, NULL},
    {"spec", &pod_spec, 0, NULL},
};
static const rci_smp_type pod_template_spec = {"PodTemplateSpec", FIELDS(pod_template_spec)};

static const rci_smp_field pod_template_fields[] = {
    {"metadata", &object_meta, 0, NULL},
    {"template", &pod_template_spec, 0, NULL},
};
static const rci_smp_type pod_template = {"PodTemplate", FIELDS(pod_template)};

/* Specs whose tagged fields all sit in their pod template: ReplicationController, ReplicaSet,
 * StatefulSet (volumeClaimTemplates carry no tag), DaemonSet (updateStrategy carries none), Job. */
static const rci_smp_field template_spec_fields[] = {
    {"template", &pod_template_spec, 0, NULL},
};
static const rci_smp_type template_spec = {"TemplateSpec", FIELDS(template_spec)};

static const rci_smp_field template_kind_fields[] = {
    {"metadata", &object_meta, 0, NULL},
    {"spec", &template_spec, 0, NULL},
    {"status", &conditions_status, 0, NULL},
};
static const rci_smp_type template_kind = {"TemplateKind", FIELDS(template_kind)};

static const rci_smp_field service_spec_fields[] = {
    {"ports", NULL, MERGE, "port"},
};
static const rci_smp_type service_spec = {"ServiceSpec", FIELDS(service_spec)};

static const rci_smp_field service_fields[] = {
    {"metadata", &object_meta, 0, NULL},
    {"spec", &service_spec, 0, NULL},
    {"status", &conditions_status, 0, NULL},
};
static const rci_smp_type service = {"Service", FIELDS(service)};

static const rci_smp_field node_spec_fields[] = {
    {"podCIDRs", NULL, MERGE, NULL},
};
static const rci_smp_type node_spec = {"NodeSpec", FIELDS(node_spec)};

static const rci_smp_field node_status_fields[] = {
    {"conditions", NULL, MERGE, "type"},
    {"addresses", NULL, MERGE, "type"},
};
static const rci_smp_type node_status = {"NodeStatus", FIELDS(node_status)};

static const rci_smp_field node_fields[] = {
    {"metadata", &object_meta, 0, NULL},
    {"spec", &node_spec, 0, NULL},
    {"status", &node_status, 0, NULL},
};
static const rci_smp_type node = {"Node", FIELDS(node)};

static const rci_smp_field service_account_fields[] = {
    {"metadata", &object_meta, 0, NULL},
    {"secrets", NULL, MERGE, "name"},
};
static const rci_smp_type service_account = {"ServiceAccount", FIELDS(service_account)};

/* Kinds with tagged fields only in metadata and status conditions: Namespace, PersistentVolumeClaim, and
 * with none at all in status (the field is then simply unused): ConfigMap, Secret, Endpoints, Event,
 * PersistentVolume, LimitRange, ResourceQuota, ControllerRevision, Scale, Lease... */
static const rci_smp_field plain_kind_fields[] = {
    {"metadata", &object_meta, 0, NULL},
    {"status", &conditions_status, 0, NULL},
};
static const rci_smp_type plain_kind = {"PlainKind", FIELDS(plain_kind)};

/* ---- apps/v1 ---- */
static const rci_smp_field deployment_spec_fields[] = {
    {"template", &pod_template_spec, 0, NULL},
    {"strategy", NULL, RCI_SMP_RETAIN_KEYS, NULL},
};
static const rci_smp_type deployment_spec = {"DeploymentSpec", FIELDS(deployment_spec)};

static const rci_smp_field deployment_fields[] = {
    {"metadata", &object_meta, 0, NULL},
    {"spec", &deployment_spec, 0, NULL},
    {"status", &conditions_status, 0, NULL},
};
static const rci_smp_type deployment = {"Deployment", FIELDS(deployment)};

/* ---- batch/v1 ---- */
static const rci_smp_field job_template_spec_fields[] = {
    {"metadata", &object_meta, 0, NULL},
    {"spec", &template_spec, 0, NULL},
};
static const rci_smp_type job_template_spec = {"JobTemplateSpec", FIELDS(job_template_spec)};

static const rci_smp_field cron_job_spec_fields[] = {
    {"jobTemplate", &job_template_spec, 0, NULL},
};
static const rci_smp_type cron_job_spec = {"CronJobSpec", FIELDS(cron_job_spec)};

static const rci_smp_field cron_job_fields[] = {
    {"metadata", &object_meta, 0, NULL},
    {"spec", &cron_job_spec, 0, NULL},
};
static const rci_smp_type cron_job = {"CronJob", FIELDS(cron_job)};

static const struct {
    const char *api_version;
    const char *kind;
    const rci_smp_type *type;
} kinds[] = {
    {"v1", "Pod", &pod},
    {"v1", "PodTemplate", &pod_template},
    {"v1", "ReplicationController", &template_kind},
    {"v1", "Service", &service},
    {"v1", "Node", &node},
    {"v1", "ServiceAccount", &service_account},
    {"v1", "Namespace", &plain_kind},
    {"v1", "PersistentVolumeClaim", &plain_kind},
    {"v1", "PersistentVolume", &plain_kind},
    {"v1", "ConfigMap", &plain_kind},
    {"v1", "Secret", &plain_kind},
    {"v1", "Endpoints", &plain_kind},
    {"v1", "Event", &plain_kind},
    {"v1", "LimitRange", &plain_kind},
    {"v1", "ResourceQuota", &plain_kind},
    {"apps/v1", "Deployment", &deployment},
    {"apps/v1", "ReplicaSet", &template_kind},
    {"apps/v1", "StatefulSet", &template_kind},
    {"apps/v1", "DaemonSet", &template_kind},
    {"apps/v1", "ControllerRevision", &plain_kind},
    {"batch/v1", "Job", &template_kind},
    {"batch/v1", "CronJob", &cron_job},
    {"autoscaling/v1", "Scale", &plain_kind},
    {"coordination.k8s.io/v1", "Lease", &plain_kind},
    {"policy/v1", "PodDisruptionBudget", &plain_kind},
};

const rci_smp_type *rci_smp_kind_type(const char *api_version, const char *kind)
{
    if (!api_version || !kind)
        return NULL;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].kind, kind) == 0 && strcmp(kinds[i].api_version, api_version) == 0)
            return kinds[i].type;
    return NULL;
}

const rci_smp_field *rci_smp_field_lookup(const rci_smp_type *t, const char *name)
{
    if (!t)
        return NULL;
    for (size_t i = 0; i < t->nfields; i++)
        if (strcmp(t->fields[i].name, name) == 0)
            return &t->fields[i];
    return NULL;
}

bool rc_patch_strategic_supported(const char *api_version, const char *kind)
{
    return rci_smp_kind_type(api_version, kind) != NULL;
}
