// SPDX-License-Identifier: GPL-2.0-only
#include "report/compare.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json_writer.h"
#include "lib/util.h"

static const struct jv *fp_groups(const struct fingerprint *f)
{
	const struct jv *g = jv_get(f->meta, "groups");

	return g && g->type == JV_ARR ? g : NULL;
}

const char *fp_group_key(const struct fingerprint *f, int64_t g)
{
	const struct jv *gs = fp_groups(f);

	return gs && g >= 0 && (size_t)g < gs->n ? jv_str(gs->items[g], "key", "?") : "?";
}

/* The records of one hash: [i, *end). */
static size_t run_end(const struct fingerprint *f, size_t i)
{
	size_t j = i + 1;

	while (j < f->n && f->r[j].hash == f->r[i].hash)
		j++;
	return j;
}

/* Can a and b be compared? Their sample, or -1 with why[] filled. */
static int comparable(const struct fingerprint *a, const struct fingerprint *b, uint32_t *sample, char *why,
		      size_t whylen)
{
	const struct jv *ka = jv_get(a->meta, "key_check"), *kb = jv_get(b->meta, "key_check");
	const struct jv *ha = jv_get(a->meta, "hash"), *hb = jv_get(b->meta, "hash");
	double sa = jv_num(a->meta, "sample", NAN), sb = jv_num(b->meta, "sample", NAN);

	if (!fp_groups(a) || !fp_groups(b) || !ka || !kb || ka->type != JV_STR || kb->type != JV_STR || !ha ||
	    !hb || ha->type != JV_STR || hb->type != JV_STR || !(sa >= 1) || !(sb >= 1)) {
		snprintf(why, whylen, "a fingerprint without its description");
		return -1;
	}
	if (strcmp(ha->str, hb->str)) {
		snprintf(why, whylen, "one was recorded with --subpage and the other without: their page hashes differ");
		return -1;
	}
	if (strcmp(ka->str, kb->str)) {
		snprintf(why, whylen, "they were recorded under different keys (--key): their hashes cannot be compared");
		return -1;
	}
	if (sa != floor(sa) || sa > UINT32_MAX) {
		snprintf(why, whylen, "a fingerprint with a malformed sample");
		return -1;
	}
	if (sa != sb) {
		snprintf(why, whylen, "they were sampled differently (--sample %.0f and %.0f)", sa, sb);
		return -1;
	}
	*sample = (uint32_t)sa;
	return 0;
}

/* One row per group of A, named; and the A x B pair counts when there are few enough pairs. */
static int cmp_alloc(struct cmp_result *out, const struct jv *ga, const struct jv *gb, uint32_t **pair)
{
	*pair = NULL;
	out->a.ngroups = (uint32_t)ga->n;
	out->b.ngroups = (uint32_t)gb->n;
	out->ngroups = (uint32_t)ga->n;
	out->groups = calloc(ga->n ? ga->n : 1, sizeof(*out->groups));
	out->closest_done = ga->n * gb->n <= CMP_MAX_PAIRS;
	if (out->closest_done && ga->n && gb->n)
		*pair = calloc(ga->n * gb->n, sizeof(**pair));
	if (!out->groups || (out->closest_done && ga->n && gb->n && !*pair))
		return -ENOMEM;
	for (size_t g = 0; g < ga->n; g++) {
		out->groups[g].key = jv_str(ga->items[g], "key", "?");
		out->groups[g].comm = jv_str(ga->items[g], "comm", "?");
		out->groups[g].closest = -1;
	}
	return 0;
}

/* A's records [i, ie) of one content; [j, je) are B's records of it when both hold it. */
static void count_a(struct cmp_result *out, const struct fingerprint *a, size_t i, size_t ie,
		    const struct fingerprint *b, size_t j, size_t je, bool both, uint32_t *pair, size_t nb)
{
	/* a content of one group only: that group, moved alone beside B, saves its frame */
	if (both && ie - i == 1 && a->r[i].group < out->ngroups)
		out->groups[a->r[i].group].placement_saving++;
	out->a.distinct++;
	for (size_t k = i; k < ie; k++) {
		struct cmp_group *g = a->r[k].group < out->ngroups ? &out->groups[a->r[k].group] : NULL;

		out->a.pages += a->r[k].sites;
		if (both)
			out->a_common_pages += a->r[k].sites;
		if (!g)
			continue;
		g->distinct++;
		g->pages += a->r[k].sites;
		if (both) {
			g->common_distinct++;
			g->common_pages += a->r[k].sites;
		}
		for (size_t l = j; both && pair && l < je; l++)
			if (b->r[l].group < nb)
				pair[a->r[k].group * nb + b->r[l].group]++;
	}
}

/* Both sorted by (hash, group): one merge walk counts every content. */
static void walk(struct cmp_result *out, const struct fingerprint *a, const struct fingerprint *b, uint32_t *pair,
		 size_t nb)
{
	size_t i = 0, j = 0;

	while (i < a->n || j < b->n) {
		size_t ie = i < a->n ? run_end(a, i) : i, je = j < b->n ? run_end(b, j) : j;
		bool in_a = i < a->n && (j >= b->n || a->r[i].hash <= b->r[j].hash);
		bool in_b = j < b->n && (i >= a->n || b->r[j].hash <= a->r[i].hash);
		bool both = in_a && in_b;

		if (in_a)
			count_a(out, a, i, ie, b, j, je, both, pair, nb);
		if (in_b) {
			out->b.distinct++;
			for (size_t l = j; l < je; l++) {
				out->b.pages += b->r[l].sites;
				if (both)
					out->b_common_pages += b->r[l].sites;
			}
		}
		out->common_distinct += both;
		if (in_a)
			i = ie;
		if (in_b)
			j = je;
	}
}

/* For each group of A, the group of B it shares most contents with. */
static void pick_closest(struct cmp_result *out, const uint32_t *pair, size_t na, size_t nb)
{
	for (size_t g = 0; pair && g < na; g++)
		for (size_t h = 0; h < nb; h++)
			if (pair[g * nb + h] > out->groups[g].closest_common) {
				out->groups[g].closest_common = pair[g * nb + h];
				out->groups[g].closest = (int64_t)h;
			}
}

/* Sampled: every count stands for sample of its kind. */
static void scale_sampled(struct cmp_result *out)
{
	double s = out->sample;

	if (out->sample <= 1)
		return;
	out->a.pages *= s;
	out->a.distinct *= s;
	out->b.pages *= s;
	out->b.distinct *= s;
	out->common_distinct *= s;
	out->a_common_pages *= s;
	out->b_common_pages *= s;
	for (size_t g = 0; g < out->ngroups; g++) {
		out->groups[g].pages *= s;
		out->groups[g].distinct *= s;
		out->groups[g].common_distinct *= s;
		out->groups[g].common_pages *= s;
		out->groups[g].closest_common *= s;
		out->groups[g].placement_saving *= s;
	}
}

int compare_fingerprints(const struct fingerprint *a, const struct fingerprint *b, struct cmp_result *out,
			 char *why, size_t whylen)
{
	const struct jv *ga = fp_groups(a), *gb = fp_groups(b);
	uint32_t *pair;

	memset(out, 0, sizeof(*out));
	if (comparable(a, b, &out->sample, why, whylen))
		return -1;
	if (cmp_alloc(out, ga, gb, &pair)) {
		free(pair);
		cmp_result_free(out);
		return -ENOMEM;
	}
	walk(out, a, b, pair, gb->n);
	pick_closest(out, pair, ga->n, gb->n);
	free(pair);
	scale_sampled(out);
	return 0;
}

void cmp_result_free(struct cmp_result *r)
{
	free(r->groups);
	memset(r, 0, sizeof(*r));
}

static void side_json(struct jw *w, const char *k, const struct recording *r, const char *path,
		      const struct cmp_side *s)
{
	jw_key(w, k);
	jw_obj_begin(w);
	jw_kstr(w, "file", path);
	jw_kstr(w, "host", jv_str(r->header, "host", "?"));
	jw_ku64(w, "pass", r->fp.pass);
	jw_ku64(w, "groups", s->ngroups);
	jw_kdouble(w, "pages", s->pages);
	jw_kdouble(w, "distinct", s->distinct);
	jw_obj_end(w);
}

static double pct(double a, double b)
{
	return b > 0 ? 100 * a / b : 0;
}

int compare_report(const struct recording *a, const struct recording *b, const char *pa, const char *pb, bool json)
{
	struct cmp_result c;
	char why[160];
	int err;

	if (!a->fp.meta || !b->fp.meta) {
		ks_err("report: %s holds no content fingerprint (record it with --keep-hashes --key FILE)",
		       !a->fp.meta ? pa : pb);
		return -1;
	}
	err = compare_fingerprints(&a->fp, &b->fp, &c, why, sizeof(why));
	if (err == -ENOMEM) {
		ks_err("report: out of memory");
		return -1;
	}
	if (err) {
		ks_err("report: cannot compare %s with %s: %s", pa, pb, why);
		return -1;
	}
	if (json) {
		struct jw w;

		jw_init(&w);
		jw_obj_begin(&w);
		jw_ku64(&w, "sample", c.sample);
		side_json(&w, "a", a, pa, &c.a);
		side_json(&w, "b", b, pb, &c.b);
		jw_key(&w, "common");
		jw_obj_begin(&w);
		jw_kdouble(&w, "distinct", c.common_distinct);
		jw_kdouble(&w, "a_pages", c.a_common_pages);
		jw_kdouble(&w, "b_pages", c.b_common_pages);
		jw_obj_end(&w);
		jw_kdouble(&w, "placement_saving_pages", c.common_distinct);
		jw_kbool(&w, "closest_worked_out", c.closest_done);
		jw_key(&w, "groups");
		jw_arr_begin(&w);
		for (uint32_t g = 0; g < c.ngroups; g++) {
			const struct cmp_group *x = &c.groups[g];

			jw_obj_begin(&w);
			jw_kstr(&w, "key", x->key);
			jw_kstr(&w, "comm", x->comm);
			jw_kdouble(&w, "pages", x->pages);
			jw_kdouble(&w, "distinct", x->distinct);
			jw_kdouble(&w, "common_distinct", x->common_distinct);
			jw_kdouble(&w, "common_pages", x->common_pages);
			jw_kdouble(&w, "placement_saving_pages", x->placement_saving);
			jw_key(&w, "closest_b");
			if (x->closest >= 0) {
				jw_obj_begin(&w);
				jw_kstr(&w, "key", fp_group_key(&b->fp, x->closest));
				jw_kdouble(&w, "common_distinct", x->closest_common);
				jw_obj_end(&w);
			} else {
				jw_null(&w);
			}
			jw_obj_end(&w);
		}
		jw_arr_end(&w);
		jw_obj_end(&w);
		err = jw_emit_line(&w, stdout);
		jw_free(&w);
		cmp_result_free(&c);
		return err ? -1 : 0;
	}
	{
		char ha[128], hb[128];

		printf("A: %s (host %s, pass %llu): %.0f distinct contents in %.0f pages, %u groups\n", pa,
		       printable(ha, sizeof(ha), jv_str(a->header, "host", "?")), (unsigned long long)a->fp.pass, c.a.distinct, c.a.pages,
		       c.a.ngroups);
		printf("B: %s (host %s, pass %llu): %.0f distinct contents in %.0f pages, %u groups\n", pb,
		       printable(hb, sizeof(hb), jv_str(b->header, "host", "?")), (unsigned long long)b->fp.pass, c.b.distinct, c.b.pages,
		       c.b.ngroups);
	}
	if (c.sample > 1)
		printf("(estimates from a 1/%u sample of contents)\n", c.sample);
	printf("\nA's contents that B also holds: %.0f of %.0f distinct (%.1f%%), in %.0f of A's %.0f pages (%.1f%%)\n",
	       c.common_distinct, c.a.distinct, pct(c.common_distinct, c.a.distinct), c.a_common_pages, c.a.pages,
	       pct(c.a_common_pages, c.a.pages));
	printf("Placing all of A beside B would save %.0f pages (%.1f MiB) beyond what each saves alone.\n",
	       c.common_distinct, c.common_distinct * MIB_PER_PAGE);
	printf("(zero pages are left out: every host has them)\n\n");
	printf("SAVING_ALONE: what moving that group alone beside B saves (its contents B holds that no other\n"
	       "group of A holds)\n\n");
	printf("%-20s %-16s %10s %10s %10s %7s %12s  %s\n", "GROUP_OF_A", "COMM", "PAGES", "DISTINCT", "IN_B", "IN_B%",
	       "SAVING_ALONE", "CLOSEST_GROUP_OF_B (COMMON)");
	for (uint32_t g = 0; g < c.ngroups; g++) {
		const struct cmp_group *x = &c.groups[g];
		char closest[300], kb[64], cb[17], bk[256];

		if (x->closest >= 0)
			snprintf(closest, sizeof(closest), "%s (%.0f)",
				 printable(bk, sizeof(bk), fp_group_key(&b->fp, x->closest)), x->closest_common);
		else
			snprintf(closest, sizeof(closest), "%s", c.closest_done ? "-" : "(too many groups to pair)");
		printf("%-20s %-16s %10.0f %10.0f %10.0f %6.1f%% %12.0f  %s\n", printable(kb, sizeof(kb), x->key),
		       printable(cb, sizeof(cb), x->comm), x->pages, x->distinct, x->common_distinct,
		       pct(x->common_distinct, x->distinct), x->placement_saving, closest);
	}
	cmp_result_free(&c);
	return fflush(stdout) ? -1 : 0;
}
