// SPDX-License-Identifier: GPL-2.0-only
/*
 * fault_loop: the cost of page faults as an ordinary process sees it, for
 * comparing a host with and without ksmscope's engine attached.
 *
 *   fault_loop [--mib N] [--rounds R]
 *
 * Each round maps N MiB of fresh anonymous memory (no THP), writes one byte per
 * page (first-touch faults), then forks a child that writes every page again
 * (copy-on-write faults). Prints one line per round: "first_ns cow_ns", the
 * mean cost of one fault of each kind.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void touch(char *p, size_t pages)
{
	for (size_t i = 0; i < pages; i++)
		((volatile char *)p)[i * PAGE] = 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mib", required_argument, NULL, 'm' },
		{ "rounds", required_argument, NULL, 'r' },
		{ 0 },
	};
	unsigned long mib = 64, rounds = 10;
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'm')
			mib = strtoul(optarg, NULL, 10);
		else if (opt == 'r')
			rounds = strtoul(optarg, NULL, 10);
		else
			return 2;
	}
	if (!mib || !rounds) {
		fprintf(stderr, "usage: fault_loop [--mib N] [--rounds R]\n");
		return 2;
	}
	for (unsigned long r = 0; r < rounds; r++) {
		size_t pages = (mib << 20) / PAGE;
		char *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		int pfd[2], st;
		uint64_t t0, first, cow = 0;
		pid_t c;

		if (p == MAP_FAILED || madvise(p, pages * PAGE, MADV_NOHUGEPAGE) || pipe(pfd)) {
			fprintf(stderr, "fault_loop: %s\n", strerror(errno));
			return 1;
		}
		t0 = now_ns();
		touch(p, pages);
		first = now_ns() - t0;
		c = fork();
		if (c < 0) {
			fprintf(stderr, "fault_loop: fork: %s\n", strerror(errno));
			return 1;
		}
		if (c == 0) {
			t0 = now_ns();
			touch(p, pages);
			cow = now_ns() - t0;
			if (write(pfd[1], &cow, sizeof(cow)) != sizeof(cow))
				_exit(1);
			_exit(0);
		}
		if (read(pfd[0], &cow, sizeof(cow)) != sizeof(cow) || waitpid(c, &st, 0) != c) {
			fprintf(stderr, "fault_loop: the child failed\n");
			return 1;
		}
		printf("%.1f %.1f\n", (double)first / (double)pages, (double)cow / (double)pages);
		fflush(stdout);
		close(pfd[0]);
		close(pfd[1]);
		munmap(p, pages * PAGE);
	}
	return 0;
}
