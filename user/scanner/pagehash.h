/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Page and chunk hashes: XXH3 keyed with a random per-run seed that is never
 * written anywhere, so hashes from different runs cannot be compared, unless
 * the user supplies the key (record --keep-hashes --key FILE).
 */
#ifndef KSMSCOPE_SCANNER_PAGEHASH_H
#define KSMSCOPE_SCANNER_PAGEHASH_H

#include <stdbool.h>
#include <stdint.h>

#include "scanner/model.h"

#define PAGE_BYTES 4096

#define CHUNK_HASHES 30

struct hasher {
	uint64_t key;
	uint64_t zero_page;                    /* hash_page of an all-zero page */
	uint64_t zero_page_fast;               /* hash_page_fast of an all-zero page */
	uint64_t zero_chunks[CHUNK_HASHES];    /* hash_page's chunk hashes of an all-zero page */
};

/* Random key from getrandom(2). 0 or -errno. */
int hasher_init(struct hasher *h);
/* Deterministic key, for unit tests and runs keyed by the user (record --key). */
void hasher_init_key(struct hasher *h, uint64_t key);
/* A key from a secret of the user's: its XXH3. */
uint64_t hasher_key_of(const void *secret, size_t len);

/*
 * Hash one page: its 256-byte chunks, then pairs of those up to the page, so
 * the sub-page hashes cost little more than the page hash. Never 0.
 * chunks (may be NULL): 8 + 4 + 2 + 1... laid out as subpage_sizes order:
 * [0..1] 2048, [2..5] 1024, [6..13] 512, [14..29] 256.
 */
uint64_t hash_page(const struct hasher *h, const void *page, uint64_t *chunks);
/* The page hash alone, one XXH3 pass: for scans without sub-page counting. Never 0. */
uint64_t hash_page_fast(const struct hasher *h, const void *page);
/*
 * The hash of an all-zero page as a scan hashes its pages: hash_page's when
 * it counts sub-page sharing, else hash_page_fast's (computed once, by hasher_init).
 */
static inline uint64_t hasher_zero(const struct hasher *h, bool subpage)
{
	return subpage ? h->zero_page : h->zero_page_fast;
}
/* Index into the chunk array of hash_page for size slot k and chunk i. */
static inline int chunk_slot(int k, int i)
{
	static const int base[SUBPAGE_SIZES] = { 0, 2, 6, 14 };

	return base[k] + i;
}

#endif
