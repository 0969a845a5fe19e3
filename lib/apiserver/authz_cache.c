/* authz_cache.c - the server's memory of RBAC answers that allowed a request, so that the simulated
 * components' thousands of identical requests (the kubelet updating pod status, the scheduler binding) do
 * not re-read and re-evaluate every binding and role each time (authz.c asks here first). A remembered
 * answer is keyed by the user (name and groups) and the request's verb, group, resource, subresource and
 * namespace, plus the object's name only when the rule that allowed it lists resourceNames. Only allowed
 * answers are kept (a denial is evaluated again, so its message is always current). Any committed change
 * to an object of rbac.authorization.k8s.io (store.c calls rci_authz_cache_policy_changed_locked) forgets
 * everything; so does reaching AUTHZ_CACHE_MAX answers. All functions expect srv->lock. */
#include "apiserver/internal.h"

#include <stdlib.h>
#include <string.h>

#define AUTHZ_CACHE_MAX 4096
#define AUTHZ_KEY_MAX 1024

typedef struct key_buf {
    char s[AUTHZ_KEY_MAX];
    size_t len;
    bool overflow;
} key_buf;

/* Writes n in decimal and a ':' at the end of the 24 bytes at buf; returns where the text starts (the
 * hot path of every authorized request, so no snprintf). */
static const char *length_prefix(char buf[24], size_t n)
{
    char *p = buf + 24;
    *--p = ':';
    do
        *--p = (char)('0' + n % 10);
    while (n /= 10);
    return p;
}

/* Appends s as "<length>:<bytes>", so that no choice of strings makes two different requests' keys equal. */
static void put(key_buf *k, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    char buf[24];
    const char *len = length_prefix(buf, n);
    size_t ln = (size_t)(buf + sizeof buf - len);
    if (k->overflow || k->len + ln + n + 1 > sizeof k->s) {
        k->overflow = true;
        return;
    }
    memcpy(k->s + k->len, len, ln);
    memcpy(k->s + k->len + ln, s ? s : "", n);
    k->len += ln + n;
    k->s[k->len] = '\0';
}

/* The key without the name; false when it does not fit (such requests are simply not cached). */
static bool base_key(const rc_authz_attrs *a, key_buf *k)
{
    k->len = 0;
    k->overflow = false;
    k->s[0] = '\0';
    size_t ngroups = 0;
    while (ngroups < RC_MAX_USER_GROUPS && a->user->groups[ngroups])
        ngroups++;
    char count[24];
    const char *digits = length_prefix(count, ngroups);
    count[sizeof count - 1] = '\0'; /* the number without its ':' */
    put(k, a->user->name);
    put(k, digits);
    for (size_t i = 0; i < ngroups; i++)
        put(k, a->user->groups[i]);
    put(k, a->verb);
    put(k, a->api_group);
    put(k, a->resource);
    put(k, a->subresource);
    put(k, a->namespace_);
    return !k->overflow;
}

/* The key for any name ("any") or for a's name only ("name" and the name). */
static bool full_key(const rc_authz_attrs *a, bool by_name, key_buf *k)
{
    if (!base_key(a, k))
        return false;
    put(k, by_name ? "name" : "any");
    if (by_name)
        put(k, a->name);
    return !k->overflow;
}

bool rci_authz_cache_allows_locked(rc_apiserver *srv, const rc_authz_attrs *a)
{
    if (!a->user || !a->user->name || a->non_resource_path)
        return false;
    key_buf k;
    if (full_key(a, false, &k) && rci_map_get(&srv->authz_cache, k.s))
        return true;
    return a->name && *a->name && full_key(a, true, &k) && rci_map_get(&srv->authz_cache, k.s);
}

void rci_authz_cache_add_locked(rc_apiserver *srv, const rc_authz_attrs *a, bool by_name, uint64_t gen)
{
    key_buf k;
    if (gen != srv->policy_gen || !a->user || !a->user->name || a->non_resource_path || !full_key(a, by_name, &k) ||
        rci_map_get(&srv->authz_cache, k.s))
        return;
    if (rci_map_count(&srv->authz_cache) >= AUTHZ_CACHE_MAX)
        rci_authz_cache_free_locked(srv);
    char *key = strdup(k.s);
    if (key && rci_map_put(&srv->authz_cache, key, key, NULL) != 0)
        free(key);
}

void rci_authz_cache_policy_changed_locked(rc_apiserver *srv, const rc_resource_info *ri)
{
    if (strcmp(ri->group, "rbac.authorization.k8s.io") != 0)
        return;
    srv->policy_gen++;
    rci_authz_cache_free_locked(srv);
}

void rci_authz_cache_free_locked(rc_apiserver *srv)
{
    size_t it = 0;
    const rci_map_entry *e;
    while (rci_map_next(&srv->authz_cache, &it, &e))
        free(e->value);
    rci_map_free(&srv->authz_cache);
    rci_map_init(&srv->authz_cache);
}
