// SPDX-License-Identifier: GPL-2.0-only
/* u64map: puts and gets against a brute-force model, through growth, with the keys a content hash may take. */
#include <stdlib.h>

#include "harness.h"
#include "lib/u64map.h"

struct kv {
	uint64_t k, v;
};

static void test_basic(void)
{
	struct u64map m;
	const uint64_t *v;

	CHECK_U64(u64map_init(&m, 10), 0);
	CHECK_U64(u64map_bytes(&m), 64 * 16);
	CHECK(u64map_get(&m, 1) == NULL);
	CHECK_U64(u64map_put(&m, 1, 10), 0);
	v = u64map_get(&m, 1);
	CHECK(v && *v == 10);
	/* overwrite */
	CHECK_U64(u64map_put(&m, 1, 11), 0);
	CHECK_U64(u64map_entries(&m), 1);
	CHECK_U64(u64map_put(&m, 1, 12), 0);
	CHECK_U64(*u64map_get(&m, 1), 12);
	/* 0 and UINT64_MAX (the empty marker) are keys like any other */
	CHECK(u64map_get(&m, 0) == NULL && u64map_get(&m, UINT64_MAX) == NULL);
	CHECK_U64(u64map_put(&m, 0, 7), 0);
	CHECK_U64(u64map_put(&m, UINT64_MAX, 8), 0);
	CHECK(u64map_get(&m, 0) && *u64map_get(&m, 0) == 7);
	CHECK(u64map_get(&m, UINT64_MAX) && *u64map_get(&m, UINT64_MAX) == 8);
	CHECK_U64(u64map_entries(&m), 3);
	u64map_free(&m);
	CHECK(u64map_get(&m, 1) == NULL); /* freed: empty, not a crash */
}

static void test_hint(void)
{
	struct u64map m;

	/* sized so that hint entries fit at 3/4 without growing */
	CHECK_U64(u64map_init(&m, 1000), 0);
	CHECK_U64(u64map_bytes(&m), 2048 * 16); /* 1,000 at most 3/4 of the slots: 1,334 and up */
	for (uint64_t k = 0; k < 1000; k++)
		u64map_put(&m, k * 0x9e3779b97f4a7c15ULL, k);
	CHECK_U64(u64map_bytes(&m), 2048 * 16); /* no growth */
	CHECK_U64(u64map_entries(&m), 1000);
	u64map_free(&m);
}

/* 100,000 random puts over 30,000 keys (clustered and uniform) from a 64-slot start */
static void test_model(void)
{
	enum { KEYS = 30000, PUTS = 100000 };
	struct kv *ref = calloc(KEYS, sizeof(*ref));
	struct u64map m;
	size_t bad = 0;

	CHECK(ref != NULL);
	if (!ref)
		return;
	srand(7);
	for (size_t i = 0; i < KEYS; i++)
		ref[i].k = i % 3 ? ((uint64_t)rand() << 33 ^ (uint64_t)rand() << 11 ^ (uint64_t)rand()) : i; /* some small */
	ref[KEYS - 1].k = UINT64_MAX;
	CHECK_U64(u64map_init(&m, 0), 0);
	for (size_t i = 0; i < PUTS; i++) {
		size_t j = (size_t)rand() % KEYS;

		ref[j].v = (uint64_t)rand() + 1;
		if (u64map_put(&m, ref[j].k, ref[j].v))
			bad++;
	}
	for (size_t i = 0; i < KEYS; i++) {
		const uint64_t *v = u64map_get(&m, ref[i].k);

		if (ref[i].v ? !v || *v != ref[i].v : v != NULL)
			bad++;
	}
	CHECK_U64(bad, 0);
	{
		size_t want = 0;

		for (size_t i = 0; i < KEYS; i++)
			want += ref[i].v != 0;
		CHECK_U64(u64map_entries(&m), want);
		CHECK(m.count * 4 <= (m.mask + 1) * 3); /* never over 3/4 */
	}
	u64map_free(&m);
	free(ref);
}

int main(void)
{
	RUN(test_basic);
	RUN(test_hint);
	RUN(test_model);
	RESULT();
}
