/* http_transport.c - one HTTP exchange of the rc_client HTTP backend over libcurl: TLS (verified by default;
 * CA, client certificate and key as files or in-memory PEM), bearer tokens (re-read from tokenFile for
 * rotated service-account tokens; never logged), the user agent, a token-bucket QPS/burst limiter,
 * retries with exponential back-off on 429/5xx and transport failures (Retry-After honoured), and typed
 * errors built from the Status bodies of failed requests. Easy handles are pooled to keep connections. */
#include "client/http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_BACKOFF_MS 5000

static void sleep_ns(rc_duration d)
{
    if (d <= 0)
        return;
    struct timespec ts = {.tv_sec = (time_t)(d / RC_SEC), .tv_nsec = (long)(d % RC_SEC)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

void rci_hc_throttle(rci_hc *c)
{
    if (c->qps <= 0)
        return;
    for (;;) {
        pthread_mutex_lock(&c->lock);
        rc_time now = rc_clock_now(rc_clock_real());
        c->tokens += (double)(now - c->refilled) / RC_SEC * c->qps;
        if (c->tokens > c->burst)
            c->tokens = c->burst;
        c->refilled = now;
        double missing = 1.0 - c->tokens;
        if (missing <= 0)
            c->tokens -= 1.0;
        pthread_mutex_unlock(&c->lock);
        if (missing <= 0)
            return;
        sleep_ns((rc_duration)(missing / c->qps * RC_SEC) + RC_MSEC);
    }
}

static char *read_token_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    return strdup(buf);
}

static struct curl_blob blob(const char *data, size_t len)
{
    return (struct curl_blob){.data = (void *)data, .len = len, .flags = CURL_BLOB_COPY};
}

int rci_hc_setup(rci_hc *c, CURL *h, const char *content_type, struct curl_slist **headers, rc_error *err)
{
    struct curl_slist *hl = curl_slist_append(NULL, "Accept: application/json");
    char line[512];
    if (content_type) {
        snprintf(line, sizeof line, "Content-Type: %s", content_type);
        hl = hl ? curl_slist_append(hl, line) : NULL;
    }
    hl = hl ? curl_slist_append(hl, "Expect:") : NULL;
    char *token = c->kc.token ? strdup(c->kc.token) : c->kc.token_file ? read_token_file(c->kc.token_file) : NULL;
    if (token) {
        char *auth = rci_asprintf("Authorization: Bearer %s", token);
        hl = hl && auth ? curl_slist_append(hl, auth) : NULL;
        if (auth)
            memset(auth, 0, strlen(auth));
        free(auth);
        memset(token, 0, strlen(token));
        free(token);
    } else if (c->kc.token_file) {
        curl_slist_free_all(hl);
        return rc_error_set(err, RC_EIO, "cannot read the token file %s", c->kc.token_file);
    }
    if (!hl)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    *headers = hl;
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->kc.insecure_skip_tls_verify ? 0L : 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c->kc.insecure_skip_tls_verify ? 0L : 2L);
    if (c->kc.ca_data) {
        struct curl_blob b = blob(c->kc.ca_data, c->kc.ca_data_len);
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &b);
    } else if (c->kc.ca_file) {
        curl_easy_setopt(h, CURLOPT_CAINFO, c->kc.ca_file);
    }
    if (c->kc.client_cert_data) {
        struct curl_blob b = blob(c->kc.client_cert_data, c->kc.client_cert_data_len);
        curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &b);
    } else if (c->kc.client_cert_file) {
        curl_easy_setopt(h, CURLOPT_SSLCERT, c->kc.client_cert_file);
    }
    if (c->kc.client_key_data) {
        struct curl_blob b = blob(c->kc.client_key_data, c->kc.client_key_data_len);
        curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &b);
    } else if (c->kc.client_key_file) {
        curl_easy_setopt(h, CURLOPT_SSLKEY, c->kc.client_key_file);
    }
    return 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    rci_strbuf *b = arg;
    rci_strbuf_append(b, data, size * n);
    return b->failed ? 0 : size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    int *retry_after = arg;
    if (size * n > 12 && !strncasecmp(data, "Retry-After:", 12))
        *retry_after = atoi(data + 12);
    return size * n;
}

int rci_hc_status_error(long status, const char *body, size_t len, rc_error *err)
{
    cJSON *st = body && len ? cJSON_ParseWithLength(body, len) : NULL;
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(st, "kind");
    bool is_status = cJSON_IsString(kind) && !strcmp(kind->valuestring, "Status");
    const cJSON *reason = is_status ? cJSON_GetObjectItemCaseSensitive(st, "reason") : NULL;
    const cJSON *msg = is_status ? cJSON_GetObjectItemCaseSensitive(st, "message") : NULL;
    const cJSON *code_j = is_status ? cJSON_GetObjectItemCaseSensitive(st, "code") : NULL;
    int http = cJSON_IsNumber(code_j) && code_j->valueint >= 400 ? code_j->valueint : (int)status;
    int code = rc_error_from_http(http, cJSON_IsString(reason) ? reason->valuestring : NULL);
    if (cJSON_IsString(msg))
        rc_error_set(err, code, "%s", msg->valuestring);
    else
        rc_error_set(err, code, "the server answered %ld: %.*s", status, (int)(len > 200 ? 200 : len),
                     body ? body : "");
    if (err) {
        err->http_status = http;
        if (cJSON_IsString(reason))
            snprintf(err->reason, sizeof err->reason, "%s", reason->valuestring);
        const cJSON *details = cJSON_GetObjectItemCaseSensitive(st, "details");
        const cJSON *ra = cJSON_GetObjectItemCaseSensitive(details, "retryAfterSeconds");
        if (cJSON_IsNumber(ra))
            err->retry_after_seconds = ra->valueint;
        const cJSON *cause;
        cJSON_ArrayForEach(cause, cJSON_GetObjectItemCaseSensitive(details, "causes"))
        {
            const cJSON *f = cJSON_GetObjectItemCaseSensitive(cause, "field");
            const cJSON *r = cJSON_GetObjectItemCaseSensitive(cause, "reason");
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(cause, "message");
            rc_error_add_cause(err, cJSON_IsString(f) ? f->valuestring : NULL, cJSON_IsString(r) ? r->valuestring : NULL,
                               "%s", cJSON_IsString(m) ? m->valuestring : "");
        }
    }
    cJSON_Delete(st);
    return code;
}

static CURL *take_handle(rci_hc *c)
{
    pthread_mutex_lock(&c->lock);
    CURL *h = c->npool ? c->pool[--c->npool] : NULL;
    pthread_mutex_unlock(&c->lock);
    if (h)
        curl_easy_reset(h);
    return h ? h : curl_easy_init();
}

static void give_handle(rci_hc *c, CURL *h)
{
    pthread_mutex_lock(&c->lock);
    if (c->npool < RCI_HC_POOL) {
        c->pool[c->npool++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&c->lock);
    if (h)
        curl_easy_cleanup(h);
}

static bool retriable(long status) { return status == 429 || status == 500 || status == 502 || status == 503 || status == 504; }

int rci_hc_do(rci_hc *c, const char *method, const char *path, const char *content_type, const char *body,
              size_t len, rci_hc_resp *resp, rc_error *err)
{
    rci_strbuf_init(&resp->body);
    resp->status = 0;
    char *url = rci_asprintf("%s%s", c->base, path);
    CURL *h = url ? take_handle(c) : NULL;
    if (!h) {
        free(url);
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    int rc = 0;
    for (int attempt = 0;; attempt++) {
        rci_hc_throttle(c);
        rci_strbuf_reset(&resp->body);
        resp->retry_after = 0;
        struct curl_slist *headers = NULL;
        rc = rci_hc_setup(c, h, content_type, &headers, err);
        if (rc != 0)
            break;
        char curl_err[CURL_ERROR_SIZE] = "";
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(h, CURLOPT_NOBODY, !strcmp(method, "HEAD") ? 1L : 0L);
        if (body) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        }
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp->body);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &resp->retry_after);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(c->timeout / RC_MSEC));
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
        CURLcode cc = curl_easy_perform(h);
        curl_slist_free_all(headers);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
        bool transport = cc != CURLE_OK;
        bool again = (transport || retriable(resp->status)) && attempt < c->max_retries;
        if (!again) {
            if (transport)
                rc = rc_error_set(err, cc == CURLE_OPERATION_TIMEDOUT ? RC_ETIMEOUT : RC_EIO, "%s %s: %s", method,
                                  path, curl_err[0] ? curl_err : curl_easy_strerror(cc));
            else if (resp->status >= 400)
                rc = rci_hc_status_error(resp->status, resp->body.data, resp->body.len, err);
            break;
        }
        long delay_ms = resp->retry_after > 0 ? resp->retry_after * 1000L : 100L << (attempt < 6 ? attempt : 6);
        sleep_ns((rc_duration)(delay_ms < MAX_BACKOFF_MS ? delay_ms : MAX_BACKOFF_MS) * RC_MSEC);
    }
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    give_handle(c, h);
    free(url);
    if (rc == 0 && resp->body.failed)
        rc = rc_error_set(err, RC_ENOMEM, "out of memory");
    return rc;
}
