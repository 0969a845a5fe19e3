#!/bin/sh
# bench-ab.sh A B [N] [FIGURE] - compares two builds of one benchmark program on a noisy machine: runs
# `A FIGURE` and `B FIGURE` alternately N times (default 6; FIGURE defaults to W1, an argument the
# program takes, e.g. bench_workqueue's W1..W4) and prints each side's median and every value of the
# figure's BENCH line. Alternating spreads the machine's slow and fast phases over both sides, so a
# difference that holds across a few runs is the code's; a single pass of `make bench` cannot tell 10 %
# apart on a VM whose floors move by 25 %. Typical use: copy build/bench/bench_workqueue aside, change the
# code, rebuild, and compare the two binaries.
set -eu
a=$1 b=$2 n=${3:-6} figure=${4:-W1}
value() { "$1" "$figure" | awk -v f="${figure}_" 'index($2, f) == 1 { split($3, v, "="); print v[2] }'; }
i=0
while [ "$i" -lt "$n" ]; do
    echo "A $(value "$a")"
    echo "B $(value "$b")"
    i=$((i + 1))
done | awk '{ v[$1] = v[$1] " " $2; n[$1]++; x[$1, n[$1]] = $2 }
    END {
        for (s = 1; s <= 2; s++) {
            k = s == 1 ? "A" : "B"
            m = n[k]
            for (i = 1; i <= m; i++) w[i] = x[k, i]
            for (i = 2; i <= m; i++)
                for (j = i; j > 1 && w[j - 1] + 0 > w[j] + 0; j--) { t = w[j]; w[j] = w[j - 1]; w[j - 1] = t }
            printf("%s median %s:%s\n", k, w[int((m + 1) / 2)], v[k])
        }
    }'
