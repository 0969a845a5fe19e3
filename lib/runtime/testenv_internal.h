/* testenv_internal.h - the layout of rc_testenv shared by testenv.c (environment, driving, assertions)
 * and testenv_rbac.c (service-account rights of informers, the least-privilege report). */
#ifndef RC_RUNTIME_TESTENV_INTERNAL_H
#define RC_RUNTIME_TESTENV_INTERNAL_H

#include <reconcile/testenv.h>

/* A controller registered to act as a service account. */
typedef struct rci_testenv_sa {
    char *controller;
    char *user_name; /* "system:serviceaccount:NS:NAME" */
    rc_client *client;
    bool checked;    /* informer rights verified */
} rci_testenv_sa;

struct rc_testenv {
    rc_clock *clock;
    rc_apiserver *srv;
    rc_client *admin;
    rc_manager *m;
    rci_testenv_sa *sa;
    size_t nsa;
};

/* Verifies once per service-account controller that it may list and watch every resource its informers
 * serve; RC_EFORBIDDEN (logged, and in err) naming the controller, verb and resource otherwise. */
int rci_testenv_check_informer_rights(rc_testenv *env, rc_error *err);

#endif
