// SPDX-License-Identifier: GPL-2.0-only
/* sinks/trace_out (evfmt_*): the exact JSON and text line for every event kind, and the summaries (golden). */
#include <stdlib.h>

#include "sinks/trace_out.h"
#include "harness.h"

#define T0 1000000000ULL

static struct ks_event ev(uint32_t type, uint64_t ts, uint32_t pid, const char *comm,
			  uint64_t addr, uint64_t pfn)
{
	struct ks_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.ts_ns = ts;
	e.pid = pid;
	memcpy(e.comm, comm, strnlen(comm, sizeof(e.comm)));
	e.addr = addr;
	e.pfn = pfn;
	return e;
}

static struct decision dk(enum out_kind k)
{
	struct decision d = { k, 0, false };

	return d;
}

/* JSON of one event, compared in full. */
static void check_json(int line, const struct ks_event *e, struct decision d, const char *want)
{
	struct jw w;

	jw_init(&w);
	evfmt_json(&w, e, &d);
	if (w.b.buf && !strcmp(w.b.buf, want) && w.depth == 0) {
		t_pass++;
	} else {
		t_fail++;
		fprintf(stderr, "FAIL %s:%d: json\n  got  %s\n  want %s\n", __FILE__, line,
			w.b.buf ? w.b.buf : "(null)", want);
	}
	jw_free(&w);
}

/* Text line of one event, compared in full. */
static void check_text(int line, const struct ks_event *e, struct decision d, uint64_t t0,
		       const char *want)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);

	evfmt_text(f, e, &d, t0);
	fclose(f);
	if (out && !strcmp(out, want)) {
		t_pass++;
	} else {
		t_fail++;
		fprintf(stderr, "FAIL %s:%d: text\n  got  [%s]\n  want [%s]\n", __FILE__, line,
			out ? out : "(null)", want);
	}
	free(out);
}

#define JSON(e, d, want) check_json(__LINE__, &(e), d, want)
#define TEXT(e, d, t0, want) check_text(__LINE__, &(e), d, t0, want)

static void test_json_merge(void)
{
	struct ks_event e = ev(KS_REC_MERGE, 2500000000ULL, 42, "workload", 0x7f0000001000ULL, 12345);

	JSON(e, dk(OUT_MERGE),
	     "{\"event\": \"merge\", \"ts_ns\": 2500000000, \"pid\": 42, \"comm\": \"workload\", "
	     "\"addr\": \"0x7f0000001000\", \"pfn\": 12345, \"err\": 0, \"new_ksm_page\": false}");
	e.flags = KS_F_NEW_KSM_PAGE;
	JSON(e, dk(OUT_MERGE),
	     "{\"event\": \"merge\", \"ts_ns\": 2500000000, \"pid\": 42, \"comm\": \"workload\", "
	     "\"addr\": \"0x7f0000001000\", \"pfn\": 12345, \"err\": 0, \"new_ksm_page\": true}");
	e.flags = 0;
	e.err = -16;
	JSON(e, dk(OUT_MERGE),
	     "{\"event\": \"merge\", \"ts_ns\": 2500000000, \"pid\": 42, \"comm\": \"workload\", "
	     "\"addr\": \"0x7f0000001000\", \"pfn\": 12345, \"err\": -16, \"new_ksm_page\": false}");
	/* an owner that could not be told: no pid, no comm */
	e.err = 0;
	e.flags = KS_F_OWNER_UNKNOWN | KS_F_NEW_KSM_PAGE;
	JSON(e, dk(OUT_MERGE),
	     "{\"event\": \"merge\", \"ts_ns\": 2500000000, \"addr\": \"0x7f0000001000\", "
	     "\"pfn\": 12345, \"err\": 0, \"new_ksm_page\": true}");
}

static void test_json_zero_merge(void)
{
	struct ks_event e = ev(KS_REC_ZERO_MERGE, 7, 7, "x", 0x1000, 0);

	JSON(e, dk(OUT_ZERO_MERGE),
	     "{\"event\": \"zero_merge\", \"ts_ns\": 7, \"pid\": 7, \"comm\": \"x\", \"addr\": \"0x1000\", "
	     "\"pfn\": 0, \"err\": 0}");
	e.err = -14;
	e.pfn = 3;
	JSON(e, dk(OUT_ZERO_MERGE),
	     "{\"event\": \"zero_merge\", \"ts_ns\": 7, \"pid\": 7, \"comm\": \"x\", \"addr\": \"0x1000\", "
	     "\"pfn\": 3, \"err\": -14}");
	e.flags = KS_F_OWNER_UNKNOWN;
	JSON(e, dk(OUT_ZERO_MERGE),
	     "{\"event\": \"zero_merge\", \"ts_ns\": 7, \"addr\": \"0x1000\", \"pfn\": 3, \"err\": -14}");
}

static void test_json_other_kinds(void)
{
	/* kernel-wide records carry no owner even when the record has a pid */
	struct ks_event e = ev(KS_REC_KSM_PAGE_FREED, 100, 42, "workload", 0x5000, 987654);

	JSON(e, dk(OUT_KSM_PAGE_FREED), "{\"event\": \"ksm_page_freed\", \"ts_ns\": 100, \"pfn\": 987654}");

	e = ev(KS_REC_RMAP_REMOVED, 101, 42, "workload", 0x7ffd12345000ULL, 55);
	JSON(e, dk(OUT_RMAP_REMOVED),
	     "{\"event\": \"rmap_removed\", \"ts_ns\": 101, \"pid\": 42, \"comm\": \"workload\", "
	     "\"addr\": \"0x7ffd12345000\", \"pfn\": 55}");
	e.flags = KS_F_OWNER_UNKNOWN;
	JSON(e, dk(OUT_RMAP_REMOVED),
	     "{\"event\": \"rmap_removed\", \"ts_ns\": 101, \"addr\": \"0x7ffd12345000\", \"pfn\": 55}");

	e = ev(KS_REC_SCAN_START, 102, 42, "ksmd", 0x1000, 9);
	e.seq = 3;
	e.rmap_entries = 100;
	JSON(e, dk(OUT_SCAN_START),
	     "{\"event\": \"scan_start\", \"ts_ns\": 102, \"seq\": 3, \"rmap_entries\": 100}");
	e.type = KS_REC_SCAN_STOP;
	e.seq = -1;
	e.rmap_entries = UINT32_MAX;
	JSON(e, dk(OUT_SCAN_STOP),
	     "{\"event\": \"scan_stop\", \"ts_ns\": 102, \"seq\": -1, \"rmap_entries\": 4294967295}");

	e = ev(KS_REC_KSM_ENTER, 103, 42, "", 0, 0);
	memcpy(e.comm, "0123456789abcdef", 16); /* no terminator */
	JSON(e, dk(OUT_KSM_ENTER),
	     "{\"event\": \"ksm_enter\", \"ts_ns\": 103, \"pid\": 42, \"comm\": \"0123456789abcdef\"}");
	e.flags = KS_F_OWNER_UNKNOWN;
	JSON(e, dk(OUT_KSM_ENTER), "{\"event\": \"ksm_enter\", \"ts_ns\": 103}");

	e = ev(KS_REC_KSM_EXIT, 104, 42, "workload", 0, 0);
	JSON(e, dk(OUT_KSM_EXIT), "{\"event\": \"ksm_exit\", \"ts_ns\": 104, \"pid\": 42, \"comm\": \"workload\"}");
	e.flags = KS_F_OWNER_UNKNOWN;
	JSON(e, dk(OUT_KSM_EXIT), "{\"event\": \"ksm_exit\", \"ts_ns\": 104}");

	/* an empty comm is still a key */
	e = ev(KS_REC_KSM_EXIT, 105, 1, "", 0, 0);
	JSON(e, dk(OUT_KSM_EXIT), "{\"event\": \"ksm_exit\", \"ts_ns\": 105, \"pid\": 1, \"comm\": \"\"}");
}

static void test_json_unmerge(void)
{
	/* a fault record has no pfn: the one printed comes from the decision */
	struct ks_event e = ev(KS_REC_COW_FAULT, 200, 42, "workload", 0x7f0000001000ULL, 31337);
	struct decision d = { OUT_UNMERGE, 777, false };

	JSON(e, d,
	     "{\"event\": \"unmerge\", \"ts_ns\": 200, \"pid\": 42, \"comm\": \"workload\", "
	     "\"addr\": \"0x7f0000001000\", \"pfn\": 777, \"zero\": false, \"kernel\": false}");
	e.flags = KS_F_KERNEL_FAULT;
	JSON(e, d,
	     "{\"event\": \"unmerge\", \"ts_ns\": 200, \"pid\": 42, \"comm\": \"workload\", "
	     "\"addr\": \"0x7f0000001000\", \"pfn\": 777, \"zero\": false, \"kernel\": true}");
	d.zero = true;
	d.pfn = 0;
	JSON(e, d,
	     "{\"event\": \"unmerge\", \"ts_ns\": 200, \"pid\": 42, \"comm\": \"workload\", "
	     "\"addr\": \"0x7f0000001000\", \"pfn\": 0, \"zero\": true, \"kernel\": true}");
	e.flags = 0;
	JSON(e, d,
	     "{\"event\": \"unmerge\", \"ts_ns\": 200, \"pid\": 42, \"comm\": \"workload\", "
	     "\"addr\": \"0x7f0000001000\", \"pfn\": 0, \"zero\": true, \"kernel\": false}");
}

static void test_json_comm_bytes(void)
{
	static const unsigned char raw[16] = { 'a', 1, 'b', 0x7f, 'c', 0xff, 'd', 0x1b,
					       '"', '\\', '\t', '\n', '\r', 0xfe, 0xc3, 0xa9 };
	struct ks_event e = ev(KS_REC_KSM_ENTER, 1, 9, "", 0, 0);

	memcpy(e.comm, raw, 16);
	JSON(e, dk(OUT_KSM_ENTER),
	     "{\"event\": \"ksm_enter\", \"ts_ns\": 1, \"pid\": 9, \"comm\": "
	     "\"a\\u0001b\\u007fc\\u00ffd\\u001b\\\"\\\\\\u0009\\u000a\\u000d\\u00fe\xc3\xa9\"}");
	/* bytes after the first NUL are never printed */
	memcpy(e.comm, "ab\0cdefghijklmn", 16);
	JSON(e, dk(OUT_KSM_ENTER), "{\"event\": \"ksm_enter\", \"ts_ns\": 1, \"pid\": 9, \"comm\": \"ab\"}");
}

static void test_json_reuse(void)
{
	struct jw w;
	struct ks_event a = ev(KS_REC_SCAN_START, 1, 0, "", 0, 0);
	struct ks_event b = ev(KS_REC_KSM_EXIT, 2, 5, "p", 0, 0);
	struct decision da = dk(OUT_SCAN_START), db = dk(OUT_KSM_EXIT);

	/* the writer is reset for every line: nothing of the previous one survives */
	jw_init(&w);
	evfmt_json(&w, &a, &da);
	evfmt_json(&w, &b, &db);
	CHECK_STR(w.b.buf, "{\"event\": \"ksm_exit\", \"ts_ns\": 2, \"pid\": 5, \"comm\": \"p\"}");
	jw_free(&w);
}

/* The whole path: records through the tracker, decisions through the formatter. */
static void test_json_from_tracker(void)
{
	struct tracker t;
	struct ks_event m = ev(KS_REC_MERGE, 10, 42, "workload", 0x7f0000005000ULL, 4321);
	struct ks_event z = ev(KS_REC_ZERO_MERGE, 11, 42, "workload", 0x7f0000006000ULL, 99);
	struct ks_event f = ev(KS_REC_COW_FAULT, 12, 42, "workload", 0x7f0000005000ULL, 0);
	struct decision d;

	CHECK_U64(tracker_init(&t), 0);
	d = tracker_on_event(&t, &m);
	JSON(m, d,
	     "{\"event\": \"merge\", \"ts_ns\": 10, \"pid\": 42, \"comm\": \"workload\", "
	     "\"addr\": \"0x7f0000005000\", \"pfn\": 4321, \"err\": 0, \"new_ksm_page\": false}");
	tracker_on_event(&t, &z);
	d = tracker_on_event(&t, &f);
	JSON(f, d,
	     "{\"event\": \"unmerge\", \"ts_ns\": 12, \"pid\": 42, \"comm\": \"workload\", "
	     "\"addr\": \"0x7f0000005000\", \"pfn\": 4321, \"zero\": false, \"kernel\": false}");
	f.addr = 0x7f0000006000ULL;
	f.ts_ns = 13;
	f.flags = KS_F_KERNEL_FAULT;
	d = tracker_on_event(&t, &f);
	JSON(f, d,
	     "{\"event\": \"unmerge\", \"ts_ns\": 13, \"pid\": 42, \"comm\": \"workload\", "
	     "\"addr\": \"0x7f0000006000\", \"pfn\": 0, \"zero\": true, \"kernel\": true}");
	tracker_free(&t);
}

static void test_text_header(void)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);

	evfmt_text_header(f);
	fclose(f);
	CHECK_STR(out, "TIME(s)      EVENT          PID     COMM             ADDR               PFN"
		       "          DETAIL\n");
	free(out);
}

static void test_text_lines(void)
{
	static const unsigned char raw[16] = { 'a', 1, 'b', 0x7f, 'c', 0xff, 'd', 0x1b,
					       0x80, 0x9f, '\t', '\n', '\r', 0xfe, 0xc3, 0xa9 };
	struct ks_event e = ev(KS_REC_MERGE, T0 + 1500000000ULL, 42, "workload", 0x7f0000001000ULL, 12345);
	struct decision d;

	e.flags = KS_F_NEW_KSM_PAGE;
	TEXT(e, dk(OUT_MERGE), T0,
	     "1.500000     merge          42      workload         0x7f0000001000     12345        new KSM page\n");
	e.flags = 0;
	e.err = -16;
	e.ts_ns = T0 + 1000;
	TEXT(e, dk(OUT_MERGE), T0,
	     "0.000001     merge          42      workload         0x7f0000001000     12345        failed err=-16\n");
	e.err = 0;
	e.ts_ns = T0 + 2250000000ULL;
	TEXT(e, dk(OUT_MERGE), T0,
	     "2.250000     merge          42      workload         0x7f0000001000     12345        \n");
	/* a record from before the start (clock skew between CPUs) is at time 0 */
	e.ts_ns = T0 - 5;
	e.flags = KS_F_NEW_KSM_PAGE;
	TEXT(e, dk(OUT_MERGE), T0,
	     "0.000000     merge          42      workload         0x7f0000001000     12345        new KSM page\n");

	e = ev(KS_REC_ZERO_MERGE, T0 + 3000000000ULL, 7, "", 0x1000, 0);
	memcpy(e.comm, raw, 16); /* control and non-ASCII bytes become '?' */
	TEXT(e, dk(OUT_ZERO_MERGE), T0,
	     "3.000000     zero_merge     7       a?b?c?d????????? 0x1000             0            \n");
	e = ev(KS_REC_ZERO_MERGE, T0 + 3000000000ULL, 7, "x", 0x1000, 0);
	e.err = -14;
	TEXT(e, dk(OUT_ZERO_MERGE), T0,
	     "3.000000     zero_merge     7       x                0x1000             0            failed err=-14\n");

	e = ev(KS_REC_KSM_PAGE_FREED, T0, 42, "workload", 0x5000, 987654);
	TEXT(e, dk(OUT_KSM_PAGE_FREED), T0,
	     "0.000000     ksm_page_freed -       -                -                  987654       \n");

	e = ev(KS_REC_RMAP_REMOVED, T0 + 10000000000ULL, 42, "workload", 0x7ffd12345000ULL, 55);
	TEXT(e, dk(OUT_RMAP_REMOVED), T0,
	     "10.000000    rmap_removed   42      workload         0x7ffd12345000     55           \n");

	e = ev(KS_REC_SCAN_START, T0 + 11123456000ULL, 0, "", 0, 0);
	e.seq = 3;
	e.rmap_entries = 100;
	TEXT(e, dk(OUT_SCAN_START), T0,
	     "11.123456    scan_start     -       -                -                  -            seq=3 rmap_entries=100\n");
	e = ev(KS_REC_SCAN_STOP, T0 + 12000000000ULL, 0, "", 0, 0);
	e.seq = -1;
	e.rmap_entries = UINT32_MAX;
	TEXT(e, dk(OUT_SCAN_STOP), T0,
	     "12.000000    scan_stop      -       -                -                  -            seq=-1 rmap_entries=4294967295\n");

	e = ev(KS_REC_KSM_ENTER, T0 + 13000000000ULL, 42, "", 0, 0);
	memcpy(e.comm, "0123456789abcdef", 16);
	TEXT(e, dk(OUT_KSM_ENTER), T0,
	     "13.000000    ksm_enter      42      0123456789abcdef -                  -            \n");
	e = ev(KS_REC_KSM_EXIT, T0 + 14000000000ULL, 42, "workload", 0, 0);
	TEXT(e, dk(OUT_KSM_EXIT), T0,
	     "14.000000    ksm_exit       42      workload         -                  -            \n");
	e.flags = KS_F_OWNER_UNKNOWN;
	TEXT(e, dk(OUT_KSM_EXIT), T0,
	     "14.000000    ksm_exit       -       -                -                  -            \n");

	e = ev(KS_REC_COW_FAULT, T0 + 15000000000ULL, 42, "workload", 0x7f0000001000ULL, 31337);
	d = (struct decision){ OUT_UNMERGE, 777, false };
	TEXT(e, d, T0,
	     "15.000000    unmerge        42      workload         0x7f0000001000     777          user write\n");
	e = ev(KS_REC_COW_FAULT, T0 + 16000000000ULL, 42, "workload", 0x7f0000002000ULL, 31337);
	e.flags = KS_F_KERNEL_FAULT;
	d = (struct decision){ OUT_UNMERGE, 0, true };
	TEXT(e, d, T0,
	     "16.000000    unmerge        42      workload         0x7f0000002000     0            zero page kernel write\n");
	e.flags = 0;
	e.ts_ns = T0 + 17000000000ULL;
	TEXT(e, d, T0,
	     "17.000000    unmerge        42      workload         0x7f0000002000     0            zero page user write\n");
	e = ev(KS_REC_COW_FAULT, T0 + 18000000000ULL, 42, "workload", 0x7f0000003000ULL, 0);
	e.flags = KS_F_KERNEL_FAULT;
	d = (struct decision){ OUT_UNMERGE, 888, false };
	TEXT(e, d, T0,
	     "18.000000    unmerge        42      workload         0x7f0000003000     888          kernel write\n");
}

static const struct trace_totals totals = {
	.counts = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 },
	.drops = 13,
	.cow_other = 11,
	.cow_untracked = 12,
	.cow_faults = 14,
	.failed_merges = 10,
};

static void test_summary_text(void)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);
	struct trace_totals zero = { 0 };

	evfmt_summary_text(f, &totals);
	fclose(f);
	CHECK_STR(out, "\nEvents printed: merge=1 zero_merge=2 ksm_page_freed=3 rmap_removed=4 "
		       "scan_start=5 scan_stop=6 ksm_enter=7 ksm_exit=8 unmerge=9\n"
		       "Failed merge attempts (in merge): 10\n"
		       "COW faults not on KSM pages: 11 tracked, 12 untracked\n"
		       "Ring-buffer drops: 13\n");
	free(out);

	out = NULL;
	f = open_memstream(&out, &n);
	evfmt_summary_text(f, &zero);
	fclose(f);
	CHECK_STR(out, "\nEvents printed: merge=0 zero_merge=0 ksm_page_freed=0 rmap_removed=0 "
		       "scan_start=0 scan_stop=0 ksm_enter=0 ksm_exit=0 unmerge=0\n"
		       "Failed merge attempts (in merge): 0\n"
		       "COW faults not on KSM pages: 0 tracked, 0 untracked\n"
		       "Ring-buffer drops: 0\n");
	free(out);
}

static void test_summary_json(void)
{
	struct jw w;
	struct trace_totals big = { 0 };

	jw_init(&w);
	evfmt_summary_json(&w, &totals);
	CHECK_STR(w.b.buf, "{\"event\": \"summary\", \"counts\": {\"merge\": 1, \"zero_merge\": 2, "
			 "\"ksm_page_freed\": 3, \"rmap_removed\": 4, \"scan_start\": 5, "
			 "\"scan_stop\": 6, \"ksm_enter\": 7, \"ksm_exit\": 8, \"unmerge\": 9}, "
			 "\"drops\": 13, \"failed_merges\": 10, \"cow_other\": 11, "
			 "\"cow_untracked\": 12, \"cow_faults\": 14}");
	CHECK_U64(w.depth, 0);
	/* reused writer, 64-bit counters */
	big.counts[OUT_UNMERGE] = UINT64_MAX;
	big.cow_faults = 1ULL << 40;
	evfmt_summary_json(&w, &big);
	CHECK_STR(w.b.buf, "{\"event\": \"summary\", \"counts\": {\"merge\": 0, \"zero_merge\": 0, "
			 "\"ksm_page_freed\": 0, \"rmap_removed\": 0, \"scan_start\": 0, "
			 "\"scan_stop\": 0, \"ksm_enter\": 0, \"ksm_exit\": 0, "
			 "\"unmerge\": 18446744073709551615}, "
			 "\"drops\": 0, \"failed_merges\": 0, \"cow_other\": 0, "
			 "\"cow_untracked\": 0, \"cow_faults\": 1099511627776}");
	jw_free(&w);
}

int main(void)
{
	RUN(test_json_merge);
	RUN(test_json_zero_merge);
	RUN(test_json_other_kinds);
	RUN(test_json_unmerge);
	RUN(test_json_comm_bytes);
	RUN(test_json_reuse);
	RUN(test_json_from_tracker);
	RUN(test_text_header);
	RUN(test_text_lines);
	RUN(test_summary_text);
	RUN(test_summary_json);
	RESULT();
}
