/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one record schema shared by the BPF programs and userspace.
 * Fixed-width fields only; the type tag comes first so a reader can dispatch
 * before it trusts anything else in the record.
 */
#ifndef KSMSCOPE_EVENTS_H
#define KSMSCOPE_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define KS_COMM_LEN 16
/* PID_MAX_LIMIT on 64-bit: the pid filter is a bitmap over every possible pid. */
#define KS_PID_LIMIT (1u << 22)
#define KS_PID_WORDS (KS_PID_LIMIT / 64)
/* Up to this many --pid targets are compared directly: no cache miss in the pid bitmap. */
#define KS_PID_LIST 8

/*
 * The fault filter as instruction immediates: the fault programs load these
 * placeholder values with `rX = imm` and the loader writes the real ones over
 * them before the programs are loaded, so deciding that a fault is not
 * tracked reads no memory. Left as they are, they send every fault to the
 * filter in memory (correct, slower). Decimal: what the BPF assembler takes.
 */
#define KS_IMM_MODE 2125266688 /* 0x7ead0000: enum ks_fmode */
#define KS_IMM_SELF 2125266689 /* our own tgid */
#define KS_IMM_PID0 2125266704 /* 0x7ead0010..17: the --pid targets, 0 for none */
#define KS_IMM_COUNT (2 + KS_PID_LIST)
enum ks_fmode { KS_FMODE_ALL = 1, KS_FMODE_LIST = 2 };
/* Untracked faults are counted for one page address in this many (and counted this many times). */
#define KS_UNTRACKED_SAMPLE 64

enum ks_rec_type {
	KS_REC_MERGE = 1,      /* ksm:ksm_merge_with_ksm_page */
	KS_REC_ZERO_MERGE,     /* ksm:ksm_merge_one_page (use_zero_pages) */
	KS_REC_KSM_PAGE_FREED, /* ksm:ksm_remove_ksm_page */
	KS_REC_RMAP_REMOVED,   /* ksm:ksm_remove_rmap_item */
	KS_REC_SCAN_START,     /* ksm:ksm_start_scan */
	KS_REC_SCAN_STOP,      /* ksm:ksm_stop_scan */
	KS_REC_KSM_ENTER,      /* ksm:ksm_enter (fork children: at sched_process_fork) */
	KS_REC_KSM_EXIT,       /* ksm:ksm_exit */
	KS_REC_COW_FAULT,      /* present+write fault of a tracked process */
	KS_REC__MAX
};

enum ks_flags {
	KS_F_NEW_KSM_PAGE = 1u << 0,  /* merge promoted this page to a new KSM page */
	KS_F_KERNEL_FAULT = 1u << 1,  /* fault taken in the kernel on the task's behalf */
	KS_F_OWNER_UNKNOWN = 1u << 2, /* pid/comm could not be resolved for this mm */
	KS_F_JIFFIES = 1u << 3,       /* ts_ns holds jiffies (the fault hot path): userspace converts */
	KS_F_POLLED = 1u << 4,        /* made in userspace by the polling source (scans: full_scans moved) */
	KS_F_UNCONFIRMED = 1u << 5,   /* a fault of unknown kind (perf event): a break only if pagemap says so */
};

/* x86 page-fault error code bits (arch/x86/include/asm/trap_pf.h) */
#define KS_PF_PROT 0x1
#define KS_PF_WRITE 0x2

struct ks_event {
	__u32 type;  /* enum ks_rec_type */
	__u32 flags; /* enum ks_flags */
	__u64 ts_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 addr;  /* page-aligned user virtual address */
	__u64 pfn;   /* merge: the KSM page's pfn; fault: 0 */
	__u32 pid;   /* tgid */
	__s32 err;
	__s32 seq;          /* scan sequence number */
	__u32 rmap_entries; /* rmap items at scan start/stop */
	__u32 fault_code;   /* x86 error code for COW faults */
	__u32 _pad;
	char comm[KS_COMM_LEN];
};

/* Per-CPU counters, one array slot; summed by userspace. */
struct ks_counters {
	__u64 seen[KS_REC__MAX];  /* records attempted, by type */
	__u64 drops[KS_REC__MAX]; /* ring-buffer reserve failures, by type */
	__u64 cow_faults;         /* present+write faults the hooks saw, tracked or not */
	__u64 cow_untracked;      /* present+write faults of processes not tracked */
	__u64 wakeups;            /* forced reader wake-ups */
};

_Static_assert(sizeof(struct ks_event) == 72, "ks_event layout changed");
_Static_assert(__builtin_offsetof(struct ks_event, type) == 0, "type tag must come first");
_Static_assert(sizeof(struct ks_counters) == 8 * (2 * KS_REC__MAX + 3), "ks_counters layout");

#endif
