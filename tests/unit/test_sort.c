// SPDX-License-Identifier: GPL-2.0-only
/* sort_inplace against qsort on the shapes that break quicksorts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/sort.h"

struct item {
	uint64_t key;
	uint32_t tag;   /* the original position: equal keys may come in any order */
	char pad[13];   /* an odd size: the byte-wise tail of the swap */
};

static int by_key(const void *a, const void *b, void *ctx)
{
	const struct item *x = a, *y = b;

	(void)ctx;
	return x->key < y->key ? -1 : x->key > y->key;
}

static int by_key_q(const void *a, const void *b)
{
	return by_key(a, b, NULL);
}

enum { MAXN = 20000 };

/* the shapes that break quicksorts */
static void fill(struct item *v, size_t n, int shape)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t k;

		switch (shape) {
		case 0: k = t_rnd(); break;            /* random */
		case 1: k = i; break;                  /* sorted */
		case 2: k = n - i; break;              /* reversed */
		case 3: k = 7; break;                  /* all equal */
		case 4: k = t_rnd() % 3; break;        /* few keys */
		case 5: k = i % 2 ? i : n - i; break;  /* organ pipe-ish */
		default: k = i < n / 2 ? i : t_rnd(); /* half sorted */
		}
		memset(&v[i], 0, sizeof(v[i]));
		v[i].key = k;
		v[i].tag = (uint32_t)i;
	}
}

/* Sorted by key, and the same multiset of (key, tag) as before; depth < 0: sort_inplace's own. */
static int check(struct item *v, size_t n, int shape, int depth)
{
	static struct item ref[MAXN], got[MAXN];
	static unsigned char seen[MAXN];

	memcpy(ref, v, n * sizeof(*v));
	qsort(ref, n, sizeof(*ref), by_key_q);
	if (depth < 0)
		sort_inplace(v, n, sizeof(*v), by_key, NULL);
	else
		sort_inplace_depth(v, n, sizeof(*v), by_key, NULL, depth);
	memcpy(got, v, n * sizeof(*v));
	memset(seen, 0, n);
	for (size_t i = 0; i < n; i++) {
		if (got[i].key != ref[i].key || got[i].tag >= n || seen[got[i].tag]++) {
			fprintf(stderr, "  shape %d, n %zu: wrong at %zu\n", shape, n, i);
			return 0;
		}
	}
	return 1;
}

/* every shape at every size, by introsort, by heapsort alone (depth 0) and after one partition (depth 1) */
static void test_shapes(void)
{
	static struct item v[MAXN];
	const size_t sizes[] = { 0, 1, 2, 3, 16, 17, 100, 1000, MAXN };
	int ok = 1;

	for (int depth = -1; depth <= 1; depth++) {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			for (int shape = 0; shape < 7; shape++) {
				fill(v, sizes[s], shape);
				ok &= check(v, sizes[s], shape, depth);
			}
		}
	}
	CHECK(ok);
}

/* A context reaches the comparison: a permutation sorted by what it points at. */
static int by_target(const void *a, const void *b, void *ctx)
{
	const uint64_t *keys = ctx;
	uint64_t x = keys[*(const uint32_t *)a], y = keys[*(const uint32_t *)b];

	return x < y ? -1 : x > y;
}

static void test_context(void)
{
	static uint64_t keys[5000];
	static uint32_t perm[5000];
	int ok = 1;

	for (uint32_t i = 0; i < 5000; i++) {
		keys[i] = t_rnd() % 1000;
		perm[i] = i;
	}
	sort_inplace(perm, 5000, sizeof(*perm), by_target, keys);
	for (size_t i = 1; i < 5000; i++)
		ok &= keys[perm[i - 1]] <= keys[perm[i]];
	CHECK(ok);
}

int main(void)
{
	RUN(test_shapes);
	RUN(test_context);
	RESULT();
}
