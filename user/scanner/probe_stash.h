/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a probe pass learned, kept for the scan pass that follows it: per job
 * (a range of one process), its page counts, and per site its frame, flags,
 * place in the range and prefix hash. The scan then reads pagemap, kpageflags
 * and the prefixes once instead of twice: it only looks the classes up and
 * reads whole what may have a twin.
 *
 * 16 bytes a site, bounded by max_sites: jobs past it are not kept and the
 * scan walks them again, as without a stash. A site's frame may change between
 * the probe and the read; the scan checks pagemap again after reading and
 * counts such a site as changed (a race).
 */
#ifndef KSMSCOPE_SCANNER_PROBE_STASH_H
#define KSMSCOPE_SCANNER_PROBE_STASH_H

#include <stddef.h>
#include <stdint.h>

#include "scanner/readpool.h"
#include "sys/procmaps.h"

/* A one-shot scan's bound: 1 GiB, the pages of 256 GiB of memory; the rest is probed twice. */
#define STASH_SCAN_MAX_SITES ((size_t)64 << 20)

struct stash_job {
	uint32_t pid;
	uint32_t n;      /* sites kept */
	uint64_t start;  /* the job's range */
	size_t npages;
	size_t at;       /* its first site in the stash */
	uint64_t scanned, nsites, thp, swapped, excl_frames, zero_mapped, present;
};

struct stash_site {
	uint64_t packed; /* pfn << 13 | flags << 10 | page in the range */
	uint64_t klass;  /* its prefix hash (0: all zero or unread) */
};

struct stash_proc {
	uint32_t pid;
	struct vma_list vl; /* its mappings as the probe read them (smaps walks every page) */
};

struct probe_stash {
	struct stash_proc *procs;
	size_t nprocs, cap_procs;
	struct stash_job *jobs;
	size_t njobs, cap_jobs, next; /* next: where the scan's lookups resume */
	struct stash_site *sites;
	size_t nsites, cap_sites, max_sites;
	bool full;                    /* a job was left out: later ones are too */
};

/* Empty, holding at most max_sites sites. */
void stash_init(struct probe_stash *st, size_t max_sites);
void stash_free(struct probe_stash *st);
/* Forget every job (and the memory), keeping the bound. */
void stash_reset(struct probe_stash *st);
/* Keep a finished probe job of pid. 0, or -ENOMEM (the stash is then left as it was). */
int stash_put(struct probe_stash *st, uint32_t pid, const struct pool_job *j);
/* Keep pid's mappings (the stash takes vl over). 0, or -ENOMEM (vl is then left to the caller). */
int stash_put_vmas(struct probe_stash *st, uint32_t pid, struct vma_list *vl);
/* pid's mappings moved into *vl (the caller frees them), when kept: 1, else 0. */
int stash_take_vmas(struct probe_stash *st, uint32_t pid, struct vma_list *vl);
/* The kept job of pid over exactly this range (looked up in probe order), or NULL. */
const struct stash_job *stash_take(struct probe_stash *st, uint32_t pid, uint64_t start, size_t npages);
/* Fill a job's counts, sites, frames and prefix hashes from a kept one. */
void stash_fill(const struct probe_stash *st, const struct stash_job *sj, struct pool_job *j);
size_t stash_bytes(const struct probe_stash *st);

#endif
