// SPDX-License-Identifier: GPL-2.0-only
#include "scanner/findings.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

const char *const severity_names[3] = { "info", "warning", "critical" };

struct acc {
	struct finding *f;
	size_t n, cap;
	bool oom;
};

static struct finding *add(struct acc *a, const char *code, enum severity sev, uint32_t group, double pages)
{
	struct finding *f;

	if (a->oom || GROW(a->f, a->cap, a->n + 1, 16)) {
		a->oom = true;
		return NULL;
	}
	f = &a->f[a->n++];
	memset(f, 0, sizeof(*f));
	f->code = code;
	f->severity = sev;
	f->group = group;
	f->pages = pages;
	return f;
}

static void evidence(struct finding *f, const char *name, double value)
{
	if (f && f->nevidence < FINDING_EVIDENCE) {
		f->evidence[f->nevidence].name = name;
		f->evidence[f->nevidence++].value = value;
	}
}

double doctor_full_scan_seconds(const struct doctor_ksm *k, const struct metrics *t)
{
	if (k->pages_to_scan <= 0 || k->sleep_millisecs <= 0 || !t || t->mergeable_sites <= 0)
		return -1;
	return t->mergeable_sites / ((double)k->pages_to_scan * 1000.0 / (double)k->sleep_millisecs);
}

/* KSM's switch, its unshare debt and how long its full scan takes. */
static void host_findings(const struct doctor_input *in, struct acc *a)
{
	const struct doctor_ksm *k = &in->ksm;
	const struct metrics *t = in->total;
	double achievable = t ? t->achievable : 0, debt = (double)(k->pages_sharing > 0 ? k->pages_sharing : 0) +
							     (double)(k->ksm_zero_pages > 0 ? k->ksm_zero_pages : 0);
	struct finding *f;

	if (k->run == 0 || k->run == 2) {
		f = add(a, k->run == 0 ? "ksm_off" : "ksm_unmerging", k->run == 0 ? SEV_WARNING : SEV_CRITICAL,
			FINDING_ALL, achievable);
		evidence(f, "run", (double)k->run);
		evidence(f, "achievable_pages", achievable);
		if (f)
			snprintf(f->fix, sizeof(f->fix), "%s: echo 1 > /sys/kernel/mm/ksm/run",
				 k->run == 0 ? "KSM is stopped" : "run=2 unmerges every page and merges none");
	}
	if (k->mem_available_pages >= 0 && debt > (double)k->mem_available_pages) {
		f = add(a, "unshare_debt", SEV_CRITICAL, FINDING_ALL, debt);
		evidence(f, "unshare_debt_pages", debt);
		evidence(f, "mem_available_pages", (double)k->mem_available_pages);
		if (f)
			snprintf(f->fix, sizeof(f->fix),
				 "writes to the merged pages would need more memory than is available: add memory or "
				 "swap before anything unmerges (a workload writing, run=2, a migration)");
	}
	if (t && k->run == 1 && doctor_full_scan_seconds(k, t) > 0) {
		double secs = doctor_full_scan_seconds(k, t), lacking = achievable - metrics_saved(t);

		if (secs > in->scan_bound) {
			f = add(a, "slow_scan", SEV_WARNING, FINDING_ALL, lacking > 0 ? lacking : 0);
			evidence(f, "full_scan_seconds", secs);
			evidence(f, "mergeable_sites", t->mergeable_sites);
			evidence(f, "pages_to_scan", (double)k->pages_to_scan);
			evidence(f, "sleep_millisecs", (double)k->sleep_millisecs);
			if (f)
				snprintf(f->fix, sizeof(f->fix),
					 "a full scan of the mergeable memory takes %.0f s at pages_to_scan=%lld, "
					 "sleep_millisecs=%lld: echo %.0f > /sys/kernel/mm/ksm/pages_to_scan for %.0f s",
					 secs, (long long)k->pages_to_scan, (long long)k->sleep_millisecs,
					 ceil(t->mergeable_sites * (double)k->sleep_millisecs / 1000.0 / in->scan_bound),
					 in->scan_bound);
		}
	}
}

/* What the scan found KSM's settings leave on the table. */
static void setting_findings(const struct doctor_input *in, struct acc *a)
{
	const struct doctor_ksm *k = &in->ksm;
	const struct metrics *t = in->total;
	struct finding *f;

	if (!t)
		return;
	if (t->saveable_mergeable - t->achievable >= 1) {
		f = add(a, "max_page_sharing", SEV_INFO, FINDING_ALL, t->saveable_mergeable - t->achievable);
		evidence(f, "max_page_sharing", (double)k->max_page_sharing);
		evidence(f, "saveable_mergeable_pages", t->saveable_mergeable);
		evidence(f, "achievable_pages", t->achievable);
		if (f)
			snprintf(f->fix, sizeof(f->fix),
				 "contents have more copies than one KSM page may map (max_page_sharing=%lld): "
				 "raise it (it can change only while no page is merged: run=2, set it, run=1)",
				 (long long)k->max_page_sharing);
	}
	if (k->use_zero_pages == 0 && t->saveable_zero >= 1) {
		f = add(a, "zero_pages", SEV_INFO, FINDING_ALL, t->saveable_zero);
		evidence(f, "saveable_zero_pages", t->saveable_zero);
		evidence(f, "zero_sites", t->zero_sites);
		if (f)
			snprintf(f->fix, sizeof(f->fix),
				 "zero pages are merged into one KSM page through the stable tree: "
				 "echo 1 > /sys/kernel/mm/ksm/use_zero_pages maps them to the zero page instead");
	}
}

/* Per group: duplicates KSM may not merge (not mergeable), cannot merge (shared, hugetlb). */
static void group_findings(const struct doctor_input *in, struct acc *a)
{
	for (uint32_t g = 0; g < in->ngroups; g++) {
		const struct metrics *m = &in->groups[g];
		double unmergeable = m->saveable - m->saveable_mergeable;
		struct finding *f;

		if (unmergeable >= 0.5) {
			f = add(a, "not_mergeable", unmergeable >= 256 ? SEV_WARNING : SEV_INFO, g, unmergeable);
			evidence(f, "saveable_pages", m->saveable);
			evidence(f, "saveable_mergeable_pages", m->saveable_mergeable);
			evidence(f, "mergeable_sites", m->mergeable_sites);
			evidence(f, "sites", m->sites);
			if (f)
				snprintf(f->fix, sizeof(f->fix),
					 "duplicates outside VM_MERGEABLE ranges: prctl(PR_SET_MEMORY_MERGE, 1) for the "
					 "process (Linux 6.4+), madvise(MADV_MERGEABLE) for ranges, QEMU -machine "
					 "mem-merge=on, systemd MemoryKSM=yes");
		}
		if (m->shared_sites >= 1) {
			f = add(a, "shared_memory", SEV_WARNING, g, m->shared_sites);
			evidence(f, "shared_sites", m->shared_sites);
			if (f)
				snprintf(f->fix, sizeof(f->fix),
					 "KSM never merges shared memory (shmem, memfd; a VM's RAM with share=on): back "
					 "guest RAM with private memory where vhost-user or virtiofs do not need it shared");
		}
		if (m->hugetlb_sites >= 1) {
			f = add(a, "hugetlb", SEV_WARNING, g, m->hugetlb_sites);
			evidence(f, "hugetlb_sites", m->hugetlb_sites);
			if (f)
				snprintf(f->fix, sizeof(f->fix),
					 "KSM never merges hugetlb pages: use transparent huge pages (KSM splits "
					 "them to merge) for memory that should be merged");
		}
	}
}

/* Duplicates KSM must split a huge page to merge, and duplicates that would not hold still. */
static void page_findings(const struct doctor_input *in, struct acc *a)
{
	const struct doctor_watch *wt = &in->watch;
	double scan = doctor_full_scan_seconds(&in->ksm, in->total);

	for (uint32_t g = 0; g < in->ngroups; g++) {
		const struct dup_tally *v = wt->volatile_groups ? &wt->volatile_groups[g] : NULL;
		const struct dup_tally *h = in->thp ? &in->thp[g] : NULL;
		struct finding *f;

		if (h && h->saveable >= 0.5) {
			f = add(a, "thp", SEV_INFO, g, h->saveable);
			evidence(f, "saveable_in_thp_pages", h->saveable);
			evidence(f, "thp_duplicate_sites", h->sites);
			evidence(f, "thp_sites", in->groups[g].thp_sites);
			if (f)
				snprintf(f->fix, sizeof(f->fix),
					 "duplicates inside transparent huge pages: KSM splits a huge page to merge any "
					 "page of it, trading its TLB reach for the saving (and khugepaged may collapse it "
					 "again). Prefer the saving: madvise(MADV_NOHUGEPAGE) or prctl(PR_SET_THP_DISABLE) "
					 "for this memory, or transparent_hugepage/enabled=madvise");
		}
		if (v && v->saveable >= 0.5) {
			f = add(a, "volatile", v->saveable >= 256 ? SEV_WARNING : SEV_INFO, g, v->saveable);
			evidence(f, "saveable_changed_pages", v->saveable);
			evidence(f, "changed_duplicate_sites", v->sites);
			evidence(f, "recheck_seconds", wt->recheck_seconds);
			if (scan > 0)
				evidence(f, "full_scan_seconds", scan);
			if (in->ksm.pages_volatile >= 0)
				evidence(f, "pages_volatile", (double)in->ksm.pages_volatile);
			if (f)
				snprintf(f->fix, sizeof(f->fix),
					 "these duplicates changed within %.1f s of being read; KSM merges a page only if "
					 "it is unchanged between two of its visits (pages_volatile counts those it met), "
					 "so it cannot merge them. Nothing in KSM fixes that: MADV_UNMERGEABLE on such "
					 "memory spares ksmd scanning it", wt->recheck_seconds);
		}
	}
}

/* Writes undoing KSM's work faster than it is worth: per group when traced, else the host's cow_ksm. */
static bool storm(double unmerges, double seconds, double saved)
{
	return unmerges >= COW_STORM_MIN && unmerges / seconds * COW_STORM_SECONDS >= (saved > 1 ? saved : 1);
}

static void storm_finding(struct acc *a, uint32_t g, double unmerges, double seconds, double saved)
{
	struct finding *f = add(a, "cow_storm", SEV_WARNING, g, unmerges);

	evidence(f, "unmerges", unmerges);
	evidence(f, "watch_seconds", seconds);
	evidence(f, "unmerges_per_second", unmerges / seconds);
	evidence(f, "saved_pages", saved);
	if (f)
		snprintf(f->fix, sizeof(f->fix),
			 "writes break merged pages at %.1f a second (each a fault, a page allocated and copied) "
			 "and KSM merges them again: its work is undone. Keep KSM off memory written this often "
			 "(MADV_UNMERGEABLE there, no PR_SET_MEMORY_MERGE for the process); a longer "
			 "sleep_millisecs slows the churn",
			 unmerges / seconds);
}

static void storm_findings(const struct doctor_input *in, struct acc *a)
{
	const struct doctor_watch *wt = &in->watch;
	const struct doctor_ksm *k = &in->ksm;

	if (!(wt->seconds > 0))
		return;
	if (wt->unmerges) {
		for (uint32_t g = 0; g < in->ngroups; g++)
			if (storm(wt->unmerges[g], wt->seconds, metrics_saved(&in->groups[g])))
				storm_finding(a, g, wt->unmerges[g], wt->seconds, metrics_saved(&in->groups[g]));
	} else if (wt->cow_ksm >= 0) {
		double saved = (double)(k->pages_sharing > 0 ? k->pages_sharing : 0) +
			       (double)(k->ksm_zero_pages > 0 ? k->ksm_zero_pages : 0);

		if (storm((double)wt->cow_ksm, wt->seconds, saved))
			storm_finding(a, FINDING_ALL, (double)wt->cow_ksm, wt->seconds, saved);
	}
}

static int by_cost(const void *x, const void *y)
{
	const struct finding *a = x, *b = y;

	if (a->pages != b->pages)
		return a->pages > b->pages ? -1 : 1;
	return (int)b->severity - (int)a->severity;
}

int doctor_findings(const struct doctor_input *in, struct finding **out, size_t *n)
{
	struct acc a = { 0 };
	struct finding *f;

	if (!in->ksm.available) {
		f = add(&a, "ksm_unavailable", SEV_CRITICAL, FINDING_ALL, 0);
		if (f)
			snprintf(f->fix, sizeof(f->fix),
				 "this kernel has no KSM (/sys/kernel/mm/ksm): boot one built with CONFIG_KSM=y");
	} else {
		host_findings(in, &a);
		setting_findings(in, &a);
		group_findings(in, &a);
		page_findings(in, &a);
		storm_findings(in, &a);
	}
	if (a.oom) {
		free(a.f);
		return -ENOMEM;
	}
	if (a.n)
		qsort(a.f, a.n, sizeof(*a.f), by_cost);
	*out = a.f;
	*n = a.n;
	return 0;
}
