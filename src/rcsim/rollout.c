/* rollout.c - prints `kubectl rollout status` lines for the Deployments a manifest applied, as the
 * simulation changes them: each distinct line once, until "successfully rolled out". */
#include "rcsim.h"

#include <stdlib.h>
#include <string.h>

typedef struct followed {
    char *ns, *name;
    char *last; /* the last line printed */
    bool done;
} followed;

struct rcsim_rollout {
    FILE *out;
    followed *items;
    size_t n, cap;
};

static followed *find(rcsim_rollout *r, const char *ns, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->items[i].ns, ns) && !strcmp(r->items[i].name, name))
            return &r->items[i];
    return NULL;
}

static void report(rcsim_rollout *r, followed *f, const rc_object *d)
{
    char *msg = NULL;
    bool done = false;
    int rc = rc_deployment_rollout_status(d, &msg, &done);
    if (msg && (!f->last || strcmp(f->last, msg))) {
        fputs(msg, r->out);
        fflush(r->out);
        free(f->last);
        f->last = msg;
        msg = NULL;
    }
    free(msg);
    f->done = done || rc == RC_ETIMEOUT;
}

static void on_deployment(void *ctx, rc_change_type type, const rc_object *old, const rc_object *obj)
{
    (void)old;
    rcsim_rollout *r = ctx;
    if (type == RC_CHANGE_DELETE)
        return;
    followed *f = find(r, rc_object_namespace(obj), rc_object_name(obj));
    if (f && !f->done)
        report(r, f, obj);
}

rcsim_rollout *rcsim_rollout_new(rc_manager *m, FILE *out, rc_error *err)
{
    rcsim_rollout *r = calloc(1, sizeof *r);
    if (!r) {
        rc_error_set(err, RC_ENOMEM, "out of memory");
        return NULL;
    }
    r->out = out;
    if (rc_manager_on_change(m, "deployments.apps", on_deployment, r, err) != 0) {
        free(r);
        return NULL;
    }
    return r;
}

int rcsim_rollout_follow(rcsim_rollout *r, const char *ns, const char *name)
{
    followed *f = find(r, ns, name);
    if (f) {
        f->done = false;
        free(f->last);
        f->last = NULL;
        return 0;
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        followed *v = realloc(r->items, cap * sizeof *v);
        if (!v)
            return RC_ENOMEM;
        r->items = v;
        r->cap = cap;
    }
    f = &r->items[r->n];
    memset(f, 0, sizeof *f);
    f->ns = strdup(ns);
    f->name = strdup(name);
    if (!f->ns || !f->name) {
        free(f->ns);
        free(f->name);
        return RC_ENOMEM;
    }
    r->n++;
    return 0;
}

void rcsim_rollout_flush(rcsim_rollout *r, rc_client *c)
{
    for (size_t i = 0; i < r->n; i++) {
        followed *f = &r->items[i];
        rc_object *d = NULL;
        if (!f->done && rc_client_get(c, "deployments.apps", f->ns, f->name, &d, NULL) == 0)
            report(r, f, d);
        rc_object_unref(d);
    }
}

void rcsim_rollout_reset(rcsim_rollout *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->items[i].ns);
        free(r->items[i].name);
        free(r->items[i].last);
    }
    r->n = 0;
}

void rcsim_rollout_free(rcsim_rollout *r)
{
    if (!r)
        return;
    rcsim_rollout_reset(r);
    free(r->items);
    free(r);
}
