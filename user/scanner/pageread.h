/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Page prefixes by frame number, through a BPF program that reads the kernel's
 * direct map (no GUP, no mmap lock, no side effect on the target). Used by
 * sampled scans to decide which pages to read whole.
 */
#ifndef KSMSCOPE_PAGEREAD_H_USER
#define KSMSCOPE_PAGEREAD_H_USER

#include <stddef.h>
#include <stdint.h>

#include "bpf/pageread.h"

struct pageread_bpf;

struct pageread {
	struct pageread_bpf *skel;
	int prog_fd;
};

/*
 * Load the program and find the direct map: candidates are checked by reading
 * a page of our own whose content we know. 0, or -errno when this kernel does
 * not allow it (the caller falls back to /proc/PID/mem).
 */
int pageread_open(struct pageread *r);
void pageread_close(struct pageread *r);
/*
 * Prefixes of n <= PAGEREAD_BATCH frames into out[i * PAGEREAD_PREFIX]; errs[i]
 * non-zero where the frame could not be read. Threads may call it at once,
 * each with its own slot < PAGEREAD_SLOTS.
 */
int pageread_prefixes(struct pageread *r, unsigned slot, const uint64_t *pfns, size_t n,
		      const unsigned char **out, const int32_t **errs);

/*
 * Whole pages of n <= PAGEREAD_PAGES frames into out[i * 4096], the same way
 * (the same slot's outputs: prefixes and pages share the error array).
 */
int pageread_pages(struct pageread *r, unsigned slot, const uint64_t *pfns, size_t n, const unsigned char **out,
		   const int32_t **errs);

/* A u64 of the kernel at a kallsyms symbol's address; 0 if hidden or unreadable. */
uint64_t pageread_kernel_u64(struct pageread *r, const char *name);
/* The direct map's address of pfn 0 (what pageread_open found). */
uint64_t pageread_direct_map(const struct pageread *r);
/*
 * The struct page at base + pfns[i] * stride, for n <= PAGEREAD_BATCH: its mapping
 * and the word after it (index) in words[i], errs[i] non-zero where unreadable.
 * One caller per slot at a time; base and stride are shared, so callers with
 * different ones must not overlap.
 */
int pageread_struct_pages(struct pageread *r, unsigned slot, uint64_t base, uint64_t stride, const uint64_t *pfns,
			  size_t n, const uint64_t (**words)[2], const int32_t **errs);

#endif
