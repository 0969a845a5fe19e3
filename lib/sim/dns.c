/* dns.c - the cluster DNS model (what CoreDNS's kubernetes plugin answers for A queries):
 * "<svc>.<ns>.svc.cluster.local" is the Service's clusterIP, or the ready endpoint addresses of a headless
 * Service; "<host>.<svc>.<ns>.svc.cluster.local" is the endpoint address of the headless Service whose
 * hostname is host (a pod with spec.hostname and spec.subdomain), the stable names StatefulSets give. */
#include "sim/internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAME 253

typedef struct answer {
    char **ips;
    size_t n, cap;
} answer;

static bool answer_add(answer *a, const char *ip)
{
    if (a->n + 1 >= a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        char **v = realloc(a->ips, cap * sizeof *v);
        if (!v)
            return false;
        a->ips = v;
        a->cap = cap;
    }
    if (!(a->ips[a->n] = strdup(ip)))
        return false;
    a->ips[++a->n] = NULL;
    return true;
}

static uint32_t ip_of(const char *s)
{
    struct in_addr a;
    return inet_pton(AF_INET, s, &a) == 1 ? ntohl(a.s_addr) : 0;
}

static int cmp_ip(const void *a, const void *b)
{
    uint32_t x = ip_of(*(char *const *)a), y = ip_of(*(char *const *)b);
    return x < y ? -1 : x > y;
}

void rc_sim_dns_free(char **ips)
{
    for (size_t i = 0; ips && ips[i]; i++)
        free(ips[i]);
    free(ips);
}

static bool strip_suffix(char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    if (n <= m || strcmp(s + n - m, suffix))
        return false;
    s[n - m] = '\0';
    return true;
}

/* Adds the endpoint addresses of ep (all, or only those with hostname host). */
static bool collect(answer *a, const rc_object *ep, const char *host)
{
    rc_node subsets = rc_object_at(ep, "subsets");
    for (size_t i = 0; i < rc_node_len(subsets); i++) {
        rc_node addrs = rc_node_get(rc_node_index(subsets, i), "addresses");
        for (size_t j = 0; j < rc_node_len(addrs); j++) {
            rc_node ad = rc_node_index(addrs, j);
            const char *ip = rc_node_str(rc_node_get(ad, "ip"));
            const char *hn = rc_node_str(rc_node_get(ad, "hostname"));
            if (ip && (!host || (hn && !strcmp(hn, host))) && !answer_add(a, ip))
                return false;
        }
    }
    return true;
}

int rci_sim_dns_answer(rc_store *services, rc_store *endpoints, const char *name, char ***ips, size_t *n,
                   rc_error *err)
{
    if (!name || !ips || !n)
        return rc_error_set(err, RC_EINVAL, "dns: name and outputs are required");
    *ips = NULL;
    *n = 0;
    char buf[MAX_NAME + 2];
    if (strlen(name) > MAX_NAME + 1)
        return rc_error_set(err, RC_EINVAL, "dns: name \"%.40s...\" is longer than %d characters", name, MAX_NAME);
    snprintf(buf, sizeof buf, "%s", name);
    size_t len = strlen(buf);
    if (len && buf[len - 1] == '.')
        buf[len - 1] = '\0';
    if (!strip_suffix(buf, ".svc.cluster.local") && !strip_suffix(buf, ".svc"))
        return rc_error_set(err, RC_EINVAL, "dns: \"%s\" is not a name under svc.cluster.local", name);
    char *parts[3];
    size_t np = 0;
    for (char *save = NULL, *p = strtok_r(buf, ".", &save); p; p = strtok_r(NULL, ".", &save)) {
        if (np == 3)
            return rc_error_set(err, RC_ENOTFOUND, "dns: %s: NXDOMAIN", name);
        parts[np++] = p;
    }
    if (np < 2)
        return rc_error_set(err, RC_ENOTFOUND, "dns: %s: NXDOMAIN", name);
    const char *ns = parts[np - 1], *svc_name = parts[np - 2], *host = np == 3 ? parts[0] : NULL;
    rc_object *svc = rc_lister_get(services, ns, svc_name);
    if (!svc)
        return rc_error_set(err, RC_ENOTFOUND, "dns: %s: NXDOMAIN", name);
    const char *cip = rc_object_get_str(svc, "spec.clusterIP");
    bool headless = !cip || !cip[0] || !strcmp(cip, "None");
    answer a = {0};
    bool ok = true;
    if (!headless && !host) {
        ok = answer_add(&a, cip);
    } else if (headless) {
        rc_object *ep = rc_lister_get(endpoints, ns, svc_name);
        ok = !ep || collect(&a, ep, host);
        rc_object_unref(ep);
    }
    rc_object_unref(svc);
    if (!ok) {
        rc_sim_dns_free(a.ips);
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    }
    if (!a.n) {
        rc_sim_dns_free(a.ips);
        return rc_error_set(err, RC_ENOTFOUND, "dns: %s: NXDOMAIN", name);
    }
    qsort(a.ips, a.n, sizeof *a.ips, cmp_ip);
    *ips = a.ips;
    *n = a.n;
    return 0;
}
