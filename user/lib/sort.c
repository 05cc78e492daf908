// SPDX-License-Identifier: GPL-2.0-only
#include "lib/sort.h"

#include <stdint.h>
#include <string.h>

struct sorter {
	size_t size;
	sort_cmp_fn cmp;
	void *ctx;
};

static inline void swap(const struct sorter *s, char *a, char *b)
{
	size_t n = s->size;

	for (; n >= 8; n -= 8, a += 8, b += 8) {
		uint64_t t;

		memcpy(&t, a, 8);
		memcpy(a, b, 8);
		memcpy(b, &t, 8);
	}
	for (; n; n--, a++, b++) {
		char t = *a;

		*a = *b;
		*b = t;
	}
}

static inline int cmp(const struct sorter *s, const char *a, const char *b)
{
	return s->cmp(a, b, s->ctx);
}

static void insertion(const struct sorter *s, char *lo, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (char *p = lo + i * s->size; p > lo && cmp(s, p, p - s->size) < 0; p -= s->size)
			swap(s, p, p - s->size);
}

static void sift_down(const struct sorter *s, char *lo, size_t root, size_t n)
{
	for (size_t child; (child = 2 * root + 1) < n; root = child) {
		if (child + 1 < n && cmp(s, lo + child * s->size, lo + (child + 1) * s->size) < 0)
			child++;
		if (cmp(s, lo + root * s->size, lo + child * s->size) >= 0)
			return;
		swap(s, lo + root * s->size, lo + child * s->size);
	}
}

static void heap(const struct sorter *s, char *lo, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(s, lo, i, n);
	for (size_t end = n; end-- > 1;) {
		swap(s, lo, lo + end * s->size);
		sift_down(s, lo, 0, end);
	}
}

static void intro(const struct sorter *s, char *lo, size_t n, int depth)
{
	const size_t z = s->size;

	while (n > 16) {
		char *mid = lo + n / 2 * z, *hi = lo + (n - 1) * z, *i = lo, *j = lo + n * z;
		size_t nl, nr;

		if (depth-- == 0) {
			heap(s, lo, n);
			return;
		}
		/* median of three at lo; hi then holds no less than the pivot: both scans stop in range */
		if (cmp(s, mid, lo) < 0)
			swap(s, mid, lo);
		if (cmp(s, hi, mid) < 0) {
			swap(s, hi, mid);
			if (cmp(s, mid, lo) < 0)
				swap(s, mid, lo);
		}
		swap(s, lo, mid);
		for (;;) {
			do
				i += z;
			while (cmp(s, i, lo) < 0);
			do
				j -= z;
			while (cmp(s, j, lo) > 0);
			if (i >= j)
				break;
			swap(s, i, j);
		}
		swap(s, lo, j);
		/* the shorter side recursively, the longer one in this loop: log n stack */
		nl = (size_t)(j - lo) / z;
		nr = n - nl - 1;
		if (nl < nr) {
			intro(s, lo, nl, depth);
			lo = j + z;
			n = nr;
		} else {
			intro(s, j + z, nr, depth);
			n = nl;
		}
	}
	insertion(s, lo, n);
}

void sort_inplace_depth(void *base, size_t n, size_t size, sort_cmp_fn cmp_fn, void *ctx, int depth)
{
	const struct sorter s = { size, cmp_fn, ctx };

	intro(&s, base, n, depth);
}

void sort_inplace(void *base, size_t n, size_t size, sort_cmp_fn cmp_fn, void *ctx)
{
	int depth = 0;

	for (size_t m = n; m > 1; m >>= 1)
		depth += 2;
	sort_inplace_depth(base, n, size, cmp_fn, ctx, depth);
}
