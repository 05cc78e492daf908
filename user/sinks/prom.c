// SPDX-License-Identifier: GPL-2.0-only
#include "sinks/prom.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "scanner/audit.h"

/* A sample's value: integers as integers, NaN and infinities as Prometheus spells them. */
static void value(struct sbuf *o, double v)
{
	if (isnan(v))
		sbuf_put(o, "NaN", 3);
	else if (isinf(v))
		sbuf_printf(o, "%s", v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 1e15)
		sbuf_printf(o, "%.0f", v);
	else
		sbuf_printf(o, "%.6g", v);
}

/* A label value: backslash, double quote and newline escaped. */
static void label_value(struct sbuf *o, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			sbuf_put(o, "\\\\", 2);
		else if (*s == '"')
			sbuf_put(o, "\\\"", 2);
		else if (*s == '\n')
			sbuf_put(o, "\\n", 2);
		else
			sbuf_put(o, s, 1);
	}
}

static void family(struct sbuf *o, const char *name, const char *type, const char *help)
{
	sbuf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Who a sample is about: the whole scope, or one group. */
struct who {
	const struct group_live *g; /* NULL: group="all" */
	bool by_process;
};

/* name{group=...,pid=...,comm=...[,extra="v"]} value */
static void sample(struct sbuf *o, const char *name, const struct who *w, const char *ek, const char *ev, double v)
{
	sbuf_printf(o, "%s{group=\"", name);
	label_value(o, w->g ? w->g->key : "all");
	sbuf_put(o, "\"", 1);
	if (w->g && w->by_process) {
		sbuf_printf(o, ",pid=\"%u\",comm=\"", w->g->npids ? w->g->pids[0] : 0);
		label_value(o, w->g->comm);
		sbuf_put(o, "\"", 1);
	}
	if (w->g && w->g->vm && *w->g->vm) {
		sbuf_put(o, ",vm=\"", 5);
		label_value(o, w->g->vm);
		sbuf_put(o, "\"", 1);
	}
	if (ek) {
		sbuf_printf(o, ",%s=\"", ek);
		label_value(o, ev);
		sbuf_put(o, "\"", 1);
	}
	sbuf_put(o, "} ", 2);
	value(o, v);
	sbuf_put(o, "\n", 1);
}

/* One gauge of struct metrics, per group and in total: its family, help and kind from KS_METRICS. */
struct gauge {
	const char *name, *kind, *help; /* help NULL: a further kind of the family above */
	size_t off;
};

/* in the order of their ranks */
#define GAUGE(field, rank, family, k, h) [rank] = { family, k, h, offsetof(struct metrics, field) },
static const struct gauge gauges[] = { KS_METRICS(GAUGE) };
#undef GAUGE
/* every rank once: a rank twice would not compile (-Woverride-init), a gap changes the count */
#define ONE(...) +1
_Static_assert(sizeof(gauges) / sizeof(gauges[0]) == 0 KS_METRICS(ONE), "KS_METRICS: prom ranks 0..n-1");
#undef ONE

static double gauge_of(const struct gauge *gg, const struct metrics *m)
{
	return *(const double *)((const char *)m + gg->off);
}

static void potential(struct sbuf *o, const struct snapshot *s, bool by_process)
{
	for (size_t i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++) {
		const struct gauge *gg = &gauges[i];
		struct who all = { NULL, by_process };

		if (gg->help)
			family(o, gg->name, "gauge", gg->help);
		sample(o, gg->name, &all, gg->kind ? "kind" : NULL, gg->kind, gauge_of(gg, &s->total));
		for (uint32_t g = 0; g < s->ngroups; g++) {
			struct who w = { &s->groups[g], by_process };

			sample(o, gg->name, &w, gg->kind ? "kind" : NULL, gg->kind, gauge_of(gg, &s->groups[g].m));
		}
	}
	family(o, "ksmscope_missed_pages", "gauge",
	       "Saving not made, in pages, by the reason of each unmerged duplicate; they add up to "
	       "saveable - ksm_saved - ksm_zero_pages.");
	for (int r = 0; r < MISS__MAX; r++) {
		struct who all = { NULL, by_process };

		sample(o, "ksmscope_missed_pages", &all, "reason", miss_names[r], s->ctotal.missed[r]);
		for (uint32_t g = 0; g < s->ngroups; g++) {
			struct who w = { &s->groups[g], by_process };

			sample(o, "ksmscope_missed_pages", &w, "reason", miss_names[r], s->groups[g].c.missed[r]);
		}
	}
}

static void counters(struct sbuf *o, const struct snapshot *s, bool by_process)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} c[] = {
		{ "ksmscope_merges_total", "Pages KSM merged onto KSM pages since ksmscope started (tracer events).",
		  offsetof(struct group_live, merges) },
		{ "ksmscope_zero_merges_total", "Pages KSM merged into the zero page since ksmscope started.",
		  offsetof(struct group_live, zero_merges) },
		{ "ksmscope_unmerges_total", "Copy-on-write breaks of merged pages since ksmscope started.",
		  offsetof(struct group_live, unmerges) },
	};
	const uint64_t all[] = { s->merges, s->zero_merges, s->unmerges };
	struct who wa = { NULL, by_process };

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		family(o, c[i].name, "counter", c[i].help);
		sample(o, c[i].name, &wa, NULL, NULL, (double)all[i]);
		for (uint32_t g = 0; g < s->ngroups; g++) {
			struct who w = { &s->groups[g], by_process };

			sample(o, c[i].name, &w, NULL, NULL,
			       (double)*(const uint64_t *)((const char *)&s->groups[g] + c[i].off));
		}
	}
}

static void latency(struct sbuf *o, const struct latency_hist *h)
{
	const char *n = "ksmscope_merge_latency_seconds";
	uint64_t cum = 0;

	family(o, n, "histogram", "Time from a page first seen as a duplicate to its merge.");
	for (int b = 0; b <= LAT_BUCKETS; b++) {
		cum += h->bucket[b];
		sbuf_printf(o, "%s_bucket{group=\"all\",le=\"", n);
		if (b < LAT_BUCKETS)
			value(o, lat_bounds[b]);
		else
			sbuf_put(o, "+Inf", 4);
		sbuf_printf(o, "\"} %llu\n", (unsigned long long)cum);
	}
	sbuf_printf(o, "%s_sum{group=\"all\"} ", n);
	value(o, h->sum);
	sbuf_printf(o, "\n%s_count{group=\"all\"} %llu\n", n, (unsigned long long)h->count);
}

/* Host-wide and our own: group="all" only. */
static void host(struct sbuf *o, const struct snapshot *s)
{
	const struct {
		const char *name, *type, *help;
		double v;
	} h[] = {
		{ "ksmscope_ksmd_cpu_seconds_total", "counter", "CPU time ksmd has used (its /proc stat).",
		  s->ksmd_cpu_seconds },
		{ "ksmscope_ksm_full_scans_total", "counter", "KSM's full scans (full_scans).", (double)s->full_scans },
		{ "ksmscope_ksm_pages_scanned_total", "counter", "Pages ksmd has scanned (pages_scanned).",
		  (double)ksm_state_num(&s->ksm, "pages_scanned") },
		{ "ksmscope_ksm_full_scan_duration_seconds", "gauge", "How long KSM's last full scan took.",
		  s->full_scan_seconds },
		{ "ksmscope_ksm_general_profit_bytes", "gauge", "KSM's general_profit: saving minus its metadata.",
		  ksm_state_value(&s->ksm, "general_profit") },
		{ "ksmscope_ksm_saved_pages_per_ksmd_cpu_second", "gauge",
		  "Pages KSM saves host-wide per CPU second ksmd has used.", s->saved_per_ksmd_cpu_second },
		{ "ksmscope_ksm_unshare_debt_pages", "gauge",
		  "Host-wide pages writes to every merged page would allocate again (pages_sharing + ksm_zero_pages).",
		  (double)ksm_state_saved(&s->ksm) },
		{ "ksmscope_mem_available_pages", "gauge", "The host's MemAvailable in pages, beside the unshare debt.",
		  ksm_state_mem_available_pages(&s->ksm) >= 0 ? (double)ksm_state_mem_available_pages(&s->ksm) : NAN },
		{ "ksmscope_ksm_running", "gauge", "KSM's run setting: 0 stopped, 1 running, 2 unmerging.",
		  (double)ksm_state_num(&s->ksm, "run") },
		{ "ksmscope_ring_buffer_drops_total", "counter", "Tracer records lost to a full ring buffer.",
		  (double)s->drops },
		{ "ksmscope_passes_total", "counter", "Scanner passes over the targets completed.", (double)s->passes },
		{ "ksmscope_pass_duration_seconds", "gauge", "How long the last pass took.",
		  s->have_pass && !s->estimate ? s->pass_seconds : NAN },
		{ "ksmscope_potential_estimate", "gauge",
		  "1 while the potential is the quick first pass's sampled estimate (until the first full pass), else 0.",
		  s->estimate ? 1.0 : 0.0 },
		{ "ksmscope_cpu_seconds_total", "counter", "CPU time ksmscope has used.", s->self_cpu_seconds },
		{ "ksmscope_resident_memory_bytes", "gauge", "ksmscope's resident memory.",
		  (double)s->self_rss_kb * 1024 },
	};

	for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++) {
		family(o, h[i].name, h[i].type, h[i].help);
		sbuf_printf(o, "%s{group=\"all\"} ", h[i].name);
		value(o, h[i].v);
		sbuf_put(o, "\n", 1);
	}
}

/* Who shares KSM frames with whom: the groups are the domains; the first audit_top pairs, both ways. */
static void audit(struct sbuf *o, const struct snapshot *s)
{
	const struct audit_out *a = s->audit;

	family(o, "ksmscope_cross_domain_frames", "gauge", "KSM frames mapped by sites of two or more groups (domains).");
	sbuf_printf(o, "ksmscope_cross_domain_frames{group=\"all\"} %llu\n", (unsigned long long)a->cross_frames);
	family(o, "ksmscope_cross_domain_pages", "gauge", "Sites on KSM frames that two or more groups (domains) map.");
	sbuf_printf(o, "ksmscope_cross_domain_pages{group=\"all\"} %llu\n", (unsigned long long)a->cross_pages);
	family(o, "ksmscope_domain_shared_pages", "gauge",
	       "A group's (domain's) sites on KSM frames its peer maps too, for the pairs sharing the most (--audit-top).");
	for (size_t i = 0; i < a->npairs && i < s->audit_top; i++) {
		const struct audit_pair *p = &a->pairs[i];

		for (int dir = 0; dir < 2; dir++) {
			uint32_t d = dir ? p->b : p->a, peer = dir ? p->a : p->b;

			if (d >= s->ngroups || peer >= s->ngroups)
				continue;
			sbuf_printf(o, "ksmscope_domain_shared_pages{domain=\"");
			label_value(o, s->groups[d].key);
			sbuf_printf(o, "\",peer=\"");
			label_value(o, s->groups[peer].key);
			sbuf_printf(o, "\"} %llu\n", (unsigned long long)(dir ? p->pages_b : p->pages_a));
		}
	}
}

void prom_render(struct sbuf *o, const struct snapshot *s, bool by_process)
{
	o->len = 0;
	o->oom = false;
	if (o->buf)
		o->buf[0] = '\0';
	/* the potential needs a finished pass; until then KSM's side from the tracker (the rest NaN) */
	if (s->have_pass || s->tracker_only)
		potential(o, s, by_process);
	counters(o, s, by_process);
	latency(o, &s->latency);
	host(o, s);
	if (s->audit)
		audit(o, s);
}
