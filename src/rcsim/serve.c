/* serve.c - `rcsim serve`: the embedded API server and a simulated cluster on a scaled real clock,
 * served over HTTP to kubectl (rc_http_server). Stops on SIGINT/SIGTERM. See rcsim(1). */
#include "rcsim.h"

#include <reconcile/httpserver.h>

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

int rcsim_cmd_serve(int argc, char **argv)
{
    static const struct option longs[] = {
        {"port", required_argument, NULL, 'p'},  {"address", required_argument, NULL, 'a'},
        {"nodes", required_argument, NULL, 'n'}, {"seed", required_argument, NULL, 's'},
        {"speed", required_argument, NULL, 'x'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    rc_http_options ho = {0};
    rcsim_cluster_options co = {.seed = 1, .nodes = 3, .speed = 1.0};
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "p:h", longs, NULL)) != -1) {
        switch (ch) {
        case 'p':
            ho.port = (uint16_t)strtoul(optarg, NULL, 10);
            break;
        case 'a':
            ho.listen_address = optarg;
            break;
        case 'n':
            co.nodes = strtoull(optarg, NULL, 10);
            break;
        case 's':
            co.seed = strtoull(optarg, NULL, 10);
            break;
        case 'x':
            co.speed = atof(optarg);
            if (co.speed <= 0) {
                fprintf(stderr, "rcsim serve: --speed must be positive\n");
                return 2;
            }
            break;
        case 'h':
            printf("Usage: rcsim serve [--port N] [--address IP] [--nodes N] [--seed S] [--speed X]\n");
            return 0;
        default:
            return 2;
        }
    }
    rc_log_set_level(RC_LOG_WARN);
    rcsim_cluster c;
    rc_error err = {0};
    rc_http_server *hs = NULL;
    int rc = rcsim_cluster_new(&c, &co, &err);
    if (rc == 0)
        rc = rcsim_cluster_add_nodes(&c, co.nodes, &err);
    if (rc == 0 && !(hs = rc_http_server_new(c.srv, &ho, &err)))
        rc = err.code ? err.code : RC_ENOMEM;
    if (rc == 0)
        rc = rc_http_server_start(hs, &err);
    if (rc == 0)
        rc = rc_manager_stop_on_signals(c.mgr, &err);
    if (rc == 0) {
        char url[128];
        printf("rcsim: serving on %s (Ctrl-C stops)\n", rc_http_server_url(hs, url, sizeof url));
        fflush(stdout);
        rc = rc_manager_run(c.mgr, &err);
    }
    if (rc)
        fprintf(stderr, "rcsim serve: %s\n", err.message ? err.message : rc_strerror(rc));
    rc_http_server_free(hs);
    rcsim_cluster_free(&c);
    rc_error_clear(&err);
    return rc ? 1 : 0;
}
