/* reconcile.h - libreconcile's umbrella header: the Kubernetes controller pattern in C.
 * Each concept has its own header under reconcile/; including this one gives you all of them. */
#ifndef RECONCILE_H
#define RECONCILE_H

#include "reconcile/common.h"
#include "reconcile/clock.h"
#include "reconcile/log.h"
#include "reconcile/object.h"
#include "reconcile/registry.h"
#include "reconcile/selector.h"
#include "reconcile/values.h"
#include "reconcile/codec.h"
#include "reconcile/patch.h"
#include "reconcile/metrics.h"
#include "reconcile/workqueue.h"
#include "reconcile/store.h"
#include "reconcile/delta_fifo.h"
#include "reconcile/reflector.h"
#include "reconcile/informer.h"
#include "reconcile/expectations.h"
#include "reconcile/events.h"
#include "reconcile/leader.h"
#include "reconcile/controller.h"
#include "reconcile/manager.h"
#include "reconcile/testenv.h"
#include "reconcile/controllers.h"
#include "reconcile/cron.h"
#include "reconcile/sim.h"
#include "reconcile/listwatch.h"
#include "reconcile/client.h"
#include "reconcile/apiserver.h"
#include "reconcile/rbac.h"
#include "reconcile/httpserver.h"
#include "reconcile/kubeconfig.h"
#include "reconcile/admission.h"

#endif
