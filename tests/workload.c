/*
 * Workload with known KSM answers.
 *
 * Mergeable region (MADV_MERGEABLE, no THP):
 *   K distinct random contents x M copies, then Z zero-filled pages.
 * Non-mergeable region: D copies of one random content (duplicates KSM must not merge).
 * Contents are random per run, so they match no other process's pages.
 *
 * Prints one JSON line with the layout and the expected answers, then waits:
 *   SIGUSR1  user-mode writes to the first W copy pages and the first WZ zero pages
 *   SIGUSR2  read() from a pipe into the next W2 copy pages (kernel-mode writes)
 *   SIGTERM  exit
 * After each phase it prints {"phase": ..., "pages": N}.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void fill_random(uint64_t *p)
{
	for (size_t i = 0; i < PAGE / 8; i++)
		p[i] = rnd();
}

static void *map_region(size_t pages, int advice)
{
	void *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("workload: mmap");
		exit(1);
	}
	madvise(p, pages * PAGE, MADV_NOHUGEPAGE); /* exact per-page answers */
	if (advice && madvise(p, pages * PAGE, advice)) {
		perror("workload: madvise");
		exit(1);
	}
	return p;
}

static unsigned long arg_ul(const char *name, const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s) {
		fprintf(stderr, "workload: bad --%s '%s'\n", name, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "contents", required_argument, NULL, 'k' },
		{ "copies", required_argument, NULL, 'm' },
		{ "zero", required_argument, NULL, 'z' },
		{ "unmergeable", required_argument, NULL, 'd' },
		{ "write-copies", required_argument, NULL, 'w' },
		{ "write-zero", required_argument, NULL, 'Z' },
		{ "pipe-copies", required_argument, NULL, 'P' },
		{ "seed", required_argument, NULL, 's' },
		{ 0 },
	};
	unsigned long K = 64, M = 4, Z = 32, D = 16, W = 8, WZ = 0, W2 = 4;
	uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	char *merg, *unmerg;
	sigset_t set;
	int opt, sig;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'k': K = arg_ul("contents", optarg); break;
		case 'm': M = arg_ul("copies", optarg); break;
		case 'z': Z = arg_ul("zero", optarg); break;
		case 'd': D = arg_ul("unmergeable", optarg); break;
		case 'w': W = arg_ul("write-copies", optarg); break;
		case 'Z': WZ = arg_ul("write-zero", optarg); break;
		case 'P': W2 = arg_ul("pipe-copies", optarg); break;
		case 's': seed = arg_ul("seed", optarg); break;
		default:
			fprintf(stderr, "usage: workload [--contents K] [--copies M] [--zero Z] "
					"[--unmergeable D] [--write-copies W] [--write-zero WZ] "
					"[--pipe-copies W2] [--seed S]\n");
			return 2;
		}
	}
	if (W + W2 > K * M || WZ > Z || !K || !M) {
		fprintf(stderr, "workload: writes exceed the pages that exist\n");
		return 2;
	}
	prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the test */
	rng_state = seed;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);

	merg = map_region(K * M + Z, MADV_MERGEABLE);
	unmerg = map_region(D ? D : 1, 0);
	for (unsigned long k = 0; k < K; k++) {
		fill_random((uint64_t *)(merg + k * PAGE));
		for (unsigned long m = 1; m < M; m++)
			memcpy(merg + (m * K + k) * PAGE, merg + k * PAGE, PAGE);
	}
	for (unsigned long z = 0; z < Z; z++)
		merg[(K * M + z) * PAGE] = 0; /* a write fault: a real anon page of zeros */
	if (D) {
		fill_random((uint64_t *)unmerg);
		for (unsigned long d = 1; d < D; d++)
			memcpy(unmerg + d * PAGE, unmerg, PAGE);
	}

	/* with use_zero_pages=0 zero pages merge like any content; with 1 into the zero page */
	printf("{\"pid\": %d, \"contents\": %lu, \"copies\": %lu, \"zero\": %lu, \"unmergeable\": %lu, "
	       "\"merged_expected\": %lu, \"merged_expected_use_zero_pages\": %lu, "
	       "\"write_copies\": %lu, \"write_zero\": %lu, \"pipe_copies\": %lu, "
	       "\"mergeable_start\": \"0x%lx\", \"mergeable_pages\": %lu, "
	       "\"unmergeable_start\": \"0x%lx\"}\n",
	       getpid(), K, M, Z, D, (M > 1 ? K * M : 0) + (Z > 1 ? Z : 0), M > 1 ? K * M : 0, W, WZ, W2,
	       (unsigned long)merg, K * M + Z, (unsigned long)unmerg);
	fflush(stdout);

	while (sigwait(&set, &sig) == 0) {
		if (sig == SIGUSR1) {
			/* distinct new bytes per page, so no two written pages re-merge */
			for (unsigned long i = 0; i < W; i++)
				*(volatile uint64_t *)(merg + i * PAGE) ^= 0x5a5a000000000000ULL | (i + 1);
			for (unsigned long i = 0; i < WZ; i++)
				*(volatile uint64_t *)(merg + (K * M + i) * PAGE) = 0xa5a5000000000000ULL | (i + 1);
			printf("{\"phase\": \"user_writes\", \"pages\": %lu}\n", W + WZ);
			fflush(stdout);
		} else if (sig == SIGUSR2) {
			int fds[2];
			unsigned long done = 0;

			if (pipe(fds)) {
				perror("workload: pipe");
				return 1;
			}
			for (unsigned long i = W; i < W + W2; i++) {
				uint64_t v = 0x3c3c000000000000ULL | (i + 1);

				/* the kernel writes into the merged page: a kernel-mode COW fault */
				if (write(fds[1], &v, sizeof(v)) == sizeof(v) &&
				    read(fds[0], merg + i * PAGE, sizeof(v)) == sizeof(v))
					done++;
			}
			close(fds[0]);
			close(fds[1]);
			printf("{\"phase\": \"pipe_reads\", \"pages\": %lu}\n", done);
			fflush(stdout);
		} else {
			break;
		}
	}
	return 0;
}
