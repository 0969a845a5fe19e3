#!/bin/sh
# kubectl.sh BUILD - end-to-end test of `rcsim serve` with the real kubectl: starts BUILD/rcsim serve on an
# ephemeral loopback port (every reference controller, the scheduler and kubelets, at --speed 30) and drives
# it with kubectl against the example manifests: CRUD, tables, patches, the nginx Deployment through rollouts
# (set image, history, undo, pause/resume), the web StatefulSet with bound claims, the fluentd DaemonSet,
# the pi Job, the hello CronJob, cascading deletes, strict field validation and python3-kubernetes; then
# RBAC with impersonation, and TLS with token authentication. Waits are on conditions with deadlines; every
# server started is killed at exit. Skips only when kubectl is absent.
build=${1:-build}
if ! command -v kubectl >/dev/null 2>&1; then
    echo "kubectl.sh: skipped: kubectl not found"
    exit 0
fi
rcsim="$build/rcsim"
[ -x "$rcsim" ] || { echo "kubectl.sh: $rcsim not built" >&2; exit 1; }
man="$(pwd)/examples/manifests"
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

# start NAME ARGS...: runs `rcsim serve` writing $tmp/NAME.kubeconfig; waits until it serves.
start() {
    name=$1; shift
    "$rcsim" serve --listen 127.0.0.1:0 --kubeconfig-out "$tmp/$name.kubeconfig" "$@" >"$tmp/$name.log" 2>&1 &
    pids="$pids $!"
    wait_for 20 grep -q '^rcsim: kubeconfig: ' "$tmp/$name.log" ||
        { echo "kubectl.sh: server $name did not start" >&2; cat "$tmp/$name.log" >&2; exit 1; }
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
# expect_eventually DESC SECONDS CMD...: CMD succeeds before the deadline.
expect_eventually() {
    desc=$1; secs=$2; shift 2
    if wait_for "$secs" "$@"; then ok; else bad "$desc: not within ${secs}s: $("$@" 2>&1)"; fi
}
# jp JSONPATH ARGS...: the jsonpath output of `kubectl get ARGS`.
jp() { path=$1; shift; k get "$@" -o "jsonpath=$path"; }
rs_count() { k get rs -l "app=$dep" --no-headers 2>/dev/null | wc -l | tr -d ' '; }

# ---- the main cluster: admin, plain HTTP, every controller at 30x ----
start main --speed 30 --nodes 3
kc="$tmp/main.kubeconfig"
dep=nginx-deployment
roll() { k rollout status "$@" --timeout=60s; }
revisions() { k rollout history "deployment/$dep" | awk '/^[0-9]/ {printf "%s ", $1}'; }
paused_observed() {
    # shellcheck disable=SC2046 # three words, split on purpose
    set -- $(jp '{.metadata.generation} {.status.observedGeneration} {.status.conditions[?(@.type=="Progressing")].reason}' deploy "$dep")
    [ "$1" = "$2" ] && [ "$3" = DeploymentPaused ]
}
pod_images_are() { [ "$(jp '{.items[*].spec.containers[0].image}' pods -l "app=$dep")" = "$1" ]; }
hello_job() { k get jobs -o name | grep -q '^job.batch/hello-'; }
no_app_pods() { k get pods -l "app=$dep" 2>&1 | grep -q 'No resources found'; }
ds_pods() { k get pods -n kube-system -l name=fluentd-elasticsearch --no-headers | wc -l | tr -d ' '; }

expect "version" 'Server Version: v1\.32' k version
expect "nodes" '^node-3 +Ready ' k get nodes
expect "create" "deployment.apps/$dep created" k create -f "$man/nginx-deployment.yaml"
expect_fail "create again" 'AlreadyExists' k create -f "$man/nginx-deployment.yaml"
expect "rollout status" "deployment \"$dep\" successfully rolled out" roll "deployment/$dep"
expect "get table" "^$dep +3/3 +3 +3 " k get deployments
expect "pods running" '^nginx-deployment-[a-z0-9]+-[a-z0-9]{5} +1/1 +Running ' k get pods -l "app=$dep"
expect "get wide" 'IMAGES.*SELECTOR' k get deploy -o wide
expect "get json" '"kind": "Deployment"' k get deploy "$dep" -o json
expect "get yaml" 'kind: Deployment' k get deploy -o yaml
expect "apply client-side" "deployment.apps/$dep configured" k apply -f "$man/nginx-deployment-v2.yaml"
expect "apply rollout" "successfully rolled out" roll "deployment/$dep"
expect "apply unchanged" "deployment.apps/$dep unchanged" k apply -f "$man/nginx-deployment-v2.yaml"
expect "set image" 'image updated' k set image "deployment/$dep" nginx=nginx:1.25
expect "set image rollout" "successfully rolled out" roll "deployment/$dep"
expect_eventually "new pods" 30 pod_images_are "nginx:1.25 nginx:1.25 nginx:1.25"
expect "rollout history" '^3 +<none>' k rollout history "deployment/$dep"
expect "history revision" 'nginx:1\.25' k rollout history "deployment/$dep" --revision=3
expect "rollout undo" 'rolled back' k rollout undo "deployment/$dep"
expect "undo rollout" "successfully rolled out" roll "deployment/$dep"
expect "undo image" '^nginx:1\.9\.1$' jp '{.spec.template.spec.containers[0].image}' deploy "$dep"
expect "undo reuses revision 2 as 4" '^1 3 4 $' revisions
expect "pause" 'paused' k rollout pause "deployment/$dep"
expect_fail "pause again" 'already paused' k rollout pause "deployment/$dep"
rs_before=$(rs_count)
expect "set image while paused" 'image updated' k set image "deployment/$dep" nginx=nginx:1.26
expect_eventually "paused observed" 20 paused_observed
[ "$(rs_count)" = "$rs_before" ] && ok || bad "a paused deployment rolled out a new ReplicaSet"
expect_fail "undo while paused" 'cannot rollback a paused deployment' k rollout undo "deployment/$dep"
expect "resume" 'resumed' k rollout resume "deployment/$dep"
expect "resume rollout" "successfully rolled out" roll "deployment/$dep"
expect_eventually "resumed pods" 30 pod_images_are "nginx:1.26 nginx:1.26 nginx:1.26"
expect "describe" 'Replicas: +3 desired \| 3 updated \| 3 total \| 3 available' k describe deployment "$dep"
expect "scale" "deployment.apps/$dep scaled" k scale deployment "$dep" --replicas=5
expect "scale rollout" "successfully rolled out" roll "deployment/$dep"
expect "scaled" "^$dep +5/5 +5 +5 " k get deploy "$dep"

expect "apply server-side" 'statefulset.apps/web serverside-applied' k apply --server-side -f "$man/web-statefulset.yaml"
expect "apply server-side again" 'statefulset.apps/web serverside-applied' k apply --server-side -f "$man/web-statefulset.yaml"
expect "statefulset rollout" 'rolling update complete|roll out complete' roll sts/web
expect "statefulset ready" '^web +2/2 ' k get sts web
expect "claims bound" '^Bound Bound$' jp '{.items[*].status.phase}' pvc www-web-0 www-web-1
expect "claims table" '^www-web-1 +Bound ' k get pvc -l app=nginx
expect "create daemonset" 'daemonset.apps/fluentd-elasticsearch created' k create -f "$man/fluentd-daemonset.yaml"
expect "daemonset rollout" 'successfully rolled out' roll ds/fluentd-elasticsearch -n kube-system
expect "daemonset on every node" '^3 3$' jp '{.status.desiredNumberScheduled} {.status.numberReady}' ds fluentd-elasticsearch -n kube-system
expect "create job" 'job.batch/pi created' k create -f "$man/job-pi.yaml"
expect "job completes" 'condition met' k wait --for=condition=complete job/pi --timeout=60s
expect "job succeeded" '^4$' jp '{.status.succeeded}' job pi
expect "create cronjob" 'cronjob.batch/hello created' k create -f "$man/cronjob-hello.yaml"
expect_eventually "cronjob creates a job" 30 hello_job
expect "cronjob scheduled" '^20[0-9-]+T' jp '{.status.lastScheduleTime}' cronjob hello

expect "get several kinds" 'statefulset.apps/web' k get deploy,sts,ds,job,cronjob -A
expect "get -l" "^$dep " k get deploy -l "app=$dep"
expect "get -l none" 'No resources found' k get deploy -l app=nope
expect "field selector" '^web ' k get sts --field-selector metadata.name=web
expect "all namespaces" 'NAMESPACE +NAME' k get deploy -A --show-labels
expect "show labels" "app=$dep" k get deploy -A --show-labels
expect "patch json" 'patched' k patch sts web --type=json -p '[{"op":"replace","path":"/spec/replicas","value":3}]'
expect "patch merge" 'patched' k patch sts web --type=merge -p '{"metadata":{"labels":{"tier":"web"}}}'
expect "patch strategic" 'patched' k patch sts web -p '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.25"}]}}}}'
expect "patched" '^3 nginx:1\.25 web$' jp '{.spec.replicas} {.spec.template.spec.containers[0].image} {.metadata.labels.tier}' sts web
expect_fail "patch invalid" 'invalid' k patch sts web --type=json -p '[{"op":"remove","path":"/spec/nope"}]'
expect "patched statefulset rolls out" 'rolling update complete|roll out complete' roll sts/web
expect "third claim" '^Bound$' jp '{.status.phase}' pvc www-web-2
# a no-op patch must leave the object as it was (kubectl compares); the set is settled by now
expect "patch no change" 'patched \(no change\)' k patch sts web --type=merge -p '{"metadata":{"labels":{"tier":"web"}}}'
expect "label" 'labeled' k label deploy "$dep" owner=team-a
expect "annotate" 'annotated' k annotate deploy "$dep" note=hello
expect "label+annotation" '^team-a hello$' jp '{.metadata.labels.owner} {.metadata.annotations.note}' deploy "$dep"
expect "api-resources" 'deployments +deploy +apps/v1 +true +Deployment' k api-resources
expect "explain" 'KIND: +Deployment' k explain deployment
expect "crd" 'customresourcedefinition.apiextensions.k8s.io/networks.samplecrd.k8s.io created' k create -f "$man/network-crd.yaml"
wait_for 20 k get networks || bad "the CRD's resource never appeared"
expect "custom resource" 'network.samplecrd.k8s.io/example-network created' k apply -f "$man/example-network.yaml"
expect "get custom resource" '^example-network ' k get networks
expect "custom resource json" '"cidr": "192.168.0.0/16"' k get network example-network -o json

# strict field validation (kubectl's default --validate=strict sends fieldValidation=Strict)
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: typo}\nspec:\n  clusterIp: None\n  selector: {app: x}\n  ports: [{port: 80}]\n' >"$tmp/svc-typo.yaml"
sed 's/clusterIp/clusterIP/' "$tmp/svc-typo.yaml" >"$tmp/svc-ok.yaml"
strict='BadRequest.*strict decoding error: unknown field "spec\.clusterIp"'
expect_fail "strict create" "$strict" k create -f "$tmp/svc-typo.yaml"
expect_fail "strict apply" "$strict" k apply -f "$tmp/svc-typo.yaml"
expect_fail "strict server-side apply" "$strict" k apply --server-side -f "$tmp/svc-typo.yaml"
expect "valid service" 'service/typo created' k apply -f "$tmp/svc-ok.yaml"
expect "headless" '^None$' jp '{.spec.clusterIP}' svc typo

# get -w: the table rows of later changes stream in; the server never ends the watch itself.
watch_out="$tmp/watch.out"
k get deploy -w >"$watch_out" 2>&1 &
watch_pid=$!
pids="$pids $watch_pid"
wait_for 20 grep -q "^$dep " "$watch_out" || bad "get -w printed no initial rows"
k scale deploy "$dep" --replicas=6 >/dev/null 2>&1
wait_for 20 grep -Eq "^$dep +[0-9]/6 " "$watch_out" && ok || bad "get -w missed the scale: $(cat "$watch_out")"
kill -0 "$watch_pid" 2>/dev/null && ok || bad "get -w exited on its own"
kill "$watch_pid" 2>/dev/null

# deletes: the garbage collector completes orphan and foreground deletions.
expect "delete orphan" "deployment.apps \"$dep\" deleted" k delete deploy "$dep" --cascade=orphan --timeout=60s
expect_fail "orphaning owner gone" 'NotFound' k get deploy "$dep"
expect "orphans kept" '^[1-9]' rs_count
expect "orphans released" '^$' jp '{.items[*].metadata.ownerReferences}' rs -l "app=$dep"
expect "delete foreground" 'statefulset.apps "web" deleted' k delete sts web --cascade=foreground --timeout=60s
expect_fail "foreground removed the pods first" 'NotFound' k get pod web-0
expect "delete job foreground" 'job.batch "pi" deleted' k delete job pi --cascade=foreground --timeout=60s
expect "no job pods" 'No resources found' k get pods -l job-name=pi
expect "delete background" 'deleted' k delete rs -l "app=$dep" --cascade=background
expect_eventually "background removes the pods" 30 no_app_pods
expect "delete ds orphan" 'deleted' k delete ds fluentd-elasticsearch -n kube-system --cascade=orphan --timeout=60s
expect "ds pods kept" '^3$' ds_pods
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
assert core.list_namespaced_pod("default", label_selector="app=py").items == []
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
start rbac --rbac --nodes 1
kc="$tmp/rbac.kubeconfig"
sa=system:serviceaccount:mynamespace:example-sa
expect "admin can" '^yes' k auth can-i create pods
expect "apply rbac objects" 'rolebinding.rbac.authorization.k8s.io/example-rolebinding created' k apply -f "$man/rbac-example.yaml"
expect "sa can list pods" '^yes' k auth can-i list pods -n mynamespace --as "$sa"
expect_fail "sa cannot create pods" '^no' k auth can-i create pods -n mynamespace --as "$sa"
expect_fail "sa cannot list elsewhere" '^no' k auth can-i list pods -n default --as "$sa"
expect "sa lists pods" 'No resources found' k get pods -n mynamespace --as "$sa"
expect_fail "sa forbidden" 'Forbidden' k get deployments -n mynamespace --as "$sa"

# ---- TLS with bearer tokens (the kubeconfig carries the system:masters token and the certificate) ----
if command -v openssl >/dev/null 2>&1 &&
   openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 1 \
       -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1; then
    printf 'devtoken,dev,2\nadmintoken,admin,1,"system:masters"\n' >"$tmp/tokens.csv"
    start tls --nodes 1 --token-auth-file "$tmp/tokens.csv" --rbac \
        --tls-cert-file "$tmp/cert.pem" --tls-private-key-file "$tmp/key.pem"
    kc="$tmp/tls.kubeconfig"
    expect "tls url" '^https://127\.0\.0\.1:' k config view -o 'jsonpath={.clusters[0].cluster.server}'
    expect "tls admin" '^default ' k get namespaces
    expect "tls admin nodes" '^node-1 +Ready' k get nodes
    expect_fail "tls wrong token" 'Unauthorized|credentials' k get namespaces --token nope
    expect_fail "tls dev forbidden" 'Forbidden' k get namespaces --token devtoken
    expect_fail "tls dev cannot impersonate" 'Forbidden|cannot impersonate' k get pods --token devtoken --as admin
else
    echo "kubectl.sh: TLS checks skipped: openssl not found"
fi

echo "kubectl.sh: $pass passed, $fail failed"
[ "$fail" = 0 ]
