/* http_server.c - rc_http_server's transport: libmicrohttpd (a small pool of event-loop threads; a watch
 * stream with nothing to send suspends its connection instead of holding a thread), request bodies,
 * authentication, the health and metrics endpoints, request counters, the tick thread that steps the API
 * server's time-based work and pokes idle watch streams, and a clean stop that ends every open watch. The
 * Kubernetes REST surface itself is http_route.c and the files it calls. */
#include "apiserver/http_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <reconcile/log.h>

#define MAX_BODY (3u * 1024u * 1024u + 64u * 1024u)
#define TICK_MS 20
#define POKE_TICKS 10 /* idle watch streams check their client every 200 ms */
#define STOP_GRACE_MS 1000 /* how long a stop waits for the ended watch streams to send their last chunk */
#define POOL_THREADS 4 /* event loops; a slow request delays only the connections of its own loop */

struct rc_http_server {
    rc_apiserver *srv;
    rc_clock *clock;
    char *address;
    uint16_t port;
    char *tls_cert, *tls_key; /* PEM text, read at start */
    char *tls_cert_file, *tls_key_file;
    bool stepping;
    unsigned max_connections;
    rci_http_auth auth;
    rc_metrics *user_metrics;
    rc_metrics *metrics;
    rc_metric *requests;
    rc_metric *longrunning;
    rc_metric_series *longrunning_watch;
    struct MHD_Daemon *daemon;
    atomic_bool stopping;
    pthread_mutex_t lock; /* watches */
    pthread_cond_t watch_left; /* a watch stream was freed */
    rci_http_watch **watches;
    size_t nwatches, watches_cap;
    rci_http_json_cache *json_cache;
    pthread_mutex_t wake_lock; /* ready, the tick thread's sleep */
    pthread_cond_t wake_cond;
    rci_http_watch **ready; /* suspended streams with events (references), for the tick thread to resume */
    size_t nready, ready_cap;
    rci_http_watch **batch; /* the ready list the tick thread is resuming, out of the lock */
    size_t batch_cap;
    pthread_t tick_thread;
    bool tick_running;
};

/* Per-request state kept by libmicrohttpd between the calls of one request. */
typedef struct conn_ctx {
    rci_strbuf body;
    bool too_large;
} conn_ctx;

rc_apiserver *rci_http_apiserver(const rci_http_server *hs) { return hs->srv; }

rc_time rci_http_now(const rci_http_server *hs) { return rc_clock_now(hs->clock); }

bool rci_http_stopping(const rci_http_server *hs) { return atomic_load(&((rci_http_server *)hs)->stopping); }

rci_http_json_cache *rci_http_server_json_cache(const rci_http_server *hs) { return hs->json_cache; }

bool rci_http_conn_suspend(void *conn, bool suspend)
{
    if (suspend)
        MHD_suspend_connection(conn);
    else
        MHD_resume_connection(conn);
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_SUSPENDED);
    return ci && ci->suspended == MHD_YES;
}

const char *rci_http_query(const rci_http_req *r, const char *key)
{
    return r->conn ? MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key) : rci_http_field_value(r, false, key);
}

const char *rci_http_header(const rci_http_req *r, const char *key)
{
    return r->conn ? MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, key) : rci_http_field_value(r, true, key);
}

typedef struct header_walk {
    const char *key;
    const char **out;
    size_t n, cap;
} header_walk;

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    header_walk *hw = cls;
    if (key && value && !strcasecmp(key, hw->key) && hw->n < hw->cap)
        hw->out[hw->n++] = value;
    return MHD_YES;
}

size_t rci_http_headers(const rci_http_req *r, const char *key, const char **out, size_t cap)
{
    if (!r->conn)
        return rci_http_fields(r, true, key, out, cap);
    header_walk hw = {key, out, 0, cap};
    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, collect_header, &hw);
    return hw.n;
}

/* Adds w to an array (the watches or the ready list); false when out of memory. */
static bool push_watch(rci_http_watch ***a, size_t *n, size_t *cap, rci_http_watch *w)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        rci_http_watch **grown = realloc(*a, c * sizeof *grown);
        if (!grown)
            return false;
        *a = grown;
        *cap = c;
    }
    (*a)[(*n)++] = w;
    return true;
}

static void remove_watch(rci_http_watch **a, size_t *n, const rci_http_watch *w)
{
    for (size_t i = 0; i < *n; i++)
        if (a[i] == w) {
            a[i] = a[--*n];
            return;
        }
}

void rci_http_queue_wake(rci_http_server *hs, rci_http_watch *w)
{
    pthread_mutex_lock(&hs->wake_lock);
    if (!push_watch(&hs->ready, &hs->nready, &hs->ready_cap, w))
        rci_http_watch_resume(w);
    else if (hs->nready == 1)
        pthread_cond_signal(&hs->wake_cond);
    pthread_mutex_unlock(&hs->wake_lock);
}

void rci_http_track_watch(rci_http_server *hs, rci_http_watch *w, bool add)
{
    pthread_mutex_lock(&hs->lock);
    if (add) {
        push_watch(&hs->watches, &hs->nwatches, &hs->watches_cap, w);
        if (atomic_load(&hs->stopping))
            rci_http_watch_cancel(w);
    } else {
        remove_watch(hs->watches, &hs->nwatches, w);
        pthread_cond_broadcast(&hs->watch_left);
    }
    pthread_mutex_unlock(&hs->lock);
    rc_metric_add(hs->longrunning_watch, add ? 1 : -1);
}

/* ---- metrics ---- */

static int metrics_init(rci_http_server *hs, rc_error *err)
{
    static const char *const req_labels[] = {"verb", "code"};
    static const char *const lr_labels[] = {"verb"};
    rc_metric_desc req = {.type = RC_METRIC_COUNTER, .name = "apiserver_request_total",
                          .help = "Counter of apiserver requests broken out by verb and HTTP response code.",
                          .labels = req_labels, .nlabels = 2};
    rc_metric_desc lr = {.type = RC_METRIC_GAUGE, .name = "apiserver_longrunning_requests",
                         .help = "Gauge of all active long-running apiserver requests.", .labels = lr_labels,
                         .nlabels = 1};
    const char *const watch[] = {"WATCH"};
    hs->metrics = rc_metrics_new();
    if (!hs->metrics)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    int rc = rc_metrics_register(hs->metrics, &req, &hs->requests, err);
    if (rc == 0)
        rc = rc_metrics_register(hs->metrics, &lr, &hs->longrunning, err);
    if (rc == 0)
        rc = rc_metric_with(hs->longrunning, watch, &hs->longrunning_watch, err);
    return rc;
}

static void count_request(rci_http_server *hs, const char *method, int status)
{
    char code[8];
    snprintf(code, sizeof code, "%d", status);
    const char *const values[] = {method, code};
    rc_metric_series *s = NULL;
    if (rc_metric_with(hs->requests, values, &s, NULL) == 0)
        rc_metric_inc(s);
}

static void reply_metrics(rci_http_server *hs, rci_http_reply *out)
{
    char *own = NULL, *user = NULL;
    size_t own_len = 0, user_len = 0;
    rc_error err = {0};
    if (rc_metrics_render(hs->metrics, &own, &own_len, &err) == 0 &&
        (!hs->user_metrics || rc_metrics_render(hs->user_metrics, &user, &user_len, &err) == 0)) {
        rci_strbuf b;
        rci_strbuf_init(&b);
        rci_strbuf_append(&b, own, own_len);
        if (user)
            rci_strbuf_append(&b, user, user_len);
        size_t len = b.len;
        rci_http_reply_json(out, 200, rci_strbuf_take(&b), len);
        out->content_type = "text/plain; version=0.0.4; charset=utf-8";
    } else {
        rci_http_reply_error(out, &err, NULL, NULL);
    }
    free(own);
    free(user);
    rc_error_clear(&err);
}

static bool is_health(const char *url)
{
    static const char *const paths[] = {"/healthz", "/livez", "/readyz"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        size_t n = strlen(paths[i]);
        if (!strncmp(url, paths[i], n) && (url[n] == '\0' || url[n] == '/'))
            return true;
    }
    return false;
}

/* ---- answering ---- */

static void answer(rci_http_server *hs, struct MHD_Connection *conn, const char *url, const char *method,
                   conn_ctx *cc, rci_http_reply *rep)
{
    if (is_health(url)) {
        char *ok = strdup("ok");
        rci_http_reply_json(rep, 200, ok, ok ? 2 : 0);
        rep->content_type = "text/plain; charset=utf-8";
        return;
    }
    if (cc->too_large) {
        rci_http_reply_code(rep, RC_ETOOLARGE, "the request body is larger than %u bytes", MAX_BODY);
        return;
    }
    rci_http_req req = {.hs = hs, .conn = conn, .method = method, .path = url,
                        .body = cc->body.data ? cc->body.data : "", .body_len = cc->body.len};
    rci_http_serve(&req, rep);
}

void rci_http_serve(rci_http_req *req, rci_http_reply *out)
{
    rc_error err = {0};
    if (rci_http_authenticate(req, &req->hs->auth, &err) != 0)
        rci_http_reply_error(out, &err, NULL, NULL);
    else if (!strcmp(req->path, "/metrics"))
        reply_metrics(req->hs, out);
    else
        rci_http_route(req, out);
    rc_error_clear(&err);
    rci_http_identity_clear(&req->id);
}

typedef struct stream_ctx {
    rci_http_server *hs;
    rci_http_watch *w;
} stream_ctx;

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    stream_ctx *sc = cls;
    long n = rci_http_watch_read(sc->w, buf, max);
    if (n >= 0)
        return (ssize_t)n;
    return n == RCI_HTTP_WATCH_END ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_free(void *cls)
{
    stream_ctx *sc = cls;
    rci_http_watch_free(sc->w);
    free(sc);
}

static struct MHD_Response *make_response(rci_http_server *hs, struct MHD_Connection *conn, rci_http_reply *rep)
{
    struct MHD_Response *resp = NULL;
    if (rep->stream) {
        stream_ctx *sc = malloc(sizeof *sc);
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (sc) {
            *sc = (stream_ctx){.hs = hs, .w = rep->stream};
            rci_http_watch_attach(rep->stream, conn, ci ? ci->connect_fd : -1);
            rci_http_track_watch(hs, rep->stream, true);
            resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_read, sc, stream_free);
            if (resp)
                rep->stream = NULL;
            else
                stream_free(sc), rep->stream = NULL;
        }
    } else {
        resp = MHD_create_response_from_buffer(rep->len, rep->body ? rep->body : (char *)"", rep->body
                                                                                               ? MHD_RESPMEM_MUST_FREE
                                                                                               : MHD_RESPMEM_PERSISTENT);
        if (resp)
            rep->body = NULL;
    }
    if (!resp)
        return NULL;
    MHD_add_response_header(resp, "Content-Type", rep->content_type ? rep->content_type : "application/json");
    MHD_add_response_header(resp, "Cache-Control", "no-cache, private");
    if (rep->warning)
        MHD_add_response_header(resp, "Warning", rep->warning);
    if (rep->status == 429 || rep->status == 503)
        MHD_add_response_header(resp, "Retry-After", "1");
    return resp;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_size,
                                  void **con_cls)
{
    (void)version;
    rci_http_server *hs = cls;
    conn_ctx *cc = *con_cls;
    if (!cc) {
        cc = calloc(1, sizeof *cc);
        if (!cc)
            return MHD_NO;
        rci_strbuf_init(&cc->body);
        *con_cls = cc;
        return MHD_YES;
    }
    if (*upload_size) {
        if (cc->body.len + *upload_size > MAX_BODY)
            cc->too_large = true;
        else
            rci_strbuf_append(&cc->body, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    rci_http_reply rep = {0};
    if (cc->body.failed)
        rci_http_reply_code(&rep, RC_ENOMEM, "out of memory");
    else
        answer(hs, conn, url, method, cc, &rep);
    if (!rep.status)
        rci_http_reply_code(&rep, RC_EINTERNAL, "no reply");
    struct MHD_Response *resp = make_response(hs, conn, &rep);
    count_request(hs, method, rep.status);
    enum MHD_Result r = resp ? MHD_queue_response(conn, (unsigned)rep.status, resp) : MHD_NO;
    if (resp)
        MHD_destroy_response(resp);
    rci_http_reply_clear(&rep);
    return r;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)conn, (void)toe;
    conn_ctx *cc = *con_cls;
    if (cc) {
        rci_strbuf_free(&cc->body);
        free(cc);
        *con_cls = NULL;
    }
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = '\0';
    rc_log(RC_LOG_DEBUG, "http", NULL, "%s", msg);
}

/* ---- the tick thread ---- */

static struct timespec after_ms(long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += ms * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static bool reached(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

/* Resumes the streams that events made ready (batched: while this runs, more events queue up behind the
 * streams already resumed), and every TICK_MS steps the API server and now and then pokes idle streams. */
static void *tick_main(void *arg)
{
    rci_http_server *hs = arg;
    struct timespec next = after_ms(0);
    pthread_mutex_lock(&hs->wake_lock);
    for (unsigned tick = 1; !atomic_load(&hs->stopping);) {
        if (hs->nready) {
            rci_http_watch **batch = hs->ready;
            size_t n = hs->nready, cap = hs->ready_cap;
            hs->ready = hs->batch;
            hs->ready_cap = hs->batch_cap;
            hs->nready = 0;
            pthread_mutex_unlock(&hs->wake_lock); /* producers keep queueing meanwhile */
            for (size_t i = 0; i < n; i++)
                rci_http_watch_resume(batch[i]);
            pthread_mutex_lock(&hs->wake_lock);
            hs->batch = batch;
            hs->batch_cap = cap;
        }
        if (!reached(&next)) {
            if (!hs->nready)
                pthread_cond_timedwait(&hs->wake_cond, &hs->wake_lock, &next);
            continue;
        }
        pthread_mutex_unlock(&hs->wake_lock);
        if (tick++ % POKE_TICKS == 0) {
            pthread_mutex_lock(&hs->lock);
            for (size_t i = 0; i < hs->nwatches; i++)
                rci_http_watch_poke(hs->watches[i]);
            pthread_mutex_unlock(&hs->lock);
        }
        if (hs->stepping)
            rc_apiserver_step(hs->srv);
        next = after_ms(TICK_MS);
        pthread_mutex_lock(&hs->wake_lock);
    }
    pthread_mutex_unlock(&hs->wake_lock);
    return NULL;
}

/* ---- lifecycle ---- */

static char *read_file(const char *path, rc_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        rc_error_set(err, RC_EIO, "cannot open %s", path);
        return NULL;
    }
    rci_strbuf b;
    rci_strbuf_init(&b);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rci_strbuf_append(&b, chunk, n);
    bool bad = ferror(f) || b.failed;
    fclose(f);
    if (bad) {
        rci_strbuf_free(&b);
        rc_error_set(err, RC_EIO, "cannot read %s", path);
        return NULL;
    }
    rci_strbuf_putc(&b, '\0');
    return rci_strbuf_take(&b);
}

static char *dup_opt(const char *s, bool *ok)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *ok = false;
    return d;
}

rc_http_server *rc_http_server_new(rc_apiserver *srv, const rc_http_options *opts, rc_error *err)
{
    static const rc_http_options defaults = {0};
    if (!opts)
        opts = &defaults;
    if (!srv) {
        rc_error_set(err, RC_EINVAL, "an API server is required");
        return NULL;
    }
    if (!opts->tls_cert_file != !opts->tls_key_file) {
        rc_error_set(err, RC_EINVAL, "tls_cert_file and tls_key_file go together");
        return NULL;
    }
    struct in_addr probe;
    if (opts->listen_address && inet_pton(AF_INET, opts->listen_address, &probe) != 1) {
        rc_error_set(err, RC_EINVAL, "listen address \"%s\" is not a numeric IPv4 address", opts->listen_address);
        return NULL;
    }
    rci_http_server *hs = calloc(1, sizeof *hs);
    if (!hs) {
        rc_error_set(err, RC_ENOMEM, "out of memory");
        return NULL;
    }
    bool ok = true;
    hs->srv = srv;
    hs->clock = opts->clock ? opts->clock : rc_clock_real();
    hs->address = dup_opt(opts->listen_address ? opts->listen_address : "127.0.0.1", &ok);
    hs->port = opts->port;
    hs->tls_cert_file = dup_opt(opts->tls_cert_file, &ok);
    hs->tls_key_file = dup_opt(opts->tls_key_file, &ok);
    hs->auth.rbac = opts->rbac;
    hs->stepping = !opts->no_stepping;
    hs->max_connections = opts->max_connections ? opts->max_connections : 1024;
    hs->user_metrics = opts->metrics;
    pthread_mutex_init(&hs->lock, NULL);
    pthread_cond_init(&hs->watch_left, NULL);
    pthread_mutex_init(&hs->wake_lock, NULL);
    pthread_cond_init(&hs->wake_cond, NULL);
    hs->json_cache = rci_http_json_cache_new();
    ok = ok && hs->json_cache;
    int rc = ok ? metrics_init(hs, err) : rc_error_set(err, RC_ENOMEM, "out of memory");
    if (rc == 0 && opts->token_auth_file) {
        hs->auth.enabled = true;
        rc = rci_http_tokens_load(opts->token_auth_file, &hs->auth.tokens, &hs->auth.ntokens, err);
    }
    if (rc != 0) {
        rc_http_server_free(hs);
        return NULL;
    }
    return hs;
}

int rc_http_server_start(rc_http_server *hs, rc_error *err)
{
    if (hs->daemon)
        return rc_error_set(err, RC_EINVAL, "the HTTP server is already started");
    if (hs->tls_cert_file && !MHD_is_feature_supported(MHD_FEATURE_TLS))
        return rc_error_set(err, RC_EIO, "libmicrohttpd was built without TLS support");
    if (hs->tls_cert_file && !hs->tls_cert) {
        if (!(hs->tls_cert = read_file(hs->tls_cert_file, err)) || !(hs->tls_key = read_file(hs->tls_key_file, err)))
            return err && err->code ? err->code : RC_EIO;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(hs->port)};
    inet_pton(AF_INET, hs->address, &sa.sin_addr);
    unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                     (hs->tls_cert ? MHD_USE_TLS : 0);
    atomic_store(&hs->stopping, false);
    struct MHD_OptionItem tls[] = {
        {hs->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, hs->tls_cert},
        {hs->tls_cert ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, hs->tls_key},
        {MHD_OPTION_END, 0, NULL},
    };
    hs->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, hs, MHD_OPTION_SOCK_ADDR, &sa,
                                  MHD_OPTION_THREAD_POOL_SIZE, (unsigned)POOL_THREADS,
                                  MHD_OPTION_CONNECTION_LIMIT, hs->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
                                  0u, MHD_OPTION_NOTIFY_COMPLETED, on_completed, hs, MHD_OPTION_EXTERNAL_LOGGER,
                                  mhd_log, hs, MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
    if (!hs->daemon)
        return rc_error_set(err, RC_EIO, "cannot listen on %s:%u", hs->address, (unsigned)hs->port);
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(hs->daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (di)
        hs->port = di->port;
    hs->tick_running = pthread_create(&hs->tick_thread, NULL, tick_main, hs) == 0;
    if (!hs->tick_running) {
        rc_http_server_stop(hs);
        return rc_error_set(err, RC_ENOMEM, "cannot start the tick thread");
    }
    return 0;
}

uint16_t rc_http_server_port(const rc_http_server *hs) { return hs && hs->daemon ? hs->port : 0; }

const char *rc_http_server_url(const rc_http_server *hs, char *buf, size_t cap)
{
    if (cap)
        snprintf(buf, cap, "%s://%s:%u", hs->tls_cert_file ? "https" : "http", hs->address,
                 (unsigned)rc_http_server_port(hs));
    return buf;
}

/* True while a watch stream on a connection is still open (hs->lock held). */
static bool any_attached(rci_http_server *hs)
{
    for (size_t i = 0; i < hs->nwatches; i++)
        if (rci_http_watch_attached(hs->watches[i]))
            return true;
    return false;
}

void rc_http_server_stop(rc_http_server *hs)
{
    if (!hs || !hs->daemon)
        return;
    pthread_mutex_lock(&hs->lock);
    atomic_store(&hs->stopping, true);
    for (size_t i = 0; i < hs->nwatches; i++)
        rci_http_watch_cancel(hs->watches[i]);
    /* The event-loop threads now send each ended stream's last chunk and free the stream; libmicrohttpd
     * would close a connection whose resume it has not handled yet, so wait for them (a client that does
     * not read gets STOP_GRACE_MS). Streams served without sockets are the caller's to free. */
    struct timespec grace = after_ms(STOP_GRACE_MS);
    while (any_attached(hs) && pthread_cond_timedwait(&hs->watch_left, &hs->lock, &grace) != ETIMEDOUT)
        continue;
    pthread_mutex_unlock(&hs->lock);
    pthread_mutex_lock(&hs->wake_lock);
    pthread_cond_broadcast(&hs->wake_cond);
    pthread_mutex_unlock(&hs->wake_lock);
    if (hs->tick_running) {
        pthread_join(hs->tick_thread, NULL);
        hs->tick_running = false;
    }
    MHD_stop_daemon(hs->daemon);
    hs->daemon = NULL;
    pthread_mutex_lock(&hs->wake_lock); /* the streams left there are closed: this only drops references */
    for (size_t i = 0; i < hs->nready; i++)
        rci_http_watch_resume(hs->ready[i]);
    hs->nready = 0;
    pthread_mutex_unlock(&hs->wake_lock);
}

void rc_http_server_free(rc_http_server *hs)
{
    if (!hs)
        return;
    rc_http_server_stop(hs);
    rci_http_tokens_free(hs->auth.tokens, hs->auth.ntokens);
    rc_metrics_free(hs->metrics);
    rci_http_json_cache_free(hs->json_cache);
    free(hs->watches);
    free(hs->ready);
    free(hs->batch);
    free(hs->address);
    free(hs->tls_cert);
    free(hs->tls_key);
    free(hs->tls_cert_file);
    free(hs->tls_key_file);
    pthread_mutex_destroy(&hs->lock);
    pthread_cond_destroy(&hs->watch_left);
    pthread_cond_destroy(&hs->wake_cond);
    pthread_mutex_destroy(&hs->wake_lock);
    free(hs);
}
