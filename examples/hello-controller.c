/* hello-controller.c - the README's controller: every Deployment gets an owned ConfigMap "<name>-info"
 * recording its image; run offline on the embedded API server (rc_testenv) and checked. */
#include <reconcile.h>
#include <stdio.h>

static int fill(void *deploy, rc_object *cm, rc_error *err)   /* desired state of the ConfigMap */
{
    rc_object_set_str(cm, "data.image", rc_object_get_str(deploy, "spec.template.spec.containers.0.image"));
    return rc_is_controlled_by(cm, deploy) ? 0 : rc_set_controller_ref(cm, deploy, err);
}

static int setup(void *self, rc_builder *b, rc_error *err)
{
    (void)self;
    int rc = rc_builder_for(b, "deployments.apps", NULL, err);   /* the primary resource */
    return rc ? rc : rc_builder_owns(b, "configmaps", NULL, err); /* child events requeue the owner */
}

static rc_result reconcile(void *self, rc_reconcile_ctx *ctx, const char *key)
{
    (void)self;
    rc_error err = {0};
    rc_object *d = NULL;
    if (rc_ctx_get_key(ctx, "deployments.apps", key, &d, &err) == RC_ENOTFOUND) {
        rc_error_clear(&err);
        return rc_result_done();                       /* deleted: the GC removes what it owned */
    }
    if (!d)
        return rc_result_from_error(ctx, &err);        /* rate-limited retry */
    char name[300];
    snprintf(name, sizeof name, "%s-info", rc_object_name(d));
    int rc = rc_create_or_update(ctx, "configmaps", rc_object_namespace(d), name, fill, d, NULL, NULL, &err);
    rc_object_unref(d);
    return rc ? rc_result_from_error(ctx, &err) : rc_result_done();
}

static const rc_controller_ops hello = {.name = "hello", .setup = setup, .reconcile = reconcile};

int main(void)
{
    rc_error err = {0};
    rc_testenv *env = NULL;
    rc_testenv_options opts = {.seed = 1};
    if (rc_testenv_new(&opts, &env, &err) || rc_testenv_add_controller(env, &hello, NULL, NULL, &err) ||
        rc_testenv_load_file(env, "examples/manifests/nginx-deployment.yaml", &err) ||
        rc_testenv_run_until_stable(env, RC_MINUTE)) {
        fprintf(stderr, "hello-controller: %s\n", err.message ? err.message : "did not settle");
        return 1;
    }
    bool ok = rc_testenv_field_equals(env, "configmaps", "default", "nginx-deployment-info", "data.image",
                                      "\"nginx:1.7.9\"", &err);
    printf("hello-controller: configmap default/nginx-deployment-info %s\n", ok ? "records nginx:1.7.9" : "missing");
    rc_error_clear(&err);
    rc_testenv_free(env);
    return ok ? 0 : 1;
}
