// SPDX-License-Identifier: GPL-2.0-only
#include "tracer/ksmpoll.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"
#include "sys/pagemap.h"
#include "tracer/ksmsites.h"

struct gone {
	uint32_t pid;
	uint64_t addr;
};

static int by_pid(const void *x, const void *y)
{
	const struct gone *a = x, *b = y;

	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

/* A site the tracker had on a KSM page and the round did not find on one: broken by a write, or unmapped. */
static void left(const struct gone *g, size_t n, const struct ksmpoll_out *out)
{
	uint32_t pid = 0;
	int fd = -1;

	for (size_t i = 0; i < n; i++) {
		struct ks_event e = { .flags = KS_F_POLLED, .ts_ns = now_mono_ns(), .pid = g[i].pid, .addr = g[i].addr };
		uint64_t pm = 0;

		if (i == 0 || g[i].pid != pid) {
			if (fd >= 0)
				close(fd);
			pid = g[i].pid;
			fd = pagemap_open((pid_t)pid);
		}
		/* a page of its own where the KSM page was: a write copied it (or KSM unmerged it) */
		if (fd >= 0 && pagemap_read(fd, g[i].addr, 1, &pm) == 1 && (pm & PM_PRESENT)) {
			e.type = KS_REC_COW_FAULT;
			e.fault_code = KS_PF_PROT | KS_PF_WRITE;
		} else {
			e.type = KS_REC_RMAP_REMOVED;
		}
		out->record(out->ctx, &e);
	}
	if (fd >= 0)
		close(fd);
}

/* The tracker's sites of the scanned processes that the round did not find: into *g. */
static int missing(const struct tracker *t, const struct tracker *now, const struct kvtab *scanned, struct gone **g,
		   size_t *n)
{
	size_t cap = 0;

	for (size_t i = 0; t->sites.slots && i <= t->sites.mask; i++) {
		const struct kv_slot *s = &t->sites.slots[i];

		if (s->k1 == UINT64_MAX || (s->v2 & TRACKER_SITE_ZERO) || !kvtab_get(scanned, s->k1, 0) ||
		    kvtab_get(&now->sites, s->k1, s->k2))
			continue;
		if (GROW(*g, cap, *n + 1, 64))
			return -ENOMEM;
		(*g)[(*n)++] = (struct gone){ (uint32_t)s->k1, s->k2 };
	}
	if (*n)
		qsort(*g, *n, sizeof(**g), by_pid);
	return 0;
}

int ksmpoll_round(const struct tracker *t, int kpf_fd, const uint32_t *pids, size_t n, bool merges, bool breaks,
		  const struct ksmpoll_out *out)
{
	struct tracker now;
	struct kvtab scanned;
	struct gone *g = NULL;
	size_t ng = 0;
	int err = 0;

	if (tracker_init(&now))
		return -ENOMEM;
	if (kvtab_init(&scanned, 64)) {
		tracker_free(&now);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n && !err; i++) {
		struct ksmsites_stats st;
		int e = ksmsites_scan(&now, kpf_fd, pids[i], &st);

		if (e == -ENOMEM)
			err = e;
		else if (!e && kvtab_put(&scanned, pids[i], 0, 1, 0))
			err = -ENOMEM;
	}
	/* the breaks first: the tracker still holds the sites they were on */
	if (!err && breaks && !(err = missing(t, &now, &scanned, &g, &ng)))
		left(g, ng, out);
	for (size_t i = 0; !err && merges && now.sites.slots && i <= now.sites.mask; i++) {
		const struct kv_slot *s = &now.sites.slots[i], *was;
		struct ks_event e = { .type = KS_REC_MERGE, .flags = KS_F_POLLED, .ts_ns = now_mono_ns() };

		if (s->k1 == UINT64_MAX || (s->v2 & TRACKER_SITE_ZERO))
			continue;
		was = kvtab_get(&t->sites, s->k1, s->k2);
		if (was && was->v1 == s->v1)
			continue;
		e.pid = (uint32_t)s->k1;
		e.addr = s->k2;
		e.pfn = s->v1;
		out->record(out->ctx, &e);
	}
	free(g);
	kvtab_free(&scanned);
	tracker_free(&now);
	return err;
}
