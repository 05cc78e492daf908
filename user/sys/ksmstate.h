/* SPDX-License-Identifier: GPL-2.0-only */
/* The host's KSM state: every file of /sys/kernel/mm/ksm, read as the kernel writes it. */
#ifndef KSMSCOPE_SYS_KSMSTATE_H
#define KSMSCOPE_SYS_KSMSTATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/json_writer.h"

#define KSM_SYSFS "/sys/kernel/mm/ksm"
#define KSM_MAX_FILES 64

struct ksm_file {
	char name[48];
	char text[96]; /* for choice files ("[none] scan-time"): the selected value */
	bool numeric;
	int64_t value; /* general_profit can be negative */
};

struct ksm_state {
	struct ksm_file files[KSM_MAX_FILES];
	int n;
	uint64_t page_size;
	int64_t mem_available_kb; /* the host's MemAvailable (ksm_state_read_host), -1 unknown */
};

/* Read every regular readable file in dir. Returns 0, or -errno (ENOENT: no KSM). */
int ksm_state_read(const char *dir, struct ksm_state *st);
/* KSM_SYSFS, and the host's MemAvailable beside it. As ksm_state_read. */
int ksm_state_read_host(struct ksm_state *st);
/* MemAvailable in pages, or -1 when unknown. */
int64_t ksm_state_mem_available_pages(const struct ksm_state *st);
const struct ksm_file *ksm_state_get(const struct ksm_state *st, const char *name);
/* Value of a numeric file, or -1 if this kernel lacks it. */
int64_t ksm_state_num(const struct ksm_state *st, const char *name);
/* The same as a double, NaN where the kernel lacks it: for files whose value may be -1 (general_profit). */
double ksm_state_value(const struct ksm_state *st, const char *name);
/*
 * Saved pages = pages_sharing + ksm_zero_pages (the latter only where the kernel
 * has it). Also the host's unshare debt: what writes to every merged page would
 * allocate again.
 */
uint64_t ksm_state_saved(const struct ksm_state *st);

void ksm_state_json(const struct ksm_state *st, struct jw *w); /* one object */
void ksm_state_text(const struct ksm_state *st, FILE *f);

/* Parse one file's content; exposed for unit tests. */
void ksm_file_parse(struct ksm_file *kf, const char *content);

#endif
