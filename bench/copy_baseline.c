// SPDX-License-Identifier: GPL-2.0-only
/*
 * The copy baselines for the scan benchmark: read every page of a range of
 * another process, batched 512 pages per call, and nothing else.
 *   pvr  process_vm_readv (the fastest copy, but it unmerges KSM pages it reads)
 *   mem  pread on /proc/PID/mem (what ksmscope scan uses: changes nothing)
 * Prints pages per second.
 */

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const size_t batch = 512;
	char path[64], *buf, *base;
	size_t pages, done = 0;
	double t0, t;
	pid_t pid;
	int fd = -1;

	if (argc != 5 || (strcmp(argv[1], "pvr") && strcmp(argv[1], "mem"))) {
		fprintf(stderr, "usage: copy_baseline pvr|mem PID START_HEX PAGES\n");
		return 2;
	}
	pid = (pid_t)atoi(argv[2]);
	base = (char *)strtoul(argv[3], NULL, 16);
	pages = strtoul(argv[4], NULL, 10);
	buf = aligned_alloc(4096, batch * 4096);
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	if (!buf || (argv[1][0] == 'm' && (fd = open(path, O_RDONLY)) < 0)) {
		perror("copy_baseline");
		return 1;
	}
	t0 = now();
	for (size_t i = 0; i < pages; i += batch) {
		size_t n = pages - i < batch ? pages - i : batch;
		ssize_t got;

		if (fd < 0) {
			struct iovec l = { buf, n * 4096 }, r = { base + i * 4096, n * 4096 };

			got = process_vm_readv(pid, &l, 1, &r, 1, 0);
		} else {
			got = pread(fd, buf, n * 4096, (off_t)(uintptr_t)(base + i * 4096));
		}
		if (got > 0)
			done += (size_t)got / 4096;
	}
	t = now() - t0;
	printf("%.0f\n", (double)done / t);
	return done == pages ? 0 : 1;
}
