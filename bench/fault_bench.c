// SPDX-License-Identifier: GPL-2.0-only
/*
 * fault_bench: what ksmscope adds to a page fault, and how many records per
 * second its reader keeps up with.
 *
 *   fault_bench overhead [opts]  ns per fault, in one run, for
 *                                  none:  no BPF program on the fault path
 *                                  min:   bench/min_counter.bpf.c (the floor for any hook)
 *                                  other: `ksmscope trace --pid <an idle process>`
 *                                  self:  `ksmscope trace --pid <the faulting process>`
 *                                for copy-on-write write faults (present+write: the
 *                                ones ksmscope turns into records) and first-touch
 *                                write faults (not present: counted only).
 *   fault_bench rate [opts]      sustained COW-fault records/s against
 *                                `ksmscope trace --pid ... --json`, and drops.
 *   fault_bench parts [opts]     ksmscope's on_fault() taken apart
 *                                (bench/fault_parts.bpf.c): added ns per step.
 *
 * One pass = mmap a region, write one byte per page (first-touch faults, timed),
 * fork a child that holds the pages, write one byte per page again (COW faults
 * in this process, timed), release the child, munmap. Configurations are
 * interleaved round by round (random order) and each round's figure is paired
 * with the same round's no-BPF figure, so slow drift of the VM cancels; the
 * reported added cost is the median of those per-round differences.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../bpf/events.h"
#include "fault_parts.skel.h"
#include "min_counter.skel.h"

#define PAGE 4096UL
#define MAX_SAMPLES 4096

static const char *ksmscope_bin = "build/ksmscope";
static const char *trace_hooks; /* --hooks for the traced configurations (NULL: ksmscope's choice) */

/* The perf source: its records are every fault of the tracked process, not copy-on-write records (cow_other). */
static bool perf_source(void)
{
	return trace_hooks && !strcmp(trace_hooks, "perf");
}

/* ksmscope's fault program measured: the page_fault_user tp_btf one, or the perf event's */
static const char *fault_prog(void)
{
	return perf_source() ? "pe_fault" : "btf_fault_user";
}
static int bench_cpu = -1; /* CPU the faulting process is pinned to */
static int ncpus;
static bool verbose;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "fault_bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (cpu < 0) {
		for (int i = 0; i < ncpus; i++)
			CPU_SET(i, &set);
	} else {
		CPU_SET(cpu, &set);
	}
	sched_setaffinity(0, sizeof(set), &set);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* q-quantile (0..1) of n values, linear interpolation; sorts a copy */
static double quantile(const double *v, int n, double q)
{
	double tmp[MAX_SAMPLES], pos;
	int i;

	if (n <= 0)
		return NAN;
	memcpy(tmp, v, sizeof(double) * (size_t)n);
	qsort(tmp, (size_t)n, sizeof(double), cmp_double);
	pos = q * (n - 1);
	i = (int)pos;
	if (i >= n - 1)
		return tmp[n - 1];
	return tmp[i] + (pos - i) * (tmp[i + 1] - tmp[i]);
}

static double median(const double *v, int n)
{
	return quantile(v, n, 0.5);
}

/* ---------------------------------------------------------------- passes */

enum kind { K_FIRST, K_COW, NKIND }; /* first-touch, copy-on-write */
#define CHUNK 256                    /* pages timed together */

struct pass {
	double mean[NKIND]; /* ns per fault over the whole pass: the true average cost */
	double p25[NKIND];  /* 25th percentile of per-chunk ns/fault: robust to VM noise bursts */
};

/* Optional: called right before and after each timed loop (not timed itself). */
struct pass_hooks {
	void (*before)(void *arg, int kind);
	void (*after)(void *arg, int kind);
	void *arg;
};

/* one write per page, timed in chunks of CHUNK pages */
static void timed_writes(volatile char *p, size_t pages, char v, double *mean, double *p25)
{
	static double ch[MAX_SAMPLES];
	uint64_t t_begin = now_ns(), t0 = t_begin, t1;
	int n = 0;

	for (size_t i = 0; i < pages; i += CHUNK) {
		size_t end = i + CHUNK < pages ? i + CHUNK : pages;

		for (size_t j = i; j < end; j++)
			p[j * PAGE] = v;
		t1 = now_ns();
		if (n < MAX_SAMPLES)
			ch[n++] = (double)(t1 - t0) / (double)(end - i);
		t0 = t1;
	}
	*mean = (double)(t0 - t_begin) / (double)pages;
	*p25 = quantile(ch, n, 0.25);
}

static void write_pages(volatile char *p, size_t pages, char v)
{
	for (size_t i = 0; i < pages; i++)
		p[i * PAGE] = v;
}

/* A child that shares our pages until we close *release_fd. */
static pid_t hold_pages(int *release_fd)
{
	int fds[2];
	pid_t pid;
	char c;

	if (pipe(fds))
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		close(fds[1]);
		while (read(fds[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(fds[0]);
	*release_fd = fds[1];
	return pid;
}

static void release_pages(pid_t pid, int release_fd)
{
	close(release_fd);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/*
 * mmap, first-touch every page (timed), fork a holder, write every page again
 * (COW, timed), release the holder, munmap.
 */
static struct pass run_pass(size_t pages, const struct pass_hooks *h)
{
	volatile char *p;
	struct pass r;
	int release_fd;
	pid_t holder;

	p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap %zu pages: %s", pages, strerror(errno));
	madvise((void *)p, pages * PAGE, MADV_NOHUGEPAGE); /* one fault per 4K page */

	if (h && h->before)
		h->before(h->arg, K_FIRST);
	timed_writes(p, pages, 1, &r.mean[K_FIRST], &r.p25[K_FIRST]); /* not present: zeroed page */
	if (h && h->after)
		h->after(h->arg, K_FIRST);

	holder = hold_pages(&release_fd); /* every page now mapped read-only in two mms */
	if (h && h->before)
		h->before(h->arg, K_COW);
	timed_writes(p, pages, 2, &r.mean[K_COW], &r.p25[K_COW]); /* present+write: copy */
	if (h && h->after)
		h->after(h->arg, K_COW);

	release_pages(holder, release_fd);
	munmap((void *)p, pages * PAGE);
	return r;
}

/* ------------------------------------------------------------ statistics */

#define MAX_CFG 24
#define MAX_ROUNDS 1024
#define NEST 4 /* estimators: mean/p25 x first-touch/COW */
#define EST(stat, kind) ((stat) * NKIND + (kind))

struct series {
	double round[MAX_CFG][MAX_ROUNDS]; /* per round: median of its passes */
	int nr;
};

static struct series S[NEST];

/* record one activation's passes as round r of configuration c */
static void record(int c, int r, const struct pass *ps, int n)
{
	double v[64];

	for (int stat = 0; stat < 2; stat++) {
		for (int k = 0; k < NKIND; k++) {
			for (int i = 0; i < n; i++)
				v[i] = stat ? ps[i].p25[k] : ps[i].mean[k];
			S[EST(stat, k)].round[c][r] = median(v, n);
			if (S[EST(stat, k)].nr < r + 1)
				S[EST(stat, k)].nr = r + 1;
		}
	}
}

struct row {
	double ns;             /* median over rounds */
	double added, lo, hi;  /* median over rounds of (this - no BPF), 90% bootstrap CI */
	double pct;            /* added / no-BPF ns */
	double ratio, rlo, rhi; /* added / minimal counter's added, 90% bootstrap CI */
};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* a fresh random order of n configurations for each round: no fixed neighbour */
static void shuffle(int *order, int n)
{
	for (int i = 0; i < n; i++)
		order[i] = i;
	for (int i = n - 1; i > 0; i--) {
		int j = (int)(rnd() % (uint64_t)(i + 1)), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
}

static double added_of(const struct series *s, int c, const int *idx, int n)
{
	double d[MAX_ROUNDS];

	for (int r = 0; r < n; r++)
		d[r] = s->round[c][idx[r]] - s->round[0][idx[r]];
	return median(d, n);
}

/* config 0 is the baseline (no BPF), config 1 the minimal counter */
static void rows_of(const struct series *s, int ncfg, struct row *rows)
{
	enum { B = 1000 };
	static double boot_a[MAX_CFG][B], boot_r[MAX_CFG][B];
	int idx[MAX_ROUNDS], n = s->nr;

	for (int r = 0; r < n; r++)
		idx[r] = r;
	for (int c = 0; c < ncfg; c++) {
		rows[c].ns = median(s->round[c], n);
		rows[c].added = added_of(s, c, idx, n);
	}
	for (int c = 0; c < ncfg; c++) {
		rows[c].pct = 100.0 * rows[c].added / rows[0].ns;
		rows[c].ratio = rows[c].added / rows[1].added;
	}
	for (int b = 0; b < B; b++) {
		double m;

		for (int r = 0; r < n; r++)
			idx[r] = (int)(rnd() % (uint64_t)n);
		m = added_of(s, 1, idx, n);
		for (int c = 1; c < ncfg; c++) {
			boot_a[c][b] = added_of(s, c, idx, n);
			boot_r[c][b] = boot_a[c][b] / m;
		}
	}
	for (int c = 1; c < ncfg; c++) {
		rows[c].lo = quantile(boot_a[c], B, 0.05);
		rows[c].hi = quantile(boot_a[c], B, 0.95);
		rows[c].rlo = quantile(boot_r[c], B, 0.05);
		rows[c].rhi = quantile(boot_r[c], B, 0.95);
	}
}

/* --------------------------------------------------------------- tracer */

struct summary {
	uint64_t cow_other, cow_untracked, drops, faults;
};

struct tracer {
	pid_t pid;
	int out_fd; /* memfd: its stdout */
	int err_fd; /* pipe: its stderr */
	char err[4096];
	size_t err_len;
};

static void tracer_read_err(struct tracer *t, int timeout_ms)
{
	struct pollfd pfd = { t->err_fd, POLLIN, 0 };
	ssize_t n;

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return;
	n = read(t->err_fd, t->err + t->err_len, sizeof(t->err) - 1 - t->err_len);
	if (n > 0)
		t->err_len += (size_t)n;
	t->err[t->err_len] = 0;
	if (n == 0)
		t->err_len = sizeof(t->err) - 1; /* EOF: stop waiting */
}

/* Start `ksmscope trace --pid PIDS --json [extra]`; returns once it is attached. */
static void tracer_start(struct tracer *t, const char *pids, const char *extra)
{
	int errp[2];
	uint64_t deadline;

	memset(t, 0, sizeof(*t));
	t->out_fd = memfd_create("ksmscope-out", 0);
	if (t->out_fd < 0 || pipe(errp))
		die("memfd/pipe: %s", strerror(errno));
	t->pid = fork();
	if (t->pid < 0)
		die("fork: %s", strerror(errno));
	if (t->pid == 0) {
		char *argv[10] = { (char *)ksmscope_bin, "trace", "--pid", (char *)pids, "--json" };
		int i = 5;

		if (extra) {
			argv[i++] = "--ringbuf-size";
			argv[i++] = (char *)extra;
		}
		if (trace_hooks) {
			argv[i++] = "--hooks";
			argv[i++] = (char *)trace_hooks;
		}
		argv[i] = NULL;
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		pin(-1); /* the reader runs wherever the scheduler puts it, as in real use */
		dup2(t->out_fd, 1);
		dup2(errp[1], 2);
		close(errp[0]);
		close(errp[1]);
		execv(ksmscope_bin, argv);
		fprintf(stderr, "exec %s: %s\n", ksmscope_bin, strerror(errno));
		_exit(127);
	}
	close(errp[1]);
	t->err_fd = errp[0];
	deadline = now_ns() + 30000000000ULL;
	while (!strstr(t->err, "Tracing KSM events")) {
		if (t->err_len >= sizeof(t->err) - 1 || now_ns() > deadline) {
			kill(t->pid, SIGKILL);
			waitpid(t->pid, NULL, 0);
			die("%s trace --pid %s did not start:\n%s", ksmscope_bin, pids, t->err);
		}
		tracer_read_err(t, 100);
	}
}

/* CPU time the tracer used so far, ns (/proc/PID/schedstat) */
static uint64_t tracer_cpu_ns(const struct tracer *t)
{
	char path[64];
	unsigned long long ns = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)t->pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &ns) != 1)
		ns = 0;
	fclose(f);
	return ns;
}

static int json_u64(const char *s, const char *key, uint64_t *v)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(s, k);
	if (!p)
		return -1;
	*v = strtoull(p + strlen(k), NULL, 10);
	return 0;
}

/* SIGINT, wait, parse its summary line. */
static void tracer_stop(struct tracer *t, struct summary *s)
{
	static char out[1 << 16];
	char *line;
	ssize_t n;
	int st = 0;

	kill(t->pid, SIGINT);
	while (waitpid(t->pid, &st, 0) < 0 && errno == EINTR)
		;
	while (t->err_len < sizeof(t->err) - 1) {
		size_t before = t->err_len;

		tracer_read_err(t, 0);
		if (t->err_len == before)
			break;
	}
	n = pread(t->out_fd, out, sizeof(out) - 1, 0);
	if (n < 0)
		n = 0;
	out[n] = 0;
	close(t->out_fd);
	close(t->err_fd);
	line = strstr(out, "\"event\": \"summary\"");
	if (!line)
		line = strstr(out, "\"event\":\"summary\"");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !line || json_u64(line, "cow_other", &s->cow_other) ||
	    json_u64(line, "cow_untracked", &s->cow_untracked) || json_u64(line, "drops", &s->drops) ||
	    json_u64(line, "cow_faults", &s->faults))
		die("ksmscope trace exited with status %d and no summary line:\nstdout: %.2000s\nstderr: %s",
		    WIFEXITED(st) ? WEXITSTATUS(st) : -1, out, t->err);
	if (verbose && t->err_len)
		fprintf(stderr, "  ksmscope stderr: %s", t->err);
}

/* ----------------------------------------------------- bpf_stats helpers */

struct stats_snap {
	int prog_fd;
	struct bpf_prog_info a, b;
	double ns_per_run[2], runs[2];
};

static void stats_before(void *arg, int cow)
{
	struct stats_snap *s = arg;
	uint32_t len = sizeof(s->a);

	(void)cow;
	memset(&s->a, 0, sizeof(s->a));
	bpf_obj_get_info_by_fd(s->prog_fd, &s->a, &len);
}

static void stats_after(void *arg, int cow)
{
	struct stats_snap *s = arg;
	uint32_t len = sizeof(s->b);
	double runs;

	memset(&s->b, 0, sizeof(s->b));
	bpf_obj_get_info_by_fd(s->prog_fd, &s->b, &len);
	runs = (double)(s->b.run_cnt - s->a.run_cnt);
	s->runs[cow] = runs;
	s->ns_per_run[cow] = runs > 0 ? (double)(s->b.run_time_ns - s->a.run_time_ns) / runs : 0;
}

/* fd of the newest loaded program called name (ksmscope's, just started by us), or -1; *count: how many */
static int find_prog_fd(const char *name, int *count)
{
	uint32_t id = 0;
	int best = -1;

	if (count)
		*count = 0;
	while (!bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info = { 0 };
		uint32_t len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(info.name, name)) {
			if (count)
				++*count;
			if (best >= 0)
				close(best);
			best = fd; /* ids grow: the last one is the newest */
			continue;
		}
		close(fd);
	}
	return best;
}

/* Sum of the per-CPU counters of the newest ksmscope (its btf_fault_user's "counters" map). */
static int ksm_counters(struct ks_counters *sum)
{
	struct bpf_prog_info pi = { 0 };
	uint32_t ids[64], len = sizeof(pi), zero = 0;
	int pfd = find_prog_fd(fault_prog(), NULL), err = -1;

	memset(sum, 0, sizeof(*sum));
	if (pfd < 0)
		return -1;
	pi.nr_map_ids = 64;
	pi.map_ids = (uint64_t)(uintptr_t)ids;
	if (bpf_obj_get_info_by_fd(pfd, &pi, &len)) {
		close(pfd);
		return -1;
	}
	close(pfd);
	for (uint32_t i = 0; i < pi.nr_map_ids && i < 64 && err; i++) {
		struct bpf_map_info mi = { 0 };
		uint32_t mlen = sizeof(mi);
		int mfd = bpf_map_get_fd_by_id(ids[i]);
		struct ks_counters *per;

		if (mfd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(mfd, &mi, &mlen) || strcmp(mi.name, "counters") ||
		    mi.value_size != sizeof(struct ks_counters)) {
			close(mfd);
			continue;
		}
		per = calloc((size_t)ncpus, sizeof(*per));
		if (per && !bpf_map_lookup_elem(mfd, &zero, per)) {
			for (int c = 0; c < ncpus; c++) {
				sum->seen[KS_REC_COW_FAULT] += per[c].seen[KS_REC_COW_FAULT];
				sum->wakeups += per[c].wakeups;
				sum->cow_faults += per[c].cow_faults;
			}
			err = 0;
		}
		free(per);
		close(mfd);
	}
	return err;
}

/*
 * Configurations without ksmscope must not see any ksmscope's fault hook (a stopped
 * tracer's programs go away shortly after it exits; a foreign one would spoil the
 * baseline). Waits up to 0.5 s; returns false if one is still there.
 */
static int hooks_now(void);

static bool no_foreign_hooks(void)
{
	for (int i = 0; i < 25; i++) {
		if (!hooks_now())
			return true;
		sleep_ms(20);
	}
	return false;
}

/* in-program ns per run of prog_fd during one pass's first-touch and COW loops */
static void inprog(int prog_fd, size_t pages, double out[NKIND])
{
	struct stats_snap ss = { .prog_fd = prog_fd };
	struct pass_hooks h = { stats_before, stats_after, &ss };
	double v[NKIND][3];

	for (int i = 0; i < 3; i++) {
		run_pass(pages, &h);
		for (int k = 0; k < NKIND; k++)
			v[k][i] = ss.ns_per_run[k];
	}
	for (int k = 0; k < NKIND; k++)
		out[k] = median(v[k], 3);
}

/* ------------------------------------------------------------- overhead */

enum cfg { CFG_NONE, CFG_MIN, CFG_OTHER, CFG_SELF, NCFG };

static const char *const cfg_names[NCFG] = {
	"no BPF",
	"minimal counter (tp_btf)",
	"ksmscope, other pid tracked",
	"ksmscope, this pid tracked",
};

struct setup {
	struct min_counter_bpf *mc;
	struct bpf_link *link;
	struct tracer tr;
	pid_t idle;        /* the "other" pid ksmscope tracks */
	uint64_t mc_before;
	unsigned foreign;  /* activations that saw a fault hook not ours */
	unsigned spoiled_rounds; /* rounds thrown away (and measured again) for that */
};

/* ksmscope fault hooks loaded right now (any ksmscope's, whatever the source: --hooks) */
static int hooks_now(void)
{
	static const char *const names[] = { "btf_fault_user", "tp_fault_user", "fx_cow", "kp_cow", "pe_fault" };
	int total = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int n, fd = find_prog_fd(names[i], &n);

		if (fd >= 0)
			close(fd);
		total += n;
	}
	return total;
}

/* exactly one ksmscope fault hook (ours) while a tracer of ours runs */
static bool only_our_tracer(void)
{
	return hooks_now() == 1;
}

static uint64_t percpu_sum(int map_fd)
{
	uint64_t vals[512] = { 0 }, sum = 0;
	uint32_t zero = 0;

	if (ncpus > 512 || bpf_map_lookup_elem(map_fd, &zero, vals))
		return 0;
	for (int i = 0; i < ncpus; i++)
		sum += vals[i];
	return sum;
}

static void cfg_start(struct setup *s, enum cfg c)
{
	char pids[32];

	switch (c) {
	case CFG_NONE:
		s->foreign += !no_foreign_hooks();
		break;
	case CFG_MIN:
		s->foreign += !no_foreign_hooks();
		s->mc_before = percpu_sum(bpf_map__fd(s->mc->maps.hits));
		s->link = bpf_program__attach(s->mc->progs.min_fault_user);
		if (!s->link)
			die("attach min_counter: %s", strerror(errno));
		break;
	case CFG_OTHER:
		snprintf(pids, sizeof(pids), "%d", (int)s->idle);
		s->foreign += !no_foreign_hooks();
		tracer_start(&s->tr, pids, NULL);
		s->foreign += !only_our_tracer();
		break;
	case CFG_SELF:
		snprintf(pids, sizeof(pids), "%d", (int)getpid());
		s->foreign += !no_foreign_hooks();
		tracer_start(&s->tr, pids, NULL);
		s->foreign += !only_our_tracer();
		break;
	default:
		break;
	}
}

struct checks {
	uint64_t cow_faults;    /* COW faults this process took in all activations */
	uint64_t records;       /* cow_other summed over (d)'s tracers */
	uint64_t drops;         /* over all tracers */
	uint64_t untracked;     /* cow_untracked summed over (c)'s tracers */
	uint64_t other_cow;     /* COW faults during (c) */
	uint64_t min_hits, min_faults;
	uint64_t wakeups, seen; /* ksmscope's own counters in (d): forced wake-ups, records attempted */
	bool records_ok;
};

/* cow: COW faults taken while this configuration was active; all: all faults */
static void cfg_stop(struct setup *s, enum cfg c, uint64_t cow, uint64_t all, struct checks *k)
{
	struct summary sum = { 0 };

	switch (c) {
	case CFG_NONE:
		break;
	case CFG_MIN:
		bpf_link__destroy(s->link);
		s->link = NULL;
		k->min_hits += percpu_sum(bpf_map__fd(s->mc->maps.hits)) - s->mc_before;
		k->min_faults += all;
		break;
	case CFG_OTHER:
		tracer_stop(&s->tr, &sum);
		k->untracked += sum.cow_untracked;
		k->other_cow += cow;
		k->drops += sum.drops;
		break;
	case CFG_SELF: {
		struct ks_counters kc = { 0 };

		if (!ksm_counters(&kc)) {
			k->wakeups += kc.wakeups;
			k->seen += kc.seen[KS_REC_COW_FAULT];
		}
		tracer_stop(&s->tr, &sum);
		/* perf: a record per fault (first touches too), not kept unless on a merged page */
		if (perf_source())
			sum.cow_other = kc.seen[KS_REC_COW_FAULT] >= cow ? cow : 0;
		/* records: every COW fault of ours, plus a few (stack pages after fork) */
		if (sum.cow_other < cow || sum.cow_other > cow + cow / 100 + 1000 || sum.drops)
			k->records_ok = false;
		k->records += sum.cow_other;
		k->cow_faults += cow;
		k->drops += sum.drops;
		break;
	}
	default:
		break;
	}
}

struct opts {
	unsigned mib, rounds, reps, settle_ms;
	double secs;
	const char *ringbuf;
};

static void print_header(void)
{
	printf("  %-28s %8s %8s  %-16s %7s %6s  %-16s  %-7s %-7s | %8s %6s\n", "config", "ns/fault", "added",
	       "added 90% CI", "% fault", "x min", "x min 90% CI", "target", "verdict", "p25 add", "x min");
}

static void print_row(const char *name, const struct row *r, const struct row *rp, int c, const char *target,
		      double limit)
{
	if (c == 0) {
		printf("  %-28s %8.1f %8s  %-16s %7s %6s  %-16s  %-7s %-7s | %8s %6s\n", name, r->ns, "-", "", "-",
		       "-", "", "", "", "-", "-");
		return;
	}
	printf("  %-28s %8.1f %8.1f  [%6.1f ..%6.1f] %6.2f%% %6.2f", name, r->ns, r->added, r->lo, r->hi, r->pct,
	       r->ratio);
	if (c == 1)
		printf("  %-16s  %-7s %-7s", "", "", "");
	else
		printf("  [%5.2f ..%6.2f]  %-7s %-7s", r->rlo, r->rhi, target ? target : "",
		       !target ? "" : r->ratio <= limit ? (r->rhi <= limit ? "PASS" : "PASS(?)")
						 : (r->rlo > limit ? "MISS" : "MISS(?)"));
	printf(" | %8.1f %6.2f\n", rp->added, rp->ratio);
}

static const char *verdict(const struct row *r, double limit)
{
	return r->ratio <= limit ? "PASS" : "MISS";
}

/* one activation of configuration c as round r: settle, a warm-up pass, o->reps timed passes */
static void overhead_activation(const struct opts *o, struct setup *s, struct checks *k, enum cfg c, unsigned r,
				size_t pages)
{
	struct pass ps[64];
	uint64_t cowf = 0;

	cfg_start(s, c);
	/*
	 * steady state, as a tracer that stays attached: right after a
	 * ksmscope start (programs verified and JITed, vmlinux BTF read and
	 * freed) faults measured ~15-45 ns dearer, first-touch ones too
	 */
	sleep_ms(o->settle_ms);
	run_pass(pages / 4, NULL); /* warm-up: not recorded, but its faults are */
	cowf += pages / 4;
	for (unsigned p = 0; p < o->reps; p++) {
		ps[p] = run_pass(pages, NULL);
		cowf += pages;
	}
	s->foreign += hooks_now() != (c == CFG_OTHER || c == CFG_SELF);
	cfg_stop(s, c, cowf, 2 * cowf, k);
	record(c, (int)r, ps, (int)o->reps);
	if (verbose)
		fprintf(stderr, "round %u %-30s cow %.1f first %.1f\n", r, cfg_names[c],
			S[EST(0, K_COW)].round[c][r], S[EST(0, K_FIRST)].round[c][r]);
}

/* every configuration once per round, in a new random order; returns the rounds kept */
static unsigned overhead_rounds(const struct opts *o, struct setup *s, struct checks *k, size_t pages)
{
	unsigned r = 0;

	/* a round in which another ksmscope's fault hook showed up is measured again */
	for (unsigned attempts = 0; r < o->rounds && attempts < o->rounds * 2 + 10; attempts++) {
		unsigned foreign_before = s->foreign;
		int order[NCFG];

		shuffle(order, NCFG);
		for (int i = 0; i < NCFG; i++)
			overhead_activation(o, s, k, (enum cfg)order[i], r, pages);
		if (s->foreign == foreign_before)
			r++;
		else
			s->spoiled_rounds++;
	}
	if (!r)
		die("another ksmscope's page-fault hook was loaded in every round: nothing to report");
	for (int e = 0; e < NEST; e++)
		S[e].nr = (int)r; /* a spoiled last attempt does not count */
	return r;
}

/* program bodies alone (bpf_stats), one extra pass each; false if the stats cannot be turned on */
static bool overhead_inprog(struct setup *s, size_t pages, double in[NCFG][NKIND])
{
	/* stats off for everything before this: they cost a bit */
	int stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	struct bpf_link *l;

	if (stats_fd < 0)
		return false;
	l = bpf_program__attach(s->mc->progs.min_fault_user);
	if (l) {
		inprog(bpf_program__fd(s->mc->progs.min_fault_user), pages, in[CFG_MIN]);
		bpf_link__destroy(l);
	}
	for (int c = CFG_OTHER; c <= CFG_SELF; c++) {
		struct summary sum;
		char pids[32];
		int fd;

		snprintf(pids, sizeof(pids), "%d", c == CFG_SELF ? (int)getpid() : (int)s->idle);
		tracer_start(&s->tr, pids, NULL);
		fd = find_prog_fd(fault_prog(), NULL);
		if (fd >= 0) {
			inprog(fd, pages, in[c]);
			close(fd);
		}
		tracer_stop(&s->tr, &sum);
	}
	close(stats_fd);
	return true;
}

static void overhead_tables(struct row rows[NEST][NCFG])
{
	printf("\n'added' is the median over rounds of (config - no BPF) in the same round; CI: 90%%\n"
	       "bootstrap over rounds; 'x min' = added / the minimal counter's added. Verdicts use the\n"
	       "point estimate, (?) when the CI straddles the target. 'p25' columns: same with each\n"
	       "pass's 25th-percentile chunk (%d faults) instead of its mean (insensitive to bursts).\n",
	       CHUNK);
	printf("\nCopy-on-write write faults (present+write; a tracked one becomes a record):\n");
	print_header();
	for (int c = 0; c < NCFG; c++)
		print_row(cfg_names[c], &rows[EST(0, K_COW)][c], &rows[EST(1, K_COW)][c], c,
			  c == CFG_OTHER ? "<=1.5x" : c == CFG_SELF ? "<=3x" : NULL, c == CFG_SELF ? 3.0 : 1.5);
	printf("\nFirst-touch write faults (not present; counted, never a record):\n");
	print_header();
	for (int c = 0; c < NCFG; c++)
		print_row(cfg_names[c], &rows[EST(0, K_FIRST)][c], &rows[EST(1, K_FIRST)][c], c,
			  c >= CFG_OTHER ? "<=1.5x" : NULL, 1.5);
}

static void overhead_inprog_table(double in[NCFG][NKIND])
{
	printf("\nProgram body alone, ns per run (kernel bpf_stats run_time_ns/run_cnt, three separate\n"
	       "passes each, median, with stats on; includes about one clock read of the stats themselves):\n");
	printf("  %-32s %10s %12s\n", "program", "COW fault", "first-touch");
	printf("  %-32s %10.1f %12.1f\n", "min_counter", in[CFG_MIN][K_COW], in[CFG_MIN][K_FIRST]);
	for (int c = CFG_OTHER; c <= CFG_SELF; c++) {
		char name[64];

		snprintf(name, sizeof(name), "ksmscope %s, %s pid", fault_prog(), c == CFG_SELF ? "this" : "other");
		printf("  %-32s %10.1f %12.1f\n", name, in[c][K_COW], in[c][K_FIRST]);
	}
}

/* r rounds kept of the rounds asked */
static void overhead_checks(const struct setup *s, const struct checks *k, unsigned r, unsigned rounds)
{
	printf("\nChecks:\n");
	if (s->spoiled_rounds)
		printf("  another ksmscope's page-fault hook was loaded during %u rounds: those rounds were\n"
		       "  measured again%s\n", s->spoiled_rounds,
		       r < rounds ? " (gave up: fewer rounds than asked)" : "");
	else
		printf("  no other ksmscope fault hook was loaded during the run\n");
	printf("  minimal counter: %llu hits for %llu faults of ours (other processes' add a few)\n",
	       (unsigned long long)k->min_hits, (unsigned long long)k->min_faults);
	printf("  ksmscope other pid: cow_untracked %llu for %llu COW faults of ours\n",
	       (unsigned long long)k->untracked, (unsigned long long)k->other_cow);
	printf("  ksmscope this pid: cow_other (records) %llu for %llu COW faults, drops %llu: %s\n",
	       (unsigned long long)k->records, (unsigned long long)k->cow_faults, (unsigned long long)k->drops,
	       k->records_ok ? "ok, every tracked COW fault became a record" : "NOT OK: figure (d) is meaningless");
	printf("  ksmscope this pid: %llu forced reader wake-ups for %llu records (%.2f per 1000)\n",
	       (unsigned long long)k->wakeups, (unsigned long long)k->seen,
	       k->seen ? 1000.0 * (double)k->wakeups / (double)k->seen : 0.0);
}

static void overhead_result(struct row rows[NEST][NCFG], const struct checks *k, uint64_t t_start)
{
	printf("\nRESULT overhead cow: min +%.1f ns, untracked x%.2f %s, tracked-record x%.2f %s; "
	       "first-touch: min +%.1f ns, untracked x%.2f %s, tracked x%.2f %s; records %s (%.0f s)\n",
	       rows[EST(0, K_COW)][CFG_MIN].added, rows[EST(0, K_COW)][CFG_OTHER].ratio,
	       verdict(&rows[EST(0, K_COW)][CFG_OTHER], 1.5), rows[EST(0, K_COW)][CFG_SELF].ratio,
	       verdict(&rows[EST(0, K_COW)][CFG_SELF], 3.0), rows[EST(0, K_FIRST)][CFG_MIN].added,
	       rows[EST(0, K_FIRST)][CFG_OTHER].ratio, verdict(&rows[EST(0, K_FIRST)][CFG_OTHER], 1.5),
	       rows[EST(0, K_FIRST)][CFG_SELF].ratio, verdict(&rows[EST(0, K_FIRST)][CFG_SELF], 1.5),
	       k->records_ok ? "ok" : "BAD", (double)(now_ns() - t_start) / 1e9);
}

static int cmd_overhead(const struct opts *o)
{
	size_t pages = (size_t)o->mib * (1 << 20) / PAGE;
	struct checks k = { .records_ok = true };
	struct setup s = { 0 };
	struct row rows[NEST][NCFG];
	double in[NCFG][NKIND] = { { 0 } };
	uint64_t t_start = now_ns();
	int idle_release;
	unsigned r;
	bool stats;

	if (o->rounds > MAX_ROUNDS)
		die("at most %d rounds", MAX_ROUNDS);
	s.mc = min_counter_bpf__open_and_load();
	if (!s.mc)
		die("cannot load bench/min_counter.bpf.c: %s", strerror(errno));
	s.idle = hold_pages(&idle_release); /* an idle process for ksmscope to track in configuration "other" */

	printf("== Page-fault cost: %u MiB = %zu faults per pass, %u rounds x %u passes per configuration\n"
	       "   (+ %u ms to settle and a quarter-size warm-up pass per activation), configurations\n"
	       "   interleaved in a new random order each round; faulting process pinned to CPU %d,\n"
	       "   ksmscope's reader unpinned.\n",
	       o->mib, pages, o->rounds, o->reps, o->settle_ms, bench_cpu);
	fflush(stdout);
	r = overhead_rounds(o, &s, &k, pages);
	stats = overhead_inprog(&s, pages, in);
	release_pages(s.idle, idle_release);
	min_counter_bpf__destroy(s.mc);

	for (int e = 0; e < NEST; e++)
		rows_of(&S[e], NCFG, rows[e]);
	overhead_tables(rows);
	if (stats)
		overhead_inprog_table(in);
	overhead_checks(&s, &k, r, o->rounds);
	overhead_result(rows, &k, t_start);
	fflush(stdout);
	return k.records_ok ? 0 : 1;
}

/* ----------------------------------------------------------------- rate */

struct rate_ctl {
	volatile int go;
	volatile uint64_t t_end;
	volatile uint64_t done[8];  /* COW faults per driver */
	volatile uint64_t t_busy[8]; /* driver's driving time, ns */
};

/* One driver: COW faults, one per page, paced to rate/s (0: as fast as it can). */
static void driver(struct rate_ctl *ctl, int idx, size_t pages, double rate)
{
	volatile char *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t done = 0, t0;

	if (p == MAP_FAILED)
		_exit(2);
	madvise((void *)p, pages * PAGE, MADV_NOHUGEPAGE);
	write_pages(p, pages, 1);
	while (!ctl->go)
		sched_yield();
	t0 = now_ns();
	while (now_ns() < ctl->t_end) {
		int release_fd;
		pid_t holder = hold_pages(&release_fd);

		for (size_t i = 0; i < pages; i++) {
			p[i * PAGE] = 2;
			done++;
			if (rate > 0 && (done & 31) == 0) {
				uint64_t due = t0 + (uint64_t)((double)done * 1e9 / rate), now = now_ns();

				if (due > now + 50000) {
					struct timespec ts = { (time_t)(due / 1000000000ULL),
							       (long)(due % 1000000000ULL) };

					clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
				}
			}
			if ((i & 1023) == 0 && now_ns() >= ctl->t_end)
				break;
		}
		release_pages(holder, release_fd);
	}
	ctl->t_busy[idx] = now_ns() - t0;
	ctl->done[idx] = done;
	_exit(0);
}

struct rate_res {
	double produced_per_s, consumed_per_s, secs;
	uint64_t produced, consumed, drops;
	double reader_cpu_pct, reader_ns_per_rec;
	double wakeups_per_k; /* ksmscope's forced reader wake-ups per 1000 records */
	bool traced;
};

/* ringbuf: ksmscope's --ringbuf-size, NULL for its default, "" for no tracer at all */
static struct rate_res rate_run(int ndrv, double rate_total, double secs, const char *ringbuf)
{
	bool traced = !ringbuf || *ringbuf;
	struct rate_ctl *ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct rate_res res = { 0 };
	struct summary sum = { 0 };
	struct ks_counters kc;
	struct tracer tr;
	pid_t drv[8];
	char pids[128] = "";
	uint64_t cpu0 = 0, cpu1 = 0;
	size_t pages = 32UL * (1 << 20) / PAGE;

	if (ctl == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	memset((void *)ctl, 0, sizeof(*ctl));
	for (int i = 0; i < ndrv; i++) {
		drv[i] = fork();
		if (drv[i] < 0)
			die("fork: %s", strerror(errno));
		if (drv[i] == 0) {
			pin(i % ncpus);
			driver(ctl, i, pages, rate_total / ndrv);
		}
		snprintf(pids + strlen(pids), sizeof(pids) - strlen(pids), "%s%d", i ? "," : "", (int)drv[i]);
	}
	sleep_ms(300); /* drivers populate their regions */
	if (traced) {
		tracer_start(&tr, pids, ringbuf);
		cpu0 = tracer_cpu_ns(&tr);
	}
	ctl->t_end = now_ns() + (uint64_t)(secs * 1e9);
	ctl->go = 1;
	for (int i = 0; i < ndrv; i++)
		waitpid(drv[i], NULL, 0);
	if (traced) {
		cpu1 = tracer_cpu_ns(&tr);
		sleep_ms(100);
		if (!ksm_counters(&kc) && kc.seen[KS_REC_COW_FAULT])
			res.wakeups_per_k = 1000.0 * (double)kc.wakeups / (double)kc.seen[KS_REC_COW_FAULT];
		tracer_stop(&tr, &sum);
	}
	res.secs = 0;
	for (int i = 0; i < ndrv; i++) {
		res.produced += ctl->done[i];
		if ((double)ctl->t_busy[i] / 1e9 > res.secs)
			res.secs = (double)ctl->t_busy[i] / 1e9;
	}
	res.traced = traced;
	res.consumed = sum.cow_other;
	res.drops = sum.drops;
	res.produced_per_s = (double)res.produced / res.secs;
	res.consumed_per_s = (double)res.consumed / res.secs;
	res.reader_cpu_pct = 100.0 * (double)(cpu1 - cpu0) / 1e9 / res.secs;
	res.reader_ns_per_rec = res.consumed ? (double)(cpu1 - cpu0) / (double)res.consumed : 0;
	munmap((void *)ctl, sizeof(*ctl));
	return res;
}

static void rate_print(const char *what, const struct rate_res *r)
{
	if (!r->traced) {
		printf("  %-30s %10.0f %10s %9s %9s %9s %9s\n", what, r->produced_per_s, "-", "-", "-", "-", "-");
		return;
	}
	printf("  %-30s %10.0f %10.0f %9llu %8.1f%% %9.0f %9.2f\n", what, r->produced_per_s, r->consumed_per_s,
	       (unsigned long long)r->drops, r->reader_cpu_pct, r->reader_ns_per_rec, r->wakeups_per_k);
	fflush(stdout);
}

static int cmd_rate(const struct opts *o)
{
	static const char *const sizes[] = { "256K", "64K", "16K" };
	struct rate_res max1, max2, r;
	double lo = 0, hi = 0, best = 0;
	char what[64];
	uint64_t t_start = now_ns();
	int ndrv = ncpus > 1 ? 2 : 1;

	printf("== Sustained COW-fault records against `ksmscope trace --pid DRIVERS --json`\n"
	       "   (ring buffer %s), %.1f s per run; drivers pinned one per CPU, reader unpinned:\n",
	       o->ringbuf ? o->ringbuf : "4M, the default", o->secs);
	printf("  %-30s %10s %10s %9s %9s %9s %9s\n", "drivers, pacing", "faults/s", "records/s", "drops",
	       "reader", "reader ns", "wake-ups");
	printf("  %-30s %10s %10s %9s %9s %9s %9s\n", "", "(made)", "(consumed)", "", "CPU", "/record", "/1000 rec");
	r = rate_run(1, 0, o->secs / 2, "");
	rate_print("1 driver, no tracer", &r);
	max1 = rate_run(1, 0, o->secs, o->ringbuf);
	rate_print("1 driver, unpaced", &max1);
	r = rate_run(ndrv, 0, o->secs / 2, "");
	snprintf(what, sizeof(what), "%d drivers, no tracer", ndrv);
	rate_print(what, &r);
	max2 = rate_run(ndrv, 0, o->secs, o->ringbuf);
	snprintf(what, sizeof(what), "%d drivers, unpaced", ndrv);
	rate_print(what, &max2);
	if (max1.drops == 0 && max2.drops == 0) {
		best = fmax(max1.consumed_per_s, max2.consumed_per_s);
		printf("  no drops even at the highest rate this machine produces: zero-drop rate >= %.0f records/s\n",
		       best);
	} else {
		/* bisect on the paced total rate */
		const struct rate_res *m = max1.drops ? &max1 : &max2;
		int n = max1.drops ? 1 : ndrv;

		if (max1.drops == 0)
			best = lo = max1.consumed_per_s;
		hi = m->produced_per_s;
		for (int i = 0; i < 5; i++) {
			double mid = lo > 0 ? (lo + hi) / 2 : hi / 2;

			r = rate_run(n, mid, o->secs, o->ringbuf);
			snprintf(what, sizeof(what), "%d driver%s, paced %.0f/s", n, n > 1 ? "s" : "", mid);
			rate_print(what, &r);
			if (r.drops == 0) {
				lo = mid;
				if (r.consumed_per_s > best)
					best = r.consumed_per_s;
			} else {
				hi = mid;
			}
		}
		printf("  highest rate with zero drops found: %.0f records/s (drops above ~%.0f/s)\n", best, hi);
	}
	if (!o->ringbuf) {
		/* how much margin the default has: the same load against smaller buffers */
		printf("\n  Same %d-driver unpaced load, smaller ring buffers (wake-up batch = a quarter of it):\n",
		       ndrv);
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			r = rate_run(ndrv, 0, o->secs / 2, sizes[i]);
			snprintf(what, sizeof(what), "--ringbuf-size %s", sizes[i]);
			rate_print(what, &r);
		}
	}
	printf("\nRESULT rate zero_drop_records_per_s>=%.0f max_made_per_s=%.0f reader_ns_per_record=%.0f (%.0f s)\n",
	       best, fmax(max1.produced_per_s, max2.produced_per_s), max2.reader_ns_per_rec,
	       (double)(now_ns() - t_start) / 1e9);
	return 0;
}

/* ---------------------------------------------------------------- parts */

/*
 * With the reader stopped, a warm-up of this many COW records takes the ring buffer past
 * ksmscope's wake-up mark (1 MiB of 80-byte records), so every measured record lands past it.
 */
#define PAST_MARK (((1 << 20) / 80) + 128)

struct part {
	const char *name;
	const char *what;
	struct bpf_program *prog;
	bool pause_reader; /* SIGSTOP the reader while measuring (it drains afterwards) */
};

static int on_rec(void *ctx, void *data, size_t size)
{
	(void)data;
	(void)size;
	++*(uint64_t *)ctx;
	return 0;
}

static volatile sig_atomic_t reader_stop;
static void on_term(int sig)
{
	(void)sig;
	reader_stop = 1;
}

/* A reader process like ksmscope's (poll 50 ms, consume on timeout), with a trivial callback. */
static pid_t start_reader(int rb_fd)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		uint64_t n = 0;
		struct ring_buffer *rb;

		signal(SIGTERM, on_term);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		pin(-1);
		rb = ring_buffer__new(rb_fd, on_rec, &n, NULL);
		if (!rb)
			_exit(2);
		while (!reader_stop) {
			int r = ring_buffer__poll(rb, 50);

			if (r == 0)
				ring_buffer__consume(rb);
		}
		ring_buffer__consume(rb);
		_exit(0);
	}
	return pid;
}

/* one run of cmd_parts: the variants and what was measured of them */
struct parts_run {
	struct fault_parts_bpf *sk;
	struct part parts[MAX_CFG];
	int np;
	int i_empty, i_full; /* the empty program, ksmscope's whole on_fault() */
	size_t pages;
	pid_t reader;
	unsigned r, spoiled; /* rounds kept, rounds measured again */
	struct row rows[NEST][MAX_CFG];
	double in[MAX_CFG][NKIND];
};

/* the last variant called name, or dflt */
static int part_index(const struct parts_run *pr, const char *name, int dflt)
{
	int i = dflt;

	for (int c = 0; c < pr->np; c++)
		if (!strcmp(pr->parts[c].name, name))
			i = c;
	return i;
}

/* loads bench/fault_parts.bpf.c with this pid tracked; the variants, "none" first */
static void parts_load(struct parts_run *pr, const struct opts *o)
{
	uint32_t me = (uint32_t)getpid();
	struct fault_parts_bpf *sk = fault_parts_bpf__open();
	struct part *parts = pr->parts;
	int np = 0;

	if (!sk)
		die("cannot open bench/fault_parts.bpf.c: %s", strerror(errno));
	if (fault_parts_bpf__load(sk))
		die("cannot load bench/fault_parts.bpf.c: %s", strerror(errno));
	if (o->rounds > MAX_ROUNDS)
		die("at most %d rounds", MAX_ROUNDS);
	if (PAST_MARK + (o->reps > 3 ? o->reps : 3) * pr->pages > (4 << 20) / 80)
		die("parts: --passes x --mib too large for a stopped reader's 4 MiB ring buffer");
	sk->bss->pid_bits[me / 64] |= 1ULL << (me % 64);
#define PART(p, w) if (np < MAX_CFG) parts[np++] = (struct part){ #p, w, sk->progs.p, false }
	parts[np++] = (struct part){ "none", "no BPF", NULL, false };
	PART(p_counter, "per-CPU counter only (=min)");
	PART(p_empty, "empty program (dispatch only)");
	PART(p_filter, "+faults++, error code, pid bit");
	PART(p_ktime, "filter + bpf_ktime_get_ns");
	PART(p_comm, "filter + bpf_get_current_comm");
	PART(p_small_nowake, "filter + 16B record");
	PART(p_rec_nowake, "filter + 72B record, zeroed");
	PART(p_rec_ts, "  + ktime");
	PART(p_rec_ts_comm, "  + ktime + comm");
	PART(p_full, "  + ktime + comm + query (=ksm)");
	parts[np++] = (struct part){ "p_rec_ts_comm/stop", "  =p_rec_ts_comm, reader stopped", sk->progs.p_rec_ts_comm,
				     true };
	parts[np++] = (struct part){ "p_full/stop", "  =p_full, reader stopped", sk->progs.p_full, true };
	parts[np++] = (struct part){ "p_full_fix/stop", "  p_full, 1 wake-up/1M, stopped", sk->progs.p_full_fix,
				     true };
	PART(p_rec_jiffies, "  ditto, bpf_jiffies64 stamp");
	PART(p_batch, "16B staged per CPU, 63 per rec");
	PART(p_rec_wake, "72B ts+comm, default wake-up");
#undef PART
	pr->sk = sk;
	pr->np = np;
}

/* one activation of variant c as round r; returns how often a foreign fault hook showed */
static unsigned parts_activation(struct parts_run *pr, const struct opts *o, int c, unsigned r)
{
	const struct part *pt = &pr->parts[c];
	struct bpf_link *l = NULL;
	struct pass ps[64];
	unsigned foreign = 0;

	foreign += !no_foreign_hooks();
	if (pt->prog && !(l = bpf_program__attach(pt->prog)))
		die("attach %s: %s", pt->name, strerror(errno));
	if (pt->pause_reader)
		kill(pr->reader, SIGSTOP);
	run_pass(pt->pause_reader ? PAST_MARK : pr->pages / 4, NULL);
	for (unsigned p = 0; p < o->reps; p++)
		ps[p] = run_pass(pr->pages, NULL);
	foreign += hooks_now() != 0;
	bpf_link__destroy(l);
	if (pt->pause_reader) {
		kill(pr->reader, SIGCONT);
		sleep_ms(100); /* let it drain before the next activation */
	}
	record(c, (int)r, ps, (int)o->reps);
	return foreign;
}

/* every variant once per round, in a new random order, and the rows of figures */
static void parts_rounds(struct parts_run *pr, const struct opts *o)
{
	unsigned foreign = 0;

	for (unsigned attempts = 0; pr->r < o->rounds && attempts < o->rounds * 2 + 10; attempts++) {
		unsigned foreign_before = foreign;
		int order[MAX_CFG];

		shuffle(order, pr->np);
		for (int i = 0; i < pr->np; i++)
			foreign += parts_activation(pr, o, order[i], pr->r);
		if (foreign == foreign_before)
			pr->r++;
		else
			pr->spoiled++;
	}
	if (!pr->r)
		die("another ksmscope's page-fault hook was loaded in every round: nothing to report");
	for (int e = 0; e < NEST; e++)
		S[e].nr = (int)pr->r;
	for (int e = 0; e < NEST; e++)
		rows_of(&S[e], pr->np, pr->rows[e]);
}

/*
 * In-program time, with the kernel's run-time stats on (only for this: they cost a bit).
 * Returns the stats' fd (they stay on until it is closed), or < 0 if they could not be turned on.
 */
static int parts_inprog(struct parts_run *pr)
{
	int stats_fd;

	memset(pr->in, 0, sizeof(pr->in));
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	for (int c = 1; c < pr->np && stats_fd >= 0; c++) {
		const struct part *pt = &pr->parts[c];
		struct bpf_link *l = bpf_program__attach(pt->prog);

		if (!l)
			die("attach %s: %s", pt->name, strerror(errno));
		if (pt->pause_reader) {
			kill(pr->reader, SIGSTOP);
			run_pass(PAST_MARK, NULL);
		}
		inprog(bpf_program__fd(pt->prog), pr->pages, pr->in[c]);
		bpf_link__destroy(l);
		if (pt->pause_reader) {
			kill(pr->reader, SIGCONT);
			sleep_ms(100);
		}
	}
	return stats_fd;
}

static void parts_table(const struct parts_run *pr, const struct opts *o)
{
	const double *empty = pr->in[pr->i_empty];

	printf("\n  'added' = ns added per fault vs no BPF (median of per-round differences, 90%% CI);\n"
	       "  'p25' = the same from each pass's 25th-percentile chunk; 'in-prog' = the program alone,\n"
	       "  ns per run (kernel bpf_stats run_time_ns/run_cnt, separate passes; it includes the\n"
	       "  stats' own clock reads); 'body' = in-prog - the empty program's in-prog: what the\n"
	       "  program's own instructions and helpers cost, the low-noise figure to compare.\n\n");
	printf("  %-18s %-32s | %-34s %7s %7s %6s | %-7s %6s\n", "", "", "copy-on-write (record when tracked)", "",
	       "", "", "1st-touch", "");
	printf("  %-18s %-32s | %7s %7s %14s %7s %7s %6s | %7s %7s\n", "variant", "what", "ns/flt", "added",
	       "90% CI", "p25 add", "in-prog", "body", "added", "in-prog");
	for (int c = 0; c < pr->np; c++) {
		const struct part *pt = &pr->parts[c];
		const struct row *rc = &pr->rows[EST(0, K_COW)][c], *rp = &pr->rows[EST(1, K_COW)][c],
				 *rf = &pr->rows[EST(0, K_FIRST)][c];

		if (c == 0) {
			printf("  %-18s %-32s | %7.1f %7s %14s %7s %7s %6s | %7s %7s\n", pt->name, pt->what, rc->ns,
			       "-", "", "-", "-", "-", "-", "-");
			continue;
		}
		printf("  %-18s %-32s | %7.1f %7.1f [%5.0f..%5.0f] %7.1f %7.1f %6.1f | %7.1f %7.1f\n", pt->name,
		       pt->what, rc->ns, rc->added, rc->lo, rc->hi, rp->added, pr->in[c][K_COW],
		       pr->in[c][K_COW] - empty[K_COW], rf->added, pr->in[c][K_FIRST]);
	}
	if (pr->spoiled)
		printf("  another ksmscope's page-fault hook was loaded during %u rounds: measured again%s\n",
		       pr->spoiled, pr->r < o->rounds ? " (gave up: fewer rounds than asked)" : "");
	fflush(stdout);
}

/* the real thing, with the stats on: ksmscope's own btf_fault_user, tracking another pid, then this one */
static void parts_ksmscope(const struct parts_run *pr)
{
	const double *empty = pr->in[pr->i_empty];

	for (int self = 0; self < 2; self++) {
		struct summary sum;
		struct tracer tr;
		char pids[32];
		double v[NKIND];
		int fd;

		snprintf(pids, sizeof(pids), "%u", self ? (uint32_t)getpid() : (uint32_t)pr->reader);
		tracer_start(&tr, pids, NULL);
		fd = find_prog_fd("btf_fault_user", NULL);
		if (fd >= 0) {
			inprog(fd, pr->pages, v);
			close(fd);
			printf("  %-18s %-32s | %7s %7s %14s %7s %7.1f %6.1f | %7s %7.1f\n", "ksmscope",
			       self ? "btf_fault_user, this pid" : "btf_fault_user, other pid", "", "", "", "",
			       v[K_COW], v[K_COW] - empty[K_COW], "", v[K_FIRST]);
		}
		tracer_stop(&tr, &sum);
	}
}

/* ksmscope's tracked COW path, step by step: differences between neighbouring variants */
static void parts_steps(const struct parts_run *pr, uint64_t t_start)
{
	static const struct {
		const char *what, *a, *b; /* cost of a minus cost of b ("" = none) */
	} steps[] = {
		{ "tp_btf dispatch (empty program)", "p_empty", "" },
		{ "per-CPU counter lookup + increment", "p_counter", "p_empty" },
		{ "error code, pid_tgid, pid bitmap, 2nd counter", "p_filter", "p_counter" },
		{ "ringbuf reserve + zero-fill + submit, 72 B", "p_rec_nowake", "p_filter" },
		{ "bpf_ktime_get_ns() into the record", "p_rec_ts", "p_rec_nowake" },
		{ "bpf_get_current_comm() into the record", "p_rec_ts_comm", "p_rec_ts" },
		{ "bpf_ringbuf_query() + flag choice", "p_full", "p_rec_ts_comm" },
		{ "= ksmscope's on_fault(), tracked COW", "p_full", "" },
		{ "alternatives:", NULL, NULL },
		{ "16-byte record instead of 72 (no ts/comm)", "p_small_nowake", "p_rec_nowake" },
		{ "bpf_jiffies64() instead of ktime", "p_rec_jiffies", "p_full" },
		{ "no ktime, no comm (72 B, zeroed)", "p_rec_nowake", "p_full" },
		{ "per-CPU staging, 63 records per ringbuf rec", "p_batch", "p_full" },
		{ "reader stopped: forced wake-up per record", "p_full/stop", "p_rec_ts_comm/stop" },
		{ "  same, one forced wake-up per 1 MiB (fix)", "p_full_fix/stop", "p_rec_ts_comm/stop" },
		{ "default wake-up (flags 0), live reader", "p_rec_wake", "p_rec_ts_comm" },
	};
	const struct row *cow = pr->rows[EST(0, K_COW)];
	double full_add = 0, storm = 0, fix = 0;

	printf("\n  ksmscope's tracked COW path step by step (ns per fault; 'added' differences are\n"
	       "  noisy, +-20-40 ns at 16 rounds; 'body' differences are steady but miss cache effects\n"
	       "  on the rest of the fault and under-count clock reads, which the stats also do):\n");
	printf("  %-48s %9s %9s\n", "step", "added", "body");
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		int a, b;
		double add, body;

		if (!steps[i].a) {
			printf("  %s\n", steps[i].what);
			continue;
		}
		a = part_index(pr, steps[i].a, -1);
		b = part_index(pr, steps[i].b, -1);
		if (a < 0)
			continue;
		add = cow[a].added - (b >= 0 ? cow[b].added : 0);
		body = pr->in[a][K_COW] - (b >= 0 ? pr->in[b][K_COW] : pr->in[pr->i_empty][K_COW]);
		printf("  %-48s %+9.1f %+9.1f\n", steps[i].what, add, body);
		if (a == pr->i_full && b < 0)
			full_add = add;
		if (!strcmp(steps[i].a, "p_full/stop"))
			storm = add;
		if (!strcmp(steps[i].a, "p_full_fix/stop"))
			fix = add;
	}
	printf("\nRESULT parts tracked on_fault %+.0f ns/fault; wake-up per record past the mark %+.0f ns,"
	       " with the fix %+.0f ns (%.0f s)\n",
	       full_add, storm, fix, (double)(now_ns() - t_start) / 1e9);
}

static int cmd_parts(const struct opts *o)
{
	static struct parts_run pr;
	uint64_t t_start = now_ns();
	int stats_fd;

	pr.pages = (size_t)o->mib * (1 << 20) / PAGE;
	parts_load(&pr, o);
	pr.reader = start_reader(bpf_map__fd(pr.sk->maps.events));

	printf("== ksmscope's on_fault() taken apart (bench/fault_parts.bpf.c): this pid is tracked, so\n"
	       "   every COW fault takes the tracked path; %u MiB per pass, %u rounds x %u passes; a reader\n"
	       "   process polls the ring buffer like ksmscope's (50 ms, or when woken).\n",
	       o->mib, o->rounds, o->reps);
	fflush(stdout);
	parts_rounds(&pr, o);
	stats_fd = parts_inprog(&pr);
	pr.i_full = part_index(&pr, "p_full", 0);
	pr.i_empty = part_index(&pr, "p_empty", 0);
	parts_table(&pr, o);
	if (stats_fd >= 0) {
		parts_ksmscope(&pr);
		close(stats_fd);
	}
	kill(pr.reader, SIGTERM);
	waitpid(pr.reader, NULL, 0);
	fault_parts_bpf__destroy(pr.sk);
	parts_steps(&pr, t_start);
	return 0;
}

/* ----------------------------------------------------------------- main */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: fault_bench overhead|rate|parts [--ksmscope PATH] [--mib N] [--rounds N] [--passes N]\n"
		"                   [--cpu N] [--secs S] [--ringbuf-size SIZE] [--hooks SOURCE] [--verbose]\n"
		"  overhead  ns per fault: no BPF, minimal counter, ksmscope other pid, ksmscope this pid\n"
		"  rate      sustained COW-fault records/s ksmscope's reader consumes, and drops\n"
		"  parts     ksmscope's on_fault() taken apart, cost of each step\n"
		"  --ksmscope PATH  ksmscope binary (default: build/ksmscope)\n"
		"  --mib N          region per pass (default 32)\n"
		"  --rounds N       interleaved rounds (default: overhead 150, parts 16)\n"
		"  --passes N       timed passes per configuration per round (default 3)\n"
		"  --settle MS      overhead: wait after each activation before measuring (default 300)\n"
		"  --cpu N          pin the faulting process to CPU N (default: the last CPU; -1: no pinning)\n"
		"  --secs S         rate: seconds per run (default 3)\n"
		"  --ringbuf-size   rate: ksmscope's --ringbuf-size (default: its own, 4M)\n"
		"  --hooks SOURCE   ksmscope's --hooks (tp_btf, tracepoint, fexit, kprobe, perf): which copy-on-write\n"
		"                   source the traced configurations measure (default: ksmscope's choice)\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "ksmscope", required_argument, NULL, 'k' }, { "mib", required_argument, NULL, 'm' },
		{ "rounds", required_argument, NULL, 'r' },   { "passes", required_argument, NULL, 'p' },
		{ "cpu", required_argument, NULL, 'c' },      { "secs", required_argument, NULL, 's' },
		{ "ringbuf-size", required_argument, NULL, 'R' }, { "settle", required_argument, NULL, 'S' },
		{ "hooks", required_argument, NULL, 'H' },
		{ "verbose", no_argument, NULL, 'v' },        { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct opts o = { .mib = 32, .rounds = 0, .reps = 3, .secs = 3, .settle_ms = 300 };
	const char *mode;
	int opt;

	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		die("cannot count CPUs");
	bench_cpu = ncpus - 1;
	while ((opt = getopt_long(argc, argv, "vh", lopts, NULL)) != -1) {
		switch (opt) {
		case 'k': ksmscope_bin = optarg; break;
		case 'm': o.mib = (unsigned)atoi(optarg); break;
		case 'r': o.rounds = (unsigned)atoi(optarg); break;
		case 'p': o.reps = (unsigned)atoi(optarg); break;
		case 'c': bench_cpu = atoi(optarg); break;
		case 's': o.secs = atof(optarg); break;
		case 'R': o.ringbuf = optarg; break;
		case 'S': o.settle_ms = (unsigned)atoi(optarg); break;
		case 'H': trace_hooks = optarg; break;
		case 'v': verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || !o.mib || !o.reps || o.reps > 64 || o.secs <= 0) {
		usage(stderr);
		return 2;
	}
	mode = argv[optind];
	if (!o.rounds)
		o.rounds = !strcmp(mode, "parts") ? 16 : 150;
	if (bench_cpu >= ncpus)
		bench_cpu = ncpus - 1;
	if (access(ksmscope_bin, X_OK))
		die("no ksmscope binary at %s (build it with make; or --ksmscope PATH)", ksmscope_bin);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(mode, "rate"))
		return cmd_rate(&o);
	pin(bench_cpu);
	if (!strcmp(mode, "overhead"))
		return cmd_overhead(&o);
	if (!strcmp(mode, "parts"))
		return cmd_parts(&o);
	usage(stderr);
	return 2;
}
