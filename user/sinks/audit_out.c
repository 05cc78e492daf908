// SPDX-License-Identifier: GPL-2.0-only
#include "sinks/audit_out.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/util.h"
#include "sinks/scan_out.h"

#define AUDIT_TEXT_PAIRS 10
#define AUDIT_MATRIX_MAX 8 /* domains in the text matrix: the ones with the most cross-domain sites */

const char audit_zero_note[] =
	"zero-page merges (use_zero_pages=1) map the kernel's zero page, which every process maps "
	"anyway: they are counted apart, never as cross-domain; a write to one shows only that the "
	"page was empty, and whether its copy-on-write timing can be told from a never-written page's "
	"depends on the kernel";

static double pct(double part, double whole)
{
	return whole > 0 ? 100.0 * part / whole : 0;
}

/* The domains with cross-domain sites, most first: at most max, their count. */
static uint32_t crossing(const struct audit_report *r, uint32_t *order, uint32_t max)
{
	uint32_t n = 0;

	for (uint32_t g = 0; g < r->s->ngroups; g++)
		if (r->a->domains[g].cross_sites)
			order[n++] = g;
	for (uint32_t i = 1; i < n; i++) /* insertion sort: a handful of domains */
		for (uint32_t j = i; j > 0 && r->a->domains[order[j]].cross_sites > r->a->domains[order[j - 1]].cross_sites; j--) {
			uint32_t t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	return n < max ? n : max;
}

/* Row domain's sites on frames column domain maps too. */
static uint64_t cell(const struct audit_out *a, uint32_t row, uint32_t col)
{
	for (size_t i = 0; i < a->npairs; i++) {
		const struct audit_pair *p = &a->pairs[i];

		if (p->a == row && p->b == col)
			return p->pages_a;
		if (p->b == row && p->a == col)
			return p->pages_b;
	}
	return 0;
}

static void matrix_text(FILE *out, const struct audit_report *r)
{
	uint32_t *order = calloc(r->s->ngroups ? r->s->ngroups : 1, sizeof(*order)), n;
	char key[48];

	if (!order)
		return;
	n = crossing(r, order, AUDIT_MATRIX_MAX);
	if (n >= 2) {
		fprintf(out, "\nSites of each row's domain on KSM frames the column's domain maps too:\n%-4s", "");
		for (uint32_t j = 0; j < n; j++)
			fprintf(out, " %9s", (snprintf(key, sizeof(key), "[%u]", j + 1), key));
		fprintf(out, "\n");
		for (uint32_t i = 0; i < n; i++) {
			fprintf(out, "[%u]%*s", i + 1, i + 1 < 10 ? 1 : 0, "");
			for (uint32_t j = 0; j < n; j++)
				if (i == j)
					fprintf(out, " %9s", "-");
				else
					fprintf(out, " %9llu", (unsigned long long)cell(r->a, order[i], order[j]));
			fprintf(out, "  %s\n", printable(key, sizeof(key), r->s->groups[order[i]].key));
		}
	}
	free(order);
}

void audit_report_text(FILE *out, const struct audit_report *r)
{
	const struct audit_out *a = r->a;
	char k1[48], k2[48];

	fprintf(out, "KSM frames in use: %llu; mapped by two or more %ss: %llu (%.1f%%), with %llu sites\n",
		(unsigned long long)a->frames, r->domain, (unsigned long long)a->cross_frames, pct(a->cross_frames, a->frames),
		(unsigned long long)a->cross_pages);
	fprintf(out, "KSM saves %llu pages (%.1f MiB); cross-domain frames %llu of them; partitioned by %s, KSM "
		     "would save %llu pages fewer\n",
		(unsigned long long)a->ksm_saved, pages_mib(a->ksm_saved), (unsigned long long)a->ksm_saved_cross, r->domain,
		(unsigned long long)a->ksm_saved_lost);
	fprintf(out, "Potential: %.0f pages saveable across domains, %.0f within each %s (%.1f%%); mergeable: "
		     "%.0f across, %.0f within\n",
		a->saveable, a->saveable_within, r->domain, pct(a->saveable_within, a->saveable), a->saveable_mergeable,
		a->saveable_mergeable_within);
	if (a->zero_unknown)
		fprintf(out, "Zero-page merges: unknown (use_zero_pages=1, and this kernel counts none per process)\n");
	else if (a->ksm_zero_pages)
		fprintf(out, "Zero-page merges: %llu, apart: %s\n", (unsigned long long)a->ksm_zero_pages, audit_zero_note);
	fprintf(out, "\n%-32s %8s %10s %10s %6s %10s %10s\n", "DOMAIN", "PIDS", "KSM_SITES", "CROSS", "PEERS", "SAVEABLE",
		"WITHIN");
	for (uint32_t g = 0; g < r->s->ngroups; g++) {
		const struct audit_domain *d = &a->domains[g];

		fprintf(out, "%-32s %8zu %10llu %10llu %6u %10.0f %10.0f\n",
			printable(k1, sizeof(k1), r->s->groups[g].key), r->s->groups[g].npids,
			(unsigned long long)d->ksm_sites, (unsigned long long)d->cross_sites, d->peers,
			r->m->groups[g].saveable, d->saveable_within);
	}
	if (a->npairs)
		fprintf(out, "\nTop pairs (KSM frames both map, and their sites on them):\n");
	for (size_t i = 0; i < a->npairs && i < AUDIT_TEXT_PAIRS; i++) {
		const struct audit_pair *p = &a->pairs[i];

		fprintf(out, "  %s <-> %s: %llu frames, %llu + %llu sites\n",
			printable(k1, sizeof(k1), r->s->groups[p->a].key), printable(k2, sizeof(k2), r->s->groups[p->b].key),
			(unsigned long long)p->frames, (unsigned long long)p->pages_a, (unsigned long long)p->pages_b);
	}
	if (a->npairs > AUDIT_TEXT_PAIRS)
		fprintf(out, "  ... and %zu more (--json lists every pair)\n", a->npairs - AUDIT_TEXT_PAIRS);
	matrix_text(out, r);
}

/* A zero-page merge count, or null where the kernel counts none (use_zero_pages=1 before 6.6). */
static void zero_pages_json(struct jw *w, const char *key, const struct audit_out *a, uint64_t n)
{
	jw_key(w, key);
	if (a->zero_unknown)
		jw_null(w);
	else
		jw_u64(w, n);
}

void audit_frames_json(struct jw *w, const struct audit_out *a, size_t limit, audit_name_fn name, const void *ctx)
{
	jw_ku64(w, "frames", a->frames);
	jw_ku64(w, "cross_domain_frames", a->cross_frames);
	jw_ku64(w, "cross_domain_pages", a->cross_pages);
	jw_ku64(w, "ksm_saved", a->ksm_saved);
	jw_ku64(w, "ksm_saved_cross_domain", a->ksm_saved_cross);
	jw_ku64(w, "ksm_saved_lost_if_partitioned", a->ksm_saved_lost);
	jw_key(w, "zero_page_merges");
	jw_obj_begin(w);
	zero_pages_json(w, "pages", a, a->ksm_zero_pages);
	jw_kstr(w, "note", audit_zero_note);
	jw_obj_end(w);
	jw_key(w, "pairs");
	jw_arr_begin(w);
	for (size_t i = 0; i < a->npairs && i < limit; i++) {
		const struct audit_pair *p = &a->pairs[i];

		jw_obj_begin(w);
		jw_kstr(w, "domain", name(ctx, p->a));
		jw_kstr(w, "peer", name(ctx, p->b));
		jw_ku64(w, "frames", p->frames);
		jw_ku64(w, "pages", p->pages_a + p->pages_b);
		jw_ku64(w, "domain_pages", p->pages_a);
		jw_ku64(w, "peer_pages", p->pages_b);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_ku64(w, "pairs_total", a->npairs);
}

static const char *scan_group_name(const void *ctx, uint32_t g)
{
	return ((const struct scanner *)ctx)->groups[g].key;
}

/* Each domain's pairs, in the pairs' order: start[g]..start[g + 1] of pair[]. */
struct pairs_by_domain {
	size_t *start, *pair;
};

/* NULL when out of memory: the caller then walks every pair for each domain. */
static struct pairs_by_domain *index_pairs(const struct audit_out *a, uint32_t ndomains)
{
	struct pairs_by_domain *by = calloc(1, sizeof(*by));
	size_t *fill;

	if (!by)
		return NULL;
	by->start = calloc(ndomains + 1, sizeof(*by->start));
	by->pair = malloc((2 * a->npairs + 1) * sizeof(*by->pair));
	fill = calloc(ndomains + 1, sizeof(*fill));
	if (!by->start || !by->pair || !fill) {
		free(by->start);
		free(by->pair);
		free(by);
		free(fill);
		return NULL;
	}
	for (size_t i = 0; i < a->npairs; i++) {
		by->start[a->pairs[i].a + 1]++;
		by->start[a->pairs[i].b + 1]++;
	}
	for (uint32_t g = 0; g < ndomains; g++)
		by->start[g + 1] += by->start[g];
	for (size_t i = 0; i < a->npairs; i++) {
		by->pair[by->start[a->pairs[i].a] + fill[a->pairs[i].a]++] = i;
		by->pair[by->start[a->pairs[i].b] + fill[a->pairs[i].b]++] = i;
	}
	free(fill);
	return by;
}

static void pairs_by_domain_free(struct pairs_by_domain *by)
{
	if (by) {
		free(by->start);
		free(by->pair);
		free(by);
	}
}

void audit_report_json(struct jw *w, const struct audit_report *r)
{
	const struct audit_out *a = r->a;
	struct pairs_by_domain *by = index_pairs(a, r->s->ngroups);

	jw_obj_begin(w);
	jw_kstr(w, "domain", r->domain);
	audit_frames_json(w, a, SIZE_MAX, scan_group_name, r->s);
	jw_kdouble(w, "saveable", a->saveable);
	jw_kdouble(w, "saveable_within_domain", a->saveable_within);
	jw_kdouble(w, "saveable_mergeable", a->saveable_mergeable);
	jw_kdouble(w, "saveable_mergeable_within_domain", a->saveable_mergeable_within);
	jw_key(w, "domains");
	jw_arr_begin(w);
	for (uint32_t g = 0; g < r->s->ngroups; g++) {
		const struct audit_domain *d = &a->domains[g];
		const struct group_info *gi = &r->s->groups[g];

		jw_obj_begin(w);
		group_names_json(w, gi->key, gi->pids, gi->npids, gi->comm, gi->vm);
		jw_ku64(w, "ksm_sites", d->ksm_sites);
		jw_ku64(w, "cross_domain_sites", d->cross_sites);
		zero_pages_json(w, "ksm_zero_pages", a, d->ksm_zero_pages);
		jw_ku64(w, "peers", d->peers);
		jw_key(w, "peer_domains"); /* the pairs' order: most pages first */
		jw_arr_begin(w);
		for (size_t k = by ? by->start[g] : 0; by ? k < by->start[g + 1] : k < a->npairs; k++) {
			const struct audit_pair *p = &a->pairs[by ? by->pair[k] : k];

			if (p->a == g || p->b == g)
				jw_str(w, r->s->groups[p->a == g ? p->b : p->a].key);
		}
		jw_arr_end(w);
		jw_kdouble(w, "saveable", r->m->groups[g].saveable);
		jw_kdouble(w, "saveable_within_domain", d->saveable_within);
		jw_kdouble(w, "saveable_mergeable", r->m->groups[g].saveable_mergeable);
		jw_kdouble(w, "saveable_mergeable_within_domain", d->saveable_mergeable_within);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	pairs_by_domain_free(by);
	jw_key(w, "ksm");
	ksm_state_json(r->ksm, w);
	jw_key(w, "scanned");
	jw_obj_begin(w);
	jw_ku64(w, "domains", r->s->ngroups);
	jw_ku64(w, "pages", r->s->cost.pages);
	jw_ku64(w, "sample", r->s->sample);
	jw_kseconds(w, "seconds", r->seconds);
	jw_obj_end(w);
	jw_obj_end(w);
}
