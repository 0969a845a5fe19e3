/* cclient.h - internal layout of the wrapping client state (rci_cclient) shared by cclient.c, which
 * forwards requests, and overlay.c, which keeps the controller's own writes for read-your-own-writes. */
#ifndef RC_RUNTIME_CCLIENT_H
#define RC_RUNTIME_CCLIENT_H

#include "runtime/runtime.h"

/* One object this controller wrote that its cache may not show yet. */
typedef struct rci_ov_entry {
    char *mapkey;   /* "id|ns/name", owned; the map's key */
    rc_object *obj; /* the written version; NULL when the write removed the object */
    uint64_t rv;    /* the written (or deletion) resourceVersion; 0 when unknown */
    char uid[80];
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
