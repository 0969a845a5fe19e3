/* sq_json.h - parses the single-quoted JSON the table-driven suites write for readability ('a' for "a"),
 * shared by test_admission_builtin.c, test_defaults.c, test_crd_schema.c and test_validation.c. Header-only
 * (static inline) because every .c file in tests/support is linked into every test program. */
#ifndef RC_TEST_SQ_JSON_H
#define RC_TEST_SQ_JSON_H

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "support/testutil.h"

/* Parses text with every ' read as "; the caller frees the result with cJSON_Delete. Asserts it parses. */
static inline cJSON *json(const char *text)
{
    char *s = strdup(text);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    cJSON *j = cJSON_Parse(s);
    free(s);
    ck_assert_msg(j != NULL, "bad test JSON: %s", text);
    return j;
}

#endif
