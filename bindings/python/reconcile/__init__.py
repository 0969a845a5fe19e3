"""reconcile - Python binding of libreconcile (ctypes, standard library only): an offline Kubernetes test
bed and a way to prototype controllers in Python.

    import reconcile
    with reconcile.Cluster(nodes=3) as c:
        c.apply(open("nginx-deployment.yaml").read())
        c.run_until_stable()
        print([p["status"]["phase"] for p in c.list("pods", "default")])

Modules: manifests (parse/to_yaml), client (Client verbs), testenv (TestEnv, Cluster, Faults),
controller (Python controllers: Context, Requeue), errors (ApiError and its subclasses)."""

from ._native import lib as _lib
from .client import Client
from .controller import REQUEUE, Context, Controller, Requeue, set_log_level
from .errors import (AlreadyExists, ApiError, BadRequest, Conflict, Forbidden, Gone, Invalid, NotFound,
                     TooManyRequests, Timeout, Unauthorized, Unavailable)
from .manifests import parse, parse_file, to_yaml, to_yaml_stream
from .testenv import Cluster, Faults, TestEnv

__version__ = _lib.rc_version().decode()

__all__ = ["AlreadyExists", "ApiError", "BadRequest", "Client", "Cluster", "Conflict", "Context", "Controller",
           "Faults", "Forbidden", "Gone", "Invalid", "NotFound", "REQUEUE", "Requeue", "TestEnv", "Timeout",
           "TooManyRequests", "Unauthorized", "Unavailable", "parse", "parse_file", "set_log_level", "to_yaml",
           "to_yaml_stream"]
