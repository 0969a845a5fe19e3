/* http_world.h - shared by fuzz/fuzz_http.c and tests/test_http_regress.c: the HTTP harness's input
 * format (what fuzz/seeds/http/ holds), the fresh API server and rc_http_server every input starts from
 * (the same fixtures, token authentication and RBAC), and the socket-free path that decodes a request the
 * way libmicrohttpd does and answers it with rci_http_serve. Header-only, with static inline functions,
 * because a fuzz harness is built from a single source file.
 *
 * Input format:
 *   line 1              METHOD TARGET         e.g. "GET /api/v1/namespaces/default/pods?limit=1"
 *   following lines     Name: value           request headers, up to an empty line
 *   the rest            the body
 * Bytes of TARGET that cannot appear on a request line are percent-encoded (so invalid UTF-8 and control
 * bytes reach the router decoded); header lines that are not "token: visible text" and the headers that
 * frame the request (Host, Connection, Content-Length, ...) are dropped. */
#ifndef RC_FUZZ_HTTP_WORLD_H
#define RC_FUZZ_HTTP_WORLD_H

#include <reconcile.h>
#include <reconcile/httpserver.h>

#include "apiserver/http_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define HW_MAX_FIELDS 256 /* query parameters plus headers the direct path keeps */

/* ---- growing byte buffers ---- */

typedef struct hw_buf {
    char *p; /* NUL-terminated */
    size_t len, cap;
} hw_buf;

static inline void hw_put(hw_buf *b, const void *data, size_t n)
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

static inline void hw_puts(hw_buf *b, const char *s) { hw_put(b, s, strlen(s)); }

/* ---- the input ---- */

typedef struct hw_request {
    hw_buf method;  /* a token */
    hw_buf target;  /* printable ASCII, the rest percent-encoded */
    hw_buf headers; /* "Name: value\r\n" lines */
    const unsigned char *body;
    size_t body_len;
    bool watch; /* the request line may ask for a watch */
} hw_request;

/* One line of data starting at *pos (without its newline; a trailing CR is dropped). */
static inline size_t hw_next_line(const unsigned char *data, size_t size, size_t *pos, const unsigned char **line)
{
    *line = data + *pos;
    const unsigned char *nl = memchr(*line, '\n', size - *pos);
    size_t n = nl ? (size_t)(nl - *line) : size - *pos;
    *pos += n + (nl ? 1 : 0);
    return n && (*line)[n - 1] == '\r' ? n - 1 : n;
}

static inline bool hw_is_tchar(unsigned char c) { return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c)); }

static inline void hw_put_method(hw_buf *b, const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n && i < 16; i++)
        if (hw_is_tchar(s[i]))
            hw_put(b, &s[i], 1);
    if (!b->len)
        hw_puts(b, "GET");
}

static inline void hw_put_target(hw_buf *b, const unsigned char *s, size_t n)
{
    if (!n || s[0] != '/')
        hw_puts(b, "/");
    for (size_t i = 0; i < n; i++) {
        if (s[i] > 0x20 && s[i] < 0x7f) {
            hw_put(b, &s[i], 1);
        } else {
            char esc[4];
            snprintf(esc, sizeof esc, "%%%02X", s[i]);
            hw_put(b, esc, 3);
        }
    }
}

static inline bool hw_reserved_header(const char *name, size_t n)
{
    static const char *const names[] = {"host", "connection", "content-length", "transfer-encoding", "expect",
                                        "upgrade", "keep-alive"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strlen(names[i]) == n && !strncasecmp(name, names[i], n))
            return true;
    return false;
}

/* "Name: value" with a token name and a value of visible characters and spaces; anything else skipped. */
static inline void hw_put_header(hw_buf *b, const unsigned char *s, size_t n)
{
    const unsigned char *colon = memchr(s, ':', n);
    if (!colon || colon == s)
        return;
    size_t name_len = (size_t)(colon - s);
    for (size_t i = 0; i < name_len; i++)
        if (!hw_is_tchar(s[i]))
            return;
    if (hw_reserved_header((const char *)s, name_len))
        return;
    hw_put(b, s, name_len + 1);
    for (const unsigned char *v = colon + 1; v < s + n; v++)
        if (*v == '\t' || *v >= 0x20)
            hw_put(b, v, 1);
    hw_puts(b, "\r\n");
}

static inline bool hw_may_watch(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i + 5 <= n; i++)
        if (!strncasecmp((const char *)s + i, "watch", 5))
            return true;
    return false;
}

/* Parses an input; the body points into data. Free with hw_request_free. */
static inline void hw_parse(const unsigned char *data, size_t size, hw_request *rq)
{
    size_t pos = 0;
    const unsigned char *line;
    size_t n = hw_next_line(data, size, &pos, &line);
    const unsigned char *space = memchr(line, ' ', n);
    *rq = (hw_request){.watch = hw_may_watch(line, n)};
    if (space) {
        hw_put_method(&rq->method, line, (size_t)(space - line));
        hw_put_target(&rq->target, space + 1, n - (size_t)(space - line) - 1);
    } else {
        hw_puts(&rq->method, "GET");
        hw_put_target(&rq->target, line, n);
    }
    hw_puts(&rq->headers, "");
    while (pos < size) {
        size_t h = hw_next_line(data, size, &pos, &line);
        if (!h)
            break;
        hw_put_header(&rq->headers, line, h);
    }
    rq->body = data + pos;
    rq->body_len = size - pos;
}

static inline void hw_request_free(hw_request *rq)
{
    free(rq->method.p);
    free(rq->target.p);
    free(rq->headers.p);
}

/* ---- the server every input starts from ---- */

static const char hw_tokens_csv[] = "admin-token,admin,1,\"system:masters\"\n"
                                 "sa-token,system:serviceaccount:mynamespace:example-sa,2\n"
                                 "jane-token,jane,3,\"dev,qa\"\n";

static const char *const hw_fixtures[] = {
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

typedef struct hw_world {
    rc_clock *clock; /* virtual for the direct path; NULL = the real clock */
    rc_apiserver *srv;
    rc_http_server *hs;
} hw_world;

static char hw_tokens[64]; /* the token file, written once by hw_setup */

static inline void hw_remove_tokens(void) { unlink(hw_tokens); }

/* Writes the token file (removed at exit); false on failure. */
static inline bool hw_setup(void)
{
    if (hw_tokens[0])
        return true;
    snprintf(hw_tokens, sizeof hw_tokens, "/tmp/rc_http_world.XXXXXX");
    int fd = mkstemp(hw_tokens);
    bool ok = fd >= 0 && write(fd, hw_tokens_csv, sizeof hw_tokens_csv - 1) == (ssize_t)(sizeof hw_tokens_csv - 1);
    if (fd >= 0)
        close(fd);
    if (ok)
        atexit(hw_remove_tokens);
    return ok;
}

/* A fresh API server holding the fixtures and an HTTP server over it with token authentication and
 * RBAC: listening with real time and its stepping thread when listen, else not listening, on a virtual
 * clock, for rci_http_serve. 0 or an error. */
static inline int hw_world_open(hw_world *w, bool listen, rc_error *err)
{
    *w = (hw_world){.clock = listen ? NULL : rc_clock_virtual_new(1700000000 * RC_SEC)};
    /* Small logs: the defaults (65536 actions, 4096 events per resource) cost more to allocate than most
     * requests cost to serve. */
    rc_apiserver_options ao = {.clock = w->clock, .seed = 1, .watch_history = 256, .action_log_cap = 256};
    if (!hw_setup() || !(w->srv = rc_apiserver_new(&ao, err)))
        return err && err->code ? err->code : RC_EIO;
    rc_client *admin = rc_apiserver_client(w->srv, NULL);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof hw_fixtures / sizeof *hw_fixtures; i++) {
        rc_object *o = rc_object_from_json(hw_fixtures[i], strlen(hw_fixtures[i]), err);
        rc = o ? rc_client_create(admin, NULL, NULL, o, NULL, NULL, err) : RC_EBADREQUEST;
        rc_object_unref(o);
    }
    rc_client_unref(admin);
    rc_http_options ho = {.token_auth_file = hw_tokens, .rbac = true, .no_stepping = !listen, .clock = w->clock};
    if (rc == 0 && !(w->hs = rc_http_server_new(w->srv, &ho, err)))
        rc = err && err->code ? err->code : RC_EIO;
    if (rc == 0 && listen)
        rc = rc_http_server_start(w->hs, err);
    return rc;
}

static inline void hw_world_close(hw_world *w)
{
    rc_http_server_free(w->hs);
    rc_apiserver_free(w->srv);
    if (w->clock)
        rc_clock_free(w->clock);
    *w = (hw_world){0};
}

/* ---- the direct path: decoded the way libmicrohttpd decodes, then rci_http_serve ---- */

static inline int hw_hex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes %XX in place (a malformed escape stays as it is; %00 ends the string); '+' is a space if plus. */
static inline void hw_unescape(char *s, bool plus)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r == '%' && hw_hex(r[1]) >= 0 && hw_hex(r[2]) >= 0) {
            *w++ = (char)(hw_hex(r[1]) * 16 + hw_hex(r[2]));
            r += 2;
        } else {
            *w++ = plus && *r == '+' ? ' ' : *r;
        }
    }
    *w = '\0';
}

static inline void hw_add_field(rci_http_field *f, size_t *n, bool header, const char *key, const char *value)
{
    if (*n < HW_MAX_FIELDS)
        f[(*n)++] = (rci_http_field){.header = header, .key = key, .value = value};
}

/* Splits "k=v&k2" in place into query fields. */
static inline void hw_parse_query(char *q, rci_http_field *f, size_t *n)
{
    for (char *save = NULL, *kv = strtok_r(q, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '=');
        if (eq) {
            *eq = '\0';
            hw_unescape(eq + 1, true);
        }
        hw_unescape(kv, true);
        hw_add_field(f, n, false, kv, eq ? eq + 1 : NULL);
    }
}

/* Splits the "Name: value\r\n" lines in place into header fields (values trimmed). */
static inline void hw_parse_headers(char *h, rci_http_field *f, size_t *n)
{
    for (char *save = NULL, *line = strtok_r(h, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
        char *colon = strchr(line, ':');
        *colon = '\0';
        char *v = colon + 1;
        v += strspn(v, " \t");
        size_t vl = strlen(v);
        while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
            v[--vl] = '\0';
        hw_add_field(f, n, true, line, v);
    }
}

/* Answers rq through w's (not listening) server into *out (the caller clears it). */
static inline void hw_serve_direct(hw_world *w, const hw_request *rq, rci_http_reply *out)
{
    char *target = strdup(rq->target.p), *headers = strdup(rq->headers.p), *body = malloc(rq->body_len + 1);
    if (!target || !headers || !body)
        abort();
    memcpy(body, rq->body, rq->body_len);
    body[rq->body_len] = '\0';
    rci_http_field fields[HW_MAX_FIELDS];
    size_t n = 0;
    char *q = strchr(target, '?');
    if (q) {
        *q++ = '\0';
        hw_parse_query(q, fields, &n);
    }
    hw_unescape(target, false);
    hw_parse_headers(headers, fields, &n);
    rci_http_req req = {.hs = w->hs, .method = rq->method.p, .path = target, .body = body,
                        .body_len = rq->body_len, .fields = fields, .nfields = n};
    *out = (rci_http_reply){0};
    rci_http_serve(&req, out);
    rc_apiserver_step(w->srv);
    free(target);
    free(headers);
    free(body);
}

#endif
