/* list.c - the list verb: label and field selectors, namespace ranges over the sorted view, limit/continue
 * paging with an opaque token (base64url of {"v","rv","start"} as upstream), and resourceVersion
 * semantics: "" most recent, "0" any, N with NotOlderThan (default) or Exact. Lists at an older version
 * and continued pages are served consistently at the token's version by undoing the history newer than
 * it; a version older than the history window answers 410 Expired. */
#include "apiserver/internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *b64url_encode(const char *s, size_t n)
{
    char *out = malloc(n / 3 * 4 + 5);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)s[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)(unsigned char)s[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)s[i + 2];
        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = b64[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = b64[v & 63];
    }
    out[o] = '\0';
    return out;
}

static char *b64url_decode(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n * 3 / 4 + 2);
    if (!out)
        return NULL;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = s[i] ? strchr(b64, s[i]) : NULL;
        if (!p) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (uint32_t)(p - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 255);
        }
    }
    out[o] = '\0';
    return out;
}

static char *encode_token(uint64_t rv, const char *start)
{
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "v", "meta.k8s.io/v1");
    cJSON_AddNumberToObject(t, "rv", (double)rv);
    cJSON_AddStringToObject(t, "start", start);
    char *json = cJSON_PrintUnformatted(t);
    cJSON_Delete(t);
    char *tok = json ? b64url_encode(json, strlen(json)) : NULL;
    free(json);
    return tok;
}

static int decode_token(const char *tok, uint64_t *rv, char *start, size_t cap, rc_error *err)
{
    char *json = b64url_decode(tok);
    cJSON *t = json ? cJSON_Parse(json) : NULL;
    free(json);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, "v");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(t, "rv");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(t, "start");
    int rc = 0;
    if (!cJSON_IsString(v) || strcmp(v->valuestring, "meta.k8s.io/v1") || !cJSON_IsNumber(r) ||
        r->valuedouble < 1 || !cJSON_IsString(s) || strlen(s->valuestring) >= cap)
        rc = rc_error_set(err, RC_EBADREQUEST, "continue key is not valid: \"%s\"", tok);
    else {
        *rv = (uint64_t)r->valuedouble;
        snprintf(start, cap, "%s", s->valuestring);
    }
    cJSON_Delete(t);
    return rc;
}

/* ---- the state at a resourceVersion: current entries plus an overlay undoing newer history ---- */

typedef struct overlay_item {
    const char *key;
    rc_object *obj; /* the state at the target version; NULL = absent then */
} overlay_item;

typedef struct view {
    rci_entry **cur;
    size_t ncur;
    overlay_item *over;
    size_t nover;
    rci_map undo; /* key -> overlay_item index + 1 while building */
} view;

static void collect_undo(void *ctx, const rci_event *ev)
{
    view *v = ctx;
    /* events arrive oldest first: the first event after the target has the state at the target */
    const char *key = rc_object_key(ev->obj);
    if (rci_map_get(&v->undo, key))
        return;
    v->over[v->nover] = (overlay_item){key, ev->prev};
    rci_map_put(&v->undo, key, (void *)(uintptr_t)(v->nover + 1), NULL);
    v->nover++;
}

static int cmp_overlay(const void *a, const void *b)
{
    return strcmp(((const overlay_item *)a)->key, ((const overlay_item *)b)->key);
}

static bool view_at_locked(rci_resource *res, uint64_t target, uint64_t current, view *v)
{
    memset(v, 0, sizeof *v);
    rci_map_init(&v->undo);
    v->cur = rci_store_sorted_locked(res, &v->ncur);
    if (target >= current)
        return true;
    v->over = malloc((res->ring_count + 1) * sizeof *v->over);
    if (!v->over)
        return false;
    rci_store_history_since_locked(res, target, collect_undo, v);
    rci_map_free(&v->undo);
    qsort(v->over, v->nover, sizeof *v->over, cmp_overlay);
    return true;
}

/* Walks the view in key order from the first key >= from, calling fn(key, obj) for present objects until it
 * returns false. */
static void view_walk(const view *v, const char *from, bool (*fn)(void *ctx, const char *key, rc_object *obj),
                      void *ctx)
{
    size_t i = rci_store_lower_bound(v->cur, v->ncur, from), j = 0;
    while (j < v->nover && strcmp(v->over[j].key, from) < 0)
        j++;
    while (i < v->ncur || j < v->nover) {
        int c = i == v->ncur ? 1 : j == v->nover ? -1 : strcmp(v->cur[i]->key, v->over[j].key);
        const char *key;
        rc_object *obj;
        if (c < 0) {
            key = v->cur[i]->key;
            obj = v->cur[i++]->obj;
        } else {
            key = v->over[j].key;
            obj = v->over[j++].obj;
            i += c == 0;
        }
        if (obj && !fn(ctx, key, obj))
            return;
    }
}

typedef struct page {
    const char *prefix; /* "ns/" or "" */
    size_t plen;
    const char *after;  /* exclusive start key or NULL */
    rc_selector *labels;
    rc_field_selector *fields;
    int64_t limit;
    rc_object_list *out;
    const char *last_key;
    bool more;
    int64_t remaining;
    int rc;
} page;

static bool page_take(void *ctx, const char *key, rc_object *obj)
{
    page *p = ctx;
    if (p->plen && strncmp(key, p->prefix, p->plen))
        return false;
    if (p->after && strcmp(key, p->after) <= 0)
        return true;
    if (p->limit > 0 && (int64_t)p->out->count >= p->limit) {
        p->more = true;
        p->remaining++;
        return !(p->labels || p->fields); /* count the rest only when it is exact */
    }
    if ((p->labels && !rc_selector_matches_object(p->labels, obj)) ||
        (p->fields && !rc_field_selector_matches(p->fields, obj)))
        return true;
    if (rc_object_list_append(p->out, obj) != 0) {
        p->rc = RC_ENOMEM;
        return false;
    }
    p->last_key = key;
    return true;
}

/* Which version to serve: fills *target, or fails with 400/410/504 as upstream. */
static int choose_version(rci_resource *res, uint64_t current, const rc_list_options *o, bool continuing,
                          uint64_t token_rv, uint64_t *target, rc_error *err)
{
    const char *rv = o->resource_version, *match = o->resource_version_match;
    if (continuing) {
        if ((rv && rv[0]) || (match && match[0]))
            return rc_error_set(err, RC_EBADREQUEST,
                                "specifying resource version is not allowed when using continue");
        if (token_rv < res->compacted_rv)
            return rc_error_set(err, RC_EGONE,
                                "The provided continue parameter is too old to display a consistent list result. "
                                "You can start a new list without the continue parameter.");
        *target = token_rv;
        return 0;
    }
    if (match && match[0] && strcmp(match, "NotOlderThan") && strcmp(match, "Exact"))
        return rc_error_set(err, RC_EINVAL, "resourceVersionMatch: Unsupported value: \"%s\": supported values: "
                                            "\"Exact\", \"NotOlderThan\"", match);
    if (!rv || !rv[0]) {
        if (match && match[0])
            return rc_error_set(err, RC_EINVAL,
                                "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless "
                                "resourceVersion is provided");
        *target = current;
        return 0;
    }
    char *end;
    unsigned long long v = strtoull(rv, &end, 10);
    if (*end || rv[0] == '-')
        return rc_error_set(err, RC_EBADREQUEST, "invalid resource version \"%s\"", rv);
    if (v > current) {
        rc_error_set(err, RC_ETIMEOUT, "Too large resource version: %llu, current: %" PRIu64, v, current);
        if (err)
            err->retry_after_seconds = 1;
        return RC_ETIMEOUT;
    }
    if (match && !strcmp(match, "Exact")) {
        if (v == 0)
            return rc_error_set(err, RC_EINVAL, "resourceVersionMatch: Forbidden: resourceVersionMatch \"Exact\" "
                                                "is forbidden for resourceVersion \"0\"");
        if (v < res->compacted_rv)
            return rc_error_set(err, RC_EGONE, "too old resource version: %llu (%" PRIu64 ")", v,
                                res->compacted_rv + 1);
        *target = v;
        return 0;
    }
    *target = current; /* "0" (any) or NotOlderThan: the newest satisfies both */
    return 0;
}

int rci_list(rci_req *req, const rc_list_options *opts, rc_object_list *out, rc_error *err)
{
    static const rc_list_options none;
    const rc_list_options *o = opts ? opts : &none;
    if (o->limit < 0)
        return rc_error_set(err, RC_EINVAL, "limit: Invalid value: %" PRId64 ": must be greater than or equal to 0",
                            o->limit);
    char start[600] = "";
    uint64_t token_rv = 0;
    bool continuing = o->continue_token && o->continue_token[0];
    if (continuing && decode_token(o->continue_token, &token_rv, start, sizeof start, err) != 0)
        return RC_EBADREQUEST;
    page p = {.limit = o->limit, .out = out, .after = continuing ? start : NULL};
    if (o->label_selector && o->label_selector[0] && !(p.labels = rc_selector_parse(o->label_selector, err)))
        return err && err->code ? err->code : RC_EBADREQUEST;
    if (o->field_selector && o->field_selector[0] &&
        !(p.fields = rci_field_selector_parse(req->ri, o->field_selector, err))) {
        rc_selector_free(p.labels);
        return err && err->code ? err->code : RC_EBADREQUEST;
    }
    char prefix[300] = "";
    if (req->ns[0])
        snprintf(prefix, sizeof prefix, "%s/", req->ns);
    p.prefix = prefix;
    p.plen = strlen(prefix);

    rc_apiserver *srv = req->srv;
    pthread_mutex_lock(&srv->lock);
    uint64_t target = 0;
    int rc = choose_version(req->res, srv->rv, o, continuing, token_rv, &target, err);
    view v;
    if (rc == 0 && !view_at_locked(req->res, target, srv->rv, &v))
        rc = rc_error_set(err, RC_ENOMEM, "out of memory");
    if (rc == 0) {
        view_walk(&v, continuing && strcmp(start, prefix) > 0 ? start : prefix, page_take, &p);
        free(v.over);
        rc = p.rc ? rc_error_set(err, p.rc, "out of memory") : 0;
    }
    if (rc == 0) {
        snprintf(out->resource_version, sizeof out->resource_version, "%" PRIu64, target);
        out->remaining_item_count = p.more && !p.labels && !p.fields ? p.remaining : -1;
        if (p.more && p.last_key && !(out->continue_token = encode_token(target, p.last_key)))
            rc = rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    pthread_mutex_unlock(&srv->lock);
    rc_selector_free(p.labels);
    rc_field_selector_free(p.fields);
    return rc;
}
