// SPDX-License-Identifier: GPL-2.0-only
/*
 * KSM merge path and page-fault path hooks.
 *
 * Every hook exists as tp_btf (preferred, cheaper) and as a classic
 * tracepoint (when the kernel's BTF lacks the btf_trace_* type). Before the
 * ksm:* tracepoints (Linux 6.4), merges and KSM entry/exit come from fexit /
 * fentry on the functions that emit them later, or from kprobes. Userspace
 * picks one source per capability (tracer/loader.c) and autoloads its
 * programs alone.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "events.h"

char LICENSE[] SEC("license") = "GPL";

#define PAGE_MASK_4K (~0xfffULL)
#define PF_EXITING 0x00000004 /* include/linux/sched.h */

/* Set by userspace before load. */
const volatile bool filter_pids = false;  /* track only pids set in pid_bits */
const volatile bool filter_comm = false;  /* track only tasks named target_comm */
const volatile char target_comm[KS_COMM_LEN] = {};
const volatile __u32 self_tgid = 0;       /* never track ourselves */
const volatile __u64 wakeup_bytes = 0;    /* force a wake-up per this much data produced */
const volatile __u32 npid_list = 0;       /* 1..KS_PID_LIST: the pid filter is pid_list */
const volatile __u32 pid_list[KS_PID_LIST] = {};

const volatile __u64 vmemmap_sym = 0;     /* &vmemmap_base (kallsyms, KASLR); 0: the fixed base */

/* Written by userspace through the mmapped .bss. */
__u64 pid_bits[KS_PID_WORDS];
/* ring producer position at the last forced wake-up (a hint: races only cost a wake-up) */
__u64 last_wake_prod;
/* one (ktime, jiffies) pair, taken by the calibrate program for userspace */
__u64 calib_ns, calib_jiffies;
/* struct page of pfn 0 (x86-64 vmemmap), read once by the first fexit/kprobe merge */
__u64 vmemmap;

/* Before Linux 6.1 the KSM structs had no ksm_ prefix. */
struct rmap_item___old {
	struct mm_struct *mm;
	unsigned long address;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* resized by userspace (--ringbuf-size) */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ks_counters);
} counters SEC(".maps");

struct owner {
	__u32 tgid;
	char comm[KS_COMM_LEN];
};

/* mm -> owner, for when mm->owner is missing (no CONFIG_MEMCG) or already cleared (exit). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct owner);
} mm_owners SEC(".maps");

/* forking thread (pid_tgid) -> child mm that entered KSM before the child had a pid */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64);
} pending_fork SEC(".maps");

static __always_inline struct ks_counters *ctrs(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&counters, &zero);
}

static __always_inline bool pid_set(__u32 tgid)
{
	__u32 idx = tgid / 64;

	if (npid_list) {
		/* a few pids: compare them, the bitmap word would be a cache miss */
		for (int i = 0; i < KS_PID_LIST; i++)
			if (i < npid_list && pid_list[i] == tgid)
				return true;
		return false;
	}
	if (tgid >= KS_PID_LIMIT)
		return false;
	/* hide idx's range from the compiler so the mask the verifier needs survives */
	asm volatile("" : "+r"(idx));
	idx &= KS_PID_WORDS - 1;
	return (pid_bits[idx] >> (tgid % 64)) & 1;
}

static __always_inline bool comm_matches(const char *comm)
{
	for (int i = 0; i < KS_COMM_LEN; i++) {
		if (comm[i] != target_comm[i])
			return false;
		if (!comm[i])
			return true;
	}
	return true;
}

static __always_inline bool tracked(__u32 tgid, const char *comm)
{
	if (tgid == self_tgid)
		return false;
	if (filter_pids && !pid_set(tgid))
		return false;
	if (filter_comm && !comm_matches(comm))
		return false;
	return true;
}

/*
 * jiffies: stamp with bpf_jiffies64() instead of bpf_ktime_get_ns(), ~50 ns
 * cheaper; userspace converts it with a calibrated (ktime, jiffies) pair, to a
 * tick's resolution. Only the page-fault hot path does that.
 */
static __always_inline struct ks_event *reserve_ts(struct ks_counters *c, __u32 type, bool jiffies)
{
	struct ks_event *e;

	if (c && type < KS_REC__MAX)
		c->seen[type]++;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		if (c && type < KS_REC__MAX)
			c->drops[type]++;
		return NULL;
	}
	e->type = type;
	e->flags = jiffies ? KS_F_JIFFIES : 0;
	e->ts_ns = jiffies ? bpf_jiffies64() : bpf_ktime_get_ns();
	e->addr = 0;
	e->pfn = 0;
	e->pid = 0;
	e->err = 0;
	e->seq = 0;
	e->rmap_entries = 0;
	e->fault_code = 0;
	e->_pad = 0;
	__builtin_memset(e->comm, 0, sizeof(e->comm));
	return e;
}

static __always_inline struct ks_event *reserve(struct ks_counters *c, __u32 type)
{
	return reserve_ts(c, type, false);
}

/*
 * Batched wake-ups: one forced wake-up per wakeup_bytes produced; otherwise
 * the reader finds the records on its next poll timeout. Measured on the
 * amount produced, not the amount unread: a stopped reader must not turn
 * every record into a wake-up (+15 us a fault).
 */
static __always_inline void submit(struct ks_counters *c, struct ks_event *e)
{
	__u64 prod = bpf_ringbuf_query(&events, BPF_RB_PROD_POS);

	if (prod - last_wake_prod >= wakeup_bytes) {
		last_wake_prod = prod;
		if (c)
			c->wakeups++;
		bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	} else {
		bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	}
}

/* Rare host-wide events: wake the reader now, they are worth seeing promptly. */
static __always_inline void submit_now(struct ks_event *e)
{
	bpf_ringbuf_submit(e, 0);
}

/* Fill pid/comm of the process owning mm. Returns false if it cannot be told. */
static __always_inline bool mm_owner(struct mm_struct *mm, __u32 *tgid, char *comm)
{
	struct task_struct *o = NULL;
	struct owner *ow;
	__u64 key = (__u64)mm;

	if (bpf_core_field_exists(mm->owner))
		o = BPF_CORE_READ(mm, owner);
	if (o) {
		*tgid = BPF_CORE_READ(o, tgid);
		BPF_CORE_READ_STR_INTO((char(*)[KS_COMM_LEN])comm, o, comm);
		return true;
	}
	ow = bpf_map_lookup_elem(&mm_owners, &key);
	if (ow) {
		*tgid = ow->tgid;
		__builtin_memcpy(comm, ow->comm, KS_COMM_LEN);
		return true;
	}
	/*
	 * exit_mm() clears mm->owner and current->mm before the last mmput(), so at
	 * ksm_exit the mm usually belongs to the exiting current task. A /proc
	 * reader that drops the last reference is not exiting: left unknown.
	 */
	o = (struct task_struct *)bpf_get_current_task();
	if (BPF_CORE_READ(o, mm) || !(BPF_CORE_READ(o, flags) & PF_EXITING))
		return false;
	*tgid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(comm, KS_COMM_LEN);
	return true;
}

static __always_inline void remember_owner(__u64 mm, __u32 tgid, const char *comm)
{
	struct owner ow = { .tgid = tgid };

	__builtin_memcpy(ow.comm, comm, KS_COMM_LEN);
	bpf_map_update_elem(&mm_owners, &mm, &ow, BPF_ANY);
}

/* rmap_item->address (flags live below the page bits) and ->mm, under either struct name. */
static __always_inline __u64 rmap_addr(__u64 ri)
{
	if (bpf_core_type_exists(struct ksm_rmap_item))
		return BPF_CORE_READ((struct ksm_rmap_item *)ri, address) & PAGE_MASK_4K;
	return BPF_CORE_READ((struct rmap_item___old *)ri, address) & PAGE_MASK_4K;
}

static __always_inline __u64 rmap_mm(__u64 ri)
{
	if (bpf_core_type_exists(struct ksm_rmap_item))
		return (__u64)BPF_CORE_READ((struct ksm_rmap_item *)ri, mm);
	return (__u64)BPF_CORE_READ((struct rmap_item___old *)ri, mm);
}

/*
 * page_to_pfn on x86-64 (SPARSEMEM_VMEMMAP): the page's index in the vmemmap
 * array. Elsewhere 0: userspace takes the frame from pagemap at the event
 * (merge_frame), which it does on x86-64 too.
 */
static __always_inline __u64 page_pfn(__u64 page)
{
#if defined(__TARGET_ARCH_x86)
	if (!vmemmap) {
		__u64 v = 0xffffea0000000000ULL; /* VMEMMAP_START without KASLR, 4-level paging */

		if (vmemmap_sym)
			bpf_probe_read_kernel(&v, sizeof(v), (void *)vmemmap_sym);
		vmemmap = v;
	}
	return (page - vmemmap) / bpf_core_type_size(struct page);
#else
	return 0;
#endif
}

/* A per-process KSM event: attribute, filter, fill. NULL when filtered or dropped. */
static __always_inline struct ks_event *mm_event(__u32 type, __u64 mm, __u64 rmap_item)
{
	struct ks_counters *c = ctrs();
	char comm[KS_COMM_LEN] = {};
	struct ks_event *e;
	__u32 tgid = 0;
	bool known;

	known = mm_owner((struct mm_struct *)mm, &tgid, comm);
	/* Unattributable events can only be shown when nothing is filtered. */
	if (known ? !tracked(tgid, comm) : (filter_pids || filter_comm))
		return NULL;
	e = reserve(c, type);
	if (!e)
		return NULL;
	e->pid = tgid;
	__builtin_memcpy(e->comm, comm, KS_COMM_LEN);
	if (!known)
		e->flags |= KS_F_OWNER_UNKNOWN;
	if (rmap_item)
		e->addr = rmap_addr(rmap_item);
	return e;
}

static __always_inline int on_merge(__u64 ksm_page, __u64 pfn, __u64 rmap_item, __u64 mm, int err)
{
	struct ks_event *e = mm_event(KS_REC_MERGE, mm, rmap_item);

	if (!e)
		return 0;
	e->pfn = pfn;
	e->err = err;
	if (!ksm_page)
		e->flags |= KS_F_NEW_KSM_PAGE;
	submit(ctrs(), e);
	return 0;
}

static __always_inline int on_zero_merge(__u64 pfn, __u64 rmap_item, __u64 mm, int err)
{
	struct ks_event *e = mm_event(KS_REC_ZERO_MERGE, mm, rmap_item);

	if (!e)
		return 0;
	e->pfn = pfn;
	e->err = err;
	submit(ctrs(), e);
	return 0;
}

static __always_inline int on_rmap_removed(__u64 pfn, __u64 rmap_item, __u64 mm)
{
	struct ks_event *e = mm_event(KS_REC_RMAP_REMOVED, mm, rmap_item);

	if (!e)
		return 0;
	e->pfn = pfn;
	submit(ctrs(), e);
	return 0;
}

static __always_inline int on_ksm_page_freed(__u64 pfn)
{
	struct ks_event *e = reserve(ctrs(), KS_REC_KSM_PAGE_FREED);

	if (!e)
		return 0;
	e->pfn = pfn;
	submit(ctrs(), e);
	return 0;
}

static __always_inline int on_scan(__u32 type, int seq, __u32 rmap_entries)
{
	struct ks_event *e = reserve(ctrs(), type);

	if (!e)
		return 0;
	e->seq = seq;
	e->rmap_entries = rmap_entries;
	submit_now(e);
	return 0;
}

static __always_inline int emit_enter(__u64 mm, __u32 tgid, const char *comm)
{
	struct ks_event *e;

	remember_owner(mm, tgid, comm);
	if (!tracked(tgid, comm))
		return 0;
	e = reserve(ctrs(), KS_REC_KSM_ENTER);
	if (!e)
		return 0;
	e->pid = tgid;
	__builtin_memcpy(e->comm, comm, KS_COMM_LEN);
	submit_now(e);
	return 0;
}

static __always_inline int on_enter(__u64 mm)
{
	struct task_struct *cur = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	char comm[KS_COMM_LEN] = {};

	/*
	 * ksm_fork() enters the child's mm, in the parent, before the child has
	 * a pid: park it under the forking thread until sched_process_fork.
	 */
	if ((__u64)BPF_CORE_READ(cur, mm) != mm) {
		bpf_map_update_elem(&pending_fork, &id, &mm, BPF_ANY);
		return 0;
	}
	bpf_get_current_comm(comm, sizeof(comm));
	return emit_enter(mm, id >> 32, comm);
}

/* Runs in the parent right after copy_process(): the child now has its pid. */
static __always_inline int on_fork(__u32 child_pid)
{
	__u64 id = bpf_get_current_pid_tgid();
	char comm[KS_COMM_LEN] = {};
	__u64 *mmp, mm;

	mmp = bpf_map_lookup_elem(&pending_fork, &id);
	if (!mmp)
		return 0;
	mm = *mmp;
	bpf_map_delete_elem(&pending_fork, &id);
	bpf_get_current_comm(comm, sizeof(comm)); /* a fork child starts with its parent's comm */
	return emit_enter(mm, child_pid, comm);
}

static __always_inline int on_exit(__u64 mm)
{
	struct ks_event *e = mm_event(KS_REC_KSM_EXIT, mm, 0);

	bpf_map_delete_elem(&mm_owners, &mm);
	if (e)
		submit_now(e);
	return 0;
}

/*
 * The hot path. Only present+write faults (copy-on-write) of tracked
 * processes become records; everything else is a per-CPU count.
 */
#define KS_STR_(x) #x
#define KS_STR(x) KS_STR_(x)
/* A value the loader writes into the instruction (events.h): opaque to the compiler. */
#define KS_IMM(k)                                               \
	({                                                      \
		__u64 v_;                                       \
		asm volatile("%0 = " KS_STR(k) : "=r"(v_));     \
		v_;                                             \
	})

/*
 * 1 tracked, 0 not, -1 ask the filter in memory (a pid bitmap, a comm). The
 * common setups (every process; up to KS_PID_LIST pids) are decided from
 * immediates: a .rodata read cost ~30 ns of cache miss per fault here.
 */
/* the pid placeholders below are written out (the assembler needs literals): keep them events.h's */
_Static_assert(2125266704 == KS_IMM_PID0 && 2125266711 == KS_IMM_PID0 + KS_PID_LIST - 1, "pid placeholders");

static __always_inline int fault_filter(__u32 tgid)
{
	__u64 mode = KS_IMM(KS_IMM_MODE);

	if (tgid == KS_IMM(KS_IMM_SELF))
		return 0;
	if (mode == KS_FMODE_ALL)
		return 1;
	if (mode != KS_FMODE_LIST)
		return -1;
	return tgid == KS_IMM(2125266704) || tgid == KS_IMM(2125266705) || tgid == KS_IMM(2125266706) ||
	       tgid == KS_IMM(2125266707) || tgid == KS_IMM(2125266708) || tgid == KS_IMM(2125266709) ||
	       tgid == KS_IMM(2125266710) || tgid == KS_IMM(2125266711);
}

static __always_inline int on_fault(__u64 address, __u64 error_code, bool kernel, bool btf)
{
	char comm[KS_COMM_LEN];
	struct ks_counters *c;
	struct ks_event *e;
	__u32 tgid;
	int ff;

	/* most faults are not copy-on-write: leave before touching anything */
	if ((error_code & (KS_PF_PROT | KS_PF_WRITE)) != (KS_PF_PROT | KS_PF_WRITE))
		return 0;
	/* kernel-mode faults count only on user addresses (copy_to_user and friends) */
	if (kernel && (address >> 63))
		return 0;
	/* tp_btf: the task's tgid read directly, cheaper than the helper call */
	tgid = btf ? bpf_get_current_task_btf()->tgid : (__u32)(bpf_get_current_pid_tgid() >> 32);
	ff = fault_filter(tgid);
	comm[0] = 0;
	if (ff < 0 && filter_comm)
		bpf_get_current_comm(comm, sizeof(comm));
	if (ff == 0 || (ff < 0 && !tracked(tgid, comm))) {
		/* counted by page address, one in KS_UNTRACKED_SAMPLE: the rest touch no memory */
		if (!((address >> 12) & (KS_UNTRACKED_SAMPLE - 1)) && (c = ctrs())) {
			c->cow_faults += KS_UNTRACKED_SAMPLE;
			c->cow_untracked += KS_UNTRACKED_SAMPLE;
		}
		return 0;
	}
	c = ctrs();
	if (c)
		c->cow_faults++;
	/* the hot path: no comm (~40 ns), jiffies for time (~50 ns); userspace fills both in */
	e = reserve_ts(c, KS_REC_COW_FAULT, true);
	if (!e)
		return 0;
	e->pid = tgid;
	e->addr = address & PAGE_MASK_4K;
	e->fault_code = error_code;
	if (kernel)
		e->flags |= KS_F_KERNEL_FAULT;
	if (filter_comm)
		__builtin_memcpy(e->comm, comm, KS_COMM_LEN);
	submit(c, e);
	return 0;
}

/* Run by userspace (BPF_PROG_TEST_RUN), never attached: pairs the two clocks. */
SEC("raw_tp")
int calibrate(void *ctx)
{
	calib_ns = bpf_ktime_get_ns();
	calib_jiffies = bpf_jiffies64();
	return 0;
}

/* ---- tp_btf programs ---- */

SEC("tp_btf/ksm_merge_with_ksm_page")
int BPF_PROG(btf_merge, void *ksm_page, unsigned long pfn, void *rmap_item, void *mm, int err)
{
	return on_merge((__u64)ksm_page, pfn, (__u64)rmap_item, (__u64)mm, err);
}

SEC("tp_btf/ksm_merge_one_page")
int BPF_PROG(btf_zero_merge, unsigned long pfn, void *rmap_item, void *mm, int err)
{
	return on_zero_merge(pfn, (__u64)rmap_item, (__u64)mm, err);
}

SEC("tp_btf/ksm_remove_ksm_page")
int BPF_PROG(btf_ksm_page_freed, unsigned long pfn)
{
	return on_ksm_page_freed(pfn);
}

SEC("tp_btf/ksm_remove_rmap_item")
int BPF_PROG(btf_rmap_removed, unsigned long pfn, void *rmap_item, void *mm)
{
	return on_rmap_removed(pfn, (__u64)rmap_item, (__u64)mm);
}

SEC("tp_btf/ksm_start_scan")
int BPF_PROG(btf_scan_start, int seq, __u32 rmap_entries)
{
	return on_scan(KS_REC_SCAN_START, seq, rmap_entries);
}

SEC("tp_btf/ksm_stop_scan")
int BPF_PROG(btf_scan_stop, int seq, __u32 rmap_entries)
{
	return on_scan(KS_REC_SCAN_STOP, seq, rmap_entries);
}

SEC("tp_btf/ksm_enter")
int BPF_PROG(btf_enter, void *mm)
{
	return on_enter((__u64)mm);
}

SEC("tp_btf/ksm_exit")
int BPF_PROG(btf_exit, void *mm)
{
	return on_exit((__u64)mm);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(btf_fork, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(BPF_CORE_READ(child, tgid));
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(btf_fault_user, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return on_fault(address, error_code, false, true);
}

SEC("tp_btf/page_fault_kernel")
int BPF_PROG(btf_fault_kernel, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return on_fault(address, error_code, true, true);
}

/* ---- classic tracepoint programs (fallback) ---- */

/* exceptions:page_fault_{user,kernel} layout (its raw struct is not in BTF). */
struct ks_tp_fault {
	__u64 common;
	unsigned long address;
	unsigned long ip;
	unsigned long error_code;
};

SEC("tracepoint/ksm/ksm_merge_with_ksm_page")
int tp_merge(struct trace_event_raw_ksm_merge_with_ksm_page *ctx)
{
	return on_merge((__u64)ctx->ksm_page, ctx->pfn, (__u64)ctx->rmap_item, (__u64)ctx->mm, ctx->err);
}

SEC("tracepoint/ksm/ksm_merge_one_page")
int tp_zero_merge(struct trace_event_raw_ksm_merge_one_page *ctx)
{
	return on_zero_merge(ctx->pfn, (__u64)ctx->rmap_item, (__u64)ctx->mm, ctx->err);
}

SEC("tracepoint/ksm/ksm_remove_ksm_page")
int tp_ksm_page_freed(struct trace_event_raw_ksm_remove_ksm_page *ctx)
{
	return on_ksm_page_freed(ctx->pfn);
}

SEC("tracepoint/ksm/ksm_remove_rmap_item")
int tp_rmap_removed(struct trace_event_raw_ksm_remove_rmap_item *ctx)
{
	return on_rmap_removed(ctx->pfn, (__u64)ctx->rmap_item, (__u64)ctx->mm);
}

SEC("tracepoint/ksm/ksm_start_scan")
int tp_scan_start(struct trace_event_raw_ksm_scan_template *ctx)
{
	return on_scan(KS_REC_SCAN_START, ctx->seq, ctx->rmap_entries);
}

SEC("tracepoint/ksm/ksm_stop_scan")
int tp_scan_stop(struct trace_event_raw_ksm_scan_template *ctx)
{
	return on_scan(KS_REC_SCAN_STOP, ctx->seq, ctx->rmap_entries);
}

SEC("tracepoint/ksm/ksm_enter")
int tp_enter(struct trace_event_raw_ksm_enter_exit_template *ctx)
{
	return on_enter((__u64)ctx->mm);
}

SEC("tracepoint/ksm/ksm_exit")
int tp_exit(struct trace_event_raw_ksm_enter_exit_template *ctx)
{
	return on_exit((__u64)ctx->mm);
}

SEC("tracepoint/sched/sched_process_fork")
int tp_fork(struct trace_event_raw_sched_process_fork *ctx)
{
	return on_fork(ctx->child_pid);
}

SEC("tracepoint/exceptions/page_fault_user")
int tp_fault_user(struct ks_tp_fault *ctx)
{
	return on_fault(ctx->address, ctx->error_code, false, false);
}

SEC("tracepoint/exceptions/page_fault_kernel")
int tp_fault_kernel(struct ks_tp_fault *ctx)
{
	return on_fault(ctx->address, ctx->error_code, true, false);
}

/* ---- fexit / fentry (kernels before the ksm:* tracepoints; fexit where the kernel allows it) ---- */

/*
 * The ksm_merge_with_ksm_page tracepoint is emitted at the end of this
 * function, with its result. The arguments are read as numbers: the verifier
 * refuses arithmetic on the typed pointers (page - vmemmap).
 */
SEC("fexit/try_to_merge_with_ksm_page")
int fx_merge(__u64 *ctx)
{
	__u64 a[4] = {}; /* rmap_item, page, kpage, the result */

	bpf_probe_read_kernel(a, sizeof(a), ctx);
	return on_merge(a[2], page_pfn(a[2] ? a[2] : a[1]), a[0], rmap_mm(a[0]), (int)a[3]);
}

/*
 * Copy-on-write where there is no page-fault tracepoint (arm64) or it is refused:
 * wp_page_copy() runs for every write that copies a page it may not reuse, KSM
 * pages always among them. Attributed to the mm's owner: a remote write (ptrace,
 * process_vm_writev) faults in another task.
 */
static __always_inline int on_wp_copy(__u64 vmf)
{
	struct vm_fault *f = (struct vm_fault *)vmf;
	struct mm_struct *mm = BPF_CORE_READ(f, vma, vm_mm);
	char comm[KS_COMM_LEN] = {};
	struct ks_counters *c;
	struct ks_event *e;
	__u32 tgid = 0;

	if (!mm_owner(mm, &tgid, comm)) {
		tgid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(comm, sizeof(comm));
	}
	c = ctrs();
	if (!tracked(tgid, comm)) {
		if (c) {
			c->cow_faults++;
			c->cow_untracked++;
		}
		return 0;
	}
	if (c)
		c->cow_faults++;
	e = reserve(c, KS_REC_COW_FAULT);
	if (!e)
		return 0;
	e->pid = tgid;
	e->addr = BPF_CORE_READ(f, address) & PAGE_MASK_4K;
	e->fault_code = KS_PF_PROT | KS_PF_WRITE;
	__builtin_memcpy(e->comm, comm, KS_COMM_LEN);
	submit(c, e);
	return 0;
}

SEC("fentry/wp_page_copy")
int BPF_PROG(fx_cow, struct vm_fault *vmf)
{
	return on_wp_copy((__u64)vmf);
}

SEC("fentry/__ksm_enter")
int BPF_PROG(fx_enter, struct mm_struct *mm)
{
	return on_enter((__u64)mm);
}

SEC("fentry/__ksm_exit")
int BPF_PROG(fx_exit, struct mm_struct *mm)
{
	return on_exit((__u64)mm);
}

/* ---- perf software event: no page-fault tracepoint and no wp_page_copy to hook (arm64 6.9+) ---- */

/*
 * PERF_COUNT_SW_PAGE_FAULTS with a period of 1 runs this at the start of every
 * fault, with its address but not whether it writes. The targets' faults become
 * records flagged KS_F_UNCONFIRMED; userspace keeps those on merged pages whose
 * frame pagemap then shows changed. Not filtered to mergeable vmas with
 * bpf_find_vma: from this context it costs the fault ~21 us (bench: fault_bench
 * overhead --hooks perf), a record ~0.2 us.
 */
SEC("perf_event")
int pe_fault(struct bpf_perf_event_data *ctx)
{
	__u64 address = ctx->addr;
	char comm[KS_COMM_LEN] = {};
	struct ks_counters *c;
	struct ks_event *e;
	__u32 tgid;

	if (address >> 63)
		return 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (filter_comm)
		bpf_get_current_comm(comm, sizeof(comm));
	if (!tracked(tgid, comm))
		return 0;
	c = ctrs();
	e = reserve_ts(c, KS_REC_COW_FAULT, true);
	if (!e)
		return 0;
	e->flags |= KS_F_UNCONFIRMED;
	e->pid = tgid;
	e->addr = address & PAGE_MASK_4K;
	if (filter_comm)
		__builtin_memcpy(e->comm, comm, KS_COMM_LEN);
	submit(c, e);
	return 0;
}

/* ---- kprobes (where fentry is refused: no BTF trampolines, or lockdown) ---- */

struct merge_call {
	__u64 rmap_item, page, kpage;
};

/* ksmd's thread -> the arguments of the try_to_merge_with_ksm_page call it is in */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);
	__type(value, struct merge_call);
} merge_calls SEC(".maps");

SEC("kprobe/try_to_merge_with_ksm_page")
int BPF_KPROBE(kp_merge, void *rmap_item, void *page, void *kpage)
{
	struct merge_call c = { (__u64)rmap_item, (__u64)page, (__u64)kpage };
	__u64 id = bpf_get_current_pid_tgid();

	bpf_map_update_elem(&merge_calls, &id, &c, BPF_ANY);
	return 0;
}

SEC("kretprobe/try_to_merge_with_ksm_page")
int BPF_KRETPROBE(kr_merge, int ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct merge_call *c = bpf_map_lookup_elem(&merge_calls, &id);
	struct merge_call call;

	if (!c)
		return 0;
	call = *c;
	bpf_map_delete_elem(&merge_calls, &id);
	return on_merge(call.kpage, page_pfn(call.kpage ? call.kpage : call.page), call.rmap_item,
			rmap_mm(call.rmap_item), ret);
}

SEC("kprobe/wp_page_copy")
int BPF_KPROBE(kp_cow, void *vmf)
{
	return on_wp_copy((__u64)vmf);
}

SEC("kprobe/__ksm_enter")
int BPF_KPROBE(kp_enter, void *mm)
{
	return on_enter((__u64)mm);
}

SEC("kprobe/__ksm_exit")
int BPF_KPROBE(kp_exit, void *mm)
{
	return on_exit((__u64)mm);
}
