/* registry.c - the resource registry: built-in kinds plus kinds added at run time (CRDs).
 *
 * Each registered kind is one heap entry (its rc_resource_info and a copy of every string) that lives
 * until the registry is freed, so returned pointers survive rc_registry_remove. Two hash maps answer the
 * hot lookups (group/kind and group/plural, keys stored in the entry); kubectl-style name resolution
 * answers a plural that one live kind has from a third map and otherwise scans the live list, which holds
 * tens of kinds. One rwlock guards everything. */
#include <reconcile/registry.h>

#include "util/map.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct entry {
    rc_resource_info info;
    char *kind_key;     /* "group/Kind" */
    char *resource_key; /* "group/plural" */
    char *pool;         /* all of info's strings */
} entry;

struct rc_registry {
    pthread_rwlock_t lock;
    entry **live; /* registration order */
    size_t nlive, cap;
    entry **dead; /* removed entries, freed with the registry */
    size_t ndead, dead_cap;
    rci_map by_kind, by_resource;
    rci_map by_plural; /* plural -> the one live entry with it, or &shared_plural; absent: not known */
};

static char shared_plural; /* by_plural's value for a plural that several live kinds have */

typedef struct builtin {
    const char *group, *kind, *plural, *shorts;
    bool namespaced, status, scale, all;
} builtin;

static const builtin builtins[] = {
    {"", "Pod", "pods", "po", true, true, false, true},
    {"", "Node", "nodes", "no", false, true, false, false},
    {"", "Namespace", "namespaces", "ns", false, true, false, false},
    {"", "Service", "services", "svc", true, true, false, true},
    {"", "Endpoints", "endpoints", "ep", true, false, false, false},
    {"", "ConfigMap", "configmaps", "cm", true, false, false, false},
    {"", "Secret", "secrets", NULL, true, false, false, false},
    {"", "ServiceAccount", "serviceaccounts", "sa", true, false, false, false},
    {"", "PersistentVolume", "persistentvolumes", "pv", false, true, false, false},
    {"", "PersistentVolumeClaim", "persistentvolumeclaims", "pvc", true, true, false, false},
    {"", "Event", "events", "ev", true, false, false, false},
    {"apps", "Deployment", "deployments", "deploy", true, true, true, true},
    {"apps", "ReplicaSet", "replicasets", "rs", true, true, true, true},
    {"apps", "StatefulSet", "statefulsets", "sts", true, true, true, true},
    {"apps", "DaemonSet", "daemonsets", "ds", true, true, false, true},
    {"apps", "ControllerRevision", "controllerrevisions", NULL, true, false, false, false},
    {"batch", "Job", "jobs", NULL, true, true, false, true},
    {"batch", "CronJob", "cronjobs", "cj", true, true, false, true},
    {"coordination.k8s.io", "Lease", "leases", NULL, true, false, false, false},
    {"rbac.authorization.k8s.io", "Role", "roles", NULL, true, false, false, false},
    {"rbac.authorization.k8s.io", "RoleBinding", "rolebindings", NULL, true, false, false, false},
    {"rbac.authorization.k8s.io", "ClusterRole", "clusterroles", NULL, false, false, false, false},
    {"rbac.authorization.k8s.io", "ClusterRoleBinding", "clusterrolebindings", NULL, false, false, false, false},
    {"apiextensions.k8s.io", "CustomResourceDefinition", "customresourcedefinitions", "crd,crds", false, true,
     false, false},
    {"storage.k8s.io", "StorageClass", "storageclasses", "sc", false, false, false, false},
    {"authorization.k8s.io", "SelfSubjectAccessReview", "selfsubjectaccessreviews", NULL, false, false, false,
     false},
    {"authorization.k8s.io", "SubjectAccessReview", "subjectaccessreviews", NULL, false, false, false, false},
};

static const char *or_empty(const char *s) { return s ? s : ""; }

static bool valid_plural(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-')
            return false;
    return true;
}

static bool valid_name(const char *s) { return s && *s && !strpbrk(s, "/. "); }

/* Copies info (with defaults for singular and list_kind) into a new entry; NULL on allocation failure. */
static entry *entry_new(const rc_resource_info *info)
{
    char singular[128], list_kind[128];
    if (!info->singular || !*info->singular) {
        snprintf(singular, sizeof singular, "%s", info->kind);
        for (char *c = singular; *c; c++)
            *c = (char)tolower((unsigned char)*c);
    }
    snprintf(list_kind, sizeof list_kind, "%sList", info->kind);
    size_t nshort = 0;
    while (nshort < RC_MAX_SHORT_NAMES && info->short_names[nshort])
        nshort++;
    /* group, version, kind, list kind, plural, singular, short names..., categories */
    const char *all[6 + RC_MAX_SHORT_NAMES + 1] = {
        or_empty(info->group), info->version, info->kind,
        info->list_kind && *info->list_kind ? info->list_kind : list_kind,
        info->plural, info->singular && *info->singular ? info->singular : singular};
    for (size_t i = 0; i < nshort; i++)
        all[6 + i] = info->short_names[i];
    size_t nsrc = 6 + nshort, total = 0;
    if (info->categories)
        all[nsrc++] = info->categories;
    for (size_t i = 0; i < nsrc; i++)
        total += strlen(all[i]) + 1;
    entry *e = calloc(1, sizeof *e);
    char *pool = malloc(total);
    char *kind_key = malloc(strlen(all[0]) + strlen(all[2]) + 2);
    char *resource_key = malloc(strlen(all[0]) + strlen(all[4]) + 2);
    if (!e || !pool || !kind_key || !resource_key) {
        free(e);
        free(pool);
        free(kind_key);
        free(resource_key);
        return NULL;
    }
    const char *copied[6 + RC_MAX_SHORT_NAMES + 1];
    char *w = pool;
    for (size_t i = 0; i < nsrc; i++) {
        size_t n = strlen(all[i]) + 1;
        memcpy(w, all[i], n);
        copied[i] = w;
        w += n;
    }
    e->pool = pool;
    e->info = *info;
    e->info.group = copied[0];
    e->info.version = copied[1];
    e->info.kind = copied[2];
    e->info.list_kind = copied[3];
    e->info.plural = copied[4];
    e->info.singular = copied[5];
    memset(e->info.short_names, 0, sizeof e->info.short_names);
    for (size_t i = 0; i < nshort; i++)
        e->info.short_names[i] = copied[6 + i];
    e->info.categories = info->categories ? copied[6 + nshort] : NULL;
    sprintf(kind_key, "%s/%s", copied[0], copied[2]);
    sprintf(resource_key, "%s/%s", copied[0], copied[4]);
    e->kind_key = kind_key;
    e->resource_key = resource_key;
    return e;
}

static void entry_free(entry *e)
{
    if (!e)
        return;
    free(e->pool);
    free(e->kind_key);
    free(e->resource_key);
    free(e);
}

static bool same_definition(const rc_resource_info *a, const rc_resource_info *b)
{
    if (strcmp(a->group, b->group) || strcmp(a->version, b->version) || strcmp(a->kind, b->kind) ||
        strcmp(a->list_kind, b->list_kind) || strcmp(a->plural, b->plural) || strcmp(a->singular, b->singular) ||
        a->namespaced != b->namespaced || a->has_status != b->has_status || a->has_scale != b->has_scale ||
        strcmp(or_empty(a->categories), or_empty(b->categories)))
        return false;
    for (size_t i = 0; i < RC_MAX_SHORT_NAMES; i++) {
        if (!a->short_names[i] || !b->short_names[i]) {
            if (a->short_names[i] != b->short_names[i])
                return false;
            break;
        }
        if (strcmp(a->short_names[i], b->short_names[i]))
            return false;
    }
    return true;
}

static bool grow(entry ***arr, size_t n, size_t *cap)
{
    if (n < *cap)
        return true;
    size_t c = *cap ? *cap * 2 : 32;
    entry **a = realloc(*arr, c * sizeof *a);
    if (!a)
        return false;
    *arr = a;
    *cap = c;
    return true;
}

/* Sets by_plural[plural] from the live kinds. The map only answers lookups it is sure of: a plural it
 * lacks (also when memory ran out here) is resolved by the scan. */
static void index_plural_locked(rc_registry *r, const char *plural)
{
    rci_map_remove(&r->by_plural, plural);
    entry *one = NULL;
    size_t n = 0;
    for (size_t i = 0; i < r->nlive; i++)
        if (strcmp(r->live[i]->info.plural, plural) == 0) {
            one = r->live[i];
            n++;
        }
    if (one)
        rci_map_put(&r->by_plural, one->info.plural, n == 1 ? (void *)one : &shared_plural, NULL);
}

/* Under the write lock. */
static int add_locked(rc_registry *r, const rc_resource_info *info, rc_error *err)
{
    entry *e = entry_new(info);
    if (!e)
        return rc_error_set(err, RC_ENOMEM, "out of memory registering %s", info->kind);
    entry *by_res = rci_map_get(&r->by_resource, e->resource_key);
    entry *by_kind = rci_map_get(&r->by_kind, e->kind_key);
    if (by_res || by_kind) {
        bool same = by_res == by_kind && same_definition(&by_res->info, &e->info);
        int rc = same ? 0
                      : rc_error_set(err, RC_EEXISTS, "resource %s (kind %s) conflicts with the registered %s",
                                     e->resource_key, e->kind_key, (by_res ? by_res : by_kind)->resource_key);
        entry_free(e);
        return rc;
    }
    if (!grow(&r->live, r->nlive, &r->cap) || !rci_map_reserve(&r->by_kind, rci_map_count(&r->by_kind) + 1) ||
        !rci_map_reserve(&r->by_resource, rci_map_count(&r->by_resource) + 1)) {
        entry_free(e);
        return rc_error_set(err, RC_ENOMEM, "out of memory registering %s", info->kind);
    }
    rci_map_put(&r->by_kind, e->kind_key, e, NULL);
    rci_map_put(&r->by_resource, e->resource_key, e, NULL);
    r->live[r->nlive++] = e;
    index_plural_locked(r, e->info.plural);
    return 0;
}

int rc_registry_add(rc_registry *r, const rc_resource_info *info, rc_error *err)
{
    if (!r || !info)
        return rc_error_set(err, RC_EINVAL, "registry: no resource info");
    if (!valid_name(info->kind) || !valid_name(info->version))
        return rc_error_set(err, RC_EINVAL, "registry: kind and version are required (got \"%s\", \"%s\")",
                            or_empty(info->kind), or_empty(info->version));
    if (!valid_plural(info->plural))
        return rc_error_set(err, RC_EINVAL, "registry: plural \"%s\" must be lowercase letters, digits or '-'",
                            or_empty(info->plural));
    if ((info->singular && *info->singular && !valid_plural(info->singular)) ||
        (info->group && strpbrk(info->group, "/ ")) || strlen(info->kind) > 100)
        return rc_error_set(err, RC_EINVAL, "registry: invalid singular or group for kind %s", info->kind);
    for (size_t i = 0; i < RC_MAX_SHORT_NAMES && info->short_names[i]; i++)
        if (!valid_plural(info->short_names[i]))
            return rc_error_set(err, RC_EINVAL, "registry: invalid short name \"%s\"", info->short_names[i]);
    pthread_rwlock_wrlock(&r->lock);
    int rc = add_locked(r, info, err);
    pthread_rwlock_unlock(&r->lock);
    return rc;
}

static void add_builtins(rc_registry *r)
{
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
        const builtin *b = &builtins[i];
        rc_resource_info info = {.group = b->group, .version = "v1", .kind = b->kind, .plural = b->plural,
                                 .namespaced = b->namespaced, .has_status = b->status, .has_scale = b->scale,
                                 .categories = b->all ? "all" : NULL};
        char shorts[32] = "";
        if (b->shorts) {
            snprintf(shorts, sizeof shorts, "%s", b->shorts);
            size_t n = 0;
            for (char *save = NULL, *t = strtok_r(shorts, ",", &save); t; t = strtok_r(NULL, ",", &save))
                info.short_names[n++] = t;
        }
        if (!strcmp(b->kind, "Endpoints"))
            info.singular = "endpoints";
        add_locked(r, &info, NULL);
    }
}

rc_registry *rc_registry_new(void)
{
    rc_registry *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    pthread_rwlock_init(&r->lock, NULL);
    rci_map_init(&r->by_kind);
    rci_map_init(&r->by_resource);
    rci_map_init(&r->by_plural);
    add_builtins(r);
    if (r->nlive != sizeof builtins / sizeof builtins[0]) {
        rc_registry_free(r);
        return NULL;
    }
    return r;
}

void rc_registry_free(rc_registry *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nlive; i++)
        entry_free(r->live[i]);
    for (size_t i = 0; i < r->ndead; i++)
        entry_free(r->dead[i]);
    free(r->live);
    free(r->dead);
    rci_map_free(&r->by_kind);
    rci_map_free(&r->by_resource);
    rci_map_free(&r->by_plural);
    pthread_rwlock_destroy(&r->lock);
    free(r);
}

/* "group/name" into buf (heap when long); returns the key or NULL. */
static char *compose(char *buf, size_t cap, const char *group, const char *name, char **heap)
{
    size_t need = strlen(group) + strlen(name) + 2;
    *heap = NULL;
    if (need > cap && !(buf = *heap = malloc(need)))
        return NULL;
    snprintf(buf, need, "%s/%s", group, name);
    return buf;
}

int rc_registry_remove(rc_registry *r, const char *group, const char *plural)
{
    if (!r || !plural)
        return RC_ENOTFOUND;
    char buf[256], *heap;
    char *key = compose(buf, sizeof buf, or_empty(group), plural, &heap);
    if (!key)
        return RC_ENOMEM;
    pthread_rwlock_wrlock(&r->lock);
    int rc = RC_ENOTFOUND;
    entry *e = rci_map_get(&r->by_resource, key);
    if (e && grow(&r->dead, r->ndead, &r->dead_cap)) {
        rci_map_remove(&r->by_resource, e->resource_key);
        rci_map_remove(&r->by_kind, e->kind_key);
        size_t i = 0;
        while (r->live[i] != e)
            i++;
        memmove(&r->live[i], &r->live[i + 1], (r->nlive - i - 1) * sizeof *r->live);
        r->nlive--;
        r->dead[r->ndead++] = e;
        index_plural_locked(r, e->info.plural);
        rc = 0;
    } else if (e) {
        rc = RC_ENOMEM;
    }
    pthread_rwlock_unlock(&r->lock);
    free(heap);
    return rc;
}

const rc_resource_info *rc_registry_by_kind(rc_registry *r, const char *api_version, const char *kind)
{
    if (!r || !api_version || !kind)
        return NULL;
    const char *slash = strchr(api_version, '/');
    size_t glen = slash ? (size_t)(slash - api_version) : 0;
    const char *version = slash ? slash + 1 : api_version;
    char buf[256], *heap = NULL, *key = buf;
    size_t need = glen + strlen(kind) + 2;
    if (need > sizeof buf && !(key = heap = malloc(need)))
        return NULL;
    memcpy(key, api_version, glen);
    key[glen] = '/';
    memcpy(key + glen + 1, kind, need - glen - 1); /* with its NUL */
    pthread_rwlock_rdlock(&r->lock);
    entry *e = rci_map_get(&r->by_kind, key);
    const rc_resource_info *info = e && strcmp(e->info.version, version) == 0 ? &e->info : NULL;
    pthread_rwlock_unlock(&r->lock);
    free(heap);
    return info;
}

const rc_resource_info *rc_registry_by_resource(rc_registry *r, const char *group, const char *version,
                                                const char *plural)
{
    if (!r || !plural)
        return NULL;
    char buf[256], *heap;
    char *key = compose(buf, sizeof buf, or_empty(group), plural, &heap);
    if (!key)
        return NULL;
    pthread_rwlock_rdlock(&r->lock);
    entry *e = rci_map_get(&r->by_resource, key);
    const rc_resource_info *info = e && (!version || strcmp(e->info.version, version) == 0) ? &e->info : NULL;
    pthread_rwlock_unlock(&r->lock);
    free(heap);
    return info;
}

/* s equals the n bytes of name ignoring ASCII case. The first bytes are compared before anything else
 * (most names differ there): case-insensitively equal bytes are equal once 0x20 is or-ed into both. */
static bool name_is(const char *s, const char *name, size_t n)
{
    if (n && (s[0] | 0x20) != (name[0] | 0x20))
        return false;
    return strlen(s) == n && strncasecmp(s, name, n) == 0;
}

/* How name (n bytes) names info: 1 plural, 2 singular, 3 short name, 4 kind, 0 not at all. */
static int name_rank(const rc_resource_info *info, const char *name, size_t n)
{
    if (name_is(info->plural, name, n))
        return 1;
    if (name_is(info->singular, name, n))
        return 2;
    for (size_t i = 0; i < RC_MAX_SHORT_NAMES && info->short_names[i]; i++)
        if (name_is(info->short_names[i], name, n))
            return 3;
    if (name_is(info->kind, name, n))
        return 4;
    return 0;
}

/* Whether qualifier (after "resource.") names info's group, as "group" or "version.group". */
static bool qualifier_matches(const rc_resource_info *info, const char *q)
{
    if (strcasecmp(q, info->group) == 0)
        return true;
    size_t vl = strlen(info->version);
    return strncasecmp(q, info->version, vl) == 0 && q[vl] == '.' && strcasecmp(q + vl + 1, info->group) == 0;
}

const rc_resource_info *rc_registry_lookup(rc_registry *r, const char *name)
{
    if (!r || !name || !*name)
        return NULL;
    const char *dot = strchr(name, '.');
    size_t n = dot ? (size_t)(dot - name) : strlen(name);
    const rc_resource_info *best = NULL;
    int best_rank = 5, ties = 0;
    pthread_rwlock_rdlock(&r->lock);
    const entry *known = dot ? NULL : rci_map_get(&r->by_plural, name);
    if (known && known != (const void *)&shared_plural) { /* the best rank, held by one kind */
        pthread_rwlock_unlock(&r->lock);
        return &known->info;
    }
    for (size_t i = 0; i < r->nlive; i++) {
        const rc_resource_info *info = &r->live[i]->info;
        int rank = name_rank(info, name, n);
        if (!rank || (dot && !qualifier_matches(info, dot + 1)))
            continue;
        if (rank < best_rank) {
            best = info;
            best_rank = rank;
            ties = 0;
        } else if (rank == best_rank) {
            ties++;
        }
    }
    pthread_rwlock_unlock(&r->lock);
    return ties ? NULL : best;
}

size_t rc_registry_count(rc_registry *r)
{
    if (!r)
        return 0;
    pthread_rwlock_rdlock(&r->lock);
    size_t n = r->nlive;
    pthread_rwlock_unlock(&r->lock);
    return n;
}

const rc_resource_info *rc_registry_at(rc_registry *r, size_t i)
{
    if (!r)
        return NULL;
    pthread_rwlock_rdlock(&r->lock);
    const rc_resource_info *info = i < r->nlive ? &r->live[i]->info : NULL;
    pthread_rwlock_unlock(&r->lock);
    return info;
}

const char *rc_resource_api_version(const rc_resource_info *info, char *buf, size_t cap)
{
    if (!buf || !cap)
        return buf;
    if (!info)
        buf[0] = '\0';
    else if (info->group && *info->group)
        snprintf(buf, cap, "%s/%s", info->group, info->version);
    else
        snprintf(buf, cap, "%s", info->version);
    return buf;
}
