/* apply.c - `kubectl apply -f FILE` for rcsim: decodes the manifest, dry-runs every object first (so a
 * file with one bad object changes nothing, and every error is reported with the API server's message),
 * then applies each (create, or three-way merge with the last applied configuration) and prints what
 * happened as kubectl does: "deployment.apps/web created|configured|unchanged". */
#include "rcsim.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* "deployment.apps" / "service": kubectl's name for the object's type. */
static void type_name(const rc_resource_info *ri, char *buf, size_t cap)
{
    size_t i = 0;
    for (const char *k = ri->kind; *k && i + 1 < cap; k++)
        buf[i++] = (char)tolower((unsigned char)*k);
    buf[i] = '\0';
    if (ri->group[0])
        snprintf(buf + i, cap - i, ".%s", ri->group);
}

static void resource_name(const rc_resource_info *ri, char *buf, size_t cap)
{
    if (ri->group[0])
        snprintf(buf, cap, "%s.%s", ri->plural, ri->group);
    else
        snprintf(buf, cap, "%s", ri->plural);
}

/* A copy of obj in the default namespace when it is namespaced and names none. */
static rc_object *with_namespace(const rc_resource_info *ri, rc_object *obj)
{
    if (!ri->namespaced || rc_object_namespace(obj)[0])
        return rc_object_ref(obj);
    rc_object *copy = rc_object_copy(obj);
    if (copy && rc_object_set_namespace(copy, "default") == 0)
        return rc_object_freeze(copy);
    rc_object_unref(copy);
    return NULL;
}

static void print_error(const char *path, size_t index, const rc_object *obj, const rc_error *err)
{
    fprintf(stderr, "Error from server (%s): error when applying document %zu (%s \"%s\") from \"%s\": %s\n",
            err->reason[0] ? err->reason : rc_error_reason(err->code), index + 1,
            rc_object_kind(obj) ? rc_object_kind(obj) : "?", rc_object_name(obj) ? rc_object_name(obj) : "",
            path, err->message ? err->message : rc_strerror(err->code));
}

/* A namespace the file itself creates (so a dry run failing on it is not an error of the file). */
static bool creates_namespace(const rc_object_list *objs, const char *ns)
{
    for (size_t i = 0; i < objs->count; i++) {
        const char *kind = rc_object_kind(objs->items[i]);
        if (kind && !strcmp(kind, "Namespace") && rc_object_name(objs->items[i]) &&
            !strcmp(rc_object_name(objs->items[i]), ns))
            return true;
    }
    return false;
}

static int dry_run(rcsim_cluster *c, const char *path, const rc_object_list *objs, rc_object **fixed)
{
    int failed = 0;
    for (size_t i = 0; i < objs->count; i++) {
        rc_error err = {0};
        const rc_resource_info *ri = rc_client_resolve(c->client, NULL, objs->items[i], &err);
        fixed[i] = ri ? with_namespace(ri, objs->items[i]) : NULL;
        if (ri && !fixed[i])
            rc_error_set(&err, RC_ENOMEM, "out of memory");
        if (fixed[i]) {
            rc_write_options wo = {.dry_run = true, .field_manager = "kubectl-client-side-apply"};
            int rc = rc_client_apply(c->client, NULL, fixed[i], &wo, NULL, &err);
            if (rc == RC_ENOTFOUND && creates_namespace(objs, rc_object_namespace(fixed[i])))
                rc_error_clear(&err);
        }
        if (err.code) {
            print_error(path, i, objs->items[i], &err);
            failed++;
        }
        rc_error_clear(&err);
    }
    return failed;
}

static int apply_one(rcsim_cluster *c, rc_object *obj, FILE *out, rcsim_applied *rec, rc_error *err)
{
    const rc_resource_info *ri = rc_client_resolve(c->client, NULL, obj, err);
    if (!ri)
        return err->code;
    char res[160], type[160];
    resource_name(ri, res, sizeof res);
    type_name(ri, type, sizeof type);
    rc_object *before = NULL, *after = NULL;
    rc_client_get(c->client, res, rc_object_namespace(obj), rc_object_name(obj), &before, NULL);
    rc_write_options wo = {.field_manager = "kubectl-client-side-apply"};
    int rc = rc_client_apply(c->client, NULL, obj, &wo, &after, err);
    if (rc == 0) {
        const char *what = !before ? "created"
                           : !strcmp(rc_object_resource_version(before) ? rc_object_resource_version(before) : "",
                                     rc_object_resource_version(after) ? rc_object_resource_version(after) : "")
                               ? "unchanged"
                               : "configured";
        if (out)
            fprintf(out, "%s/%s %s\n", type, rc_object_name(obj), what);
        snprintf(rec->kind, sizeof rec->kind, "%s", ri->kind);
        snprintf(rec->ns, sizeof rec->ns, "%s", rc_object_namespace(obj));
        snprintf(rec->name, sizeof rec->name, "%s", rc_object_name(obj));
    }
    rc_object_unref(before);
    rc_object_unref(after);
    return rc;
}

int rcsim_apply_file(rcsim_cluster *c, const char *path, FILE *out, rcsim_applied **applied, size_t *napplied)
{
    rc_object_list objs;
    rc_object_list_init(&objs);
    rc_error err = {0};
    if (rc_decode_objects_file(path, NULL, &objs, &err) != 0) {
        fprintf(stderr, "error: %s\n", err.message ? err.message : rc_strerror(err.code));
        rc_error_clear(&err);
        return RC_EBADREQUEST;
    }
    if (objs.count == 0) {
        fprintf(stderr, "error: no objects passed to apply (%s)\n", path);
        rc_object_list_clear(&objs);
        return RC_EINVAL;
    }
    rc_object **fixed = calloc(objs.count, sizeof *fixed);
    rcsim_applied *recs = realloc(*applied, (*napplied + objs.count) * sizeof *recs);
    int rc = fixed && recs ? 0 : RC_ENOMEM;
    if (recs)
        *applied = recs;
    if (rc == 0 && dry_run(c, path, &objs, fixed) > 0)
        rc = RC_EINVAL;
    for (size_t i = 0; rc == 0 && i < objs.count; i++) {
        rc = apply_one(c, fixed[i], out, &recs[*napplied], &err);
        if (rc == 0)
            (*napplied)++;
        else
            print_error(path, i, fixed[i], &err);
        rc_error_clear(&err);
    }
    for (size_t i = 0; fixed && i < objs.count; i++)
        rc_object_unref(fixed[i]);
    free(fixed);
    rc_object_list_clear(&objs);
    return rc;
}
