/* main.c - the rcsim command: `rcsim run` simulates a cluster on a virtual clock and applies manifests
 * to it; `rcsim serve` serves the embedded API server to kubectl. See rcsim(1). */
#include "rcsim.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out, "Usage: rcsim COMMAND [OPTIONS]\n\n"
                 "Commands:\n"
                 "  run     apply manifests to a simulated cluster on a virtual clock and print the result\n"
                 "  serve   serve the embedded API server (and a simulated cluster) to kubectl\n"
                 "  version print the version\n\n"
                 "Run 'rcsim COMMAND --help' for a command's options; see rcsim(1).\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "run"))
        return rcsim_cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "serve"))
        return rcsim_cmd_serve(argc - 1, argv + 1);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("rcsim %s\n", rc_version());
        return 0;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "rcsim: unknown command \"%s\"\n", cmd);
    usage(stderr);
    return 2;
}
