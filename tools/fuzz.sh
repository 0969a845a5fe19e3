#!/bin/sh
# fuzz.sh BUILD SECONDS - runs every libFuzzer harness in BUILD/fuzz for SECONDS each, seeded from
# fuzz/seeds/<name>/, the example manifests and the recorded kubectl wire fixtures. New inputs are kept in
# BUILD/fuzz/corpus/<name>/; crashes are written to BUILD/fuzz/crash-* and fail the run.
# FUZZ_RUNS=N runs N inputs per harness instead of a time budget, and FUZZ_SEED=S fixes libFuzzer's seed:
# together they make a smoke run repeatable (CI uses them). FUZZ_SKIP="name ..." leaves harnesses out.
build=${1:-build/fuzz}
secs=${2:-60}
fixtures=../shared/fixtures/kubectl-wire
status=0
for h in "$build"/fuzz/fuzz_*; do
    [ -x "$h" ] || continue
    name=$(basename "$h" | sed 's/^fuzz_//')
    case " $FUZZ_SKIP " in *" $name "*) echo "fuzz: $name skipped"; continue ;; esac
    corpus="$build/fuzz/corpus/$name"
    mkdir -p "$corpus"
    seeds=""
    [ -d "fuzz/seeds/$name" ] && seeds="fuzz/seeds/$name"
    case "$name" in
        codec)
            seeds="$seeds examples/manifests tests/data/good tests/data/bad"
            [ -d "$fixtures/responses" ] && seeds="$seeds $fixtures/responses $fixtures/manifests" ;;
    esac
    if [ -n "$FUZZ_RUNS" ]; then echo "fuzz: $name for $FUZZ_RUNS runs"; else echo "fuzz: $name for ${secs}s"; fi
    budget="-max_total_time=$secs"
    [ -n "$FUZZ_RUNS" ] && budget="-runs=$FUZZ_RUNS"
    [ -n "$FUZZ_SEED" ] && budget="$budget -seed=$FUZZ_SEED"
    out=$("$h" $budget -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$build/fuzz/crash-$name-" "$corpus" $seeds 2>&1)
    rc=$?
    echo "$out" | grep -aE '^(#[0-9]+[[:space:]]+DONE|Done [0-9]+ runs)' | tail -2
    if [ $rc -ne 0 ]; then
        echo "$out" | tail -40
        echo "fuzz: $name FAILED (see $build/fuzz/crash-$name-*)"
        status=1
    fi
done
exit $status
