// SPDX-License-Identifier: GPL-2.0-only
/* pidtab: typed per-pid records, checked against a plain array indexed by pid. */
#include <stdlib.h>

#include "harness.h"
#include "lib/pidtab.h"

struct rec {
	uint32_t pid;
	uint64_t merges, unmerges;
	char tag;
};

static void test_basics(void)
{
	struct pidtab t;
	struct rec *r;

	CHECK_U64(pidtab_init(&t, sizeof(struct rec), 4), 0);
	CHECK(pidtab_get(&t, 7) == NULL);
	CHECK(!pidtab_del(&t, 7));
	r = pidtab_add(&t, 7);
	CHECK(r != NULL);
	CHECK_U64(r->pid, 7);
	CHECK_U64(r->merges, 0); /* new records are zeroed */
	r->merges = 3;
	r = pidtab_add(&t, 7); /* the same record again */
	CHECK_U64(r->merges, 3);
	CHECK_U64(t.n, 1);
	r = pidtab_add(&t, 0); /* pid 0 is a key like any other */
	CHECK(r != NULL);
	CHECK_U64(t.n, 2);
	CHECK_U64(((struct rec *)pidtab_get(&t, 7))->merges, 3);
	CHECK(pidtab_del(&t, 7));
	CHECK(pidtab_get(&t, 7) == NULL);
	CHECK(pidtab_get(&t, 0) != NULL);
	CHECK_U64(t.n, 1);
	pidtab_free(&t);
	CHECK(pidtab_get(&t, 0) == NULL); /* freed: empty, not a crash */
}

#define MAXPID 512

static void test_against_model(void)
{
	static uint64_t model[MAXPID]; /* 0: absent, else merges + 1 */
	struct pidtab t;
	unsigned seed = 12345;
	int bad = 0;

	CHECK_U64(pidtab_init(&t, sizeof(struct rec), 1), 0);
	for (int step = 0; step < 200000 && !bad; step++) {
		uint32_t pid = (uint32_t)(rand_r(&seed) % MAXPID);
		int op = rand_r(&seed) % 3;
		struct rec *r;

		if (op == 0) {
			bad |= pidtab_del(&t, pid) != (model[pid] != 0);
			model[pid] = 0;
		} else {
			r = pidtab_add(&t, pid);
			if (!r || r->pid != pid || r->merges + 1 != (model[pid] ? model[pid] : 1)) {
				bad = 1;
				break;
			}
			r->merges++;
			r->unmerges = ~r->merges;
			model[pid] = r->merges + 1;
		}
	}
	CHECK(!bad);
	/* every record is found by its pid and by a walk, once */
	{
		size_t live = 0, walked = 0;

		for (uint32_t p = 0; p < MAXPID; p++) {
			struct rec *r = pidtab_get(&t, p);

			live += model[p] != 0;
			if (model[p] ? !r || r->merges + 1 != model[p] || r->unmerges != ~r->merges : r != NULL)
				bad = 1;
		}
		for (size_t i = 0; i < t.n; i++) {
			struct rec *r = pidtab_at(&t, i);

			walked += r->pid < MAXPID && model[r->pid] && pidtab_get(&t, r->pid) == r;
		}
		CHECK(!bad);
		CHECK_U64(t.n, live);
		CHECK_U64(walked, live);
	}
	pidtab_free(&t);
}

int main(void)
{
	RUN(test_basics);
	RUN(test_against_model);
	RESULT();
}
