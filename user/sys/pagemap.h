/* SPDX-License-Identifier: GPL-2.0-only */
/* /proc/PID/pagemap and /proc/kpageflags, read in batches (as page-types.c does). */
#ifndef KSMSCOPE_SYS_PAGEMAP_H
#define KSMSCOPE_SYS_PAGEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst) */
#define PM_PFN_MASK ((1ULL << 55) - 1)
#define PM_SOFT_DIRTY (1ULL << 55)
#define PM_EXCLUSIVE (1ULL << 56)
#define PM_FILE (1ULL << 61)
#define PM_SWAP (1ULL << 62)
#define PM_PRESENT (1ULL << 63)

/* kpageflags bits (include/uapi/linux/kernel-page-flags.h) */
#define KPF_ANON 12
#define KPF_KSM 21
#define KPF_THP 22
#define KPF_ZERO_PAGE 24

#define PAGEMAP_BATCH 1024 /* entries per pread: >=512 costs ~30 ns/page here */

static inline bool kpf_has(uint64_t flags, int bit)
{
	return (flags >> bit) & 1;
}

int pagemap_open(pid_t pid); /* -errno on failure */
/* Entries for n pages from vaddr; returns n or -errno. */
ssize_t pagemap_read(int fd, uint64_t vaddr, size_t n, uint64_t *out);

/*
 * The populated parts of [start, end): ranges holding present or swapped pages,
 * from the PAGEMAP_SCAN ioctl (Linux 6.7+), so a sparse reservation of
 * terabytes (ASan shadow, a VM's unbacked RAM) costs nothing. Fills at most
 * max ranges; *next is where to continue (end when done). Returns the number
 * of ranges, or -ENOTTY where the kernel lacks the ioctl (read everything).
 */
struct pm_range {
	uint64_t start, end;
};
int pagemap_populated(int fd, uint64_t start, uint64_t end, struct pm_range *out, size_t max, uint64_t *next);

/*
 * Call fn for each populated range of [start, end) (or the whole range before
 * Linux 6.7). Stops at fn's first non-zero return, which it returns.
 */
int pagemap_for_each_populated(int fd, uint64_t start, uint64_t end,
			       int (*fn)(void *ctx, uint64_t start, uint64_t end), void *ctx);

int kpageflags_open(void);
/*
 * Flags for n arbitrary pfns, read in pfn order: nearby pfns are coalesced into
 * one pread.
 * A pfn the kernel does not know reads as 0.
 */
int kpageflags_read(int fd, const uint64_t *pfns, size_t n, uint64_t *flags_out);

#endif
