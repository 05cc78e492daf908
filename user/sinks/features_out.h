/* SPDX-License-Identifier: GPL-2.0-only */
/* `features`: which source each capability takes on this kernel, and why not the others; and its JSON twin. */
#ifndef KSMSCOPE_SINKS_FEATURES_OUT_H
#define KSMSCOPE_SINKS_FEATURES_OUT_H

#include <stdbool.h>
#include <stdio.h>

#include "lib/json_writer.h"
#include "scanner/ksmflag.h"
#include "tracer/loader.h"

/* What else the kernel offers or lacks that ksmscope uses. */
struct kernel_features {
	char release[160];
	bool traced;               /* the tracer has a source for every capability it needs */
	bool prefixes_by_frame;    /* the BPF page reader works (else /proc/PID/mem) */
	char prefixes_why[160];    /* why not */
	enum ksmflag_state ksm_flag; /* whether /proc/kpageflags tells KSM pages right */
	char ksm_flag_why[256];
	struct {
		const char *name, *since, *lacking; /* what lacking it costs */
		bool present;
	} ksm[8];
	int nksm;
};

void features_text(FILE *out, const struct loader *l, const struct kernel_features *k);
void features_json(struct jw *w, const struct loader *l, const struct kernel_features *k);

#endif
