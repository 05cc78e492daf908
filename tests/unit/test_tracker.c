// SPDX-License-Identifier: GPL-2.0-only
/* tracker: which record becomes which output line, and what it remembers. */
#include "harness.h"
#include "tracer/tracker.h"

#define A1 0x7f0000001000ULL
#define A2 0x7f0000002000ULL
#define A3 0x7f0000003000ULL

static struct ks_event ev(uint32_t type, uint32_t pid, uint64_t addr, uint64_t pfn)
{
	struct ks_event e = { 0 };

	e.type = type;
	e.pid = pid;
	e.addr = addr;
	e.pfn = pfn;
	return e;
}

static struct decision feed(struct tracker *t, uint32_t type, uint32_t pid, uint64_t addr,
			    uint64_t pfn)
{
	struct ks_event e = ev(type, pid, addr, pfn);

	return tracker_on_event(t, &e);
}

static struct decision fault(struct tracker *t, uint32_t pid, uint64_t addr)
{
	struct ks_event e = ev(KS_REC_COW_FAULT, pid, addr, 0);

	e.fault_code = KS_PF_PROT | KS_PF_WRITE;
	return tracker_on_event(t, &e);
}

static void test_names(void)
{
	CHECK_STR(out_kind_name(OUT_NONE), "none");
	CHECK_STR(out_kind_name(OUT_MERGE), "merge");
	CHECK_STR(out_kind_name(OUT_ZERO_MERGE), "zero_merge");
	CHECK_STR(out_kind_name(OUT_KSM_PAGE_FREED), "ksm_page_freed");
	CHECK_STR(out_kind_name(OUT_RMAP_REMOVED), "rmap_removed");
	CHECK_STR(out_kind_name(OUT_SCAN_START), "scan_start");
	CHECK_STR(out_kind_name(OUT_SCAN_STOP), "scan_stop");
	CHECK_STR(out_kind_name(OUT_KSM_ENTER), "ksm_enter");
	CHECK_STR(out_kind_name(OUT_KSM_EXIT), "ksm_exit");
	CHECK_STR(out_kind_name(OUT_UNMERGE), "unmerge");
	CHECK_STR(out_kind_name(OUT__MAX), "none");
	CHECK_STR(out_kind_name((enum out_kind)-1), "none");
	CHECK_U64(OUT__MAX, 10);
}

static void test_kinds(void)
{
	struct tracker t;

	CHECK_U64(tracker_init(&t), 0);
	CHECK_U64(feed(&t, KS_REC_MERGE, 1, A1, 100).kind, OUT_MERGE);
	CHECK_U64(feed(&t, KS_REC_ZERO_MERGE, 1, A2, 0).kind, OUT_ZERO_MERGE);
	CHECK_U64(feed(&t, KS_REC_KSM_PAGE_FREED, 0, 0, 555).kind, OUT_KSM_PAGE_FREED);
	CHECK_U64(feed(&t, KS_REC_RMAP_REMOVED, 1, A3, 0).kind, OUT_RMAP_REMOVED);
	CHECK_U64(feed(&t, KS_REC_SCAN_START, 0, 0, 0).kind, OUT_SCAN_START);
	CHECK_U64(feed(&t, KS_REC_SCAN_STOP, 0, 0, 0).kind, OUT_SCAN_STOP);
	CHECK_U64(feed(&t, KS_REC_KSM_ENTER, 2, 0, 0).kind, OUT_KSM_ENTER);
	CHECK_U64(feed(&t, KS_REC_KSM_EXIT, 2, 0, 0).kind, OUT_KSM_EXIT);
	/* unknown tags print nothing and change nothing */
	CHECK_U64(feed(&t, 0, 1, A1, 0).kind, OUT_NONE);
	CHECK_U64(feed(&t, KS_REC__MAX, 1, A1, 0).kind, OUT_NONE);
	CHECK_U64(feed(&t, 0xffffffff, 1, A1, 0).kind, OUT_NONE);
	CHECK_U64(tracker_sites(&t), 2);
	CHECK_U64(t.cow_other, 0);
	tracker_free(&t);
}

static void test_merge_then_fault(void)
{
	struct tracker t;
	struct decision d;

	CHECK_U64(tracker_init(&t), 0);
	CHECK_U64(tracker_sites(&t), 0);
	feed(&t, KS_REC_MERGE, 10, A1, 1234);
	feed(&t, KS_REC_MERGE, 10, A2, 1234);
	feed(&t, KS_REC_MERGE, 11, A1, 1234); /* same address, another process */
	CHECK_U64(tracker_sites(&t), 3);

	d = fault(&t, 10, A1);
	CHECK_U64(d.kind, OUT_UNMERGE);
	CHECK_U64(d.pfn, 1234);
	CHECK(!d.zero);
	CHECK_U64(tracker_sites(&t), 2);
	/* the COW broke the sharing: a second write is an ordinary fault */
	d = fault(&t, 10, A1);
	CHECK_U64(d.kind, OUT_NONE);
	CHECK_U64(t.cow_other, 1);
	/* the other process's site at the same address is untouched */
	d = fault(&t, 11, A1);
	CHECK_U64(d.kind, OUT_UNMERGE);
	CHECK_U64(d.pfn, 1234);
	CHECK_U64(tracker_sites(&t), 1);
	CHECK_U64(t.stale_hits, 0);
	tracker_free(&t);
}

static void test_unknown_fault(void)
{
	struct tracker t;
	struct decision d;

	CHECK_U64(tracker_init(&t), 0);
	d = fault(&t, 10, A1);
	CHECK_U64(d.kind, OUT_NONE);
	CHECK_U64(d.pfn, 0);
	CHECK_U64(t.cow_other, 1);
	feed(&t, KS_REC_MERGE, 10, A1, 77);
	/* another page of the same process, and the same page of another process */
	CHECK_U64(fault(&t, 10, A2).kind, OUT_NONE);
	CHECK_U64(fault(&t, 12, A1).kind, OUT_NONE);
	CHECK_U64(t.cow_other, 3);
	CHECK_U64(tracker_sites(&t), 1);
	tracker_free(&t);
}

static void test_failed_merge(void)
{
	struct tracker t;
	struct ks_event e = ev(KS_REC_MERGE, 10, A1, 55);
	struct decision d;

	CHECK_U64(tracker_init(&t), 0);
	e.err = -16; /* -EBUSY */
	d = tracker_on_event(&t, &e);
	CHECK_U64(d.kind, OUT_MERGE); /* printed, as a failure */
	CHECK_U64(tracker_sites(&t), 0);
	e.type = KS_REC_ZERO_MERGE;
	d = tracker_on_event(&t, &e);
	CHECK_U64(d.kind, OUT_ZERO_MERGE);
	CHECK_U64(tracker_sites(&t), 0);
	CHECK_U64(fault(&t, 10, A1).kind, OUT_NONE);
	CHECK_U64(t.cow_other, 1);

	/* a failed re-merge does not drop an earlier successful merge */
	feed(&t, KS_REC_MERGE, 10, A2, 66);
	e = ev(KS_REC_MERGE, 10, A2, 99);
	e.err = -14;
	tracker_on_event(&t, &e);
	d = fault(&t, 10, A2);
	CHECK_U64(d.kind, OUT_UNMERGE);
	CHECK_U64(d.pfn, 66);
	tracker_free(&t);
}

static void test_rmap_removed(void)
{
	struct tracker t;

	CHECK_U64(tracker_init(&t), 0);
	feed(&t, KS_REC_MERGE, 10, A1, 5);
	feed(&t, KS_REC_MERGE, 10, A2, 5);
	CHECK_U64(feed(&t, KS_REC_RMAP_REMOVED, 10, A1, 0).kind, OUT_RMAP_REMOVED);
	CHECK_U64(tracker_sites(&t), 1);
	CHECK_U64(fault(&t, 10, A1).kind, OUT_NONE);
	CHECK_U64(fault(&t, 10, A2).kind, OUT_UNMERGE);
	/* removing an unknown site is harmless */
	CHECK_U64(feed(&t, KS_REC_RMAP_REMOVED, 99, A3, 0).kind, OUT_RMAP_REMOVED);
	CHECK_U64(tracker_sites(&t), 0);
	tracker_free(&t);
}

static void test_ksm_exit(void)
{
	struct tracker t;

	CHECK_U64(tracker_init(&t), 0);
	for (uint64_t i = 0; i < 100; i++) {
		feed(&t, KS_REC_MERGE, 10, A1 + (i << 12), 5 + i);
		feed(&t, KS_REC_MERGE, 11, A1 + (i << 12), 5 + i);
	}
	CHECK_U64(tracker_sites(&t), 200);
	CHECK_U64(feed(&t, KS_REC_KSM_EXIT, 10, 0, 0).kind, OUT_KSM_EXIT);
	CHECK_U64(tracker_sites(&t), 100);
	CHECK_U64(fault(&t, 10, A1).kind, OUT_NONE);
	CHECK_U64(fault(&t, 11, A1 + (99 << 12)).kind, OUT_UNMERGE);
	/* ksm_enter learns nothing by itself */
	CHECK_U64(feed(&t, KS_REC_KSM_ENTER, 12, 0, 0).kind, OUT_KSM_ENTER);
	CHECK_U64(tracker_sites(&t), 99);

	tracker_forget_pid(&t, 11);
	CHECK_U64(tracker_sites(&t), 0);
	tracker_free(&t);
}

static void test_owner_unknown(void)
{
	struct tracker t;
	struct ks_event e;

	CHECK_U64(tracker_init(&t), 0);
	feed(&t, KS_REC_MERGE, 10, A1, 5);

	/* merges of an unknown owner are printed but remembered nowhere */
	e = ev(KS_REC_MERGE, 0, A2, 6);
	e.flags = KS_F_OWNER_UNKNOWN;
	CHECK_U64(tracker_on_event(&t, &e).kind, OUT_MERGE);
	e.type = KS_REC_ZERO_MERGE;
	CHECK_U64(tracker_on_event(&t, &e).kind, OUT_ZERO_MERGE);
	CHECK_U64(tracker_sites(&t), 1);
	CHECK_U64(fault(&t, 0, A2).kind, OUT_NONE);

	/* its pid field is not trusted: no removal by rmap_removed or ksm_exit */
	e = ev(KS_REC_RMAP_REMOVED, 10, A1, 0);
	e.flags = KS_F_OWNER_UNKNOWN;
	CHECK_U64(tracker_on_event(&t, &e).kind, OUT_RMAP_REMOVED);
	CHECK_U64(tracker_sites(&t), 1);
	e.type = KS_REC_KSM_EXIT;
	CHECK_U64(tracker_on_event(&t, &e).kind, OUT_KSM_EXIT);
	CHECK_U64(tracker_sites(&t), 1);
	CHECK_U64(fault(&t, 10, A1).kind, OUT_UNMERGE);
	tracker_free(&t);
}

static void test_zero_merge(void)
{
	struct tracker t;
	struct decision d;

	CHECK_U64(tracker_init(&t), 0);
	/* the record may carry the zero page's pfn: the unmerge reports 0 (no frame) */
	feed(&t, KS_REC_ZERO_MERGE, 10, A1, 4242);
	CHECK_U64(tracker_sites(&t), 1);
	d = fault(&t, 10, A1);
	CHECK_U64(d.kind, OUT_UNMERGE);
	CHECK(d.zero);
	CHECK_U64(d.pfn, 0);
	CHECK_U64(fault(&t, 10, A1).kind, OUT_NONE);

	/* a freed KSM page with the same pfn number says nothing about the zero page */
	feed(&t, KS_REC_ZERO_MERGE, 10, A2, 4242);
	feed(&t, KS_REC_KSM_PAGE_FREED, 0, 0, 4242);
	d = fault(&t, 10, A2);
	CHECK_U64(d.kind, OUT_UNMERGE);
	CHECK(d.zero);
	CHECK_U64(t.stale_hits, 0);

	/* a site re-merged from the zero page to a KSM page is a KSM site again */
	feed(&t, KS_REC_ZERO_MERGE, 10, A3, 0);
	feed(&t, KS_REC_MERGE, 10, A3, 31);
	d = fault(&t, 10, A3);
	CHECK_U64(d.kind, OUT_UNMERGE);
	CHECK(!d.zero);
	CHECK_U64(d.pfn, 31);
	tracker_free(&t);
}

static void test_stale_after_free(void)
{
	struct tracker t;
	struct decision d;

	CHECK_U64(tracker_init(&t), 0);
	feed(&t, KS_REC_MERGE, 10, A1, 500); /* site A1 on KSM page 500 */
	feed(&t, KS_REC_MERGE, 10, A2, 600);
	/* page 500 is freed: A1 left it without a record we saw (e.g. a COW we missed) */
	CHECK_U64(feed(&t, KS_REC_KSM_PAGE_FREED, 0, 0, 500).kind, OUT_KSM_PAGE_FREED);
	/* pfn 500 becomes a KSM page again, A3 merges onto it */
	feed(&t, KS_REC_MERGE, 10, A3, 500);

	d = fault(&t, 10, A1);
	CHECK_U64(d.kind, OUT_NONE); /* stale: not an unmerge */
	CHECK_U64(t.stale_hits, 1);
	CHECK_U64(t.cow_other, 1);
	CHECK_U64(tracker_sites(&t), 2); /* but the stale site is forgotten */
	CHECK_U64(fault(&t, 10, A1).kind, OUT_NONE);
	CHECK_U64(t.stale_hits, 1); /* the second fault is just another fault */
	CHECK_U64(t.cow_other, 2);

	d = fault(&t, 10, A3); /* merged onto the reused pfn after the free */
	CHECK_U64(d.kind, OUT_UNMERGE);
	CHECK_U64(d.pfn, 500);
	d = fault(&t, 10, A2); /* another page's free does not matter */
	CHECK_U64(d.kind, OUT_UNMERGE);
	CHECK_U64(d.pfn, 600);
	CHECK_U64(t.stale_hits, 1);

	/* the same site re-merged onto the same pfn after the free is live again */
	feed(&t, KS_REC_MERGE, 20, A1, 700);
	feed(&t, KS_REC_KSM_PAGE_FREED, 0, 0, 700);
	feed(&t, KS_REC_MERGE, 20, A1, 700);
	d = fault(&t, 20, A1);
	CHECK_U64(d.kind, OUT_UNMERGE);
	CHECK_U64(d.pfn, 700);

	/* a second free after the re-merge makes it stale again */
	feed(&t, KS_REC_MERGE, 20, A2, 800);
	feed(&t, KS_REC_KSM_PAGE_FREED, 0, 0, 800);
	feed(&t, KS_REC_MERGE, 20, A3, 800);
	feed(&t, KS_REC_KSM_PAGE_FREED, 0, 0, 800);
	CHECK_U64(fault(&t, 20, A2).kind, OUT_NONE);
	CHECK_U64(fault(&t, 20, A3).kind, OUT_NONE);
	CHECK_U64(t.stale_hits, 3);
	tracker_free(&t);
}

static void test_add_site(void)
{
	struct tracker t;
	struct decision d;

	CHECK_U64(tracker_init(&t), 0);
	/* sites found by the pagemap pass behave like merges seen live */
	CHECK_U64(tracker_add_site(&t, 30, A1, 900, false), 0);
	CHECK_U64(tracker_add_site(&t, 30, A2, 0, true), 0);
	CHECK_U64(tracker_sites(&t), 2);
	d = fault(&t, 30, A1);
	CHECK_U64(d.kind, OUT_UNMERGE);
	CHECK_U64(d.pfn, 900);
	CHECK(!d.zero);
	d = fault(&t, 30, A2);
	CHECK_U64(d.kind, OUT_UNMERGE);
	CHECK(d.zero);
	/* a pass after a free: the site is newer than the free */
	feed(&t, KS_REC_KSM_PAGE_FREED, 0, 0, 901);
	tracker_add_site(&t, 30, A3, 901, false);
	CHECK_U64(fault(&t, 30, A3).kind, OUT_UNMERGE);
	/* adding twice keeps one site */
	tracker_add_site(&t, 31, A1, 1, false);
	tracker_add_site(&t, 31, A1, 2, false);
	CHECK_U64(tracker_sites(&t), 1);
	CHECK_U64(fault(&t, 31, A1).pfn, 2);
	tracker_free(&t);
}

static void test_many_sites(void)
{
	struct tracker t;
	uint64_t unmerges = 0, bad = 0;

	CHECK_U64(tracker_init(&t), 0);
	for (uint32_t pid = 1; pid <= 20; pid++)
		for (uint64_t p = 0; p < 5000; p++)
			feed(&t, KS_REC_MERGE, pid, p << 12, 1000 + p);
	CHECK_U64(tracker_sites(&t), 100000);
	for (uint32_t pid = 1; pid <= 20; pid += 2)
		feed(&t, KS_REC_KSM_EXIT, pid, 0, 0);
	CHECK_U64(tracker_sites(&t), 50000);
	for (uint32_t pid = 1; pid <= 20; pid++)
		for (uint64_t p = 0; p < 5000; p++) {
			struct decision d = fault(&t, pid, p << 12);

			if (d.kind == OUT_UNMERGE) {
				unmerges++;
				if (d.pfn != 1000 + p || pid % 2)
					bad++;
			}
		}
	CHECK_U64(unmerges, 50000);
	CHECK_U64(bad, 0);
	CHECK_U64(t.cow_other, 50000);
	CHECK_U64(tracker_sites(&t), 0);
	tracker_free(&t);
}

int main(void)
{
	RUN(test_names);
	RUN(test_kinds);
	RUN(test_merge_then_fault);
	RUN(test_unknown_fault);
	RUN(test_failed_merge);
	RUN(test_rmap_removed);
	RUN(test_ksm_exit);
	RUN(test_owner_unknown);
	RUN(test_zero_merge);
	RUN(test_stale_after_free);
	RUN(test_add_site);
	RUN(test_many_sites);
	RESULT();
}
