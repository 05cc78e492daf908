// SPDX-License-Identifier: GPL-2.0-only
/*
 * Workload with known KSM answers.
 *
 * Mergeable region (MADV_MERGEABLE, no THP), in this order:
 *   K distinct random contents x M copies; Z zero-filled pages;
 *   P "sub-page" pages: a random base page, then P-1 copies of it with the
 *     256-byte chunk (j-1) % 16 of page j replaced by random bytes;
 *   K2 "shared" contents from --shared-seed (other workloads with the same seed
 *     hold the very same contents); U unique random pages.
 * Non-mergeable region: D copies of one random content (duplicates KSM must not merge).
 * THP region (--thp-mb, MADV_HUGEPAGE, 2 MiB aligned, not mergeable): pages
 *   alternating between two random contents.
 * --thp-mergeable: the THP region is MADV_MERGEABLE too (duplicates KSM meets in huge pages).
 * Volatile region (--volatile V, mergeable): V pages that always hold one content
 *   among them, rewritten together every 2 ms by a thread (duplicates that never hold still).
 * Zero-mapped region (--zero-mapped): pages only read, so they map the zero page.
 * Own contents are random per run, so they match no other process's pages.
 * --name sets the comm (e.g. qemu-system-x86_64 to look like a VMM);
 * --fork leaves a child that shares every frame with the parent.
 *
 * Prints one JSON line with the layout and the expected answers, then waits:
 *   SIGUSR1  user-mode writes to the first W copy pages and the first WZ zero pages
 *            (--same-writes: each write stores the byte already there, so the content stays)
 *   SIGUSR2  read() from a pipe into the next W2 copy pages (kernel-mode writes)
 *   SIGTERM  exit
 * After each phase it prints {"phase": ..., "pages": N}.
 */
#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
#include <pthread.h>
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
	if (advice != MADV_HUGEPAGE)
		madvise(p, pages * PAGE, MADV_NOHUGEPAGE); /* exact per-page answers */
	if (advice && madvise(p, pages * PAGE, advice)) {
		perror("workload: madvise");
		exit(1);
	}
	return p;
}

static char *volatile_pages;
static unsigned long volatile_n;

static void *rewrite_volatile(void *arg)
{
	uint64_t gen = 0;
	struct timespec ts = { 0, 2000000 };

	(void)arg;
	for (;;) {
		gen++;
		/* one content among all of them, a new one each round: contiguous, so done in a few us */
		for (unsigned long i = 0; i < volatile_n; i++)
			for (size_t w = 0; w < PAGE / 8; w += 64)
				((volatile uint64_t *)(volatile_pages + i * PAGE))[w] = gen * 0x9e3779b97f4a7c15ULL + w;
		nanosleep(&ts, NULL);
	}
	return NULL;
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

/* the command line, and what setup_regions() mapped */
struct wl {
	unsigned long K, M, Z, D, W, WZ, W2;
	unsigned long P, K2, U, THP, ZM, shared_seed;
	const char *name;
	bool do_fork, thp_mergeable, same_writes;
	uint64_t seed;
	char *merg, *unmerg, *thp, *zm;
};

/* 0, or the exit status for a bad command line */
static int parse_args(int argc, char **argv, struct wl *w)
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
		{ "subpage", required_argument, NULL, 'S' },
		{ "shared", required_argument, NULL, 'x' },
		{ "shared-seed", required_argument, NULL, 'X' },
		{ "unique", required_argument, NULL, 'u' },
		{ "thp-mb", required_argument, NULL, 't' },
		{ "zero-mapped", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		{ "fork", no_argument, NULL, 'F' },
		{ "thp-mergeable", no_argument, NULL, 'T' },
		{ "volatile", required_argument, NULL, 'V' },
		{ "same-writes", no_argument, NULL, 'W' },
		{ 0 },
	};
	int opt;

	*w = (struct wl){ .K = 64, .M = 4, .Z = 32, .D = 16, .W = 8, .WZ = 0, .W2 = 4, .shared_seed = 1,
			  .seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) };
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'k': w->K = arg_ul("contents", optarg); break;
		case 'm': w->M = arg_ul("copies", optarg); break;
		case 'z': w->Z = arg_ul("zero", optarg); break;
		case 'd': w->D = arg_ul("unmergeable", optarg); break;
		case 'w': w->W = arg_ul("write-copies", optarg); break;
		case 'Z': w->WZ = arg_ul("write-zero", optarg); break;
		case 'P': w->W2 = arg_ul("pipe-copies", optarg); break;
		case 's': w->seed = arg_ul("seed", optarg); break;
		case 'S': w->P = arg_ul("subpage", optarg); break;
		case 'x': w->K2 = arg_ul("shared", optarg); break;
		case 'X': w->shared_seed = arg_ul("shared-seed", optarg); break;
		case 'u': w->U = arg_ul("unique", optarg); break;
		case 't': w->THP = arg_ul("thp-mb", optarg); break;
		case 'r': w->ZM = arg_ul("zero-mapped", optarg); break;
		case 'n': w->name = optarg; break;
		case 'F': w->do_fork = true; break;
		case 'T': w->thp_mergeable = true; break;
		case 'V': volatile_n = arg_ul("volatile", optarg); break;
		case 'W': w->same_writes = true; break;
		default:
			fprintf(stderr, "usage: workload [--contents K] [--copies M] [--zero Z] "
					"[--unmergeable D] [--write-copies W] [--write-zero WZ] "
					"[--pipe-copies W2] [--seed S] [--subpage P] [--shared K2] "
					"[--shared-seed S2] [--unique U] [--thp-mb T] [--zero-mapped ZM] "
					"[--name COMM] [--fork] [--thp-mergeable] [--volatile V] [--same-writes]\n");
			return 2;
		}
	}
	if (w->W + w->W2 > w->K * w->M || w->WZ > w->Z || !w->K || !w->M) {
		fprintf(stderr, "workload: writes exceed the pages that exist\n");
		return 2;
	}
	return 0;
}

/* the mergeable region's contents: copies, zero pages, sub-page pages, shared, unique */
static void fill_mergeable(const struct wl *w)
{
	unsigned long K = w->K, M = w->M, Z = w->Z, P = w->P, K2 = w->K2;
	char *merg = w->merg;

	for (unsigned long k = 0; k < K; k++) {
		fill_random((uint64_t *)(merg + k * PAGE));
		for (unsigned long m = 1; m < M; m++)
			memcpy(merg + (m * K + k) * PAGE, merg + k * PAGE, PAGE);
	}
	for (unsigned long z = 0; z < Z; z++)
		merg[(K * M + z) * PAGE] = 0; /* a write fault: a real anon page of zeros */
	{
		char *sp = merg + (K * M + Z) * PAGE;

		if (P)
			fill_random((uint64_t *)sp);
		for (unsigned long j = 1; j < P; j++) {
			memcpy(sp + j * PAGE, sp, PAGE);
			/* one 256-byte chunk differs from the base page */
			for (int i = 0; i < 256 / 8; i++)
				((uint64_t *)(sp + j * PAGE + ((j - 1) % 16) * 256))[i] = rnd();
		}
	}
	{
		uint64_t own = rng_state;

		rng_state = w->shared_seed * 0x2545f4914f6cdd1dULL;
		for (unsigned long k = 0; k < K2; k++)
			fill_random((uint64_t *)(merg + (K * M + Z + P + k) * PAGE));
		rng_state = own;
	}
	for (unsigned long u = 0; u < w->U; u++)
		fill_random((uint64_t *)(merg + (K * M + Z + P + K2 + u) * PAGE));
}

/* the THP region: 2 MiB aligned inside an over-sized mapping so whole huge pages fit */
static void map_thp(struct wl *w)
{
	size_t len = w->THP << 20;
	char *raw = map_region(len / PAGE + 512, MADV_HUGEPAGE);

	w->thp = (char *)(((uintptr_t)raw + (2UL << 20) - 1) & ~((2UL << 20) - 1));
	madvise(w->thp, len, MADV_HUGEPAGE);
	if (w->thp_mergeable && madvise(w->thp, len, MADV_MERGEABLE)) {
		perror("workload: madvise");
		exit(1);
	}
	/*
	 * the two contents built in place, never in a stack buffer: one that
	 * happened to be page-aligned (1 in 256: the stack's random offset is
	 * 16-byte granular) left a third copy in unmergeable memory
	 */
	fill_random((uint64_t *)w->thp);
	if (len > PAGE)
		fill_random((uint64_t *)(w->thp + PAGE));
	for (size_t i = 2; i < len / PAGE; i++)
		memcpy(w->thp + i * PAGE, w->thp + (i % 2) * PAGE, PAGE);
}

static void start_volatile(void)
{
	pthread_t th;

	volatile_pages = map_region(volatile_n, MADV_MERGEABLE);
	memset(volatile_pages, 1, volatile_n * PAGE);
	/* the thread inherits the blocked signals: sigwait below still gets them all */
	if (pthread_create(&th, NULL, rewrite_volatile, NULL)) {
		fprintf(stderr, "workload: cannot start the volatile writer\n");
		exit(1);
	}
}

/* every region, mapped in this order (tests compare addresses) and filled */
static void setup_regions(struct wl *w)
{
	w->merg = map_region(w->K * w->M + w->Z + w->P + w->K2 + w->U, MADV_MERGEABLE);
	w->unmerg = map_region(w->D ? w->D : 1, 0);
	fill_mergeable(w);
	if (w->THP)
		map_thp(w);
	if (w->ZM) {
		w->zm = map_region(w->ZM, 0);
		for (unsigned long i = 0; i < w->ZM; i++)
			(void)*(volatile char *)(w->zm + i * PAGE); /* a read fault maps the zero page */
	}
	if (volatile_n)
		start_volatile();
	if (w->D) {
		fill_random((uint64_t *)w->unmerg);
		for (unsigned long d = 1; d < w->D; d++)
			memcpy(w->unmerg + d * PAGE, w->unmerg, PAGE);
	}
}

static void print_layout(const struct wl *w)
{
	unsigned long K = w->K, M = w->M, Z = w->Z;

	/* with use_zero_pages=0 zero pages merge like any content; with 1 into the zero page */
	printf("{\"pid\": %d, \"contents\": %lu, \"copies\": %lu, \"zero\": %lu, \"unmergeable\": %lu, "
	       "\"merged_expected\": %lu, \"merged_expected_use_zero_pages\": %lu, "
	       "\"write_copies\": %lu, \"write_zero\": %lu, \"pipe_copies\": %lu, "
	       "\"mergeable_start\": \"0x%lx\", \"mergeable_pages\": %lu, "
	       "\"unmergeable_start\": \"0x%lx\", \"subpage\": %lu, \"shared\": %lu, \"unique\": %lu, "
	       "\"thp_start\": \"0x%lx\", \"thp_pages\": %lu, \"zero_mapped\": %lu, \"volatile\": %lu}\n",
	       getpid(), K, M, Z, w->D, (M > 1 ? K * M : 0) + (Z > 1 ? Z : 0), M > 1 ? K * M : 0, w->W, w->WZ,
	       w->W2, (unsigned long)w->merg, K * M + Z + w->P + w->K2 + w->U, (unsigned long)w->unmerg, w->P,
	       w->K2, w->U, (unsigned long)w->thp, (w->THP << 20) / PAGE, w->ZM, volatile_n);
	fflush(stdout);
}

/* --fork: a child that shares every frame and only waits for SIGTERM; its pid, or -1 */
static long fork_sharer(const sigset_t *set)
{
	long child = fork();
	int sig;

	if (child < 0) {
		perror("workload: fork");
		return -1;
	}
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		while (sigwait(set, &sig) == 0 && sig != SIGTERM && sig != SIGINT)
			;
		exit(0);
	}
	printf("{\"child\": %ld}\n", child);
	fflush(stdout);
	return child;
}

/* SIGUSR1: user-mode writes */
static void user_writes(const struct wl *w)
{
	/* distinct new bytes per page, so no two written pages re-merge */
	for (unsigned long i = 0; i < w->W; i++) {
		volatile uint64_t *p = (volatile uint64_t *)(w->merg + i * PAGE);

		*p = w->same_writes ? *p : *p ^ (0x5a5a000000000000ULL | (i + 1));
	}
	for (unsigned long i = 0; i < w->WZ; i++)
		*(volatile uint64_t *)(w->merg + (w->K * w->M + i) * PAGE) = 0xa5a5000000000000ULL | (i + 1);
	printf("{\"phase\": \"user_writes\", \"pages\": %lu}\n", w->W + w->WZ);
	fflush(stdout);
}

/* SIGUSR2: kernel-mode writes; -1 if there is no pipe */
static int pipe_reads(const struct wl *w)
{
	int fds[2];
	unsigned long done = 0;

	if (pipe(fds)) {
		perror("workload: pipe");
		return -1;
	}
	for (unsigned long i = w->W; i < w->W + w->W2; i++) {
		uint64_t v = 0x3c3c000000000000ULL | (i + 1);

		/* the kernel writes into the merged page: a kernel-mode COW fault */
		if (write(fds[1], &v, sizeof(v)) == sizeof(v) &&
		    read(fds[0], w->merg + i * PAGE, sizeof(v)) == sizeof(v))
			done++;
	}
	close(fds[0]);
	close(fds[1]);
	printf("{\"phase\": \"pipe_reads\", \"pages\": %lu}\n", done);
	fflush(stdout);
	return 0;
}

/* the phases, until SIGTERM or SIGINT; the exit status */
static int signal_loop(const struct wl *w, const sigset_t *set, long child)
{
	int sig;

	while (sigwait(set, &sig) == 0) {
		if (sig == SIGUSR1) {
			user_writes(w);
		} else if (sig == SIGUSR2) {
			if (pipe_reads(w))
				return 1;
		} else {
			break;
		}
	}
	if (child > 0)
		kill((pid_t)child, SIGTERM);
	return 0;
}

int main(int argc, char **argv)
{
	struct wl w;
	long child = 0;
	sigset_t set;
	int rc = parse_args(argc, argv, &w);

	if (rc)
		return rc;
	prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the test */
	if (w.name)
		prctl(PR_SET_NAME, w.name);
	rng_state = w.seed;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);

	setup_regions(&w);
	print_layout(&w);
	if (w.do_fork) {
		child = fork_sharer(&set);
		if (child < 0)
			return 1;
	}
	return signal_loop(&w, &set, child);
}
