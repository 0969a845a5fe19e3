/* procset.c - the in-flight set as an rci_itemtab hashed by record address; see procset.h. */
#include "workqueue/procset.h"

#include <stddef.h>
#include <stdint.h>

static uint64_t address_hash(uintptr_t addr)
{
    uint64_t h = (uint64_t)addr * 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 29);
}

void rci_procset_insert(rci_procset *s, rci_wq_item *it) { rci_itemtab_insert(s, address_hash((uintptr_t)it), it); }

/* The address of the record key would belong to: compared with the members, never dereferenced. */
static uintptr_t record_address(const void *key) { return (uintptr_t)key - offsetof(rci_wq_item, key); }

rci_wq_item *rci_procset_find(const rci_procset *s, const void *key)
{
    uintptr_t addr = record_address(key);
    return rci_itemtab_find(s, address_hash(addr), (const void *)addr);
}

rci_wq_item *rci_procset_take(rci_procset *s, const char *key)
{
    uintptr_t addr = record_address(key);
    return rci_itemtab_remove(s, address_hash(addr), (const void *)addr);
}
