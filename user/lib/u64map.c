// SPDX-License-Identifier: GPL-2.0-only
#include "lib/u64map.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

#define EMPTY UINT64_MAX

/* content hashes are uniform already, other keys may not be: mixed all the same */
static inline size_t slot_of(uint64_t k, size_t mask)
{
	k ^= k >> 31;
	k *= 0xbf58476d1ce4e5b9ULL;
	k ^= k >> 29;
	return (size_t)k & mask;
}

static int alloc_slots(struct u64map *m, size_t cap)
{
	struct u64map_slot *s = malloc(cap * sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < cap; i++)
		s[i].k = EMPTY;
	m->slots = s;
	m->mask = cap - 1;
	m->count = 0;
	return 0;
}

int u64map_init(struct u64map *m, size_t hint)
{
	memset(m, 0, sizeof(*m));
	return alloc_slots(m, table_slots(hint, 64, 3, 4));
}

void u64map_free(struct u64map *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

static struct u64map_slot *find(const struct u64map *m, uint64_t k)
{
	size_t i = slot_of(k, m->mask);

	while (m->slots[i].k != EMPTY && m->slots[i].k != k)
		i = (i + 1) & m->mask;
	return &m->slots[i];
}

static int grow(struct u64map *m)
{
	struct u64map old = *m;

	if (alloc_slots(m, (old.mask + 1) * 2)) {
		*m = old;
		return -ENOMEM;
	}
	for (size_t i = 0; i <= old.mask; i++)
		if (old.slots[i].k != EMPTY)
			*find(m, old.slots[i].k) = old.slots[i];
	m->count = old.count;
	free(old.slots);
	return 0;
}

int u64map_put(struct u64map *m, uint64_t k, uint64_t v)
{
	struct u64map_slot *s;

	if (k == EMPTY) {
		m->has_max = true;
		m->max_v = v;
		return 0;
	}
	s = find(m, k);
	if (s->k == k) {
		s->v = v;
		return 0;
	}
	if ((m->count + 1) * 4 > (m->mask + 1) * 3) {
		if (grow(m))
			return -ENOMEM;
		s = find(m, k);
	}
	*s = (struct u64map_slot){ k, v };
	m->count++;
	return 0;
}

const uint64_t *u64map_get(const struct u64map *m, uint64_t k)
{
	const struct u64map_slot *s;

	if (k == EMPTY)
		return m->has_max ? &m->max_v : NULL;
	if (!m->slots)
		return NULL;
	s = find(m, k);
	return s->k == k ? &s->v : NULL;
}

size_t u64map_entries(const struct u64map *m)
{
	return m->count + m->has_max;
}

size_t u64map_bytes(const struct u64map *m)
{
	return m->slots ? (m->mask + 1) * sizeof(*m->slots) : 0;
}
