/* http_client.c - the HTTP backend of rc_client: maps each verb onto the Kubernetes REST paths and query
 * parameters (selectors, paging, watch, write and delete options), decodes the answers into rc_objects
 * (list items get their apiVersion/kind back, as real servers omit them), and builds the client's
 * registry from the built-in kinds plus whatever discovery finds on the server (CRDs). */
#include "client/http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- URLs ---- */

static void put_escaped(rci_strbuf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                     ch == '-' || ch == '_' || ch == '.' || ch == '~';
        if (plain) {
            rci_strbuf_putc(b, (char)ch);
        } else {
            char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            rci_strbuf_append(b, e, 3);
        }
    }
}

void rci_hc_path(rci_strbuf *b, const rc_resource_info *ri, const char *ns, const char *name, const char *sub)
{
    if (ri->group[0])
        rci_strbuf_printf(b, "/apis/%s/%s", ri->group, ri->version);
    else
        rci_strbuf_printf(b, "/api/%s", ri->version);
    if (ri->namespaced && ns && ns[0]) {
        rci_strbuf_puts(b, "/namespaces/");
        put_escaped(b, ns);
    }
    rci_strbuf_printf(b, "/%s", ri->plural);
    if (name && name[0]) {
        rci_strbuf_putc(b, '/');
        put_escaped(b, name);
    }
    if (sub && sub[0])
        rci_strbuf_printf(b, "/%s", sub);
}

void rci_hc_query(rci_strbuf *b, const char *key, const char *value)
{
    if (!value)
        return;
    rci_strbuf_printf(b, "%c%s=", b->data && strchr(b->data, '?') ? '&' : '?', key);
    put_escaped(b, value);
}

static void query_int(rci_strbuf *b, const char *key, int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    rci_hc_query(b, key, buf);
}

static void list_query(rci_strbuf *b, const rc_list_options *o, bool watch)
{
    if (!o)
        return;
    if (o->label_selector && o->label_selector[0])
        rci_hc_query(b, "labelSelector", o->label_selector);
    if (o->field_selector && o->field_selector[0])
        rci_hc_query(b, "fieldSelector", o->field_selector);
    if (o->resource_version)
        rci_hc_query(b, "resourceVersion", o->resource_version);
    if (o->resource_version_match)
        rci_hc_query(b, "resourceVersionMatch", o->resource_version_match);
    if (!watch && o->limit > 0)
        query_int(b, "limit", o->limit);
    if (!watch && o->continue_token && o->continue_token[0])
        rci_hc_query(b, "continue", o->continue_token);
    if (watch && o->allow_bookmarks)
        rci_hc_query(b, "allowWatchBookmarks", "true");
    if (watch && o->send_initial_events)
        rci_hc_query(b, "sendInitialEvents", "true");
    if (watch && o->timeout_seconds > 0)
        query_int(b, "timeoutSeconds", o->timeout_seconds);
}

static void write_query(rci_strbuf *b, const rc_write_options *o, bool apply)
{
    static const char *const validation[] = {NULL, "Ignore", "Warn", "Strict"};
    if (o && o->dry_run)
        rci_hc_query(b, "dryRun", "All");
    const char *fm = o && o->field_manager ? o->field_manager : apply ? "libreconcile" : NULL;
    rci_hc_query(b, "fieldManager", fm);
    if (o && o->field_validation > 0 && o->field_validation <= RC_FIELD_VALIDATION_STRICT)
        rci_hc_query(b, "fieldValidation", validation[o->field_validation]);
    if (o && o->force && apply)
        rci_hc_query(b, "force", "true");
}

/* ---- objects ---- */

rc_object *rci_hc_object(cJSON *tree, const rc_resource_info *ri, rc_error *err)
{
    if (!cJSON_IsObject(tree)) {
        rc_error_set(err, RC_EBADREQUEST, "the server sent something other than an object");
        return NULL;
    }
    char av[160];
    if (ri && !cJSON_GetObjectItemCaseSensitive(tree, "apiVersion"))
        cJSON_AddStringToObject(tree, "apiVersion", rc_resource_api_version(ri, av, sizeof av));
    if (ri && !cJSON_GetObjectItemCaseSensitive(tree, "kind"))
        cJSON_AddStringToObject(tree, "kind", ri->kind);
    return rc_object_from_cjson(tree, err);
}

static int object_answer(const rci_hc_resp *resp, rc_object **out, rc_error *err)
{
    if (!out)
        return 0;
    rc_object *o = rc_object_from_json(resp->body.data ? resp->body.data : "", resp->body.len, err);
    if (!o)
        return err && err->code ? err->code : RC_EBADREQUEST;
    *out = o;
    return 0;
}

typedef struct hc_ctx {
    rci_hc hc;
} hc_ctx;

static int request(void *ctx, const char *method, rci_strbuf *path, const char *ct, const char *body, size_t len,
                   rci_hc_resp *resp, rc_error *err)
{
    hc_ctx *h = ctx;
    if (path->failed)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    return rci_hc_do(&h->hc, method, path->data, ct, body, len, resp, err);
}

static int hc_get(void *ctx, const rc_resource_info *ri, const char *ns, const char *name, const char *sub,
                  rc_object **out, rc_error *err)
{
    rci_strbuf p;
    rci_strbuf_init(&p);
    rci_hc_path(&p, ri, ns, name, sub);
    rci_hc_resp resp;
    int rc = request(ctx, "GET", &p, NULL, NULL, 0, &resp, err);
    if (rc == 0)
        rc = object_answer(&resp, out, err);
    rci_strbuf_free(&resp.body);
    rci_strbuf_free(&p);
    return rc;
}

static int parse_list(const rci_hc_resp *resp, const rc_resource_info *ri, rc_object_list *out, rc_error *err)
{
    cJSON *doc = cJSON_ParseWithLength(resp->body.data ? resp->body.data : "", resp->body.len);
    cJSON *items = cJSON_GetObjectItemCaseSensitive(doc, "items");
    if (!cJSON_IsObject(doc) || (items && !cJSON_IsArray(items) && !cJSON_IsNull(items))) {
        cJSON_Delete(doc);
        return rc_error_set(err, RC_EBADREQUEST, "the server sent a malformed list");
    }
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
    const cJSON *rv = cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion");
    const cJSON *cont = cJSON_GetObjectItemCaseSensitive(meta, "continue");
    const cJSON *rem = cJSON_GetObjectItemCaseSensitive(meta, "remainingItemCount");
    snprintf(out->resource_version, sizeof out->resource_version, "%s", cJSON_IsString(rv) ? rv->valuestring : "");
    free(out->continue_token);
    out->continue_token = cJSON_IsString(cont) && cont->valuestring[0] ? strdup(cont->valuestring) : NULL;
    out->remaining_item_count = cJSON_IsNumber(rem) ? (int64_t)rem->valuedouble : -1;
    int rc = 0;
    cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        rc_object *o = rci_hc_object(it, ri, err);
        rc = o ? rc_object_list_append(out, o) : err && err->code ? err->code : RC_EBADREQUEST;
        rc_object_unref(o);
        if (rc != 0)
            break;
    }
    cJSON_Delete(doc);
    return rc;
}

static int hc_list(void *ctx, const rc_resource_info *ri, const char *ns, const rc_list_options *opts,
                   rc_object_list *out, rc_error *err)
{
    rci_strbuf p;
    rci_strbuf_init(&p);
    rci_hc_path(&p, ri, ns, NULL, NULL);
    list_query(&p, opts, false);
    rci_hc_resp resp;
    int rc = request(ctx, "GET", &p, NULL, NULL, 0, &resp, err);
    if (rc == 0)
        rc = parse_list(&resp, ri, out, err);
    rci_strbuf_free(&resp.body);
    rci_strbuf_free(&p);
    return rc;
}

static int send_object(void *ctx, const char *method, const rc_resource_info *ri, const char *ns, const char *name,
                       rc_object *obj, const rc_write_options *opts, rc_object **out, rc_error *err)
{
    rci_strbuf p;
    rci_strbuf_init(&p);
    const char *sub = opts && opts->subresource ? opts->subresource : "";
    rci_hc_path(&p, ri, ns && ns[0] ? ns : rc_object_namespace(obj), name, sub);
    write_query(&p, opts, false);
    size_t len = 0;
    char *body = rc_object_to_json(obj, &len);
    rci_hc_resp resp = {0};
    int rc = body ? request(ctx, method, &p, "application/json", body, len, &resp, err)
                  : rc_error_set(err, RC_ENOMEM, "out of memory");
    if (rc == 0)
        rc = object_answer(&resp, out, err);
    free(body);
    rci_strbuf_free(&resp.body);
    rci_strbuf_free(&p);
    return rc;
}

static int hc_create(void *ctx, const rc_resource_info *ri, const char *ns, rc_object *obj,
                     const rc_write_options *opts, rc_object **out, rc_error *err)
{
    const char *sub = opts && opts->subresource ? opts->subresource : "";
    return send_object(ctx, "POST", ri, ns, sub[0] ? rc_object_name(obj) : NULL, obj, opts, out, err);
}

static int hc_update(void *ctx, const rc_resource_info *ri, const char *ns, rc_object *obj,
                     const rc_write_options *opts, rc_object **out, rc_error *err)
{
    return send_object(ctx, "PUT", ri, ns, rc_object_name(obj), obj, opts, out, err);
}

static int hc_patch(void *ctx, const rc_resource_info *ri, const char *ns, const char *name, rc_patch_type type,
                    const char *data, size_t len, const rc_write_options *opts, rc_object **out, rc_error *err)
{
    const char *ct = rc_patch_type_content_type(type);
    if (!ct)
        return rc_error_set(err, RC_EUNSUPPORTED, "unknown patch type %d", (int)type);
    rci_strbuf p;
    rci_strbuf_init(&p);
    rci_hc_path(&p, ri, ns, name, opts ? opts->subresource : NULL);
    write_query(&p, opts, type == RC_PATCH_APPLY);
    rci_hc_resp resp;
    int rc = request(ctx, "PATCH", &p, ct, data, len, &resp, err);
    if (rc == 0)
        rc = object_answer(&resp, out, err);
    rci_strbuf_free(&resp.body);
    rci_strbuf_free(&p);
    return rc;
}

static char *delete_body(const rc_delete_options *o)
{
    static const char *const policies[] = {NULL, "Background", "Foreground", "Orphan"};
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "kind", "DeleteOptions");
    cJSON_AddStringToObject(d, "apiVersion", "v1");
    if (o->propagation > 0 && o->propagation <= RC_PROPAGATION_ORPHAN)
        cJSON_AddStringToObject(d, "propagationPolicy", policies[o->propagation]);
    if (o->grace_period_seconds >= 0)
        cJSON_AddNumberToObject(d, "gracePeriodSeconds", (double)o->grace_period_seconds);
    if (o->precondition_uid || o->precondition_resource_version) {
        cJSON *pre = cJSON_AddObjectToObject(d, "preconditions");
        if (o->precondition_uid)
            cJSON_AddStringToObject(pre, "uid", o->precondition_uid);
        if (o->precondition_resource_version)
            cJSON_AddStringToObject(pre, "resourceVersion", o->precondition_resource_version);
    }
    if (o->dry_run) {
        const char *const all[] = {"All"};
        cJSON_AddItemToObject(d, "dryRun", cJSON_CreateStringArray(all, 1));
    }
    char *text = cJSON_PrintUnformatted(d);
    cJSON_Delete(d);
    return text;
}

static int hc_delete(void *ctx, const rc_resource_info *ri, const char *ns, const char *name,
                     const rc_delete_options *opts, rc_object **out, rc_error *err)
{
    rci_strbuf p;
    rci_strbuf_init(&p);
    rci_hc_path(&p, ri, ns, name, NULL);
    char *body = delete_body(opts);
    rci_hc_resp resp = {0};
    int rc = body ? request(ctx, "DELETE", &p, "application/json", body, strlen(body), &resp, err)
                  : rc_error_set(err, RC_ENOMEM, "out of memory");
    if (rc == 0 && out) {
        /* a Status (removed at once) carries no object; the object itself means it is terminating */
        rc_object *o = rc_object_from_json(resp.body.data ? resp.body.data : "", resp.body.len, NULL);
        const char *kind = o ? rc_object_kind(o) : NULL;
        if (o && kind && strcmp(kind, "Status"))
            *out = o;
        else
            rc_object_unref(o);
    }
    free(body);
    rci_strbuf_free(&resp.body);
    rci_strbuf_free(&p);
    return rc;
}

static int hc_delete_collection(void *ctx, const rc_resource_info *ri, const char *ns,
                                const rc_list_options *list_opts, const rc_delete_options *opts, rc_error *err)
{
    rci_strbuf p;
    rci_strbuf_init(&p);
    rci_hc_path(&p, ri, ns, NULL, NULL);
    list_query(&p, list_opts, false);
    char *body = delete_body(opts);
    rci_hc_resp resp = {0};
    int rc = body ? request(ctx, "DELETE", &p, "application/json", body, strlen(body), &resp, err)
                  : rc_error_set(err, RC_ENOMEM, "out of memory");
    free(body);
    rci_strbuf_free(&resp.body);
    rci_strbuf_free(&p);
    return rc;
}

static int hc_watch(void *ctx, const rc_resource_info *ri, const char *ns, const rc_list_options *opts,
                    rc_watch **out, rc_error *err)
{
    hc_ctx *h = ctx;
    rci_strbuf p;
    rci_strbuf_init(&p);
    rci_hc_path(&p, ri, ns, NULL, NULL);
    rci_hc_query(&p, "watch", "true");
    list_query(&p, opts, true);
    int rc = p.failed ? rc_error_set(err, RC_ENOMEM, "out of memory") : rci_hc_watch(&h->hc, ri, p.data, out, err);
    rci_strbuf_free(&p);
    return rc;
}

static rc_registry *hc_registry(void *ctx) { return ((hc_ctx *)ctx)->hc.reg; }

static void hc_destroy(void *ctx)
{
    hc_ctx *h = ctx;
    for (size_t i = 0; i < h->hc.npool; i++)
        curl_easy_cleanup(h->hc.pool[i]);
    if (h->hc.own_reg)
        rc_registry_free(h->hc.reg);
    rc_kubeconfig_clear(&h->hc.kc);
    free(h->hc.base);
    free(h->hc.user_agent);
    pthread_mutex_destroy(&h->hc.lock);
    free(h);
}

static const rc_client_ops http_ops = {
    .get = hc_get,
    .list = hc_list,
    .create = hc_create,
    .update = hc_update,
    .patch = hc_patch,
    .delete_ = hc_delete,
    .delete_collection = hc_delete_collection,
    .watch = hc_watch,
    .registry = hc_registry,
    .destroy = hc_destroy,
};

/* ---- discovery: register the server's resources the built-in registry lacks ---- */

static void register_resource(rc_registry *reg, const char *group, const char *version, const cJSON *r,
                              const cJSON *all)
{
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "name"));
    const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "kind"));
    if (!name || !kind || strchr(name, '/') || rc_registry_by_resource(reg, group, version, name))
        return;
    char list_kind[256], status[300], scale[300], singular[256], cats[256] = "";
    snprintf(list_kind, sizeof list_kind, "%sList", kind);
    snprintf(status, sizeof status, "%s/status", name);
    snprintf(scale, sizeof scale, "%s/scale", name);
    const char *sn = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "singularName"));
    snprintf(singular, sizeof singular, "%s", sn && sn[0] ? sn : kind);
    for (char *c = singular; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
    rc_resource_info info = {.group = group, .version = version, .kind = kind, .list_kind = list_kind,
                             .plural = name, .singular = singular,
                             .namespaced = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "namespaced"))};
    size_t ns = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(r, "shortNames")) if (cJSON_IsString(s) &&
                                                                                ns < RC_MAX_SHORT_NAMES - 1)
        info.short_names[ns++] = s->valuestring;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(r, "categories")) if (cJSON_IsString(s))
    {
        size_t used = strlen(cats);
        snprintf(cats + used, sizeof cats - used, "%s%s", used ? "," : "", s->valuestring);
    }
    info.categories = cats[0] ? cats : NULL;
    cJSON_ArrayForEach(s, all)
    {
        const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "name"));
        info.has_status = info.has_status || (n && !strcmp(n, status));
        info.has_scale = info.has_scale || (n && !strcmp(n, scale));
    }
    rc_registry_add(reg, &info, NULL);
}

static int discover(rci_hc *c, rc_error *err)
{
    rci_hc_resp resp;
    int rc = rci_hc_do(c, "GET", "/apis", NULL, NULL, 0, &resp, err);
    cJSON *groups = rc == 0 ? cJSON_ParseWithLength(resp.body.data ? resp.body.data : "", resp.body.len) : NULL;
    rci_strbuf_free(&resp.body);
    const cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(groups, "groups"))
    {
        const char *group = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(g, "name"));
        const cJSON *v;
        cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(g, "versions"))
        {
            const char *gv = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "groupVersion"));
            const char *ver = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "version"));
            char path[400];
            if (!group || !gv || !ver || (size_t)snprintf(path, sizeof path, "/apis/%s", gv) >= sizeof path)
                continue;
            rc_error ignore = {0};
            if (rci_hc_do(c, "GET", path, NULL, NULL, 0, &resp, &ignore) == 0) {
                cJSON *list = cJSON_ParseWithLength(resp.body.data ? resp.body.data : "", resp.body.len);
                const cJSON *all = cJSON_GetObjectItemCaseSensitive(list, "resources");
                const cJSON *r;
                cJSON_ArrayForEach(r, all) register_resource(c->reg, group, ver, r, all);
                cJSON_Delete(list);
            }
            rci_strbuf_free(&resp.body);
            rc_error_clear(&ignore);
        }
    }
    cJSON_Delete(groups);
    return rc;
}

/* ---- construction ---- */

static char *dup_mem(const char *p, size_t n)
{
    char *d = p ? malloc(n + 1) : NULL;
    if (d) {
        memcpy(d, p, n);
        d[n] = '\0';
    }
    return d;
}

static bool copy_kubeconfig(rc_kubeconfig *dst, const rc_kubeconfig *src)
{
    *dst = (rc_kubeconfig){.insecure_skip_tls_verify = src->insecure_skip_tls_verify,
                           .ca_data_len = src->ca_data_len,
                           .client_cert_data_len = src->client_cert_data_len,
                           .client_key_data_len = src->client_key_data_len};
    const char *in[] = {src->context, src->cluster_name, src->user_name, src->server, src->ca_file,
                        src->client_cert_file, src->client_key_file, src->token, src->token_file, src->namespace_};
    char **out[] = {&dst->context, &dst->cluster_name, &dst->user_name, &dst->server, &dst->ca_file,
                    &dst->client_cert_file, &dst->client_key_file, &dst->token, &dst->token_file, &dst->namespace_};
    bool ok = true;
    for (size_t i = 0; i < sizeof in / sizeof *in; i++)
        ok = ok && (!in[i] || (*out[i] = strdup(in[i])));
    ok = ok && (!src->ca_data || (dst->ca_data = dup_mem(src->ca_data, src->ca_data_len)));
    ok = ok && (!src->client_cert_data || (dst->client_cert_data = dup_mem(src->client_cert_data, src->client_cert_data_len)));
    ok = ok && (!src->client_key_data || (dst->client_key_data = dup_mem(src->client_key_data, src->client_key_data_len)));
    return ok;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

rc_client *rc_http_client_new(const rc_kubeconfig *kc, const rc_http_client_options *opts, rc_error *err)
{
    static const rc_http_client_options defaults = {0};
    if (!opts)
        opts = &defaults;
    if (!kc || !kc->server || (strncmp(kc->server, "http://", 7) && strncmp(kc->server, "https://", 8))) {
        rc_error_set(err, RC_EINVAL, "the kubeconfig needs a server URL (http:// or https://)");
        return NULL;
    }
    pthread_once(&curl_once, curl_init);
    hc_ctx *h = calloc(1, sizeof *h);
    if (!h) {
        rc_error_set(err, RC_ENOMEM, "out of memory");
        return NULL;
    }
    rci_hc *c = &h->hc;
    pthread_mutex_init(&c->lock, NULL);
    bool ok = copy_kubeconfig(&c->kc, kc);
    size_t n = strlen(kc->server);
    while (n && kc->server[n - 1] == '/')
        n--;
    c->base = dup_mem(kc->server, n);
    c->user_agent = opts->user_agent ? strdup(opts->user_agent) : strdup("libreconcile/" RC_VERSION_STRING);
    c->qps = opts->qps == 0 ? 50 : opts->qps;
    c->burst = opts->burst > 0 ? opts->burst : 100;
    c->tokens = c->burst;
    c->refilled = rc_clock_now(rc_clock_real());
    c->timeout = opts->timeout > 0 ? opts->timeout : 30 * RC_SEC;
    c->max_retries = opts->max_retries == 0 ? 5 : opts->max_retries < 0 ? 0 : opts->max_retries;
    c->own_reg = !opts->registry;
    c->reg = opts->registry ? opts->registry : rc_registry_new();
    if (!ok || !c->base || !c->user_agent || !c->reg) {
        hc_destroy(h);
        rc_error_set(err, RC_ENOMEM, "out of memory");
        return NULL;
    }
    if (c->own_reg && discover(c, err) != 0) {
        hc_destroy(h);
        return NULL;
    }
    rc_client *client = rc_client_new(&http_ops, h);
    if (!client)
        rc_error_set(err, RC_ENOMEM, "out of memory");
    return client;
}
