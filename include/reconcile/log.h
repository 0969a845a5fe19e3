/* log.h - leveled, structured logging to a pluggable sink. Every line has a level, a component
 * (controller or subsystem), an optional key and a message; the default sink writes plain text to stderr
 * at RC_LOG_WARN and above. Thread-safe. */
#ifndef RECONCILE_LOG_H
#define RECONCILE_LOG_H

#include "common.h"

typedef enum rc_log_level {
    RC_LOG_DEBUG = 0,
    RC_LOG_INFO = 1,
    RC_LOG_WARN = 2,
    RC_LOG_ERROR = 3,
    RC_LOG_OFF = 4
} rc_log_level;

typedef struct rc_log_record {
    rc_log_level level;
    const char *component; /* e.g. "replicaset", "reflector" (never NULL) */
    const char *key;       /* e.g. "default/web" or NULL */
    const char *message;
} rc_log_record;

/* A sink receives every record at or above the threshold; the record is borrowed for the call. */
typedef void (*rc_log_sink)(void *ctx, const rc_log_record *rec);

/* Replaces the sink (NULL restores the default stderr sink) and sets the threshold. */
RC_API void rc_log_set_sink(rc_log_sink sink, void *ctx, rc_log_level threshold);
RC_API void rc_log_set_level(rc_log_level threshold);
RC_API rc_log_level rc_log_get_level(void);
/* Default sink format: false = plain text, true = one JSON object per line. */
RC_API void rc_log_set_json(bool json);
RC_API void rc_log(rc_log_level level, const char *component, const char *key, const char *fmt, ...)
    RC_PRINTF(4, 5);
RC_API const char *rc_log_level_name(rc_log_level level);

#endif
