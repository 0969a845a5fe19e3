/* testenv.c - rc_testenv: an embedded API server on a virtual clock plus a manager on the deterministic
 * driver, with fixture loading, controllers run as service accounts (their informers' list/watch rights are
 * checked before the first run), driving, reads and assertions, and the action log as text. The RBAC
 * report lives in testenv_rbac.c. */
#include <reconcile/codec.h>
#include <reconcile/testenv.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/testenv_internal.h"
#include "util/strbuf.h"

#define DEFAULT_START ((rc_time)1704067200 * RC_SEC) /* 2024-01-01T00:00:00Z */

int rc_testenv_new(const rc_testenv_options *opts, rc_testenv **out, rc_error *err)
{
    if (!out)
        return rc_error_set(err, RC_EINVAL, "testenv: an output pointer is required");
    rc_testenv_options o = {0};
    if (opts)
        o = *opts;
    rc_testenv *env = calloc(1, sizeof *env);
    if (!env)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    env->clock = rc_clock_virtual_new(o.start ? o.start : DEFAULT_START);
    int rc = env->clock ? 0 : rc_error_set(err, RC_ENOMEM, "out of memory");
    if (rc == 0) {
        rc_apiserver_options so = {0};
        so.clock = env->clock;
        so.seed = o.seed;
        env->srv = rc_apiserver_new(&so, err);
        rc = env->srv ? 0 : (err && err->code ? err->code : RC_ENOMEM);
    }
    if (rc == 0) {
        rc_apiserver_set_rbac(env->srv, !o.no_rbac);
        env->admin = rc_apiserver_client(env->srv, NULL);
        rc_manager_options mo = {0};
        mo.client = env->admin;
        mo.clock = env->clock;
        mo.seed = o.seed;
        mo.apiserver = env->srv;
        mo.max_steps_per_instant = o.max_steps_per_instant;
        rc = env->admin ? rc_manager_new(&mo, &env->m, err) : rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    if (rc) {
        rc_testenv_free(env);
        return rc;
    }
    *out = env;
    return 0;
}

void rc_testenv_free(rc_testenv *env)
{
    if (!env)
        return;
    rc_manager_free(env->m);
    for (size_t i = 0; i < env->nsa; i++) {
        free(env->sa[i].controller);
        free(env->sa[i].user_name);
        rc_client_unref(env->sa[i].client);
    }
    free(env->sa);
    rc_client_unref(env->admin);
    rc_apiserver_free(env->srv);
    rc_clock_free(env->clock);
    free(env);
}

rc_apiserver *rc_testenv_apiserver(rc_testenv *env)
{
    return env->srv;
}

rc_client *rc_testenv_client(rc_testenv *env)
{
    return env->admin;
}

rc_clock *rc_testenv_clock(rc_testenv *env)
{
    return env->clock;
}

rc_manager *rc_testenv_manager(rc_testenv *env)
{
    return env->m;
}

rc_time rc_testenv_now(rc_testenv *env)
{
    return rc_clock_now(env->clock);
}

static int load_list(rc_testenv *env, rc_object_list *list, rc_error *err)
{
    for (size_t i = 0; i < list->count; i++) {
        rc_object *o = list->items[i];
        rc_error e = {0};
        const rc_resource_info *ri = rc_client_resolve(env->admin, NULL, o, &e);
        const char *ns = rc_object_namespace(o);
        int rc = ri ? rc_client_create(env->admin, NULL, ri->namespaced && !ns[0] ? "default" : ns, o, NULL, NULL, &e)
                    : e.code;
        if (rc) {
            rc_error_set(err, rc, "document %zu (%s %s): %s", i + 1, rc_object_kind(o) ? rc_object_kind(o) : "?",
                         rc_object_name(o) ? rc_object_name(o) : "?", e.message ? e.message : rc_strerror(rc));
            rc_error_clear(&e);
            return rc;
        }
    }
    return 0;
}

int rc_testenv_load_yaml(rc_testenv *env, const char *yaml, rc_error *err)
{
    if (!env || !yaml)
        return rc_error_set(err, RC_EINVAL, "load_yaml: an environment and a manifest are required");
    rc_object_list list;
    rc_object_list_init(&list);
    int rc = rc_decode_objects(yaml, strlen(yaml), "<fixture>", NULL, &list, err);
    if (rc == 0)
        rc = load_list(env, &list, err);
    rc_object_list_clear(&list);
    return rc;
}

int rc_testenv_load_file(rc_testenv *env, const char *path, rc_error *err)
{
    if (!env || !path)
        return rc_error_set(err, RC_EINVAL, "load_file: an environment and a path are required");
    rc_object_list list;
    rc_object_list_init(&list);
    int rc = rc_decode_objects_file(path, NULL, &list, err);
    if (rc == 0)
        rc = load_list(env, &list, err);
    rc_object_list_clear(&list);
    return rc;
}

int rc_testenv_add_controller(rc_testenv *env, const rc_controller_ops *ops, void *self,
                              const rc_controller_options *opts, rc_error *err)
{
    return rc_manager_add_controller(env->m, ops, self, opts, err);
}

int rc_testenv_add_controller_as(rc_testenv *env, const char *sa_namespace, const char *sa_name,
                                 const rc_controller_ops *ops, void *self, const rc_controller_options *opts,
                                 rc_error *err)
{
    rci_testenv_sa *grown = NULL;
    char *user_name = NULL, *group_ns = NULL;
    int rc = 0;
    if (!env || !sa_namespace || !sa_namespace[0] || !sa_name || !sa_name[0] || !ops || !ops->name)
        rc = rc_error_set(err, RC_EINVAL, "add_controller_as: a service account namespace and name are required");
    else if (!(user_name = rci_asprintf("system:serviceaccount:%s:%s", sa_namespace, sa_name)) ||
             !(group_ns = rci_asprintf("system:serviceaccounts:%s", sa_namespace)) ||
             !(grown = realloc(env->sa, (env->nsa + 1) * sizeof *grown)))
        rc = rc_error_set(err, RC_ENOMEM, "out of memory");
    if (rc) {
        free(user_name);
        free(group_ns);
        if (ops && ops->destroy)
            ops->destroy(self);
        return rc;
    }
    env->sa = grown;
    memset(&env->sa[env->nsa], 0, sizeof env->sa[env->nsa]);
    rc_user user = {user_name, {"system:serviceaccounts", group_ns, "system:authenticated", NULL}};
    rc_client *client = rc_apiserver_client(env->srv, &user);
    free(group_ns);
    rc_controller_options o = {0};
    if (opts)
        o = *opts;
    o.client = client;
    rc = client ? rc_manager_add_controller(env->m, ops, self, &o, err)
                : rc_error_set(err, RC_ENOMEM, "out of memory");
    if (rc || !(env->sa[env->nsa].controller = strdup(ops->name))) {
        free(user_name);
        rc_client_unref(client);
        return rc ? rc : rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    env->sa[env->nsa].user_name = user_name;
    env->sa[env->nsa].client = client;
    env->nsa++;
    return 0;
}

int rc_testenv_run_until_stable(rc_testenv *env, rc_duration max)
{
    int rc = rci_testenv_check_informer_rights(env, NULL);
    return rc ? rc : rc_manager_run_until_stable(env->m, rc_clock_now(env->clock) + max);
}

int rc_testenv_advance(rc_testenv *env, rc_duration d)
{
    int rc = rci_testenv_check_informer_rights(env, NULL);
    return rc ? rc : rc_manager_run_until(env->m, rc_clock_now(env->clock) + d);
}

int rc_testenv_get(rc_testenv *env, const char *resource, const char *ns, const char *name, rc_object **out,
                   rc_error *err)
{
    return rc_client_get(env->admin, resource, ns, name, out, err);
}

bool rc_testenv_field_equals(rc_testenv *env, const char *resource, const char *ns, const char *name,
                             const char *path, const char *json, rc_error *err)
{
    if (!path || !json) {
        rc_error_set(err, RC_EINVAL, "field_equals: a path and a JSON value are required");
        return false;
    }
    cJSON *want = cJSON_Parse(json);
    if (!want) {
        rc_error_set(err, RC_EBADREQUEST, "field_equals: %s is not JSON", json);
        return false;
    }
    rc_object *o = NULL;
    bool eq = false;
    if (rc_testenv_get(env, resource, ns, name, &o, err) == 0) {
        cJSON *got = rc_node_to_cjson(rc_object_at(o, path));
        eq = got && cJSON_Compare(got, want, true);
        if (!got) {
            rc_error_set(err, RC_ENOTFOUND, "%s %s/%s has no field %s (want %s)", resource, ns ? ns : "", name, path,
                         json);
        } else if (!eq) {
            char *text = cJSON_PrintUnformatted(got);
            rc_error_set(err, RC_EINVAL, "%s %s/%s: %s is %s, want %s", resource, ns ? ns : "", name, path,
                         text ? text : "?", json);
            free(text);
        }
        cJSON_Delete(got);
        rc_object_unref(o);
    }
    cJSON_Delete(want);
    return eq;
}

long rc_testenv_count(rc_testenv *env, const char *resource, const char *ns, const char *label_selector,
                      rc_error *err)
{
    rc_list_options lo = {0};
    lo.label_selector = label_selector;
    rc_object_list list;
    rc_object_list_init(&list);
    int rc = rc_client_list(env->admin, resource, ns ? ns : "", &lo, &list, err);
    long n = rc ? rc : (long)list.count;
    rc_object_list_clear(&list);
    return n;
}

char *rc_testenv_actions_text(rc_testenv *env)
{
    rc_action *acts = NULL;
    size_t n = rc_apiserver_actions(env->srv, &acts);
    rci_strbuf b;
    rci_strbuf_init(&b);
    rci_strbuf_puts(&b, "");
    for (size_t i = 0; i < n; i++) {
        const rc_action *a = &acts[i];
        rci_strbuf_printf(&b, "%s %s %s%s%s %s %d\n", a->verb, a->resource, a->namespace_,
                          a->namespace_[0] ? "/" : "", a->name, a->actor[0] ? a->actor : "-", a->code);
    }
    rc_actions_free(acts, n);
    return b.failed ? (rci_strbuf_free(&b), NULL) : rci_strbuf_take(&b);
}
