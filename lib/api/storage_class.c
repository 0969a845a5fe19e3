/* storage_class.c - the default StorageClass of a list of classes; see storage_class.h. */
#include "api/storage_class.h"

#include <string.h>

#include <reconcile/object.h>

static bool is_default(const rc_object *class)
{
    static const char *const marks[] = {"storageclass.kubernetes.io/is-default-class",
                                        "storageclass.beta.kubernetes.io/is-default-class"};
    for (size_t i = 0; i < 2; i++) {
        const char *v = rc_object_annotation(class, marks[i]);
        if (v && !strcmp(v, "true"))
            return true;
    }
    return false;
}

/* Whether a is to be preferred to b: newer (RFC 3339 timestamps of one format compare as strings), then
 * first by name. */
static bool preferred(const rc_object *a, const rc_object *b)
{
    const char *ta = rc_object_creation_timestamp(a), *tb = rc_object_creation_timestamp(b);
    int c = strcmp(ta ? ta : "", tb ? tb : "");
    return c != 0 ? c > 0 : strcmp(rc_object_name(a), rc_object_name(b)) < 0;
}

rc_object *rci_default_storage_class(const rc_object_list *classes)
{
    rc_object *chosen = NULL;
    for (size_t i = 0; i < classes->count; i++)
        if (is_default(classes->items[i]) && (!chosen || preferred(classes->items[i], chosen)))
            chosen = classes->items[i];
    return chosen;
}
