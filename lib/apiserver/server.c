/* server.c - rc_apiserver's lifetime and small shared services: creation with the bootstrap namespaces,
 * RBAC roles and built-in admission plugins; the per-resource storage table; pumping and stepping; ids,
 * timestamps and name suffixes from the seeded random source. The verbs live in the other files. */
#include "apiserver/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apiserver/admission_builtin.h"

static const char *const bootstrap_namespaces[] = {"default", "kube-system", "kube-public"};

const char *rci_actor(const rci_req *req)
{
    return req->user && req->user->name ? req->user->name : "";
}

void rci_format_time(rc_time t, char *buf, size_t cap)
{
    time_t secs = (time_t)(t / RC_SEC);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

bool rci_parse_time(const char *s, rc_time *out)
{
    struct tm tm = {0};
    const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!end)
        return false;
    *out = (rc_time)timegm(&tm) * RC_SEC;
    return true;
}

/* Writes the low `digits` hex digits of v (lower case) at out. */
static void put_hex(char *out, uint64_t v, int digits)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = digits - 1; i >= 0; i--, v >>= 4)
        out[i] = hex[v & 15];
}

void rci_uuid_locked(rc_apiserver *srv, char out[37])
{
    uint64_t a = rc_rand_next(&srv->rand), b = rc_rand_next(&srv->rand);
    a = (a & ~0xf000ULL) | 0x4000ULL;                         /* version 4 */
    b = (b & ~(3ULL << 62)) | (2ULL << 62);                   /* RFC 4122 variant */
    put_hex(out, a >> 32, 8); /* xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx */
    out[8] = '-';
    put_hex(out + 9, a >> 16, 4);
    out[13] = '-';
    put_hex(out + 14, a, 4);
    out[18] = '-';
    put_hex(out + 19, b >> 48, 4);
    out[23] = '-';
    put_hex(out + 24, b, 12);
    out[36] = '\0';
}

void rci_random_suffix_locked(rc_apiserver *srv, char *out, size_t n)
{
    /* upstream's alphabet: lower-case letters and digits without vowels and easily confused ones */
    static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[rc_rand_below(&srv->rand, sizeof alphabet - 1)];
    out[n] = '\0';
}

/* Appends s to buf (length *len, capacity cap), cut to what fits as snprintf would. */
static void put_cut(char *buf, size_t cap, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (n > cap - 1 - *len)
        n = cap - 1 - *len;
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = '\0';
}

const char *rci_qualified(const rc_resource_info *ri, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    put_cut(buf, cap, &len, ri->plural);
    if (ri->group[0]) {
        put_cut(buf, cap, &len, ".");
        put_cut(buf, cap, &len, ri->group);
    }
    return buf;
}

rci_resource *rci_resource_for_locked(rc_apiserver *srv, const rc_resource_info *ri)
{
    char id[256];
    rci_qualified(ri, id, sizeof id);
    rci_resource *res = rci_map_get(&srv->resources, id);
    if (res) {
        res->ri = ri; /* a re-created CRD may bring a new definition */
        return res;
    }
    res = calloc(1, sizeof *res);
    if (!res)
        return NULL;
    res->id = strdup(id);
    res->ring_cap = srv->opts.watch_history;
    res->ring = calloc(res->ring_cap, sizeof *res->ring);
    res->ri = ri;
    rci_map_init(&res->objects);
    if (!res->id || !res->ring || rci_map_put(&srv->resources, res->id, res, NULL) != 0) {
        free(res->ring);
        free(res->id);
        free(res);
        return NULL;
    }
    return res;
}

static int create_bootstrap_namespaces(rc_apiserver *srv, rc_error *err)
{
    const rc_resource_info *ri = rc_registry_by_kind(srv->registry, "v1", "Namespace");
    if (!ri)
        return rc_error_set(err, RC_EINTERNAL, "the registry has no Namespace kind");
    for (size_t i = 0; i < sizeof bootstrap_namespaces / sizeof *bootstrap_namespaces; i++) {
        cJSON *ns = cJSON_CreateObject();
        cJSON_AddStringToObject(ns, "apiVersion", "v1");
        cJSON_AddStringToObject(ns, "kind", "Namespace");
        cJSON_AddStringToObject(cJSON_AddObjectToObject(ns, "metadata"), "name", bootstrap_namespaces[i]);
        rci_req req = {.srv = srv, .verb = "create", .ri = ri, .ns = "", .name = bootstrap_namespaces[i],
                       .subresource = ""};
        pthread_mutex_lock(&srv->lock);
        req.res = rci_resource_for_locked(srv, ri);
        pthread_mutex_unlock(&srv->lock);
        int rc = req.res ? rci_create(&req, ns, NULL, err) : rc_error_set(err, RC_ENOMEM, "out of memory");
        cJSON_Delete(ns);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int register_builtin_admission(rc_apiserver *srv, rc_error *err)
{
    rc_admission_plugin builtin[16];
    int n = rci_admission_builtin(builtin, sizeof builtin / sizeof *builtin);
    for (int i = 0; i < n; i++) {
        int rc = rc_apiserver_add_admission(srv, &builtin[i], err);
        if (rc != 0) {
            for (int j = i + 1; j < n; j++)
                if (builtin[j].destroy)
                    builtin[j].destroy(builtin[j].ctx);
            return rc;
        }
    }
    srv->nbuiltin_plugins = (size_t)n;
    return 0;
}

rc_apiserver *rc_apiserver_new(const rc_apiserver_options *opts, rc_error *err)
{
    rc_apiserver *srv = calloc(1, sizeof *srv);
    if (!srv) {
        rc_error_set(err, RC_ENOMEM, "out of memory");
        return NULL;
    }
    if (opts)
        srv->opts = *opts;
    if (!srv->opts.watch_history)
        srv->opts.watch_history = RC_APISERVER_DEFAULT_WATCH_HISTORY;
    if (!srv->opts.bookmark_interval)
        srv->opts.bookmark_interval = 60 * RC_SEC;
    if (!srv->opts.action_log_cap)
        srv->opts.action_log_cap = RC_APISERVER_DEFAULT_ACTION_LOG;
    srv->clock = srv->opts.clock ? srv->opts.clock : rc_clock_real();
    srv->rbac = true;
    rc_rand_seed(&srv->rand, srv->opts.seed);
    pthread_mutex_init(&srv->lock, NULL);
    rci_map_init(&srv->resources);
    rci_map_init(&srv->authz_cache);
    srv->registry = rc_registry_new();
    srv->actions = calloc(srv->opts.action_log_cap, sizeof *srv->actions);
    srv->handle = calloc(1, sizeof *srv->handle);
    if (!srv->registry || !srv->actions || !srv->handle) {
        rc_error_set(err, RC_ENOMEM, "out of memory");
        rc_apiserver_free(srv);
        return NULL;
    }
    atomic_init(&srv->handle->refs, 1);
    atomic_init(&srv->handle->srv, srv);
    srv->system = rci_inproc_client(srv->handle, NULL, true);
    if (!srv->system || create_bootstrap_namespaces(srv, err) != 0 || rci_rbac_bootstrap(srv, err) != 0 ||
        (!srv->opts.no_builtin_admission && register_builtin_admission(srv, err) != 0)) {
        if (!srv->system)
            rc_error_set(err, RC_ENOMEM, "out of memory");
        rc_apiserver_free(srv);
        return NULL;
    }
    rc_apiserver_pump(srv); /* nobody watches the bootstrap objects yet */
    return srv;
}

void rc_apiserver_free(rc_apiserver *srv)
{
    if (!srv)
        return;
    if (srv->handle)
        atomic_store(&srv->handle->srv, NULL);
    rc_client_unref(srv->system);
    pthread_mutex_lock(&srv->lock);
    rci_watch_close_all_locked(srv, NULL);
    for (size_t i = 0; i < srv->npending; i++)
        rci_pending_clear(&srv->pending[i]);
    free(srv->pending);
    size_t it = 0;
    const rci_map_entry *e;
    while (rci_map_next(&srv->resources, &it, &e))
        rci_store_free(e->value);
    rci_map_free(&srv->resources);
    rci_authz_cache_free_locked(srv);
    for (size_t i = 0; i < srv->ngrace; i++)
        free(srv->grace[i].key);
    free(srv->grace);
    rci_actions_free_locked(srv);
    free(srv->actions);
    rci_faults_free_locked(srv);
    pthread_mutex_unlock(&srv->lock);
    for (size_t i = 0; i < srv->nplugins; i++)
        if (srv->plugins[i].destroy)
            srv->plugins[i].destroy(srv->plugins[i].ctx);
    free(srv->plugins);
    rc_registry_free(srv->registry);
    if (srv->handle)
        rci_handle_unref(srv->handle);
    pthread_mutex_destroy(&srv->lock);
    free(srv);
}

rc_client *rc_apiserver_client(rc_apiserver *srv, const rc_user *user)
{
    return rci_inproc_client(srv->handle, user, false);
}

void rc_apiserver_set_rbac(rc_apiserver *srv, bool enabled)
{
    pthread_mutex_lock(&srv->lock);
    srv->rbac = enabled;
    pthread_mutex_unlock(&srv->lock);
}

rc_registry *rc_apiserver_registry(rc_apiserver *srv)
{
    return srv->registry;
}

int rc_apiserver_add_admission(rc_apiserver *srv, const rc_admission_plugin *plugin, rc_error *err)
{
    if (!plugin || !plugin->name)
        return rc_error_set(err, RC_EINVAL, "admission plugin: name is required");
    pthread_mutex_lock(&srv->lock);
    rc_admission_plugin *p = realloc(srv->plugins, (srv->nplugins + 1) * sizeof *p);
    if (p) {
        srv->plugins = p;
        srv->plugins[srv->nplugins++] = *plugin;
    }
    pthread_mutex_unlock(&srv->lock);
    return p ? 0 : rc_error_set(err, RC_ENOMEM, "out of memory");
}

uint64_t rc_apiserver_resource_version(rc_apiserver *srv)
{
    pthread_mutex_lock(&srv->lock);
    uint64_t rv = srv->rv;
    pthread_mutex_unlock(&srv->lock);
    return rv;
}

size_t rc_apiserver_pump(rc_apiserver *srv)
{
    pthread_mutex_lock(&srv->lock);
    size_t n = rci_watch_dispatch_locked(srv);
    pthread_mutex_unlock(&srv->lock);
    return n;
}

size_t rc_apiserver_pending(rc_apiserver *srv)
{
    pthread_mutex_lock(&srv->lock);
    size_t n = srv->npending;
    pthread_mutex_unlock(&srv->lock);
    return n;
}

rc_time rc_apiserver_next_deadline(rc_apiserver *srv)
{
    pthread_mutex_lock(&srv->lock);
    rc_time t = srv->npending ? rc_clock_now(srv->clock) : rci_watch_next_locked(srv);
    rc_time g = rci_grace_next_locked(srv);
    pthread_mutex_unlock(&srv->lock);
    return g < t ? g : t;
}

size_t rc_apiserver_step(rc_apiserver *srv)
{
    rc_time now = rc_clock_now(srv->clock);
    size_t n = rci_grace_step(srv, now);
    pthread_mutex_lock(&srv->lock);
    n += rci_watch_dispatch_locked(srv);
    n += rci_watch_step_locked(srv, now);
    pthread_mutex_unlock(&srv->lock);
    return n;
}

void rc_apiserver_set_trace(rc_apiserver *srv, void (*fn)(void *ctx, const rc_trace_record *rec), void *ctx)
{
    pthread_mutex_lock(&srv->lock);
    srv->trace = fn;
    srv->trace_ctx = ctx;
    pthread_mutex_unlock(&srv->lock);
}
