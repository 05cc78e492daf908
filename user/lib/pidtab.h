/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-process records keyed by pid: each user declares its record as a struct
 * whose first member is `uint32_t pid`, and names its own fields (no counters
 * packed into a generic table's values). Records sit in one dense array, so a
 * walk over them is a loop; a pid index finds one in O(1).
 *
 *	struct pid_events { uint32_t pid; uint64_t merges, unmerges; };
 *	struct pidtab t;
 *	pidtab_init(&t, sizeof(struct pid_events), 1024);
 *	struct pid_events *pe = pidtab_add(&t, pid);
 *	if (pe) pe->merges++;
 */
#ifndef KSMSCOPE_LIB_PIDTAB_H
#define KSMSCOPE_LIB_PIDTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/kvtab.h"

struct pidtab {
	unsigned char *v; /* n records of size bytes */
	size_t n, cap, size;
	struct kvtab idx; /* (pid, 0) -> its index in v */
};

/* rec_size: the record's sizeof, at least sizeof(uint32_t). 0 or -ENOMEM. */
int pidtab_init(struct pidtab *t, size_t rec_size, size_t hint);
void pidtab_free(struct pidtab *t);
/*
 * pid's record or NULL. Pointers stay valid until the next pidtab_add or
 * pidtab_del.
 */
void *pidtab_get(const struct pidtab *t, uint32_t pid);
/* pid's record, made (zeroed but for pid) when there was none; NULL when out of memory. */
void *pidtab_add(struct pidtab *t, uint32_t pid);
/* Remove pid's record (the last one moves into its place). true if there was one. */
bool pidtab_del(struct pidtab *t, uint32_t pid);
/* The i-th record, i < t->n, in no particular order. */
static inline void *pidtab_at(const struct pidtab *t, size_t i)
{
	return t->v + i * t->size;
}

#endif
