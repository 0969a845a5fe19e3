/* storage_class.h - which StorageClass is the cluster's default (lib/api/storage_class.c), shared by the
 * DefaultStorageClass admission plugin (lib/apiserver) and the simulated volume binder (lib/sim). */
#ifndef RC_API_STORAGE_CLASS_H
#define RC_API_STORAGE_CLASS_H

#include <reconcile/listwatch.h>

/* The default among classes (annotated storageclass.kubernetes.io/is-default-class, or its beta form,
 * "true"): of several, the newest by creationTimestamp, then the first by name, as upstream since 1.26.
 * NULL when none is marked. Borrowed from classes. */
rc_object *rci_default_storage_class(const rc_object_list *classes);

#endif
