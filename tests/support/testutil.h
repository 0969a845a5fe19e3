/* testutil.h - shared helpers for the Check suites: run a suite and exit with its result. */
#ifndef RC_TESTUTIL_H
#define RC_TESTUTIL_H

#include <check.h>
#include <stdlib.h>

/* Runs the suite (Check prints "N%: Checks: N, Failures: N, Errors: N") and returns the exit status. */
int rc_test_run_suite(Suite *s);

/* Reads a whole file into a malloc'd NUL-terminated buffer; NULL if unreadable. */
char *rc_test_read_file(const char *path, size_t *len);

#endif
