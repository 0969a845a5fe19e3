/* common.h - libreconcile's shared vocabulary: the export macro, error codes and the rc_error value
 * every fallible function fills in. Included by every other public header. */
#ifndef RECONCILE_COMMON_H
#define RECONCILE_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(RC_BUILDING_LIBRARY) && defined(__GNUC__)
#define RC_API __attribute__((visibility("default")))
#else
#define RC_API
#endif

#if defined(__GNUC__)
#define RC_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define RC_PRINTF(fmt, args)
#endif

#define RC_VERSION_MAJOR 0
#define RC_VERSION_MINOR 1
#define RC_VERSION_PATCH 0
#define RC_VERSION_STRING "0.1.0"

/* Error codes: functions return 0 on success or one of these (negative). Each maps to the
 * Kubernetes Status reason and HTTP code given in the comment. */
enum {
    RC_OK = 0,
    RC_EINVAL = -1,        /* Invalid, 422: the object or argument fails validation */
    RC_EBADREQUEST = -2,   /* BadRequest, 400: malformed request, selector, patch or document */
    RC_ENOTFOUND = -3,     /* NotFound, 404 */
    RC_EEXISTS = -4,       /* AlreadyExists, 409 */
    RC_ECONFLICT = -5,     /* Conflict, 409: stale resourceVersion */
    RC_EGONE = -6,         /* Expired, 410: resourceVersion older than the watch window */
    RC_EFORBIDDEN = -7,    /* Forbidden, 403 */
    RC_EUNAUTHORIZED = -8, /* Unauthorized, 401 */
    RC_ETOOLARGE = -9,     /* RequestEntityTooLarge, 413 */
    RC_EUNSUPPORTED = -10, /* UnsupportedMediaType, 415 */
    RC_ENOTALLOWED = -11,  /* MethodNotAllowed, 405 */
    RC_ETOOMANY = -12,     /* TooManyRequests, 429 */
    RC_EINTERNAL = -13,    /* InternalError, 500 */
    RC_EUNAVAILABLE = -14, /* ServiceUnavailable, 503 */
    RC_ETIMEOUT = -15,     /* Timeout, 504 */
    RC_ENOMEM = -16,       /* out of memory (InternalError, 500) */
    RC_ECLOSED = -17,      /* the component was shut down or closed */
    RC_EAGAIN = -18,       /* nothing available now; try again later (non-blocking calls) */
    RC_EIO = -19,          /* I/O or transport failure (ServiceUnavailable, 503) */
    RC_ECODE_MIN = -19
};

/* One field-level cause of an error, like metav1.StatusCause. */
typedef struct rc_error_cause {
    char *field;   /* JSON path of the offending field, e.g. "spec.replicas" (may be NULL) */
    char *reason;  /* upstream cause type, e.g. "FieldValueInvalid" (may be NULL) */
    char *message; /* human readable */
} rc_error_cause;

/* An error value. Zero-initialise it (`rc_error err = {0};`), pass its address to calls, read it when
 * a call fails and release it with rc_error_clear(). Every function taking `rc_error *err` accepts NULL. */
typedef struct rc_error {
    int code;              /* RC_E* or 0 */
    int http_status;       /* HTTP status for code, or as received from a server */
    char reason[40];       /* Status reason, e.g. "NotFound" */
    char *message;         /* owned; NULL when no error */
    rc_error_cause *causes; /* owned array of ncauses */
    size_t ncauses;
    int retry_after_seconds; /* from a 429/503 or Status details; 0 when none */
} rc_error;

/* Sets err (if not NULL) to code with a formatted message, replacing what it held; returns code. */
RC_API int rc_error_set(rc_error *err, int code, const char *fmt, ...) RC_PRINTF(3, 4);
/* Appends a cause (copied) to err; returns err->code. */
RC_API int rc_error_add_cause(rc_error *err, const char *field, const char *reason, const char *fmt, ...)
    RC_PRINTF(4, 5);
/* Frees what err holds and zeroes it. */
RC_API void rc_error_clear(rc_error *err);
/* Moves src into dst (dst cleared first); src is left zeroed. A NULL dst releases src. */
RC_API void rc_error_move(rc_error *dst, rc_error *src);
/* Static strings for a code: "Invalid", "NotFound", ...; a message for humans; its HTTP status. */
RC_API const char *rc_error_reason(int code);
RC_API const char *rc_strerror(int code);
RC_API int rc_error_http_status(int code);
/* The code for an HTTP status and Status reason received from a server (reason may be NULL). */
RC_API int rc_error_from_http(int http_status, const char *reason);

/* Library version, "0.1.0". */
RC_API const char *rc_version(void);

#endif
