// SPDX-License-Identifier: GPL-2.0-only
/* targets: --pid lists, --comm names, matching, and the /proc lookups behind them. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "harness.h"
#include "sys/targets.h"

#define ANY SIZE_MAX
#define NO_SUCH_PID ((1u << 22) + 12345) /* above PID_MAX_LIMIT: cannot exist */

static void test_add_pids(void)
{
	struct targets t = { 0 };
	const char *bad = NULL;

	CHECK(targets_all(&t));
	CHECK_U64(targets_add_pids(&t, "1,2,3", &bad), 0);
	CHECK(bad == NULL);
	CHECK_U64(t.npids, 3);
	if (t.npids == 3) {
		CHECK_U64(t.pids[0], 1);
		CHECK_U64(t.pids[1], 2);
		CHECK_U64(t.pids[2], 3);
	}
	CHECK(!targets_all(&t));
	targets_free(&t);
	CHECK(t.pids == NULL);
	CHECK_U64(t.npids, 0);
	CHECK(targets_all(&t));

	/* sorted, duplicates removed */
	CHECK_U64(targets_add_pids(&t, "30,10,20,10,30,30", &bad), 0);
	CHECK_U64(t.npids, 3);
	if (t.npids == 3) {
		CHECK_U64(t.pids[0], 10);
		CHECK_U64(t.pids[1], 20);
		CHECK_U64(t.pids[2], 30);
	}
	/* a second --pid appends, still sorted and unique */
	CHECK_U64(targets_add_pids(&t, "25,5,20", &bad), 0);
	CHECK_U64(t.npids, 5);
	if (t.npids == 5) {
		CHECK_U64(t.pids[0], 5);
		CHECK_U64(t.pids[1], 10);
		CHECK_U64(t.pids[2], 20);
		CHECK_U64(t.pids[3], 25);
		CHECK_U64(t.pids[4], 30);
	}
	targets_free(&t);

	CHECK_U64(targets_add_pids(&t, "7", &bad), 0);
	CHECK_U64(t.npids, 1);
	CHECK_U64(targets_add_pids(&t, "7", &bad), 0);
	CHECK_U64(t.npids, 1);
	/* the largest pid the BPF bitmap can hold */
	CHECK_U64(targets_add_pids(&t, "4194303", &bad), 0);
	CHECK_U64(t.npids, 2);
	CHECK_U64(t.pids[1], 4194303);
	targets_free(&t);
}

static void test_add_pids_bad(void)
{
	static const struct {
		const char *list;
		size_t bad_at; /* offset *bad must point at; ANY: somewhere in the list */
	} cases[] = {
		{ "", 0 },
		{ "1,,2", ANY },
		{ "1,", ANY },
		{ ",1", ANY },
		{ ",", ANY },
		{ "abc", 0 },
		{ "0", 0 },
		{ "-1", 0 },
		{ "99999999999", 0 },
		{ "4294967296", 0 },
		{ "4194304", 0 }, /* KS_PID_LIMIT */
		{ "1,abc", 2 },
		{ "1,2,0", 4 },
		{ "12,+3", 3 },
		{ " 1", 0 },
		{ "1 ", 0 },
		{ "1, 2", 2 },
		{ "1;2", 0 },
		{ "0x10", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct targets t = { 0 };
		const char *bad = NULL;
		int ret = targets_add_pids(&t, cases[i].list, &bad);

		size_t len = strlen(cases[i].list);
		bool at = cases[i].bad_at == ANY
				  ? bad && bad >= cases[i].list && bad <= cases[i].list + len
				  : bad == cases[i].list + cases[i].bad_at;

		if (ret != -1 || !at) {
			t_fail++;
			fprintf(stderr, "FAIL %s:%d: \"%s\": ret=%d bad=%s\n", __FILE__, __LINE__,
				cases[i].list, ret,
				bad ? (bad >= cases[i].list && bad <= cases[i].list + strlen(cases[i].list)
					       ? bad : "(outside)")
				    : "(null)");
		} else {
			t_pass++;
		}
		targets_free(&t);
	}
}

static void test_set_comm(void)
{
	struct targets t = { 0 };

	CHECK(targets_set_comm(&t, "") == -1);
	CHECK(!t.has_comm);
	CHECK(targets_set_comm(&t, "0123456789abcdef") == -1); /* 16: no room for the NUL */
	CHECK(!t.has_comm);
	CHECK(targets_set_comm(&t, "a much longer name than that") == -1);
	CHECK_U64(targets_set_comm(&t, "0123456789abcde"), 0); /* 15 */
	CHECK(t.has_comm);
	CHECK_STR(t.comm, "0123456789abcde");
	CHECK(!targets_all(&t));
	/* replacing with a shorter name leaves no bytes of the old one */
	CHECK_U64(targets_set_comm(&t, "qemu"), 0);
	CHECK_STR(t.comm, "qemu");
	for (int i = 4; i < KS_COMM_LEN; i++)
		CHECK(t.comm[i] == '\0');
	targets_free(&t);
	CHECK(!t.has_comm);
}

static void test_match(void)
{
	struct targets t = { 0 };
	const char *bad;
	char full[KS_COMM_LEN];

	/* no filter: everything */
	CHECK(targets_match(&t, 1, "init"));
	CHECK(targets_match(&t, 12345, ""));

	/* pids only */
	targets_add_pids(&t, "100,300,200", &bad);
	CHECK(targets_match(&t, 100, "x"));
	CHECK(targets_match(&t, 200, "y"));
	CHECK(targets_match(&t, 300, ""));
	CHECK(!targets_match(&t, 150, "x"));
	CHECK(!targets_match(&t, 1, "x"));
	CHECK(!targets_match(&t, 301, "x"));
	CHECK(!targets_match(&t, 0, "x"));
	targets_free(&t);

	/* comm only: exact, not a prefix either way */
	targets_set_comm(&t, "qemu");
	CHECK(targets_match(&t, 5, "qemu"));
	CHECK(!targets_match(&t, 5, "qemu-kvm"));
	CHECK(!targets_match(&t, 5, "qem"));
	CHECK(!targets_match(&t, 5, "QEMU"));
	CHECK(!targets_match(&t, 5, ""));
	targets_free(&t);

	/* a 15-character name against a kernel comm buffer of 16 bytes */
	targets_set_comm(&t, "0123456789abcde");
	memcpy(full, "0123456789abcde", 16);
	CHECK(targets_match(&t, 5, full));
	memcpy(full, "0123456789abcdX", 16);
	CHECK(!targets_match(&t, 5, full));
	targets_free(&t);

	/* both: both must hold */
	targets_add_pids(&t, "10,20", &bad);
	targets_set_comm(&t, "vm");
	CHECK(targets_match(&t, 10, "vm"));
	CHECK(targets_match(&t, 20, "vm"));
	CHECK(!targets_match(&t, 10, "other"));
	CHECK(!targets_match(&t, 30, "vm"));
	CHECK(!targets_match(&t, 30, "other"));
	targets_free(&t);
}

static void *thread_main(void *arg)
{
	uint32_t *out = arg;

	out[0] = (uint32_t)gettid();
	out[1] = 0;
	if (proc_tgid(out[0], &out[1]))
		out[1] = 0;
	return NULL;
}

static void test_proc(void)
{
	char comm[KS_COMM_LEN], old[KS_COMM_LEN];
	uint32_t tgid = 0, ids[2] = { 0, 0 };
	pthread_t th;

	CHECK_U64(proc_tgid((uint32_t)getpid(), &tgid), 0);
	CHECK_U64(tgid, (uint32_t)getpid());

	/* a thread id names its process */
	CHECK_U64(pthread_create(&th, NULL, thread_main, ids), 0);
	pthread_join(th, NULL);
	CHECK(ids[0] != (uint32_t)getpid());
	CHECK_U64(ids[1], (uint32_t)getpid());

	memset(old, 0, sizeof(old));
	CHECK_U64(prctl(PR_GET_NAME, old), 0);
	memset(comm, 'x', sizeof(comm));
	CHECK_U64(proc_comm((uint32_t)getpid(), comm), 0);
	CHECK_STR(comm, old);
	CHECK_STR(comm, "test_targets");

	/* a 15-character name: the longest the kernel keeps, NUL-terminated */
	CHECK_U64(prctl(PR_SET_NAME, "abcdefghijklmnopq"), 0);
	memset(comm, 'x', sizeof(comm));
	CHECK_U64(proc_comm((uint32_t)getpid(), comm), 0);
	CHECK_STR(comm, "abcdefghijklmno");
	CHECK(comm[15] == '\0');
	CHECK_U64(prctl(PR_SET_NAME, "a b\tc"), 0);
	CHECK_U64(proc_comm((uint32_t)getpid(), comm), 0);
	CHECK_STR(comm, "a b\tc");
	prctl(PR_SET_NAME, old);

	tgid = 77;
	CHECK(proc_tgid(NO_SUCH_PID, &tgid) == -ESRCH);
	CHECK_U64(tgid, 77); /* untouched */
	CHECK(proc_comm(NO_SUCH_PID, comm) == -ESRCH);
}

static void test_proc_list(void)
{
	uint32_t *pids = NULL;
	size_t n = 0;
	int self = 0, one = 0, zero = 0;

	CHECK_U64(proc_list(&pids, &n), 0);
	CHECK(n >= 1);
	for (size_t i = 0; i < n; i++) {
		self += pids[i] == (uint32_t)getpid();
		one += pids[i] == 1;
		zero += pids[i] == 0;
	}
	CHECK_U64(self, 1);
	CHECK(one <= 1);
	CHECK_U64(zero, 0);
	free(pids);
}

int main(void)
{
	RUN(test_add_pids);
	RUN(test_add_pids_bad);
	RUN(test_set_comm);
	RUN(test_match);
	RUN(test_proc);
	RUN(test_proc_list);
	RESULT();
}
