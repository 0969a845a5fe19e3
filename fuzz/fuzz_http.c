/* fuzz_http.c - libFuzzer harness: the HTTP front of the embedded API server (rc_http_server) - request
 * path, query, headers and body - with token authentication and RBAC on (tokens for an admin, the service
 * account example-sa bound to example-role, and a user with no bindings), so every input also exercises
 * authentication, impersonation and authorization.
 *
 * Every input starts from the same state: the API server holding the fixtures of http_world.h and nothing
 * else, so a finding reproduces from its input alone. Most inputs are answered by rci_http_serve, the
 * server's socket-free entry (a parsed request in, a reply out), on a virtual clock, by a server that is
 * replaced, within the same input, after any input that left something behind: a commit (the
 * resourceVersion moved), a watch, or any memory still held (cached authorization decisions, interned
 * keys, ...; the action log, which no request reads, is emptied after each input). Most inputs are
 * refused and leave nothing, and building a server costs as much as ten requests. Replacing the server
 * within the input also keeps libFuzzer's per-input leak check quiet: the input frees at least what it
 * allocates. One input in SOCKET_SHARE, chosen by a hash of its bytes, goes over loopback to a fresh,
 * started server instead, so libmicrohttpd's parsing of the request line, headers and framing, the
 * transport and watch streaming are covered too.
 * FUZZ_HTTP_SOCKET=all or =none forces one path for every input (to replay a finding both ways).
 *
 * The input format is http_world.h's. A reply must carry an HTTP status (direct) or start with an
 * HTTP/1.1 status line (socket); a crash, sanitizer report or hang in the server is the finding. Watch
 * streams are freed unread (direct) or cut off by closing the socket. tests/test_http_regress.c replays
 * fuzz/seeds/http/ through the direct path on every test run. */
#include "http_world.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sanitizer/allocator_interface.h>
#include <sys/socket.h>

#define SOCKET_SHARE 16    /* one input in this many goes over loopback */
#define FIRST_BYTE_MS 5000 /* a plain request is answered well within this, even on a loaded machine */
#define WATCH_WAIT_MS 30   /* how long a request that may be a watch gets before the harness hangs up */
#define IDLE_MS 30         /* a streaming reply is cut off after this long without data */
#define SMALL_HEAD 16384   /* request heads below this must be answered (libmicrohttpd's pool is 32 KiB) */

static int g_socket_mode; /* 0 = by hash, 1 = always, -1 = never */
static hw_world g_direct;  /* the direct path's server, replaced whenever an input changed it */

static void open_world(hw_world *w, bool listen)
{
    rc_error err = {0};
    if (hw_world_open(w, listen, &err) != 0) {
        fprintf(stderr, "fuzz_http: cannot start the server: %s\n", err.message ? err.message : "failed");
        exit(1);
    }
    rc_apiserver_clear_actions(w->srv); /* no request reads the action log; an empty one is cheaper to compare */
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    rc_log_set_level(RC_LOG_OFF);
    const char *mode = getenv("FUZZ_HTTP_SOCKET");
    g_socket_mode = !mode ? 0 : !strcmp(mode, "all") ? 1 : !strcmp(mode, "none") ? -1 : 0;
    if (!hw_setup()) {
        fprintf(stderr, "fuzz_http: cannot write the token file\n");
        exit(1);
    }
    open_world(&g_direct, false);
    return 0;
}

static void serve_direct(const hw_request *rq)
{
    size_t held = __sanitizer_get_current_allocated_bytes();
    uint64_t rv = rc_apiserver_resource_version(g_direct.srv);
    rci_http_reply rep;
    hw_serve_direct(&g_direct, rq, &rep);
    if (rep.status < 100 || rep.status > 599 || (!rep.body && !rep.stream && rep.len))
        abort(); /* not an HTTP reply */
    bool changed = rep.stream || rc_apiserver_resource_version(g_direct.srv) != rv;
    rci_http_reply_clear(&rep);
    rc_apiserver_clear_actions(g_direct.srv);
    if (changed || __sanitizer_get_current_allocated_bytes() != held) {
        hw_world_close(&g_direct);
        open_world(&g_direct, false);
    }
}

/* ---- the socket path ---- */

static int connect_server(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Reads the reply until the server closes, or the wait runs out; returns the first bytes read. */
static size_t read_reply(int fd, int first_ms, char *head, size_t cap)
{
    size_t got = 0;
    char chunk[16384];
    int wait = first_ms;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, wait);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0)
            break;
        if (got < cap) {
            size_t take = (size_t)n < cap - got ? (size_t)n : cap - got;
            memcpy(head + got, chunk, take);
        }
        got += (size_t)n;
        wait = IDLE_MS;
    }
    return got;
}

static void serve_socket(const hw_request *rq)
{
    hw_world w;
    open_world(&w, true);
    hw_buf text = {0};
    hw_put(&text, rq->method.p, rq->method.len);
    hw_puts(&text, " ");
    hw_put(&text, rq->target.p, rq->target.len);
    hw_puts(&text, " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    hw_put(&text, rq->headers.p, rq->headers.len);
    char length[48];
    snprintf(length, sizeof length, "Content-Length: %zu\r\n\r\n", rq->body_len);
    hw_puts(&text, length);
    size_t head_len = text.len;
    hw_put(&text, rq->body, rq->body_len);
    int fd = connect_server(rc_http_server_port(w.hs));
    if (fd < 0)
        abort();
    char head[16] = "";
    size_t got = 0;
    if (send_all(fd, text.p, text.len))
        got = read_reply(fd, rq->watch ? WATCH_WAIT_MS : FIRST_BYTE_MS, head, sizeof head - 1);
    close(fd);
    free(text.p);
    if (got ? strncmp(head, "HTTP/1.", 7) != 0 : !rq->watch && head_len < SMALL_HEAD) {
        fprintf(stderr, "fuzz_http: %s\n", got ? "the reply is not an HTTP status line" : "no reply");
        abort(); /* the server is broken or wedged */
    }
    hw_world_close(&w);
}

static bool over_socket(const unsigned char *data, size_t size)
{
    if (g_socket_mode)
        return g_socket_mode > 0;
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 16777619u;
    return h % SOCKET_SHARE == 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    hw_request rq;
    hw_parse(data, size, &rq);
    if (over_socket(data, size))
        serve_socket(&rq);
    else
        serve_direct(&rq);
    hw_request_free(&rq);
    return 0;
}
