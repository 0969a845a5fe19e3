#!/bin/sh
# bench-e2e.sh BUILD - the end-to-end figures of issue 13, measured on BUILD/rcsim (called by
# tools/run-bench.sh; prints BENCH lines, diagnostics on stderr):
#   E1  `rcsim run --nodes 1000`: a 10,000-replica Deployment created, then rolled to a new image
#   E2  `rcsim run --nodes 1000`: 100 Deployments x 100 replicas created, then all rolled at once
# Each reports wall seconds and peak RSS (MiB) of the whole rcsim process, median of RC_BENCH_RUNS runs
# (default 3), and on stderr the CPU seconds (less sensitive to a busy machine than wall time). There is
# no plain-C equivalent of a cluster simulation, so `floor` is the issue's target (10 s wall, 2 GiB peak
# RSS) and ratio <= 1 meets it. A run that fails or exceeds RC_BENCH_E2E_TIMEOUT
# seconds (default 120) prints no BENCH line for its figure, only a diagnostic.
build=${1:-build}
rcsim="$build/rcsim"
runs=${RC_BENCH_RUNS:-3}
limit=${RC_BENCH_E2E_TIMEOUT:-120}
nodes=${RC_BENCH_E2E_NODES:-1000}
if [ ! -x "$rcsim" ]; then
    echo "# bench-e2e: $rcsim not built, E1/E2 skipped" >&2
    exit 0
fi
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT INT TERM

# deployment NAME REPLICAS IMAGE - one Deployment manifest document on stdout.
deployment() {
    cat <<EOF
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: $1
  namespace: default
spec:
  replicas: $2
  selector:
    matchLabels: {app: $1}
  template:
    metadata:
      labels: {app: $1}
    spec:
      containers:
      - name: nginx
        image: $3
        resources:
          requests: {cpu: 10m, memory: 16Mi}
EOF
}

deployment web 10000 nginx:1.25 > "$dir/e1-create.yaml"
deployment web 10000 nginx:1.26 > "$dir/e1-roll.yaml"
i=0
while [ $i -lt 100 ]; do
    deployment "app-$i" 100 nginx:1.25 >> "$dir/e2-create.yaml"
    deployment "app-$i" 100 nginx:1.26 >> "$dir/e2-roll.yaml"
    i=$((i + 1))
done

# median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }

# figure NAME CREATE ROLL - runs rcsim `runs` times; prints the figure's two BENCH lines.
figure() {
    name=$1; : > "$dir/times"
    r=0
    while [ $r -lt "$runs" ]; do
        if ! /usr/bin/time -f "%e %M %U %S" -o "$dir/time" timeout "$limit" "$rcsim" run --nodes "$nodes" \
            -f "$2" -f "$3" > "$dir/out" 2> "$dir/err"; then
            echo "# bench-e2e: $name failed or exceeded ${limit}s (run $((r + 1))); last lines:" >&2
            tail -n 3 "$dir/err" "$dir/out" >&2
            return 0
        fi
        tail -n 1 "$dir/time" >> "$dir/times"
        r=$((r + 1))
    done
    wall=$(awk '{ print $1 }' "$dir/times" | median)
    rss=$(awk '{ printf("%.1f\n", $2 / 1024) }' "$dir/times" | median)
    cpu=$(awk '{ print $3 + $4 }' "$dir/times" | median)
    echo "# $name: median CPU (user+sys) ${cpu}s, all runs (wall KiB user sys): $(tr '\n' ';' < "$dir/times")" >&2
    echo "BENCH ${name}_wall wall_s=$wall s floor=10 ratio=$(awk -v v="$wall" 'BEGIN { printf("%.3f", v / 10) }')"
    echo "BENCH ${name}_peak_rss rss_mib=$rss MiB floor=2048 ratio=$(awk -v v="$rss" 'BEGIN { printf("%.3f", v / 2048) }')"
}

figure E1_rcsim_deploy_10k_roll "$dir/e1-create.yaml" "$dir/e1-roll.yaml"
figure E2_rcsim_100x100_roll "$dir/e2-create.yaml" "$dir/e2-roll.yaml"
