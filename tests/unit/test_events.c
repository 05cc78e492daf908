// SPDX-License-Identifier: GPL-2.0-only
/*
 * bpf/events.h is a wire format between the BPF programs and userspace: pin every
 * offset, size and tag value so a layout change is a deliberate, visible edit.
 */
#include <stddef.h>

#include "bpf/events.h"
#include "harness.h"

#define FSIZE(t, f) sizeof(((struct t *)0)->f)

static void test_event_layout(void)
{
	CHECK_U64(sizeof(struct ks_event), 72);
	CHECK_U64(_Alignof(struct ks_event), 8);
	CHECK_U64(offsetof(struct ks_event, type), 0); /* the tag first: dispatch before trust */
	CHECK_U64(offsetof(struct ks_event, flags), 4);
	CHECK_U64(offsetof(struct ks_event, ts_ns), 8);
	CHECK_U64(offsetof(struct ks_event, addr), 16);
	CHECK_U64(offsetof(struct ks_event, pfn), 24);
	CHECK_U64(offsetof(struct ks_event, pid), 32);
	CHECK_U64(offsetof(struct ks_event, err), 36);
	CHECK_U64(offsetof(struct ks_event, seq), 40);
	CHECK_U64(offsetof(struct ks_event, rmap_entries), 44);
	CHECK_U64(offsetof(struct ks_event, fault_code), 48);
	CHECK_U64(offsetof(struct ks_event, _pad), 52);
	CHECK_U64(offsetof(struct ks_event, comm), 56);

	CHECK_U64(FSIZE(ks_event, type), 4);
	CHECK_U64(FSIZE(ks_event, flags), 4);
	CHECK_U64(FSIZE(ks_event, ts_ns), 8);
	CHECK_U64(FSIZE(ks_event, addr), 8);
	CHECK_U64(FSIZE(ks_event, pfn), 8);
	CHECK_U64(FSIZE(ks_event, pid), 4);
	CHECK_U64(FSIZE(ks_event, err), 4);
	CHECK_U64(FSIZE(ks_event, seq), 4);
	CHECK_U64(FSIZE(ks_event, rmap_entries), 4);
	CHECK_U64(FSIZE(ks_event, fault_code), 4);
	CHECK_U64(FSIZE(ks_event, _pad), 4);
	CHECK_U64(FSIZE(ks_event, comm), 16);
	CHECK_U64(KS_COMM_LEN, 16);
	/* the fields tile the record: no hidden padding */
	CHECK_U64(offsetof(struct ks_event, comm) + FSIZE(ks_event, comm), sizeof(struct ks_event));
}

static void test_event_signedness(void)
{
	struct ks_event e = { 0 };

	/* err and seq carry negative values (-EBUSY, seq before the first scan) */
	e.err = -16;
	e.seq = -1;
	CHECK(e.err < 0);
	CHECK(e.seq < 0);
	/* the rest are unsigned */
	e.pid = (__u32)-1;
	e.flags = (__u32)-1;
	e.rmap_entries = (__u32)-1;
	CHECK(e.pid > 0);
	CHECK(e.flags > 0);
	CHECK(e.rmap_entries > 0);
}

static void test_tags_and_flags(void)
{
	CHECK_U64(KS_REC_MERGE, 1); /* 0 is never a valid tag */
	CHECK_U64(KS_REC_ZERO_MERGE, 2);
	CHECK_U64(KS_REC_KSM_PAGE_FREED, 3);
	CHECK_U64(KS_REC_RMAP_REMOVED, 4);
	CHECK_U64(KS_REC_SCAN_START, 5);
	CHECK_U64(KS_REC_SCAN_STOP, 6);
	CHECK_U64(KS_REC_KSM_ENTER, 7);
	CHECK_U64(KS_REC_KSM_EXIT, 8);
	CHECK_U64(KS_REC_COW_FAULT, 9);
	CHECK_U64(KS_REC__MAX, 10);

	CHECK_U64(KS_F_NEW_KSM_PAGE, 1);
	CHECK_U64(KS_F_KERNEL_FAULT, 2);
	CHECK_U64(KS_F_OWNER_UNKNOWN, 4);
	CHECK_U64(KS_PF_PROT, 1);
	CHECK_U64(KS_PF_WRITE, 2);

	CHECK_U64(KS_PID_LIMIT, 4194304);
	CHECK_U64(KS_PID_WORDS * 64, KS_PID_LIMIT);
}

static void test_counters_layout(void)
{
	CHECK_U64(sizeof(struct ks_counters), 8 * (2 * 10 + 3));
	CHECK_U64(offsetof(struct ks_counters, seen), 0);
	CHECK_U64(offsetof(struct ks_counters, drops), 80);
	CHECK_U64(offsetof(struct ks_counters, cow_faults), 160);
	CHECK_U64(offsetof(struct ks_counters, cow_untracked), 168);
	CHECK_U64(offsetof(struct ks_counters, wakeups), 176);
	CHECK_U64(FSIZE(ks_counters, seen), 8 * KS_REC__MAX);
	CHECK_U64(FSIZE(ks_counters, drops), 8 * KS_REC__MAX);
}

int main(void)
{
	RUN(test_event_layout);
	RUN(test_event_signedness);
	RUN(test_tags_and_flags);
	RUN(test_counters_layout);
	RESULT();
}
