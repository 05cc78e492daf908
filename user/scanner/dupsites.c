// SPDX-License-Identifier: GPL-2.0-only
#include "scanner/dupsites.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

int dupsites_add(struct dupsites *d, uint32_t pid, uint32_t group, uint64_t addr, uint64_t hash, bool thp)
{
	if (GROW(d->v, d->cap, d->n + 1, 1024))
		return -ENOMEM;
	d->v[d->n++] = (struct dupsite){ .addr = addr, .hash = hash, .pid = pid, .group = group & 0x7fffffffu,
					 .thp = thp };
	return 0;
}

void dupsites_free(struct dupsites *d)
{
	free(d->v);
	memset(d, 0, sizeof(*d));
}

static int by_content(const void *x, const void *y)
{
	const struct dupsite *a = x, *b = y;

	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

void dupsites_keep_dups(struct dupsites *d, dupsites_lookup lookup, void *ctx)
{
	size_t k = 0;

	if (d->n)
		qsort(d->v, d->n, sizeof(*d->v), by_content);
	for (size_t i = 0, j; i < d->n; i = j) {
		uint32_t m = 0;
		double w = 0;
		bool keep;

		for (j = i + 1; j < d->n && d->v[j].hash == d->v[i].hash; j++)
			;
		keep = lookup(ctx, d->v[i].hash, &m, &w) && m >= 2;
		for (size_t s = i; keep && s < j; s++) {
			d->v[k] = d->v[s];
			d->v[k].m = m;
			d->v[k++].w = (float)w;
		}
	}
	d->n = k;
}

static void add(struct dup_tally *t, double w, uint64_t sel, uint32_t m)
{
	t->sites += w * (double)sel;
	t->saveable += w * (double)(sel < m - 1 ? sel : m - 1);
}

void dupsites_tally(const struct dupsites *d, const bool *sel, uint32_t ngroups, struct dup_tally *groups,
		    struct dup_tally *total)
{
	memset(total, 0, sizeof(*total));
	memset(groups, 0, ngroups * sizeof(*groups));
	for (size_t i = 0, j; i < d->n; i = j) {
		uint64_t all = 0;

		for (j = i; j < d->n && d->v[j].hash == d->v[i].hash;) {
			uint32_t g = d->v[j].group;
			uint64_t in_group = 0;

			/* sorted by content, then group: one run per (content, group) */
			for (; j < d->n && d->v[j].hash == d->v[i].hash && d->v[j].group == g; j++)
				in_group += sel ? sel[j] : d->v[j].thp;
			all += in_group;
			if (g < ngroups && in_group)
				add(&groups[g], d->v[i].w, in_group, d->v[i].m);
		}
		if (all)
			add(total, d->v[i].w, all, d->v[i].m);
	}
}
