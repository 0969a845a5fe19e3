/* test_validation.c - built-in object validation (rci_apiserver_validate) and strict field checking
 * (rci_apiserver_unknown_fields): a table of objects per kind, each run through defaulting and validation
 * as the API server does, with the expected result and upstream's message text; plus the concept notes'
 * typos. JSON in the table uses single quotes for readability. */
#include <reconcile.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/hooks.h"
#include "apiserver/schema.h"
#include "support/sq_json.h"
#include "support/testutil.h"

static rc_registry *registry;

static const rc_resource_info *info_of(const cJSON *obj)
{
    const char *api = cJSON_GetObjectItem(obj, "apiVersion")->valuestring;
    const char *kind = cJSON_GetObjectItem(obj, "kind")->valuestring;
    const rc_resource_info *ri = rc_registry_by_kind(registry, api, kind);
    ck_assert_msg(ri != NULL, "unknown kind %s", kind);
    return ri;
}

#define NS "'namespace':'default'"
#define CTR "{'name':'web','image':'nginx:1.25'}"
#define POD(spec) "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'," NS "},'spec':{" spec "}}"
#define POD_OK POD("'containers':[" CTR "]")
#define TPL(labels, spec) "'template':{'metadata':{'labels':" labels "},'spec':{'containers':[" CTR "]" spec "}}"
#define SEL "'selector':{'matchLabels':{'app':'web'}}"
#define APP "{'app':'web'}"
#define DEPLOY(spec) "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'," NS "},'spec':{" spec "}}"
#define DEPLOY_OK DEPLOY(SEL "," TPL(APP, ""))
#define RS(spec) "{'apiVersion':'apps/v1','kind':'ReplicaSet','metadata':{'name':'web'," NS "},'spec':{" spec "}}"
#define STS(spec) "{'apiVersion':'apps/v1','kind':'StatefulSet','metadata':{'name':'web'," NS "},'spec':{" spec "}}"
#define PVC_TPL "'volumeClaimTemplates':[{'metadata':{'name':'www'},'spec':{'accessModes':['ReadWriteOnce']," \
    "'resources':{'requests':{'storage':'1Gi'}}}}]"
#define STS_OK STS(SEL ",'serviceName':'nginx'," PVC_TPL "," TPL(APP, ""))
#define DS(spec) "{'apiVersion':'apps/v1','kind':'DaemonSet','metadata':{'name':'fluentd'," NS "},'spec':{" spec "}}"
#define JOB_META "'metadata':{'name':'pi'," NS ",'uid':'u-1'}"
#define JOB(spec) "{'apiVersion':'batch/v1','kind':'Job'," JOB_META ",'spec':{" spec "}}"
#define JOB_TPL(rp) "'template':{'spec':{'containers':[{'name':'pi','image':'perl'}]" rp "}}"
#define CRON(name, spec) "{'apiVersion':'batch/v1','kind':'CronJob','metadata':{'name':'" name "'," NS "}," \
    "'spec':{" spec "}}"
#define CRON_JT "'jobTemplate':{'spec':{" JOB_TPL(",'restartPolicy':'OnFailure'") "}}"
#define SVC(name, spec) "{'apiVersion':'v1','kind':'Service','metadata':{'name':'" name "'," NS "},'spec':{" spec "}}"
#define CM(data) "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'cm'," NS "}," data "}"
#define SECRET(data) "{'apiVersion':'v1','kind':'Secret','metadata':{'name':'s'," NS "}," data "}"
#define RBAC "'apiVersion':'rbac.authorization.k8s.io/v1'"
#define ROLE(rules) "{" RBAC ",'kind':'Role','metadata':{'name':'example-role'," NS "},'rules':" rules "}"
#define RB(body) "{" RBAC ",'kind':'RoleBinding','metadata':{'name':'rb'," NS "}," body "}"
#define CRB(body) "{" RBAC ",'kind':'ClusterRoleBinding','metadata':{'name':'crb'}," body "}"
#define REF "'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'Role','name':'example-role'}"
#define CRD(name, spec) "{'apiVersion':'apiextensions.k8s.io/v1','kind':'CustomResourceDefinition'," \
    "'metadata':{'name':'" name "'},'spec':{" spec "}}"
#define CRD_NAMES "'names':{'plural':'networks','kind':'Network'}"
#define CRD_VER(name, storage) "{'name':'" name "','served':true,'storage':" storage ",'schema':" \
    "{'openAPIV3Schema':{'type':'object'}}}"
#define CRD_OK CRD("networks.samplecrd.k8s.io", "'group':'samplecrd.k8s.io'," CRD_NAMES ",'scope':'Namespaced'," \
    "'versions':[" CRD_VER("v1", "true") "]")

/* A claim with metadata extras `meta` and spec members `spec` (each ending in a comma) before the rest. */
#define PVC(meta, spec)                                                                                         \
    "{'apiVersion':'v1','kind':'PersistentVolumeClaim','metadata':{'name':'c'," NS meta "},'spec':{" spec      \
    "'accessModes':['ReadWriteOnce'],'resources':{'requests':{'storage':'1Gi'}}}}"

typedef struct vcase {
    const char *obj;
    const char *old; /* NULL for create */
    int rc;
    const char *message; /* a substring of err.message (or the whole message when exact) */
    bool exact;
} vcase;

static const vcase cases[] = {
    /* ---- Pod ---- */
    {POD_OK, NULL, 0, NULL, false},
    {POD(""), NULL, RC_EINVAL, "Pod \"p\" is invalid: spec.containers: Required value", true},
    {POD("'containers':[" CTR "],'restartPolicy':'Nerver'"), NULL, RC_EINVAL,
     "Pod \"p\" is invalid: spec.restartPolicy: Unsupported value: \"Nerver\": supported values: \"Always\", "
     "\"Never\", \"OnFailure\"", true},
    {POD("'containers':[" CTR "," CTR "]"), NULL, RC_EINVAL, "spec.containers[1].name: Duplicate value: \"web\"", false},
    {POD("'containers':[{'name':'Web_1','image':'x'}]"), NULL, RC_EINVAL,
     "spec.containers[0].name: Invalid value: \"Web_1\": a lowercase RFC 1123 label must consist of lower case "
     "alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "
     "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')", false},
    {POD("'containers':[{'name':'web'}]"), NULL, RC_EINVAL, "spec.containers[0].image: Required value", false},
    {POD("'containers':[{'name':'web','image':'x','ports':[{'containerPort':70000}]}]"), NULL, RC_EINVAL,
     "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive", false},
    {POD("'containers':[{'name':'web','image':'x','ports':[{'containerPort':80,'protocol':'tcp'}]}]"), NULL, RC_EINVAL,
     "spec.containers[0].ports[0].protocol: Unsupported value: \"tcp\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
     false},
    {POD("'containers':[{'name':'web','image':'x','ports':[{'name':'http','containerPort':80},"
         "{'name':'http','containerPort':81}]}]"),
     NULL, RC_EINVAL, "spec.containers[0].ports[1].name: Duplicate value: \"http\"", false},
    {POD("'containers':[{'name':'web','image':'x','resources':{'limits':{'cpu':'abc'}}}]"), NULL, RC_EINVAL,
     "spec.containers[0].resources.limits[cpu]: Invalid value: \"abc\": quantities must match the regular "
     "expression", false},
    {POD("'containers':[{'name':'web','image':'x','resources':{'limits':{'cpu':'1'},'requests':{'cpu':'2'}}}]"), NULL,
     RC_EINVAL, "spec.containers[0].resources.requests[cpu]: Invalid value: \"2\": must be less than or equal to cpu "
     "limit of 1", false},
    {POD("'containers':[{'name':'web','image':'x','resources':{'requests':{'memory':'-1Mi'}}}]"), NULL, RC_EINVAL,
     "resources.requests[memory]: Invalid value: \"-1Mi\": must be greater than or equal to 0", false},
    {POD("'containers':[{'name':'web','image':'x','volumeMounts':[{'name':'data','mountPath':'/d'}]}]"), NULL,
     RC_EINVAL, "spec.containers[0].volumeMounts[0].name: Not found: \"data\"", false},
    {POD("'containers':[{'name':'web','image':'x','volumeMounts':[{'name':'data'}]}],'volumes':[{'name':'data'}]"),
     NULL, RC_EINVAL, "spec.containers[0].volumeMounts[0].mountPath: Required value", false},
    {POD("'containers':[" CTR "],'volumes':[{'name':'data'},{'name':'data'}]"), NULL, RC_EINVAL,
     "spec.volumes[1].name: Duplicate value: \"data\"", false},
    {POD("'containers':[" CTR "],'volumes':[{'name':'d','emptyDir':{},'hostPath':{'path':'/x'}}]"), NULL, RC_EINVAL,
     "spec.volumes[0]: Forbidden: may not specify more than 1 volume type", false},
    {POD("'containers':[" CTR "],'tolerations':[{'key':'k','operator':'Equals'}]"), NULL, RC_EINVAL,
     "spec.tolerations[0].operator: Unsupported value: \"Equals\": supported values: \"Equal\", \"Exists\"", false},
    {POD("'containers':[" CTR "],'tolerations':[{'key':'k','operator':'Exists','effect':'NoExec'}]"), NULL, RC_EINVAL,
     "spec.tolerations[0].effect: Unsupported value: \"NoExec\": supported values: \"NoSchedule\", "
     "\"PreferNoSchedule\", \"NoExecute\"", false},
    {POD("'containers':[" CTR "],'tolerations':[{'key':'k','operator':'Exists','effect':'NoSchedule',"
         "'tolerationSeconds':5}]"),
     NULL, RC_EINVAL, "spec.tolerations[0].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when "
     "`tolerationSeconds` is set", false},
    {POD("'containers':[" CTR "],'tolerations':[{'key':'k','operator':'Exists','value':'v'}]"), NULL, RC_EINVAL,
     "spec.tolerations[0].operator: Invalid value: \"v\": value must be empty when `operator` is 'Exists'", false},
    {POD("'containers':[" CTR "],'tolerations':[{'operator':'Equal','value':'v'}]"), NULL, RC_EINVAL,
     "operator must be Exists when `key` is empty", false},
    {POD("'containers':[" CTR "],'dnsPolicy':'Cluster'"), NULL, RC_EINVAL,
     "spec.dnsPolicy: Unsupported value: \"Cluster\": supported values: \"ClusterFirst\", \"ClusterFirstWithHostNet\", "
     "\"Default\", \"None\"", false},
    {POD("'containers':[" CTR "],'activeDeadlineSeconds':0"), NULL, RC_EINVAL,
     "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive", false},
    {POD("'containers':[{'name':'web','image':'x','env':[{'name':'1ABC','value':'v'}]}]"), NULL, RC_EINVAL,
     "spec.containers[0].env[0].name: Invalid value: \"1ABC\": a valid environment variable name", false},
    {POD("'containers':[{'name':'web','image':'x','livenessProbe':{'periodSeconds':5}}]"), NULL, RC_EINVAL,
     "spec.containers[0].livenessProbe: Required value: must specify a handler type", false},
    {POD("'containers':{'name':'web'}"), NULL, RC_EBADREQUEST,
     "Pod in version \"v1\" cannot be handled as a Pod: json: cannot unmarshal object into Go struct field "
     "Pod.spec.containers of type array", true},
    {"{'apiVersion':'v1','kind':'Pod','metadata':{'name':'Web'," NS "},'spec':{'containers':[" CTR "]}}", NULL,
     RC_EINVAL, "metadata.name: Invalid value: \"Web\": a lowercase RFC 1123 subdomain must consist of", false},
    {"{'apiVersion':'v1','kind':'Pod','metadata':{" NS "},'spec':{'containers':[" CTR "]}}", NULL, RC_EINVAL,
     "metadata.name: Required value: name or generateName is required", false},
    {"{'apiVersion':'v1','kind':'Pod','metadata':{'generateName':'web-'," NS "},'spec':{'containers':[" CTR "]}}",
     NULL, 0, NULL, false},
    {"{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':{'containers':[" CTR "]}}", NULL, RC_EINVAL,
     "metadata.namespace: Required value", false},
    {"{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'," NS ",'labels':{'bad key':'v'}},'spec':{'containers':["
     CTR "]}}", NULL, RC_EINVAL, "metadata.labels: Invalid value: \"bad key\"", false},
    {"{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'," NS ",'labels':{'app':'-bad-'}},'spec':{'containers':["
     CTR "]}}", NULL, RC_EINVAL, "metadata.labels: Invalid value: \"-bad-\"", false},
    {"{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'," NS ",'finalizers':['orphan','foregroundDeletion']},"
     "'spec':{'containers':[" CTR "]}}", NULL, RC_EINVAL,
     "finalizer orphan and foregroundDeletion cannot be both set", false},
    {"{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'," NS ",'ownerReferences':[{'apiVersion':'apps/v1',"
     "'kind':'ReplicaSet','name':'rs','uid':'1','controller':true},{'apiVersion':'apps/v1','kind':'ReplicaSet',"
     "'name':'rs2','uid':'2','controller':true}]},'spec':{'containers':[" CTR "]}}", NULL, RC_EINVAL,
     "Only one reference can have Controller set to true", false},
    /* Pod updates */
    {POD("'containers':[{'name':'app','image':'nginx:1.25'}]"), POD_OK, RC_EINVAL,
     "spec: Forbidden: pod updates may not change fields other than", false},
    {POD("'containers':[{'name':'web','image':'nginx:1.26'}]"), POD_OK, 0, NULL, false},
    {POD("'containers':[" CTR "],'nodeName':'node-1'"), POD_OK, 0, NULL, false},
    {POD("'containers':[" CTR "],'nodeName':'node-2'"), POD("'containers':[" CTR "],'nodeName':'node-1'"), RC_EINVAL,
     "spec: Forbidden: pod updates may not change fields other than", false},
    {POD("'containers':[" CTR "],'activeDeadlineSeconds':5,'tolerations':[{'operator':'Exists'}]"), POD_OK, 0, NULL,
     false},
    {POD("'initContainers':[{'name':'init','image':'b'}],'containers':[{'name':'web','image':'nginx:1.26'}]"),
     POD("'containers':[" CTR "],'initContainers':[{'name':'init','image':'a'}]"), 0, NULL, false},
    {POD("'containers':[{'name':'web','image':'nginx:1.26','args':['x']}]"), POD_OK, RC_EINVAL,
     "spec: Forbidden: pod updates may not change fields other than", false},
    {POD("'containers':[" CTR ",{'name':'side','image':'x'}]"), POD_OK, RC_EINVAL,
     "spec: Forbidden: pod updates may not change fields other than", false},
    {POD("'containers':[" CTR "],'restartPolicy':'Never'"), POD_OK, RC_EINVAL,
     "spec: Forbidden: pod updates may not change fields other than", false},
    {"{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'," NS ",'uid':'b'},'spec':{'containers':[" CTR "]}}",
     "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'," NS ",'uid':'a'},'spec':{'containers':[" CTR "]}}",
     RC_EINVAL, "metadata.uid: Invalid value: \"b\": field is immutable", false},

    /* ---- Deployment ---- */
    {DEPLOY_OK, NULL, 0, NULL, false},
    {DEPLOY("'replicas':-1," SEL "," TPL(APP, "")), NULL, RC_EINVAL,
     "Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0", true},
    /* a wrong JSON type is a decode error (400), as upstream's `json: cannot unmarshal string into Go struct
     * field DeploymentSpec.spec.replicas of type int32` */
    {DEPLOY("'replicas':'three'," SEL "," TPL(APP, "")), NULL, RC_EBADREQUEST,
     "Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct "
     "field Deployment.spec.replicas of type integer", true},
    {DEPLOY(TPL(APP, "")), NULL, RC_EINVAL, "Deployment.apps \"web\" is invalid: spec.selector: Required value", true},
    {DEPLOY(SEL "," TPL("{'app':'other'}", "")), NULL, RC_EINVAL,
     "Deployment.apps \"web\" is invalid: spec.template.metadata.labels: Invalid value: "
     "map[string]string{\"app\":\"other\"}: `selector` does not match template `labels`", true},
    /* the notes' `label:` typo inside the template leaves the template without labels */
    {DEPLOY(SEL ",'template':{'metadata':{'label':{'app':'web'}},'spec':{'containers':[" CTR "]}}"), NULL, RC_EINVAL,
     "spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template "
     "`labels`", false},
    {DEPLOY("'selector':{}," TPL(APP, "")), NULL, RC_EINVAL, "spec.selector: Invalid value: "
     "&LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{},}: empty selector "
     "is invalid for deployment", false},
    {DEPLOY("'selector':{'matchExpressions':[{'key':'app','operator':'Equals','values':['web']}]}," TPL(APP, "")), NULL,
     RC_EINVAL, "spec.selector.matchExpressions[0].operator: Invalid value: \"Equals\": not a valid selector operator",
     false},
    {DEPLOY("'selector':{'matchExpressions':[{'key':'app','operator':'In'}]}," TPL(APP, "")), NULL, RC_EINVAL,
     "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or "
     "'NotIn'", false},
    {DEPLOY(SEL ",'strategy':{'rollingUpdate':{'maxSurge':'abc'}}," TPL(APP, "")), NULL, RC_EINVAL,
     "spec.strategy.rollingUpdate.maxSurge: Invalid value: \"abc\": a valid percent string must be a numeric string "
     "followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')", false},
    {DEPLOY(SEL ",'strategy':{'rollingUpdate':{'maxSurge':0,'maxUnavailable':0}}," TPL(APP, "")), NULL, RC_EINVAL,
     "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0", false},
    {DEPLOY(SEL ",'strategy':{'rollingUpdate':{'maxSurge':'0%','maxUnavailable':'0%'}}," TPL(APP, "")), NULL, RC_EINVAL,
     "may not be 0 when `maxSurge` is 0", false},
    {DEPLOY(SEL ",'strategy':{'rollingUpdate':{'maxUnavailable':'150%'}}," TPL(APP, "")), NULL, RC_EINVAL,
     "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: \"150%\": must not be greater than 100%", false},
    {DEPLOY(SEL ",'strategy':{'type':'Rolling'}," TPL(APP, "")), NULL, RC_EINVAL,
     "spec.strategy.type: Unsupported value: \"Rolling\": supported values: \"Recreate\", \"RollingUpdate\"", false},
    {DEPLOY(SEL ",'strategy':{'type':'Recreate','rollingUpdate':{'maxSurge':1}}," TPL(APP, "")), NULL, RC_EINVAL,
     "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'", false},
    {DEPLOY(SEL "," TPL(APP, ",'restartPolicy':'Never'")), NULL, RC_EINVAL,
     "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"", false},
    {DEPLOY(SEL ",'minReadySeconds':700," TPL(APP, "")), NULL, RC_EINVAL,
     "spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds", false},
    {DEPLOY("'replicas':-1,'revisionHistoryLimit':-2," SEL "," TPL(APP, "")), NULL, RC_EINVAL,
     "Deployment.apps \"web\" is invalid: [spec.replicas: Invalid value: -1: must be greater than or equal to 0, "
     "spec.revisionHistoryLimit: Invalid value: -2: must be greater than or equal to 0]", true},
    {DEPLOY("'selector':{'matchLabels':{'app':'web','tier':'fe'}}," TPL("{'app':'web','tier':'fe'}", "")), DEPLOY_OK,
     RC_EINVAL, "spec.selector: Invalid value: {\"matchLabels\":{\"app\":\"web\",\"tier\":\"fe\"}}: field is "
     "immutable", false},
    {DEPLOY("'replicas':5," SEL "," TPL(APP, "")), DEPLOY_OK, 0, NULL, false},

    /* ---- ReplicaSet ---- */
    {RS(SEL "," TPL(APP, "")), NULL, 0, NULL, false},
    {RS(SEL "," TPL("{'app':'x'}", "")), NULL, RC_EINVAL, "`selector` does not match template `labels`", false},
    {RS("'selector':{'matchLabels':{'app':'x'}}," TPL("{'app':'x'}", "")), RS(SEL "," TPL(APP, "")), RC_EINVAL,
     "spec.selector: Invalid value", false},

    /* ---- StatefulSet ---- */
    {STS_OK, NULL, 0, NULL, false},
    {STS(SEL ",'podManagementPolicy':'Serial'," TPL(APP, "")), NULL, RC_EINVAL,
     "spec.podManagementPolicy: Unsupported value: \"Serial\": supported values: \"OrderedReady\", \"Parallel\"", false},
    {STS(SEL ",'updateStrategy':{'type':'OnDelete','rollingUpdate':{'partition':1}}," TPL(APP, "")), NULL, RC_EINVAL,
     "spec.updateStrategy.rollingUpdate: Invalid value: &apps.RollingUpdateStatefulSetStrategy{...}: only allowed for "
     "updateStrategy 'RollingUpdate'", false},
    {STS(SEL ",'updateStrategy':{'rollingUpdate':{'partition':-1}}," TPL(APP, "")), NULL, RC_EINVAL,
     "spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0", false},
    {STS(SEL ",'volumeClaimTemplates':[{'metadata':{'name':'www'},'spec':{}}]," TPL(APP, "")), NULL, RC_EINVAL,
     "spec.volumeClaimTemplates[0].spec.accessModes: Required value: at least 1 access mode is required", false},
    {STS(SEL ",'serviceName':'other'," PVC_TPL "," TPL(APP, "")), STS_OK, RC_EINVAL,
     "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
     "'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are "
     "forbidden", false},
    {STS("'replicas':3," SEL ",'serviceName':'nginx'," PVC_TPL "," TPL(APP, "")), STS_OK, 0, NULL, false},
    {STS(SEL ",'serviceName':'nginx','podManagementPolicy':'Parallel'," PVC_TPL "," TPL(APP, "")), STS_OK, RC_EINVAL,
     "updates to statefulset spec for fields other than", false},

    /* ---- DaemonSet ---- */
    {DS(SEL "," TPL(APP, "")), NULL, 0, NULL, false},
    {DS(SEL ",'updateStrategy':{'rollingUpdate':{'maxUnavailable':0}}," TPL(APP, "")), NULL, RC_EINVAL,
     "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0", false},
    {DS(SEL ",'updateStrategy':{'type':'Rolling'}," TPL(APP, "")), NULL, RC_EINVAL,
     "spec.updateStrategy.type: Unsupported value: \"Rolling\": supported values: \"OnDelete\", \"RollingUpdate\"",
     false},
    {DS("'selector':{'matchLabels':{'app':'x'}}," TPL("{'app':'x'}", "")), DS(SEL "," TPL(APP, "")), RC_EINVAL,
     "spec.selector: Invalid value", false},

    /* ---- Job ---- */
    {JOB(JOB_TPL(",'restartPolicy':'Never'")), NULL, 0, NULL, false},
    {JOB(JOB_TPL(",'restartPolicy':'Nerver'") ",'backoffLimit':4"), NULL, RC_EINVAL,
     "Job.batch \"pi\" is invalid: spec.template.spec.restartPolicy: Unsupported value: \"Nerver\": supported values: "
     "\"OnFailure\", \"Never\"", true},
    {JOB(JOB_TPL("")), NULL, RC_EINVAL,
     "spec.template.spec.restartPolicy: Unsupported value: \"\": supported values: \"OnFailure\", \"Never\"", false},
    {JOB(JOB_TPL(",'restartPolicy':'Always'")), NULL, RC_EINVAL,
     "spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\"",
     false},
    {JOB("'parallelism':-1," JOB_TPL(",'restartPolicy':'Never'")), NULL, RC_EINVAL,
     "spec.parallelism: Invalid value: -1: must be greater than or equal to 0", false},
    {JOB("'backoffLimit':-1," JOB_TPL(",'restartPolicy':'Never'")), NULL, RC_EINVAL,
     "spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0", false},
    {JOB("'parallelism':2,'completionMode':'Indexed'," JOB_TPL(",'restartPolicy':'Never'")), NULL, RC_EINVAL,
     "spec.completions: Required value: when completion mode is Indexed", false},
    {JOB("'completionMode':'Sometimes'," JOB_TPL(",'restartPolicy':'Never'")), NULL, RC_EINVAL,
     "spec.completionMode: Unsupported value: \"Sometimes\": supported values: \"NonIndexed\", \"Indexed\"", false},
    {JOB("'manualSelector':true," JOB_TPL(",'restartPolicy':'Never'")), NULL, RC_EINVAL, "spec.selector: Required value",
     false},
    {JOB("'template':{'spec':{'containers':[{'name':'pi','image':'perl:2'}],'restartPolicy':'Never'}}"),
     JOB(JOB_TPL(",'restartPolicy':'Never'")), RC_EINVAL, "spec.template: Invalid value:", false},
    {JOB("'parallelism':'two'," JOB_TPL(",'restartPolicy':'Never'")), NULL, RC_EBADREQUEST,
     "json: cannot unmarshal string into Go struct field Job.spec.parallelism of type integer", false},

    /* ---- CronJob ---- */
    {CRON("hello", "'schedule':'*/1 * * * *'," CRON_JT), NULL, 0, NULL, false},
    {CRON("hello", "'schedule':'@hourly'," CRON_JT), NULL, 0, NULL, false},
    {CRON("hello", CRON_JT), NULL, RC_EINVAL, "spec.schedule: Required value", false},
    {CRON("hello", "'schedule':'TZ=UTC 0 * * * *'," CRON_JT), NULL, RC_EINVAL,
     "spec.schedule: Invalid value: \"TZ=UTC 0 * * * *\": cannot use TZ or CRON_TZ in schedule, use timeZone field "
     "instead", false},
    {CRON("hello", "'schedule':'* * * *'," CRON_JT), NULL, RC_EINVAL,
     "spec.schedule: Invalid value: \"* * * *\": expected exactly 5 fields, found 4: [* * * *]", false},
    {CRON("hello", "'schedule':'@fortnightly'," CRON_JT), NULL, RC_EINVAL, "unrecognized descriptor: @fortnightly",
     false},
    {CRON("hello", "'schedule':'0 * * * *','concurrencyPolicy':'Sometimes'," CRON_JT), NULL, RC_EINVAL,
     "spec.concurrencyPolicy: Unsupported value: \"Sometimes\": supported values: \"Allow\", \"Forbid\", \"Replace\"",
     false},
    {CRON("a-very-long-cronjob-name-that-is-longer-than-fifty-two-chars", "'schedule':'0 * * * *'," CRON_JT), NULL,
     RC_EINVAL, "metadata.name: Invalid value: \"a-very-long-cronjob-name-that-is-longer-than-fifty-two-chars\": must "
     "be no more than 52 characters", false},
    {CRON("hello", "'schedule':'0 * * * *','jobTemplate':{'spec':" "{" JOB_TPL(",'restartPolicy':'Always'") "}}"),
     NULL, RC_EINVAL, "spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: \"Always\"", false},

    /* ---- Service ---- */
    {SVC("nginx", "'selector':{'app':'nginx'},'ports':[{'port':80,'name':'web'}]"), NULL, 0, NULL, false},
    {SVC("nginx", "'clusterIP':'None','selector':{'app':'nginx'}"), NULL, 0, NULL, false},
    {SVC("1nginx", "'ports':[{'port':80}]"), NULL, RC_EINVAL,
     "metadata.name: Invalid value: \"1nginx\": a DNS-1035 label must consist of lower case alphanumeric characters "
     "or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
     "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')", false},
    {SVC("nginx", "'ports':[{'port':0}]"), NULL, RC_EINVAL,
     "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive", false},
    {SVC("nginx", "'ports':[{'port':80},{'port':81}]"), NULL, RC_EINVAL, "spec.ports[0].name: Required value", false},
    {SVC("nginx", "'ports':[{'port':80,'name':'a'},{'port':81,'name':'a'}]"), NULL, RC_EINVAL,
     "spec.ports[1].name: Duplicate value: \"a\"", false},
    {SVC("nginx", "'type':'Cluster','ports':[{'port':80}]"), NULL, RC_EINVAL,
     "spec.type: Unsupported value: \"Cluster\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", "
     "\"NodePort\"", false},
    {SVC("nginx", "'clusterIP':'10.0.0.300','ports':[{'port':80}]"), NULL, RC_EINVAL,
     "spec.clusterIP: Invalid value: \"10.0.0.300\": must be a valid IP address", false},
    {SVC("nginx", "'ports':[{'port':80,'nodePort':30080}]"), NULL, RC_EINVAL,
     "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'", false},
    {SVC("nginx", "'sessionAffinity':'Sticky','ports':[{'port':80}]"), NULL, RC_EINVAL,
     "spec.sessionAffinity: Unsupported value: \"Sticky\"", false},
    {SVC("nginx", "'ports':[]"), NULL, RC_EINVAL, "spec.ports: Required value", false},
    {SVC("nginx", "'clusterIP':'10.0.0.6','ports':[{'port':80}]"), SVC("nginx", "'clusterIP':'10.0.0.5','ports':[{'port':80}]"),
     RC_EINVAL, "spec.clusterIP: Invalid value: \"10.0.0.6\": field is immutable", false},

    /* ---- ConfigMap, Secret, Namespace ---- */
    {CM("'data':{'game.properties':'x'}"), NULL, 0, NULL, false},
    {CM("'data':{'bad key':'x'}"), NULL, RC_EINVAL,
     "data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' "
     "or '.'", false},
    {CM("'data':{'k':'x'},'binaryData':{'k':'eA=='}"), NULL, RC_EINVAL,
     "data[k]: Invalid value: \"k\": duplicate of key present in binaryData", false},
    {CM("'immutable':true,'data':{'k':'y'}"), CM("'immutable':true,'data':{'k':'x'}"), RC_EINVAL,
     "data: Forbidden: field is immutable when `immutable` is set", false},
    {SECRET("'data':{'password':'not base64!'}"), NULL, RC_EINVAL, "data[password]: Invalid value", false},
    {SECRET("'type':'kubernetes.io/tls','data':{}"), NULL, RC_EINVAL, "data[tls.crt]: Required value", false},
    {SECRET("'type':'Other','data':{}"), SECRET("'type':'Opaque','data':{}"), RC_EINVAL,
     "type: Invalid value: \"Other\": field is immutable", false},
    {"{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'My_NS'}}", NULL, RC_EINVAL,
     "Namespace \"My_NS\" is invalid: metadata.name: Invalid value: \"My_NS\": a lowercase RFC 1123 label", false},
    {"{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'mynamespace','namespace':'default'}}", NULL, RC_EINVAL,
     "metadata.namespace: Forbidden: not allowed on this type", false},
    {"{'apiVersion':'v1','kind':'PersistentVolumeClaim','metadata':{'name':'c'," NS "},'spec':{'accessModes':"
     "['ReadWriteOnce']}}", NULL, RC_EINVAL, "spec.resources[storage]: Required value", false},
    /* a claim without a class may be given one later (the retroactive default), but not change it, and not
     * when the beta annotation names its class */
    {PVC("", "'storageClassName':'standard',"), PVC("", ""), 0, NULL, false},
    {PVC("", "'storageClassName':'standard',"), PVC("", "'storageClassName':null,"), 0, NULL, false},
    {PVC("", "'storageClassName':'fast',"), PVC("", "'storageClassName':'standard',"), RC_EINVAL,
     "spec: Forbidden: spec is immutable after creation", false},
    {PVC("", "'storageClassName':'',"), PVC("", "'storageClassName':'standard',"), RC_EINVAL,
     "spec: Forbidden: spec is immutable after creation", false},
    {PVC(",'annotations':{'volume.beta.kubernetes.io/storage-class':'slow'}", "'storageClassName':'standard',"),
     PVC(",'annotations':{'volume.beta.kubernetes.io/storage-class':'slow'}", ""), RC_EINVAL,
     "spec: Forbidden: spec is immutable after creation", false},

    /* ---- RBAC ---- */
    {ROLE("[{'apiGroups':[''],'resources':['pods'],'verbs':['get','watch','list']},{'apiGroups':[''],'resources':"
          "['configmaps'],'resourceNames':['my-config'],'verbs':['get']}]"),
     NULL, 0, NULL, false},
    {ROLE("[{'nonResourceURLs':['/healthz'],'verbs':['get']}]"), NULL, RC_EINVAL,
     "rules[0].nonResourceURLs: Invalid value: [\"/healthz\"]: namespaced rules cannot apply to non-resource URLs",
     false},
    {ROLE("[{'apiGroups':[''],'resources':['pods']}]"), NULL, RC_EINVAL,
     "rules[0].verbs: Required value: verbs must contain at least one value", false},
    {ROLE("[{'verbs':['get']}]"), NULL, RC_EINVAL,
     "rules[0].apiGroups: Required value: resource rules must supply at least one api group", false},
    {RB("'subjects':[{'kind':'User','name':'example-user','apiGroup':'rbac.authorization.k8s.io'}]," REF), NULL, 0,
     NULL, false},
    /* the notes write roleRef as a list */
    {RB("'subjects':[{'kind':'User','name':'example-user'}],'roleRef':[{'kind':'Role','name':'example-role'}]"), NULL,
     RC_EBADREQUEST, "cannot unmarshal array into Go struct field RoleBinding.roleRef of type object", false},
    {RB("'subjects':[{'kind':'User','name':'u'}],'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'Rol',"
        "'name':'r'}"),
     NULL, RC_EINVAL, "roleRef.kind: Unsupported value: \"Rol\": supported values: \"Role\", \"ClusterRole\"", false},
    {RB("'subjects':[{'kind':'Robot','name':'u'}]," REF), NULL, RC_EINVAL,
     "subjects[0].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\"", false},
    {CRB("'subjects':[{'kind':'ServiceAccount','name':'sa'}],'roleRef':{'apiGroup':'rbac.authorization.k8s.io',"
         "'kind':'ClusterRole','name':'view'}"),
     NULL, RC_EINVAL, "subjects[0].namespace: Required value", false},
    {RB("'subjects':[]," "'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'ClusterRole','name':'view'}"),
     RB("'subjects':[]," REF), RC_EINVAL, "cannot change roleRef", false},

    /* ---- CustomResourceDefinition ---- */
    {CRD_OK, NULL, 0, NULL, false},
    {CRD("networks.samplecrd.k8s.io", "'group':'samplecrd.k8s.io'," CRD_NAMES ",'scope':'Namespaced','versions':["
         CRD_VER("v1", "true") "," CRD_VER("v2", "true") "]"),
     NULL, RC_EINVAL, "spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{...}: must have "
     "exactly one version marked as storage version", false},
    {CRD("nets.samplecrd.k8s.io", "'group':'samplecrd.k8s.io'," CRD_NAMES ",'scope':'Namespaced','versions':["
         CRD_VER("v1", "true") "]"),
     NULL, RC_EINVAL, "metadata.name: Invalid value: \"nets.samplecrd.k8s.io\": must be spec.names.plural+\".\"+spec.group",
     false},
    {CRD("networks.samplecrd", "'group':'samplecrd'," CRD_NAMES ",'scope':'Namespaced','versions':[" CRD_VER("v1", "true")
         "]"),
     NULL, RC_EINVAL, "spec.group: Invalid value: \"samplecrd\": should be a domain with at least one dot", false},
    {CRD("networks.samplecrd.k8s.io", "'group':'samplecrd.k8s.io'," CRD_NAMES ",'scope':'Global','versions':["
         CRD_VER("v1", "true") "]"),
     NULL, RC_EINVAL, "spec.scope: Unsupported value: \"Global\": supported values: \"Cluster\", \"Namespaced\"", false},
    {CRD("networks.samplecrd.k8s.io", "'group':'samplecrd.k8s.io'," CRD_NAMES ",'scope':'Namespaced','versions':["
         "{'name':'v1','served':true,'storage':true,'schema':{'openAPIV3Schema':{'type':'object','properties':{'spec':"
         "{'type':'strin'}}}}}]"),
     NULL, RC_EINVAL, "spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Unsupported value: \"strin\"",
     false},
    {CRD("networks.samplecrd.k8s.io", "'group':'samplecrd.k8s.io'," CRD_NAMES ",'scope':'Namespaced','versions':["
         "{'name':'v1','served':true,'storage':true}]"),
     NULL, RC_EINVAL, "spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required", false},
};

START_TEST(validation_table)
{
    const vcase *c = &cases[_i];
    cJSON *obj = json(c->obj);
    cJSON *old = c->old ? json(c->old) : NULL;
    const rc_resource_info *ri = info_of(obj);
    rci_apiserver_default(ri, obj);
    if (old)
        rci_apiserver_default(ri, old);
    rc_error err = {0};
    int rc = rci_apiserver_validate(ri, obj, old, &err);
    ck_assert_msg(rc == c->rc, "case %d: rc %d, want %d (%s)", _i, rc, c->rc, err.message ? err.message : "");
    if (c->rc != 0) {
        ck_assert_int_eq(err.http_status, c->rc == RC_EBADREQUEST ? 400 : 422);
        ck_assert_str_eq(err.reason, c->rc == RC_EBADREQUEST ? "BadRequest" : "Invalid");
        ck_assert_uint_ge(err.ncauses, 1);
        ck_assert_ptr_nonnull(err.causes[0].field);
        ck_assert_ptr_nonnull(err.causes[0].reason);
        if (c->exact)
            ck_assert_str_eq(err.message, c->message);
        else
            ck_assert_msg(strstr(err.message, c->message), "case %d: message\n  %s\nlacks\n  %s", _i, err.message,
                          c->message);
    }
    rc_error_clear(&err);
    cJSON_Delete(obj);
    cJSON_Delete(old);
}
END_TEST

START_TEST(causes_carry_field_and_reason)
{
    cJSON *obj = json(DEPLOY("'replicas':-1," SEL "," TPL("{'app':'other'}", ",'restartPolicy':'Never'")));
    const rc_resource_info *ri = info_of(obj);
    rc_error err = {0};
    ck_assert_int_eq(rci_apiserver_validate(ri, obj, NULL, &err), RC_EINVAL);
    ck_assert_uint_eq(err.ncauses, 3);
    ck_assert_str_eq(err.causes[0].field, "spec.replicas");
    ck_assert_str_eq(err.causes[0].reason, "FieldValueInvalid");
    ck_assert_str_eq(err.causes[0].message, "Invalid value: -1: must be greater than or equal to 0");
    ck_assert_str_eq(err.causes[1].field, "spec.template.metadata.labels");
    ck_assert_str_eq(err.causes[2].field, "spec.template.spec.restartPolicy");
    ck_assert_str_eq(err.causes[2].reason, "FieldValueNotSupported");
    ck_assert_ptr_eq(strchr(err.message, '['), strstr(err.message, "[spec.replicas"));
    rc_error_clear(&err);
    /* bad arguments are rejected, not crashed on */
    ck_assert_int_eq(rci_apiserver_validate(ri, NULL, NULL, &err), RC_EBADREQUEST);
    rc_error_clear(&err);
    ck_assert_int_eq(rci_apiserver_validate(NULL, obj, NULL, NULL), RC_EBADREQUEST);
    cJSON_Delete(obj);
}
END_TEST

/* An update's members equal to the stored object's passed every check when it was written: the decode
 * check and the pod spec rules do not walk them again (a status write, a label change); what did change
 * is still checked. The stored objects here are deliberately ones the server would never have kept. */
START_TEST(unchanged_members_are_not_checked_again)
{
    cJSON *typed = json(POD("'containers':[" CTR "],'restartPolicy':5"));
    cJSON *typed_old = json(POD("'containers':[" CTR "],'restartPolicy':5"));
    const rc_resource_info *ri = info_of(typed);
    rc_error err = {0};
    ck_assert_int_eq(rci_apiserver_decode_check(ri, typed, typed_old, &err), 0);
    ck_assert_int_eq(rci_apiserver_decode_check(ri, typed, NULL, &err), RC_EBADREQUEST);
    ck_assert_str_eq(err.causes[0].field, "spec.restartPolicy");
    rc_error_clear(&err);
    cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(typed, "metadata"), "generation", "x");
    ck_assert_int_eq(rci_apiserver_decode_check(ri, typed, typed_old, &err), RC_EBADREQUEST);
    ck_assert_str_eq(err.causes[0].field, "metadata.generation");
    rc_error_clear(&err);

    cJSON *invalid = json(POD("'containers':[]"));
    cJSON *invalid_old = json(POD("'containers':[]"));
    cJSON_AddItemToObject(invalid, "status", cJSON_Parse("{\"phase\":\"Running\"}"));
    ck_assert_int_eq(rci_apiserver_validate(ri, invalid, invalid_old, &err), 0);
    ck_assert_int_eq(rci_apiserver_validate(ri, invalid, NULL, &err), RC_EINVAL);
    ck_assert(strstr(err.message, "spec.containers: Required value"));
    rc_error_clear(&err);
    cJSON *changed_old = json(POD_OK);
    ck_assert_int_eq(rci_apiserver_validate(ri, invalid, changed_old, &err), RC_EINVAL);
    ck_assert(strstr(err.message, "spec.containers: Required value"));
    rc_error_clear(&err);
    cJSON_Delete(typed);
    cJSON_Delete(typed_old);
    cJSON_Delete(invalid);
    cJSON_Delete(invalid_old);
    cJSON_Delete(changed_old);
}
END_TEST

START_TEST(unknown_kinds_only_get_metadata_rules)
{
    rc_resource_info cr = {.group = "samplecrd.k8s.io", .version = "v1", .kind = "Network", .plural = "networks",
                           .namespaced = true};
    cJSON *ok = json("{'apiVersion':'samplecrd.k8s.io/v1','kind':'Network','metadata':{'name':'n'," NS "},'spec':"
                     "{'anything':1}}");
    cJSON *bad = json("{'apiVersion':'samplecrd.k8s.io/v1','kind':'Network','metadata':{'name':'N_'," NS "}}");
    rc_error err = {0};
    ck_assert_int_eq(rci_apiserver_validate(&cr, ok, NULL, &err), 0);
    ck_assert_int_eq(rci_apiserver_validate(&cr, bad, NULL, &err), RC_EINVAL);
    ck_assert(strstr(err.message, "Network.samplecrd.k8s.io \"N_\" is invalid: metadata.name: Invalid value"));
    rc_error_clear(&err);
    ck_assert_int_eq(rci_apiserver_unknown_fields(&cr, ok, &err), 0);
    cJSON_Delete(ok);
    cJSON_Delete(bad);
}
END_TEST

/* ---- strict decoding: the concept notes' typos ---- */

typedef struct ucase {
    const char *obj;
    const char *message; /* exact; NULL = no unknown fields */
} ucase;

static const ucase unknown_cases[] = {
    {"{'apiVersoin':'apps/v1','apiVersion':'apps/v1','kind':'DaemonSet','metadata':{'name':'fluentd'}}",
     "DaemonSet in version \"v1\" cannot be handled as a DaemonSet: strict decoding error: unknown field "
     "\"apiVersoin\""},
    {"{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','label':{'app':'web'}}}",
     "Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field "
     "\"metadata.label\""},
    {"{'apiVersion':'v1','kind':'Service','metadata':{'name':'nginx'},'spec':{'selector':{'app':'nginx'},"
     "'clusterIp':'None','ports':[{'port':80,'name':'web'}]}}",
     "Service in version \"v1\" cannot be handled as a Service: strict decoding error: unknown field "
     "\"spec.clusterIp\""},
    {"{'apiVersion':'batch/v1','kind':'Job','metadata':{'name':'pi'},'spec':{'backoffLimit':4,'parallelism:2':null,"
     "'completions':4}}",
     "Job in version \"v1\" cannot be handled as a Job: strict decoding error: unknown field \"spec.parallelism:2\""},
    {"{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},'spec':{'template':{'spec':{'containers':"
     "[{'name':'a','image':'b','clusterIp':'x'}],'restartPolicy':'Always'}}}}",
     "Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field "
     "\"spec.template.spec.containers[0].clusterIp\""},
    {"{'apiVersion':'v1','kind':'Pod','metadata':{'name':'badpod'},'foo':'bar','spec':{'containers':[{'name':'c',"
     "'image':'busybox'}]}}",
     "Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"foo\""},
    {"{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p','lables':{}},'spec':{'containres':[],'nodeName':'n'}}",
     "Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"metadata.lables\", "
     "unknown field \"spec.containres\""},
    {"{" RBAC ",'kind':'RoleBinding','metadata':{'name':'rb'},'subjects':[{'kind':'User','name':'u','namespce':'x'}],"
     "'roleRef':{'kind':'Role','name':'r'}}",
     "RoleBinding in version \"v1\" cannot be handled as a RoleBinding: strict decoding error: unknown field "
     "\"subjects[0].namespce\""},
    /* parts of known names, type names and names spanning two fields are not fields */
    {"{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p','nam':'x','ame':'y'},'spec':{'containers':[{'name':'c',"
     "'image':'b','Container':1,'s':2,'name:s image':3,'imagePullPolic':'x'}],'': 1}}",
     "Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"metadata.nam\", "
     "unknown field \"metadata.ame\", unknown field \"spec.containers[0].Container\", unknown field "
     "\"spec.containers[0].s\", unknown field \"spec.containers[0].name:s image\", unknown field "
     "\"spec.containers[0].imagePullPolic\", unknown field \"spec.\""},
    {STS_OK, NULL},
    {DEPLOY_OK, NULL},
    {CRD_OK, NULL},
    {POD("'containers':[{'name':'web','image':'x','resources':{'limits':{'cpu':'1','example.com/gpu':1}},"
         "'env':[{'name':'A','valueFrom':{'fieldRef':{'fieldPath':'x'}}}]}],'affinity':{'anything':{}}"),
     NULL},
};

START_TEST(unknown_fields_table)
{
    const ucase *c = &unknown_cases[_i];
    cJSON *obj = json(c->obj);
    const rc_resource_info *ri = info_of(obj);
    rc_error err = {0};
    int rc = rci_apiserver_unknown_fields(ri, obj, &err);
    if (!c->message) {
        ck_assert_msg(rc == 0, "case %d: %s", _i, err.message ? err.message : "");
    } else {
        ck_assert_int_eq(rc, RC_EBADREQUEST);
        ck_assert_int_eq(err.http_status, 400);
        ck_assert_str_eq(err.message, c->message);
        ck_assert_uint_ge(err.ncauses, 1);
        ck_assert_str_eq(err.causes[0].reason, "FieldValueUnknown");
    }
    rc_error_clear(&err);
    cJSON_Delete(obj);
}
END_TEST

static void setup(void) { registry = rc_registry_new(); }
static void teardown(void) { rc_registry_free(registry); }

int main(void)
{
    Suite *s = suite_create("validation");
    TCase *tc = tcase_create("validation");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, validation_table, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, causes_carry_field_and_reason);
    tcase_add_test(tc, unknown_kinds_only_get_metadata_rules);
    tcase_add_test(tc, unchanged_members_are_not_checked_again);
    tcase_add_loop_test(tc, unknown_fields_table, 0, (int)(sizeof unknown_cases / sizeof unknown_cases[0]));
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
