/* lister.c - listers: the reads controllers make of an informer's store (get by namespace/name, list by
 * namespace and label selector) built on the store's key lookup and namespace index, without copying
 * objects. */
#include <reconcile/store.h>

#include <stdlib.h>

#include "cache/store_internal.h"

rc_object *rc_lister_get(rc_store *s, const char *ns, const char *name)
{
    if (!s || !name)
        return NULL;
    char small[256];
    size_t need = rc_key_format(small, sizeof small, ns ? ns : "", name);
    if (need < sizeof small)
        return rc_store_get(s, small);
    char *key = malloc(need + 1);
    if (!key)
        return NULL;
    rc_key_format(key, need + 1, ns ? ns : "", name);
    rc_object *o = rc_store_get(s, key);
    free(key);
    return o;
}

typedef struct collect {
    const rc_selector *sel;
    rc_object_list *out;
    int rc;
} collect;

static bool collect_one(void *ctx, rc_object *obj)
{
    collect *c = ctx;
    if (c->sel && !rc_selector_matches_object(c->sel, obj))
        return true;
    if (!rci_object_list_reserve(c->out, 1)) {
        c->rc = RC_ENOMEM;
        return false;
    }
    c->out->items[c->out->count++] = rc_object_ref(obj);
    return true;
}

int rc_lister_list(rc_store *s, const char *ns, const rc_selector *sel, rc_object_list *out)
{
    if (!s || !out)
        return RC_EINVAL;
    size_t start = out->count;
    collect c = {sel, out, 0};
    if (ns)
        rc_store_index_foreach(s, RC_INDEX_NAMESPACE, ns, collect_one, &c);
    else
        rc_store_foreach(s, collect_one, &c);
    if (c.rc != 0) {
        while (out->count > start)
            rc_object_unref(out->items[--out->count]);
    }
    return c.rc;
}
