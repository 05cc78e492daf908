// SPDX-License-Identifier: GPL-2.0-only
/* grow_array / GROW: the one doubling growth of the arrays in user/. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"
#include "lib/util.h"

static void test_grow_doubles(void)
{
	uint32_t *v = NULL;
	size_t cap = 0, n;

	CHECK_U64(GROW(v, cap, 1, 16), 0);
	CHECK(v != NULL);
	CHECK_U64(cap, 16);
	for (n = 0; n < 1000; n++) {
		if (GROW(v, cap, n + 1, 16))
			break;
		v[n] = (uint32_t)n * 3;
	}
	CHECK_U64(n, 1000);
	CHECK_U64(cap, 1024); /* 16 doubled until it holds 1000 */
	for (n = 0; n < 1000 && v[n] == n * 3; n++)
		;
	CHECK_U64(n, 1000); /* contents kept across every move */
	CHECK_U64(GROW(v, cap, 10, 16), 0); /* room already: nothing moves */
	CHECK_U64(cap, 1024);
	CHECK_U64(GROW(v, cap, 5000, 16), 0); /* several doublings at once */
	CHECK_U64(cap, 8192);
	free(v);
}

static void test_grow_overflow(void)
{
	uint64_t *v = NULL;
	size_t cap = 0;

	CHECK_U64(GROW(v, cap, 4, 0), 0); /* min 0 starts at 1 */
	CHECK_U64(cap, 4);
	/* a size that cannot be multiplied out fails and leaves the array as it was */
	CHECK(GROW(v, cap, SIZE_MAX / 4, 16) == -ENOMEM);
	CHECK_U64(cap, 4);
	CHECK(v != NULL);
	CHECK(GROW(v, cap, SIZE_MAX, 16) == -ENOMEM);
	CHECK_U64(cap, 4);
	free(v);
}

int main(void)
{
	RUN(test_grow_doubles);
	RUN(test_grow_overflow);
	RESULT();
}
