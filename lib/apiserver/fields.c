/* fields.c - which field selectors each kind supports, as upstream's per-kind field label conversion
 * functions: metadata.name and metadata.namespace everywhere, plus a few fields for pods, events, secrets,
 * namespaces, nodes, replicasets, replicationcontrollers, jobs, services and certificatesigningrequests.
 * Any other field is a 400 BadRequest ("field label not supported: spec.foo"). */
#include "apiserver/internal.h"

#include <string.h>

typedef struct field_table {
    const char *group;
    const char *kind;
    const char *const *fields; /* NULL-terminated */
} field_table;

static const char *const pod_fields[] = {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
                                         "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
                                         "status.podIP", "status.nominatedNodeName", NULL};
static const char *const event_fields[] = {"involvedObject.kind", "involvedObject.namespace",
                                           "involvedObject.name", "involvedObject.uid",
                                           "involvedObject.apiVersion", "involvedObject.resourceVersion",
                                           "involvedObject.fieldPath", "reason", "reportingComponent",
                                           "source", "type", NULL};
static const char *const secret_fields[] = {"type", NULL};
static const char *const phase_fields[] = {"status.phase", NULL};
static const char *const node_fields[] = {"spec.unschedulable", NULL};
static const char *const replicas_fields[] = {"status.replicas", NULL};
static const char *const job_fields[] = {"status.successful", NULL};
static const char *const service_fields[] = {"spec.clusterIP", "spec.type", NULL};
static const char *const csr_fields[] = {"spec.signerName", NULL};

static const field_table tables[] = {
    {"", "Pod", pod_fields},
    {"", "Event", event_fields},
    {"events.k8s.io", "Event", event_fields},
    {"", "Secret", secret_fields},
    {"", "Namespace", phase_fields},
    {"", "Node", node_fields},
    {"apps", "ReplicaSet", replicas_fields},
    {"", "ReplicationController", replicas_fields},
    {"batch", "Job", job_fields},
    {"", "Service", service_fields},
    {"certificates.k8s.io", "CertificateSigningRequest", csr_fields},
};

static bool supported(const rc_resource_info *ri, const char *field)
{
    if (!strcmp(field, "metadata.name") || (ri->namespaced && !strcmp(field, "metadata.namespace")))
        return true;
    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++) {
        if (strcmp(tables[t].group, ri->group) || strcmp(tables[t].kind, ri->kind))
            continue;
        for (const char *const *f = tables[t].fields; *f; f++)
            if (!strcmp(*f, field))
                return true;
    }
    return false;
}

rc_field_selector *rci_field_selector_parse(const rc_resource_info *ri, const char *text, rc_error *err)
{
    if (!text || !text[0])
        return NULL;
    rc_field_selector *fs = rc_field_selector_parse(text, err);
    if (!fs)
        return NULL;
    for (size_t i = 0; i < rc_field_selector_count(fs); i++) {
        const char *field = rc_field_selector_field(fs, i);
        if (!supported(ri, field)) {
            rc_error_set(err, RC_EBADREQUEST, "field label not supported: %s", field);
            rc_field_selector_free(fs);
            return NULL;
        }
    }
    return fs;
}
