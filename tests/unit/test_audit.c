// SPDX-License-Identifier: GPL-2.0-only
/* The audit on hand-built indexes: cross-domain frames, pairs, the saving within domains. */
#include <stdlib.h>

#include "harness.h"
#include "scanner/audit.h"
#include "scanner/content_index.h"
#include "lib/json_reader.h"
#include "sinks/audit_out.h"

#define NG 3

struct fixture {
	struct index contents, frames, chunks[SUBPAGE_SIZES];
	struct pair_counts pairs[NG << REGION_BITS];
	struct model_input in;
};

static void setup(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	index_init(&f->contents, 16);
	index_init(&f->frames, 16);
	f->in = (struct model_input){ &f->contents, &f->frames, { NULL, NULL, NULL, NULL }, f->pairs, NG, 256, false,
				      1.0, NULL, 0, NULL, 0, NULL };
}

/* one site of content key in (g, r), on a KSM frame pfn (0: a frame of its own) */
static void site(struct fixture *f, uint64_t key, uint32_t g, uint32_t r, bool merg, uint64_t pfn)
{
	f->pairs[PAIR(g, r)].sites++;
	index_add(&f->contents, key, PAIR(g, r), merg, 0);
	if (pfn)
		index_add(&f->frames, pfn, PAIR(g, r), merg, FRAME_KSM);
}

static void test_cross_and_within(void)
{
	struct fixture f;
	struct audit_out a;

	setup(&f);
	/* frame 100: content 1 in domains 0 (two regions) and 1; frame 101: content 2, domain 2 only */
	site(&f, 1, 0, REG_ANON, true, 100);
	site(&f, 1, 0, REG_HEAP, true, 100);
	site(&f, 1, 1, REG_ANON, true, 100);
	site(&f, 2, 2, REG_ANON, true, 101);
	site(&f, 2, 2, REG_ANON, true, 101);
	/* frame 102: content 3 in all three domains */
	site(&f, 3, 0, REG_ANON, true, 102);
	site(&f, 3, 1, REG_ANON, true, 102);
	site(&f, 3, 2, REG_ANON, true, 102);
	/* content 4: not merged, two copies in domain 1 (one outside mergeable ranges), one in domain 2 */
	site(&f, 4, 1, REG_ANON, true, 0);
	site(&f, 4, 1, REG_ANON, false, 0);
	site(&f, 4, 2, REG_ANON, true, 0);
	f.pairs[PAIR(2, REG_ANON)].ksm_zero_pages = 5;

	CHECK(audit_compute(&f.in, &a) == 0);
	CHECK_U64(a.frames, 3);
	CHECK_U64(a.cross_frames, 2);
	CHECK_U64(a.cross_pages, 3 + 3);
	CHECK_U64(a.ksm_saved, 2 + 1 + 2);
	CHECK_U64(a.ksm_saved_cross, 2 + 2);
	CHECK_U64(a.ksm_saved_lost, 1 + 2);
	CHECK_U64(a.ksm_zero_pages, 5);
	CHECK_U64(a.domains[2].ksm_zero_pages, 5);
	/* domain 0: frame 100 (2 sites) and 102 (1); both cross-domain */
	CHECK_U64(a.domains[0].ksm_sites, 3);
	CHECK_U64(a.domains[0].cross_sites, 3);
	CHECK_U64(a.domains[2].ksm_sites, 3);
	CHECK_U64(a.domains[2].cross_sites, 1);
	CHECK_U64(a.domains[0].peers, 2);
	CHECK_U64(a.domains[2].peers, 2);
	/* pairs: (0,1) frames 100 and 102: 3 + 2 sites; (0,2) and (1,2) frame 102: 1 + 1 */
	CHECK_U64(a.npairs, 3);
	CHECK(a.pairs[0].a == 0 && a.pairs[0].b == 1 && a.pairs[0].frames == 2);
	CHECK(a.pairs[0].pages_a == 3 && a.pairs[0].pages_b == 2);
	CHECK(a.pairs[1].a == 0 && a.pairs[1].b == 2 && a.pairs[1].pages_a + a.pairs[1].pages_b == 2);
	CHECK(a.pairs[2].a == 1 && a.pairs[2].b == 2 && a.pairs[2].frames == 1);
	/* saving: across = (3-1) + (2-1) + (3-1) + (3-1) = 7; within: 1: d0 1; 2: d2 1; 3: 0; 4: d1 1 */
	CHECK(a.saveable == 7 && a.saveable_within == 3);
	/* mergeable: content 4 has 2 mergeable copies (d1, d2): across 1, within 0 */
	CHECK(a.saveable_mergeable == 6 && a.saveable_mergeable_within == 2);
	CHECK(a.domains[0].saveable_within == 1 && a.domains[1].saveable_within == 1);
	CHECK(a.domains[1].saveable_mergeable_within == 0);
	audit_free(&a);
	index_free(&f.contents);
	index_free(&f.frames);
}

/* The live engine's way in: (frame, group, sites) records sorted by frame. */
static void test_frames(void)
{
	const struct audit_share v[] = {
		{ 100, 0, 2 }, { 100, 1, 1 }, /* cross: 0 and 1 */
		{ 101, 2, 3 },                /* inside 2 */
		{ 102, 1, 1 }, { 102, 7, 4 }, /* group 7 is no domain: frame 102 is 1's alone */
		{ 103, 7, 2 },                /* no known domain: not counted */
	};
	struct audit_out a;

	CHECK(audit_frames(v, sizeof(v) / sizeof(v[0]), 3, &a) == 0);
	CHECK_U64(a.frames, 3);
	CHECK_U64(a.cross_frames, 1);
	CHECK_U64(a.cross_pages, 3);
	CHECK_U64(a.ksm_saved, 2 + 2 + 0);
	CHECK_U64(a.ksm_saved_lost, 1);
	CHECK_U64(a.npairs, 1);
	CHECK(a.npairs == 1 && a.pairs[0].pages_a == 2 && a.pairs[0].pages_b == 1);
	CHECK_U64(a.domains[1].ksm_sites, 2);
	CHECK_U64(a.domains[1].cross_sites, 1);
	audit_free(&a);
	CHECK(audit_frames(NULL, 0, 0, &a) == 0 && a.frames == 0 && a.npairs == 0);
	audit_free(&a);
}

static const char *group_name(const void *ctx, uint32_t g)
{
	(void)ctx;
	return g ? "b" : "a";
}

/* use_zero_pages=1 where the kernel counts no zero-page merges per process: null, never 0 */
static void test_zero_unknown(void)
{
	const struct audit_share v[] = { { 100, 0, 2 }, { 100, 1, 1 } };
	struct audit_out a;
	struct jw w;
	struct jv *j;
	const char *err;
	size_t off;

	CHECK(audit_frames(v, 2, 2, &a) == 0);
	for (int unknown = 0; unknown < 2; unknown++) {
		const struct jv *z;

		a.zero_unknown = unknown;
		jw_init(&w);
		jw_obj_begin(&w);
		audit_frames_json(&w, &a, 10, group_name, NULL);
		jw_obj_end(&w);
		j = jv_parse(w.b.buf, w.b.len, &off, &err);
		z = j ? jv_get(jv_get(j, "zero_page_merges"), "pages") : NULL;
		CHECK(z != NULL);
		CHECK(z && (unknown ? z->type == JV_NULL : z->type == JV_NUM && z->num == 0));
		jv_free(j);
		jw_free(&w);
	}
	audit_free(&a);
}

int main(void)
{
	RUN(test_cross_and_within);
	RUN(test_frames);
	RUN(test_zero_unknown);
	RESULT();
}
