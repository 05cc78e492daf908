/* SPDX-License-Identifier: GPL-2.0-only */
/* The scan report: one JSON object (scan --json) or a readable table. */
#ifndef KSMSCOPE_SINKS_SCAN_OUT_H
#define KSMSCOPE_SINKS_SCAN_OUT_H

#include <stdio.h>

#include "lib/json_writer.h"
#include "sys/ksmstate.h"
#include "scanner/model.h"
#include "scanner/scanner.h"

struct scan_report {
	const struct scanner *s;
	const struct model_out *m;
	const struct ksm_state *ksm;
	const struct metrics *se; /* standard errors of the estimated totals (zeros when exact) */
	double seconds;
	uint64_t peak_rss_kb;
	bool frozen;
};

/* subpage: false leaves the sub-page figures out as null (sampled scans do not estimate them). */
void metrics_json(struct jw *w, const struct metrics *m, bool subpage);
/* The members that name a group: key, pids, comm. */
/* key, pids, comm, and vm (null unless grouped by vm and a VM's name was found) */
/* A group's standard errors, when its figures are estimates (se not NULL): saveable_se, ... */
void group_se_json(struct jw *w, const struct group_se *se);
void group_names_json(struct jw *w, const char *key, const uint32_t *pids, size_t npids, const char *comm,
		      const char *vm);
/* An object of one metrics object per region type (regions[REG__MAX]), named as region_names. */
void regions_json(struct jw *w, const struct metrics *regions, bool subpage);
void scan_report_json(struct jw *w, const struct scan_report *r);
/* The members of a `races` object (the caller opens and closes it). */
void races_fields_json(struct jw *w, const struct scan_races *r);
/* "<metric>_se" for every metric; se NULL: all null (nothing estimated yet). */
void standard_errors_json(struct jw *w, const struct metrics *se);
void scan_report_text(FILE *f, const struct scan_report *r);

#endif
