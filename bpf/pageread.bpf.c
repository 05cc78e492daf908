// SPDX-License-Identifier: GPL-2.0
/*
 * Read the first bytes of physical pages through the kernel's direct map.
 *
 * A sampled scan must decide whether to keep a page before reading it whole.
 * Reading the page's prefix through /proc/PID/mem costs as much as reading the
 * whole page (the per-page cost is the mm walk, not the copy); reading it here,
 * by frame number, costs about a seventh, takes no lock of the target's mm and
 * pins nothing. Userspace fills pfn_in[], runs this program with
 * BPF_PROG_TEST_RUN, and finds the prefixes in the mmapped out map.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "pageread.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by userspace (validated against a page of its own before use). */
__u64 direct_map;  /* virtual address of pfn 0 in the direct map */
__u64 offset;      /* byte offset inside each page */
__u32 n;           /* entries of pfn_in to read */
__u64 pfn_in[PAGEREAD_BATCH];

struct prefix {
	char b[PAGEREAD_PREFIX];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PAGEREAD_BATCH);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct prefix);
} prefixes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PAGEREAD_BATCH);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __s32);
} errors SEC(".maps");

static long read_one(__u32 i, void *ctx)
{
	struct prefix *p;
	__s32 *err;
	__u32 j = i, key;
	__u64 pfn;

	/* keep the mask the verifier needs from being folded away */
	asm volatile("" : "+r"(j));
	j &= PAGEREAD_BATCH - 1;
	pfn = pfn_in[j];
	key = j;
	p = bpf_map_lookup_elem(&prefixes, &key);
	err = bpf_map_lookup_elem(&errors, &key);
	if (!p || !err)
		return 1;
	*err = bpf_probe_read_kernel(p->b, sizeof(p->b), (void *)(direct_map + (pfn << 12) + offset));
	return 0;
}

SEC("raw_tp")
int read_prefixes(void *ctx)
{
	bpf_loop(n < PAGEREAD_BATCH ? n : PAGEREAD_BATCH, read_one, NULL, 0);
	return 0;
}
