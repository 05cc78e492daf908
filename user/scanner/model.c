// SPDX-License-Identifier: GPL-2.0-only
#include "scanner/model.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lib/rowindex.h"
#include "lib/util.h"

const unsigned subpage_sizes[SUBPAGE_SIZES] = { 2048, 1024, 512, 256 };

struct acc {
	const struct model_input *in;
	struct model_out *out;
	int which; /* subpage slot, for chunk indexes */
};

static double share(uint32_t s, uint32_t n)
{
	return n ? (double)s * (double)(n - 1) / (double)n : 0.0;
}

/* copies of a content that KSM must keep: max_page_sharing caps one KSM page's mappings */
static uint64_t kept(const struct model_input *in, uint32_t m, bool zero)
{
	if (!m)
		return 0;
	if (zero && in->use_zero_pages)
		return 0; /* every copy can map the zero page */
	return (m + in->max_page_sharing - 1) / in->max_page_sharing;
}

static uint64_t class_of(const struct model_input *in, uint32_t id, const struct index_entry *e)
{
	uint64_t c = id < in->nklass ? in->klass_of[id] : 0;

	if (c)
		return c;
	/*
	 * none kept: under class sampling its class was read for sure (class 0,
	 * pi = 1); under content sampling the content is its own class
	 */
	return in->pclasses ? 0 : ie_key(e);
}

/* Class sampling: the probability that class cls was read (class 0, all-zero prefixes or read for sure: always). */
static double class_pi(const struct model_input *in, uint64_t cls)
{
	return cls ? pclass_pi(pclasses_count(in->pclasses, cls), in->tau) : 1.0;
}

/* The zero content is never sampled out: it stands for itself. */
static double content_weight(const struct model_input *in, uint32_t id, const struct index_entry *e)
{
	if (ie_flags(e) & CONTENT_ZERO)
		return 1.0;
	return in->pclasses ? 1.0 / class_pi(in, class_of(in, id, e)) : in->weight;
}

double model_weight_of(const struct model_input *in, uint32_t id, const struct index_entry *e)
{
	return in->cc ? in->cc[id].w : content_weight(in, id, e);
}

static uint64_t class_of_id(const struct model_input *in, uint32_t id, const struct index_entry *e)
{
	return in->cc ? in->cc[id].cls : class_of(in, id, e);
}

static double class_factor(const struct model_input *in, uint64_t cls);

static double factor_of(const struct model_input *in, uint32_t id, const struct index_entry *e)
{
	return in->cc ? in->cc[id].f : class_factor(in, class_of(in, id, e));
}

struct content_class *model_classify(const struct model_input *in)
{
	const struct index *x = in->contents;
	struct content_class *cc;

	if (in->weight <= 1 && !in->pclasses)
		return NULL;
	cc = malloc((x->count ? x->count : 1) * sizeof(*cc));
	for (size_t i = 0; cc && i < x->count; i++) {
		const struct index_entry *e = index_at(x, i);

		if (ie_flags(e) & CONTENT_ZERO) {
			cc[i] = (struct content_class){ 0, 1.0, 0 }; /* always kept */
			continue;
		}
		cc[i].cls = class_of(in, (uint32_t)i, e);
		cc[i].w = content_weight(in, (uint32_t)i, e);
		cc[i].f = class_factor(in, cc[i].cls);
	}
	return cc;
}

static void content_cell(void *ctx, const struct index_cell *c)
{
	const struct acc *a = ctx;
	const struct index_entry *e = c->e;
	bool zero = ie_flags(e) & CONTENT_ZERO;
	double w = model_weight_of(a->in, c->id, e), sh = w * share(c->s, e->n);
	double msh = w * share(c->ms, e->m);
	double ach = e->m ? w * (double)c->ms * (double)(e->m - kept(a->in, e->m, zero)) / e->m : 0;
	struct metrics *ms[2] = { &a->out->groups[PAIR_GROUP(c->pair)], &a->out->regions[PAIR_REGION(c->pair)] };
	bool first[2] = { c->first_in_group, c->first_in_region };

	for (int i = 0; i < 2; i++) {
		struct metrics *m = ms[i];

		m->contents += first[i] ? w : 0;
		m->isites += w * c->s;
		m->zero_sites += zero ? w * c->s : 0;
		m->saveable += sh;
		m->saveable_zero += zero ? sh : 0;
		m->saveable_mergeable += msh;
		m->achievable += ach;
	}
}

static void frame_cell(void *ctx, const struct index_cell *c)
{
	const struct acc *a = ctx;
	const struct index_entry *e = c->e;
	struct metrics *ms[2] = { &a->out->groups[PAIR_GROUP(c->pair)], &a->out->regions[PAIR_REGION(c->pair)] };
	bool first[2] = { c->first_in_group, c->first_in_region };

	for (int i = 0; i < 2; i++) {
		ms[i]->frames += first[i];
		if (ie_flags(e) & FRAME_KSM) {
			ms[i]->ksm_frames += first[i];
			ms[i]->ksm_sites += c->s;
			ms[i]->ksm_saved += share(c->s, e->n);
		}
	}
}

static void chunk_cell(void *ctx, const struct index_cell *c)
{
	const struct acc *a = ctx;
	double b = a->in->weight * share(c->s, c->e->n) * subpage_sizes[a->which];

	a->out->groups[PAIR_GROUP(c->pair)].subpage[a->which] += b;
	a->out->regions[PAIR_REGION(c->pair)].subpage[a->which] += b;
}

static void add_counts(struct metrics *m, const struct pair_counts *p)
{
	m->sites += p->sites;
	m->zero_mapped += p->zero_mapped;
	m->swapped += p->swapped;
	m->thp_sites += p->thp_sites;
	m->mergeable_sites += p->mergeable_sites;
	m->ksm_zero_pages += p->ksm_zero_pages;
	m->shared_sites += p->shared_sites;
	m->hugetlb_sites += p->hugetlb_sites;
	m->frames += p->excl_frames;
	/* a content of its own: n = 1, nothing saveable, counted exactly under sampling too */
	m->contents += p->unique_sites;
	m->isites += p->unique_sites;
}

double metrics_effectiveness(const struct metrics *m)
{
	return m->saveable_mergeable > 0 ? metrics_saved(m) / m->saveable_mergeable : NAN;
}

double metrics_effectiveness_se(const struct metrics *m, const struct metrics *se)
{
	if (isnan(m->effectiveness) || m->saveable_mergeable <= 0)
		return NAN;
	return m->effectiveness * se->saveable_mergeable / m->saveable_mergeable;
}

static void finish(struct metrics *m)
{
	m->saveable_self = m->isites - m->contents;
	m->saveable_inter = m->saveable - m->saveable_self;
	m->effectiveness = metrics_effectiveness(m);
	m->unshare_debt_pages = metrics_saved(m);
}

/* Totals straight from the entries: exact integers, no shares involved. */
static void totals(const struct model_input *in, struct model_out *out)
{
	struct metrics *t = &out->total;
	const struct index *x = in->contents;
	double w;

	for (size_t i = 0; i < x->count; i++) {
		const struct index_entry *e = index_at(x, i);
		bool zero = ie_flags(e) & CONTENT_ZERO;

		w = model_weight_of(in, (uint32_t)i, e);
		t->contents += w;
		t->isites += w * e->n;
		t->saveable += w * (e->n - 1);
		if (zero) {
			t->zero_sites += w * e->n;
			t->saveable_zero += w * (e->n - 1);
		}
		if (e->m) {
			t->saveable_mergeable += w * (e->m - 1);
			t->achievable += w * (double)(e->m - kept(in, e->m, zero));
		}
	}
	x = in->frames;
	for (size_t i = 0; i < x->count; i++) {
		const struct index_entry *e = index_at(x, i);

		t->frames += 1;
		if (ie_flags(e) & FRAME_KSM) {
			t->ksm_frames += 1;
			t->ksm_sites += e->n;
			t->ksm_saved += e->n - 1;
		}
	}
	for (int k = 0; k < SUBPAGE_SIZES; k++) {
		x = in->chunks[k];
		for (size_t i = 0; x && i < x->count; i++)
			t->subpage[k] += in->weight * (double)(index_at(x, i)->n - 1) * subpage_sizes[k];
	}
	/* self-sharing is per group: the total is the groups' sum */
	t->saveable_self = 0;
	for (uint32_t g = 0; g < in->ngroups; g++)
		t->saveable_self += out->groups[g].saveable_self;
	t->saveable_inter = t->saveable - t->saveable_self;
	t->effectiveness = metrics_effectiveness(t);
	t->unshare_debt_pages = metrics_saved(t);
}

static void zero_unknown(struct metrics *m)
{
	m->ksm_zero_pages = NAN;
	m->effectiveness = metrics_effectiveness(m);
	m->unshare_debt_pages = metrics_saved(m);
}

void model_zero_unknown(struct model_out *out, uint32_t ngroups)
{
	zero_unknown(&out->total);
	for (uint32_t g = 0; g < ngroups; g++)
		zero_unknown(&out->groups[g]);
	for (int r = 0; r < REG__MAX; r++)
		zero_unknown(&out->regions[r]);
}

int model_compute(const struct model_input *in, struct model_out *out)
{
	struct acc a = { in, out, 0 };

	memset(&out->total, 0, sizeof(out->total));
	memset(out->regions, 0, sizeof(out->regions));
	memset(out->groups, 0, in->ngroups * sizeof(*out->groups));
	for (uint32_t g = 0; g < in->ngroups; g++) {
		for (uint32_t r = 0; r < REG__MAX; r++) {
			const struct pair_counts *p = &in->pairs[PAIR(g, r)];

			add_counts(&out->groups[g], p);
			add_counts(&out->regions[r], p);
			add_counts(&out->total, p);
		}
	}
	out->total.frames = 0; /* recounted from the entries below, plus exclusive frames */
	for (uint32_t g = 0; g < in->ngroups; g++)
		for (uint32_t r = 0; r < REG__MAX; r++)
			out->total.frames += in->pairs[PAIR(g, r)].excl_frames;
	if (index_foreach(in->contents, content_cell, &a) || index_foreach(in->frames, frame_cell, &a))
		return -1;
	for (a.which = 0; a.which < SUBPAGE_SIZES; a.which++)
		if (in->chunks[a.which] && index_foreach(in->chunks[a.which], chunk_cell, &a))
			return -1;
	for (uint32_t g = 0; g < in->ngroups; g++)
		finish(&out->groups[g]);
	for (int r = 0; r < REG__MAX; r++)
		finish(&out->regions[r]);
	totals(in, out);
	return 0;
}

/* Per sampling class sums of each estimated quantity. */
enum { V_CONTENTS, V_ISITES, V_SAVE, V_MERG, V_ACH, V_SELF, V_INTER, V__N };
/* what a class row sums (48 bytes a class): saveable is isites - contents, inter saveable - self */
enum { R_CONTENTS, R_ISITES, R_MERG, R_ACH, R_SELF, R__N };

struct class_row {
	uint64_t cls;
	int64_t r[R__N];
};

struct se_ctx {
	const uint32_t *row_of; /* content id -> its row, or UINT32_MAX */
	struct class_row *rows;
};

/* self-sharing of a content: its sites in each group beyond the group's first */
static void se_cell(void *ctx, const struct index_cell *c)
{
	struct se_ctx *x = ctx;
	uint32_t row = x->row_of[c->id];
	int64_t self = (int64_t)c->s - (c->first_in_group ? 1 : 0);

	if (row != UINT32_MAX) {
		x->rows[row].r[R_SELF] += self;
	}
}

/*
 * The variance factor of a class: content sampling keeps a class with
 * probability 1/N, N(N - 1); Horvitz-Thompson, a class read with probability pi
 * adds (1 - pi) / pi^2 X^2. 0 when the class is read for sure.
 */
static double class_factor(const struct model_input *in, uint64_t cls)
{
	double pi;

	if (!in->pclasses)
		return in->weight * (in->weight - 1);
	pi = class_pi(in, cls);
	return (1 - pi) / (pi * pi);
}

int model_standard_errors(const struct model_input *in, struct metrics *se)
{
	const struct index *x = in->contents;
	double var[V__N] = { 0 };
	struct class_row *rows;
	struct rowindex agg = { 0 };
	uint32_t *row_of;
	size_t n = 0;
	int err = -ENOMEM;

	memset(se, 0, sizeof(*se));
	if (in->weight <= 1)
		return 0;
	/*
	 * A row per class that may have been dropped, summing its contents as
	 * they come (the sums are linear: no sort of a row per content).
	 */
	rows = malloc((x->count ? x->count : 1) * sizeof(*rows));
	row_of = malloc((x->count ? x->count : 1) * sizeof(*row_of));
	if (!rows || !row_of || rowindex_init(&agg, x->count, sizeof(*rows), ROWINDEX_NO_K2))
		goto out;
	for (size_t i = 0; i < x->count; i++) {
		const struct index_entry *e = index_at(x, i);
		uint64_t cls;
		int64_t k;
		struct class_row *r;
		bool added;

		row_of[i] = UINT32_MAX;
		/* the zero content and classes read for sure: no sampling error */
		if ((ie_flags(e) & CONTENT_ZERO) || factor_of(in, (uint32_t)i, e) <= 0)
			continue;
		cls = class_of_id(in, (uint32_t)i, e);
		k = rowindex_row(&agg, rows, cls, 0, &added);
		if (k < 0)
			goto out;
		r = &rows[k];
		if (added) {
			memset(r, 0, sizeof(*r));
			r->cls = cls;
			n++;
		}
		r->r[R_CONTENTS] += 1;
		r->r[R_ISITES] += e->n;
		r->r[R_MERG] += e->m ? (int64_t)e->m - 1 : 0;
		r->r[R_ACH] += e->m ? (int64_t)(e->m - kept(in, e->m, false)) : 0;
		row_of[i] = (uint32_t)k;
	}
	{
		struct se_ctx sc = { row_of, rows };

		if (n && index_foreach(x, se_cell, &sc))
			goto out;
	}
	for (size_t i = 0; i < n; i++) {
		double f = class_factor(in, rows[i].cls);
		const int64_t *r = rows[i].r, save = r[R_ISITES] - r[R_CONTENTS];
		const int64_t v[V__N] = { [V_CONTENTS] = r[R_CONTENTS], [V_ISITES] = r[R_ISITES], [V_SAVE] = save,
					  [V_MERG] = r[R_MERG], [V_ACH] = r[R_ACH], [V_SELF] = r[R_SELF],
					  [V_INTER] = save - r[R_SELF] };

		for (int q = 0; q < V__N; q++)
			var[q] += f * (double)v[q] * (double)v[q];
	}
	se->contents = sqrt(var[V_CONTENTS]);
	se->isites = sqrt(var[V_ISITES]);
	se->saveable = sqrt(var[V_SAVE]);
	se->saveable_mergeable = sqrt(var[V_MERG]);
	se->achievable = sqrt(var[V_ACH]);
	se->saveable_self = sqrt(var[V_SELF]);
	se->saveable_inter = sqrt(var[V_INTER]);
	/* the zero content is always kept: zero_sites and saveable_zero are exact */
	err = 0;
out:
	rowindex_free(&agg);
	free(row_of);
	free(rows);
	return err;
}

struct gse_row {
	uint64_t cls;
	uint32_t group;
	double save, self; /* the group's share of the class's saveable, and its self-sharing */
};

struct gse_ctx {
	const struct model_input *in;
	struct gse_row *rows; /* one per (class, group) of a sampled class, summed as cells come */
	struct rowindex agg;  /* (class, group) -> its row */
	size_t n, cap;
	uint64_t last_key, last_cls; /* a content's cells come together: its class looked up once */
	double last_f;
	bool oom;
};

static void gse_cell(void *ctx, const struct index_cell *c)
{
	struct gse_ctx *x = ctx;
	bool added;
	int64_t k;

	if ((ie_flags(c->e) & CONTENT_ZERO) || x->oom)
		return; /* the zero content is always kept: exact */
	if (ie_key(c->e) != x->last_key) {
		x->last_key = ie_key(c->e);
		x->last_cls = class_of_id(x->in, c->id, c->e);
		x->last_f = factor_of(x->in, c->id, c->e);
	}
	if (x->last_f <= 0)
		return; /* read for sure: no error (most pages of a class-sampled pass) */
	k = rowindex_row(&x->agg, x->rows, x->last_cls, PAIR_GROUP(c->pair), &added);
	if (k < 0 || (added && GROW(x->rows, x->cap, x->n + 1, 1024))) {
		x->oom = true;
		return;
	}
	if (added)
		x->rows[x->n++] = (struct gse_row){ x->last_cls, PAIR_GROUP(c->pair), 0, 0 };
	x->rows[k].save += share(c->s, c->e->n);
	x->rows[k].self += (double)c->s - (c->first_in_group ? 1 : 0);
}

int model_group_standard_errors(const struct model_input *in, struct group_se *se)
{
	struct gse_ctx x = { .in = in };

	memset(se, 0, in->ngroups * sizeof(*se));
	if (in->weight <= 1 && !in->pclasses)
		return 0;
	if (rowindex_init(&x.agg, 1024, sizeof(*x.rows), offsetof(struct gse_row, group)) ||
	    index_foreach(in->contents, gse_cell, &x) || x.oom) {
		rowindex_free(&x.agg);
		free(x.rows);
		return -ENOMEM;
	}
	/* a class's terms per group: its contents' shares summed, then squared */
	for (size_t i = 0; i < x.n; i++) {
		double save = x.rows[i].save, self = x.rows[i].self, f = class_factor(in, x.rows[i].cls);
		uint32_t g = x.rows[i].group;

		if (g >= in->ngroups)
			continue;
		se[g].saveable += f * save * save;
		se[g].saveable_self += f * self * self;
		se[g].saveable_inter += f * (save - self) * (save - self);
	}
	rowindex_free(&x.agg);
	for (uint32_t g = 0; g < in->ngroups; g++) {
		se[g].saveable = sqrt(se[g].saveable);
		se[g].saveable_self = sqrt(se[g].saveable_self);
		se[g].saveable_inter = sqrt(se[g].saveable_inter);
	}
	free(x.rows);
	return 0;
}
