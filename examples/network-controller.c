/* network-controller.c - a custom resource controller: the concept notes' samplecrd.k8s.io/v1 Network. For
 * every Network it validates spec.cidr (an IPv4 CIDR with zero host bits) and spec.gateway (an address
 * inside it), writes status.phase/message/observedGeneration, and owns a ConfigMap "<network>-network"
 * describing the valid network (removed again when the spec turns invalid; the garbage collector removes
 * it with its Network).
 *
 * One controller, three worlds:
 *   network-controller --print-crd | kubectl apply -f -     the CRD it needs (status subresource + schema)
 *   network-controller [--kubeconfig FILE] [--context C]    against any cluster or `rcsim serve`
 *   network-controller --offline FILE...                    offline: embedded API server, virtual clock
 *   network-controller --self-test                          offline checks of the behaviour (make test)
 *
 * Build (done by `make examples`): cc -std=c11 network-controller.c $(pkg-config --cflags --libs libreconcile) */
#include <reconcile.h>
#include <reconcile/controller.h>
#include <reconcile/controllers.h>
#include <reconcile/kubeconfig.h>
#include <reconcile/manager.h>
#include <reconcile/testenv.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NETWORKS "networks.samplecrd.k8s.io"

static const char crd_yaml[] =
    "apiVersion: apiextensions.k8s.io/v1\n"
    "kind: CustomResourceDefinition\n"
    "metadata:\n  name: networks.samplecrd.k8s.io\n"
    "spec:\n  group: samplecrd.k8s.io\n  scope: Namespaced\n"
    "  names: {kind: Network, plural: networks, singular: network}\n"
    "  versions:\n  - name: v1\n    served: true\n    storage: true\n    subresources: {status: {}}\n"
    "    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n"
    "          spec:\n            type: object\n            properties:\n"
    "              cidr: {type: string}\n              gateway: {type: string}\n"
    "          status:\n            type: object\n            properties:\n"
    "              phase: {type: string}\n              message: {type: string}\n"
    "              configMap: {type: string}\n              observedGeneration: {type: integer}\n";

/* ---- validation: pure functions of the spec ---- */

typedef struct network_plan {
    bool valid;
    char message[320];
    uint32_t network, mask, gateway;
    int prefix;
} network_plan;

/* Strict dotted-quad: four decimal octets, no leading zeros, nothing after. */
static bool parse_ipv4(const char *s, size_t len, uint32_t *out)
{
    uint32_t addr = 0;
    size_t i = 0;
    for (int octet = 0; octet < 4; octet++) {
        if (octet > 0 && (i >= len || s[i++] != '.'))
            return false;
        size_t start = i;
        unsigned v = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 3)
            v = v * 10 + (unsigned)(s[i++] - '0');
        if (i == start || v > 255 || (s[start] == '0' && i - start > 1))
            return false;
        addr = addr << 8 | v;
    }
    *out = addr;
    return i == len;
}

static void format_ipv4(uint32_t a, char buf[16])
{
    snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255u, (a >> 8) & 255u, a & 255u);
}

static uint32_t prefix_mask(int prefix)
{
    return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

static bool invalid(network_plan *p, const char *fmt, const char *field, const char *value, const char *why)
{
    snprintf(p->message, sizeof p->message, fmt, field, value, why);
    p->valid = false;
    return false;
}

static bool check_cidr(network_plan *p, const char *cidr)
{
    if (!cidr || !*cidr)
        return invalid(p, "%s: Required value%s%s", "spec.cidr", "", "");
    const char *slash = strchr(cidr, '/');
    char *end = NULL;
    long prefix = slash && slash[1] >= '0' && slash[1] <= '9' ? strtol(slash + 1, &end, 10) : -1;
    if (!slash || !parse_ipv4(cidr, (size_t)(slash - cidr), &p->network) || *end || prefix < 0 || prefix > 32)
        return invalid(p, "%s: Invalid value: \"%s\": %s", "spec.cidr", cidr,
                       "must be an IPv4 CIDR such as 192.168.0.0/16");
    p->prefix = (int)prefix;
    p->mask = prefix_mask(p->prefix);
    if (p->network & ~p->mask)
        return invalid(p, "%s: Invalid value: \"%s\": %s", "spec.cidr", cidr, "host bits must be zero");
    return true;
}

static bool check_gateway(network_plan *p, const char *gateway)
{
    if (!gateway || !*gateway)
        return invalid(p, "%s: Required value%s%s", "spec.gateway", "", "");
    if (!parse_ipv4(gateway, strlen(gateway), &p->gateway))
        return invalid(p, "%s: Invalid value: \"%s\": %s", "spec.gateway", gateway, "must be an IPv4 address");
    if ((p->gateway & p->mask) != p->network)
        return invalid(p, "%s: Invalid value: \"%s\": %s", "spec.gateway", gateway, "is outside spec.cidr");
    bool has_broadcast = p->prefix <= 30;
    if (has_broadcast && (p->gateway == p->network || p->gateway == (p->network | ~p->mask)))
        return invalid(p, "%s: Invalid value: \"%s\": %s", "spec.gateway", gateway,
                       "is the network or broadcast address");
    return true;
}

static network_plan plan_network(const rc_object *net)
{
    network_plan p = {.valid = true};
    if (check_cidr(&p, rc_object_get_str(net, "spec.cidr")) && check_gateway(&p, rc_object_get_str(net, "spec.gateway")))
        snprintf(p.message, sizeof p.message, "cidr and gateway are valid");
    return p;
}

/* ---- the controller ---- */

typedef struct network_job {
    const rc_object *net;
    const network_plan *plan;
    const char *configmap;
} network_job;

static int fill_configmap(void *arg, rc_object *draft, rc_error *err)
{
    const network_job *j = arg;
    char netmask[16], broadcast[16], hosts[16];
    format_ipv4(j->plan->mask, netmask);
    format_ipv4(j->plan->network | ~j->plan->mask, broadcast);
    uint64_t size = (uint64_t)1 << (32 - j->plan->prefix);
    snprintf(hosts, sizeof hosts, "%llu", (unsigned long long)(j->plan->prefix <= 30 ? size - 2 : size));
    int rc = rc_object_set_str(draft, "data.cidr", rc_object_get_str(j->net, "spec.cidr"));
    rc = rc ? rc : rc_object_set_str(draft, "data.gateway", rc_object_get_str(j->net, "spec.gateway"));
    rc = rc ? rc : rc_object_set_str(draft, "data.netmask", netmask);
    rc = rc ? rc : rc_object_set_str(draft, "data.broadcast", broadcast);
    rc = rc ? rc : rc_object_set_str(draft, "data.usableHosts", hosts);
    rc = rc ? rc : rc_object_set_label(draft, "samplecrd.k8s.io/network", rc_object_name(j->net));
    if (rc)
        return rc_error_set(err, rc, "configmap %s: cannot set data", j->configmap);
    return rc_is_controlled_by(draft, j->net) ? 0 : rc_set_controller_ref(draft, j->net, err);
}

static int fill_status(void *arg, rc_object *draft, rc_error *err)
{
    const network_job *j = arg;
    int rc = rc_object_set_str(draft, "status.phase", j->plan->valid ? "Valid" : "Invalid");
    rc = rc ? rc : rc_object_set_str(draft, "status.message", j->plan->message);
    rc = rc ? rc : rc_object_set_int(draft, "status.observedGeneration", rc_object_generation(j->net));
    rc = rc ? rc : j->plan->valid ? rc_object_set_str(draft, "status.configMap", j->configmap)
                                  : rc_object_remove(draft, "status.configMap");
    return rc ? rc_error_set(err, rc, "network %s: cannot set status", rc_object_key(j->net)) : 0;
}

/* An invalid Network keeps no ConfigMap: delete the one it controls, if any. */
static int remove_configmap(rc_reconcile_ctx *ctx, const network_job *j, rc_error *err)
{
    rc_object *cm = NULL;
    const char *ns = rc_object_namespace(j->net);
    int rc = rc_ctx_get(ctx, "configmaps", ns, j->configmap, &cm, err);
    if (rc == RC_ENOTFOUND) {
        rc_error_clear(err);
        return 0;
    }
    if (rc == 0 && rc_is_controlled_by(cm, j->net)) {
        rc = rc_client_delete(rc_ctx_client(ctx), "configmaps", ns, j->configmap, NULL, NULL, err);
        if (rc == RC_ENOTFOUND) {
            rc_error_clear(err);
            rc = 0;
        }
    }
    rc_object_unref(cm);
    return rc;
}

static int network_setup(void *self, rc_builder *b, rc_error *err)
{
    (void)self;
    rc_watch_options own = {.skip_own_writes = true};
    int rc = rc_builder_for(b, NETWORKS, &own, err);
    return rc ? rc : rc_builder_owns(b, "configmaps", NULL, err);
}

static rc_result network_reconcile(void *self, rc_reconcile_ctx *ctx, const char *key)
{
    (void)self;
    rc_error err = {0};
    rc_object *net = NULL;
    int rc = rc_ctx_get_key(ctx, NETWORKS, key, &net, &err);
    if (rc == RC_ENOTFOUND) { /* deleted: the garbage collector removes its ConfigMap */
        rc_error_clear(&err);
        return rc_result_done();
    }
    if (rc)
        return rc_result_from_error(ctx, &err);
    if (rc_object_deletion_timestamp(net)) {
        rc_object_unref(net);
        return rc_result_done();
    }
    network_plan plan = plan_network(net);
    char configmap[300];
    snprintf(configmap, sizeof configmap, "%s-network", rc_object_name(net));
    network_job job = {net, &plan, configmap};
    if (plan.valid)
        rc = rc_create_or_update(ctx, "configmaps", rc_object_namespace(net), configmap, fill_configmap, &job, NULL,
                                 NULL, &err);
    else
        rc = remove_configmap(ctx, &job, &err);
    const char *was = rc_object_get_str(net, "status.phase");
    const char *now = plan.valid ? "Valid" : "Invalid";
    if (rc == 0)
        rc = rc_update_status(ctx, NETWORKS, net, fill_status, &job, NULL, &err);
    if (rc == 0 && (!was || strcmp(was, now) != 0))
        rc_ctx_event(ctx, net, plan.valid ? RC_EVENT_NORMAL : RC_EVENT_WARNING, plan.valid ? "Valid" : "InvalidSpec",
                     "%s", plan.message);
    rc_object_unref(net);
    return rc ? rc_result_from_error(ctx, &err) : rc_result_done();
}

static const rc_controller_ops network_ops = {"network", network_setup, network_reconcile, NULL};

/* ---- offline: an embedded API server on a virtual clock ---- */

static int fail(rc_error *err, const char *what)
{
    fprintf(stderr, "network-controller: %s: %s\n", what, err->message ? err->message : rc_strerror(err->code));
    rc_error_clear(err);
    return 1;
}

/* A test environment with the CRD, the network controller and the garbage collector. */
static rc_testenv *offline_env(rc_error *err)
{
    rc_testenv *env = NULL;
    if (rc_testenv_new(NULL, &env, err))
        return NULL;
    const rc_controller_ops *gc_ops = NULL;
    void *gc = NULL;
    int rc = rc_testenv_load_yaml(env, crd_yaml, err);
    rc = rc ? rc : rc_testenv_add_controller(env, &network_ops, NULL, NULL, err);
    rc = rc ? rc : rc_gc_controller_new(rc_testenv_client(env), NULL, &gc_ops, &gc, err);
    rc = rc ? rc : rc_testenv_add_controller(env, gc_ops, gc, NULL, err);
    if (rc) {
        rc_testenv_free(env);
        return NULL;
    }
    return env;
}

static void print_objects(rc_testenv *env, const char *resource, const char *selector)
{
    rc_object_list l;
    rc_object_list_init(&l);
    rc_list_options opts = {.label_selector = selector};
    if (rc_client_list(rc_testenv_client(env), resource, "", &opts, &l, NULL) == 0) {
        for (size_t i = 0; i < l.count; i++) {
            char *yaml = rc_object_to_yaml(l.items[i], NULL);
            printf("---\n%s", yaml ? yaml : "");
            free(yaml);
        }
    }
    rc_object_list_clear(&l);
}

static int run_offline(int nfiles, char **files)
{
    rc_error err = {0};
    rc_testenv *env = offline_env(&err);
    if (!env)
        return fail(&err, "offline environment");
    for (int i = 0; i < nfiles; i++) {
        if (rc_testenv_load_file(env, files[i], &err)) {
            rc_testenv_free(env);
            return fail(&err, files[i]);
        }
    }
    int rc = rc_testenv_run_until_stable(env, RC_MINUTE);
    print_objects(env, NETWORKS, NULL);
    print_objects(env, "configmaps", "samplecrd.k8s.io/network");
    rc_testenv_free(env);
    return rc ? 1 : 0;
}

/* ---- self test ---- */

static int failures;

static void expect(rc_testenv *env, const char *resource, const char *name, const char *path, const char *json)
{
    rc_error err = {0};
    bool ok = rc_testenv_field_equals(env, resource, "default", name, path, json, &err);
    printf("%s %s %s %s == %s%s%s\n", ok ? "ok  " : "FAIL", resource, name, path, json, ok ? "" : ": ",
           ok ? "" : (err.message ? err.message : "?"));
    failures += !ok;
    rc_error_clear(&err);
}

static void expect_absent(rc_testenv *env, const char *resource, const char *name)
{
    rc_object *o = NULL;
    int rc = rc_testenv_get(env, resource, "default", name, &o, NULL);
    printf("%s %s %s absent\n", rc == RC_ENOTFOUND ? "ok  " : "FAIL", resource, name);
    failures += rc != RC_ENOTFOUND;
    rc_object_unref(o);
}

static void patch_network(rc_testenv *env, const char *name, const char *spec_json)
{
    rc_error err = {0};
    if (rc_client_patch(rc_testenv_client(env), NETWORKS, "default", name, RC_PATCH_MERGE, spec_json,
                        strlen(spec_json), NULL, NULL, &err))
        failures += fail(&err, "patch");
    rc_testenv_run_until_stable(env, RC_MINUTE);
}

static int self_test(void)
{
    static const char networks[] =
        "apiVersion: samplecrd.k8s.io/v1\nkind: Network\nmetadata: {name: good, namespace: default}\n"
        "spec: {cidr: 192.168.0.0/16, gateway: 192.168.0.1}\n---\n"
        "apiVersion: samplecrd.k8s.io/v1\nkind: Network\nmetadata: {name: bad, namespace: default}\n"
        "spec: {cidr: 10.0.0.0/33, gateway: 10.0.0.1}\n";
    rc_error err = {0};
    rc_testenv *env = offline_env(&err);
    if (!env)
        return fail(&err, "offline environment");
    if (rc_testenv_load_yaml(env, networks, &err)) {
        rc_testenv_free(env);
        return fail(&err, "fixtures");
    }
    rc_testenv_run_until_stable(env, RC_MINUTE);
    expect(env, NETWORKS, "good", "status.phase", "\"Valid\"");
    expect(env, NETWORKS, "good", "status.observedGeneration", "1");
    expect(env, "configmaps", "good-network", "data.netmask", "\"255.255.0.0\"");
    expect(env, "configmaps", "good-network", "data.usableHosts", "\"65534\"");
    expect(env, "configmaps", "good-network", "metadata.ownerReferences.0.kind", "\"Network\"");
    expect(env, NETWORKS, "bad", "status.phase", "\"Invalid\"");
    expect(env, NETWORKS, "bad", "status.message",
           "\"spec.cidr: Invalid value: \\\"10.0.0.0/33\\\": must be an IPv4 CIDR such as 192.168.0.0/16\"");
    expect_absent(env, "configmaps", "bad-network");

    patch_network(env, "bad", "{\"spec\":{\"cidr\":\"10.0.0.0/30\",\"gateway\":\"10.0.0.2\"}}");
    expect(env, NETWORKS, "bad", "status.phase", "\"Valid\"");
    expect(env, "configmaps", "bad-network", "data.broadcast", "\"10.0.0.3\"");

    patch_network(env, "good", "{\"spec\":{\"gateway\":\"192.169.0.1\"}}");
    expect(env, NETWORKS, "good", "status.message",
           "\"spec.gateway: Invalid value: \\\"192.169.0.1\\\": is outside spec.cidr\"");
    expect(env, NETWORKS, "good", "status.observedGeneration", "2");
    expect_absent(env, "configmaps", "good-network");

    if (rc_client_delete(rc_testenv_client(env), NETWORKS, "default", "bad", NULL, NULL, &err))
        failures += fail(&err, "delete");
    rc_testenv_run_until_stable(env, RC_MINUTE);
    expect_absent(env, "configmaps", "bad-network"); /* garbage collected with its owner */

    char *role = NULL;
    if (rc_testenv_rbac_report(env, "network", &role, &err) == 0)
        printf("least-privilege role of the network controller:\n%s", role);
    else
        failures += fail(&err, "rbac report");
    free(role);
    rc_testenv_free(env);
    printf("network-controller self-test: %s\n", failures ? "FAILED" : "passed");
    return failures ? 1 : 0;
}

/* ---- against a cluster (threads, real time) ---- */

static int run_cluster(const char *kubeconfig, const char *context)
{
    rc_error err = {0};
    rc_kubeconfig kc = {0};
    if (rc_kubeconfig_load(kubeconfig, context, &kc, &err))
        return fail(&err, "kubeconfig");
    rc_client *client = rc_http_client_new(&kc, NULL, &err);
    rc_kubeconfig_clear(&kc);
    if (!client)
        return fail(&err, "connect");
    rc_manager_options mo = {.client = client, .event_source = "network-controller"};
    rc_manager *m = NULL;
    int rc = rc_manager_new(&mo, &m, &err);
    rc = rc ? rc : rc_manager_add_controller(m, &network_ops, NULL, NULL, &err);
    rc = rc ? rc : rc_manager_stop_on_signals(m, &err);
    if (rc == 0)
        fprintf(stderr, "network-controller: watching %s (Ctrl-C stops)\n", NETWORKS);
    rc = rc ? rc : rc_manager_run(m, &err);
    rc_manager_free(m);
    rc_client_unref(client);
    return rc ? fail(&err, "run") : 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: network-controller [--kubeconfig FILE] [--context NAME]\n"
                    "       network-controller --offline FILE...\n"
                    "       network-controller --print-crd | --self-test\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *kubeconfig = NULL, *context = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--self-test"))
            return self_test();
        if (!strcmp(argv[i], "--print-crd"))
            return fputs(crd_yaml, stdout) < 0;
        if (!strcmp(argv[i], "--offline"))
            return run_offline(argc - i - 1, argv + i + 1);
        if (!strcmp(argv[i], "--kubeconfig") && i + 1 < argc)
            kubeconfig = argv[++i];
        else if (!strcmp(argv[i], "--context") && i + 1 < argc)
            context = argv[++i];
        else
            return usage();
    }
    return run_cluster(kubeconfig, context);
}
