/* http_internal.h - the inside of rc_http_server (lib/apiserver/http_*.c): the server struct, one parsed
 * request, the reply every handler fills, and the functions each http_*.c file provides to the others.
 * http_server.c owns libmicrohttpd and threads; the other files are plain functions from a request to a
 * reply, so they are testable without sockets. */
#ifndef RC_APISERVER_HTTP_INTERNAL_H
#define RC_APISERVER_HTTP_INTERNAL_H

#include <reconcile/apiserver.h>
#include <reconcile/httpserver.h>

#include <pthread.h>
#include <stdatomic.h>

#include "util/strbuf.h"

/* One line of a token auth file. */
typedef struct rci_http_token {
    char *token;
    char *user;
    char *groups[RC_MAX_USER_GROUPS]; /* NULL-terminated when fewer */
} rci_http_token;

typedef struct rc_http_server rci_http_server;

/* How requests authenticate: with tokens when enabled, else every request is the local admin. */
typedef struct rci_http_auth {
    bool enabled;
    rci_http_token *tokens;
    size_t ntokens;
    bool rbac; /* identities other than system:masters act through RBAC-checked clients */
} rci_http_auth;

/* An identity for one request, with the rc_client it acts through. */
typedef struct rci_http_identity {
    rc_user user;      /* strings owned */
    bool admin;        /* member of system:masters */
    rc_client *client; /* new reference */
} rci_http_identity;

/* A query parameter or header of a request served without a connection (tests, the fuzz harness). */
typedef struct rci_http_field {
    bool header;       /* a header (name compared case-insensitively), else a query parameter */
    const char *key;
    const char *value; /* NULL for a query key without "=" */
} rci_http_field;

/* One request, as handlers see it. */
typedef struct rci_http_req {
    rci_http_server *hs;
    void *conn;            /* struct MHD_Connection *, or NULL: the query and headers are `fields` */
    const rci_http_field *fields;
    size_t nfields;
    const char *method;    /* "GET", ... */
    const char *path;      /* without the query */
    const char *body;      /* NUL-terminated copy of the body (may hold NULs for protobuf) */
    size_t body_len;
    rci_http_identity id;
} rci_http_req;

/* What a handler answers. A streaming reply (watch) sets stream instead of body. */
typedef struct rci_http_reply {
    int status;
    const char *content_type; /* static; NULL = application/json */
    char *body;               /* owned */
    size_t len;
    char *warning;            /* owned, a Warning header value, or NULL */
    struct rci_http_watch *stream; /* owned: a chunked event stream */
} rci_http_reply;

/* ---- http_server.c ---- */
/* Authenticates req (conn or fields set; id empty), then answers it: /metrics or rci_http_route. Clears
 * req->id. The socket-free entry of the server (tests and fuzzing feed parsed requests to it). */
void rci_http_serve(rci_http_req *req, rci_http_reply *out);
/* A query parameter of the request (borrowed from libmicrohttpd) or NULL. */
const char *rci_http_query(const rci_http_req *r, const char *key);
/* A request header or NULL. */
const char *rci_http_header(const rci_http_req *r, const char *key);
/* Every value of a repeated header (Impersonate-Group), up to cap; returns the count. */
size_t rci_http_headers(const rci_http_req *r, const char *key, const char **out, size_t cap);
rc_apiserver *rci_http_apiserver(const rci_http_server *hs);
/* The current time on the server's clock. */
rc_time rci_http_now(const rci_http_server *hs);
/* True once the server is stopping (streams end). */
bool rci_http_stopping(const rci_http_server *hs);
/* Registers/unregisters an open watch so stop can end it (one registered while stopping is ended at once). */
void rci_http_track_watch(rci_http_server *hs, struct rci_http_watch *w, bool add);
/* Queues a suspended stream that has events for the tick thread to resume (rci_http_watch_resume). */
void rci_http_queue_wake(rci_http_server *hs, struct rci_http_watch *w);
/* Suspends a connection (struct MHD_Connection *) from its content reader, or resumes it from any thread;
 * the watch streams suspend while nothing is ready. Returns whether the connection is suspended now
 * (libmicrohttpd declines a suspension while a resume is pending). */
bool rci_http_conn_suspend(void *conn, bool suspend);
/* The server's cache of objects' JSON text, shared by its watch streams. */
struct rci_http_json_cache *rci_http_server_json_cache(const rci_http_server *hs);

/* ---- http_reply.c ---- */
/* Sets r to a JSON reply taking ownership of body (NULL body: out of memory, answered as 500). */
void rci_http_reply_json(rci_http_reply *r, int status, char *body, size_t len);
/* Sets r to the JSON text of tree (not consumed). */
void rci_http_reply_cjson(rci_http_reply *r, int status, const cJSON *tree);
/* Sets r to the object's JSON. */
void rci_http_reply_object(rci_http_reply *r, int status, const rc_object *obj);
/* A v1 Status reply for err (code, reason, message, details with name/group/kind and causes). ri and
 * name (may be NULL) fill the details. */
void rci_http_reply_error(rci_http_reply *r, const rc_error *err, const rc_resource_info *ri, const char *name);
/* A reply for a plain code and message. */
void rci_http_reply_code(rci_http_reply *r, int code, const char *fmt, ...) RC_PRINTF(3, 4);
/* The Status JSON for err, appended to b. */
void rci_http_status_json(rci_strbuf *b, const rc_error *err, const rc_resource_info *ri, const char *name);
/* A Success Status reply (delete). */
void rci_http_reply_success(rci_http_reply *r, const rc_resource_info *ri, const char *name, const char *uid);
void rci_http_reply_clear(rci_http_reply *r);

/* ---- http_fields.c ---- */
/* The first / every value of a query parameter (header false) or header of a connection-less request. */
const char *rci_http_field_value(const rci_http_req *r, bool header, const char *key);
size_t rci_http_fields(const rci_http_req *r, bool header, const char *key, const char **out, size_t cap);

/* ---- http_route.c ---- */
/* Answers one request (everything but authentication, done before). */
void rci_http_route(rci_http_req *req, rci_http_reply *out);
/* Go's strconv.ParseBool truths: 1 t T TRUE true True. */
bool rci_http_parse_bool(const char *s);

/* ---- http_discovery.c ---- */
/* /api, /apis, /api/v1, /apis/<g>, /apis/<g>/<v>, /version; false when path is none of them. */
bool rci_http_discovery(rci_http_req *req, rci_http_reply *out);

/* ---- http_openapi.c ---- */
/* /openapi/v2 (404), /openapi/v3 and /openapi/v3/<api/v1|apis/g/v>; false when path is none of them. */
bool rci_http_openapi(rci_http_req *req, rci_http_reply *out);

/* ---- http_table.c ---- */
/* Whether the Accept header asks for a meta.k8s.io Table. */
bool rci_http_wants_table(const char *accept);
/* Appends a Table of objs (rows for each) to b; include_object: "None", "Object" or Metadata (default). */
void rci_http_table(rci_strbuf *b, const rc_resource_info *ri, rc_object *const *objs, size_t n,
                    const char *resource_version, const char *continue_token, const char *include_object,
                    rc_time now);

/* ---- http_watch.c ---- */
typedef struct rci_http_watch rci_http_watch;
/* A stream over w (takes the reference): events as JSON lines, or one-row Tables when table. */
rci_http_watch *rci_http_watch_new(rci_http_server *hs, rc_watch *w, const rc_resource_info *ri, bool table,
                                   const char *include_object);
/* A stream that sends one ERROR event for err, then ends. */
rci_http_watch *rci_http_watch_error(rci_http_server *hs, const rc_error *err);
/* Binds the stream to the connection (struct MHD_Connection *) and socket that carry it. */
void rci_http_watch_attach(rci_http_watch *w, void *conn, int fd);
#define RCI_HTTP_WATCH_END (-1)    /* the stream is complete */
#define RCI_HTTP_WATCH_FAILED (-2) /* the client went away or memory ran out */
/* Fills up to max bytes of the stream into buf: every event line that is ready, never blocking. Returns
 * the byte count, RCI_HTTP_WATCH_END or RCI_HTTP_WATCH_FAILED, or 0 when nothing is ready, after
 * suspending the connection until an event, rci_http_watch_poke or rci_http_watch_cancel resumes it. */
long rci_http_watch_read(rci_http_watch *w, char *buf, size_t max);
/* Resumes a suspended stream so that it notices a client that went away (called from any thread). */
void rci_http_watch_poke(rci_http_watch *w);
/* Resumes a stream queued with rci_http_queue_wake and drops the queue's reference (the tick thread). */
void rci_http_watch_resume(rci_http_watch *w);
/* Ends the stream from another thread (server stop). */
void rci_http_watch_cancel(rci_http_watch *w);
/* True while the stream is served on a connection (false for one served without sockets). */
bool rci_http_watch_attached(rci_http_watch *w);
void rci_http_watch_free(rci_http_watch *w);

/* ---- http_json_cache.c ---- */
typedef struct rci_http_json_cache rci_http_json_cache;
rci_http_json_cache *rci_http_json_cache_new(void);
void rci_http_json_cache_free(rci_http_json_cache *c);
/* Appends obj's JSON to b (b->failed when out of memory), encoding it only when c does not hold it yet. */
void rci_http_json_cache_append(rci_http_json_cache *c, rci_strbuf *b, rc_object *obj);

/* ---- http_auth.c ---- */
/* Parses a token auth file into *out (n entries). RC_EIO / RC_EBADREQUEST naming the line. */
int rci_http_tokens_load(const char *path, rci_http_token **out, size_t *n, rc_error *err);
void rci_http_tokens_free(rci_http_token *t, size_t n);
/* Authenticates the request (bearer token or the local admin) and applies impersonation headers, filling
 * req->id. RC_EUNAUTHORIZED (401) or RC_EFORBIDDEN (403) otherwise. */
int rci_http_authenticate(rci_http_req *req, const rci_http_auth *auth, rc_error *err);
void rci_http_identity_clear(rci_http_identity *id);

/* ---- http_proto.c ---- */
/* Decodes a protobuf SelfSubjectAccessReview ("k8s\0" + runtime.Unknown envelope) into its JSON form.
 * NULL + RC_EUNSUPPORTED/RC_EBADREQUEST on anything else. */
cJSON *rci_http_decode_ssar_protobuf(const unsigned char *data, size_t len, rc_error *err);

#endif
