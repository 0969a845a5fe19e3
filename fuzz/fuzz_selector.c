/* fuzz_selector.c - libFuzzer harness: label selector and field selector parsing, canonical printing
 * (which must parse again to the same canonical form) and matching. */
#include <reconcile.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    if (!text)
        return 0;
    static const char pod[] = "{\"metadata\":{\"name\":\"p\",\"labels\":{\"app\":\"web\",\"tier\":\"\"}},"
                              "\"status\":{\"phase\":\"Running\"}}";
    rc_object *o = rc_object_from_json(pod, sizeof pod - 1, NULL);
    rc_error err = {0};
    rc_selector *s = rc_selector_parse(text, &err);
    if (s) {
        char *canon = rc_selector_to_string(s);
        rc_selector *again = canon ? rc_selector_parse(canon, NULL) : NULL;
        char *canon2 = again ? rc_selector_to_string(again) : NULL;
        if (canon && (!canon2 || strcmp(canon, canon2) != 0))
            abort();
        if (again && rc_selector_matches_object(s, o) != rc_selector_matches_object(again, o))
            abort();
        free(canon);
        free(canon2);
        rc_selector_free(again);
        rc_selector_free(s);
    }
    rc_error_clear(&err);
    rc_field_selector *f = rc_field_selector_parse(text, &err);
    if (f) {
        (void)rc_field_selector_matches(f, o);
        free(rc_field_selector_to_string(f));
        rc_field_selector_free(f);
    }
    rc_error_clear(&err);
    rc_object *sel = rc_object_from_json((const char *)data, size, NULL);
    if (sel) {
        rc_selector *ls = rc_selector_from_node(rc_object_root(sel), "spec.selector", &err);
        if (ls)
            (void)rc_selector_matches_object(ls, o);
        rc_selector_free(ls);
        rc_error_clear(&err);
        rc_object_unref(sel);
    }
    rc_object_unref(o);
    free(text);
    return 0;
}
