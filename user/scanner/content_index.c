// SPDX-License-Identifier: GPL-2.0-only
#include "scanner/content_index.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sort.h"
#include "lib/util.h"

#define BLOCK (1u << INDEX_BLOCK_BITS)

static inline size_t slot_of(uint64_t key, size_t mask)
{
	/* keys are hashes or pfns: mix so pfn runs spread */
	uint64_t h = key * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h ^ (h >> 32)) & mask;
}

static inline struct index_entry *entry(const struct index *x, uint32_t id)
{
	return (struct index_entry *)index_at(x, id); /* the index's own memory: writable */
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
	memset(x, 0, sizeof(*x));
	return alloc_slots(x, table_slots(hint, 1024, 3, 4));
}

void index_free(struct index *x)
{
	for (size_t i = 0; i < x->entries.n; i++)
		free(x->entries.b[i]);
	for (size_t i = 0; i < x->cells.n; i++)
		free(x->cells.b[i]);
	free(x->entries.b);
	free(x->cells.b);
	free(x->lslots);
	free(x->slots);
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

/* Room for item number count (of size sz) in bl; NULL when out of memory. */
static void *new_item(struct index_blocks *bl, size_t count, size_t sz)
{
	if (count == bl->n * BLOCK) {
		void **nb = realloc(bl->b, (bl->n + 1) * sizeof(*nb));

		if (!nb)
			return NULL;
		bl->b = nb;
		nb[bl->n] = malloc(BLOCK * sz);
		if (!nb[bl->n])
			return NULL;
		bl->n++;
	}
	return (char *)bl->b[count / BLOCK] + (count % BLOCK) * sz;
}

static struct index_entry *new_entry(struct index *x)
{
	struct index_entry *e = new_item(&x->entries, x->count, sizeof(*e));

	x->count += e != NULL;
	return e;
}

static inline struct index_pair_cell *cell(const struct index *x, uint32_t id)
{
	return (struct index_pair_cell *)x->cells.b[id >> INDEX_BLOCK_BITS] + (id & (BLOCK - 1));
}

#define PAIR_MASK ((1u << PAIR_BITS) - 1)

#define SHORT_LIST 4 /* cells a lookup walks; a longer list's cells are all in the long-list table */

/* The long-list table's slot of (entry id, pair), or the empty slot where it would go. */
static struct index_long_slot *long_find(const struct index *x, uint32_t id, uint32_t pair)
{
	size_t i = slot_of(((uint64_t)id << 32 | pair) + 1, x->lmask);

	while (x->lslots[i].cell && (x->lslots[i].entry != id || cell(x, x->lslots[i].cell - 1)->pair != pair))
		i = (i + 1) & x->lmask;
	return &x->lslots[i];
}

/* Cell c (id + 1) of entry id into the long-list table, kept at most 3/4 full. */
static int long_put(struct index *x, uint32_t id, uint32_t c)
{
	if ((x->lcount + 1) * 4 > (x->lmask + 1) * 3 || !x->lslots) {
		struct index_long_slot *old = x->lslots;
		size_t oldcap = old ? x->lmask + 1 : 0, cap = old ? oldcap * 2 : 1024;

		x->lslots = calloc(cap, sizeof(*x->lslots));
		if (!x->lslots) {
			x->lslots = old;
			return -ENOMEM;
		}
		x->lmask = cap - 1;
		for (size_t i = 0; i < oldcap; i++)
			if (old[i].cell)
				*long_find(x, old[i].entry, cell(x, old[i].cell - 1)->pair) = old[i];
		free(old);
	}
	*long_find(x, id, cell(x, c - 1)->pair) = (struct index_long_slot){ id, c };
	x->lcount++;
	return 0;
}

/*
 * A new cell (s, ms) of pair at the head of the list of entry id (e). A list
 * that grows past SHORT_LIST cells puts them all in the long-list table, and
 * every cell after them.
 */
static int cell_push(struct index *x, uint32_t id, struct index_entry *e, uint32_t pair, uint32_t s, uint32_t ms)
{
	struct index_pair_cell *c;
	uint32_t head, len = 0, k;

	if (x->ncells >= PAIR_MASK - 1)
		return -ENOMEM;
	c = new_item(&x->cells, x->ncells, sizeof(*c));
	if (!c)
		return -ENOMEM;
	*c = (struct index_pair_cell){ pair, s, ms, (ie_flags(e) & INDEX_MULTI) ? ie_pair(e) : 0 };
	head = (uint32_t)++x->ncells;
	e->pf = (e->pf & ~PAIR_MASK) | head;
	if (PAIR_GROUP(pair) > x->max_group)
		x->max_group = PAIR_GROUP(pair);
	for (k = head; k && len <= SHORT_LIST + 1; k = cell(x, k - 1)->next)
		len++;
	if (len == SHORT_LIST + 1) /* just grew past: every cell in */
		for (k = head; k; k = cell(x, k - 1)->next) {
			if (long_put(x, id, k))
				return -ENOMEM;
		}
	else if (len > SHORT_LIST + 1)
		return long_put(x, id, head);
	return 0;
}

/*
 * One more site of a multi-pair key (entry id) in pair: its cell among the
 * first SHORT_LIST of its list (a scan adds a process's pages together: the
 * newest cell is the one wanted), else through the long-list table.
 */
static int cell_add(struct index *x, uint32_t id, struct index_entry *e, uint32_t pair, bool mergeable)
{
	uint32_t c = ie_pair(e);

	for (int k = 0; c && k < SHORT_LIST; k++, c = cell(x, c - 1)->next) {
		if (cell(x, c - 1)->pair == pair)
			break;
	}
	if (c && cell(x, c - 1)->pair != pair) /* a long list, not in its first cells */
		c = long_find(x, id, pair)->cell;
	if (!c)
		return cell_push(x, id, e, pair, 1, mergeable);
	cell(x, c - 1)->s++;
	cell(x, c - 1)->ms += mergeable;
	return 0;
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
		/* a second pair: the inline counts become the list's first cell */
		if (cell_push(x, *slot - 1, e, ie_pair(e), e->n, e->m))
			return -ENOMEM;
		e->pf |= INDEX_MULTI << PAIR_BITS;
	}
	if (cell_add(x, *slot - 1, e, pair, mergeable))
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

int64_t index_id(const struct index *x, uint64_t key)
{
	return (int64_t)*find(x, key) - 1;
}

size_t index_bytes(const struct index *x)
{
	/* the entries and cells used (the last blocks are counted whole: they are allocated) */
	return x->entries.n * BLOCK * sizeof(struct index_entry) + (x->mask + 1) * sizeof(uint32_t) +
	       x->cells.n * BLOCK * sizeof(struct index_pair_cell) +
	       (x->lslots ? (x->lmask + 1) * sizeof(*x->lslots) : 0);
}

/* A key's cells in (region, pair) order: a group's first cell is then its lowest region's. */
static int by_region_pair(const void *a, const void *b, void *ctx)
{
	const struct index_pair_cell *x = a, *y = b;
	uint32_t rx = PAIR_REGION(x->pair), ry = PAIR_REGION(y->pair);

	(void)ctx;
	if (rx != ry)
		return rx < ry ? -1 : 1;
	return x->pair < y->pair ? -1 : x->pair > y->pair;
}

int index_foreach(const struct index *x, index_fn fn, void *ctx)
{
	struct index_pair_cell *v = NULL;
	size_t cap = 0, *seen = NULL; /* per group: 1 + the id of the key it was last seen in */

	if (x->ncells && !(seen = calloc((size_t)x->max_group + 1, sizeof(*seen))))
		return -ENOMEM;
	for (size_t i = 0; i < x->count; i++) {
		const struct index_entry *e = index_at(x, i);
		struct index_cell c;
		size_t n = 0;

		if (!(ie_flags(e) & INDEX_MULTI)) {
			c = (struct index_cell){ e, (uint32_t)i, ie_pair(e), e->n, e->m, true, true };
			fn(ctx, &c);
			continue;
		}
		for (uint32_t id = ie_pair(e); id; id = cell(x, id - 1)->next) {
			if (GROW(v, cap, n + 1, 64)) {
				free(v);
				free(seen);
				return -ENOMEM;
			}
			v[n++] = *cell(x, id - 1);
		}
		/*
		 * A key's first cell in each region, and in each group: in (region,
		 * pair) order a group's first cell is its lowest region's
		 */
		sort_inplace(v, n, sizeof(*v), by_region_pair, NULL);
		for (size_t k = 0; k < n; k++) {
			uint32_t g = PAIR_GROUP(v[k].pair);

			c = (struct index_cell){ e, (uint32_t)i, v[k].pair, v[k].s, v[k].ms, seen[g] != i + 1,
						 !k || PAIR_REGION(v[k].pair) != PAIR_REGION(v[k - 1].pair) };
			seen[g] = i + 1;
			fn(ctx, &c);
		}
	}
	free(seen);
	free(v);
	return 0;
}
