// SPDX-License-Identifier: GPL-2.0-only
/* The duplicate sites: which are kept, and the saving of the selected ones per group and in total. */
#include <stdlib.h>

#include "harness.h"
#include "scanner/dupsites.h"

/* contents 1..9: mergeable sites = the hash, weight 2 for hash 7; 10 and up unknown */
static bool lookup(void *ctx, uint64_t hash, uint32_t *m, double *w)
{
	(void)ctx;
	if (hash >= 10)
		return false;
	*m = (uint32_t)hash;
	*w = hash == 7 ? 2 : 1;
	return true;
}

static void test_keep_and_tally(void)
{
	struct dupsites d = { 0 };
	struct dup_tally g[2], t;
	bool *sel;

	/* content 1: alone (dropped); 3: three sites, all in huge pages, two groups */
	CHECK(dupsites_add(&d, 10, 0, 0x1000, 1, true) == 0);
	CHECK(dupsites_add(&d, 10, 0, 0x2000, 3, true) == 0);
	CHECK(dupsites_add(&d, 11, 1, 0x2000, 3, true) == 0);
	CHECK(dupsites_add(&d, 10, 0, 0x3000, 3, true) == 0);
	/* 7: two of its seven sites seen here, one in a huge page, weight 2; 12: unknown (dropped) */
	CHECK(dupsites_add(&d, 11, 1, 0x4000, 7, true) == 0);
	CHECK(dupsites_add(&d, 11, 1, 0x5000, 7, false) == 0);
	CHECK(dupsites_add(&d, 11, 1, 0x6000, 12, true) == 0);
	dupsites_keep_dups(&d, lookup, NULL);
	CHECK_U64(d.n, 5);
	for (size_t i = 1; i < d.n; i++)
		CHECK(d.v[i - 1].hash <= d.v[i].hash);

	dupsites_tally(&d, NULL, 2, g, &t);
	/* content 3: min(3, 3 - 1) = 2 in total; group 0 min(2, 2) = 2, group 1 min(1, 2) = 1 */
	/* content 7: 2 x min(1, 6) = 2 */
	CHECK(t.sites == 3 + 2 && t.saveable == 2 + 2);
	CHECK(g[0].sites == 2 && g[0].saveable == 2);
	CHECK(g[1].sites == 1 + 2 && g[1].saveable == 1 + 2);

	/* selected by the caller: every site of content 3 (the first three after the sort) */
	sel = calloc(d.n, sizeof(*sel));
	CHECK(sel != NULL);
	for (size_t i = 0; sel && i < d.n; i++)
		sel[i] = d.v[i].hash == 3;
	if (sel) {
		dupsites_tally(&d, sel, 1, g, &t); /* group 1 is past ngroups: in the total alone */
		CHECK(t.sites == 3 && t.saveable == 2);
		CHECK(g[0].sites == 2 && g[0].saveable == 2);
	}
	free(sel);
	dupsites_free(&d);
	CHECK(d.v == NULL && d.n == 0);
}

int main(void)
{
	RUN(test_keep_and_tally);
	RESULT();
}
