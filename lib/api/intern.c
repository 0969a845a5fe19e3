/* intern.c - the process-wide object-key intern table behind the packed object form.
 *
 * Keys such as "metadata" or "containerPort" repeat in every object, so packed objects store a small id
 * instead. The table is append-only: readers never lock (an open-addressing table of atomic entry
 * pointers, replaced whole when it grows; old tables stay reachable), writers take one mutex. It is
 * bounded (RCI_INTERN_MAX ids, keys up to INTERN_MAX_LEN bytes) so user data keys cannot grow it without
 * limit; keys that do not fit are stored inline in the objects instead. */
#include "api/object_internal.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RCI_INTERN_MAX 65536
#define INTERN_MAX_LEN 64
#define INITIAL_SLOTS 512

typedef struct intern_entry {
    uint64_t hash;
    uint32_t id;
    uint32_t len;
    char str[];
} intern_entry;

typedef struct intern_table {
    struct intern_table *prev; /* the table this one replaced, kept for readers still probing it */
    size_t mask;
    _Atomic(intern_entry *) slot[];
} intern_table;

static _Atomic(intern_table *) table;
static _Atomic(intern_entry *) by_id[RCI_INTERN_MAX];
static uint32_t count; /* guarded by lock */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t seeded = PTHREAD_ONCE_INIT;

/* Seeded in this order so the RCI_K_* ids hold, then the keys most frequent in objects, which get the
 * one-byte ids (below 64). */
static const char *const seed_keys[] = {
    "apiVersion", "kind", "metadata", "name", "namespace", "uid", "resourceVersion", "labels",
    "annotations", "generateName", "generation", "creationTimestamp", "deletionTimestamp", "finalizers",
    "ownerReferences", "controller", "blockOwnerDeletion", "spec", "status", "type", "value", "app",
    "containers", "image", "ports", "containerPort", "protocol", "resources", "limits", "requests", "cpu",
    "memory", "volumeMounts", "mountPath", "readOnly", "volumes", "conditions", "lastTransitionTime",
    "lastProbeTime", "reason", "message", "replicas", "selector", "matchLabels", "template", "key",
    "containerStatuses", "state", "running", "startedAt", "ready", "restartCount", "imageID",
    "containerID", "started", "lastState", "phase", "hostIP", "podIP", "podIPs", "ip", "startTime",
    "qosClass", "nodeName", "terminationMessagePath", "terminationMessagePolicy", "imagePullPolicy",
    "restartPolicy", "terminationGracePeriodSeconds", "dnsPolicy", "serviceAccountName",
    "serviceAccount", "securityContext", "schedulerName", "tolerations", "operator", "effect",
    "tolerationSeconds", "priority", "enableServiceLinks", "preemptionPolicy", "projected", "sources",
    "serviceAccountToken", "expirationSeconds", "path", "configMap", "items", "downwardAPI", "fieldRef",
    "fieldPath", "defaultMode", "env", "args", "command", "data", "port", "targetPort", "clusterIP",
    "observedGeneration", "readyReplicas", "availableReplicas", "updatedReplicas", "strategy",
    "rollingUpdate", "maxSurge", "maxUnavailable", "nodeSelector", "hostname", "subdomain", "addresses",
    "address", "allocatable", "capacity", "pods", "nodeInfo", "managedFields", "manager", "operation",
    "time", "fieldsType", "fieldsV1", "subsets", "endpoints", "holderIdentity", "leaseDurationSeconds",
    "acquireTime", "renewTime",
};

/* A short-key hash (keys are mostly under 16 bytes): multiply-xorshift over 8-byte words. */
static uint64_t key_hash(const char *key, size_t len)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ len;
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, key, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
        key += 8;
        len -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, key, len);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 29);
}

/* Keys of unpacked trees are the table's own strings (rci_unpack shares them), so packing such a tree
 * again can find a key's id by its address: a direct-mapped cache of (address << 16 | id) words, filled by
 * rci_intern when the key it was given is an entry's own string. Entries never move or go away, so a
 * word whose address matches is right forever; a word is one atomic, so readers never see half of one. */
#define PTR_CACHE_BITS 10
#define PTR_CACHE_ADDR_MAX ((uintptr_t)1 << 48)
_Static_assert(RCI_INTERN_MAX <= 65536, "ids fit the low 16 bits of a cache word");

static _Atomic uint64_t ptr_cache[1u << PTR_CACHE_BITS];

static size_t ptr_slot(const char *key)
{
    return (size_t)((((uintptr_t)key >> 4) * 0x9e3779b97f4a7c15ULL) >> (64 - PTR_CACHE_BITS));
}

static void ptr_remember(const intern_entry *e)
{
    uintptr_t addr = (uintptr_t)e->str;
    if (addr >= PTR_CACHE_ADDR_MAX)
        return;
    uint64_t word = ((uint64_t)addr << 16) | e->id;
    _Atomic uint64_t *slot = &ptr_cache[ptr_slot(e->str)];
    if (atomic_load_explicit(slot, memory_order_relaxed) != word)
        atomic_store_explicit(slot, word, memory_order_relaxed);
}

uint32_t rci_intern_known(const char *key)
{
    uint64_t word = atomic_load_explicit(&ptr_cache[ptr_slot(key)], memory_order_relaxed);
    return word && (word >> 16) == (uintptr_t)key ? (uint32_t)(word & 0xffff) : RCI_INTERN_NONE;
}

static intern_table *table_new(size_t slots)
{
    intern_table *t = calloc(1, sizeof *t + slots * sizeof t->slot[0]);
    if (t)
        t->mask = slots - 1;
    return t;
}

static intern_entry *probe(const intern_table *t, const char *key, size_t len, uint64_t h)
{
    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
        intern_entry *e = atomic_load_explicit(&t->slot[i], memory_order_acquire);
        if (!e)
            return NULL;
        if (e->hash == h && e->len == len && memcmp(e->str, key, len) == 0)
            return e;
    }
}

static void place(intern_table *t, intern_entry *e)
{
    size_t i = e->hash & t->mask;
    while (atomic_load_explicit(&t->slot[i], memory_order_relaxed))
        i = (i + 1) & t->mask;
    atomic_store_explicit(&t->slot[i], e, memory_order_release);
}

/* Under lock: makes room for one more entry (load kept at or below 1/2). */
static bool reserve_one(void)
{
    intern_table *t = atomic_load_explicit(&table, memory_order_relaxed);
    if (t && (count + 1) * 2 <= t->mask + 1)
        return true;
    intern_table *n = table_new(t ? (t->mask + 1) * 2 : INITIAL_SLOTS);
    if (!n)
        return false;
    for (uint32_t id = 0; id < count; id++)
        place(n, atomic_load_explicit(&by_id[id], memory_order_relaxed));
    n->prev = t;
    atomic_store_explicit(&table, n, memory_order_release);
    return true;
}

static uint32_t insert_locked(const char *key, size_t len, uint64_t h)
{
    intern_table *t = atomic_load_explicit(&table, memory_order_relaxed);
    intern_entry *e = t ? probe(t, key, len, h) : NULL;
    if (e)
        return e->id;
    if (count >= RCI_INTERN_MAX || !reserve_one())
        return RCI_INTERN_NONE;
    e = malloc(sizeof *e + len + 1);
    if (!e)
        return RCI_INTERN_NONE;
    e->hash = h;
    e->id = count;
    e->len = (uint32_t)len;
    memcpy(e->str, key, len);
    e->str[len] = '\0';
    atomic_store_explicit(&by_id[count], e, memory_order_release);
    count++;
    place(atomic_load_explicit(&table, memory_order_relaxed), e);
    return e->id;
}

static void seed(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < sizeof seed_keys / sizeof seed_keys[0]; i++) {
        size_t len = strlen(seed_keys[i]);
        insert_locked(seed_keys[i], len, key_hash(seed_keys[i], len));
    }
    pthread_mutex_unlock(&lock);
}

uint32_t rci_intern_find(const char *key, size_t len)
{
    pthread_once(&seeded, seed);
    if (len > INTERN_MAX_LEN)
        return RCI_INTERN_NONE;
    intern_table *t = atomic_load_explicit(&table, memory_order_acquire);
    intern_entry *e = t ? probe(t, key, len, key_hash(key, len)) : NULL;
    return e ? e->id : RCI_INTERN_NONE;
}

uint32_t rci_intern(const char *key, size_t len)
{
    pthread_once(&seeded, seed);
    if (len > INTERN_MAX_LEN)
        return RCI_INTERN_NONE;
    uint64_t h = key_hash(key, len);
    intern_table *t = atomic_load_explicit(&table, memory_order_acquire);
    intern_entry *e = t ? probe(t, key, len, h) : NULL;
    if (e && e->str == key)
        ptr_remember(e);
    if (e)
        return e->id;
    pthread_mutex_lock(&lock);
    uint32_t id = insert_locked(key, len, h);
    pthread_mutex_unlock(&lock);
    return id;
}

const char *rci_intern_str(uint32_t id, size_t *len)
{
    pthread_once(&seeded, seed);
    intern_entry *e = id < RCI_INTERN_MAX ? atomic_load_explicit(&by_id[id], memory_order_acquire) : NULL;
    if (len)
        *len = e ? e->len : 0;
    return e ? e->str : NULL;
}
