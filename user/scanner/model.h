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
#include "scanner/prefix_classes.h"
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
	uint64_t unique_sites;    /* sites whose prefix no other site has: a content each, not indexed */
	uint64_t shared_sites;    /* resident pages of shared mappings KSM cannot merge (not sites) */
	uint64_t hugetlb_sites;   /* resident 4 KiB pages of hugetlb mappings (not sites) */
};

/*
 * The metrics of docs/metrics.md, each once, in the order of their JSON members:
 * X(name, prom_rank, prom_family, kind, help)
 *   name         its member of struct metrics and its JSON name (its standard error: name_se)
 *   prom_rank    its place among the Prometheus gauges, from 0
 *   prom_family  its Prometheus family
 *   kind         the value of the family's `kind` label, or NULL for none
 *   help         the family's HELP text, or NULL for a further kind of a family already described
 */
#define KS_METRICS(X)                                                                                                \
	X(sites, 0, "ksmscope_sites_pages", NULL,                                                                    \
	  "Present private anonymous pages of the targets (sites), from the last pass.")                             \
	X(frames, 1, "ksmscope_frames_pages", NULL, "Distinct physical frames behind the sites.")                    \
	X(contents, 2, "ksmscope_contents_pages", NULL, "Distinct page contents among the sites.")                   \
	X(zero_sites, 3, "ksmscope_zero_sites_pages", NULL, "Sites whose content is all zero bytes.")                \
	X(zero_mapped, 4, "ksmscope_zero_mapped_pages", NULL,                                                        \
	  "Mappings of the shared zero page (already free; not KSM's).")                                             \
	X(swapped, 5, "ksmscope_swapped_pages", NULL, "Swapped-out pages of the targets.")                           \
	X(saveable, 6, "ksmscope_saveable_pages", "total",                                                           \
	  "Pages identical contents could save (sites - contents), by kind.")                                        \
	X(saveable_self, 7, "ksmscope_saveable_pages", "self", NULL)                                                 \
	X(saveable_inter, 8, "ksmscope_saveable_pages", "inter", NULL)                                               \
	X(saveable_zero, 9, "ksmscope_saveable_pages", "zero", NULL)                                                 \
	X(mergeable_sites, 10, "ksmscope_mergeable_sites_pages", NULL, "Sites in VM_MERGEABLE ranges.")              \
	X(saveable_mergeable, 11, "ksmscope_mergeable_saveable_pages", NULL,                                         \
	  "Saveable pages within VM_MERGEABLE ranges.")                                                              \
	X(ksm_sites, 14, "ksmscope_ksm_sites_pages", NULL, "Sites on KSM pages, live.")                              \
	X(ksm_frames, 15, "ksmscope_ksm_frames_pages", NULL, "KSM pages behind those sites, live.")                  \
	X(ksm_saved, 16, "ksmscope_ksm_saved_pages", NULL,                                                           \
	  "Pages KSM saves (ksm_sites - ksm_frames), live; zero-page merges not included.")                          \
	X(ksm_zero_pages, 17, "ksmscope_ksm_zero_pages", NULL,                                                       \
	  "Sites KSM merged into the zero page (use_zero_pages=1), live.")                                           \
	X(unshare_debt_pages, 19, "ksmscope_unshare_debt_pages", NULL,                                               \
	  "Pages writes to every merged page would allocate again: ksm_saved + ksm_zero_pages, live.")               \
	X(achievable, 12, "ksmscope_achievable_pages", NULL,                                                         \
	  "Mergeable saving KSM can make under max_page_sharing.")                                                   \
	X(effectiveness, 18, "ksmscope_effectiveness_ratio", NULL,                                                   \
	  "(ksm_saved + ksm_zero_pages) / mergeable saveable pages; NaN when nothing mergeable is saveable.")        \
	X(thp_sites, 13, "ksmscope_thp_sites_pages", NULL, "Sites inside transparent huge pages.")                 \
	X(shared_sites, 20, "ksmscope_shared_sites_pages", NULL,                                                     \
	  "Resident pages of the targets' shared mappings (shmem, memfd, a VM's shared RAM): KSM cannot merge them.") \
	X(hugetlb_sites, 21, "ksmscope_hugetlb_sites_pages", NULL,                                                   \
	  "Resident 4 KiB pages of the targets' hugetlb mappings: KSM cannot merge them.")

struct metrics {
#define KS_METRIC_MEMBER(name, ...) double name;
	KS_METRICS(KS_METRIC_MEMBER)
#undef KS_METRIC_MEMBER
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
	 * Under sampling, by content id (nklass of them): its sampling class
	 * (contents kept or dropped together, e.g. sharing a prefix), for the
	 * standard errors; 0: none, the content stands for itself. The zero
	 * content is always kept, so it has weight 1 and no error.
	 */
	const uint64_t *klass_of;
	size_t nklass;
	/*
	 * Class sampling (a probe pass counted the pages of every prefix class):
	 * a content's weight is 1 / pclass_pi of its class, not the fixed weight,
	 * and its class's variance term (1 - pi) / pi^2 (Horvitz-Thompson). Class
	 * 0 (all-zero prefixes) is always read. NULL: content sampling by weight.
	 */
	const struct prefix_classes *pclasses;
	double tau;
	/* every content's class and weight by id (model_classify), or NULL: looked up each time */
	const struct content_class *cc;
};

/* A content's sampling class and weight, looked up once for the model's many walks. */
struct content_class {
	uint64_t cls;
	double w, f; /* weight; variance factor of the class (0: read for sure) */
};

/* Under sampling, every content's class and weight (a malloc'ed array by id); NULL when not sampled or out of memory. */
struct content_class *model_classify(const struct model_input *in);

struct group_se;

struct model_out {
	struct metrics total;
	struct metrics *groups; /* [ngroups], caller-allocated */
	struct group_se *group_se; /* [ngroups] under sampling (scanner_model), else NULL */
	struct metrics regions[REG__MAX];
};

/* What KSM saves: ksm_saved + ksm_zero_pages (zero-page merges count as saved). */
static inline double metrics_saved(const struct metrics *m)
{
	return m->ksm_saved + m->ksm_zero_pages;
}

/* (ksm_saved + ksm_zero_pages) / saveable_mergeable; NaN when nothing mergeable is saveable. */
double metrics_effectiveness(const struct metrics *m);
/*
 * Its standard error from saveable_mergeable's (the numerator is exact): the
 * delta method, effectiveness x se(M) / M. NaN where effectiveness is.
 */
double metrics_effectiveness_se(const struct metrics *m, const struct metrics *se);

/* The metrics count 4 KiB pages: in MiB. */
static inline double pages_mib(double pages)
{
	return pages * 4096.0 / (1 << 20);
}

/*
 * What content id (entry e) of in->contents stands for: 1 / the probability it
 * was read (1 when exact); from in->cc when there.
 */
double model_weight_of(const struct model_input *in, uint32_t id, const struct index_entry *e);

/* ksm_zero_pages not known (the kernel does not count them): NaN, and effectiveness and unshare debt with it. */
void model_zero_unknown(struct model_out *out, uint32_t ngroups);

/* 0 or -ENOMEM. */
int model_compute(const struct model_input *in, struct model_out *out);
/*
 * Standard errors of the estimated totals. Class sampling (pclasses): class k
 * read with probability pi_k adds (1 - pi_k) / pi_k^2 X_k^2 to the variance,
 * X_k the class's total (Horvitz-Thompson). Content sampling (weight N): each
 * class is kept with probability 1/N, so N(N-1) sum(X_k^2). Counts read from
 * pagemap (sites, frames, KSM) and the always-kept zero content are exact:
 * their error is 0. 0 or -ENOMEM.
 */
int model_standard_errors(const struct model_input *in, struct metrics *se);

/* A group's standard errors under sampling (its other figures are exact). */
struct group_se {
	double saveable, saveable_self, saveable_inter;
};

/*
 * Per group, the same estimator as model_standard_errors over the group's
 * shares of each class: se[ngroups], caller-allocated. All 0 when nothing is
 * sampled. 0 or -ENOMEM.
 */
int model_group_standard_errors(const struct model_input *in, struct group_se *se);

#endif
