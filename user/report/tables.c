// SPDX-License-Identifier: GPL-2.0-only
#include "report/tables.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "scanner/regions.h"

#define SERIES_ROWS 24 /* the series table shows at most this many snapshots (JSON has all) */

static void rt_start(struct rtable *t, const char *id, const char *title, size_t ncol)
{
	memset(t, 0, sizeof(*t));
	t->id = id;
	t->title = title;
	t->ncol = ncol;
}

/* Append a row of ncol cells (printf formats; NULL leaves a cell empty). */
static void rt_row(struct rtable *t, ...)
{
	va_list ap;
	char **c;

	if (GROW(t->cell, t->cap, (t->nrow + 1) * t->ncol, 64)) {
		t->oom = true;
		return;
	}
	c = t->cell + t->nrow * t->ncol;
	va_start(ap, t);
	for (size_t i = 0; i < t->ncol; i++) {
		const char *s = va_arg(ap, const char *);

		c[i] = s ? strdup(s) : NULL;
		if (s && !c[i])
			t->oom = true;
	}
	va_end(ap);
	t->nrow++;
}

const char *rt_cell(const struct rtable *t, size_t row, size_t col)
{
	const char *s = row < t->nrow && col < t->ncol ? t->cell[row * t->ncol + col] : NULL;

	return s ? s : "";
}

/* Formatted numbers: one rotating set of buffers per row (cells are copied by rt_row). */
struct fmt {
	char b[16][48];
	int i;
};

static const char *f(struct fmt *F, const char *fmt, double v)
{
	char *b = F->b[F->i++ & 15];

	if (!isfinite(v))
		return "-";
	snprintf(b, sizeof(F->b[0]), fmt, v);
	return b;
}

static const char *pct(struct fmt *F, double part, double whole)
{
	return whole > 0 && isfinite(part) ? f(F, "%.1f%%", 100 * part / whole) : "-";
}

static const char *mib(struct fmt *F, double pages)
{
	return f(F, "%.1f", pages * MIB_PER_PAGE);
}

static double num(const struct jv *v, const char *k)
{
	return jv_num(v, k, NAN);
}

static void potential_table(struct rtable *t, const struct recording *r)
{
	const struct jv *tot = jv_get(r->last, "totals");
	double sites = num(tot, "sites"), sv = num(tot, "saveable"), sp[3];
	double n = num(jv_get(r->last, "sample"), "n");
	struct fmt F = { 0 };

	const struct jv *sample = jv_get(r->last, "sample"), *est = jv_get(sample, "estimate");
	double progress = num(jv_get(r->last, "pass"), "progress");

	rt_start(t, "potential", "Sharing potential (the last pass)", 4);
	if (est && est->type == JV_BOOL && est->b) {
		snprintf(t->notebuf, sizeof(t->notebuf), "estimated by the quick first pass (1/%.0f by prefix class); "
			 "no full pass finished (the first was %.0f%% done); JSON has each standard error", n, 100 * progress);
		t->note = t->notebuf;
	} else if (n > 1)
		t->note = "estimated from a sample of contents (--sample); JSON has each standard error";
	rt_row(t, "", "pages", "MiB", "of sites");
	/* no pass yet: no totals, or KSM's side alone (saveable null) */
	if (!tot || tot->type != JV_OBJ || isnan(sv)) {
		if (r->last) {
			snprintf(t->notebuf, sizeof(t->notebuf),
				 "no pass finished: the first was %.0f%% done when the recording ended", 100 * progress);
			t->note = t->notebuf;
		}
		return;
	}
	split_zero_self_inter(sv, num(tot, "saveable_zero"), num(tot, "saveable_self"), sp);
	rt_row(t, "anonymous pages (sites)", f(&F, "%.0f", sites), mib(&F, sites), "100%");
	rt_row(t, "distinct contents", f(&F, "%.0f", num(tot, "contents")), mib(&F, num(tot, "contents")),
	       pct(&F, num(tot, "contents"), sites));
	rt_row(t, "saveable", f(&F, "%.0f", sv), mib(&F, sv), pct(&F, sv, sites));
	rt_row(t, "  zero pages", f(&F, "%.0f", sp[0]), mib(&F, sp[0]), pct(&F, sp[0], sites));
	rt_row(t, "  self-sharing (not zero)", f(&F, "%.0f", sp[1]), mib(&F, sp[1]), pct(&F, sp[1], sites));
	rt_row(t, "  inter-group sharing (not zero)", f(&F, "%.0f", sp[2]), mib(&F, sp[2]), pct(&F, sp[2], sites));
	rt_row(t, "saveable in mergeable ranges", f(&F, "%.0f", num(tot, "saveable_mergeable")),
	       mib(&F, num(tot, "saveable_mergeable")), pct(&F, num(tot, "saveable_mergeable"), sites));
	rt_row(t, "saved by KSM (incl. zero-page merges)", f(&F, "%.0f", num(tot, "ksm_saved") + num(tot, "ksm_zero_pages")),
	       mib(&F, num(tot, "ksm_saved") + num(tot, "ksm_zero_pages")),
	       pct(&F, num(tot, "ksm_saved") + num(tot, "ksm_zero_pages"), sites));
	rt_row(t, "unshare debt (writes to every merged page)", f(&F, "%.0f", num(tot, "unshare_debt_pages")),
	       mib(&F, num(tot, "unshare_debt_pages")), pct(&F, num(tot, "unshare_debt_pages"), sites));
}

static void regions_table(struct rtable *t, const struct recording *r)
{
	const struct jv *regs = jv_get(r->last, "regions");

	/* a region's saveable_self is its dedup within the region, not per group: no self/inter split here */
	rt_start(t, "regions", "By region type", 6);
	rt_row(t, "region", "sites MiB", "saveable MiB", "of region", "zero MiB", "saveable in mergeable MiB");
	for (int k = 0; regs && k < REG__MAX; k++) {
		const struct jv *g = jv_get(regs, region_names[k]);
		struct fmt F = { 0 };
		double zero = num(g, "saveable_zero") > num(g, "saveable") ? num(g, "saveable") : num(g, "saveable_zero");

		if (!g)
			continue;
		rt_row(t, region_names[k], mib(&F, num(g, "sites")), mib(&F, num(g, "saveable")),
		       pct(&F, num(g, "saveable"), num(g, "sites")), mib(&F, zero), mib(&F, num(g, "saveable_mergeable")));
	}
}

static int by_saveable_desc(const void *a, const void *b)
{
	double x = num(*(const struct jv *const *)a, "saveable"), y = num(*(const struct jv *const *)b, "saveable");

	/* a group without the figure (a damaged file) goes last: a consistent order for qsort */
	if (isnan(x) || isnan(y))
		return isnan(x) - isnan(y);
	return (y > x) - (y < x);
}

/* The last snapshot's groups, largest saveable first. NULL when none (or out of memory: *oom). */
const struct jv **sorted_groups(const struct recording *r, size_t *n, bool *oom)
{
	const struct jv *gs = jv_get(r->last, "groups");
	const struct jv **v;

	*n = 0;
	if (!gs || gs->type != JV_ARR || !gs->n)
		return NULL;
	v = malloc(gs->n * sizeof(*v));
	if (!v) {
		*oom = true;
		return NULL;
	}
	for (size_t i = 0; i < gs->n; i++)
		v[i] = gs->items[i];
	qsort(v, gs->n, sizeof(*v), by_saveable_desc);
	*n = gs->n;
	return v;
}

static void groups_table(struct rtable *t, const struct recording *r)
{
	size_t n;
	const struct jv **g;

	rt_start(t, "groups", "By group (largest saveable first)", 12);
	g = sorted_groups(r, &n, &t->oom);
	t->note = "saveable, zero, inter and KSM saved are shares: a content with n copies credits (n-1)/n to each, so "
		  "groups add up to the total";
	rt_row(t, "group", "comm", "sites MiB", "saveable MiB", "of group", "zero MiB", "self MiB", "inter MiB",
	       "KSM MiB", "EFF", "merges", "COW breaks");
	for (size_t i = 0; i < n; i++) {
		struct fmt F = { 0 };
		double sp[3];

		split_zero_self_inter(num(g[i], "saveable"), num(g[i], "saveable_zero"), num(g[i], "saveable_self"), sp);
		rt_row(t, jv_str(g[i], "key", ""), jv_str(g[i], "comm", ""), mib(&F, num(g[i], "sites")),
		       mib(&F, num(g[i], "saveable")), pct(&F, num(g[i], "saveable"), num(g[i], "sites")), mib(&F, sp[0]),
		       mib(&F, sp[1]), mib(&F, sp[2]), mib(&F, num(g[i], "ksm_saved") + num(g[i], "ksm_zero_pages")),
		       f(&F, "%.0f%%", 100 * num(g[i], "effectiveness")), f(&F, "%.0f", num(g[i], "merges")),
		       f(&F, "%.0f", num(g[i], "unmerges")));
	}
	free(g);
}

int subpage_curve(const struct recording *r, double chunk[5], double saveable_bytes[5])
{
	const struct jv *tot = jv_get(r->last, "totals"), *sp = jv_get(tot, "subpage");
	static const char *const sizes[] = { "2048", "1024", "512", "256" };

	chunk[0] = 4096;
	saveable_bytes[0] = num(tot, "saveable") * 4096;
	for (int k = 0; k < 4; k++) {
		chunk[k + 1] = atof(sizes[k]);
		saveable_bytes[k + 1] = num(sp, sizes[k]);
		if (!isfinite(saveable_bytes[k + 1]))
			return -1;
	}
	return isfinite(saveable_bytes[0]) ? 0 : -1;
}

static void subpage_table(struct rtable *t, const struct recording *r)
{
	double chunk[5], b[5], sites = num(jv_get(r->last, "totals"), "sites");

	rt_start(t, "subpage", "Saveable by chunk size (sub-page sharing)", 3);
	rt_row(t, "chunk bytes", "saveable MiB", "of sites' bytes");
	if (subpage_curve(r, chunk, b)) {
		t->note = "not recorded: record --subpage counts it";
		return;
	}
	for (int k = 0; k < 5; k++) {
		struct fmt F = { 0 };

		rt_row(t, f(&F, "%.0f", chunk[k]), f(&F, "%.1f", b[k] / (1 << 20)), pct(&F, b[k], sites * 4096));
	}
}

static const char *lat(struct fmt *F, double q)
{
	if (isnan(q))
		return "-";
	if (isinf(q))
		return "over the last bound";
	return f(F, "<= %g s", q);
}

static void ksm_table(struct rtable *t, const struct recording *r)
{
	const struct jv *tot = jv_get(r->last, "totals"), *d = jv_get(r->last, "dynamics"), *miss = jv_get(tot, "missed");
	const struct jv *cost = jv_get(r->last, "cost");
	const struct rec_point *z = r->n ? &r->series[r->n - 1] : NULL;
	double cpu = z ? z->ksmd_cpu_seconds - ksmd_cpu_at_start(r) : NAN, span = z ? z->uptime : NAN;
	struct latency_cdf c;
	struct fmt F = { 0 };

	rt_start(t, "ksm", "KSM's record", 2);
	rt_row(t, "", "");
	if (!r->last)
		return;
	rt_row(t, "effectiveness (saved / saveable in mergeable ranges)", f(&F, "%.1f%%", 100 * num(tot, "effectiveness")));
	rt_row(t, "saved MiB (KSM frames)", mib(&F, num(tot, "ksm_saved")));
	rt_row(t, "saved MiB (zero-page merges)", mib(&F, num(tot, "ksm_zero_pages")));
	rt_row(t, "missed MiB, all reasons", mib(&F, num(miss, "total")));
	for (size_t i = 0; miss && miss->type == JV_OBJ && i < miss->n; i++) {
		char name[64];

		if (!strcmp(miss->keys[i], "total"))
			continue;
		snprintf(name, sizeof(name), "  missed MiB: %s", miss->keys[i]);
		rt_row(t, name, mib(&F, miss->items[i]->type == JV_NUM ? miss->items[i]->num : NAN));
	}
	rt_row(t, "merges during the recording", f(&F, "%.0f", num(d, "merges")));
	rt_row(t, "zero-page merges", f(&F, "%.0f", num(d, "zero_merges")));
	rt_row(t, "COW breaks of merged pages", f(&F, "%.0f", num(d, "unmerges")));
	if (!latency_cdf_of(r->last, &c) && c.count > 0) {
		rt_row(t, "merge latency, median", lat(&F, latency_quantile(&c, 0.5)));
		rt_row(t, "merge latency, 90th percentile", lat(&F, latency_quantile(&c, 0.9)));
		rt_row(t, "merge latency, 99th percentile", lat(&F, latency_quantile(&c, 0.99)));
	}
	rt_row(t, "KSM full scans (host)", f(&F, "%.0f", num(d, "full_scans")));
	rt_row(t, "last full scan, seconds", f(&F, "%.1f", num(d, "full_scan_seconds")));
	rt_row(t, "ksmd CPU seconds during the recording", f(&F, "%.2f", cpu));
	rt_row(t, "ksmd CPU, mean", span > 0 ? f(&F, "%.2f%%", 100 * cpu / span) : "-");
	rt_row(t, "saved MiB per ksmd CPU-second (host)", f(&F, "%.1f", num(d, "saved_per_ksmd_cpu_second") * MIB_PER_PAGE));
	rt_row(t, "ksmscope CPU, last interval", f(&F, "%.2f%%", num(cost, "cpu_percent")));
	rt_row(t, "ksmscope RSS MiB", f(&F, "%.1f", num(cost, "rss_kb") / 1024));
}

static void series_table(struct rtable *t, const struct recording *r)
{
	size_t every = r->n > SERIES_ROWS ? (r->n + SERIES_ROWS - 1) / SERIES_ROWS : 1;

	rt_start(t, "series", "Over time", 8);
	if (every > 1)
		t->note = "every few snapshots and the last (JSON has them all)";
	rt_row(t, "uptime s", "saveable MiB", "zero MiB", "in mergeable MiB", "KSM MiB", "EFF", "missed MiB", "COW breaks");
	for (size_t i = 0; i < r->n; i++) {
		const struct rec_point *p = &r->series[i];
		struct fmt F = { 0 };

		if (i % every && i != r->n - 1)
			continue;
		rt_row(t, f(&F, "%.1f", p->uptime), mib(&F, p->saveable), mib(&F, p->saveable_zero),
		       mib(&F, p->saveable_mergeable), mib(&F, p->ksm_saved + p->ksm_zero_pages),
		       f(&F, "%.0f%%", 100 * p->effectiveness), mib(&F, p->missed), f(&F, "%.0f", p->unmerges));
	}
}

double ksmd_cpu_at_start(const struct recording *r)
{
	const struct rec_point *a = r->n ? &r->series[0] : NULL;
	double back;

	if (!a)
		return NAN;
	/* the first snapshot's figure less its interval's share: the recording's whole span */
	back = a->ksmd_cpu_percent / 100 * a->interval;
	return isfinite(back) ? a->ksmd_cpu_seconds - back : a->ksmd_cpu_seconds;
}

int report_tables(const struct recording *r, struct rtable **out, size_t *n)
{
	void (*const make[])(struct rtable *, const struct recording *) = {
		potential_table, regions_table, groups_table, subpage_table, ksm_table, series_table,
	};
	size_t k = sizeof(make) / sizeof(make[0]);
	struct rtable *t = calloc(k, sizeof(*t));
	bool oom = !t;

	for (size_t i = 0; t && i < k; i++) {
		make[i](&t[i], r);
		oom |= t[i].oom;
	}
	if (oom) {
		report_tables_free(t, t ? k : 0);
		return -ENOMEM;
	}
	*out = t;
	*n = k;
	return 0;
}

void report_tables_free(struct rtable *t, size_t n)
{
	for (size_t i = 0; t && i < n; i++) {
		for (size_t c = 0; c < t[i].nrow * t[i].ncol; c++)
			free(t[i].cell[c]);
		free(t[i].cell);
	}
	free(t);
}
