/*
 * The content index: a multiset of keys (page-content hashes, chunk hashes or
 * frame numbers), each with its number of sites, its sites in mergeable ranges,
 * and its sites per (group, region) pair, so self- vs inter-sharing and every
 * per-group share can be computed exactly after the scan.
 *
 * 24 bytes per key at a load factor of at most 3/4 (so at most 32 bytes per
 * distinct key); a key seen in more than one (group, region) pair also takes
 * one spill slot per pair.
 */
#ifndef KSMSCOPE_INDEX_H
#define KSMSCOPE_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvtab.h"

#define REGION_BITS 3
#define PAIR(group, region) (((uint32_t)(group) << REGION_BITS) | (uint32_t)(region))
#define PAIR_GROUP(p) ((p) >> REGION_BITS)
#define PAIR_REGION(p) ((p) & ((1u << REGION_BITS) - 1))
#define INDEX_MAX_GROUPS (1u << (31 - REGION_BITS))

struct index_entry {
	uint64_t key; /* 0 = empty slot; callers never use key 0 */
	uint32_t n;   /* sites */
	uint32_t m;   /* sites in mergeable ranges */
	uint32_t pair;  /* the only (group, region) pair, unless multi */
	uint32_t flags; /* INDEX_MULTI | caller's flag bits */
};

#define INDEX_MULTI (1u << 31)

struct index {
	struct index_entry *e;
	size_t mask, count;
	struct kvtab spill; /* (key, pair) -> (sites, mergeable sites) for multi-pair keys */
};

int index_init(struct index *x, size_t hint);
void index_free(struct index *x);
/* One more site of key in pair. flags are OR-ed into the entry. 0 or -ENOMEM. */
int index_add(struct index *x, uint64_t key, uint32_t pair, bool mergeable, uint32_t flags);
const struct index_entry *index_get(const struct index *x, uint64_t key);
size_t index_bytes(const struct index *x);

/* One (key, pair) cell of the index, as handed to index_foreach. */
struct index_cell {
	const struct index_entry *e;
	uint32_t pair;
	uint32_t s, ms;         /* sites and mergeable sites of the key in this pair */
	bool first_in_group;    /* first cell of this key in PAIR_GROUP(pair) */
	bool first_in_region;   /* first cell of this key in PAIR_REGION(pair) */
};

typedef void (*index_fn)(void *ctx, const struct index_cell *c);
/* Visit every (key, pair) cell. 0 or -ENOMEM. */
int index_foreach(const struct index *x, index_fn fn, void *ctx);

#endif
