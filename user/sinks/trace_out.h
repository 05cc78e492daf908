/* SPDX-License-Identifier: GPL-2.0-only */
/* Text and JSON forms of one trace line, and of the closing summary. Pure. */
#ifndef KSMSCOPE_SINKS_TRACE_OUT_H
#define KSMSCOPE_SINKS_TRACE_OUT_H

#include <stdint.h>
#include <stdio.h>

#include "lib/json_writer.h"
#include "tracer/tracker.h"

struct trace_totals {
	uint64_t counts[OUT__MAX]; /* lines printed, by kind */
	uint64_t drops;            /* ring-buffer reserve failures */
	uint64_t cow_other;        /* tracked COW faults not on a KSM page (counted, not streamed) */
	uint64_t cow_untracked;    /* COW faults of processes not tracked */
	uint64_t cow_faults;       /* present+write faults the hooks saw, tracked or not */
	uint64_t failed_merges;    /* merge lines with err != 0 (included in counts.merge) */
};

void evfmt_text_header(FILE *f);
/* t0_ns: the trace start, so TIME is seconds since attach. */
void evfmt_text(FILE *f, const struct ks_event *e, const struct decision *d, uint64_t t0_ns);
void evfmt_json(struct jw *w, const struct ks_event *e, const struct decision *d);
void evfmt_summary_text(FILE *f, const struct trace_totals *t);
void evfmt_summary_json(struct jw *w, const struct trace_totals *t);

#endif
