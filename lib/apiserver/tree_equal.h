/* tree_equal.h - rci_tree_equal (lib/apiserver/tree_equal.c): the write path's deep JSON comparison, the
 * answer cJSON_Compare(a, b, true) gives for objects without duplicate keys (the limits check refuses
 * those), at the cost of one walk when both sides list their members in the same order. */
#ifndef RC_APISERVER_TREE_EQUAL_H
#define RC_APISERVER_TREE_EQUAL_H

#include <stdbool.h>

#include <cjson/cJSON.h>

/* True when a and b hold the same JSON value: same types, numbers equal within cJSON's tolerance, same
 * strings, arrays equal element by element, objects with the same keys mapped to equal values in any
 * order. NULL equals nothing. Reads both trees only. */
bool rci_tree_equal(const cJSON *a, const cJSON *b);

#endif
