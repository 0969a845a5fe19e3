/* http_auth.c - who an rc_http_server request is: a bearer token from a kube-apiserver token auth file
 * (token,user,uid,"group1,group2"), or, without a token file, the local cluster admin (system:masters);
 * then the impersonation headers (Impersonate-User, Impersonate-Group, as `kubectl --as/--as-group` send),
 * honoured when the real identity may impersonate (a system:masters member, any identity when RBAC is
 * off, else whoever RBAC grants the "impersonate" verb on users/groups/serviceaccounts). The identity
 * becomes the rc_client the request runs through: RBAC-checked unless admin or RBAC is off. */
#include "apiserver/http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ADMIN_USER "kubernetes-admin"
#define MASTERS "system:masters"
#define AUTHENTICATED "system:authenticated"

static void token_clear(rci_http_token *t)
{
    free(t->token);
    free(t->user);
    for (size_t g = 0; g < RC_MAX_USER_GROUPS; g++)
        free(t->groups[g]);
}

void rci_http_tokens_free(rci_http_token *t, size_t n)
{
    for (size_t i = 0; t && i < n; i++)
        token_clear(&t[i]);
    free(t);
}

/* Splits one CSV line into at most cap fields (a field may be double-quoted); fields point into line. */
static size_t csv_fields(char *line, char **f, size_t cap)
{
    size_t n = 0;
    char *p = line;
    while (n < cap) {
        if (*p == '"') {
            char *end = strchr(p + 1, '"');
            if (!end)
                return 0;
            *end = '\0';
            f[n++] = p + 1;
            p = end + 1;
        } else {
            f[n++] = p;
            p += strcspn(p, ",");
        }
        if (*p != ',')
            break;
        *p++ = '\0';
    }
    return n;
}

static int parse_token_line(char *line, rci_http_token *t, const char *path, int lineno, rc_error *err)
{
    char *f[5];
    size_t n = csv_fields(line, f, 5);
    if (n < 3 || !f[0][0] || !f[1][0])
        return rc_error_set(err, RC_EBADREQUEST, "%s:%d: want token,user,uid[,\"groups\"]", path, lineno);
    memset(t, 0, sizeof *t);
    bool ok = (t->token = strdup(f[0])) && (t->user = strdup(f[1]));
    size_t g = 0;
    if (ok && n >= 4)
        for (char *save = NULL, *grp = strtok_r(f[3], ",", &save); grp && g < RC_MAX_USER_GROUPS - 1;
             grp = strtok_r(NULL, ",", &save))
            ok = ok && (t->groups[g++] = strdup(grp)) != NULL;
    return ok ? 0 : rc_error_set(err, RC_ENOMEM, "out of memory");
}

int rci_http_tokens_load(const char *path, rci_http_token **out, size_t *n, rc_error *err)
{
    *out = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return rc_error_set(err, RC_EIO, "cannot open the token file %s", path);
    char *line = NULL;
    size_t cap = 0, count = 0, alloc = 0;
    rci_http_token *toks = NULL;
    int rc = 0, lineno = 0;
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        if (count == alloc) {
            size_t na = alloc ? alloc * 2 : 8;
            rci_http_token *nt = realloc(toks, na * sizeof *nt);
            if (!nt) {
                rc = rc_error_set(err, RC_ENOMEM, "out of memory");
                break;
            }
            toks = nt;
            alloc = na;
        }
        rc = parse_token_line(line, &toks[count], path, lineno, err);
        if (rc == 0)
            count++;
        else
            token_clear(&toks[count]);
    }
    free(line);
    fclose(f);
    if (rc != 0) {
        rci_http_tokens_free(toks, count);
        return rc;
    }
    *out = toks;
    *n = count;
    return 0;
}

void rci_http_identity_clear(rci_http_identity *id)
{
    free((char *)id->user.name);
    for (size_t g = 0; g < RC_MAX_USER_GROUPS; g++)
        free((char *)id->user.groups[g]);
    rc_client_unref(id->client);
    memset(id, 0, sizeof *id);
}

/* Replaces id's user with name and groups (copied), adding system:authenticated. */
static int set_user(rci_http_identity *id, const char *name, const char *const *groups, size_t ngroups)
{
    rci_http_identity fresh = {0};
    bool ok = (fresh.user.name = strdup(name)) != NULL;
    size_t g = 0;
    bool has_auth = false;
    for (size_t i = 0; ok && i < ngroups && g < RC_MAX_USER_GROUPS - 1; i++) {
        ok = (fresh.user.groups[g++] = strdup(groups[i])) != NULL;
        fresh.admin = fresh.admin || !strcmp(groups[i], MASTERS);
        has_auth = has_auth || !strcmp(groups[i], AUTHENTICATED);
    }
    if (ok && !has_auth && g < RC_MAX_USER_GROUPS)
        ok = (fresh.user.groups[g++] = strdup(AUTHENTICATED)) != NULL;
    if (!ok) {
        rci_http_identity_clear(&fresh);
        return RC_ENOMEM;
    }
    rci_http_identity_clear(id);
    *id = fresh;
    return 0;
}

/* Whether who may impersonate: verb "impersonate" on resource (users, groups, serviceaccounts) named name. */
static bool may_impersonate(rc_apiserver *srv, const rci_http_identity *who, const char *resource, const char *ns,
                            const char *name)
{
    cJSON *review = cJSON_CreateObject();
    cJSON_AddStringToObject(review, "apiVersion", "authorization.k8s.io/v1");
    cJSON_AddStringToObject(review, "kind", "SubjectAccessReview");
    cJSON *spec = cJSON_AddObjectToObject(review, "spec");
    cJSON_AddStringToObject(spec, "user", who->user.name);
    cJSON *groups = cJSON_AddArrayToObject(spec, "groups");
    for (size_t g = 0; g < RC_MAX_USER_GROUPS && who->user.groups[g]; g++)
        cJSON_AddItemToArray(groups, cJSON_CreateString(who->user.groups[g]));
    cJSON *ra = cJSON_AddObjectToObject(spec, "resourceAttributes");
    cJSON_AddStringToObject(ra, "verb", "impersonate");
    cJSON_AddStringToObject(ra, "resource", resource);
    cJSON_AddStringToObject(ra, "namespace", ns);
    cJSON_AddStringToObject(ra, "name", name);
    rc_object *obj = rc_object_from_cjson(review, NULL), *answer = NULL;
    cJSON_Delete(review);
    rc_client *sys = rc_apiserver_client(srv, NULL);
    bool allowed = obj && sys &&
                   rc_client_create(sys, "subjectaccessreviews.authorization.k8s.io", "", obj, NULL, &answer, NULL) == 0 &&
                   rc_object_get_bool(answer, "status.allowed", false);
    rc_object_unref(obj);
    rc_object_unref(answer);
    rc_client_unref(sys);
    return allowed;
}

static int impersonate(rci_http_req *req, const rci_http_auth *auth, rc_error *err)
{
    const char *as = rci_http_header(req, "Impersonate-User");
    const char *groups[RC_MAX_USER_GROUPS];
    size_t ng = rci_http_headers(req, "Impersonate-Group", groups, RC_MAX_USER_GROUPS - 2);
    if (!as)
        return ng ? rc_error_set(err, RC_EBADREQUEST, "requested impersonation of groups without impersonating a user")
                  : 0;
    rc_apiserver *srv = rci_http_apiserver(req->hs);
    bool check = auth->rbac && !req->id.admin;
    char ns[256] = "", sa[256] = "";
    bool is_sa = sscanf(as, "system:serviceaccount:%255[^:]:%255s", ns, sa) == 2;
    if (check && !(is_sa ? may_impersonate(srv, &req->id, "serviceaccounts", ns, sa)
                         : may_impersonate(srv, &req->id, "users", "", as)))
        return rc_error_set(err, RC_EFORBIDDEN, "users \"%s\" is forbidden: User \"%s\" cannot impersonate resource "
                            "\"%s\" in API group \"\" at the cluster scope", as, req->id.user.name,
                            is_sa ? "serviceaccounts" : "users");
    for (size_t i = 0; i < ng; i++)
        if (check && !may_impersonate(srv, &req->id, "groups", "", groups[i]))
            return rc_error_set(err, RC_EFORBIDDEN, "groups \"%s\" is forbidden: User \"%s\" cannot impersonate "
                                "resource \"groups\" in API group \"\" at the cluster scope", groups[i],
                                req->id.user.name);
    char sa_ns_group[300];
    if (is_sa && ng == 0) {
        snprintf(sa_ns_group, sizeof sa_ns_group, "system:serviceaccounts:%s", ns);
        groups[ng++] = "system:serviceaccounts";
        groups[ng++] = sa_ns_group;
    }
    return set_user(&req->id, as, groups, ng) ? rc_error_set(err, RC_ENOMEM, "out of memory") : 0;
}

int rci_http_authenticate(rci_http_req *req, const rci_http_auth *auth, rc_error *err)
{
    int rc = 0;
    if (!auth->enabled) {
        const char *g[] = {MASTERS};
        rc = set_user(&req->id, ADMIN_USER, g, 1);
    } else {
        const char *h = rci_http_header(req, "Authorization");
        const rci_http_token *found = NULL;
        if (h && !strncasecmp(h, "Bearer ", 7))
            for (size_t i = 0; i < auth->ntokens && !found; i++)
                if (!strcmp(auth->tokens[i].token, h + 7))
                    found = &auth->tokens[i];
        if (!found)
            return rc_error_set(err, RC_EUNAUTHORIZED, "Unauthorized");
        size_t ng = 0;
        while (ng < RC_MAX_USER_GROUPS && found->groups[ng])
            ng++;
        rc = set_user(&req->id, found->user, (const char *const *)found->groups, ng);
    }
    if (rc != 0)
        return rc_error_set(err, RC_ENOMEM, "out of memory");
    rc = impersonate(req, auth, err);
    if (rc != 0)
        return rc;
    rc_apiserver *srv = rci_http_apiserver(req->hs);
    req->id.client = auth->rbac ? rc_apiserver_client(srv, &req->id.user) : rc_apiserver_client(srv, NULL);
    return req->id.client ? 0 : rc_error_set(err, RC_ENOMEM, "out of memory");
}
