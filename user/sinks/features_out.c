// SPDX-License-Identifier: GPL-2.0-only
#include "sinks/features_out.h"

/* A candidate's state: chosen, works (not needed), refused (why). */
static const char *state(const struct loader *l, int c, int s, const char **why)
{
	*why = l->why[c][s];
	if ((int)l->src[c] == s)
		return "chosen";
	if (l->works[c][s])
		return "works";
	return (*why)[0] ? "refused" : s == SRC_NONE || s == SRC_POLLING ? "works" : "not tried";
}

/* The candidates each capability has, in order (SRC_NONE ends the list but for ksm_pages' "none"). */
static bool offered(int c, int s)
{
	static const bool has[CAP__MAX][SRC__MAX] = {
		[CAP_MERGE] = { [SRC_BTF] = 1, [SRC_TRACEPOINT] = 1, [SRC_FEXIT] = 1, [SRC_KPROBE] = 1, [SRC_POLLING] = 1 },
		[CAP_KSM_PAGE] = { [SRC_BTF] = 1, [SRC_TRACEPOINT] = 1, [SRC_NONE] = 1 },
		[CAP_SCAN] = { [SRC_BTF] = 1, [SRC_TRACEPOINT] = 1, [SRC_POLLING] = 1 },
		[CAP_ENTER] = { [SRC_BTF] = 1, [SRC_TRACEPOINT] = 1, [SRC_FEXIT] = 1, [SRC_KPROBE] = 1, [SRC_POLLING] = 1 },
		[CAP_FORK] = { [SRC_BTF] = 1, [SRC_TRACEPOINT] = 1, [SRC_POLLING] = 1 },
		[CAP_COW] = { [SRC_BTF] = 1, [SRC_TRACEPOINT] = 1, [SRC_FEXIT] = 1, [SRC_KPROBE] = 1, [SRC_PERF] = 1,
			      [SRC_POLLING] = 1 },
	};

	return has[c][s];
}

/* In the order they are tried: tp_btf, tracepoint, fexit, kprobe, polling, none. */
static const int try_order[SRC__MAX] = { SRC_BTF, SRC_TRACEPOINT, SRC_FEXIT, SRC_KPROBE, SRC_PERF, SRC_POLLING, SRC_NONE };

/* Where KSM pages are told from others: kpageflags, or each frame's struct page where it is wrong. */
static const char *ksm_flag_source(enum ksmflag_state st)
{
	return st == KSMFLAG_EXACT ? "kpageflags" : st == KSMFLAG_FIXED ? "struct_page" : "none";
}

void features_text(FILE *out, const struct loader *l, const struct kernel_features *k)
{
	fprintf(out, "Kernel %s: %s\n", k->release,
		k->traced ? "every live command works" : "the live commands cannot trace (see below); scan and ksm work");
	for (int c = 0; c < CAP__MAX; c++) {
		const char *loses = loader_source_loses((enum ks_cap)c, l->src[c]);

		fprintf(out, "%-15s %s\n", cap_names[c], src_names[l->src[c]]);
		for (int i = 0; i < SRC__MAX; i++) {
			int s = try_order[i];
			const char *why, *st;

			if (!offered(c, s))
				continue;
			st = state(l, c, s, &why);
			fprintf(out, "  %-11s %s%s%s\n", src_names[s], st, why[0] ? ": " : "", why);
		}
		if (*loses)
			fprintf(out, "  loses: %s\n", loses);
	}
	fprintf(out, "%-15s %s\n", "page_prefixes", k->prefixes_by_frame ? "bpf (by frame)" : "/proc/PID/mem");
	if (!k->prefixes_by_frame)
		fprintf(out, "  bpf         refused: %s\n  loses: sampled scans read each prefix through the process, "
			     "slower\n", k->prefixes_why);
	fprintf(out, "%-15s %s\n", "ksm_page_flag", ksm_flag_source(k->ksm_flag));
	if (k->ksm_flag != KSMFLAG_EXACT)
		fprintf(out, "  kpageflags  %s: %s\n", k->ksm_flag == KSMFLAG_FIXED ? "wrong" : "refused",
			k->ksm_flag == KSMFLAG_FIXED ? "it marks every anonymous page KSM (a kernel bug): each "
						       "frame's struct page says, read by BPF"
						     : k->ksm_flag_why);
	fprintf(out, "KSM interfaces:\n");
	for (int i = 0; i < k->nksm; i++)
		if (k->ksm[i].present)
			fprintf(out, "  %-20s yes\n", k->ksm[i].name);
		else
			fprintf(out, "  %-20s no (Linux %s)\n", k->ksm[i].name, k->ksm[i].since);
	for (int i = 0; i < k->nksm; i++)
		if (!k->ksm[i].present)
			fprintf(out, "  without %s: %s\n", k->ksm[i].name, k->ksm[i].lacking);
}

void features_json(struct jw *w, const struct loader *l, const struct kernel_features *k)
{
	jw_obj_begin(w);
	jw_kstr(w, "kernel", k->release);
	jw_kbool(w, "traced", k->traced);
	jw_key(w, "capabilities");
	jw_obj_begin(w);
	for (int c = 0; c < CAP__MAX; c++) {
		jw_key(w, cap_names[c]);
		jw_obj_begin(w);
		jw_kstr(w, "source", src_names[l->src[c]]);
		jw_kstr(w, "loses", loader_source_loses((enum ks_cap)c, l->src[c]));
		jw_key(w, "tried");
		jw_arr_begin(w);
		for (int i = 0; i < SRC__MAX; i++) {
			int s = try_order[i];
			const char *why, *st;

			if (!offered(c, s))
				continue;
			st = state(l, c, s, &why);
			jw_obj_begin(w);
			jw_kstr(w, "source", src_names[s]);
			jw_kstr(w, "state", st);
			if (why[0])
				jw_kstr(w, "why", why);
			jw_obj_end(w);
		}
		jw_arr_end(w);
		jw_obj_end(w);
	}
	jw_key(w, "page_prefixes");
	jw_obj_begin(w);
	jw_kstr(w, "source", k->prefixes_by_frame ? "bpf" : "proc_mem");
	if (!k->prefixes_by_frame)
		jw_kstr(w, "why", k->prefixes_why);
	jw_obj_end(w);
	jw_key(w, "ksm_page_flag");
	jw_obj_begin(w);
	jw_kstr(w, "source", ksm_flag_source(k->ksm_flag));
	if (k->ksm_flag == KSMFLAG_FIXED)
		jw_kstr(w, "why", "/proc/kpageflags marks every anonymous page KSM (a kernel bug)");
	else if (k->ksm_flag == KSMFLAG_BROKEN)
		jw_kstr(w, "why", k->ksm_flag_why);
	jw_obj_end(w);
	jw_obj_end(w);
	jw_key(w, "ksm");
	jw_obj_begin(w);
	for (int i = 0; i < k->nksm; i++)
		jw_kbool(w, k->ksm[i].name, k->ksm[i].present);
	jw_obj_end(w);
	jw_obj_end(w);
}
