// SPDX-License-Identifier: GPL-2.0-only
/*
 * The floor for any page-fault hook: a tp_btf program on page_fault_user
 * that only bumps a per-CPU array counter (the map kind ksmscope's counters
 * use). fault_bench compares ksmscope's cost against this one.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

SEC("tp_btf/page_fault_user")
int BPF_PROG(min_fault_user, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&hits, &zero);

	if (n)
		(*n)++;
	return 0;
}
