#!/bin/sh
# soak.sh BUILD SEEDS - runs the fault-injection soak (BUILD/soak/soak, from tests/soak/) for seeds 1..SEEDS
# with leak detection on. Every failure is printed by the driver with its seed and the command that replays
# it; this script adds the wall time and exits non-zero when anything failed.
build=${1:-build/asan}
seeds=${2:-3}
bin="$build/soak/soak"
[ -x "$bin" ] || { echo "soak: $bin is not built (make soak)" >&2; exit 2; }
start=$(date +%s)
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    "$bin" --seeds "$seeds"
rc=$?
echo "soak: $seeds seeds per scenario in $(( $(date +%s) - start ))s, $([ $rc = 0 ] && echo passed || echo FAILED)"
exit $rc
