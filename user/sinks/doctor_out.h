/* SPDX-License-Identifier: GPL-2.0-only */
/* `doctor`'s report: a short list a person reads in ten seconds, and its JSON twin. */
#ifndef KSMSCOPE_SINKS_DOCTOR_OUT_H
#define KSMSCOPE_SINKS_DOCTOR_OUT_H

#include <stddef.h>
#include <stdio.h>

#include "lib/json_writer.h"
#include "scanner/findings.h"
#include "scanner/recheck.h"
#include "scanner/scanner.h"
#include "sys/ksmstate.h"

/* What doctor's window after the scan saw (docs/metrics.md, section "doctor"). */
struct doctor_watch_info {
	double seconds;         /* the window; 0: none */
	double recheck_seconds; /* from the scan's end to the second read of its duplicates */
	char tracer[256];       /* the tracer's sources (loader_sources); "" when not traced */
	char tracer_error[256]; /* why not */
	double unmerges;        /* merged pages the targets' writes broke (tracer) */
	int64_t cow_ksm;        /* the host's /proc/vmstat cow_ksm rise; -1: no such counter */
	struct recheck_counts recheck;
};

struct doctor_report {
	const struct finding *f;
	size_t n;
	const struct ksm_state *ksm;     /* NULL: KSM unavailable */
	const struct scanner *s;         /* its groups; NULL: no scan */
	uint32_t sample;
	double seconds;
	const struct doctor_watch_info *watch; /* NULL: no scan */
};

void doctor_report_text(FILE *out, const struct doctor_report *r);
/* {"findings": [...], "ksm": {...}, "scanned": {...}} */
void doctor_report_json(struct jw *w, const struct doctor_report *r);

#endif
