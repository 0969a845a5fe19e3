/* http_internal.h - the inside of the HTTP rc_client backend (lib/client/http_*.c): the connection
 * settings shared by every request, the request/response exchange with retries and rate limiting
 * (http_transport.c), URL building, and the watch stream thread (http_watch.c). */
#ifndef RC_CLIENT_HTTP_INTERNAL_H
#define RC_CLIENT_HTTP_INTERNAL_H

#include <reconcile/kubeconfig.h>

#include <curl/curl.h>
#include <pthread.h>

#include "util/strbuf.h"

#define RCI_HC_POOL 8

typedef struct rci_hc {
    rc_kubeconfig kc; /* owned copy */
    char *base;       /* server URL without a trailing slash */
    char *user_agent;
    double qps;       /* <= 0: unlimited */
    double burst;
    double tokens;    /* token bucket */
    rc_time refilled;
    rc_duration timeout;
    int max_retries;
    rc_registry *reg;
    bool own_reg;
    pthread_mutex_t lock; /* bucket and pool */
    CURL *pool[RCI_HC_POOL];
    size_t npool;
} rci_hc;

typedef struct rci_hc_resp {
    long status;
    rci_strbuf body;
    int retry_after; /* seconds, from the Retry-After header */
} rci_hc_resp;

/* ---- http_transport.c ---- */
/* Applies the connection settings (TLS, credentials, user agent) to h; *headers receives the header list to
 * free with curl_slist_free_all after the transfer. 0 or RC_ENOMEM/RC_EIO. */
int rci_hc_setup(rci_hc *c, CURL *h, const char *content_type, struct curl_slist **headers, rc_error *err);
/* One request with rate limiting and retries (429, 5xx, transport errors; Retry-After honoured). path
 * includes the query. On a >= 400 answer returns the typed error parsed from the Status body. resp->body
 * holds the answer either way (caller frees with rci_strbuf_free). */
int rci_hc_do(rci_hc *c, const char *method, const char *path, const char *content_type, const char *body,
              size_t len, rci_hc_resp *resp, rc_error *err);
/* Fills err from an error answer (a Status body if there is one). Returns err->code. */
int rci_hc_status_error(long status, const char *body, size_t len, rc_error *err);
/* Waits for a rate-limiter token. */
void rci_hc_throttle(rci_hc *c);

/* ---- http_client.c ---- */
/* Appends the path of ri (namespace, name, subresource optional: NULL/"") to b. */
void rci_hc_path(rci_strbuf *b, const rc_resource_info *ri, const char *ns, const char *name, const char *sub);
/* Appends "&key=value" (or "?key=value" for the first) with value percent-encoded. */
void rci_hc_query(rci_strbuf *b, const char *key, const char *value);
/* Parses an object, setting apiVersion/kind from ri when missing (list items, watch events). */
rc_object *rci_hc_object(cJSON *tree, const rc_resource_info *ri, rc_error *err);

/* ---- http_watch.c ---- */
/* Starts a watch on path (with its query); waits for the response headers so a refused watch is an error. */
int rci_hc_watch(rci_hc *c, const rc_resource_info *ri, const char *path, rc_watch **out, rc_error *err);

#endif
