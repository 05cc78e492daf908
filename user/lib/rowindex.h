/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A hash index over rows its owner keeps in an array of its own, for summing
 * many small rows by key: a slot holds a row number (4 bytes, at most half the
 * slots used), and the key is read from the row itself, a uint64_t at its start
 * and optionally a uint32_t at k2_off. A kvtab would spend a 32-byte slot on
 * each row, as much as the row (a sampled pass has a row per sampled class).
 */
#ifndef KSMSCOPE_LIB_ROWINDEX_H
#define KSMSCOPE_LIB_ROWINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROWINDEX_NO_K2 SIZE_MAX

struct rowindex {
	uint32_t *slots; /* row + 1; 0: empty */
	size_t mask, n;  /* n: rows indexed, numbered 0 .. n - 1 */
	size_t stride;   /* bytes from a row to the next */
	size_t k2_off;   /* the uint32_t key's offset in a row, or ROWINDEX_NO_K2 (taken as 0) */
};

/* For about hint rows (more still fit) of stride bytes. 0 or -ENOMEM. */
int rowindex_init(struct rowindex *x, size_t hint, size_t stride, size_t k2_off);
void rowindex_free(struct rowindex *x);
/*
 * The number of the row with key (k1, k2) in rows, the owner's array (it may
 * have moved since the last call). When there is none: n, the next row, with
 * *added set; the caller writes its key there before the next call. -1 when out
 * of memory.
 */
int64_t rowindex_row(struct rowindex *x, const void *rows, uint64_t k1, uint32_t k2, bool *added);
size_t rowindex_bytes(const struct rowindex *x);

#endif
