"""network_controller.py - the samplecrd.k8s.io/v1 Network controller prototyped in Python (the C version
is examples/network-controller.c). For every Network it validates spec.cidr (IPv4, zero host bits) and
spec.gateway (an address inside it), writes status (phase, message, observedGeneration, configMap) and owns
a ConfigMap "<network>-network" describing a valid network, deleted again when the spec turns invalid.

Run offline on manifests:  PYTHONPATH=bindings/python python3 examples/python/network_controller.py FILE...
Its unit test is test_network_controller.py next to it."""

import ipaddress
import sys

import reconcile

NETWORKS = "networks.samplecrd.k8s.io"

CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: networks.samplecrd.k8s.io}
spec:
  group: samplecrd.k8s.io
  scope: Namespaced
  names: {kind: Network, plural: networks, singular: network}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              cidr: {type: string}
              gateway: {type: string}
          status:
            type: object
            properties:
              phase: {type: string}
              message: {type: string}
              configMap: {type: string}
              observedGeneration: {type: integer}
"""


def plan(spec):
    """(network, None) for a valid spec, else (None, message naming the field)."""
    cidr, gateway = spec.get("cidr"), spec.get("gateway")
    if not cidr:
        return None, "spec.cidr: Required value"
    try:
        net = ipaddress.IPv4Network(cidr)
    except ValueError as e:
        return None, 'spec.cidr: Invalid value: "%s": %s' % (cidr, e)
    if not gateway:
        return None, "spec.gateway: Required value"
    try:
        gw = ipaddress.IPv4Address(gateway)
    except ValueError as e:
        return None, 'spec.gateway: Invalid value: "%s": %s' % (gateway, e)
    if gw not in net:
        return None, 'spec.gateway: Invalid value: "%s": is outside spec.cidr' % gateway
    if net.prefixlen <= 30 and gw in (net.network_address, net.broadcast_address):
        return None, 'spec.gateway: Invalid value: "%s": is the network or broadcast address' % gateway
    return net, None


def configmap_for(network, net):
    meta = network["metadata"]
    usable = net.num_addresses - 2 if net.prefixlen <= 30 else net.num_addresses
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": meta["name"] + "-network", "namespace": meta["namespace"],
                         "labels": {"samplecrd.k8s.io/network": meta["name"]}},
            "data": {"cidr": network["spec"]["cidr"], "gateway": network["spec"]["gateway"],
                     "netmask": str(net.netmask), "broadcast": str(net.broadcast_address),
                     "usableHosts": str(usable)}}


def controlled_by(obj, owner):
    return any(r.get("controller") and r.get("uid") == owner["metadata"]["uid"]
               for r in obj["metadata"].get("ownerReferences", []))


def reconcile_network(ctx):
    network = ctx.get(NETWORKS, ctx.name, ctx.namespace)
    if network is None or network["metadata"].get("deletionTimestamp"):
        return  # gone: the garbage collector removes the ConfigMap
    net, problem = plan(network.get("spec") or {})
    cm_name = ctx.name + "-network"
    current = ctx.get("configmaps", cm_name, ctx.namespace)
    if net is not None:
        desired = ctx.set_controller_ref(configmap_for(network, net), network)
        if current is None:
            ctx.client.create(desired)
        elif current.get("data") != desired["data"]:
            current["data"] = desired["data"]
            ctx.client.update(current)
    elif current is not None and controlled_by(current, network):
        ctx.client.delete("configmaps", cm_name, ctx.namespace)
    status = {"phase": "Valid" if net else "Invalid", "message": problem or "cidr and gateway are valid",
              "observedGeneration": network["metadata"].get("generation", 0)}
    if net:
        status["configMap"] = cm_name
    old = network.get("status") or {}
    if old != status:
        network["status"] = status
        ctx.client.update_status(network, NETWORKS)  # a Conflict raises: retried with back-off
        if old.get("phase") != status["phase"]:
            ctx.event(network, "Normal" if net else "Warning", "Valid" if net else "InvalidSpec", status["message"])


def register(env, **options):
    """Adds the controller (named "network-py") to a reconcile.TestEnv; returns the Controller."""
    return env.add_controller("network-py", reconcile_network, NETWORKS, owns=["configmaps"], **options)


def main(paths):
    with reconcile.TestEnv() as env:
        env.load(CRD)
        register(env)
        for path in paths:
            env.load_file(path)
        env.run_until_stable()
        objs = env.list(NETWORKS) + env.list("configmaps", label_selector="samplecrd.k8s.io/network")
        sys.stdout.write(reconcile.to_yaml_stream(objs))


if __name__ == "__main__":
    main(sys.argv[1:])
