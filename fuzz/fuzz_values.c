/* fuzz_values.c - libFuzzer harness: quantities (parse, canonical format must parse back equal), times
 * and durations. */
#include <reconcile.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    if (!text)
        return 0;
    rc_error err = {0};
    rc_quantity q;
    if (rc_quantity_parse(text, &q, &err) == 0) {
        char buf[128];
        rc_quantity_to_string(q, buf, sizeof buf);
        rc_quantity back;
        if (rc_quantity_parse(buf, &back, NULL) != 0 || rc_quantity_cmp(q, back) != 0)
            abort();
        (void)rc_quantity_milli_value(q);
        (void)rc_quantity_value(q);
    }
    rc_error_clear(&err);
    rc_time t;
    if (rc_time_parse(text, &t, &err) == 0) {
        char buf[64];
        rc_time_format(t, buf, sizeof buf);
    }
    rc_error_clear(&err);
    rc_duration d;
    if (rc_duration_parse(text, &d, &err) == 0) {
        char buf[64];
        rc_duration_format(d, buf, sizeof buf);
    }
    rc_error_clear(&err);
    free(text);
    return 0;
}
