/* soak_model.c - the soak's view of the pods, rebuilt from the API server's write trace: for every pod
 * uid its name, controller, node and whether it is live, active or succeeded, as committed. The scenarios'
 * invariants (surge bounds, one pod per ordinal, job parallelism) are questions asked of this model after
 * each write. */
#include "soak/soak.h"

#include <stdlib.h>
#include <string.h>

#include "util/map.h"

struct soak_model {
    soak_pod *pods;
    size_t n, cap;
    rci_map by_uid; /* uid (owned by pods[i]) -> i + 1 */
};

soak_model *soak_model_new(void)
{
    soak_model *m = calloc(1, sizeof *m);
    if (m)
        rci_map_init(&m->by_uid);
    return m;
}

void soak_model_free(soak_model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->pods[i].uid);
        free(m->pods[i].name);
        free(m->pods[i].owner_kind);
        free(m->pods[i].owner_name);
        free(m->pods[i].node);
    }
    free(m->pods);
    rci_map_free(&m->by_uid);
    free(m);
}

static char *dup_or_empty(const char *s) { return strdup(s ? s : ""); }

static soak_pod *find_or_add(soak_model *m, const rc_object *pod)
{
    const char *uid = rc_object_uid(pod);
    uintptr_t at = (uintptr_t)rci_map_get(&m->by_uid, uid);
    if (at)
        return &m->pods[at - 1];
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 256;
        soak_pod *p = realloc(m->pods, cap * sizeof *p);
        if (!p)
            abort();
        m->pods = p;
        m->cap = cap;
    }
    soak_pod *p = &m->pods[m->n++];
    memset(p, 0, sizeof *p);
    rc_owner_ref ref = {0};
    bool owned = rc_object_controller_ref(pod, &ref);
    p->uid = dup_or_empty(uid);
    p->name = dup_or_empty(rc_object_name(pod));
    p->owner_kind = dup_or_empty(owned ? ref.kind : NULL);
    p->owner_name = dup_or_empty(owned ? ref.name : NULL);
    if (!p->uid || !p->name || !p->owner_kind || !p->owner_name || rci_map_put(&m->by_uid, p->uid, (void *)(uintptr_t)m->n, NULL) != 0)
        abort();
    return p;
}

const soak_pod *soak_model_apply(soak_model *m, const rc_trace_record *rec)
{
    if (strcmp(rec->resource->plural, "pods") || rec->resource->group[0] || !rec->object)
        return NULL;
    soak_pod *p = find_or_add(m, rec->object);
    const char *phase = rc_object_get_str(rec->object, "status.phase");
    const char *node = rc_object_get_str(rec->object, "spec.nodeName");
    if (node && (!p->node || strcmp(p->node, node))) {
        free(p->node);
        p->node = strdup(node);
    }
    bool finished = phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"));
    p->live = rec->type != RC_WATCH_DELETED;
    p->active = p->live && !finished && !rc_object_deletion_timestamp(rec->object);
    p->succeeded = p->succeeded || (phase && !strcmp(phase, "Succeeded"));
    return p;
}

const soak_pod *soak_model_pods(const soak_model *m, size_t *n)
{
    *n = m->n;
    return m->pods;
}

static bool name_matches(const char *pattern, const char *name)
{
    size_t n = strlen(pattern);
    if (n && pattern[n - 1] == '*')
        return !strncmp(pattern, name, n - 1);
    return !strcmp(pattern, name);
}

long soak_model_active(const soak_model *m, const char *owner_kind, const char *owner_name)
{
    long count = 0;
    for (size_t i = 0; i < m->n; i++)
        count += m->pods[i].active && !strcmp(m->pods[i].owner_kind, owner_kind) &&
                 name_matches(owner_name, m->pods[i].owner_name);
    return count;
}
