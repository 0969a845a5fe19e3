#!/bin/sh
# kubectl.sh BUILD - end-to-end test of rc_http_server with the real kubectl: starts the embedded API server
# over HTTP on an ephemeral loopback port (tests/e2e/http_serve.c, a stand-in for `rcsim serve` until it
# exists; no controllers run, so rollouts are not checked here), drives it with kubectl against the example
# manifests, then checks RBAC with impersonation, and TLS with token authentication. Waits are on
# conditions with deadlines; every server started is killed at exit. Skips only when kubectl is absent.
build=${1:-build}
if ! command -v kubectl >/dev/null 2>&1; then
    echo "kubectl.sh: skipped: kubectl not found"
    exit 0
fi
root=$(pwd)
man="$root/examples/manifests"
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
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# wait_for SECONDS CMD...: polls CMD until it succeeds or the deadline passes.
wait_for() {
    limit=$(( $(date +%s) + $1 )); shift
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$limit" ] || return 1
        sleep 0.1
    done
}

serve="$tmp/http_serve"
# shellcheck disable=SC2046
if ! ${CC:-cc} -std=c11 -D_GNU_SOURCE -I"$root/include" -o "$serve" "$root/tests/e2e/http_serve.c" \
        "$build/libreconcile.a" $(pkg-config --cflags --libs yaml-0.1 libcjson libcurl libmicrohttpd) \
        -lpthread -lm; then
    echo "kubectl.sh: cannot build the test server" >&2
    exit 1
fi

# start NAME ARGS...: runs a server writing $tmp/NAME.kubeconfig; waits until it listens.
start() {
    name=$1; shift
    "$serve" --listen 127.0.0.1:0 --kubeconfig-out "$tmp/$name.kubeconfig" --port-file "$tmp/$name.port" "$@" \
        >"$tmp/$name.log" 2>&1 &
    pids="$pids $!"
    wait_for 20 test -s "$tmp/$name.port" || { echo "kubectl.sh: server $name did not start" >&2; cat "$tmp/$name.log" >&2; exit 1; }
}

k() { kubectl --kubeconfig "$kc" --cache-dir "$tmp/cache-$(basename "$kc")" --request-timeout=30s "$@"; }

# expect DESC PATTERN CMD...: CMD succeeds and its output matches the extended regex PATTERN.
expect() {
    desc=$1; pat=$2; shift 2
    if out=$("$@" 2>&1) && printf '%s\n' "$out" | grep -Eq -- "$pat"; then ok; else bad "$desc: got: $out"; fi
}
# expect_fail DESC PATTERN CMD...: CMD fails and its output matches PATTERN.
expect_fail() {
    desc=$1; pat=$2; shift 2
    if out=$("$@" 2>&1); then bad "$desc: unexpectedly succeeded: $out"
    elif printf '%s\n' "$out" | grep -Eq -- "$pat"; then ok; else bad "$desc: got: $out"; fi
}

# ---- the main server: admin, plain HTTP ----
start main
kc="$tmp/main.kubeconfig"
dep=nginx-deployment

expect "version" 'Server Version: v1\.32' k version
expect "create" "deployment.apps/$dep created" k create -f "$man/nginx-deployment.yaml"
expect_fail "create again" 'AlreadyExists' k create -f "$man/nginx-deployment.yaml"
expect "get table" "^$dep +0/2 +0 +0 " k get deployments
expect "get wide" 'IMAGES.*SELECTOR' k get deploy -o wide
expect "get json" '"kind": "Deployment"' k get deploy "$dep" -o json
expect "get yaml" 'kind: Deployment' k get deploy -o yaml
expect "apply client-side" "deployment.apps/$dep configured" k apply -f "$man/nginx-deployment-v2.yaml"
expect "apply unchanged" "deployment.apps/$dep unchanged" k apply -f "$man/nginx-deployment-v2.yaml"
expect "apply server-side" 'statefulset.apps/web serverside-applied' k apply --server-side -f "$man/web-statefulset.yaml"
expect "apply server-side again" 'statefulset.apps/web serverside-applied' k apply --server-side -f "$man/web-statefulset.yaml"
expect "create daemonset" 'daemonset.apps/fluentd-elasticsearch created' k create -f "$man/fluentd-daemonset.yaml"
expect "create job" 'job.batch/pi created' k create -f "$man/job-pi.yaml"
expect "create cronjob" 'cronjob.batch/hello created' k create -f "$man/cronjob-hello.yaml"
expect "get several kinds" 'statefulset.apps/web' k get deploy,sts,ds,job,cronjob -A
expect "get -l" "^$dep " k get deploy -l "app=$dep"
expect "get -l none" 'No resources found' k get deploy -l app=nope
expect "field selector" '^web ' k get sts --field-selector metadata.name=web
expect "all namespaces" 'NAMESPACE +NAME' k get deploy -A --show-labels
expect "show labels" "app=$dep" k get deploy -A --show-labels
expect "describe" 'Replicas: +[0-9]+ desired' k describe deployment "$dep"
expect "scale" "deployment.apps/$dep scaled" k scale deployment "$dep" --replicas=5
expect "scaled" '^5$' k get deploy "$dep" -o jsonpath='{.spec.replicas}'
expect "set image" 'image updated' k set image "deployment/$dep" nginx=nginx:1.25
expect "image set" '^nginx:1\.25$' k get deploy "$dep" -o jsonpath='{.spec.template.spec.containers[0].image}'
expect "patch json" 'patched' k patch sts web --type=json -p '[{"op":"replace","path":"/spec/replicas","value":3}]'
expect "patch merge" 'patched' k patch sts web --type=merge -p '{"metadata":{"labels":{"tier":"web"}}}'
expect "patch strategic" 'patched' k patch sts web -p '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.25"}]}}}}'
expect "patch no change" 'patched \(no change\)' k patch sts web --type=merge -p '{"metadata":{"labels":{"tier":"web"}}}'
expect "patched" '^3 nginx:1\.25 web$' k get sts web -o jsonpath='{.spec.replicas} {.spec.template.spec.containers[0].image} {.metadata.labels.tier}'
expect_fail "patch invalid" 'invalid' k patch sts web --type=json -p '[{"op":"remove","path":"/spec/nope"}]'
expect "label" 'labeled' k label deploy "$dep" owner=team-a
expect "annotate" 'annotated' k annotate deploy "$dep" note=hello
expect "label+annotation" '^team-a hello$' k get deploy "$dep" -o jsonpath='{.metadata.labels.owner} {.metadata.annotations.note}'
expect "api-resources" 'deployments +deploy +apps/v1 +true +Deployment' k api-resources
expect "explain" 'KIND: +Deployment' k explain deployment
expect "crd" 'customresourcedefinition.apiextensions.k8s.io/networks.samplecrd.k8s.io created' k create -f "$man/network-crd.yaml"
wait_for 20 k get networks || bad "the CRD's resource never appeared"
expect "custom resource" 'network.samplecrd.k8s.io/example-network created' k apply -f "$man/example-network.yaml"
expect "get custom resource" '^example-network ' k get networks
expect "custom resource json" '"cidr": "192.168.0.0/16"' k get network example-network -o json

# get -w: the table rows of later changes stream in; the server never ends the watch itself.
watch_out="$tmp/watch.out"
k get deploy -w >"$watch_out" 2>&1 &
watch_pid=$!
pids="$pids $watch_pid"
wait_for 20 grep -q "^$dep " "$watch_out" || bad "get -w printed no initial rows"
k scale deploy "$dep" --replicas=6 >/dev/null 2>&1
wait_for 20 grep -Eq "^$dep +0/6 " "$watch_out" && ok || bad "get -w missed the scale: $(cat "$watch_out")"
kill -0 "$watch_pid" 2>/dev/null && ok || bad "get -w exited on its own"
kill "$watch_pid" 2>/dev/null

# deletes: background removes at once; orphan and foreground wait for the garbage collector (finalizers).
expect "delete orphan" 'deleted' k delete ds fluentd-elasticsearch -n kube-system --cascade=orphan --wait=false
expect "orphan finalizer" 'orphan' k get ds fluentd-elasticsearch -n kube-system -o jsonpath='{.metadata.finalizers}'
expect "delete foreground" 'deleted' k delete job pi --cascade=foreground --wait=false
expect "foreground finalizer" 'foregroundDeletion' k get job pi -o jsonpath='{.metadata.finalizers}'
expect "delete background" "deployment.apps \"$dep\" deleted" k delete deploy "$dep" --cascade=background
expect_fail "deleted" 'NotFound' k get deploy "$dep"
expect_fail "delete missing" 'NotFound' k delete deploy "$dep"

# ---- python3-kubernetes, a second independent client: list, watch, create, patch ----
py=""
for cand in python3 /usr/bin/python3; do
    if "$cand" -c 'import kubernetes' >/dev/null 2>&1; then py=$cand; break; fi
done
if [ -n "$py" ]; then
    expect "python client" '^python ok$' "$py" - "$kc" <<'EOF'
import sys
from kubernetes import client, config, watch
config.load_kube_config(config_file=sys.argv[1])
core, apps = client.CoreV1Api(), client.AppsV1Api()
assert core.list_namespaced_pod("default").items == []
body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "py"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "py"}},
                 "template": {"metadata": {"labels": {"app": "py"}},
                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
apps.create_namespaced_deployment("default", body)
apps.patch_namespaced_deployment_scale("py", "default", {"spec": {"replicas": 3}})
assert apps.read_namespaced_deployment("py", "default").spec.replicas == 3
seen = [e["object"].metadata.name for e in
        watch.Watch().stream(apps.list_namespaced_deployment, "default", timeout_seconds=1)]
assert "py" in seen, seen
print("python ok")
EOF
else
    echo "kubectl.sh: python3-kubernetes checks skipped: module not installed"
fi

# ---- RBAC: the admin impersonates a service account (kubectl --as) ----
start rbac --rbac
kc="$tmp/rbac.kubeconfig"
sa=system:serviceaccount:mynamespace:example-sa
expect "admin can" '^yes' k auth can-i create pods
expect "apply rbac objects" 'rolebinding.rbac.authorization.k8s.io/example-rolebinding created' k apply -f "$man/rbac-example.yaml"
expect "sa can list pods" '^yes' k auth can-i list pods -n mynamespace --as "$sa"
expect_fail "sa cannot create pods" '^no' k auth can-i create pods -n mynamespace --as "$sa"
expect_fail "sa cannot list elsewhere" '^no' k auth can-i list pods -n default --as "$sa"
expect "sa lists pods" 'No resources found' k get pods -n mynamespace --as "$sa"
expect_fail "sa forbidden" 'Forbidden' k get deployments -n mynamespace --as "$sa"

# ---- TLS with bearer tokens (kubectl sends tokens over TLS only) ----
if command -v openssl >/dev/null 2>&1 &&
   openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 1 \
       -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1; then
    printf 'admintoken,admin,1,"system:masters"\ndevtoken,dev,2\n' >"$tmp/tokens.csv"
    start tls --token-auth-file "$tmp/tokens.csv" --token admintoken --rbac \
        --tls-cert-file "$tmp/cert.pem" --tls-private-key-file "$tmp/key.pem"
    kc="$tmp/tls.kubeconfig"
    expect "tls admin" '^default ' k get namespaces
    expect_fail "tls wrong token" 'Unauthorized|credentials' k get namespaces --token nope
    expect_fail "tls dev forbidden" 'Forbidden' k get namespaces --token devtoken
    expect_fail "tls dev cannot impersonate" 'Forbidden|cannot impersonate' k get pods --token devtoken --as admin
else
    echo "kubectl.sh: TLS checks skipped: openssl not found"
fi

echo "kubectl.sh: $pass passed, $fail failed"
[ "$fail" = 0 ]
