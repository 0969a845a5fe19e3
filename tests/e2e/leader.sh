#!/bin/sh
# leader.sh BUILD - leader election across two processes over HTTP: two leader_client processes (the HTTP
# rc_client, a manager with a 2 s Lease and a ConfigMap controller that runs only while leading) against one
# `rcsim serve`. Exactly one leads and reconciles; killing it (SIGKILL, so the lease is not released) hands
# over to the other within the lease duration plus one retry period; a graceful stop releases the lease.
# Waits are on conditions with deadlines; every process started is killed at exit.
build=${1:-build}
if ! command -v kubectl >/dev/null 2>&1; then
    echo "leader.sh: skipped: kubectl not found"
    exit 0
fi
rcsim="$build/rcsim"
[ -x "$rcsim" ] || { echo "leader.sh: $rcsim not built" >&2; exit 1; }
tmp=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    for p in $pids; do wait "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
pass=0
fail=0
check() { # DESC CMD...
    desc=$1; shift
    if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $desc" >&2; fi
}
wait_for() { # SECONDS CMD...
    limit=$(( $(date +%s) + $1 )); shift
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$limit" ] || return 1
        sleep 0.05
    done
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

client="$tmp/leader_client"
# shellcheck disable=SC2046
if ! ${CC:-cc} -std=c11 -D_GNU_SOURCE -Iinclude -o "$client" tests/e2e/leader_client.c "$build/libreconcile.a" \
        $(pkg-config --cflags --libs yaml-0.1 libcjson libcurl libmicrohttpd) -lpthread -lm; then
    echo "leader.sh: cannot build leader_client" >&2
    exit 1
fi

"$rcsim" serve --listen 127.0.0.1:0 --nodes 1 --kubeconfig-out "$tmp/kc" >"$tmp/serve.log" 2>&1 &
pids="$pids $!"
wait_for 20 grep -q '^rcsim: kubeconfig: ' "$tmp/serve.log" || { cat "$tmp/serve.log" >&2; exit 1; }
k() { kubectl --kubeconfig "$tmp/kc" --cache-dir "$tmp/cache" --request-timeout=20s "$@"; }

"$client" "$tmp/kc" alpha >"$tmp/alpha.log" 2>&1 &
alpha=$!
"$client" "$tmp/kc" beta >"$tmp/beta.log" 2>&1 &
beta=$!
pids="$pids $alpha $beta"

leads() { grep -q "^$1 started leading" "$tmp/$1.log"; }
one_leads() { leads alpha || leads beta; }
check "a leader is elected" wait_for 20 one_leads
if leads alpha; then leader=alpha; leader_pid=$alpha; follower=beta; else leader=beta; leader_pid=$beta; follower=alpha; fi
check "only one leads" sh -c "! grep -q 'started leading' '$tmp/$follower.log'"

stamped_by() { # NAME IDENTITY
    [ "$(k get configmap "$1" -o 'jsonpath={.metadata.annotations.e2e\.reconcile\.io/reconciled-by}' 2>/dev/null)" = "$2" ]
}
# `kubectl create configmap` posts protobuf, which the server decodes only for SelfSubjectAccessReview.
configmap() { printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\ndata: {k: v}\n' "$1" | k apply -f - >/dev/null; }
configmap first
check "the leader reconciles" wait_for 20 stamped_by first "$leader"
check "the follower does not reconcile" sh -c "! grep -q 'reconciled' '$tmp/$follower.log'"

# Hand-over: the leader dies without releasing; the follower takes over once the lease expires.
t0=$(now_ms)
kill -9 "$leader_pid"
check "the follower takes over" wait_for 20 leads "$follower"
elapsed=$(( $(now_ms) - t0 ))
echo "leader.sh: hand-over took ${elapsed} ms"
check "hand-over within lease duration + retry period (${elapsed} ms)" [ "$elapsed" -le 3500 ]
configmap second
check "the new leader reconciles" wait_for 20 stamped_by second "$follower"
check "and re-stamps what the old leader did" wait_for 20 stamped_by first "$follower"

# A graceful stop releases the lease (holderIdentity emptied).
follower_pid=$([ "$follower" = alpha ] && echo "$alpha" || echo "$beta")
kill -TERM "$follower_pid"
wait "$follower_pid" 2>/dev/null
check "a stopped leader says so" grep -q "^$follower stopped leading" "$tmp/$follower.log"
check "the lease is released" [ -z "$(k get lease leader-e2e -o 'jsonpath={.spec.holderIdentity}')" ]

echo "leader.sh: $pass passed, $fail failed"
[ "$fail" = 0 ]
