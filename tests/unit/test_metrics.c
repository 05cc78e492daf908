// SPDX-License-Identifier: GPL-2.0-only
/*
 * Each metric's names, pinned: the JSON members of a metrics object and its
 * standard errors, and the Prometheus gauges, byte for byte and in order, as
 * docs/metrics.md lists them and scrapers and recordings read them.
 */
#include <math.h>
#include <stdlib.h>

#include "harness.h"
#include "sinks/prom.h"
#include "sinks/scan_out.h"

/* every field a different value, so a field under the wrong name shows */
static const struct metrics M = {
	.sites = 1, .frames = 2, .contents = 3, .zero_sites = 4, .zero_mapped = 5, .swapped = 6,
	.saveable = 7, .saveable_self = 8, .saveable_inter = 9, .saveable_zero = 10,
	.mergeable_sites = 11, .saveable_mergeable = 12, .ksm_sites = 13, .ksm_frames = 14,
	.ksm_saved = 15, .ksm_zero_pages = 16, .achievable = 17, .effectiveness = 0.5, .thp_sites = 19,
	.unshare_debt_pages = 22, .shared_sites = 23, .hugetlb_sites = 24,
	.subpage = { 2048, 1024, 512, 256 }, .isites = 21,
};

static const char json_want[] =
	"{\"sites\": 1, \"frames\": 2, \"contents\": 3, \"zero_sites\": 4, \"zero_mapped\": 5, \"swapped\": 6, "
	"\"saveable\": 7, \"saveable_self\": 8, \"saveable_inter\": 9, \"saveable_zero\": 10, "
	"\"mergeable_sites\": 11, \"saveable_mergeable\": 12, \"ksm_sites\": 13, \"ksm_frames\": 14, "
	"\"ksm_saved\": 15, \"ksm_zero_pages\": 16, \"unshare_debt_pages\": 22, \"achievable\": 17, "
	"\"effectiveness\": 0.500, \"thp_sites\": 19, \"shared_sites\": 23, \"hugetlb_sites\": 24, \"subpage\": {\"2048\": 2048, \"1024\": 1024, \"512\": 512, \"256\": 256}, "
	"\"sites_se\": 1, \"frames_se\": 2, \"contents_se\": 3, \"zero_sites_se\": 4, \"zero_mapped_se\": 5, "
	"\"swapped_se\": 6, \"saveable_se\": 7, \"saveable_self_se\": 8, \"saveable_inter_se\": 9, "
	"\"saveable_zero_se\": 10, \"mergeable_sites_se\": 11, \"saveable_mergeable_se\": 12, "
	"\"ksm_sites_se\": 13, \"ksm_frames_se\": 14, \"ksm_saved_se\": 15, \"ksm_zero_pages_se\": 16, "
	"\"unshare_debt_pages_se\": 22, \"achievable_se\": 17, \"effectiveness_se\": 0.500, \"thp_sites_se\": 19, "
	"\"shared_sites_se\": 23, \"hugetlb_sites_se\": 24}";

static void test_json_names(void)
{
	struct jw w;

	jw_init(&w);
	jw_obj_begin(&w);
	metrics_json(&w, &M, true);
	standard_errors_json(&w, &M);
	jw_obj_end(&w);
	CHECK_STR(w.b.buf, json_want);
	jw_free(&w);
}

static void test_json_unestimated(void)
{
	struct jw w;

	jw_init(&w);
	jw_obj_begin(&w);
	metrics_json(&w, &M, false);
	standard_errors_json(&w, NULL);
	jw_obj_end(&w);
	CHECK(strstr(w.b.buf, "\"subpage\": {\"2048\": null, \"1024\": null, \"512\": null, \"256\": null}, "
			      "\"sites_se\": null, ") != NULL);
	CHECK(strstr(w.b.buf, "\"hugetlb_sites_se\": null}") != NULL);
	CHECK(strstr(w.b.buf, "isites") == NULL);
	jw_free(&w);
}

/* the gauges of struct metrics: everything before the missed reasons */
static const char prom_want[] =
	"# HELP ksmscope_sites_pages Present private anonymous pages of the targets (sites), from the last pass.\n"
	"# TYPE ksmscope_sites_pages gauge\n"
	"ksmscope_sites_pages{group=\"all\"} 1\n"
	"# HELP ksmscope_frames_pages Distinct physical frames behind the sites.\n"
	"# TYPE ksmscope_frames_pages gauge\n"
	"ksmscope_frames_pages{group=\"all\"} 2\n"
	"# HELP ksmscope_contents_pages Distinct page contents among the sites.\n"
	"# TYPE ksmscope_contents_pages gauge\n"
	"ksmscope_contents_pages{group=\"all\"} 3\n"
	"# HELP ksmscope_zero_sites_pages Sites whose content is all zero bytes.\n"
	"# TYPE ksmscope_zero_sites_pages gauge\n"
	"ksmscope_zero_sites_pages{group=\"all\"} 4\n"
	"# HELP ksmscope_zero_mapped_pages Mappings of the shared zero page (already free; not KSM's).\n"
	"# TYPE ksmscope_zero_mapped_pages gauge\n"
	"ksmscope_zero_mapped_pages{group=\"all\"} 5\n"
	"# HELP ksmscope_swapped_pages Swapped-out pages of the targets.\n"
	"# TYPE ksmscope_swapped_pages gauge\n"
	"ksmscope_swapped_pages{group=\"all\"} 6\n"
	"# HELP ksmscope_saveable_pages Pages identical contents could save (sites - contents), by kind.\n"
	"# TYPE ksmscope_saveable_pages gauge\n"
	"ksmscope_saveable_pages{group=\"all\",kind=\"total\"} 7\n"
	"ksmscope_saveable_pages{group=\"all\",kind=\"self\"} 8\n"
	"ksmscope_saveable_pages{group=\"all\",kind=\"inter\"} 9\n"
	"ksmscope_saveable_pages{group=\"all\",kind=\"zero\"} 10\n"
	"# HELP ksmscope_mergeable_sites_pages Sites in VM_MERGEABLE ranges.\n"
	"# TYPE ksmscope_mergeable_sites_pages gauge\n"
	"ksmscope_mergeable_sites_pages{group=\"all\"} 11\n"
	"# HELP ksmscope_mergeable_saveable_pages Saveable pages within VM_MERGEABLE ranges.\n"
	"# TYPE ksmscope_mergeable_saveable_pages gauge\n"
	"ksmscope_mergeable_saveable_pages{group=\"all\"} 12\n"
	"# HELP ksmscope_achievable_pages Mergeable saving KSM can make under max_page_sharing.\n"
	"# TYPE ksmscope_achievable_pages gauge\n"
	"ksmscope_achievable_pages{group=\"all\"} 17\n"
	"# HELP ksmscope_thp_sites_pages Sites inside transparent huge pages.\n"
	"# TYPE ksmscope_thp_sites_pages gauge\n"
	"ksmscope_thp_sites_pages{group=\"all\"} 19\n"
	"# HELP ksmscope_ksm_sites_pages Sites on KSM pages, live.\n"
	"# TYPE ksmscope_ksm_sites_pages gauge\n"
	"ksmscope_ksm_sites_pages{group=\"all\"} 13\n"
	"# HELP ksmscope_ksm_frames_pages KSM pages behind those sites, live.\n"
	"# TYPE ksmscope_ksm_frames_pages gauge\n"
	"ksmscope_ksm_frames_pages{group=\"all\"} 14\n"
	"# HELP ksmscope_ksm_saved_pages Pages KSM saves (ksm_sites - ksm_frames), live; zero-page merges not included.\n"
	"# TYPE ksmscope_ksm_saved_pages gauge\n"
	"ksmscope_ksm_saved_pages{group=\"all\"} 15\n"
	"# HELP ksmscope_ksm_zero_pages Sites KSM merged into the zero page (use_zero_pages=1), live.\n"
	"# TYPE ksmscope_ksm_zero_pages gauge\n"
	"ksmscope_ksm_zero_pages{group=\"all\"} 16\n"
	"# HELP ksmscope_effectiveness_ratio (ksm_saved + ksm_zero_pages) / mergeable saveable pages; NaN when nothing mergeable is saveable.\n"
	"# TYPE ksmscope_effectiveness_ratio gauge\n"
	"ksmscope_effectiveness_ratio{group=\"all\"} 0.5\n"
	"# HELP ksmscope_unshare_debt_pages Pages writes to every merged page would allocate again: ksm_saved + ksm_zero_pages, live.\n"
	"# TYPE ksmscope_unshare_debt_pages gauge\n"
	"ksmscope_unshare_debt_pages{group=\"all\"} 22\n"
	"# HELP ksmscope_shared_sites_pages Resident pages of the targets' shared mappings (shmem, memfd, a VM's shared RAM): KSM cannot merge them.\n"
	"# TYPE ksmscope_shared_sites_pages gauge\n"
	"ksmscope_shared_sites_pages{group=\"all\"} 23\n"
	"# HELP ksmscope_hugetlb_sites_pages Resident 4 KiB pages of the targets' hugetlb mappings: KSM cannot merge them.\n"
	"# TYPE ksmscope_hugetlb_sites_pages gauge\n"
	"ksmscope_hugetlb_sites_pages{group=\"all\"} 24\n";

static void test_prom_gauges(void)
{
	struct snapshot s;
	struct sbuf o = { 0 };
	const char *end;

	memset(&s, 0, sizeof(s));
	s.have_pass = true;
	s.total = M;
	prom_render(&o, &s, false);
	CHECK(!o.oom);
	end = o.buf ? strstr(o.buf, "# HELP ksmscope_missed_pages ") : NULL;
	CHECK(end != NULL);
	if (end) {
		o.buf[end - o.buf] = '\0';
		CHECK_STR(o.buf, prom_want);
	}
	sbuf_free(&o);
}

static void test_effectiveness(void)
{
	struct metrics m = { .ksm_saved = 3, .ksm_zero_pages = 1, .saveable_mergeable = 8 };

	CHECK(metrics_effectiveness(&m) == 0.5);
	m.saveable_mergeable = 0;
	CHECK(isnan(metrics_effectiveness(&m)));
}

int main(void)
{
	RUN(test_json_names);
	RUN(test_json_unestimated);
	RUN(test_prom_gauges);
	RUN(test_effectiveness);
	RESULT();
}
