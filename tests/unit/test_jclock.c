// SPDX-License-Identifier: GPL-2.0-only
/* Jiffies to nanoseconds: HZ detection and conversion. */
#include "harness.h"
#include "tracer/jclock.h"

static void test_hz(void)
{
	struct jclock c = { 0 };

	/* 100 ms at HZ=250: 25 jiffies, give or take one */
	CHECK(jclock_set_hz(&c, 1000000000ULL, 5000, 1100000000ULL, 5026) == 0);
	CHECK_U64(c.ns_per_jiffy, 4000000);
	CHECK(jclock_set_hz(&c, 0, 0, 100000000ULL, 101) == 0);
	CHECK_U64(c.ns_per_jiffy, 1000000);
	CHECK(jclock_set_hz(&c, 0, 0, 100000000ULL, 10) == 0);
	CHECK_U64(c.ns_per_jiffy, 10000000);
	CHECK(jclock_set_hz(&c, 0, 0, 100000000ULL, 30) == 0);
	CHECK_U64(c.ns_per_jiffy, 3333333);
	/* clocks that did not move are refused */
	CHECK(jclock_set_hz(&c, 5, 7, 5, 9) == -1);
	CHECK(jclock_set_hz(&c, 5, 7, 9, 7) == -1);
}

static void test_convert(void)
{
	struct jclock c = { 0 };

	jclock_set_hz(&c, 0, 1000, 100000000ULL, 1025); /* HZ=250, anchored at (100 ms, 1025) */
	CHECK_U64(jclock_ns(&c, 1025), 100000000ULL);
	CHECK_U64(jclock_ns(&c, 1030), 120000000ULL);
	CHECK_U64(jclock_ns(&c, 1020), 80000000ULL);
	jclock_anchor(&c, 500000000ULL, 1125);
	CHECK_U64(jclock_ns(&c, 1126), 504000000ULL);
}

int main(void)
{
	RUN(test_hz);
	RUN(test_convert);
	RESULT();
}
