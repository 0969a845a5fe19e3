/* http_proto.c - the one protobuf message rc_http_server must read: `kubectl auth can-i` posts its
 * SelfSubjectAccessReview as application/vnd.kubernetes.protobuf with no JSON fallback. The body is the
 * magic "k8s\0" and a runtime.Unknown {1: typeMeta{1: apiVersion, 2: kind}, 2: raw}, raw being the review
 * {2: spec{1: resourceAttributes{1 namespace, 2 verb, 3 group, 4 version, 5 resource, 6 subresource,
 * 7 name}, 2: nonResourceAttributes{1 path, 2 verb}}}. A bounds-checked varint/length-delimited walker
 * turns it into the review's JSON form; anything else is refused. */
#include "apiserver/http_internal.h"

#include <string.h>

typedef struct pb {
    const unsigned char *p, *end;
} pb;

typedef struct pb_field {
    uint32_t number;
    uint32_t wire;
    pb body; /* wire type 2 only */
} pb_field;

static bool read_varint(pb *b, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && b->p < b->end; shift += 7) {
        unsigned char c = *b->p++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* The next field of b; false at the end; *bad set on malformed input. */
static bool next_field(pb *b, pb_field *f, bool *bad)
{
    if (b->p >= b->end)
        return false;
    uint64_t key, len;
    if (!read_varint(b, &key)) {
        *bad = true;
        return false;
    }
    f->number = (uint32_t)(key >> 3);
    f->wire = (uint32_t)(key & 7);
    size_t skip = 0;
    switch (f->wire) {
    case 0:
        if (!read_varint(b, &len))
            *bad = true;
        return !*bad;
    case 1:
        skip = 8;
        break;
    case 5:
        skip = 4;
        break;
    case 2:
        if (!read_varint(b, &len) || len > (uint64_t)(b->end - b->p)) {
            *bad = true;
            return false;
        }
        f->body = (pb){b->p, b->p + len};
        b->p += len;
        return true;
    default:
        *bad = true;
        return false;
    }
    if ((size_t)(b->end - b->p) < skip) {
        *bad = true;
        return false;
    }
    b->p += skip;
    return true;
}

static void add_string(cJSON *o, const char *key, const pb *body)
{
    size_t n = (size_t)(body->end - body->p);
    char buf[512];
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    memcpy(buf, body->p, n);
    buf[n] = '\0';
    cJSON_AddStringToObject(o, key, buf);
}

/* Copies the string fields named by `names` (index = field number) of message m into a new object. */
static cJSON *strings_of(pb m, const char *const *names, size_t nnames, bool *bad)
{
    cJSON *o = cJSON_CreateObject();
    pb_field f;
    while (next_field(&m, &f, bad))
        if (f.wire == 2 && f.number < nnames && names[f.number])
            add_string(o, names[f.number], &f.body);
    return o;
}

static cJSON *decode_review(pb raw, bool *bad)
{
    static const char *const ra_names[] = {NULL, "namespace", "verb", "group", "version", "resource", "subresource",
                                           "name"};
    static const char *const nra_names[] = {NULL, "path", "verb"};
    cJSON *review = cJSON_CreateObject();
    cJSON_AddStringToObject(review, "apiVersion", "authorization.k8s.io/v1");
    cJSON_AddStringToObject(review, "kind", "SelfSubjectAccessReview");
    cJSON_AddObjectToObject(review, "metadata");
    cJSON *spec = cJSON_AddObjectToObject(review, "spec");
    pb_field f, g;
    while (next_field(&raw, &f, bad)) {
        if (f.number != 2 || f.wire != 2)
            continue;
        pb s = f.body;
        while (next_field(&s, &g, bad)) {
            if (g.wire == 2 && g.number == 1)
                cJSON_AddItemToObject(spec, "resourceAttributes", strings_of(g.body, ra_names, 8, bad));
            else if (g.wire == 2 && g.number == 2)
                cJSON_AddItemToObject(spec, "nonResourceAttributes", strings_of(g.body, nra_names, 3, bad));
        }
    }
    return review;
}

cJSON *rci_http_decode_ssar_protobuf(const unsigned char *data, size_t len, rc_error *err)
{
    static const unsigned char magic[4] = {'k', '8', 's', 0};
    if (len < 4 || memcmp(data, magic, 4)) {
        rc_error_set(err, RC_EUNSUPPORTED, "the body is not a Kubernetes protobuf message");
        return NULL;
    }
    pb env = {data + 4, data + len};
    pb_field f, t;
    bool bad = false;
    char kind[64] = "";
    pb raw = {NULL, NULL};
    while (next_field(&env, &f, &bad)) {
        if (f.wire != 2)
            continue;
        if (f.number == 1) {
            pb tm = f.body;
            while (next_field(&tm, &t, &bad))
                if (t.wire == 2 && t.number == 2) {
                    size_t n = (size_t)(t.body.end - t.body.p);
                    n = n < sizeof kind - 1 ? n : sizeof kind - 1;
                    memcpy(kind, t.body.p, n);
                    kind[n] = '\0';
                }
        } else if (f.number == 2) {
            raw = f.body;
        }
    }
    if (bad || !raw.p) {
        rc_error_set(err, RC_EBADREQUEST, "malformed protobuf body");
        return NULL;
    }
    if (strcmp(kind, "SelfSubjectAccessReview")) {
        rc_error_set(err, RC_EUNSUPPORTED, "protobuf is only accepted for SelfSubjectAccessReview, not \"%s\"", kind);
        return NULL;
    }
    cJSON *review = decode_review(raw, &bad);
    if (bad) {
        cJSON_Delete(review);
        rc_error_set(err, RC_EBADREQUEST, "malformed protobuf SelfSubjectAccessReview");
        return NULL;
    }
    return review;
}
