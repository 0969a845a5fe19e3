#!/bin/sh
# trace_determinism.sh BUILD - the same seed gives a byte-identical `rcsim run --trace` whatever the heap
# addresses: a faulted run (conflicts, dropped watches, node failures) over a Deployment rollout, a
# StatefulSet, a DaemonSet and a Job is compared with and without address-space randomisation (setarch -R)
# and, when RC_TRACE_OTHER_BUILD names another build directory (e.g. build/asan), with that build's rcsim.
build=${1:-build}
other=${RC_TRACE_OTHER_BUILD:-}
m=examples/manifests
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

trace() { # trace RCSIM OUT [PREFIX...]
    bin=$1 out=$2
    shift 2
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} "$@" "$bin" run --nodes 5 --seed 4 \
        -f $m/nginx-deployment.yaml -f $m/nginx-deployment-v2.yaml -f $m/web-statefulset.yaml \
        -f $m/nginx-headless-service.yaml -f $m/fluentd-daemonset.yaml -f $m/job-pi.yaml \
        --faults conflict=0.2,drop-watch=7,node-notready=node-2@30s,node-ready=node-2@200s,node-remove=node-3@100s \
        --trace "$out" > /dev/null || fail "$bin run exited non-zero"
}

[ -x "$build/rcsim" ] || fail "$build/rcsim not built"
trace "$build/rcsim" "$tmp/aslr"
[ "$(wc -l < "$tmp/aslr")" -gt 200 ] || fail "trace too short to prove anything"
if setarch -R true 2>/dev/null; then
    trace "$build/rcsim" "$tmp/no-aslr" setarch -R
    cmp "$tmp/aslr" "$tmp/no-aslr" || fail "trace differs without address-space randomisation"
fi
if [ -n "$other" ]; then
    [ -x "$other/rcsim" ] || fail "$other/rcsim not built"
    trace "$other/rcsim" "$tmp/other"
    cmp "$tmp/aslr" "$tmp/other" || fail "trace differs between $build and $other"
fi
echo "trace_determinism: ok"
