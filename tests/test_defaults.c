/* test_defaults.c - upstream defaulting (rci_apiserver_default) for every built-in kind it covers: each
 * default is checked on a minimal object, user-set values are kept, and odd input (wrong types, unknown
 * kinds, NULL) is left alone without crashing. */
#include <reconcile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/hooks.h"
#include "support/sq_json.h"
#include "support/testutil.h"

static rc_registry *registry;

/* Defaults text as the server would and returns the object. */
static cJSON *defaulted(const char *text)
{
    cJSON *obj = json(text);
    const rc_resource_info *ri = rc_registry_by_kind(registry, cJSON_GetObjectItem(obj, "apiVersion")->valuestring,
                                                     cJSON_GetObjectItem(obj, "kind")->valuestring);
    ck_assert_ptr_nonnull(ri);
    rci_apiserver_default(ri, obj);
    return obj;
}

/* Dotted path; numeric segments index arrays. */
static const cJSON *at(const cJSON *o, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *seg = strtok(buf, "."); seg && o; seg = strtok(NULL, "."))
        o = cJSON_IsArray(o) ? cJSON_GetArrayItem(o, atoi(seg)) : cJSON_GetObjectItemCaseSensitive(o, seg);
    return o;
}

static void expect_str(const cJSON *o, const char *path, const char *want)
{
    const cJSON *n = at(o, path);
    ck_assert_msg(cJSON_IsString(n), "%s is not a string", path);
    ck_assert_str_eq(n->valuestring, want);
}

static void expect_num(const cJSON *o, const char *path, double want)
{
    const cJSON *n = at(o, path);
    ck_assert_msg(cJSON_IsNumber(n), "%s is not a number", path);
    ck_assert_msg(n->valuedouble == want, "%s = %g, want %g", path, n->valuedouble, want);
}

static void expect_bool(const cJSON *o, const char *path, bool want)
{
    const cJSON *n = at(o, path);
    ck_assert_msg(cJSON_IsBool(n), "%s is not a bool", path);
    ck_assert_int_eq(cJSON_IsTrue(n), want);
}

#define TPL "'template':{'metadata':{'labels':{'app':'web'}},'spec':{'containers':[{'name':'web','image':'nginx'," \
    "'ports':[{'containerPort':80}],'readinessProbe':{'httpGet':{'path':'/','port':80}}},{'name':'side'," \
    "'image':'envoy:1.2'},{'name':'d','image':'reg:5000/app@sha256:abc'}],'volumes':[{'name':'v'}]}}"

static void expect_pod_spec(const cJSON *spec, bool restart_always)
{
    if (restart_always)
        expect_str(spec, "restartPolicy", "Always");
    else
        ck_assert_ptr_null(at(spec, "restartPolicy"));
    expect_str(spec, "dnsPolicy", "ClusterFirst");
    expect_num(spec, "terminationGracePeriodSeconds", 30);
    expect_str(spec, "schedulerName", "default-scheduler");
    ck_assert(cJSON_IsObject(at(spec, "securityContext")));
    expect_str(spec, "containers.0.imagePullPolicy", "Always");
    expect_str(spec, "containers.1.imagePullPolicy", "IfNotPresent");
    expect_str(spec, "containers.2.imagePullPolicy", "IfNotPresent");
    expect_str(spec, "containers.0.terminationMessagePath", "/dev/termination-log");
    expect_str(spec, "containers.0.terminationMessagePolicy", "File");
    expect_str(spec, "containers.0.ports.0.protocol", "TCP");
    expect_num(spec, "containers.0.readinessProbe.periodSeconds", 10);
    expect_num(spec, "containers.0.readinessProbe.timeoutSeconds", 1);
    expect_num(spec, "containers.0.readinessProbe.successThreshold", 1);
    expect_num(spec, "containers.0.readinessProbe.failureThreshold", 3);
    ck_assert(cJSON_IsObject(at(spec, "volumes.0.emptyDir")));
}

START_TEST(deployment_defaults)
{
    cJSON *d = defaulted("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},'spec':{" TPL "}}");
    expect_num(d, "spec.replicas", 1);
    expect_str(d, "spec.strategy.type", "RollingUpdate");
    expect_str(d, "spec.strategy.rollingUpdate.maxSurge", "25%");
    expect_str(d, "spec.strategy.rollingUpdate.maxUnavailable", "25%");
    expect_num(d, "spec.revisionHistoryLimit", 10);
    expect_num(d, "spec.progressDeadlineSeconds", 600);
    expect_pod_spec(at(d, "spec.template.spec"), true);
    cJSON_Delete(d);
    /* user values stay; Recreate gets no rollingUpdate */
    d = defaulted("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},'spec':{'replicas':0,"
                  "'strategy':{'type':'Recreate'},'revisionHistoryLimit':2," TPL "}}");
    expect_num(d, "spec.replicas", 0);
    ck_assert_ptr_null(at(d, "spec.strategy.rollingUpdate"));
    expect_num(d, "spec.revisionHistoryLimit", 2);
    cJSON_Delete(d);
    d = defaulted("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},'spec':{'strategy':"
                  "{'rollingUpdate':{'maxSurge':1}}," TPL "}}");
    expect_num(d, "spec.strategy.rollingUpdate.maxSurge", 1);
    expect_str(d, "spec.strategy.rollingUpdate.maxUnavailable", "25%");
    cJSON_Delete(d);
}
END_TEST

START_TEST(replicaset_and_pod_defaults)
{
    cJSON *rs = defaulted("{'apiVersion':'apps/v1','kind':'ReplicaSet','metadata':{'name':'web'},'spec':{" TPL "}}");
    expect_num(rs, "spec.replicas", 1);
    expect_pod_spec(at(rs, "spec.template.spec"), true);
    cJSON_Delete(rs);
    cJSON *pod = defaulted("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':{'containers':[{'name':'web',"
                           "'image':'nginx:latest'}],'restartPolicy':'Never','terminationGracePeriodSeconds':5}}");
    expect_str(pod, "spec.restartPolicy", "Never");
    expect_num(pod, "spec.terminationGracePeriodSeconds", 5);
    expect_str(pod, "spec.containers.0.imagePullPolicy", "Always");
    expect_bool(pod, "spec.enableServiceLinks", true);
    cJSON_Delete(pod);
}
END_TEST

START_TEST(statefulset_defaults)
{
    cJSON *s = defaulted("{'apiVersion':'apps/v1','kind':'StatefulSet','metadata':{'name':'web'},'spec':{"
                         "'volumeClaimTemplates':[{'metadata':{'name':'www'},'spec':{}}]," TPL "}}");
    expect_num(s, "spec.replicas", 1);
    expect_str(s, "spec.podManagementPolicy", "OrderedReady");
    expect_str(s, "spec.updateStrategy.type", "RollingUpdate");
    expect_num(s, "spec.updateStrategy.rollingUpdate.partition", 0);
    expect_num(s, "spec.revisionHistoryLimit", 10);
    expect_str(s, "spec.persistentVolumeClaimRetentionPolicy.whenDeleted", "Retain");
    expect_str(s, "spec.persistentVolumeClaimRetentionPolicy.whenScaled", "Retain");
    expect_str(s, "spec.volumeClaimTemplates.0.spec.volumeMode", "Filesystem");
    expect_pod_spec(at(s, "spec.template.spec"), true);
    cJSON_Delete(s);
    s = defaulted("{'apiVersion':'apps/v1','kind':'StatefulSet','metadata':{'name':'web'},'spec':{'updateStrategy':"
                  "{'type':'OnDelete'}," TPL "}}");
    ck_assert_ptr_null(at(s, "spec.updateStrategy.rollingUpdate"));
    cJSON_Delete(s);
}
END_TEST

START_TEST(daemonset_defaults)
{
    cJSON *d = defaulted("{'apiVersion':'apps/v1','kind':'DaemonSet','metadata':{'name':'fluentd'},'spec':{" TPL "}}");
    expect_str(d, "spec.updateStrategy.type", "RollingUpdate");
    expect_num(d, "spec.updateStrategy.rollingUpdate.maxUnavailable", 1);
    expect_num(d, "spec.updateStrategy.rollingUpdate.maxSurge", 0);
    expect_num(d, "spec.revisionHistoryLimit", 10);
    expect_pod_spec(at(d, "spec.template.spec"), true);
    cJSON_Delete(d);
}
END_TEST

START_TEST(job_defaults)
{
    cJSON *j = defaulted("{'apiVersion':'batch/v1','kind':'Job','metadata':{'name':'pi','uid':'u-1'},'spec':{" TPL "}}");
    expect_num(j, "spec.completions", 1);
    expect_num(j, "spec.parallelism", 1);
    expect_num(j, "spec.backoffLimit", 6);
    expect_str(j, "spec.completionMode", "NonIndexed");
    expect_bool(j, "spec.suspend", false);
    expect_str(j, "spec.podReplacementPolicy", "TerminatingOrFailed");
    expect_pod_spec(at(j, "spec.template.spec"), false);
    cJSON_Delete(j);
}
END_TEST

START_TEST(job_selector_generation)
{
    cJSON *j = defaulted("{'apiVersion':'batch/v1','kind':'Job','metadata':{'name':'pi','uid':'u-1'},'spec':{" TPL "}}");
    const cJSON *ml = at(j, "spec.selector.matchLabels");
    ck_assert_str_eq(cJSON_GetObjectItem(ml, "batch.kubernetes.io/controller-uid")->valuestring, "u-1");
    const cJSON *labels = at(j, "spec.template.metadata.labels");
    ck_assert_str_eq(cJSON_GetObjectItem(labels, "batch.kubernetes.io/controller-uid")->valuestring, "u-1");
    ck_assert_str_eq(cJSON_GetObjectItem(labels, "batch.kubernetes.io/job-name")->valuestring, "pi");
    ck_assert_str_eq(cJSON_GetObjectItem(labels, "controller-uid")->valuestring, "u-1");
    ck_assert_str_eq(cJSON_GetObjectItem(labels, "job-name")->valuestring, "pi");
    ck_assert_str_eq(cJSON_GetObjectItem(labels, "app")->valuestring, "web");
    cJSON_Delete(j);
    /* manualSelector or no uid yet: nothing generated */
    j = defaulted("{'apiVersion':'batch/v1','kind':'Job','metadata':{'name':'pi','uid':'u-1'},'spec':{"
                  "'manualSelector':true," TPL "}}");
    ck_assert_ptr_null(at(j, "spec.selector"));
    cJSON_Delete(j);
    j = defaulted("{'apiVersion':'batch/v1','kind':'Job','metadata':{'name':'pi'},'spec':{" TPL "}}");
    ck_assert_ptr_null(at(j, "spec.selector"));
    cJSON_Delete(j);
}
END_TEST

START_TEST(job_count_rules)
{
    /* parallelism set, completions unset: completions stays unset (work queue) */
    cJSON *j = defaulted("{'apiVersion':'batch/v1','kind':'Job','metadata':{'name':'pi'},'spec':{'parallelism':2,"
                         TPL "}}");
    expect_num(j, "spec.parallelism", 2);
    ck_assert_ptr_null(at(j, "spec.completions"));
    cJSON_Delete(j);
    /* completions set, parallelism unset: parallelism 1 */
    j = defaulted("{'apiVersion':'batch/v1','kind':'Job','metadata':{'name':'pi'},'spec':{'completions':4,"
                  "'backoffLimitPerIndex':1,'podFailurePolicy':{'rules':[]}," TPL "}}");
    expect_num(j, "spec.completions", 4);
    expect_num(j, "spec.parallelism", 1);
    expect_num(j, "spec.backoffLimit", 2147483647);
    expect_str(j, "spec.podReplacementPolicy", "Failed");
    cJSON_Delete(j);
}
END_TEST

START_TEST(cronjob_defaults)
{
    cJSON *c = defaulted("{'apiVersion':'batch/v1','kind':'CronJob','metadata':{'name':'hello'},'spec':{'schedule':"
                         "'* * * * *','jobTemplate':{'spec':{" TPL "}}}}");
    expect_str(c, "spec.concurrencyPolicy", "Allow");
    expect_bool(c, "spec.suspend", false);
    expect_num(c, "spec.successfulJobsHistoryLimit", 3);
    expect_num(c, "spec.failedJobsHistoryLimit", 1);
    expect_pod_spec(at(c, "spec.jobTemplate.spec.template.spec"), false);
    ck_assert_ptr_null(at(c, "spec.jobTemplate.spec.backoffLimit"));
    cJSON_Delete(c);
}
END_TEST

START_TEST(service_and_misc_defaults)
{
    cJSON *s = defaulted("{'apiVersion':'v1','kind':'Service','metadata':{'name':'nginx'},'spec':{'ports':[{'port':80},"
                         "{'port':443,'targetPort':'https','protocol':'UDP'}]}}");
    expect_str(s, "spec.type", "ClusterIP");
    expect_str(s, "spec.sessionAffinity", "None");
    expect_str(s, "spec.ports.0.protocol", "TCP");
    expect_num(s, "spec.ports.0.targetPort", 80);
    expect_str(s, "spec.ports.1.targetPort", "https");
    expect_str(s, "spec.ports.1.protocol", "UDP");
    ck_assert_ptr_null(at(s, "spec.clusterIP")); /* allocated by the request flow, not defaulted */
    cJSON_Delete(s);
    s = defaulted("{'apiVersion':'v1','kind':'Service','metadata':{'name':'n'},'spec':{'type':'NodePort'}}");
    expect_str(s, "spec.externalTrafficPolicy", "Cluster");
    cJSON_Delete(s);
    cJSON *sec = defaulted("{'apiVersion':'v1','kind':'Secret','metadata':{'name':'s'}}");
    expect_str(sec, "type", "Opaque");
    cJSON_Delete(sec);
    cJSON *ns = defaulted("{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'n'}}");
    expect_str(ns, "status.phase", "Active");
    cJSON_Delete(ns);
    cJSON *rb = defaulted("{'apiVersion':'rbac.authorization.k8s.io/v1','kind':'RoleBinding','metadata':{'name':'b'},"
                          "'subjects':[{'kind':'User','name':'u'},{'kind':'ServiceAccount','name':'sa'}]}");
    expect_str(rb, "subjects.0.apiGroup", "rbac.authorization.k8s.io");
    ck_assert_ptr_null(at(rb, "subjects.1.apiGroup"));
    cJSON_Delete(rb);
    cJSON *crd = defaulted("{'apiVersion':'apiextensions.k8s.io/v1','kind':'CustomResourceDefinition','metadata':"
                           "{'name':'networks.samplecrd.k8s.io'},'spec':{'names':{'plural':'networks','kind':'Network'}}}");
    expect_str(crd, "spec.names.listKind", "NetworkList");
    expect_str(crd, "spec.names.singular", "network");
    expect_str(crd, "spec.conversion.strategy", "None");
    cJSON_Delete(crd);
}
END_TEST

START_TEST(odd_input_is_left_alone)
{
    /* wrong types are not replaced (validation reports them); unknown kinds and NULLs are ignored */
    cJSON *d = defaulted("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},'spec':{'replicas':"
                         "'three','strategy':[],'template':{'spec':{'containers':{'name':'x'}}}}}");
    expect_str(d, "spec.replicas", "three");
    ck_assert(cJSON_IsArray(at(d, "spec.strategy")));
    ck_assert(cJSON_IsObject(at(d, "spec.template.spec.containers")));
    cJSON_Delete(d);
    d = defaulted("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},'spec':null}");
    expect_num(d, "spec.replicas", 1);
    cJSON_Delete(d);
    rc_resource_info cr = {.group = "x.io", .version = "v1", .kind = "Thing", .plural = "things"};
    cJSON *t = json("{'spec':{}}");
    rci_apiserver_default(&cr, t);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(t, "spec")), 0);
    rci_apiserver_default(NULL, t);
    rci_apiserver_default(&cr, NULL);
    cJSON_Delete(t);
}
END_TEST

static void setup(void) { registry = rc_registry_new(); }
static void teardown(void) { rc_registry_free(registry); }

int main(void)
{
    Suite *s = suite_create("defaults");
    TCase *tc = tcase_create("defaults");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, deployment_defaults);
    tcase_add_test(tc, replicaset_and_pod_defaults);
    tcase_add_test(tc, statefulset_defaults);
    tcase_add_test(tc, daemonset_defaults);
    tcase_add_test(tc, job_defaults);
    tcase_add_test(tc, job_selector_generation);
    tcase_add_test(tc, job_count_rules);
    tcase_add_test(tc, cronjob_defaults);
    tcase_add_test(tc, service_and_misc_defaults);
    tcase_add_test(tc, odd_input_is_left_alone);
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
