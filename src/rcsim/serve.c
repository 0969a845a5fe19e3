/* serve.c - `rcsim serve`: the embedded API server with every reference controller, the scheduler and
 * simulated kubelets on a real (or --speed scaled) clock, served over HTTP(S) to kubectl and other
 * clients by rc_http_server. Applies the -f manifests, writes a kubeconfig for the served URL, prints its
 * path, and stops cleanly on SIGINT/SIGTERM. Binds to loopback unless an address is given. See rcsim(1). */
#include "rcsim.h"

#include <reconcile/httpserver.h>
#include <reconcile/kubeconfig.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FILES 64

typedef struct serve_options {
    char address[64];
    unsigned long port;
    rcsim_cluster_options cluster;
    const char *kubeconfig_out; /* NULL = a file under $TMPDIR, removed at exit */
    const char *files[MAX_FILES];
    size_t nfiles;
    const char *token_file, *cert, *key;
    bool rbac;
} serve_options;

static void usage(FILE *out)
{
    fprintf(out, "Usage: rcsim serve [--listen ADDR:PORT] [--nodes N] [--speed X] [--seed S]\n"
                 "                   [--kubeconfig-out FILE] [-f FILE]... [--token-auth-file FILE] [--rbac]\n"
                 "                   [--tls-cert-file F --tls-private-key-file K]\n\n"
                 "Serves the embedded API server, every reference controller, the scheduler and simulated\n"
                 "kubelets to kubectl. --listen defaults to 127.0.0.1:0 (an ephemeral loopback port);\n"
                 "--port N and --address IP set its halves. See rcsim(1).\n");
}

static bool parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!s[0] || *end || errno || s[0] == '-' || v > max)
        return false;
    *out = v;
    return true;
}

/* "ADDR:PORT", ":PORT" or "PORT" (the last two keep the loopback address). */
static bool parse_listen(const char *s, serve_options *o)
{
    const char *colon = strrchr(s, ':');
    const char *port = colon ? colon + 1 : s;
    if (colon && colon > s) {
        size_t n = (size_t)(colon - s);
        if (n >= sizeof o->address)
            return false;
        memcpy(o->address, s, n);
        o->address[n] = '\0';
    }
    return parse_ulong(port, 65535, &o->port);
}

static int bad_value(const char *opt, const char *v)
{
    fprintf(stderr, "rcsim serve: invalid value \"%s\" for %s\n", v, opt);
    return 2;
}

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, serve_options *o)
{
    enum { O_LISTEN = 256, O_PORT, O_ADDRESS, O_NODES, O_SEED, O_SPEED, O_KUBECONFIG, O_TOKENS, O_RBAC, O_CERT,
           O_KEY };
    static const struct option longs[] = {
        {"listen", required_argument, NULL, O_LISTEN},
        {"port", required_argument, NULL, O_PORT},
        {"address", required_argument, NULL, O_ADDRESS},
        {"nodes", required_argument, NULL, O_NODES},
        {"seed", required_argument, NULL, O_SEED},
        {"speed", required_argument, NULL, O_SPEED},
        {"kubeconfig-out", required_argument, NULL, O_KUBECONFIG},
        {"filename", required_argument, NULL, 'f'},
        {"token-auth-file", required_argument, NULL, O_TOKENS},
        {"rbac", no_argument, NULL, O_RBAC},
        {"tls-cert-file", required_argument, NULL, O_CERT},
        {"tls-private-key-file", required_argument, NULL, O_KEY},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (serve_options){.address = "127.0.0.1", .cluster = {.seed = 1, .nodes = 3, .speed = 1.0}};
    unsigned long v;
    char *end;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "f:h", longs, NULL)) != -1) {
        switch (ch) {
        case O_LISTEN:
            if (!parse_listen(optarg, o))
                return bad_value("--listen", optarg);
            break;
        case O_PORT:
            if (!parse_ulong(optarg, 65535, &o->port))
                return bad_value("--port", optarg);
            break;
        case O_ADDRESS:
            if (!optarg[0] || strlen(optarg) >= sizeof o->address)
                return bad_value("--address", optarg);
            snprintf(o->address, sizeof o->address, "%s", optarg);
            break;
        case O_NODES:
            if (!parse_ulong(optarg, 5000, &v))
                return bad_value("--nodes", optarg);
            o->cluster.nodes = v;
            break;
        case O_SEED:
            if (!parse_ulong(optarg, ULONG_MAX, &v))
                return bad_value("--seed", optarg);
            o->cluster.seed = v;
            break;
        case O_SPEED:
            o->cluster.speed = strtod(optarg, &end);
            if (!optarg[0] || *end || !(o->cluster.speed > 0) || o->cluster.speed > 1e6)
                return bad_value("--speed", optarg);
            break;
        case O_KUBECONFIG:
            o->kubeconfig_out = optarg;
            break;
        case 'f':
            if (o->nfiles == MAX_FILES) {
                fprintf(stderr, "rcsim serve: at most %d -f files\n", MAX_FILES);
                return 2;
            }
            o->files[o->nfiles++] = optarg;
            break;
        case O_TOKENS:
            o->token_file = optarg;
            break;
        case O_RBAC:
            o->rbac = true;
            break;
        case O_CERT:
            o->cert = optarg;
            break;
        case O_KEY:
            o->key = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "rcsim serve: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    if (!o->cert != !o->key) {
        fprintf(stderr, "rcsim serve: --tls-cert-file and --tls-private-key-file go together\n");
        return 2;
    }
    return -1;
}

/* The token the kubeconfig carries: the first line of the token file whose groups include system:masters,
 * else the first line's. Malloc'd, or NULL when the file has none (the server reports a bad file). */
static char *admin_token(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char line[4096], *first = NULL, *admin = NULL;
    while (!admin && fgets(line, sizeof line, f)) {
        size_t n = strcspn(line, ",\r\n");
        if (n == 0 || line[n] != ',')
            continue;
        char *tok = strndup(line, n);
        if (tok && strstr(line + n, "system:masters"))
            admin = tok;
        else if (tok && !first)
            first = tok;
        else
            free(tok);
    }
    fclose(f);
    if (admin) {
        free(first);
        return admin;
    }
    return first;
}

/* Writes the kubeconfig for the served URL into path. */
static int write_kubeconfig(const serve_options *o, const char *url, const char *path, rc_error *err)
{
    char *token = o->token_file ? admin_token(o->token_file) : NULL;
    char *ca = o->cert ? realpath(o->cert, NULL) : NULL;
    rc_kubeconfig kc = {.context = "rcsim", .cluster_name = "rcsim", .user_name = "rcsim-admin",
                        .server = (char *)url, .token = token, .ca_file = ca};
    int rc = o->cert && !ca ? rc_error_set(err, RC_EIO, "%s: %s", o->cert, strerror(errno))
                            : rc_kubeconfig_write(path, &kc, err);
    free(token);
    free(ca);
    return rc;
}

static int apply_files(rcsim_cluster *c, const serve_options *o)
{
    for (size_t i = 0; i < o->nfiles; i++) {
        rcsim_applied *applied = NULL;
        size_t napplied = 0;
        int rc = rcsim_apply_file(c, o->files[i], stdout, &applied, &napplied);
        free(applied);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Serves until a signal stops the manager. */
static int serve(const serve_options *o, rcsim_cluster *c, const char *kubeconfig, rc_error *err)
{
    rc_http_options ho = {.listen_address = o->address, .port = (uint16_t)o->port, .tls_cert_file = o->cert,
                          .tls_key_file = o->key, .token_auth_file = o->token_file, .rbac = o->rbac,
                          .no_stepping = true, .clock = c->clock, .metrics = rc_manager_metrics(c->mgr)};
    rc_http_server *hs = rc_http_server_new(c->srv, &ho, err);
    int rc = hs ? rc_http_server_start(hs, err) : err->code ? err->code : RC_ENOMEM;
    char url[128] = "";
    if (rc == 0)
        rc = write_kubeconfig(o, rc_http_server_url(hs, url, sizeof url), kubeconfig, err);
    if (rc == 0)
        rc = rc_manager_stop_on_signals(c->mgr, err);
    if (rc == 0) {
        printf("rcsim: serving %s: %zu nodes, speed %g (SIGINT or SIGTERM stops)\n"
               "rcsim: kubeconfig: %s\n",
               url, o->cluster.nodes, o->cluster.speed, kubeconfig);
        fflush(stdout);
        rc = rc_manager_run(c->mgr, err);
    }
    rc_http_server_free(hs);
    return rc;
}

int rcsim_cmd_serve(int argc, char **argv)
{
    serve_options o;
    int status = parse_args(argc, argv, &o);
    if (status >= 0)
        return status;
    char kubeconfig[PATH_MAX];
    const char *tmpdir = getenv("TMPDIR");
    if (o.kubeconfig_out)
        snprintf(kubeconfig, sizeof kubeconfig, "%s", o.kubeconfig_out);
    else
        snprintf(kubeconfig, sizeof kubeconfig, "%s/rcsim-%ld.kubeconfig", tmpdir && tmpdir[0] ? tmpdir : "/tmp",
                 (long)getpid());
    o.cluster.start = rc_clock_now(rc_clock_real());
    rc_log_set_level(RC_LOG_WARN);
    rcsim_cluster c;
    rc_error err = {0};
    int rc = rcsim_cluster_new(&c, &o.cluster, &err);
    if (rc == 0)
        rc = rcsim_cluster_add_nodes(&c, o.cluster.nodes, &err);
    if (rc == 0)
        rc = rcsim_cluster_add_default_storage_class(&c, &err);
    if (rc == 0 && apply_files(&c, &o) != 0)
        rc = rc_error_set(&err, RC_EINVAL, "the manifests were not applied");
    if (rc == 0)
        rc = serve(&o, &c, kubeconfig, &err);
    if (rc)
        fprintf(stderr, "rcsim serve: %s\n", err.message ? err.message : rc_strerror(rc));
    else
        fprintf(stderr, "rcsim: stopped\n");
    if (!o.kubeconfig_out)
        unlink(kubeconfig);
    rcsim_cluster_free(&c);
    rc_error_clear(&err);
    return rc ? 1 : 0;
}
