/* patch_type.c - patch types: mapping PATCH Content-Type headers to rc_patch_type and dispatching a
 * patch of any type to its implementation (the API server's single entry point). */
#include "api/patch_internal.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static const struct {
    int type;
    const char *content_type;
} patch_types[] = {
    {RC_PATCH_JSON, "application/json-patch+json"},
    {RC_PATCH_MERGE, "application/merge-patch+json"},
    {RC_PATCH_STRATEGIC, "application/strategic-merge-patch+json"},
    {RC_PATCH_APPLY, "application/apply-patch+yaml"},
};

#define NTYPES (sizeof patch_types / sizeof patch_types[0])

int rc_patch_type_from_content_type(const char *content_type)
{
    if (!content_type)
        return RC_EUNSUPPORTED;
    while (isspace((unsigned char)*content_type))
        content_type++;
    size_t n = strcspn(content_type, ";");
    while (n > 0 && isspace((unsigned char)content_type[n - 1]))
        n--;
    for (size_t i = 0; i < NTYPES; i++)
        if (strlen(patch_types[i].content_type) == n && strncasecmp(patch_types[i].content_type, content_type, n) == 0)
            return patch_types[i].type;
    return RC_EUNSUPPORTED;
}

const char *rc_patch_type_content_type(int type)
{
    for (size_t i = 0; i < NTYPES; i++)
        if (patch_types[i].type == type)
            return patch_types[i].content_type;
    return NULL;
}

cJSON *rc_patch_apply(int type, const cJSON *doc, const cJSON *patch, const char *api_version, const char *kind,
                      rc_error *err)
{
    switch (type) {
    case RC_PATCH_JSON:
        return rc_patch_json(doc, patch, err);
    case RC_PATCH_MERGE:
        return rc_patch_merge(doc, patch, err);
    case RC_PATCH_STRATEGIC:
        return rc_patch_strategic(doc, patch, api_version, kind, err);
    default:
        rc_error_set(err, RC_EUNSUPPORTED, "patch type %d is not applied here; accepted media types include: "
                     "application/json-patch+json, application/merge-patch+json, "
                     "application/strategic-merge-patch+json", type);
        return NULL;
    }
}
