// SPDX-License-Identifier: GPL-2.0-only
#include "lib/rowindex.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

static inline uint64_t hash_of(uint64_t k1, uint32_t k2)
{
	uint64_t h = (k1 ^ (uint64_t)k2 * 0x9e3779b97f4a7c15ULL) + 0x632be59bd9b4e019ULL;

	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 29;
	return h;
}

static inline void key_of(const struct rowindex *x, const void *rows, uint32_t row, uint64_t *k1, uint32_t *k2)
{
	const unsigned char *r = (const unsigned char *)rows + (size_t)row * x->stride;

	memcpy(k1, r, sizeof(*k1));
	*k2 = 0;
	if (x->k2_off != ROWINDEX_NO_K2)
		memcpy(k2, r + x->k2_off, sizeof(*k2));
}

static int alloc_slots(struct rowindex *x, size_t cap)
{
	uint32_t *s = calloc(cap, sizeof(*s));

	if (!s)
		return -ENOMEM;
	free(x->slots);
	x->slots = s;
	x->mask = cap - 1;
	return 0;
}

int rowindex_init(struct rowindex *x, size_t hint, size_t stride, size_t k2_off)
{
	memset(x, 0, sizeof(*x));
	x->stride = stride;
	x->k2_off = k2_off;
	return alloc_slots(x, table_slots(hint, 64, 1, 2));
}

void rowindex_free(struct rowindex *x)
{
	free(x->slots);
	memset(x, 0, sizeof(*x));
}

/* Twice the slots, the rows put back from their own keys. */
static int grow(struct rowindex *x, const void *rows)
{
	if (alloc_slots(x, (x->mask + 1) * 2))
		return -ENOMEM;
	for (uint32_t r = 0; r < x->n; r++) {
		uint64_t k1;
		uint32_t k2;
		size_t i;

		key_of(x, rows, r, &k1, &k2);
		for (i = hash_of(k1, k2) & x->mask; x->slots[i]; i = (i + 1) & x->mask)
			;
		x->slots[i] = r + 1;
	}
	return 0;
}

int64_t rowindex_row(struct rowindex *x, const void *rows, uint64_t k1, uint32_t k2, bool *added)
{
	size_t i;

	*added = false;
	for (i = hash_of(k1, k2) & x->mask; x->slots[i]; i = (i + 1) & x->mask) {
		uint64_t a;
		uint32_t b;

		key_of(x, rows, x->slots[i] - 1, &a, &b);
		if (a == k1 && b == k2)
			return x->slots[i] - 1;
	}
	if (x->n >= UINT32_MAX - 1)
		return -1;
	if ((x->n + 1) * 2 > x->mask + 1) {
		if (grow(x, rows))
			return -1;
		for (i = hash_of(k1, k2) & x->mask; x->slots[i]; i = (i + 1) & x->mask)
			;
	}
	x->slots[i] = (uint32_t)x->n + 1;
	*added = true;
	return (int64_t)x->n++;
}

size_t rowindex_bytes(const struct rowindex *x)
{
	return x->slots ? (x->mask + 1) * sizeof(*x->slots) : 0;
}
