// SPDX-License-Identifier: GPL-2.0-only
/*
 * Read the first bytes of physical pages through the kernel's direct map.
 *
 * A sampled scan must decide whether to keep a page before reading it whole.
 * Reading the page's prefix through /proc/PID/mem costs as much as reading the
 * whole page (the per-page cost is the mm walk, not the copy); reading it here,
 * by frame number, costs a fraction, takes no lock of the target's mm and pins
 * nothing. Each reader thread owns a slot: it fills pfn_in[slot], runs this
 * program with BPF_PROG_TEST_RUN passing the slot as the first context word,
 * and finds the prefixes in the mmapped .bss.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include "pageread.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by userspace (validated against a page of its own before use). */
__u64 direct_map;  /* virtual address of pfn 0 in the direct map */
__u64 offset;      /* byte offset inside each page */
__u32 n[PAGEREAD_SLOTS];
__u64 pfn_in[PAGEREAD_SLOTS][PAGEREAD_BATCH];

/* Outputs in .bss: userspace reads them through the skeleton's mmap, no map lookups here. */
char prefixes[PAGEREAD_SLOTS][PAGEREAD_BATCH][PAGEREAD_PREFIX];
__s32 errors[PAGEREAD_SLOTS][PAGEREAD_BATCH];
/* whole pages: the sampled scan's kept pages, by the same frame numbers (pfn_in) */
char pages[PAGEREAD_SLOTS][PAGEREAD_PAGES][4096];
/*
 * struct pages: the one at page_base + pfn_in * page_stride (the vmemmap array,
 * or page_stride 1 for addresses), its mapping and the word after it (index).
 */
__u64 page_base, page_stride;
__u64 page_words[PAGEREAD_SLOTS][PAGEREAD_BATCH][2];

struct run {
	__u32 slot;
	bool whole; /* whole pages into pages[], else prefixes[] */
};

static long read_frame(__u32 i, void *ctx)
{
	const struct run *r = ctx;
	__u32 slot = r->slot, j = i;
	__u64 src;

	/* keep the masks the verifier needs from being folded away */
	asm volatile("" : "+r"(j), "+r"(slot));
	j &= PAGEREAD_BATCH - 1;
	slot &= PAGEREAD_SLOTS - 1;
	src = direct_map + (pfn_in[slot][j] << 12);
	if (r->whole) {
		j &= PAGEREAD_PAGES - 1;
		errors[slot][j] = bpf_probe_read_kernel(pages[slot][j], 4096, (void *)src);
	} else {
		errors[slot][j] = bpf_probe_read_kernel(prefixes[slot][j], PAGEREAD_PREFIX, (void *)(src + offset));
	}
	return 0;
}

static long read_struct_page(__u32 i, void *ctx)
{
	__u32 slot = *(__u32 *)ctx, j = i;
	__u64 src;

	asm volatile("" : "+r"(j), "+r"(slot));
	j &= PAGEREAD_BATCH - 1;
	slot &= PAGEREAD_SLOTS - 1;
	src = page_base + pfn_in[slot][j] * page_stride + bpf_core_field_offset(struct page, mapping);
	errors[slot][j] = bpf_probe_read_kernel(page_words[slot][j], sizeof(page_words[slot][j]), (void *)src);
	return 0;
}

static int run_slot(__u64 *ctx, bool whole, __u32 max)
{
	struct run r = { ctx[0] & (PAGEREAD_SLOTS - 1), whole };
	__u32 count = n[r.slot];

	bpf_loop(count < max ? count : max, read_frame, &r, 0);
	return 0;
}

SEC("raw_tp")
int read_prefixes(__u64 *ctx)
{
	return run_slot(ctx, false, PAGEREAD_BATCH);
}

/*
 * Whole pages: one syscall for a batch instead of a /proc/PID/mem read (an mm
 * walk and a page reference) per page, for the scattered pages a sampled scan
 * keeps.
 */
SEC("raw_tp")
int read_pages(__u64 *ctx)
{
	return run_slot(ctx, true, PAGEREAD_PAGES);
}

/*
 * struct page words: whether a frame is a KSM page where /proc/kpageflags
 * cannot say (its mapping's low bits).
 */
SEC("raw_tp")
int read_struct_pages(__u64 *ctx)
{
	__u32 slot = ctx[0] & (PAGEREAD_SLOTS - 1), count = n[slot];

	bpf_loop(count < PAGEREAD_BATCH ? count : PAGEREAD_BATCH, read_struct_page, &slot, 0);
	return 0;
}
