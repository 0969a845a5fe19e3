/* limits.h - the request limits every write to the embedded API server passes before defaulting and
 * validation (lib/apiserver/limits.c): size, nesting depth, UTF-8 and duplicate keys. The HTTP front also
 * caps the body it reads (http_server.c) and the codec caps what it decodes (codec.h); these apply to
 * objects arriving through any rc_client, including in-process ones that never went through a parser. */
#ifndef RC_APISERVER_LIMITS_H
#define RC_APISERVER_LIMITS_H

#include <reconcile/common.h>
#include <cjson/cJSON.h>

#define RCI_MAX_OBJECT_BYTES (3u * 1024u * 1024u) /* an object's size as JSON, like kube-apiserver's body cap */
#define RCI_MAX_OBJECT_DEPTH 512u                  /* nested objects and arrays, as rc_object_from_json */

/* 0 when tree is within the limits; otherwise the whole write is refused, naming the field at fault:
 * RC_ETOOLARGE (413) above RCI_MAX_OBJECT_BYTES (the message names the largest top-level field),
 * RC_EBADREQUEST (400) for nesting deeper than RCI_MAX_OBJECT_DEPTH, a string or key that is not valid
 * UTF-8, or a key given twice in one object. Reads tree only; stack use is bounded by the depth limit. */
int rci_limits_check(const cJSON *tree, rc_error *err);

#endif
