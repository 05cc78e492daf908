// SPDX-License-Identifier: GPL-2.0-only
/*
 * The scan's plumbing, against brute force: the content index's per-cell
 * first-in-group and first-in-region flags, the probe stash's round trip and
 * bound, kpageflags reads in pfn order (on a file standing in for
 * /proc/kpageflags) and the dispatched page hash.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "harness.h"
#include "scanner/content_index.h"
#include "scanner/pagehash.h"
#include "scanner/probe_stash.h"
#include "sys/pagemap.h"

enum { KEYS = 400, GROUPS = 9, REGIONS = 5, ADDS = 6000 };

struct cells {
	uint64_t key[ADDS];
	uint32_t pair[ADDS];
	bool fg[ADDS], fr[ADDS];
	size_t n;
};

static void record(void *ctx, const struct index_cell *c)
{
	struct cells *x = ctx;

	x->key[x->n] = ie_key(c->e);
	x->pair[x->n] = c->pair;
	x->fg[x->n] = c->first_in_group;
	x->fr[x->n++] = c->first_in_region;
}

/* Every key gets one first cell per group it is in and one per region it is in, and no other. */
static void test_index_first_flags(void)
{
	static struct cells got;
	static bool seen[KEYS][GROUPS][REGIONS];
	struct index x;
	uint64_t keys[KEYS];
	int bad = 0;

	CHECK(index_init(&x, 0) == 0);
	for (int k = 0; k < KEYS; k++)
		keys[k] = t_rnd() | 1;
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < ADDS; i++) {
		int k = (int)(t_rnd() % KEYS), g = (int)(t_rnd() % GROUPS), r = (int)(t_rnd() % REGIONS);

		seen[k][g][r] = true;
		CHECK(index_add(&x, keys[k], PAIR(g, r), false, 0) == 0);
	}
	got.n = 0;
	CHECK(index_foreach(&x, record, &got) == 0);
	for (int k = 0; k < KEYS; k++) {
		for (int g = 0; g < GROUPS; g++) {
			for (int r = 0; r < REGIONS; r++) {
				int cells = 0, fgs = 0, frs = 0, ing = 0, inr = 0;

				for (size_t i = 0; i < got.n; i++) {
					bool same = got.key[i] == keys[k];

					cells += same && got.pair[i] == PAIR(g, r);
					fgs += same && got.fg[i] && PAIR_GROUP(got.pair[i]) == (uint32_t)g;
					frs += same && got.fr[i] && PAIR_REGION(got.pair[i]) == (uint32_t)r;
				}
				for (int o = 0; o < REGIONS; o++)
					ing |= seen[k][g][o];
				for (int o = 0; o < GROUPS; o++)
					inr |= seen[k][o][r];
				if (cells != seen[k][g][r] || fgs != ing || frs != inr)
					bad++;
			}
		}
	}
	CHECK(bad == 0);
	index_free(&x);
}

static void fill_job(struct pool_job *j, uint64_t start, size_t n)
{
	memset(j, 0, sizeof(*j));
	j->start = start;
	j->npages = 1024;
	j->scanned = 1000;
	j->nsites = n + 3;
	j->thp = 2;
	j->swapped = 5;
	j->excl_frames = 7;
	j->zero_mapped = 3;
	for (size_t k = 0; k < n; k++) {
		j->sites[k] = (struct pool_site){ start + k * 3 * 4096, (t_rnd() & ((1ULL << 40) - 1)) | 1,
						  (uint32_t)(t_rnd() % 8) };
		j->klass[k] = k % 5 ? t_rnd() : 0;
	}
	j->n = n;
}

/* What goes in comes out, frames rebuilt from the flags; lookups in and out of order; the bound. */
static void test_stash(void)
{
	static struct pool_job a, b, out;
	struct probe_stash st;
	const struct stash_job *sj;
	size_t nframes = 0;

	stash_init(&st, 450);
	fill_job(&a, 0x7f0000000000ULL, 300);
	fill_job(&b, 0x7f0000400000ULL, 100);
	CHECK(stash_put(&st, 42, &a) == 0);
	CHECK(stash_put(&st, 42, &b) == 0);
	CHECK(stash_put(&st, 43, &b) == 0); /* 500 sites: past the bound, not kept */
	CHECK(st.full && st.njobs == 2 && st.nsites == 400);
	CHECK(stash_take(&st, 43, b.start, b.npages) == NULL);
	CHECK(stash_take(&st, 42, a.start, 512) == NULL); /* another range */
	sj = stash_take(&st, 42, b.start, b.npages); /* out of order */
	CHECK(sj != NULL);
	sj = stash_take(&st, 42, a.start, a.npages);
	CHECK(sj != NULL);
	if (!sj)
		return;
	stash_fill(&st, sj, &out);
	CHECK_U64(out.n, a.n);
	CHECK(out.scanned == a.scanned && out.nsites == a.nsites && out.thp == a.thp && out.swapped == a.swapped &&
	      out.excl_frames == a.excl_frames && out.zero_mapped == a.zero_mapped);
	CHECK(!memcmp(out.klass, a.klass, a.n * sizeof(a.klass[0])));
	for (size_t k = 0; k < a.n; k++) {
		const struct pool_site *s = &a.sites[k];

		if (s->flags & (POOL_SITE_SHARED | POOL_SITE_KSM)) {
			CHECK(nframes < out.nframes && out.frames[nframes].addr == s->addr &&
			      out.frames[nframes].pfn == s->pfn &&
			      out.frames[nframes].ksm == !!(s->flags & POOL_SITE_KSM));
			nframes++;
		}
	}
	CHECK(!memcmp(out.sites, a.sites, a.n * sizeof(a.sites[0])) || a.n == 0);
	CHECK_U64(out.nframes, nframes);
	stash_reset(&st);
	CHECK(st.max_sites == 450 && !st.njobs && !st.full);
	stash_free(&st);
}

/* Scattered, repeated and out-of-range pfns read in pfn order land where the caller asked. */
static void test_kpageflags_order(void)
{
	enum { FRAMES = 50000, N = 3000 };
	char path[] = "/tmp/ksmscope-kpf-XXXXXX";
	int fd = mkstemp(path);
	uint64_t *flags = malloc(FRAMES * sizeof(*flags)), pfns[N], out[N];
	int bad = 0;

	CHECK(fd >= 0 && flags);
	if (fd < 0 || !flags)
		return;
	unlink(path);
	for (size_t i = 0; i < FRAMES; i++)
		flags[i] = i * 0x9e3779b97f4a7c15ULL | 1;
	CHECK(write(fd, flags, FRAMES * sizeof(*flags)) == (ssize_t)(FRAMES * sizeof(*flags)));
	for (size_t i = 0; i < N; i++)
		pfns[i] = i % 7 == 0 ? FRAMES + t_rnd() % 100 /* past the end: 0 */
			: i % 5 == 0 ? 1000 + i % 9 /* clustered, repeated */ : t_rnd() % FRAMES;
	CHECK(kpageflags_read(fd, pfns, N, out) == 0);
	for (size_t i = 0; i < N; i++)
		bad += out[i] != (pfns[i] < FRAMES ? flags[pfns[i]] : 0);
	CHECK(bad == 0);
	close(fd);
	free(flags);
}

/* The dispatched whole-page hash is XXH3 with the key as seed, as inlined anywhere else. */
static void test_dispatch_hash(void)
{
	static unsigned char page[PAGE_BYTES];
	struct hasher h;

	hasher_init_key(&h, 0x1234567890abcdefULL);
	CHECK_U64(hash_page_fast(&h, page), h.zero_page_fast);
	for (int r = 0; r < 4; r++) {
		uint64_t want;

		for (size_t i = 0; i < sizeof(page); i++)
			page[i] = r ? (unsigned char)t_rnd() : 0;
		want = XXH3_64bits_withSeed(page, sizeof(page), h.key);
		CHECK_U64(hash_page_fast(&h, page), want ? want : 1);
	}
}

int main(void)
{
	RUN(test_index_first_flags);
	RUN(test_stash);
	RUN(test_kpageflags_order);
	RUN(test_dispatch_hash);
	RESULT();
}
