/* codec_internal.h - internal: what the codec's readers share (codec_docs.c implements it): effective
 * limits, "FILE:LINE:COLUMN: reason" errors and appending to a document list. */
#ifndef RC_API_CODEC_INTERNAL_H
#define RC_API_CODEC_INTERNAL_H

#include "reconcile/codec.h"

#include <stdarg.h>

typedef struct rci_codec_limits {
    size_t max_bytes;
    size_t max_depth;
    size_t max_nodes;
} rci_codec_limits;

/* Nesting allowed whatever the options say: the JSON reader, cJSON_Delete/Duplicate and the writer
 * recurse once per level, and the stack must hold. */
#define RCI_CODEC_DEPTH_CAP 10000u

/* opts (may be NULL) with zero fields replaced by the RC_CODEC_MAX_* defaults; depth capped. */
rci_codec_limits rci_codec_limits_of(const rc_decode_options *opts);

/* Label used in messages for filename (NULL -> "<input>"). */
const char *rci_codec_name(const char *filename);

/* Sets err to code with "FILE:LINE:COLUMN: " followed by the formatted reason; returns code. */
int rci_codec_fail(rc_error *err, int code, const char *filename, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
int rci_codec_vfail(rc_error *err, int code, const char *filename, int line, int col, const char *fmt,
                    va_list ap) __attribute__((format(printf, 6, 0)));

/* Checks len against the size limit (RC_ETOOLARGE with a message naming the file). */
int rci_codec_check_size(size_t len, const rci_codec_limits *lim, const char *filename, rc_error *err);

/* Appends doc (ownership moves to l even on failure, where doc is deleted). 0 or RC_ENOMEM. */
int rci_doc_list_push(rc_doc_list *l, cJSON *doc, int line);

/* Moves every document of src to the end of dst (all or nothing); src is left empty. 0 or RC_ENOMEM
 * (then src keeps its documents). */
int rci_doc_list_move(rc_doc_list *dst, rc_doc_list *src);

#endif
