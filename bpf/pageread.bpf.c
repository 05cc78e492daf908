// SPDX-License-Identifier: GPL-2.0
/*
 * Read the first bytes of physical pages through the kernel's direct map.
 *
 * A sampled scan must decide whether to keep a page before reading it whole.
 * Reading the page's prefix through /proc/PID/mem costs as much as reading the
 * whole page (the per-page cost is the mm walk, not the copy); reading it here,
 * by frame number, costs about a seventh, takes no lock of the target's mm and
 * pins nothing. Userspace fills pfn_in[], runs this program with
 * BPF_PROG_TEST_RUN, and finds the prefixes in the mmapped .bss.
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

/* Outputs in .bss: userspace reads them through the skeleton's mmap, no map lookups here. */
char prefixes[PAGEREAD_BATCH][PAGEREAD_PREFIX];
__s32 errors[PAGEREAD_BATCH];

static long read_one(__u32 i, void *ctx)
{
	__u32 j = i;

	/* keep the mask the verifier needs from being folded away */
	asm volatile("" : "+r"(j));
	j &= PAGEREAD_BATCH - 1;
	errors[j] = bpf_probe_read_kernel(prefixes[j], PAGEREAD_PREFIX,
					  (void *)(direct_map + (pfn_in[j] << 12) + offset));
	return 0;
}

SEC("raw_tp")
int read_prefixes(void *ctx)
{
	bpf_loop(n < PAGEREAD_BATCH ? n : PAGEREAD_BATCH, read_one, NULL, 0);
	return 0;
}
