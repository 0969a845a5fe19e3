/* http_json_cache.c - the JSON text of recently sent objects, shared by every watch stream of one
 * rc_http_server: the API server fans one frozen object out to all watchers of an event, so keying on the
 * object's address encodes each event once however many watchers send it. Direct-mapped; a slot holds a
 * reference to its object, so an address is never reused while its text is cached. */
#include "apiserver/http_internal.h"

#include <stdint.h>
#include <stdlib.h>

/* A power of two. Watchers drift thousands of events apart when their clients read at different speeds
 * (A2: 256 slots missed ~40 % of the time, 4096 ~4 %); a slot costs an object reference and its text. */
#define SLOTS 4096

typedef struct slot {
    rc_object *obj; /* reference */
    char *text;
    size_t len;
} slot;

struct rci_http_json_cache {
    pthread_mutex_t lock;
    slot slots[SLOTS];
};

rci_http_json_cache *rci_http_json_cache_new(void)
{
    rci_http_json_cache *c = calloc(1, sizeof *c);
    if (c)
        pthread_mutex_init(&c->lock, NULL);
    return c;
}

void rci_http_json_cache_free(rci_http_json_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < SLOTS; i++) {
        rc_object_unref(c->slots[i].obj);
        free(c->slots[i].text);
    }
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* Addresses of objects allocated one after another differ by regular strides; a full mix (murmur3's
 * finalizer) keeps those strides from landing on the same slots. */
static size_t slot_of(const rc_object *obj)
{
    uint64_t h = (uint64_t)(uintptr_t)obj;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return (size_t)h & (SLOTS - 1);
}

void rci_http_json_cache_append(rci_http_json_cache *c, rci_strbuf *b, rc_object *obj)
{
    slot *s = &c->slots[slot_of(obj)];
    pthread_mutex_lock(&c->lock);
    if (s->obj == obj) {
        rci_strbuf_append(b, s->text, s->len);
        pthread_mutex_unlock(&c->lock);
        return;
    }
    pthread_mutex_unlock(&c->lock);
    size_t len = 0;
    char *text = rc_object_to_json(obj, &len);
    if (!text) {
        b->failed = true;
        return;
    }
    rci_strbuf_append(b, text, len);
    pthread_mutex_lock(&c->lock);
    slot old = *s;
    *s = (slot){rc_object_ref(obj), text, len};
    pthread_mutex_unlock(&c->lock);
    rc_object_unref(old.obj);
    free(old.text);
}
