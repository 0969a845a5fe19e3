/* test_statefulset.c - the StatefulSet controller (spec section 3) on the embedded API server and a
 * virtual clock. A small harness runs sync passes directly (rci_sts_sync, as the reconcile wrapper does)
 * and plays the kubelet (pods become Running and Ready), so every step is deterministic and observable;
 * a trace hook on the API server checks, over every committed write, that no two live pods ever share an
 * ordinal and that OrderedReady never creates web-k before web-(k-1) is Ready. Covers the web example
 * (order, claims, DNS identity), scaling 3 -> 5 -> 2, partitioned rolling updates, maxUnavailable,
 * OnDelete, pod replacement with the same claim, failed pods, Parallel, retention policies, revision
 * history (rollback, truncation, collisions), the MySQL example, injected faults and bad input. */
#include <reconcile.h>
#include <reconcile/apiserver.h>
#include <reconcile/client.h>
#include <reconcile/codec.h>
#include <reconcile/controller.h>
#include <reconcile/controllers.h>
#include <reconcile/sim.h>
#include <reconcile/testenv.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controllers/history.h"
#include "controllers/statefulset.h"
#include "support/testutil.h"

#define T0 ((rc_time)1704067200 * RC_SEC)
#define NS "default"
#define MAX_LIVE 64

typedef struct live_pod {
    char name[64];
    char set[64];
    int64_t ordinal;
    bool ready;
} live_pod;

/* The world of one test. */
typedef struct harness {
    rc_clock *clk;
    rc_apiserver *srv;
    rc_client *cl;
    bool kubelet_off;     /* pods stay Pending */
    bool ordered_check;   /* check the OrderedReady creation rule in the trace */
    live_pod live[MAX_LIVE];
    size_t nlive;
    int doubled;          /* two live pods with one ordinal: must stay 0 */
    int early;            /* a pod created before its predecessor was Ready: must stay 0 */
    char created[1024];   /* pod names in creation order */
    char deleted[1024];   /* pod names in order of final removal */
    char events[4096];    /* event reasons in order */
} harness;

static harness H;

static bool pod_ready(const rc_object *pod)
{
    rc_node conds = rc_object_at(pod, "status.conditions");
    for (size_t i = 0; i < rc_node_len(conds); i++) {
        rc_node c = rc_node_index(conds, i);
        const char *t = rc_node_str(rc_node_get(c, "type")), *s = rc_node_str(rc_node_get(c, "status"));
        if (t && s && !strcmp(t, "Ready"))
            return !strcmp(s, "True");
    }
    return false;
}

static live_pod *find_live(const char *name)
{
    for (size_t i = 0; i < H.nlive; i++)
        if (!strcmp(H.live[i].name, name))
            return &H.live[i];
    return NULL;
}

static void append(char *buf, size_t cap, const char *word)
{
    size_t len = strlen(buf);
    snprintf(buf + len, cap - len, "%s%s", len ? " " : "", word);
}

/* Trace hook: every committed pod write. */
static void on_trace(void *ctx, const rc_trace_record *rec)
{
    (void)ctx;
    if (strcmp(rec->resource->kind, "Pod") != 0 || rec->resource->group[0])
        return;
    rc_owner_ref ref;
    const char *set = rc_object_controller_ref(rec->object, &ref) ? ref.name : "";
    int64_t ord = rci_sts_ordinal(set, rec->name);
    live_pod *lp = find_live(rec->name);
    if (rec->type == RC_WATCH_ADDED) {
        for (size_t i = 0; i < H.nlive && ord >= 0; i++)
            if (!strcmp(H.live[i].set, set) && H.live[i].ordinal == ord)
                H.doubled++;
        if (H.ordered_check && ord > 0) {
            char prev[80];
            snprintf(prev, sizeof prev, "%s-%lld", set, (long long)(ord - 1));
            live_pod *p = find_live(prev);
            if (!p || !p->ready)
                H.early++;
        }
        if (H.nlive < MAX_LIVE) {
            live_pod *n = &H.live[H.nlive++];
            snprintf(n->name, sizeof n->name, "%s", rec->name);
            snprintf(n->set, sizeof n->set, "%s", set);
            n->ordinal = ord;
            n->ready = pod_ready(rec->object);
        }
        append(H.created, sizeof H.created, rec->name);
    } else if (rec->type == RC_WATCH_MODIFIED && lp) {
        lp->ready = pod_ready(rec->object);
    } else if (rec->type == RC_WATCH_DELETED && lp) {
        *lp = H.live[--H.nlive];
        append(H.deleted, sizeof H.deleted, rec->name);
    }
}

static void record_event(void *ctx, const rc_object *obj, const char *type, const char *reason, const char *msg)
{
    (void)ctx, (void)obj, (void)type, (void)msg;
    append(H.events, sizeof H.events, reason);
}

static int get_claim(void *ctx, const char *ns, const char *name, rc_object **out, rc_error *err)
{
    return rc_client_get(((harness *)ctx)->cl, "persistentvolumeclaims", ns, name, out, err);
}

static void setup(void)
{
    memset(&H, 0, sizeof H);
    H.ordered_check = true;
    H.clk = rc_clock_virtual_new(T0);
    rc_apiserver_options o = {.clock = H.clk, .seed = 11};
    rc_error err = {0};
    H.srv = rc_apiserver_new(&o, &err);
    ck_assert_msg(H.srv, "%s", err.message ? err.message : "?");
    H.cl = rc_apiserver_client(H.srv, NULL);
    rc_apiserver_set_trace(H.srv, on_trace, NULL);
}

static void teardown(void)
{
    rc_apiserver_set_trace(H.srv, NULL, NULL);
    rc_client_unref(H.cl);
    rc_apiserver_free(H.srv);
    rc_clock_free(H.clk);
}

/* ---- helpers ---- */

static void load_text(const char *text, const char *label)
{
    rc_object_list l;
    rc_object_list_init(&l);
    rc_error err = {0};
    ck_assert_msg(rc_decode_objects(text, strlen(text), label, NULL, &l, &err) == 0, "%s", err.message);
    for (size_t i = 0; i < l.count; i++) {
        int rc = rc_client_create(H.cl, NULL, NS, l.items[i], NULL, NULL, &err);
        ck_assert_msg(rc == 0, "%s: %s", label, err.message ? err.message : "?");
    }
    rc_object_list_clear(&l);
}

static void load_file(const char *path)
{
    size_t len;
    char *text = rc_test_read_file(path, &len);
    ck_assert_msg(text, "cannot read %s", path);
    load_text(text, path);
    free(text);
}

static void load_web(void)
{
    load_file("examples/manifests/nginx-headless-service.yaml");
    load_file("examples/manifests/web-statefulset.yaml");
}

/* The web example with extra spec lines (2-space indented) after serviceName, for immutable fields. */
static void load_web_with(const char *spec_lines)
{
    size_t len;
    char *text = rc_test_read_file("examples/manifests/web-statefulset.yaml", &len);
    ck_assert_ptr_nonnull(text);
    const char *at = strstr(text, "  serviceName: nginx\n");
    ck_assert_ptr_nonnull(at);
    size_t head = (size_t)(at - text) + strlen("  serviceName: nginx\n");
    char *out = malloc(len + strlen(spec_lines) + 1);
    memcpy(out, text, head);
    strcpy(out + head, spec_lines);
    strcat(out, text + head);
    load_file("examples/manifests/nginx-headless-service.yaml");
    load_text(out, "web-statefulset.yaml (modified)");
    free(out);
    free(text);
}

static rc_object *get(const char *resource, const char *name)
{
    rc_object *o = NULL;
    if (rc_client_get(H.cl, resource, NS, name, &o, NULL) != 0)
        return NULL;
    return o;
}

/* A merge patch (retried on injected conflicts). */
static void patch(const char *resource, const char *name, const char *json)
{
    rc_error err = {0};
    int rc = RC_ECONFLICT;
    for (int attempt = 0; attempt < 20 && rc == RC_ECONFLICT; attempt++) {
        rc_error_clear(&err);
        rc = rc_client_patch(H.cl, resource, NS, name, RC_PATCH_MERGE, json, strlen(json), NULL, NULL, &err);
    }
    ck_assert_msg(rc == 0, "patch %s: %s", name, err.message ? err.message : "?");
    rc_error_clear(&err);
}

static long count(const char *resource)
{
    rc_object_list l;
    rc_object_list_init(&l);
    ck_assert_int_eq(rc_client_list(H.cl, resource, NS, NULL, &l, NULL), 0);
    long n = (long)l.count;
    rc_object_list_clear(&l);
    return n;
}

/* Appends the objects of resource controlled by uid. */
static void owned(const char *resource, const char *uid, rc_object_list *out)
{
    rc_object_list l;
    rc_object_list_init(&l);
    ck_assert_int_eq(rc_client_list(H.cl, resource, NS, NULL, &l, NULL), 0);
    for (size_t i = 0; i < l.count; i++) {
        rc_owner_ref r;
        if (rc_object_controller_ref(l.items[i], &r) && !strcmp(r.uid, uid))
            rc_object_list_append(out, l.items[i]);
    }
    rc_object_list_clear(&l);
}

/* One sync pass of set `name`; returns its result code. */
static int sync_once(const char *name, rci_sts_result *res, bool ignore_max_unavailable)
{
    rc_object *set = get("statefulsets.apps", name);
    if (!set)
        return RC_ENOTFOUND;
    rc_object_list pods, revs;
    rc_object_list_init(&pods);
    rc_object_list_init(&revs);
    owned("pods", rc_object_uid(set), &pods);
    owned("controllerrevisions.apps", rc_object_uid(set), &revs);
    rci_sts_io io = {.client = H.cl,
                     .now = rc_clock_now(H.clk),
                     .ignore_max_unavailable = ignore_max_unavailable,
                     .get_claim = get_claim,
                     .event = record_event,
                     .ctx = &H};
    rci_sts_result r;
    rc_error err = {0};
    int rc = rci_sts_sync(&io, set, &pods, &revs, res ? res : &r, &err);
    rc_error_clear(&err);
    rc_object_list_clear(&pods);
    rc_object_list_clear(&revs);
    rc_object_unref(set);
    return rc;
}

static int sync_set(const char *name) { return sync_once(name, NULL, false); }

/* The kubelet's part: Pending pods that are not terminating become Running and Ready. Returns the number
 * of failed writes (injected faults). */
static int kubelet(void)
{
    if (H.kubelet_off)
        return 0;
    rc_object_list l;
    rc_object_list_init(&l);
    ck_assert_int_eq(rc_client_list(H.cl, "pods", NS, NULL, &l, NULL), 0);
    int failures = 0;
    char now[RC_TIME_STRLEN], cond[256];
    rc_time_format(rc_clock_now(H.clk), now, sizeof now);
    snprintf(cond, sizeof cond, "[{\"type\":\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"%s\"}]", now);
    for (size_t i = 0; i < l.count; i++) {
        const rc_object *p = l.items[i];
        const char *phase = rc_object_get_str(p, "status.phase");
        if (rc_object_deletion_timestamp(p) || !phase || strcmp(phase, "Pending") != 0)
            continue;
        rc_object *d = rc_object_copy(p);
        rc_object_set_str(d, "status.phase", "Running");
        rc_object_set_json(d, "status.conditions", cJSON_Parse(cond));
        if (rc_client_update_status(H.cl, "pods", NS, d, NULL, NULL, NULL) != 0)
            failures++;
        rc_object_unref(d);
    }
    rc_object_list_clear(&l);
    return failures;
}

/* Sync, kubelet and API server timers until nothing changes (time jumps to the next grace deadline when
 * idle). Returns the number of rounds. */
static int settle(const char *name)
{
    for (int round = 1; round < 400; round++) {
        uint64_t rv = rc_apiserver_resource_version(H.srv);
        int rc = sync_set(name);
        int failures = kubelet();
        rc_apiserver_step(H.srv);
        if (rc == 0 && failures == 0 && rv == rc_apiserver_resource_version(H.srv)) {
            rc_time next = rc_apiserver_next_deadline(H.srv);
            if (next == RC_TIME_NEVER || next > rc_clock_now(H.clk) + 10 * RC_MINUTE)
                return round;
            rc_clock_set(H.clk, next);
        }
    }
    ck_abort_msg("statefulset %s did not settle", name);
    return 0;
}

static const char *str(const rc_object *o, const char *path)
{
    const char *s = rc_object_get_str(o, path);
    return s ? s : "";
}

static int64_t num(const char *resource, const char *name, const char *path)
{
    rc_object *o = get(resource, name);
    ck_assert_msg(o, "%s %s missing", resource, name);
    int64_t v = rc_object_get_int(o, path, -1);
    rc_object_unref(o);
    return v;
}

/* The controller-revision-hash label of pod name ("" when absent). */
static char *pod_rev(const char *name)
{
    rc_object *p = get("pods", name);
    ck_assert_msg(p, "pod %s missing", name);
    char *r = strdup(rci_sts_pod_revision(p));
    rc_object_unref(p);
    return r;
}

static char *set_str(const char *name, const char *path)
{
    rc_object *s = get("statefulsets.apps", name);
    ck_assert_ptr_nonnull(s);
    char *v = strdup(str(s, path));
    rc_object_unref(s);
    return v;
}

static void bind_pods_to_node(const char *set)
{
    char body[128];
    snprintf(body, sizeof body, "{\"spec\":{\"template\":{\"spec\":{\"nodeName\":\"node-1\"}}}}");
    patch("statefulsets.apps", set, body);
}

static void assert_invariants(void)
{
    ck_assert_msg(H.doubled == 0, "two live pods shared an ordinal (%d times)", H.doubled);
    ck_assert_msg(H.early == 0, "a pod was created before its predecessor was Ready (%d times)", H.early);
}

/* ---- the web example ---- */

START_TEST(web_created_in_order)
{
    H.kubelet_off = true;
    load_web();
    ck_assert_int_eq(sync_set("web"), 0);
    ck_assert_int_eq(count("pods"), 1);
    ck_assert_int_eq(sync_set("web"), 0); /* web-0 Pending: web-1 must wait */
    ck_assert_int_eq(count("pods"), 1);
    H.kubelet_off = false;
    kubelet();
    ck_assert_int_eq(sync_set("web"), 0);
    ck_assert_int_eq(count("pods"), 2);
    settle("web");
    ck_assert_str_eq(H.created, "web-0 web-1");
    assert_invariants();

    for (int i = 0; i < 2; i++) {
        char pod[32], claim[32], idx[16];
        snprintf(pod, sizeof pod, "web-%d", i);
        snprintf(claim, sizeof claim, "www-web-%d", i);
        snprintf(idx, sizeof idx, "%d", i);
        rc_object *p = get("pods", pod);
        ck_assert_ptr_nonnull(p);
        ck_assert_str_eq(str(p, "spec.hostname"), pod);
        ck_assert_str_eq(str(p, "spec.subdomain"), "nginx"); /* <pod>.nginx.default.svc.cluster.local */
        ck_assert_str_eq(str(p, "spec.volumes.0.name"), "www");
        ck_assert_str_eq(str(p, "spec.volumes.0.persistentVolumeClaim.claimName"), claim);
        ck_assert_str_eq(rc_object_label(p, "statefulset.kubernetes.io/pod-name"), pod);
        ck_assert_str_eq(rc_object_label(p, "apps.kubernetes.io/pod-index"), idx);
        ck_assert_str_eq(rc_object_label(p, "app"), "nginx");
        rc_owner_ref r;
        ck_assert(rc_object_controller_ref(p, &r));
        ck_assert_str_eq(r.kind, "StatefulSet");
        ck_assert(r.block_owner_deletion);
        rc_object_unref(p);
        rc_object *c = get("persistentvolumeclaims", claim);
        ck_assert_msg(c, "claim %s missing", claim);
        ck_assert_str_eq(rc_object_label(c, "app"), "nginx");
        ck_assert_str_eq(str(c, "spec.resources.requests.storage"), "1Gi");
        ck_assert_uint_eq(rc_object_owner_count(c), 0); /* Retain/Retain: no owners */
        rc_object_unref(c);
    }
    rc_object *s = get("statefulsets.apps", "web");
    ck_assert_int_eq(rc_object_get_int(s, "status.replicas", -1), 2);
    ck_assert_int_eq(rc_object_get_int(s, "status.readyReplicas", -1), 2);
    ck_assert_int_eq(rc_object_get_int(s, "status.availableReplicas", -1), 2);
    ck_assert_int_eq(rc_object_get_int(s, "status.currentReplicas", -1), 2);
    ck_assert_int_eq(rc_object_get_int(s, "status.updatedReplicas", -1), 2);
    ck_assert_int_eq(rc_object_get_int(s, "status.collisionCount", -1), 0);
    ck_assert_int_eq(rc_object_get_int(s, "status.observedGeneration", -1), rc_object_generation(s));
    ck_assert_str_eq(str(s, "status.currentRevision"), str(s, "status.updateRevision"));
    rc_object *rev = get("controllerrevisions.apps", str(s, "status.updateRevision"));
    ck_assert_ptr_nonnull(rev);
    ck_assert_int_eq(rc_object_get_int(rev, "revision", 0), 1);
    ck_assert_str_eq(str(rev, "data.spec.template.$patch"), "replace");
    ck_assert_ptr_nonnull(rc_object_label(rev, RCI_LABEL_REVISION_HASH));
    ck_assert(rc_is_controlled_by(rev, s));
    char *r0 = pod_rev("web-0");
    ck_assert_str_eq(r0, rc_object_name(rev));
    free(r0);
    rc_object_unref(rev);
    rc_object_unref(s);
    ck_assert_ptr_nonnull(strstr(H.events, "SuccessfulCreate"));
}
END_TEST

START_TEST(scale_3_5_2)
{
    load_web();
    bind_pods_to_node("web"); /* bound pods terminate gracefully: deletions are observable one by one */
    patch("statefulsets.apps", "web", "{\"spec\":{\"replicas\":3}}");
    settle("web");
    ck_assert_str_eq(H.created, "web-0 web-1 web-2");
    patch("statefulsets.apps", "web", "{\"spec\":{\"replicas\":5}}");
    settle("web");
    ck_assert_str_eq(H.created, "web-0 web-1 web-2 web-3 web-4");
    ck_assert_int_eq(num("statefulsets.apps", "web", "status.readyReplicas"), 5);

    patch("statefulsets.apps", "web", "{\"spec\":{\"replicas\":2}}");
    ck_assert_int_eq(sync_set("web"), 0);
    rc_object *p4 = get("pods", "web-4"), *p3 = get("pods", "web-3");
    ck_assert(p4 && rc_object_deletion_timestamp(p4)); /* highest ordinal first */
    ck_assert(p3 && !rc_object_deletion_timestamp(p3)); /* and only one at a time */
    rc_object_unref(p4);
    rc_object_unref(p3);
    ck_assert_int_eq(sync_set("web"), 0); /* web-4 still terminating: nothing else happens */
    p3 = get("pods", "web-3");
    ck_assert(!rc_object_deletion_timestamp(p3));
    rc_object_unref(p3);
    settle("web");
    ck_assert_str_eq(H.deleted, "web-4 web-3 web-2");
    ck_assert_int_eq(count("pods"), 2);
    ck_assert_int_eq(count("persistentvolumeclaims"), 5); /* claims of removed pods are retained */
    ck_assert_int_eq(num("statefulsets.apps", "web", "status.replicas"), 2);
    assert_invariants();

    patch("statefulsets.apps", "web", "{\"spec\":{\"replicas\":3}}"); /* web-2 comes back to www-web-2 */
    settle("web");
    rc_object *p2 = get("pods", "web-2");
    ck_assert_str_eq(str(p2, "spec.volumes.0.persistentVolumeClaim.claimName"), "www-web-2");
    rc_object_unref(p2);
    ck_assert_int_eq(count("persistentvolumeclaims"), 5);
    assert_invariants();
}
END_TEST

START_TEST(no_scale_down_while_unhealthy)
{
    load_web();
    patch("statefulsets.apps", "web", "{\"spec\":{\"replicas\":3}}");
    settle("web");
    /* web-0 turns unready; scale down must wait (web-2 is not the first unhealthy pod) */
    rc_object *p = get("pods", "web-0");
    rc_object *d = rc_object_copy(p);
    rc_object_set_json(d, "status.conditions", cJSON_Parse("[{\"type\":\"Ready\",\"status\":\"False\"}]"));
    ck_assert_int_eq(rc_client_update_status(H.cl, "pods", NS, d, NULL, NULL, NULL), 0);
    rc_object_unref(d);
    rc_object_unref(p);
    patch("statefulsets.apps", "web", "{\"spec\":{\"replicas\":2}}");
    H.kubelet_off = true;
    ck_assert_int_eq(sync_set("web"), 0);
    ck_assert_int_eq(count("pods"), 3);
    ck_assert_int_eq(num("statefulsets.apps", "web", "status.readyReplicas"), 2);
}
END_TEST

/* ---- updates ---- */

static void scale_web_to(int n)
{
    char body[64];
    snprintf(body, sizeof body, "{\"spec\":{\"replicas\":%d}}", n);
    patch("statefulsets.apps", "web", body);
}

static void set_image(const char *image)
{
    char body[256];
    snprintf(body, sizeof body,
             "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":\"%s\","
             "\"ports\":[{\"containerPort\":80,\"name\":\"web\"}],\"volumeMounts\":[{\"name\":\"www\","
             "\"mountPath\":\"/usr/share/nginx/html\"}]}]}}}}",
             image);
    patch("statefulsets.apps", "web", body);
}

START_TEST(partition_rollout)
{
    load_web();
    scale_web_to(4);
    settle("web");
    char *old = set_str("web", "status.currentRevision");
    patch("statefulsets.apps", "web", "{\"spec\":{\"updateStrategy\":{\"rollingUpdate\":{\"partition\":2}}}}");
    set_image("nginx:1.10");
    H.deleted[0] = '\0';
    settle("web");
    char *upd = set_str("web", "status.updateRevision");
    ck_assert_str_ne(old, upd);
    ck_assert_str_eq(H.deleted, "web-3 web-2"); /* highest ordinal first, down to the partition */
    const char *want[4] = {old, old, upd, upd};
    for (int i = 0; i < 4; i++) {
        char pod[32];
        snprintf(pod, sizeof pod, "web-%d", i);
        char *r = pod_rev(pod);
        ck_assert_msg(!strcmp(r, want[i]), "%s at %s", pod, r);
        free(r);
    }
    char *cur = set_str("web", "status.currentRevision");
    ck_assert_str_eq(cur, old); /* partition > 0: the rollout never completes */
    free(cur);
    ck_assert_int_eq(num("statefulsets.apps", "web", "status.currentReplicas"), 2);
    ck_assert_int_eq(num("statefulsets.apps", "web", "status.updatedReplicas"), 2);

    patch("statefulsets.apps", "web", "{\"spec\":{\"updateStrategy\":{\"rollingUpdate\":{\"partition\":0}}}}");
    settle("web");
    ck_assert_str_eq(H.deleted, "web-3 web-2 web-1 web-0");
    for (int i = 0; i < 4; i++) {
        char pod[32];
        snprintf(pod, sizeof pod, "web-%d", i);
        char *r = pod_rev(pod);
        ck_assert_str_eq(r, upd);
        free(r);
    }
    cur = set_str("web", "status.currentRevision");
    ck_assert_str_eq(cur, upd);
    ck_assert_int_eq(num("statefulsets.apps", "web", "status.currentReplicas"), 4);
    free(cur);
    free(old);
    free(upd);
    assert_invariants();
}
END_TEST

START_TEST(rolling_one_at_a_time_and_max_unavailable)
{
    load_web();
    scale_web_to(4);
    settle("web");
    set_image("nginx:1.10");
    H.kubelet_off = true;
    ck_assert_int_eq(sync_set("web"), 0);
    ck_assert_str_eq(H.deleted, "web-3"); /* default: one pod per pass */
    ck_assert_int_eq(sync_set("web"), 0); /* web-3 recreated but not ready: the update waits */
    ck_assert_str_eq(H.deleted, "web-3");
    H.kubelet_off = false;
    settle("web");
    ck_assert_str_eq(H.deleted, "web-3 web-2 web-1 web-0");

    patch("statefulsets.apps", "web", "{\"spec\":{\"updateStrategy\":{\"rollingUpdate\":{\"maxUnavailable\":2}}}}");
    set_image("nginx:1.11");
    H.deleted[0] = '\0';
    ck_assert_int_eq(sync_once("web", NULL, true), 0); /* feature gate off: still one */
    ck_assert_str_eq(H.deleted, "web-3");
    settle("web");
    set_image("nginx:1.12");
    H.deleted[0] = '\0';
    H.kubelet_off = true;
    ck_assert_int_eq(sync_set("web"), 0);
    ck_assert_str_eq(H.deleted, "web-3 web-2"); /* two unavailable allowed */
    ck_assert_int_eq(sync_set("web"), 0);      /* both recreated, not ready: budget spent */
    ck_assert_str_eq(H.deleted, "web-3 web-2");
    H.kubelet_off = false;
    settle("web");
    ck_assert_str_eq(H.deleted, "web-3 web-2 web-1 web-0");
    assert_invariants();
}
END_TEST

START_TEST(on_delete_strategy)
{
    load_web();
    patch("statefulsets.apps", "web", "{\"spec\":{\"updateStrategy\":{\"type\":\"OnDelete\",\"rollingUpdate\":null}}}");
    settle("web");
    char *old = pod_rev("web-1");
    set_image("nginx:1.10");
    settle("web");
    ck_assert_str_eq(H.deleted, ""); /* nothing replaced on its own */
    char *upd = set_str("web", "status.updateRevision");
    ck_assert_str_ne(old, upd);
    ck_assert_int_eq(rc_client_delete(H.cl, "pods", NS, "web-0", NULL, NULL, NULL), 0);
    settle("web");
    char *r0 = pod_rev("web-0"), *r1 = pod_rev("web-1");
    ck_assert_str_eq(r0, upd); /* a deleted pod comes back at the update revision */
    ck_assert_str_eq(r1, old);
    free(r0);
    free(r1);
    free(old);
    free(upd);
    assert_invariants();
}
END_TEST

/* ---- identity ---- */

START_TEST(deleted_pod_returns_with_same_claim)
{
    load_web();
    bind_pods_to_node("web");
    settle("web");
    rc_object *c = get("persistentvolumeclaims", "www-web-1"), *p = get("pods", "web-1");
    char *claim_uid = strdup(rc_object_uid(c)), *pod_uid = strdup(rc_object_uid(p));
    rc_object_unref(c);
    rc_object_unref(p);
    ck_assert_int_eq(rc_client_delete(H.cl, "pods", NS, "web-1", NULL, NULL, NULL), 0);
    ck_assert_int_eq(sync_set("web"), 0); /* web-1 terminating: not replaced yet */
    ck_assert_str_eq(H.created, "web-0 web-1");
    settle("web");
    ck_assert_str_eq(H.created, "web-0 web-1 web-1");
    p = get("pods", "web-1");
    c = get("persistentvolumeclaims", "www-web-1");
    ck_assert_str_ne(rc_object_uid(p), pod_uid);
    ck_assert_str_eq(rc_object_uid(c), claim_uid);
    ck_assert_str_eq(str(p, "spec.volumes.0.persistentVolumeClaim.claimName"), "www-web-1");
    ck_assert_str_eq(str(p, "spec.hostname"), "web-1");
    rc_object_unref(c);
    rc_object_unref(p);
    free(claim_uid);
    free(pod_uid);
    assert_invariants();
}
END_TEST

START_TEST(failed_pod_recreated)
{
    load_web();
    settle("web");
    rc_object *p = get("pods", "web-1");
    rc_object *d = rc_object_copy(p);
    rc_object_set_str(d, "status.phase", "Failed");
    ck_assert_int_eq(rc_client_update_status(H.cl, "pods", NS, d, NULL, NULL, NULL), 0);
    rc_object_unref(d);
    rc_object_unref(p);
    settle("web");
    ck_assert_ptr_nonnull(strstr(H.events, "RecreatingFailedPod"));
    ck_assert_str_eq(H.created, "web-0 web-1 web-1");
    ck_assert_int_eq(num("statefulsets.apps", "web", "status.readyReplicas"), 2);
    assert_invariants();
}
END_TEST

START_TEST(identity_labels_restored)
{
    load_web();
    settle("web");
    patch("pods", "web-0", "{\"metadata\":{\"labels\":{\"statefulset.kubernetes.io/pod-name\":\"x\"}}}");
    settle("web");
    rc_object *p = get("pods", "web-0");
    ck_assert_str_eq(rc_object_label(p, RCI_LABEL_POD_NAME), "web-0");
    rc_object_unref(p);
}
END_TEST

START_TEST(parallel_policy)
{
    load_web_with("  podManagementPolicy: Parallel\n");
    scale_web_to(3);
    H.kubelet_off = true;
    H.ordered_check = false;
    ck_assert_int_eq(sync_set("web"), 0);
    ck_assert_int_eq(count("pods"), 3); /* no ordering: all at once */
    ck_assert_int_eq(count("persistentvolumeclaims"), 3);
    scale_web_to(0);
    ck_assert_int_eq(sync_set("web"), 0);
    ck_assert_int_eq(count("pods"), 0); /* unready pods removed at once too */
    ck_assert_str_eq(H.deleted, "web-2 web-1 web-0");
    assert_invariants();
}
END_TEST

/* ---- storage retention ---- */

static bool has_owner_kind(const rc_object *o, const char *kind, const char *uid)
{
    rc_owner_ref r;
    for (size_t i = 0; rc_object_owner(o, i, &r); i++)
        if (!strcmp(r.kind, kind) && !strcmp(r.uid, uid))
            return true;
    return false;
}

START_TEST(retention_policy_owners)
{
    load_web();
    patch("statefulsets.apps", "web",
          "{\"spec\":{\"persistentVolumeClaimRetentionPolicy\":{\"whenDeleted\":\"Delete\",\"whenScaled\":\"Delete\"}}}");
    bind_pods_to_node("web");
    settle("web");
    rc_object *set = get("statefulsets.apps", "web");
    rc_object *c0 = get("persistentvolumeclaims", "www-web-0"), *c1 = get("persistentvolumeclaims", "www-web-1");
    ck_assert(has_owner_kind(c0, "StatefulSet", rc_object_uid(set)));
    ck_assert(has_owner_kind(c1, "StatefulSet", rc_object_uid(set)));
    rc_object_unref(c0);
    rc_object_unref(c1);
    scale_web_to(1);
    ck_assert_int_eq(sync_set("web"), 0); /* web-1 condemned: its claim now belongs to the pod */
    rc_object *p1 = get("pods", "web-1");
    c1 = get("persistentvolumeclaims", "www-web-1");
    ck_assert(has_owner_kind(c1, "Pod", rc_object_uid(p1)));
    ck_assert(!has_owner_kind(c1, "StatefulSet", rc_object_uid(set)));
    c0 = get("persistentvolumeclaims", "www-web-0");
    ck_assert(has_owner_kind(c0, "StatefulSet", rc_object_uid(set)));
    rc_object_unref(c0);
    rc_object_unref(c1);
    rc_object_unref(p1);
    settle("web");
    /* the claim still names the deleted pod (no garbage collector here): a new web-1 must wait */
    scale_web_to(2);
    settle("web");
    ck_assert_ptr_null(get("pods", "web-1"));
    ck_assert_int_eq(rc_client_delete(H.cl, "persistentvolumeclaims", NS, "www-web-1", NULL, NULL, NULL), 0);
    settle("web");
    rc_object *p = get("pods", "web-1");
    ck_assert_ptr_nonnull(p); /* a fresh claim, then the pod */
    rc_object_unref(p);
    rc_object_unref(set);
    assert_invariants();
}
END_TEST

/* ---- revisions ---- */

START_TEST(history_rollback_and_truncation)
{
    load_web();
    settle("web");
    char *first = set_str("web", "status.updateRevision");
    set_image("nginx:1.10");
    settle("web");
    set_image("nginx:1.9.1"); /* back to the first template: its revision is reused and renumbered */
    settle("web");
    char *now = set_str("web", "status.updateRevision");
    ck_assert_str_eq(now, first);
    ck_assert_int_eq(num("controllerrevisions.apps", first, "revision"), 3);
    ck_assert_int_eq(count("controllerrevisions.apps"), 2);

    patch("statefulsets.apps", "web", "{\"spec\":{\"revisionHistoryLimit\":1}}");
    set_image("nginx:1.11");
    settle("web");
    set_image("nginx:1.12");
    settle("web");
    ck_assert_int_eq(count("controllerrevisions.apps"), 2); /* the live one plus one old */
    free(first);
    free(now);
}
END_TEST

START_TEST(revision_hash_collision)
{
    load_web();
    rc_object *set = get("statefulsets.apps", "web");
    cJSON *t = rc_node_to_cjson(rc_object_at(set, "spec.template"));
    cJSON_AddStringToObject(t, "$patch", "replace");
    cJSON *data = cJSON_CreateObject();
    cJSON_AddItemToObject(cJSON_AddObjectToObject(data, "spec"), "template", t);
    char hash[RCI_HISTORY_HASH_LEN];
    int64_t zero = 0;
    ck_assert_int_eq(rci_history_hash(data, &zero, hash), 0);
    char *name = rci_history_name("web", hash);
    char body[256];
    snprintf(body, sizeof body,
             "{\"apiVersion\":\"apps/v1\",\"kind\":\"ControllerRevision\",\"metadata\":{\"name\":\"%s\"},"
             "\"data\":{\"other\":true},\"revision\":1}",
             name);
    load_text(body, "squatter");
    settle("web");
    char *upd = set_str("web", "status.updateRevision");
    ck_assert_str_ne(upd, name);
    ck_assert_int_eq(num("statefulsets.apps", "web", "status.collisionCount"), 1);
    free(upd);
    free(name);
    cJSON_Delete(data);
    rc_object_unref(set);
}
END_TEST

START_TEST(history_helpers)
{
    cJSON *a = cJSON_Parse("{\"b\":1,\"a\":[1,2]}"), *b = cJSON_Parse("{\"a\":[1,2],\"b\":1}");
    char ha[RCI_HISTORY_HASH_LEN], hb[RCI_HISTORY_HASH_LEN], hc[RCI_HISTORY_HASH_LEN];
    int64_t one = 1;
    ck_assert_int_eq(rci_history_hash(a, NULL, ha), 0);
    ck_assert_int_eq(rci_history_hash(b, NULL, hb), 0);
    ck_assert_int_eq(rci_history_hash(a, &one, hc), 0);
    ck_assert_str_eq(ha, hb); /* canonical: key order does not matter */
    ck_assert_str_ne(ha, hc);
    ck_assert(strspn(ha, "456789bcdf") == strlen(ha) && strlen(ha) <= 10);
    char parent[300];
    memset(parent, 'p', sizeof parent - 1);
    parent[sizeof parent - 1] = '\0';
    char *n = rci_history_name(parent, ha);
    ck_assert_uint_eq(strlen(n), 223 + 1 + strlen(ha));
    free(n);
    cJSON_Delete(a);
    cJSON_Delete(b);
}
END_TEST

/* ---- the MySQL example ---- */

START_TEST(mysql_example)
{
    load_file("examples/manifests/mysql-configmap.yaml");
    load_file("examples/manifests/mysql-services.yaml");
    load_file("examples/manifests/mysql-statefulset.yaml");
    settle("mysql");
    ck_assert_str_eq(H.created, "mysql-0 mysql-1 mysql-2");
    for (int i = 0; i < 3; i++) {
        char pod[32], claim[32], idx[16];
        snprintf(pod, sizeof pod, "mysql-%d", i);
        snprintf(claim, sizeof claim, "data-mysql-%d", i);
        snprintf(idx, sizeof idx, "%d", i);
        rc_object *p = get("pods", pod);
        ck_assert_ptr_nonnull(p);
        /* the init container reads its ordinal from `hostname` =~ -([0-9]+)$ */
        const char *host = str(p, "spec.hostname");
        ck_assert_str_eq(host, pod);
        ck_assert_str_eq(strrchr(host, '-') + 1, idx);
        ck_assert_str_eq(str(p, "spec.subdomain"), "mysql");
        ck_assert_str_eq(str(p, "spec.initContainers.0.name"), "init-mysql");
        ck_assert_str_eq(str(p, "spec.volumes.0.persistentVolumeClaim.claimName"), claim);
        ck_assert_str_eq(str(p, "spec.volumes.2.configMap.name"), "mysql");
        rc_object_unref(p);
        rc_object *c = get("persistentvolumeclaims", claim);
        ck_assert_ptr_nonnull(c);
        rc_object_unref(c);
    }
    ck_assert_int_eq(num("statefulsets.apps", "mysql", "status.readyReplicas"), 3);
    assert_invariants();
}
END_TEST

/* ---- faults ---- */

START_TEST(faults_never_double_identity)
{
    load_web();
    bind_pods_to_node("web");
    rc_error err = {0};
    rc_fault_rule create_fail = {.verb = "create", .resource = "pods", .nth = 2, .times = 3, .code = RC_EINTERNAL};
    rc_fault_rule claim_fail = {.verb = "create", .resource = "persistentvolumeclaims", .nth = 3, .times = 2,
                                .code = RC_EUNAVAILABLE};
    rc_fault_rule delete_fail = {.verb = "delete", .resource = "pods", .nth = 1, .times = 2, .code = RC_EINTERNAL};
    ck_assert_int_eq(rc_apiserver_fault_fail(H.srv, &create_fail, &err), 0);
    ck_assert_int_eq(rc_apiserver_fault_fail(H.srv, &claim_fail, &err), 0);
    ck_assert_int_eq(rc_apiserver_fault_fail(H.srv, &delete_fail, &err), 0);
    rc_apiserver_fault_conflict_rate(H.srv, 0.3);
    scale_web_to(3);
    settle("web");
    scale_web_to(5);
    settle("web");
    /* a user deletes pods while the set scales down */
    scale_web_to(2);
    sync_set("web"); /* may fail on an injected fault: the next passes retry */
    rc_client_delete(H.cl, "pods", NS, "web-1", NULL, NULL, NULL);
    rc_client_delete(H.cl, "pods", NS, "web-3", NULL, NULL, NULL);
    settle("web");
    set_image("nginx:1.10");
    settle("web");
    rc_apiserver_fault_clear(H.srv);
    settle("web");
    ck_assert_int_eq(count("pods"), 2);
    ck_assert_int_eq(num("statefulsets.apps", "web", "status.readyReplicas"), 2);
    ck_assert_int_eq(num("statefulsets.apps", "web", "status.updatedReplicas"), 2);
    assert_invariants();
    ck_assert_ptr_nonnull(strstr(H.events, "FailedCreate"));
}
END_TEST

/* ---- bad input ---- */

static rc_object *obj(const char *json) { return rc_object_from_json(json, strlen(json), NULL); }

START_TEST(bad_input)
{
    ck_assert_int_eq(rci_sts_ordinal("web", "web-0"), 0);
    ck_assert_int_eq(rci_sts_ordinal("web", "web-12"), 12);
    ck_assert_int_eq(rci_sts_ordinal("web", "web-01"), -1);
    ck_assert_int_eq(rci_sts_ordinal("web", "web-"), -1);
    ck_assert_int_eq(rci_sts_ordinal("web", "web-1-2"), -1);
    ck_assert_int_eq(rci_sts_ordinal("web", "webx-1"), -1);
    ck_assert_int_eq(rci_sts_ordinal("web", "web-+1"), -1);
    ck_assert_int_eq(rci_sts_ordinal("web", "web-2147483648"), -1);
    ck_assert_int_eq(rci_sts_ordinal("web-1", "web-1-2"), 2);
    ck_assert_int_eq(rci_sts_ordinal(NULL, "web-1"), -1);

    rci_sts s;
    rc_error err = {0};
    rc_object *no_uid = obj("{\"metadata\":{\"name\":\"web\"},\"spec\":{\"selector\":{}}}");
    ck_assert_int_eq(rci_sts_parse(no_uid, &s, &err), RC_EINVAL);
    rci_sts_release(&s);
    rc_error_clear(&err);
    rc_object *bad_mu = obj("{\"metadata\":{\"name\":\"web\",\"uid\":\"u\"},\"spec\":{\"selector\":{},"
                            "\"updateStrategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxUnavailable\":\"x%\"}}}}");
    ck_assert_int_eq(rci_sts_parse(bad_mu, &s, &err), RC_EINVAL);
    ck_assert_uint_eq(err.ncauses, 1);
    ck_assert_str_eq(err.causes[0].field, "spec.updateStrategy.rollingUpdate.maxUnavailable");
    rci_sts_release(&s);
    rc_error_clear(&err);
    rc_object *bad_sel = obj("{\"metadata\":{\"name\":\"web\",\"uid\":\"u\"},\"spec\":{\"selector\":"
                             "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Bogus\"}]}}}");
    ck_assert_int_ne(rci_sts_parse(bad_sel, &s, &err), 0);
    rci_sts_release(&s);
    rc_error_clear(&err);
    rc_object *pct = obj("{\"metadata\":{\"name\":\"web\",\"uid\":\"u\"},\"spec\":{\"replicas\":10,\"selector\":{},"
                         "\"updateStrategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxUnavailable\":\"5%\"}}}}");
    ck_assert_int_eq(rci_sts_parse(pct, &s, &err), 0);
    ck_assert_int_eq(s.max_unavailable, 1); /* 0.5 rounds down to 0, raised to 1 */
    rci_sts_release(&s);

    /* a bad set makes the pass fail without writing anything */
    uint64_t rv = rc_apiserver_resource_version(H.srv);
    rc_object_list none;
    rc_object_list_init(&none);
    rci_sts_io io = {.client = H.cl, .now = T0, .get_claim = get_claim, .event = record_event, .ctx = &H};
    rci_sts_result res;
    ck_assert_int_eq(rci_sts_sync(&io, bad_mu, &none, &none, &res, &err), RC_EINVAL);
    ck_assert_uint_eq(rc_apiserver_resource_version(H.srv), rv);
    rc_error_clear(&err);
    rc_object_unref(no_uid);
    rc_object_unref(bad_mu);
    rc_object_unref(bad_sel);
    rc_object_unref(pct);
}
END_TEST

START_TEST(min_ready_requeue)
{
    load_web();
    patch("statefulsets.apps", "web", "{\"spec\":{\"minReadySeconds\":10}}");
    rci_sts_result res;
    ck_assert_int_eq(sync_once("web", &res, false), 0);
    ck_assert_int_eq(res.requeue_after, 10 * RC_SEC);
    kubelet();
    ck_assert_int_eq(sync_set("web"), 0);
    ck_assert_int_eq(count("pods"), 1); /* web-0 ready but not yet available */
    rc_clock_advance(H.clk, 11 * RC_SEC);
    ck_assert_int_eq(sync_set("web"), 0);
    ck_assert_int_eq(count("pods"), 2);
}
END_TEST


/* ---- the whole loop: runtime, simulated scheduler, kubelet, volume binder and DNS ---- */

#define DEFAULT_CLASS                                                                                        \
    "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: standard\n  annotations:\n"        \
    "    storageclass.kubernetes.io/is-default-class: \"true\"\nprovisioner: sim.reconcile.io/hostpath\n"

static rc_testenv *env;
static rc_sim *sim;

static void env_setup(void)
{
    memset(&H, 0, sizeof H);
    H.ordered_check = true;
    rc_error err = {0};
    ck_assert_msg(rc_testenv_new(NULL, &env, &err) == 0, "%s", err.message);
    ck_assert_msg(rc_sim_new(rc_testenv_manager(env), NULL, &sim, &err) == 0, "%s", err.message);
    const rc_controller_ops *ops;
    void *self;
    ck_assert_int_eq(rc_statefulset_controller_new(NULL, &ops, &self, &err), 0);
    ck_assert_msg(rc_testenv_add_controller(env, ops, self, NULL, &err) == 0, "%s", err.message);
    ck_assert_msg(rc_sim_add_nodes(sim, NULL, 2, 0, &err) == 0, "%s", err.message);
    ck_assert_msg(rc_testenv_load_yaml(env, DEFAULT_CLASS, &err) == 0, "%s", err.message);
    rc_apiserver_set_trace(rc_testenv_apiserver(env), on_trace, NULL);
}

static void env_teardown(void)
{
    rc_apiserver_set_trace(rc_testenv_apiserver(env), NULL, NULL);
    rc_testenv_free(env);
}

static void env_load(const char *path)
{
    rc_error err = {0};
    ck_assert_msg(rc_testenv_load_file(env, path, &err) == 0, "%s", err.message);
}

static void env_run(void) { ck_assert_int_eq(rc_testenv_run_until_stable(env, 30 * RC_MINUTE), 0); }

static void env_patch(const char *name, const char *json)
{
    rc_error err = {0};
    int rc = rc_client_patch(rc_testenv_client(env), "statefulsets.apps", NS, name, RC_PATCH_MERGE, json,
                             strlen(json), NULL, NULL, &err);
    ck_assert_msg(rc == 0, "%s", err.message);
}

static bool env_field(const char *resource, const char *name, const char *path, const char *json)
{
    rc_error err = {0};
    bool ok = rc_testenv_field_equals(env, resource, NS, name, path, json, &err);
    if (!ok)
        fprintf(stderr, "%s %s %s: %s\n", resource, name, path, err.message ? err.message : "?");
    rc_error_clear(&err);
    return ok;
}

/* The one address DNS gives for name, as a malloc'd string (NULL when it does not resolve). */
static char *resolve(const char *name)
{
    char **ips = NULL;
    size_t n = 0;
    if (rc_sim_dns_lookup(sim, name, &ips, &n, NULL) != 0)
        return NULL;
    char *ip = n == 1 ? strdup(ips[0]) : NULL;
    rc_sim_dns_free(ips);
    return ip;
}

START_TEST(web_in_simulator)
{
    env_load("examples/manifests/nginx-headless-service.yaml");
    env_load("examples/manifests/web-statefulset.yaml");
    env_run();
    ck_assert_str_eq(H.created, "web-0 web-1");
    ck_assert(env_field("persistentvolumeclaims", "www-web-0", "status.phase", "\"Bound\""));
    ck_assert(env_field("persistentvolumeclaims", "www-web-1", "status.phase", "\"Bound\""));
    ck_assert(env_field("statefulsets.apps", "web", "status.readyReplicas", "2"));
    for (int i = 0; i < 2; i++) {
        char pod[32], fqdn[96];
        snprintf(pod, sizeof pod, "web-%d", i);
        snprintf(fqdn, sizeof fqdn, "web-%d.nginx.default.svc.cluster.local", i);
        rc_object *p = NULL;
        ck_assert_int_eq(rc_testenv_get(env, "pods", NS, pod, &p, NULL), 0);
        char *ip = resolve(fqdn);
        ck_assert_msg(ip, "%s does not resolve", fqdn);
        ck_assert_str_eq(ip, str(p, "status.podIP"));
        free(ip);
        rc_object_unref(p);
    }

    env_patch("web", "{\"spec\":{\"replicas\":5}}");
    env_run();
    ck_assert_str_eq(H.created, "web-0 web-1 web-2 web-3 web-4");
    env_patch("web", "{\"spec\":{\"replicas\":2}}");
    env_run();
    ck_assert_str_eq(H.deleted, "web-4 web-3 web-2");
    ck_assert_int_eq(rc_testenv_count(env, "persistentvolumeclaims", NS, NULL, NULL), 5);
    ck_assert_ptr_null(resolve("web-4.nginx.default.svc.cluster.local"));
    assert_invariants();
}
END_TEST

START_TEST(mysql_in_simulator)
{
    env_load("examples/manifests/mysql-configmap.yaml");
    env_load("examples/manifests/mysql-services.yaml");
    env_load("examples/manifests/mysql-statefulset.yaml");
    env_run();
    ck_assert_str_eq(H.created, "mysql-0 mysql-1 mysql-2");
    ck_assert(env_field("statefulsets.apps", "mysql", "status.readyReplicas", "3"));
    ck_assert(env_field("pods", "mysql-0", "spec.hostname", "\"mysql-0\""));
    ck_assert(env_field("pods", "mysql-2", "spec.hostname", "\"mysql-2\""));
    ck_assert(env_field("persistentvolumeclaims", "data-mysql-2", "status.phase", "\"Bound\""));
    char *ip = resolve("mysql-1.mysql.default.svc.cluster.local");
    ck_assert_ptr_nonnull(ip);
    free(ip);
    assert_invariants();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("statefulset");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, web_created_in_order);
    tcase_add_test(tc, scale_3_5_2);
    tcase_add_test(tc, no_scale_down_while_unhealthy);
    tcase_add_test(tc, partition_rollout);
    tcase_add_test(tc, rolling_one_at_a_time_and_max_unavailable);
    tcase_add_test(tc, on_delete_strategy);
    tcase_add_test(tc, deleted_pod_returns_with_same_claim);
    tcase_add_test(tc, failed_pod_recreated);
    tcase_add_test(tc, identity_labels_restored);
    tcase_add_test(tc, parallel_policy);
    tcase_add_test(tc, retention_policy_owners);
    tcase_add_test(tc, history_rollback_and_truncation);
    tcase_add_test(tc, revision_hash_collision);
    tcase_add_test(tc, history_helpers);
    tcase_add_test(tc, mysql_example);
    tcase_add_test(tc, faults_never_double_identity);
    tcase_add_test(tc, bad_input);
    tcase_add_test(tc, min_ready_requeue);
    suite_add_tcase(s, tc);
    TCase *te = tcase_create("simulator");
    tcase_add_checked_fixture(te, env_setup, env_teardown);
    tcase_set_timeout(te, 60);
    tcase_add_test(te, web_in_simulator);
    tcase_add_test(te, mysql_in_simulator);
    suite_add_tcase(s, te);
    return s;
}

int main(void) { return rc_test_run_suite(suite()); }
