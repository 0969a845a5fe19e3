/* fuzz_patch.c - libFuzzer harness: the three patch types. The input is a JSON document, a NUL byte and a
 * patch; every patch type is applied and the document must come out unchanged whatever happens. */
#include <reconcile.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    const unsigned char *sep = memchr(data, 0, size);
    if (!sep)
        return 0;
    char *doc_text = fuzz_cstr(data, (size_t)(sep - data));
    char *patch_text = fuzz_cstr(sep + 1, size - (size_t)(sep - data) - 1);
    cJSON *doc = doc_text ? cJSON_Parse(doc_text) : NULL;
    cJSON *patch = patch_text ? cJSON_Parse(patch_text) : NULL;
    if (doc && patch) {
        char *saved = cJSON_PrintUnformatted(doc); /* text, not cJSON_Compare: duplicate keys confuse it */
        rc_error err = {0};
        cJSON *r = rc_patch_json(doc, patch, &err);
        cJSON_Delete(r);
        rc_error_clear(&err);
        r = rc_patch_merge(doc, patch, &err);
        cJSON_Delete(r);
        rc_error_clear(&err);
        r = rc_patch_strategic(doc, patch, "apps/v1", "Deployment", &err);
        cJSON_Delete(r);
        rc_error_clear(&err);
        r = rc_apply_three_way(doc, patch, doc, "v1", "Pod", &err);
        cJSON_Delete(r);
        rc_error_clear(&err);
        char *after = cJSON_PrintUnformatted(doc);
        if (saved && after && strcmp(saved, after) != 0)
            abort();
        free(after);
        free(saved);
    }
    cJSON_Delete(doc);
    cJSON_Delete(patch);
    free(doc_text);
    free(patch_text);
    return 0;
}
