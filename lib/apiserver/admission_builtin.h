/* admission_builtin.h - the admission plugins kube-apiserver enables by default that controllers can
 * observe: NamespaceLifecycle, ServiceAccount and DefaultTolerationSeconds (admission_builtin.c). The
 * server registers them at start, in this order, before any user plugin. */
#ifndef RC_APISERVER_ADMISSION_BUILTIN_H
#define RC_APISERVER_ADMISSION_BUILTIN_H

#include <reconcile/admission.h>

/* Fills out[0..] with the built-in plugins (at most cap) and returns how many it filled. The plugins
 * have no state (ctx and destroy are NULL) and are thread-safe. */
int rci_admission_builtin(rc_admission_plugin *out, size_t cap);

/* The default tolerationSeconds DefaultTolerationSeconds adds for not-ready and unreachable nodes. */
#define RCI_DEFAULT_TOLERATION_SECONDS 300

#endif
