// SPDX-License-Identifier: GPL-2.0-only
#include "sinks/trace_out.h"

#include <inttypes.h>
#include <string.h>

static bool has_addr(enum out_kind k)
{
	return k == OUT_MERGE || k == OUT_ZERO_MERGE || k == OUT_RMAP_REMOVED || k == OUT_UNMERGE;
}

static bool has_pfn(enum out_kind k)
{
	return has_addr(k) || k == OUT_KSM_PAGE_FREED;
}

static void comm_copy(char *dst, const struct ks_event *e)
{
	char comm[KS_COMM_LEN + 1];

	/* comm need not be NUL-terminated in the record */
	memcpy(comm, e->comm, KS_COMM_LEN);
	comm[KS_COMM_LEN] = '\0';
	printable(dst, KS_COMM_LEN + 1, comm);
}

void evfmt_text_header(FILE *f)
{
	fprintf(f, "%-12s %-14s %-7s %-16s %-18s %-12s %s\n", "TIME(s)", "EVENT", "PID", "COMM",
		"ADDR", "PFN", "DETAIL");
}

void evfmt_text(FILE *f, const struct ks_event *e, const struct decision *d, uint64_t t0_ns)
{
	char comm[KS_COMM_LEN + 1] = "-", pid[16] = "-", addr[24] = "-", pfn[24] = "-";
	char detail[64] = "";
	double t = e->ts_ns >= t0_ns ? (double)(e->ts_ns - t0_ns) / 1e9 : 0.0;

	if (tracker_has_pid(e, d->kind)) {
		snprintf(pid, sizeof(pid), "%u", e->pid);
		comm_copy(comm, e);
	}
	if (has_addr(d->kind))
		snprintf(addr, sizeof(addr), "0x%" PRIx64, (uint64_t)e->addr);
	if (has_pfn(d->kind))
		snprintf(pfn, sizeof(pfn), "%" PRIu64, (uint64_t)(d->kind == OUT_UNMERGE ? d->pfn : e->pfn));
	switch (d->kind) {
	case OUT_MERGE:
		if (e->err)
			snprintf(detail, sizeof(detail), "failed err=%d", e->err);
		else if (e->flags & KS_F_NEW_KSM_PAGE)
			snprintf(detail, sizeof(detail), "new KSM page");
		break;
	case OUT_ZERO_MERGE:
		if (e->err)
			snprintf(detail, sizeof(detail), "failed err=%d", e->err);
		break;
	case OUT_SCAN_START:
	case OUT_SCAN_STOP:
		snprintf(detail, sizeof(detail), "seq=%d rmap_entries=%u", e->seq, e->rmap_entries);
		break;
	case OUT_UNMERGE:
		snprintf(detail, sizeof(detail), "%s%s", d->zero ? "zero page " : "",
			 e->flags & KS_F_KERNEL_FAULT ? "kernel write" : "user write");
		break;
	default:
		break;
	}
	fprintf(f, "%-12.6f %-14s %-7s %-16s %-18s %-12s %s\n", t, out_kind_name(d->kind), pid, comm,
		addr, pfn, detail);
	fflush(f);
}

void evfmt_json(struct jw *w, const struct ks_event *e, const struct decision *d)
{
	jw_reset(w);
	jw_obj_begin(w);
	jw_kstr(w, "event", out_kind_name(d->kind));
	jw_ku64(w, "ts_ns", e->ts_ns);
	if (tracker_has_pid(e, d->kind)) {
		jw_ku64(w, "pid", e->pid);
		jw_key(w, "comm");
		jw_strn(w, e->comm, KS_COMM_LEN);
	}
	if (has_addr(d->kind)) {
		jw_key(w, "addr");
		jw_hex(w, e->addr);
	}
	if (has_pfn(d->kind))
		jw_ku64(w, "pfn", d->kind == OUT_UNMERGE ? d->pfn : e->pfn);
	switch (d->kind) {
	case OUT_MERGE:
		jw_ki64(w, "err", e->err);
		jw_kbool(w, "new_ksm_page", e->flags & KS_F_NEW_KSM_PAGE);
		break;
	case OUT_ZERO_MERGE:
		jw_ki64(w, "err", e->err);
		break;
	case OUT_SCAN_START:
	case OUT_SCAN_STOP:
		jw_ki64(w, "seq", e->seq);
		jw_ku64(w, "rmap_entries", e->rmap_entries);
		break;
	case OUT_UNMERGE:
		jw_kbool(w, "zero", d->zero);
		jw_kbool(w, "kernel", e->flags & KS_F_KERNEL_FAULT);
		break;
	default:
		break;
	}
	jw_obj_end(w);
}

void evfmt_summary_text(FILE *f, const struct trace_totals *t)
{
	fprintf(f, "\nEvents printed:");
	for (int k = OUT_NONE + 1; k < OUT__MAX; k++)
		fprintf(f, " %s=%" PRIu64, out_kind_name(k), t->counts[k]);
	fprintf(f, "\nFailed merge attempts (in merge): %" PRIu64 "\n", t->failed_merges);
	fprintf(f, "COW faults not on KSM pages: %" PRIu64 " tracked, %" PRIu64 " untracked\n",
		t->cow_other, t->cow_untracked);
	fprintf(f, "Ring-buffer drops: %" PRIu64 "\n", t->drops);
	fflush(f);
}

void evfmt_summary_json(struct jw *w, const struct trace_totals *t)
{
	jw_reset(w);
	jw_obj_begin(w);
	jw_kstr(w, "event", "summary");
	jw_key(w, "counts");
	jw_obj_begin(w);
	for (int k = OUT_NONE + 1; k < OUT__MAX; k++)
		jw_ku64(w, out_kind_name(k), t->counts[k]);
	jw_obj_end(w);
	jw_ku64(w, "drops", t->drops);
	jw_ku64(w, "failed_merges", t->failed_merges);
	jw_ku64(w, "cow_other", t->cow_other);
	jw_ku64(w, "cow_untracked", t->cow_untracked);
	jw_ku64(w, "cow_faults", t->cow_faults);
	jw_obj_end(w);
}
