/* managed.c - metadata.managedFields, kept as upstream's field managers record them, in a basic form:
 * every create, update or patch made with a field manager (and every server-side apply) leaves one entry
 * per manager, operation (Apply or Update) and subresource, with apiVersion, time and a FieldsV1 set of
 * the fields it set: for Apply the fields of the applied configuration, for Update the fields whose value
 * it changed. Lists are recorded as whole fields (no per-item k:/v: keys) and ownership is not used to
 * detect apply conflicts. Called by write.c before a changed object is committed. */
#include "apiserver/internal.h"
#include "apiserver/tree_equal.h"

#include <stdio.h>
#include <string.h>

static bool skipped(int depth, const char *parent, const char *key, bool status_write)
{
    if (depth == 0)
        return !strcmp(key, "apiVersion") || !strcmp(key, "kind") || (status_write != !strcmp(key, "status"));
    static const char *const server_owned[] = {"name", "namespace", "uid", "resourceVersion", "generation",
                                               "creationTimestamp", "deletionTimestamp", "selfLink",
                                               "managedFields", "deletionGracePeriodSeconds"};
    if (depth == 1 && !strcmp(parent, "metadata"))
        for (size_t i = 0; i < sizeof server_owned / sizeof *server_owned; i++)
            if (!strcmp(key, server_owned[i]))
                return true;
    return false;
}

/* Adds to set ("f:<key>" members) every field of node that differs from `against` (NULL: every field). */
static void field_set(cJSON *set, const cJSON *node, const cJSON *against, int depth, const char *parent,
                      bool status_write)
{
    for (const cJSON *m = node->child; m; m = m->next) {
        if (!m->string || skipped(depth, parent, m->string, status_write))
            continue;
        const cJSON *was = against ? cJSON_GetObjectItemCaseSensitive(against, m->string) : NULL;
        if (was && rci_tree_equal(m, was))
            continue;
        char name[300];
        snprintf(name, sizeof name, "f:%s", m->string);
        cJSON *child = cJSON_CreateObject();
        if (cJSON_IsObject(m) && m->child)
            field_set(child, m, cJSON_IsObject(was) ? was : NULL, depth + 1, m->string, status_write);
        cJSON_AddItemToObject(set, name, child);
    }
}

static bool str_is(const cJSON *obj, const char *key, const char *want)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? !strcmp(v->valuestring, want) : !want[0];
}

void rci_managed_record(rci_req *req, cJSON *tree, const cJSON *old_tree)
{
    const char *manager = req->field_manager;
    if (!manager || !manager[0] || !cJSON_IsObject(tree))
        return;
    const char *operation = req->applied ? "Apply" : "Update";
    bool status_write = !strcmp(req->subresource, "status");
    cJSON *fields = cJSON_CreateObject();
    if (req->applied)
        field_set(fields, req->applied, NULL, 0, "", status_write);
    else
        field_set(fields, tree, old_tree, 0, "", status_write);
    if (!fields || (!fields->child && !req->applied)) {
        cJSON_Delete(fields);
        return;
    }
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(tree, "metadata");
    cJSON *entries = cJSON_GetObjectItemCaseSensitive(meta, "managedFields");
    if (!cJSON_IsArray(entries)) {
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "managedFields");
        entries = cJSON_AddArrayToObject(meta, "managedFields");
    }
    for (cJSON *e = entries ? entries->child : NULL, *next; e; e = next) {
        next = e->next;
        if (str_is(e, "manager", manager) && str_is(e, "operation", operation) &&
            str_is(e, "subresource", req->subresource))
            cJSON_Delete(cJSON_DetachItemViaPointer(entries, e));
    }
    char api_version[128], ts[32];
    rc_resource_api_version(req->ri, api_version, sizeof api_version);
    rci_format_time(rc_clock_now(req->srv->clock), ts, sizeof ts);
    cJSON *entry = cJSON_CreateObject();
    cJSON_AddStringToObject(entry, "manager", manager);
    cJSON_AddStringToObject(entry, "operation", operation);
    cJSON_AddStringToObject(entry, "apiVersion", api_version);
    cJSON_AddStringToObject(entry, "time", ts);
    cJSON_AddStringToObject(entry, "fieldsType", "FieldsV1");
    cJSON_AddItemToObject(entry, "fieldsV1", fields);
    if (req->subresource[0])
        cJSON_AddStringToObject(entry, "subresource", req->subresource);
    if (!entries || !cJSON_AddItemToArray(entries, entry))
        cJSON_Delete(entry);
}
