/* testenv_rbac.c - least privilege for controllers under test: before the first run, a controller acting
 * as a service account must be allowed to list and watch what its informers serve; afterwards the verbs
 * and resources it actually used (recorded by its client, see cclient.c) are printed as the minimal Role
 * or ClusterRole YAML, resources with the same verbs in one API group sharing a rule. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"
#include "runtime/testenv_internal.h"
#include "util/strbuf.h"

static const char *const verb_order[] = {"get", "list", "watch", "create", "update", "patch", "delete",
                                         "deletecollection"};
#define NVERBS (sizeof verb_order / sizeof *verb_order)

static int check_one(rc_testenv *env, rci_testenv_sa *sa, rc_error *err)
{
    rci_controller *c = rci_manager_controller(env->m, sa->controller);
    if (!c)
        return 0;
    rci_usage *u = NULL;
    size_t n = rci_cclient_usage(c->cc, &u);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (strcmp(u[i].verb, "list") && strcmp(u[i].verb, "watch"))
            continue;
        char res[200];
        snprintf(res, sizeof res, "%s%s%s", u[i].resource, u[i].group[0] ? "." : "", u[i].group);
        bool allowed = false;
        rc_error e = {0};
        rc = rc_client_can_i(sa->client, u[i].verb, res, u[i].namespace_, NULL, &allowed, &e);
        if (rc == 0 && !allowed)
            rc = RC_EFORBIDDEN;
        if (rc) {
            rc_error_set(err, rc, "controller %s (%s) may not %s %s%s%s: its informer needs it", sa->controller,
                         sa->user_name, u[i].verb, res, u[i].namespace_[0] ? " in namespace " : " cluster-wide",
                         u[i].namespace_);
            rc_log(RC_LOG_ERROR, sa->controller, NULL, "%s may not %s %s", sa->user_name, u[i].verb, res);
        }
        rc_error_clear(&e);
    }
    rci_usage_free(u, n);
    return rc;
}

int rci_testenv_check_informer_rights(rc_testenv *env, rc_error *err)
{
    for (size_t i = 0; i < env->nsa; i++) {
        if (env->sa[i].checked)
            continue;
        int rc = check_one(env, &env->sa[i], err);
        if (rc)
            return rc;
        env->sa[i].checked = true;
    }
    return 0;
}

/* One (group, resource) with the verbs used on it (bit i = verb_order[i]). */
typedef struct grant {
    const char *group;
    const char *resource;
    unsigned verbs;
    bool done;
} grant;

static int by_group_resource(const void *a, const void *b)
{
    const grant *x = a, *y = b;
    int c = strcmp(x->group, y->group);
    return c ? c : strcmp(x->resource, y->resource);
}

static size_t collect_grants(const rci_usage *u, size_t n, grant *g)
{
    size_t ng = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned bit = 0;
        for (size_t v = 0; v < NVERBS; v++)
            if (!strcmp(u[i].verb, verb_order[v]))
                bit = 1u << v;
        size_t j = 0;
        while (j < ng && (strcmp(g[j].group, u[i].group) || strcmp(g[j].resource, u[i].resource)))
            j++;
        if (j == ng)
            g[ng++] = (grant){u[i].group, u[i].resource, 0, false};
        g[j].verbs |= bit;
    }
    qsort(g, ng, sizeof *g, by_group_resource);
    return ng;
}

/* Role when every namespaced request stayed in one namespace and nothing cluster-scoped was used. */
static const char *single_namespace(const rci_usage *u, size_t n)
{
    const char *ns = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!u[i].namespaced || !u[i].namespace_[0] || (ns && strcmp(ns, u[i].namespace_)))
            return NULL;
        ns = u[i].namespace_;
    }
    return ns;
}

static void write_rules(rci_strbuf *b, grant *g, size_t ng)
{
    rci_strbuf_puts(b, "rules:\n");
    for (size_t i = 0; i < ng; i++) {
        if (g[i].done || !g[i].verbs)
            continue;
        rci_strbuf_printf(b, "- apiGroups:\n  - \"%s\"\n  resources:\n", g[i].group);
        for (size_t j = i; j < ng; j++) {
            if (!g[j].done && g[j].verbs == g[i].verbs && !strcmp(g[j].group, g[i].group)) {
                rci_strbuf_printf(b, "  - %s\n", g[j].resource);
                g[j].done = true;
            }
        }
        rci_strbuf_puts(b, "  verbs:\n");
        for (size_t v = 0; v < NVERBS; v++)
            if (g[i].verbs & (1u << v))
                rci_strbuf_printf(b, "  - %s\n", verb_order[v]);
    }
}

int rc_testenv_rbac_report(rc_testenv *env, const char *controller, char **out, rc_error *err)
{
    if (!env || !controller || !out)
        return rc_error_set(err, RC_EINVAL, "rbac_report: an environment, a controller and an output are required");
    rci_controller *c = rci_manager_controller(env->m, controller);
    if (!c)
        return rc_error_set(err, RC_ENOTFOUND, "no controller named %s", controller);
    rci_usage *u = NULL;
    size_t n = rci_cclient_usage(c->cc, &u);
    grant *g = n ? calloc(n, sizeof *g) : NULL;
    if (n && !g) {
        rci_usage_free(u, n);
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    size_t ng = collect_grants(u, n, g);
    const char *ns = single_namespace(u, n);
    rci_strbuf b;
    rci_strbuf_init(&b);
    rci_strbuf_printf(&b, "apiVersion: rbac.authorization.k8s.io/v1\nkind: %s\nmetadata:\n  name: %s-role\n",
                      ns ? "Role" : "ClusterRole", controller);
    if (ns)
        rci_strbuf_printf(&b, "  namespace: %s\n", ns);
    write_rules(&b, g, ng);
    free(g);
    rci_usage_free(u, n);
    if (b.failed) {
        rci_strbuf_free(&b);
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    *out = rci_strbuf_take(&b);
    return 0;
}
