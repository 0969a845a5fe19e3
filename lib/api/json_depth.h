/* json_depth.h - cJSON tree helpers without recursion (lib/api/json_depth.c): guards for trees built by
 * callers, and an O(1) append for code that builds trees. Parsers stop at RC_OBJECT_MAX_DEPTH, but a tree
 * assembled in memory can nest arbitrarily deep; every public function that walks such a tree
 * recursively checks it here first, without recursing itself. */
#ifndef RC_API_JSON_DEPTH_H
#define RC_API_JSON_DEPTH_H

#include <reconcile/object.h>

/* True when v nests at most RC_OBJECT_MAX_DEPTH objects and arrays (v itself counting as one). */
bool rci_cjson_depth_ok(const cJSON *v);
/* 0, or RC_EINVAL + err "<what>: nesting deeper than RC_OBJECT_MAX_DEPTH levels" when v is deeper. */
int rci_cjson_check_depth(const cJSON *v, const char *what, rc_error *err);
/* A copy of v (NULL on allocation failure) of at most RC_OBJECT_MAX_DEPTH + 1 levels: containers below
 * that are copied empty, so a copy of a deeper tree is still refused, at the same path, by every check. */
cJSON *rci_cjson_copy_capped(const cJSON *v);
/* Appends item to container c whose last child is *last (NULL when c is empty) and updates *last: O(1),
 * where cJSON_AddItemTo* walks the whole list on every append. */
void rci_cjson_append(cJSON *c, cJSON **last, cJSON *item);
/* cJSON_Delete without recursion: safe on a tree of any depth. NULL-safe. */
void rci_cjson_delete(cJSON *v);

#endif
