/* codec.h - YAML and JSON manifests to cJSON documents and rc_objects, and back to kubectl-style YAML.
 *
 * Decoding follows what kubectl does with a manifest (sigs.k8s.io/yaml over go-yaml v2, YAML 1.1 typing):
 *  - multi-document streams (`---`, `...`); empty and null documents are skipped;
 *  - plain scalars: true/false/yes/no/on/off/y/n (any of lower, Title or UPPER case) are booleans;
 *    null/Null/NULL/~ and the empty value are null; integers in decimal, 0x hex, 0o or leading-0 octal and
 *    0b binary, `_` separators allowed; floats as 1.5, 2e3, .5; everything else is a string;
 *  - quoted and block scalars are strings; tags !!str !!int !!float !!bool !!null are honoured (a value
 *    that does not fit its tag is an error); unknown tags make the value a string;
 *  - .inf and .nan are errors (JSON, and so the API server, cannot hold them);
 *  - non-string keys become strings (`1: a` -> "1", `true: a` -> "true"); null and collection keys are
 *    errors; a key repeated in one mapping is an error naming both lines;
 *  - anchors and aliases are expanded (copied), merge keys `<<` are supported (explicit keys win); the
 *    expansion is bounded by a node limit and a depth limit (alias bombs fail cleanly).
 * Every decode is all or nothing: on error nothing is appended to the output and err->message reads
 * "FILE:LINE:COLUMN: reason" (1-based line and column, in characters).
 * Numbers are held as C doubles (cJSON): integers beyond 2^53 lose precision.
 *
 * All functions are reentrant and thread-safe (no global state); a given list must not be shared between
 * threads without locking. */
#ifndef RECONCILE_CODEC_H
#define RECONCILE_CODEC_H

#include "common.h"
#include "listwatch.h"
#include "object.h"
#include <cjson/cJSON.h>

#define RC_CODEC_MAX_BYTES (3u * 1024u * 1024u) /* default input size limit: 3 MiB, like kube-apiserver */
#define RC_CODEC_MAX_DEPTH 100u                   /* default nesting limit of mappings and sequences */
#define RC_CODEC_MAX_NODES 1000000u               /* default limit of nodes after alias expansion */

/* Limits for one decode call. Pass NULL, or zero fields, for the defaults above (max_depth is capped
 * at 10000 whatever is asked, for the stack of recursive helpers). */
typedef struct rc_decode_options {
    size_t max_bytes;
    size_t max_depth;
    size_t max_nodes;
} rc_decode_options;

/* Decoded documents. Zero-initialise (or rc_doc_list_init), decode into it, release with
 * rc_doc_list_clear. The list owns docs[i]; a caller may take one by setting docs[i] to NULL. */
typedef struct rc_doc_list {
    cJSON **docs;
    int *lines; /* 1-based line where document i's content starts */
    size_t count;
    size_t cap;
} rc_doc_list;

RC_API void rc_doc_list_init(rc_doc_list *l);
/* Deletes every (non-NULL) document and frees the arrays; leaves l initialised and empty. */
RC_API void rc_doc_list_clear(rc_doc_list *l);

/* Decodes a YAML stream (JSON is accepted too, as YAML) of len bytes and appends each non-empty
 * document to out. filename only labels messages (NULL: "<input>"). Returns 0; RC_EBADREQUEST for
 * malformed or ill-typed input, RC_ETOOLARGE when a limit is exceeded, RC_ENOMEM; RC_EINVAL when out
 * is NULL or text is NULL with len > 0. */
RC_API int rc_decode_yaml(const char *text, size_t len, const char *filename, const rc_decode_options *opts,
                          rc_doc_list *out, rc_error *err);
/* Decodes strict JSON: one or more whitespace-separated JSON values (like kubectl's JSON stream);
 * null values are skipped. Same errors, positions and limits as rc_decode_yaml; duplicate keys and
 * invalid UTF-8 are errors. */
RC_API int rc_decode_json(const char *text, size_t len, const char *filename, const rc_decode_options *opts,
                          rc_doc_list *out, rc_error *err);
/* JSON when the first non-blank character is '{' (as kubectl decides), YAML otherwise. */
RC_API int rc_decode(const char *text, size_t len, const char *filename, const rc_decode_options *opts,
                     rc_doc_list *out, rc_error *err);
/* Reads the file at path and calls rc_decode with path as the filename. RC_EIO when it cannot be read;
 * RC_ETOOLARGE when it is larger than the size limit (checked before reading). */
RC_API int rc_decode_file(const char *path, const rc_decode_options *opts, rc_doc_list *out, rc_error *err);

/* Like rc_decode, but every document must be a mapping; each becomes a frozen rc_object (a new
 * reference appended to out, which must be initialised). A document of another type is RC_EBADREQUEST
 * with "FILE:LINE:COLUMN: document N is a <type>, not a mapping". */
RC_API int rc_decode_objects(const char *text, size_t len, const char *filename,
                             const rc_decode_options *opts, rc_object_list *out, rc_error *err);
RC_API int rc_decode_objects_file(const char *path, const rc_decode_options *opts, rc_object_list *out,
                                  rc_error *err);

/* Encodes doc as kubectl-style block YAML: 2-space indentation, sequences not indented under their key,
 * keys in document order, strings quoted only when a plain scalar would read back differently
 * (multi-line strings as literal blocks). decode(encode(x)) equals x for any tree of valid UTF-8
 * strings (invalid bytes are written as U+FFFD) and finite numbers (infinities and NaN are written as
 * .inf/.nan, which do not decode). Returns malloc'd NUL-terminated text (caller frees; *len, optional,
 * gets its length), or NULL when doc is NULL, nests deeper than RC_OBJECT_MAX_DEPTH or memory runs out. */
RC_API char *rc_encode_yaml(const cJSON *doc, size_t *len);
/* Every document of l, each introduced by "---\n". An empty list gives "". Same ownership and limits. */
RC_API char *rc_encode_yaml_docs(const rc_doc_list *l, size_t *len);
/* rc_encode_yaml of the object's content. */
RC_API char *rc_object_to_yaml(const rc_object *o, size_t *len);

#endif
