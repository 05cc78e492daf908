/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * report --html: one self-contained page (inline CSS and SVG, nothing fetched)
 * with the study's tables and six plots. Pure: renders into an sbuf.
 */
#ifndef KSMSCOPE_REPORT_HTML_H
#define KSMSCOPE_REPORT_HTML_H

#include "report/recording.h"
#include "lib/util.h"

/* The plots' ids and their series colours (the screenshot test looks for each). */
#define PLOT_IDS "potential-over-time", "sharing-by-group", "subpage-curve", "merge-latency-cdf", \
	"cow-breaks-over-time", "ksmd-cpu-vs-saving"

/* 0, or -ENOMEM. name: the recording's name, shown in the title. */
int report_html(struct sbuf *o, const struct recording *r, const char *name);

#endif
