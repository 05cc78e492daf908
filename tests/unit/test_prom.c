// SPDX-License-Identifier: GPL-2.0-only
/* The Prometheus exposition of a hand-built snapshot: names, labels, escaping, NaN, histograms. */
#include <math.h>
#include <stdlib.h>

#include "harness.h"
#include "scanner/audit.h"
#include "sinks/prom.h"

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p += n)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

static size_t count(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static struct snapshot snap;
static struct group_live grp[2];
static const uint32_t pids0[] = { 42 }, pids1[] = { 43, 44 };

static void setup(void)
{
	memset(&snap, 0, sizeof(snap));
	memset(grp, 0, sizeof(grp));
	snap.have_pass = true;
	snap.total.sites = 100;
	snap.total.saveable = 40;
	snap.total.saveable_self = 30;
	snap.total.saveable_inter = 10;
	snap.total.saveable_zero = 5;
	snap.total.effectiveness = NAN;
	snap.ctotal.missed[MISS_PENDING] = 7;
	grp[0] = (struct group_live){ .key = "42", .comm = "qemu \"vm\"\\1", .pids = pids0, .npids = 1 };
	grp[0].m.sites = 60;
	grp[0].m.saveable = 24.5;
	grp[0].m.effectiveness = 0.25;
	grp[0].c.missed[MISS_PENDING] = 7;
	grp[0].merges = 9;
	grp[1] = (struct group_live){ .key = "43", .comm = "b", .pids = pids1, .npids = 2 };
	snap.groups = grp;
	snap.ngroups = 2;
	snap.merges = 9;
	snap.unmerges = 3;
	latency_add(&snap.latency, 0.2);
	latency_add(&snap.latency, 3);
	latency_add(&snap.latency, 7200);
	snap.ksmd_cpu_seconds = 1.5;
}

static void test_families_and_labels(void)
{
	struct sbuf o = { 0 };

	setup();
	prom_render(&o, &snap, true);
	CHECK(!o.oom);
	CHECK(has_line(o.buf, "# TYPE ksmscope_sites_pages gauge"));
	CHECK(has_line(o.buf, "ksmscope_sites_pages{group=\"all\"} 100"));
	/* pid and comm when grouping by process; comm escaped */
	CHECK(has_line(o.buf, "ksmscope_sites_pages{group=\"42\",pid=\"42\",comm=\"qemu \\\"vm\\\"\\\\1\"} 60"));
	CHECK(has_line(o.buf, "ksmscope_saveable_pages{group=\"all\",kind=\"inter\"} 10"));
	CHECK(has_line(o.buf, "ksmscope_saveable_pages{group=\"42\",pid=\"42\",comm=\"qemu \\\"vm\\\"\\\\1\",kind=\"total\"} 24.5"));
	CHECK(has_line(o.buf, "ksmscope_effectiveness_ratio{group=\"all\"} NaN"));
	CHECK(has_line(o.buf, "ksmscope_missed_pages{group=\"all\",reason=\"pending\"} 7"));
	CHECK(has_line(o.buf, "ksmscope_merges_total{group=\"all\"} 9"));
	CHECK(has_line(o.buf, "ksmscope_unmerges_total{group=\"all\"} 3"));
	CHECK(has_line(o.buf, "ksmscope_ksmd_cpu_seconds_total{group=\"all\"} 1.5"));
	CHECK(has_line(o.buf, "# TYPE ksmscope_merges_total counter"));
	/* one HELP and one TYPE per family, even with several kinds */
	CHECK_U64(count(o.buf, "# TYPE ksmscope_saveable_pages "), 1);
	CHECK_U64(count(o.buf, "# HELP ksmscope_saveable_pages "), 1);
	CHECK_U64(count(o.buf, "ksmscope_saveable_pages{"), 4 * 3);
	sbuf_free(&o);
}

/* The audit families: only with an audit, the first audit_top pairs, each both ways, keys escaped. */
static void test_audit(void)
{
	struct audit_pair pairs[2] = { { 0, 1, 3, 5, 6 }, { 1, 0, 1, 1, 1 } };
	struct audit_out a = { .cross_frames = 4, .cross_pages = 13, .pairs = pairs, .npairs = 2 };
	struct sbuf o = { 0 };

	setup();
	prom_render(&o, &snap, true);
	CHECK(!strstr(o.buf, "cross_domain"));
	snap.audit = &a;
	snap.audit_top = 1;
	prom_render(&o, &snap, true);
	CHECK(has_line(o.buf, "ksmscope_cross_domain_frames{group=\"all\"} 4"));
	CHECK(has_line(o.buf, "ksmscope_cross_domain_pages{group=\"all\"} 13"));
	CHECK(has_line(o.buf, "ksmscope_domain_shared_pages{domain=\"42\",peer=\"43\"} 5"));
	CHECK(has_line(o.buf, "ksmscope_domain_shared_pages{domain=\"43\",peer=\"42\"} 6"));
	CHECK_U64(count(o.buf, "ksmscope_domain_shared_pages{"), 2);
	CHECK_U64(count(o.buf, "# TYPE ksmscope_domain_shared_pages gauge"), 1);
	snap.audit_top = 0;
	prom_render(&o, &snap, true);
	CHECK_U64(count(o.buf, "ksmscope_domain_shared_pages{"), 0);
	snap.audit = NULL;
	sbuf_free(&o);
}

static void test_histogram(void)
{
	struct sbuf o = { 0 };

	setup();
	prom_render(&o, &snap, false);
	CHECK(has_line(o.buf, "# TYPE ksmscope_merge_latency_seconds histogram"));
	CHECK(has_line(o.buf, "ksmscope_merge_latency_seconds_bucket{group=\"all\",le=\"0.5\"} 1"));
	CHECK(has_line(o.buf, "ksmscope_merge_latency_seconds_bucket{group=\"all\",le=\"2\"} 1"));
	CHECK(has_line(o.buf, "ksmscope_merge_latency_seconds_bucket{group=\"all\",le=\"5\"} 2"));
	CHECK(has_line(o.buf, "ksmscope_merge_latency_seconds_bucket{group=\"all\",le=\"3600\"} 2"));
	CHECK(has_line(o.buf, "ksmscope_merge_latency_seconds_bucket{group=\"all\",le=\"+Inf\"} 3"));
	CHECK(has_line(o.buf, "ksmscope_merge_latency_seconds_count{group=\"all\"} 3"));
	CHECK(has_line(o.buf, "ksmscope_merge_latency_seconds_sum{group=\"all\"} 7203.2"));
	/* not by process: no pid label */
	CHECK(has_line(o.buf, "ksmscope_sites_pages{group=\"42\"} 60"));
	sbuf_free(&o);
}

static void test_before_first_pass(void)
{
	struct sbuf o = { 0 };

	setup();
	snap.have_pass = false;
	snap.ngroups = 0;
	prom_render(&o, &snap, true);
	CHECK(!strstr(o.buf, "ksmscope_sites_pages"));
	CHECK(has_line(o.buf, "ksmscope_merges_total{group=\"all\"} 9"));
	CHECK(has_line(o.buf, "ksmscope_pass_duration_seconds{group=\"all\"} NaN"));
	/* rendering again reuses the buffer from the start */
	prom_render(&o, &snap, true);
	CHECK_U64(count(o.buf, "# TYPE ksmscope_merges_total"), 1);
	sbuf_free(&o);
}

int main(void)
{
	RUN(test_families_and_labels);
	RUN(test_histogram);
	RUN(test_audit);
	RUN(test_before_first_pass);
	RESULT();
}
