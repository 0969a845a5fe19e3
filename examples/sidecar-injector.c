/* sidecar-injector.c - the concept notes' Envoy injection as a mutating admission plugin of the embedded
 * API server. Every Pod created is given the containers and volumes kept in the ConfigMap
 * envoy-initializer (data.config, a Pod spec fragment in YAML), unless the pod opts out with the annotation
 * sidecar.reconcile.io/inject: "false", already has them, or lives in kube-system. An unreadable
 * data.config rejects the pod with a message naming the ConfigMap, line and column (failurePolicy Fail).
 *
 *   sidecar-injector --self-test                    offline checks of the behaviour (make test)
 *   sidecar-injector --serve [--port N] [--config FILE]
 *       serves the API server with the injector over HTTP for kubectl:
 *       kubectl --server http://127.0.0.1:N apply -f examples/manifests/myapp-pod.yaml
 *
 * Build (done by `make examples`): cc -std=c11 sidecar-injector.c $(pkg-config --cflags --libs libreconcile) */
#define _POSIX_C_SOURCE 200809L
#include <reconcile.h>
#include <reconcile/httpserver.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_NAMESPACE "default"
#define CONFIG_NAME "envoy-initializer"
#define OPT_OUT "sidecar.reconcile.io/inject"
#define STATUS "sidecar.reconcile.io/status"

/* ---- the plugin ---- */

static bool is_pod_create(const rc_admission_request *req)
{
    return req->operation == RC_ADMIT_CREATE && !req->subresource[0] && !strcmp(req->resource->group, "") &&
           !strcmp(req->resource->plural, "pods");
}

static const char *annotation(const cJSON *pod, const char *key)
{
    const cJSON *ann = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pod, "metadata"),
                                                        "annotations");
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ann, key));
}

static bool has_named(const cJSON *list, const char *name)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, list)
    {
        const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "name"));
        if (n && name && !strcmp(n, name))
            return true;
    }
    return false;
}

/* Appends copies of the entries of `from` whose name `to` lacks; returns how many were added or -1. */
static int merge_named(cJSON *spec, const char *field, const cJSON *from)
{
    cJSON *to = cJSON_GetObjectItemCaseSensitive(spec, field);
    if (!to && !(to = cJSON_AddArrayToObject(spec, field)))
        return -1;
    int added = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, from)
    {
        if (has_named(to, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "name"))))
            continue;
        cJSON *copy = cJSON_Duplicate(item, true);
        if (!copy || !cJSON_AddItemToArray(to, copy)) {
            cJSON_Delete(copy);
            return -1;
        }
        added++;
    }
    return added;
}

/* Reads and decodes data.config of the ConfigMap. 0 and *out (caller deletes), RC_ENOTFOUND, or an error. */
static int load_sidecar(rc_client *client, cJSON **out, rc_error *err)
{
    rc_object *cm = NULL;
    int rc = rc_client_get(client, "configmaps", CONFIG_NAMESPACE, CONFIG_NAME, &cm, err);
    if (rc)
        return rc;
    const char *config = rc_object_get_str(cm, "data.config");
    rc_doc_list docs = {0};
    if (!config)
        rc = rc_error_set(err, RC_EINVAL, "configmap %s/%s: data.config: Required value", CONFIG_NAMESPACE,
                          CONFIG_NAME);
    else
        rc = rc_decode_yaml(config, strlen(config), "configmap " CONFIG_NAMESPACE "/" CONFIG_NAME " data.config",
                            NULL, &docs, err);
    if (rc == 0 && (docs.count != 1 || !cJSON_IsObject(docs.docs[0])))
        rc = rc_error_set(err, RC_EINVAL, "configmap %s/%s: data.config must hold one mapping with containers "
                          "and volumes", CONFIG_NAMESPACE, CONFIG_NAME);
    if (rc == 0) {
        *out = docs.docs[0];
        docs.docs[0] = NULL;
    }
    rc_doc_list_clear(&docs);
    rc_object_unref(cm);
    return rc;
}

static int inject(void *ctx, rc_admission_request *req, rc_error *err)
{
    (void)ctx;
    if (!is_pod_create(req) || !strcmp(req->namespace_, "kube-system"))
        return 0;
    const char *opt = annotation(req->object, OPT_OUT);
    if ((opt && !strcmp(opt, "false")) || annotation(req->object, STATUS))
        return 0;
    cJSON *sidecar = NULL;
    rc_error why = {0};
    int rc = load_sidecar(req->client, &sidecar, &why);
    if (rc == RC_ENOTFOUND) { /* nothing to inject until the ConfigMap exists */
        rc_error_clear(&why);
        return 0;
    }
    if (rc) {
        rc_error_set(err, RC_EINVAL, "admission webhook \"sidecar-injector\" denied the request: %s", why.message);
        rc_error_clear(&why);
        return RC_EINVAL;
    }
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(req->object, "spec");
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(req->object, "metadata");
    cJSON *ann = cJSON_GetObjectItemCaseSensitive(meta, "annotations");
    if (cJSON_IsObject(spec) && cJSON_IsObject(meta) && !ann)
        ann = cJSON_AddObjectToObject(meta, "annotations");
    int added = -1;
    if (cJSON_IsObject(spec) && cJSON_IsObject(ann)) {
        int c = merge_named(spec, "containers", cJSON_GetObjectItemCaseSensitive(sidecar, "containers"));
        int v = c < 0 ? -1 : merge_named(spec, "volumes", cJSON_GetObjectItemCaseSensitive(sidecar, "volumes"));
        added = v < 0 ? -1 : c + v;
    }
    cJSON_Delete(sidecar);
    if (added < 0) /* no spec to edit (validation rejects the pod) or out of memory */
        return cJSON_IsObject(spec) ? rc_error_set(err, RC_ENOMEM, "sidecar-injector: out of memory") : 0;
    return cJSON_AddStringToObject(ann, STATUS, "injected") ? 0 : rc_error_set(err, RC_ENOMEM, "out of memory");
}

static const rc_admission_plugin injector = {"sidecar-injector", inject, NULL, NULL, NULL};

/* ---- self test ---- */

static const char config_yaml[] =
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: envoy-initializer, namespace: default}\n"
    "data:\n  config: |\n"
    "    containers:\n"
    "    - name: envoy\n      image: lyft/envoy:845747b88f102c0fd262ab234308e9e22f693a1\n"
    "      command: [\"/usr/local/bin/envoy\"]\n"
    "      volumeMounts:\n      - {name: envoy-conf, mountPath: /etc/envoy}\n"
    "    volumes:\n    - name: envoy-conf\n      configMap: {name: envoy}\n";

static const char pod_yaml[] = "apiVersion: v1\nkind: Pod\nmetadata: {name: %s, namespace: default%s}\n"
                               "spec:\n  containers:\n  - {name: app, image: busybox}\n";

static int failures;

static void expect(bool ok, const char *what, const char *detail)
{
    printf("%s %s%s%s\n", ok ? "ok  " : "FAIL", what, detail ? ": " : "", detail ? detail : "");
    failures += !ok;
}

/* Creates a pod from pod_yaml; returns the API result, *out the stored pod. */
static int create_pod(rc_client *c, const char *name, const char *extra_meta, rc_object **out, rc_error *err)
{
    char text[512];
    snprintf(text, sizeof text, pod_yaml, name, extra_meta);
    rc_object_list l;
    rc_object_list_init(&l);
    int rc = rc_decode_objects(text, strlen(text), name, NULL, &l, err);
    if (rc == 0)
        rc = rc_client_create(c, "pods", NULL, l.items[0], NULL, out, err);
    rc_object_list_clear(&l);
    return rc;
}

static int create_config(rc_client *c, const char *yaml, rc_error *err)
{
    rc_object_list l;
    rc_object_list_init(&l);
    int rc = rc_decode_objects(yaml, strlen(yaml), "config", NULL, &l, err);
    if (rc == 0)
        rc = rc_client_create(c, NULL, NULL, l.items[0], NULL, NULL, err);
    rc_object_list_clear(&l);
    return rc;
}

static int self_test(void)
{
    rc_error err = {0};
    rc_clock *clock = rc_clock_virtual_new(0);
    rc_apiserver_options so = {.clock = clock};
    rc_apiserver *srv = clock ? rc_apiserver_new(&so, &err) : NULL;
    if (!srv || rc_apiserver_add_admission(srv, &injector, &err)) {
        fprintf(stderr, "sidecar-injector: %s\n", err.message ? err.message : "out of memory");
        rc_error_clear(&err);
        rc_apiserver_free(srv);
        rc_clock_free(clock);
        return 1;
    }
    rc_client *c = rc_apiserver_client(srv, NULL);
    rc_object *pod = NULL;

    expect(create_pod(c, "before-config", "", &pod, &err) == 0 &&
               rc_object_get_str(pod, "spec.containers.1.name") == NULL,
           "a pod created before the ConfigMap exists is left alone", err.message);
    rc_object_unref(pod);
    pod = NULL;

    expect(create_config(c, config_yaml, &err) == 0, "ConfigMap envoy-initializer created", err.message);
    int rc = create_pod(c, "myapp", "", &pod, &err);
    expect(rc == 0, "pod myapp admitted", err.message);
    const char *second = rc_object_get_str(pod, "spec.containers.1.name");
    expect(second && !strcmp(second, "envoy"), "envoy container injected after app", second);
    const char *vol = rc_object_get_str(pod, "spec.volumes.0.name");
    expect(vol && !strcmp(vol, "envoy-conf"), "volume envoy-conf injected", vol);
    expect(rc_object_annotation(pod, STATUS) != NULL, "pod marked " STATUS, NULL);
    rc_object_unref(pod);
    pod = NULL;

    rc = create_pod(c, "opted-out", ", annotations: {" OPT_OUT ": \"false\"}", &pod, &err);
    expect(rc == 0 && rc_object_get_str(pod, "spec.containers.1.name") == NULL, "opt-out annotation honoured",
           err.message);
    rc_object_unref(pod);
    pod = NULL;

    const char *broken = "{\"data\":{\"config\":\"containers: [\\n\"}}";
    rc_client_patch(c, "configmaps", CONFIG_NAMESPACE, CONFIG_NAME, RC_PATCH_MERGE, broken, strlen(broken), NULL,
                    NULL, NULL);
    rc = create_pod(c, "rejected", "", &pod, &err);
    expect(rc == RC_EINVAL && err.message && strstr(err.message, "data.config:2:1"),
           "a broken data.config rejects the pod, naming line and column", err.message);
    rc_error_clear(&err);
    rc_object_unref(pod);

    rc_client_unref(c);
    rc_apiserver_free(srv);
    rc_clock_free(clock);
    printf("sidecar-injector self-test: %s\n", failures ? "FAILED" : "passed");
    return failures ? 1 : 0;
}

/* ---- serve over HTTP for kubectl ---- */

static int serve(unsigned port, const char *config_file)
{
    rc_error err = {0};
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL); /* before any thread starts: they inherit the mask */
    rc_apiserver *srv = rc_apiserver_new(NULL, &err);
    rc_http_options ho = {.port = (uint16_t)port};
    rc_http_server *hs = NULL;
    int rc = srv ? rc_apiserver_add_admission(srv, &injector, &err) : RC_ENOMEM;
    if (rc == 0 && config_file) {
        rc_object_list l;
        rc_object_list_init(&l);
        rc_client *c = rc_apiserver_client(srv, NULL);
        rc = rc_decode_objects_file(config_file, NULL, &l, &err);
        for (size_t i = 0; rc == 0 && i < l.count; i++) {
            rc_object *o = rc_object_copy(l.items[i]); /* the manifest has no namespace: use the default */
            rc = o && !rc_object_namespace(o)[0] ? rc_object_set_namespace(o, CONFIG_NAMESPACE) : 0;
            rc = rc ? rc : o ? rc_client_apply(c, NULL, o, NULL, NULL, &err) : RC_ENOMEM;
            rc_object_unref(o);
        }
        rc_client_unref(c);
        rc_object_list_clear(&l);
    }
    if (rc == 0)
        rc = (hs = rc_http_server_new(srv, &ho, &err)) ? rc_http_server_start(hs, &err) : RC_EINVAL;
    if (rc == 0) {
        char url[128];
        printf("sidecar-injector: API server at %s (Ctrl-C stops)\n"
               "  kubectl --server %s apply -f examples/manifests/myapp-pod.yaml\n",
               rc_http_server_url(hs, url, sizeof url), url);
        fflush(stdout);
        int sig;
        sigwait(&stop, &sig);
    } else {
        fprintf(stderr, "sidecar-injector: %s\n", err.message ? err.message : rc_strerror(rc));
    }
    rc_error_clear(&err);
    rc_http_server_free(hs);
    rc_apiserver_free(srv);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    unsigned port = 0;
    const char *config = "examples/manifests/envoy-initializer-configmap.yaml";
    bool do_serve = false, bad = argc < 2;
    for (int i = 1; i < argc && !bad; i++) {
        if (!strcmp(argv[i], "--self-test"))
            return self_test();
        if (!strcmp(argv[i], "--serve"))
            do_serve = true;
        else if (!strcmp(argv[i], "--port") && i + 1 < argc)
            port = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--config") && i + 1 < argc)
            config = argv[++i];
        else
            bad = true;
    }
    if (bad || !do_serve || port > 65535) {
        fprintf(stderr, "usage: sidecar-injector --self-test | --serve [--port N] [--config FILE]\n");
        return 2;
    }
    return serve(port, config);
}
