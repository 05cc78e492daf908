// SPDX-License-Identifier: GPL-2.0-only
#include "scanner/pagehash.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
/*
 * Whole pages go through libxxhash's runtime dispatch on x86-64: the AVX2/AVX-512
 * kernels hash a page 2-3x faster than the SSE2 one every x86-64 compiler may
 * assume (291 vs 108 ns a page, cache-hot, on the test VM). Same function, same
 * values. arm64 always has NEON, which the library's own build uses.
 */
#if defined(__x86_64__)
#include <xxh_x86dispatch.h>
#else
#include <xxhash.h>
#define XXH3_64bits_withSeed_dispatch XXH3_64bits_withSeed
#endif

static inline uint64_t nonzero(uint64_t h)
{
	return h ? h : 1; /* 0 marks empty index slots */
}

static inline uint64_t combine(const struct hasher *h, uint64_t a, uint64_t b, uint64_t level)
{
	uint64_t pair[2] = { a, b };

	return nonzero(XXH3_64bits_withSeed(pair, sizeof(pair), h->key + level));
}

uint64_t hash_page(const struct hasher *h, const void *page, uint64_t *chunks)
{
	uint64_t c256[16], c512[8], c1024[4], c2048[2];
	const unsigned char *p = page;

	for (int i = 0; i < 16; i++)
		c256[i] = nonzero(XXH3_64bits_withSeed(p + i * 256, 256, h->key));
	for (int i = 0; i < 8; i++)
		c512[i] = combine(h, c256[2 * i], c256[2 * i + 1], 512);
	for (int i = 0; i < 4; i++)
		c1024[i] = combine(h, c512[2 * i], c512[2 * i + 1], 1024);
	for (int i = 0; i < 2; i++)
		c2048[i] = combine(h, c1024[2 * i], c1024[2 * i + 1], 2048);
	if (chunks) {
		memcpy(chunks + chunk_slot(0, 0), c2048, sizeof(c2048));
		memcpy(chunks + chunk_slot(1, 0), c1024, sizeof(c1024));
		memcpy(chunks + chunk_slot(2, 0), c512, sizeof(c512));
		memcpy(chunks + chunk_slot(3, 0), c256, sizeof(c256));
	}
	return combine(h, c2048[0], c2048[1], 4096);
}

uint64_t hash_page_fast(const struct hasher *h, const void *page)
{
	return nonzero(XXH3_64bits_withSeed_dispatch(page, PAGE_BYTES, h->key));
}

void hasher_init_key(struct hasher *h, uint64_t key)
{
	static const unsigned char zero[PAGE_BYTES];

	h->key = key;
	h->zero_page = hash_page(h, zero, h->zero_chunks);
	h->zero_page_fast = hash_page_fast(h, zero);
}

int hasher_init(struct hasher *h)
{
	uint64_t key;

	if (getrandom(&key, sizeof(key), 0) != sizeof(key))
		return -errno;
	hasher_init_key(h, key);
	return 0;
}

uint64_t hasher_key_of(const void *secret, size_t len)
{
	return XXH3_64bits(secret, len);
}
