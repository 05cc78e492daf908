// SPDX-License-Identifier: GPL-2.0-only
#include "report/html.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report/tables.h"
#include "report/svgplot.h"

#define MAX_BARS 12 /* groups shown in the stacked bars; the rest are one "others" bar */

/* Series colours: one set per plot, none shared, so each plot can be found in a screenshot. */
#define C_SAVEABLE "#1f77b4"
#define C_MERGEABLE "#17becf"
#define C_ACTUAL "#2ca02c"
#define C_ZERO "#7f7f7f"
#define C_SELF "#ff7f0e"
#define C_INTER "#9467bd"
#define C_SUBPAGE "#d62728"
#define C_LATENCY "#8c564b"
#define C_COW "#e377c2"
#define C_KSMD "#bcbd22"

static const char style[] =
	"body{font-family:sans-serif;margin:24px;color:#222;max-width:1200px}"
	"h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}"
	"table{border-collapse:collapse;margin:8px 0}td,th{padding:2px 10px;border-bottom:1px solid #ddd;"
	"text-align:right}td:first-child,th:first-child{text-align:left}"
	".note{color:#666;font-size:.9em}.meta td{text-align:left}"
	".plots{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0}figcaption{font-weight:bold;margin:4px 0}"
	".nodata{width:560px;height:320px;border:1px dashed #aaa}.nodata p{padding:16px;color:#666}"
	".tick{font-size:11px;fill:#444}.axis{font-size:12px;fill:#222}.legend{font-size:12px;fill:#222}";

static double max_of(const double *v, size_t n)
{
	double m = 0;

	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]) && v[i] > m)
			m = v[i];
	return m;
}

static void plot_potential(struct sbuf *o, const struct recording *r, double *x, double *a, double *b, double *c)
{
	static const char *const names[] = { "saveable", "saveable in mergeable ranges", "saved by KSM" };
	static const char *const colors[] = { C_SAVEABLE, C_MERGEABLE, C_ACTUAL };
	const char *title = "Potential vs actual saving over time";
	struct svgplot p;
	double top;

	for (size_t i = 0; i < r->n; i++) {
		x[i] = r->series[i].uptime;
		a[i] = r->series[i].saveable * MIB_PER_PAGE;
		b[i] = r->series[i].saveable_mergeable * MIB_PER_PAGE;
		c[i] = (r->series[i].ksm_saved + r->series[i].ksm_zero_pages) * MIB_PER_PAGE;
	}
	top = fmax(max_of(a, r->n), fmax(max_of(b, r->n), max_of(c, r->n)));
	if (!r->n || !(top > 0)) {
		bool any = false; /* a snapshot with a potential: before the first pass there is none */

		for (size_t i = 0; i < r->n && !any; i++)
			any = isfinite(r->series[i].saveable);
		svg_nodata(o, "potential-over-time", title,
			   !r->n ? "no snapshot recorded" : any ? "nothing saveable was seen" : "no pass finished during the recording");
		return;
	}
	svg_begin(&p, o, "potential-over-time", title, "seconds since the start", "MiB", x[0], x[r->n - 1], 0, top * 1.3,
		  false, NULL, 0);
	svg_line(&p, x, a, r->n, C_SAVEABLE, 7, false);
	svg_line(&p, x, b, r->n, C_MERGEABLE, 3, false);
	svg_line(&p, x, c, r->n, C_ACTUAL, 3, false);
	if (r->n == 1) { /* one snapshot: no line to draw, so a marker each */
		svg_points(&p, x, a, 1, C_SAVEABLE);
		svg_points(&p, x, b, 1, C_MERGEABLE);
		svg_points(&p, x, c, 1, C_ACTUAL);
	}
	svg_legend(&p, names, colors, 3);
	svg_end(&p);
}

static void plot_groups(struct sbuf *o, const struct recording *r, bool *oom)
{
	static const char *const names[] = { "zero", "self (not zero)", "inter (not zero)" };
	static const char *const colors[] = { C_ZERO, C_SELF, C_INTER };
	const char *title = "Saveable by group: zero, self and inter sharing";
	size_t n, bars;
	const struct jv **g = sorted_groups(r, &n, oom);
	double v[MAX_BARS + 1][3] = { { 0 } }, top = 0;
	const char *labels[MAX_BARS + 1];
	char lb[MAX_BARS + 1][32];
	struct svgplot p;

	if (!n) {
		svg_nodata(o, "sharing-by-group", title, "no group in the last snapshot");
		return;
	}
	bars = n > MAX_BARS + 1 ? MAX_BARS + 1 : n;
	for (size_t i = 0; i < n; i++) {
		size_t k = i < bars ? i : bars - 1;
		double sp[3];

		split_zero_self_inter(jv_num(g[i], "saveable", NAN), jv_num(g[i], "saveable_zero", NAN),
				      jv_num(g[i], "saveable_self", NAN), sp);
		for (int j = 0; j < 3; j++)
			v[k][j] += isfinite(sp[j]) ? sp[j] * MIB_PER_PAGE : 0;
	}
	for (size_t k = 0; k < bars; k++) {
		if (k == MAX_BARS && n > MAX_BARS + 1)
			snprintf(lb[k], sizeof(lb[k]), "%zu others", n - MAX_BARS);
		else
			snprintf(lb[k], sizeof(lb[k]), "%.12s", jv_str(g[k], "key", "?"));
		labels[k] = lb[k];
		top = fmax(top, v[k][0] + v[k][1] + v[k][2]);
	}
	if (!(top > 0)) {
		svg_nodata(o, "sharing-by-group", title, "nothing saveable in any group");
		free(g);
		return;
	}
	svg_begin(&p, o, "sharing-by-group", title, "group", "MiB", 0, 0, 0, top * 1.35, false, labels, bars);
	for (size_t k = 0; k < bars; k++) {
		svg_bar(&p, k, 0, v[k][0], C_ZERO);
		svg_bar(&p, k, v[k][0], v[k][0] + v[k][1], C_SELF);
		svg_bar(&p, k, v[k][0] + v[k][1], v[k][0] + v[k][1] + v[k][2], C_INTER);
	}
	svg_legend(&p, names, colors, 3);
	svg_end(&p);
	free(g);
}

static void plot_subpage(struct sbuf *o, const struct recording *r)
{
	static const char *const labels[] = { "4096", "2048", "1024", "512", "256" };
	static const double x[] = { 0, 1, 2, 3, 4 };
	const char *title = "Saveable vs chunk size";
	double chunk[5], b[5];
	struct svgplot p;

	if (subpage_curve(r, chunk, b)) {
		svg_nodata(o, "subpage-curve", title, "sub-page sharing was not recorded (record --subpage counts it)");
		return;
	}
	for (int k = 0; k < 5; k++)
		b[k] /= 1 << 20;
	svg_begin(&p, o, "subpage-curve", title, "chunk bytes", "saveable MiB", 0, 0, 0, max_of(b, 5) * 1.15 + 1e-9,
		  false, labels, 5);
	svg_line(&p, x, b, 5, C_SUBPAGE, 3, false);
	svg_points(&p, x, b, 5, C_SUBPAGE);
	svg_end(&p);
}

static void plot_latency(struct sbuf *o, const struct recording *r)
{
	const char *title = "Merge latency (duplicate seen to merged), CDF";
	struct latency_cdf c;
	double x[33], y[33];
	size_t n = 0;
	struct svgplot p;

	if (latency_cdf_of(r->last, &c) || !(c.count > 0)) {
		svg_nodata(o, "merge-latency-cdf", title, "no merge of a page seen as a duplicate first");
		return;
	}
	/* from (first bound, 0) through each finite bound */
	x[n] = c.bound[0] / 2;
	y[n++] = 0;
	for (size_t i = 0; i < c.n && isfinite(c.bound[i]); i++) {
		x[n] = c.bound[i];
		y[n++] = c.cum[i] / c.cum[c.n - 1];
	}
	svg_begin(&p, o, "merge-latency-cdf", title, "seconds (log)", "fraction of merges", x[0], x[n - 1], 0, 1, true,
		  NULL, 0);
	svg_line(&p, x, y, n, C_LATENCY, 3, true);
	svg_end(&p);
}

static void plot_cow(struct sbuf *o, const struct recording *r, double *x, double *y)
{
	const char *title = "COW breaks of merged pages over time";
	struct svgplot p;

	for (size_t i = 0; i < r->n; i++) {
		x[i] = r->series[i].uptime;
		y[i] = r->series[i].unmerges;
	}
	if (r->n < 1) {
		svg_nodata(o, "cow-breaks-over-time", title, "no snapshot recorded");
		return;
	}
	svg_begin(&p, o, "cow-breaks-over-time", title, "seconds since the start", "COW breaks (cumulative)", x[0],
		  x[r->n - 1], 0, max_of(y, r->n) * 1.15, false, NULL, 0);
	svg_line(&p, x, y, r->n, C_COW, 3, false);
	if (r->n == 1)
		svg_points(&p, x, y, 1, C_COW);
	svg_end(&p);
}

static void plot_ksmd(struct sbuf *o, const struct recording *r, double *x, double *y)
{
	const char *title = "ksmd CPU vs saving";
	size_t n = 0;
	struct svgplot p;

	double at_start = ksmd_cpu_at_start(r);

	for (size_t i = 0; i < r->n; i++) {
		x[n] = r->series[i].ksmd_cpu_seconds - at_start;
		y[n] = (r->series[i].ksm_saved + r->series[i].ksm_zero_pages) * MIB_PER_PAGE;
		if (isfinite(x[n]) && isfinite(y[n]))
			n++;
	}
	if (!n) {
		svg_nodata(o, "ksmd-cpu-vs-saving", title, "no ksmd CPU figures recorded");
		return;
	}
	svg_begin(&p, o, "ksmd-cpu-vs-saving", title, "ksmd CPU seconds since the start", "saved by KSM, MiB", 0,
		  max_of(x, n) * 1.05, 0, max_of(y, n) * 1.15, false, NULL, 0);
	svg_line(&p, x, y, n, C_KSMD, 3, false);
	svg_points(&p, x, y, n, C_KSMD);
	svg_end(&p);
}

static void table_html(struct sbuf *o, const struct rtable *t)
{
	sbuf_printf(o, "<h2 id=\"table-%s\">", t->id);
	html_text(o, t->title);
	sbuf_printf(o, "</h2>\n");
	if (t->note) {
		sbuf_printf(o, "<p class=\"note\">");
		html_text(o, t->note);
		sbuf_printf(o, "</p>\n");
	}
	if (t->nrow < 2) {
		sbuf_printf(o, "<p class=\"note\">no data</p>\n");
		return;
	}
	sbuf_printf(o, "<table>\n");
	for (size_t r = 0; r < t->nrow; r++) {
		sbuf_printf(o, "<tr>");
		for (size_t c = 0; c < t->ncol; c++) {
			sbuf_printf(o, r ? "<td>" : "<th>");
			html_text(o, rt_cell(t, r, c));
			sbuf_printf(o, r ? "</td>" : "</th>");
		}
		sbuf_printf(o, "</tr>\n");
	}
	sbuf_printf(o, "</table>\n");
}

static void meta_row(struct sbuf *o, const char *k, const char *v)
{
	sbuf_printf(o, "<tr><td>");
	html_text(o, k);
	sbuf_printf(o, "</td><td>");
	html_text(o, v);
	sbuf_printf(o, "</td></tr>\n");
}

static void meta_html(struct sbuf *o, const struct recording *r, const char *name)
{
	const struct jv *h = r->header, *par = jv_get(h, "parameters");
	double started = jv_num(h, "started", NAN);
	char b[320];

	sbuf_printf(o, "<table class=\"meta\">\n");
	meta_row(o, "recording", name);
	meta_row(o, "host", jv_str(h, "host", "-"));
	meta_row(o, "kernel", jv_str(h, "kernel", "-"));
	if (started >= 0 && started < 1e11) { /* a date, not a damaged number */
		time_t t = (time_t)started;
		struct tm tm;

		if (gmtime_r(&t, &tm) && strftime(b, sizeof(b), "%Y-%m-%d %H:%M:%S UTC", &tm))
			meta_row(o, "started", b);
	}
	snprintf(b, sizeof(b), "%.1f s, %zu snapshots", r->n ? r->series[r->n - 1].uptime : 0.0, r->n);
	meta_row(o, "length", b);
	snprintf(b, sizeof(b), "group by %s, sample 1/%.0f, interval %g s, scan rate %g MiB/s", jv_str(par, "group_by", "-"),
		 jv_num(par, "sample", NAN), jv_num(par, "interval", NAN), jv_num(par, "scan_rate_mib", NAN));
	meta_row(o, "parameters", b);
	if (r->bad)
		snprintf(b, sizeof(b), "cut short at offset %llu (%s): what precedes is shown",
			 (unsigned long long)r->err.offset, r->err.what);
	else
		snprintf(b, sizeof(b), "%s", r->blocks[REC_END] == 1 ? "complete" : "no end block (still being written?)");
	meta_row(o, "file", b);
	sbuf_printf(o, "</table>\n");
}

int report_html(struct sbuf *o, const struct recording *r, const char *name)
{
	struct rtable *t = NULL;
	size_t nt = 0, n = r->n ? r->n : 1;
	double *x = malloc(n * sizeof(double)), *a = malloc(n * sizeof(double));
	double *b = malloc(n * sizeof(double)), *c = malloc(n * sizeof(double));
	bool oom = !x || !a || !b || !c || report_tables(r, &t, &nt);

	if (!oom) {
		sbuf_printf(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
			       "<title>ksmscope report: ");
		html_text(o, name);
		sbuf_printf(o, "</title>\n<style>%s</style></head>\n<body>\n<h1>ksmscope report</h1>\n", style);
		meta_html(o, r, name);
		table_html(o, &t[0]);
		sbuf_printf(o, "<h2>Plots</h2>\n<div class=\"plots\">\n");
		plot_potential(o, r, x, a, b, c);
		plot_groups(o, r, &oom);
		plot_subpage(o, r);
		plot_latency(o, r);
		plot_cow(o, r, x, a);
		plot_ksmd(o, r, x, a);
		sbuf_printf(o, "</div>\n");
		for (size_t i = 1; i < nt; i++)
			table_html(o, &t[i]);
		sbuf_printf(o, "<p class=\"note\">Pages are 4 KiB; MiB = 2<sup>20</sup> bytes. Metric definitions: "
			       "ksmscope(8) and README.md.</p>\n</body></html>\n");
	}
	report_tables_free(t, nt);
	free(x);
	free(a);
	free(b);
	free(c);
	return oom || o->oom ? -ENOMEM : 0;
}
