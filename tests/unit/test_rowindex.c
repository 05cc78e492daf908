// SPDX-License-Identifier: GPL-2.0-only
/* rowindex: rows summed by key against a brute-force sum, through growth and a moving row array. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/rowindex.h"

struct row2 {
	uint64_t cls;
	uint32_t group;
	double sum;
};

struct row1 {
	uint64_t cls;
	int64_t sum;
};

/* 200,000 adds over 3,000 classes x 5 groups, the rows reallocated as they grow (as model.c does) */
static void test_two_keys(void)
{
	enum { CLASSES = 3000, GROUPS = 5, ADDS = 200000 };
	double *want = calloc(CLASSES * GROUPS, sizeof(*want));
	struct row2 *rows = NULL;
	size_t cap = 0, bad = 0;
	struct rowindex x;

	CHECK(want != NULL);
	if (!want)
		return;
	CHECK_U64(rowindex_init(&x, 0, sizeof(struct row2), offsetof(struct row2, group)), 0);
	srand(11);
	for (size_t i = 0; i < ADDS; i++) {
		/* class keys include 0 and UINT64_MAX: no value is reserved */
		uint32_t c = (uint32_t)rand() % CLASSES, g = (uint32_t)rand() % GROUPS;
		uint64_t cls = c == 0 ? UINT64_MAX : c == 1 ? 0 : (uint64_t)c * 0x9e3779b97f4a7c15ULL;
		bool added;
		int64_t k = rowindex_row(&x, rows, cls, g, &added);

		if (k < 0) {
			bad++;
			break;
		}
		if (added) {
			if ((size_t)k >= cap) {
				cap = cap ? cap * 2 : 16;
				rows = realloc(rows, cap * sizeof(*rows));
				if (!rows)
					return;
			}
			rows[k] = (struct row2){ cls, g, 0 };
		}
		if (rows[k].cls != cls || rows[k].group != g)
			bad++;
		rows[k].sum += 1;
		want[c * GROUPS + g] += 1;
	}
	CHECK_U64(bad, 0);
	/* one row per (class, group) met, each with its sum */
	{
		size_t met = 0;

		for (size_t i = 0; i < CLASSES * GROUPS; i++)
			met += want[i] > 0;
		CHECK_U64(x.n, met);
	}
	for (size_t r = 0; r < x.n; r++) {
		uint64_t cls = rows[r].cls;
		uint32_t c = cls == UINT64_MAX ? 0 : cls == 0 ? 1 : 0;

		if (!c && cls != UINT64_MAX && cls != 0)
			for (c = 2; c < CLASSES && (uint64_t)c * 0x9e3779b97f4a7c15ULL != cls; c++)
				;
		if (c >= CLASSES || want[c * GROUPS + rows[r].group] != rows[r].sum)
			bad++;
	}
	CHECK_U64(bad, 0);
	CHECK(x.n * 2 <= x.mask + 1); /* never over half */
	rowindex_free(&x);
	free(rows);
	free(want);
}

static void test_one_key(void)
{
	struct row1 rows[8];
	struct rowindex x;
	bool added;

	CHECK_U64(rowindex_init(&x, 4, sizeof(struct row1), ROWINDEX_NO_K2), 0);
	CHECK_U64(rowindex_bytes(&x), 64 * 4);
	CHECK_U64(rowindex_row(&x, rows, 42, 0, &added), 0);
	CHECK(added);
	rows[0] = (struct row1){ 42, 1 };
	CHECK_U64(rowindex_row(&x, rows, 43, 0, &added), 1);
	CHECK(added);
	rows[1] = (struct row1){ 43, 1 };
	CHECK_U64(rowindex_row(&x, rows, 42, 0, &added), 0);
	CHECK(!added);
	/* no second key: its argument is taken as 0 */
	CHECK_U64(rowindex_row(&x, rows, 43, 0, &added), 1);
	CHECK(!added);
	CHECK_U64(x.n, 2);
	rowindex_free(&x);
}

int main(void)
{
	RUN(test_two_keys);
	RUN(test_one_key);
	RESULT();
}
