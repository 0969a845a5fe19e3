/* bench_http.c - rc_http_server benchmarks from issue 13, measured over loopback with libcurl as the client:
 *   A1  list 10,000 realistic pods (nginx pods with status, as a ReplicaSet and the kubelet leave them) as
 *       JSON and as a Table (ms per list; target <= 100 ms each). Floor: a plain-C HTTP server in this
 *       process answering every request with a write() of the same bytes, fetched by the same client.
 *   A2  one resource's changes fanned out to 100 HTTP watchers, 10,000 events (events delivered per second
 *       over all watchers; target >= 1 M/s). Floor: a plain-C server that encodes each event line once and
 *       writes it to 100 loopback connections in HTTP chunks of up to 16 KiB (the block libmicrohttpd asks
 *       rc_http_server for), read by the same client.
 * Every figure is the median of 3 runs, floor measured in the same runs. Prints BENCH lines (see
 * tools/run-bench.sh); never part of `make test`. Arguments (optional) pick figures: `bench_http A1`. */
#include <reconcile.h>
#include <reconcile/apiserver.h>
#include <reconcile/httpserver.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define RUNS 3
#define PODS 10000
#define LISTS_PER_RUN 4
#define WATCHERS 100
#define EVENTS 10000
#define FANOUT_TIMEOUT_S 120.0
#define BLOCK 16384
#define TABLE_ACCEPT "Accept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json"

/* ---- small helpers ---- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const rc_error *err)
{
    fprintf(stderr, "bench_http: %s%s%s\n", what, err && err->message ? ": " : "",
            err && err->message ? err->message : "");
    exit(1);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double v[RUNS])
{
    qsort(v, RUNS, sizeof v[0], cmp_double);
    return v[RUNS / 2];
}

static void report(const char *name, const char *metric, double value, const char *unit, double floor)
{
    printf("BENCH %s %s=%.3f %s floor=%.3f ratio=%.3f\n", name, metric, value, unit, floor, value / floor);
    fflush(stdout);
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return; /* the reader left; the run's event count reports it */
        p += w;
        n -= (size_t)w;
    }
}

/* Reads one request head (up to the blank line) from fd; false at end of stream. Requests carry no body. */
static bool read_request_head(int fd)
{
    char buf[4096];
    size_t len = 0;
    for (;;) {
        ssize_t r = read(fd, buf + len, sizeof buf - 1 - len);
        if (r <= 0)
            return false;
        len += (size_t)r;
        buf[len] = '\0';
        if (strstr(buf, "\r\n\r\n"))
            return true;
        if (len == sizeof buf - 1)
            return false;
    }
}

static int listen_loopback(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, WATCHERS * 2) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0)
        die("cannot listen on loopback", NULL);
    *port = ntohs(a.sin_port);
    return fd;
}

/* ---- the cluster: 10,000 running nginx pods and one ConfigMap that changes ---- */

static void create_pods(rc_client *c)
{
    for (int i = 0; i < PODS; i++) {
        char spec[2048], status[1536];
        snprintf(spec, sizeof spec,
                 "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"nginx-7c5ddbdf54-%05d\","
                 "\"namespace\":\"default\",\"labels\":{\"app\":\"nginx\",\"pod-template-hash\":\"7c5ddbdf54\"},"
                 "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":"
                 "\"nginx-7c5ddbdf54\",\"uid\":\"0e6f5d4c-3b2a-4190-8f7e-6d5c4b3a2910\",\"controller\":true,"
                 "\"blockOwnerDeletion\":true}]},\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":"
                 "\"nginx:1.25.3\",\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}],\"resources\":{\"limits\":"
                 "{\"cpu\":\"500m\",\"memory\":\"128Mi\"},\"requests\":{\"cpu\":\"250m\",\"memory\":\"64Mi\"}}}],"
                 "\"nodeName\":\"node-%d\",\"tolerations\":[{\"key\":\"node.kubernetes.io/not-ready\","
                 "\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":300}]}}",
                 i, i % 100);
        rc_error err = {0};
        rc_object *o = rc_object_from_json(spec, strlen(spec), &err), *created = NULL;
        if (!o || rc_client_create(c, "pods", "default", o, NULL, &created, &err) != 0)
            die("creating a pod", &err);
        rc_object_unref(o);
        snprintf(status, sizeof status,
                 "{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Initialized\",\"status\":\"True\","
                 "\"lastTransitionTime\":\"2024-05-01T10:00:00Z\"},{\"type\":\"Ready\",\"status\":\"True\","
                 "\"lastTransitionTime\":\"2024-05-01T10:00:05Z\"},{\"type\":\"ContainersReady\",\"status\":"
                 "\"True\",\"lastTransitionTime\":\"2024-05-01T10:00:05Z\"},{\"type\":\"PodScheduled\",\"status\":"
                 "\"True\",\"lastTransitionTime\":\"2024-05-01T10:00:00Z\"}],\"hostIP\":\"10.0.0.%d\",\"podIP\":"
                 "\"10.244.%d.%d\",\"podIPs\":[{\"ip\":\"10.244.%d.%d\"}],\"startTime\":\"2024-05-01T10:00:00Z\","
                 "\"containerStatuses\":[{\"name\":\"nginx\",\"state\":{\"running\":{\"startedAt\":"
                 "\"2024-05-01T10:00:04Z\"}},\"lastState\":{},\"ready\":true,\"restartCount\":0,\"image\":"
                 "\"docker.io/library/nginx:1.25.3\",\"imageID\":\"docker.io/library/nginx@sha256:6db391d1c0cfb3"
                 "0588ba0bf72ea999404f2764febf0f1f196acd5867ac7efa7e\",\"containerID\":\"containerd://3f1e2d4c5b"
                 "6a79881726354453627181920a1b2c3d4e5f60718293a4b5c6d7e8\",\"started\":true}],\"qosClass\":"
                 "\"Burstable\"}",
                 i % 100 + 1, i / 250, i % 250 + 1, i / 250, i % 250 + 1);
        rc_object *draft = rc_object_copy(created);
        if (!draft || rc_object_set_resource_version(draft, NULL) != 0)
            die("copying a pod", NULL);
        cJSON *st = cJSON_Parse(status);
        cJSON_ReplaceItemInObject(rc_object_json_mut(draft), "status", st);
        if (rc_client_update_status(c, "pods", "default", draft, NULL, NULL, &err) != 0)
            die("writing a pod's status", &err);
        rc_object_unref(draft);
        rc_object_unref(created);
    }
}

/* ---- A1: listing ---- */

typedef struct body {
    bool keep; /* false: only count the bytes */
    char *data;
    size_t len, cap;
} body;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    body *b = ud;
    size_t len = size * n;
    if (b->keep) {
        if (b->len + len > b->cap) {
            size_t cap = (b->len + len) * 2;
            char *d = realloc(b->data, cap);
            if (!d)
                return 0;
            b->data = d;
            b->cap = cap;
        }
        memcpy(b->data + b->len, p, len);
    }
    b->len += len;
    return len;
}

/* GETs url with the Accept header (NULL = none) into *out; dies unless the answer is 200. */
static void fetch(CURL *h, const char *url, const char *accept, body *out)
{
    struct curl_slist *hdr = accept ? curl_slist_append(NULL, accept) : NULL;
    out->len = 0;
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdr);
    if (rc != CURLE_OK || code != 200 || !out->len) {
        fprintf(stderr, "bench_http: GET %s: %s, status %ld\n", url, curl_easy_strerror(rc), code);
        exit(1);
    }
}

/* The list floor: answers every request on every connection with the same bytes. */
typedef struct static_server {
    int lfd;
    uint16_t port;
    const body *reply;
    pthread_t thread;
} static_server;

static void *static_server_main(void *arg)
{
    static_server *s = arg;
    char head[128];
    int hlen = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                           "Content-Length: %zu\r\n\r\n", s->reply->len);
    for (;;) {
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            return NULL;
        while (read_request_head(fd)) {
            struct iovec iov[2] = {{head, (size_t)hlen}, {s->reply->data, s->reply->len}};
            ssize_t w = writev(fd, iov, 2);
            if (w < 0)
                break;
            size_t done = (size_t)w;
            if (done < (size_t)hlen) {
                write_all(fd, head + done, (size_t)hlen - done);
                done = (size_t)hlen;
            }
            done -= (size_t)hlen;
            write_all(fd, s->reply->data + done, s->reply->len - done);
        }
        close(fd);
    }
}

static void static_server_start(static_server *s, const body *reply)
{
    s->reply = reply;
    s->lfd = listen_loopback(&s->port);
    if (pthread_create(&s->thread, NULL, static_server_main, s) != 0)
        die("cannot start the floor server", NULL);
}

static void static_server_stop(static_server *s)
{
    shutdown(s->lfd, SHUT_RDWR); /* wakes accept() */
    pthread_join(s->thread, NULL);
    close(s->lfd);
}

/* ms per list: LISTS_PER_RUN GETs of url on one kept-alive connection. */
static double list_ms(CURL *h, const char *url, const char *accept)
{
    body sink = {0};
    double t0 = now_s();
    for (int i = 0; i < LISTS_PER_RUN; i++)
        fetch(h, url, accept, &sink);
    return (now_s() - t0) * 1e3 / LISTS_PER_RUN;
}

static void bench_list(const char *base, const char *name, const char *accept)
{
    char url[256], floor_url[256];
    snprintf(url, sizeof url, "%s/api/v1/namespaces/default/pods", base);
    CURL *h = curl_easy_init();
    body captured = {.keep = true};
    fetch(h, url, accept, &captured); /* warms the connection, gives the floor its bytes */
    static_server fs;
    static_server_start(&fs, &captured);
    snprintf(floor_url, sizeof floor_url, "http://127.0.0.1:%u/api/v1/namespaces/default/pods", fs.port);
    CURL *fh = curl_easy_init();
    body sink = {0};
    fetch(fh, floor_url, accept, &sink);
    double ours[RUNS], floor[RUNS];
    for (int r = 0; r < RUNS; r++) {
        ours[r] = list_ms(h, url, accept);
        floor[r] = list_ms(fh, floor_url, accept);
    }
    curl_easy_cleanup(fh);
    static_server_stop(&fs);
    curl_easy_cleanup(h);
    fprintf(stderr, "# %s: %zu bytes per list\n", name, captured.len);
    free(captured.data);
    report(name, "ms_per_list", median(ours), "ms", median(floor));
}

/* ---- A2: watch fan-out ---- */

typedef struct watcher {
    CURL *h;
    size_t events;
    bool headers_done;
} watcher;

static size_t on_watch_body(char *p, size_t size, size_t n, void *ud)
{
    watcher *w = ud;
    size_t len = size * n;
    for (const char *q = p, *end = p + len; (q = memchr(q, '\n', (size_t)(end - q))) != NULL; q++)
        w->events++;
    return len;
}

static size_t on_watch_header(char *p, size_t size, size_t n, void *ud)
{
    watcher *w = ud;
    if (size * n == 2 && p[0] == '\r')
        w->headers_done = true;
    return size * n;
}

/* What feeds the watchers once all of them are connected: start() begins, finish() waits for the end. */
typedef struct feeder {
    void (*start)(void *ctx);
    void (*finish)(void *ctx);
    void *ctx;
} feeder;

/* Opens WATCHERS watch streams on url, starts the feeder once every stream has its response headers, and
 * returns events delivered per second over all streams until each has seen EVENTS events. */
static double fanout(const char *url, const feeder *f)
{
    CURLM *m = curl_multi_init();
    watcher w[WATCHERS] = {{0}};
    for (int i = 0; i < WATCHERS; i++) {
        w[i].h = curl_easy_init();
        curl_easy_setopt(w[i].h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(w[i].h, CURLOPT_URL, url);
        curl_easy_setopt(w[i].h, CURLOPT_WRITEFUNCTION, on_watch_body);
        curl_easy_setopt(w[i].h, CURLOPT_WRITEDATA, &w[i]);
        curl_easy_setopt(w[i].h, CURLOPT_HEADERFUNCTION, on_watch_header);
        curl_easy_setopt(w[i].h, CURLOPT_HEADERDATA, &w[i]);
        curl_multi_add_handle(m, w[i].h);
    }
    double t0 = 0, limit = now_s() + FANOUT_TIMEOUT_S;
    size_t total = 0, want = (size_t)WATCHERS * EVENTS;
    int running = 1;
    while (total < want && running && now_s() < limit) {
        curl_multi_perform(m, &running);
        if (!t0) {
            int ready = 0;
            for (int i = 0; i < WATCHERS; i++)
                ready += w[i].headers_done;
            if (ready == WATCHERS) {
                t0 = now_s();
                f->start(f->ctx);
            }
        }
        total = 0;
        for (int i = 0; i < WATCHERS; i++)
            total += w[i].events;
        if (total < want)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    double t1 = now_s();
    if (t0)
        f->finish(f->ctx);
    for (int i = 0; i < WATCHERS; i++) {
        curl_multi_remove_handle(m, w[i].h);
        curl_easy_cleanup(w[i].h);
    }
    curl_multi_cleanup(m);
    if (total != want) {
        fprintf(stderr, "bench_http: fan-out from %s delivered %zu of %zu events\n", url, total, want);
        exit(1);
    }
    return (double)total / (t1 - t0);
}

/* The real feeder: EVENTS updates of one ConfigMap through the in-process client, on a thread. */
typedef struct updater {
    rc_client *c;
    rc_object *cur;                 /* the ConfigMap as last written */
    rc_object *written[EVENTS];     /* every version written, kept for the floor's bytes */
    pthread_t thread;
} updater;

static void *updater_main(void *arg)
{
    updater *u = arg;
    for (int i = 0; i < EVENTS; i++) {
        rc_object *e = rc_object_copy(u->cur), *next = NULL;
        char n[16];
        rc_error err = {0};
        snprintf(n, sizeof n, "%d", i);
        if (!e || rc_object_set_str(e, "data.n", n) != 0 ||
            rc_client_update(u->c, "configmaps", "default", e, NULL, &next, &err) != 0)
            die("updating the ConfigMap", &err);
        rc_object_unref(e);
        rc_object_unref(u->written[i]);
        u->written[i] = rc_object_ref(next);
        rc_object_unref(u->cur);
        u->cur = next;
    }
    return NULL;
}

static void updater_start(void *ctx)
{
    updater *u = ctx;
    if (pthread_create(&u->thread, NULL, updater_main, u) != 0)
        die("cannot start the updater", NULL);
}

static void updater_finish(void *ctx) { pthread_join(((updater *)ctx)->thread, NULL); }

/* The floor feeder: accepts WATCHERS connections, answers each with chunked headers, then writes every
 * block of event lines to every connection. */
typedef struct chunk_server {
    int lfd;
    uint16_t port;
    char **chunks; /* nchunks HTTP chunks of whole event lines, framing included */
    size_t *lens;
    size_t nchunks;
    int fds[WATCHERS];
    pthread_mutex_t mu;
    pthread_cond_t go_cond;
    bool go;
    pthread_t thread;
} chunk_server;

static void *chunk_server_main(void *arg)
{
    chunk_server *s = arg;
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < WATCHERS; i++) {
        s->fds[i] = accept(s->lfd, NULL, NULL);
        if (s->fds[i] < 0 || !read_request_head(s->fds[i]))
            die("floor fan-out: a watcher did not connect", NULL);
        write_all(s->fds[i], head, sizeof head - 1);
    }
    pthread_mutex_lock(&s->mu);
    while (!s->go)
        pthread_cond_wait(&s->go_cond, &s->mu);
    pthread_mutex_unlock(&s->mu);
    for (size_t c = 0; c < s->nchunks; c++)
        for (int i = 0; i < WATCHERS; i++)
            write_all(s->fds[i], s->chunks[c], s->lens[c]);
    for (int i = 0; i < WATCHERS; i++) {
        write_all(s->fds[i], "0\r\n\r\n", 5);
        close(s->fds[i]);
    }
    return NULL;
}

static void chunk_server_start(void *ctx)
{
    chunk_server *s = ctx;
    pthread_mutex_lock(&s->mu);
    s->go = true;
    pthread_cond_signal(&s->go_cond);
    pthread_mutex_unlock(&s->mu);
}

static void chunk_server_finish(void *ctx) { pthread_join(((chunk_server *)ctx)->thread, NULL); }

static double floor_fanout(chunk_server *s)
{
    s->lfd = listen_loopback(&s->port);
    s->go = false;
    if (pthread_create(&s->thread, NULL, chunk_server_main, s) != 0)
        die("cannot start the floor fan-out", NULL);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/api/v1/namespaces/default/configmaps?watch=1", s->port);
    feeder f = {chunk_server_start, chunk_server_finish, s};
    double rate = fanout(url, &f);
    close(s->lfd);
    return rate;
}

/* Frames len bytes of event lines as one HTTP chunk, appended to s's chunks. */
static void add_chunk(chunk_server *s, const char *lines, size_t len)
{
    char *c = malloc(len + 16);
    if (!c)
        die("out of memory", NULL);
    int head = sprintf(c, "%zx\r\n", len);
    memcpy(c + head, lines, len);
    memcpy(c + head + len, "\r\n", 2);
    s->chunks[s->nchunks] = c;
    s->lens[s->nchunks++] = (size_t)head + len + 2;
}

/* The floor's chunks: the same {"type":"MODIFIED","object":...} lines the server sends, encoded once and
 * packed into chunks of at most BLOCK bytes. */
static void make_chunks(chunk_server *s, rc_object *const *written)
{
    s->chunks = malloc(EVENTS * sizeof *s->chunks);
    s->lens = malloc(EVENTS * sizeof *s->lens);
    char *block = malloc(BLOCK + 1); /* + sprintf's NUL */
    if (!s->chunks || !s->lens || !block)
        die("out of memory", NULL);
    s->nchunks = 0;
    size_t used = 0;
    for (int e = 0; e < EVENTS; e++) {
        size_t len = 0;
        char *json = rc_object_to_json(written[e], &len);
        size_t line = len + sizeof "{\"type\":\"MODIFIED\",\"object\":}\n" - 1;
        if (!json || line > BLOCK)
            die("an event does not fit a block", NULL);
        if (used + line > BLOCK) {
            add_chunk(s, block, used);
            used = 0;
        }
        used += (size_t)sprintf(block + used, "{\"type\":\"MODIFIED\",\"object\":%.*s}\n", (int)len, json);
        free(json);
    }
    add_chunk(s, block, used);
    free(block);
}

static void free_chunks(chunk_server *s)
{
    for (size_t c = 0; c < s->nchunks; c++)
        free(s->chunks[c]);
    free(s->chunks);
    free(s->lens);
}

static void bench_fanout(rc_apiserver *srv, rc_client *c, const char *base)
{
    const char *cm = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"hot\",\"namespace\":"
                     "\"default\"},\"data\":{\"n\":\"-1\"}}";
    rc_error err = {0};
    updater *u = calloc(1, sizeof *u);
    rc_object *in = rc_object_from_json(cm, strlen(cm), &err);
    if (!u || !in || rc_client_create(c, "configmaps", "default", in, NULL, &u->cur, &err) != 0)
        die("creating the ConfigMap", &err);
    rc_object_unref(in);
    u->c = c;
    chunk_server fs = {.lfd = -1};
    pthread_mutex_init(&fs.mu, NULL);
    pthread_cond_init(&fs.go_cond, NULL);
    double ours[RUNS], floor[RUNS];
    for (int r = 0; r < RUNS; r++) {
        char url[256];
        snprintf(url, sizeof url, "%s/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=%llu", base,
                 (unsigned long long)rc_apiserver_resource_version(srv));
        feeder f = {updater_start, updater_finish, u};
        ours[r] = fanout(url, &f);
        if (r == 0)
            make_chunks(&fs, u->written);
        floor[r] = floor_fanout(&fs);
    }
    report("A2_http_watch_fanout_100", "events_per_s", median(ours), "events/s", median(floor));
    free_chunks(&fs);
    pthread_mutex_destroy(&fs.mu);
    pthread_cond_destroy(&fs.go_cond);
    for (int e = 0; e < EVENTS; e++)
        rc_object_unref(u->written[e]);
    rc_object_unref(u->cur);
    free(u);
}

/* Arguments (optional) name the figures to run, e.g. `bench_http A2`; none = all. */
static bool wanted(int argc, char **argv, const char *name)
{
    if (argc < 2)
        return true;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], name))
            return true;
    return false;
}

int main(int argc, char **argv)
{
    rc_error err = {0};
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        die("curl_global_init failed", NULL);
    rc_apiserver_options so = {.seed = 1, .auto_pump = true, .watch_history = EVENTS * 2};
    rc_apiserver *srv = rc_apiserver_new(&so, &err);
    if (!srv)
        die("rc_apiserver_new", &err);
    rc_client *c = rc_apiserver_client(srv, NULL);
    create_pods(c);
    rc_http_options ho = {.no_stepping = true};
    rc_http_server *hs = rc_http_server_new(srv, &ho, &err);
    if (!hs || rc_http_server_start(hs, &err) != 0)
        die("starting the HTTP server", &err);
    char base[128];
    rc_http_server_url(hs, base, sizeof base);
    if (wanted(argc, argv, "A1")) {
        bench_list(base, "A1_http_list_10k_pods_json", NULL);
        bench_list(base, "A1_http_list_10k_pods_table", TABLE_ACCEPT);
    }
    if (wanted(argc, argv, "A2"))
        bench_fanout(srv, c, base);
    rc_http_server_free(hs);
    rc_client_unref(c);
    rc_apiserver_free(srv);
    curl_global_cleanup();
    return 0;
}
