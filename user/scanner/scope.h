/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a scanning command looks at, from the flags scan, top, watch and serve
 * share: --pid, --comm, --cgroup, --group-by, --sample.
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
	const char *cgroup; /* hierarchy path, or NULL */
	char cgbuf[256];
	enum group_by gb;
	uint32_t sample;
	bool resolved; /* --pid thread ids mapped to their processes */
};

#define SCOPE_OPTS "p:c:g:G:s:"
#define SCOPE_LONGOPTS                                      \
	{ "pid", required_argument, NULL, 'p' },            \
	{ "comm", required_argument, NULL, 'c' },           \
	{ "cgroup", required_argument, NULL, 'g' },         \
	{ "group-by", required_argument, NULL, 'G' },       \
	{ "sample", required_argument, NULL, 's' }
#define SCOPE_USAGE                                                                              \
	"  -p, --pid LIST        only these processes\n"                                         \
	"  -c, --comm NAME       only processes with this command name\n"                        \
	"  -g, --cgroup PATH     only processes in this cgroup (v2) or below it\n"               \
	"  -G, --group-by KIND   unit of self- vs inter-sharing: process (default), cgroup, comm\n" \
	"  -s, --sample N        keep a content when its hash mod N is 0: scaled estimates with\n" \
	"                        standard errors (default 1: exact)\n"

void scope_init(struct scope *sc);
void scope_free(struct scope *sc);
/* One of SCOPE_OPTS. 0, or one line printed and -1. */
int scope_option(struct scope *sc, int opt, const char *arg);
/* After the flags: cgroup v2 present when needed. 0, or one line printed and -1. */
int scope_check(struct scope *sc);
/* The processes to scan now, in pid order, never ourselves. 0, or one line printed and -1. */
int scope_select(struct scope *sc, uint32_t **pids, size_t *n);

#endif
