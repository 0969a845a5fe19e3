/* fuzz_codec.c - libFuzzer harness: YAML and JSON manifest decoding, object packing and re-encoding.
 * Anything decoded must re-encode and decode again to the same documents. */
#include <reconcile.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    rc_error err = {0};
    rc_doc_list docs;
    rc_doc_list_init(&docs);
    if (rc_decode((const char *)data, size, "fuzz", NULL, &docs, &err) == 0) {
        size_t len = 0;
        char *yaml = rc_encode_yaml_docs(&docs, &len);
        /* aliases expand on decode, so the re-encoded text of a small input can exceed the size limit:
         * the round trip is only defined within it */
        if (yaml && len <= RC_CODEC_MAX_BYTES) {
            rc_doc_list again;
            rc_doc_list_init(&again);
            if (rc_decode_yaml(yaml, len, "re", NULL, &again, NULL) != 0 || again.count != docs.count)
                abort();
            for (size_t i = 0; i < docs.count; i++)
                if (!cJSON_Compare(docs.docs[i], again.docs[i], 1))
                    abort();
            rc_doc_list_clear(&again);
        }
        free(yaml);
        for (size_t i = 0; i < docs.count; i++) {
            rc_object *o = rc_object_from_cjson(docs.docs[i], NULL);
            if (o) {
                (void)rc_object_key(o);
                free(rc_object_to_json(o, NULL));
                rc_object_unref(o);
            }
        }
    }
    rc_error_clear(&err);
    rc_doc_list_clear(&docs);
    rc_object *o = rc_object_from_json((const char *)data, size, &err);
    if (o) {
        size_t len;
        char *json = rc_object_to_json(o, &len);
        rc_object *back = json ? rc_object_from_json(json, len, NULL) : NULL;
        if (json && (!back || !rc_object_equal(o, back)))
            abort();
        rc_object_unref(back);
        free(json);
        rc_object_unref(o);
    }
    rc_error_clear(&err);
    return 0;
}
