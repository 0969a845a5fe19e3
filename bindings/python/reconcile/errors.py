"""Errors from the C library as Python exceptions. Every failing call raises an ApiError (or a subclass
named after the Kubernetes Status reason: NotFound, AlreadyExists, Conflict, Invalid, Forbidden, ...)
carrying the Status the C side reported: code (the negative RC_E* value), status (HTTP code), reason,
message and causes (a list of {"field", "reason", "message"} dicts)."""

from . import _native
from ._native import lib

# The RC_E* codes of include/reconcile/common.h.
EINVAL, EBADREQUEST, ENOTFOUND, EEXISTS, ECONFLICT, EGONE, EFORBIDDEN, EUNAUTHORIZED = range(-1, -9, -1)
ETOOLARGE, EUNSUPPORTED, ENOTALLOWED, ETOOMANY, EINTERNAL, EUNAVAILABLE, ETIMEOUT = range(-9, -16, -1)
ENOMEM, ECLOSED, EAGAIN, EIO = range(-16, -20, -1)


class ApiError(Exception):
    """An error reported by libreconcile, shaped like a Kubernetes metav1.Status."""

    default_code = EINTERNAL

    def __init__(self, message, code=None, status=None, reason=None, causes=None, retry_after=0):
        super().__init__(message)
        self.code = self.default_code if code is None else code
        self.status = lib.rc_error_http_status(self.code) if status is None else status
        self.reason = reason or lib.rc_error_reason(self.code).decode()
        self.message = message
        self.causes = list(causes or [])
        self.retry_after = retry_after

    def __str__(self):
        return "%s (%d %s)" % (self.message, self.status, self.reason)


class Invalid(ApiError):
    default_code = EINVAL


class BadRequest(ApiError):
    default_code = EBADREQUEST


class NotFound(ApiError):
    default_code = ENOTFOUND


class AlreadyExists(ApiError):
    default_code = EEXISTS


class Conflict(ApiError):
    default_code = ECONFLICT


class Gone(ApiError):
    default_code = EGONE


class Forbidden(ApiError):
    default_code = EFORBIDDEN


class Unauthorized(ApiError):
    default_code = EUNAUTHORIZED


class TooManyRequests(ApiError):
    default_code = ETOOMANY


class Timeout(ApiError):
    default_code = ETIMEOUT


class Unavailable(ApiError):
    default_code = EUNAVAILABLE


_BY_CODE = {cls.default_code: cls for cls in (Invalid, BadRequest, NotFound, AlreadyExists, Conflict, Gone,
                                              Forbidden, Unauthorized, TooManyRequests, Timeout, Unavailable)}


def _text(raw):
    return raw.decode("utf-8", "replace") if raw else None


def from_rc_error(err, code=None):
    """The exception for a filled rc_error (which is cleared). code is the call's return value, used when
    the error structure was left empty."""
    rc = err.code or code or EINTERNAL
    causes = [{"field": _text(c.field), "reason": _text(c.reason), "message": _text(c.message)}
              for c in err.causes[:err.ncauses]] if err.causes else []
    message = _text(err.message) or lib.rc_strerror(rc).decode()
    exc = _BY_CODE.get(rc, ApiError)(message, code=rc, status=err.http_status or None,
                                     reason=_text(err.reason), causes=causes,
                                     retry_after=err.retry_after_seconds)
    lib.rc_error_clear(err)
    return exc


def check(rc, err):
    """Raises the error of a call that returned rc (negative) with err filled; returns rc otherwise."""
    if rc < 0:
        raise from_rc_error(err, rc)
    return rc


def new_error():
    return _native.RcError()
