// SPDX-License-Identifier: GPL-2.0-only
/*
 * ksmscope's page-fault hook taken apart, for fault_bench's "parts" mode.
 *
 * Each program below is one tp_btf/page_fault_user variant; fault_bench
 * loads them all and attaches one at a time, so the cost of each step of
 * bpf/ksmscope.bpf.c's on_fault() can be measured on its own. The code
 * mirrors on_fault() (same counters struct, same pid bitmap in .bss, same
 * record, same helpers); only the piece under test changes.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "events.h"

char LICENSE[] SEC("license") = "GPL";

#define PAGE_MASK_4K (~0xfffULL)

const volatile __u64 wakeup_bytes = 1 << 20; /* ksmscope's default: a quarter of 4M */

__u64 pid_bits[KS_PID_WORDS];
__u64 last_wake_prod; /* p_full_fix: producer position at the last forced wake-up */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ks_counters);
} counters SEC(".maps");

/* a minimal record: what a COW fault needs (pid, page), nothing else */
struct small_rec {
	__u32 type;
	__u32 pid;
	__u64 addr;
};

/* per-CPU staging of small records, flushed to the ring buffer BATCH at a time */
#define BATCH 63
struct batch {
	__u32 n;
	__u32 _pad;
	__u64 _pad2;
	struct small_rec r[BATCH];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct batch);
} batches SEC(".maps");

static __always_inline struct ks_counters *ctrs(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&counters, &zero);
}

static __always_inline bool pid_set(__u32 tgid)
{
	__u32 idx = tgid / 64;

	if (tgid >= KS_PID_LIMIT)
		return false;
	asm volatile("" : "+r"(idx));
	idx &= KS_PID_WORDS - 1;
	return (pid_bits[idx] >> (tgid % 64)) & 1;
}

/* counter + error-code test + pid filter: returns tgid, or 0 to stop here */
static __always_inline __u32 filter(struct ks_counters *c, __u64 error_code)
{
	__u32 tgid;

	if (c)
		c->cow_faults++;
	if ((error_code & (KS_PF_PROT | KS_PF_WRITE)) != (KS_PF_PROT | KS_PF_WRITE))
		return 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (!pid_set(tgid)) {
		if (c)
			c->cow_untracked++;
		return 0;
	}
	return tgid;
}

/* ksmscope's reserve(): count, reserve, zero-fill, timestamp (ts: 0 none, 1 ktime, 2 jiffies) */
static __always_inline struct ks_event *reserve(struct ks_counters *c, int ts)
{
	struct ks_event *e;

	if (c)
		c->seen[KS_REC_COW_FAULT]++;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		if (c)
			c->drops[KS_REC_COW_FAULT]++;
		return NULL;
	}
	e->type = KS_REC_COW_FAULT;
	e->flags = 0;
	e->ts_ns = ts == 1 ? bpf_ktime_get_ns() : ts == 2 ? bpf_jiffies64() : 0;
	e->addr = 0;
	e->pfn = 0;
	e->pid = 0;
	e->err = 0;
	e->seq = 0;
	e->rmap_entries = 0;
	e->fault_code = 0;
	e->_pad = 0;
	return e;
}

/*
 * ksmscope's on_fault() tracked path, with switches for its parts.
 * query: 0 none, 1 ksmscope's submit(), 2 rate-limited forced wake-up.
 */
static __always_inline int rec(__u64 address, __u64 error_code, int ts, bool comm, int query,
			       __u64 flags)
{
	struct ks_counters *c = ctrs();
	struct ks_event *e;
	__u32 tgid = filter(c, error_code);

	if (!tgid)
		return 0;
	e = reserve(c, ts);
	if (!e)
		return 0;
	e->pid = tgid;
	e->addr = address & PAGE_MASK_4K;
	e->fault_code = error_code;
	if (comm)
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	else
		__builtin_memset(e->comm, 0, sizeof(e->comm));
	if (query == 1 && bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes) {
		/* ksmscope's submit(): every record past the mark forces a wake-up */
		if (c)
			c->wakeups++;
		bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	} else if (query == 2 && bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes) {
		/* a fix: at most one forced wake-up per wakeup_bytes of new data */
		__u64 prod = bpf_ringbuf_query(&events, BPF_RB_PROD_POS);

		if (prod - last_wake_prod >= wakeup_bytes) {
			last_wake_prod = prod;
			if (c)
				c->wakeups++;
			bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
		} else {
			bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
		}
	} else {
		bpf_ringbuf_submit(e, flags);
	}
	return 0;
}

/* 0: an empty program: the tracepoint-to-BPF dispatch alone */
SEC("tp_btf/page_fault_user")
int BPF_PROG(p_empty, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return 0;
}

/* 1: the floor, same as min_counter.bpf.c */
SEC("tp_btf/page_fault_user")
int BPF_PROG(p_counter, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	__u32 zero = 0;
	struct ks_counters *c = bpf_map_lookup_elem(&counters, &zero);

	if (c)
		c->cow_faults++;
	return 0;
}

/* 2: on_fault() up to the pid filter: what an untracked fault costs */
SEC("tp_btf/page_fault_user")
int BPF_PROG(p_filter, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	struct ks_counters *c = ctrs();
	__u32 tgid = filter(c, error_code);

	if (tgid && c)
		c->seen[KS_REC_COW_FAULT]++;
	return 0;
}

/* 3: filter + bpf_ktime_get_ns(), no record */
SEC("tp_btf/page_fault_user")
int BPF_PROG(p_ktime, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	struct ks_counters *c = ctrs();
	__u32 tgid = filter(c, error_code);

	if (tgid && c)
		c->seen[KS_REC_COW_FAULT] += bpf_ktime_get_ns() & 1;
	return 0;
}

/* 4: filter + bpf_get_current_comm() into the stack, no record */
SEC("tp_btf/page_fault_user")
int BPF_PROG(p_comm, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	struct ks_counters *c = ctrs();
	__u32 tgid = filter(c, error_code);
	char comm[KS_COMM_LEN];

	if (!tgid)
		return 0;
	bpf_get_current_comm(comm, sizeof(comm));
	if (c)
		c->seen[KS_REC_COW_FAULT] += comm[0] & 1;
	return 0;
}

/* 5: smallest useful record (16 bytes: pid, page), no timestamp/comm, no wake-up */
SEC("tp_btf/page_fault_user")
int BPF_PROG(p_small_nowake, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	struct ks_counters *c = ctrs();
	__u32 tgid = filter(c, error_code);
	struct small_rec *r;

	if (!tgid)
		return 0;
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		if (c)
			c->drops[KS_REC_COW_FAULT]++;
		return 0;
	}
	r->type = KS_REC_COW_FAULT;
	r->pid = tgid;
	r->addr = address & PAGE_MASK_4K;
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	return 0;
}

/* 6: ksmscope's 72-byte record, zero-filled, no timestamp/comm/query, no wake-up */
SEC("tp_btf/page_fault_user")
int BPF_PROG(p_rec_nowake, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return rec(address, error_code, 0, false, 0, BPF_RB_NO_WAKEUP);
}

/* 7: + bpf_ktime_get_ns() */
SEC("tp_btf/page_fault_user")
int BPF_PROG(p_rec_ts, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return rec(address, error_code, 1, false, 0, BPF_RB_NO_WAKEUP);
}

/* 8: + bpf_get_current_comm() */
SEC("tp_btf/page_fault_user")
int BPF_PROG(p_rec_ts_comm, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return rec(address, error_code, 1, true, 0, BPF_RB_NO_WAKEUP);
}

/* 9: + bpf_ringbuf_query() before submit: exactly ksmscope's on_fault() */
SEC("tp_btf/page_fault_user")
int BPF_PROG(p_full, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return rec(address, error_code, 1, true, 1, BPF_RB_NO_WAKEUP);
}

/* 10: ksmscope's record with the default wake-up (flags 0): one wake-up per record
 * whenever the reader has caught up */
SEC("tp_btf/page_fault_user")
int BPF_PROG(p_rec_wake, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return rec(address, error_code, 1, true, 0, 0);
}

/* 11: ksmscope's record stamped with bpf_jiffies64() instead of bpf_ktime_get_ns(), + comm + query */
SEC("tp_btf/page_fault_user")
int BPF_PROG(p_rec_jiffies, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return rec(address, error_code, 2, true, 1, BPF_RB_NO_WAKEUP);
}

/* 12: 16-byte records staged per CPU, one ring-buffer record per BATCH faults */
SEC("tp_btf/page_fault_user")
int BPF_PROG(p_batch, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	struct ks_counters *c = ctrs();
	__u32 tgid = filter(c, error_code), zero = 0, n;
	struct batch *b;

	if (!tgid)
		return 0;
	b = bpf_map_lookup_elem(&batches, &zero);
	if (!b)
		return 0;
	n = b->n;
	if (n >= BATCH)
		n = 0;
	b->r[n].type = KS_REC_COW_FAULT;
	b->r[n].pid = tgid;
	b->r[n].addr = address & PAGE_MASK_4K;
	if (++n == BATCH) {
		if (bpf_ringbuf_output(&events, b, sizeof(*b), BPF_RB_NO_WAKEUP) && c)
			c->drops[KS_REC_COW_FAULT]++;
		n = 0;
	}
	b->n = n;
	return 0;
}

/* 13: p_full with submit() fixed: one forced wake-up per wakeup_bytes, not one per record */
SEC("tp_btf/page_fault_user")
int BPF_PROG(p_full_fix, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return rec(address, error_code, 1, true, 2, BPF_RB_NO_WAKEUP);
}
