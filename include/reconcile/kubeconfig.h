/* kubeconfig.h - reaching a real (or rcsim serve) API server over HTTP(S): kubeconfig files (clusters,
 * users, contexts, current-context, KUBECONFIG), the in-cluster service-account configuration, a
 * kubeconfig writer, and rc_http_client_new, the libcurl backend of rc_client.
 *
 * The HTTP client speaks every rc_client verb (patch types, status/scale subresources, list paging,
 * watch streams with bookmarks and watch-list, deletecollection), turns Status bodies into typed
 * rc_errors, limits its request rate (QPS/burst), retries 429 and 5xx answers with back-off honouring
 * Retry-After, verifies TLS by default, and never logs tokens. It is thread-safe. */
#ifndef RECONCILE_KUBECONFIG_H
#define RECONCILE_KUBECONFIG_H

#include "client.h"
#include "clock.h"
#include "common.h"
#include "registry.h"

/* One resolved connection: what a context of a kubeconfig names. Every string is owned (malloc'd) or
 * NULL; release with rc_kubeconfig_clear. "_data" fields hold the decoded PEM bytes. */
typedef struct rc_kubeconfig {
    char *context;       /* the context's name (NULL for in-cluster) */
    char *cluster_name;
    char *user_name;
    char *server;        /* "https://host:port" */
    char *ca_file;       /* certificate-authority */
    char *ca_data;       /* certificate-authority-data, decoded */
    size_t ca_data_len;
    char *client_cert_file;
    char *client_cert_data;
    size_t client_cert_data_len;
    char *client_key_file;
    char *client_key_data;
    size_t client_key_data_len;
    char *token;         /* a bearer token (never logged) */
    char *token_file;    /* read at each request when token is NULL (rotated service-account tokens) */
    bool insecure_skip_tls_verify;
    char *namespace_;    /* the context's namespace; NULL = "default" */
} rc_kubeconfig;

/* Loads the kubeconfig at path, or when path is NULL the files in $KUBECONFIG (colon-separated, the
 * first file defining a name wins, as kubectl merges) or else ~/.kube/config, and resolves context
 * (NULL = current-context) into *out (zero it first; clear it with rc_kubeconfig_clear). Relative file
 * paths are made relative to the kubeconfig's directory. Errors: RC_EIO (unreadable), RC_EBADREQUEST
 * (not YAML, bad base64), RC_ENOTFOUND (no such context, cluster or user; the message names it). */
RC_API int rc_kubeconfig_load(const char *path, const char *context, rc_kubeconfig *out, rc_error *err);
/* The in-cluster configuration: server from KUBERNETES_SERVICE_HOST/PORT, the token file, CA and
 * namespace under /var/run/secrets/kubernetes.io/serviceaccount/ (dir overrides that directory; NULL =
 * default). RC_ENOTFOUND when not running in a cluster. */
RC_API int rc_kubeconfig_in_cluster(const char *dir, rc_kubeconfig *out, rc_error *err);
/* Releases what kc holds and zeroes it. */
RC_API void rc_kubeconfig_clear(rc_kubeconfig *kc);
/* Writes kc as a kubeconfig file (one cluster, user and context, named after kc's names or "rcsim"),
 * mode 0600, replacing path atomically. RC_EINVAL without a server, RC_EIO on write failure. */
RC_API int rc_kubeconfig_write(const char *path, const rc_kubeconfig *kc, rc_error *err);

/* Options of the HTTP client; a zeroed struct (or NULL) means defaults. */
typedef struct rc_http_client_options {
    const char *user_agent;  /* NULL = "libreconcile/VERSION" */
    double qps;              /* sustained requests per second; 0 = 50; < 0 = unlimited */
    int burst;               /* bucket size; 0 = 100 */
    rc_duration timeout;     /* per request (not watches); 0 = 30 s */
    int max_retries;         /* retries of 429/5xx/transport failures; 0 = 5; < 0 = none */
    rc_registry *registry;   /* borrowed; NULL = a private registry of the built-in kinds, extended with
                                the server's other resources (CRDs) by discovery at creation */
} rc_http_client_options;

/* A client for the server kc names (kc is copied). With a private registry it runs discovery once
 * (GET /api/v1, /apis and each group version) so custom resources resolve; a server that cannot be
 * reached is an error then (RC_EIO). NULL + err on failure; release with rc_client_unref. */
RC_API rc_client *rc_http_client_new(const rc_kubeconfig *kc, const rc_http_client_options *opts, rc_error *err);

#endif
