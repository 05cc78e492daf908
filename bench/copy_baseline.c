// SPDX-License-Identifier: GPL-2.0-only
/*
 * The copy baselines for the scan benchmark: read every page of a range of
 * another process, batched 512 pages per call, and nothing else.
 *   pvr  process_vm_readv (the fastest copy, but it unmerges KSM pages it reads)
 *   mem  pread on /proc/PID/mem (what ksmscope scan uses: changes nothing)
 * Prints pages per second.
 *   pvr-pids PID...  every present private anonymous page of these processes
 *        (pagemap: present, not file-backed; the scanner's population), listed
 *        first, then copied with process_vm_readv, contiguous pages merged, at
 *        most 512 pages a call. Prints "PAGES PAGES_PER_S" (the copy timed alone).
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

#define PM_PRESENT (1ULL << 63)
#define PM_SWAP (1ULL << 62)
#define PM_FILE (1ULL << 61)

struct run {
	uintptr_t addr;
	size_t pages;
	int arg; /* the argv index of its pid */
};

/* The present private anonymous pages of pid as runs of contiguous pages. */
static int list_pages(pid_t pid, struct run **runs, size_t *nruns, size_t *cap, size_t *total)
{
	char path[64], line[512], perms[8];
	unsigned long lo, hi;
	FILE *maps;
	int pm;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	maps = fopen(path, "r");
	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	pm = open(path, O_RDONLY);
	if (!maps || pm < 0)
		return -1;
	while (fgets(line, sizeof(line), maps)) {
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[3] != 'p' || perms[0] != 'r')
			continue;
		for (unsigned long a = lo; a < hi; a += 4096) {
			uint64_t e;

			if (pread(pm, &e, sizeof(e), (off_t)(a / 4096 * 8)) != sizeof(e))
				break;
			if (!(e & PM_PRESENT) || (e & (PM_SWAP | PM_FILE)))
				continue;
			(*total)++;
			if (*nruns && (*runs)[*nruns - 1].addr + (*runs)[*nruns - 1].pages * 4096 == a &&
			    (*runs)[*nruns - 1].pages < 512) {
				(*runs)[*nruns - 1].pages++;
				continue;
			}
			if (*nruns == *cap) {
				*cap = *cap ? *cap * 2 : 1024;
				*runs = realloc(*runs, *cap * sizeof(**runs));
				if (!*runs)
					return -1;
			}
			(*runs)[(*nruns)++] = (struct run){ a, 1, 0 };
		}
	}
	fclose(maps);
	close(pm);
	return 0;
}

static int copy_pids(int argc, char **argv)
{
	struct run *runs = NULL;
	size_t nruns = 0, cap = 0, total = 0, done = 0;
	char *buf = aligned_alloc(4096, 512 * 4096);
	struct iovec r[512];
	double t0;

	for (int i = 2; i < argc; i++) {
		size_t start = nruns;
		pid_t pid = (pid_t)atoi(argv[i]);

		if (!buf || list_pages(pid, &runs, &nruns, &cap, &total)) {
			perror("copy_baseline");
			return 1;
		}
		for (size_t k = start; k < nruns; k++)
			runs[k].arg = i;
	}
	t0 = now();
	for (size_t k = 0; k < nruns;) {
		int arg = runs[k].arg;
		size_t n = 0, iov = 0;

		/* one call: runs of one process, at most 512 pages */
		while (k < nruns && runs[k].arg == arg && iov < 512) {
			size_t p = runs[k].pages;

			if (n + p > 512)
				break;
			r[iov++] = (struct iovec){ (void *)runs[k].addr, p * 4096 };
			n += p;
			k++;
		}
		struct iovec l = { buf, n * 4096 };
		ssize_t got = process_vm_readv((pid_t)atoi(argv[arg]), &l, 1, r, iov, 0);

		if (got > 0)
			done += (size_t)got / 4096;
	}
	printf("%zu %.0f\n", total, (double)done / (now() - t0));
	free(runs);
	free(buf);
	return done == total ? 0 : 1;
}

int main(int argc, char **argv)
{
	const size_t batch = 512;
	char path[64], *buf, *base;
	size_t pages, done = 0;
	double t0, t;
	pid_t pid;
	int fd = -1;

	if (argc >= 3 && !strcmp(argv[1], "pvr-pids"))
		return copy_pids(argc, argv);
	if (argc != 5 || (strcmp(argv[1], "pvr") && strcmp(argv[1], "mem"))) {
		fprintf(stderr, "usage: copy_baseline pvr|mem PID START_HEX PAGES | pvr-pids PID...\n");
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
