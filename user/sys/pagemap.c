// SPDX-License-Identifier: GPL-2.0-only
#include "sys/pagemap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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

int kpageflags_read(int fd, const uint64_t *pfns, size_t n, uint64_t *flags_out)
{
	size_t i = 0;

	while (i < n) {
		uint64_t buf[PAGEMAP_BATCH];
		size_t run = 1;
		ssize_t got;

		/* coalesce consecutive pfns: one pread per run */
		while (i + run < n && run < PAGEMAP_BATCH && pfns[i + run] == pfns[i] + run)
			run++;
		got = pread_full(fd, buf, run * 8, (off_t)(pfns[i] * 8));
		if (got < 0)
			return (int)got;
		for (size_t j = 0; j < run; j++)
			flags_out[i + j] = (ssize_t)(j * 8) < got ? buf[j] : 0;
		i += run;
	}
	return 0;
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
