// SPDX-License-Identifier: GPL-2.0-only
/* doctor_findings on hand-built inputs: each code when due, its pages, and the order. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "scanner/findings.h"

static struct doctor_ksm ksm_on(void)
{
	return (struct doctor_ksm){ true, 1, 100, 20, 256, 0, 1000, 0, 1 << 20, 0 };
}

static const struct finding *find(const struct finding *f, size_t n, const char *code, uint32_t group)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(f[i].code, code) && f[i].group == group)
			return &f[i];
	return NULL;
}

static void test_unavailable_alone(void)
{
	struct doctor_input in = { .scan_bound = 600 };
	struct finding *f;
	size_t n;

	CHECK(doctor_findings(&in, &f, &n) == 0);
	CHECK(n == 1 && !strcmp(f[0].code, "ksm_unavailable") && f[0].severity == SEV_CRITICAL);
	free(f);
}

static void test_each_code(void)
{
	struct metrics total = { 0 }, groups[2] = { { 0 } };
	struct doctor_input in = { ksm_on(), &total, groups, 2, 600, NULL, { 0, 0, NULL, NULL, -1 } };
	const struct finding *x;
	struct finding *f;
	size_t n;

	/* nothing due: a clean host */
	total.mergeable_sites = 1000;
	CHECK(doctor_findings(&in, &f, &n) == 0);
	CHECK_U64(n, 0);
	free(f);

	total.saveable_mergeable = 500;
	total.achievable = 480;                /* 20 over max_page_sharing */
	total.saveable_zero = 30;              /* use_zero_pages=0 */
	total.mergeable_sites = 100 * 1000;    /* 100k pages at 5000 pages/s: 20 s */
	groups[0].saveable = 900;
	groups[0].saveable_mergeable = 400;    /* 500 outside mergeable ranges */
	groups[1].shared_sites = 2000;
	groups[1].hugetlb_sites = 512;
	in.ksm.run = 0;
	CHECK(doctor_findings(&in, &f, &n) == 0);
	CHECK_U64(n, 6);
	x = find(f, n, "ksm_off", FINDING_ALL);
	CHECK(x && x->pages == 480 && x->severity == SEV_WARNING);
	x = find(f, n, "max_page_sharing", FINDING_ALL);
	CHECK(x && x->pages == 20);
	x = find(f, n, "zero_pages", FINDING_ALL);
	CHECK(x && x->pages == 30);
	x = find(f, n, "not_mergeable", 0);
	CHECK(x && x->pages == 500 && x->severity == SEV_WARNING);
	CHECK(find(f, n, "shared_memory", 1) && find(f, n, "hugetlb", 1));
	/* most costly first */
	for (size_t i = 1; i < n; i++)
		CHECK(f[i - 1].pages >= f[i].pages);
	CHECK(!strcmp(f[0].code, "shared_memory"));
	free(f);

	/* run=2, a slow scan and an unshare debt over what is available */
	in.ksm.run = 2;
	CHECK(doctor_findings(&in, &f, &n) == 0);
	x = find(f, n, "ksm_unmerging", FINDING_ALL);
	CHECK(x && x->severity == SEV_CRITICAL);
	free(f);
	in.ksm.run = 1;
	in.ksm.pages_to_scan = 10; /* 500 pages/s: 200 s */
	in.scan_bound = 100;
	in.ksm.pages_sharing = 3000;
	in.ksm.ksm_zero_pages = 100;
	in.ksm.mem_available_pages = 2000;
	CHECK(doctor_findings(&in, &f, &n) == 0);
	x = find(f, n, "slow_scan", FINDING_ALL);
	CHECK(x && x->nevidence >= 1 && x->evidence[0].value == 200);
	CHECK(x && strstr(x->fix, "echo 20 > /sys/kernel/mm/ksm/pages_to_scan"));
	x = find(f, n, "unshare_debt", FINDING_ALL);
	CHECK(x && x->pages == 3100 && x->severity == SEV_CRITICAL);
	CHECK(!find(f, n, "ksm_off", FINDING_ALL));
	free(f);
}

/* What the window and the duplicate sites give: thp, volatile, cow_storm. */
static void test_window_codes(void)
{
	struct metrics total = { .mergeable_sites = 1000 }, groups[2] = { { .thp_sites = 512, .ksm_saved = 100 },
									  { .ksm_saved = 100000 } };
	struct dup_tally thp[2] = { { 300, 299 }, { 0.4, 0.2 } }, vol[2] = { { 0, 0 }, { 40, 39 } };
	double unmerges[2] = { 16, 16 };
	struct doctor_input in = { ksm_on(), &total, groups, 2, 600, thp, { 5, 5, vol, unmerges, -1 } };
	const struct finding *x;
	struct finding *f;
	size_t n;

	CHECK(doctor_findings(&in, &f, &n) == 0);
	x = find(f, n, "thp", 0);
	CHECK(x && x->pages == 299 && x->severity == SEV_INFO && x->evidence[1].value == 300);
	CHECK(!find(f, n, "thp", 1)); /* under half a page of saving */
	x = find(f, n, "volatile", 1);
	CHECK(x && x->pages == 39 && !find(f, n, "volatile", 0));
	CHECK(x && strstr(x->fix, "within 5.0 s"));
	/* 16 in 5 s: 1920 in 600 s, over group 0's saving of 100, far under group 1's */
	x = find(f, n, "cow_storm", 0);
	CHECK(x && x->pages == 16 && x->severity == SEV_WARNING);
	CHECK(!find(f, n, "cow_storm", 1));
	free(f);

	unmerges[0] = 15; /* under COW_STORM_MIN */
	CHECK(doctor_findings(&in, &f, &n) == 0);
	CHECK(!find(f, n, "cow_storm", 0));
	free(f);

	/* not traced: the host's cow_ksm against pages_sharing (1000) + ksm_zero_pages */
	in.watch.unmerges = NULL;
	in.watch.cow_ksm = 20;
	CHECK(doctor_findings(&in, &f, &n) == 0);
	x = find(f, n, "cow_storm", FINDING_ALL);
	CHECK(x && x->pages == 20);
	free(f);
	in.ksm.pages_sharing = 100000;
	CHECK(doctor_findings(&in, &f, &n) == 0);
	CHECK(!find(f, n, "cow_storm", FINDING_ALL));
	free(f);

	/* no window: no volatile, no cow_storm; thp comes from the scan alone */
	in.watch = (struct doctor_watch){ 0 };
	in.watch.cow_ksm = 1000;
	CHECK(doctor_findings(&in, &f, &n) == 0);
	CHECK(!find(f, n, "cow_storm", FINDING_ALL) && !find(f, n, "volatile", 1) && find(f, n, "thp", 0));
	free(f);
}

int main(void)
{
	RUN(test_unavailable_alone);
	RUN(test_each_code);
	RUN(test_window_codes);
	RESULT();
}
