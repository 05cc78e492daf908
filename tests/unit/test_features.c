// SPDX-License-Identifier: GPL-2.0-only
/* features' report from a hand-built choice: each candidate's state and reason, text and JSON alike. */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "lib/json_reader.h"
#include "sinks/features_out.h"

static struct loader l;
static struct kernel_features k;

/* A 6.1-like kernel: no ksm:* tracepoints, fexit merges, kprobe works too, polled scans. */
static void setup(void)
{
	memset(&l, 0, sizeof(l));
	memset(&k, 0, sizeof(k));
	for (int c = 0; c < CAP__MAX; c++)
		l.src[c] = SRC_BTF;
	l.src[CAP_MERGE] = SRC_FEXIT;
	l.src[CAP_SCAN] = SRC_POLLING;
	l.src[CAP_KSM_PAGE] = SRC_NONE;
	snprintf(l.why[CAP_MERGE][SRC_BTF], sizeof(l.why[0][0]), "no btf_trace_ksm_merge_with_ksm_page in the kernel's BTF");
	snprintf(l.why[CAP_MERGE][SRC_TRACEPOINT], sizeof(l.why[0][0]), "this kernel has no KSM tracepoint");
	l.works[CAP_MERGE][SRC_KPROBE] = true;
	snprintf(k.release, sizeof(k.release), "6.1.0-57-amd64 x86_64");
	k.traced = true;
	k.prefixes_by_frame = true;
	k.ksm[k.nksm++] = (typeof(k.ksm[0])){ "ksm_zero_pages", "6.5", "not counted host-wide", false };
}

static void test_json(void)
{
	struct jw w;
	struct jv *v;
	const struct jv *m, *tried;
	const char *err;
	size_t off;

	setup();
	jw_init(&w);
	features_json(&w, &l, &k);
	v = jv_parse(w.b.buf, w.b.len, &off, &err);
	CHECK(v != NULL);
	m = jv_get(jv_get(v, "capabilities"), "merges");
	CHECK(!strcmp(jv_str(m, "source", ""), "fexit"));
	CHECK(strstr(jv_str(m, "loses", ""), "zero-page merges") != NULL);
	tried = jv_get(m, "tried");
	CHECK(tried && tried->n == 5);
	if (tried && tried->n == 5) {
		CHECK(!strcmp(jv_str(tried->items[0], "state", ""), "refused"));
		CHECK(!strcmp(jv_str(tried->items[0], "why", ""), "no btf_trace_ksm_merge_with_ksm_page in the kernel's BTF"));
		CHECK(!strcmp(jv_str(tried->items[2], "state", ""), "chosen"));
		CHECK(!strcmp(jv_str(tried->items[3], "state", ""), "works"));
		CHECK(jv_get(tried->items[3], "why") == NULL);
		CHECK(!strcmp(jv_str(tried->items[4], "source", ""), "polling"));
		CHECK(!strcmp(jv_str(tried->items[4], "state", ""), "works"));
	}
	CHECK(!strcmp(jv_str(jv_get(jv_get(v, "capabilities"), "scans"), "source", ""), "polling"));
	CHECK(!strcmp(jv_str(jv_get(jv_get(v, "capabilities"), "ksm_pages"), "source", ""), "none"));
	CHECK(jv_get(jv_get(v, "ksm"), "ksm_zero_pages") && !jv_get(jv_get(v, "ksm"), "ksm_zero_pages")->b);
	jv_free(v);
	jw_free(&w);
}

static void test_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	setup();
	features_text(f, &l, &k);
	fclose(f);
	CHECK(strstr(buf, "merges          fexit\n") != NULL);
	CHECK(strstr(buf, "  tp_btf      refused: no btf_trace_ksm_merge_with_ksm_page in the kernel's BTF\n") != NULL);
	CHECK(strstr(buf, "  kprobe      works\n") != NULL);
	CHECK(strstr(buf, "  ksm_zero_pages       no (Linux 6.5)\n") != NULL);
	CHECK(strstr(buf, "without ksm_zero_pages: not counted host-wide") != NULL);
	free(buf);
}

/* arm64 6.12: copy-on-write from perf, KSM pages told by struct page (kpageflags' bug) */
static void test_perf_and_ksm_flag(void)
{
	struct jw w;
	struct jv *v;
	const struct jv *cow, *tried;
	const char *err;
	char *buf = NULL;
	size_t off, len = 0;
	FILE *f;

	setup();
	l.src[CAP_COW] = SRC_PERF;
	snprintf(l.why[CAP_COW][SRC_KPROBE], sizeof(l.why[0][0]), "no symbol wp_page_copy in /proc/kallsyms");
	k.ksm_flag = KSMFLAG_FIXED;
	jw_init(&w);
	features_json(&w, &l, &k);
	v = jv_parse(w.b.buf, w.b.len, &off, &err);
	CHECK(v != NULL);
	cow = jv_get(jv_get(v, "capabilities"), "cow_faults");
	CHECK(!strcmp(jv_str(cow, "source", ""), "perf"));
	CHECK(strstr(jv_str(cow, "loses", ""), "pagemap") != NULL);
	tried = jv_get(cow, "tried");
	CHECK(tried && tried->n == 6);
	if (tried && tried->n == 6) {
		CHECK(!strcmp(jv_str(tried->items[3], "why", ""), "no symbol wp_page_copy in /proc/kallsyms"));
		CHECK(!strcmp(jv_str(tried->items[4], "source", ""), "perf"));
		CHECK(!strcmp(jv_str(tried->items[4], "state", ""), "chosen"));
		CHECK(!strcmp(jv_str(tried->items[5], "source", ""), "polling"));
	}
	CHECK(!strcmp(jv_str(jv_get(jv_get(v, "capabilities"), "ksm_page_flag"), "source", ""), "struct_page"));
	jv_free(v);
	jw_free(&w);
	f = open_memstream(&buf, &len);
	features_text(f, &l, &k);
	fclose(f);
	CHECK(strstr(buf, "cow_faults      perf\n") != NULL);
	CHECK(strstr(buf, "ksm_page_flag   struct_page\n  kpageflags  wrong: it marks every anonymous page KSM") != NULL);
	free(buf);
}

int main(void)
{
	RUN(test_json);
	RUN(test_text);
	RUN(test_perf_and_ksm_flag);
	RESULT();
}
