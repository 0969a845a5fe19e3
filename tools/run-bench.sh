#!/bin/sh
# run-bench.sh BUILD - `make bench`: runs every benchmark program in BUILD/bench, then the end-to-end
# figures (tools/bench-e2e.sh), prints one line per figure
#     BENCH <name> <metric>=<value> <unit> floor=<value> ratio=<value/floor>
# and writes BUILD/bench.json from those lines. Every figure is a median of 3 runs: the programs in
# SELF_MEDIAN run their workloads 3 times and print medians themselves; every other program is run 3
# times here and each figure's value and floor are the medians over the runs (ratio recomputed).
# Timings are never pass/fail. RC_BENCH_ONLY="bench_http bench_e2e" limits what runs.
build=${1:-build}
runs=${RC_BENCH_RUNS:-3}
out="$build/bench.json"
lines="$build/bench.lines"
SELF_MEDIAN="bench_workqueue bench_store bench_informer bench_http"

wanted() { [ -z "$RC_BENCH_ONLY" ] || case " $RC_BENCH_ONLY " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# medians: BENCH lines of several runs on stdin -> one line per figure, in first-seen order.
medians() {
    awk '/^BENCH / {
        if (!($2 in n)) order[++k] = $2
        i = ++n[$2]; metric[$2] = $3; unit[$2] = $4
        split($3, mv, "="); split($5, fv, "=")
        val[$2, i] = mv[2]; flo[$2, i] = fv[2]
    }
    function med(name, arr,    m, i, j, t, v) {
        m = n[name]
        for (i = 1; i <= m; i++) v[i] = arr[name, i]
        for (i = 2; i <= m; i++)
            for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
        return v[int((m + 1) / 2)]
    }
    END {
        for (o = 1; o <= k; o++) {
            name = order[o]; split(metric[name], mv, "=")
            v = med(name, val); f = med(name, flo)
            printf("BENCH %s %s=%s %s floor=%s ratio=%.3f\n", name, mv[1], v, unit[name], f, f + 0 ? v / f : 0)
        }
    }'
}

: > "$lines"
status=0
for b in "$build"/bench/*; do
    [ -x "$b" ] || continue
    name=$(basename "$b")
    wanted "$name" || continue
    case " $SELF_MEDIAN " in
    *" $name "*)
        "$b" | tee -a "$lines" || status=1 ;;
    *)
        r=0; : > "$lines.runs"
        while [ $r -lt "$runs" ]; do
            "$b" >> "$lines.runs" || status=1
            r=$((r + 1))
        done
        medians < "$lines.runs" | tee -a "$lines"
        rm -f "$lines.runs" ;;
    esac
done
if wanted bench_e2e; then
    RC_BENCH_RUNS=$runs sh "$(dirname "$0")/bench-e2e.sh" "$build" | tee -a "$lines"
fi

awk 'BEGIN { print "[" } /^BENCH / {
    name=$2; split($3, mv, "="); unit=$4; split($5, f, "="); split($6, r, "=");
    if (n++) printf(",\n");
    printf("  {\"name\": \"%s\", \"metric\": \"%s\", \"value\": %s, \"unit\": \"%s\", \"floor\": %s, \"ratio\": %s}",
           name, mv[1], mv[2], unit, f[2] == "" ? "null" : f[2], r[2] == "" ? "null" : r[2]) }
    END { print "\n]" }' "$lines" > "$out"
echo "wrote $out"
exit $status
