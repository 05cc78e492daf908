// SPDX-License-Identifier: GPL-2.0-only
#include "scanner/content_index.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK (1u << INDEX_BLOCK_BITS)

static inline size_t slot_of(uint64_t key, size_t mask)
{
	/* keys are hashes or pfns: mix so pfn runs spread */
	uint64_t h = key * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h ^ (h >> 32)) & mask;
}

static inline struct index_entry *entry(const struct index *x, uint32_t id)
{
	return &x->blocks[id >> INDEX_BLOCK_BITS][id & (BLOCK - 1)];
}

static int alloc_slots(struct index *x, size_t cap)
{
	/* malloc + memset, not calloc: calloc's lazily zeroed pages fault twice */
	uint32_t *s = malloc(cap * sizeof(*s));

	if (!s)
		return -ENOMEM;
	memset(s, 0, cap * sizeof(*s));
	x->slots = s;
	x->mask = cap - 1;
	return 0;
}

int index_init(struct index *x, size_t hint)
{
	size_t cap = 1024;

	memset(x, 0, sizeof(*x));
	while (cap * 3 < hint * 4)
		cap *= 2;
	if (alloc_slots(x, cap))
		return -ENOMEM;
	if (kvtab_init(&x->spill, 64)) {
		free(x->slots);
		return -ENOMEM;
	}
	return 0;
}

void index_free(struct index *x)
{
	for (size_t i = 0; i < x->nblocks; i++)
		free(x->blocks[i]);
	free(x->blocks);
	free(x->slots);
	kvtab_free(&x->spill);
	memset(x, 0, sizeof(*x));
}

/* The slot holding key, or the empty slot where it would go. */
static uint32_t *find(const struct index *x, uint64_t key)
{
	size_t i = slot_of(key, x->mask);

	while (x->slots[i] && ie_key(entry(x, x->slots[i] - 1)) != key)
		i = (i + 1) & x->mask;
	return &x->slots[i];
}

static int grow(struct index *x)
{
	uint32_t *old = x->slots;
	size_t oldcap = x->mask + 1;

	if (alloc_slots(x, oldcap * 2)) {
		x->slots = old;
		x->mask = oldcap - 1;
		return -ENOMEM;
	}
	for (size_t i = 0; i < oldcap; i++)
		if (old[i])
			*find(x, ie_key(entry(x, old[i] - 1))) = old[i];
	free(old);
	return 0;
}

static struct index_entry *new_entry(struct index *x)
{
	if (x->count == x->nblocks * BLOCK) {
		struct index_entry **nb = realloc(x->blocks, (x->nblocks + 1) * sizeof(*nb));

		if (!nb)
			return NULL;
		x->blocks = nb;
		nb[x->nblocks] = malloc(BLOCK * sizeof(struct index_entry));
		if (!nb[x->nblocks])
			return NULL;
		x->nblocks++;
	}
	return entry(x, (uint32_t)x->count++);
}

static int spill_add(struct index *x, uint64_t key, uint32_t pair, uint32_t s, uint32_t ms)
{
	struct kv_slot *c = kvtab_get(&x->spill, key, pair);

	if (c) {
		c->v1 += s;
		c->v2 += ms;
		return 0;
	}
	return kvtab_put(&x->spill, key, pair, s, ms);
}

int index_add(struct index *x, uint64_t key, uint32_t pair, bool mergeable, uint32_t flags)
{
	struct index_entry *e;
	uint32_t *slot;

	if ((x->count + 1) * 4 > (x->mask + 1) * 3 && grow(x))
		return -ENOMEM;
	slot = find(x, key);
	if (!*slot) {
		if (x->count >= UINT32_MAX - 1 || !(e = new_entry(x)))
			return -ENOMEM;
		*e = (struct index_entry){ (uint32_t)key, (uint32_t)(key >> 32), 1, mergeable,
					   pair | (flags & (INDEX_MULTI - 1)) << PAIR_BITS };
		*slot = (uint32_t)x->count; /* id + 1 */
		return 0;
	}
	e = entry(x, *slot - 1);
	e->pf |= (flags & (INDEX_MULTI - 1)) << PAIR_BITS;
	if (!(ie_flags(e) & INDEX_MULTI) && ie_pair(e) == pair) {
		e->n++;
		e->m += mergeable;
		return 0;
	}
	if (!(ie_flags(e) & INDEX_MULTI)) {
		/* a second pair: the inline counts move to the spill table */
		if (spill_add(x, key, ie_pair(e), e->n, e->m))
			return -ENOMEM;
		e->pf |= INDEX_MULTI << PAIR_BITS;
	}
	if (spill_add(x, key, pair, 1, mergeable))
		return -ENOMEM;
	e->n++;
	e->m += mergeable;
	return 0;
}

const struct index_entry *index_get(const struct index *x, uint64_t key)
{
	uint32_t *slot = find(x, key);

	return *slot ? entry(x, *slot - 1) : NULL;
}

size_t index_bytes(const struct index *x)
{
	/* the entries used (the last block is counted whole: it is allocated) */
	return x->nblocks * BLOCK * sizeof(struct index_entry) + (x->mask + 1) * sizeof(uint32_t) +
	       (x->spill.mask + 1) * sizeof(struct kv_slot);
}

struct spill_item {
	uint64_t key;
	uint32_t pair, s, ms;
	bool fg, fr;
};

static int by_key_region(const void *a, const void *b)
{
	const struct spill_item *x = a, *y = b;
	uint32_t rx = PAIR_REGION(x->pair), ry = PAIR_REGION(y->pair);

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (rx != ry)
		return rx < ry ? -1 : 1;
	return x->pair < y->pair ? -1 : x->pair > y->pair;
}

int index_foreach(const struct index *x, index_fn fn, void *ctx)
{
	struct spill_item *items;
	size_t n = 0, *seen; /* per group: 1 + the key run it was last seen in */
	uint32_t ngroups;

	for (size_t i = 0; i < x->count; i++) {
		const struct index_entry *e = index_at(x, i);
		struct index_cell c;

		if (ie_flags(e) & INDEX_MULTI)
			continue;
		c = (struct index_cell){ e, ie_pair(e), e->n, e->m, true, true };
		fn(ctx, &c);
	}
	if (!x->spill.count)
		return 0;
	items = malloc(x->spill.count * sizeof(*items));
	if (!items)
		return -ENOMEM;
	ngroups = 0;
	for (size_t i = 0; i <= x->spill.mask; i++) {
		const struct kv_slot *s = &x->spill.slots[i];

		if (s->k1 == UINT64_MAX)
			continue;
		items[n++] = (struct spill_item){ s->k1, (uint32_t)s->k2, (uint32_t)s->v1, (uint32_t)s->v2,
						  false, false };
		if (PAIR_GROUP((uint32_t)s->k2) >= ngroups)
			ngroups = PAIR_GROUP((uint32_t)s->k2) + 1;
	}
	/*
	 * A key's first cell in each region, and in each group: in (key, region,
	 * group) order a group's first cell of a key is its lowest region's, the
	 * one a (key, group, region) order would put first.
	 */
	qsort(items, n, sizeof(*items), by_key_region);
	seen = calloc(ngroups, sizeof(*seen));
	if (!seen) {
		free(items);
		return -ENOMEM;
	}
	for (size_t i = 0, run = 0; i < n; i++) {
		struct index_cell c;
		uint32_t g = PAIR_GROUP(items[i].pair);

		run += i && items[i].key != items[i - 1].key;
		items[i].fg = seen[g] != run + 1;
		seen[g] = run + 1;
		items[i].fr = !i || items[i].key != items[i - 1].key ||
			      PAIR_REGION(items[i].pair) != PAIR_REGION(items[i - 1].pair);
		c = (struct index_cell){ index_get(x, items[i].key), items[i].pair, items[i].s, items[i].ms,
					 items[i].fg, items[i].fr };
		fn(ctx, &c);
	}
	free(seen);
	free(items);
	return 0;
}
