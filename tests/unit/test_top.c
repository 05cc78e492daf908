// SPDX-License-Identifier: GPL-2.0-only
/* top's screen from a hand-built snapshot: header, rows, sorting, the screen's size. */
#include <math.h>
#include <stdlib.h>

#include "harness.h"
#include "sinks/top.h"

static struct snapshot snap;
static struct group_live grp[3];
static const uint32_t p0[] = { 100 }, p1[] = { 200 }, p2[] = { 300 };

static void setup(void)
{
	memset(&snap, 0, sizeof(snap));
	memset(grp, 0, sizeof(grp));
	snap.have_pass = true;
	snap.passes = 2;
	snap.total.sites = 3000;
	snap.total.saveable = 1000;
	snap.total.effectiveness = NAN;
	snap.ctotal.missed[MISS_PENDING] = 256;
	snap.ctotal.missed_total = 256;
	/* big but little to save; small with much to save; middle merged */
	grp[0] = (struct group_live){ .key = "100", .comm = "bigvm", .pids = p0, .npids = 1 };
	grp[0].m.sites = 2000;
	grp[0].m.saveable = 100;
	grp[0].m.effectiveness = NAN;
	grp[1] = (struct group_live){ .key = "200", .comm = "dupvm", .pids = p1, .npids = 1 };
	grp[1].m.sites = 600;
	grp[1].m.saveable = 500;
	grp[1].m.effectiveness = 0.5;
	grp[1].c.missed[MISS_VOLATILE] = 10;
	grp[1].c.missed[MISS_PENDING] = 3;
	grp[1].unmerges_rate = 7;
	grp[2] = (struct group_live){ .key = "300", .comm = "midvm", .pids = p2, .npids = 1 };
	grp[2].m.sites = 400;
	grp[2].m.saveable = 400;
	grp[2].m.ksm_saved = 300;
	grp[2].m.effectiveness = 0.75;
	snap.groups = grp;
	snap.ngroups = 3;
}

/* The line (0-based) holding needle, or -1. */
static int line_of(const char *text, const char *needle)
{
	const char *p = strstr(text, needle);
	int n = 0;

	if (!p)
		return -1;
	for (const char *q = text; q < p; q++)
		n += *q == '\n';
	return n;
}

static void test_rows_and_sort(void)
{
	struct sbuf o = { 0 };

	setup();
	top_render(&o, &snap, SORT_SAVEABLE, 40, 200);
	CHECK(!o.oom);
	CHECK(line_of(o.buf, "ksmscope top - KSM run=") == 0);
	/* the snapshot's KSM state has no general_profit file: "-", not a number */
	CHECK(strstr(o.buf, "profit - MiB") != NULL);
	CHECK(strstr(o.buf, "Missed MiB: pending 1.0") != NULL);
	CHECK(strstr(o.buf, "sort by saveable") != NULL);
	/* by saveable: dupvm (500), midvm (400), bigvm (100) */
	CHECK(line_of(o.buf, "200        dupvm") < line_of(o.buf, "300        midvm"));
	CHECK(line_of(o.buf, "300        midvm") < line_of(o.buf, "100        bigvm"));
	/* a row's top missed reason and COW breaks */
	CHECK(strstr(o.buf, "volatile") != NULL);
	top_render(&o, &snap, SORT_ANON, 40, 200);
	CHECK(line_of(o.buf, "100        bigvm") < line_of(o.buf, "200        dupvm"));
	top_render(&o, &snap, SORT_MERGED, 40, 200);
	CHECK(line_of(o.buf, "300        midvm") < line_of(o.buf, "200        dupvm"));
	top_render(&o, &snap, SORT_COW, 40, 200);
	CHECK(line_of(o.buf, "200        dupvm") < line_of(o.buf, "100        bigvm"));
	sbuf_free(&o);
}

static void test_screen_size(void)
{
	struct sbuf o = { 0 };
	size_t lines = 0, longest = 0, cur = 0;

	setup();
	top_render(&o, &snap, SORT_SAVEABLE, 7, 40);
	for (const char *p = o.buf; *p; p++) {
		if (*p == '\n') {
			lines++;
			longest = cur > longest ? cur : longest;
			cur = 0;
		} else {
			cur++;
		}
	}
	CHECK(lines <= 7);
	CHECK(longest <= 40);
	CHECK(strstr(o.buf, "more groups") != NULL);
	sbuf_free(&o);
}

static void test_before_first_pass(void)
{
	struct sbuf o = { 0 };

	setup();
	snap.have_pass = false;
	snap.ngroups = 0;
	snap.pass_pages = 2560;
	snap.scan_rate_mib = 4;
	top_render(&o, &snap, SORT_SAVEABLE, 40, 200);
	CHECK(strstr(o.buf, "First pass under way: 10.0 MiB examined at 4 MiB/s") != NULL);
	CHECK(strstr(o.buf, "KSM saves") == NULL); /* --cgroup: KSM's side unknown too */
	/* KSM's side from the tracker before any pass: 512 sites on 32 frames save 480 pages */
	snap.tracker_only = true;
	snap.total.ksm_sites = 512;
	snap.total.ksm_frames = 32;
	snap.total.ksm_saved = 480;
	snap.total.ksm_zero_pages = 0;
	top_render(&o, &snap, SORT_SAVEABLE, 40, 200);
	CHECK(strstr(o.buf, "KSM saves 1.9 MiB of the targets' (512 sites on 32 KSM pages)") != NULL);
	sbuf_free(&o);
}

static void test_sort_names(void)
{
	CHECK(top_sort_parse("anon") == SORT_ANON);
	CHECK(top_sort_parse("cow") == SORT_COW);
	CHECK(top_sort_parse("size") == -1);
	CHECK(top_sort_of_key('e') == SORT_EFFECTIVENESS);
	CHECK(top_sort_of_key('x') == -1);
}

int main(void)
{
	RUN(test_rows_and_sort);
	RUN(test_screen_size);
	RUN(test_before_first_pass);
	RUN(test_sort_names);
	RESULT();
}
