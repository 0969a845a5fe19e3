/* http_serve.c - a small stand-in for `rcsim serve` used by tests/e2e/kubectl.sh until rcsim exists: an
 * embedded API server (no controllers) served over HTTP(S) by rc_http_server. It applies the manifests
 * given with -f, writes a kubeconfig, prints its path, and runs until SIGINT/SIGTERM.
 *
 *   http_serve [--listen ADDR:PORT] [--kubeconfig-out FILE] [--port-file FILE] [-f FILE]...
 *              [--token-auth-file FILE] [--token TOKEN] [--rbac]
 *              [--tls-cert-file F --tls-private-key-file K]
 *
 * Built by the e2e script: cc -Iinclude tests/e2e/http_serve.c BUILD/libreconcile.a $(pkg-config ...). */
#include <reconcile.h>
#include <reconcile/apiserver.h>
#include <reconcile/httpserver.h>
#include <reconcile/kubeconfig.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILES 32

typedef struct args {
    char address[64];
    unsigned port;
    const char *kubeconfig_out, *port_file, *token_file, *token, *cert, *key;
    const char *files[MAX_FILES];
    size_t nfiles;
    bool rbac;
} args;

static int usage(void)
{
    fprintf(stderr, "usage: http_serve [--listen ADDR:PORT] [--kubeconfig-out FILE] [--port-file FILE] "
                    "[-f FILE]... [--token-auth-file FILE] [--token TOKEN] [--rbac] "
                    "[--tls-cert-file F --tls-private-key-file K]\n");
    return 2;
}

static int parse_args(int argc, char **argv, args *a)
{
    *a = (args){.address = "127.0.0.1"};
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = strcmp(o, "--rbac") != 0;
        if (takes && !v)
            return usage();
        if (!strcmp(o, "--listen")) {
            if (sscanf(v, "%63[^:]:%u", a->address, &a->port) != 2)
                return usage();
        } else if (!strcmp(o, "--kubeconfig-out")) {
            a->kubeconfig_out = v;
        } else if (!strcmp(o, "--port-file")) {
            a->port_file = v;
        } else if (!strcmp(o, "-f") && a->nfiles < MAX_FILES) {
            a->files[a->nfiles++] = v;
        } else if (!strcmp(o, "--token-auth-file")) {
            a->token_file = v;
        } else if (!strcmp(o, "--token")) {
            a->token = v;
        } else if (!strcmp(o, "--tls-cert-file")) {
            a->cert = v;
        } else if (!strcmp(o, "--tls-private-key-file")) {
            a->key = v;
        } else if (!strcmp(o, "--rbac")) {
            a->rbac = true;
        } else {
            return usage();
        }
        i += takes;
    }
    return 0;
}

static int apply_file(rc_apiserver *srv, const char *path)
{
    rc_error err = {0};
    rc_object_list objs;
    rc_object_list_init(&objs);
    rc_client *c = rc_apiserver_client(srv, NULL);
    int rc = rc_decode_objects_file(path, NULL, &objs, &err);
    for (size_t i = 0; rc == 0 && i < objs.count; i++)
        rc = rc_client_create(c, NULL, NULL, objs.items[i], NULL, NULL, &err);
    if (rc != 0)
        fprintf(stderr, "http_serve: %s: %s\n", path, err.message ? err.message : rc_strerror(rc));
    rc_object_list_clear(&objs);
    rc_client_unref(c);
    rc_error_clear(&err);
    return rc;
}

static int write_outputs(const args *a, rc_http_server *hs)
{
    char url[128];
    rc_http_server_url(hs, url, sizeof url);
    rc_error err = {0};
    if (a->kubeconfig_out) {
        rc_kubeconfig kc = {.server = url, .token = (char *)a->token, .ca_file = (char *)a->cert,
                            .insecure_skip_tls_verify = false};
        if (rc_kubeconfig_write(a->kubeconfig_out, &kc, &err) != 0) {
            fprintf(stderr, "http_serve: %s\n", err.message);
            rc_error_clear(&err);
            return 1;
        }
        printf("kubeconfig: %s\n", a->kubeconfig_out);
    }
    if (a->port_file) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", a->port_file);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%u\n", (unsigned)rc_http_server_port(hs)) < 0 || fclose(f) != 0 ||
            rename(tmp, a->port_file) != 0) {
            fprintf(stderr, "http_serve: cannot write %s\n", a->port_file);
            return 1;
        }
    }
    printf("serving %s\n", url);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    args a;
    if (parse_args(argc, argv, &a) != 0)
        return 2;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* before any thread starts: only sigwait sees them */
    rc_error err = {0};
    rc_apiserver_options so = {.auto_pump = true};
    rc_apiserver *srv = rc_apiserver_new(&so, &err);
    if (!srv) {
        fprintf(stderr, "http_serve: %s\n", err.message);
        return 1;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < a.nfiles; i++)
        rc = apply_file(srv, a.files[i]);
    rc_http_options ho = {.listen_address = a.address, .port = (uint16_t)a.port, .token_auth_file = a.token_file,
                          .rbac = a.rbac, .tls_cert_file = a.cert, .tls_key_file = a.key};
    rc_http_server *hs = rc == 0 ? rc_http_server_new(srv, &ho, &err) : NULL;
    if (rc == 0 && (!hs || rc_http_server_start(hs, &err) != 0)) {
        fprintf(stderr, "http_serve: %s\n", err.message ? err.message : "cannot start");
        rc = 1;
    }
    if (rc == 0 && write_outputs(&a, hs) == 0) {
        int sig;
        sigwait(&set, &sig);
    } else {
        rc = 1;
    }
    rc_http_server_free(hs);
    rc_apiserver_free(srv);
    rc_error_clear(&err);
    return rc ? 1 : 0;
}
