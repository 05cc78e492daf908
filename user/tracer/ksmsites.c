// SPDX-License-Identifier: GPL-2.0-only
#include "tracer/ksmsites.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scanner/ksmflag.h"
#include "sys/pagemap.h"
#include "sys/proc.h"
#include "sys/procmaps.h"
#include "lib/util.h"

struct addr_vec {
	uint64_t *v;
	size_t n, cap;
};

static int vec_push(struct addr_vec *a, uint64_t x)
{
	if (GROW(a->v, a->cap, a->n + 1, 256))
		return -ENOMEM;
	a->v[a->n++] = x;
	return 0;
}

static int scan_range(struct tracker *t, int pm_fd, int kpf_fd, uint32_t pid, uint64_t start, uint64_t end,
		      struct ksmsites_stats *st, struct addr_vec *zero)
{
	uint64_t pm[PAGEMAP_BATCH], pfns[PAGEMAP_BATCH], addrs[PAGEMAP_BATCH], flags[PAGEMAP_BATCH];

	for (uint64_t a = start; a < end;) {
		size_t want = (end - a) / 4096, n = 0;
		ssize_t got;
		int err;

		if (want > PAGEMAP_BATCH)
			want = PAGEMAP_BATCH;
		got = pagemap_read(pm_fd, a, want, pm);
		if (got < 0)
			return (int)got;
		if (got == 0)
			break; /* range went away under us */
		for (ssize_t i = 0; i < got; i++) {
			if (!(pm[i] & PM_PRESENT))
				continue;
			st->present++;
			if (!(pm[i] & PM_PFN_MASK))
				return -EACCES; /* PFNs hidden: not CAP_SYS_ADMIN */
			pfns[n] = pm[i] & PM_PFN_MASK;
			addrs[n++] = a + (uint64_t)i * 4096;
		}
		err = ksmflag_kpageflags(kpf_fd, pfns, n, flags);
		if (err)
			return err;
		for (size_t i = 0; i < n; i++) {
			if (kpf_has(flags[i], KPF_KSM)) {
				if (tracker_add_site(t, pid, addrs[i], pfns[i], false))
					return -ENOMEM;
				st->ksm++;
			} else if (kpf_has(flags[i], KPF_ZERO_PAGE) && vec_push(zero, addrs[i])) {
				return -ENOMEM;
			}
		}
		a += (uint64_t)got * 4096;
	}
	return 0;
}

struct range_ctx {
	struct tracker *t;
	int pm_fd, kpf_fd;
	uint32_t pid;
	struct ksmsites_stats *st;
	struct addr_vec *zero;
};

static int range_cb(void *ctx, uint64_t start, uint64_t end)
{
	struct range_ctx *c = ctx;

	return scan_range(c->t, c->pm_fd, c->kpf_fd, c->pid, start, end, c->st, c->zero);
}

int ksmsites_scan(struct tracker *t, int kpf_fd, uint32_t pid, struct ksmsites_stats *st)
{
	struct vma_list vl;
	struct addr_vec zero = { 0 };
	struct proc_ksm_stat ks;
	int pm_fd, err;

	memset(st, 0, sizeof(*st));
	err = smaps_read((pid_t)pid, &vl);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	pm_fd = pagemap_open((pid_t)pid);
	if (pm_fd < 0) {
		vma_list_free(&vl);
		return pm_fd == -ENOENT ? -ESRCH : pm_fd;
	}
	for (size_t i = 0; i < vl.n && !err; i++) {
		if (!vl.v[i].mergeable)
			continue;
		st->mergeable_pages += (vl.v[i].end - vl.v[i].start) / 4096;
		struct range_ctx rc = { t, pm_fd, kpf_fd, pid, st, &zero };

		/* only the populated parts: sparse reservations cost nothing */
		err = pagemap_for_each_populated(pm_fd, vl.v[i].start, vl.v[i].end, range_cb, &rc);
	}
	close(pm_fd);
	vma_list_free(&vl);

	/*
	 * pagemap cannot tell KSM's zero-page merges from read faults of never
	 * written pages. Mark them only when ksm_stat accounts for all of them.
	 */
	if (!err && zero.n && !proc_ksm_stat(pid, &ks) && ks.zero_pages) {
		if (ks.zero_pages == zero.n) {
			for (size_t i = 0; i < zero.n && !err; i++)
				err = tracker_add_site(t, pid, zero.v[i], 0, true) ? -ENOMEM : 0;
			st->zero = zero.n;
		} else {
			st->zero_ambiguous = zero.n;
		}
	}
	free(zero.v);
	return err;
}
