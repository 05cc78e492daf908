/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * report A B: compare two recordings' content fingerprints (record
 * --keep-hashes under one --key), in the spirit of Memory Buddies: how many of
 * A's contents B also holds, and what co-locating A's groups with B would save.
 */
#ifndef KSMSCOPE_REPORT_COMPARE_H
#define KSMSCOPE_REPORT_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report/recording.h"

#define CMP_MAX_PAIRS 65536 /* group pairs beyond which the closest group of B is not worked out */

struct cmp_group {
	const char *key, *comm;
	double pages, distinct;               /* of this group of A */
	double common_distinct, common_pages; /* of those, contents B holds */
	double placement_saving;              /* contents B holds that no other group of A holds: moving
					       * this group alone beside B saves a frame for each */
	int64_t closest;                      /* the group of B sharing most contents, or -1 */
	double closest_common;                /* distinct contents shared with it */
};

struct cmp_side {
	double pages, distinct;
	uint32_t ngroups;
};

struct cmp_result {
	uint32_t sample; /* counts are scaled by it */
	struct cmp_side a, b;
	double common_distinct, a_common_pages, b_common_pages;
	struct cmp_group *groups; /* one per group of A */
	uint32_t ngroups;
	bool closest_done; /* false: too many group pairs */
};

/*
 * Compare (pure). 0; -1 with why[] filled when the two cannot be compared;
 * -ENOMEM.
 */
int compare_fingerprints(const struct fingerprint *a, const struct fingerprint *b, struct cmp_result *out,
			 char *why, size_t whylen);
void cmp_result_free(struct cmp_result *r);
/* The group key of B's group g (or "?"). */
const char *fp_group_key(const struct fingerprint *f, int64_t g);

/* report A B: the comparison as text or JSON on stdout. 0, or one line printed and -1. */
int compare_report(const struct recording *a, const struct recording *b, const char *pa, const char *pb, bool json);

#endif
