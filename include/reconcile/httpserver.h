/* httpserver.h - rc_http_server: serves an embedded rc_apiserver over HTTP(S) with the Kubernetes REST
 * protocol, so the real kubectl, client-go programs and python3-kubernetes can talk to it: /version,
 * discovery (legacy and aggregated), OpenAPI v3 documents, CRUD and watch on every registered resource
 * (status and scale subresources, the four patch types, deletecollection), Table output, Status errors,
 * SelfSubjectAccessReview (JSON or protobuf), /metrics, /healthz, /readyz and /livez.
 *
 * A driver-level component: it owns threads (libmicrohttpd, one per connection, plus one that steps the
 * API server's time-based work on a real or scaled clock). Every function is thread-safe. */
#ifndef RECONCILE_HTTPSERVER_H
#define RECONCILE_HTTPSERVER_H

#include "apiserver.h"
#include "common.h"
#include "metrics.h"

typedef struct rc_http_server rc_http_server;

/* Options. Strings are copied by rc_http_server_new; a zeroed struct (or NULL) means defaults. */
typedef struct rc_http_options {
    const char *listen_address; /* numeric IPv4 address to bind; NULL = "127.0.0.1" (loopback only) */
    uint16_t port;              /* 0 = an ephemeral port (read it with rc_http_server_port) */
    const char *tls_cert_file;  /* PEM certificate and key: serve HTTPS; both or neither */
    const char *tls_key_file;
    const char *token_auth_file; /* kube-apiserver CSV: token,user,uid[,"group1,group2"]; requests then need
                                    a bearer token (401 otherwise); NULL = every request is a cluster admin */
    bool rbac;                  /* authorize every identity but system:masters members with RBAC */
    bool no_stepping;           /* do not run rc_apiserver_step from a thread (the caller drives time) */
    rc_clock *clock;            /* borrowed: the API server's clock, for Table ages; NULL = the real clock */
    rc_metrics *metrics;        /* borrowed, rendered at /metrics after the server's own request counters;
                                   NULL = only those */
    unsigned max_connections;   /* concurrent connections; 0 = 1024 */
} rc_http_options;

/* A new, not yet listening server for srv (borrowed: it must outlive the HTTP server). Reads and checks
 * the token file now. NULL + err (RC_EINVAL for bad options, RC_EIO for an unreadable file) on failure.
 * Free with rc_http_server_free. */
RC_API rc_http_server *rc_http_server_new(rc_apiserver *srv, const rc_http_options *opts, rc_error *err);
/* Binds and starts serving. RC_EIO when the address cannot be bound or TLS files cannot be read;
 * RC_EINVAL when already started. */
RC_API int rc_http_server_start(rc_http_server *hs, rc_error *err);
/* The bound port (0 before start). */
RC_API uint16_t rc_http_server_port(const rc_http_server *hs);
/* "http://127.0.0.1:PORT" or "https://..." into buf (NUL-terminated); returns buf. */
RC_API const char *rc_http_server_url(const rc_http_server *hs, char *buf, size_t cap);
/* Ends every watch stream, closes every connection and stops the threads; idempotent. */
RC_API void rc_http_server_stop(rc_http_server *hs);
/* Stops (if needed) and frees. NULL-safe. */
RC_API void rc_http_server_free(rc_http_server *hs);

#endif
