/* store_internal.h - helpers the cache layer shares around rc_store and rc_object_list. */
#ifndef RC_CACHE_STORE_INTERNAL_H
#define RC_CACHE_STORE_INTERNAL_H

#include <reconcile/listwatch.h>

/* Grows l so that `extra` more items fit without reallocating. False on allocation failure. */
bool rci_object_list_reserve(rc_object_list *l, size_t extra);

#endif
