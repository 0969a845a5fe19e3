"""TestEnv and Cluster: an offline Kubernetes test bed in one object. TestEnv wraps rc_testenv (an
embedded API server on a virtual clock and a manager driven deterministically on the calling thread);
Cluster adds the reference controllers (ReplicaSet, Deployment, StatefulSet, DaemonSet, Job, CronJob,
garbage collector) and a simulated cluster of N nodes (scheduler, kubelets, node lifecycle, endpoints,
volumes). Both read and write objects as dicts, run until stable, expose the action log, the write trace,
fault injection and Python controllers. Not thread-safe: one thread drives an environment."""

import ctypes
import json
import os

from . import errors
from ._native import (SEC, RcAction, RcFaultRule, RcSimNodeSpec, RcTestenvOptions, b,
                      lib, libc, take_string)
from .client import Client
from .controller import Controller
from .manifests import parse

def _text(raw):
    return raw.decode("utf-8", "replace") if raw else ""


class Faults:
    """Fault injection on the environment's API server (seeded: the same seed fails the same requests)."""

    def __init__(self, env):
        self._env = env

    def fail(self, code=errors.EINTERNAL, verb=None, resource=None, namespace=None, name=None, nth=1, times=1):
        """Fails the nth matching request from now (and `times` in a row) with code (an RC_E* value or an
        ApiError subclass such as reconcile.Conflict)."""
        if isinstance(code, type) and issubclass(code, errors.ApiError):
            code = code.default_code
        rule = RcFaultRule(b(verb), b(resource), b(namespace), b(name), nth, times, code)
        err = errors.new_error()
        errors.check(lib.rc_apiserver_fault_fail(self._env._srv(), ctypes.byref(rule), ctypes.byref(err)), err)

    def conflict_rate(self, p):
        """Updates, patches and status writes fail with 409 Conflict with probability p."""
        lib.rc_apiserver_fault_conflict_rate(self._env._srv(), float(p))

    def drop_watch_every(self, n):
        """Ends every watch stream after n events (0 disables)."""
        lib.rc_apiserver_fault_drop_watch_every(self._env._srv(), int(n))

    def expire_history(self, resource=None):
        """Forgets the watch history of resource (None = all): re-watches get 410 Gone and relist."""
        rc = lib.rc_apiserver_fault_expire_history(self._env._srv(), b(resource))
        if rc < 0:
            raise errors.ApiError("expire_history: unknown resource %r" % resource, code=rc)

    def latency(self, seconds):
        """Each request advances the virtual clock by seconds before it runs."""
        lib.rc_apiserver_fault_latency(self._env._srv(), int(seconds * SEC))

    def clear(self):
        lib.rc_apiserver_fault_clear(self._env._srv())


class TestEnv:
    """An offline test environment. Use as a context manager (or call close()).

    seed: uids, generated names, fault injection and the driver's order; rbac: enforce RBAC on controllers
    added with a service_account; trace: record every committed write (see trace())."""

    __test__ = False  # not a unittest case, whatever test runners guess from the name

    def __init__(self, seed=0, rbac=True, trace=False, max_steps_per_instant=0):
        self._env = None
        self._trace = None
        self._trace_file = None
        self._controllers = []
        opts = RcTestenvOptions(seed, 0, not rbac, max_steps_per_instant)
        env = ctypes.c_void_p()
        err = errors.new_error()
        errors.check(lib.rc_testenv_new(ctypes.byref(opts), ctypes.byref(env), ctypes.byref(err)), err)
        self._env = env.value
        self.client = Client(lambda: lib.rc_testenv_client(self._live()))
        self.faults = Faults(self)
        if trace:
            self._start_trace()

    # ---- lifetime ----
    def _live(self):
        if not self._env:
            raise RuntimeError("reconcile.TestEnv used after close()")
        return self._env

    def _srv(self):
        return lib.rc_testenv_apiserver(self._live())

    def _manager(self):
        return lib.rc_testenv_manager(self._live())

    def close(self):
        """Frees the environment (idempotent). Objects read from it stay valid: they are dicts."""
        if self._trace:
            lib.rc_sim_trace_free(self._trace)
            self._trace = None
        if self._trace_file:
            libc.fclose(self._trace_file)
            self._trace_file = None
        if self._env:
            lib.rc_testenv_free(self._env)
            self._env = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    # ---- loading and writing ----
    def load(self, manifest):
        """Creates every object of manifest (YAML/JSON text, a dict, or a list of dicts) in order; the first
        failure stops loading and is raised with the document named."""
        if not isinstance(manifest, (str, bytes)):
            docs = [manifest] if isinstance(manifest, dict) else list(manifest)
            manifest = "\n".join(json.dumps(d) for d in docs)
        err = errors.new_error()
        errors.check(lib.rc_testenv_load_yaml(self._live(), b(manifest), ctypes.byref(err)), err)

    def load_file(self, path):
        err = errors.new_error()
        errors.check(lib.rc_testenv_load_file(self._live(), b(os.fspath(path)), ctypes.byref(err)), err)

    def apply(self, manifest):
        """kubectl apply of every object of manifest (text, dict or list of dicts); returns the objects as
        stored, in order."""
        if isinstance(manifest, (str, bytes)):
            docs = parse(manifest)
        else:
            docs = [manifest] if isinstance(manifest, dict) else list(manifest)
        return [self.client.apply(d) for d in docs]

    def get(self, resource, name, namespace=None):
        return self.client.get(resource, name, namespace)

    def list(self, resource, namespace=None, label_selector=None, field_selector=None):
        return self.client.list(resource, namespace, label_selector, field_selector)

    def create(self, obj, **options):
        return self.client.create(obj, **options)

    def update(self, obj, **options):
        return self.client.update(obj, **options)

    def patch(self, resource, name, patch, namespace=None, type="merge", **options):
        return self.client.patch(resource, name, patch, namespace, type, **options)

    def delete(self, resource, name, namespace=None, **options):
        return self.client.delete(resource, name, namespace, **options)

    # ---- time ----
    @property
    def now(self):
        """The virtual clock, in seconds since the epoch."""
        return lib.rc_testenv_now(self._live()) / SEC

    def run_until_stable(self, seconds=60):
        """Runs controllers and the simulation until nothing is due within `seconds` of virtual time.
        Raises ApiError (code EAGAIN) on a livelock."""
        rc = lib.rc_testenv_run_until_stable(self._live(), int(seconds * SEC))
        if rc < 0:
            raise errors.ApiError("run_until_stable: %s" % lib.rc_strerror(rc).decode(), code=rc)

    def advance(self, seconds):
        """Moves virtual time forward, running everything due on the way."""
        rc = lib.rc_testenv_advance(self._live(), int(seconds * SEC))
        if rc < 0:
            raise errors.ApiError("advance: %s" % lib.rc_strerror(rc).decode(), code=rc)

    # ---- controllers ----
    def add_controller(self, name, reconcile, for_, owns=(), reads=(), watches=(), predicates=(),
                       skip_own_writes=False, service_account=None):
        """Registers a Python reconcile function as controller `name` watching for_ (its primary resource),
        owns (children: changes enqueue the controller owner), reads (cache only) and watches ((resource,
        map_fn) pairs; map_fn(obj) returns keys). predicates filter updates of for_: "generation",
        "labels", "annotations". service_account "ns/name" makes the controller act as that account (RBAC
        enforced). Returns the Controller (calls, failures)."""
        ctl = Controller(name, reconcile, for_, owns, reads, watches, predicates, skip_own_writes)
        err = errors.new_error()
        if service_account:
            ns, _, sa = service_account.partition("/")
            rc = lib.rc_testenv_add_controller_as_into(self._live(), b(ns), b(sa), ctypes.byref(ctl.ops), None,
                                                       None, ctypes.byref(err))
        else:
            rc = lib.rc_testenv_add_controller_into(self._live(), ctypes.byref(ctl.ops), None, None,
                                                    ctypes.byref(err))
        errors.check(rc, err)
        self._controllers.append(ctl)
        return ctl

    def rbac_report(self, controller):
        """The least-privilege Role/ClusterRole (YAML) controller needs, from what it actually did."""
        out = ctypes.c_void_p()
        err = errors.new_error()
        errors.check(lib.rc_testenv_rbac_report(self._live(), b(controller), ctypes.byref(out),
                                                ctypes.byref(err)), err)
        return take_string(out.value)

    def metrics(self):
        """The manager's metrics in the Prometheus text format."""
        out = ctypes.c_void_p()
        err = errors.new_error()
        errors.check(lib.rc_manager_metrics_text(self._manager(), ctypes.byref(out), ctypes.byref(err)), err)
        return take_string(out.value)

    # ---- observing ----
    def actions(self):
        """Every API request so far, oldest first: dicts with verb, resource, namespace, name, actor, code
        (0 or the RC_E* error) and resource_version (of a write)."""
        arr = ctypes.POINTER(RcAction)()
        n = lib.rc_apiserver_actions(self._srv(), ctypes.byref(arr))
        try:
            return [{"verb": _text(a.verb), "resource": _text(a.resource), "namespace": _text(a.namespace_),
                     "name": _text(a.name), "actor": _text(a.actor), "code": a.code,
                     "resource_version": a.resource_version} for a in arr[:n]]
        finally:
            if n:
                lib.rc_actions_free(arr, n)

    def clear_actions(self):
        lib.rc_apiserver_clear_actions(self._srv())

    def _start_trace(self):
        self._trace_file = libc.tmpfile()
        if not self._trace_file:
            raise OSError(ctypes.get_errno(), "tmpfile failed")
        err = errors.new_error()
        self._trace = lib.rc_sim_trace_new(self._srv(), lib.rc_testenv_clock(self._env),
                                           lib.rc_testenv_now(self._env), self._trace_file, ctypes.byref(err))
        if not self._trace:
            raise errors.from_rc_error(err, errors.EINVAL)

    def trace(self):
        """Every committed write since the environment was made (trace=True), as dicts: t (seconds since the
        start), verb, actor, kind, namespace, name, resourceVersion, object."""
        if not self._trace:
            raise RuntimeError("trace() needs TestEnv(trace=True)")
        libc.fflush(self._trace_file)
        fd = libc.fileno(self._trace_file)
        size = os.fstat(fd).st_size
        data = os.pread(fd, size, 0).decode("utf-8")
        return [json.loads(line) for line in data.splitlines() if line]


class Cluster(TestEnv):
    """A TestEnv with the reference controllers and a simulated cluster of `nodes` nodes named node-1...
    spread over `zones` zones (default: min(nodes, 3))."""

    def __init__(self, nodes=3, zones=None, seed=0, rbac=True, trace=False, max_steps_per_instant=0):
        super().__init__(seed=seed, rbac=rbac, trace=trace, max_steps_per_instant=max_steps_per_instant)
        try:
            self._add_reference_controllers()
            sim = ctypes.c_void_p()
            err = errors.new_error()
            errors.check(lib.rc_sim_new(self._manager(), None, ctypes.byref(sim), ctypes.byref(err)), err)
            self._sim = sim.value
            if nodes:
                self._simcall(lib.rc_sim_add_nodes, b"node", nodes, min(nodes, 3) if zones is None else zones)
        except BaseException:
            self.close()
            raise

    def _add_reference_controllers(self):
        err = errors.new_error()
        m = self._manager()
        errors.check(lib.rc_controllers_add_all(m, None, ctypes.byref(err)), err)

    def _simcall(self, fn, *args):
        self._live()
        err = errors.new_error()
        errors.check(fn(self._sim, *args, ctypes.byref(err)), err)

    def add_node(self, name, cpu=None, memory=None, pods=None, zone=None, pod_cidr=None, labels=None):
        """Adds a Ready node (defaults: 8 cpu, 32Gi, 110 pods); labels is a dict of extra labels."""
        pairs = [b(x) for kv in (labels or {}).items() for x in kv] + [None]
        arr = (ctypes.c_char_p * len(pairs))(*pairs)
        spec = RcSimNodeSpec(b(name), b(cpu), b(memory), b(pods), b(zone), b(pod_cidr), arr)
        self._simcall(lib.rc_sim_add_node, ctypes.byref(spec))

    def remove_node(self, name):
        self._simcall(lib.rc_sim_remove_node, b(name))

    def set_node_ready(self, name, ready):
        """Ready=False stops the node's kubelet; the node lifecycle controller taints it and evicts pods."""
        self._simcall(lib.rc_sim_set_node_ready, b(name), bool(ready))

    def cordon(self, name, unschedulable=True):
        self._simcall(lib.rc_sim_cordon, b(name), bool(unschedulable))

    def taint(self, name, key, effect, value=None):
        self._simcall(lib.rc_sim_taint, b(name), b(key), b(value), b(effect))

    def untaint(self, name, key, effect=None):
        self._simcall(lib.rc_sim_untaint, b(name), b(key), b(effect))

    def dns(self, name):
        """The addresses cluster DNS gives for name ("svc.ns.svc.cluster.local", "pod.svc.ns.svc..."),
        sorted; NotFound for NXDOMAIN."""
        ips = ctypes.POINTER(ctypes.c_char_p)()
        n = ctypes.c_size_t()
        self._simcall(lib.rc_sim_dns_lookup, b(name), ctypes.byref(ips), ctypes.byref(n))
        try:
            return [ips[i].decode() for i in range(n.value)]
        finally:
            lib.rc_sim_dns_free(ips)
