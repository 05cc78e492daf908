// SPDX-License-Identifier: GPL-2.0-only
/* The correlator: passes joined by site, events between and during passes, and missed reasons, worked by hand. */
#include <math.h>
#include <stdlib.h>

#include "engine/correlator.h"
#include "harness.h"

#define ZERO 7
#define A 0x1000
#define NG 2

static struct corr c;
static struct corr_metrics g[NG], t;

static void add(uint32_t pid, uint32_t grp, uint64_t addr, uint64_t hash, uint32_t flags, uint64_t pfn,
		uint64_t scans, float now)
{
	struct site_rec r = { pid, grp, 0, flags | (hash ? SITE_HASHED : 0), addr, pfn, hash };

	CHECK(corr_pass_add(&c, &r, scans, now) == 0);
}

static void compute(uint64_t scans)
{
	memset(g, 0, sizeof(g));
	CHECK(corr_compute(&c, scans, g, &t) == 0);
}

static double ev(enum corr_ev kind, uint32_t pid, uint64_t addr, uint64_t pfn, float now)
{
	struct corr_event e = { (uint8_t)kind, false, pid, addr, pfn };
	int err;
	double lat = corr_event(&c, &e, now, &err);

	CHECK(err == 0);
	return lat;
}

#define M SITE_MERGEABLE

/* One of each reason, and the kept copy that is not missed. */
static void test_reasons(void)
{
	corr_init(&c, 1, ZERO);
	corr_pass_begin(&c);
	/* content 10: 3 copies in mergeable memory, none merged: 2 missed, first kept */
	add(1, 0, A, 10, M, 0, 5, 1);
	add(1, 0, A + 0x1000, 10, M, 0, 5, 1);
	add(2, 1, A, 10, M, 0, 5, 1);
	/* content 11: 2 copies, not mergeable: 1 missed (not_mergeable) */
	add(1, 0, A + 0x2000, 11, 0, 0, 5, 1);
	add(1, 0, A + 0x3000, 11, 0, 0, 5, 1);
	/* content 12: 2 copies, one in a THP */
	add(2, 1, A + 0x1000, 12, M, 0, 5, 1);
	add(2, 1, A + 0x2000, 12, M | SITE_THP, 0, 5, 1);
	/* content 13: unique */
	add(2, 1, A + 0x3000, 13, M, 0, 5, 1);
	CHECK(corr_pass_end(&c, NG) == 0);

	compute(6); /* one full scan since: pending */
	CHECK_U64(t.missed[MISS_PENDING], 2);
	CHECK_U64(t.missed[MISS_NOT_MERGEABLE], 1);
	CHECK_U64(t.missed[MISS_THP], 1);
	CHECK_U64(t.missed_total, 4);
	/* the kept copy of content 10 is pid 1's first: g0 has one pending, g1 one */
	CHECK_U64(g[0].missed[MISS_PENDING], 1);
	CHECK_U64(g[1].missed[MISS_PENDING], 1);
	compute(7); /* two full scans: no longer pending */
	CHECK_U64(t.missed[MISS_PENDING], 0);
	CHECK_U64(t.missed[MISS_OTHER], 2);
	CHECK_U64(t.ksm_sites, 0);
	corr_free(&c);
}

/* Merges and breaks between passes move the actual saving and the reasons within the interval. */
static void test_events_between_passes(void)
{
	corr_init(&c, 1, ZERO);
	corr_pass_begin(&c);
	add(1, 0, A, 10, M, 0, 5, 1);
	add(1, 0, A + 0x1000, 10, M, 0, 5, 2);
	add(2, 1, A, 10, M, 0, 5, 3);
	CHECK(corr_pass_end(&c, NG) == 0);
	compute(8);
	CHECK_U64(t.missed[MISS_OTHER], 2);

	/* KSM makes a new KSM page of pid 1's first copy, then pid 2's copy joins it */
	CHECK(ev(CEV_MERGE, 1, A, 500, 10) == 7); /* latency: seen as a duplicate at 3 (the last copy's read) */
	CHECK(ev(CEV_MERGE, 2, A, 500, 11) == 8);
	compute(8);
	CHECK_U64(t.ksm_sites, 2);
	CHECK_U64(t.ksm_frames, 1);
	CHECK_U64(t.ksm_saved, 1);
	CHECK(fabs(g[0].ksm_saved - 0.5) < 1e-9 && fabs(g[1].ksm_saved - 0.5) < 1e-9);
	CHECK_U64(t.missed[MISS_OTHER], 1); /* pid 1's second copy */
	CHECK_U64(g[0].missed[MISS_OTHER], 1);

	/* pid 2 writes its copy: unmerged */
	ev(CEV_UNMERGE, 2, A, 500, 12);
	compute(8);
	CHECK_U64(t.ksm_sites, 1);
	CHECK_U64(t.ksm_saved, 0);
	CHECK_U64(t.missed[MISS_UNMERGED], 1);
	CHECK_U64(g[1].missed[MISS_UNMERGED], 1);
	CHECK_U64(t.missed_total, 2);

	/* an event on a page the pass never hashed: a KSM site of no known content */
	ev(CEV_MERGE, 3, A, 500, 12);
	compute(8);
	CHECK_U64(t.ksm_sites, 2);
	CHECK_U64(t.ksm_saved, 1);
	CHECK_U64(t.missed_total, 2);

	/* pid 1 exits */
	corr_forget_pid(&c, 1);
	compute(8);
	CHECK_U64(t.ksm_sites, 1);
	CHECK_U64(t.missed_total, 0); /* content 10 has one live copy left */

	/* pid 3's sites exist only from events: they leave with it, and the rest stay findable */
	ev(CEV_MERGE, 4, A, 700, 13);
	ev(CEV_MERGE, 3, A + 0x1000, 700, 13);
	ev(CEV_MERGE, 4, A + 0x1000, 700, 13);
	CHECK_U64(c.nx, 4);
	corr_forget_pid(&c, 3);
	CHECK_U64(c.nx, 2);
	ev(CEV_UNMERGE, 4, A + 0x1000, 700, 14);
	compute(8);
	/* only pid 4's A is left on a frame: its other page was found (moved in the table) and unmerged */
	CHECK_U64(t.ksm_sites, 1);
	CHECK_U64(t.ksm_frames, 1);
	corr_free(&c);
}

/* The next pass: changed contents are volatile, broken KSM sites unmerged, events during it replayed. */
static void test_join_and_replay(void)
{
	corr_init(&c, 1, ZERO);
	corr_pass_begin(&c);
	add(1, 0, A, 10, M, 0, 5, 1);
	add(1, 0, A + 0x1000, 10, M, 0, 5, 1);
	add(1, 0, A + 0x2000, 20, M | SITE_KSM, 900, 5, 1);
	add(1, 0, A + 0x3000, 20, M | SITE_KSM, 900, 5, 1);
	add(1, 0, A + 0x4000, 20, M | SITE_KSM, 900, 5, 1);
	CHECK(corr_pass_end(&c, NG) == 0);

	corr_pass_begin(&c);
	/* a merge while the pass runs, of a page the pass already read as unmerged */
	add(1, 0, A, 30, M, 0, 9, 20);          /* rewritten: volatile */
	add(1, 0, A + 0x1000, 30, M, 0, 9, 20); /* rewritten too */
	add(1, 0, A + 0x2000, 20, M, 0, 9, 20); /* lost its KSM frame: unmerged */
	add(1, 0, A + 0x3000, 20, M | SITE_KSM, 900, 9, 20);
	add(1, 0, A + 0x4000, 20, M, 0, 9, 20);
	ev(CEV_MERGE, 1, A + 0x4000, 900, 21);
	CHECK(corr_pass_end(&c, NG) == 0);
	compute(20);
	CHECK_U64(t.ksm_sites, 2);
	CHECK_U64(t.ksm_saved, 1);
	CHECK_U64(t.missed[MISS_UNMERGED], 1);
	CHECK_U64(t.missed[MISS_VOLATILE], 1); /* content 30: two copies, one kept */
	CHECK_U64(t.missed_total, 2);
	corr_free(&c);
}

/* KSM zero-page merges, copies on two KSM frames, and sampled contents. */
static void test_zero_frames_and_weights(void)
{
	corr_init(&c, 4, ZERO);
	corr_pass_begin(&c);
	/* the zero content: 2 merged into the zero page (no address), 2 still anonymous */
	add(1, 0, 0, ZERO, M | SITE_ZMERGE, 0, 5, 1);
	add(1, 0, 0, ZERO, M | SITE_ZMERGE, 0, 5, 1);
	add(1, 0, A, ZERO, M, 0, 5, 1);
	add(1, 0, A + 0x1000, ZERO, M, 0, 5, 1);
	/* content 40 (sampled: weight 4): 3 copies on 2 KSM frames, one unmerged */
	add(1, 0, A + 0x2000, 40, M | SITE_KSM, 70, 5, 1);
	add(2, 1, A, 40, M | SITE_KSM, 71, 5, 1);
	add(2, 1, A + 0x1000, 40, M, 0, 5, 1);
	/* a KSM site sampled out: counted for the actual saving, not for contents */
	add(2, 1, A + 0x2000, 0, M | SITE_KSM, 71, 5, 1);
	CHECK(corr_pass_end(&c, NG) == 0);
	compute(9);
	CHECK_U64(t.ksm_zero_pages, 2);
	CHECK_U64(g[0].ksm_zero_pages, 2);
	CHECK_U64(t.ksm_sites, 3);
	CHECK_U64(t.ksm_frames, 2);
	CHECK_U64(t.ksm_saved, 1);
	CHECK_U64(g[1].ksm_frames, 1);
	CHECK(fabs(g[1].ksm_saved - 1.0) < 1e-9);
	/* zero: n=4, saved 2: missed 1 (one anonymous zero copy kept); content 40: 1 unmerged + 1 extra frame, x4 */
	CHECK_U64(t.missed[MISS_OTHER], 1 + 4 + 4);
	CHECK_U64(t.missed_total, 9);

	/* a write to a zero-page merge: which page is unknown, it leaves the count */
	{
		struct corr_event e = { CEV_UNMERGE, true, 1, A + 0x9000, 0 };
		int err;

		corr_event(&c, &e, 10, &err);
	}
	compute(9);
	CHECK_U64(t.ksm_zero_pages, 1);
	corr_free(&c);
}

/* Events while a pass is built move the sites it already read; the ones ahead it reads itself. */
static void test_events_during_pass(void)
{
	corr_init(&c, 1, ZERO);
	corr_pass_begin(&c);
	CHECK(corr_pass_end(&c, NG) == 0);

	corr_pass_begin(&c);
	add(1, 0, A, 10, M, 0, 5, 1);
	add(1, 0, A + 0x2000, 10, M, 0, 5, 1);
	add(1, 0, 0, ZERO, M | SITE_ZMERGE, 0, 5, 1);
	ev(CEV_MERGE, 1, A, 600, 2);            /* read already: moved in the pass */
	ev(CEV_MERGE, 1, A + 0x1000, 600, 2);   /* behind the scan, never read (sampled out): added */
	ev(CEV_MERGE, 2, A, 600, 2);            /* ahead of the scan: it will read it */
	{
		struct corr_event e = { CEV_UNMERGE, true, 1, A + 0x9000, 0 };
		int err;

		corr_event(&c, &e, 3, &err); /* a zero-page merge of pid 1 written: gone */
		CHECK(err == 0);
	}
	add(2, 1, A, 10, M | SITE_KSM, 600, 5, 4); /* the pass reads pid 2 after its merge */
	CHECK(corr_pass_end(&c, NG) == 0);
	compute(9);
	CHECK_U64(t.ksm_sites, 3);
	CHECK_U64(t.ksm_frames, 1);
	CHECK_U64(t.ksm_saved, 2);
	CHECK_U64(t.ksm_zero_pages, 0);
	CHECK_U64(t.missed_total, 1); /* content 10: 3 copies, 2 on the frame, 1 unmerged */
	CHECK_U64(c.n, 5);
	corr_free(&c);
}

int main(void)
{
	RUN(test_events_during_pass);
	RUN(test_reasons);
	RUN(test_events_between_passes);
	RUN(test_join_and_replay);
	RUN(test_zero_frames_and_weights);
	RESULT();
}
