/* ctx.c - the reconcile context: results with errors, the controller's client, clock, recorder and
 * expectations, logging with controller and key, and cache reads over the shared informers with the
 * controller's own writes overlaid (get, list, by index; lists in key order). */
#include "runtime/runtime.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

rc_result rc_result_error(rc_reconcile_ctx *ctx, int code, const char *fmt, ...)
{
    if (code >= 0)
        code = RC_EINTERNAL;
    rc_result r = {RC_RESULT_ERROR, 0, code};
    if (!ctx)
        return r;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    if (fmt)
        vsnprintf(msg, sizeof msg, fmt, ap);
    else
        msg[0] = '\0';
    va_end(ap);
    rc_error_set(&ctx->err, code, "%s", msg);
    return r;
}

rc_result rc_result_from_error(rc_reconcile_ctx *ctx, rc_error *err)
{
    int code = err && err->code < 0 ? err->code : RC_EINTERNAL;
    rc_result r = {RC_RESULT_ERROR, 0, code};
    if (ctx && err) {
        rc_error_move(&ctx->err, err);
        if (!ctx->err.code)
            rc_error_set(&ctx->err, code, "%s", rc_strerror(code));
    }
    return r;
}

rc_client *rc_ctx_client(rc_reconcile_ctx *ctx)
{
    return ctx->c->client;
}

const char *rc_ctx_key(rc_reconcile_ctx *ctx)
{
    return ctx->key;
}

const char *rc_ctx_controller_name(rc_reconcile_ctx *ctx)
{
    return ctx->c->name;
}

rc_time rc_ctx_now(rc_reconcile_ctx *ctx)
{
    return rc_clock_now(ctx->c->m->clock);
}

rc_clock *rc_ctx_clock(rc_reconcile_ctx *ctx)
{
    return ctx->c->m->clock;
}

rc_recorder *rc_ctx_recorder(rc_reconcile_ctx *ctx)
{
    return ctx->c->recorder;
}

rc_expectations *rc_ctx_expectations(rc_reconcile_ctx *ctx)
{
    return ctx->c->exp;
}

void rc_ctx_log(rc_reconcile_ctx *ctx, rc_log_level level, const char *fmt, ...)
{
    if (level < rc_log_get_level())
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    rc_log(level, ctx->c->name, ctx->key, "%s", msg);
}

void rc_ctx_event(rc_reconcile_ctx *ctx, const rc_object *obj, const char *type, const char *reason,
                  const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    rc_error err = {0};
    if (rc_recorder_event(ctx->c->recorder, obj, type, reason, &err, "%s", msg))
        rc_log(RC_LOG_WARN, ctx->c->name, ctx->key, "could not record event %s: %s", reason ? reason : "",
               err.message ? err.message : rc_strerror(err.code));
    rc_error_clear(&err);
}

/* ---- reads ---- */

int rc_ctx_get(rc_reconcile_ctx *ctx, const char *resource, const char *ns, const char *name, rc_object **out,
               rc_error *err)
{
    if (!ctx || !name || !name[0] || !out)
        return rc_error_set(err, RC_EINVAL, "get: a name and an output pointer are required");
    rci_source *src = rci_controller_find_read(ctx->c, resource, err);
    if (!src)
        return err && err->code ? err->code : RC_EINVAL;
    char key[600];
    rc_key_format(key, sizeof key, src->ri->namespaced && ns ? ns : "", name);
    rc_object *cached = rc_store_get(rc_informer_store(src->inf), key);
    *out = rci_overlay_resolve(ctx->c->cc, src->id, key, cached);
    if (!*out)
        return rc_error_set(err, RC_ENOTFOUND, "%s \"%s\" not found", src->id, name);
    return 0;
}

int rc_ctx_get_key(rc_reconcile_ctx *ctx, const char *resource, const char *key, rc_object **out, rc_error *err)
{
    const char *ns = NULL, *name = NULL;
    size_t ns_len = 0;
    if (!key || rc_key_split(key, &ns, &ns_len, &name) != 0)
        return rc_error_set(err, RC_EBADREQUEST, "get: malformed key \"%s\"", key ? key : "(null)");
    char nsbuf[256];
    if (ns_len >= sizeof nsbuf)
        return rc_error_set(err, RC_EBADREQUEST, "get: namespace of key \"%s\" is too long", key);
    memcpy(nsbuf, ns, ns_len);
    nsbuf[ns_len] = '\0';
    return rc_ctx_get(ctx, resource, nsbuf, name, out, err);
}

static int by_key(const void *a, const void *b)
{
    return strcmp(rc_object_key(*(rc_object *const *)a), rc_object_key(*(rc_object *const *)b));
}

/* An object with the part of its key that decides its place. */
typedef struct keyed {
    const char *key;
    rc_object *obj;
} keyed;

static int by_keyed(const void *a, const void *b)
{
    return strcmp(((const keyed *)a)->key, ((const keyed *)b)->key);
}

/* Lists at least this long are sorted through keyed copies (below, the copy costs more than it saves). */
#define KEYED_SORT_MIN 64

/* rci_sort_by_key: a long list reads each key once and compares it past the prefix every
 * key shares (the namespace and, for one owner's pods, the stem of their generated names). */
void rci_sort_by_key(rc_object_list *out, size_t from)
{
    size_t n = out->count - from;
    rc_object **items = out->items + from;
    keyed *k = n >= KEYED_SORT_MIN ? malloc(n * sizeof *k) : NULL;
    if (!k) {
        if (n > 1)
            qsort(items, n, sizeof *items, by_key);
        return;
    }
    const char *first = rc_object_key(items[0]);
    size_t shared = strlen(first);
    for (size_t i = 0; i < n; i++) {
        const char *key = rc_object_key(items[i]);
        size_t j = 0;
        while (j < shared && key[j] == first[j])
            j++;
        shared = j;
        k[i] = (keyed){key, items[i]};
    }
    for (size_t i = 0; i < n; i++)
        k[i].key += shared;
    qsort(k, n, sizeof *k, by_keyed);
    for (size_t i = 0; i < n; i++)
        items[i] = k[i].obj;
    free(k);
}

int rc_ctx_list(rc_reconcile_ctx *ctx, const char *resource, const char *ns, const rc_selector *sel,
                rc_object_list *out, rc_error *err)
{
    if (!ctx || !out)
        return rc_error_set(err, RC_EINVAL, "list: an output list is required");
    rci_source *src = rci_controller_find_read(ctx->c, resource, err);
    if (!src)
        return err && err->code ? err->code : RC_EINVAL;
    size_t from = out->count;
    const char *scope = src->ri->namespaced && ns && ns[0] ? ns : NULL;
    int rc = rc_lister_list(rc_informer_store(src->inf), scope, sel, out);
    rci_ov_scope ov = {.ns = scope, .sel = sel, .add_new = true};
    if (rc == 0)
        rc = rci_overlay_merge_list(ctx->c->cc, src->id, out, from, &ov);
    if (rc)
        return rc_error_set(err, rc, "list %s: %s", src->id, rc_strerror(rc));
    rci_sort_by_key(out, from);
    return 0;
}

int rc_ctx_by_index(rc_reconcile_ctx *ctx, const char *resource, const char *index, const char *value,
                    rc_object_list *out, rc_error *err)
{
    if (!ctx || !index || !value || !out)
        return rc_error_set(err, RC_EINVAL, "by_index: an index, a value and an output list are required");
    rci_source *src = rci_controller_find_read(ctx->c, resource, err);
    if (!src)
        return err && err->code ? err->code : RC_EINVAL;
    size_t from = out->count;
    int rc = rc_store_by_index(rc_informer_store(src->inf), index, value, out, err);
    if (rc)
        return rc;
    /* Objects the cache lacks can be placed for the namespace index and the indexes the manager knows the
     * function of. */
    rci_ov_scope ov = {.value = value};
    if (!strcmp(index, RC_INDEX_NAMESPACE)) {
        ov.ns = value;
        ov.add_new = true;
    } else if ((ov.index = rci_manager_index_fn(ctx->c->m, src, index, &ov.index_ctx)) != NULL) {
        ov.add_new = true;
    }
    rc = rci_overlay_merge_list(ctx->c->cc, src->id, out, from, &ov);
    if (rc)
        return rc_error_set(err, rc, "by_index %s: %s", src->id, rc_strerror(rc));
    rci_sort_by_key(out, from);
    return 0;
}
