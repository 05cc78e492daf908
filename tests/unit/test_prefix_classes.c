// SPDX-License-Identifier: GPL-2.0-only
/* prefix_classes: counts per class against a brute-force model, through growth and saturation. */
#include <stdlib.h>

#include "harness.h"
#include "scanner/prefix_classes.h"

/* 200,000 adds of 60,000 random classes (each id a class): grows from 1024 slots */
static void test_against_model(void)
{
	enum { N = 200000, K = 60000 };
	struct prefix_classes c;
	uint64_t *keys = malloc(K * sizeof(*keys));
	uint32_t *want = calloc(K, sizeof(*want));
	size_t distinct = 0;
	int bad = 0;

	CHECK(pclasses_init(&c, 0) == 0);
	for (size_t i = 0; i < K; i++)
		keys[i] = t_rnd() | 1;
	for (size_t i = 0; i < N; i++) {
		/* skewed: a few big classes, many singletons */
		size_t k = i % 7 == 0 ? t_rnd() % 10 : t_rnd() % K;

		want[k]++;
		if (pclasses_add(&c, keys[k]))
			bad = 1;
	}
	for (size_t k = 0; k < K; k++) {
		distinct += want[k] > 0;
		if (pclasses_count(&c, keys[k]) != want[k] && !bad) {
			bad = 1;
			fprintf(stderr, "class %zu: %u, want %u\n", k, pclasses_count(&c, keys[k]), want[k]);
		}
	}
	CHECK(!bad);
	/* the ids are random in their high 48 bits: no two collided */
	CHECK_U64(c.count, distinct);
	CHECK(c.count * 4 <= (c.mask + 1) * 3);
	CHECK(pclasses_count(&c, t_rnd() | 1) == 0);
	CHECK_U64(pclasses_bytes(&c), (c.mask + 1) * 8);
	pclasses_clear(&c);
	CHECK_U64(c.count, 0);
	CHECK_U64(pclasses_count(&c, keys[0]), 0);
	pclasses_free(&c);
	free(keys);
	free(want);
}

/* the low bits carry the count: hashes that differ only there name one class */
static void test_low_bits_and_zero(void)
{
	struct prefix_classes c;

	CHECK(pclasses_init(&c, 16) == 0);
	CHECK(pclasses_add(&c, 0xabcd000000000001ULL) == 0);
	CHECK(pclasses_add(&c, 0xabcd00000000ffffULL) == 0);
	CHECK_U64(pclasses_count(&c, 0xabcd000000001234ULL), 2);
	/* an id of 0 (a hash below 2^16) is a class like any other, never an empty slot */
	CHECK(pclasses_add(&c, 5) == 0);
	CHECK_U64(pclasses_count(&c, 7), 1);
	CHECK_U64(c.count, 2);
	pclasses_free(&c);
}

static void test_saturation(void)
{
	struct prefix_classes c;

	CHECK(pclasses_init(&c, 16) == 0);
	for (uint32_t i = 0; i < PCLASS_COUNT_MAX + 10; i++)
		pclasses_add(&c, 0x1234567800000000ULL);
	CHECK_U64(pclasses_count(&c, 0x1234567800000000ULL), PCLASS_COUNT_MAX);
	CHECK_U64(c.count, 1);
	pclasses_free(&c);
}

int main(void)
{
	RUN(test_against_model);
	RUN(test_low_bits_and_zero);
	RUN(test_saturation);
	RESULT();
}
