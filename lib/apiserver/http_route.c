/* http_route.c - the Kubernetes REST surface of rc_http_server: splits a path into group, version,
 * resource, namespace, name and subresource, reads the query (selectors, paging, watch, write options,
 * delete options) and runs the verb through the request identity's rc_client, so RBAC, admission and the
 * action log see HTTP requests exactly like in-process ones. Replies are objects, lists, Tables, watch
 * streams or Status errors. Discovery and OpenAPI paths are answered by http_discovery.c/http_openapi.c. */
#include "apiserver/http_internal.h"
#include "api/object_internal.h"

#include <reconcile/codec.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEGMENTS 10

/* Where a resource request points. */
typedef struct target {
    const rc_resource_info *ri;
    char resource[300]; /* "plural" or "plural.group", what rc_client resolves */
    const char *ns;     /* "" = none / all namespaces */
    const char *name;   /* "" = the collection */
    const char *sub;    /* "" = the object itself */
} target;

bool rci_http_parse_bool(const char *s)
{
    static const char *const truths[] = {"1", "t", "T", "TRUE", "true", "True"};
    for (size_t i = 0; s && i < sizeof truths / sizeof *truths; i++)
        if (!strcmp(s, truths[i]))
            return true;
    return false;
}

static size_t split_path(char *path, char **seg)
{
    size_t n = 0;
    for (char *save = NULL, *t = strtok_r(path, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (n == MAX_SEGMENTS)
            return MAX_SEGMENTS + 1;
        seg[n++] = t;
    }
    return n;
}

/* Resolves a resource path; false (404) when it names nothing served. */
static bool parse_target(rc_registry *reg, char **seg, size_t n, target *t)
{
    const char *group, *version;
    size_t at;
    if (n >= 2 && !strcmp(seg[0], "api"))
        group = "", version = seg[1], at = 2;
    else if (n >= 3 && !strcmp(seg[0], "apis"))
        group = seg[1], version = seg[2], at = 3;
    else
        return false;
    char **rest = seg + at;
    size_t m = n - at;
    *t = (target){.ns = "", .name = "", .sub = ""};
    const rc_resource_info *nsd = m >= 3 && !strcmp(rest[0], "namespaces")
                                      ? rc_registry_by_resource(reg, group, version, rest[2])
                                      : NULL;
    if (nsd && nsd->namespaced) {
        if (m > 5)
            return false;
        t->ri = nsd;
        t->ns = rest[1];
        t->name = m >= 4 ? rest[3] : "";
        t->sub = m == 5 ? rest[4] : "";
    } else {
        if (m < 1 || m > 3)
            return false;
        t->ri = rc_registry_by_resource(reg, group, version, rest[0]);
        t->name = m >= 2 ? rest[1] : "";
        t->sub = m == 3 ? rest[2] : "";
        if (t->ri && t->ri->namespaced && t->name[0])
            return false; /* a namespaced object needs its namespace in the path */
    }
    if (!t->ri)
        return false;
    if (t->ri->group[0])
        snprintf(t->resource, sizeof t->resource, "%s.%s", t->ri->plural, t->ri->group);
    else
        snprintf(t->resource, sizeof t->resource, "%s", t->ri->plural);
    return true;
}

/* ---- query ---- */

static int64_t query_int(const rci_http_req *r, const char *key, int64_t def, bool *bad)
{
    const char *v = rci_http_query(r, key);
    if (!v || !v[0])
        return def;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (*end || errno) {
        *bad = true;
        return def;
    }
    return x;
}

static bool list_options(const rci_http_req *r, rc_list_options *o, rc_error *err)
{
    bool bad = false;
    *o = (rc_list_options){
        .label_selector = rci_http_query(r, "labelSelector"),
        .field_selector = rci_http_query(r, "fieldSelector"),
        .resource_version = rci_http_query(r, "resourceVersion"),
        .resource_version_match = rci_http_query(r, "resourceVersionMatch"),
        .limit = query_int(r, "limit", 0, &bad),
        .continue_token = rci_http_query(r, "continue"),
        .allow_bookmarks = rci_http_parse_bool(rci_http_query(r, "allowWatchBookmarks")),
        .send_initial_events = rci_http_parse_bool(rci_http_query(r, "sendInitialEvents")),
        .timeout_seconds = query_int(r, "timeoutSeconds", 0, &bad),
    };
    if (bad)
        rc_error_set(err, RC_EBADREQUEST, "limit and timeoutSeconds must be integers");
    return !bad;
}

static rc_field_validation field_validation(const char *v)
{
    if (!v)
        return RC_FIELD_VALIDATION_DEFAULT;
    if (!strcmp(v, "Strict"))
        return RC_FIELD_VALIDATION_STRICT;
    if (!strcmp(v, "Ignore"))
        return RC_FIELD_VALIDATION_IGNORE;
    return RC_FIELD_VALIDATION_WARN;
}

static rc_write_options write_options(const rci_http_req *r, const target *t)
{
    const char *dry = rci_http_query(r, "dryRun");
    return (rc_write_options){.dry_run = dry && !strcmp(dry, "All"),
                              .field_manager = rci_http_query(r, "fieldManager"),
                              .field_validation = field_validation(rci_http_query(r, "fieldValidation")),
                              .force = rci_http_parse_bool(rci_http_query(r, "force")),
                              .subresource = t->sub};
}

/* ---- bodies ---- */

static bool is_media(const char *content_type, const char *media)
{
    size_t n = strlen(media);
    return content_type && !strncasecmp(content_type, media, n) &&
           (content_type[n] == '\0' || content_type[n] == ';' || content_type[n] == ' ');
}

/* The request body as JSON: JSON as is, YAML converted (one document). NULL + err when malformed. */
static cJSON *body_json(const rci_http_req *r, rc_error *err)
{
    const char *ct = rci_http_header(r, "Content-Type");
    if (is_media(ct, "application/yaml") || is_media(ct, "application/apply-patch+yaml")) {
        rc_doc_list docs;
        rc_doc_list_init(&docs);
        cJSON *doc = NULL;
        if (rc_decode_yaml(r->body, r->body_len, "body", NULL, &docs, err) == 0) {
            if (docs.count == 1) {
                doc = docs.docs[0];
                docs.docs[0] = NULL;
            } else {
                rc_error_set(err, RC_EBADREQUEST, "the body must hold exactly one document");
            }
        }
        rc_doc_list_clear(&docs);
        return doc;
    }
    cJSON *doc = cJSON_ParseWithLength(r->body, r->body_len);
    if (!doc)
        rc_error_set(err, RC_EBADREQUEST, "the body of the request was in an unknown format - accepted media "
                                          "types include: application/json, application/yaml");
    return doc;
}

/* Removes the null members of every object under v. A typed Go server decodes a null field as its zero
 * value, which it then omits: kubectl's `rollout undo` sends "creationTimestamp": null inside the pod
 * template, and the stored template must equal the one it came from. */
static void strip_nulls(cJSON *v)
{
    for (cJSON *c = v ? v->child : NULL, *next; c; c = next) {
        next = c->next;
        if (cJSON_IsNull(c) && cJSON_IsObject(v))
            cJSON_Delete(cJSON_DetachItemViaPointer(v, c));
        else
            strip_nulls(c);
    }
}

/* A JSON patch body with the nulls inside each operation's value removed (see strip_nulls); malloc'd.
 * A body that is not a JSON array is copied unchanged for the patch code to reject. */
static char *json_patch_without_nulls(const rci_http_req *r, size_t *len)
{
    cJSON *ops = cJSON_ParseWithLength(r->body, r->body_len);
    bool array = cJSON_IsArray(ops);
    char *out = NULL;
    if (array) {
        for (cJSON *op = ops->child; op; op = op->next)
            strip_nulls(cJSON_GetObjectItemCaseSensitive(op, "value"));
        out = cJSON_PrintUnformatted(ops);
    } else if ((out = malloc(r->body_len + 1))) {
        memcpy(out, r->body, r->body_len + 1);
    }
    cJSON_Delete(ops);
    *len = out && array ? strlen(out) : r->body_len;
    return out;
}

/* A body object for t's kind: apiVersion/kind filled from the URL when absent (python3-kubernetes models
 * may omit them), namespace from the path, null fields dropped (strip_nulls). */
static rc_object *body_object(const rci_http_req *r, const target *t, rc_error *err)
{
    const char *ct = rci_http_header(r, "Content-Type");
    cJSON *doc = is_media(ct, "application/vnd.kubernetes.protobuf")
                     ? rci_http_decode_ssar_protobuf((const unsigned char *)r->body, r->body_len, err)
                     : body_json(r, err);
    if (!doc)
        return NULL;
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        rc_error_set(err, RC_EBADREQUEST, "the body of the request must be a JSON object");
        return NULL;
    }
    strip_nulls(doc);
    bool scale = !strcmp(t->sub, "scale");
    char av[160];
    if (!cJSON_GetObjectItemCaseSensitive(doc, "apiVersion"))
        cJSON_AddStringToObject(doc, "apiVersion", scale ? "autoscaling/v1" : rc_resource_api_version(t->ri, av, sizeof av));
    if (!cJSON_GetObjectItemCaseSensitive(doc, "kind"))
        cJSON_AddStringToObject(doc, "kind", scale ? "Scale" : t->ri->kind);
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
    if (!meta)
        meta = cJSON_AddObjectToObject(doc, "metadata");
    if (t->ns[0] && cJSON_IsObject(meta) && !cJSON_GetObjectItemCaseSensitive(meta, "namespace"))
        cJSON_AddStringToObject(meta, "namespace", t->ns);
    rc_object *obj = rc_object_from_cjson(doc, err);
    cJSON_Delete(doc);
    return obj;
}

/* ---- verbs ---- */

static void reply_list(rci_http_req *r, const target *t, rci_http_reply *out)
{
    rc_list_options lo;
    rc_error err = {0};
    rc_object_list l;
    rc_object_list_init(&l);
    if (!list_options(r, &lo, &err) || rc_client_list(r->id.client, t->resource, t->ns, &lo, &l, &err) != 0) {
        rci_http_reply_error(out, &err, NULL, NULL);
        rc_error_clear(&err);
        return;
    }
    rci_strbuf b;
    rci_strbuf_init(&b);
    if (rci_http_wants_table(rci_http_header(r, "Accept"))) {
        rci_http_table(&b, t->ri, l.items, l.count, l.resource_version, l.continue_token,
                       rci_http_query(r, "includeObject"), rci_http_now(r->hs));
    } else {
        char av[160];
        rci_strbuf_printf(&b, "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{\"resourceVersion\":\"%s\"",
                          t->ri->list_kind, rc_resource_api_version(t->ri, av, sizeof av), l.resource_version);
        if (l.continue_token) {
            rci_strbuf_puts(&b, ",\"continue\":");
            rci_strbuf_json_string(&b, l.continue_token);
            if (l.remaining_item_count >= 0)
                rci_strbuf_printf(&b, ",\"remainingItemCount\":%lld", (long long)l.remaining_item_count);
        }
        rci_strbuf_puts(&b, "},\"items\":[");
        for (size_t i = 0; i < l.count && !b.failed; i++) {
            size_t before = b.len;
            if (i)
                rci_strbuf_putc(&b, ',');
            rci_object_append_json(&b, l.items[i]);
            if (i == 0) /* the items of a list are alike: size the buffer for all of them at once */
                rci_strbuf_reserve(&b, (b.len - before + 1) * (l.count - 1) + 64);
        }
        rci_strbuf_puts(&b, "]}");
    }
    rc_object_list_clear(&l);
    size_t len = b.len;
    rci_http_reply_json(out, 200, b.failed ? (rci_strbuf_free(&b), NULL) : rci_strbuf_take(&b), len);
}

static void reply_watch(rci_http_req *r, const target *t, rci_http_reply *out)
{
    rc_list_options lo;
    rc_error err = {0};
    rc_watch *w = NULL;
    const char *accept = rci_http_header(r, "Accept");
    bool table = rci_http_wants_table(accept);
    int rc = list_options(r, &lo, &err) ? rc_client_watch(r->id.client, t->resource, t->ns, &lo, &w, &err)
                                        : RC_EBADREQUEST;
    if (rc == RC_EGONE) {
        out->status = 200;
        out->stream = rci_http_watch_error(r->hs, &err);
    } else if (rc != 0) {
        rci_http_reply_error(out, &err, NULL, NULL);
    } else {
        out->status = 200;
        out->stream = rci_http_watch_new(r->hs, w, t->ri, table, rci_http_query(r, "includeObject"));
    }
    if ((rc == 0 || rc == RC_EGONE) && !out->stream)
        rci_http_reply_code(out, RC_ENOMEM, "out of memory");
    rc_error_clear(&err);
}

static void reply_get(rci_http_req *r, const target *t, rci_http_reply *out)
{
    rc_object *obj = NULL;
    rc_error err = {0};
    if (rc_client_get_subresource(r->id.client, t->resource, t->ns, t->name, t->sub, &obj, &err) != 0) {
        rci_http_reply_error(out, &err, t->ri, t->name);
    } else if (!t->sub[0] && rci_http_wants_table(rci_http_header(r, "Accept"))) {
        rci_strbuf b;
        rci_strbuf_init(&b);
        rci_http_table(&b, t->ri, &obj, 1, rc_object_resource_version(obj), NULL,
                       rci_http_query(r, "includeObject"), rci_http_now(r->hs));
        size_t len = b.len;
        rci_http_reply_json(out, 200, b.failed ? (rci_strbuf_free(&b), NULL) : rci_strbuf_take(&b), len);
    } else {
        rci_http_reply_object(out, 200, obj);
    }
    rc_object_unref(obj);
    rc_error_clear(&err);
}

static void reply_write(rci_http_req *r, const target *t, bool create, rci_http_reply *out)
{
    rc_error err = {0};
    rc_object *obj = body_object(r, t, &err), *res = NULL;
    rc_write_options wo = write_options(r, t);
    int rc = obj ? 0 : err.code ? err.code : RC_EBADREQUEST;
    const char *body_name = obj ? rc_object_name(obj) : NULL;
    if (rc == 0 && !create && (!body_name || strcmp(body_name, t->name)) && strcmp(t->sub, "scale"))
        rc = rc_error_set(&err, RC_EBADREQUEST, "the name of the object (%s) does not match the name on the URL (%s)",
                          body_name ? body_name : "", t->name);
    if (rc == 0 && create)
        rc = rc_client_create(r->id.client, t->resource, t->ns, obj, &wo, &res, &err);
    else if (rc == 0 && !strcmp(t->sub, "scale"))
        rc = rc_client_update_scale(r->id.client, t->resource, t->ns, obj, &wo, &res, &err);
    else if (rc == 0)
        rc = rc_client_update(r->id.client, t->resource, t->ns, obj, &wo, &res, &err);
    if (rc != 0)
        rci_http_reply_error(out, &err, t->ri, create && obj && body_name ? body_name : t->name);
    else
        rci_http_reply_object(out, create ? 201 : 200, res);
    rc_object_unref(obj);
    rc_object_unref(res);
    rc_error_clear(&err);
}

static void reply_patch(rci_http_req *r, const target *t, rci_http_reply *out)
{
    rc_error err = {0};
    int type = rc_patch_type_from_content_type(rci_http_header(r, "Content-Type"));
    if (type < 0) {
        const char *ct = rci_http_header(r, "Content-Type");
        rci_http_reply_code(out, RC_EUNSUPPORTED, "the body of the request was in an unknown format - accepted "
                            "media types include: application/json-patch+json, application/merge-patch+json, "
                            "application/apply-patch+yaml, application/strategic-merge-patch+json (got %s)",
                            ct ? ct : "none");
        return;
    }
    rc_write_options wo = write_options(r, t);
    char *data = NULL;
    size_t len = 0;
    bool created = false;
    if (type == RC_PATCH_APPLY) {
        if (!wo.field_manager || !wo.field_manager[0]) {
            rci_http_reply_code(out, RC_EBADREQUEST, "PATCH requests of type application/apply-patch+yaml must "
                                "have fieldManager set");
            return;
        }
        cJSON *doc = body_json(r, &err);
        data = doc ? cJSON_PrintUnformatted(doc) : NULL;
        len = data ? strlen(data) : 0;
        cJSON_Delete(doc);
        rc_object *cur = NULL;
        rc_error gerr = {0};
        created = data && rc_client_get(r->id.client, t->resource, t->ns, t->name, &cur, &gerr) == RC_ENOTFOUND;
        rc_object_unref(cur);
        rc_error_clear(&gerr);
    } else if (type == RC_PATCH_JSON) {
        data = json_patch_without_nulls(r, &len);
    } else {
        data = malloc(r->body_len + 1);
        len = r->body_len;
        if (data)
            memcpy(data, r->body, r->body_len + 1);
    }
    if (!data && !err.code)
        rc_error_set(&err, RC_ENOMEM, "out of memory");
    rc_object *res = NULL;
    int rc = data ? rc_client_patch(r->id.client, t->resource, t->ns, t->name, (rc_patch_type)type, data, len,
                                    &wo, &res, &err)
                  : err.code ? err.code : RC_EBADREQUEST;
    if (rc != 0)
        rci_http_reply_error(out, &err, t->ri, t->name);
    else
        rci_http_reply_object(out, created ? 201 : 200, res);
    free(data);
    rc_object_unref(res);
    rc_error_clear(&err);
}

static rc_propagation propagation(const char *s)
{
    if (!s)
        return RC_PROPAGATION_DEFAULT;
    if (!strcmp(s, "Foreground"))
        return RC_PROPAGATION_FOREGROUND;
    if (!strcmp(s, "Orphan"))
        return RC_PROPAGATION_ORPHAN;
    return RC_PROPAGATION_BACKGROUND;
}

/* DeleteOptions from the body (kubectl) and the query (python, curl). Strings point into *doc. */
static bool delete_options(const rci_http_req *r, rc_delete_options *o, cJSON **doc, rc_error *err)
{
    *o = (rc_delete_options)RC_DELETE_OPTIONS_INIT;
    *doc = NULL;
    if (r->body_len) {
        *doc = cJSON_ParseWithLength(r->body, r->body_len);
        if (!cJSON_IsObject(*doc)) {
            rc_error_set(err, RC_EBADREQUEST, "the body of a DELETE must be a DeleteOptions object");
            return false;
        }
        const cJSON *pp = cJSON_GetObjectItemCaseSensitive(*doc, "propagationPolicy");
        const cJSON *gp = cJSON_GetObjectItemCaseSensitive(*doc, "gracePeriodSeconds");
        const cJSON *pre = cJSON_GetObjectItemCaseSensitive(*doc, "preconditions");
        const cJSON *uid = cJSON_GetObjectItemCaseSensitive(pre, "uid");
        const cJSON *rv = cJSON_GetObjectItemCaseSensitive(pre, "resourceVersion");
        const cJSON *dry = cJSON_GetObjectItemCaseSensitive(*doc, "dryRun");
        const cJSON *orphan = cJSON_GetObjectItemCaseSensitive(*doc, "orphanDependents");
        if (cJSON_IsString(pp))
            o->propagation = propagation(pp->valuestring);
        else if (cJSON_IsBool(orphan))
            o->propagation = cJSON_IsTrue(orphan) ? RC_PROPAGATION_ORPHAN : RC_PROPAGATION_BACKGROUND;
        if (cJSON_IsNumber(gp))
            o->grace_period_seconds = (int64_t)gp->valuedouble;
        o->precondition_uid = cJSON_IsString(uid) ? uid->valuestring : NULL;
        o->precondition_resource_version = cJSON_IsString(rv) ? rv->valuestring : NULL;
        o->dry_run = cJSON_GetArraySize(dry) > 0;
    }
    bool bad = false;
    const char *pp = rci_http_query(r, "propagationPolicy");
    if (pp)
        o->propagation = propagation(pp);
    o->grace_period_seconds = query_int(r, "gracePeriodSeconds", o->grace_period_seconds, &bad);
    const char *dry = rci_http_query(r, "dryRun");
    if (dry && !strcmp(dry, "All"))
        o->dry_run = true;
    if (bad)
        rc_error_set(err, RC_EBADREQUEST, "gracePeriodSeconds must be an integer");
    return !bad;
}

static void reply_delete(rci_http_req *r, const target *t, rci_http_reply *out)
{
    rc_error err = {0};
    rc_delete_options o;
    cJSON *doc = NULL;
    rc_object *last = NULL, *still = NULL;
    int rc = delete_options(r, &o, &doc, &err) ? 0 : RC_EBADREQUEST;
    if (rc == 0 && !t->name[0]) {
        rc_list_options lo;
        rc = list_options(r, &lo, &err) ? rc_client_delete_collection(r->id.client, t->resource, t->ns, &lo, &o, &err)
                                        : RC_EBADREQUEST;
        if (rc == 0)
            rci_http_reply_success(out, t->ri, NULL, NULL);
    } else if (rc == 0) {
        rc = rc_client_delete(r->id.client, t->resource, t->ns, t->name, &o, &last, &err);
        rc_error gerr = {0};
        if (rc == 0 && rc_object_deletion_timestamp(last) &&
            rc_client_get(r->id.client, t->resource, t->ns, t->name, &still, &gerr) == 0)
            rci_http_reply_object(out, 200, still); /* finalizers or a grace period keep it for now */
        else if (rc == 0)
            rci_http_reply_success(out, t->ri, t->name, last ? rc_object_uid(last) : NULL);
        rc_error_clear(&gerr);
    }
    if (rc != 0)
        rci_http_reply_error(out, &err, t->ri, t->name);
    cJSON_Delete(doc);
    rc_object_unref(last);
    rc_object_unref(still);
    rc_error_clear(&err);
}

static void route_resource(rci_http_req *r, const target *t, rci_http_reply *out)
{
    const char *m = r->method;
    bool named = t->name[0] != '\0';
    bool watch = rci_http_parse_bool(rci_http_query(r, "watch"));
    if (t->sub[0] && strcmp(t->sub, "status") && strcmp(t->sub, "scale") && strcmp(t->sub, "binding")) {
        rci_http_reply_code(out, RC_ENOTFOUND, "the server could not find the requested resource");
    } else if (!strcmp(m, "GET") && !named) {
        if (watch)
            reply_watch(r, t, out);
        else
            reply_list(r, t, out);
    } else if (!strcmp(m, "GET")) {
        reply_get(r, t, out);
    } else if (!strcmp(m, "POST") && (!named || !strcmp(t->sub, "binding"))) {
        reply_write(r, t, true, out);
    } else if (!strcmp(m, "PUT") && named) {
        reply_write(r, t, false, out);
    } else if (!strcmp(m, "PATCH") && named) {
        reply_patch(r, t, out);
    } else if (!strcmp(m, "DELETE") && !t->sub[0]) {
        reply_delete(r, t, out);
    } else {
        rci_http_reply_code(out, RC_ENOTALLOWED, "the server does not allow this method on the requested resource");
    }
}

void rci_http_route(rci_http_req *req, rci_http_reply *out)
{
    if (rci_http_discovery(req, out) || rci_http_openapi(req, out))
        return;
    size_t plen = strlen(req->path);
    char *copy = malloc(plen + 1);
    if (!copy) {
        rci_http_reply_code(out, RC_ENOMEM, "out of memory");
        return;
    }
    memcpy(copy, req->path, plen + 1);
    char *seg[MAX_SEGMENTS];
    size_t n = split_path(copy, seg);
    target t;
    if (n <= MAX_SEGMENTS && parse_target(rc_apiserver_registry(rci_http_apiserver(req->hs)), seg, n, &t))
        route_resource(req, &t, out);
    else
        rci_http_reply_code(out, RC_ENOTFOUND, "the server could not find the requested resource");
    free(copy);
}
