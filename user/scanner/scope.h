/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a scanning command looks at: the processes (--pid, --comm, --cgroup),
 * the unit of sharing (--group-by) and the sampling rate (--sample); the
 * command line that fills it is the CLI's.
 */
#ifndef KSMSCOPE_SCANNER_SCOPE_H
#define KSMSCOPE_SCANNER_SCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/scanner.h"
#include "sys/targets.h"

struct scope {
	struct targets t;
	const char *cgroup; /* hierarchy path ("/a/b", no trailing '/'), or NULL */
	char cgbuf[256];
	enum group_by gb;
	uint32_t sample;
	bool include_shared; /* --include-shared: shared and hugetlb memory read as sites too */
	bool resolved; /* --pid thread ids mapped to their processes */
};

void scope_init(struct scope *sc);
void scope_free(struct scope *sc);
/* After the flags: cgroup v2 present when needed. 0, or one line printed and -1. */
int scope_check(struct scope *sc);
/* The processes to scan now, in pid order, never ourselves. 0, or one line printed and -1. */
int scope_select(struct scope *sc, uint32_t **pids, size_t *n);

#endif
