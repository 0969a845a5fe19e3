/* actions.c - the action log: every request an in-process client makes, in order (verb, resource with
 * subresource, namespace, name, actor, result, produced resourceVersion), kept in a bounded ring that
 * drops the oldest entries, and copied out for tests like client-go's fake Actions(). */
#include "apiserver/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void action_clear(rc_action *a)
{
    free(a->resource);
    free(a->namespace_);
    free(a->name);
    free(a->actor);
    memset(a, 0, sizeof *a);
}

void rci_action_record_locked(rc_apiserver *srv, const rci_req *req, int code)
{
    size_t cap = srv->opts.action_log_cap;
    rc_action *a;
    if (srv->nactions == cap) {
        a = &srv->actions[srv->actions_head];
        action_clear(a);
        srv->actions_head = (srv->actions_head + 1) % cap;
    } else {
        a = &srv->actions[(srv->actions_head + srv->nactions) % cap];
        srv->nactions++;
    }
    char res[300];
    rci_qualified(req->ri, res, sizeof res);
    if (req->subresource[0])
        snprintf(res + strlen(res), sizeof res - strlen(res), "/%s", req->subresource);
    snprintf(a->verb, sizeof a->verb, "%s", req->verb);
    a->resource = strdup(res);
    a->namespace_ = strdup(req->ns);
    a->name = strdup(req->name);
    a->actor = strdup(rci_actor(req));
    a->code = code;
    a->resource_version = req->result_rv;
}

void rci_actions_free_locked(rc_apiserver *srv)
{
    for (size_t i = 0; i < srv->nactions; i++)
        action_clear(&srv->actions[(srv->actions_head + i) % srv->opts.action_log_cap]);
    srv->nactions = 0;
    srv->actions_head = 0;
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

size_t rc_apiserver_actions(rc_apiserver *srv, rc_action **out)
{
    *out = NULL;
    pthread_mutex_lock(&srv->lock);
    size_t n = srv->nactions;
    rc_action *copy = n ? calloc(n, sizeof *copy) : NULL;
    for (size_t i = 0; copy && i < n; i++) {
        const rc_action *a = &srv->actions[(srv->actions_head + i) % srv->opts.action_log_cap];
        copy[i] = *a;
        copy[i].resource = dup_or_empty(a->resource);
        copy[i].namespace_ = dup_or_empty(a->namespace_);
        copy[i].name = dup_or_empty(a->name);
        copy[i].actor = dup_or_empty(a->actor);
    }
    pthread_mutex_unlock(&srv->lock);
    if (!copy)
        return 0;
    *out = copy;
    return n;
}

void rc_actions_free(rc_action *actions, size_t n)
{
    for (size_t i = 0; actions && i < n; i++)
        action_clear(&actions[i]);
    free(actions);
}

void rc_apiserver_clear_actions(rc_apiserver *srv)
{
    pthread_mutex_lock(&srv->lock);
    rci_actions_free_locked(srv);
    pthread_mutex_unlock(&srv->lock);
}
