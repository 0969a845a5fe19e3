"""Manifests: YAML or JSON text to dicts and back, with the library's kubectl-compatible codec (YAML 1.1
typing as kubectl reads it, multi-document streams, all-or-nothing decoding with FILE:LINE:COLUMN
messages)."""

import ctypes

from . import errors
from ._native import b, lib, take_string
from ._objects import native, object_list, list_dicts


def parse(text, filename=None):
    """Every document of a YAML/JSON manifest as a list of dicts (empty documents skipped). Raises
    BadRequest naming file, line and column when the text is malformed or a document is not a mapping."""
    data = b(text)
    err = errors.new_error()
    with object_list() as lst:
        errors.check(lib.rc_decode_objects(data, len(data), b(filename), None, ctypes.byref(lst),
                                           ctypes.byref(err)), err)
        return list_dicts(lst)


def parse_file(path):
    """parse() of a file's content; the path labels error messages."""
    with open(path, "rb") as f:
        return parse(f.read(), path)


def to_yaml(obj):
    """kubectl-style block YAML of one object (a dict), as str."""
    with native(obj) as ptr:
        text = take_string(lib.rc_object_to_yaml(ptr, None))
    if text is None:
        raise MemoryError("rc_object_to_yaml failed")
    return text


def to_yaml_stream(objs):
    """Several objects as one multi-document YAML stream."""
    return "".join("---\n" + to_yaml(o) for o in objs)
