// SPDX-License-Identifier: GPL-2.0-only
/*
 * report's pure parts: a recording built in memory is read back; the tables,
 * the HTML page and its plots, and the comparison of two fingerprints give
 * the known answers; untrusted text is escaped.
 */
#include <math.h>
#include <stdlib.h>

#include "report/compare.h"
#include "harness.h"
#include "report/recfile.h"
#include "report/recording.h"
#include "report/html.h"
#include "report/tables.h"
#include "report/svgplot.h"

static uint8_t *file;
static size_t flen;

static void append(uint32_t type, const void *payload, size_t len)
{
	uint8_t *b;
	size_t n;

	CHECK(rec_block(type, payload, len, &b, &n) == 0);
	file = realloc(file, flen + n);
	memcpy(file + flen, b, n);
	flen += n;
	free(b);
}

static void append_json(uint32_t type, const char *json)
{
	append(type, json, strlen(json));
}

/* A hashes block: JSON, then records {hash, group, sites}. */
static void append_hashes(const char *json, const uint64_t (*rec)[3], size_t n)
{
	uint32_t jl = (uint32_t)strlen(json);
	size_t len = 4 + jl + n * REC_HASH_BYTES;
	uint8_t *p = malloc(len);

	memcpy(p, &jl, 4);
	memcpy(p + 4, json, jl);
	for (size_t i = 0; i < n; i++) {
		uint32_t g = (uint32_t)rec[i][1], s = (uint32_t)rec[i][2];

		memcpy(p + 4 + jl + i * 16, &rec[i][0], 8);
		memcpy(p + 4 + jl + i * 16 + 8, &g, 4);
		memcpy(p + 4 + jl + i * 16 + 12, &s, 4);
	}
	append(REC_HASHES, p, len);
	free(p);
}

static void start(void)
{
	free(file);
	file = malloc(REC_FILE_HEADER);
	rec_file_header(file);
	flen = REC_FILE_HEADER;
}

#define TOTALS(saveable, zero, self, extra)                                                                       \
	"{\"sites\": 1000, \"contents\": 600, \"saveable\": " #saveable ", \"saveable_zero\": " #zero              \
	", \"saveable_self\": " #self ", \"saveable_inter\": 0, \"saveable_mergeable\": 300, \"ksm_saved\": 100, " \
	"\"ksm_zero_pages\": 20, \"effectiveness\": 0.4" extra "}"

static const char snap1[] =
	"{\"seq\": 0, \"time\": 1700000000, \"uptime\": 1, \"totals\": " TOTALS(400, 100, 300, ", \"subpage\": null")
	", \"interval\": 1, \"groups\": [], \"dynamics\": {\"merges\": 10, \"unmerges\": 1, \"ksmd_cpu_seconds\": 50,"
	" \"ksmd_cpu_percent\": 100}}";
/* the last: two groups (one named to break HTML), sub-page figures, a latency histogram */
static const char snap2[] =
	"{\"seq\": 1, \"time\": 1700000002, \"uptime\": 3, \"totals\": "
	TOTALS(400, 100, 300, ", \"subpage\": {\"2048\": 2097152, \"1024\": 2621440, \"512\": 3145728, \"256\": 4194304},"
	" \"missed\": {\"not_mergeable\": 100, \"pending\": 180, \"total\": 280}")
	", \"groups\": ["
	"{\"key\": \"small\", \"comm\": \"a\", \"sites\": 200, \"saveable\": 50, \"saveable_zero\": 10, "
	"\"saveable_self\": 30, \"saveable_inter\": 20, \"ksm_saved\": 5, \"ksm_zero_pages\": 0, \"effectiveness\": 0.1},"
	"{\"key\": \"<script>x</script>\", \"comm\": \"b&c\", \"sites\": 800, \"saveable\": 350, \"saveable_zero\": 90, "
	"\"saveable_self\": 270, \"saveable_inter\": 80, \"ksm_saved\": 95, \"ksm_zero_pages\": 20, \"effectiveness\": 0.5}],"
	" \"regions\": {\"heap\": {\"sites\": 100, \"saveable\": 25, \"saveable_zero\": 5, \"saveable_self\": 20}},"
	" \"dynamics\": {\"merges\": 30, \"zero_merges\": 20, \"unmerges\": 4, \"ksmd_cpu_seconds\": 52,"
	" \"merge_latency\": {\"count\": 30, \"sum\": 45, \"buckets\": [[0.5, 0], [1, 10], [2, 27], [5, 30], [\"+Inf\", 30]]}},"
	" \"sample\": {\"n\": 1}, \"cost\": {\"cpu_percent\": 0.5, \"rss_kb\": 10240}}";

static void build_recording(struct recording *r)
{
	start();
	append_json(REC_HEADER, "{\"format\": 1, \"kernel\": \"6.18\", \"host\": \"h<1>\", \"started\": 1700000000,"
				" \"parameters\": {\"group_by\": \"process\", \"sample\": 1, \"interval\": 1}}");
	append_json(REC_SNAPSHOT, snap1);
	append_json(REC_SNAPSHOT, snap2);
	append_json(REC_END, "{\"reason\": \"stopped\"}");
	CHECK(recording_parse(file, flen, r) == 0);
}

/* A recording shorter than a pass: first with no potential at all, then with the quick first estimate. */
static void test_shorter_than_a_pass(void)
{
	struct recording r;
	struct rtable *t;
	struct sbuf o = { 0 };
	size_t n;

	start();
	append_json(REC_HEADER, "{\"format\": 2}");
	append_json(REC_SNAPSHOT, "{\"seq\": 0, \"uptime\": 1, \"totals\": null, \"pass\": {\"completed\": 0, \"progress\": 0.25},"
				  " \"sample\": {\"n\": 1, \"estimate\": false}}");
	CHECK(recording_parse(file, flen, &r) == 0);
	CHECK(report_tables(&r, &t, &n) == 0);
	CHECK_STR(t[0].note, "no pass finished: the first was 25% done when the recording ended");
	report_tables_free(t, n);
	CHECK(report_html(&o, &r, "short") == 0);
	CHECK(strstr(o.buf, "no pass finished during the recording") != NULL);
	CHECK(strstr(o.buf, "nothing saveable was seen") == NULL);
	sbuf_free(&o);
	recording_free(&r);

	start();
	append_json(REC_HEADER, "{\"format\": 2}");
	append_json(REC_SNAPSHOT, "{\"seq\": 0, \"uptime\": 1, \"totals\": " TOTALS(400, 100, 300, "")
				  ", \"pass\": {\"completed\": 0, \"progress\": 0.5}, \"sample\": {\"n\": 16, \"estimate\": true}}");
	CHECK(recording_parse(file, flen, &r) == 0);
	CHECK(report_tables(&r, &t, &n) == 0);
	CHECK(t[0].note && strstr(t[0].note, "estimated by the quick first pass (1/16 by prefix class)") != NULL);
	CHECK(t[0].note && strstr(t[0].note, "the first was 50% done") != NULL);
	CHECK(t[0].nrow > 1); /* the figures are shown */
	report_tables_free(t, n);
	recording_free(&r);
}

static void test_svg_helpers(void)
{
	struct sbuf o = { 0 };

	CHECK(nice_step(10, 5) == 2);
	CHECK(nice_step(1, 5) == 0.2);
	CHECK(nice_step(700, 6) == 100);
	CHECK(nice_step(0, 5) == 1);
	CHECK(nice_step(NAN, 5) == 1);
	html_text(&o, "<a href=\"x\">'&'\x01</a>");
	CHECK_STR(o.buf, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;?&lt;/a&gt;");
	sbuf_free(&o);
}

static void test_split(void)
{
	double s[3];

	/* 100 saveable: 30 zero, self 70 of which ~30 zero: 30 / 40 / 30 */
	split_zero_self_inter(100, 30, 70, s);
	CHECK(s[0] == 30 && s[1] == 40 && s[2] == 30);
	/* all zero, the zero share larger than self: no negative part */
	split_zero_self_inter(10, 10, 9, s);
	CHECK(s[0] == 10 && s[1] == 0 && s[2] == 0);
	split_zero_self_inter(10, 0, 10, s);
	CHECK(s[0] == 0 && s[1] == 10 && s[2] == 0);
}

static void test_recording_and_tables(void)
{
	struct recording r;
	struct rtable *t;
	size_t n;
	struct latency_cdf c;

	build_recording(&r);
	CHECK(!r.bad);
	CHECK_U64(r.n, 2);
	CHECK_U64(r.blocks[REC_SNAPSHOT], 2);
	CHECK(r.series[1].uptime == 3 && r.series[1].merges == 30 && r.series[1].ksmd_cpu_seconds == 52);
	CHECK(!latency_cdf_of(r.last, &c));
	CHECK_U64(c.n, 5);
	CHECK(latency_quantile(&c, 0.5) == 2);  /* 15 of 30: the 2 s bucket holds the 15th */
	CHECK(latency_quantile(&c, 0.3) == 1);
	CHECK(latency_quantile(&c, 0.99) == 5);
	CHECK(report_tables(&r, &t, &n) == 0);
	CHECK_U64(n, 6);
	/* potential: saveable 400 of 1000 sites, zero 100, self without zero 200, inter 100 */
	CHECK_STR(t[0].id, "potential");
	CHECK_STR(rt_cell(&t[0], 3, 1), "400");
	CHECK_STR(rt_cell(&t[0], 3, 3), "40.0%");
	CHECK_STR(rt_cell(&t[0], 4, 1), "100");
	CHECK_STR(rt_cell(&t[0], 5, 1), "200");
	CHECK_STR(rt_cell(&t[0], 6, 1), "100");
	CHECK_STR(rt_cell(&t[0], 8, 1), "120"); /* saved: ksm_saved + ksm_zero_pages */
	/* groups: largest saveable first */
	CHECK_STR(t[2].id, "groups");
	CHECK_U64(t[2].nrow, 3);
	CHECK_STR(rt_cell(&t[2], 1, 0), "<script>x</script>");
	CHECK_STR(rt_cell(&t[2], 2, 0), "small");
	/* sub-page: 4096 = 400 pages = 1.6 MiB, then 2, 2.5, 3, 4 MiB */
	CHECK_STR(t[3].id, "subpage");
	CHECK_U64(t[3].nrow, 6);
	CHECK_STR(rt_cell(&t[3], 1, 1), "1.6");
	CHECK_STR(rt_cell(&t[3], 5, 0), "256");
	CHECK_STR(rt_cell(&t[3], 5, 1), "4.0");
	/* KSM's record: ksmd used 3 CPU-seconds: 1 in the first interval (100% of 1 s), 2 after */
	CHECK_STR(t[4].id, "ksm");
	{
		bool found = false;

		for (size_t i = 1; i < t[4].nrow; i++)
			if (!strcmp(rt_cell(&t[4], i, 0), "ksmd CPU seconds during the recording"))
				found = !strcmp(rt_cell(&t[4], i, 1), "3.00");
		CHECK(found);
	}
	CHECK_STR(t[5].id, "series");
	CHECK_U64(t[5].nrow, 3);
	report_tables_free(t, n);
	recording_free(&r);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_html(void)
{
	static const char *const ids[] = { PLOT_IDS };
	struct recording r;
	struct sbuf o = { 0 };

	build_recording(&r);
	CHECK(report_html(&o, &r, "run<1>.rec") == 0);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char want[96];

		/* each plot is drawn, not a "no data" box */
		snprintf(want, sizeof(want), "<figure id=\"%s\"><figcaption>", ids[i]);
		CHECK(strstr(o.buf, want) != NULL);
	}
	CHECK_U64(count(o.buf, "<svg class=\"plot\""), 6);
	CHECK_U64(count(o.buf, "class=\"nodata\""), 0);
	/* stacked bars: a self part per group, and the legend's */
	CHECK_U64(count(o.buf, "fill=\"#ff7f0e\""), 3);
	CHECK(strstr(o.buf, "<script>") == NULL);
	CHECK(strstr(o.buf, "&lt;script&gt;x&lt;/") != NULL);
	CHECK(strstr(o.buf, "run&lt;1&gt;.rec") != NULL);
	/* self-contained: nothing to fetch */
	CHECK(strstr(o.buf, "http") == NULL && strstr(o.buf, "src=") == NULL);
	sbuf_free(&o);
	recording_free(&r);

	/* no snapshot: every plot says why instead */
	start();
	append_json(REC_HEADER, "{\"format\": 1}");
	CHECK(recording_parse(file, flen, &r) == 0);
	memset(&o, 0, sizeof(o));
	CHECK(report_html(&o, &r, "empty") == 0);
	CHECK_U64(count(o.buf, "<svg class=\"plot\""), 0);
	CHECK_U64(count(o.buf, "class=\"nodata\""), 6);
	sbuf_free(&o);
	recording_free(&r);
}

static const char meta_fmt[] = "{\"pass\": %d, \"part\": %d, \"parts\": %d, \"sample\": %d, \"hash\": \"page\", "
			       "\"key_check\": \"%s\", \"groups\": [{\"key\": \"g0\", \"comm\": \"c\"}, {\"key\": \"g1\", "
			       "\"comm\": \"c\"}], \"records\": %zu}";

static void fp_file(struct recording *r, const char *key, int sample, const uint64_t (*rec)[3], size_t n,
		    size_t split)
{
	char m[512];

	start();
	/* an abandoned pass first: a lone part 0 of 2, then the pass in parts */
	snprintf(m, sizeof(m), meta_fmt, 1, 0, 2, sample, key, (size_t)1);
	append_hashes(m, rec, 1);
	snprintf(m, sizeof(m), meta_fmt, 2, 0, 2, sample, key, split);
	append_hashes(m, rec, split);
	snprintf(m, sizeof(m), meta_fmt, 2, 1, 2, sample, key, n - split);
	append_hashes(m, rec + split, n - split);
	CHECK(recording_parse(file, flen, r) == 0);
}

static void test_compare(void)
{
	/* A: contents 1 (g0 x2, g1 x1), 2 (g0), 3 (g1 x3); B: contents 2 (g0 x4), 3 (g1), 9 (g1) */
	static const uint64_t a[][3] = { { 1, 0, 2 }, { 1, 1, 1 }, { 2, 0, 1 }, { 3, 1, 3 } };
	static const uint64_t b[][3] = { { 2, 0, 4 }, { 3, 1, 1 }, { 9, 1, 1 } };
	struct recording ra, rb, rc;
	struct cmp_result c;
	char why[160];

	fp_file(&ra, "k1", 1, a, 4, 3);
	fp_file(&rb, "k1", 1, b, 3, 1);
	CHECK(!ra.bad && !rb.bad);
	CHECK_U64(ra.fp.pass, 2);
	CHECK_U64(ra.fp.n, 4);
	CHECK(compare_fingerprints(&ra.fp, &rb.fp, &c, why, sizeof(why)) == 0);
	CHECK(c.a.distinct == 3 && c.a.pages == 7);
	CHECK(c.b.distinct == 3 && c.b.pages == 6);
	CHECK(c.common_distinct == 2 && c.a_common_pages == 4 && c.b_common_pages == 5);
	CHECK_U64(c.ngroups, 2);
	CHECK(c.groups[0].distinct == 2 && c.groups[0].pages == 3 && c.groups[0].common_distinct == 1 &&
	      c.groups[0].common_pages == 1);
	CHECK(c.groups[0].closest == 0 && c.groups[0].closest_common == 1);
	CHECK(c.groups[1].distinct == 2 && c.groups[1].common_distinct == 1 && c.groups[1].common_pages == 3);
	CHECK(c.groups[1].closest == 1);
	/* moved alone, each group saves the contents B holds that only it holds: 2 (g0), 3 (g1) */
	CHECK(c.groups[0].placement_saving == 1 && c.groups[1].placement_saving == 1);
	cmp_result_free(&c);
	recording_free(&rb);
	/* B holds content 1 only, which both groups of A hold: all of A saves 1, either group alone 0 */
	{
		static const uint64_t b1[][3] = { { 1, 0, 1 } };

		fp_file(&rb, "k1", 1, b1, 1, 0);
		CHECK(compare_fingerprints(&ra.fp, &rb.fp, &c, why, sizeof(why)) == 0);
		CHECK(c.common_distinct == 1 && c.groups[0].common_distinct == 1 && c.groups[1].common_distinct == 1);
		CHECK(c.groups[0].placement_saving == 0 && c.groups[1].placement_saving == 0);
		cmp_result_free(&c);
		recording_free(&rb);
	}

	/* another key, another sample: refused with the reason */
	fp_file(&rb, "k2", 1, b, 3, 1);
	CHECK(compare_fingerprints(&ra.fp, &rb.fp, &c, why, sizeof(why)) == -1);
	CHECK(strstr(why, "different keys") != NULL);
	recording_free(&rb);
	fp_file(&rb, "k1", 4, b, 3, 1);
	CHECK(compare_fingerprints(&ra.fp, &rb.fp, &c, why, sizeof(why)) == -1);
	CHECK(strstr(why, "sampled") != NULL);
	recording_free(&rb);

	/* sampled 1/4 both: every count scaled */
	fp_file(&rc, "k1", 4, a, 4, 2);
	fp_file(&rb, "k1", 4, b, 3, 2);
	CHECK(compare_fingerprints(&rc.fp, &rb.fp, &c, why, sizeof(why)) == 0);
	CHECK(c.common_distinct == 8 && c.a.pages == 28);
	cmp_result_free(&c);
	recording_free(&rb);
	recording_free(&rc);
	recording_free(&ra);
}

static void test_bad_blocks(void)
{
	struct recording r;

	/* a hashes block whose record count disagrees with its length */
	start();
	append_hashes("{\"pass\": 1, \"part\": 0, \"parts\": 1, \"groups\": [], \"records\": 5}",
		      (const uint64_t (*)[3])(const uint64_t[][3]){ { 1, 0, 1 } }, 1);
	CHECK(recording_parse(file, flen, &r) == 0);
	CHECK(r.bad && r.err.offset == REC_FILE_HEADER);
	CHECK(strstr(r.err.what, "hashes") != NULL);
	CHECK(r.fp.meta == NULL);
	recording_free(&r);
	/* records out of order, repeated, or naming a group the list lacks: the merge walk's premise */
	{
		static const uint64_t unsorted[][3] = { { 5, 0, 1 }, { 4, 0, 1 } };
		static const uint64_t repeated[][3] = { { 5, 1, 1 }, { 5, 1, 2 } };
		static const uint64_t unknown[][3] = { { 5, 2, 1 } };
		const uint64_t(*bad[])[3] = { unsorted, repeated, unknown };
		size_t nbad[] = { 2, 2, 1 };

		for (int i = 0; i < 3; i++) {
			char m[512];

			start();
			snprintf(m, sizeof(m), meta_fmt, 1, 0, 1, 1, "k", nbad[i]);
			append_hashes(m, bad[i], nbad[i]);
			CHECK(recording_parse(file, flen, &r) == 0);
			CHECK(r.bad && strstr(r.err.what, "out of order") != NULL && r.fp.meta == NULL);
			recording_free(&r);
		}
	}
	/* a JSON block that is not JSON */
	start();
	append_json(REC_HEADER, "{\"format\": 1}");
	append_json(REC_SNAPSHOT, "{\"seq\": ");
	CHECK(recording_parse(file, flen, &r) == 0);
	CHECK(r.bad && strstr(r.err.what, "snapshot block is not valid JSON") != NULL);
	CHECK_U64(r.blocks[REC_HEADER], 1);
	recording_free(&r);
}

int main(void)
{
	RUN(test_svg_helpers);
	RUN(test_shorter_than_a_pass);
	RUN(test_split);
	RUN(test_recording_and_tables);
	RUN(test_html);
	RUN(test_compare);
	RUN(test_bad_blocks);
	free(file);
	RESULT();
}
