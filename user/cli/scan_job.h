/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One scan of the targets, as `scan` runs it and `doctor` reuses it: privileges,
 * the targets, KSM's settings, the scanner; the pages; the model.
 */
#ifndef KSMSCOPE_CLI_SCAN_JOB_H
#define KSMSCOPE_CLI_SCAN_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/model.h"
#include "scanner/scanner.h"
#include "scanner/scope.h"
#include "sys/ksmstate.h"

struct scan_job {
	struct scope sc;
	bool json, freeze, subpage;
	uint32_t *pids;
	size_t npids;
	struct ksm_state ksm;
	struct scanner s;
	bool scanner_ready;
	struct model_out mo;
	struct metrics se;
	uint64_t t0, t_scanned; /* monotonic ns: the scan's start and end */
};

/* Privileges, the targets, KSM's settings, the scanner. 0, or one line printed and -1. */
int scan_job_prepare(struct scan_job *j);
/* Every target's pages, frozen if asked (and always thawed). 0, or one line printed and -1. */
int scan_job_pages(struct scan_job *j);
/* What the contents found could save, as KSM is set up. 0, or one line printed and -1. */
int scan_job_model(struct scan_job *j);
/* Everything the job holds (not the scope). */
void scan_job_free(struct scan_job *j);

#endif
