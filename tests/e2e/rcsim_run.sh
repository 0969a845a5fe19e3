#!/bin/sh
# rcsim_run.sh BUILD - end-to-end checks of `rcsim run` on the example manifests: the demo rollout
# prints kubectl rollout status lines and the final tables, runs are deterministic (same output and
# byte-identical trace), a bad manifest applies nothing and fails, -o yaml/json print a List, and the
# notes' StatefulSet binds its claims through the default StorageClass.
build=${1:-build}
rcsim="$build/rcsim"
m=examples/manifests
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

[ -x "$rcsim" ] || fail "$rcsim not built"

"$rcsim" run --nodes 3 -f $m/nginx-deployment.yaml -f $m/nginx-deployment-v2.yaml --trace "$tmp/t1" > "$tmp/o1" \
    || fail "demo rollout exited non-zero"
grep -q '^deployment.apps/nginx-deployment created$' "$tmp/o1" || fail "no 'created' line"
grep -q '^deployment.apps/nginx-deployment configured$' "$tmp/o1" || fail "no 'configured' line"
grep -q 'Waiting for deployment "nginx-deployment" rollout to finish: .* new replicas have been updated' "$tmp/o1" \
    || fail "no rollout progress line"
[ "$(grep -c '^deployment "nginx-deployment" successfully rolled out$' "$tmp/o1")" = 2 ] || fail "rollouts not finished"
grep -Eq '^deployment.apps/nginx-deployment +3/3 +3 +3 ' "$tmp/o1" || fail "deployment row"
[ "$(grep -c '^pod/nginx-deployment-.* Running ' "$tmp/o1")" = 3 ] || fail "three running pods expected"
grep -Eq '^replicaset.apps/nginx-deployment-[a-z0-9]+ +0 +0 +0 ' "$tmp/o1" || fail "old replicaset scaled to 0"

"$rcsim" run --nodes 3 -f $m/nginx-deployment.yaml -f $m/nginx-deployment-v2.yaml --trace "$tmp/t2" > "$tmp/o2" \
    || fail "second run"
cmp -s "$tmp/o1" "$tmp/o2" || fail "output differs between identical runs"
cmp -s "$tmp/t1" "$tmp/t2" || fail "trace differs between identical runs"
head -1 "$tmp/t1" | grep -q '^{"t":0.000,"verb":"create","actor":"","kind":"Node"' || fail "trace line format"
grep -q '"verb":"delete","actor":"[^"]*","kind":"Pod"' "$tmp/t1" || fail "no pod delete in the trace"

"$rcsim" run --seed 7 -f $m/nginx-deployment.yaml --trace "$tmp/t3" > /dev/null || fail "seed 7"
cmp -s "$tmp/t1" "$tmp/t3" && fail "another seed gives the same trace"

# a file with one invalid object applies nothing
cat > "$tmp/bad.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: fine
data:
  a: b
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: broken
spec:
  replicas: -1
  selector:
    matchLabels: {app: x}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers: [{name: c, image: nginx}]
YAML
"$rcsim" run -f "$tmp/bad.yaml" -o json > "$tmp/o4" 2> "$tmp/e4" && fail "bad manifest accepted"
grep -q 'Invalid' "$tmp/e4" || fail "no API error for the bad manifest: $(cat "$tmp/e4")"
grep -q 'broken' "$tmp/e4" || fail "error does not name the object"
"$rcsim" run -f "$tmp/nonexistent.yaml" > /dev/null 2>&1 && fail "missing file accepted"
"$rcsim" run > /dev/null 2>&1; [ $? = 2 ] || fail "usage error should exit 2"
"$rcsim" run -f $m/nginx-deployment.yaml --faults bogus=1 > /dev/null 2>&1 && fail "bad --faults accepted"

"$rcsim" run -f $m/nginx-deployment.yaml -o json > "$tmp/o5" || fail "-o json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["kind"]=="List"; assert any(i["kind"]=="Pod" for i in d["items"])' "$tmp/o5" \
    || fail "-o json is not a List with pods"
"$rcsim" run -f $m/nginx-deployment.yaml -o yaml > "$tmp/o6" || fail "-o yaml"
grep -q '^kind: List$' "$tmp/o6" || fail "-o yaml is not a List"

# the notes' StatefulSet: its claims get the default StorageClass and bind, so both pods run
"$rcsim" run --nodes 3 -f $m/nginx-headless-service.yaml -f $m/web-statefulset.yaml > "$tmp/o8" || fail "statefulset run"
grep -Eq '^statefulset.apps/web +2/2 ' "$tmp/o8" || fail "statefulset web not ready: $(cat "$tmp/o8")"
[ "$(grep -Ec '^persistentvolumeclaim/www-web-[01] +Bound .* standard ' "$tmp/o8")" = 2 ] || fail "claims not bound to standard"

# a node failure evicts and reschedules (the Deployment's pods tolerate not-ready for 300 s)
"$rcsim" run --nodes 3 -f $m/nginx-deployment.yaml --faults node-notready=node-1@30s --events > "$tmp/o7" \
    || fail "node fault run"
grep -q ' node-1$' "$tmp/o7" && grep -q '^pod/.* Running .* node-1$' "$tmp/o7" && fail "pods still running on a NotReady node"
echo "rcsim_run: ok"
