#include "model.h"

#include <math.h>
#include <string.h>

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

static void content_cell(void *ctx, const struct index_cell *c)
{
	const struct acc *a = ctx;
	const struct index_entry *e = c->e;
	bool zero = e->flags & CONTENT_ZERO;
	double w = a->in->weight, sh = w * share(c->s, e->n);
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
		if (e->flags & FRAME_KSM) {
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
	m->frames += p->excl_frames;
}

static void finish(struct metrics *m)
{
	m->saveable_self = m->isites - m->contents;
	m->saveable_inter = m->saveable - m->saveable_self;
	m->effectiveness = m->saveable_mergeable > 0 ? (m->ksm_saved + m->ksm_zero_pages) / m->saveable_mergeable
						     : NAN;
}

/* Totals straight from the entries: exact integers, no shares involved. */
static void totals(const struct model_input *in, struct model_out *out)
{
	struct metrics *t = &out->total;
	const struct index *x = in->contents;
	double w = in->weight;

	for (size_t i = 0; i <= x->mask; i++) {
		const struct index_entry *e = &x->e[i];
		bool zero = e->flags & CONTENT_ZERO;

		if (!e->key)
			continue;
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
	for (size_t i = 0; i <= x->mask; i++) {
		const struct index_entry *e = &x->e[i];

		if (!e->key)
			continue;
		t->frames += 1;
		if (e->flags & FRAME_KSM) {
			t->ksm_frames += 1;
			t->ksm_sites += e->n;
			t->ksm_saved += e->n - 1;
		}
	}
	for (int k = 0; k < SUBPAGE_SIZES; k++) {
		x = in->chunks[k];
		for (size_t i = 0; x && i <= x->mask; i++)
			if (x->e[i].key)
				t->subpage[k] += w * (double)(x->e[i].n - 1) * subpage_sizes[k];
	}
	/* self-sharing is per group: the total is the groups' sum */
	t->saveable_self = 0;
	for (uint32_t g = 0; g < in->ngroups; g++)
		t->saveable_self += out->groups[g].saveable_self;
	t->saveable_inter = t->saveable - t->saveable_self;
	t->effectiveness = t->saveable_mergeable > 0 ? (t->ksm_saved + t->ksm_zero_pages) / t->saveable_mergeable
						     : NAN;
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

void model_standard_errors(const struct model_input *in, struct metrics *se)
{
	const struct index *x = in->contents;
	double w = in->weight, f = w * (w - 1);
	double v_contents = 0, v_isites = 0, v_save = 0, v_zero_sites = 0, v_save_zero = 0, v_merg = 0, v_ach = 0;

	memset(se, 0, sizeof(*se));
	if (w <= 1)
		return;
	for (size_t i = 0; i <= x->mask; i++) {
		const struct index_entry *e = &x->e[i];
		bool zero = e->flags & CONTENT_ZERO;
		double n = e->n, m = e->m, a = e->m ? (double)(e->m - kept(in, e->m, zero)) : 0;

		if (!e->key)
			continue;
		v_contents += 1;
		v_isites += n * n;
		v_save += (n - 1) * (n - 1);
		if (zero) {
			v_zero_sites += n * n;
			v_save_zero += (n - 1) * (n - 1);
		}
		if (m)
			v_merg += (m - 1) * (m - 1);
		v_ach += a * a;
	}
	se->contents = sqrt(f * v_contents);
	se->isites = sqrt(f * v_isites);
	se->saveable = sqrt(f * v_save);
	se->zero_sites = sqrt(f * v_zero_sites);
	se->saveable_zero = sqrt(f * v_save_zero);
	se->saveable_mergeable = sqrt(f * v_merg);
	se->achievable = sqrt(f * v_ach);
	/* self = sampled sites - contents: n - 1 per content, like saveable */
	se->saveable_self = se->saveable;
	se->saveable_inter = se->saveable;
}
