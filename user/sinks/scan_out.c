// SPDX-License-Identifier: GPL-2.0-only
#include "sinks/scan_out.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/regions.h"

void metrics_json(struct jw *w, const struct metrics *m, bool subpage)
{
#define MEMBER(name, ...) jw_kdouble(w, #name, m->name);
	KS_METRICS(MEMBER)
#undef MEMBER
	jw_key(w, "subpage");
	jw_obj_begin(w);
	for (int k = 0; k < SUBPAGE_SIZES; k++) {
		char name[8];

		snprintf(name, sizeof(name), "%u", subpage_sizes[k]);
		jw_kdouble(w, name, subpage ? m->subpage[k] : NAN);
	}
	jw_obj_end(w);
}

void group_names_json(struct jw *w, const char *key, const uint32_t *pids, size_t npids, const char *comm,
		      const char *vm)
{
	jw_kstr(w, "key", key);
	jw_key(w, "pids");
	jw_arr_begin(w);
	for (size_t i = 0; i < npids; i++)
		jw_u64(w, pids[i]);
	jw_arr_end(w);
	jw_kstr(w, "comm", comm);
	if (vm && *vm)
		jw_kstr(w, "vm", vm);
	else
		jw_kdouble(w, "vm", NAN); /* null */
}

void group_se_json(struct jw *w, const struct group_se *se)
{
	if (!se)
		return;
	jw_kdouble(w, "saveable_se", se->saveable);
	jw_kdouble(w, "saveable_self_se", se->saveable_self);
	jw_kdouble(w, "saveable_inter_se", se->saveable_inter);
}

void regions_json(struct jw *w, const struct metrics *regions, bool subpage)
{
	jw_obj_begin(w);
	for (int k = 0; k < REG__MAX; k++) {
		jw_key(w, region_names[k]);
		jw_obj_begin(w);
		metrics_json(w, &regions[k], subpage);
		jw_obj_end(w);
	}
	jw_obj_end(w);
}

void scan_report_json(struct jw *w, const struct scan_report *r)
{
	const struct scanner *s = r->s;

	jw_reset(w);
	jw_obj_begin(w);
	jw_key(w, "totals");
	jw_obj_begin(w);
	metrics_json(w, &r->m->total, s->subpage);
	jw_obj_end(w);

	jw_key(w, "groups");
	jw_arr_begin(w);
	for (uint32_t g = 0; g < s->ngroups; g++) {
		const struct group_info *gi = &s->groups[g];

		jw_obj_begin(w);
		group_names_json(w, gi->key, gi->pids, gi->npids, gi->comm, gi->vm);
		metrics_json(w, &r->m->groups[g], s->subpage);
		group_se_json(w, r->m->group_se ? &r->m->group_se[g] : NULL);
		jw_obj_end(w);
	}
	jw_arr_end(w);

	jw_key(w, "regions");
	regions_json(w, r->m->regions, s->subpage);

	jw_key(w, "ksm");
	ksm_state_json(r->ksm, w);

	jw_key(w, "sample");
	jw_obj_begin(w);
	jw_ku64(w, "n", s->sample);
	/* how pages were chosen before being read whole */
	jw_kstr(w, "prefix_reader", s->filter ? "bpf" : s->sample == 1 ? "none" : s->pr_ok ? "bpf" : "proc_mem");
	standard_errors_json(w, r->se);
	jw_obj_end(w);

	jw_key(w, "cost");
	jw_obj_begin(w);
	jw_ku64(w, "pages", s->cost.pages);
	jw_ku64(w, "pages_read", s->cost.pages_read);
	jw_ku64(w, "pages_unique", s->cost.pages_unique);
	jw_ku64(w, "bytes_read", s->cost.bytes_read);
	/* to the microsecond: a sampled scan of 1 GiB takes ~60 ms, and rates are taken from it */
	jw_kseconds(w, "seconds", r->seconds);
	jw_ku64(w, "peak_rss_kb", r->peak_rss_kb);
	jw_ku64(w, "index_bytes", scanner_index_bytes(s));
	jw_ku64(w, "index_contents", s->contents.count);
	jw_ku64(w, "content_index_bytes", index_bytes(&s->contents));
	jw_ku64(w, "prefixes", s->cost.prefixes);
	jw_ku64(w, "prefixes_slow", s->cost.prefixes_slow);
	jw_ku64(w, "pages_by_frame", s->cost.pages_by_frame);
	jw_ku64(w, "prefix_class_bytes", pclasses_bytes(&s->pclasses));
	jw_ku64(w, "probe_stash_bytes", s->cost.stash_bytes);
	jw_obj_end(w);

	jw_key(w, "races");
	jw_obj_begin(w);
	jw_kbool(w, "frozen", r->frozen);
	races_fields_json(w, &s->races);
	jw_obj_end(w);
	jw_obj_end(w);
}

void races_fields_json(struct jw *w, const struct scan_races *r)
{
	jw_ku64(w, "exited", r->exited);
	jw_ku64(w, "unreadable", r->unreadable);
	jw_ku64(w, "vanished_pages", r->vanished_pages);
	jw_ku64(w, "changed_pages", r->changed_pages);
	jw_ku64(w, "zero_ksm_unplaced", r->zero_ksm_unplaced);
	jw_ku64(w, "not_frozen", r->not_frozen);
}

void standard_errors_json(struct jw *w, const struct metrics *se)
{
#define MEMBER_SE(name, ...) jw_kdouble(w, #name "_se", se ? se->name : NAN);
	KS_METRICS(MEMBER_SE)
#undef MEMBER_SE
}

static double pct(double part, double whole)
{
	return whole > 0 ? 100.0 * part / whole : 0.0;
}


static const struct metrics *sort_base;

static int by_sites_desc(const void *a, const void *b)
{
	double x = sort_base[*(const uint32_t *)a].sites, y = sort_base[*(const uint32_t *)b].sites;

	return x < y ? 1 : x > y ? -1 : 0;
}

static void row(FILE *f, const char *name, const char *comm, const struct metrics *m)
{
	char eff[16], nb[16], cb[17];

	if (isnan(m->effectiveness))
		snprintf(eff, sizeof(eff), "-");
	else
		snprintf(eff, sizeof(eff), "%.0f%%", 100 * m->effectiveness);
	fprintf(f, "%-12.12s %-16.16s %9.1f %6.1f%% %6.1f%% %6.1f%% %6.1f%% %9.1f %9.1f %6s\n", printable(nb, sizeof(nb), name),
		printable(cb, sizeof(cb), comm),
		pages_mib(m->sites), pct(m->saveable, m->sites), pct(m->saveable_self, m->sites),
		pct(m->saveable_inter, m->sites), pct(m->saveable_zero, m->sites), pages_mib(metrics_saved(m)),
		pages_mib(m->saveable_mergeable), eff);
}

/* The columns of row(), after a blank line. */
static void header(FILE *f, const char *name, const char *comm)
{
	fprintf(f, "\n%-12s %-16s %9s %7s %7s %7s %7s %9s %9s %6s\n", name, comm, "ANON_MiB", "SAVE%", "SELF%", "INTER%",
		"ZERO%", "KSM_MiB", "MERG_MiB", "EFF");
}

void scan_report_text(FILE *f, const struct scan_report *r)
{
	const struct scanner *s = r->s;
	const struct metrics *t = &r->m->total;
	uint32_t *order = calloc(s->ngroups ? s->ngroups : 1, sizeof(*order));

	fprintf(f, "Scanned %u group(s), %.1f MiB of private anonymous memory in %.2f s%s%s\n", s->ngroups,
		pages_mib(t->sites), r->seconds, r->frozen ? " (frozen)" : " (live)",
		s->sample > 1 ? " (sampled: estimates)" : "");
	if (s->sample > 1)
		fprintf(f, "Sample 1/%u: saveable %.1f MiB +- %.1f MiB (1 standard error)\n", s->sample,
			pages_mib(t->saveable), pages_mib(r->se->saveable));
	fprintf(f, "Saveable: %.1f MiB (%.1f%% of %.1f MiB): zero %.1f%%, self %.1f%%, inter %.1f%%\n",
		pages_mib(t->saveable), pct(t->saveable, t->sites), pages_mib(t->sites), pct(t->saveable_zero, t->sites),
		pct(t->saveable_self, t->sites), pct(t->saveable_inter, t->sites));
	fprintf(f, "Contents: %.0f distinct, %.0f zero-filled sites, %.0f frames, %.0f zero-mapped, %.0f swapped, %.0f THP\n",
		t->contents, t->zero_sites, t->frames, t->zero_mapped, t->swapped, t->thp_sites);
	if (isnan(t->ksm_zero_pages)) /* the kernel counts no zero-page merges */
		fprintf(f, "Mergeable: %.1f MiB, saveable %.1f MiB, achievable %.1f MiB; KSM saves %.1f MiB "
			   "(%.0f sites on %.0f KSM pages) and zero-page merges this kernel does not count",
			pages_mib(t->mergeable_sites), pages_mib(t->saveable_mergeable), pages_mib(t->achievable),
			pages_mib(t->ksm_saved), t->ksm_sites, t->ksm_frames);
	else
		fprintf(f, "Mergeable: %.1f MiB, saveable %.1f MiB, achievable %.1f MiB; KSM saves %.1f MiB "
			   "(%.0f sites on %.0f KSM pages, %.0f zero-page merges)",
			pages_mib(t->mergeable_sites), pages_mib(t->saveable_mergeable), pages_mib(t->achievable),
			pages_mib(metrics_saved(t)), t->ksm_sites, t->ksm_frames, t->ksm_zero_pages);
	if (!isnan(t->effectiveness))
		fprintf(f, ": effectiveness %.1f%% of saveable_mergeable", 100 * t->effectiveness);
	if (s->subpage)
		fprintf(f, "\nSub-page: saveable at 2048/1024/512/256-byte chunks: %.1f / %.1f / %.1f / %.1f MiB\n",
			t->subpage[0] / (1 << 20), t->subpage[1] / (1 << 20), t->subpage[2] / (1 << 20),
			t->subpage[3] / (1 << 20));
	else
		fprintf(f, "\nSub-page: not counted (--subpage)\n");
	if (s->races.exited || s->races.unreadable || s->races.vanished_pages || s->races.changed_pages)
		fprintf(f, "Races: %" PRIu64 " processes exited, %" PRIu64 " unreadable, %" PRIu64
			   " pages vanished, %" PRIu64 " changed during the read\n",
			s->races.exited, s->races.unreadable, s->races.vanished_pages, s->races.changed_pages);

	header(f, "GROUP", "COMM");
	if (order) {
		for (uint32_t g = 0; g < s->ngroups; g++)
			order[g] = g;
		sort_base = r->m->groups;
		qsort(order, s->ngroups, sizeof(*order), by_sites_desc);
		for (uint32_t i = 0; i < s->ngroups; i++)
			row(f, s->groups[order[i]].key, s->groups[order[i]].comm, &r->m->groups[order[i]]);
		free(order);
	}
	header(f, "REGION", "");
	for (int k = 0; k < REG__MAX; k++)
		row(f, region_names[k], "", &r->m->regions[k]);
	fprintf(f, "\nSAVE%% = saveable/sites; EFF = (ksm_saved + ksm_zero_pages) / saveable_mergeable\n");
}
