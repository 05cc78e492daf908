// SPDX-License-Identifier: GPL-2.0-only
#include "lib/kvtab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

#define EMPTY UINT64_MAX

static inline uint64_t mix(uint64_t a, uint64_t b)
{
	uint64_t h = a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL + (a << 6) + (a >> 2));

	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 29;
	return h;
}

static int alloc_slots(struct kvtab *t, size_t cap)
{
	struct kv_slot *s = malloc(cap * sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < cap; i++)
		s[i].k1 = EMPTY;
	t->slots = s;
	t->mask = cap - 1;
	t->count = 0;
	return 0;
}

int kvtab_init(struct kvtab *t, size_t hint)
{
	return alloc_slots(t, table_slots(hint, 64, 1, 2));
}

void kvtab_free(struct kvtab *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

static int grow(struct kvtab *t)
{
	struct kvtab old = *t;

	if (alloc_slots(t, (old.mask + 1) * 2)) {
		*t = old;
		return -ENOMEM;
	}
	for (size_t i = 0; i <= old.mask; i++)
		if (old.slots[i].k1 != EMPTY)
			kvtab_put(t, old.slots[i].k1, old.slots[i].k2, old.slots[i].v1, old.slots[i].v2);
	free(old.slots);
	return 0;
}

int kvtab_put(struct kvtab *t, uint64_t k1, uint64_t k2, uint64_t v1, uint64_t v2)
{
	size_t i;

	if ((t->count + 1) * 4 > (t->mask + 1) * 3 && grow(t))
		return -ENOMEM;
	for (i = mix(k1, k2) & t->mask;; i = (i + 1) & t->mask) {
		struct kv_slot *s = &t->slots[i];

		if (s->k1 == EMPTY) {
			*s = (struct kv_slot){ k1, k2, v1, v2 };
			t->count++;
			return 0;
		}
		if (s->k1 == k1 && s->k2 == k2) {
			s->v1 = v1;
			s->v2 = v2;
			return 0;
		}
	}
}

struct kv_slot *kvtab_get(const struct kvtab *t, uint64_t k1, uint64_t k2)
{
	if (!t->slots)
		return NULL;
	for (size_t i = mix(k1, k2) & t->mask;; i = (i + 1) & t->mask) {
		struct kv_slot *s = &t->slots[i];

		if (s->k1 == EMPTY)
			return NULL;
		if (s->k1 == k1 && s->k2 == k2)
			return s;
	}
}

static void remove_at(struct kvtab *t, size_t i)
{
	size_t j = i;

	/* backward shift: pull later members of the probe run into the hole */
	for (;;) {
		size_t home;

		j = (j + 1) & t->mask;
		if (t->slots[j].k1 == EMPTY)
			break;
		home = mix(t->slots[j].k1, t->slots[j].k2) & t->mask;
		/* move j to i unless its home lies cyclically in (i, j] */
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].k1 = EMPTY;
	t->count--;
}

int kvtab_del(struct kvtab *t, uint64_t k1, uint64_t k2)
{
	struct kv_slot *s = kvtab_get(t, k1, k2);

	if (!s)
		return 0;
	remove_at(t, (size_t)(s - t->slots));
	return 1;
}

size_t kvtab_del_k1(struct kvtab *t, uint64_t k1)
{
	size_t n = 0;

	if (!t->slots)
		return 0;
	for (size_t i = 0; i <= t->mask;) {
		if (t->slots[i].k1 == k1) {
			remove_at(t, i);
			n++;
			continue; /* a shifted entry may now sit at i */
		}
		i++;
	}
	return n;
}
