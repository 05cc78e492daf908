#include "index.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static inline size_t slot_of(uint64_t key, size_t mask)
{
	/* keys are hashes or pfns: mix so pfn runs spread */
	uint64_t h = key * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h ^ (h >> 32)) & mask;
}

static int alloc(struct index *x, size_t cap)
{
	/* malloc + memset, not calloc: calloc's lazily zeroed pages fault twice (read, then write) */
	x->e = malloc(cap * sizeof(*x->e));
	if (!x->e)
		return -ENOMEM;
	memset(x->e, 0, cap * sizeof(*x->e));
	x->mask = cap - 1;
	x->count = 0;
	return 0;
}

int index_init(struct index *x, size_t hint)
{
	size_t cap = 1024;

	memset(x, 0, sizeof(*x));
	while (cap * 3 < hint * 4)
		cap *= 2;
	if (alloc(x, cap))
		return -ENOMEM;
	if (kvtab_init(&x->spill, 64)) {
		free(x->e);
		return -ENOMEM;
	}
	return 0;
}

void index_free(struct index *x)
{
	free(x->e);
	kvtab_free(&x->spill);
	memset(x, 0, sizeof(*x));
}

static struct index_entry *find(struct index_entry *e, size_t mask, uint64_t key)
{
	size_t i = slot_of(key, mask);

	while (e[i].key && e[i].key != key)
		i = (i + 1) & mask;
	return &e[i];
}

static int grow(struct index *x)
{
	struct index_entry *old = x->e;
	size_t oldcap = x->mask + 1, count = x->count;

	if (alloc(x, oldcap * 2)) {
		x->e = old;
		x->mask = oldcap - 1;
		return -ENOMEM;
	}
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key)
			*find(x->e, x->mask, old[i].key) = old[i];
	x->count = count;
	free(old);
	return 0;
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

	if ((x->count + 1) * 4 > (x->mask + 1) * 3 && grow(x))
		return -ENOMEM;
	e = find(x->e, x->mask, key);
	if (!e->key) {
		*e = (struct index_entry){ key, 1, mergeable, pair, flags & ~INDEX_MULTI };
		x->count++;
		return 0;
	}
	e->flags |= flags & ~INDEX_MULTI;
	if (!(e->flags & INDEX_MULTI) && e->pair == pair) {
		e->n++;
		e->m += mergeable;
		return 0;
	}
	if (!(e->flags & INDEX_MULTI)) {
		/* a second pair: the inline counts move to the spill table */
		if (spill_add(x, key, e->pair, e->n, e->m))
			return -ENOMEM;
		e->flags |= INDEX_MULTI;
	}
	if (spill_add(x, key, pair, 1, mergeable))
		return -ENOMEM;
	e->n++;
	e->m += mergeable;
	return 0;
}

const struct index_entry *index_get(const struct index *x, uint64_t key)
{
	const struct index_entry *e = find(x->e, x->mask, key);

	return e->key ? e : NULL;
}

size_t index_bytes(const struct index *x)
{
	return (x->mask + 1) * sizeof(struct index_entry) + (x->spill.mask + 1) * sizeof(struct kv_slot);
}

struct spill_item {
	uint64_t key;
	uint32_t pair, s, ms;
	bool fg, fr;
};

static int by_key_group(const void *a, const void *b)
{
	const struct spill_item *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->pair < y->pair ? -1 : x->pair > y->pair;
}

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
	size_t n = 0;

	for (size_t i = 0; i <= x->mask; i++) {
		const struct index_entry *e = &x->e[i];
		struct index_cell c;

		if (!e->key || (e->flags & INDEX_MULTI))
			continue;
		c = (struct index_cell){ e, e->pair, e->n, e->m, true, true };
		fn(ctx, &c);
	}
	if (!x->spill.count)
		return 0;
	items = malloc(x->spill.count * sizeof(*items));
	if (!items)
		return -ENOMEM;
	for (size_t i = 0; i <= x->spill.mask; i++) {
		const struct kv_slot *s = &x->spill.slots[i];

		if (s->k1 == UINT64_MAX)
			continue;
		items[n++] = (struct spill_item){ s->k1, (uint32_t)s->k2, (uint32_t)s->v1, (uint32_t)s->v2,
						  false, false };
	}
	/* a key's first cell in each group, then in each region */
	qsort(items, n, sizeof(*items), by_key_group);
	for (size_t i = 0; i < n; i++)
		items[i].fg = !i || items[i].key != items[i - 1].key ||
			      PAIR_GROUP(items[i].pair) != PAIR_GROUP(items[i - 1].pair);
	qsort(items, n, sizeof(*items), by_key_region);
	for (size_t i = 0; i < n; i++) {
		struct index_cell c;

		items[i].fr = !i || items[i].key != items[i - 1].key ||
			      PAIR_REGION(items[i].pair) != PAIR_REGION(items[i - 1].pair);
		c = (struct index_cell){ index_get(x, items[i].key), items[i].pair, items[i].s, items[i].ms,
					 items[i].fg, items[i].fr };
		fn(ctx, &c);
	}
	free(items);
	return 0;
}
