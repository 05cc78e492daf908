/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Open-addressing hash table, one 64-bit key -> one 64-bit value: 16 bytes a
 * slot, half a kvtab's. For the per-content tables of a sampled pass (a
 * content's class, then its weight), which hold up to an entry per content
 * read and were, as kvtabs, a sampled engine's largest tables. Linear probing,
 * kept at most 3/4 full, no deletion. Every key can be stored, UINT64_MAX too
 * (it marks an empty slot, so its value is kept aside).
 */
#ifndef KSMSCOPE_LIB_U64MAP_H
#define KSMSCOPE_LIB_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct u64map_slot {
	uint64_t k, v;
};

struct u64map {
	struct u64map_slot *slots;
	size_t mask, count; /* count: slots used (the key UINT64_MAX not among them) */
	bool has_max;       /* the key UINT64_MAX is in, with value max_v */
	uint64_t max_v;
};

/* Sized for about hint entries (more still fit). 0 or -ENOMEM. */
int u64map_init(struct u64map *m, size_t hint);
void u64map_free(struct u64map *m);
/* Insert or overwrite. 0 or -ENOMEM (the map is then as it was). */
int u64map_put(struct u64map *m, uint64_t k, uint64_t v);
/* k's value, or NULL; valid until the next put. */
const uint64_t *u64map_get(const struct u64map *m, uint64_t k);
size_t u64map_entries(const struct u64map *m);
size_t u64map_bytes(const struct u64map *m);

#endif
