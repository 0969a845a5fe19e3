/* fuzz_http.c - libFuzzer harness: the HTTP front of the embedded API server (rc_http_server) - request
 * path, query, headers and body - driven over loopback, since the server reads queries and headers through
 * libmicrohttpd. One server runs for the whole process with token authentication and RBAC on (tokens for an
 * admin, the service account example-sa bound to example-role, and a user with no bindings), so every input
 * also exercises authentication, impersonation and authorization.
 *
 * Input format (what fuzz/seeds/http/ holds):
 *   line 1              METHOD TARGET         e.g. "GET /api/v1/namespaces/default/pods?limit=1"
 *   following lines     Name: value           request headers, up to an empty line
 *   the rest            the body
 * The harness percent-encodes bytes of TARGET that cannot appear on a request line (so invalid UTF-8 and
 * control bytes reach the router decoded), drops header bytes that would break framing and sets Host,
 * Connection and Content-Length itself. The response must be a well-formed HTTP/1.1 status line; a crash,
 * sanitizer report or hang in the server is the finding. Watch streams are cut off by closing the socket. */
#include <reconcile.h>
#include <reconcile/httpserver.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_util.h"

#define FIRST_BYTE_MS 2000 /* a plain request is answered well within this */
#define WATCH_WAIT_MS 30   /* how long a request that may be a watch gets before the harness hangs up */
#define IDLE_MS 30         /* a streaming reply is cut off after this long without data */
#define SMALL_HEAD 16384   /* request heads below this must be answered (libmicrohttpd's pool is 32 KiB) */

static rc_apiserver *g_srv;
static rc_http_server *g_http;
static uint16_t g_port;

static const char tokens_csv[] = "admin-token,admin,1,\"system:masters\"\n"
                                 "sa-token,system:serviceaccount:mynamespace:example-sa,2\n"
                                 "jane-token,jane,3,\"dev,qa\"\n";

static const char *const fixtures[] = {
    "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"mynamespace\"}}",
    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"my-config\",\"namespace\":\"mynamespace\"},"
    "\"data\":{\"greeting\":\"hello\"}}",
    "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"Role\",\"metadata\":{\"name\":\"example-role\","
    "\"namespace\":\"mynamespace\"},\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"get\","
    "\"watch\",\"list\"]},{\"apiGroups\":[\"\"],\"resources\":[\"configmaps\"],\"resourceNames\":[\"my-config\"],"
    "\"verbs\":[\"get\"]}]}",
    "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"example-sa\",\"namespace\":"
    "\"mynamespace\"}}",
    "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"RoleBinding\",\"metadata\":{\"name\":"
    "\"example-rolebinding\",\"namespace\":\"mynamespace\"},\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":"
    "\"example-sa\",\"namespace\":\"mynamespace\"}],\"roleRef\":{\"kind\":\"Role\",\"name\":\"example-role\","
    "\"apiGroup\":\"rbac.authorization.k8s.io\"}}",
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"namespace\":\"mynamespace\",\"labels\":"
    "{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}",
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"nginx\",\"namespace\":\"default\"},"
    "\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":\"nginx\"}},\"template\":{\"metadata\":{"
    "\"labels\":{\"app\":\"nginx\"}},\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":\"nginx:1.14.2\"}]}}}}",
};

static void die(const char *what, const rc_error *err)
{
    fprintf(stderr, "fuzz_http: %s: %s\n", what, err && err->message ? err->message : "failed");
    exit(1);
}

static void write_tokens(char *path, size_t cap)
{
    snprintf(path, cap, "/tmp/fuzz_http_tokens.XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, tokens_csv, sizeof tokens_csv - 1) != (ssize_t)(sizeof tokens_csv - 1))
        die("cannot write the token file", NULL);
    close(fd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    rc_log_set_level(RC_LOG_OFF);
    rc_error err = {0};
    if (!(g_srv = rc_apiserver_new(NULL, &err)))
        die("apiserver", &err);
    rc_client *admin = rc_apiserver_client(g_srv, NULL);
    for (size_t i = 0; i < sizeof fixtures / sizeof *fixtures; i++) {
        rc_object *o = rc_object_from_json(fixtures[i], strlen(fixtures[i]), &err);
        if (!o || rc_client_create(admin, NULL, NULL, o, NULL, NULL, &err) != 0)
            die("fixture", &err);
        rc_object_unref(o);
    }
    rc_client_unref(admin);
    char tokens[64];
    write_tokens(tokens, sizeof tokens);
    rc_http_options ho = {.token_auth_file = tokens, .rbac = true};
    g_http = rc_http_server_new(g_srv, &ho, &err);
    unlink(tokens);
    if (!g_http || rc_http_server_start(g_http, &err) != 0)
        die("http server", &err);
    g_port = rc_http_server_port(g_http);
    return 0;
}

/* ---- building the request ---- */

typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

static void put(buf *b, const void *data, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p)
            abort();
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

/* One line of data starting at *pos (without its newline; a trailing CR is dropped). */
static size_t next_line(const unsigned char *data, size_t size, size_t *pos, const unsigned char **line)
{
    *line = data + *pos;
    const unsigned char *nl = memchr(*line, '\n', size - *pos);
    size_t n = nl ? (size_t)(nl - *line) : size - *pos;
    *pos += n + (nl ? 1 : 0);
    return n && (*line)[n - 1] == '\r' ? n - 1 : n;
}

static bool is_tchar(unsigned char c) { return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c)); }

static void put_method(buf *b, const unsigned char *s, size_t n)
{
    size_t start = b->len;
    for (size_t i = 0; i < n && i < 16; i++)
        if (is_tchar(s[i]))
            put(b, &s[i], 1);
    if (b->len == start)
        puts_(b, "GET");
}

/* The request target: printable ASCII except space kept, everything else percent-encoded. */
static void put_target(buf *b, const unsigned char *s, size_t n)
{
    if (!n || s[0] != '/')
        puts_(b, "/");
    for (size_t i = 0; i < n; i++) {
        if (s[i] > 0x20 && s[i] < 0x7f) {
            put(b, &s[i], 1);
        } else {
            char esc[4];
            snprintf(esc, sizeof esc, "%%%02X", s[i]);
            put(b, esc, 3);
        }
    }
}

static bool reserved_header(const char *name, size_t n)
{
    static const char *const names[] = {"host", "connection", "content-length", "transfer-encoding", "expect",
                                        "upgrade", "keep-alive"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strlen(names[i]) == n && !strncasecmp(name, names[i], n))
            return true;
    return false;
}

/* "Name: value" with a token name and a value of visible characters and spaces; anything else skipped. */
static void put_header(buf *b, const unsigned char *s, size_t n)
{
    const unsigned char *colon = memchr(s, ':', n);
    if (!colon || colon == s)
        return;
    size_t name_len = (size_t)(colon - s);
    for (size_t i = 0; i < name_len; i++)
        if (!is_tchar(s[i]))
            return;
    if (reserved_header((const char *)s, name_len))
        return;
    put(b, s, name_len + 1);
    for (const unsigned char *v = colon + 1; v < s + n; v++)
        if (*v == '\t' || *v >= 0x20)
            put(b, v, 1);
    puts_(b, "\r\n");
}

static bool may_watch(const unsigned char *s, size_t n)
{
    static const char word[] = "watch";
    for (size_t i = 0; i + 5 <= n; i++)
        if (!strncasecmp((const char *)s + i, word, 5))
            return true;
    return false;
}

/* ---- talking to the server ---- */

static int connect_server(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(g_port)};
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

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    size_t pos = 0;
    const unsigned char *line;
    size_t n = next_line(data, size, &pos, &line);
    const unsigned char *space = memchr(line, ' ', n);
    buf req = {0};
    if (space) {
        put_method(&req, line, (size_t)(space - line));
        puts_(&req, " ");
        put_target(&req, space + 1, n - (size_t)(space - line) - 1);
    } else {
        puts_(&req, "GET ");
        put_target(&req, line, n);
    }
    bool watch = may_watch(line, n);
    puts_(&req, " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    while (pos < size) {
        size_t h = next_line(data, size, &pos, &line);
        if (!h)
            break;
        put_header(&req, line, h);
    }
    char length[48];
    snprintf(length, sizeof length, "Content-Length: %zu\r\n\r\n", size - pos);
    puts_(&req, length);
    size_t head_len = req.len;
    put(&req, data + pos, size - pos);

    int fd = connect_server();
    if (fd < 0)
        abort();
    char head[16] = "";
    size_t got = 0;
    if (send_all(fd, req.p, req.len))
        got = read_reply(fd, watch ? WATCH_WAIT_MS : FIRST_BYTE_MS, head, sizeof head - 1);
    close(fd);
    free(req.p);
    if (got ? strncmp(head, "HTTP/1.", 7) != 0 : !watch && head_len < SMALL_HEAD)
        abort(); /* not HTTP, or no answer to a plain request: the server is broken or wedged */
    return 0;
}
