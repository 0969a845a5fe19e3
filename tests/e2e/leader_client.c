/* leader_client.c - a small controller process for tests/e2e/leader.sh: it reaches an API server through a
 * kubeconfig (the HTTP rc_client), runs a manager with leader election on the Lease default/leader-e2e
 * (lease 2 s, renew deadline 1.5 s, retry 0.25 s), and a ConfigMap controller that only runs while leading
 * and stamps each ConfigMap with the annotation e2e.reconcile.io/reconciled-by=IDENTITY. It prints
 * "IDENTITY started leading", "IDENTITY stopped leading" and "IDENTITY reconciled NS/NAME" lines, and stops
 * on SIGINT/SIGTERM (releasing the lease).
 *
 *   leader_client KUBECONFIG IDENTITY
 *
 * Built by the e2e script: cc -Iinclude tests/e2e/leader_client.c BUILD/libreconcile.a $(pkg-config ...). */
#include <reconcile.h>
#include <reconcile/controller.h>
#include <reconcile/kubeconfig.h>
#include <reconcile/manager.h>

#include <stdio.h>
#include <string.h>

#define ANNOTATION "e2e.reconcile.io/reconciled-by"

static const char *identity;

static void say(const char *what)
{
    printf("%s %s\n", identity, what);
    fflush(stdout);
}

static void started(void *ctx)
{
    (void)ctx;
    say("started leading");
}

static void stopped(void *ctx)
{
    (void)ctx;
    say("stopped leading");
}

static int setup(void *self, rc_builder *b, rc_error *err)
{
    (void)self;
    return rc_builder_for(b, "configmaps", NULL, err);
}

static rc_result reconcile(void *self, rc_reconcile_ctx *ctx, const char *key)
{
    (void)self;
    rc_error err = {0};
    rc_object *cm = NULL;
    int rc = rc_ctx_get_key(ctx, "configmaps", key, &cm, &err);
    if (rc == RC_ENOTFOUND) {
        rc_error_clear(&err);
        return rc_result_done();
    }
    if (rc != 0)
        return rc_result_from_error(ctx, &err);
    const char *by = rc_object_annotation(cm, ANNOTATION);
    if (!by || strcmp(by, identity)) {
        char patch[512];
        snprintf(patch, sizeof patch, "{\"metadata\":{\"annotations\":{\"" ANNOTATION "\":\"%s\"}}}", identity);
        rc = rc_client_patch(rc_ctx_client(ctx), "configmaps", rc_object_namespace(cm), rc_object_name(cm),
                             RC_PATCH_MERGE, patch, strlen(patch), NULL, NULL, &err);
    }
    rc_object_unref(cm);
    if (rc != 0)
        return rc_result_from_error(ctx, &err);
    printf("%s reconciled %s\n", identity, key);
    fflush(stdout);
    return rc_result_done();
}

static const rc_controller_ops ops = {.name = "leader-e2e", .setup = setup, .reconcile = reconcile};

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: leader_client KUBECONFIG IDENTITY\n");
        return 2;
    }
    identity = argv[2];
    rc_error err = {0};
    rc_kubeconfig kc = {0};
    rc_client *client = NULL;
    rc_manager *m = NULL;
    rc_leader_options lo = {.lease_namespace = "default", .lease_name = "leader-e2e", .identity = identity,
                            .lease_duration = 2 * RC_SEC, .renew_deadline = 3 * RC_SEC / 2,
                            .retry_period = RC_SEC / 4, .release_on_stop = true,
                            .on_started_leading = started, .on_stopped_leading = stopped};
    rc_controller_options co = {.need_leader_election = true};
    int rc = rc_kubeconfig_load(argv[1], NULL, &kc, &err);
    if (rc == 0 && !(client = rc_http_client_new(&kc, NULL, &err)))
        rc = err.code ? err.code : RC_ENOMEM;
    rc_manager_options mo = {.client = client, .leader = &lo, .event_source = identity};
    if (rc == 0)
        rc = rc_manager_new(&mo, &m, &err);
    if (rc == 0)
        rc = rc_manager_add_controller(m, &ops, NULL, &co, &err);
    if (rc == 0)
        rc = rc_manager_stop_on_signals(m, &err);
    if (rc == 0)
        rc = rc_manager_run(m, &err);
    if (rc != 0)
        fprintf(stderr, "leader_client %s: %s\n", identity, err.message ? err.message : rc_strerror(rc));
    rc_manager_free(m);
    rc_client_unref(client);
    rc_kubeconfig_clear(&kc);
    rc_error_clear(&err);
    return rc ? 1 : 0;
}
