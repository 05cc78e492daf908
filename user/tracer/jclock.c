// SPDX-License-Identifier: GPL-2.0-only
#include "tracer/jclock.h"

int jclock_set_hz(struct jclock *c, uint64_t ns0, uint64_t j0, uint64_t ns1, uint64_t j1)
{
	static const unsigned hz[] = { 100, 250, 300, 1000 }; /* CONFIG_HZ choices */
	double measured, best_err = 1e18;
	unsigned best = 0;

	if (ns1 <= ns0 || j1 <= j0)
		return -1;
	measured = (double)(j1 - j0) * 1e9 / (double)(ns1 - ns0);
	for (unsigned i = 0; i < sizeof(hz) / sizeof(hz[0]); i++) {
		double err = measured > hz[i] ? measured - hz[i] : hz[i] - measured;

		if (err < best_err) {
			best_err = err;
			best = hz[i];
		}
	}
	c->ns_per_jiffy = 1000000000ULL / best;
	jclock_anchor(c, ns1, j1);
	return 0;
}

void jclock_anchor(struct jclock *c, uint64_t ns, uint64_t j)
{
	c->ref_ns = ns;
	c->ref_j = j;
}

uint64_t jclock_ns(const struct jclock *c, uint64_t j)
{
	if (j >= c->ref_j)
		return c->ref_ns + (j - c->ref_j) * c->ns_per_jiffy;
	return c->ref_ns - (c->ref_j - j) * c->ns_per_jiffy;
}
