/* expectations.h - rc_expectations: upstream's ControllerExpectations with the UID-tracking variant.
 *
 * Before a controller issues N creates (or deletes) for the object with key K it records that it expects
 * them; the informer events that follow lower the counts (the manager does this automatically for
 * resources declared with rc_builder_owns). Until the counts are met - or the record is older than the
 * timeout (5 minutes) - rc_expectations_satisfied(K) is false and the controller must not act on its
 * cache again (it would miss its own writes). A failed API call lowers the count at once.
 *
 * Deletions may be tracked by child key (the UID-tracking variant used by ReplicaSets): a child that first
 * gets a deletionTimestamp and later disappears is counted once.
 *
 * Thread-safe. Keys are copied. */
#ifndef RECONCILE_EXPECTATIONS_H
#define RECONCILE_EXPECTATIONS_H

#include "clock.h"
#include "common.h"

#define RC_EXPECTATIONS_TIMEOUT (5 * RC_MINUTE)

typedef struct rc_expectations rc_expectations;

/* A new tracker on clock (borrowed); timeout 0 = RC_EXPECTATIONS_TIMEOUT. NULL on allocation failure. */
RC_API rc_expectations *rc_expectations_new(rc_clock *clock, rc_duration timeout);
RC_API void rc_expectations_free(rc_expectations *e);

/* Replaces the record of key with adds creates and dels deletes expected (SetExpectations), timestamped
 * now. RC_EINVAL for negative counts or a NULL key, RC_ENOMEM. */
RC_API int rc_expectations_set(rc_expectations *e, const char *key, int adds, int dels);
RC_API int rc_expectations_expect_creations(rc_expectations *e, const char *key, int adds);
RC_API int rc_expectations_expect_deletions(rc_expectations *e, const char *key, int dels);
/* The UID-tracking variant: expects the deletion of each of the n child keys (replacing the record). */
RC_API int rc_expectations_expect_deletions_of(rc_expectations *e, const char *key,
                                               const char *const *child_keys, size_t n);
/* Lowers (or raises) the counts of an existing record; no record: nothing happens. */
RC_API void rc_expectations_lower(rc_expectations *e, const char *key, int adds, int dels);
RC_API void rc_expectations_raise(rc_expectations *e, const char *key, int adds, int dels);
/* One create / delete was observed (or a call failed). */
RC_API void rc_expectations_creation_observed(rc_expectations *e, const char *key);
RC_API void rc_expectations_deletion_observed(rc_expectations *e, const char *key);
/* Deletion of child_key observed: with tracked child keys, lowers the count only the first time for a
 * tracked child (untracked children are ignored); without, like deletion_observed. */
RC_API void rc_expectations_deletion_observed_of(rc_expectations *e, const char *key, const char *child_key);

/* True when key has no record, both counts are <= 0, or the record expired. */
RC_API bool rc_expectations_satisfied(rc_expectations *e, const char *key);
/* The pending counts (0 when no record); false when there is no record. */
RC_API bool rc_expectations_get(rc_expectations *e, const char *key, int *adds, int *dels);
/* Forgets key (the owner was deleted). */
RC_API void rc_expectations_delete(rc_expectations *e, const char *key);

#endif
