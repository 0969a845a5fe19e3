"""Crossing the boundary with objects: Python dicts become frozen rc_objects through JSON text
(rc_object_from_json) and come back through rc_object_to_json; object lists are read and released here.
Every rc_object reference taken in this module is released before returning."""

import contextlib
import ctypes
import json

from . import errors
from ._native import RcObjectList, b, lib, take_string


def to_dict(obj):
    """The dict of a borrowed rc_object pointer (None for NULL)."""
    if not obj:
        return None
    text = take_string(lib.rc_object_to_json(obj, None))
    if text is None:
        raise MemoryError("rc_object_to_json failed")
    return json.loads(text)


def take_dict(obj):
    """The dict of an owned rc_object reference, which is released."""
    try:
        return to_dict(obj)
    finally:
        lib.rc_object_unref(obj)


@contextlib.contextmanager
def native(obj):
    """A frozen rc_object for dict obj (or JSON/str text), released on exit. Raises BadRequest when obj is
    not a JSON object."""
    text = obj if isinstance(obj, (str, bytes)) else json.dumps(obj)
    data = b(text)
    err = errors.new_error()
    ptr = lib.rc_object_from_json(data, len(data), ctypes.byref(err))
    if not ptr:
        raise errors.from_rc_error(err, errors.EBADREQUEST)
    try:
        yield ptr
    finally:
        lib.rc_object_unref(ptr)


@contextlib.contextmanager
def object_list():
    """An initialised rc_object_list, cleared on exit."""
    lst = RcObjectList()
    lib.rc_object_list_init(ctypes.byref(lst))
    try:
        yield lst
    finally:
        lib.rc_object_list_clear(ctypes.byref(lst))


def list_dicts(lst):
    return [to_dict(lst.items[i]) for i in range(lst.count)]
