#!/bin/sh
# demo.sh BUILD - `make demo`, the project's main job: simulates a 3-node cluster on a virtual clock,
# creates the nginx Deployment of the concept notes, then rolls it to a new image, printing the rollout as
# `kubectl rollout status` would and the final state as `kubectl get` would. The run is deterministic:
# the same seed prints the same output.
build=${1:-build}
rcsim="$build/rcsim"
v1=examples/manifests/nginx-deployment.yaml
v2=examples/manifests/nginx-deployment-v2.yaml
if [ ! -x "$rcsim" ]; then
    echo "demo: $rcsim is missing; run 'make' first" >&2
    exit 1
fi
echo "\$ rcsim run --nodes 3 -f $v1 -f $v2"
echo "# $v1: nginx:1.7.9, then $v2: nginx:1.9.1 (virtual time; deterministic by --seed)"
echo
exec "$rcsim" run --nodes 3 --seed 1 -f "$v1" -f "$v2"
