/* SPDX-License-Identifier: GPL-2.0-only */
/* Which processes to follow: --pid lists, --comm names, or everything. */
#ifndef KSMSCOPE_SYS_TARGETS_H
#define KSMSCOPE_SYS_TARGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/events.h"
#include "sys/proc.h" /* the /proc lookups targets are resolved with */

struct targets {
	uint32_t *pids; /* tgids given with --pid (sorted, unique) */
	size_t npids, cap_pids;
	bool has_comm;
	char comm[KS_COMM_LEN];
};

/* "123,456": appends to t. Returns 0, or -1 with *bad pointing at the bad item. */
int targets_add_pids(struct targets *t, const char *list, const char **bad);
int targets_set_comm(struct targets *t, const char *name); /* -1 if empty or too long */
void targets_free(struct targets *t);
bool targets_all(const struct targets *t);
bool targets_match(const struct targets *t, uint32_t tgid, const char *comm);

/*
 * The target flags every command shares: opt 'p' (--pid LIST) or 'c' (--comm
 * NAME). Prints one line and returns -1 on a bad value.
 */
int targets_option(struct targets *t, int opt, const char *arg);
/* Map every --pid to its process (a thread id names its process); one line and -1 if one does not exist. */
int targets_resolve(struct targets *t);

#endif
