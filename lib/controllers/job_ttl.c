/* job_ttl.c - when a finished Job's ttlSecondsAfterFinished runs out (spec section 5.7): the finish
 * time is the lastTransitionTime of its Complete or Failed condition. Pure; the controller that acts on
 * it is job_ttl_controller.c. */
#include <string.h>

#include "controllers/controller_utils.h"
#include "controllers/job.h"

/* lastTransitionTime of the Complete=True or Failed=True condition, 0 when unfinished. */
static rc_time finish_time(const rc_object *job)
{
    rc_node conds = rc_object_at(job, "status.conditions");
    for (size_t i = 0; i < rc_node_len(conds); i++) {
        rc_node c = rc_node_index(conds, i);
        const char *type = rc_node_str(rc_node_get(c, "type")), *st = rc_node_str(rc_node_get(c, "status"));
        if (type && st && (!strcmp(type, "Complete") || !strcmp(type, "Failed")) && !strcmp(st, "True"))
            return rci_node_time(rc_node_get(c, "lastTransitionTime"));
    }
    return 0;
}

int rci_job_ttl_due(const rc_object *job, rc_time now, rc_duration *remaining)
{
    rc_node ttl = rc_object_at(job, "spec.ttlSecondsAfterFinished");
    rc_time done = finish_time(job);
    if (rc_node_kind(ttl) != RC_NODE_NUMBER || done == 0 || rc_object_deletion_timestamp(job))
        return -1;
    rc_duration left = done + rc_node_int(ttl, 0) * RC_SEC - now;
    if (left <= 0)
        return 0;
    *remaining = left;
    return 1;
}
