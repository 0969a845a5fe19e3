/* log.c - leveled structured logging with a pluggable sink; the default sink prints plain text or JSON
 * lines to stderr. */
#include <reconcile/log.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/strbuf.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static rc_log_sink log_sink;
static void *log_ctx;
static _Atomic int log_threshold = RC_LOG_WARN;
static _Atomic bool log_json;

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

const char *rc_log_level_name(rc_log_level level)
{
    return level >= RC_LOG_DEBUG && level <= RC_LOG_OFF ? level_names[level] : "?";
}

void rc_log_set_sink(rc_log_sink sink, void *ctx, rc_log_level threshold)
{
    pthread_mutex_lock(&log_lock);
    log_sink = sink;
    log_ctx = ctx;
    pthread_mutex_unlock(&log_lock);
    atomic_store(&log_threshold, (int)threshold);
}

void rc_log_set_level(rc_log_level threshold) { atomic_store(&log_threshold, (int)threshold); }
rc_log_level rc_log_get_level(void) { return (rc_log_level)atomic_load(&log_threshold); }
void rc_log_set_json(bool json) { atomic_store(&log_json, json); }

static void default_sink(const rc_log_record *rec)
{
    rci_strbuf b;
    rci_strbuf_init(&b);
    if (atomic_load(&log_json)) {
        rci_strbuf_printf(&b, "{\"level\":\"%s\",\"component\":", rc_log_level_name(rec->level));
        rci_strbuf_json_string(&b, rec->component);
        if (rec->key) {
            rci_strbuf_puts(&b, ",\"key\":");
            rci_strbuf_json_string(&b, rec->key);
        }
        rci_strbuf_puts(&b, ",\"msg\":");
        rci_strbuf_json_string(&b, rec->message);
        rci_strbuf_puts(&b, "}\n");
    } else {
        rci_strbuf_printf(&b, "level=%s component=%s", rc_log_level_name(rec->level), rec->component);
        if (rec->key)
            rci_strbuf_printf(&b, " key=%s", rec->key);
        rci_strbuf_printf(&b, " msg=\"%s\"\n", rec->message);
    }
    if (b.data)
        fputs(b.data, stderr);
    rci_strbuf_free(&b);
}

void rc_log(rc_log_level level, const char *component, const char *key, const char *fmt, ...)
{
    if ((int)level < atomic_load(&log_threshold) || level >= RC_LOG_OFF)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *msg = rci_vasprintf(fmt, ap);
    va_end(ap);
    rc_log_record rec = {level, component ? component : "", key, msg ? msg : "(out of memory)"};
    pthread_mutex_lock(&log_lock);
    if (log_sink)
        log_sink(log_ctx, &rec);
    else
        default_sink(&rec);
    pthread_mutex_unlock(&log_lock);
    free(msg);
}
