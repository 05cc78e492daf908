/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Who shares KSM frames with whom (`ksmscope audit`): the scan's groups are
 * the security domains (cgroups, users, VMs or processes). From the frame
 * index, the KSM frames mapped by two or more domains and the domain x domain
 * pairs that share them; from the content index, what KSM could save if it
 * merged only inside each domain, against what it can save now. Pure: no I/O.
 * docs/metrics.md, section "audit".
 */
#ifndef KSMSCOPE_SCANNER_AUDIT_H
#define KSMSCOPE_SCANNER_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "scanner/model.h"

struct audit_domain {
	uint64_t ksm_sites;      /* its sites on KSM frames */
	uint64_t cross_sites;    /* of those, on frames another domain maps too */
	uint64_t ksm_zero_pages; /* its zero-page merges (apart: every domain maps the zero page) */
	uint32_t peers;          /* domains it shares a KSM frame with */
	double saveable_within;           /* what merging inside the domain alone could save */
	double saveable_mergeable_within; /* the same in mergeable ranges: what a partitioned KSM could reach */
};

/* Two domains that map the same KSM frames (a < b). */
struct audit_pair {
	uint32_t a, b;
	uint64_t frames;         /* KSM frames both map */
	uint64_t pages_a, pages_b; /* each one's sites on those frames */
};

struct audit_out {
	uint64_t frames;       /* KSM frames mapped by the targets */
	uint64_t cross_frames; /* of those, mapped by two or more domains */
	uint64_t cross_pages;  /* the sites on them */
	uint64_t ksm_saved;    /* sum over KSM frames of sites - 1 */
	uint64_t ksm_saved_cross; /* the part cross-domain frames give */
	/* what a partitioned KSM would give back now: each frame becomes one per domain mapping it */
	uint64_t ksm_saved_lost;
	uint64_t ksm_zero_pages;
	bool zero_unknown; /* use_zero_pages=1 on a kernel that counts none per process: the zero figures are null */
	double saveable, saveable_within;                       /* every site */
	double saveable_mergeable, saveable_mergeable_within;   /* sites in mergeable ranges */
	struct audit_domain *domains; /* [in->ngroups] */
	struct audit_pair *pairs;     /* most pages first */
	size_t npairs;
};

/* 0 or -ENOMEM (out is freed then). */
int audit_compute(const struct model_input *in, struct audit_out *out);

/* One KSM frame's sites in one domain. */
struct audit_share {
	uint64_t frame;
	uint32_t group, sites;
};

/*
 * The frame side alone, from shares sorted by frame (the live engine's frame
 * table): frames, cross_*, ksm_saved*, the domains' ksm and cross sites and
 * peers, and the pairs. 0 or -ENOMEM (out is freed then).
 */
int audit_frames(const struct audit_share *v, size_t n, uint32_t ngroups, struct audit_out *out);
void audit_free(struct audit_out *out);

#endif
