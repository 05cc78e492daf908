/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The content index: a multiset of keys (page-content hashes, chunk hashes or
 * frame numbers), each with its number of sites, its sites in mergeable ranges,
 * and its sites per (group, region) pair, so self- vs inter-sharing and every
 * per-group share can be computed exactly after the scan.
 *
 * Memory: entries are 20 bytes, stored densely (in fixed-size blocks), found
 * through a table of 4-byte slots kept between 3/8 and 3/4 full, so a key
 * costs 20 + 4 / (3/8) < 31 bytes at worst, 26 on average, plus the unused
 * part of the last block (< 20 KiB): under 32 bytes per distinct key. A key
 * seen in more than one (group, region) pair also takes a cell (16 bytes) per
 * pair, in a list of its own (walking the index needs no sort); a list of more
 * than 4 cells also puts them in a table of 8-byte slots at most 3/4 full, so
 * that a content in every one of thousands of processes walks no list.
 */
#ifndef KSMSCOPE_SCANNER_CONTENT_INDEX_H
#define KSMSCOPE_SCANNER_CONTENT_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REGION_BITS 3
#define PAIR_BITS 29
#define PAIR(group, region) (((uint32_t)(group) << REGION_BITS) | (uint32_t)(region))
#define PAIR_GROUP(p) ((p) >> REGION_BITS)
#define PAIR_REGION(p) ((p) & ((1u << REGION_BITS) - 1))
#define INDEX_MAX_GROUPS (1u << (PAIR_BITS - REGION_BITS))

/* Flags (3 bits): two for the caller, one for the index. */
#define INDEX_MULTI 4u /* seen in several pairs: the pair bits hold its cell list (cell id + 1) */

struct index_entry {
	uint32_t key_lo, key_hi; /* the key; 0 is never used */
	uint32_t n;              /* sites */
	uint32_t m;              /* sites in mergeable ranges */
	uint32_t pf;             /* pair (low PAIR_BITS) and flags (high 3 bits) */
};

static inline uint64_t ie_key(const struct index_entry *e)
{
	return (uint64_t)e->key_hi << 32 | e->key_lo;
}

static inline uint32_t ie_pair(const struct index_entry *e)
{
	return e->pf & ((1u << PAIR_BITS) - 1);
}

static inline uint32_t ie_flags(const struct index_entry *e)
{
	return e->pf >> PAIR_BITS;
}

#define INDEX_BLOCK_BITS 10 /* entries per block: 1024 (20 KiB) */

/* A multi-pair key's counts in one pair; next: the key's next cell id + 1, 0 at the end. */
struct index_pair_cell {
	uint32_t pair, s, ms, next;
};

/* A cell of a long list (more than a few pairs), found by (entry id, its pair). */
struct index_long_slot {
	uint32_t entry, cell; /* cell id + 1; 0 = empty */
};

/* Items in blocks of 1 << INDEX_BLOCK_BITS: they never move, and growing copies no item. */
struct index_blocks {
	void **b;
	size_t n;
};

struct index {
	struct index_blocks entries;
	uint32_t *slots; /* entry id + 1; 0 = empty */
	size_t mask, count;
	struct index_blocks cells; /* the cells of multi-pair keys, a list per key */
	size_t ncells;
	struct index_long_slot *lslots; /* the cells of long lists: a content in thousands of pairs walks none */
	size_t lmask, lcount;
	uint32_t max_group; /* the highest group of any cell */
};

int index_init(struct index *x, size_t hint);
void index_free(struct index *x);
/* One more site of key in pair. flags (< INDEX_MULTI) are OR-ed into the entry. 0 or -ENOMEM. */
int index_add(struct index *x, uint64_t key, uint32_t pair, bool mergeable, uint32_t flags);
const struct index_entry *index_get(const struct index *x, uint64_t key);
/* key's entry id (index_at), or -1. */
int64_t index_id(const struct index *x, uint64_t key);
/* Entries by id, 0 <= id < count, in insertion order. */
static inline const struct index_entry *index_at(const struct index *x, size_t id)
{
	return (const struct index_entry *)x->entries.b[id >> INDEX_BLOCK_BITS] + (id & ((1u << INDEX_BLOCK_BITS) - 1));
}
size_t index_bytes(const struct index *x);

/* One (key, pair) cell of the index, as handed to index_foreach. */
struct index_cell {
	const struct index_entry *e;
	uint32_t id;            /* e's id (index_at) */
	uint32_t pair;
	uint32_t s, ms;         /* sites and mergeable sites of the key in this pair */
	bool first_in_group;    /* first cell of this key in PAIR_GROUP(pair) */
	bool first_in_region;   /* first cell of this key in PAIR_REGION(pair) */
};

typedef void (*index_fn)(void *ctx, const struct index_cell *c);
/* Visit every (key, pair) cell. 0 or -ENOMEM. */
int index_foreach(const struct index *x, index_fn fn, void *ctx);

#endif
