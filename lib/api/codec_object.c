/* codec_object.c - the codec at the rc_object level: manifests to frozen objects (each document must be a
 * mapping) and objects back to YAML. Built on rc_decode (codec_docs.c) and rc_encode_yaml. */
#include "reconcile/codec.h"

#include <stdlib.h>

#include "api/codec_internal.h"

static const char *type_name(const cJSON *n)
{
    if (cJSON_IsArray(n))
        return "sequence";
    if (cJSON_IsString(n))
        return "string";
    if (cJSON_IsNumber(n))
        return "number";
    if (cJSON_IsBool(n))
        return "boolean";
    return "null";
}

/* Converts every document of docs to an object and appends all of them to out, or none. */
static int docs_to_objects(const rc_doc_list *docs, const char *filename, rc_object_list *out, rc_error *err)
{
    for (size_t i = 0; i < docs->count; i++)
        if (!cJSON_IsObject(docs->docs[i]))
            return rci_codec_fail(err, RC_EBADREQUEST, filename, docs->lines[i], 1,
                                  "document %zu is a %s, not a mapping (an object needs apiVersion, kind and "
                                  "metadata)", i + 1, type_name(docs->docs[i]));
    size_t before = out->count;
    int rc = 0;
    for (size_t i = 0; i < docs->count && !rc; i++) {
        rc_object *o = rc_object_from_cjson(docs->docs[i], err);
        if (!o) {
            rc = err && err->code ? err->code : RC_ENOMEM;
            break;
        }
        rc = rc_object_list_append(out, o);
        rc_object_unref(o);
        if (rc)
            rc_error_set(err, rc, "%s: out of memory", rci_codec_name(filename));
    }
    while (rc && out->count > before)
        rc_object_unref(out->items[--out->count]);
    return rc;
}

int rc_decode_objects(const char *text, size_t len, const char *filename, const rc_decode_options *opts,
                      rc_object_list *out, rc_error *err)
{
    if (!out)
        return rc_error_set(err, RC_EINVAL, "rc_decode_objects: out is required");
    rc_doc_list docs = {0};
    int rc = rc_decode(text, len, filename, opts, &docs, err);
    if (!rc)
        rc = docs_to_objects(&docs, filename, out, err);
    rc_doc_list_clear(&docs);
    return rc;
}

int rc_decode_objects_file(const char *path, const rc_decode_options *opts, rc_object_list *out, rc_error *err)
{
    if (!out)
        return rc_error_set(err, RC_EINVAL, "rc_decode_objects_file: out is required");
    rc_doc_list docs = {0};
    int rc = rc_decode_file(path, opts, &docs, err);
    if (!rc)
        rc = docs_to_objects(&docs, path, out, err);
    rc_doc_list_clear(&docs);
    return rc;
}

char *rc_object_to_yaml(const rc_object *o, size_t *len)
{
    if (!o)
        return NULL;
    cJSON *root = rc_object_to_cjson(o);
    char *text = rc_encode_yaml(root, len);
    cJSON_Delete(root);
    return text;
}
