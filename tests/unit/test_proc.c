// SPDX-License-Identifier: GPL-2.0-only
/* sys/proc: the small /proc readers, against this process and one that cannot exist. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "harness.h"
#include "lib/util.h"
#include "sys/proc.h"

#define NO_SUCH_PID ((1u << 22) + 12345) /* above PID_MAX_LIMIT: cannot exist */

static void test_stat(void)
{
	struct proc_stat st = { 0 };
	volatile uint64_t spin = 0;

	for (uint64_t i = 0; i < 50000000; i++) /* some CPU time to see */
		spin += i;
	CHECK_U64(proc_stat((uint32_t)getpid(), 0, &st), 0);
	CHECK(st.state == 'R'); /* reading its own stat, it runs */
	CHECK(!(st.flags & 0x00200000UL)); /* not a kernel thread */
	CHECK(proc_cpu_seconds((uint32_t)getpid()) > 0);
	CHECK(proc_self_cpu_seconds() > 0);
	CHECK_U64(proc_stat((uint32_t)getpid(), (uint32_t)gettid(), &st), 0);
	CHECK(st.state == 'R');
	CHECK(proc_stat(NO_SUCH_PID, 0, &st) == -ESRCH);
	CHECK(proc_cpu_seconds(NO_SUCH_PID) < 0);
}

static void test_stat_odd_comm(void)
{
	struct proc_stat st = { 0 };
	char comm[KS_COMM_LEN];

	/* the stat line's comm may hold spaces and parentheses */
	prctl(PR_SET_NAME, "a) b (c) d", 0, 0, 0);
	CHECK_U64(proc_comm((uint32_t)getpid(), comm), 0);
	CHECK_STR(comm, "a) b (c) d");
	CHECK_U64(proc_stat((uint32_t)getpid(), 0, &st), 0);
	CHECK(st.state == 'R');
	prctl(PR_SET_NAME, "test_proc", 0, 0, 0);
}

static void *idle(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

static void test_threads(void)
{
	uint32_t *tids = NULL;
	size_t n = 0, self = 0, other = 0;
	pthread_t th;

	CHECK_U64(pthread_create(&th, NULL, idle, NULL), 0);
	CHECK_U64(proc_threads((uint32_t)getpid(), &tids, &n), 0);
	CHECK_U64(n, 2);
	for (size_t i = 0; i < n; i++) {
		self += tids[i] == (uint32_t)gettid();
		other += tids[i] != (uint32_t)gettid();
	}
	CHECK_U64(self, 1);
	CHECK_U64(other, 1);
	free(tids);
	pthread_cancel(th);
	pthread_join(th, NULL);
	CHECK(proc_threads(NO_SUCH_PID, &tids, &n) == -ESRCH);
}

static void test_lookups(void)
{
	struct proc_ksm_stat ks = { 1, 1, false, 7 };
	char ksm_stat[4096];
	char cg[256];
	int fd;

	CHECK(proc_alive((uint32_t)getpid()));
	CHECK(!proc_alive(NO_SUCH_PID));
	prctl(PR_SET_NAME, "ksmscope_pt", 0, 0, 0);
	CHECK_U64(proc_find_comm("ksmscope_pt"), getpid());
	CHECK_U64(proc_find_comm("no such comm!"), 0);
	prctl(PR_SET_NAME, "test_proc", 0, 0, 0);
	CHECK(proc_self_rss_kb() > 0);
	/* ksm_stat since Linux 6.1: never merged here, so zero either way */
	proc_ksm_stat((uint32_t)getpid(), &ks);
	CHECK_U64(ks.merging_pages, 0);
	CHECK_U64(ks.zero_pages, 0);
	CHECK(ks.has_zero == !access("/sys/kernel/mm/ksm/ksm_zero_pages", F_OK)); /* both arrived in 6.6 */
	/* ksm_mergeable where the kernel says it: nothing here is mergeable until madvise says so */
	if (read_small_file("/proc/self/ksm_stat", ksm_stat, sizeof(ksm_stat)) > 0 &&
	    strstr(ksm_stat, "\nksm_mergeable: ")) {
		void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		CHECK(ks.mergeable == 0);
		CHECK(m != MAP_FAILED && !madvise(m, 4096, MADV_MERGEABLE));
		proc_ksm_stat((uint32_t)getpid(), &ks);
		CHECK(ks.mergeable == 1);
		if (m != MAP_FAILED)
			munmap(m, 4096);
	} else {
		CHECK(ks.mergeable == -1);
	}
	CHECK(proc_ksm_stat(NO_SUCH_PID, &ks) == -ESRCH);
	if (!proc_cgroup((uint32_t)getpid(), cg, sizeof(cg)))
		CHECK(cg[0] == '/');
	CHECK(proc_cgroup(NO_SUCH_PID, cg, sizeof(cg)) == -ESRCH);
	fd = proc_mem_open((uint32_t)getpid());
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	CHECK(proc_mem_open(NO_SUCH_PID) == -ENOENT);
	CHECK_U64(proc_kallsyms("no_such_kernel_symbol_ksmscope"), 0);
}

int main(void)
{
	RUN(test_stat);
	RUN(test_stat_odd_comm);
	RUN(test_threads);
	RUN(test_lookups);
	RESULT();
}
