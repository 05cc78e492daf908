// SPDX-License-Identifier: GPL-2.0-only
#include "sinks/snapshot_out.h"

#include <math.h>
#include <string.h>

#include "sinks/audit_out.h"
#include "sinks/scan_out.h"

const char *top_missed_reason(const struct corr_metrics *c)
{
	int best = -1;

	for (int r = 0; r < MISS__MAX; r++)
		if (c->missed[r] > 0 && (best < 0 || c->missed[r] > c->missed[best]))
			best = r;
	return best < 0 ? NULL : miss_names[best];
}

static void missed_json(struct jw *w, const struct corr_metrics *c)
{
	jw_key(w, "missed");
	jw_obj_begin(w);
	for (int r = 0; r < MISS__MAX; r++)
		jw_kdouble(w, miss_names[r], c->missed[r]);
	jw_kdouble(w, "total", c->missed_total);
	jw_obj_end(w);
}

static void latency_json(struct jw *w, const struct latency_hist *h)
{
	uint64_t cum = 0;

	jw_key(w, "merge_latency");
	jw_obj_begin(w);
	jw_ku64(w, "count", h->count);
	jw_kdouble(w, "sum", h->sum);
	/* cumulative, as Prometheus histograms: [upper bound in seconds, observations <= it] */
	jw_key(w, "buckets");
	jw_arr_begin(w);
	for (int b = 0; b <= LAT_BUCKETS; b++) {
		cum += h->bucket[b];
		jw_arr_begin(w);
		if (b < LAT_BUCKETS)
			jw_double(w, lat_bounds[b]);
		else
			jw_str(w, "+Inf");
		jw_u64(w, cum);
		jw_arr_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

static const char *live_group_name(const void *ctx, uint32_t g)
{
	const struct snapshot *s = ctx;

	return g < s->ngroups ? s->groups[g].key : "?";
}

void snapshot_json(struct jw *w, const struct snapshot *s)
{
	jw_reset(w);
	jw_obj_begin(w);
	jw_ku64(w, "seq", s->seq);
	jw_kdouble(w, "time", round(s->time * 1000) / 1000);
	jw_kdouble(w, "uptime", round(s->uptime * 1000) / 1000);
	jw_kdouble(w, "interval", round(s->interval * 1000) / 1000);
	jw_kstr(w, "effectiveness_denominator", "saveable_mergeable");
	jw_kdouble(w, "actual_age", s->have_pass ? round(s->actual_age * 1000) / 1000 : NAN);

	jw_key(w, "totals");
	if (s->have_pass || s->tracker_only) {
		jw_obj_begin(w);
		metrics_json(w, &s->total, s->subpage);
		missed_json(w, &s->ctotal);
		jw_obj_end(w);
	} else {
		jw_null(w); /* no pass finished yet */
	}

	jw_key(w, "groups");
	jw_arr_begin(w);
	for (uint32_t g = 0; g < s->ngroups; g++) {
		const struct group_live *gl = &s->groups[g];

		jw_obj_begin(w);
		group_names_json(w, gl->key, gl->pids, gl->npids, gl->comm, gl->vm);
		metrics_json(w, &gl->m, s->subpage);
		group_se_json(w, gl->se);
		missed_json(w, &gl->c);
		jw_ku64(w, "merges", gl->merges);
		jw_ku64(w, "zero_merges", gl->zero_merges);
		jw_ku64(w, "unmerges", gl->unmerges);
		jw_kdouble(w, "merges_per_s", gl->merges_rate);
		jw_kdouble(w, "unmerges_per_s", gl->unmerges_rate);
		jw_obj_end(w);
	}
	jw_arr_end(w);

	jw_key(w, "regions");
	if (s->have_pass)
		regions_json(w, s->regions, s->subpage);
	else
		jw_null(w);

	jw_key(w, "ksm");
	ksm_state_json(&s->ksm, w);

	jw_key(w, "sample");
	jw_obj_begin(w);
	jw_ku64(w, "n", s->sample);
	/* before the first exact pass: the quick first pass's estimate, and what that burst cost */
	jw_kbool(w, "estimate", s->estimate);
	if (s->estimate) {
		jw_key(w, "first_pass");
		jw_obj_begin(w);
		jw_kseconds(w, "seconds", s->est_seconds);
		jw_ku64(w, "pages", s->est_pages);
		jw_ku64(w, "pages_read", s->est_pages_read);
		jw_obj_end(w);
	}
	standard_errors_json(w, s->have_pass ? &s->se : NULL);
	jw_obj_end(w);

	jw_key(w, "pass");
	jw_obj_begin(w);
	jw_ku64(w, "completed", s->passes);
	jw_kdouble(w, "progress", round(s->pass_progress * 1000) / 1000);
	jw_ku64(w, "pages", s->pass_pages);
	jw_kdouble(w, "seconds", s->have_pass && !s->estimate ? round(s->pass_seconds * 1000) / 1000 : NAN);
	jw_kdouble(w, "age", s->have_pass && !s->estimate ? round(s->pass_age * 1000) / 1000 : NAN);
	jw_kdouble(w, "scan_rate_mib", s->scan_rate_mib);
	jw_key(w, "races");
	jw_obj_begin(w);
	races_fields_json(w, &s->races);
	jw_obj_end(w);
	jw_obj_end(w);

	jw_key(w, "dynamics");
	jw_obj_begin(w);
	jw_ku64(w, "merges", s->merges);
	jw_ku64(w, "zero_merges", s->zero_merges);
	jw_ku64(w, "unmerges", s->unmerges);
	jw_kdouble(w, "merges_per_s", s->merges_rate);
	jw_kdouble(w, "unmerges_per_s", s->unmerges_rate);
	latency_json(w, &s->latency);
	jw_ku64(w, "full_scans", s->full_scans);
	jw_kdouble(w, "full_scan_seconds", s->full_scan_seconds);
	jw_kdouble(w, "ksmd_cpu_seconds", s->ksmd_cpu_seconds);
	jw_kdouble(w, "ksmd_cpu_percent", s->ksmd_cpu_percent);
	jw_kdouble(w, "pages_scanned_per_s", s->pages_scanned_rate);
	jw_kdouble(w, "saved_per_ksmd_cpu_second", s->saved_per_ksmd_cpu_second);
	jw_kdouble(w, "general_profit", ksm_state_value(&s->ksm, "general_profit")); /* null before 6.1 */
	jw_obj_end(w);

	/* who shares KSM frames with whom, the groups being the domains */
	jw_key(w, "audit");
	if (s->audit) {
		jw_obj_begin(w);
		audit_frames_json(w, s->audit, s->audit_top, live_group_name, s);
		jw_obj_end(w);
	} else {
		jw_null(w);
	}

	jw_key(w, "tracer");
	jw_obj_begin(w);
	jw_ku64(w, "drops", s->drops);
	jw_ku64(w, "cow_faults", s->cow_faults);
	jw_ku64(w, "cow_untracked", s->cow_untracked);
	jw_key(w, "sources");
	jw_obj_begin(w);
	for (int c = 0; c < CAP__MAX; c++)
		jw_kstr(w, cap_names[c], src_names[s->sources[c]]);
	jw_obj_end(w);
	jw_obj_end(w);

	jw_key(w, "cost");
	jw_obj_begin(w);
	jw_kdouble(w, "cpu_seconds", round(s->self_cpu_seconds * 1000) / 1000);
	jw_kdouble(w, "cpu_percent", round(s->self_cpu_percent * 100) / 100);
	jw_ku64(w, "rss_kb", s->self_rss_kb);
	jw_ku64(w, "sites_tracked", s->corr_sites);
	jw_obj_end(w);
	jw_obj_end(w);
}


void snapshot_text(FILE *f, const struct snapshot *s)
{
	const struct metrics *t = &s->total;

	fprintf(f, "[%8.1fs] KSM saved %.1f MiB, full scans %llu, ksmd %.1f%% CPU; merges %.0f/s, COW breaks %.0f/s\n",
		s->uptime, pages_mib((double)ksm_state_saved(&s->ksm)), (unsigned long long)s->full_scans,
		isnan(s->ksmd_cpu_percent) ? 0 : s->ksmd_cpu_percent, s->merges_rate, s->unmerges_rate);
	if (!s->have_pass) {
		fprintf(f, "           first pass under way: %.1f MiB examined at %.0f MiB/s\n", pages_mib((double)s->pass_pages),
			s->scan_rate_mib);
		return;
	}
	if (s->estimate)
		fprintf(f, "           estimate from a quick pass (1/%u by prefix class, %.2f s): saveable %.1f +- %.1f MiB; "
			   "first full pass %.0f%% done\n",
			s->sample, s->est_seconds, pages_mib(t->saveable), pages_mib(s->se.saveable), 100 * s->pass_progress);
	fprintf(f, "           saveable %.1f of %.1f MiB (zero %.1f, self %.1f, inter %.1f); mergeable %.1f, "
		   "KSM saves %.1f",
		pages_mib(t->saveable), pages_mib(t->sites), pages_mib(t->saveable_zero), pages_mib(t->saveable_self),
		pages_mib(t->saveable_inter), pages_mib(t->saveable_mergeable), pages_mib(metrics_saved(t)));
	if (!isnan(t->effectiveness))
		fprintf(f, " (%.0f%% effective)", 100 * t->effectiveness);
	if (s->estimate) {
		fprintf(f, "\n           missed: known after the first full pass\n");
		return;
	}
	fprintf(f, "\n           missed %.1f MiB:", pages_mib(s->ctotal.missed_total));
	for (int r = 0; r < MISS__MAX; r++)
		if (s->ctotal.missed[r] > 0)
			fprintf(f, " %s %.1f", miss_names[r], pages_mib(s->ctotal.missed[r]));
	fprintf(f, "\n");
}
