// SPDX-License-Identifier: GPL-2.0-only
#include "scanner/audit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/kvtab.h"
#include "lib/util.h"

/* One key's sites in one group. */
struct share {
	uint32_t group, s, ms;
};

struct walk {
	const struct model_input *in;
	struct audit_out *out;
	bool frames; /* walking the frame index, else the content index */
	const struct index_entry *e; /* the key whose cells are in cells[] */
	uint32_t id;                 /* e's id */
	struct share *cells;
	size_t n, cap;
	struct kvtab pairs; /* (a, b) -> (frames, pages_a << 32 | pages_b) */
	int err;
};

static int by_group(const void *x, const void *y)
{
	const struct share *a = x, *b = y;

	return a->group < b->group ? -1 : a->group > b->group;
}

/* Merge a key's cells into one share per group, in group order; their count. */
static size_t per_group(struct walk *w)
{
	size_t k = 0;

	if (w->n > 1)
		qsort(w->cells, w->n, sizeof(*w->cells), by_group);
	for (size_t i = 0; i < w->n; i++) {
		if (k && w->cells[k - 1].group == w->cells[i].group) {
			w->cells[k - 1].s += w->cells[i].s;
			w->cells[k - 1].ms += w->cells[i].ms;
		} else {
			w->cells[k++] = w->cells[i];
		}
	}
	return k;
}

static void pair_add(struct walk *w, const struct share *a, const struct share *b)
{
	struct kv_slot *p = kvtab_get(&w->pairs, a->group, b->group);

	if (!p) {
		if (kvtab_put(&w->pairs, a->group, b->group, 0, 0)) {
			w->err = -ENOMEM;
			return;
		}
		p = kvtab_get(&w->pairs, a->group, b->group);
	}
	p->v1++;
	p->v2 += (uint64_t)a->s << 32 | b->s;
}

static void frame_done(struct walk *w, size_t k)
{
	struct audit_out *o = w->out;
	uint64_t n = 0;

	for (size_t i = 0; i < k; i++) {
		n += w->cells[i].s;
		o->domains[w->cells[i].group].ksm_sites += w->cells[i].s;
	}
	o->frames++;
	o->ksm_saved += n - 1;
	if (k < 2)
		return;
	o->cross_frames++;
	o->cross_pages += n;
	o->ksm_saved_cross += n - 1;
	o->ksm_saved_lost += k - 1;
	for (size_t i = 0; i < k; i++) {
		o->domains[w->cells[i].group].cross_sites += w->cells[i].s;
		for (size_t j = i + 1; j < k && !w->err; j++)
			pair_add(w, &w->cells[i], &w->cells[j]);
	}
}

static void content_done(struct walk *w, size_t k)
{
	struct audit_out *o = w->out;
	double wt = model_weight_of(w->in, w->id, w->e);

	o->saveable += wt * (w->e->n - 1);
	o->saveable_mergeable += w->e->m ? wt * (w->e->m - 1) : 0;
	for (size_t i = 0; i < k; i++) {
		struct audit_domain *d = &o->domains[w->cells[i].group];
		double within = wt * (w->cells[i].s - 1), mwithin = w->cells[i].ms ? wt * (w->cells[i].ms - 1) : 0;

		d->saveable_within += within;
		d->saveable_mergeable_within += mwithin;
		o->saveable_within += within;
		o->saveable_mergeable_within += mwithin;
	}
}

static void flush(struct walk *w)
{
	size_t k;

	if (!w->n)
		return;
	k = per_group(w);
	if (w->frames)
		frame_done(w, k);
	else
		content_done(w, k);
	w->n = 0;
}

static void on_cell(void *ctx, const struct index_cell *c)
{
	struct walk *w = ctx;

	if (w->err || (w->frames && !(ie_flags(c->e) & FRAME_KSM)))
		return;
	if (c->e != w->e)
		flush(w);
	w->e = c->e;
	w->id = c->id;
	if (GROW(w->cells, w->cap, w->n + 1, 16)) {
		w->err = -ENOMEM;
		return;
	}
	w->cells[w->n++] = (struct share){ PAIR_GROUP(c->pair), c->s, c->ms };
}

static int by_pages(const void *x, const void *y)
{
	const struct audit_pair *a = x, *b = y;
	uint64_t pa = a->pages_a + a->pages_b, pb = b->pages_a + b->pages_b;

	if (pa != pb)
		return pa > pb ? -1 : 1;
	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return a->b < b->b ? -1 : a->b > b->b;
}

static int collect_pairs(struct walk *w)
{
	struct audit_out *o = w->out;

	o->pairs = calloc(w->pairs.count ? w->pairs.count : 1, sizeof(*o->pairs));
	if (!o->pairs)
		return -ENOMEM;
	for (size_t i = 0; i <= w->pairs.mask; i++) {
		const struct kv_slot *s = &w->pairs.slots[i];

		if (s->k1 == UINT64_MAX)
			continue;
		o->pairs[o->npairs++] = (struct audit_pair){ (uint32_t)s->k1, (uint32_t)s->k2, s->v1, s->v2 >> 32,
							     s->v2 & 0xffffffffu };
		o->domains[s->k1].peers++;
		o->domains[s->k2].peers++;
	}
	qsort(o->pairs, o->npairs, sizeof(*o->pairs), by_pages);
	return 0;
}

static int walk_init(struct walk *w, uint32_t ngroups)
{
	memset(w->out, 0, sizeof(*w->out));
	w->out->domains = calloc(ngroups ? ngroups : 1, sizeof(*w->out->domains));
	if (!w->out->domains || kvtab_init(&w->pairs, 64)) {
		free(w->out->domains);
		w->out->domains = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* The pairs into out, the walk's memory freed; on an error, out too. */
static int walk_end(struct walk *w)
{
	if (!w->err)
		w->err = collect_pairs(w);
	free(w->cells);
	kvtab_free(&w->pairs);
	if (w->err)
		audit_free(w->out);
	return w->err;
}

int audit_frames(const struct audit_share *v, size_t n, uint32_t ngroups, struct audit_out *out)
{
	struct walk w = { NULL, out, true, NULL, 0, NULL, 0, 0, { 0 }, 0 };
	uint64_t cur = 0;

	if (walk_init(&w, ngroups))
		return -ENOMEM;
	for (size_t i = 0; i < n && !w.err; i++) {
		if (v[i].group >= ngroups)
			continue; /* a site of no domain the pass knows */
		if (w.n && v[i].frame != cur)
			flush(&w);
		cur = v[i].frame;
		if (GROW(w.cells, w.cap, w.n + 1, 16))
			w.err = -ENOMEM;
		else
			w.cells[w.n++] = (struct share){ v[i].group, v[i].sites, 0 };
	}
	if (!w.err)
		flush(&w);
	return walk_end(&w);
}

int audit_compute(const struct model_input *in, struct audit_out *out)
{
	struct walk w = { in, out, true, NULL, 0, NULL, 0, 0, { 0 }, 0 };

	if (walk_init(&w, in->ngroups))
		return -ENOMEM;
	for (uint32_t g = 0; g < in->ngroups; g++)
		for (uint32_t r = 0; r < REG__MAX; r++) {
			out->domains[g].ksm_zero_pages += in->pairs[PAIR(g, r)].ksm_zero_pages;
			out->ksm_zero_pages += in->pairs[PAIR(g, r)].ksm_zero_pages;
		}
	if (index_foreach(in->frames, on_cell, &w) == 0)
		flush(&w);
	else
		w.err = -ENOMEM;
	w.frames = false;
	w.e = NULL;
	if (!w.err && index_foreach(in->contents, on_cell, &w) == 0)
		flush(&w);
	else
		w.err = w.err ? w.err : -ENOMEM;
	return walk_end(&w);
}

void audit_free(struct audit_out *out)
{
	free(out->domains);
	free(out->pairs);
	out->domains = NULL;
	out->pairs = NULL;
	out->npairs = 0;
}
