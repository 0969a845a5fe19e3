"""Client: the rc_client verbs with dicts in and out. A Client borrows its rc_client from the object that
made it (a TestEnv, or the Context of one reconcile call): every call asks the owner for the pointer, so a
Client used after its owner closed raises RuntimeError instead of touching freed memory.

Resources are named as kubectl names them ("pods", "deploy", "networks.samplecrd.k8s.io"); where a call
takes an object, resource may be None and is then found from its apiVersion and kind."""

import ctypes
import json

from . import errors
from ._native import RcDeleteOptions, RcListOptions, RcWriteOptions, b, lib
from ._objects import native, object_list, list_dicts, take_dict

PATCH_TYPES = {"json": 1, "merge": 2, "strategic": 3, "apply": 4}
PROPAGATION = {None: 0, "Background": 1, "Foreground": 2, "Orphan": 3}
FIELD_VALIDATION = {None: 0, "Ignore": 1, "Warn": 2, "Strict": 3}


def _write_options(dry_run=False, field_manager=None, field_validation=None, force=False, subresource=None):
    if field_validation not in FIELD_VALIDATION:
        raise ValueError("field_validation must be one of Ignore, Warn, Strict")
    return RcWriteOptions(dry_run, b(field_manager), FIELD_VALIDATION[field_validation], force, b(subresource))


class Client:
    """The verbs of an API client. Every method raises an ApiError subclass on failure."""

    def __init__(self, resolve):
        self._resolve = resolve  # returns the borrowed rc_client pointer or raises RuntimeError

    def _call(self, fn, *args):
        err = errors.new_error()
        out = ctypes.c_void_p()
        errors.check(fn(self._resolve(), *args, ctypes.byref(out), ctypes.byref(err)), err)
        return take_dict(out.value) if out.value else None

    def get(self, resource, name, namespace=None):
        """The object as a dict; NotFound when absent."""
        return self._call(lib.rc_client_get, b(resource), b(namespace), b(name))

    def list(self, resource, namespace=None, label_selector=None, field_selector=None):
        """Objects of resource (every namespace when namespace is None) as a list of dicts."""
        opts = RcListOptions()
        opts.label_selector = b(label_selector)
        opts.field_selector = b(field_selector)
        err = errors.new_error()
        with object_list() as lst:
            errors.check(lib.rc_client_list(self._resolve(), b(resource), b(namespace), ctypes.byref(opts),
                                            ctypes.byref(lst), ctypes.byref(err)), err)
            return list_dicts(lst)

    def _write(self, fn, obj, resource, namespace, opts):
        with native(obj) as ptr:
            return self._call(fn, b(resource), b(namespace), ptr, ctypes.byref(opts))

    def create(self, obj, resource=None, namespace=None, **options):
        """Creates obj; returns it as stored. options: dry_run, field_manager, field_validation."""
        return self._write(lib.rc_client_create, obj, resource, namespace, _write_options(**options))

    def update(self, obj, resource=None, namespace=None, **options):
        """Replaces the object (Conflict when its resourceVersion is stale)."""
        return self._write(lib.rc_client_update, obj, resource, namespace, _write_options(**options))

    def update_status(self, obj, resource=None, namespace=None, **options):
        """Writes obj's status through the status subresource."""
        return self._write(lib.rc_client_update_status, obj, resource, namespace, _write_options(**options))

    def patch(self, resource, name, patch, namespace=None, type="merge", **options):
        """Patches resource name with patch (a dict/list, or text) of type json, merge, strategic or apply;
        options as create plus force and subresource ("status", "scale")."""
        if type not in PATCH_TYPES:
            raise ValueError("patch type must be one of %s" % ", ".join(PATCH_TYPES))
        data = b(patch if isinstance(patch, (str, bytes)) else json.dumps(patch))
        opts = _write_options(**options)
        return self._call(lib.rc_client_patch, b(resource), b(namespace), b(name), PATCH_TYPES[type], data,
                          len(data), ctypes.byref(opts))

    def delete(self, resource, name, namespace=None, propagation=None, grace_period=None, dry_run=False):
        """Deletes the object; returns its state after the call (still present while finalizers or a grace
        period hold it, else its final state)."""
        if propagation not in PROPAGATION:
            raise ValueError("propagation must be Background, Foreground or Orphan")
        opts = RcDeleteOptions(PROPAGATION[propagation], -1 if grace_period is None else int(grace_period),
                               None, None, dry_run)
        return self._call(lib.rc_client_delete, b(resource), b(namespace), b(name), ctypes.byref(opts))

    def apply(self, obj, resource=None, **options):
        """kubectl apply (client-side): creates obj or three-way merges it into the live object."""
        opts = _write_options(**options)
        with native(obj) as ptr:
            return self._call(lib.rc_client_apply, b(resource), ptr, ctypes.byref(opts))
