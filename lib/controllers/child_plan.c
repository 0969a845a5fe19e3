/* child_plan.c - building an rci_child_plan (see child_plan.h): growing arrays of actions and events,
 * the status slot and the requeue delay, and the child drafts the actions create. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "controllers/child_plan.h"
#include "util/strbuf.h"

void rci_plan_init(rci_child_plan *p)
{
    memset(p, 0, sizeof *p);
}

void rci_plan_clear(rci_child_plan *p)
{
    for (size_t i = 0; i < p->nactions; i++)
        rc_object_unref(p->actions[i].obj);
    for (size_t i = 0; i < p->nevents; i++)
        free(p->events[i].message);
    free(p->actions);
    free(p->events);
    cJSON_Delete(p->status);
    memset(p, 0, sizeof *p);
}

static bool grow(void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *n = realloc(*arr, ncap * size);
    if (!n)
        return false;
    *arr = n;
    *cap = ncap;
    return true;
}

void rci_plan_add(rci_child_plan *p, rci_action_kind kind, const char *resource, rc_object *obj,
                  rc_propagation propagation)
{
    if (!obj || !grow((void **)&p->actions, &p->cap, p->nactions + 1, sizeof *p->actions)) {
        rc_object_unref(obj);
        p->oom = true;
        return;
    }
    p->actions[p->nactions++] = (rci_action){kind, resource, obj, propagation};
}

void rci_plan_event(rci_child_plan *p, const char *type, const char *reason, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = rci_vasprintf(fmt, ap);
    va_end(ap);
    if (!msg || !grow((void **)&p->events, &p->ecap, p->nevents + 1, sizeof *p->events)) {
        free(msg);
        p->oom = true;
        return;
    }
    p->events[p->nevents++] = (rci_event_note){type, reason, msg};
}

void rci_plan_requeue(rci_child_plan *p, rc_duration after)
{
    if (after <= 0)
        after = 1;
    if (p->requeue == 0 || after < p->requeue)
        p->requeue = after;
}

void rci_plan_set_status(rci_child_plan *p, cJSON *status)
{
    cJSON_Delete(p->status);
    p->status = status;
    if (!status)
        p->oom = true;
}

size_t rci_plan_count(const rci_child_plan *p, rci_action_kind kind, const char *resource)
{
    size_t n = 0;
    for (size_t i = 0; i < p->nactions; i++)
        if (p->actions[i].kind == kind && !strcmp(p->actions[i].resource, resource))
            n++;
    return n;
}

rc_object *rci_plan_draft_child(const char *api_version, const char *kind, rc_node template_meta, cJSON *spec)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *meta = rc_node_to_cjson(template_meta);
    if (!meta)
        meta = cJSON_CreateObject();
    if (!root || !meta || !spec) {
        cJSON_Delete(root);
        cJSON_Delete(meta);
        cJSON_Delete(spec);
        return NULL;
    }
    cJSON_AddStringToObject(root, "apiVersion", api_version);
    cJSON_AddStringToObject(root, "kind", kind);
    cJSON_AddItemToObject(root, "metadata", meta);
    cJSON_AddItemToObject(root, "spec", spec);
    rc_object *child = rc_object_new_draft(root);
    if (!child)
        cJSON_Delete(root);
    return child;
}
