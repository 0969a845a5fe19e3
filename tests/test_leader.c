/* test_leader.c - leader election over a Lease with two managers on one virtual clock: exactly one leads;
 * when the leader stops renewing the other takes over once the lease expired, and at no instant do both
 * believe they lead; release on stop hands over at the next retry; bad options are refused. */
#include <reconcile/apiserver.h>
#include <reconcile/leader.h>
#include <reconcile/manager.h>
#include <string.h>

#include "support/testutil.h"

typedef struct world {
    rc_clock *clock;
    rc_apiserver *srv;
    rc_client *client;
    rc_manager *m[2];
    int started[2], stopped[2];
} world;

static void started_a(void *ctx) { ((world *)ctx)->started[0]++; }
static void started_b(void *ctx) { ((world *)ctx)->started[1]++; }
static void stopped_a(void *ctx) { ((world *)ctx)->stopped[0]++; }
static void stopped_b(void *ctx) { ((world *)ctx)->stopped[1]++; }

static void world_init(world *w, bool release_on_stop)
{
    memset(w, 0, sizeof *w);
    w->clock = rc_clock_virtual_new((rc_time)1704067200 * RC_SEC);
    rc_apiserver_options so = {0};
    so.clock = w->clock;
    w->srv = rc_apiserver_new(&so, NULL);
    w->client = rc_apiserver_client(w->srv, NULL);
    const char *ids[2] = {"a", "b"};
    void (*starts[2])(void *) = {started_a, started_b};
    void (*stops[2])(void *) = {stopped_a, stopped_b};
    for (int i = 0; i < 2; i++) {
        rc_leader_options lo = {0};
        lo.lease_name = "ctrl";
        lo.identity = ids[i];
        lo.release_on_stop = release_on_stop;
        lo.on_started_leading = starts[i];
        lo.on_stopped_leading = stops[i];
        lo.cb_ctx = w;
        rc_manager_options mo = {0};
        mo.client = w->client;
        mo.clock = w->clock;
        mo.seed = (uint64_t)i + 1;
        mo.apiserver = w->srv;
        mo.leader = &lo;
        rc_error err = {0};
        ck_assert_msg(rc_manager_new(&mo, &w->m[i], &err) == 0, "%s", err.message);
    }
}

static void world_free(world *w)
{
    for (int i = 0; i < 2; i++)
        rc_manager_free(w->m[i]);
    rc_client_unref(w->client);
    rc_apiserver_free(w->srv);
    rc_clock_free(w->clock);
}

/* Drives the managers whose run[i] is true until `until`, checking at every instant that at most one
 * believes it leads. */
static void drive(world *w, const bool run[2], rc_time until)
{
    for (;;) {
        for (int i = 0; i < 2; i++)
            if (run[i])
                ck_assert_int_ge(rc_manager_run_due(w->m[i]), 0);
        ck_assert(!(rc_manager_is_leader(w->m[0]) && rc_manager_is_leader(w->m[1])));
        rc_time next = RC_TIME_NEVER;
        for (int i = 0; i < 2; i++) {
            rc_time d = run[i] ? rc_manager_next_deadline(w->m[i]) : RC_TIME_NEVER;
            next = d < next ? d : next;
        }
        if (next > until)
            break;
        /* Check the instants just before the next deadline too: is_leader may expire in between. */
        if (next - 1 > rc_clock_now(w->clock)) {
            rc_clock_set(w->clock, next - 1);
            ck_assert(!(rc_manager_is_leader(w->m[0]) && rc_manager_is_leader(w->m[1])));
        }
        rc_clock_set(w->clock, next);
    }
    rc_clock_set(w->clock, until);
    ck_assert(!(rc_manager_is_leader(w->m[0]) && rc_manager_is_leader(w->m[1])));
}

START_TEST(one_leads_and_the_other_takes_over_after_expiry)
{
    world w;
    world_init(&w, false);
    rc_time t0 = rc_clock_now(w.clock);
    const bool both[2] = {true, true};
    drive(&w, both, t0 + 30 * RC_SEC);
    int leader = rc_manager_is_leader(w.m[0]) ? 0 : 1;
    ck_assert(rc_manager_is_leader(w.m[leader]));
    ck_assert(!rc_manager_is_leader(w.m[1 - leader]));
    ck_assert_int_eq(w.started[leader], 1);
    ck_assert_int_eq(w.started[1 - leader], 0);
    char *text = NULL;
    ck_assert_int_eq(rc_manager_metrics_text(w.m[leader], &text, NULL), 0);
    ck_assert_ptr_nonnull(strstr(text, "leader_election_master_status{name=\"ctrl\"} 1"));
    free(text);
    /* The leader hangs: only the other one runs from now on. */
    rc_time hang = rc_clock_now(w.clock);
    bool other_only[2] = {false, false};
    other_only[1 - leader] = true;
    drive(&w, other_only, hang + 10 * RC_SEC);
    ck_assert(!rc_manager_is_leader(w.m[leader])); /* renew deadline passed */
    ck_assert(!rc_manager_is_leader(w.m[1 - leader])); /* the lease has not expired yet */
    drive(&w, other_only, hang + 20 * RC_SEC);
    ck_assert(rc_manager_is_leader(w.m[1 - leader]));
    ck_assert_int_eq(w.started[1 - leader], 1);
    rc_object *lease = NULL;
    ck_assert_int_eq(rc_client_get(w.client, "leases.coordination.k8s.io", "kube-system", "ctrl", &lease, NULL), 0);
    ck_assert_str_eq(rc_object_get_str(lease, "spec.holderIdentity"), leader ? "a" : "b");
    ck_assert_int_eq(rc_object_get_int(lease, "spec.leaseTransitions", -1), 1);
    ck_assert_int_eq(rc_object_get_int(lease, "spec.leaseDurationSeconds", -1), 15);
    rc_object_unref(lease);
    /* The old leader wakes up: it notices it lost the lease and does not lead again. */
    drive(&w, both, hang + 40 * RC_SEC);
    ck_assert(!rc_manager_is_leader(w.m[leader]));
    ck_assert(rc_manager_is_leader(w.m[1 - leader]));
    ck_assert_int_eq(w.stopped[leader], 1);
    world_free(&w);
}
END_TEST

START_TEST(release_hands_over_at_the_next_retry)
{
    rc_clock *clock = rc_clock_virtual_new(0);
    rc_apiserver_options so = {0};
    so.clock = clock;
    rc_apiserver *srv = rc_apiserver_new(&so, NULL);
    rc_client *c = rc_apiserver_client(srv, NULL);
    rc_leader_options lo = {0};
    lo.lease_name = "l";
    lo.lease_namespace = "default";
    lo.release_on_stop = true;
    rc_leader *a = NULL, *b = NULL;
    lo.identity = "a";
    ck_assert_int_eq(rc_leader_new(c, clock, &lo, &a, NULL), 0);
    lo.identity = "b";
    ck_assert_int_eq(rc_leader_new(c, clock, &lo, &b, NULL), 0);
    ck_assert_int_eq(rc_leader_step(a), 1);
    ck_assert_int_eq(rc_leader_step(b), 1);
    ck_assert(rc_leader_is_leader(a));
    ck_assert(!rc_leader_is_leader(b));
    char holder[32];
    rc_leader_holder(b, holder, sizeof holder);
    ck_assert_str_eq(holder, "a");
    ck_assert_int_eq(rc_leader_step(a), 0); /* not due before the retry period */
    ck_assert_int_eq(rc_leader_release(a, NULL), 0);
    ck_assert(!rc_leader_is_leader(a));
    rc_clock_advance(clock, RC_LEADER_DEFAULT_RETRY_PERIOD);
    ck_assert_int_eq(rc_leader_step(b), 1);
    ck_assert(rc_leader_is_leader(b));
    ck_assert_int_eq(rc_leader_next_deadline(a), RC_TIME_NEVER);
    rc_leader_free(a);
    rc_leader_free(b);
    rc_client_unref(c);
    rc_apiserver_free(srv);
    rc_clock_free(clock);
}
END_TEST

START_TEST(bad_options_are_refused)
{
    rc_clock *clock = rc_clock_virtual_new(0);
    rc_apiserver *srv = rc_apiserver_new(NULL, NULL);
    rc_client *c = rc_apiserver_client(srv, NULL);
    rc_leader *l = NULL;
    rc_error err = {0};
    rc_leader_options lo = {0};
    lo.identity = "a";
    ck_assert_int_eq(rc_leader_new(c, clock, &lo, &l, &err), RC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "lease_name"));
    rc_error_clear(&err);
    lo.lease_name = "x";
    lo.lease_duration = 5 * RC_SEC;
    ck_assert_int_eq(rc_leader_new(c, clock, &lo, &l, &err), RC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "renew_deadline"));
    rc_error_clear(&err);
    ck_assert_ptr_null(l);
    rc_client_unref(c);
    rc_apiserver_free(srv);
    rc_clock_free(clock);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("leader");
    TCase *tc = tcase_create("lease");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, one_leads_and_the_other_takes_over_after_expiry);
    tcase_add_test(tc, release_hands_over_at_the_next_retry);
    tcase_add_test(tc, bad_options_are_refused);
    suite_add_tcase(s, tc);
    return rc_test_run_suite(s);
}
