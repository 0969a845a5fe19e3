/* codec_docs.c - the codec's entry points that are not a format of their own: the document list, the
 * JSON-or-YAML choice (rc_decode, as kubectl makes it), reading files, and the helpers the readers share
 * (limits, positioned error messages). */
#include "api/codec_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/strbuf.h"

void rc_doc_list_init(rc_doc_list *l)
{
    memset(l, 0, sizeof *l);
}

void rc_doc_list_clear(rc_doc_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++)
        cJSON_Delete(l->docs[i]);
    free(l->docs);
    free(l->lines);
    rc_doc_list_init(l);
}

static bool doc_list_reserve(rc_doc_list *l, size_t extra)
{
    if (l->count + extra <= l->cap)
        return true;
    size_t cap = l->cap ? l->cap : 4;
    while (cap < l->count + extra)
        cap *= 2;
    cJSON **docs = realloc(l->docs, cap * sizeof *docs);
    if (!docs)
        return false;
    l->docs = docs;
    int *lines = realloc(l->lines, cap * sizeof *lines);
    if (!lines)
        return false;
    l->lines = lines;
    l->cap = cap;
    return true;
}

int rci_doc_list_push(rc_doc_list *l, cJSON *doc, int line)
{
    if (!doc_list_reserve(l, 1)) {
        cJSON_Delete(doc);
        return RC_ENOMEM;
    }
    l->docs[l->count] = doc;
    l->lines[l->count] = line;
    l->count++;
    return 0;
}

int rci_doc_list_move(rc_doc_list *dst, rc_doc_list *src)
{
    if (src->count == 0)
        return 0;
    if (!doc_list_reserve(dst, src->count))
        return RC_ENOMEM;
    memcpy(dst->docs + dst->count, src->docs, src->count * sizeof *src->docs);
    memcpy(dst->lines + dst->count, src->lines, src->count * sizeof *src->lines);
    dst->count += src->count;
    src->count = 0;
    rc_doc_list_clear(src);
    return 0;
}

rci_codec_limits rci_codec_limits_of(const rc_decode_options *opts)
{
    rci_codec_limits lim = {RC_CODEC_MAX_BYTES, RC_CODEC_MAX_DEPTH, RC_CODEC_MAX_NODES};
    if (opts) {
        if (opts->max_bytes)
            lim.max_bytes = opts->max_bytes;
        if (opts->max_depth)
            lim.max_depth = opts->max_depth;
        if (opts->max_nodes)
            lim.max_nodes = opts->max_nodes;
    }
    if (lim.max_depth > RCI_CODEC_DEPTH_CAP)
        lim.max_depth = RCI_CODEC_DEPTH_CAP;
    return lim;
}

const char *rci_codec_name(const char *filename)
{
    return filename ? filename : "<input>";
}

int rci_codec_vfail(rc_error *err, int code, const char *filename, int line, int col, const char *fmt,
                    va_list ap)
{
    if (!err)
        return code;
    char *reason = rci_vasprintf(fmt, ap);
    rc_error_set(err, code, "%s:%d:%d: %s", rci_codec_name(filename), line, col,
                 reason ? reason : "out of memory");
    free(reason);
    return code;
}

int rci_codec_fail(rc_error *err, int code, const char *filename, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rci_codec_vfail(err, code, filename, line, col, fmt, ap);
    va_end(ap);
    return code;
}

int rci_codec_check_size(size_t len, const rci_codec_limits *lim, const char *filename, rc_error *err)
{
    if (len <= lim->max_bytes)
        return 0;
    return rc_error_set(err, RC_ETOOLARGE, "%s: %zu bytes is more than the limit of %zu bytes",
                        rci_codec_name(filename), len, lim->max_bytes);
}

int rc_decode(const char *text, size_t len, const char *filename, const rc_decode_options *opts,
              rc_doc_list *out, rc_error *err)
{
    size_t i = 0;
    while (text && i < len && strchr(" \t\r\n", text[i]))
        i++;
    if (text && i < len && text[i] == '{')
        return rc_decode_json(text, len, filename, opts, out, err);
    return rc_decode_yaml(text, len, filename, opts, out, err);
}

/* Reads path whole into a malloc'd buffer, refusing files over the size limit before reading them. */
static int read_file(const char *path, const rci_codec_limits *lim, char **text, size_t *len, rc_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return rc_error_set(err, RC_EIO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return rc_error_set(err, RC_EIO, "%s: not a regular file", path);
    }
    int rc = rci_codec_check_size((size_t)st.st_size, lim, path, err);
    char *buf = rc ? NULL : malloc((size_t)st.st_size + 1);
    if (!rc && !buf)
        rc = rc_error_set(err, RC_ENOMEM, "%s: out of memory", path);
    size_t n = 0;
    if (!rc) {
        n = fread(buf, 1, (size_t)st.st_size, f);
        if (ferror(f))
            rc = rc_error_set(err, RC_EIO, "%s: read error", path);
    }
    fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

int rc_decode_file(const char *path, const rc_decode_options *opts, rc_doc_list *out, rc_error *err)
{
    if (!path || !out)
        return rc_error_set(err, RC_EINVAL, "rc_decode_file: path and out are required");
    rci_codec_limits lim = rci_codec_limits_of(opts);
    char *text = NULL;
    size_t len = 0;
    int rc = read_file(path, &lim, &text, &len, err);
    if (rc)
        return rc;
    rc = rc_decode(text, len, path, opts, out, err);
    free(text);
    return rc;
}
