/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The correlator: what the live engine knows about every site, joined from the
 * scanner's passes and the tracer's events, and from it KSM's actual saving and
 * every missed duplicate's reason (docs/metrics.md). Pure: no
 * I/O, no clock; the engine hands in times and KSM's full_scans.
 *
 * A pass is one walk of the targets; its sites replace the previous pass's at
 * its end, joined with them by (pid, address) to see what changed: a new
 * content (volatile), a KSM site that lost its frame (unmerged), how many full
 * KSM scans a content has been seen for (pending). Events move sites on and off
 * KSM frames, so merges and copy-on-write breaks count within an interval; while
 * a pass is built they also move the sites it has already read (the ones it has
 * not reached yet it reads as they are). A page read in the very job an event
 * hits may keep its state from before the event until the next pass.
 *
 * Memory: 32 bytes per site kept (every hashed site and every KSM site), plus 4
 * for the address order and 64 per KSM frame; while a pass is built, its sites
 * too; nothing per event. A site's group is its process's in the pass it came
 * from (a table per pass), not a field of the site. corr_compute walks the sites once, in content order, and the frames.
 */
#ifndef KSMSCOPE_ENGINE_CORRELATOR_H
#define KSMSCOPE_ENGINE_CORRELATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/kvtab.h"
#include "lib/u64map.h"
#include "scanner/scanner.h"

enum miss_reason {
	MISS_NOT_MERGEABLE, MISS_SHARED, MISS_HUGETLB, MISS_THP, MISS_PENDING, MISS_VOLATILE, MISS_UNMERGED, MISS_OTHER,
	MISS__MAX
};
extern const char *const miss_names[MISS__MAX];

/* Site flags beyond the scanner's SITE_*: */
#define CS_VOLATILE 0x100u /* its content differs from the previous pass's */
#define CS_UNMERGED 0x200u /* it was on a KSM frame (or KSM's zero page) and a write broke it */
#define CS_GONE 0x400u     /* its process exited, or its content is unknown since an event */
#define CS_NOGROUP 0x800u  /* met only in events: in no group of the pass */

#define CS_PAGE_BITS 42 /* user addresses below 2^54: sites above are not kept */

struct csite {
	uint64_t hash; /* content, when SITE_HASHED */
	uint64_t page : CS_PAGE_BITS, /* address >> 12; 0: a KSM zero-page merge placed by count */
		pid : 64 - CS_PAGE_BITS; /* PID_MAX_LIMIT is 2^22 */
	uint64_t pfn : 40,    /* the KSM frame, when SITE_KSM */
		flags : 16,   /* SITE_*, CS_* */
		region : 8;
	uint32_t seen_scans; /* KSM's full_scans when first seen with this content */
	/*
	 * engine seconds when first seen as a duplicate, < 0: not yet; while its
	 * pass is built, when the pass read it
	 */
	float dup_t;
};

/* What the tracer reported about one site. */
enum corr_ev { CEV_MERGE, CEV_ZERO_MERGE, CEV_UNMERGE, CEV_REMOVED };

struct corr_event {
	uint8_t kind;  /* enum corr_ev */
	bool zero;     /* unmerge of a KSM zero-page merge */
	uint32_t pid;
	uint64_t addr, pfn;
};

struct corr {
	struct csite *cur;  /* the last pass's sites, by (hash, pid, addr): contents in runs */
	size_t n;
	uint32_t *by_site;  /* cur's indexes by (pid, addr) */
	struct kvtab frames; /* (pfn, group) and (pfn, all) -> sites on KSM frames; pfn 0: zero-page merges */
	bool dirty;          /* changed since the last corr_compute */
	struct csite *extra; /* sites met only in events since that pass */
	size_t nx, capx;
	struct kvtab xidx; /* (pid, addr) -> index in extra */
	struct csite *next;  /* the pass being built, in read order: (pid, addr) */
	size_t nn, capn;
	struct csite *nextx; /* its zero-page merges (no address) and sites met in events behind the scan */
	size_t nnx, capnx;
	struct kvtab nxidx;  /* (pid, addr) -> index in nextx */
	bool next_sorted;
	struct kvtab groups, next_groups; /* pid -> its group (v1) in cur's pass, in the pass built */
	uint32_t ngroups;       /* of cur's pass */
	double weight;          /* content sampling: a hashed non-zero site stands for this many */
	/*
	 * class sampling (the pass probed prefix classes and sampled them by size):
	 * content hash -> its weight 1/pi (v1, the double's bits), owned by the
	 * adopted pass; NULL: every sampled content weighs `weight`
	 */
	const struct u64map *weights;
	uint64_t zero_hash;
	bool building;
};

/* Per group and in total, counted from the sites (weights applied to hashed contents). */
struct corr_metrics {
	double ksm_sites, ksm_frames, ksm_saved, ksm_zero_pages;
	double missed[MISS__MAX];
	double missed_total;
};

int corr_init(struct corr *c, uint32_t sample, uint64_t zero_hash);
void corr_free(struct corr *c);

/*
 * A pass: begin, add its sites as they are read (SITE_HASHED ones weigh
 * `sample`; full_scans and now, in engine seconds, date them), end: replace cur
 * with it. 0 or -ENOMEM.
 */
void corr_pass_begin(struct corr *c);
int corr_pass_add(struct corr *c, const struct site_rec *r, uint64_t full_scans, float now);
int corr_pass_end(struct corr *c, uint32_t ngroups);
void corr_pass_abort(struct corr *c);

/*
 * An event on a site (and on the pass being built). Returns
 * the merge latency in seconds (now - when the site was first seen as a
 * duplicate) for a merge of a known duplicate, else a negative number. 0 or
 * -ENOMEM through *err.
 */
double corr_event(struct corr *c, const struct corr_event *e, float now, int *err);
/* A process exited: its sites count no more. */
void corr_forget_pid(struct corr *c, uint32_t pid);

/*
 * Actual saving and missed reasons: groups[ngroups] (caller-zeroed), total.
 * max_page_sharing is not applied: frames split by it are counted as seen.
 * 0 or -ENOMEM.
 */
int corr_compute(struct corr *c, uint64_t full_scans, struct corr_metrics *groups, struct corr_metrics *total);

struct audit_out;
/*
 * Who shares KSM frames with whom, the groups of cur's pass being the domains
 * (scanner/audit.h: the frame side only; zero-page merges apart). Sites of no
 * group (met only in events) are left out. 0 or -ENOMEM.
 */
int corr_audit(const struct corr *c, struct audit_out *out);

#endif
