/* apiserver_watch.c - benchmarks of the embedded API server: one resource's changes fanned out to 100
 * watchers (events delivered per second; A2 asks for >= 1 M/s), and listing 10,000 pods. */
#include <reconcile.h>
#include <reconcile/apiserver.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#define WATCHERS 100
#define CHANGES 20000
#define PODS 10000

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static rc_object *pod(int i)
{
    char buf[512];
    snprintf(buf, sizeof buf,
             "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p-%d\",\"namespace\":\"default\","
             "\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.25\"}]}}",
             i);
    return rc_object_from_json(buf, strlen(buf), NULL);
}

int main(void)
{
    rc_clock *clk = rc_clock_virtual_new(0);
    rc_apiserver_options o = {.clock = clk, .seed = 1, .watch_history = CHANGES + 16};
    rc_apiserver *srv = rc_apiserver_new(&o, NULL);
    rc_client *c = rc_apiserver_client(srv, NULL);
    for (int i = 0; i < PODS; i++) {
        rc_object *p = pod(i);
        rc_client_create(c, "pods", "default", p, NULL, NULL, NULL);
        rc_object_unref(p);
    }
    rc_apiserver_pump(srv);

    /* list 10k pods */
    double t0 = now_s();
    int rounds = 20;
    size_t listed = 0;
    for (int r = 0; r < rounds; r++) {
        rc_object_list l;
        rc_object_list_init(&l);
        rc_client_list(c, "pods", "default", NULL, &l, NULL);
        listed += l.count;
        rc_object_list_clear(&l);
    }
    double list_rate = listed / (now_s() - t0);
    printf("BENCH apiserver_list_10k_pods items_per_s=%.0f items/s floor=2000000 ratio=%.2f\n", list_rate,
           list_rate / 2e6);

    /* fan-out: CHANGES commits of the same object, delivered to 100 watchers */
    rc_watch *w[WATCHERS];
    char rv[32];
    snprintf(rv, sizeof rv, "%llu", (unsigned long long)rc_apiserver_resource_version(srv));
    rc_list_options lo = {.resource_version = rv};
    for (int i = 0; i < WATCHERS; i++)
        rc_client_watch(c, "configmaps", "default", &lo, &w[i], NULL);
    const char *cm = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"hot\",\"namespace\":"
                     "\"default\"},\"data\":{\"n\":\"0\"}}";
    rc_object *in = rc_object_from_json(cm, strlen(cm), NULL), *cur = NULL;
    rc_client_create(c, NULL, NULL, in, NULL, &cur, NULL);
    rc_object_unref(in);
    for (int i = 1; i < CHANGES; i++) {
        rc_object *e = rc_object_copy(cur), *next = NULL;
        char n[16];
        snprintf(n, sizeof n, "%d", i);
        rc_object_set_str(e, "data.n", n);
        rc_client_update(c, NULL, NULL, e, NULL, &next, NULL);
        rc_object_unref(e);
        rc_object_unref(cur);
        cur = next;
    }
    rc_object_unref(cur);
    t0 = now_s();
    size_t sent = rc_apiserver_pump(srv);
    double fan = sent / (now_s() - t0);
    size_t drained = 0;
    for (int i = 0; i < WATCHERS; i++) {
        rc_watch_event ev;
        while (rc_watch_next(w[i], &ev) == 0) {
            drained++;
            rc_watch_event_clear(&ev);
        }
        rc_watch_stop(w[i]);
        rc_watch_unref(w[i]);
    }
    printf("BENCH apiserver_watch_fanout_100 events_per_s=%.0f events/s floor=1000000 ratio=%.2f\n", fan,
           fan / 1e6);
    if (drained != (size_t)WATCHERS * CHANGES)
        fprintf(stderr, "delivered %zu, expected %d\n", drained, WATCHERS * CHANGES);
    rc_client_unref(c);
    rc_apiserver_free(srv);
    rc_clock_free(clk);
    return drained == (size_t)WATCHERS * CHANGES ? 0 : 1;
}
