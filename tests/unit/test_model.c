// SPDX-License-Identifier: GPL-2.0-only
/* The sharing model and the content index, on hand-built inputs with answers worked out by hand. */
#include <math.h>
#include <stdlib.h>

#include "harness.h"
#include "scanner/pagehash.h"
#include "scanner/content_index.h"
#include "scanner/model.h"

#define NG 3

struct fixture {
	struct index contents, frames, chunks[SUBPAGE_SIZES];
	struct pair_counts pairs[NG << REGION_BITS];
	struct metrics groups[NG];
	struct model_out out;
	struct model_input in;
};

static void setup(struct fixture *f, uint32_t ngroups)
{
	memset(f, 0, sizeof(*f));
	index_init(&f->contents, 16);
	index_init(&f->frames, 16);
	for (int k = 0; k < SUBPAGE_SIZES; k++)
		index_init(&f->chunks[k], 16);
	f->out.groups = f->groups;
	f->in = (struct model_input){ &f->contents, &f->frames,
		{ &f->chunks[0], &f->chunks[1], &f->chunks[2], &f->chunks[3] },
		f->pairs, ngroups, 256, false, 1.0, NULL, 0, NULL, 0, NULL };
}

static void teardown(struct fixture *f)
{
	index_free(&f->contents);
	index_free(&f->frames);
	for (int k = 0; k < SUBPAGE_SIZES; k++)
		index_free(&f->chunks[k]);
}

/* one site of content key in (g, r), with its frame */
static void site(struct fixture *f, uint64_t key, uint32_t g, uint32_t r, bool merg, uint64_t pfn, bool ksm,
		 bool excl)
{
	struct pair_counts *p = &f->pairs[PAIR(g, r)];

	p->sites++;
	p->mergeable_sites += merg;
	index_add(&f->contents, key, PAIR(g, r), merg, key == 7 ? CONTENT_ZERO : 0);
	if (excl && !ksm)
		p->excl_frames++;
	else
		index_add(&f->frames, pfn, PAIR(g, r), merg, ksm ? FRAME_KSM : 0);
}

static void test_self_and_inter(void)
{
	struct fixture f;

	setup(&f, 2);
	/* content 1: 3 copies in group 0 (self); content 2: 1 in g0, 1 in g1 (inter); 3: unique */
	site(&f, 1, 0, REG_ANON, true, 100, false, true);
	site(&f, 1, 0, REG_ANON, true, 101, false, true);
	site(&f, 1, 0, REG_HEAP, false, 102, false, true);
	site(&f, 2, 0, REG_ANON, true, 103, false, true);
	site(&f, 2, 1, REG_ANON, true, 104, false, true);
	site(&f, 3, 1, REG_STACK, false, 105, false, true);
	CHECK(model_compute(&f.in, &f.out) == 0);
	CHECK_U64(f.out.total.sites, 6);
	CHECK_U64(f.out.total.contents, 3);
	CHECK_U64(f.out.total.saveable, 3);
	/* g0: 4 sites, 2 contents -> self 2; g1: 2 sites, 2 contents -> self 0 */
	CHECK_U64(f.out.groups[0].saveable_self, 2);
	CHECK_U64(f.out.groups[1].saveable_self, 0);
	CHECK_U64(f.out.total.saveable_self, 2);
	CHECK_U64(f.out.total.saveable_inter, 1);
	/* shares: g0 gets 3*(2/3) + 1*(1/2) = 2.5, g1 gets 0.5 */
	CHECK(fabs(f.out.groups[0].saveable - 2.5) < 1e-9);
	CHECK(fabs(f.out.groups[1].saveable - 0.5) < 1e-9);
	CHECK(fabs(f.out.groups[0].saveable_inter - 0.5) < 1e-9);
	CHECK(fabs(f.out.groups[0].saveable + f.out.groups[1].saveable - f.out.total.saveable) < 1e-9);
	/* mergeable: content 1 has m=2 (heap copy is not mergeable), content 2 m=2 */
	CHECK_U64(f.out.total.mergeable_sites, 4);
	CHECK_U64(f.out.total.saveable_mergeable, 2);
	CHECK_U64(f.out.total.achievable, 2);
	/* regions: anon holds content 1 x2, content 2 x2 -> own dedup 2; heap 1 site */
	CHECK_U64(f.out.regions[REG_ANON].sites, 4);
	CHECK_U64(f.out.regions[REG_ANON].contents, 2);
	CHECK_U64(f.out.regions[REG_ANON].saveable_self, 2);
	CHECK(fabs(f.out.regions[REG_ANON].saveable - (2 * 2.0 / 3 + 1)) < 1e-9);
	CHECK(fabs(f.out.regions[REG_HEAP].saveable - 2.0 / 3) < 1e-9);
	/* every site has its own frame */
	CHECK_U64(f.out.total.frames, 6);
	CHECK(isnan(f.out.total.effectiveness) == 0);
	CHECK_U64(f.out.total.effectiveness, 0);
	teardown(&f);
}

static void test_content_in_two_regions_of_one_group(void)
{
	struct fixture f;

	setup(&f, 1);
	/* one content in anon and heap of the same group: one content for the group */
	site(&f, 5, 0, REG_ANON, false, 1, false, true);
	site(&f, 5, 0, REG_HEAP, false, 2, false, true);
	site(&f, 5, 0, REG_HEAP, false, 3, false, true);
	CHECK(model_compute(&f.in, &f.out) == 0);
	CHECK_U64(f.out.groups[0].contents, 1);
	CHECK_U64(f.out.groups[0].saveable_self, 2);
	CHECK_U64(f.out.regions[REG_ANON].contents, 1);
	CHECK_U64(f.out.regions[REG_HEAP].contents, 1);
	CHECK_U64(f.out.regions[REG_HEAP].saveable_self, 1);
	CHECK_U64(f.out.total.saveable_inter, 0);
	teardown(&f);
}

static void test_ksm_frames_and_effectiveness(void)
{
	struct fixture f;

	setup(&f, 2);
	/* content 9: 4 copies, all merged onto KSM frame 500 (2 in each group) */
	site(&f, 9, 0, REG_ANON, true, 500, true, false);
	site(&f, 9, 0, REG_ANON, true, 500, true, false);
	site(&f, 9, 1, REG_ANON, true, 500, true, false);
	site(&f, 9, 1, REG_ANON, true, 500, true, false);
	/* content 8: 2 mergeable copies, not merged */
	site(&f, 8, 1, REG_ANON, true, 600, false, true);
	site(&f, 8, 1, REG_ANON, true, 601, false, true);
	CHECK(model_compute(&f.in, &f.out) == 0);
	CHECK_U64(f.out.total.ksm_sites, 4);
	CHECK_U64(f.out.total.ksm_frames, 1);
	CHECK_U64(f.out.total.ksm_saved, 3);
	CHECK_U64(f.out.total.frames, 3);
	CHECK_U64(f.out.total.saveable_mergeable, 4);
	CHECK(fabs(f.out.total.effectiveness - 0.75) < 1e-12);
	CHECK(fabs(f.out.groups[0].ksm_saved - 1.5) < 1e-9);
	CHECK(fabs(f.out.groups[1].ksm_saved - 1.5) < 1e-9);
	CHECK_U64(f.out.groups[0].ksm_frames, 1);
	CHECK_U64(f.out.groups[1].ksm_frames, 1);
	CHECK_U64(f.out.groups[0].frames, 1);
	CHECK_U64(f.out.groups[1].frames, 3);
	teardown(&f);
}

static void test_zero_and_max_page_sharing(void)
{
	struct fixture f;

	setup(&f, 1);
	f.in.max_page_sharing = 4;
	for (int i = 0; i < 10; i++)
		site(&f, 7, 0, REG_ANON, true, 1000 + i, false, true); /* key 7 is the zero content */
	CHECK(model_compute(&f.in, &f.out) == 0);
	CHECK_U64(f.out.total.zero_sites, 10);
	CHECK_U64(f.out.total.saveable_zero, 9);
	/* 10 copies, at most 4 per KSM page: 3 pages kept, 7 saved */
	CHECK_U64(f.out.total.achievable, 7);
	CHECK(fabs(f.out.groups[0].achievable - 7) < 1e-9);
	f.in.use_zero_pages = true; /* every zero copy can map the zero page */
	CHECK(model_compute(&f.in, &f.out) == 0);
	CHECK_U64(f.out.total.achievable, 10);
	teardown(&f);
}

static void test_sampling_weight_and_se(void)
{
	struct fixture f;
	struct metrics se;

	setup(&f, 1);
	f.in.weight = 4;
	site(&f, 11, 0, REG_ANON, false, 1, false, true);
	site(&f, 11, 0, REG_ANON, false, 2, false, true);
	site(&f, 11, 0, REG_ANON, false, 3, false, true);
	CHECK(model_compute(&f.in, &f.out) == 0);
	CHECK_U64(f.out.total.contents, 4);
	CHECK_U64(f.out.total.saveable, 8);
	CHECK_U64(f.out.total.sites, 3); /* counted from pagemap: never scaled */
	model_standard_errors(&f.in, &se);
	/* var = N(N-1) * (n-1)^2 = 4*3*4 = 48 */
	CHECK(fabs(se.saveable - sqrt(48)) < 1e-9);
	CHECK(fabs(se.contents - sqrt(12)) < 1e-9);
	CHECK_U64(se.sites, 0);
	f.in.weight = 1;
	model_standard_errors(&f.in, &se);
	CHECK_U64(se.saveable, 0);
	teardown(&f);
}

/*
 * Class sampling (Horvitz-Thompson): a class of m pages read with probability
 * pi = min(1, (m - 1) / tau) weighs its contents 1 / pi; unique pages count
 * exactly; the variance term of a class is (1 - pi) / pi^2 X^2.
 */
static void test_class_sampling(void)
{
	struct prefix_classes pc;
	struct content_class *cc;
	struct fixture f;
	struct metrics se;
	const uint64_t A = 0xaaaa000000000000ULL, B = 0xbbbb000000000000ULL;

	setup(&f, 1);
	CHECK(pclasses_init(&pc, 16, true) == 0);
	/* class A: 3 pages, one content (read with pi = 2/8); class B: 20 pages > tau (pi = 1) */
	for (int i = 0; i < 3; i++)
		pclasses_add(&pc, A);
	for (int i = 0; i < 20; i++)
		pclasses_add(&pc, B);
	CHECK(fabs(pclass_pi(3, 8) - 0.25) < 1e-12);
	CHECK(pclass_pi(20, 8) == 1.0 && pclass_pi(1, 8) == 1.0 && pclass_pi(0, 8) == 1.0);
	for (int i = 0; i < 3; i++)
		site(&f, 11, 0, REG_ANON, false, 1 + i, false, true);
	for (int i = 0; i < 20; i++)
		site(&f, 12 + i % 2, 0, REG_ANON, false, 10 + i, false, true);
	/* by content id, in the order they came: 11, 12, 13 */
	const uint64_t klass_of[] = { A, B, B };
	f.pairs[PAIR(0, REG_ANON)].unique_sites = 5;
	f.pairs[PAIR(0, REG_ANON)].sites += 5;
	f.in.weight = 8;
	f.in.klass_of = klass_of;
	f.in.nklass = 3;
	f.in.pclasses = &pc;
	f.in.tau = 8;
	cc = model_classify(&f.in);
	CHECK(cc != NULL);
	/* looked up each time, and once for all (model_classify): the same figures */
	for (int pass = 0; pass < 2; pass++) {
		f.in.cc = pass ? cc : NULL;
		CHECK(model_compute(&f.in, &f.out) == 0);
		/* A: 2 saved / 0.25 = 8, 1 content / 0.25 = 4; B: 18 saved, 2 contents, exact; 5 unique */
		CHECK(fabs(f.out.total.saveable - 26) < 1e-9);
		CHECK(fabs(f.out.total.contents - 11) < 1e-9);
		CHECK(fabs(f.out.groups[0].contents - 11) < 1e-9);
		CHECK(fabs(f.out.groups[0].saveable_self - 26) < 1e-9);
		CHECK_U64(f.out.total.sites, 28);
		CHECK(model_standard_errors(&f.in, &se) == 0);
		/* only A varies: (1 - 1/4) / (1/16) * 2^2 = 48 for saveable, 12 for contents */
		CHECK(fabs(se.saveable - sqrt(48)) < 1e-9);
		CHECK(fabs(se.contents - sqrt(12)) < 1e-9);
		{
			/* one group: its errors are the total's */
			struct group_se gs;

			CHECK(model_group_standard_errors(&f.in, &gs) == 0);
			CHECK(fabs(gs.saveable - sqrt(48)) < 1e-9);
			CHECK(fabs(gs.saveable_self - sqrt(48)) < 1e-9);
			CHECK(fabs(gs.saveable_inter) < 1e-9);
		}
	}
	f.in.cc = NULL;
	free(cc);
	pclasses_free(&pc);
	teardown(&f);
}

/*
 * A sampled class holding two contents in two groups: the class's terms are
 * the sums over its contents (kept or dropped together), squared once. Class A
 * has 5 pages (pi = 4/8 with tau = 8, factor (1 - pi) / pi^2 = 2): content 21
 * has sites in groups 0, 0, 1; content 22 in groups 0, 1.
 */
static void test_class_of_several_contents(void)
{
	const uint64_t A = 0xaaaa000000000000ULL;
	struct prefix_classes pc;
	const uint64_t klass_of[] = { A, A }; /* contents 21 and 22 */
	struct group_se gs[2];
	struct fixture f;
	struct metrics se;

	setup(&f, 2);
	CHECK(pclasses_init(&pc, 16, true) == 0);
	for (int i = 0; i < 5; i++)
		pclasses_add(&pc, A);
	site(&f, 21, 0, REG_ANON, false, 1, false, true);
	site(&f, 21, 0, REG_ANON, false, 2, false, true);
	site(&f, 21, 1, REG_ANON, false, 3, false, true);
	site(&f, 22, 0, REG_ANON, false, 4, false, true);
	site(&f, 22, 1, REG_ANON, false, 5, false, true);
	f.in.weight = 8;
	f.in.klass_of = klass_of;
	f.in.nklass = 2;
	f.in.pclasses = &pc;
	f.in.tau = 8;
	CHECK(model_compute(&f.in, &f.out) == 0);
	CHECK(model_standard_errors(&f.in, &se) == 0);
	/* saveable (2 + 1)^2, contents (1 + 1)^2, self 1^2 (21 twice in group 0), inter (3 - 1)^2 */
	CHECK(fabs(se.saveable - sqrt(2 * 9.0)) < 1e-9);
	CHECK(fabs(se.contents - sqrt(2 * 4.0)) < 1e-9);
	CHECK(fabs(se.saveable_self - sqrt(2 * 1.0)) < 1e-9);
	CHECK(fabs(se.saveable_inter - sqrt(2 * 4.0)) < 1e-9);
	CHECK(model_group_standard_errors(&f.in, gs) == 0);
	/* group 0's share: 2 * 2/3 of 21 and 1/2 of 22; group 1's: 2/3 and 1/2 */
	CHECK(fabs(gs[0].saveable - sqrt(2.0) * (4.0 / 3 + 0.5)) < 1e-9);
	CHECK(fabs(gs[1].saveable - sqrt(2.0) * (2.0 / 3 + 0.5)) < 1e-9);
	CHECK(fabs(gs[0].saveable_self - sqrt(2.0)) < 1e-9);
	CHECK(fabs(gs[0].saveable_inter - sqrt(2.0) * (4.0 / 3 + 0.5 - 1)) < 1e-9);
	CHECK(fabs(gs[1].saveable_self) < 1e-9);
	pclasses_free(&pc);
	teardown(&f);
}

/*
 * Per-group errors: content 11 (class of its own, sampled 1 in 4) has 2 sites in
 * group 0 and 2 in group 1; content 12 one in each. A group's term is its share
 * of a class: saveable 2 * 3/4 = 1.5 of content 11, 0.5 of content 12 (n = 2).
 */
static void test_group_standard_errors(void)
{
	struct fixture f;
	struct group_se gs[2];
	struct metrics se;
	double f43 = 4 * 3;

	setup(&f, 2);
	f.in.weight = 4;
	site(&f, 11, 0, REG_ANON, false, 1, false, true);
	site(&f, 11, 0, REG_ANON, false, 2, false, true);
	site(&f, 11, 1, REG_ANON, false, 3, false, true);
	site(&f, 11, 1, REG_ANON, false, 4, false, true);
	site(&f, 12, 0, REG_ANON, false, 5, false, true);
	site(&f, 12, 1, REG_ANON, false, 6, false, true);
	CHECK(model_compute(&f.in, &f.out) == 0);
	CHECK(model_group_standard_errors(&f.in, gs) == 0);
	/* content sampling, N = 4: var = N(N-1) * sum of squares of the group's shares */
	CHECK(fabs(gs[0].saveable - sqrt(f43 * (1.5 * 1.5 + 0.5 * 0.5))) < 1e-9);
	CHECK(fabs(gs[1].saveable - gs[0].saveable) < 1e-9);
	/* self: 11 has 2 sites in the group, 1 beyond its first; 12 none beyond */
	CHECK(fabs(gs[0].saveable_self - sqrt(f43 * 1)) < 1e-9);
	/* inter = saveable - self per class: 0.5 and 0.5 */
	CHECK(fabs(gs[0].saveable_inter - sqrt(f43 * (0.25 + 0.25))) < 1e-9);
	/* the groups' shares add up to each class's total: the total's error is no smaller */
	CHECK(model_standard_errors(&f.in, &se) == 0);
	CHECK(se.saveable >= gs[0].saveable);
	f.in.weight = 1;
	CHECK(model_group_standard_errors(&f.in, gs) == 0);
	CHECK(gs[0].saveable == 0 && gs[1].saveable_inter == 0);
	teardown(&f);
	/* sampled, but nothing that varies (only the zero content, or nothing): all 0 */
	setup(&f, 2);
	f.in.weight = 4;
	CHECK(model_group_standard_errors(&f.in, gs) == 0);
	site(&f, 7, 0, REG_ANON, false, 1, false, true);
	site(&f, 7, 1, REG_ANON, false, 2, false, true);
	CHECK(model_compute(&f.in, &f.out) == 0);
	CHECK(model_group_standard_errors(&f.in, gs) == 0);
	CHECK(gs[0].saveable == 0 && gs[1].saveable == 0);
	teardown(&f);
}

/* effectiveness = S / M, S exact: se = effectiveness x se(M) / M; none where it is none */
static void test_effectiveness_se(void)
{
	struct metrics m = { .ksm_saved = 40, .ksm_zero_pages = 10, .saveable_mergeable = 100 }, se = { 0 };

	m.effectiveness = metrics_effectiveness(&m);
	se.saveable_mergeable = 10;
	CHECK(fabs(metrics_effectiveness_se(&m, &se) - 0.05) < 1e-12);
	se.saveable_mergeable = 0; /* exact */
	CHECK(metrics_effectiveness_se(&m, &se) == 0);
	m.saveable_mergeable = 0;
	m.effectiveness = metrics_effectiveness(&m);
	CHECK(isnan(metrics_effectiveness_se(&m, &se)));
}

static void test_subpage_shares(void)
{
	struct fixture f;

	setup(&f, 2);
	/* a 256-byte chunk seen 3 times in g0 and once in g1: saving 3 chunks = 768 bytes */
	for (int i = 0; i < 3; i++)
		index_add(&f.chunks[3], 42, PAIR(0, REG_ANON), false, 0);
	index_add(&f.chunks[3], 42, PAIR(1, REG_ANON), false, 0);
	index_add(&f.chunks[3], 43, PAIR(1, REG_ANON), false, 0);
	CHECK(model_compute(&f.in, &f.out) == 0);
	CHECK_U64(f.out.total.subpage[3], 768);
	CHECK(fabs(f.out.groups[0].subpage[3] - 576) < 1e-9);
	CHECK(fabs(f.out.groups[1].subpage[3] - 192) < 1e-9);
	CHECK_U64(f.out.total.subpage[0], 0);
	teardown(&f);
}

struct key_cells {
	uint64_t key;
	uint32_t pair[8], s[8], ms[8];
	size_t n;
};

static void key_cells_of(void *ctx, const struct index_cell *c)
{
	struct key_cells *kc = ctx;

	if (ie_key(c->e) != kc->key || kc->n == 8)
		return;
	kc->pair[kc->n] = c->pair;
	kc->s[kc->n] = c->s;
	kc->ms[kc->n++] = c->ms;
}

static void test_index_growth_and_cells(void)
{
	struct index x;
	uint64_t n = 0, added = 0;

	index_init(&x, 4);
	for (uint64_t k = 1; k <= 50000; k++)
		added += index_add(&x, k * 0x9e3779b97f4a7c15ULL | 1, PAIR(k % 3, k % 5), k % 2, 0) == 0;
	CHECK_U64(added, 50000);
	CHECK_U64(x.count, 50000);
	for (uint64_t k = 1; k <= 50000; k++) {
		const struct index_entry *e = index_get(&x, k * 0x9e3779b97f4a7c15ULL | 1);

		n += e && e->n == 1 && ie_pair(e) == PAIR(k % 3, k % 5);
	}
	CHECK_U64(n, 50000);
	/* a key in several pairs gets a cell per pair with exact counts, whatever the order of adds */
	index_add(&x, 77, PAIR(1, 2), true, 0);
	index_add(&x, 77, PAIR(1, 2), false, 0);
	index_add(&x, 77, PAIR(2, 2), true, 0);
	index_add(&x, 77, PAIR(3, 0), false, 0);
	index_add(&x, 77, PAIR(1, 2), true, 0); /* a cell behind the head of its list */
	index_add(&x, 77, PAIR(2, 2), false, 0);
	CHECK(ie_flags(index_get(&x, 77)) & INDEX_MULTI);
	CHECK_U64(index_get(&x, 77)->n, 6);
	CHECK_U64(index_get(&x, 77)->m, 3);
	{
		struct key_cells kc = { .key = 77 };

		CHECK(index_foreach(&x, key_cells_of, &kc) == 0);
		CHECK_U64(kc.n, 3);
		for (size_t i = 0; i < kc.n; i++) {
			if (kc.pair[i] == PAIR(1, 2))
				CHECK(kc.s[i] == 3 && kc.ms[i] == 2);
			else if (kc.pair[i] == PAIR(2, 2))
				CHECK(kc.s[i] == 2 && kc.ms[i] == 1);
			else
				CHECK(kc.pair[i] == PAIR(3, 0) && kc.s[i] == 1 && kc.ms[i] == 0);
		}
		CHECK(kc.pair[0] == PAIR(3, 0)); /* region order: the lowest region first */
	}
	/* under 32 bytes per key at any load, cells aside */
	CHECK(sizeof(struct index_entry) == 20);
	CHECK((double)(x.mask + 1) * 4 / x.count + 20 < 32);
	index_free(&x);
}

struct wide {
	uint32_t s[3000][3]; /* per group and region: sites seen of key 5 */
	size_t cells, fg;
};

static void wide_cell(void *ctx, const struct index_cell *c)
{
	struct wide *w = ctx;

	if (ie_key(c->e) != 5 || PAIR_GROUP(c->pair) >= 3000 || PAIR_REGION(c->pair) >= 3)
		return;
	w->s[PAIR_GROUP(c->pair)][PAIR_REGION(c->pair)] += c->s;
	w->cells++;
	w->fg += c->first_in_group;
}

/* A content in every one of 3000 groups, in 3 regions each, added group by group, twice: exact cells, found through the cell table as it grows */
static void test_index_wide_key(void)
{
	static struct wide w;
	struct index x;
	int bad = 0;

	CHECK(index_init(&x, 0) == 0);
	for (int round = 0; round < 2; round++)
		for (uint32_t g = 0; g < 3000; g++)
			for (uint32_t r = 0; r < 3; r++)
				for (uint32_t k = 0; k <= r; k++)
					bad |= index_add(&x, 5, PAIR(g, r), r == 1, 0) != 0;
	CHECK(!bad);
	CHECK_U64(index_get(&x, 5)->n, 2 * 3000 * 6);
	CHECK_U64(index_get(&x, 5)->m, 2 * 3000 * 2);
	CHECK_U64(x.ncells, 3000 * 3);
	CHECK_U64(x.lcount, 3000 * 3); /* one long list: every cell in the table */
	CHECK(x.lcount * 4 <= (x.lmask + 1) * 3);
	memset(&w, 0, sizeof(w));
	CHECK(index_foreach(&x, wide_cell, &w) == 0);
	CHECK_U64(w.cells, 9000);
	CHECK_U64(w.fg, 3000);
	for (uint32_t g = 0; g < 3000; g++)
		for (uint32_t r = 0; r < 3; r++)
			bad |= w.s[g][r] != 2 * (r + 1);
	CHECK(!bad);
	index_free(&x);
}

static void test_hash_chunks(void)
{
	static unsigned char a[4096], b[4096];
	uint64_t ca[CHUNK_HASHES], cb[CHUNK_HASHES];
	struct hasher h;

	hasher_init_key(&h, 12345);
	memset(a, 0x11, sizeof(a));
	memcpy(b, a, sizeof(b));
	b[3 * 256 + 5] ^= 1; /* differs in 256-chunk 3 only */
	CHECK(hash_page(&h, a, ca) != hash_page(&h, b, cb));
	for (int i = 0; i < 16; i++)
		CHECK((ca[chunk_slot(3, i)] == cb[chunk_slot(3, i)]) == (i != 3));
	for (int i = 0; i < 8; i++)
		CHECK((ca[chunk_slot(2, i)] == cb[chunk_slot(2, i)]) == (i != 1));
	CHECK(ca[chunk_slot(0, 1)] == cb[chunk_slot(0, 1)]);
	CHECK(ca[chunk_slot(0, 0)] != cb[chunk_slot(0, 0)]);
	/* equal chunks at different positions hash equal: identity is by content */
	CHECK(ca[chunk_slot(3, 0)] == ca[chunk_slot(3, 15)]);
	memset(a, 0, sizeof(a));
	CHECK(hash_page(&h, a, ca) == h.zero_page);
	CHECK(ca[chunk_slot(2, 4)] == h.zero_chunks[chunk_slot(2, 0)]);
	/* the zero page as each kind of scan hashes it */
	CHECK(hasher_zero(&h, true) == hash_page(&h, a, NULL));
	CHECK(hasher_zero(&h, false) == hash_page_fast(&h, a));
	CHECK(hasher_zero(&h, true) != hasher_zero(&h, false));
	/* another key, other hashes */
	{
		struct hasher h2;

		hasher_init_key(&h2, 54321);
		CHECK(h2.zero_page != h.zero_page);
	}
}

/* Zero-page merges a kernel does not count: null, and the figures resting on them. */
static void test_zero_unknown(void)
{
	struct metrics g[1] = { { .ksm_saved = 5, .saveable_mergeable = 10 } };
	struct model_out out = { .total = { .ksm_saved = 5, .saveable_mergeable = 10, .ksm_zero_pages = 0 }, .groups = g };

	model_zero_unknown(&out, 1);
	CHECK(isnan(out.total.ksm_zero_pages) && isnan(out.total.effectiveness) && isnan(out.total.unshare_debt_pages));
	CHECK(isnan(g[0].ksm_zero_pages) && isnan(g[0].effectiveness));
	CHECK(out.total.ksm_saved == 5); /* what is known stays */
	CHECK(isnan(out.regions[0].ksm_zero_pages));
}

int main(void)
{
	RUN(test_zero_unknown);
	RUN(test_self_and_inter);
	RUN(test_content_in_two_regions_of_one_group);
	RUN(test_ksm_frames_and_effectiveness);
	RUN(test_zero_and_max_page_sharing);
	RUN(test_sampling_weight_and_se);
	RUN(test_class_sampling);
	RUN(test_group_standard_errors);
	RUN(test_class_of_several_contents);
	RUN(test_effectiveness_se);
	RUN(test_subpage_shares);
	RUN(test_index_growth_and_cells);
	RUN(test_index_wide_key);
	RUN(test_hash_chunks);
	RESULT();
}
