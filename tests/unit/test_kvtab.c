// SPDX-License-Identifier: GPL-2.0-only
/* kvtab: open addressing with backward-shift deletion, checked against a brute-force model. */
#include <errno.h>
#include <stdlib.h>

#include "harness.h"
#include "lib/kvtab.h"

/* Every occupied slot must be reachable by get, once; count must match the slots. */
static int table_consistent(const struct kvtab *t)
{
	size_t used = 0;

	for (size_t i = 0; i <= t->mask; i++) {
		const struct kv_slot *s = &t->slots[i];

		if (s->k1 == UINT64_MAX)
			continue;
		used++;
		if (kvtab_get(t, s->k1, s->k2) != s)
			return 0;
	}
	return used == t->count;
}

static void test_basic(void)
{
	struct kvtab t;
	struct kv_slot *s;

	CHECK_U64(kvtab_init(&t, 10), 0);
	CHECK_U64(t.mask + 1, 64); /* minimum capacity */
	CHECK_U64(t.count, 0);
	CHECK(kvtab_get(&t, 1, 2) == NULL);
	CHECK_U64(kvtab_del(&t, 1, 2), 0);

	CHECK_U64(kvtab_put(&t, 1, 2, 10, 20), 0);
	CHECK_U64(t.count, 1);
	s = kvtab_get(&t, 1, 2);
	CHECK(s != NULL);
	if (s) {
		CHECK_U64(s->k1, 1);
		CHECK_U64(s->k2, 2);
		CHECK_U64(s->v1, 10);
		CHECK_U64(s->v2, 20);
	}
	/* (k1, k2) is the key: neither half alone, nor swapped */
	CHECK(kvtab_get(&t, 2, 1) == NULL);
	CHECK(kvtab_get(&t, 1, 3) == NULL);
	CHECK(kvtab_get(&t, 0, 2) == NULL);

	/* overwrite keeps the count */
	CHECK_U64(kvtab_put(&t, 1, 2, 11, 21), 0);
	CHECK_U64(t.count, 1);
	s = kvtab_get(&t, 1, 2);
	CHECK(s && s->v1 == 11 && s->v2 == 21);

	/* the slot pointer can be written through */
	s->v1 = 99;
	CHECK_U64(kvtab_get(&t, 1, 2)->v1, 99);

	/* extreme but legal keys and values */
	CHECK_U64(kvtab_put(&t, 0, 0, 0, 0), 0);
	CHECK_U64(kvtab_put(&t, UINT64_MAX - 1, UINT64_MAX, UINT64_MAX, UINT64_MAX), 0);
	CHECK_U64(t.count, 3);
	s = kvtab_get(&t, UINT64_MAX - 1, UINT64_MAX);
	CHECK(s && s->v1 == UINT64_MAX && s->v2 == UINT64_MAX);
	CHECK(kvtab_get(&t, 0, 0) != NULL);

	CHECK_U64(kvtab_del(&t, 1, 2), 1);
	CHECK_U64(kvtab_del(&t, 1, 2), 0);
	CHECK(kvtab_get(&t, 1, 2) == NULL);
	CHECK_U64(t.count, 2);
	CHECK(table_consistent(&t));
	kvtab_free(&t);
	CHECK(t.slots == NULL);
	CHECK_U64(t.count, 0);
	/* a freed table answers lookups without touching memory */
	CHECK(kvtab_get(&t, 1, 2) == NULL);
	CHECK_U64(kvtab_del_k1(&t, 1), 0);
	CHECK_U64(kvtab_del(&t, 1, 2), 0);
}

static void test_init_capacity(void)
{
	struct kvtab t;

	CHECK_U64(kvtab_init(&t, 0), 0);
	CHECK_U64(t.mask + 1, 64);
	kvtab_free(&t);
	CHECK_U64(kvtab_init(&t, 32), 0);
	CHECK_U64(t.mask + 1, 64);
	kvtab_free(&t);
	CHECK_U64(kvtab_init(&t, 33), 0);
	CHECK_U64(t.mask + 1, 128);
	kvtab_free(&t);
	CHECK_U64(kvtab_init(&t, 4096), 0);
	CHECK_U64(t.mask + 1, 8192);
	kvtab_free(&t);
}

static void test_growth(void)
{
	const uint64_t n = 150000;
	struct kvtab t;
	uint64_t missing = 0, wrong = 0;

	CHECK_U64(kvtab_init(&t, 1), 0);
	for (uint64_t i = 0; i < n; i++) {
		/* pid-like k1, page-aligned k2: the tracker's key shape */
		if (kvtab_put(&t, i % 97, i << 12, i, ~i))
			wrong++;
		/* the load factor never exceeds 3/4 */
		if (t.count * 4 > (t.mask + 1) * 3)
			wrong++;
	}
	CHECK_U64(wrong, 0);
	CHECK_U64(t.count, n);
	CHECK_U64((t.mask + 1) & t.mask, 0); /* a power of two */
	CHECK_U64(t.mask + 1, 262144);       /* 150000 > 3/4 * 131072 */
	for (uint64_t i = 0; i < n; i++) {
		struct kv_slot *s = kvtab_get(&t, i % 97, i << 12);

		if (!s)
			missing++;
		else if (s->v1 != i || s->v2 != ~i)
			wrong++;
	}
	CHECK_U64(missing, 0);
	CHECK_U64(wrong, 0);
	CHECK(kvtab_get(&t, 0, n << 12) == NULL);
	CHECK(table_consistent(&t));

	/* delete every other one, the rest stay */
	for (uint64_t i = 0; i < n; i += 2)
		if (kvtab_del(&t, i % 97, i << 12) != 1)
			wrong++;
	CHECK_U64(wrong, 0);
	CHECK_U64(t.count, n / 2);
	for (uint64_t i = 0; i < n; i++) {
		struct kv_slot *s = kvtab_get(&t, i % 97, i << 12);

		if ((i & 1) ? !s || s->v1 != i : s != NULL)
			wrong++;
	}
	CHECK_U64(wrong, 0);
	CHECK(table_consistent(&t));
	kvtab_free(&t);
}

/* The model: a dense array over a small key space (K1 x K2 keys). */
struct model {
	unsigned k1s, k2s;
	unsigned char *present;
	uint64_t *v1, *v2;
	size_t count;
};

static void model_init(struct model *m, unsigned k1s, unsigned k2s)
{
	m->k1s = k1s;
	m->k2s = k2s;
	m->present = calloc((size_t)k1s * k2s, 1);
	m->v1 = calloc((size_t)k1s * k2s, sizeof(uint64_t));
	m->v2 = calloc((size_t)k1s * k2s, sizeof(uint64_t));
	m->count = 0;
}

static void model_free(struct model *m)
{
	free(m->present);
	free(m->v1);
	free(m->v2);
}

/* Map key space indices to spread-out real keys. */
static uint64_t K1(unsigned a) { return (uint64_t)a * 7919 + 1; }
static uint64_t K2(unsigned b) { return (uint64_t)b << 12; }

static int model_matches(const struct model *m, const struct kvtab *t)
{
	if (t->count != m->count)
		return 0;
	for (unsigned a = 0; a < m->k1s; a++)
		for (unsigned b = 0; b < m->k2s; b++) {
			size_t i = (size_t)a * m->k2s + b;
			struct kv_slot *s = kvtab_get(t, K1(a), K2(b));

			if (m->present[i] ? !s || s->v1 != m->v1[i] || s->v2 != m->v2[i] : s != NULL)
				return 0;
		}
	return table_consistent(t);
}

/*
 * Random puts, dels and del_k1s; the table must agree with the model after every
 * operation's return value and, periodically, on every key.
 */
static void churn(unsigned k1s, unsigned k2s, int ops, int verify_every, unsigned del_bias)
{
	struct kvtab t;
	struct model m;
	int ret_bad = 0, state_bad = 0;

	CHECK_U64(kvtab_init(&t, 1), 0);
	model_init(&m, k1s, k2s);
	for (int op = 0; op < ops; op++) {
		unsigned a = (unsigned)(t_rnd() % k1s), b = (unsigned)(t_rnd() % k2s);
		size_t i = (size_t)a * k2s + b;
		uint64_t r = t_rnd() % 1000;

		if (r < 2) {
			size_t want = 0, got;

			for (unsigned bb = 0; bb < k2s; bb++) {
				want += m.present[(size_t)a * k2s + bb];
				m.present[(size_t)a * k2s + bb] = 0;
			}
			got = kvtab_del_k1(&t, K1(a));
			m.count -= want;
			if (got != want)
				ret_bad++;
		} else if (r < del_bias) {
			int got = kvtab_del(&t, K1(a), K2(b));

			if (got != m.present[i])
				ret_bad++;
			if (m.present[i])
				m.count--;
			m.present[i] = 0;
		} else {
			uint64_t v1 = t_rnd(), v2 = t_rnd();

			if (kvtab_put(&t, K1(a), K2(b), v1, v2))
				ret_bad++;
			if (!m.present[i])
				m.count++;
			m.present[i] = 1;
			m.v1[i] = v1;
			m.v2[i] = v2;
		}
		if (t.count != m.count)
			state_bad++;
		if (op % verify_every == 0 && !model_matches(&m, &t))
			state_bad++;
	}
	CHECK_U64(ret_bad, 0);
	CHECK_U64(state_bad, 0);
	CHECK(model_matches(&m, &t));
	kvtab_free(&t);
	model_free(&m);
}

static void test_churn_small(void)
{
	/* 48 keys max in the minimum 64-slot table: long clusters that wrap around */
	churn(4, 12, 200000, 1, 500);
}

static void test_churn_medium(void)
{
	churn(16, 256, 200000, 997, 450);
}

static void test_churn_large(void)
{
	/* grows past 100k live entries, then shrinks by deletes */
	churn(64, 4096, 400000, 50000, 300);
	churn(64, 4096, 400000, 50000, 700);
}

/* The slot a key lands in when it is alone: its home. */
static size_t home_of(struct kvtab *probe, uint64_t k1, uint64_t k2)
{
	size_t h;

	kvtab_put(probe, k1, k2, 0, 0);
	h = (size_t)(kvtab_get(probe, k1, k2) - probe->slots);
	kvtab_del(probe, k1, k2);
	return h;
}

/*
 * del_k1 in a 64-slot table whose entries all live in one cluster that wraps past the
 * last slot, with the k1 to remove interleaved with others.
 */
static void test_del_k1_wrap(void)
{
	struct kvtab probe, t;
	uint64_t keys[40][2];
	int nkeys = 0, rounds_bad = 0, wrapped = 0;

	CHECK_U64(kvtab_init(&probe, 1), 0);
	/* keys of k1 in {1, 2, 3} whose home is one of the last 4 slots */
	for (uint64_t k2 = 0; nkeys < 40 && k2 < 1000000; k2++) {
		uint64_t k1 = 1 + k2 % 3;

		if (home_of(&probe, k1, k2) >= 60)
			keys[nkeys][0] = k1, keys[nkeys][1] = k2, nkeys++;
	}
	CHECK_U64(nkeys, 40);
	kvtab_free(&probe);

	for (int round = 0; round < 300; round++) {
		int n = 8 + (int)(t_rnd() % 33); /* 8..40 keys: the cluster covers 60..63 and beyond 0 */
		uint64_t target = 1 + t_rnd() % 3;
		size_t want_removed = 0, got;
		int bad = 0;

		/* insert in a random order so each k1 is spread through the cluster */
		for (int i = nkeys - 1; i > 0; i--) {
			int j = (int)(t_rnd() % (uint64_t)(i + 1));
			uint64_t a = keys[i][0], b = keys[i][1];

			keys[i][0] = keys[j][0], keys[i][1] = keys[j][1];
			keys[j][0] = a, keys[j][1] = b;
		}
		kvtab_init(&t, 1);
		for (int i = 0; i < n; i++) {
			kvtab_put(&t, keys[i][0], keys[i][1], keys[i][1] * 3, keys[i][0]);
			want_removed += keys[i][0] == target;
		}
		if (t.mask != 63 || t.count != (size_t)n)
			bad++;
		if (t.slots[0].k1 != UINT64_MAX)
			wrapped++;
		got = kvtab_del_k1(&t, target);
		if (got != want_removed || t.count != (size_t)n - want_removed)
			bad++;
		for (int i = 0; i < n; i++) {
			struct kv_slot *s = kvtab_get(&t, keys[i][0], keys[i][1]);

			if (keys[i][0] == target ? s != NULL
						 : !s || s->v1 != keys[i][1] * 3 || s->v2 != keys[i][0])
				bad++;
		}
		for (size_t i = 0; i <= t.mask; i++)
			if (t.slots[i].k1 == target)
				bad++;
		if (!table_consistent(&t))
			bad++;
		/* a second call finds nothing */
		if (kvtab_del_k1(&t, target) != 0)
			bad++;
		rounds_bad += bad != 0;
		kvtab_free(&t);
	}
	CHECK_U64(rounds_bad, 0);
	CHECK(wrapped > 100); /* the scenario did exercise wrap-around */
}

static void test_del_k1_simple(void)
{
	struct kvtab t;

	CHECK_U64(kvtab_init(&t, 1), 0);
	for (uint64_t k1 = 1; k1 <= 3; k1++)
		for (uint64_t k2 = 0; k2 < 10; k2++)
			kvtab_put(&t, k1, k2 << 12, k1 * 100 + k2, 0);
	CHECK_U64(t.count, 30);
	CHECK_U64(kvtab_del_k1(&t, 2), 10);
	CHECK_U64(t.count, 20);
	CHECK_U64(kvtab_del_k1(&t, 2), 0);
	CHECK_U64(kvtab_del_k1(&t, 42), 0);
	for (uint64_t k2 = 0; k2 < 10; k2++) {
		struct kv_slot *a = kvtab_get(&t, 1, k2 << 12), *c = kvtab_get(&t, 3, k2 << 12);

		CHECK(a && a->v1 == 100 + k2);
		CHECK(c && c->v1 == 300 + k2);
		CHECK(kvtab_get(&t, 2, k2 << 12) == NULL);
	}
	CHECK(table_consistent(&t));
	/* remove everything */
	CHECK_U64(kvtab_del_k1(&t, 1), 10);
	CHECK_U64(kvtab_del_k1(&t, 3), 10);
	CHECK_U64(t.count, 0);
	for (size_t i = 0; i <= t.mask; i++)
		CHECK(t.slots[i].k1 == UINT64_MAX);
	kvtab_free(&t);
}

/* del_k1 on a big table, many k1s, heavy collisions between them. */
static void test_del_k1_large(void)
{
	struct kvtab t;
	uint64_t bad = 0;

	CHECK_U64(kvtab_init(&t, 1), 0);
	for (uint64_t k1 = 0; k1 < 200; k1++)
		for (uint64_t k2 = 0; k2 < 600; k2++)
			kvtab_put(&t, k1, k2, k1, k2);
	CHECK_U64(t.count, 120000);
	for (uint64_t k1 = 0; k1 < 200; k1 += 3)
		if (kvtab_del_k1(&t, k1) != 600)
			bad++;
	CHECK_U64(bad, 0);
	CHECK_U64(t.count, 120000 - 67 * 600);
	for (uint64_t k1 = 0; k1 < 200; k1++)
		for (uint64_t k2 = 0; k2 < 600; k2++) {
			struct kv_slot *s = kvtab_get(&t, k1, k2);

			if (k1 % 3 == 0 ? s != NULL : !s || s->v1 != k1 || s->v2 != k2)
				bad++;
		}
	CHECK_U64(bad, 0);
	CHECK(table_consistent(&t));
	kvtab_free(&t);
}

/* Deleting inside a cluster that wraps: entries past slot 0 whose home is near the end. */
static void test_del_wrap_cluster(void)
{
	struct kvtab probe, t;
	uint64_t k[6];
	int n = 0, bad = 0;

	CHECK_U64(kvtab_init(&probe, 1), 0);
	for (uint64_t k2 = 0; n < 6 && k2 < 1000000; k2++)
		if (home_of(&probe, 5, k2) == 63)
			k[n++] = k2;
	CHECK_U64(n, 6);
	kvtab_free(&probe);

	/* six keys all homed at 63: they occupy 63, 0, 1, 2, 3, 4 */
	for (int victim = 0; victim < 6; victim++) {
		kvtab_init(&t, 1);
		for (int i = 0; i < 6; i++)
			kvtab_put(&t, 5, k[i], (uint64_t)i, 0);
		if (t.slots[63].k2 != k[0] || t.slots[4].k2 != k[5])
			bad++;
		kvtab_del(&t, 5, k[victim]);
		for (int i = 0; i < 6; i++) {
			struct kv_slot *s = kvtab_get(&t, 5, k[i]);

			if (i == victim ? s != NULL : !s || s->v1 != (uint64_t)i)
				bad++;
		}
		/* the cluster closed up: 63, 0..3 used, 4 empty again */
		if (t.slots[63].k1 == UINT64_MAX || t.slots[4].k1 != UINT64_MAX)
			bad++;
		if (!table_consistent(&t))
			bad++;
		kvtab_free(&t);
	}
	CHECK_U64(bad, 0);
}

int main(void)
{
	RUN(test_basic);
	RUN(test_init_capacity);
	RUN(test_growth);
	RUN(test_churn_small);
	RUN(test_churn_medium);
	RUN(test_churn_large);
	RUN(test_del_k1_simple);
	RUN(test_del_k1_wrap);
	RUN(test_del_k1_large);
	RUN(test_del_wrap_cluster);
	RESULT();
}
