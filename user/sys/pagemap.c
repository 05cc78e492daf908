// SPDX-License-Identifier: GPL-2.0-only
#include "sys/pagemap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* include/uapi/linux/fs.h of Linux 6.7+ (Debian 12's headers predate it) */
struct ks_pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
struct ks_page_region {
	uint64_t start, end, categories;
};
#define KS_PAGEMAP_SCAN _IOWR('f', 16, struct ks_pm_scan_arg)
#define KS_PAGE_IS_PRESENT (1ULL << 3)
#define KS_PAGE_IS_SWAPPED (1ULL << 4)

int pagemap_open(pid_t pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static ssize_t pread_full(int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, off + (off_t)done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

ssize_t pagemap_read(int fd, uint64_t vaddr, size_t n, uint64_t *out)
{
	ssize_t got = pread_full(fd, out, n * 8, (off_t)((vaddr / 4096) * 8));

	if (got < 0)
		return got;
	return got / 8;
}

int kpageflags_open(void)
{
	int fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/*
 * Ascending pfns: one pread per run of nearby frames. Bridging a gap of a few
 * frames costs the kernel ~30 ns a frame; a pread costs ~0.4 us.
 */
#define KPF_GAP 4
#define AT_BITS 11 /* a pfn's index in the caller's arrays, packed under it */

static int read_ascending(int fd, const uint64_t *key, size_t n, uint64_t base, uint64_t *flags_out)
{
	uint64_t buf[PAGEMAP_BATCH];

	for (size_t i = 0, k; i < n; i = k) {
		uint64_t first = key[i] >> AT_BITS;
		ssize_t got;

		for (k = i + 1; k < n && (key[k] >> AT_BITS) - (key[k - 1] >> AT_BITS) <= KPF_GAP &&
				(key[k] >> AT_BITS) - first < PAGEMAP_BATCH;
		     k++)
			;
		got = pread_full(fd, buf, ((key[k - 1] >> AT_BITS) - first + 1) * 8, (off_t)((base + first) * 8));
		if (got < 0)
			return (int)got;
		for (size_t j = i; j < k; j++) {
			size_t off = (size_t)((key[j] >> AT_BITS) - first);

			flags_out[key[j] & ((1u << AT_BITS) - 1)] = (ssize_t)(off * 8) < got ? buf[off] : 0;
		}
	}
	return 0;
}

/* LSD radix sort, a byte a pass, of keys below 2^bits. */
static void radix_sort(uint64_t *key, uint64_t *tmp, size_t n, unsigned bits)
{
	for (unsigned shift = 0; shift < bits; shift += 8) {
		size_t count[257] = { 0 };

		for (size_t i = 0; i < n; i++)
			count[((key[i] >> shift) & 255) + 1]++;
		for (int d = 0; d < 256; d++)
			count[d + 1] += count[d];
		for (size_t i = 0; i < n; i++)
			tmp[count[(key[i] >> shift) & 255]++] = key[i];
		memcpy(key, tmp, n * sizeof(*key));
	}
}

int kpageflags_read(int fd, const uint64_t *pfns, size_t n, uint64_t *flags_out)
{
	/* the frames of a range of pages are scattered: sorted, 5x fewer reads (Python heaps) */
	uint64_t key[PAGEMAP_BATCH], tmp[PAGEMAP_BATCH], lo = UINT64_MAX, hi = 0;
	int err = 0;

	_Static_assert(PAGEMAP_BATCH <= 1 << AT_BITS, "an index must fit AT_BITS");
	for (size_t at = 0; at < n && !err; at += PAGEMAP_BATCH) {
		size_t m = n - at < PAGEMAP_BATCH ? n - at : PAGEMAP_BATCH;

		for (size_t i = 0; i < m; i++) {
			lo = pfns[at + i] < lo ? pfns[at + i] : lo;
			hi = pfns[at + i] > hi ? pfns[at + i] : hi;
		}
		for (size_t i = 0; i < m; i++)
			key[i] = (pfns[at + i] - lo) << AT_BITS | i;
		radix_sort(key, tmp, m, 64 - (unsigned)__builtin_clzll((hi - lo) << AT_BITS | ((1u << AT_BITS) - 1)));
		err = read_ascending(fd, key, m, lo, flags_out + at);
		lo = UINT64_MAX;
		hi = 0;
	}
	return err;
}

int pagemap_populated(int fd, uint64_t start, uint64_t end, struct pm_range *out, size_t max, uint64_t *next)
{
	struct ks_page_region regs[64];
	struct ks_pm_scan_arg arg = {
		.size = sizeof(arg), .start = start, .end = end, .vec = (uintptr_t)regs,
		.vec_len = max < 64 ? max : 64,
		.category_anyof_mask = KS_PAGE_IS_PRESENT | KS_PAGE_IS_SWAPPED,
		.return_mask = KS_PAGE_IS_PRESENT | KS_PAGE_IS_SWAPPED,
	};
	int n = ioctl(fd, KS_PAGEMAP_SCAN, &arg);

	if (n < 0)
		return errno == EINVAL || errno == ENOTTY ? -ENOTTY : -errno;
	for (int i = 0; i < n; i++) {
		out[i].start = regs[i].start;
		out[i].end = regs[i].end;
	}
	*next = arg.walk_end ? arg.walk_end : end;
	return n;
}

int pagemap_for_each_populated(int fd, uint64_t start, uint64_t end,
			       int (*fn)(void *ctx, uint64_t start, uint64_t end), void *ctx)
{
	struct pm_range rg[64];
	uint64_t at = start, next;

	while (at < end) {
		int n = pagemap_populated(fd, at, end, rg, 64, &next);

		if (n == -ENOTTY)
			return fn(ctx, at, end); /* before Linux 6.7: everything */
		if (n < 0)
			return n;
		for (int i = 0; i < n; i++) {
			int err = fn(ctx, rg[i].start, rg[i].end);

			if (err)
				return err;
		}
		if (next <= at)
			break;
		at = next;
	}
	return 0;
}
