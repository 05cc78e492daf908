// SPDX-License-Identifier: GPL-2.0-only
#include "scanner/probe_stash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

#define OFF_BITS 10 /* a page's place in its range: POOL_BATCH pages at most */
#define FLAG_BITS 3 /* POOL_SITE_THP, _KSM, _SHARED */

_Static_assert(POOL_BATCH <= 1 << OFF_BITS, "a job's pages must fit OFF_BITS");
_Static_assert((POOL_SITE_THP | POOL_SITE_KSM | POOL_SITE_SHARED) < 1 << FLAG_BITS, "flags must fit FLAG_BITS");

void stash_init(struct probe_stash *st, size_t max_sites)
{
	memset(st, 0, sizeof(*st));
	st->max_sites = max_sites;
}

void stash_free(struct probe_stash *st)
{
	for (size_t i = 0; i < st->nprocs; i++)
		vma_list_free(&st->procs[i].vl);
	free(st->procs);
	free(st->jobs);
	free(st->sites);
	stash_init(st, 0);
}

void stash_reset(struct probe_stash *st)
{
	size_t max = st->max_sites;

	stash_free(st);
	stash_init(st, max);
}

int stash_put(struct probe_stash *st, uint32_t pid, const struct pool_job *j)
{
	struct stash_job *sj;

	if (st->full || st->nsites + j->n > st->max_sites) {
		st->full = true; /* keep the stash a prefix of the probe: the lookups stay in order */
		return 0;
	}
	if (GROW(st->jobs, st->cap_jobs, st->njobs + 1, 256) || GROW(st->sites, st->cap_sites, st->nsites + j->n, 4096))
		return -ENOMEM;
	sj = &st->jobs[st->njobs++];
	*sj = (struct stash_job){ pid, (uint32_t)j->n, j->start, j->npages, st->nsites,
				  j->scanned, j->nsites, j->thp, j->swapped, j->excl_frames, j->zero_mapped, j->present };
	for (size_t k = 0; k < j->n; k++) {
		const struct pool_site *s = &j->sites[k];

		st->sites[st->nsites + k] = (struct stash_site){
			s->pfn << (OFF_BITS + FLAG_BITS) | (uint64_t)s->flags << OFF_BITS | (s->addr - j->start) / 4096,
			j->klass[k] };
	}
	st->nsites += j->n;
	return 0;
}

int stash_put_vmas(struct probe_stash *st, uint32_t pid, struct vma_list *vl)
{
	if (GROW(st->procs, st->cap_procs, st->nprocs + 1, 16))
		return -ENOMEM;
	st->procs[st->nprocs++] = (struct stash_proc){ pid, *vl };
	memset(vl, 0, sizeof(*vl));
	return 0;
}

int stash_take_vmas(struct probe_stash *st, uint32_t pid, struct vma_list *vl)
{
	for (size_t i = 0; i < st->nprocs; i++) {
		if (st->procs[i].pid == pid && st->procs[i].vl.v) {
			*vl = st->procs[i].vl;
			memset(&st->procs[i].vl, 0, sizeof(st->procs[i].vl));
			return 1;
		}
	}
	return 0;
}

const struct stash_job *stash_take(struct probe_stash *st, uint32_t pid, uint64_t start, size_t npages)
{
	/* the scan walks what the probe walked, in the same order: the next job, unless a mapping changed */
	for (size_t k = st->next; k < st->njobs && st->jobs[k].pid == pid; k++) {
		if (st->jobs[k].start == start && st->jobs[k].npages == npages) {
			st->next = k + 1;
			return &st->jobs[k];
		}
		if (st->jobs[k].start > start)
			break;
	}
	/* a process the probe saw later (or not at all): search from the start of its jobs */
	for (size_t k = 0; k < st->njobs; k++)
		if (st->jobs[k].pid == pid && st->jobs[k].start == start && st->jobs[k].npages == npages) {
			st->next = k + 1;
			return &st->jobs[k];
		}
	return NULL;
}

void stash_fill(const struct probe_stash *st, const struct stash_job *sj, struct pool_job *j)
{
	j->scanned = sj->scanned;
	j->nsites = sj->nsites;
	j->thp = sj->thp;
	j->swapped = sj->swapped;
	j->excl_frames = sj->excl_frames;
	j->zero_mapped = sj->zero_mapped;
	j->present = sj->present;
	j->n = sj->n;
	j->nframes = 0;
	for (size_t k = 0; k < sj->n; k++) {
		uint64_t v = st->sites[sj->at + k].packed;
		uint32_t flags = (uint32_t)(v >> OFF_BITS) & ((1u << FLAG_BITS) - 1);
		struct pool_site s = { sj->start + (v & ((1u << OFF_BITS) - 1)) * 4096, v >> (OFF_BITS + FLAG_BITS), flags };

		j->sites[k] = s;
		j->klass[k] = st->sites[sj->at + k].klass;
		if (flags & (POOL_SITE_SHARED | POOL_SITE_KSM))
			j->frames[j->nframes++] = (struct pool_frame){ s.addr, s.pfn, (flags & POOL_SITE_KSM) != 0 };
	}
}

size_t stash_bytes(const struct probe_stash *st)
{
	size_t b = st->cap_jobs * sizeof(*st->jobs) + st->cap_sites * sizeof(*st->sites);

	for (size_t i = 0; i < st->nprocs; i++)
		b += st->procs[i].vl.cap * sizeof(struct vma);
	return b;
}
