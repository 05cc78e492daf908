/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Open-addressing hash table, key (k1, k2) -> value (v1, v2), linear probing
 * with backward-shift deletion (no tombstones, so churn never degrades it).
 * k1 == UINT64_MAX is reserved as the empty marker.
 */
#ifndef KSMSCOPE_LIB_KVTAB_H
#define KSMSCOPE_LIB_KVTAB_H

#include <stddef.h>
#include <stdint.h>

struct kv_slot {
	uint64_t k1, k2;
	uint64_t v1, v2;
};

struct kvtab {
	struct kv_slot *slots;
	size_t mask; /* capacity - 1, capacity a power of two */
	size_t count;
};

int kvtab_init(struct kvtab *t, size_t capacity_hint);
void kvtab_free(struct kvtab *t);
/* Insert or overwrite. Returns 0 or -ENOMEM. */
int kvtab_put(struct kvtab *t, uint64_t k1, uint64_t k2, uint64_t v1, uint64_t v2);
/* Pointer to the slot or NULL; valid until the next put/del. */
struct kv_slot *kvtab_get(const struct kvtab *t, uint64_t k1, uint64_t k2);
int kvtab_del(struct kvtab *t, uint64_t k1, uint64_t k2); /* 1 if removed */
/* Remove every entry with this k1. Returns how many. */
size_t kvtab_del_k1(struct kvtab *t, uint64_t k1);

#endif
