#!/bin/sh
# run-bench.sh BUILD - runs every benchmark program in BUILD/bench; each prints BENCH lines and JSON
# fragments; this collects the lines and writes BUILD/bench.json.
build=${1:-build}
out="$build/bench.json"
tmp="$build/bench.lines"
: > "$tmp"
for b in "$build"/bench/*; do
    [ -x "$b" ] || continue
    "$b" | tee -a "$tmp" || exit 1
done
awk 'BEGIN { print "[" } /^BENCH / {
    name=$2; split($3, mv, "="); unit=$4; split($5, f, "="); split($6, r, "=");
    if (n++) printf(",\n");
    printf("  {\"name\": \"%s\", \"metric\": \"%s\", \"value\": %s, \"unit\": \"%s\", \"floor\": %s, \"ratio\": %s}",
           name, mv[1], mv[2], unit, f[2] == "" ? "null" : f[2], r[2] == "" ? "null" : r[2]) }
    END { print "\n]" }' "$tmp" > "$out"
echo "wrote $out"
