/* object-basics.c - the README's first example: decode a manifest, read it, edit a copy, match a selector. */
#include <reconcile.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "examples/manifests/nginx-deployment.yaml";
    rc_error err = {0};
    rc_object_list objs;
    rc_object_list_init(&objs);
    if (rc_decode_objects_file(path, NULL, &objs, &err) != 0) { /* all documents, or none */
        fprintf(stderr, "%s\n", err.message);                    /* "file:line:column: reason" */
        rc_error_clear(&err);
        return 1;
    }
    rc_object *d = objs.items[0];                                /* frozen, refcounted, lock-free reads */
    printf("%s %s replicas=%lld image=%s\n", rc_object_kind(d), rc_object_key(d),
           (long long)rc_object_get_int(d, "spec.replicas", 1),
           rc_object_get_str(d, "spec.template.spec.containers.0.image"));
    rc_object *copy = rc_object_copy(d);                         /* a private draft to edit */
    rc_object_set_label(copy, "tier", "web");
    rc_object_freeze(copy);
    rc_selector *sel = rc_selector_parse("tier in (web,api),!canary", &err);
    printf("selector matches the copy: %s\n", rc_selector_matches_object(sel, copy) ? "yes" : "no");
    rc_selector_free(sel);
    rc_object_unref(copy);
    rc_object_list_clear(&objs);
    return 0;
}
