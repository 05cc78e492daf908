/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The study's tables from a recording, as rows of formatted cells, so the text
 * report and the HTML page print the same figures. Pure (unit-tested).
 */
#ifndef KSMSCOPE_REPORT_TABLES_H
#define KSMSCOPE_REPORT_TABLES_H

#include <stdbool.h>
#include <stddef.h>

#include "report/recording.h"

struct rtable {
	const char *id, *title, *note; /* note: what the figures mean, or NULL */
	char notebuf[192];             /* a note made for this recording (note points here) */
	size_t ncol, nrow;             /* row 0 holds the headers */
	char **cell;                   /* [nrow * ncol], NULL: empty */
	size_t cap;                    /* cells allocated */
	bool oom;
};

/* Every table (some may have only their header row). 0 or -ENOMEM. */
int report_tables(const struct recording *r, struct rtable **out, size_t *n);
void report_tables_free(struct rtable *t, size_t n);
/* The last snapshot's groups, largest saveable first (free the array). NULL when none, or *oom. */
const struct jv **sorted_groups(const struct recording *r, size_t *n, bool *oom);
/* Chunk sizes 4096..256 and the bytes sharing at each could save. -1: not recorded. */
int subpage_curve(const struct recording *r, double chunk[5], double saveable_bytes[5]);
/* ksmd's CPU seconds when the recording began (from the first snapshot), or NaN. */
double ksmd_cpu_at_start(const struct recording *r);
/* A cell, or "" */
const char *rt_cell(const struct rtable *t, size_t row, size_t col);

#endif
