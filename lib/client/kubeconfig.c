/* kubeconfig.c - rc_kubeconfig: reading kubeconfig files the way kubectl does (KUBECONFIG lists merged,
 * first definition of a name wins; current-context; cluster CA, client certificate and key as files or
 * base64 data; tokens and token files; insecure-skip-tls-verify; namespace), the in-cluster service
 * account configuration, and writing a kubeconfig for a server (rcsim serve). Relative paths in a file
 * are resolved against that file's directory. */
#include <reconcile/codec.h>
#include <reconcile/kubeconfig.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/strbuf.h"

#define MAX_FILES 16
#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

void rc_kubeconfig_clear(rc_kubeconfig *kc)
{
    if (!kc)
        return;
    char **fields[] = {&kc->context, &kc->cluster_name, &kc->user_name, &kc->server, &kc->ca_file, &kc->ca_data,
                       &kc->client_cert_file, &kc->client_cert_data, &kc->client_key_file, &kc->client_key_data,
                       &kc->token, &kc->token_file, &kc->namespace_};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        free(*fields[i]);
    memset(kc, 0, sizeof *kc);
}

/* ---- base64 ---- */

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

static char *b64_decode(const char *in, size_t *out_len)
{
    size_t n = strlen(in);
    char *out = malloc(n / 4 * 3 + 4);
    if (!out)
        return NULL;
    uint32_t acc = 0;
    int bits = 0;
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '=' || c == '\n' || c == '\r' || c == ' ')
            continue;
        int v = b64_value(c);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[len++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[len] = '\0';
    *out_len = len;
    return out;
}

static void b64_encode(rci_strbuf *b, const unsigned char *p, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        char q[4] = {tbl[v >> 18 & 63], tbl[v >> 12 & 63], i + 1 < n ? tbl[v >> 6 & 63] : '=', i + 2 < n ? tbl[v & 63] : '='};
        rci_strbuf_append(b, q, 4);
    }
}

/* ---- reading ---- */

typedef struct kfile {
    cJSON *doc;
    char dir[1024];
} kfile;

typedef struct kset {
    kfile files[MAX_FILES];
    size_t n;
} kset;

static void kset_free(kset *s)
{
    for (size_t i = 0; i < s->n; i++)
        cJSON_Delete(s->files[i].doc);
    s->n = 0;
}

static int kset_add(kset *s, const char *path, rc_error *err)
{
    if (s->n == MAX_FILES)
        return rc_error_set(err, RC_EINVAL, "too many kubeconfig files");
    rc_doc_list docs;
    rc_doc_list_init(&docs);
    int rc = rc_decode_file(path, NULL, &docs, err);
    if (rc == 0 && (docs.count != 1 || !cJSON_IsObject(docs.docs[0])))
        rc = rc_error_set(err, RC_EBADREQUEST, "%s: a kubeconfig must be one YAML mapping", path);
    if (rc == 0) {
        kfile *f = &s->files[s->n++];
        f->doc = docs.docs[0];
        docs.docs[0] = NULL;
        const char *slash = strrchr(path, '/');
        snprintf(f->dir, sizeof f->dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    }
    rc_doc_list_clear(&docs);
    return rc;
}

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

/* The body (cluster/user/context) of the first entry named name in list `section`; *dir its file's dir. */
static const cJSON *find_named(const kset *s, const char *section, const char *inner, const char *name,
                               const char **dir)
{
    for (size_t i = 0; i < s->n; i++) {
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(s->files[i].doc, section))
        {
            const char *n = str_of(e, "name");
            if (n && !strcmp(n, name)) {
                *dir = s->files[i].dir;
                const cJSON *body = cJSON_GetObjectItemCaseSensitive(e, inner);
                return body ? body : e;
            }
        }
    }
    return NULL;
}

static char *dup_path(const char *dir, const char *p)
{
    if (!p)
        return NULL;
    return p[0] == '/' ? strdup(p) : rci_asprintf("%s/%s", dir, p);
}

static char *dup_str(const char *s) { return s ? strdup(s) : NULL; }

static int take_data(const cJSON *o, const char *key, char **out, size_t *len, rc_error *err)
{
    const char *v = str_of(o, key);
    if (!v)
        return 0;
    if (!(*out = b64_decode(v, len)))
        return rc_error_set(err, RC_EBADREQUEST, "kubeconfig: %s is not valid base64", key);
    return 0;
}

static int resolve(const kset *s, const char *context, rc_kubeconfig *out, rc_error *err)
{
    const char *ctx_name = context;
    for (size_t i = 0; !ctx_name && i < s->n; i++)
        ctx_name = str_of(s->files[i].doc, "current-context");
    if (!ctx_name)
        return rc_error_set(err, RC_ENOTFOUND, "kubeconfig: no context given and no current-context set");
    const char *cdir = NULL, *udir = NULL, *xdir = NULL;
    const cJSON *ctx = find_named(s, "contexts", "context", ctx_name, &xdir);
    if (!ctx)
        return rc_error_set(err, RC_ENOTFOUND, "kubeconfig: context \"%s\" not found", ctx_name);
    const char *cname = str_of(ctx, "cluster"), *uname = str_of(ctx, "user");
    const cJSON *cl = cname ? find_named(s, "clusters", "cluster", cname, &cdir) : NULL;
    if (!cl)
        return rc_error_set(err, RC_ENOTFOUND, "kubeconfig: cluster \"%s\" of context \"%s\" not found",
                            cname ? cname : "", ctx_name);
    const cJSON *us = uname ? find_named(s, "users", "user", uname, &udir) : NULL;
    if (uname && !us)
        return rc_error_set(err, RC_ENOTFOUND, "kubeconfig: user \"%s\" of context \"%s\" not found", uname,
                            ctx_name);
    if (!str_of(cl, "server"))
        return rc_error_set(err, RC_EINVAL, "kubeconfig: cluster \"%s\" has no server", cname);
    out->context = dup_str(ctx_name);
    out->cluster_name = dup_str(cname);
    out->user_name = dup_str(uname);
    out->namespace_ = dup_str(str_of(ctx, "namespace"));
    out->server = dup_str(str_of(cl, "server"));
    out->ca_file = dup_path(cdir, str_of(cl, "certificate-authority"));
    out->insecure_skip_tls_verify = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cl, "insecure-skip-tls-verify"));
    int rc = take_data(cl, "certificate-authority-data", &out->ca_data, &out->ca_data_len, err);
    if (us && rc == 0) {
        out->token = dup_str(str_of(us, "token"));
        out->token_file = dup_path(udir, str_of(us, "tokenFile"));
        out->client_cert_file = dup_path(udir, str_of(us, "client-certificate"));
        out->client_key_file = dup_path(udir, str_of(us, "client-key"));
        rc = take_data(us, "client-certificate-data", &out->client_cert_data, &out->client_cert_data_len, err);
        if (rc == 0)
            rc = take_data(us, "client-key-data", &out->client_key_data, &out->client_key_data_len, err);
    }
    if (rc == 0 && !out->server)
        rc = rc_error_set(err, RC_ENOMEM, "out of memory");
    return rc;
}

int rc_kubeconfig_load(const char *path, const char *context, rc_kubeconfig *out, rc_error *err)
{
    memset(out, 0, sizeof *out);
    kset s = {0};
    int rc = 0;
    const char *env = getenv("KUBECONFIG");
    if (path) {
        rc = kset_add(&s, path, err);
    } else if (env && env[0]) {
        char *list = strdup(env);
        if (!list)
            return rc_error_set(err, RC_ENOMEM, "out of memory");
        for (char *save = NULL, *p = strtok_r(list, ":", &save); rc == 0 && p; p = strtok_r(NULL, ":", &save))
            if (access(p, R_OK) == 0)
                rc = kset_add(&s, p, err);
        free(list);
        if (rc == 0 && s.n == 0)
            rc = rc_error_set(err, RC_EIO, "none of the files in KUBECONFIG can be read");
    } else {
        const char *home = getenv("HOME");
        char def[1024];
        snprintf(def, sizeof def, "%s/.kube/config", home ? home : "");
        rc = kset_add(&s, def, err);
    }
    if (rc == 0)
        rc = resolve(&s, context, out, err);
    kset_free(&s);
    if (rc != 0)
        rc_kubeconfig_clear(out);
    return rc;
}

static char *read_small(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    rci_strbuf b;
    rci_strbuf_init(&b);
    char chunk[1024];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len < 1024 * 1024)
        rci_strbuf_append(&b, chunk, n);
    fclose(f);
    rci_strbuf_putc(&b, '\0');
    char *s = rci_strbuf_take(&b);
    if (s)
        s[strcspn(s, "\r\n")] = '\0';
    return s;
}

int rc_kubeconfig_in_cluster(const char *dir, rc_kubeconfig *out, rc_error *err)
{
    memset(out, 0, sizeof *out);
    const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
    if (!dir)
        dir = SA_DIR;
    char *token_file = rci_asprintf("%s/token", dir);
    if (!host || !host[0] || !port || !port[0] || !token_file || access(token_file, R_OK) != 0) {
        free(token_file);
        return rc_error_set(err, RC_ENOTFOUND, "not running in a cluster: KUBERNETES_SERVICE_HOST/PORT or %s/token "
                            "missing", dir);
    }
    bool v6 = strchr(host, ':') != NULL;
    out->server = rci_asprintf("https://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port);
    out->token_file = token_file;
    out->ca_file = rci_asprintf("%s/ca.crt", dir);
    char *ns_file = rci_asprintf("%s/namespace", dir);
    out->namespace_ = ns_file ? read_small(ns_file) : NULL;
    free(ns_file);
    if (!out->server || !out->ca_file) {
        rc_kubeconfig_clear(out);
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    return 0;
}

/* ---- writing ---- */

static void kv(rci_strbuf *b, const char *indent, const char *key, const char *value)
{
    if (!value)
        return;
    rci_strbuf_printf(b, "%s%s: ", indent, key);
    rci_strbuf_json_string(b, value);
    rci_strbuf_putc(b, '\n');
}

static void kv_data(rci_strbuf *b, const char *indent, const char *key, const char *data, size_t len)
{
    if (!data)
        return;
    rci_strbuf_printf(b, "%s%s: ", indent, key);
    b64_encode(b, (const unsigned char *)data, len);
    rci_strbuf_putc(b, '\n');
}

int rc_kubeconfig_write(const char *path, const rc_kubeconfig *kc, rc_error *err)
{
    if (!path || !kc || !kc->server)
        return rc_error_set(err, RC_EINVAL, "a path and a server are required");
    const char *cluster = kc->cluster_name ? kc->cluster_name : "rcsim";
    const char *user = kc->user_name ? kc->user_name : "rcsim";
    const char *context = kc->context ? kc->context : "rcsim";
    rci_strbuf b;
    rci_strbuf_init(&b);
    rci_strbuf_puts(&b, "apiVersion: v1\nkind: Config\nclusters:\n");
    kv(&b, "- ", "name", cluster);
    rci_strbuf_puts(&b, "  cluster:\n");
    kv(&b, "    ", "server", kc->server);
    kv(&b, "    ", "certificate-authority", kc->ca_file);
    kv_data(&b, "    ", "certificate-authority-data", kc->ca_data, kc->ca_data_len);
    if (kc->insecure_skip_tls_verify)
        rci_strbuf_puts(&b, "    insecure-skip-tls-verify: true\n");
    rci_strbuf_puts(&b, "users:\n");
    kv(&b, "- ", "name", user);
    rci_strbuf_puts(&b, "  user:");
    bool any = kc->token || kc->token_file || kc->client_cert_file || kc->client_cert_data || kc->client_key_file ||
               kc->client_key_data;
    rci_strbuf_puts(&b, any ? "\n" : " {}\n");
    kv(&b, "    ", "token", kc->token);
    kv(&b, "    ", "tokenFile", kc->token_file);
    kv(&b, "    ", "client-certificate", kc->client_cert_file);
    kv_data(&b, "    ", "client-certificate-data", kc->client_cert_data, kc->client_cert_data_len);
    kv(&b, "    ", "client-key", kc->client_key_file);
    kv_data(&b, "    ", "client-key-data", kc->client_key_data, kc->client_key_data_len);
    rci_strbuf_puts(&b, "contexts:\n");
    kv(&b, "- ", "name", context);
    rci_strbuf_puts(&b, "  context:\n");
    kv(&b, "    ", "cluster", cluster);
    kv(&b, "    ", "user", user);
    kv(&b, "    ", "namespace", kc->namespace_);
    kv(&b, "", "current-context", context);
    if (b.failed) {
        rci_strbuf_free(&b);
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    char *tmp = rci_asprintf("%s.tmp.%ld", path, (long)getpid());
    int fd = tmp ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600) : -1;
    bool ok = fd >= 0 && write(fd, b.data, b.len) == (ssize_t)b.len;
    if (fd >= 0)
        ok = close(fd) == 0 && ok;
    ok = ok && rename(tmp, path) == 0;
    if (!ok && tmp)
        unlink(tmp);
    free(tmp);
    rci_strbuf_free(&b);
    return ok ? 0 : rc_error_set(err, RC_EIO, "cannot write the kubeconfig %s", path);
}
