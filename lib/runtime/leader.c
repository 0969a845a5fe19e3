/* leader.c - rc_leader: leader election over a coordination.k8s.io/v1 Lease (client-go's LeaderElector
 * with the Lease lock). Each step reads the Lease; a record that changed restarts this candidate's
 * expiry timer (observed time); it takes or renews the lease with an update carrying the read
 * resourceVersion, so two candidates racing for it cannot both win. The leader gives up when it could not
 * renew for renewDeadline, and is_leader says false from that instant even before the next step. */
#include <reconcile/leader.h>
#include <reconcile/log.h>
#include <reconcile/values.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEASES "leases.coordination.k8s.io"

struct rc_leader {
    pthread_mutex_t mu;      /* state below */
    pthread_mutex_t step_mu; /* serialises steps and release */
    rc_client *client;
    rc_clock *clock;
    char *ns, *name, *identity;
    rc_duration lease_duration, renew_deadline, retry_period;
    bool release_on_stop;
    void (*on_started)(void *);
    void (*on_stopped)(void *);
    void (*on_new_leader)(void *, const char *);
    void *cb_ctx;
    bool leading, stopped;
    rc_time last_renew, next_try, observed_time;
    char observed[640];
    char holder[256];
};

int rc_leader_new(rc_client *client, rc_clock *clock, const rc_leader_options *o, rc_leader **out, rc_error *err)
{
    if (!client || !o || !out)
        return rc_error_set(err, RC_EINVAL, "leader: a client, options and an output pointer are required");
    if (!o->lease_name || !o->lease_name[0])
        return rc_error_set(err, RC_EINVAL, "leader: lease_name is required");
    if (!o->identity || !o->identity[0])
        return rc_error_set(err, RC_EINVAL, "leader: identity is required");
    rc_duration ld = o->lease_duration ? o->lease_duration : RC_LEADER_DEFAULT_LEASE_DURATION;
    rc_duration rd = o->renew_deadline ? o->renew_deadline : RC_LEADER_DEFAULT_RENEW_DEADLINE;
    rc_duration rp = o->retry_period ? o->retry_period : RC_LEADER_DEFAULT_RETRY_PERIOD;
    if (ld <= rd)
        return rc_error_set(err, RC_EINVAL, "leader: lease_duration must be greater than renew_deadline");
    if (rp <= 0 || rd <= rp)
        return rc_error_set(err, RC_EINVAL, "leader: renew_deadline must be greater than retry_period (> 0)");
    rc_leader *l = calloc(1, sizeof *l);
    if (!l)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    l->ns = strdup(o->lease_namespace && o->lease_namespace[0] ? o->lease_namespace : "kube-system");
    l->name = strdup(o->lease_name);
    l->identity = strdup(o->identity);
    if (!l->ns || !l->name || !l->identity) {
        free(l->ns);
        free(l->name);
        free(l->identity);
        free(l);
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&l->mu, NULL);
    pthread_mutex_init(&l->step_mu, NULL);
    l->client = rc_client_ref(client);
    l->clock = clock ? clock : rc_clock_real();
    l->lease_duration = ld;
    l->renew_deadline = rd;
    l->retry_period = rp;
    l->release_on_stop = o->release_on_stop;
    l->on_started = o->on_started_leading;
    l->on_stopped = o->on_stopped_leading;
    l->on_new_leader = o->on_new_leader;
    l->cb_ctx = o->cb_ctx;
    l->next_try = rc_clock_now(l->clock);
    *out = l;
    return 0;
}

void rc_leader_free(rc_leader *l)
{
    if (!l)
        return;
    rc_client_unref(l->client);
    pthread_mutex_destroy(&l->mu);
    pthread_mutex_destroy(&l->step_mu);
    free(l->ns);
    free(l->name);
    free(l->identity);
    free(l);
}

static void record_text(const rc_object *lease, char *buf, size_t cap)
{
    const char *h = rc_object_get_str(lease, "spec.holderIdentity"), *r = rc_object_get_str(lease, "spec.renewTime"),
               *a = rc_object_get_str(lease, "spec.acquireTime");
    snprintf(buf, cap, "%s|%s|%s|%lld|%lld", h ? h : "", r ? r : "", a ? a : "",
             (long long)rc_object_get_int(lease, "spec.leaseTransitions", 0),
             (long long)rc_object_get_int(lease, "spec.leaseDurationSeconds", 0));
}

/* Notes the lease as read or written at now; returns whether the holder changed (for on_new_leader). */
static bool observe(rc_leader *l, const rc_object *lease, rc_time now)
{
    char rec[sizeof l->observed];
    record_text(lease, rec, sizeof rec);
    const char *h = rc_object_get_str(lease, "spec.holderIdentity");
    pthread_mutex_lock(&l->mu);
    bool changed_holder = strcmp(l->holder, h ? h : "") != 0;
    if (strcmp(rec, l->observed)) {
        snprintf(l->observed, sizeof l->observed, "%s", rec);
        l->observed_time = now;
    }
    snprintf(l->holder, sizeof l->holder, "%s", h ? h : "");
    pthread_mutex_unlock(&l->mu);
    return changed_holder;
}

static void set_spec(rc_object *d, const rc_leader *l, rc_time now, bool acquire, int64_t transitions)
{
    char ts[RC_TIME_STRLEN];
    rc_time_format_micro(now, ts, sizeof ts);
    rc_object_set_str(d, "spec.holderIdentity", l->identity);
    rc_object_set_int(d, "spec.leaseDurationSeconds", l->lease_duration / RC_SEC);
    rc_object_set_str(d, "spec.renewTime", ts);
    if (acquire) {
        rc_object_set_str(d, "spec.acquireTime", ts);
        rc_object_set_int(d, "spec.leaseTransitions", transitions);
    }
}

static int create_lease(rc_leader *l, rc_time now, rc_object **out, rc_error *err)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "apiVersion", "coordination.k8s.io/v1");
    cJSON_AddStringToObject(root, "kind", "Lease");
    cJSON *meta = cJSON_AddObjectToObject(root, "metadata");
    cJSON_AddStringToObject(meta, "name", l->name);
    cJSON_AddStringToObject(meta, "namespace", l->ns);
    rc_object *d = rc_object_new_draft(root);
    if (!d) {
        cJSON_Delete(root);
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    set_spec(d, l, now, true, 0);
    int rc = rc_client_create(l->client, LEASES, l->ns, d, NULL, out, err);
    rc_object_unref(d);
    return rc;
}

/* One attempt; true when this candidate holds the lease afterwards. *new_holder is set when the observed
 * holder changed. */
static bool try_acquire_or_renew(rc_leader *l, rc_time now, bool *new_holder)
{
    rc_error err = {0};
    rc_object *lease = NULL, *written = NULL;
    bool held = false;
    int rc = rc_client_get(l->client, LEASES, l->ns, l->name, &lease, &err);
    if (rc == RC_ENOTFOUND) {
        rc_error_clear(&err);
        if (create_lease(l, now, &written, &err) == 0) {
            *new_holder = observe(l, written, now) || *new_holder;
            held = true;
        }
    } else if (rc == 0) {
        *new_holder = observe(l, lease, now);
        const char *h = rc_object_get_str(lease, "spec.holderIdentity");
        bool mine = h && !strcmp(h, l->identity);
        int64_t secs = rc_object_get_int(lease, "spec.leaseDurationSeconds", 0);
        rc_duration dur = secs > 0 ? secs * RC_SEC : l->lease_duration;
        pthread_mutex_lock(&l->mu);
        bool valid_other = h && h[0] && !mine && l->observed_time + dur > now;
        pthread_mutex_unlock(&l->mu);
        if (!valid_other) {
            rc_object *d = rc_object_copy(lease);
            if (d) {
                set_spec(d, l, now, !mine, rc_object_get_int(lease, "spec.leaseTransitions", 0) + (mine ? 0 : 1));
                if (rc_client_update(l->client, LEASES, l->ns, d, NULL, &written, &err) == 0) {
                    *new_holder = observe(l, written, now) || *new_holder;
                    held = true;
                }
                rc_object_unref(d);
            }
        }
    }
    if (err.code)
        rc_log(RC_LOG_DEBUG, "leader", l->name, "%s: %s", l->identity, err.message ? err.message : "");
    rc_error_clear(&err);
    rc_object_unref(lease);
    rc_object_unref(written);
    return held;
}

int rc_leader_step(rc_leader *l)
{
    pthread_mutex_lock(&l->step_mu);
    rc_time now = rc_clock_now(l->clock);
    pthread_mutex_lock(&l->mu);
    bool due = !l->stopped && now >= l->next_try;
    pthread_mutex_unlock(&l->mu);
    if (!due) {
        pthread_mutex_unlock(&l->step_mu);
        return 0;
    }
    bool new_holder = false;
    bool held = try_acquire_or_renew(l, now, &new_holder);
    pthread_mutex_lock(&l->mu);
    bool started = false, stopped = false;
    if (held) {
        l->last_renew = now;
        started = !l->leading;
        l->leading = true;
    } else if (l->leading && now - l->last_renew >= l->renew_deadline) {
        l->leading = false;
        stopped = true;
    }
    l->next_try = now + l->retry_period;
    char holder[sizeof l->holder];
    snprintf(holder, sizeof holder, "%s", l->holder);
    pthread_mutex_unlock(&l->mu);
    if (new_holder && l->on_new_leader)
        l->on_new_leader(l->cb_ctx, holder);
    if (started) {
        rc_log(RC_LOG_INFO, "leader", l->name, "%s became leader", l->identity);
        if (l->on_started)
            l->on_started(l->cb_ctx);
    }
    if (stopped) {
        rc_log(RC_LOG_WARN, "leader", l->name, "%s lost the lease", l->identity);
        if (l->on_stopped)
            l->on_stopped(l->cb_ctx);
    }
    pthread_mutex_unlock(&l->step_mu);
    return 1;
}

rc_time rc_leader_next_deadline(rc_leader *l)
{
    pthread_mutex_lock(&l->mu);
    rc_time t = l->stopped ? RC_TIME_NEVER : l->next_try;
    pthread_mutex_unlock(&l->mu);
    return t;
}

bool rc_leader_is_leader(rc_leader *l)
{
    rc_time now = rc_clock_now(l->clock);
    pthread_mutex_lock(&l->mu);
    bool yes = l->leading && now < l->last_renew + l->renew_deadline;
    pthread_mutex_unlock(&l->mu);
    return yes;
}

void rc_leader_holder(rc_leader *l, char *buf, size_t cap)
{
    pthread_mutex_lock(&l->mu);
    snprintf(buf, cap, "%s", l->holder);
    pthread_mutex_unlock(&l->mu);
}

static int write_released(rc_leader *l, rc_error *err)
{
    rc_object *lease = NULL;
    int rc = rc_client_get(l->client, LEASES, l->ns, l->name, &lease, err);
    if (rc)
        return rc;
    const char *h = rc_object_get_str(lease, "spec.holderIdentity");
    if (h && !strcmp(h, l->identity)) {
        rc_object *d = rc_object_copy(lease);
        if (!d) {
            rc = rc_error_set(err, RC_ENOMEM, "out of memory");
        } else {
            char ts[RC_TIME_STRLEN];
            rc_time_format_micro(rc_clock_now(l->clock), ts, sizeof ts);
            rc_object_set_str(d, "spec.holderIdentity", "");
            rc_object_set_int(d, "spec.leaseDurationSeconds", 1);
            rc_object_set_str(d, "spec.renewTime", ts);
            rc = rc_client_update(l->client, LEASES, l->ns, d, NULL, NULL, err);
            rc_object_unref(d);
        }
    }
    rc_object_unref(lease);
    return rc;
}

int rc_leader_release(rc_leader *l, rc_error *err)
{
    if (!l)
        return rc_error_set(err, RC_EINVAL, "leader: NULL");
    pthread_mutex_lock(&l->step_mu);
    pthread_mutex_lock(&l->mu);
    bool was = l->leading;
    l->leading = false;
    l->stopped = true;
    pthread_mutex_unlock(&l->mu);
    int rc = was && l->release_on_stop ? write_released(l, err) : 0;
    if (was && l->on_stopped)
        l->on_stopped(l->cb_ctx);
    pthread_mutex_unlock(&l->step_mu);
    return rc;
}
