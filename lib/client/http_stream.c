/* http_stream.c - watch streams of the HTTP rc_client backend: one thread per watch runs a libcurl
 * transfer of the chunked event stream and turns each JSON line into an rc_watch event (ERROR events
 * into typed errors, such as 410 Expired for the reflector to relist). rc_client_watch returns once the
 * response headers arrived, so a refused watch is an error return. Stopping the rc_watch shuts the
 * socket down and joins the thread: after rc_watch_stop returns nothing runs in the background. */
#include "client/http_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct hstream {
    rci_hc *c;
    const rc_resource_info *ri;
    rc_watch *w; /* the producer's reference */
    char *url;
    CURL *h;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    curl_socket_t fd;
    bool stop;      /* the consumer stopped: abort the transfer */
    bool started;   /* headers (or a failure) seen */
    bool detached;  /* stopped from the stream's own thread: the thread frees the stream */
    long status;
    rci_strbuf line; /* the partial event line, or the error body */
    rc_error fail;   /* why the transfer could not start */
} hstream;

static void emit_line(hstream *s, const char *text, size_t len)
{
    static const char *const names[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"};
    cJSON *ev = cJSON_ParseWithLength(text, len);
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ev, "type"));
    cJSON *obj = cJSON_GetObjectItemCaseSensitive(ev, "object");
    int t = -1;
    for (int i = 0; type && i < 5; i++)
        if (!strcmp(type, names[i]))
            t = i;
    if (t == RC_WATCH_ERROR || t < 0 || !cJSON_IsObject(obj)) {
        rc_error err = {0};
        char *st = t == RC_WATCH_ERROR ? cJSON_PrintUnformatted(obj) : NULL;
        if (st)
            rci_hc_status_error(500, st, strlen(st), &err);
        else
            rc_error_set(&err, RC_EBADREQUEST, "malformed watch event");
        cJSON_free(st);
        rc_watch_send_error(s->w, &err);
        rc_error_clear(&err);
    } else {
        rc_object *o = rci_hc_object(obj, s->ri, NULL);
        if (o)
            rc_watch_send(s->w, (rc_watch_event_type)t, o);
        rc_object_unref(o);
    }
    cJSON_Delete(ev);
}

static void mark_started(hstream *s)
{
    pthread_mutex_lock(&s->lock);
    s->started = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    hstream *s = arg;
    size_t len = size * n;
    if ((len == 2 && data[0] == '\r') || (len == 1 && data[0] == '\n')) {
        curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &s->status);
        if (s->status < 400)
            mark_started(s); /* errors: wait for the Status body */
    }
    return len;
}

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
    hstream *s = arg;
    size_t len = size * n;
    rci_strbuf_append(&s->line, data, len);
    if (s->line.failed)
        return 0;
    if (s->status >= 400)
        return len;
    size_t start = 0;
    for (size_t i = 0; i < s->line.len; i++) {
        if (s->line.data[i] != '\n')
            continue;
        if (i > start)
            emit_line(s, s->line.data + start, i - start);
        start = i + 1;
    }
    if (start) {
        memmove(s->line.data, s->line.data + start, s->line.len - start);
        s->line.len -= start;
        s->line.data[s->line.len] = '\0';
    }
    return rc_watch_stopped(s->w) ? 0 : len;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a, (void)b, (void)c, (void)d;
    hstream *s = arg;
    pthread_mutex_lock(&s->lock);
    bool stop = s->stop;
    pthread_mutex_unlock(&s->lock);
    return stop ? 1 : 0;
}

static curl_socket_t on_open(void *arg, curlsocktype purpose, struct curl_sockaddr *addr)
{
    (void)purpose;
    hstream *s = arg;
    curl_socket_t fd = socket(addr->family, addr->socktype, addr->protocol);
    pthread_mutex_lock(&s->lock);
    s->fd = fd;
    if (s->stop && fd != CURL_SOCKET_BAD)
        shutdown(fd, SHUT_RDWR);
    pthread_mutex_unlock(&s->lock);
    return fd;
}

static int on_close(void *arg, curl_socket_t fd)
{
    hstream *s = arg;
    pthread_mutex_lock(&s->lock);
    if (s->fd == fd)
        s->fd = CURL_SOCKET_BAD;
    pthread_mutex_unlock(&s->lock);
    return close(fd);
}

static void stream_free(hstream *s)
{
    if (s->h)
        curl_easy_cleanup(s->h);
    rc_watch_unref(s->w);
    rci_strbuf_free(&s->line);
    rc_error_clear(&s->fail);
    free(s->url);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static void *stream_main(void *arg)
{
    hstream *s = arg;
    struct curl_slist *headers = NULL;
    rci_hc_throttle(s->c);
    int rc = rci_hc_setup(s->c, s->h, NULL, &headers, &s->fail);
    CURLcode cc = CURLE_OK;
    char curl_err[CURL_ERROR_SIZE] = "";
    if (rc == 0) {
        curl_easy_setopt(s->h, CURLOPT_URL, s->url);
        curl_easy_setopt(s->h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(s->h, CURLOPT_HEADERDATA, s);
        curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(s->h, CURLOPT_WRITEDATA, s);
        curl_easy_setopt(s->h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(s->h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(s->h, CURLOPT_XFERINFODATA, s);
        curl_easy_setopt(s->h, CURLOPT_OPENSOCKETFUNCTION, on_open);
        curl_easy_setopt(s->h, CURLOPT_OPENSOCKETDATA, s);
        curl_easy_setopt(s->h, CURLOPT_CLOSESOCKETFUNCTION, on_close);
        curl_easy_setopt(s->h, CURLOPT_CLOSESOCKETDATA, s);
        curl_easy_setopt(s->h, CURLOPT_ERRORBUFFER, curl_err);
        curl_easy_setopt(s->h, CURLOPT_FORBID_REUSE, 1L);
        cc = curl_easy_perform(s->h);
        curl_easy_setopt(s->h, CURLOPT_ERRORBUFFER, NULL);
    }
    curl_slist_free_all(headers);
    pthread_mutex_lock(&s->lock);
    bool stopped = s->stop;
    pthread_mutex_unlock(&s->lock);
    if (rc == 0 && s->status >= 400)
        rci_hc_status_error(s->status, s->line.data, s->line.len, &s->fail);
    else if (rc == 0 && cc != CURLE_OK && !stopped && !s->started)
        rc_error_set(&s->fail, RC_EIO, "watch %s: %s", s->url, curl_err[0] ? curl_err : curl_easy_strerror(cc));
    else if (rc == 0 && cc != CURLE_OK && !stopped && cc != CURLE_WRITE_ERROR) {
        rc_error err = {0};
        rc_error_set(&err, RC_EIO, "watch stream broken: %s", curl_err[0] ? curl_err : curl_easy_strerror(cc));
        rc_watch_send_error(s->w, &err);
        rc_error_clear(&err);
    }
    rc_watch_finish(s->w);
    mark_started(s);
    pthread_mutex_lock(&s->lock);
    bool detached = s->detached;
    pthread_mutex_unlock(&s->lock);
    if (detached)
        stream_free(s);
    return NULL;
}

/* The consumer stopped: abort the transfer and wait for the thread. */
static void on_stop(void *ctx, rc_watch *w)
{
    (void)w;
    hstream *s = ctx;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    if (s->fd != CURL_SOCKET_BAD)
        shutdown(s->fd, SHUT_RDWR);
    bool own = pthread_equal(pthread_self(), s->thread);
    s->detached = own;
    pthread_mutex_unlock(&s->lock);
    if (own) {
        pthread_detach(s->thread);
        return;
    }
    pthread_join(s->thread, NULL);
    stream_free(s);
}

int rci_hc_watch(rci_hc *c, const rc_resource_info *ri, const char *path, rc_watch **out, rc_error *err)
{
    hstream *s = calloc(1, sizeof *s);
    if (!s)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    s->c = c;
    s->ri = ri;
    s->fd = CURL_SOCKET_BAD;
    rci_strbuf_init(&s->line);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->url = rci_asprintf("%s%s", c->base, path);
    s->h = curl_easy_init();
    s->w = rc_watch_new();
    if (!s->url || !s->h || !s->w || pthread_create(&s->thread, NULL, stream_main, s) != 0) {
        stream_free(s);
        return rc_error_set(err, RC_ENOMEM, "cannot start a watch");
    }
    pthread_mutex_lock(&s->lock);
    while (!s->started)
        pthread_cond_wait(&s->cond, &s->lock);
    pthread_mutex_unlock(&s->lock);
    if (s->fail.code) {
        pthread_join(s->thread, NULL);
        int rc = s->fail.code;
        rc_error_move(err, &s->fail);
        stream_free(s);
        return rc;
    }
    rc_watch_on_stop(s->w, on_stop, s);
    *out = rc_watch_ref(s->w);
    return 0;
}
