/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The duplicate sites of a scan, kept for `doctor`'s second look: every
 * hashed site in a mergeable range that KSM has not merged, reduced after the
 * scan to those whose content has a mergeable twin, each with its content's
 * mergeable copies (m) and its weight under sampling (w, 1 for exact scans).
 * From them: the saving that sits inside transparent huge pages (KSM has to
 * split a huge page to merge any page in it) and the saving of duplicates
 * that changed between the scan and a later read (volatile: KSM merges only
 * a page unchanged between two of its visits). Pure: no I/O.
 */
#ifndef KSMSCOPE_SCANNER_DUPSITES_H
#define KSMSCOPE_SCANNER_DUPSITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dupsite {
	uint64_t addr, hash;
	uint32_t pid;
	uint32_t group : 31, thp : 1;
	uint32_t m; /* the content's sites in mergeable ranges, all groups */
	float w;    /* 1 / the probability its content was read */
};

struct dupsites {
	struct dupsite *v;
	size_t n, cap;
};

/* One more candidate site (hash != 0). 0 or -ENOMEM. */
int dupsites_add(struct dupsites *d, uint32_t pid, uint32_t group, uint64_t addr, uint64_t hash, bool thp);
void dupsites_free(struct dupsites *d);

/*
 * The content of a hash: its mergeable sites and its weight; false when the
 * content is unknown (then its sites are dropped).
 */
typedef bool (*dupsites_lookup)(void *ctx, uint64_t hash, uint32_t *m, double *w);
/* Keep the sites whose content has two or more mergeable sites, sorted by content. */
void dupsites_keep_dups(struct dupsites *d, dupsites_lookup lookup, void *ctx);

/*
 * Sites selected, and the saving they stand for: per content, its selected
 * sites t and min(t, m - 1), the copy KSM keeps being an unselected one where
 * there is one; both weighted by w. A group's saving counts the content's
 * selected sites in that group alone.
 */
struct dup_tally {
	double sites, saveable;
};

/*
 * Tally the selected sites (sel[i] for site i; NULL: the ones in huge pages)
 * into groups[ngroups] (zeroed here; a site of a group >= ngroups counts in
 * total only) and total. Sites must be as dupsites_keep_dups left them.
 */
void dupsites_tally(const struct dupsites *d, const bool *sel, uint32_t ngroups, struct dup_tally *groups,
		    struct dup_tally *total);

#endif
