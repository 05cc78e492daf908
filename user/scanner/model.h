/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The sharing model: from the scan's indexes and exact per-pair counters to
 * the metrics of docs/metrics.md, for the total, every group and
 * every region type. Pure: no I/O, unit-tested with hand-built indexes.
 */
#ifndef KSMSCOPE_SCANNER_MODEL_H
#define KSMSCOPE_SCANNER_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "scanner/content_index.h"
#include "scanner/regions.h"

#define CONTENT_ZERO 1u /* index flag: the all-zero content */
#define FRAME_KSM 1u    /* index flag: a KSM page */
#define SUBPAGE_SIZES 4
extern const unsigned subpage_sizes[SUBPAGE_SIZES]; /* 2048, 1024, 512, 256 */

/* Counted from pagemap/kpageflags/ksm_stat for every page, per (group, region) pair: exact. */
struct pair_counts {
	uint64_t sites;           /* present private anonymous pages, plus KSM zero-page merges */
	uint64_t zero_mapped;     /* mapped to the shared zero page, not by KSM */
	uint64_t swapped;
	uint64_t thp_sites;
	uint64_t mergeable_sites;
	uint64_t ksm_zero_pages;  /* sites KSM merged into the zero page */
	uint64_t excl_frames;     /* sites on a frame mapped only there (no frame index entry) */
};

struct metrics {
	double sites, frames, contents, zero_sites, zero_mapped, swapped;
	double saveable, saveable_self, saveable_inter, saveable_zero;
	double mergeable_sites, saveable_mergeable;
	double ksm_sites, ksm_frames, ksm_saved, ksm_zero_pages;
	double achievable, effectiveness; /* effectiveness: NaN when nothing is mergeable-saveable */
	double thp_sites;
	double subpage[SUBPAGE_SIZES]; /* bytes */
	/* sites seen in the content index (the sample): saveable_self's base */
	double isites;
};

struct model_input {
	const struct index *contents;              /* key: content hash; CONTENT_ZERO */
	const struct index *frames;                /* key: pfn of shared or KSM frames; FRAME_KSM */
	const struct index *chunks[SUBPAGE_SIZES]; /* key: chunk hash, by subpage_sizes */
	const struct pair_counts *pairs;           /* [ngroups << REGION_BITS] */
	uint32_t ngroups;
	uint64_t max_page_sharing;
	bool use_zero_pages;
	double weight; /* content sampling: each sampled content stands for this many */
	/*
	 * Under sampling: content key -> sampling class (contents kept or dropped
	 * together, e.g. sharing a prefix), for the standard errors. The zero
	 * content is always kept, so it has weight 1 and no error.
	 */
	const struct kvtab *classes;
};

struct model_out {
	struct metrics total;
	struct metrics *groups; /* [ngroups], caller-allocated */
	struct metrics regions[REG__MAX];
};

/* 0 or -ENOMEM. */
int model_compute(const struct model_input *in, struct model_out *out);
/*
 * Standard errors of the estimated totals under content sampling (weight N):
 * each sampling class is kept with probability 1/N, so the estimate
 * N * sum(x) over kept classes has variance estimated by N(N-1) sum(X_k^2),
 * X_k the class's total. Counts read from pagemap (sites, frames, KSM) and the
 * always-kept zero content are exact: their error is 0. 0 or -ENOMEM.
 */
int model_standard_errors(const struct model_input *in, struct metrics *se);

#endif
