/* soak_main.c - the soak driver: `soak [--seeds N] [--seed S] [--scenario NAME]` runs every scenario (or
 * one) for seeds 1..N (or the one seed S) and prints one line per scenario with the seeds run, the faults
 * injected, the manager restarts and the writes checked. Exits non-zero when any seed failed; each failure
 * was printed with its seed and the command reproducing it. SOAK_LOG=1 turns the library's log on,
 * SOAK_DEBUG=1 prints every injected fault. A seed replays byte for byte whatever the heap addresses (ASLR, ASan):
 * the library orders nothing by address (tests/test_determinism.c). */
#include "soak/soak.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct scenario {
    const char *name;
    int (*run)(uint64_t seed);
} scenario;

static const scenario scenarios[] = {
    {"deployment", soak_deployment},
    {"statefulset", soak_statefulset},
    {"daemonset", soak_daemonset},
    {"job", soak_job},
    {"cronjob", soak_cronjob},
};

static int usage(void)
{
    fprintf(stderr, "usage: %s [--seeds N] [--seed S] [--scenario deployment|statefulset|daemonset|job|cronjob]\n",
            soak_program);
    return 2;
}

int main(int argc, char **argv)
{
    soak_program = argv[0];
    uint64_t first = 1, last = 3;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && !strcmp(argv[i], "--seeds")) {
            last = strtoull(argv[++i], NULL, 10);
        } else if (i + 1 < argc && !strcmp(argv[i], "--seed")) {
            first = last = strtoull(argv[++i], NULL, 10);
        } else if (i + 1 < argc && !strcmp(argv[i], "--scenario")) {
            only = argv[++i];
        } else {
            return usage();
        }
    }
    rc_log_set_level(getenv("SOAK_LOG") ? RC_LOG_INFO : RC_LOG_OFF);
    int failed = 0;
    bool known = only == NULL;
    for (size_t s = 0; s < sizeof scenarios / sizeof *scenarios; s++) {
        if (only && strcmp(only, scenarios[s].name))
            continue;
        known = true;
        int bad = 0;
        for (uint64_t seed = first; seed <= last; seed++)
            bad += scenarios[s].run(seed) != 0;
        uint64_t faults, restarts, writes;
        soak_totals(&faults, &restarts, &writes);
        printf("soak: %-12s seeds %llu..%llu: %d failed (%llu faults injected, %llu manager restarts, %llu writes "
               "checked)\n",
               scenarios[s].name, (unsigned long long)first, (unsigned long long)last, bad, (unsigned long long)faults,
               (unsigned long long)restarts, (unsigned long long)writes);
        failed += bad;
    }
    if (!known)
        return usage();
    return failed ? 1 : 0;
}
