/* controller_into.c - registration of controllers whose reconcile writes its rc_result through a pointer
 * (rc_controller_into_ops) instead of returning it by value, for callers that cannot return a structure
 * from a callback (language bindings such as ctypes). A thin adapter: it wraps the into-ops as an
 * rc_controller_ops and registers that through the ordinary manager/testenv path, so workers, metrics and
 * error handling are the same code. */
#include "runtime/runtime.h"

#include <reconcile/testenv.h>

#include <stdlib.h>

typedef struct into_adapter {
    rc_controller_ops ops; /* what the manager keeps; name borrowed from into */
    const rc_controller_into_ops *into;
    void *self;
} into_adapter;

static int into_setup(void *self, rc_builder *b, rc_error *err)
{
    into_adapter *a = self;
    return a->into->setup(a->self, b, err);
}

static rc_result into_reconcile(void *self, rc_reconcile_ctx *ctx, const char *key)
{
    into_adapter *a = self;
    rc_result r = {RC_RESULT_DONE, 0, 0};
    int rc = a->into->reconcile_into(a->self, ctx, key, &r);
    if (rc) {
        r.kind = RC_RESULT_ERROR;
        r.after = 0;
        r.code = rc < 0 ? rc : RC_EINTERNAL;
    }
    return r;
}

static void into_destroy(void *self)
{
    into_adapter *a = self;
    if (a->into->destroy)
        a->into->destroy(a->self);
    free(a);
}

/* The adapter for ops/self (*out); NULL ops gives NULL (the registration then refuses it). RC_ENOMEM after
 * ops->destroy(self), as a failed registration does. */
static int adapter_new(const rc_controller_into_ops *ops, void *self, into_adapter **out, rc_error *err)
{
    *out = NULL;
    if (!ops)
        return 0;
    into_adapter *a = malloc(sizeof *a);
    if (!a) {
        if (ops->destroy)
            ops->destroy(self);
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    a->ops.name = ops->name;
    a->ops.setup = ops->setup ? into_setup : NULL;
    a->ops.reconcile = ops->reconcile_into ? into_reconcile : NULL;
    a->ops.destroy = into_destroy;
    a->into = ops;
    a->self = self;
    *out = a;
    return 0;
}

int rc_manager_add_controller_into(rc_manager *m, const rc_controller_into_ops *ops, void *self,
                                   const rc_controller_options *opts, rc_error *err)
{
    into_adapter *a;
    int rc = adapter_new(ops, self, &a, err);
    return rc ? rc : rc_manager_add_controller(m, a ? &a->ops : NULL, a, opts, err);
}

int rc_testenv_add_controller_into(rc_testenv *env, const rc_controller_into_ops *ops, void *self,
                                   const rc_controller_options *opts, rc_error *err)
{
    into_adapter *a;
    int rc = adapter_new(ops, self, &a, err);
    return rc ? rc : rc_testenv_add_controller(env, a ? &a->ops : NULL, a, opts, err);
}

int rc_testenv_add_controller_as_into(rc_testenv *env, const char *sa_namespace, const char *sa_name,
                                      const rc_controller_into_ops *ops, void *self,
                                      const rc_controller_options *opts, rc_error *err)
{
    into_adapter *a;
    int rc = adapter_new(ops, self, &a, err);
    return rc ? rc : rc_testenv_add_controller_as(env, sa_namespace, sa_name, a ? &a->ops : NULL, a, opts, err);
}
