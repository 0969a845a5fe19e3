/* consumer.c - a user's program built only from the installed headers and `pkg-config libreconcile`;
 * proves the installed tree is complete. Parses an object and prints its key. */
#include <reconcile.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    const char *json = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\"}}";
    rc_error err = {0};
    rc_object *o = rc_object_from_json(json, strlen(json), &err);
    if (!o) {
        fprintf(stderr, "consumer: %s\n", err.message);
        rc_error_clear(&err);
        return 1;
    }
    int ok = strcmp(rc_object_key(o), "ns/p") == 0;
    printf("consumer: libreconcile %s key=%s\n", rc_version(), rc_object_key(o));
    rc_object_unref(o);
    return ok ? 0 : 1;
}
