/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * --freeze: SIGSTOP the targets for a consistent snapshot and SIGCONT them
 * afterwards, on every path: normal end, error, SIGINT/SIGTERM, and a crash of
 * ksmscope itself (fatal-signal handler). Processes already stopped stay stopped.
 */
#ifndef KSMSCOPE_SCANNER_FREEZE_H
#define KSMSCOPE_SCANNER_FREEZE_H

#include <stddef.h>
#include <stdint.h>

struct freezer {
	uint32_t *pids; /* the processes we stopped, so we resume exactly those */
	size_t n;
	size_t not_frozen; /* targets that could not be stopped: init, kernel threads, zombies, stuck */
};

/* Stop every pid not already stopped and wait until all its threads are. 0, or -1 (one line printed). */
int freezer_stop(struct freezer *f, const uint32_t *pids, size_t n);
void freezer_thaw(struct freezer *f);

#endif
