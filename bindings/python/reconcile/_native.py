"""The C ABI of libreconcile as ctypes sees it: loading the shared library, the C structures the binding
passes across, and the prototypes of every function it calls. Nothing here is public; the other modules
build the Pythonic API on top of it.

The library is loaded from $RC_LIBRARY when set (a path, e.g. build/libreconcile.so.0), otherwise by its
soname libreconcile.so.0 through the dynamic loader (installed copy, LD_LIBRARY_PATH)."""

import ctypes
import os

from ctypes import (CFUNCTYPE, POINTER, Structure, c_bool, c_char, c_char_p, c_double, c_int, c_int64,
                    c_size_t, c_uint, c_uint64, c_void_p)

SONAME = "libreconcile.so.0"


def _load():
    path = os.environ.get("RC_LIBRARY") or SONAME
    try:
        return ctypes.CDLL(path)
    except OSError as e:
        raise ImportError(
            "reconcile: cannot load %s (%s); set RC_LIBRARY to the path of libreconcile.so.0 or install "
            "the library (make install)" % (path, e)) from e


lib = _load()
# The process's global symbol scope: its free() is the allocator the library's malloc() resolves to, also
# when a sanitizer or another allocator is preloaded.
libc = ctypes.CDLL(None, use_errno=True)

libc.free.argtypes = [c_void_p]
libc.free.restype = None
libc.tmpfile.argtypes = []
libc.tmpfile.restype = c_void_p
libc.fflush.argtypes = [c_void_p]
libc.fflush.restype = c_int
libc.fileno.argtypes = [c_void_p]
libc.fileno.restype = c_int
libc.fclose.argtypes = [c_void_p]
libc.fclose.restype = c_int

SEC = 1000000000  # rc_duration units per second

# ---- structures (mirrors of include/reconcile/*.h) ----


class RcErrorCause(Structure):
    _fields_ = [("field", c_char_p), ("reason", c_char_p), ("message", c_char_p)]


class RcError(Structure):
    _fields_ = [("code", c_int), ("http_status", c_int), ("reason", c_char * 40), ("message", c_char_p),
                ("causes", POINTER(RcErrorCause)), ("ncauses", c_size_t), ("retry_after_seconds", c_int)]


class RcObjectList(Structure):
    _fields_ = [("items", POINTER(c_void_p)), ("count", c_size_t), ("cap", c_size_t),
                ("resource_version", c_char * 32), ("continue_token", c_char_p),
                ("remaining_item_count", c_int64)]


class RcListOptions(Structure):
    _fields_ = [("label_selector", c_char_p), ("field_selector", c_char_p), ("resource_version", c_char_p),
                ("resource_version_match", c_char_p), ("limit", c_int64), ("continue_token", c_char_p),
                ("allow_bookmarks", c_bool), ("send_initial_events", c_bool), ("timeout_seconds", c_int64)]


class RcWriteOptions(Structure):
    _fields_ = [("dry_run", c_bool), ("field_manager", c_char_p), ("field_validation", c_int),
                ("force", c_bool), ("subresource", c_char_p)]


class RcDeleteOptions(Structure):
    _fields_ = [("propagation", c_int), ("grace_period_seconds", c_int64), ("precondition_uid", c_char_p),
                ("precondition_resource_version", c_char_p), ("dry_run", c_bool)]


class RcTestenvOptions(Structure):
    _fields_ = [("seed", c_uint64), ("start", c_int64), ("no_rbac", c_bool),
                ("max_steps_per_instant", c_size_t)]


class RcAction(Structure):
    _fields_ = [("verb", c_char * 24), ("resource", c_char_p), ("namespace_", c_char_p), ("name", c_char_p),
                ("actor", c_char_p), ("code", c_int), ("resource_version", c_uint64)]


class RcFaultRule(Structure):
    _fields_ = [("verb", c_char_p), ("resource", c_char_p), ("namespace_", c_char_p), ("name", c_char_p),
                ("nth", c_uint64), ("times", c_uint64), ("code", c_int)]


class RcResult(Structure):
    _fields_ = [("kind", c_int), ("after", c_int64), ("code", c_int)]


RESULT_DONE, RESULT_REQUEUE, RESULT_REQUEUE_AFTER, RESULT_ERROR = range(4)

SETUP_FN = CFUNCTYPE(c_int, c_void_p, c_void_p, POINTER(RcError))
# int reconcile_into(void *self, rc_reconcile_ctx *ctx, const char *key, rc_result *out): ctypes cannot
# return a structure from a callback, so Python controllers register as rc_controller_into_ops, whose
# reconcile writes its result through a pointer.
RECONCILE_INTO_FN = CFUNCTYPE(c_int, c_void_p, c_void_p, c_char_p, POINTER(RcResult))
MAP_FN = CFUNCTYPE(None, c_void_p, c_void_p, c_void_p)


class RcControllerIntoOps(Structure):
    _fields_ = [("name", c_char_p), ("setup", SETUP_FN), ("reconcile_into", RECONCILE_INTO_FN),
                ("destroy", c_void_p)]


class RcControllerOptions(Structure):
    _fields_ = [("workers", c_int), ("rate_limiter", c_void_p), ("client", c_void_p),
                ("need_leader_election", c_bool), ("expectations_timeout", c_int64)]


class RcWatchOptions(Structure):
    _fields_ = [("predicates", c_uint), ("filter", c_void_p), ("filter_ctx", c_void_p),
                ("skip_own_writes", c_bool)]


class RcSimNodeSpec(Structure):
    _fields_ = [("name", c_char_p), ("cpu", c_char_p), ("memory", c_char_p), ("pods", c_char_p),
                ("zone", c_char_p), ("pod_cidr", c_char_p), ("labels", POINTER(c_char_p))]


# ---- prototypes ----
P = c_void_p
ERR = POINTER(RcError)
OBJOUT = POINTER(c_void_p)

_PROTOTYPES = {
    # common.h
    "rc_error_clear": (None, [ERR]),
    "rc_error_reason": (c_char_p, [c_int]),
    "rc_strerror": (c_char_p, [c_int]),
    "rc_error_http_status": (c_int, [c_int]),
    "rc_version": (c_char_p, []),
    # log.h
    "rc_log_set_level": (None, [c_int]),
    "rc_log_get_level": (c_int, []),
    # object.h (char * results that must be freed are declared c_void_p)
    "rc_object_from_json": (P, [c_char_p, c_size_t, ERR]),
    "rc_object_to_json": (c_void_p, [P, POINTER(c_size_t)]),
    "rc_object_unref": (None, [P]),
    "rc_object_copy": (P, [P]),
    "rc_object_freeze": (P, [P]),
    # listwatch.h
    "rc_object_list_init": (None, [POINTER(RcObjectList)]),
    "rc_object_list_clear": (None, [POINTER(RcObjectList)]),
    # codec.h
    "rc_decode_objects": (c_int, [c_char_p, c_size_t, c_char_p, P, POINTER(RcObjectList), ERR]),
    "rc_object_to_yaml": (c_void_p, [P, POINTER(c_size_t)]),
    # client.h
    "rc_client_get": (c_int, [P, c_char_p, c_char_p, c_char_p, OBJOUT, ERR]),
    "rc_client_list": (c_int, [P, c_char_p, c_char_p, POINTER(RcListOptions), POINTER(RcObjectList), ERR]),
    "rc_client_create": (c_int, [P, c_char_p, c_char_p, P, POINTER(RcWriteOptions), OBJOUT, ERR]),
    "rc_client_update": (c_int, [P, c_char_p, c_char_p, P, POINTER(RcWriteOptions), OBJOUT, ERR]),
    "rc_client_update_status": (c_int, [P, c_char_p, c_char_p, P, POINTER(RcWriteOptions), OBJOUT, ERR]),
    "rc_client_patch": (c_int, [P, c_char_p, c_char_p, c_char_p, c_int, c_char_p, c_size_t,
                                POINTER(RcWriteOptions), OBJOUT, ERR]),
    "rc_client_delete": (c_int, [P, c_char_p, c_char_p, c_char_p, POINTER(RcDeleteOptions), OBJOUT, ERR]),
    "rc_client_apply": (c_int, [P, c_char_p, P, POINTER(RcWriteOptions), OBJOUT, ERR]),
    # apiserver.h
    "rc_apiserver_actions": (c_size_t, [P, POINTER(POINTER(RcAction))]),
    "rc_actions_free": (None, [POINTER(RcAction), c_size_t]),
    "rc_apiserver_clear_actions": (None, [P]),
    "rc_apiserver_fault_fail": (c_int, [P, POINTER(RcFaultRule), ERR]),
    "rc_apiserver_fault_conflict_rate": (None, [P, c_double]),
    "rc_apiserver_fault_drop_watch_every": (None, [P, c_uint64]),
    "rc_apiserver_fault_expire_history": (c_int, [P, c_char_p]),
    "rc_apiserver_fault_latency": (None, [P, c_int64]),
    "rc_apiserver_fault_clear": (None, [P]),
    # testenv.h
    "rc_testenv_new": (c_int, [POINTER(RcTestenvOptions), POINTER(c_void_p), ERR]),
    "rc_testenv_free": (None, [P]),
    "rc_testenv_apiserver": (P, [P]),
    "rc_testenv_client": (P, [P]),
    "rc_testenv_clock": (P, [P]),
    "rc_testenv_manager": (P, [P]),
    "rc_testenv_now": (c_int64, [P]),
    "rc_testenv_load_yaml": (c_int, [P, c_char_p, ERR]),
    "rc_testenv_load_file": (c_int, [P, c_char_p, ERR]),
    "rc_testenv_add_controller_into": (c_int, [P, POINTER(RcControllerIntoOps), c_void_p,
                                               POINTER(RcControllerOptions), ERR]),
    "rc_testenv_add_controller_as_into": (c_int, [P, c_char_p, c_char_p, POINTER(RcControllerIntoOps),
                                                  c_void_p, POINTER(RcControllerOptions), ERR]),
    "rc_testenv_run_until_stable": (c_int, [P, c_int64]),
    "rc_testenv_advance": (c_int, [P, c_int64]),
    "rc_testenv_rbac_report": (c_int, [P, c_char_p, POINTER(c_void_p), ERR]),
    # manager.h
    "rc_manager_metrics_text": (c_int, [P, POINTER(c_void_p), ERR]),
    # controllers.h
    "rc_controllers_add_all": (c_int, [P, c_void_p, ERR]),
    "rc_manager_add_controller": (c_int, [P, c_void_p, c_void_p, POINTER(RcControllerOptions), ERR]),
    # controller.h
    "rc_builder_for": (c_int, [P, c_char_p, POINTER(RcWatchOptions), ERR]),
    "rc_builder_owns": (c_int, [P, c_char_p, POINTER(RcWatchOptions), ERR]),
    "rc_builder_watches": (c_int, [P, c_char_p, MAP_FN, c_void_p, POINTER(RcWatchOptions), ERR]),
    "rc_builder_reads": (c_int, [P, c_char_p, ERR]),
    "rc_keys_add": (c_int, [P, c_char_p]),
    "rc_ctx_client": (P, [P]),
    "rc_ctx_key": (c_char_p, [P]),
    "rc_ctx_controller_name": (c_char_p, [P]),
    "rc_ctx_now": (c_int64, [P]),
    "rc_ctx_get": (c_int, [P, c_char_p, c_char_p, c_char_p, OBJOUT, ERR]),
    "rc_ctx_list": (c_int, [P, c_char_p, c_char_p, c_void_p, POINTER(RcObjectList), ERR]),
    "rc_set_controller_ref": (c_int, [P, P, ERR]),
    # sim.h
    "rc_sim_new": (c_int, [P, c_void_p, POINTER(c_void_p), ERR]),
    "rc_sim_add_node": (c_int, [P, POINTER(RcSimNodeSpec), ERR]),
    "rc_sim_add_nodes": (c_int, [P, c_char_p, c_size_t, c_size_t, ERR]),
    "rc_sim_remove_node": (c_int, [P, c_char_p, ERR]),
    "rc_sim_set_node_ready": (c_int, [P, c_char_p, c_bool, ERR]),
    "rc_sim_cordon": (c_int, [P, c_char_p, c_bool, ERR]),
    "rc_sim_taint": (c_int, [P, c_char_p, c_char_p, c_char_p, c_char_p, ERR]),
    "rc_sim_untaint": (c_int, [P, c_char_p, c_char_p, c_char_p, ERR]),
    "rc_sim_dns_lookup": (c_int, [P, c_char_p, POINTER(POINTER(c_char_p)), POINTER(c_size_t), ERR]),
    "rc_sim_dns_free": (None, [POINTER(c_char_p)]),
    "rc_sim_trace_new": (P, [P, P, c_int64, c_void_p, ERR]),
    "rc_sim_trace_free": (None, [P]),
    # selector.h
    "rc_selector_parse": (P, [c_char_p, ERR]),
    "rc_selector_free": (None, [P]),
}

def _declare():
    for name, (restype, argtypes) in _PROTOTYPES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    # Variadic: only the fixed arguments are declared; the "%s" argument is passed as bytes.
    lib.rc_result_error.restype = RcResult
    lib.rc_result_error.argtypes = [c_void_p, c_int, c_char_p]
    lib.rc_ctx_log.restype = None
    lib.rc_ctx_log.argtypes = [c_void_p, c_int, c_char_p]
    lib.rc_ctx_event.restype = None
    lib.rc_ctx_event.argtypes = [c_void_p, c_void_p, c_char_p, c_char_p, c_char_p]


_declare()


def b(s):
    """bytes for a C string argument (None stays NULL)."""
    if s is None or isinstance(s, bytes):
        return s
    return str(s).encode("utf-8")


def take_string(ptr):
    """The text of a malloc'd C string, which is freed. None for NULL."""
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr).decode("utf-8", "replace")
    finally:
        libc.free(ptr)
