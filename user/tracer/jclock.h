/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Jiffies to CLOCK_MONOTONIC nanoseconds. The fault hot path stamps records
 * with jiffies (cheaper than ktime); two (ktime, jiffies) pairs taken in the
 * kernel give HZ, the latest pair the offset. Pure arithmetic.
 */
#ifndef KSMSCOPE_TRACER_JCLOCK_H
#define KSMSCOPE_TRACER_JCLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct jclock {
	uint64_t ref_ns, ref_j; /* the latest calibration pair */
	uint64_t ns_per_jiffy;  /* 0 until HZ is known */
};

/* HZ from two pairs at least ~50 ms apart: the nearest of the kernel's choices. 0 or -1. */
int jclock_set_hz(struct jclock *c, uint64_t ns0, uint64_t j0, uint64_t ns1, uint64_t j1);
/* A newer pair: keeps drift within a tick. */
void jclock_anchor(struct jclock *c, uint64_t ns, uint64_t j);
/* ns for jiffies value j (to a tick's resolution). */
uint64_t jclock_ns(const struct jclock *c, uint64_t j);

#endif
