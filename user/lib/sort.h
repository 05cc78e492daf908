/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An in-place sort for big arrays. glibc's qsort is a merge sort with a
 * temporary copy of the whole array: sorting a pass's sites would double their
 * memory at the engine's peak. Introsort: quicksort (median of three), heapsort
 * below a depth of 2 log2 n, insertion sort for short runs. Not stable.
 */
#ifndef KSMSCOPE_LIB_SORT_H
#define KSMSCOPE_LIB_SORT_H

#include <stddef.h>

typedef int (*sort_cmp_fn)(const void *a, const void *b, void *ctx);

void sort_inplace(void *base, size_t n, size_t size, sort_cmp_fn cmp, void *ctx);
/* The same with the quicksort depth given: 0 sorts by heapsort alone (for tests of that path). */
void sort_inplace_depth(void *base, size_t n, size_t size, sort_cmp_fn cmp, void *ctx, int depth);

#endif
