/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Why KSM does not merge: findings from KSM's settings and counters and one
 * scan of the targets, most costly first (`ksmscope doctor`). Pure: no I/O.
 * Each finding names a code, a severity, the groups it concerns, the pages at
 * stake, the figures it rests on, and the fix. docs/metrics.md (section
 * "doctor") lists the codes.
 */
#ifndef KSMSCOPE_SCANNER_FINDINGS_H
#define KSMSCOPE_SCANNER_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/dupsites.h"
#include "scanner/model.h"

enum severity { SEV_INFO, SEV_WARNING, SEV_CRITICAL };
extern const char *const severity_names[3];

#define FINDING_EVIDENCE 6
#define FINDING_ALL UINT32_MAX /* the finding is about the host or all targets, no group */

struct finding {
	const char *code;
	enum severity severity;
	uint32_t group;   /* index into the input's groups, or FINDING_ALL */
	double pages;     /* at stake */
	struct {
		const char *name;
		double value;
	} evidence[FINDING_EVIDENCE];
	int nevidence;
	char fix[320];
};

/* KSM as the host has it; fields the kernel lacks are -1. */
struct doctor_ksm {
	bool available;
	int64_t run, pages_to_scan, sleep_millisecs, max_page_sharing, use_zero_pages;
	int64_t pages_sharing, ksm_zero_pages, mem_available_pages, pages_volatile;
};

/* What doctor saw after the scan, for a few seconds (seconds 0: it did not look). */
struct doctor_watch {
	double seconds;
	/* the scan's duplicates read again this long after it: which changed (NULL: not read again) */
	double recheck_seconds;
	const struct dup_tally *volatile_groups; /* [ngroups] */
	/* writes that broke merged pages (unmerges), per group, from the tracer (NULL: not traced) */
	const double *unmerges;                  /* [ngroups] */
	int64_t cow_ksm; /* the rise of /proc/vmstat cow_ksm over the window; -1: no such counter */
};

struct doctor_input {
	struct doctor_ksm ksm;
	const struct metrics *total;  /* the scan's; NULL when there was none */
	const struct metrics *groups; /* [ngroups] */
	uint32_t ngroups;
	double scan_bound;            /* seconds a full KSM scan of the mergeable memory should take at most */
	const struct dup_tally *thp;  /* [ngroups]: duplicates inside huge pages; NULL: not counted */
	struct doctor_watch watch;
};

/*
 * A cow_storm: at least COW_STORM_MIN unmerges in the window, at a rate that
 * would write back the whole saving within COW_STORM_SECONDS.
 */
#define COW_STORM_MIN 16
#define COW_STORM_SECONDS 600.0

/* How long KSM takes to visit each of these mergeable sites once at its settings; -1 when unknown. */
double doctor_full_scan_seconds(const struct doctor_ksm *k, const struct metrics *t);

/* The findings, most pages first (critical before others at equal pages). 0 or -ENOMEM. */
int doctor_findings(const struct doctor_input *in, struct finding **out, size_t *n);

#endif
