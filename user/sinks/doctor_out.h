/* SPDX-License-Identifier: GPL-2.0-only */
/* `doctor`'s report: a short list a person reads in ten seconds, and its JSON twin. */
#ifndef KSMSCOPE_SINKS_DOCTOR_OUT_H
#define KSMSCOPE_SINKS_DOCTOR_OUT_H

#include <stddef.h>
#include <stdio.h>

#include "lib/json_writer.h"
#include "scanner/findings.h"
#include "scanner/scanner.h"
#include "sys/ksmstate.h"

struct doctor_report {
	const struct finding *f;
	size_t n;
	const struct ksm_state *ksm;     /* NULL: KSM unavailable */
	const struct scanner *s;         /* its groups; NULL: no scan */
	uint32_t sample;
	double seconds;
};

void doctor_report_text(FILE *out, const struct doctor_report *r);
/* {"findings": [...], "ksm": {...}, "scanned": {...}} */
void doctor_report_json(struct jw *w, const struct doctor_report *r);

#endif
