/* cclient.h - internal layout of the wrapping client state (rci_cclient) shared by cclient.c, which
 * forwards requests, and overlay.c, which keeps the controller's own writes for read-your-own-writes. */
#ifndef RC_RUNTIME_CCLIENT_H
#define RC_RUNTIME_CCLIENT_H

#include "runtime/runtime.h"

#include "cache/indexer.h"

/* One object this controller wrote that its cache may not show yet. */
typedef struct rci_ov_entry {
    char *mapkey;     /* "id|ns/name", owned; the map's key */
    uint64_t keyhash; /* rci_hash_str of the "ns/name" part */
    rc_object *obj;   /* the written version; NULL when the write removed the object */
    uint64_t rv;      /* the written (or deletion) resourceVersion; 0 when unknown */
    char uid[80];
    /* obj's values under the index function last asked about (by_index reads ask the same one of every
     * entry, once per read: remembered, a read costs a comparison per entry, not an index call) */
    rc_index_fn memo_fn;
    void *memo_ctx;
    rc_index_values memo;
} rci_ov_entry;

struct rci_cclient {
    rc_client *inner;
    rc_metric *requests;
    bool overlay;
    pthread_mutex_t mu;
    rci_map entries; /* mapkey -> rci_ov_entry* */
    char **tracked;
    size_t ntracked;
    rci_usage *usage;
    size_t nusage, capusage;
};

/* overlay.c: remembers obj (written; removed = the write deleted it) under id/key. Caller holds no lock. */
void rci_overlay_record(rci_cclient *cc, const char *id, const rc_object *obj, bool removed);
void rci_overlay_free_entries(rci_cclient *cc);

#endif
