"""Controllers written in Python: a reconcile function becomes a real controller on the manager, registered
as rc_controller_into_ops (its own workqueue with rate limiting, metrics, read-your-own-writes cache reads,
RBAC usage report).

    def reconcile(ctx):                       # ctx: Context, valid during the call
        net = ctx.get("networks", ctx.name, ctx.namespace)
        if net is None:
            return                            # done
        ...
        return reconcile.Requeue(after=30)    # or a number of seconds, or REQUEUE (rate limited)

Anything the function raises becomes a reconcile error (logged and counted by the manager, the key
requeued with the rate limiter's back-off); an ApiError keeps its code. Nothing raised in a callback
crosses into C."""

import ctypes
import traceback

from . import errors
from ._native import (MAP_FN, RECONCILE_INTO_FN, RESULT_DONE, RESULT_ERROR, RESULT_REQUEUE,
                      RESULT_REQUEUE_AFTER, SEC, SETUP_FN, RcControllerIntoOps, RcResult, RcWatchOptions, b,
                      lib)
from ._objects import native, object_list, list_dicts, take_dict, to_dict
from .client import Client

LOG_LEVELS = {"debug": 0, "info": 1, "warn": 2, "warning": 2, "error": 3, "off": 4}
PREDICATES = {"generation": 0x1, "labels": 0x2, "annotations": 0x4}


def set_log_level(level):
    """The library's log threshold (process-wide): "debug", "info", "warn", "error" or "off". Returns the
    previous one."""
    previous = lib.rc_log_get_level()
    lib.rc_log_set_level(LOG_LEVELS[level])
    return [name for name, v in LOG_LEVELS.items() if v == previous][0]


class Requeue:
    """A reconcile result asking for another pass: after `after` seconds, or (after=None) after the rate
    limiter's back-off."""

    def __init__(self, after=None):
        if after is not None and after < 0:
            raise ValueError("Requeue: after must be >= 0")
        self.after = after


REQUEUE = Requeue()


class Context:
    """What a reconcile function sees: the key, cache reads, the controller's client, events, logging and
    the clock. Only valid during the reconcile call it was given to."""

    def __init__(self, ptr):
        self._ptr = ptr
        self.key = lib.rc_ctx_key(ptr).decode()
        self.namespace, _, self.name = self.key.rpartition("/")
        self.controller = lib.rc_ctx_controller_name(ptr).decode()
        self.client = Client(lambda: lib.rc_ctx_client(self._live()))

    def _live(self):
        if not self._ptr:
            raise RuntimeError("reconcile.Context used after its reconcile call returned")
        return self._ptr

    @property
    def now(self):
        """The manager's clock, in seconds since the epoch."""
        return lib.rc_ctx_now(self._live()) / SEC

    def get(self, resource, name, namespace=None):
        """The cached object (with this controller's own writes overlaid) as a dict, or None when absent.
        resource must be one the controller declared (for_, owns, reads, watches)."""
        err = errors.new_error()
        out = ctypes.c_void_p()
        rc = lib.rc_ctx_get(self._live(), b(resource), b(namespace), b(name), ctypes.byref(out),
                            ctypes.byref(err))
        if rc == errors.ENOTFOUND:
            lib.rc_error_clear(ctypes.byref(err))
            return None
        errors.check(rc, err)
        return take_dict(out.value)

    def list(self, resource, namespace=None, label_selector=None):
        """Cached objects of resource in namespace (None = all) matching label_selector, in key order."""
        err = errors.new_error()
        sel = None
        if label_selector is not None:
            sel = lib.rc_selector_parse(b(label_selector), ctypes.byref(err))
            if not sel:
                raise errors.from_rc_error(err, errors.EBADREQUEST)
        try:
            with object_list() as lst:
                errors.check(lib.rc_ctx_list(self._live(), b(resource), b(namespace), sel, ctypes.byref(lst),
                                             ctypes.byref(err)), err)
                return list_dicts(lst)
        finally:
            lib.rc_selector_free(sel)

    def event(self, obj, type, reason, message):
        """Records a Normal or Warning event about obj (a dict with apiVersion, kind and metadata)."""
        with native(obj) as ptr:
            lib.rc_ctx_event(self._live(), ptr, b(type), b(reason), b"%s", b(message))

    def log(self, message, level="info"):
        lib.rc_ctx_log(self._live(), LOG_LEVELS[level], b"%s", b(message))

    @staticmethod
    def set_controller_ref(child, owner):
        """child (a dict) with a controller ownerReference to owner (which needs metadata.uid)."""
        err = errors.new_error()
        with native(child) as frozen, native(owner) as o:
            draft = lib.rc_object_copy(frozen)
            if not draft:
                raise MemoryError("rc_object_copy failed")
            try:
                errors.check(lib.rc_set_controller_ref(draft, o, ctypes.byref(err)), err)
                lib.rc_object_freeze(draft)
                return take_dict(lib.rc_object_copy(draft))
            finally:
                lib.rc_object_unref(draft)


def _error_message(exc):
    return "%s: %s" % (type(exc).__name__, exc)


class Controller:
    """A Python reconcile function wired as an rc_controller_into_ops. Made by TestEnv.add_controller; keeps
    the ctypes callbacks alive for as long as the environment runs it. `calls` counts reconciles, `failures`
    lists (key, "Type: message", traceback text) of the latest exceptions (at most 100)."""

    MAX_FAILURES = 100

    def __init__(self, name, fn, for_, owns=(), reads=(), watches=(), predicates=(), skip_own_writes=False):
        if not callable(fn):
            raise TypeError("reconcile must be callable")
        self.name = name
        self.fn = fn
        self.for_ = for_
        self.owns = list(owns)
        self.reads = list(reads)
        self.watches = [(res, mapfn) for res, mapfn in watches]
        self.calls = 0
        self.failures = []
        bits = 0
        for p in predicates:
            bits |= PREDICATES[p]
        self._for_opts = RcWatchOptions(bits, None, None, skip_own_writes)
        self._map_callbacks = [MAP_FN(self._mapper(mapfn)) for _, mapfn in self.watches]
        self.ops = RcControllerIntoOps(b(name), SETUP_FN(self._setup), RECONCILE_INTO_FN(self._reconcile),
                                       None)

    def _record_failure(self, key, exc):
        self.failures.append((key, _error_message(exc), traceback.format_exc()))
        del self.failures[:-self.MAX_FAILURES]

    def _setup(self, _self, builder, err):
        try:
            rc = lib.rc_builder_for(builder, b(self.for_), ctypes.byref(self._for_opts), err)
            for res in self.owns:
                rc = rc or lib.rc_builder_owns(builder, b(res), None, err)
            for res in self.reads:
                rc = rc or lib.rc_builder_reads(builder, b(res), err)
            for (res, _), cb in zip(self.watches, self._map_callbacks):
                rc = rc or lib.rc_builder_watches(builder, b(res), cb, None, None, err)
            return rc
        except BaseException as exc:  # never let an exception unwind into C
            self._record_failure("<setup>", exc)
            return errors.EINTERNAL

    def _mapper(self, mapfn):
        def call(_ctx, obj, out):
            try:
                for key in mapfn(to_dict(obj)) or ():
                    lib.rc_keys_add(out, b(key))
            except BaseException as exc:
                self._record_failure("<map>", exc)
        return call

    def _outcome(self, value):
        if value is None or value is True:
            return RcResult(RESULT_DONE, 0, 0)
        if isinstance(value, Requeue):
            if value.after is None:
                return RcResult(RESULT_REQUEUE, 0, 0)
            return RcResult(RESULT_REQUEUE_AFTER, int(value.after * SEC), 0)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            return RcResult(RESULT_REQUEUE_AFTER, int(value * SEC), 0)
        raise TypeError("reconcile returned %r; expected None, a Requeue or seconds" % (value,))

    def _reconcile(self, _self, ctx, key, result):
        self.calls += 1
        context = None
        try:
            context = Context(ctx)
            outcome = self._outcome(self.fn(context))
        except BaseException as exc:
            self._record_failure(key.decode(errors="replace"), exc)
            code = exc.code if isinstance(exc, errors.ApiError) else errors.EINTERNAL
            try:
                outcome = lib.rc_result_error(ctx, code, b"%s", b(_error_message(exc)))
            except BaseException:
                outcome = RcResult(RESULT_ERROR, 0, code)
        finally:
            if context is not None:
                context._ptr = None
        result[0] = outcome
        return 0
